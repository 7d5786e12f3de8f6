//! Kubernetes resource quantities: CPU in millicores, memory and storage in bytes.
//!
//! The grammar is the one Kubernetes uses (`k8s.io/apimachinery/pkg/api/resource`):
//! a non-negative decimal number followed by a suffix. platc is stricter in three places, to
//! catch mistakes rather than to limit what can be said:
//!
//! * signs are rejected (`-1` is negative; `+1` is just noise),
//! * a decimal point needs digits on both sides (`0.5`, not `.5` or `5.`),
//! * memory in `m` (thousandths of a byte, e.g. `128m`) is rejected: it is almost always a
//!   typo for `128Mi`.
//!
//! Values are parsed into exact integers ([`Millis`], [`Bytes`]) with checked arithmetic, and
//! rendered back by [`format_cpu`] and [`format_bytes`] in one canonical form, so the same
//! quantity always renders the same however it was written.

use std::fmt;

use crate::error::{show, ValueError};

/// A CPU quantity in millicores (1000 = one core).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Millis(pub u64);

/// A memory or storage quantity in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub u64);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_cpu(*self))
    }
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_bytes(*self))
    }
}

const CPU_HELP: &str = "write millicores like `500m` or cores like `0.5` or `2`";
const BYTES_HELP: &str =
    "write a size like `512Mi` or `2Gi` (binary suffixes Ki, Mi, Gi, Ti, Pi, Ei), `500M` (decimal suffixes k, M, G, T, P, E) or plain bytes like `1048576`";

/// The lexical pieces of a quantity: `<int>[.<frac>]<suffix>`.
struct Pieces<'a> {
    /// Digits before the decimal point (never empty once [`split`] succeeded).
    int: &'a str,
    /// Digits after the decimal point (empty when there is no point).
    frac: &'a str,
    /// Everything after the number.
    suffix: &'a str,
}

/// Splits a quantity into number and suffix, rejecting what no quantity can be: empty input,
/// whitespace, signs, and numbers without digits on both sides of a decimal point.
fn split<'a>(s: &'a str, what: &str, help: &str) -> Result<Pieces<'a>, ValueError> {
    if s.is_empty() {
        return Err(ValueError::new(format!("the {what} is empty"), help));
    }
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return Err(ValueError::new(
            format!("the {what} {} is only whitespace", show(s)),
            help,
        ));
    }
    if trimmed.len() != s.len() {
        return Err(ValueError::new(
            format!("the {what} {} has whitespace around it", show(s)),
            format!("remove the whitespace: {}", show(trimmed)),
        ));
    }
    if let Some(rest) = s.strip_prefix('-') {
        return Err(ValueError::new(
            format!("{} is negative", show(s)),
            format!("a {what} must be zero or more, like {}", show(rest)),
        ));
    }
    if let Some(rest) = s.strip_prefix('+') {
        return Err(ValueError::new(
            format!("{} has a `+` sign", show(s)),
            format!("write it without the sign: {}", show(rest)),
        ));
    }
    let int_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (int, rest) = s.split_at_checked(int_end).unwrap_or((s, ""));
    let (frac, suffix, had_point) = match rest.strip_prefix('.') {
        Some(after) => {
            let frac_end = after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len());
            let (frac, suffix) = after.split_at_checked(frac_end).unwrap_or((after, ""));
            (frac, suffix, true)
        }
        None => ("", rest, false),
    };
    if int.is_empty() && frac.is_empty() {
        return Err(ValueError::new(
            format!("{} is not a {what}", show(s)),
            help,
        ));
    }
    if int.is_empty() {
        return Err(ValueError::new(
            format!("{} has no digit before its decimal point", show(s)),
            format!("write {}", show(&format!("0{s}"))),
        ));
    }
    if had_point && frac.is_empty() {
        return Err(ValueError::new(
            format!("{} has no digit after its decimal point", show(s)),
            format!("write {}", show(&format!("{int}{suffix}"))),
        ));
    }
    Ok(Pieces { int, frac, suffix })
}

/// Rejects whitespace inside a quantity (`512 Mi`): the help shows the quantity without it
/// when that is valid, or else says what is wrong with that.
fn inner_whitespace<T>(
    s: &str,
    what: &str,
    reparse: fn(&str) -> Result<T, ValueError>,
) -> Result<(), ValueError> {
    let trimmed = s.trim();
    if trimmed.is_empty() || !trimmed.chars().any(char::is_whitespace) {
        return Ok(());
    }
    let joined: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let help = match reparse(&joined) {
        Ok(_) => format!("write it without spaces: {}", show(&joined)),
        Err(e) => e.help,
    };
    Err(ValueError::new(
        format!("the {what} {} contains whitespace", show(s)),
        help,
    ))
}

/// Reads ASCII digits as a `u64`; `None` when the value does not fit.
fn digits_u64(digits: &str) -> Option<u64> {
    let mut v: u64 = 0;
    for b in digits.bytes() {
        let d = u64::from(b.checked_sub(b'0')?);
        v = v.checked_mul(10)?.checked_add(d)?;
    }
    Some(v)
}

/// True when the suffix is a decimal exponent such as `e3`, `E+6` or `e-3`.
fn is_exponent(suffix: &str) -> bool {
    let Some(rest) = suffix
        .strip_prefix('e')
        .or_else(|| suffix.strip_prefix('E'))
    else {
        return false;
    };
    let digits = rest
        .strip_prefix('+')
        .or_else(|| rest.strip_prefix('-'))
        .unwrap_or(rest);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The SI and binary suffixes Kubernetes knows besides `m` and exponents.
fn is_known_suffix(suffix: &str) -> bool {
    matches!(
        suffix,
        "k" | "M" | "G" | "T" | "P" | "E" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"
    )
}

/// Parses a CPU quantity into millicores.
///
/// Accepts cores (`2`, `0.5`, `1.25`: at most three significant decimal places, since CPU is
/// counted in whole millicores; trailing zeros such as `1.2500` are fine) and millicores
/// (`500m`). Rejects empty input, whitespace, signs, exponents (`1e3`), every suffix other than
/// `m`, fractions of a millicore (`0.5m`, `1.2345`) and values that overflow `u64` millicores.
///
/// Zero (`0`, `0m`) parses to `Millis(0)`: whether zero is allowed is the caller's decision.
///
/// ```
/// use platc_values::quantity::{parse_cpu, Millis};
/// assert_eq!(parse_cpu("500m"), Ok(Millis(500)));
/// assert_eq!(parse_cpu("1.25"), Ok(Millis(1250)));
/// assert!(parse_cpu("500x").is_err());
/// ```
pub fn parse_cpu(s: &str) -> Result<Millis, ValueError> {
    inner_whitespace(s, "CPU quantity", parse_cpu)?;
    let p = split(s, "CPU quantity", CPU_HELP)?;
    let too_large = || {
        ValueError::new(
            format!("{} is too large for a CPU quantity", show(s)),
            "write a realistic number of cores, like `64` or `500m`",
        )
    };
    match p.suffix {
        "" => {
            // Cores with up to three decimals; anything past the third decimal must be zeros.
            let (kept, extra) = p.frac.split_at_checked(3).unwrap_or((p.frac, ""));
            let whole = digits_u64(p.int).ok_or_else(too_large)?;
            let mut milli_digits = String::from(kept);
            while milli_digits.len() < 3 {
                milli_digits.push('0');
            }
            let part = digits_u64(&milli_digits).ok_or_else(too_large)?;
            let millis = whole
                .checked_mul(1000)
                .and_then(|v| v.checked_add(part))
                .ok_or_else(too_large)?;
            if extra.bytes().any(|b| b != b'0') {
                let up = millis.checked_add(1).ok_or_else(too_large)?;
                return Err(ValueError::new(
                    format!("{} has more than 3 decimal places", show(s)),
                    format!(
                        "CPU is counted in whole millicores (0.001 cores): write {} or {}",
                        show(&cores_text(up)),
                        show(&format!("{up}m"))
                    ),
                ));
            }
            Ok(Millis(millis))
        }
        "m" => {
            let millis = digits_u64(p.int).ok_or_else(too_large)?;
            if p.frac.bytes().any(|b| b != b'0') {
                let up = millis.checked_add(1).ok_or_else(too_large)?;
                return Err(ValueError::new(
                    format!("{} is a fraction of a millicore", show(s)),
                    format!(
                        "CPU is counted in whole millicores: write {}",
                        show(&format!("{up}m"))
                    ),
                ));
            }
            Ok(Millis(millis))
        }
        suffix if is_exponent(suffix) => Err(ValueError::new(
            format!("{} uses an exponent", show(s)),
            "write CPU without exponents, in millicores like `1500m` or cores like `1.5`",
        )),
        "M" => Err(ValueError::new(
            format!(
                "{} uses `M` (mega), which CPU quantities do not take",
                show(s)
            ),
            format!(
                "millicores take a lower-case `m`: write {}",
                show(&format!("{}m", s.strip_suffix('M').unwrap_or(s)))
            ),
        )),
        suffix if is_known_suffix(suffix) => Err(ValueError::new(
            format!(
                "{} uses the suffix {}, which CPU quantities do not take",
                show(s),
                show(suffix)
            ),
            CPU_HELP,
        )),
        _ => Err(ValueError::new(
            format!("{} is not a CPU quantity", show(s)),
            CPU_HELP,
        )),
    }
}

/// The decimal SI suffixes for bytes and their powers of ten.
fn decimal_power(suffix: &str) -> Option<i64> {
    Some(match suffix {
        "" => 0,
        "k" => 3,
        "M" => 6,
        "G" => 9,
        "T" => 12,
        "P" => 15,
        "E" => 18,
        _ => return None,
    })
}

/// The binary suffixes for bytes and their powers of 1024.
fn binary_power(suffix: &str) -> Option<u32> {
    Some(match suffix {
        "Ki" => 1,
        "Mi" => 2,
        "Gi" => 3,
        "Ti" => 4,
        "Pi" => 5,
        "Ei" => 6,
        _ => return None,
    })
}

/// Reads the exponent of `e12`, `E-3`, clamped to ±10⁹ (any exponent that large already means
/// "far too large" or "a tiny fraction", so clamping keeps later arithmetic finite).
fn exponent_value(suffix: &str) -> i64 {
    const CLAMP: i64 = 1_000_000_000;
    let rest = suffix.get(1..).unwrap_or("");
    let (negative, digits) = match rest.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, rest.strip_prefix('+').unwrap_or(rest)),
    };
    let magnitude = digits_u64(digits)
        .and_then(|v| i64::try_from(v).ok())
        .map_or(CLAMP, |v| v.min(CLAMP));
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// Outcome of scaling a decimal number: the value rounded up to a whole unit, or too large.
enum Scaled {
    Value(u64),
    TooLarge,
}

/// Computes `ceil(<int>.<frac> × 10^dec_exp × 1024^bin_pow)` exactly, with checked arithmetic.
///
/// The number is kept as a vector of decimal digits and multiplied by 1024 digit by digit, so
/// arbitrarily long inputs (`0.000…0001Ki`) are handled exactly and without overflow.
fn scale(int: &str, frac: &str, dec_exp: i64, bin_pow: u32) -> Scaled {
    let int = int.trim_start_matches('0');
    let frac_trimmed = frac.trim_end_matches('0');
    // Significant digits and the position of the decimal point within them.
    let (digits, point): (Vec<u8>, i64) = if int.is_empty() {
        let lead = frac_trimmed
            .len()
            .saturating_sub(frac_trimmed.trim_start_matches('0').len());
        let sig = frac_trimmed.get(lead..).unwrap_or("");
        let Ok(lead) = i64::try_from(lead) else {
            return Scaled::Value(1);
        };
        (sig.bytes().map(|b| b.wrapping_sub(b'0')).collect(), -lead)
    } else {
        let Ok(point) = i64::try_from(int.len()) else {
            return Scaled::TooLarge;
        };
        let mut all: Vec<u8> = int.bytes().map(|b| b.wrapping_sub(b'0')).collect();
        all.extend(frac_trimmed.bytes().map(|b| b.wrapping_sub(b'0')));
        while all.last() == Some(&0) {
            all.pop();
        }
        (all, point)
    };
    if digits.is_empty() {
        return Scaled::Value(0);
    }
    // The leading digit is non-zero: the value is at least 10^(point-1).
    let point = point.saturating_add(dec_exp);
    if point > 20 {
        // ≥ 10^20 > u64::MAX, and multiplying by 1024^n only makes it larger.
        return Scaled::TooLarge;
    }
    if point < -20 {
        // < 10^-20, times at most 1024^6 < 10^19: a positive fraction of one byte.
        return Scaled::Value(1);
    }
    // Lay the digits out as integer digits followed by fraction digits.
    let mut laid: Vec<u8> = Vec::new();
    let mut int_len = if point >= 0 {
        let p = usize::try_from(point).unwrap_or(0);
        laid.extend(digits.iter().take(p));
        while laid.len() < p {
            laid.push(0);
        }
        laid.extend(digits.iter().skip(p));
        p
    } else {
        let zeros = usize::try_from(point.unsigned_abs()).unwrap_or(0);
        laid.resize(zeros, 0);
        laid.extend(digits.iter());
        0
    };
    for _ in 0..bin_pow {
        // digit ≤ 9 and carry < 1024, so v ≤ 9 × 1024 + 1023: u32 never saturates here.
        let mut carry: u32 = 0;
        for d in laid.iter_mut().rev() {
            let v = u32::from(*d).saturating_mul(1024).saturating_add(carry);
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        let mut prefix = Vec::new();
        while carry > 0 {
            prefix.push((carry % 10) as u8);
            carry /= 10;
        }
        prefix.reverse();
        int_len = int_len.saturating_add(prefix.len());
        prefix.append(&mut laid);
        laid = prefix;
    }
    let (int_digits, frac_digits) = laid.split_at(int_len.min(laid.len()));
    let mut value: u64 = 0;
    for &d in int_digits {
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d)))
        {
            Some(v) => value = v,
            None => return Scaled::TooLarge,
        }
    }
    if frac_digits.iter().any(|&d| d != 0) {
        match value.checked_add(1) {
            Some(v) => value = v,
            None => return Scaled::TooLarge,
        }
    }
    Scaled::Value(value)
}

/// The help for a size suffix Kubernetes does not know, naming the suffix that was meant.
fn bad_bytes_suffix(s: &str, number: &str, suffix: &str) -> ValueError {
    let message = format!(
        "{} uses {}, which is not a Kubernetes size suffix",
        show(s),
        show(suffix)
    );
    let lower = suffix.to_ascii_lowercase();
    if matches!(lower.as_str(), "b" | "byte" | "bytes") {
        return ValueError::new(
            message,
            format!("plain bytes take no suffix: write {}", show(number)),
        );
    }
    let mut chars = lower.chars();
    let first = chars.next();
    let rest = chars.as_str();
    let magnitude = match first {
        Some('k') => Some(("K", "k", "kibibytes (1024)", "kilobytes (1000)")),
        Some('m') => Some(("M", "M", "mebibytes (1024²)", "megabytes (1000²)")),
        Some('g') => Some(("G", "G", "gibibytes (1024³)", "gigabytes (1000³)")),
        Some('t') => Some(("T", "T", "tebibytes (1024⁴)", "terabytes (1000⁴)")),
        Some('p') => Some(("P", "P", "pebibytes (1024⁵)", "petabytes (1000⁵)")),
        Some('e') => Some(("E", "E", "exbibytes (1024⁶)", "exabytes (1000⁶)")),
        _ => None,
    };
    let binary_rest = matches!(rest, "i" | "ib" | "ibyte" | "ibytes");
    let decimal_rest = matches!(rest, "" | "b" | "byte" | "bytes");
    match magnitude {
        Some((bin, _, bin_name, _)) if binary_rest => ValueError::new(
            message,
            format!(
                "write {} for {bin_name}: {}",
                show(&format!("{bin}i")),
                show(&format!("{number}{bin}i"))
            ),
        ),
        Some((bin, dec, bin_name, dec_name)) if decimal_rest => ValueError::new(
            message,
            format!(
                "write {} for {bin_name}, like {}, or {} for {dec_name}",
                show(&format!("{bin}i")),
                show(&format!("{number}{bin}i")),
                show(dec)
            ),
        ),
        _ => ValueError::new(message, BYTES_HELP),
    }
}

/// Parses a memory or storage quantity into bytes.
///
/// Accepts what Kubernetes accepts for sizes: plain bytes (`1048576`), binary suffixes
/// `Ki Mi Gi Ti Pi Ei` (powers of 1024), decimal suffixes `k M G T P E` (powers of 1000),
/// decimal exponents (`1e3`, `5E+6`, `1500e-3`) and decimal fractions with any of them
/// (`1.5Gi`). Suffixes are case-sensitive as in Kubernetes; near misses such as `mi`, `MB`,
/// `gb`, `MiB` or `K` are rejected with a help naming the right suffix.
///
/// Rounding: a value that is not a whole number of bytes (`0.1Ki` = 102.4 bytes) is rounded
/// **up** to the next whole byte, as Kubernetes' `Quantity.Value()` does.
///
/// Also rejected: empty input, whitespace, signs, the `m` suffix (thousandths of a byte: `128m`
/// is almost always a typo for `128Mi`) and values above `u64::MAX` bytes.
///
/// ```
/// use platc_values::quantity::{parse_bytes, Bytes};
/// assert_eq!(parse_bytes("512Mi"), Ok(Bytes(512 * 1024 * 1024)));
/// assert_eq!(parse_bytes("1G"), Ok(Bytes(1_000_000_000)));
/// assert!(parse_bytes("512MB").is_err());
/// ```
pub fn parse_bytes(s: &str) -> Result<Bytes, ValueError> {
    inner_whitespace(s, "size", parse_bytes)?;
    let p = split(s, "size", BYTES_HELP)?;
    let number = s.strip_suffix(p.suffix).unwrap_or(s);
    let (dec_exp, bin_pow) = if let Some(e) = decimal_power(p.suffix) {
        (e, 0)
    } else if let Some(b) = binary_power(p.suffix) {
        (0, b)
    } else if is_exponent(p.suffix) {
        (exponent_value(p.suffix), 0)
    } else if p.suffix == "m" {
        return Err(ValueError::new(
            format!(
                "{} is in thousandths of a byte (`m`), not in mebibytes",
                show(s)
            ),
            format!(
                "write {} for mebibytes (1024²) or {} for megabytes (1000²)",
                show(&format!("{number}Mi")),
                show(&format!("{number}M"))
            ),
        ));
    } else {
        return Err(bad_bytes_suffix(s, number, p.suffix));
    };
    match scale(p.int, p.frac, dec_exp, bin_pow) {
        Scaled::Value(v) => Ok(Bytes(v)),
        Scaled::TooLarge => Err(ValueError::new(
            format!("{} is too large for a size", show(s)),
            "sizes must be below 16Ei (2⁶⁴ bytes); use a realistic size like `512Gi` or `2Ti`",
        )),
    }
}

/// Millicores as cores with up to three decimals (`1235` → `1.235`, `1500` → `1.5`).
fn cores_text(millis: u64) -> String {
    let whole = millis / 1000;
    let part = millis % 1000;
    if part == 0 {
        whole.to_string()
    } else {
        let decimals = format!("{part:03}");
        format!("{whole}.{}", decimals.trim_end_matches('0'))
    }
}

/// Renders millicores canonically: whole cores as a plain number (`2`), anything else in
/// millicores (`500m`, `1500m`). [`parse_cpu`] reads the result back to the same value.
pub fn format_cpu(m: Millis) -> String {
    if m.0 % 1000 == 0 {
        (m.0 / 1000).to_string()
    } else {
        format!("{}m", m.0)
    }
}

/// Renders bytes canonically with the largest binary suffix that divides the value exactly
/// (`512Mi`, `1536Ki`, `2Gi`), or as plain bytes when none does (`1000`); zero is `0`.
/// [`parse_bytes`] reads the result back to the same value.
pub fn format_bytes(b: Bytes) -> String {
    const UNITS: [(&str, u32); 6] = [
        ("Ei", 60),
        ("Pi", 50),
        ("Ti", 40),
        ("Gi", 30),
        ("Mi", 20),
        ("Ki", 10),
    ];
    if b.0 == 0 {
        return "0".to_string();
    }
    for (suffix, shift) in UNITS {
        let unit = 1u64 << shift;
        if b.0 % unit == 0 {
            return format!("{}{suffix}", b.0 >> shift);
        }
    }
    b.0.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KI: u64 = 1024;
    const MI: u64 = 1024 * 1024;
    const GI: u64 = 1024 * 1024 * 1024;

    fn cpu(s: &str) -> u64 {
        match parse_cpu(s) {
            Ok(m) => m.0,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    fn cpu_err(s: &str) -> ValueError {
        match parse_cpu(s) {
            Ok(m) => panic!("{s:?} should fail, got {m:?}"),
            Err(e) => e,
        }
    }

    fn bytes(s: &str) -> u64 {
        match parse_bytes(s) {
            Ok(b) => b.0,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    fn bytes_err(s: &str) -> ValueError {
        match parse_bytes(s) {
            Ok(b) => panic!("{s:?} should fail, got {b:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn cpu_millicores() {
        assert_eq!(cpu("500m"), 500);
        assert_eq!(cpu("1m"), 1);
        assert_eq!(cpu("0m"), 0);
        assert_eq!(cpu("1500m"), 1500);
        assert_eq!(cpu("007m"), 7);
        assert_eq!(cpu("2.000m"), 2);
    }

    #[test]
    fn cpu_cores() {
        assert_eq!(cpu("2"), 2000);
        assert_eq!(cpu("0"), 0);
        assert_eq!(cpu("0.5"), 500);
        assert_eq!(cpu("1.25"), 1250);
        assert_eq!(cpu("0.001"), 1);
        assert_eq!(cpu("1.2500"), 1250);
        assert_eq!(cpu("64"), 64_000);
    }

    #[test]
    fn cpu_limits() {
        assert_eq!(cpu("18446744073709551615m"), u64::MAX);
        assert_eq!(cpu("18446744073709551.615"), u64::MAX);
        assert_eq!(cpu("18446744073709551"), 18_446_744_073_709_551_000);
        let e = cpu_err("18446744073709551616m");
        assert!(e.message.contains("too large"), "{e}");
        assert!(cpu_err("18446744073709552").message.contains("too large"));
        assert!(cpu_err("99999999999999999999999999999")
            .message
            .contains("too large"));
    }

    #[test]
    fn cpu_rejects_bad_suffixes() {
        let e = cpu_err("500x");
        assert_eq!(e.message, "`500x` is not a CPU quantity");
        assert_eq!(e.help, CPU_HELP);
        let e = cpu_err("500M");
        assert!(e.help.contains("`500m`"), "{e}");
        for s in ["1k", "1Ki", "1Gi", "2G", "1E"] {
            let e = cpu_err(s);
            assert!(
                e.message.contains("which CPU quantities do not take"),
                "{s}: {e}"
            );
        }
        for s in ["1e3", "1E3", "1e-3", "1e+3"] {
            assert!(cpu_err(s).message.contains("exponent"), "{s}");
        }
        assert!(cpu_err("1mm").message.contains("not a CPU quantity"));
        assert!(cpu_err("m").message.contains("not a CPU quantity"));
        assert!(cpu_err("cpu").message.contains("not a CPU quantity"));
    }

    #[test]
    fn cpu_rejects_fractions_of_millicores() {
        let e = cpu_err("0.5m");
        assert!(e.message.contains("fraction of a millicore"));
        assert!(e.help.contains("`1m`"), "{e}");
        let e = cpu_err("1.2345");
        assert!(e.message.contains("more than 3 decimal places"));
        assert!(e.help.contains("`1.235` or `1235m`"), "{e}");
        assert!(cpu_err("2.0001").help.contains("`2.001` or `2001m`"));
        assert!(cpu_err("0.1001").help.contains("`0.101` or `101m`"));
        assert!(cpu_err("0.0001").help.contains("`1m`"));
    }

    #[test]
    fn cpu_rejects_signs_whitespace_and_empty() {
        assert!(cpu_err("-1").message.contains("negative"));
        assert!(cpu_err("-500m").help.contains("`500m`"));
        assert!(cpu_err("+1").message.contains("sign"));
        assert_eq!(cpu_err("").message, "the CPU quantity is empty");
        assert!(cpu_err("   ").message.contains("only whitespace"));
        let e = cpu_err(" 500m");
        assert!(e.message.contains("whitespace around it"));
        assert!(e.help.contains("`500m`"));
        let e = cpu_err("500 m");
        assert!(e.message.contains("contains whitespace"));
        assert!(e.help.contains("`500m`"));
        assert!(cpu_err("500m\n").message.contains("whitespace"));
    }

    #[test]
    fn cpu_rejects_malformed_numbers() {
        assert!(cpu_err(".5").help.contains("`0.5`"));
        assert!(cpu_err("5.").help.contains("`5`"));
        assert!(cpu_err(".").message.contains("not a CPU quantity"));
        assert!(cpu_err("1.2.3").message.contains("not a CPU quantity"));
        assert!(cpu_err("0x10").message.contains("not a CPU quantity"));
        assert!(cpu_err("1_000").message.contains("not a CPU quantity"));
        assert!(cpu_err("½").message.contains("not a CPU quantity"));
        assert!(cpu_err("٣").message.contains("not a CPU quantity"));
    }

    #[test]
    fn bytes_plain_and_suffixes() {
        assert_eq!(bytes("0"), 0);
        assert_eq!(bytes("1"), 1);
        assert_eq!(bytes("1048576"), MI);
        assert_eq!(bytes("1Ki"), KI);
        assert_eq!(bytes("512Mi"), 512 * MI);
        assert_eq!(bytes("2Gi"), 2 * GI);
        assert_eq!(bytes("1Ti"), 1 << 40);
        assert_eq!(bytes("1Pi"), 1 << 50);
        assert_eq!(bytes("1Ei"), 1 << 60);
        assert_eq!(bytes("1k"), 1000);
        assert_eq!(bytes("1M"), 1_000_000);
        assert_eq!(bytes("1G"), 1_000_000_000);
        assert_eq!(bytes("1T"), 1_000_000_000_000);
        assert_eq!(bytes("1P"), 1_000_000_000_000_000);
        assert_eq!(bytes("1E"), 1_000_000_000_000_000_000);
        assert_eq!(bytes("0Gi"), 0);
    }

    #[test]
    fn bytes_decimals_and_rounding() {
        assert_eq!(bytes("1.5Gi"), 3 * GI / 2);
        assert_eq!(bytes("0.5Ki"), 512);
        assert_eq!(bytes("1.5k"), 1500);
        assert_eq!(bytes("0.1Ki"), 103); // 102.4 rounds up
        assert_eq!(bytes("1.5"), 2); // 1.5 bytes rounds up
        assert_eq!(bytes("0.000000000000000000000000000001"), 1);
        assert_eq!(bytes("0.0000000000000000000000000000000000001Ei"), 1);
        assert_eq!(bytes("0.000"), 0);
        assert_eq!(bytes("1.000000000000000000000000000000Gi"), GI);
        assert_eq!(bytes("0000000000000000000000000000001Mi"), MI);
    }

    #[test]
    fn bytes_exponents() {
        assert_eq!(bytes("1e3"), 1000);
        assert_eq!(bytes("1E3"), 1000);
        assert_eq!(bytes("5e+6"), 5_000_000);
        assert_eq!(bytes("1500e-3"), 2);
        assert_eq!(bytes("1.5e3"), 1500);
        assert_eq!(bytes("0e999999999999999999999999"), 0);
        assert_eq!(bytes("1e-999999999999999999999999"), 1);
        assert_eq!(bytes("12e18"), 12_000_000_000_000_000_000);
        assert!(bytes_err("1e20").message.contains("too large"));
        assert!(bytes_err("1e999999999999999999999999")
            .message
            .contains("too large"));
        assert!(bytes_err("1e")
            .message
            .contains("not a Kubernetes size suffix"));
        assert!(bytes_err("1e3Mi")
            .message
            .contains("not a Kubernetes size suffix"));
    }

    #[test]
    fn bytes_limits() {
        assert_eq!(bytes("18446744073709551615"), u64::MAX);
        assert!(bytes_err("18446744073709551616")
            .message
            .contains("too large"));
        assert_eq!(bytes("15Ei"), 15 << 60);
        assert!(bytes_err("16Ei").message.contains("too large"));
        assert_eq!(bytes("18446744073709551.615k"), u64::MAX);
        assert_eq!(bytes("18446744073709551.6149k"), u64::MAX);
        assert!(bytes_err("18446744073709551.6151k")
            .message
            .contains("too large"));
        assert!(bytes_err(&"9".repeat(10_000)).message.contains("too large"));
    }

    #[test]
    fn bytes_wrong_suffix_names_the_right_one() {
        let e = bytes_err("512mi");
        assert_eq!(
            e.message,
            "`512mi` uses `mi`, which is not a Kubernetes size suffix"
        );
        assert!(e.help.contains("`Mi`") && e.help.contains("`512Mi`"), "{e}");
        let e = bytes_err("512MB");
        assert!(e.help.contains("`Mi`") && e.help.contains("`M`"), "{e}");
        let e = bytes_err("2gb");
        assert!(e.help.contains("`Gi`") && e.help.contains("`2Gi`"), "{e}");
        let e = bytes_err("512MiB");
        assert!(e.help.contains("`512Mi`"), "{e}");
        let e = bytes_err("10K");
        assert!(e.help.contains("`Ki`") && e.help.contains("`k`"), "{e}");
        let e = bytes_err("1ti");
        assert!(e.help.contains("`Ti`"), "{e}");
        let e = bytes_err("100B");
        assert!(e.help.contains("`100`"), "{e}");
        let e = bytes_err("128m");
        assert!(e.message.contains("thousandths of a byte"));
        assert!(e.help.contains("`128Mi`"), "{e}");
        let e = bytes_err("12parsecs");
        assert_eq!(e.help, BYTES_HELP);
        assert!(bytes_err("1Zi").help.contains("binary suffixes"));
    }

    #[test]
    fn bytes_rejects_malformed() {
        assert!(bytes_err("").message.contains("empty"));
        assert!(bytes_err("-1Gi").message.contains("negative"));
        assert!(bytes_err("+1Gi").message.contains("sign"));
        assert!(bytes_err(" 1Gi").message.contains("whitespace"));
        assert!(bytes_err("1 Gi").help.contains("`1Gi`"));
        assert!(bytes_err("512 MB").help.contains("`512Mi`"));
        assert!(bytes_err(" 512 MB ")
            .message
            .contains("contains whitespace"));
        assert!(bytes_err(".5Gi").help.contains("`0.5Gi`"));
        assert!(bytes_err("5.Gi").help.contains("`5Gi`"));
        assert!(bytes_err("Gi").message.contains("is not a size"));
        assert!(bytes_err("1Gi\u{0}")
            .message
            .contains("not a Kubernetes size suffix"));
        assert!(bytes_err("1Gį")
            .message
            .contains("not a Kubernetes size suffix"));
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let huge_digits = "1".repeat(1 << 20);
        assert!(parse_cpu(&huge_digits).is_err());
        assert!(parse_bytes(&huge_digits).is_err());
        let huge_frac = format!("0.{}1Ki", "0".repeat(1 << 20));
        assert_eq!(parse_bytes(&huge_frac), Ok(Bytes(1)));
        let long_frac = format!("1.{}Ei", "7".repeat(1 << 20));
        assert!(parse_bytes(&long_frac).is_ok());
        let huge_cpu_frac = format!("1.{}", "0".repeat(1 << 20));
        assert_eq!(parse_cpu(&huge_cpu_frac), Ok(Millis(1000)));
        let junk = "\u{202e}💥\u{0}".repeat(100_000);
        let e = bytes_err(&junk);
        assert!(e.message.chars().count() < 200);
        assert!(parse_cpu(&junk).is_err());
    }

    #[test]
    fn formatting_is_canonical() {
        assert_eq!(format_cpu(Millis(500)), "500m");
        assert_eq!(format_cpu(Millis(2000)), "2");
        assert_eq!(format_cpu(Millis(1500)), "1500m");
        assert_eq!(format_cpu(Millis(0)), "0");
        assert_eq!(format_cpu(Millis(u64::MAX)), "18446744073709551615m");
        assert_eq!(format_bytes(Bytes(0)), "0");
        assert_eq!(format_bytes(Bytes(1000)), "1000");
        assert_eq!(format_bytes(Bytes(KI)), "1Ki");
        assert_eq!(format_bytes(Bytes(1536 * KI)), "1536Ki");
        assert_eq!(format_bytes(Bytes(512 * MI)), "512Mi");
        assert_eq!(format_bytes(Bytes(1024 * MI)), "1Gi");
        assert_eq!(format_bytes(Bytes(15 << 60)), "15Ei");
        assert_eq!(format_bytes(Bytes(u64::MAX)), "18446744073709551615");
        assert_eq!(Bytes(2 * GI).to_string(), "2Gi");
        assert_eq!(Millis(250).to_string(), "250m");
    }

    #[test]
    fn same_quantity_renders_the_same() {
        for s in [
            "1Gi",
            "1024Mi",
            "1048576Ki",
            "1073741824",
            "1.0Gi",
            "0.5Ki2048",
            "1.073741824e9",
        ] {
            if s == "0.5Ki2048" {
                assert!(parse_bytes(s).is_err());
                continue;
            }
            assert_eq!(format_bytes(Bytes(bytes(s))), "1Gi", "{s}");
        }
        for s in ["0.5", "500m", "0.500", "500.000m"] {
            assert_eq!(format_cpu(Millis(cpu(s))), "500m", "{s}");
        }
        for s in ["2", "2000m", "2.0"] {
            assert_eq!(format_cpu(Millis(cpu(s))), "2", "{s}");
        }
    }

    proptest! {
        #[test]
        fn cpu_never_panics(s in ".*") {
            let _ = parse_cpu(&s);
        }

        #[test]
        fn bytes_never_panics(s in ".*") {
            let _ = parse_bytes(&s);
        }

        #[test]
        fn quantity_shaped_strings_never_panic(
            s in "[-+]?[0-9]{0,25}(\\.[0-9]{0,25})?([eE][-+]?[0-9]{0,25}|[kMGTPEm]|[KMGTPE]i|[a-zA-Z]{1,3})?"
        ) {
            let _ = parse_cpu(&s);
            let _ = parse_bytes(&s);
        }

        #[test]
        fn cpu_round_trips(m in any::<u64>()) {
            prop_assert_eq!(parse_cpu(&format_cpu(Millis(m))), Ok(Millis(m)));
        }

        #[test]
        fn cpu_whole_cores_round_trip(c in 0u64..=18_446_744_073_709_551) {
            let m = Millis(c * 1000);
            prop_assert_eq!(parse_cpu(&format_cpu(m)), Ok(m));
        }

        #[test]
        fn bytes_round_trip(b in any::<u64>()) {
            prop_assert_eq!(parse_bytes(&format_bytes(Bytes(b))), Ok(Bytes(b)));
        }

        #[test]
        fn bytes_with_suffix_round_trip(n in 0u64..1024, shift in 0u32..=6) {
            let b = Bytes(n << (10 * shift));
            prop_assert_eq!(parse_bytes(&format_bytes(b)), Ok(b));
        }

        #[test]
        fn binary_suffixes_multiply(n in 0u64..1_000_000, i in 0usize..4) {
            let (suffix, unit) = [("Ki", KI), ("Mi", MI), ("Gi", GI), ("Ti", 1u64 << 40)][i];
            prop_assert_eq!(parse_bytes(&format!("{n}{suffix}")), Ok(Bytes(n * unit)));
        }

        #[test]
        fn decimal_cores_match_millis(whole in 0u64..100_000, milli in 0u64..1000) {
            let s = format!("{whole}.{milli:03}");
            prop_assert_eq!(parse_cpu(&s), Ok(Millis(whole * 1000 + milli)));
        }

        #[test]
        fn fractional_sizes_round_up(whole in 0u64..100_000, tenths in 0u64..10) {
            // <whole>.<tenths>Ki = whole*1024 + tenths*102.4, rounded up
            let s = format!("{whole}.{tenths}Ki");
            let exact_tenths = whole * 10240 + tenths * 1024; // in tenths of a byte
            let expected = exact_tenths.div_ceil(10);
            prop_assert_eq!(parse_bytes(&s), Ok(Bytes(expected)));
        }
    }
}
