//! Cron schedules as a Kubernetes CronJob accepts them.
//!
//! Kubernetes validates `.spec.schedule` with `robfig/cron/v3`'s standard parser. This module
//! accepts the same language, minus a few forms that are legal there but almost always a
//! mistake or a portability trap:
//!
//! * five fields: `minute hour day-of-month month day-of-week`, separated by whitespace;
//! * each field a comma-separated list of `*`, `N`, `A-B`, `*/S`, `A-B/S` or `N/S` (which means
//!   `N-max/S`, as in robfig/cron);
//! * month names `JAN`–`DEC` and day names `SUN`–`SAT`, case-insensitive, also in ranges;
//! * `?` (same as `*`) in day-of-month and day-of-week only;
//! * the descriptors `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`,
//!   `@hourly` (lower-case, as robfig/cron requires).
//!
//! Rejected although robfig/cron parses them: `@every <duration>` (runs relative to when the
//! controller started, not at a wall-clock time), `TZ=`/`CRON_TZ=` prefixes (Kubernetes
//! refuses them: the time zone goes in `.spec.timeZone`), `?` in minute, hour or month, empty
//! list items (`1,,2`) and `*-N`. Day-of-week `7` is rejected as Kubernetes rejects it
//! (robfig/cron's range is 0–6): write `0` or `SUN` for Sunday.

use std::fmt;

use crate::error::{show, show_char, ValueError};

/// A valid schedule, kept as its normalized text: fields separated by single spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cron {
    text: String,
}

impl Cron {
    /// The normalized schedule text, ready to put into `.spec.schedule`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True for the `@daily`-style descriptors, false for five-field schedules.
    pub fn is_descriptor(&self) -> bool {
        self.text.starts_with('@')
    }

    /// How many times the schedule fires on a day on which it fires at all: the distinct
    /// minutes times the distinct hours (`@hourly` 24, the other descriptors 1). An upper
    /// bound of the runs per day, exact for schedules that fire every day.
    pub fn runs_per_day(&self) -> u32 {
        if self.text == "@hourly" {
            return 24;
        }
        if self.is_descriptor() {
            return 1;
        }
        let mut fields = self.text.split(' ');
        let mut count = |field: &Field| {
            let values = fields.next().map_or(0, |t| field_values(t, field));
            values.max(1)
        };
        count(&FIELDS[0]) * count(&FIELDS[1])
    }
}

/// The number of distinct values a valid minute or hour field matches (items as
/// [`check_item`] reads them).
fn field_values(text: &str, field: &Field) -> u32 {
    let mut hit = [false; 60];
    for item in text.split(',') {
        let Ok(Matches { start, end, step }) = check_item(item, field) else {
            continue;
        };
        for v in (start..=end.min(field.max)).step_by(step as usize) {
            if let Some(h) = hit.get_mut(v as usize) {
                *h = true;
            }
        }
    }
    hit.iter().map(|h| u32::from(*h)).sum()
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

const FIELDS_HELP: &str =
    "write five fields `minute hour day-of-month month day-of-week`, like `30 2 * * *` for 02:30 every day";

const DESCRIPTORS: [&str; 7] = [
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

/// One of the five fields: its name, bounds, names and whether `?` is allowed.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    question_mark: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
        question_mark: false,
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
        question_mark: false,
    },
    Field {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
        question_mark: true,
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: &MONTHS,
        question_mark: false,
    },
    Field {
        name: "day-of-week",
        min: 0,
        max: 6,
        names: &DAYS,
        question_mark: true,
    },
];

impl Field {
    fn range_text(&self) -> String {
        match self.name {
            "month" => "1-12 or JAN-DEC".to_string(),
            "day-of-week" => "0-6 or SUN-SAT".to_string(),
            _ => format!("{}-{}", self.min, self.max),
        }
    }

    /// The first name (with offset) for month names, which start at 1.
    fn name_value(&self, text: &str) -> Option<u32> {
        let lower = text.to_ascii_lowercase();
        let index = self.names.iter().position(|n| *n == lower)?;
        let index = u32::try_from(index).ok()?;
        if self.name == "month" {
            index.checked_add(1)
        } else {
            Some(index)
        }
    }
}

/// Parses a schedule; see the module documentation for the accepted language.
///
/// ```
/// use platc_values::cron::parse_cron;
/// assert_eq!(parse_cron("  0  2 * * MON-FRI ").map(|c| c.to_string()), Ok("0 2 * * MON-FRI".to_string()));
/// assert!(parse_cron("@every 5m").is_err());
/// ```
pub fn parse_cron(s: &str) -> Result<Cron, ValueError> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let Some(first) = parts.first() else {
        return Err(ValueError::new("the schedule is empty", FIELDS_HELP));
    };
    if first.starts_with("TZ=") || first.starts_with("CRON_TZ=") {
        let prefix = first.split('=').next().unwrap_or("TZ");
        return Err(ValueError::new(
            format!("the schedule {} sets a time zone with `{prefix}=`", show(s)),
            format!(
                "remove the `{prefix}=` prefix: Kubernetes takes the time zone from the CronJob's `.spec.timeZone`"
            ),
        ));
    }
    if first.starts_with('@') {
        return descriptor(s, &parts);
    }
    if parts.len() != 5 {
        let message = if parts.len() == 6 {
            format!(
                "the schedule {} has 6 fields, but Kubernetes has no seconds field",
                show(s)
            )
        } else {
            format!(
                "the schedule {} has {} field{}, not 5",
                show(s),
                parts.len(),
                if parts.len() == 1 { "" } else { "s" }
            )
        };
        return Err(ValueError::new(message, FIELDS_HELP));
    }
    for (text, field) in parts.iter().zip(FIELDS.iter()) {
        check_field(text, field)?;
    }
    Ok(Cron {
        text: parts.join(" "),
    })
}

fn descriptor(s: &str, parts: &[&str]) -> Result<Cron, ValueError> {
    let first = parts.first().copied().unwrap_or("");
    if first.eq_ignore_ascii_case("@every") {
        return Err(ValueError::new(
            format!("{} uses `@every`, which platc does not accept", show(s)),
            "`@every` counts from when the controller started; write a five-field schedule instead, like `*/5 * * * *` for every five minutes",
        ));
    }
    let lower = first.to_ascii_lowercase();
    if let Some(known) = DESCRIPTORS.iter().find(|d| **d == lower) {
        if parts.len() > 1 {
            return Err(ValueError::new(
                format!("the schedule {} has text after `{known}`", show(s)),
                format!("write `{known}` alone, or five fields instead"),
            ));
        }
        if first != *known {
            return Err(ValueError::new(
                format!("{} must be written in lower case", show(first)),
                format!("write `{known}`"),
            ));
        }
        return Ok(Cron {
            text: (*known).to_string(),
        });
    }
    let names = DESCRIPTORS.join("`, `");
    let help = match crate::suggest::closest(&lower, DESCRIPTORS) {
        Some(best) => format!("did you mean `{best}`? The descriptors are `{names}`"),
        None => format!("use one of `{names}`, or five fields"),
    };
    Err(ValueError::new(
        format!("{} is not a schedule descriptor", show(first)),
        help,
    ))
}

fn check_field(text: &str, field: &Field) -> Result<(), ValueError> {
    for item in text.split(',') {
        if item.is_empty() {
            return Err(ValueError::new(
                format!(
                    "the {} field {} has an empty list item",
                    field.name,
                    show(text)
                ),
                "separate values with single commas, like `1,15,30`",
            ));
        }
        check_item(item, field)?;
    }
    Ok(())
}

/// The values one item of a field matches: `start..=end` every `step`.
struct Matches {
    start: u32,
    end: u32,
    step: u32,
}

/// Checks one item of a field (`*`, `?`, `N`, `A-B`, each optionally `/S`) and returns what it
/// matches (`N/S` means `N-max/S`).
fn check_item(item: &str, field: &Field) -> Result<Matches, ValueError> {
    let mut slash = item.split('/');
    let range = slash.next().unwrap_or("");
    let step = slash.next();
    if slash.next().is_some() {
        return Err(ValueError::new(
            format!(
                "{} in the {} field has more than one `/`",
                show(item),
                field.name
            ),
            "write one step, like `*/15` or `0-30/5`",
        ));
    }
    let step = match step {
        Some(step) => Some(number(step, field, "step")?),
        None => None,
    };
    if let Some(value) = step {
        if value == 0 {
            return Err(ValueError::new(
                format!(
                    "{} in the {} field has a step of zero",
                    show(item),
                    field.name
                ),
                "use a step of 1 or more, like `*/5`",
            ));
        }
    }
    let every = Matches {
        start: field.min,
        end: field.max,
        step: step.unwrap_or(1),
    };
    if range == "*" {
        return Ok(every);
    }
    if range == "?" {
        if field.question_mark {
            return Ok(every);
        }
        return Err(ValueError::new(
            format!("`?` is not allowed in the {} field", field.name),
            "use `*`; `?` is only for day-of-month and day-of-week",
        ));
    }
    let mut dash = range.split('-');
    let start_text = dash.next().unwrap_or("");
    let end_text = dash.next();
    if dash.next().is_some() {
        return Err(ValueError::new(
            format!(
                "{} in the {} field has more than one `-`",
                show(item),
                field.name
            ),
            "write a range as `start-end`, like `1-5`",
        ));
    }
    if start_text == "*" {
        return Err(ValueError::new(
            format!(
                "{} in the {} field combines `*` with a range",
                show(item),
                field.name
            ),
            "write either `*` or a range like `1-5`",
        ));
    }
    let start = value(start_text, field)?;
    let Some(end_text) = end_text else {
        return Ok(Matches {
            start,
            end: if step.is_some() { field.max } else { start },
            step: every.step,
        });
    };
    let end = value(end_text, field)?;
    if start > end {
        return Err(ValueError::new(
            format!(
                "the range {} in the {} field runs backwards",
                show(range),
                field.name
            ),
            format!(
                "write the smaller value first, like `{}`; ranges do not wrap around",
                format_args!("{end_text}-{start_text}")
            ),
        ));
    }
    Ok(Matches {
        start,
        end,
        step: every.step,
    })
}

/// A field value: a number within the field's bounds or one of its names.
fn value(text: &str, field: &Field) -> Result<u32, ValueError> {
    if let Some(v) = field.name_value(text) {
        return Ok(v);
    }
    let v = number(text, field, "value")?;
    if field.name == "day-of-week" && v == 7 {
        return Err(ValueError::new(
            "day-of-week `7` is out of range for Kubernetes",
            "write `0` or `SUN` for Sunday; Kubernetes' cron parser accepts 0-6",
        ));
    }
    if v < field.min || v > field.max {
        return Err(ValueError::new(
            format!(
                "{} is out of range for the {} field",
                show(text),
                field.name
            ),
            format!("use {}", field.range_text()),
        ));
    }
    Ok(v)
}

/// A plain decimal number (used for values and steps).
fn number(text: &str, field: &Field, what: &str) -> Result<u32, ValueError> {
    if text.is_empty() {
        return Err(ValueError::new(
            format!("a {what} is missing in the {} field", field.name),
            format!("use {}", field.range_text()),
        ));
    }
    if let Some(c) = text.chars().find(|c| !c.is_ascii_digit()) {
        let help = if matches!(c, 'L' | 'W' | '#' | 'l' | 'w') && text.len() <= 4 {
            "Kubernetes cron has no `L`, `W` or `#`; use plain values, ranges, lists and steps"
                .to_string()
        } else if what == "value" && !field.names.is_empty() {
            format!("use {}", field.range_text())
        } else if what == "value" {
            format!("use a number in {}", field.range_text())
        } else {
            "use a whole number, like `*/5`".to_string()
        };
        let message = if c.is_ascii_alphabetic() || c.is_ascii_punctuation() {
            format!(
                "{} is not a valid {what} in the {} field",
                show(text),
                field.name
            )
        } else {
            format!(
                "{} in the {} field contains {}",
                show(text),
                field.name,
                show_char(c)
            )
        };
        return Err(ValueError::new(message, help));
    }
    let mut v: u32 = 0;
    for b in text.bytes() {
        let digit = u32::from(b.wrapping_sub(b'0'));
        v = match v.checked_mul(10).and_then(|v| v.checked_add(digit)) {
            Some(v) => v,
            None => {
                return Err(ValueError::new(
                    format!(
                        "{} is out of range for the {} field",
                        show(text),
                        field.name
                    ),
                    format!("use {}", field.range_text()),
                ))
            }
        };
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_per_day_counts_minutes_times_hours() {
        let runs = |s: &str| super::parse_cron(s).map(|c| c.runs_per_day());
        assert_eq!(runs("0 * * * *"), Ok(24));
        assert_eq!(runs("@hourly"), Ok(24));
        assert_eq!(runs("0 2 * * *"), Ok(1));
        assert_eq!(runs("@weekly"), Ok(1));
        assert_eq!(runs("*/15 * * * *"), Ok(96));
        assert_eq!(runs("0,30 8-17 * * MON-FRI"), Ok(20));
        assert_eq!(runs("5/20 1/12 * * *"), Ok(6));
        assert_eq!(runs("* * * * *"), Ok(1440));
    }

    use proptest::prelude::*;

    fn ok(s: &str) -> String {
        match parse_cron(s) {
            Ok(c) => c.to_string(),
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    fn err(s: &str) -> ValueError {
        match parse_cron(s) {
            Ok(c) => panic!("{s:?} should fail, got {c}"),
            Err(e) => e,
        }
    }

    #[test]
    fn accepts_standard_schedules() {
        for s in [
            "* * * * *",
            "0 2 * * *",
            "*/15 * * * *",
            "0 */2 * * *",
            "0-30/5 8-18 * * 1-5",
            "5/15 * * * *",
            "0 0 1 1 *",
            "59 23 31 12 6",
            "0 0 1,15 * *",
            "0 0 * JAN-MAR,dec MON-fri",
            "0 0 ? * SUN",
            "0 0 1 * ?",
            "00 02 * * *",
            "0 0 * * 0",
            "0 12 * Jan/2 *",
            "0 0 * * sat",
            "*/1 * * * *",
            "0 0 1-31/7 * *",
        ] {
            assert_eq!(ok(s), s, "{s}");
        }
    }

    #[test]
    fn normalizes_whitespace() {
        assert_eq!(ok("  0   2 *\t* *\n"), "0 2 * * *");
        assert!(parse_cron(" 0 2 * * * ").is_ok_and(|c| c.as_str() == "0 2 * * *"));
        assert!(!parse_cron("0 2 * * *").is_ok_and(|c| c.is_descriptor()));
    }

    #[test]
    fn accepts_descriptors() {
        for d in DESCRIPTORS {
            assert_eq!(ok(d), d);
            assert_eq!(ok(&format!("  {d} ")), d);
            assert!(parse_cron(d).is_ok_and(|c| c.is_descriptor()));
        }
    }

    #[test]
    fn rejects_descriptor_mistakes() {
        let e = err("@Daily");
        assert!(e.message.contains("lower case"), "{e}");
        assert!(e.help.contains("`@daily`"));
        let e = err("@dayly");
        assert!(e.help.contains("did you mean `@daily`"), "{e}");
        let e = err("@fortnightly");
        assert!(e.message.contains("not a schedule descriptor"), "{e}");
        let e = err("@daily 5");
        assert!(e.message.contains("text after"), "{e}");
        let e = err("@every 5m");
        assert!(e.message.contains("`@every`"), "{e}");
        assert!(e.help.contains("five-field"));
        assert!(err("@EVERY 1h").message.contains("`@every`"));
        assert!(err("@").message.contains("not a schedule descriptor"));
    }

    #[test]
    fn rejects_time_zone_prefixes() {
        let e = err("TZ=Europe/Berlin 0 2 * * *");
        assert!(e.message.contains("`TZ=`"), "{e}");
        assert!(e.help.contains(".spec.timeZone"));
        let e = err("CRON_TZ=UTC 0 2 * * *");
        assert!(e.message.contains("`CRON_TZ=`"), "{e}");
        assert!(e.help.contains(".spec.timeZone"));
    }

    #[test]
    fn rejects_wrong_field_counts() {
        let e = err("");
        assert_eq!(e.message, "the schedule is empty");
        assert_eq!(e.help, FIELDS_HELP);
        assert!(err("   \t").message.contains("empty"));
        let e = err("* * * *");
        assert_eq!(e.message, "the schedule `* * * *` has 4 fields, not 5");
        assert!(e
            .help
            .contains("minute hour day-of-month month day-of-week"));
        assert!(err("0 0 2 * * *").message.contains("no seconds field"));
        assert!(err("daily").message.contains("1 field,"));
        assert!(err("0 0 1 1 * 2024 x").message.contains("7 fields"));
    }

    #[test]
    fn rejects_out_of_range_values() {
        let e = err("60 * * * *");
        assert_eq!(e.message, "`60` is out of range for the minute field");
        assert_eq!(e.help, "use 0-59");
        assert!(err("* 24 * * *").help.contains("0-23"));
        assert!(err("* * 0 * *").help.contains("1-31"));
        assert!(err("* * 32 * *").help.contains("1-31"));
        assert!(err("* * * 0 *").help.contains("JAN-DEC"));
        assert!(err("* * * 13 *").help.contains("1-12"));
        assert!(err("* * * * 8").help.contains("SUN-SAT"));
        assert!(err("0-60 * * * *").message.contains("`60`"));
        assert!(err("99999999999999999999 * * * *")
            .message
            .contains("out of range"));
    }

    #[test]
    fn rejects_sunday_as_seven() {
        let e = err("0 0 * * 7");
        assert!(e.help.contains("`0` or `SUN`"), "{e}");
        assert!(err("0 0 * * 5-7").help.contains("`SUN`"));
    }

    #[test]
    fn rejects_bad_steps_and_ranges() {
        let e = err("*/0 * * * *");
        assert!(e.message.contains("step of zero"), "{e}");
        assert!(err("0-30/0 * * * *").message.contains("step of zero"));
        let e = err("30-10 * * * *");
        assert!(e.message.contains("runs backwards"), "{e}");
        assert!(e.help.contains("`10-30`"));
        assert!(err("* * * * FRI-MON").message.contains("runs backwards"));
        assert!(err("*/5/2 * * * *").message.contains("more than one `/`"));
        assert!(err("1-2-3 * * * *").message.contains("more than one `-`"));
        assert!(err("*-5 * * * *").message.contains("combines `*`"));
        assert!(err("*/ * * * *").message.contains("step is missing"));
        assert!(err("1- * * * *").message.contains("value is missing"));
        assert!(err("-1 * * * *").message.contains("value is missing"));
        assert!(err("*/x * * * *").message.contains("not a valid step"));
        assert!(err("*/-1 * * * *").message.contains("not a valid step"));
    }

    #[test]
    fn rejects_bad_items() {
        assert!(err("1,,2 * * * *").message.contains("empty list item"));
        assert!(err(",1 * * * *").message.contains("empty list item"));
        assert!(err("1, * * * *").message.contains("empty list item"));
        let e = err("? * * * *");
        assert!(
            e.message.contains("`?` is not allowed in the minute field"),
            "{e}"
        );
        assert!(err("* * * ? *").message.contains("month"));
        let e = err("0 0 L * *");
        assert!(e.help.contains("no `L`"), "{e}");
        assert!(err("0 0 * * 5#3").help.contains("no `L`"));
        assert!(err("0 0 15W * *").help.contains("no `L`"));
        let e = err("0 0 * * MONDAY");
        assert!(
            e.message
                .contains("not a valid value in the day-of-week field"),
            "{e}"
        );
        assert!(e.help.contains("SUN-SAT"));
        assert!(err("0 0 * * +1").message.contains("not a valid value"));
        assert!(err("0 JAN * * *").message.contains("hour"));
        assert!(err("0 0 * * ١").message.contains("contains `١`"));
        assert!(err("0 0 * * \u{0}").message.contains("U+0000"));
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let huge = "*".repeat(1 << 20);
        assert!(parse_cron(&huge).is_err());
        let many = "1,".repeat(500_000);
        assert!(parse_cron(&format!("{many}1 * * * *")).is_ok());
        let e = err(&format!("{many} * * * *"));
        assert!(e.message.chars().count() < 200, "{}", e.message);
        let fields = "* ".repeat(1 << 19);
        assert!(err(&fields).message.contains("524288 fields"));
        assert!(parse_cron("\u{202e}* * * * *").is_err());
        assert!(parse_cron("💥 * * * *").is_err());
        assert!(parse_cron("@💥").is_err());
        assert!(parse_cron("TZ=").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in ".*") {
            let _ = parse_cron(&s);
        }

        #[test]
        fn cron_shaped_strings_never_panic(
            s in "(@[a-z]{0,8} ?)?([-*/?,0-9A-Za-z#]{1,8} ){0,6}[-*/?,0-9A-Za-z]{0,8}"
        ) {
            if let Ok(c) = parse_cron(&s) {
                // Normalized text parses again to itself.
                prop_assert_eq!(parse_cron(c.as_str()).map(|d| d.to_string()), Ok(c.to_string()));
            }
        }

        #[test]
        fn in_range_numbers_parse(m in 0u32..60, h in 0u32..24, dom in 1u32..32, mon in 1u32..13, dow in 0u32..7) {
            let s = format!("{m} {h} {dom} {mon} {dow}");
            prop_assert_eq!(parse_cron(&s).map(|c| c.to_string()), Ok(s));
        }

        #[test]
        fn steps_parse(step in 1u32..100, start in 0u32..60) {
            let s = format!("{start}-59/{step} * * * *");
            prop_assert!(parse_cron(&s).is_ok());
        }
    }
}
