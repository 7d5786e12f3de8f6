//! Integration tests of `platc_write::write`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

mod common;

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::Path;

use common::{contents, manifest_text, names, permissions_enforced, snapshot, tree};
use platc_tree::{FileTree, RelPath};
use platc_write::{write, WriteError};

fn ino(path: &Path) -> u64 {
    fs::symlink_metadata(path).unwrap().ino()
}

fn tree_a() -> FileTree {
    tree(&[
        (
            "apps/shop/base/kustomization.yaml",
            "resources: [deploy.yaml]\n",
        ),
        ("apps/shop/base/deploy.yaml", "kind: Deployment\n"),
        ("apps/old/app.yaml", "kind: Old\n"),
        ("terraform/main.tf", "terraform {}\n"),
        ("README.generated.md", "generated\n"),
    ])
}

/// Like A with one file changed, one gone (stale) and one new.
fn tree_b() -> FileTree {
    tree(&[
        (
            "apps/shop/base/kustomization.yaml",
            "resources: [deploy.yaml]\n",
        ),
        (
            "apps/shop/base/deploy.yaml",
            "kind: Deployment\nreplicas: 2\n",
        ),
        ("apps/new/app.yaml", "kind: New\n"),
        ("terraform/main.tf", "terraform {}\n"),
        ("README.generated.md", "generated\n"),
    ])
}

#[test]
fn first_write_creates_tree_and_second_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let a = tree_a();

    let report = write(&a, &out).unwrap();
    assert!(report.swapped);
    assert_eq!(report.written.len(), 5);
    assert_eq!((report.unchanged, report.deleted.len()), (0, 0));
    let mut expected: Vec<(String, Vec<u8>)> =
        a.iter().map(|(p, c)| (p.to_string(), c.to_vec())).collect();
    let paths: Vec<&str> = a.iter().map(|(p, _)| p.as_str()).collect();
    expected.push((".platc-manifest".into(), manifest_text(&paths).into_bytes()));
    expected.sort();
    assert_eq!(contents(&out).into_iter().collect::<Vec<_>>(), expected);
    let mode = fs::metadata(out.join("terraform/main.tf")).unwrap().mode() & 0o777;
    assert_eq!(mode, 0o644);
    // Only the output directory remains next to it: no staging leftovers.
    assert_eq!(names(tmp.path()), ["out"]);

    let before = snapshot(&out);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let report = write(&a, &out).unwrap();
    assert!(!report.swapped);
    assert!(report.written.is_empty() && report.deleted.is_empty());
    assert_eq!(report.unchanged, 5);
    // Same inodes, mtimes and ctimes for everything, the output directory included.
    assert_eq!(snapshot(&out), before);
    assert_eq!(names(tmp.path()), ["out"]);
}

#[test]
fn user_files_survive_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(&tree_a(), &out).unwrap();

    // User content: at the root, inside generated directories, a symlink (dangling and to a
    // directory), unusual permissions, a read-only directory, an empty directory.
    fs::write(out.join("NOTES.md"), "mine\n").unwrap();
    fs::write(out.join("apps/shop/base/patch.yaml"), "my patch\n").unwrap();
    fs::write(out.join("apps/old/keep.txt"), "next to a stale file\n").unwrap();
    fs::write(out.join("secret.key"), "s3cret").unwrap();
    fs::set_permissions(out.join("secret.key"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::write(out.join("run.sh"), "#!/bin/sh\n").unwrap();
    fs::set_permissions(out.join("run.sh"), fs::Permissions::from_mode(0o2751)).unwrap();
    symlink("../somewhere/else", out.join("apps/link")).unwrap();
    symlink("apps/shop", out.join("shop-link")).unwrap();
    fs::create_dir_all(out.join("frozen/inner")).unwrap();
    fs::write(out.join("frozen/inner/data"), "frozen").unwrap();
    fs::set_permissions(out.join("frozen/inner"), fs::Permissions::from_mode(0o555)).unwrap();
    fs::set_permissions(out.join("frozen"), fs::Permissions::from_mode(0o511)).unwrap();
    fs::create_dir(out.join("apps/empty")).unwrap();
    // A name that is not UTF-8.
    let latin1 = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    fs::write(out.join(latin1), "latin-1 name").unwrap();

    let user = [
        "NOTES.md",
        "apps/shop/base/patch.yaml",
        "apps/old/keep.txt",
        "secret.key",
        "run.sh",
        "apps/link",
        "shop-link",
        "frozen/inner/data",
    ];
    let latin1_ino = ino(&out.join(latin1));
    let before = snapshot(&out);
    let unchanged_generated = "apps/shop/base/kustomization.yaml";

    let report = write(&tree_b(), &out).unwrap();
    assert!(report.swapped);
    assert_eq!(
        report
            .written
            .iter()
            .map(RelPath::as_str)
            .collect::<Vec<_>>(),
        ["apps/new/app.yaml", "apps/shop/base/deploy.yaml"]
    );
    assert_eq!(report.unchanged, 3);
    assert_eq!(
        report
            .deleted
            .iter()
            .map(RelPath::as_str)
            .collect::<Vec<_>>(),
        ["apps/old/app.yaml"]
    );
    let after = snapshot(&out);
    for path in user {
        let (b, a) = (&before[path], &after[path]);
        assert_eq!(
            (a.kind, &a.data, a.mode, a.ino, a.mtime_ns),
            (b.kind, &b.data, b.mode, b.ino, b.mtime_ns),
            "{path} changed"
        );
    }
    assert_eq!(after["frozen"].mode, 0o511);
    assert_eq!(after["frozen/inner"].mode, 0o555);
    assert_eq!(after["apps/empty"].kind, "dir");
    assert_eq!(ino(&out.join(latin1)), latin1_ino);
    // An unchanged generated file keeps inode and mtime; a changed one is new.
    assert_eq!(
        after[unchanged_generated].ino,
        before[unchanged_generated].ino
    );
    assert_eq!(
        after[unchanged_generated].mtime_ns,
        before[unchanged_generated].mtime_ns
    );
    assert_eq!(
        after["apps/shop/base/deploy.yaml"].data,
        b"kind: Deployment\nreplicas: 2\n"
    );
    assert!(!after.contains_key("apps/old/app.yaml"));
    assert_eq!(names(tmp.path()), ["out"]);

    // And once more back to A: the user files are still the same inodes.
    write(&tree_a(), &out).unwrap();
    let again = snapshot(&out);
    for path in user {
        assert_eq!(again[path].ino, before[path].ino, "{path}");
        assert_eq!(again[path].data, before[path].data, "{path}");
    }
    // Clean up the read-only directories so the temp dir can be removed.
    fs::set_permissions(out.join("frozen"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(out.join("frozen/inner"), fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn stale_generated_files_are_removed_and_user_files_next_to_them_remain() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let a = tree(&[
        ("apps/gone/base/a.yaml", "a\n"),
        ("apps/gone/base/b.yaml", "b\n"),
        ("apps/half/x.yaml", "x\n"),
        ("apps/half/y.yaml", "y\n"),
        ("top.yaml", "top\n"),
    ]);
    write(&a, &out).unwrap();
    fs::write(out.join("apps/half/user.md"), "mine\n").unwrap();
    let user_ino = ino(&out.join("apps/half/user.md"));

    let b = tree(&[
        ("apps/half/x.yaml", "x\n"),
        ("top.yaml/inner.yaml", "now a dir\n"),
    ]);
    let report = write(&b, &out).unwrap();
    assert_eq!(
        report
            .deleted
            .iter()
            .map(RelPath::as_str)
            .collect::<Vec<_>>(),
        [
            "apps/gone/base/a.yaml",
            "apps/gone/base/b.yaml",
            "apps/half/y.yaml",
            "top.yaml"
        ]
    );
    let files: Vec<String> = contents(&out).into_keys().collect();
    assert_eq!(
        files,
        [
            ".platc-manifest",
            "apps/half/user.md",
            "apps/half/x.yaml",
            "top.yaml/inner.yaml"
        ]
    );
    // Directories emptied by the deletion are gone.
    assert!(!out.join("apps/gone").exists());
    assert_eq!(ino(&out.join("apps/half/user.md")), user_ino);
    assert_eq!(
        fs::read_to_string(out.join(".platc-manifest")).unwrap(),
        manifest_text(&["apps/half/x.yaml", "top.yaml/inner.yaml"])
    );
}

fn assert_unchanged_after<T: std::fmt::Debug>(
    parent: &Path,
    out: &Path,
    f: impl FnOnce() -> Result<T, WriteError>,
) -> WriteError {
    let before = snapshot(out);
    let siblings = names(parent);
    let err = f().unwrap_err();
    assert_eq!(snapshot(out), before, "output directory changed");
    assert_eq!(names(parent), siblings, "something left next to it");
    // The message names the path and has a hint.
    let text = err.to_string();
    assert!(text.contains(&err.path().display().to_string()), "{text}");
    assert!(text.contains("hint:"), "{text}");
    err
}

#[test]
fn collisions_with_user_files_and_directories_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(&tree_a(), &out).unwrap();
    fs::write(out.join("apps/user.yaml"), "mine\n").unwrap();
    fs::create_dir(out.join("apps/userdir")).unwrap();
    fs::write(out.join("apps/userdir/f"), "mine\n").unwrap();
    symlink("target", out.join("apps/userlink")).unwrap();

    let with = |path: &str| {
        let mut t = tree_b();
        t.insert(RelPath::new(path).unwrap(), b"generated\n".to_vec())
            .unwrap();
        assert_unchanged_after(tmp.path(), &out, || write(&t, &out))
    };
    let err = with("apps/user.yaml");
    assert!(
        matches!(&err, WriteError::Collision { path, existing: "file" } if path.ends_with("apps/user.yaml")),
        "{err}"
    );
    let err = with("apps/userdir");
    assert!(
        matches!(
            err,
            WriteError::Collision {
                existing: "directory",
                ..
            }
        ),
        "{err}"
    );
    let err = with("apps/userlink");
    assert!(
        matches!(
            err,
            WriteError::Collision {
                existing: "symbolic link",
                ..
            }
        ),
        "{err}"
    );
    // A user file where a generated directory would have to be.
    let err = with("apps/user.yaml/x.yaml");
    assert!(
        matches!(
            err,
            WriteError::Collision {
                existing: "file",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn first_write_into_a_directory_with_files_refuses_to_overwrite_them() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("README.generated.md"), "hand written\n").unwrap();
    fs::write(out.join("other"), "kept\n").unwrap();
    let err = assert_unchanged_after(tmp.path(), &out, || write(&tree_a(), &out));
    assert!(matches!(err, WriteError::Collision { .. }), "{err}");

    // Without the colliding file the write goes through and keeps the other one.
    fs::remove_file(out.join("README.generated.md")).unwrap();
    let other = ino(&out.join("other"));
    write(&tree_a(), &out).unwrap();
    assert_eq!(ino(&out.join("other")), other);
}

#[test]
fn symlinked_output_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("real");
    fs::create_dir(&real).unwrap();
    let out = tmp.path().join("out");
    symlink("real", &out).unwrap();
    let err = write(&tree_a(), &out).unwrap_err();
    assert!(matches!(err, WriteError::OutDirIsSymlink { .. }), "{err}");
    assert!(fs::read_dir(&real).unwrap().next().is_none());
    assert!(fs::symlink_metadata(&out).unwrap().file_type().is_symlink());
    let err = platc_write::compare(&tree_a(), &out).unwrap_err();
    assert!(matches!(err, WriteError::OutDirIsSymlink { .. }), "{err}");
}

#[test]
fn symlink_on_the_way_to_a_generated_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(&tree_a(), &out).unwrap();
    // The user replaced a generated directory by a symlink to elsewhere.
    let elsewhere = tmp.path().join("elsewhere");
    fs::rename(out.join("apps/shop"), &elsewhere).unwrap();
    symlink(&elsewhere, out.join("apps/shop")).unwrap();
    let outside = snapshot(&elsewhere);
    let err = assert_unchanged_after(tmp.path(), &out, || write(&tree_b(), &out));
    assert!(
        matches!(&err, WriteError::SymlinkInPath { path } if path.ends_with("apps/shop")),
        "{err}"
    );
    assert_eq!(snapshot(&elsewhere), outside);
    let err = platc_write::compare(&tree_b(), &out).unwrap_err();
    assert!(matches!(err, WriteError::SymlinkInPath { .. }), "{err}");
}

#[test]
fn special_files_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(&tree_a(), &out).unwrap();
    let socket = out.join("apps/agent.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let err = assert_unchanged_after(tmp.path(), &out, || write(&tree_b(), &out));
    assert!(
        matches!(&err, WriteError::SpecialFile { path } if *path == socket),
        "{err}"
    );
    fs::remove_file(&socket).unwrap();

    let fifo = out.join("apps/fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let err = assert_unchanged_after(tmp.path(), &out, || write(&tree_b(), &out));
        assert!(
            matches!(&err, WriteError::SpecialFile { path } if *path == fifo),
            "{err}"
        );
    } else {
        eprintln!("mkfifo unavailable; fifo case skipped (socket case covered)");
    }
}

#[test]
fn leftover_staging_directory_is_cleaned_and_write_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(&tree_a(), &out).unwrap();
    // What a run killed while building its staging tree leaves behind.
    let staging = tmp.path().join(".out.platc-staging");
    fs::create_dir_all(staging.join("apps/ro")).unwrap();
    fs::write(staging.join("apps/half-written.yaml"), "kind: Dep").unwrap();
    fs::hard_link(
        out.join("terraform/main.tf"),
        staging.join("apps/ro/main.tf"),
    )
    .unwrap();
    fs::set_permissions(staging.join("apps/ro"), fs::Permissions::from_mode(0o555)).unwrap();

    let report = write(&tree_b(), &out).unwrap();
    assert!(report.swapped);
    assert_eq!(names(tmp.path()), ["out"]);
    let expected: Vec<String> = tree_b().iter().map(|(p, _)| p.to_string()).collect();
    let mut found: Vec<String> = contents(&out).into_keys().collect();
    found.retain(|p| p != ".platc-manifest");
    assert_eq!(found, expected);

    // A leftover that would make the no-op write a no-op is cleaned too.
    fs::create_dir(&staging).unwrap();
    let report = write(&tree_b(), &out).unwrap();
    assert!(!report.swapped);
    assert_eq!(names(tmp.path()), ["out"]);
}

#[test]
fn invalid_trees_are_refused_before_anything_happens() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let err = write(&tree(&[(".platc-manifest", "x")]), &out).unwrap_err();
    assert!(matches!(err, WriteError::ReservedPath { .. }), "{err}");
    let err = write(&tree(&[("a", "x"), ("a/b", "y")]), &out).unwrap_err();
    assert!(matches!(err, WriteError::FileDirConflict { .. }), "{err}");
    let err = write(&tree(&[("a\nb", "x")]), &out).unwrap_err();
    assert!(matches!(err, WriteError::UnsupportedPath { .. }), "{err}");
    assert!(names(tmp.path()).is_empty());

    let err = write(&tree_a(), &tmp.path().join("missing/out")).unwrap_err();
    assert!(matches!(err, WriteError::ParentMissing { .. }), "{err}");
    fs::write(&out, "a file").unwrap();
    let err = write(&tree_a(), &out).unwrap_err();
    assert!(
        matches!(err, WriteError::OutDirNotADirectory { .. }),
        "{err}"
    );
}

#[test]
fn corrupt_manifest_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(&tree_a(), &out).unwrap();
    fs::write(out.join(".platc-manifest"), "apps/x\n").unwrap();
    let err = assert_unchanged_after(tmp.path(), &out, || write(&tree_b(), &out));
    assert!(
        matches!(err, WriteError::BadManifest { line: 1, .. }),
        "{err}"
    );
}

#[test]
fn repository_root_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("repo");
    fs::create_dir_all(out.join(".git")).unwrap();
    let err = assert_unchanged_after(tmp.path(), &out, || write(&tree_a(), &out));
    assert!(matches!(err, WriteError::UnusableOutDir { .. }), "{err}");
}

#[test]
fn unwritable_parent_and_read_only_directories_give_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    if !permissions_enforced(tmp.path()) {
        eprintln!("running with privileges that bypass permissions; skipped");
        return;
    }
    let parent = tmp.path().join("parent");
    let out = parent.join("out");
    fs::create_dir(&parent).unwrap();
    write(&tree_a(), &out).unwrap();
    fs::set_permissions(&parent, fs::Permissions::from_mode(0o555)).unwrap();
    let err = assert_unchanged_after(&parent, &out, || write(&tree_b(), &out));
    assert!(
        matches!(&err, WriteError::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied),
        "{err}"
    );
    // A no-op write needs no write access at all.
    assert!(!write(&tree_a(), &out).unwrap().swapped);
    fs::set_permissions(&parent, fs::Permissions::from_mode(0o755)).unwrap();

    // An unreadable user directory: the tree cannot be carried over.
    fs::create_dir(out.join("locked")).unwrap();
    fs::write(out.join("locked/f"), "x").unwrap();
    fs::set_permissions(out.join("locked"), fs::Permissions::from_mode(0o000)).unwrap();
    let err = write(&tree_b(), &out).unwrap_err();
    assert!(err.path().ends_with("locked"), "{err}");
    assert_eq!(names(&parent), ["out"]);
    fs::set_permissions(out.join("locked"), fs::Permissions::from_mode(0o755)).unwrap();
    write(&tree_b(), &out).unwrap();
    assert_eq!(fs::read_to_string(out.join("locked/f")).unwrap(), "x");
}

#[test]
fn relative_output_directory_and_current_directory_inside_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(&tree_a(), &out).unwrap();
    // Run in a child process: the current directory is process-wide.
    let exe = std::env::current_exe().unwrap();
    let output = std::process::Command::new(exe)
        .args(["--exact", "cwd_helper", "--nocapture", "--test-threads=1"])
        .env("PLATC_WRITE_CWD_HELPER", &out)
        .current_dir(out.join("apps"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Helper for the test above; does nothing unless started by it.
#[test]
fn cwd_helper() {
    let Some(out) = std::env::var_os("PLATC_WRITE_CWD_HELPER") else {
        return;
    };
    let out = Path::new(&out);
    let err = write(&tree_b(), Path::new("..")).unwrap_err();
    assert!(matches!(err, WriteError::UnusableOutDir { .. }), "{err}");
    let err = write(&tree_b(), out).unwrap_err();
    assert!(matches!(err, WriteError::UnusableOutDir { .. }), "{err}");
    // From the parent, a relative path works.
    std::env::set_current_dir(out.parent().unwrap()).unwrap();
    assert!(write(&tree_b(), Path::new("out")).unwrap().swapped);
    assert!(write(&tree_b(), Path::new("./out/")).unwrap().unchanged == 5);
}

/// A tree handed to a `Writer` in parts gives exactly what `write` gives for the whole tree.
#[test]
fn writer_in_parts_equals_whole_write() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    let parts = tmp.path().join("parts");
    for out in [&whole, &parts] {
        fs::create_dir(out).unwrap();
        fs::write(out.join("user.txt"), "mine\n").unwrap();
        write(&tree_a(), out).unwrap();
    }
    let report = write(&tree_b(), &whole).unwrap();

    let mut writer = platc_write::Writer::begin(&parts).unwrap();
    for (path, bytes) in tree_b().into_iter().rev() {
        let mut part = FileTree::new();
        part.insert(path, bytes).unwrap();
        writer.add(part).unwrap();
    }
    let parts_report = writer.finish().unwrap();
    assert_eq!(parts_report, report);
    let shape = |dir: &Path| {
        snapshot(dir)
            .into_iter()
            .map(|(path, s)| (path, s.kind, s.data, s.mode))
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&parts), shape(&whole));

    // Nothing changed: nothing written, nothing staged.
    let mut writer = platc_write::Writer::begin(&parts).unwrap();
    writer.add(tree_b()).unwrap();
    let again = writer.finish().unwrap();
    assert!(!again.swapped && again.written.is_empty());
}

/// Two parts claiming one path, or a path as file and directory, fail the write; the output
/// directory is unchanged and no staging directory is left, also when the caller goes on to
/// `finish` after the failed `add`.
#[test]
fn writer_rejects_duplicates_and_conflicts_across_parts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    write(&tree_a(), &out).unwrap();
    let before = snapshot(&out);
    for (first, second, duplicate) in [
        ("x/a.yaml", "x/a.yaml", true),
        ("x/a", "x/a/b", false),
        ("x/a/b", "x/a", false),
    ] {
        let mut writer = platc_write::Writer::begin(&out).unwrap();
        writer.add(tree(&[(first, "1\n")])).unwrap();
        let err = writer.add(tree(&[(second, "2\n")])).unwrap_err();
        if duplicate {
            assert!(matches!(err, WriteError::DuplicatePath { .. }), "{err}");
        } else {
            assert!(matches!(err, WriteError::FileDirConflict { .. }), "{err}");
        }
        // A caller that ignores the error cannot swap a tree with parts missing.
        assert!(writer.finish().is_err());
        assert_eq!(snapshot(&out), before);
        let leftovers: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != "out")
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
