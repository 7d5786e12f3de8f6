//! Shared helpers for the round-trip tests: convert our `Yaml` to `serde_norway::Value`,
//! parse output back, and compare (including mapping key order).

#![allow(dead_code)]

use platc_yaml::{Mapping, Yaml};
use serde::Deserialize as _;
use serde_norway::Value;

/// What a YAML parser should read back for `y`.
pub fn to_value(y: &Yaml) -> Value {
    match y {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Int(i) => Value::Number((*i).into()),
        Yaml::Str(s) => Value::String(s.clone()),
        Yaml::Seq(items) => Value::Sequence(items.iter().map(to_value).collect()),
        Yaml::Map(m) => {
            let mut out = serde_norway::Mapping::new();
            for (k, v) in m {
                out.insert(Value::String(k.to_owned()), to_value(v));
            }
            Value::Mapping(out)
        }
    }
}

/// Asserts that `actual` equals `expected`, with mapping keys in the same order
/// (`serde_norway::Mapping`'s own equality ignores order).
pub fn assert_same(expected: &Value, actual: &Value, path: &str) {
    match (expected, actual) {
        (Value::Sequence(e), Value::Sequence(a)) => {
            assert_eq!(e.len(), a.len(), "sequence length at {path}");
            for (i, (e, a)) in e.iter().zip(a).enumerate() {
                assert_same(e, a, &format!("{path}[{i}]"));
            }
        }
        (Value::Mapping(e), Value::Mapping(a)) => {
            let ek: Vec<&Value> = e.keys().collect();
            let ak: Vec<&Value> = a.keys().collect();
            assert_eq!(ek, ak, "mapping keys (in order) at {path}");
            for ((k, e), (_, a)) in e.iter().zip(a.iter()) {
                assert_same(e, a, &format!("{path}.{}", short(k)));
            }
        }
        _ => assert!(
            expected == actual,
            "value mismatch at {path}:\n expected {}\n   actual {}",
            short(expected),
            short(actual)
        ),
    }
}

fn short(v: &Value) -> String {
    let s = format!("{v:?}");
    if s.len() > 200 {
        let mut cut = 200;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}...({} bytes)", &s[..cut], s.len())
    } else {
        s
    }
}

/// Emits `y`, parses it back and checks it reads as exactly `y`. Returns the emitted text.
pub fn roundtrip(y: &Yaml) -> String {
    let text = platc_yaml::to_string(y);
    let parsed: Value = serde_norway::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "output does not parse: {e}\n--- output ---\n{}",
            clip(&text)
        )
    });
    assert_same(&to_value(y), &parsed, "$");
    text
}

/// Parses every document of a stream.
pub fn parse_documents(text: &str) -> Vec<Value> {
    serde_norway::Deserializer::from_str(text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("bad document: {e}")))
        .collect()
}

pub fn clip(s: &str) -> String {
    if s.len() <= 2000 {
        return s.to_owned();
    }
    let mut cut = 2000;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}...({} bytes)", &s[..cut], s.len())
}

/// Structural checks every emitted text must pass (mirrors yamllint's default rules that we
/// can check without yamllint): unix newlines, one final newline, no trailing whitespace,
/// no tab used for indentation, at most two consecutive blank lines, no raw control chars.
pub fn assert_lint_clean(text: &str) {
    assert!(text.ends_with('\n'), "must end with a newline");
    assert!(!text.ends_with("\n\n"), "must not end with a blank line");
    assert!(!text.contains('\r'), "raw carriage return");
    let mut blank_run = 0;
    for (n, line) in text.split_terminator('\n').enumerate() {
        assert!(
            !line.ends_with([' ', '\t']),
            "trailing whitespace on line {}: {:?}",
            n + 1,
            clip(line)
        );
        assert!(!line.starts_with('\t'), "tab indentation on line {}", n + 1);
        if line.is_empty() {
            blank_run += 1;
            assert!(blank_run <= 2, "more than 2 blank lines at line {}", n + 1);
        } else {
            blank_run = 0;
        }
        for c in line.chars() {
            assert!(
                c == '\t' || !(c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')),
                "raw {c:?} on line {}",
                n + 1
            );
        }
    }
}

/// Strings that try to break a YAML emitter.
pub fn hostile_strings() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "   ",
        "\t",
        "\n",
        "\n\n",
        "\r\n",
        "a",
        "-",
        "--",
        "---",
        "...",
        "- a",
        "-a",
        "a-",
        "?",
        "? a",
        ":",
        "a:",
        ":a",
        "a:b",
        "a: b",
        "a :b",
        "a #b",
        "#",
        "# comment",
        "a#b",
        "\"",
        "'",
        "''",
        "\"\"",
        "\\",
        "\\n",
        "'a'",
        "\"a\"",
        "a'b",
        "a\"b",
        "{}",
        "[]",
        "{a: b}",
        "[a, b]",
        "{{ .Values.x }}",
        "{{x}}",
        "${x}",
        "%{x}",
        "%YAML 1.2",
        "%TAG",
        "*alias",
        "&anchor",
        "!tag",
        "!!str",
        "!!binary aGk=",
        "@",
        "@x",
        "`",
        "`cmd`",
        "|",
        "|-",
        "|+",
        ">",
        ">-",
        "a|b",
        "a>b",
        ",",
        "a,b",
        "<<",
        "=",
        "~",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "Y",
        "N",
        "Yes",
        "NO",
        "On",
        "OFF",
        "True",
        "TRUE",
        "true",
        "false",
        "False",
        "null",
        "Null",
        "NULL",
        "nan",
        "NaN",
        "inf",
        "Infinity",
        "0",
        "00",
        "-0",
        "0x10",
        "0X1F",
        "0o17",
        "0b101",
        "010",
        "08",
        "1e3",
        "1E3",
        "1.5",
        "1.",
        ".5",
        "-1",
        "+1",
        "+.5",
        "1_000",
        "1,000",
        "12:30",
        "12:30:45",
        "190:20:30",
        "1:2",
        "2001-12-14",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10 -5",
        ".inf",
        "-.inf",
        "+.INF",
        ".NaN",
        "-.nan",
        ".",
        "a.",
        "/",
        "//",
        "/a:b",
        "http://x:80/y?z=1&w=2",
        "app.kubernetes.io/name",
        "nginx:1.25",
        " leading",
        "trailing ",
        " both ",
        "a  b",
        "a\tb",
        "tab\t",
        "\ttab",
        "line1\nline2",
        "line1\nline2\n",
        "line1\nline2\n\n",
        "line1\nline2\n\n\n",
        "\nleading",
        "\n\nleading blank\n",
        "\n\n\nthree blank",
        "a\n\n\nb",
        "a\n\n\n\nb",
        "  indented\nnext",
        "first\n  indented\n",
        "\tfirst\nx",
        "first\n\tsecond\n",
        "trailing \nspace",
        "tab\t\nx",
        "crlf\r\nline\r\n",
        "cr\ronly",
        "a\n \nb",
        "a\n---\nb",
        "a\n...\nb",
        "---\na",
        "a\n# not a comment\n",
        "a\n- b\n",
        "key: value\nother: x\n",
        "😀",
        "emoji 😀 text",
        "שלום עולם",
        "مرحبا",
        "\u{202e}rtl",
        "e\u{301}",
        "a\u{300}\u{301}\u{302}",
        "\u{2028}",
        "a\u{2028}b",
        "a\u{2029}b",
        "\u{85}",
        "a\u{85}b",
        "\u{feff}",
        "\u{feff}bom",
        "\0",
        "a\0b",
        "\x7f",
        "\x01\x02\x1b",
        "\u{80}\u{9f}\u{a0}",
        "\u{fffe}\u{ffff}",
        "\u{fffd}",
        "\u{10ffff}",
        "\u{e000}",
        "a\n\u{2028}b\n",
        "multi\nline\u{85}\n",
        "日本語\nテキスト\n",
        "x\u{0b}y\u{0c}z",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    v.push("a".repeat(1024));
    v.push("a".repeat(1025));
    v.push("\"".repeat(600));
    v.push("\0".repeat(300));
    v.push("x ".repeat(600));
    // A 1 MB string with a bit of everything.
    let chunk = "line with \"quotes\" and \\ and: colon # hash\n\ttabbed\n";
    let mut big = String::with_capacity(1 << 20);
    while big.len() < (1 << 20) {
        big.push_str(chunk);
    }
    v.push(big.clone());
    // A 1 MB string that qualifies for a block scalar.
    let mut big_block = String::with_capacity(1 << 20);
    while big_block.len() < (1 << 20) {
        big_block.push_str("config_line = \"value\" # comment\n");
    }
    v.push(big_block);
    // A 1 MB single-line string with no special characters.
    v.push("abcdefgh".repeat(1 << 17));
    v
}

/// Wraps `value` in the contexts the emitter writes differently: top level, mapping value,
/// sequence item, first/later key of a mapping that is a sequence item, nested deeper.
pub fn contexts(value: &str) -> Vec<Yaml> {
    let s = || Yaml::from(value);
    vec![
        s(),
        Mapping::new().with("k", s()).into(),
        Yaml::Seq(vec![s(), s()]),
        Mapping::new()
            .with(value.to_string(), s())
            .with("after", 1)
            .into(),
        Yaml::Seq(vec![Mapping::new()
            .with(value.to_string(), s())
            .with("b", s())
            .with("c", Yaml::Seq(vec![s()]))
            .into()]),
        Mapping::new()
            .with(
                "outer",
                Yaml::Seq(vec![Yaml::Seq(vec![
                    s(),
                    Mapping::new().with(value.to_string(), s()).into(),
                ])]),
            )
            .with(
                value.to_string(),
                Mapping::new().with(value.to_string(), Yaml::Seq(vec![s()])),
            )
            .into(),
    ]
}
