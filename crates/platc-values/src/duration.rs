//! Retention periods such as `30d`, `2w`, `12h` or `90m`.
//!
//! The language is deliberately tiny: one positive whole number followed by one unit,
//! `m` (minutes), `h` (hours), `d` (days) or `w` (weeks), with nothing around it. Seconds are
//! not offered (no backup retention is that short), nor months or years (their length varies:
//! write `30d` or `365d`). Units are lower-case so that `M` can never be misread as months.

use std::fmt;

use crate::error::{show, ValueError};

/// A retention period, in seconds (always more than zero once parsed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Retention {
    /// The period in seconds.
    pub seconds: u64,
}

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;
const WEEK: u64 = 7 * DAY;

const HELP: &str = "write a whole number and a unit: `m` (minutes), `h` (hours), `d` (days) or `w` (weeks), like `30d` or `12h`";

impl Retention {
    /// The period in whole days, or `None` when it is not a whole number of days (`36h`).
    pub fn whole_days(&self) -> Option<u64> {
        if self.seconds % DAY == 0 {
            Some(self.seconds / DAY)
        } else {
            None
        }
    }

    /// The period in days, rounded up (`36h` → 2, `90m` → 1): for systems that keep backups
    /// per day, rounding up never keeps less than was asked for.
    pub fn days_rounded_up(&self) -> u64 {
        self.seconds.div_ceil(DAY)
    }
}

impl fmt::Display for Retention {
    /// Renders canonically with the largest unit that divides the period exactly
    /// (`14d` → `2w`, `1440m` → `1d`); [`parse_retention`] reads it back to the same value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (unit, size) in [("w", WEEK), ("d", DAY), ("h", HOUR), ("m", MINUTE)] {
            if self.seconds % size == 0 {
                return write!(f, "{}{unit}", self.seconds / size);
            }
        }
        // Not reachable for parsed values (all are whole minutes); shown in seconds otherwise.
        write!(f, "{}s", self.seconds)
    }
}

/// Parses a retention period: a positive whole number followed by `m`, `h`, `d` or `w`.
///
/// ```
/// use platc_values::duration::parse_retention;
/// let r = parse_retention("2w").map(|r| r.seconds);
/// assert_eq!(r, Ok(14 * 24 * 3600));
/// assert!(parse_retention("30").is_err());
/// ```
pub fn parse_retention(s: &str) -> Result<Retention, ValueError> {
    if s.is_empty() {
        return Err(ValueError::new("the retention period is empty", HELP));
    }
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return Err(ValueError::new(
            format!("the retention period {} is only whitespace", show(s)),
            HELP,
        ));
    }
    if s.chars().any(char::is_whitespace) {
        let joined: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let help = match parse_retention(&joined) {
            Ok(_) => format!("write it without spaces: {}", show(&joined)),
            Err(e) => e.help,
        };
        return Err(ValueError::new(
            format!("the retention period {} contains whitespace", show(s)),
            help,
        ));
    }
    if let Some(rest) = s.strip_prefix('-') {
        return Err(ValueError::new(
            format!("{} is negative", show(s)),
            format!(
                "a retention period must be more than zero, like {}",
                show(rest)
            ),
        ));
    }
    let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at_checked(digits_end).unwrap_or((s, ""));
    if digits.is_empty() {
        return Err(ValueError::new(
            format!("{} is not a retention period", show(s)),
            HELP,
        ));
    }
    if unit.is_empty() {
        return Err(ValueError::new(
            format!("the retention period {} has no unit", show(s)),
            format!(
                "add a unit: {} for days, or `m`, `h` or `w`",
                show(&format!("{s}d"))
            ),
        ));
    }
    if unit.starts_with('.') || unit.starts_with(',') {
        return Err(ValueError::new(
            format!("{} is not a whole number", show(s)),
            "write whole units, like `36h` instead of `1.5d`",
        ));
    }
    let size = match unit {
        "m" => MINUTE,
        "h" => HOUR,
        "d" => DAY,
        "w" => WEEK,
        _ => return Err(bad_unit(s, digits, unit)),
    };
    let too_large = || {
        ValueError::new(
            format!("{} is too long a retention period", show(s)),
            "write a realistic period, like `365d`",
        )
    };
    let mut n: u64 = 0;
    for b in digits.bytes() {
        n = n
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b.wrapping_sub(b'0'))))
            .ok_or_else(too_large)?;
    }
    if n == 0 {
        return Err(ValueError::new(
            format!("the retention period {} is zero", show(s)),
            "keep backups for at least one unit, like `1d`",
        ));
    }
    let seconds = n.checked_mul(size).ok_or_else(too_large)?;
    Ok(Retention { seconds })
}

fn bad_unit(s: &str, digits: &str, unit: &str) -> ValueError {
    if unit.starts_with(['m', 'h', 'd', 'w']) && unit.chars().any(|c| c.is_ascii_digit()) {
        return ValueError::new(
            format!("the retention period {} combines several units", show(s)),
            "write a single number and unit, like `36h` instead of `1d12h`",
        );
    }
    let message = format!(
        "{} uses the unit {}, which retention periods do not take",
        show(s),
        show(unit)
    );
    let help = match unit {
        "s" | "sec" | "secs" | "second" | "seconds" => {
            "retention is counted in minutes or more: write `m`, `h`, `d` or `w`".to_string()
        }
        "M" | "mo" | "mon" | "month" | "months" => format!(
            "months vary in length: write days instead, like {}",
            show(&days_example(digits, 30))
        ),
        "y" | "Y" | "yr" | "year" | "years" => format!(
            "years vary in length: write days instead, like {}",
            show(&days_example(digits, 365))
        ),
        "D" | "H" | "W" => format!(
            "units are lower-case: write {}",
            show(&format!("{digits}{}", unit.to_ascii_lowercase()))
        ),
        "min" | "mins" | "minute" | "minutes" => format!("write {}", show(&format!("{digits}m"))),
        "hr" | "hrs" | "hour" | "hours" => format!("write {}", show(&format!("{digits}h"))),
        "day" | "days" => format!("write {}", show(&format!("{digits}d"))),
        "wk" | "wks" | "week" | "weeks" => format!("write {}", show(&format!("{digits}w"))),
        _ => HELP.to_string(),
    };
    ValueError::new(message, help)
}

/// `<digits × factor>d` as an example, or `365d` when the product does not fit.
fn days_example(digits: &str, factor: u64) -> String {
    let mut n: u64 = 0;
    for b in digits.bytes() {
        match n
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b.wrapping_sub(b'0'))))
        {
            Some(v) => n = v,
            None => return "365d".to_string(),
        }
    }
    n.checked_mul(factor)
        .map_or_else(|| "365d".to_string(), |v| format!("{v}d"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secs(s: &str) -> u64 {
        match parse_retention(s) {
            Ok(r) => r.seconds,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    fn err(s: &str) -> ValueError {
        match parse_retention(s) {
            Ok(r) => panic!("{s:?} should fail, got {r:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn parses_units() {
        assert_eq!(secs("90m"), 90 * 60);
        assert_eq!(secs("12h"), 12 * 3600);
        assert_eq!(secs("30d"), 30 * 86400);
        assert_eq!(secs("7d"), 7 * 86400);
        assert_eq!(secs("14d"), 14 * 86400);
        assert_eq!(secs("2w"), 14 * 86400);
        assert_eq!(secs("1m"), 60);
        assert_eq!(secs("007d"), 7 * 86400);
    }

    #[test]
    fn days() {
        let r = |s: &str| Retention { seconds: secs(s) };
        assert_eq!(r("30d").whole_days(), Some(30));
        assert_eq!(r("2w").whole_days(), Some(14));
        assert_eq!(r("48h").whole_days(), Some(2));
        assert_eq!(r("36h").whole_days(), None);
        assert_eq!(r("90m").whole_days(), None);
        assert_eq!(r("36h").days_rounded_up(), 2);
        assert_eq!(r("90m").days_rounded_up(), 1);
        assert_eq!(r("1m").days_rounded_up(), 1);
        assert_eq!(r("24h").days_rounded_up(), 1);
        assert_eq!(r("25h").days_rounded_up(), 2);
        assert_eq!(r("30d").days_rounded_up(), 30);
        let max = Retention { seconds: u64::MAX };
        assert_eq!(max.days_rounded_up(), u64::MAX / DAY + 1);
        assert_eq!(max.whole_days(), None);
    }

    #[test]
    fn displays_canonically() {
        let show = |s: &str| Retention { seconds: secs(s) }.to_string();
        assert_eq!(show("14d"), "2w");
        assert_eq!(show("30d"), "30d");
        assert_eq!(show("1440m"), "1d");
        assert_eq!(show("36h"), "36h");
        assert_eq!(show("90m"), "90m");
        assert_eq!(Retention { seconds: 61 }.to_string(), "61s");
    }

    #[test]
    fn limits() {
        let max_weeks = u64::MAX / WEEK;
        assert_eq!(secs(&format!("{max_weeks}w")), max_weeks * WEEK);
        assert!(err(&format!("{}w", max_weeks + 1))
            .message
            .contains("too long"));
        assert!(err("18446744073709551616m").message.contains("too long"));
        assert!(err(&format!("{}d", "9".repeat(1000)))
            .message
            .contains("too long"));
    }

    #[test]
    fn rejects_with_precise_help() {
        assert_eq!(err("").message, "the retention period is empty");
        assert!(err("  ").message.contains("only whitespace"));
        let e = err("30");
        assert!(e.message.contains("no unit"));
        assert!(e.help.contains("`30d`"), "{e}");
        assert!(err("0d").message.contains("zero"));
        assert!(err("000h").message.contains("zero"));
        assert!(err("-1d").message.contains("negative"));
        assert!(err("+1d").message.contains("not a retention period"));
        assert!(err("d").message.contains("not a retention period"));
        assert!(err("1.5d").help.contains("`36h`"));
        assert!(err("1,5d").message.contains("not a whole number"));
        assert!(err("30 d").help.contains("`30d`"));
        assert!(err(" 30d").message.contains("whitespace"));
        assert!(err("30s").help.contains("minutes or more"));
        let e = err("1M");
        assert!(e.help.contains("`30d`"), "{e}");
        assert!(err("2months").help.contains("`60d`"));
        assert!(err("1y").help.contains("`365d`"));
        assert!(err("30D").help.contains("`30d`"));
        assert!(err("2W").help.contains("`2w`"));
        assert!(err("12hours").help.contains("`12h`"));
        assert!(err("3 days").help.contains("`3d`"));
        assert!(err("3 d").help.contains("without spaces: `3d`"));
        assert!(err("3days").help.contains("`3d`"));
        let e = err("1d12h");
        assert!(e.message.contains("combines several units"), "{e}");
        assert!(e.help.contains("single number and unit"));
        assert!(err("2w3d").message.contains("combines several units"));
        assert_eq!(err("30x").help, HELP);
        assert!(err("1e3d").message.contains("unit `e3d`"));
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let huge = "9".repeat(1 << 20);
        assert!(parse_retention(&huge).is_err());
        assert!(parse_retention(&format!("{huge}M")).is_err());
        assert!(parse_retention(&format!("{huge}y")).is_err());
        assert!(parse_retention(&format!("{huge}d")).is_err());
        let e = err(&format!("1{}", "💥".repeat(1 << 18)));
        assert!(e.message.chars().count() < 200);
        assert!(parse_retention("\u{0}").is_err());
        assert!(parse_retention("1d\u{0}").is_err());
        assert!(parse_retention("١d").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in ".*") {
            let _ = parse_retention(&s);
        }

        #[test]
        fn shaped_strings_never_panic(s in "[-+]?[0-9]{0,25}[.,]?[0-9]{0,3}[a-zA-Z]{0,8}") {
            let _ = parse_retention(&s);
        }

        #[test]
        fn display_round_trips(n in 1u64..1_000_000, unit in 0usize..4) {
            let text = format!("{n}{}", ["m", "h", "d", "w"][unit]);
            let r = parse_retention(&text);
            prop_assert!(r.is_ok());
            if let Ok(r) = r {
                prop_assert_eq!(parse_retention(&r.to_string()), Ok(r));
                prop_assert!(r.days_rounded_up() >= r.whole_days().unwrap_or(0));
                prop_assert!(r.days_rounded_up() * DAY >= r.seconds);
            }
        }
    }
}
