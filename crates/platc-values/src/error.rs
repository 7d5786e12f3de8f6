//! The error type shared by every parser, and the helper that quotes user input in messages.

use std::fmt;

/// Why a value was rejected, and how to fix it.
///
/// Both fields are single sentences without a trailing period, meant to be shown to the person
/// who wrote the value: `message` says precisely what is wrong (quoting the input), `help` says
/// how to fix it (with an example where possible).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// What is wrong, e.g. "`500x` is not a CPU quantity".
    pub message: String,
    /// How to fix it, e.g. "write millicores like `500m` or cores like `0.5` or `2`".
    pub help: String,
}

impl ValueError {
    /// Builds an error from its two sentences.
    pub fn new(message: impl Into<String>, help: impl Into<String>) -> Self {
        ValueError {
            message: message.into(),
            help: help.into(),
        }
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (help: {})", self.message, self.help)
    }
}

impl std::error::Error for ValueError {}

/// How many characters of user input a message quotes before cutting it short with `…`.
const SHOWN_CHARS: usize = 48;

/// Quotes user input for a message: in backticks, control characters escaped (`\n`, `\u{7}`),
/// backticks escaped, and cut to [`SHOWN_CHARS`] characters with a trailing `…`, so that a
/// hostile or huge input still gives a one-line, readable message.
pub(crate) fn show(input: &str) -> String {
    let mut out = String::from("`");
    for (i, c) in input.chars().enumerate() {
        if i >= SHOWN_CHARS {
            out.push('…');
            break;
        }
        if c == '`' {
            out.push_str("\\`");
        } else if c.is_control() || (c.is_whitespace() && c != ' ') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('`');
    out
}

/// Describes one character for a message: printable ones in backticks, others by code point.
pub(crate) fn show_char(c: char) -> String {
    if c == ' ' {
        "a space".to_string()
    } else if c.is_control() || c.is_whitespace() {
        format!("the character U+{:04X}", u32::from(c))
    } else if c == '`' {
        "a backtick".to_string()
    } else {
        format!("`{c}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_quotes_plain_input() {
        assert_eq!(show("500x"), "`500x`");
        assert_eq!(show(""), "``");
    }

    #[test]
    fn show_escapes_control_and_backticks() {
        assert_eq!(show("a\nb"), "`a\\nb`");
        assert_eq!(show("a`b"), "`a\\`b`");
        assert_eq!(show("a\u{7}"), "`a\\u{7}`");
        assert_eq!(show("a\tb"), "`a\\tb`");
    }

    #[test]
    fn show_truncates_huge_input() {
        let huge = "x".repeat(1 << 20);
        let s = show(&huge);
        assert!(s.chars().count() <= SHOWN_CHARS + 3);
        assert!(s.ends_with("…`"));
    }

    #[test]
    fn show_handles_unicode() {
        assert_eq!(show("héllo"), "`héllo`");
        let s = show(&"é".repeat(100));
        assert!(s.ends_with("…`"));
    }

    #[test]
    fn show_char_describes() {
        assert_eq!(show_char('x'), "`x`");
        assert_eq!(show_char(' '), "a space");
        assert_eq!(show_char('\n'), "the character U+000A");
        assert_eq!(show_char('`'), "a backtick");
    }

    #[test]
    fn display_has_both_sentences() {
        let e = ValueError::new("m", "h");
        assert_eq!(e.to_string(), "m (help: h)");
    }
}
