//! Integration tests of `platc_write::compare`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

mod common;

use std::fs;
use std::time::Instant;

use common::{manifest_text, snapshot, tree};
use platc_tree::{FileTree, RelPath};
use platc_write::{compare, write, WriteError};

fn paths<T>(items: &[T], path: impl Fn(&T) -> &RelPath) -> Vec<&str> {
    items.iter().map(|i| path(i).as_str()).collect()
}

#[test]
fn clean_after_write_and_compare_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let t = tree(&[("a.yaml", "a\n"), ("dir/b.yaml", "b\n")]);
    write(&t, &out).unwrap();
    fs::write(out.join("user.txt"), "mine").unwrap();
    let before = snapshot(&out);
    let drift = compare(&t, &out).unwrap();
    assert!(drift.is_clean(), "{drift:?}");
    assert_eq!(drift.unified_diff(), "");
    assert_eq!(snapshot(&out), before);
}

#[test]
fn missing_output_directory_is_all_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let t = tree(&[("a.yaml", "a\n")]);
    let drift = compare(&t, &out).unwrap();
    assert_eq!(paths(&drift.missing, |f| &f.path), ["a.yaml"]);
    let manifest = drift.manifest.as_ref().unwrap();
    assert_eq!(manifest.old, None);
    assert_eq!(manifest.new, manifest_text(&["a.yaml"]).into_bytes());
    assert!(!out.exists());
}

#[test]
fn changed_missing_stale_and_manifest_drift() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let old = tree(&[
        ("a.yaml", "one\ntwo\nthree\n"),
        ("gone.yaml", "bye\n"),
        ("keep.yaml", "same\n"),
        ("removed-by-hand.yaml", "x\n"),
    ]);
    write(&old, &out).unwrap();
    fs::remove_file(out.join("removed-by-hand.yaml")).unwrap();

    let new = tree(&[
        ("a.yaml", "one\nTWO\nthree\n"),
        ("keep.yaml", "same\n"),
        ("new/n.yaml", "hello\n"),
        ("removed-by-hand.yaml", "x\n"),
    ]);
    let drift = compare(&new, &out).unwrap();
    assert!(!drift.is_clean());
    assert_eq!(paths(&drift.changed, |f| &f.path), ["a.yaml"]);
    assert_eq!(drift.changed[0].old, b"one\ntwo\nthree\n");
    assert_eq!(drift.changed[0].new, b"one\nTWO\nthree\n");
    assert_eq!(
        paths(&drift.missing, |f| &f.path),
        ["new/n.yaml", "removed-by-hand.yaml"]
    );
    assert_eq!(paths(&drift.stale, |f| &f.path), ["gone.yaml"]);
    assert_eq!(drift.stale[0].contents, b"bye\n");
    assert!(drift.manifest_differs());

    // After writing, everything is clean.
    write(&new, &out).unwrap();
    assert!(compare(&new, &out).unwrap().is_clean());
}

#[test]
fn manifest_only_drift() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(&tree(&[("a.yaml", "a\n"), ("b.yaml", "b\n")]), &out).unwrap();
    // The user deleted a generated file that is no longer generated anyway.
    fs::remove_file(out.join("b.yaml")).unwrap();
    let now = tree(&[("a.yaml", "a\n")]);
    let drift = compare(&now, &out).unwrap();
    assert!(drift.changed.is_empty() && drift.missing.is_empty() && drift.stale.is_empty());
    assert!(drift.manifest_differs() && !drift.is_clean());

    let report = write(&now, &out).unwrap();
    assert!(report.swapped && report.written.is_empty() && report.deleted.is_empty());
    assert!(compare(&now, &out).unwrap().is_clean());
}

#[test]
fn same_size_changes_are_found() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(&tree(&[("a", "aaaa")]), &out).unwrap();
    let t = tree(&[("a", "aaab")]);
    assert_eq!(compare(&t, &out).unwrap().changed.len(), 1);
    assert_eq!(write(&t, &out).unwrap().written.len(), 1);
    assert_eq!(fs::read(out.join("a")).unwrap(), b"aaab");
}

#[test]
fn compare_refuses_what_write_would_refuse() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(&tree(&[("a.yaml", "a\n")]), &out).unwrap();
    fs::write(out.join("user.yaml"), "mine\n").unwrap();
    let err = compare(&tree(&[("a.yaml", "a\n"), ("user.yaml", "x")]), &out).unwrap_err();
    assert!(matches!(err, WriteError::Collision { .. }), "{err}");
    let err = compare(&tree(&[("user.yaml/x", "x")]), &out).unwrap_err();
    assert!(matches!(err, WriteError::Collision { .. }), "{err}");
}

#[test]
fn unified_diff_text() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut old = tree(&[
        ("a.yaml", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"),
        ("gone.yaml", "bye\n"),
        ("keep.yaml", "same\n"),
    ]);
    old.insert(RelPath::new("b.bin").unwrap(), vec![0, 1, 2])
        .unwrap();
    write(&old, &out).unwrap();

    let mut new = tree(&[
        ("a.yaml", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10"),
        ("keep.yaml", "same\n"),
        ("new.yaml", "hello\n"),
    ]);
    new.insert(RelPath::new("b.bin").unwrap(), vec![0, 1, 3])
        .unwrap();
    let diff = compare(&new, &out).unwrap().unified_diff();
    let header = "# platc-manifest v1: files generated by platc in this directory; do not edit";
    let expected = format!(
        "\
--- a/.platc-manifest
+++ b/.platc-manifest
@@ -1,5 +1,5 @@
 {header}
 a.yaml
 b.bin
-gone.yaml
 keep.yaml
+new.yaml
--- a/a.yaml
+++ b/a.yaml
@@ -2,9 +2,9 @@
 2
 3
 4
-5
+five
 6
 7
 8
 9
-10
+10
\\ No newline at end of file
Binary files a/b.bin and b/b.bin differ
--- a/gone.yaml
+++ /dev/null
@@ -1 +0,0 @@
-bye
--- /dev/null
+++ b/new.yaml
@@ -0,0 +1 @@
+hello
"
    );
    assert_eq!(diff, expected, "got:\n{diff}");
}

#[test]
fn compare_twelve_thousand_files_is_fast() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut t = FileTree::new();
    let body = "key: value\n".repeat(380); // ~4 KiB
    for i in 0..12_000 {
        let path = format!("apps/app{:03}/overlays/env{}/file{i}.yaml", i % 300, i % 4);
        t.insert(RelPath::new(path).unwrap(), body.clone().into_bytes())
            .unwrap();
    }
    let started = Instant::now();
    write(&t, &out).unwrap();
    let write_time = started.elapsed();
    let started = Instant::now();
    let drift = compare(&t, &out).unwrap();
    let compare_time = started.elapsed();
    assert!(drift.is_clean());
    let started = Instant::now();
    assert!(!write(&t, &out).unwrap().swapped);
    let noop_time = started.elapsed();
    eprintln!(
        "12,000 files / {} MB: write {write_time:?}, compare {compare_time:?}, no-op write \
         {noop_time:?}",
        12_000 * body.len() / 1_000_000
    );
    // Generous bound for slow debug builds on loaded CI machines.
    assert!(compare_time.as_secs() < 20, "compare took {compare_time:?}");
}
