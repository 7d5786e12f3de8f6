//! `platc render` killed at random instants: afterwards the output directory holds exactly the
//! old tree or exactly the new one (plus the user's own files), and the next render succeeds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn platform(services: usize, tag: &str) -> String {
    let mut s = String::from(
        "version = 1\n[platform]\nname = \"k\"\ndomain = \"k.example\"\ncloud = \"aws\"\nregion = \"r\"\nregistry = \"ghcr.io/k\"\n\
         [stages.test]\nnamespace = \"{app}-test\"\n[stages.prod]\nnamespace = \"{app}-prod\"\n",
    );
    for i in 0..services {
        s.push_str(&format!(
            "[apps.a{}.services.s{i}]\nport = 8080\ntag = \"{tag}\"\n",
            i % 20
        ));
    }
    s
}

/// Generated files on disk (the manifest and the user's file excluded).
fn on_disk(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir) {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if rel != ".platc-manifest" && rel != "NOTES.md" {
                files.insert(rel, std::fs::read(e.path()).unwrap());
            }
        }
    }
    files
}

fn expected(source: &str) -> BTreeMap<String, Vec<u8>> {
    let tree = platc::compile(source).map_err(|_| "invalid").unwrap();
    tree.iter()
        .map(|(p, c)| (p.as_str().to_string(), c.to_vec()))
        .collect()
}

#[test]
fn a_killed_render_leaves_the_old_or_the_new_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let a = platform(300, "1.0.0");
    let b = platform(300, "2.0.0");
    std::fs::write(tmp.path().join("a.toml"), &a).unwrap();
    std::fs::write(tmp.path().join("b.toml"), &b).unwrap();
    let (tree_a, tree_b) = (expected(&a), expected(&b));
    let out = tmp.path().join("out");
    let render = |cfg: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_platc"));
        c.current_dir(tmp.path())
            .args(["render", "-c", cfg, "-o", "out"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };
    assert!(render("a.toml").status().unwrap().success());
    std::fs::write(out.join("NOTES.md"), "mine").unwrap();
    // Time one full render to spread the kills over it.
    let t = Instant::now();
    assert!(render("b.toml").status().unwrap().success());
    let full = t.elapsed().max(Duration::from_millis(5));
    let mut seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("kill test seed {seed}, one render takes {full:?}");
    let (mut kills, mut saw_a, mut saw_b) = (0, 0, 0);
    let started = Instant::now();
    while kills < 40 && started.elapsed() < Duration::from_secs(20) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = full.mul_f64((seed % 1000) as f64 / 1000.0 * 1.2);
        let cfg = if kills % 2 == 0 { "a.toml" } else { "b.toml" };
        let mut child = render(cfg).spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        kills += 1;
        let now = on_disk(&out);
        if now == tree_a {
            saw_a += 1;
        } else if now == tree_b {
            saw_b += 1;
        } else {
            panic!("after kill {kills} (delay {delay:?}, seed {seed}) the tree is neither the old nor the new one");
        }
        assert_eq!(
            std::fs::read_to_string(out.join("NOTES.md")).unwrap(),
            "mine"
        );
    }
    assert!(
        render("a.toml").status().unwrap().success(),
        "render after the kills"
    );
    assert_eq!(on_disk(&out), tree_a);
    eprintln!("{kills} kills: {saw_a} old/A, {saw_b} new/B");
    assert!(kills >= 10);
}
