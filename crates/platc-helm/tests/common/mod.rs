//! Shared helpers: building IRs through the public pipeline, reading the pinned chart data,
//! and the key-tree comparison.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use platc_ir::{DataStoreIr, Engine, Ir, Placement};
use serde_json::Value;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `platc_check::check` then `platc_ir::resolve`; panics with the problems if the source is
/// invalid.
pub fn ir(source: &str) -> Ir {
    let checked = platc_check::check(source);
    assert!(
        checked.problems.is_empty(),
        "fixture is invalid: {:#?}",
        checked.problems
    );
    platc_ir::resolve(&checked.document).expect("resolve")
}

pub const ENGINES: [Engine; 4] = [
    Engine::Postgresql,
    Engine::Mysql,
    Engine::Mongodb,
    Engine::Redis,
];

const PLATFORM: &str = r#"
version = 1

[platform]
name = "acme"
domain = "acme.example"
cloud = "aws"
region = "eu-central-1"
registry = "ghcr.io/acme"

[stages.test]
namespace = "{app}-test"
deploy = "push"
databases = "in-cluster"

[stages.prod]
namespace = "{app}-prod"
deploy = "release"
databases = "managed"
"#;

/// A platform with one service per engine × supported in-cluster version × replicas 1, 2 and 3
/// (so standalone, replication with an even and an odd member count), in-cluster in `test` and
/// managed in `prod`. Backups use a custom schedule and retention on some services.
pub fn matrix_source() -> String {
    let mut s = String::from(PLATFORM);
    s.push_str("\n[apps.shop]\nteam = \"shop-team\"\n");
    for engine in ENGINES {
        for version in platc_check::supported_versions(engine, Placement::InCluster) {
            for replicas in 1..=3u32 {
                let name = format!(
                    "{}-{}-r{replicas}",
                    short(engine),
                    version.replace('.', "-")
                );
                let kind = if engine == Engine::Redis {
                    "cache"
                } else {
                    "database"
                };
                let backup = if replicas == 2 {
                    ", backup = { schedule = \"30 1 * * *\", retention = \"3d\" }"
                } else {
                    ""
                };
                s.push_str(&format!(
                    "\n[apps.shop.services.{name}]\nport = 8080\ntag = \"1.0.0\"\n\
                     {kind} = {{ engine = \"{}\", version = \"{version}\", storage = \"20Gi\", \
                     replicas = {replicas}{backup} }}\n",
                    engine.as_str()
                ));
            }
        }
    }
    s
}

fn short(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgresql => "pg",
        Engine::Mysql => "my",
        Engine::Mongodb => "mongo",
        Engine::Redis => "redis",
    }
}

/// Every in-cluster store of the IR, with its app and stage names.
pub fn stores(ir: &Ir) -> Vec<(String, String, DataStoreIr)> {
    let mut out = Vec::new();
    for app in &ir.apps {
        for stage in &app.stages {
            for s in platc_helm::in_cluster_stores(stage) {
                out.push((app.name.clone(), stage.stage.clone(), s.clone()));
            }
        }
    }
    out
}

pub fn chart_dir(chart: &str) -> PathBuf {
    root().join("tests/data/helm").join(chart)
}

/// A YAML file of the pinned chart data as JSON.
pub fn chart_yaml(chart: &str, file: &str) -> Value {
    let text = std::fs::read_to_string(chart_dir(chart).join(file)).expect("read chart data");
    serde_norway::from_str(&text).expect("parse chart data")
}

pub fn chart_schema(chart: &str) -> Option<Value> {
    let path = chart_dir(chart).join("values.schema.json");
    let text = std::fs::read_to_string(path).ok()?;
    Some(serde_json::from_str(&text).expect("parse schema"))
}

/// Parses emitted YAML text back (the bytes platc writes, not the in-memory value).
pub fn parse(text: &str) -> Value {
    serde_norway::from_str(text).expect("emitted YAML parses")
}

/// Key paths of `emitted` that the chart's `values.yaml` tree does not have. A mapping that is
/// `{}` in values.yaml is open (anything below it is accepted); a list or scalar there is a
/// leaf, so the emitted value must be a list or scalar too. Where the default is a boolean,
/// number or non-empty string, the emitted leaf must have the same type.
pub fn unknown_keys(emitted: &Value, chart: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(emitted, chart, String::new(), &mut out);
    out
}

fn walk(emitted: &Value, chart: &Value, path: String, out: &mut Vec<String>) {
    match (emitted, chart) {
        (Value::Object(e), Value::Object(c)) => {
            if c.is_empty() {
                return; // open map
            }
            for (k, v) in e {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match c.get(k) {
                    Some(cv) => walk(v, cv, p, out),
                    None => out.push(format!("{p}: no such key in the chart's values.yaml")),
                }
            }
        }
        (Value::Object(_), _) => out.push(format!(
            "{path}: a mapping where the chart's values.yaml has a leaf ({chart})"
        )),
        (_, Value::Object(c)) if !c.is_empty() => out.push(format!(
            "{path}: a leaf where the chart's values.yaml has a mapping"
        )),
        (e, c) => {
            let same = matches!(
                (e, c),
                (Value::Bool(_), Value::Bool(_))
                    | (Value::Number(_), Value::Number(_))
                    | (Value::String(_), Value::String(_))
                    | (Value::Array(_), Value::Array(_))
            );
            let loose_default = c.is_null() || c.as_str() == Some("") || c.is_object();
            if !same && !loose_default {
                out.push(format!(
                    "{path}: {e} does not have the type of the default {c}"
                ));
            }
        }
    }
}

/// Helm's merge of user values over the chart defaults: maps merge, everything else replaces.
pub fn merge(defaults: &Value, over: &Value) -> Value {
    match (defaults, over) {
        (Value::Object(d), Value::Object(o)) => {
            let mut m = d.clone();
            for (k, v) in o {
                let merged = match d.get(k) {
                    Some(dv) => merge(dv, v),
                    None => v.clone(),
                };
                m.insert(k.clone(), merged);
            }
            Value::Object(m)
        }
        (_, o) => o.clone(),
    }
}

/// The value at a dotted path.
pub fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}
