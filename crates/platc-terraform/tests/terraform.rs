//! Runs the real `terraform` over rendered output: `fmt -check` for every cloud, and
//! `init -backend=false` + `validate` for AWS against the offline provider mirror
//! (`PLATC_TF_MIRROR`, default `/opt/tf-plugins`). Also proves that hostile strings written by
//! the HCL writer are read back by Terraform as exactly the same text.
//!
//! Without `terraform` on PATH these tests fail, unless `PLATC_SKIP_TERRAFORM=1`.
//! `PLATC_TF_DUMP=DIR` keeps a copy of every rendered tree under DIR.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use platc_terraform::hcl::{quote, Block, Body};

const MATRIX: &str = include_str!("data/matrix.toml");

/// Stores managed in `prod` and run by an operator or as a StatefulSet in `test` (the matrix's
/// own stores are in-cluster Helm charts there): `test` gets `credentials.tf` only.
const IN_CLUSTER: &str = r#"
[apps.ops.services.pg]
port = 8080
database = { engine = "postgresql", version = "16", replicas = 3 }
cache = { engine = "redis", version = "7.2", replicas = 3 }

[apps.ops.services.pg.stages.test]
database = { placement = "statefulset" }
cache = { placement = "operator" }

[apps.ops.services.mo]
port = 8080
database = { engine = "mongodb", version = "7.0", replicas = 3 }

[apps.ops.services.mo.stages.test]
database = { placement = "operator" }
"#;

fn ir(source: &str) -> platc_ir::Ir {
    let checked = platc_check::check(source);
    assert!(checked.problems.is_empty(), "{:#?}", checked.problems);
    platc_ir::resolve(&checked.document).expect("resolve")
}

fn matrix(cloud: &str, region: &str) -> String {
    // On GCP, managed MongoDB is MongoDB Atlas.
    format!("{MATRIX}\n{IN_CLUSTER}")
        .replace("cloud = \"aws\"", &format!("cloud = \"{cloud}\""))
        .replace(
            "region = \"eu-central-1\"",
            &format!("region = \"{region}\""),
        )
}

/// The matrix with managed MongoDB on MongoDB Atlas instead of the cloud's own service.
fn atlas_matrix(cloud: &str, region: &str) -> String {
    matrix(cloud, region).replacen(
        "[platform]\n",
        "[platform]\nmanaged-mongodb = \"atlas\"\n",
        1,
    )
}

/// Writes the rendered tree under `dir`; returns the stage directories.
fn write_tree(dir: &Path, source: &str) -> Vec<PathBuf> {
    let tree = platc_terraform::emit(&ir(source)).expect("emit");
    assert!(!tree.is_empty(), "no terraform rendered");
    let mut stages = Vec::new();
    for (path, bytes) in tree.iter() {
        let file = dir.join(path.as_str());
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, bytes).unwrap();
        let parent = file.parent().unwrap().to_path_buf();
        if !stages.contains(&parent) {
            stages.push(parent);
        }
    }
    if let Some(dump) = std::env::var_os("PLATC_TF_DUMP") {
        let name = dir.file_name().unwrap();
        let target = Path::new(&dump).join(name);
        for (path, bytes) in tree.iter() {
            let file = target.join(path.as_str());
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, bytes).unwrap();
        }
    }
    stages
}

/// `None` when terraform is missing and PLATC_SKIP_TERRAFORM=1; panics when it is missing
/// otherwise.
fn terraform() -> Option<&'static str> {
    let found = Command::new("terraform")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some("terraform");
    }
    if std::env::var("PLATC_SKIP_TERRAFORM").as_deref() == Ok("1") {
        eprintln!("terraform not on PATH: skipped (PLATC_SKIP_TERRAFORM=1)");
        return None;
    }
    panic!("terraform is not on PATH; install Terraform >= 1.11 or set PLATC_SKIP_TERRAFORM=1");
}

fn run(tf: &str, dir: &Path, args: &[&str], rc: Option<&Path>) -> Output {
    let mut cmd = Command::new(tf);
    cmd.current_dir(dir)
        .args(args)
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_INPUT", "0")
        .env("CHECKPOINT_DISABLE", "1");
    match rc {
        Some(rc) => cmd.env("TF_CLI_CONFIG_FILE", rc),
        None => cmd.env("TF_CLI_CONFIG_FILE", "/dev/null"),
    };
    cmd.output().expect("run terraform")
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CLI config that installs providers only from the filesystem mirror.
fn mirror_rc(dir: &Path) -> PathBuf {
    let mirror = std::env::var("PLATC_TF_MIRROR").unwrap_or_else(|_| "/opt/tf-plugins".into());
    let rc = dir.join("terraformrc");
    let mut body = Body::new();
    body.block(Block::new("provider_installation").with(|p| {
        p.block(Block::new("filesystem_mirror").with(|m| {
            m.attr("path", mirror.as_str());
        }));
    }));
    std::fs::write(&rc, body.render_file()).unwrap();
    rc
}

fn fmt_check(tf: &str, stages: &[PathBuf]) {
    for dir in stages {
        let out = run(tf, dir, &["fmt", "-check", "-diff", "-no-color"], None);
        ok(&out, &format!("terraform fmt -check in {}", dir.display()));
    }
}

fn validate(tf: &str, rc: &Path, stages: &[PathBuf]) {
    for dir in stages {
        ok(
            &run(tf, dir, &["init", "-backend=false", "-no-color"], Some(rc)),
            &format!("terraform init in {}", dir.display()),
        );
        let out = run(tf, dir, &["validate", "-no-color"], Some(rc));
        ok(&out, &format!("terraform validate in {}", dir.display()));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("Warning"), "validate warned:\n{text}");
    }
}

#[test]
fn aws_matrix_is_fmt_clean_and_validates() {
    let Some(tf) = terraform() else { return };
    let tmp = tempfile::Builder::new()
        .prefix("aws-matrix")
        .tempdir()
        .unwrap();
    let stages = write_tree(tmp.path(), &matrix("aws", "eu-central-1"));
    has_credentials_stage(tmp.path(), &stages);
    fmt_check(tf, &stages);
    validate(tf, &mirror_rc(tmp.path()), &stages);
}

/// `terraform/test` (in-cluster stores only) holds the credentials and what they need, and no
/// managed store; `terraform/prod` has both kinds.
fn has_credentials_stage(root: &Path, stages: &[PathBuf]) {
    let test = root.join("terraform/test");
    let prod = root.join("terraform/prod");
    assert!(
        stages.contains(&test) && stages.contains(&prod),
        "{stages:?}"
    );
    for file in [
        "versions.tf",
        "variables.tf",
        "main.tf",
        "credentials.tf",
        "outputs.tf",
    ] {
        assert!(test.join(file).is_file(), "missing terraform/test/{file}");
    }
    assert!(!test.join("databases.tf").exists());
    assert!(!test.join("secrets.tf").exists());
    let credentials = std::fs::read_to_string(test.join("credentials.tf")).unwrap();
    assert!(!credentials.contains("prod"), "test names prod");
    for word in ["in-cluster", "operator", "statefulset"] {
        assert!(
            credentials.contains(&format!(", {word} (")),
            "no {word} store"
        );
    }
    let outputs = std::fs::read_to_string(test.join("outputs.tf")).unwrap();
    assert!(!outputs.contains("password") && !outputs.contains("ephemeral"));
}

#[test]
fn aws_example_platform_is_fmt_clean_and_validates() {
    let Some(tf) = terraform() else { return };
    let tmp = tempfile::Builder::new()
        .prefix("aws-example")
        .tempdir()
        .unwrap();
    let source = include_str!("../../../fixtures/example/platform.toml");
    let stages = write_tree(tmp.path(), source);
    fmt_check(tf, &stages);
    validate(tf, &mirror_rc(tmp.path()), &stages);
}

#[test]
fn azure_matrix_is_fmt_clean() {
    let Some(tf) = terraform() else { return };
    let tmp = tempfile::Builder::new()
        .prefix("azure-matrix")
        .tempdir()
        .unwrap();
    let stages = write_tree(tmp.path(), &matrix("azure", "westeurope"));
    has_credentials_stage(tmp.path(), &stages);
    fmt_check(tf, &stages);
}

#[test]
fn gcp_matrix_is_fmt_clean() {
    let Some(tf) = terraform() else { return };
    let tmp = tempfile::Builder::new()
        .prefix("gcp-matrix")
        .tempdir()
        .unwrap();
    let stages = write_tree(tmp.path(), &matrix("gcp", "europe-west3"));
    has_credentials_stage(tmp.path(), &stages);
    fmt_check(tf, &stages);
}

#[test]
fn atlas_matrices_are_fmt_clean() {
    let Some(tf) = terraform() else { return };
    // The mongodbatlas provider is not available offline: fmt only, no validate.
    for (cloud, region) in [("aws", "eu-central-1"), ("azure", "westeurope")] {
        let tmp = tempfile::Builder::new()
            .prefix("atlas-matrix")
            .tempdir()
            .unwrap();
        let source = atlas_matrix(cloud, region);
        assert!(source.contains("managed-mongodb = \"atlas\""));
        let stages = write_tree(tmp.path(), &source);
        fmt_check(tf, &stages);
    }
}

/// Strings that would break out of a quoted HCL string or start a template.
fn hostile() -> Vec<String> {
    let mut v: Vec<String> = [
        "plain",
        "",
        "\"",
        "\\",
        "\\\"",
        "${var.x}",
        "$${var.x}",
        "$$${x}",
        "%{ if true }yes%{ endif }",
        "%%{x}",
        "$",
        "%",
        "a$",
        "{}",
        "}\"\n  evil = \"1",
        "line\nbreak\r\n\ttab",
        "\u{0}\u{1}\u{1b}[31m\u{7f}",
        "\u{85}\u{2028}\u{2029}\u{feff}\u{202e}rtl\u{2066}",
        "größe ✓ 日本語 🙂",
        "# not a comment",
        "<<EOT\nheredoc\nEOT",
        "\\u0024{x}",
        "\\${x}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Every ASCII character, also right before `{`.
    v.push((0u8..128).map(char::from).collect());
    v.push((0u8..128).flat_map(|b| [char::from(b), '{']).collect());
    v
}

#[test]
fn hostile_strings_round_trip_through_terraform() {
    let Some(tf) = terraform() else { return };
    let tmp = tempfile::Builder::new()
        .prefix("roundtrip")
        .tempdir()
        .unwrap();
    let dir = tmp.path();
    let strings = hostile();
    let mut body = Body::new();
    for (i, s) in strings.iter().enumerate() {
        // Labels and values both go through the escaper.
        body.block(Block::new("output").label(&format!("o{i}")).with(|b| {
            b.attr("value", s.as_str());
            b.comment(s);
        }));
        body.blank();
    }
    std::fs::write(dir.join("main.tf"), body.render_file()).unwrap();
    fmt_check(tf, &[dir.to_path_buf()]);
    ok(&run(tf, dir, &["init", "-no-color"], None), "init");
    ok(
        &run(tf, dir, &["apply", "-auto-approve", "-no-color"], None),
        "apply",
    );
    let out = run(tf, dir, &["output", "-json"], None);
    ok(&out, "output -json");
    let json = String::from_utf8(out.stdout).unwrap();
    for (i, s) in strings.iter().enumerate() {
        // `terraform output -json` prints {"o0":{"sensitive":false,"type":"string","value":"..."}}.
        let key = format!("\"o{i}\"");
        let start = json
            .find(&key)
            .unwrap_or_else(|| panic!("no {key} in {json}"));
        let rest = &json[start..];
        let v = rest.find("\"value\":").unwrap() + "\"value\":".len();
        let got = json_string(rest[v..].trim_start());
        assert_eq!(&got, s, "output o{i} (written as {})", quote(s));
    }
}

/// Decodes the JSON string at the start of `s`.
fn json_string(s: &str) -> String {
    let mut chars = s.chars();
    assert_eq!(chars.next(), Some('"'));
    let mut out = String::new();
    let mut pending_high: Option<u32> = None;
    while let Some(c) = chars.next() {
        match c {
            '"' => return out,
            '\\' => match chars.next().unwrap() {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                '/' => out.push('/'),
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let n = u32::from_str_radix(&hex, 16).unwrap();
                    if (0xD800..0xDC00).contains(&n) {
                        pending_high = Some(n);
                    } else if (0xDC00..0xE000).contains(&n) {
                        let high = pending_high.take().unwrap();
                        let cp = 0x10000 + ((high - 0xD800) << 10) + (n - 0xDC00);
                        out.push(char::from_u32(cp).unwrap());
                    } else {
                        out.push(char::from_u32(n).unwrap());
                    }
                }
                other => panic!("unknown escape {other}"),
            },
            c => out.push(c),
        }
    }
    panic!("unterminated JSON string")
}
