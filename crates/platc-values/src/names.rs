//! Kubernetes name rules, with messages that point at the offending character and helps that
//! suggest a fixed name where one can be made.
//!
//! | function | rule (as `k8s.io/apimachinery/pkg/util/validation`) | used for |
//! | --- | --- | --- |
//! | [`check_dns_label`] | RFC 1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, ≤ 63 | most object names, namespaces |
//! | [`check_dns1035_label`] | RFC 1035 label: `[a-z]([-a-z0-9]*[a-z0-9])?`, ≤ 63 | Service names |
//! | [`check_dns_subdomain`] | RFC 1123 labels joined by `.`, ≤ 253 in all | domains, ConfigMap names |
//! | [`check_label_value`] | `(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?`, ≤ 63 | label values |
//! | [`check_hostname`] | lower-case DNS name, each label ≤ 63, ≤ 253, not an IP | Ingress hosts |
//! | [`check_hostname_or_wildcard`] | as above, or `*.` + a hostname | Ingress hosts with wildcards |
//! | [`check_env_var_name`] | C identifier `[A-Za-z_][A-Za-z0-9_]*` | environment variables |
//! | [`check_url_path`] | `/` then `[A-Za-z0-9._~!$&'()*+,;=:@%/-]*`, no `//`, valid `%XX` | Ingress paths |

use crate::error::{show, show_char, ValueError};

/// Longest DNS label.
pub const MAX_LABEL: usize = 63;
/// Longest DNS subdomain or hostname.
pub const MAX_SUBDOMAIN: usize = 253;

/// The help for a name that breaks the label rules: a fixed name when one can be made.
fn label_help(s: &str, rule: &str) -> String {
    match suggest_dns_label(s) {
        Some(fixed) if fixed != s => format!("{rule}, for example {}", show(&fixed)),
        _ => rule.to_string(),
    }
}

const LABEL_RULE: &str =
    "use lower-case letters, digits and `-`, starting and ending with a letter or digit";

/// Checks one RFC 1123 label (without length or emptiness checks) and explains the first
/// problem. `what` names the thing being checked in messages ("name", "label").
fn label_chars(
    label: &str,
    whole: &str,
    what: &str,
    help: &dyn Fn() -> String,
) -> Result<(), ValueError> {
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        let message = if c.is_ascii_uppercase() {
            format!("the {what} {} contains upper-case letters", show(whole))
        } else {
            format!("the {what} {} contains {}", show(whole), show_char(c))
        };
        return Err(ValueError::new(message, help()));
    }
    if label.starts_with('-') || label.ends_with('-') {
        let end = if label.starts_with('-') {
            "starts"
        } else {
            "ends"
        };
        return Err(ValueError::new(
            format!("the {what} {} {end} with `-`", show(whole)),
            help(),
        ));
    }
    Ok(())
}

fn too_long(s: &str, what: &str, len: usize, max: usize, help: String) -> ValueError {
    ValueError::new(
        format!(
            "the {what} {} is {len} characters long, more than {max}",
            show(s)
        ),
        help,
    )
}

/// Checks an RFC 1123 DNS label: 1–63 characters of `a-z`, `0-9` and `-`, starting and ending
/// with a letter or digit. This is the rule for most Kubernetes object names and namespaces.
pub fn check_dns_label(s: &str) -> Result<(), ValueError> {
    if s.is_empty() {
        return Err(ValueError::new("the name is empty", LABEL_RULE));
    }
    let help = || label_help(s, LABEL_RULE);
    label_chars(s, s, "name", &help)?;
    let len = s.len();
    if len > MAX_LABEL {
        return Err(too_long(
            s,
            "name",
            len,
            MAX_LABEL,
            format!("shorten it to at most {MAX_LABEL} characters"),
        ));
    }
    Ok(())
}

/// Checks an RFC 1035 DNS label: like [`check_dns_label`], but it must start with a letter.
/// Kubernetes requires this of Service names.
pub fn check_dns1035_label(s: &str) -> Result<(), ValueError> {
    const RULE: &str = "use lower-case letters, digits and `-`, starting with a letter and ending with a letter or digit";
    if s.is_empty() {
        return Err(ValueError::new("the name is empty", RULE));
    }
    let help = || match suggest_dns_label(s) {
        Some(fixed) if fixed.starts_with(|c: char| c.is_ascii_digit()) => {
            let mut prefixed = format!("s-{fixed}");
            prefixed.truncate(MAX_LABEL);
            format!(
                "{RULE}, for example {}",
                show(prefixed.trim_end_matches('-'))
            )
        }
        Some(fixed) if fixed != s => format!("{RULE}, for example {}", show(&fixed)),
        _ => RULE.to_string(),
    };
    label_chars(s, s, "name", &help)?;
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(ValueError::new(
            format!("the name {} starts with a digit", show(s)),
            help(),
        ));
    }
    let len = s.len();
    if len > MAX_LABEL {
        return Err(too_long(
            s,
            "name",
            len,
            MAX_LABEL,
            format!("shorten it to at most {MAX_LABEL} characters"),
        ));
    }
    Ok(())
}

/// Checks a DNS subdomain as Kubernetes does: 1–253 characters, RFC 1123 labels joined by
/// single dots. As in Kubernetes' `IsDNS1123Subdomain`, single labels are *not* limited to 63
/// characters here; use [`check_hostname`] where real DNS limits apply.
pub fn check_dns_subdomain(s: &str) -> Result<(), ValueError> {
    dotted(s, "domain", false)
}

/// Checks an Ingress host: a lower-case DNS name of labels of at most 63 characters, at most
/// 253 characters in all, no trailing dot, and not an IP address. A single label (`localhost`)
/// is allowed, as Kubernetes allows it; wildcards are not (see [`check_hostname_or_wildcard`]).
pub fn check_hostname(s: &str) -> Result<(), ValueError> {
    if s.starts_with("*.") {
        return Err(ValueError::new(
            format!("the host {} is a wildcard", show(s)),
            "give one host name here, like `api.example.com`",
        ));
    }
    dotted(s, "host", true)?;
    if s.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(ValueError::new(
            format!("the host {} is an IP address", show(s)),
            "Ingress hosts must be DNS names, like `api.example.com`",
        ));
    }
    Ok(())
}

/// Checks an Ingress host that may be a wildcard: either a hostname as in [`check_hostname`]
/// or `*.` followed by one (`*.example.com`; the `*` matches exactly one label).
pub fn check_hostname_or_wildcard(s: &str) -> Result<(), ValueError> {
    match s.strip_prefix("*.") {
        Some(rest) => {
            if rest.is_empty() {
                return Err(ValueError::new(
                    format!("the host {} has nothing after `*.`", show(s)),
                    "write a wildcard like `*.example.com`",
                ));
            }
            if s.len() > MAX_SUBDOMAIN {
                return Err(too_long(
                    s,
                    "host",
                    s.len(),
                    MAX_SUBDOMAIN,
                    "use a shorter domain".to_string(),
                ));
            }
            dotted(rest, "host", true)
        }
        None => {
            if s.contains('*') {
                return Err(ValueError::new(
                    format!("the host {} has a `*` that is not a leading `*.`", show(s)),
                    "a wildcard host is `*.` followed by a domain, like `*.example.com`",
                ));
            }
            check_hostname(s)
        }
    }
}

/// Dot-separated RFC 1123 labels, ≤ 253 in all; `per_label_limit` adds the 63-character limit.
fn dotted(s: &str, what: &str, per_label_limit: bool) -> Result<(), ValueError> {
    const RULE: &str = "use lower-case letters, digits, `-` and `.`, like `api.example.com`";
    if s.is_empty() {
        return Err(ValueError::new(format!("the {what} is empty"), RULE));
    }
    let lowered = s.to_ascii_lowercase();
    let help = || {
        if lowered != s && dotted(&lowered, what, per_label_limit).is_ok() {
            format!("write it in lower case: {}", show(&lowered))
        } else {
            RULE.to_string()
        }
    };
    if let Some(without) = s.strip_suffix('.') {
        if !without.is_empty() && !without.split('.').any(str::is_empty) {
            return Err(ValueError::new(
                format!("the {what} {} ends with a dot", show(s)),
                format!("remove the trailing dot: {}", show(without)),
            ));
        }
    }
    for label in s.split('.') {
        if label.is_empty() {
            return Err(ValueError::new(
                format!("the {what} {} has an empty part between dots", show(s)),
                "separate the parts with single dots, like `api.example.com`",
            ));
        }
        label_chars(label, s, what, &help)?;
        if per_label_limit && label.len() > MAX_LABEL {
            return Err(ValueError::new(
                format!(
                    "the {what} {} has a part {} characters long, more than {MAX_LABEL}",
                    show(s),
                    label.len()
                ),
                format!("shorten {} to at most {MAX_LABEL} characters", show(label)),
            ));
        }
    }
    if s.len() > MAX_SUBDOMAIN {
        return Err(too_long(
            s,
            what,
            s.len(),
            MAX_SUBDOMAIN,
            format!("shorten it to at most {MAX_SUBDOMAIN} characters"),
        ));
    }
    Ok(())
}

/// Checks a Kubernetes label value: empty, or up to 63 characters of letters, digits, `-`,
/// `_` and `.`, starting and ending with a letter or digit.
pub fn check_label_value(s: &str) -> Result<(), ValueError> {
    const RULE: &str =
        "use letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit";
    if s.is_empty() {
        return Ok(());
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        let fixed: String = s
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let fixed = fixed.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        let help = if !fixed.is_empty() && fixed.len() <= MAX_LABEL {
            format!("{RULE}, for example {}", show(fixed))
        } else {
            RULE.to_string()
        };
        return Err(ValueError::new(
            format!("the label value {} contains {}", show(s), show_char(c)),
            help,
        ));
    }
    let first_bad = !s.starts_with(|c: char| c.is_ascii_alphanumeric());
    if first_bad || !s.ends_with(|c: char| c.is_ascii_alphanumeric()) {
        let end = if first_bad { "start" } else { "end" };
        let fixed = s.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        let help = if fixed.is_empty() {
            RULE.to_string()
        } else {
            format!("{RULE}, for example {}", show(fixed))
        };
        return Err(ValueError::new(
            format!(
                "the label value {} does not {end} with a letter or digit",
                show(s)
            ),
            help,
        ));
    }
    if s.len() > MAX_LABEL {
        return Err(too_long(
            s,
            "label value",
            s.len(),
            MAX_LABEL,
            format!("shorten it to at most {MAX_LABEL} characters"),
        ));
    }
    Ok(())
}

/// Checks an environment variable name as a C identifier: `[A-Za-z_][A-Za-z0-9_]*`.
///
/// Kubernetes itself accepts more (any printable characters but `=`), but names outside this
/// set cannot be read by most shells and programs.
pub fn check_env_var_name(s: &str) -> Result<(), ValueError> {
    const RULE: &str =
        "use letters, digits and `_`, not starting with a digit, like `DATABASE_URL`";
    if s.is_empty() {
        return Err(ValueError::new("the variable name is empty", RULE));
    }
    let fixed = {
        let mut f: String = s
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if f.starts_with(|c: char| c.is_ascii_digit()) {
            f.insert(0, '_');
        }
        f
    };
    let help = || {
        if fixed.trim_matches('_').is_empty() {
            RULE.to_string()
        } else {
            format!(
                "use letters, digits and `_`, not starting with a digit: {}",
                show(&fixed)
            )
        }
    };
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Err(ValueError::new(
            format!("the variable name {} contains {}", show(s), show_char(c)),
            help(),
        ));
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(ValueError::new(
            format!("the variable name {} starts with a digit", show(s)),
            help(),
        ));
    }
    Ok(())
}

/// Checks an Ingress path for `pathType: Prefix`: it starts with `/` and continues with
/// `A-Z a-z 0-9 . _ ~ ! $ & ' ( ) * + , ; = : @ % / -` only (what ingress-nginx accepts when it
/// validates paths). Two further rules catch mistakes: no empty segment (`//`), and every `%`
/// starts a percent-escape of two hex digits (`%20`).
pub fn check_url_path(s: &str) -> Result<(), ValueError> {
    const RULE: &str =
        "write a path like `/` or `/api/v1` of letters, digits and `-._~!$&'()*+,;=:@%/`";
    if s.is_empty() {
        return Err(ValueError::new(
            "the path is empty",
            "write `/` to match every path",
        ));
    }
    if !s.starts_with('/') {
        return Err(ValueError::new(
            format!("the path {} does not start with `/`", show(s)),
            format!("write {}", show(&format!("/{s}"))),
        ));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._~!$&'()*+,;=:@%/-".contains(c);
    if let Some(c) = s.chars().find(|c| !allowed(*c)) {
        let help = if c == '?' || c == '#' {
            "a path cannot hold a query or fragment; remove everything from the `?` or `#`"
                .to_string()
        } else if c.is_whitespace() {
            "write spaces as `%20`, or leave them out".to_string()
        } else {
            RULE.to_string()
        };
        return Err(ValueError::new(
            format!("the path {} contains {}", show(s), show_char(c)),
            help,
        ));
    }
    if s.contains("//") {
        let mut collapsed = String::with_capacity(s.len());
        for c in s.chars() {
            if !(c == '/' && collapsed.ends_with('/')) {
                collapsed.push(c);
            }
        }
        return Err(ValueError::new(
            format!("the path {} has an empty segment (`//`)", show(s)),
            format!("collapse it: {}", show(&collapsed)),
        ));
    }
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'%' {
            let hex = |k: usize| bytes.get(k).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i.saturating_add(1)) && hex(i.saturating_add(2))) {
                return Err(ValueError::new(
                    format!(
                        "the path {} has a `%` that is not followed by two hex digits",
                        show(s)
                    ),
                    "write `%` as `%25`, or escape a character like `%20` for a space",
                ));
            }
        }
    }
    Ok(())
}

/// Makes a valid RFC 1123 label out of any text, for "did you mean" helps: lower-cases ASCII
/// letters, keeps digits and `-`, turns each run of other characters (`_`, `.`, spaces,
/// non-ASCII) into a single `-`, trims `-` from both ends and cuts the result to 63
/// characters. Returns `None` when nothing usable is left (`""`, `"__"`, `"ü"`).
///
/// The result always passes [`check_dns_label`]; for a valid label it is the label itself.
///
/// ```
/// use platc_values::names::suggest_dns_label;
/// assert_eq!(suggest_dns_label("My_Service"), Some("my-service".to_string()));
/// assert_eq!(suggest_dns_label("--"), None);
/// ```
pub fn suggest_dns_label(s: &str) -> Option<String> {
    let mut out = String::new();
    // Whether the `-` at the end of `out` replaced other characters.
    let mut replaced = false;
    for c in s.chars() {
        if out.len() > MAX_LABEL {
            break;
        }
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            replaced = false;
        } else if out.is_empty() {
            // Leading separators are dropped.
        } else if c == '-' {
            // A user's own `-` is kept (so `x--y` stays), merged with a replacement before it.
            if !replaced {
                out.push('-');
            }
        } else if !out.ends_with('-') {
            out.push('-');
            replaced = true;
        }
    }
    out.truncate(MAX_LABEL);
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        None
    } else {
        Some(trimmed.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn err(r: Result<(), ValueError>) -> ValueError {
        match r {
            Ok(()) => panic!("should fail"),
            Err(e) => e,
        }
    }

    #[test]
    fn dns_labels() {
        for ok in [
            "a",
            "0",
            "my-app",
            "a1",
            "1a",
            "a-b-c",
            &"a".repeat(63),
            "x--y",
        ] {
            assert!(check_dns_label(ok).is_ok(), "{ok}");
        }
        let e = err(check_dns_label("My_App"));
        assert_eq!(e.message, "the name `My_App` contains upper-case letters");
        assert!(e.help.contains("`my-app`"), "{e}");
        let e = err(check_dns_label("my_app"));
        assert_eq!(e.message, "the name `my_app` contains `_`");
        assert!(e.help.contains("`my-app`"));
        assert!(err(check_dns_label("-app"))
            .message
            .contains("starts with `-`"));
        assert!(err(check_dns_label("app-"))
            .message
            .contains("ends with `-`"));
        assert!(err(check_dns_label("-"))
            .message
            .contains("starts with `-`"));
        assert!(err(check_dns_label("a.b")).message.contains("`.`"));
        assert!(err(check_dns_label("")).message.contains("empty"));
        let e = err(check_dns_label(&"a".repeat(64)));
        assert!(
            e.message.contains("64 characters long, more than 63"),
            "{e}"
        );
        assert!(err(check_dns_label("my app")).message.contains("a space"));
        assert!(err(check_dns_label("café")).message.contains("`é`"));
        assert!(err(check_dns_label("a\nb")).message.contains("U+000A"));
    }

    #[test]
    fn dns1035_labels() {
        assert!(check_dns1035_label("api").is_ok());
        assert!(check_dns1035_label("api-v2").is_ok());
        assert!(check_dns1035_label(&"a".repeat(63)).is_ok());
        let e = err(check_dns1035_label("2fa"));
        assert!(e.message.contains("starts with a digit"));
        assert!(e.help.contains("`s-2fa`"), "{e}");
        assert!(err(check_dns1035_label("Api")).help.contains("`api`"));
        assert!(err(check_dns1035_label("api-"))
            .message
            .contains("ends with `-`"));
        assert!(err(check_dns1035_label(&"a".repeat(64)))
            .message
            .contains("64 characters"));
        assert!(err(check_dns1035_label("")).message.contains("empty"));
    }

    #[test]
    fn subdomains() {
        for ok in ["example.com", "a", "a.b.c", "1.2.3.4", "x-1.example-2.io"] {
            assert!(check_dns_subdomain(ok).is_ok(), "{ok}");
        }
        // Kubernetes does not limit single labels of a subdomain to 63 characters.
        assert!(check_dns_subdomain(&"a".repeat(100)).is_ok());
        let long = ["a"; 127].join(".");
        assert_eq!(long.len(), 253);
        assert!(check_dns_subdomain(&long).is_ok());
        let e = err(check_dns_subdomain(&format!("{long}a")));
        assert!(
            e.message.contains("254 characters long, more than 253"),
            "{e}"
        );
        let e = err(check_dns_subdomain("Example.com"));
        assert!(e.help.contains("`example.com`"), "{e}");
        assert!(err(check_dns_subdomain("a..b"))
            .message
            .contains("empty part"));
        assert!(err(check_dns_subdomain(".a"))
            .message
            .contains("empty part"));
        assert!(err(check_dns_subdomain("a.com.")).help.contains("`a.com`"));
        assert!(err(check_dns_subdomain("a.-b.com"))
            .message
            .contains("starts with `-`"));
        assert!(err(check_dns_subdomain("a_b.com")).message.contains("`_`"));
        assert!(err(check_dns_subdomain("")).message.contains("empty"));
        assert!(err(check_dns_subdomain(".")).message.contains("empty part"));
        assert!(err(check_dns_subdomain("a.."))
            .message
            .contains("empty part"));
    }

    #[test]
    fn hostnames() {
        for ok in [
            "example.com",
            "api.test.example.com",
            "localhost",
            "a1.b2",
            "xn--bcher-kva.example",
        ] {
            assert!(check_hostname(ok).is_ok(), "{ok}");
        }
        let label63 = "a".repeat(63);
        assert!(check_hostname(&format!("{label63}.com")).is_ok());
        let e = err(check_hostname(&format!("{}.com", "a".repeat(64))));
        assert!(e.message.contains("part 64 characters long"), "{e}");
        let long = [label63.as_str(); 4].join(".");
        assert_eq!(long.len(), 255);
        assert!(err(check_hostname(&long))
            .message
            .contains("255 characters"));
        assert!(err(check_hostname("*.example.com"))
            .message
            .contains("wildcard"));
        assert!(err(check_hostname("10.0.0.1"))
            .message
            .contains("IP address"));
        assert!(err(check_hostname("::1")).message.contains("`:`"));
        assert!(err(check_hostname("API.Example.com"))
            .help
            .contains("`api.example.com`"));
        assert!(err(check_hostname("example.com."))
            .message
            .contains("ends with a dot"));
        assert!(err(check_hostname("example.com:8080"))
            .message
            .contains("`:`"));
        assert!(err(check_hostname("https://example.com"))
            .message
            .contains("`:`"));
        assert!(err(check_hostname("")).message.contains("empty"));
        assert!(err(check_hostname("ex ample.com"))
            .message
            .contains("a space"));
        assert!(err(check_hostname("bücher.example"))
            .message
            .contains("`ü`"));
    }

    #[test]
    fn wildcard_hostnames() {
        assert!(check_hostname_or_wildcard("*.example.com").is_ok());
        assert!(check_hostname_or_wildcard("example.com").is_ok());
        assert!(check_hostname_or_wildcard("*.com").is_ok());
        assert!(err(check_hostname_or_wildcard("*."))
            .message
            .contains("nothing after"));
        assert!(err(check_hostname_or_wildcard("*"))
            .message
            .contains("not a leading"));
        assert!(err(check_hostname_or_wildcard("a.*.com"))
            .message
            .contains("not a leading"));
        assert!(err(check_hostname_or_wildcard("*.*.com"))
            .message
            .contains("`*`"));
        assert!(err(check_hostname_or_wildcard("*example.com"))
            .message
            .contains("not a leading"));
        let long = format!("*.{}", ["a"; 126].join("."));
        assert_eq!(long.len(), 253);
        assert!(check_hostname_or_wildcard(&long).is_ok());
        assert!(err(check_hostname_or_wildcard(&format!("{long}a")))
            .message
            .contains("254"));
    }

    #[test]
    fn label_values() {
        for ok in ["", "a", "A", "team-A_1.x", &"a".repeat(63), "1"] {
            assert!(check_label_value(ok).is_ok(), "{ok}");
        }
        let e = err(check_label_value("team a"));
        assert!(e.message.contains("a space"));
        assert!(e.help.contains("`team-a`"), "{e}");
        let e = err(check_label_value("_team"));
        assert!(e.message.contains("does not start"), "{e}");
        assert!(e.help.contains("`team`"));
        assert!(err(check_label_value("team."))
            .message
            .contains("does not end"));
        assert!(err(check_label_value("-")).help.starts_with("use letters"));
        assert!(err(check_label_value(&"a".repeat(64)))
            .message
            .contains("64 characters"));
        assert!(err(check_label_value("a/b")).message.contains("`/`"));
        assert!(err(check_label_value("ü")).message.contains("`ü`"));
    }

    #[test]
    fn env_var_names() {
        for ok in ["A", "_", "DATABASE_URL", "my_var", "_1", "a1B2"] {
            assert!(check_env_var_name(ok).is_ok(), "{ok}");
        }
        let e = err(check_env_var_name("MY-VAR"));
        assert_eq!(e.message, "the variable name `MY-VAR` contains `-`");
        assert!(e.help.contains("`MY_VAR`"), "{e}");
        let e = err(check_env_var_name("1VAR"));
        assert!(e.message.contains("starts with a digit"));
        assert!(e.help.contains("`_1VAR`"));
        assert!(err(check_env_var_name("a.b")).help.contains("`a_b`"));
        assert!(err(check_env_var_name("A=B")).message.contains("`=`"));
        assert!(err(check_env_var_name("")).message.contains("empty"));
        assert!(err(check_env_var_name("-"))
            .help
            .contains("like `DATABASE_URL`"));
        assert!(err(check_env_var_name("É")).message.contains("`É`"));
    }

    #[test]
    fn url_paths() {
        for ok in [
            "/",
            "/api",
            "/api/v1/",
            "/a-b_c.d~e",
            "/%20x",
            "/:id",
            "/a;b=c",
            "/@me",
            "/*",
        ] {
            assert!(check_url_path(ok).is_ok(), "{ok}");
        }
        let e = err(check_url_path("api"));
        assert!(e.message.contains("does not start with `/`"));
        assert!(e.help.contains("`/api`"));
        let e = err(check_url_path("/a b"));
        assert!(e.message.contains("a space"));
        assert!(e.help.contains("%20"));
        assert!(err(check_url_path("/a?b=1")).help.contains("query"));
        assert!(err(check_url_path("/a#b")).help.contains("fragment"));
        let e = err(check_url_path("/a//b"));
        assert!(e.message.contains("`//`"));
        assert!(e.help.contains("`/a/b`"), "{e}");
        assert!(err(check_url_path("//")).help.contains("`/`"));
        assert!(err(check_url_path("/100%"))
            .message
            .contains("two hex digits"));
        assert!(err(check_url_path("/%zz"))
            .message
            .contains("two hex digits"));
        assert!(err(check_url_path("/%2"))
            .message
            .contains("two hex digits"));
        assert!(err(check_url_path("/a\\b")).message.contains("`\\`"));
        assert!(err(check_url_path("/a\nb")).message.contains("U+000A"));
        assert!(err(check_url_path("/ü")).message.contains("`ü`"));
        assert!(err(check_url_path("/{id}")).message.contains("`{`"));
        assert!(err(check_url_path("")).help.contains("`/`"));
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest_dns_label("My_Service"), Some("my-service".into()));
        assert_eq!(suggest_dns_label("my.app"), Some("my-app".into()));
        assert_eq!(
            suggest_dns_label("  Hello   World  "),
            Some("hello-world".into())
        );
        assert_eq!(suggest_dns_label("café-bar"), Some("caf-bar".into()));
        assert_eq!(suggest_dns_label("--a--"), Some("a".into()));
        assert_eq!(suggest_dns_label("x--y"), Some("x--y".into()));
        assert_eq!(suggest_dns_label("a__.b"), Some("a-b".into()));
        assert_eq!(suggest_dns_label("a-_b"), Some("a-b".into()));
        assert_eq!(suggest_dns_label("a_-b"), Some("a-b".into()));
        assert_eq!(suggest_dns_label("ok"), Some("ok".into()));
        assert_eq!(suggest_dns_label(""), None);
        assert_eq!(suggest_dns_label("__"), None);
        assert_eq!(suggest_dns_label("ü"), None);
        let long = format!("{}-{}", "a".repeat(62), "b".repeat(10));
        assert_eq!(suggest_dns_label(&long), Some("a".repeat(62)));
        assert_eq!(
            suggest_dns_label(&"x".repeat(1 << 20)),
            Some("x".repeat(63))
        );
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let huge = "a".repeat(1 << 20);
        assert!(check_dns_label(&huge).is_err());
        assert!(check_dns1035_label(&huge).is_err());
        assert!(check_dns_subdomain(&huge).is_err());
        assert!(check_hostname(&huge).is_err());
        assert!(check_hostname_or_wildcard(&format!("*.{huge}")).is_err());
        assert!(check_label_value(&huge).is_err());
        assert!(check_env_var_name(&huge).is_ok());
        assert!(check_url_path(&format!("/{huge}")).is_ok());
        let junk = "\u{0}💥\u{202e}`".repeat(100_000);
        for r in [
            check_dns_label(&junk),
            check_dns1035_label(&junk),
            check_dns_subdomain(&junk),
            check_hostname(&junk),
            check_hostname_or_wildcard(&junk),
            check_label_value(&junk),
            check_env_var_name(&junk),
            check_url_path(&junk),
        ] {
            let e = err(r);
            assert!(e.message.chars().count() < 200, "{}", e.message);
            assert!(e.help.chars().count() < 300, "{}", e.help);
        }
        let dots = ".".repeat(1 << 20);
        assert!(check_dns_subdomain(&dots).is_err());
        assert!(check_url_path(&"%".repeat(1 << 20)).is_err());
    }

    proptest! {
        #[test]
        fn never_panic(s in ".*") {
            let _ = check_dns_label(&s);
            let _ = check_dns1035_label(&s);
            let _ = check_dns_subdomain(&s);
            let _ = check_hostname(&s);
            let _ = check_hostname_or_wildcard(&s);
            let _ = check_label_value(&s);
            let _ = check_env_var_name(&s);
            let _ = check_url_path(&s);
            let _ = suggest_dns_label(&s);
        }

        #[test]
        fn suggestion_is_always_a_valid_label(s in ".{0,100}") {
            if let Some(fixed) = suggest_dns_label(&s) {
                prop_assert!(check_dns_label(&fixed).is_ok(), "{:?} -> {:?}", s, fixed);
            }
        }

        #[test]
        fn valid_labels_are_their_own_suggestion(s in "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?") {
            prop_assert!(check_dns_label(&s).is_ok());
            prop_assert_eq!(suggest_dns_label(&s), Some(s.clone()));
        }

        #[test]
        fn labels_agree_with_the_regex(s in "[-a-zA-Z0-9_.]{0,70}") {
            let regex_like = !s.is_empty()
                && s.len() <= 63
                && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !s.starts_with('-')
                && !s.ends_with('-');
            prop_assert_eq!(check_dns_label(&s).is_ok(), regex_like);
        }

        #[test]
        fn label_values_agree_with_the_regex(s in "[-a-zA-Z0-9_. ]{0,70}") {
            let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
            let regex_like = s.is_empty()
                || (s.len() <= 63
                    && s.chars().all(ok_char)
                    && s.starts_with(|c: char| c.is_ascii_alphanumeric())
                    && s.ends_with(|c: char| c.is_ascii_alphanumeric()));
            prop_assert_eq!(check_label_value(&s).is_ok(), regex_like);
        }
    }
}
