//! End-to-end behaviour of the `platc` binary: exit codes, check/diff, determinism and
//! the safety of render in a directory the user also uses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example() -> PathBuf {
    root().join("fixtures/example/platform.toml")
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

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.expect("walk");
        if e.file_type().is_file() {
            let rel = e
                .path()
                .strip_prefix(dir)
                .expect("prefix")
                .to_string_lossy()
                .into_owned();
            v.push((rel, std::fs::read(e.path()).expect("read")));
        }
    }
    v
}

#[test]
fn check_exit_codes_follow_the_contract() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("deploy");
    let cfg = example();
    let cfg = cfg.to_str().expect("utf8");
    let out_s = out.to_str().expect("utf8");

    // Nothing rendered yet: drift (every file missing).
    let r = platc(tmp.path(), &["check", "-c", cfg, "-o", out_s]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r.stderr));

    let r = platc(tmp.path(), &["render", "-c", cfg, "-o", out_s]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));

    let r = platc(tmp.path(), &["check", "-c", cfg, "-o", out_s]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}{}",
        text(&r.stdout),
        text(&r.stderr)
    );

    // A hand edit is drift, shown as a unified diff.
    let edited = out.join("apps/shop/base/auth.yaml");
    let original = std::fs::read_to_string(&edited).expect("read");
    std::fs::write(
        &edited,
        original.replace("containerPort: 8080", "containerPort: 9090"),
    )
    .expect("edit");
    let r = platc(tmp.path(), &["check", "-c", cfg, "-o", out_s]);
    assert_eq!(r.status.code(), Some(1));
    let diff = text(&r.stdout);
    assert!(
        diff.contains("-        - containerPort: 9090") || diff.contains("containerPort: 9090"),
        "{diff}"
    );
    assert!(diff.contains("apps/shop/base/auth.yaml"), "{diff}");
    let r = platc(tmp.path(), &["diff", "-c", cfg, "-o", out_s]);
    assert_eq!(r.status.code(), Some(1));

    // A deleted file is drift too; render repairs both.
    std::fs::remove_file(out.join("apps/shop/base/kustomization.yaml")).expect("rm");
    let r = platc(tmp.path(), &["check", "-c", cfg, "-o", out_s]);
    assert_eq!(r.status.code(), Some(1));
    let r = platc(tmp.path(), &["render", "-c", cfg, "-o", out_s]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let r = platc(tmp.path(), &["check", "-c", cfg, "-o", out_s]);
    assert_eq!(r.status.code(), Some(0));

    // Invalid input: exit 2 for every command.
    let bad = root().join("fixtures/invalid/calls.toml");
    let bad = bad.to_str().expect("utf8");
    for cmd in ["check", "render", "diff", "validate"] {
        let mut args = vec![cmd, "-c", bad];
        if cmd != "validate" {
            args.extend(["-o", out_s]);
        }
        let r = platc(tmp.path(), &args);
        assert_eq!(r.status.code(), Some(2), "{cmd}: {}", text(&r.stderr));
    }
    // The failed render touched nothing.
    let r = platc(tmp.path(), &["check", "-c", cfg, "-o", out_s]);
    assert_eq!(r.status.code(), Some(0));
}

#[test]
fn stale_generated_files_count_as_drift_and_are_removed() {
    let tmp = tempfile::tempdir().expect("tmp");
    let two = tmp.path().join("two.toml");
    let one = tmp.path().join("one.toml");
    let base =
        std::fs::read_to_string(root().join("fixtures/minimal/platform.toml")).expect("read");
    std::fs::write(&one, &base).expect("write");
    std::fs::write(
        &two,
        format!("{base}\n[apps.hello.services.worker]\nport = 9000\ntag = \"1.0.0\"\n"),
    )
    .expect("write");
    let out = tmp.path().join("out");
    let out_s = out.to_str().expect("utf8");
    let r = platc(tmp.path(), &["render", "-c", "two.toml", "-o", out_s]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(out.join("apps/hello/base/worker.yaml").is_file());
    std::fs::write(out.join("NOTES.md"), "mine").expect("user file");
    let r = platc(tmp.path(), &["check", "-c", "one.toml", "-o", out_s]);
    assert_eq!(r.status.code(), Some(1), "worker.yaml is stale");
    let r = platc(tmp.path(), &["render", "-c", "one.toml", "-o", out_s]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(!out.join("apps/hello/base/worker.yaml").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("NOTES.md")).expect("read"),
        "mine"
    );
}

#[test]
fn render_is_deterministic_across_working_directories() {
    let a = tempfile::tempdir().expect("tmp");
    let b = tempfile::tempdir().expect("tmp");
    let cfg = example();
    let cfg = cfg.to_str().expect("utf8");
    let ra = platc(a.path(), &["render", "-c", cfg, "-o", "out"]);
    assert_eq!(ra.status.code(), Some(0), "{}", text(&ra.stderr));
    // The second run sees the config through a relative path from another directory.
    std::fs::copy(example(), b.path().join("platform.toml")).expect("copy");
    let rb = platc(b.path(), &["render"]);
    assert_eq!(rb.status.code(), Some(0), "{}", text(&rb.stderr));
    let sa = snapshot(&a.path().join("out"));
    let sb = snapshot(&b.path().join("deploy"));
    assert!(sa.len() > 10);
    assert_eq!(sa, sb);
}

#[test]
fn validate_reports_every_problem_with_its_line() {
    let r = platc(
        &root(),
        &["validate", "-c", "fixtures/invalid/quantities.toml"],
    );
    assert_eq!(r.status.code(), Some(2));
    let err = text(&r.stderr);
    for needle in ["500x", "512mb", "ten gigs", "limit is below"] {
        assert!(err.contains(needle), "missing {needle:?} in\n{err}");
    }
    // miette prints `file:line:column` for each problem.
    assert!(
        err.matches("fixtures/invalid/quantities.toml:").count() >= 4,
        "{err}"
    );
}

#[test]
fn help_is_available_everywhere() {
    for cmd in [
        vec!["--help"],
        vec!["render", "--help"],
        vec!["check", "--help"],
        vec!["diff", "--help"],
        vec!["validate", "--help"],
    ] {
        let r = platc(&root(), &cmd);
        assert_eq!(r.status.code(), Some(0), "{cmd:?}");
        assert!(text(&r.stdout).contains("Usage"), "{cmd:?}");
    }
}

#[test]
fn a_missing_config_is_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let r = platc(tmp.path(), &["validate", "-c", "nope.toml"]);
    assert_eq!(r.status.code(), Some(3));
    assert!(text(&r.stderr).contains("cannot read nope.toml"));
}

#[test]
fn root_platform_toml_is_the_reference_example() {
    // The root copy only differs in its `#:schema` line (paths are relative to each file).
    let root_copy = std::fs::read_to_string(root().join("platform.toml")).expect("read");
    let fixture = std::fs::read_to_string(example()).expect("read");
    let body = |s: &str| {
        s.split_once('\n')
            .map(|(_, rest)| rest.to_string())
            .unwrap_or_default()
    };
    assert!(root_copy.starts_with("#:schema ./schemas/platform.schema.json\n"));
    assert!(fixture.starts_with("#:schema ../../schemas/platform.schema.json\n"));
    assert_eq!(
        body(&root_copy),
        body(&fixture),
        "platform.toml and fixtures/example/platform.toml diverged"
    );
}

#[test]
fn every_diagnostic_code_is_documented_and_explained() {
    // Codes used anywhere in the sources ...
    let mut used = std::collections::BTreeSet::new();
    for entry in walkdir::WalkDir::new(root().join("crates")) {
        let entry = entry.expect("walk");
        if entry.path().extension().is_some_and(|e| e == "rs")
            && entry.path().components().any(|c| c.as_os_str() == "src")
        {
            let text = std::fs::read_to_string(entry.path()).expect("read");
            for piece in text.split('"').skip(1).step_by(2) {
                if piece.starts_with("platc::")
                    && piece
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == ':' || c == '-')
                {
                    used.insert(piece.to_string());
                }
            }
        }
    }
    assert!(used.len() > 40, "found only {used:?}");
    // ... each have a section, and every section is a used code.
    let documented: std::collections::BTreeSet<String> = platc::DIAGNOSTICS
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .map(str::to_string)
        .collect();
    let undocumented: Vec<_> = used.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&used).collect();
    assert!(
        undocumented.is_empty(),
        "codes without docs/diagnostics.md section: {undocumented:?}"
    );
    assert!(
        stale.is_empty(),
        "documented codes nothing emits: {stale:?}"
    );
    let r = platc(&root(), &["explain-error", "platc::calls::unknown-service"]);
    assert_eq!(r.status.code(), Some(0));
    let out = text(&r.stdout);
    assert!(out.starts_with("## platc::calls::unknown-service"), "{out}");
    assert!(!out.contains("## platc::calls::self"), "{out}");
    let r = platc(&root(), &["explain-error", "platc::nope"]);
    assert_eq!(r.status.code(), Some(2));
}

#[test]
fn graph_and_explain_answer_about_the_example() {
    let cfg = example();
    let cfg = cfg.to_str().expect("utf8");
    let r = platc(&root(), &["graph", "-c", cfg, "--stage", "prod"]);
    assert_eq!(r.status.code(), Some(0));
    let g = text(&r.stdout);
    assert!(
        g.contains("shop__orders -->|\"calls\"| shop__payment"),
        "{g}"
    );
    assert!(
        g.contains("shop__orders -.->|\"publishes\"| topic__order_created"),
        "{g}"
    );
    let r = platc(&root(), &["graph", "-c", cfg, "--format", "dot"]);
    assert!(text(&r.stdout).starts_with("// platc graph, stage prod\ndigraph platform {"));
    let r = platc(
        &root(),
        &[
            "explain",
            "-c",
            cfg,
            "shop.orders",
            "shop.payment",
            "--stage",
            "prod",
        ],
    );
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stdout));
    assert!(text(&r.stdout).contains("allowed by shop-prod/payment-from-callers"));
    let r = platc(
        &root(),
        &[
            "explain",
            "-c",
            cfg,
            "shop.payment",
            "shop.orders",
            "--stage",
            "prod",
        ],
    );
    assert_eq!(r.status.code(), Some(1), "calls are one-way");
    let r = platc(
        &root(),
        &[
            "explain",
            "-c",
            cfg,
            "shop.orders",
            "shop.user.database",
            "--stage",
            "test",
        ],
    );
    assert_eq!(r.status.code(), Some(1), "no foreign database");
}

#[test]
fn explain_knows_the_mysql_router_and_its_port() {
    let cfg = root().join("fixtures/operators/platform.toml");
    let cfg = cfg.to_str().expect("utf8");
    let ask = |from: &str, to: &str| {
        platc(
            &root(),
            &["explain", "-c", cfg, from, to, "--stage", "test"],
        )
    };
    // The service reaches its router on the router's port (the Service maps 3306 to 6446).
    let r = ask("tps.ledger", "tps.ledger.database.router");
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stdout));
    assert!(
        text(&r.stdout).contains("on TCP 6446"),
        "{}",
        text(&r.stdout)
    );
    // Never the servers directly, and no other service reaches the router.
    assert_eq!(
        ask("tps.ledger", "tps.ledger.database").status.code(),
        Some(1)
    );
    assert_eq!(
        ask("tps.reports", "tps.ledger.database.router")
            .status
            .code(),
        Some(1)
    );
    // The user job goes through the router; the operator reaches the servers.
    assert_eq!(
        ask(
            "tps.ledger.database.user-setup",
            "tps.ledger.database.router"
        )
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        ask("mysql-operator", "tps.ledger.database").status.code(),
        Some(0)
    );
}
