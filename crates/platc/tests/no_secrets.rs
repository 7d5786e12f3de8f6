//! No secret material in any rendered output: every golden tree (exactly what `render`
//! writes) is scanned for anything that looks like a credential.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

/// `password: xyz`-style assignments with a literal value (what secret scanners flag).
fn assignment_with_literal(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    for key in [
        "password", "passwd", "secret", "token", "api_key", "api-key", "apikey",
    ] {
        let mut from = 0;
        while let Some(i) = lower
            .get(from..)
            .and_then(|s| s.find(key))
            .map(|i| i + from)
        {
            from = i + key.len();
            let rest = lower.get(from..).unwrap_or("");
            let rest = rest.trim_start_matches(['"', '\'']).trim_start();
            let Some(value) = rest.strip_prefix(':').or_else(|| rest.strip_prefix('=')) else {
                continue;
            };
            let value = value.trim().trim_matches(['"', '\'']);
            let literal = value.len() >= 8
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+/!@#$%^&*".contains(c));
            if literal {
                return true;
            }
        }
    }
    false
}

#[test]
fn rendered_outputs_hold_no_credentials() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../golden");
    let mut files = 0;
    let mut findings = Vec::new();
    for entry in walkdir::WalkDir::new(&golden).sort_by_file_name() {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() || entry.path().starts_with(golden.join("invalid")) {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for (n, line) in text.lines().enumerate() {
            let rel = entry.path().strip_prefix(&golden).unwrap().display();
            if line.contains("PRIVATE KEY-----") || assignment_with_literal(line) {
                findings.push(format!("{rel}:{}: {line}", n + 1));
            }
            for token in line.split(|c: char| c.is_whitespace() || "\"',=:[]{}()".contains(c)) {
                if let Some(kind) = platc_values::secrets::value_looks_secret(token) {
                    findings.push(format!("{rel}:{}: {kind}: {token}", n + 1));
                }
            }
        }
    }
    assert!(files > 50, "scanned only {files} files");
    assert!(
        findings.is_empty(),
        "credential-like content in rendered output:\n{}",
        findings.join("\n")
    );
}

#[test]
fn the_scanner_finds_planted_credentials() {
    assert!(assignment_with_literal("  password: hunter2hunter2"));
    assert!(assignment_with_literal("DB_PASSWORD=\"s3cr3tP4ss\""));
    assert!(!assignment_with_literal("  passwordKey: password"));
    assert!(!assignment_with_literal(
        "  existingSecret: orders-postgresql-credentials"
    ));
    assert!(platc_values::secrets::value_looks_secret("AKIAIOSFODNN7EXAMPLE").is_some());
}
