//! The Helm values platc writes use only keys of the pinned charts (`tests/data/helm/<chart>/`)
//! and, merged over the chart's defaults as Helm merges them, pass the chart's
//! `values.schema.json` where it has one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use platc_core::helm::{releases, Release};
use serde_json::Value;

fn chart_dir(chart: &str) -> PathBuf {
    common::root().join("tests/data/helm").join(chart)
}

/// Every key path of `ours` that the chart's default values do not have. A map that is `{}`
/// (or `null`) in the defaults is open: any keys below it are the user's. Lists are leaves.
fn unknown_keys(defaults: &Value, ours: &Value, path: &str, out: &mut Vec<String>) {
    let Value::Object(ours) = ours else { return };
    match defaults {
        Value::Null => {}
        Value::Object(d) if d.is_empty() => {}
        Value::Object(d) => {
            for (k, v) in ours {
                let here = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match d.get(k) {
                    Some(dv) => unknown_keys(dv, v, &here, out),
                    None => out.push(here),
                }
            }
        }
        other => out.push(format!("{path} (a map here, {other} in the chart)")),
    }
}

/// Helm's merge of user values over chart defaults: maps merge key by key, everything else
/// (scalars, lists) replaces, `null` deletes.
fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(k);
                } else {
                    match b.get_mut(k) {
                        Some(bv) if bv.is_object() && v.is_object() => merge(bv, v),
                        _ => {
                            b.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

fn defaults(r: &Release) -> Value {
    common::read_yaml(&chart_dir(r.chart).join("values.yaml"))
}

/// Maps a chart renders with `toYaml` straight into a Kubernetes object field: below them any
/// field of that Kubernetes type is valid, whatever the chart's defaults list (see
/// tests/data/helm/SOURCES.md). (chart, top-level key)
const PASSED_THROUGH: &[(&str, &str)] = &[
    ("postgres-operator", "securityContext"),
    ("redis-operator", "securityContext"),
];

fn check_keys(r: &Release) -> Vec<String> {
    let mut out = Vec::new();
    let mut ours = common::yaml_to_json(&r.values);
    if let Value::Object(m) = &mut ours {
        for (chart, key) in PASSED_THROUGH {
            if *chart == r.chart {
                m.remove(*key);
            }
        }
    }
    unknown_keys(&defaults(r), &ours, "", &mut out);
    out
}

fn schema_errors(r: &Release, values: &Value) -> Option<Vec<String>> {
    let path = chart_dir(r.chart).join("values.schema.json");
    if !path.is_file() {
        return None;
    }
    let schema = common::read_json(&path);
    let validator = jsonschema::options()
        .should_validate_formats(false)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut merged = defaults(r);
    merge(&mut merged, values);
    Some(
        validator
            .iter_errors(&merged)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect(),
    )
}

#[test]
fn every_values_key_exists_in_the_pinned_chart() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (name, ir) in common::all_irs() {
        for r in releases(&ir) {
            assert!(
                chart_dir(r.chart).join("values.yaml").is_file(),
                "no test data for chart {}",
                r.chart
            );
            checked += 1;
            for k in check_keys(&r) {
                problems.push(format!("{name}: {}: {k}", r.name));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked >= 15 * 6, "only {checked} releases checked");
}

#[test]
fn a_bogus_key_is_reported() {
    let ir = common::fixture("example");
    for mut r in releases(&ir) {
        let Some(m) = r.values.as_mapping_mut() else {
            panic!("{}: values are not a map", r.name)
        };
        // A misspelt top-level key and one below an existing key.
        m.insert("replicaCuont", 2_i64);
        let first = m.keys().next().unwrap().to_string();
        if let Some(platc_yaml::Yaml::Map(inner)) = m.get_mut(&first) {
            inner.insert("bogusKey", true);
        }
        let unknown = check_keys(&r);
        assert!(
            unknown.iter().any(|k| k == "replicaCuont"),
            "{}: {unknown:?}",
            r.name
        );
    }
    // Below an open map anything goes; below a closed one it does not.
    let mut out = Vec::new();
    let defaults = serde_json::json!({"a": {}, "b": {"c": 1}, "d": null});
    let ours = serde_json::json!({"a": {"x": 1}, "b": {"c": 2, "y": 3}, "d": {"z": 1}});
    unknown_keys(&defaults, &ours, "", &mut out);
    assert_eq!(out, vec!["b.y".to_string()]);
}

#[test]
fn values_pass_the_charts_schemas() {
    let mut problems = Vec::new();
    let mut validated = 0;
    for (name, ir) in common::all_irs() {
        for r in releases(&ir) {
            let values = common::yaml_to_json(&r.values);
            if let Some(errors) = schema_errors(&r, &values) {
                validated += 1;
                for e in errors {
                    problems.push(format!("{name}: {}: {e}", r.name));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // cert-manager, external-dns and external-secrets have schemas.
    assert!(validated >= 15 * 3, "only {validated} validated");
}

#[test]
fn the_strict_schema_rejects_an_unknown_key() {
    let ir = common::fixture("example");
    let cm = releases(&ir)
        .into_iter()
        .find(|r| r.name == "cert-manager")
        .unwrap();
    let mut values = common::yaml_to_json(&cm.values);
    values["replicaCuont"] = serde_json::json!(2);
    let errors = schema_errors(&cm, &values).unwrap();
    assert!(
        errors.iter().any(|e| e.contains("replicaCuont")),
        "{errors:?}"
    );
    let dns = releases(&ir)
        .into_iter()
        .find(|r| r.name == "external-dns")
        .unwrap();
    let mut values = common::yaml_to_json(&dns.values);
    values["policy"] = serde_json::json!("delete-everything");
    assert!(!schema_errors(&dns, &values).unwrap().is_empty());
}

#[test]
fn pinned_versions_match_the_test_data() {
    for r in common::all_irs().iter().flat_map(|(_, ir)| releases(ir)) {
        let chart = common::read_yaml(&chart_dir(r.chart).join("Chart.yaml"));
        assert_eq!(chart["name"], r.chart, "{}", r.name);
        let version = chart["version"].as_str().unwrap();
        // cert-manager's and Strimzi's repositories hold a placeholder version that their
        // release tooling replaces; the test data is the release tag's file.
        match r.chart {
            "cert-manager" => assert_eq!(version, "v0.0.0"),
            "strimzi-kafka-operator" => assert_eq!(version, "0.1.1"),
            _ => assert_eq!(version, r.version, "{}", r.name),
        }
    }
    let strimzi = common::read_yaml(&chart_dir("strimzi-kafka-operator").join("values.yaml"));
    assert_eq!(strimzi["defaultImageTag"], "1.2.0");
}
