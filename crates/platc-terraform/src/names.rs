//! Names, sizes, schedules and limits shared by the cloud renderers. Pure functions.

use platc_values::quantity;

/// 32-bit FNV-1a: a stable, dependency-free hash for shortening names.
pub fn fnv1a(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// A cloud resource name from `parts`: joined by `-`, lower-case, only `[a-z0-9-]`, no `--`,
/// no leading/trailing `-`, starting with a letter, at most `max` characters. Too long names
/// are cut and end in `-` and 8 hex digits of the full name's hash, so they stay unique.
pub fn cloud_name(parts: &[&str], max: usize) -> String {
    let joined = parts.join("-").to_ascii_lowercase();
    let mut out = String::with_capacity(joined.len());
    for c in joined.chars() {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with('-') {
        out.pop();
    }
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.insert_str(0, if out.is_empty() { "p" } else { "p-" });
    }
    if out.len() > max {
        let hash = format!("{:08x}", fnv1a(&joined));
        let keep = max.saturating_sub(hash.len() + 1);
        let mut cut: String = out.chars().take(keep).collect();
        while cut.ends_with('-') {
            cut.pop();
        }
        out = if cut.is_empty() {
            format!("p{}", &hash[..max.saturating_sub(1).min(hash.len())])
        } else {
            format!("{cut}-{hash}")
        };
    }
    out
}

/// A canonical storage quantity (`10Gi`) in whole GiB, rounded up. The clouds' "GB" in these
/// APIs (RDS `allocated_storage`, Cloud SQL `disk_size`, Flexible Server `size_gb`) are GiB.
pub fn gib_ceil(storage: &str) -> Option<u64> {
    let bytes = quantity::parse_bytes(storage).ok()?.0;
    Some(bytes.div_ceil(1 << 30))
}

/// The time of day of a backup schedule that runs at one fixed time (`M H * * *`, also with a
/// day-of-week/month restriction, and the `@daily`-like macros), else `None` (more often than
/// daily, or no fixed hour).
pub fn daily_time(schedule: &str) -> Option<(u32, u32)> {
    match schedule.trim() {
        "@daily" | "@midnight" | "@weekly" | "@monthly" | "@yearly" | "@annually" => {
            return Some((0, 0))
        }
        _ => {}
    }
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    let [minute, hour, ..] = fields.as_slice() else {
        return None;
    };
    if fields.len() != 5 {
        return None;
    }
    let minute: u32 = minute.parse().ok().filter(|m| *m < 60)?;
    let hour: u32 = hour.parse().ok().filter(|h| *h < 24)?;
    Some((hour, minute))
}

/// Whether a schedule runs more often than every hour's single run (e.g. `*/15 * * * *`).
pub fn sub_hourly(schedule: &str) -> bool {
    schedule
        .split_whitespace()
        .next()
        .is_some_and(|m| m.parse::<u32>().is_err())
}

/// `HH:MM` of minutes after midnight (wrapping at 24 h).
pub fn hhmm(minutes: u32) -> String {
    let m = minutes % (24 * 60);
    format!("{:02}:{:02}", m / 60, m % 60)
}

const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// `ddd:HH:MM` for minutes after Sunday 00:00 (wrapping at a week).
pub fn day_hhmm(minutes: u32) -> String {
    let m = minutes % (7 * 24 * 60);
    let day = DAYS.get((m / (24 * 60)) as usize).copied().unwrap_or("sun");
    format!("{day}:{}", hhmm(m))
}

/// `value` limited to `min..=max`, with a note when it had to change.
pub fn clamp(value: u32, min: u32, max: u32, what: &str) -> (u32, Option<String>) {
    if value > max {
        (
            max,
            Some(format!(
                "{what}: {value} requested, {max} is the service's maximum"
            )),
        )
    } else if value < min {
        (
            min,
            Some(format!(
                "{what}: {value} requested, {min} is the service's minimum"
            )),
        )
    } else {
        (value, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_names_are_valid_and_unique_when_cut() {
        assert_eq!(
            cloud_name(&["acme", "prod", "shop", "orders", "postgresql"], 63),
            "acme-prod-shop-orders-postgresql"
        );
        assert_eq!(cloud_name(&["1x", "a--b", "-"], 63), "p-1x-a-b");
        let long = "a".repeat(60);
        let a = cloud_name(&[&long, "one"], 40);
        let b = cloud_name(&[&long, "two"], 40);
        assert_eq!(a.len(), 40);
        assert_ne!(a, b);
        assert!(a.starts_with('a') && !a.contains("--"));
        assert_eq!(cloud_name(&[], 10), "p");
    }

    #[test]
    fn storage_rounds_up_to_gib() {
        assert_eq!(gib_ceil("10Gi"), Some(10));
        assert_eq!(gib_ceil("512Mi"), Some(1));
        assert_eq!(gib_ceil("1Ti"), Some(1024));
        assert_eq!(gib_ceil("10G"), Some(10));
        assert_eq!(gib_ceil("11G"), Some(11));
        assert_eq!(gib_ceil("nonsense"), None);
    }

    #[test]
    fn schedules() {
        assert_eq!(daily_time("0 2 * * *"), Some((2, 0)));
        assert_eq!(daily_time("30 1 * * 0"), Some((1, 30)));
        assert_eq!(daily_time("@daily"), Some((0, 0)));
        assert_eq!(daily_time("0 * * * *"), None);
        assert_eq!(daily_time("*/15 * * * *"), None);
        assert_eq!(daily_time("0 2,14 * * *"), None);
        assert!(sub_hourly("*/15 * * * *"));
        assert!(!sub_hourly("0 * * * *"));
        assert_eq!(hhmm(23 * 60 + 45 + 30), "00:15");
        assert_eq!(day_hhmm(23 * 60 + 30 + 60), "mon:00:30");
        assert_eq!(clamp(40, 1, 35, "x").0, 35);
        assert_eq!(clamp(3, 7, 35, "x").0, 7);
        assert!(clamp(10, 1, 35, "x").1.is_none());
    }
}
