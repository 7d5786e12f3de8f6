//! Golden tests: every valid fixture renders byte-for-byte to `golden/<fixture>/`, every
//! invalid fixture's diagnostics match `golden/invalid/<fixture>.txt`.
//!
//! `UPDATE_GOLDEN=1 cargo test -p platc --test golden` re-blesses; read the diff first.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v != "0")
}

fn valid_fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("fixtures"))
        .expect("fixtures/")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("platform.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn invalid_fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("fixtures/invalid"))
        .expect("fixtures/invalid/")
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".toml").map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

/// Every file under `dir`, relative path → bytes.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    if !dir.exists() {
        return files;
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("walk golden");
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .expect("prefix")
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(rel, std::fs::read(entry.path()).expect("read golden file"));
        }
    }
    files
}

fn diff(path: &str, old: &[u8], new: &[u8]) -> String {
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(&format!("golden/{path}"), &format!("rendered/{path}"))
        .to_string()
}

#[test]
fn valid_fixtures_render_to_golden() {
    let fixtures = valid_fixtures();
    assert!(fixtures.len() >= 3, "expected fixtures, found {fixtures:?}");
    let mut failures = Vec::new();
    for name in &fixtures {
        let source =
            std::fs::read_to_string(root().join("fixtures").join(name).join("platform.toml"))
                .expect("read fixture");
        let tree = match platc::compile(&source) {
            Ok(tree) => tree,
            Err(platc::CompileError::Invalid(problems)) => {
                let text = platc::render_problems(
                    name,
                    &source,
                    &problems,
                    platc::Style {
                        color: false,
                        width: 100,
                    },
                );
                failures.push(format!("fixture `{name}` is invalid:\n{text}"));
                continue;
            }
            Err(platc::CompileError::Internal(e)) => {
                failures.push(format!("fixture `{name}`: internal error: {e}"));
                continue;
            }
        };
        let rendered: BTreeMap<String, Vec<u8>> = tree
            .iter()
            .map(|(p, c)| (p.as_str().to_string(), c.to_vec()))
            .collect();
        let golden_dir = root().join("golden").join(name);
        if updating() {
            if golden_dir.exists() {
                std::fs::remove_dir_all(&golden_dir).expect("clear golden dir");
            }
            for (path, bytes) in &rendered {
                let target = golden_dir.join(path);
                std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
                std::fs::write(&target, bytes).expect("write golden");
            }
            continue;
        }
        let golden = read_tree(&golden_dir);
        for (path, bytes) in &rendered {
            match golden.get(path) {
                None => failures.push(format!(
                    "{name}: new file {path} (not in golden)\n{}",
                    diff(path, b"", bytes)
                )),
                Some(old) if old != bytes => failures.push(format!(
                    "{name}: {path} differs\n{}",
                    diff(path, old, bytes)
                )),
                Some(_) => {}
            }
        }
        for path in golden.keys().filter(|p| !rendered.contains_key(*p)) {
            failures.push(format!(
                "{name}: {path} is in golden but no longer rendered"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n\n{} golden mismatch(es); if the change is intended, run UPDATE_GOLDEN=1 cargo test -p platc --test golden and review the diff",
        failures.join("\n"),
        failures.len()
    );
}

#[test]
fn invalid_fixtures_match_golden_diagnostics() {
    let fixtures = invalid_fixtures();
    assert!(
        fixtures.len() >= 12,
        "expected a dozen invalid fixtures, found {}",
        fixtures.len()
    );
    let mut failures = Vec::new();
    for name in &fixtures {
        let rel = format!("fixtures/invalid/{name}.toml");
        let out = Command::new(env!("CARGO_BIN_EXE_platc"))
            .current_dir(root())
            .args(["validate", "-c", &rel])
            .env("NO_COLOR", "1")
            .output()
            .expect("run platc");
        if out.status.code() != Some(2) {
            failures.push(format!(
                "{name}: exit code {:?}, expected 2",
                out.status.code()
            ));
        }
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        if !text.contains("help:") && !text.contains("help") {
            failures.push(format!("{name}: diagnostics carry no help text"));
        }
        let golden_path = root().join("golden/invalid").join(format!("{name}.txt"));
        if updating() {
            std::fs::create_dir_all(golden_path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&golden_path, &text).expect("write golden");
            continue;
        }
        let golden = std::fs::read(&golden_path).unwrap_or_default();
        if golden != text.as_bytes() {
            failures.push(format!(
                "{name}: diagnostics differ\n{}",
                diff(&format!("invalid/{name}.txt"), &golden, text.as_bytes())
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n\nif intended, run UPDATE_GOLDEN=1 cargo test -p platc --test golden and review the diff",
        failures.join("\n")
    );
}

/// `platc new-service` cases: (golden name, fixture, arguments after `new-service`).
const SCAFFOLDS: &[(&str, &str, &[&str])] = &[
    (
        "example-billing",
        "example",
        &[
            "billing",
            "--app",
            "shop",
            "--port",
            "8080",
            "--database",
            "postgresql",
            "--expose",
            "billing",
        ],
    ),
    (
        "minimal-new-app",
        "minimal",
        &["reports", "--app", "analytics", "--database", "mongodb"],
    ),
];

/// A scaffolded service matches `golden/scaffold/<case>/`: the edited platform.toml and every
/// file of the service folder, byte for byte.
#[test]
fn scaffolded_services_match_golden() {
    let mut failures = Vec::new();
    for (case, fixture, args) in SCAFFOLDS {
        let tmp = tempfile::tempdir().expect("temp dir");
        std::fs::copy(
            root().join("fixtures").join(fixture).join("platform.toml"),
            tmp.path().join("platform.toml"),
        )
        .expect("copy fixture");
        let out = Command::new(env!("CARGO_BIN_EXE_platc"))
            .current_dir(tmp.path())
            .arg("new-service")
            .args(*args)
            .env("NO_COLOR", "1")
            .output()
            .expect("run platc");
        if out.status.code() != Some(0) {
            failures.push(format!(
                "{case}: exit {:?}\n{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let rendered = read_tree(tmp.path());
        let golden_dir = root().join("golden/scaffold").join(case);
        if updating() {
            if golden_dir.exists() {
                std::fs::remove_dir_all(&golden_dir).expect("clear golden dir");
            }
            for (path, bytes) in &rendered {
                let target = golden_dir.join(path);
                std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
                std::fs::write(&target, bytes).expect("write golden");
            }
            continue;
        }
        let golden = read_tree(&golden_dir);
        for (path, bytes) in &rendered {
            match golden.get(path) {
                None => failures.push(format!(
                    "{case}: new file {path} (not in golden)\n{}",
                    diff(&format!("scaffold/{case}/{path}"), b"", bytes)
                )),
                Some(old) if old != bytes => failures.push(format!(
                    "{case}: {path} differs\n{}",
                    diff(&format!("scaffold/{case}/{path}"), old, bytes)
                )),
                Some(_) => {}
            }
        }
        for path in golden.keys().filter(|p| !rendered.contains_key(*p)) {
            failures.push(format!("{case}: {path} is in golden but no longer written"));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n\nif intended, run UPDATE_GOLDEN=1 cargo test -p platc --test golden and review the diff",
        failures.join("\n")
    );
}
