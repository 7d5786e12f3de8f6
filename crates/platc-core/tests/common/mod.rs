//! Shared helpers of the platc-core integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use platc_ir::Ir;
use serde_json::Value;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// platform.toml → IR, failing the test on any problem.
pub fn ir(src: &str) -> Ir {
    let checked = platc_check::check(src);
    assert!(
        checked.problems.is_empty(),
        "invalid platform.toml: {:#?}\n{src}",
        checked.problems
    );
    platc_ir::resolve(&checked.document).expect("resolves")
}

pub fn fixture(name: &str) -> Ir {
    let path = root().join("fixtures").join(name).join("platform.toml");
    ir(&std::fs::read_to_string(&path).expect("fixture"))
}

/// A platform on `cloud`, with or without the event bus and an ACME email.
pub fn platform(cloud: &str, event_bus: bool, email: bool) -> String {
    let mut s = format!(
        "version = 1\n[platform]\nname = \"plat\"\ndomain = \"plat.example\"\ncloud = \"{cloud}\"\nregion = \"{}\"\nregistry = \"ghcr.io/plat\"\n[core]\n",
        match cloud {
            "aws" => "eu-central-1",
            "azure" => "westeurope",
            _ => "europe-west3",
        }
    );
    if email {
        s.push_str("certificates = { email = \"ops@plat.example\" }\n");
    }
    if event_bus {
        s.push_str("event-bus = \"strimzi\"\n");
    }
    s.push_str("[stages.test]\nnamespace = \"{app}-test\"\n[stages.prod]\nnamespace = \"{app}-prod\"\ndatabases = \"managed\"\n");
    s.push_str("[apps.web.services.front]\nport = 8080\ntag = \"1.0.0\"\n");
    if email {
        s.push_str("expose = { host = \"www\" }\n");
    }
    if event_bus {
        s.push_str("events = { publishes = [\"page-viewed\", \"cart-updated\"] }\n");
        s.push_str("[apps.web.services.stats]\nport = 9000\nprotocol = \"grpc\"\ntag = \"1.0.0\"\nevents = { subscribes = [\"page-viewed\"] }\n");
    }
    s
}

/// Every IR the tests cover: the three fixtures and each cloud with and without the event bus
/// and the ACME email.
pub fn all_irs() -> Vec<(String, Ir)> {
    let mut out: Vec<(String, Ir)> = ["example", "minimal", "multi-app"]
        .iter()
        .map(|f| ((*f).to_string(), fixture(f)))
        .collect();
    for cloud in ["aws", "azure", "gcp"] {
        for bus in [false, true] {
            for email in [false, true] {
                out.push((
                    format!("{cloud} bus={bus} email={email}"),
                    ir(&platform(cloud, bus, email)),
                ));
            }
        }
    }
    out
}

/// YAML text → JSON documents (empty documents left out).
pub fn documents(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for doc in serde_norway::Deserializer::from_str(text) {
        let v: Value = serde::Deserialize::deserialize(doc).expect("YAML");
        if !v.is_null() {
            out.push(v);
        }
    }
    out
}

pub fn read_yaml(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

pub fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

pub fn yaml_to_json(y: &platc_yaml::Yaml) -> Value {
    serde_norway::from_str(&platc_yaml::to_string(y)).expect("own YAML parses")
}
