//! Round-trip tests: everything we emit must parse back (with serde_norway) to exactly the
//! value we emitted, and every plain scalar must satisfy the conservative YAML 1.1-safe rule.

#[cfg(test)]
mod common;

use common::{assert_lint_clean, assert_same, contexts, hostile_strings, parse_documents};
use platc_yaml::{is_plain_safe, Mapping, Yaml};

/// An independent statement of when a plain scalar is safe for YAML 1.1 *and* 1.2 readers,
/// written differently from the library's check on purpose.
fn independently_plain_safe(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let first_ok = first.is_ascii_alphabetic() || first == '/';
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "_./:-".contains(c));
    let lower = s.to_ascii_lowercase();
    let words = [
        "y", "n", "yes", "no", "true", "false", "on", "off", "null", "nan", "inf", "infinity",
    ];
    first_ok && rest_ok && !s.ends_with(':') && !words.contains(&lower.as_str())
}

/// If the scalar `s` is written plain at the top level, returns true.
fn emitted_plain(s: &str) -> bool {
    let text = platc_yaml::to_string(&Yaml::from(s));
    !(text.starts_with('"') || text.starts_with('|'))
}

#[test]
fn hostile_strings_roundtrip_in_every_context() {
    for s in hostile_strings() {
        for doc in contexts(&s) {
            let text = common::roundtrip(&doc);
            assert_lint_clean(&text);
        }
    }
}

#[test]
fn hostile_strings_plain_only_when_provably_safe() {
    for s in hostile_strings() {
        let plain = emitted_plain(&s);
        assert_eq!(plain, is_plain_safe(&s), "{s:?}");
        if plain {
            assert!(independently_plain_safe(&s), "plain but not safe: {s:?}");
            // Keys follow the same rule (very long keys become explicit `? key` keys).
            let text = platc_yaml::to_string(&Mapping::new().with(&s, 1).into());
            if s.len() <= 1000 {
                assert_eq!(text, format!("{s}: 1\n"));
            } else {
                assert_eq!(text, format!("? {s}\n: 1\n"));
            }
        }
    }
}

#[test]
fn yaml11_specials_are_quoted() {
    let specials = [
        "yes",
        "Yes",
        "YES",
        "no",
        "No",
        "NO",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
        "y",
        "Y",
        "n",
        "N",
        "true",
        "True",
        "TRUE",
        "false",
        "False",
        "FALSE",
        "null",
        "Null",
        "NULL",
        "~",
        "",
        "0x10",
        "1e3",
        "010",
        "0o17",
        "1_000",
        "12:30",
        ".inf",
        "-.nan",
        "+1",
        "1.0",
        "-1",
        "2001-12-14",
        "<<",
        "=",
        ".NaN",
        "NaN",
        "Inf",
        "8080",
    ];
    for s in specials {
        let text = platc_yaml::to_string(&Yaml::from(s));
        assert!(text.starts_with('"'), "{s:?} emitted as {text:?}");
        let key = platc_yaml::to_string(&Mapping::new().with(s, 1).into());
        assert!(key.starts_with('"'), "key {s:?} emitted as {key:?}");
    }
}

#[test]
fn common_kubernetes_strings_stay_plain() {
    for s in [
        "v1",
        "apps/v1",
        "Deployment",
        "app.kubernetes.io/name",
        "app.kubernetes.io/managed-by",
        "nginx:1.25",
        "registry.example.com/team/app:v1.2.3",
        "ClusterIP",
        "TCP",
        "/etc/config",
        "https://example.com/path",
        "RollingUpdate",
        "my-app_2",
    ] {
        assert!(emitted_plain(s), "{s:?} should be plain");
        common::roundtrip(&Yaml::from(s));
    }
}

#[test]
fn multi_line_strings_use_block_scalars_when_safe() {
    let block = [
        ("a\nb", "k: |-\n  a\n  b\n"),
        ("a\nb\n", "k: |\n  a\n  b\n"),
        ("a\n", "k: |\n  a\n"),
        ("\nleading blank\n", "k: |\n\n  leading blank\n"),
        ("first\n  indented\n", "k: |\n  first\n    indented\n"),
        ("a\n\tb", "k: |-\n  a\n  \tb\n"),
        ("a\n\n\nb", "k: |-\n  a\n\n\n  b\n"),
    ];
    for (s, expected) in block {
        let doc: Yaml = Mapping::new().with("k", s).into();
        assert_eq!(platc_yaml::to_string(&doc), expected, "{s:?}");
        common::roundtrip(&doc);
    }
    // Fall back to double quotes: trailing whitespace, leading indentation, CR, escapes,
    // several trailing newlines, more than two blank lines in a row, only newlines.
    for s in [
        "a \nb",
        "a\t\nb",
        " a\nb",
        "\ta\nb",
        "\n a",
        "a\r\nb",
        "a\nb\u{85}",
        "a\n\0",
        "a\n\n",
        "a\n\n\n\nb",
        "\n\n\n\na",
        "\n",
        "\n\n",
        "a\n\u{feff}",
    ] {
        let doc: Yaml = Mapping::new().with("k", s).into();
        let text = platc_yaml::to_string(&doc);
        assert!(text.starts_with("k: \""), "{s:?} emitted as {text:?}");
        assert_eq!(text.lines().count(), 1, "{s:?}");
        common::roundtrip(&doc);
    }
}

#[test]
fn block_scalars_indent_correctly_when_nested() {
    let cfg = "server {\n  listen 80;\n}\n";
    let doc: Yaml = Mapping::new()
        .with(
            "spec",
            Mapping::new().with(
                "containers",
                vec![Yaml::from(Mapping::new().with("script", cfg).with(
                    "args",
                    vec![Yaml::from(cfg), Yaml::from(vec![Yaml::from(cfg)])],
                ))],
            ),
        )
        .into();
    let text = common::roundtrip(&doc);
    let expected = "\
spec:
  containers:
    - script: |
        server {
          listen 80;
        }
      args:
        - |
          server {
            listen 80;
          }
        -
          - |
            server {
              listen 80;
            }
";
    assert_eq!(text, expected);
}

#[test]
fn multi_document_stream_roundtrips() {
    let docs: Vec<Yaml> = vec![
        Mapping::new().with("a", "x\n").into(),
        Yaml::from("---"),
        Yaml::Seq(vec![Yaml::from("a\nb"), Yaml::Null]),
        Mapping::new().with("b", Mapping::new()).into(),
        Yaml::from("...\n"),
        Yaml::Null,
        Mapping::new().with("---", "...").into(),
    ];
    let text = platc_yaml::to_documents(&docs);
    assert_lint_clean(&text);
    let parsed = parse_documents(&text);
    assert_eq!(parsed.len(), docs.len(), "{text}");
    for (doc, value) in docs.iter().zip(&parsed) {
        assert_same(&common::to_value(doc), value, "$");
    }
}

#[test]
fn integers_roundtrip() {
    for i in [0, 1, -1, 8080, i64::MAX, i64::MIN, 10, -10] {
        common::roundtrip(&Yaml::Int(i));
        common::roundtrip(&Mapping::new().with("n", i).into());
    }
}

#[test]
fn write_appends() {
    let mut out = String::from("# header\n");
    platc_yaml::write(&Mapping::new().with("a", 1).into(), &mut out);
    assert_eq!(out, "# header\na: 1\n");
}
