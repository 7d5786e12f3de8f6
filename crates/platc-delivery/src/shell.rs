//! Quoting for bash words in generated scripts and guides.

/// `s` as one bash word that always stays on one line: unchanged when it consists of
/// characters no shell treats specially, single-quoted otherwise, and ANSI-C quoted (`$'…'`)
/// when it contains control characters.
pub(crate) fn sh_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        return s.to_string();
    }
    if !s.chars().any(char::is_control) {
        return format!("'{}'", s.replace('\'', "'\\''"));
    }
    let mut out = String::from("$'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(sh_quote("shop-test"), "shop-test");
        assert_eq!(sh_quote(""), "''");
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), "'it'\\''s'");
        assert_eq!(sh_quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(sh_quote("a\nb'"), "$'a\\nb\\''");
        assert!(!sh_quote("x\ny\u{7}").contains('\n'));
    }

    #[test]
    fn quoted_words_survive_bash() {
        let Ok(out) = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "printf '%s' {}",
                sh_quote("a 'b' $HOME `x`\n\t\\ \u{1}")
            ))
            .output()
        else {
            return; // no bash here
        };
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "a 'b' $HOME `x`\n\t\\ \u{1}"
        );
    }
}
