//! SIGKILL a process in the middle of writes and check the output directory is always exactly
//! the old or the new tree.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{contents, manifest_text, names};
use platc_tree::{FileTree, RelPath};
use platc_write::write;

const HELPER_ENV: &str = "PLATC_WRITE_KILL_HELPER";
const FILES: usize = 2000;

/// Two big trees: every file differs between them, and a tenth of the paths exist in only one.
fn big_tree(variant: usize) -> FileTree {
    let mut tree = FileTree::new();
    for i in 0..FILES {
        let only_in = i % 10;
        if (variant == 0 && only_in == 1) || (variant == 1 && only_in == 0) {
            continue;
        }
        let path = format!("apps/app{:02}/base/file{i}.yaml", i % 100);
        let body = format!("variant: {variant}\nfile: {i}\n").repeat(8);
        tree.insert(RelPath::new(path).unwrap(), body.into_bytes())
            .unwrap();
    }
    tree
}

const USER_FILES: [(&str, &str); 3] = [
    ("USER.md", "mine\n"),
    ("apps/app00/base/user-patch.yaml", "patch: true\n"),
    ("apps/secret", "s3cret"),
];

/// What the directory must look like holding `tree` plus the user's files.
fn expected(tree: &FileTree) -> BTreeMap<String, Vec<u8>> {
    let mut all: BTreeMap<String, Vec<u8>> = tree
        .iter()
        .map(|(p, c)| (p.to_string(), c.to_vec()))
        .collect();
    let paths: Vec<&str> = tree.iter().map(|(p, _)| p.as_str()).collect();
    all.insert(".platc-manifest".into(), manifest_text(&paths).into_bytes());
    for (path, body) in USER_FILES {
        all.insert(path.into(), body.as_bytes().to_vec());
    }
    all.insert("apps/link".into(), b"->../USER.md".to_vec());
    all
}

/// Runs in the child: writes the two trees alternately until killed.
#[test]
fn kill_helper() {
    let Some(out) = std::env::var_os(HELPER_ENV) else {
        return;
    };
    let trees = [big_tree(0), big_tree(1)];
    loop {
        for tree in &trees {
            if let Err(err) = write(tree, Path::new(&out)) {
                eprintln!("write failed: {err}");
                std::process::exit(3);
            }
        }
    }
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn killed_writes_leave_the_old_or_the_new_tree() {
    // The whole test stays within about 20 s: the kill loop stops 15 s after the start.
    let test_start = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let staging = tmp.path().join(".out.platc-staging");
    let trees = [big_tree(0), big_tree(1)];
    let expected = [expected(&trees[0]), expected(&trees[1])];

    // How long one full write takes here decides the spread of the kill delays.
    let started = Instant::now();
    write(&trees[0], &out).unwrap();
    let write_time = started.elapsed();
    for (path, body) in USER_FILES {
        fs::write(out.join(path), body).unwrap();
    }
    fs::set_permissions(out.join("apps/secret"), fs::Permissions::from_mode(0o600)).unwrap();
    symlink("../USER.md", out.join("apps/link")).unwrap();
    let inodes: Vec<u64> = USER_FILES
        .iter()
        .map(|(path, _)| fs::metadata(out.join(path)).unwrap().ino())
        .collect();
    assert_eq!(contents(&out), expected[0]);

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = XorShift(seed);
    let max_delay = (write_time * 2).clamp(Duration::from_millis(50), Duration::from_millis(1500));
    eprintln!("seed {seed}, one write {write_time:?}, delays up to {max_delay:?}");

    let exe = std::env::current_exe().unwrap();
    let began = Instant::now();
    let (mut iterations, mut mid_write, mut seen) = (0, 0, [0, 0]);
    while iterations < 50 && (iterations < 5 || test_start.elapsed() < Duration::from_secs(15)) {
        let mut child = Command::new(&exe)
            .args(["--exact", "kill_helper", "--nocapture", "--test-threads=1"])
            .env(HELPER_ENV, &out)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let delay = Duration::from_micros(rng.next() % (max_delay.as_micros() as u64));
        std::thread::sleep(delay);
        if let Some(status) = child.try_wait().unwrap() {
            let output = child.wait_with_output().unwrap();
            panic!(
                "helper exited on its own ({status}): {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        iterations += 1;
        if staging.exists() {
            mid_write += 1;
        }

        let now = contents(&out);
        let state = expected.iter().position(|e| *e == now).unwrap_or_else(|| {
            let stray: Vec<&String> = now
                .keys()
                .filter(|k| !expected[0].contains_key(*k) && !expected[1].contains_key(*k))
                .take(5)
                .collect();
            panic!(
                "after a kill at {delay:?} the directory is neither tree (seed {seed}); \
                     {} entries, e.g. unknown {stray:?}",
                now.len()
            )
        });
        seen[state] += 1;
        for ((path, _), ino) in USER_FILES.iter().zip(&inodes) {
            assert_eq!(fs::metadata(out.join(path)).unwrap().ino(), *ino, "{path}");
        }
    }
    eprintln!(
        "{iterations} kills in {:?}: {} left tree A, {} left tree B, {mid_write} interrupted a \
         write in progress",
        began.elapsed(),
        seen[0],
        seen[1]
    );
    assert!(
        mid_write >= 3,
        "only {mid_write} kills hit a write in progress"
    );

    // The next run cleans up and succeeds.
    let report = write(&trees[1], &out).unwrap();
    assert_eq!(contents(&out), expected[1], "{report:?}");
    assert_eq!(names(tmp.path()), ["out"]);
    for ((path, _), ino) in USER_FILES.iter().zip(&inodes) {
        assert_eq!(fs::metadata(out.join(path)).unwrap().ino(), *ino, "{path}");
    }
}
