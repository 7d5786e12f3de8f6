//! Property test: arbitrary nested values (depth <= 4, arbitrary Unicode strings including
//! control characters) round-trip exactly through serde_norway.

#[cfg(test)]
mod common;

use platc_yaml::{Mapping, Yaml};
use proptest::prelude::*;

/// Strings biased towards the characters and shapes that matter to YAML, mixed with fully
/// arbitrary Unicode.
fn any_string() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just(String::new()),
        Just(" ".to_owned()),
        Just("\n".to_owned()),
        Just("\t".to_owned()),
        Just("\r\n".to_owned()),
        Just(": ".to_owned()),
        Just("- ".to_owned()),
        Just("#".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("\\".to_owned()),
        Just("---".to_owned()),
        Just("{{ x }}".to_owned()),
        Just("yes".to_owned()),
        Just("on".to_owned()),
        Just("null".to_owned()),
        Just("~".to_owned()),
        Just("010".to_owned()),
        Just("1e3".to_owned()),
        Just("12:30".to_owned()),
        Just(".inf".to_owned()),
        Just("\u{85}".to_owned()),
        Just("\u{2028}".to_owned()),
        Just("\u{feff}".to_owned()),
        Just("\0".to_owned()),
        Just("😀".to_owned()),
        "[a-z0-9_./:-]{1,8}",
        "[ \t\n]{1,4}",
        any::<char>().prop_map(String::from),
    ];
    prop_oneof![
        3 => proptest::collection::vec(fragment, 0..8).prop_map(|parts| parts.concat()),
        2 => any::<String>(),
        1 => "[a-zA-Z][a-zA-Z0-9_./:-]{0,12}",
        1 => "([a-z ]{0,10}\n){1,5}",
    ]
}

fn any_yaml() -> impl Strategy<Value = Yaml> {
    let leaf = prop_oneof![
        Just(Yaml::Null),
        any::<bool>().prop_map(Yaml::Bool),
        any::<i64>().prop_map(Yaml::Int),
        any_string().prop_map(Yaml::Str),
    ];
    // Depth at most 4 (leaves at level 0).
    leaf.prop_recursive(4, 64, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Yaml::Seq),
            proptest::collection::vec((any_string(), inner), 0..5)
                .prop_map(|entries| Yaml::Map(entries.into_iter().collect::<Mapping>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_values_roundtrip(doc in any_yaml()) {
        let text = common::roundtrip(&doc);
        common::assert_lint_clean(&text);
    }

    #[test]
    fn arbitrary_streams_roundtrip(docs in proptest::collection::vec(any_yaml(), 1..4)) {
        let text = platc_yaml::to_documents(&docs);
        let parsed = common::parse_documents(&text);
        prop_assert_eq!(parsed.len(), docs.len());
        for (doc, value) in docs.iter().zip(&parsed) {
            common::assert_same(&common::to_value(doc), value, "$");
        }
    }

    #[test]
    fn strings_plain_only_when_safe(s in any_string()) {
        let text = platc_yaml::to_string(&Yaml::Str(s.clone()));
        let plain = !(text.starts_with('"') || text.starts_with('|'));
        prop_assert_eq!(plain, platc_yaml::is_plain_safe(&s));
        common::roundtrip(&Yaml::Str(s));
    }
}
