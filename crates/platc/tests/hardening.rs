//! No input breaks platc: arbitrary and mutated inputs never panic and render
//! deterministically; hostile strings either get a diagnostic or come back unchanged from the
//! rendered YAML; absurd sizes give a result or a clear error.
//!
//! `PROPTEST_CASES=100000 cargo test --release -p platc --test hardening` is the long run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use platc::{compile, CompileError};
use proptest::prelude::*;
use serde_json::Value;

fn example() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/example/platform.toml"
    ))
    .unwrap()
}

/// Every valid fixture's source, in name order: the mutation fuzz starts from each, so the
/// features only other fixtures use (operators, backup buckets, poolers, identities, Atlas,
/// every cloud) are mutated too.
fn fixtures() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures");
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path().join("platform.toml"))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default)
}

/// Compiles twice; both results must agree byte for byte.
fn compile_deterministically(src: &str) -> Result<platc::platc_tree::FileTree, CompileError> {
    let a = compile(src);
    let b = compile(src);
    match (&a, &b) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "non-deterministic render"),
        (Err(CompileError::Invalid(x)), Err(CompileError::Invalid(y))) => assert_eq!(x, y),
        (Err(CompileError::Internal(e)), _) | (_, Err(CompileError::Internal(e))) => {
            panic!("internal error on user input: {e}\n{src}")
        }
        _ => panic!("two compiles disagree"),
    }
    a
}

/// Fragments that make random edits likely to stay close to valid TOML.
const FRAGMENTS: &[&str] = &[
    "\n[apps.x.services.y]\nport = 1\n",
    "port = 0\n",
    "replicas = -1\n",
    "calls = [\"nope\"]\n",
    "expose = { host = \"shop\", path = \"/\" }\n",
    "[stages.x]\njoins = \"x\"\n",
    "\"\"\"",
    "= =",
    "[[apps]]",
    "database = { engine = \"mysql\", version = \"5\" }\n",
    "env = { A = \"${x} {{ y }} %{z}\" }\n",
    "\u{0}",
    "\u{feff}",
    "[apps.shop.services.auth.stages.prod]\nreplicas = 99999999999\n",
    "tag = \"latest\"\n",
    "namespace = \"{app}{app}{app}{app}{app}{app}{app}{app}{app}{app}{app}{app}{app}\"\n",
    "identity = { aws-account-id = \"1\", gcp-project = \"Zz\", atlas-project-id = \"\" }\n",
    "[platform.identity]\nazure-tenant-id = \"00000000-0000-0000-0000-00000000000g\"\n",
    "backup-bucket = \"A..b\"\n",
    "databases = \"operator\"\nbackup-bucket = \"bkt-1\"\n",
    "database = { engine = \"postgresql\", pooler = \"transaction\", placement = \"operator\" }\n",
    "database = { engine = \"mongodb\", placement = \"managed\" }\n",
    "managed-mongodb = \"atlas\"\n",
    "events = { publishes = [\"e\"], subscribes = [\"e\"] }\n",
    "cache = { engine = \"redis\", placement = \"operator\", replicas = 3 }\n",
    "database = { engine = \"mysql\", placement = \"operator\", replicas = 3 }\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,400}") {
        let _ = compile_deterministically(&src);
    }

    #[test]
    fn mutated_example_never_panics(
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..FRAGMENTS.len(), 0usize..40), 1..6)
    ) {
        let mut src = example();
        for (at, frag, cut) in edits {
            let mut pos = at.index(src.len() + 1);
            while !src.is_char_boundary(pos) {
                pos -= 1;
            }
            let mut end = (pos + cut).min(src.len());
            while !src.is_char_boundary(end) {
                end -= 1;
            }
            src.replace_range(pos..end, FRAGMENTS[frag]);
        }
        let _ = compile_deterministically(&src);
    }

    #[test]
    fn mutated_fixtures_never_panic(
        base in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..FRAGMENTS.len(), 0usize..40), 1..6)
    ) {
        let all = fixtures();
        let mut src = all[base.index(all.len())].clone();
        for (at, frag, cut) in edits {
            let mut pos = at.index(src.len() + 1);
            while !src.is_char_boundary(pos) {
                pos -= 1;
            }
            let mut end = (pos + cut).min(src.len());
            while !src.is_char_boundary(end) {
                end -= 1;
            }
            src.replace_range(pos..end, FRAGMENTS[frag]);
        }
        let _ = compile_deterministically(&src);
    }
}

/// Strings chosen to break YAML, HCL, templates and shells.
fn hostile() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "  leading",
        "trailing  ",
        "\"",
        "'",
        "\\",
        "\\n",
        "a\nb",
        "a\r\nb",
        "\t",
        "#",
        "# comment",
        "a #b",
        ": ",
        "a: b",
        "- x",
        "[x]",
        "{x}",
        "{{ .Values }}",
        "{{ user }}",
        "${HOME}",
        "$${x}",
        "%{x}",
        "%{ if true }x%{ endif }",
        "*alias",
        "&anchor",
        "!tag",
        "!!str",
        "@at",
        "`tick`",
        "|",
        ">",
        "?",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "Y",
        "N",
        "True",
        "FALSE",
        "null",
        "Null",
        "~",
        "0x10",
        "1e3",
        "010",
        "0o17",
        "1_000",
        "12:30",
        ".inf",
        "-.inf",
        ".nan",
        "+1",
        "-1",
        "0",
        "1.0",
        "---",
        "...",
        "éàü",
        "日本語",
        "🚀",
        "\u{200b}",
        "\u{2028}",
        "\u{2029}",
        "\u{85}",
        "\u{feff}x",
        "\u{7f}",
        "\u{1b}[31m",
        "a\u{0}b",
        "line1\nline2\n",
        "\n\nlead",
        "end\n\n\n",
        "'; rm -rf / #",
        "$(id)",
        "`id`",
        "<script>",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("x".repeat(10_000));
    v.push("ä".repeat(5_000));
    v
}

fn env_of(tree: &platc::platc_tree::FileTree, file: &str) -> Vec<(String, String)> {
    let (_, bytes) = tree
        .iter()
        .find(|(p, _)| p.as_str() == file)
        .unwrap_or_else(|| panic!("{file} not rendered"));
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    for doc in serde_norway::Deserializer::from_str(&text) {
        let v: Value = serde::Deserialize::deserialize(doc).unwrap();
        if v["kind"] == "Deployment" {
            let env = &v["spec"]["template"]["spec"]["containers"][0]["env"];
            return env
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| {
                    (
                        e["name"].as_str().unwrap().to_string(),
                        e["value"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
        }
    }
    panic!("no Deployment in {file}")
}

/// TOML basic-string escaping for the test's own input.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn hostile_env_values_round_trip_or_are_refused() {
    let mut round_tripped = 0;
    let mut refused = 0;
    for value in hostile() {
        let src = format!(
            "version = 1\n[platform]\nname = \"p\"\ndomain = \"p.example\"\ncloud = \"aws\"\nregion = \"r\"\nregistry = \"ghcr.io/p\"\n\
             [stages.test]\nnamespace = \"{{app}}-test\"\n[apps.a.services.s]\nport = 8080\ntag = \"1.0.0\"\nenv = {{ VALUE = {} }}\n",
            toml_str(&value)
        );
        match compile_deterministically(&src) {
            Ok(tree) => {
                let env = env_of(&tree, "apps/a/base/s.yaml");
                assert_eq!(
                    env,
                    vec![("VALUE".to_string(), value.clone())],
                    "value did not round-trip"
                );
                round_tripped += 1;
            }
            Err(CompileError::Invalid(problems)) => {
                assert!(
                    problems.iter().all(|p| !p.help.is_empty()),
                    "refusal without help for {value:?}"
                );
                refused += 1;
            }
            Err(CompileError::Internal(e)) => panic!("{e}"),
        }
    }
    eprintln!("hostile env values: {round_tripped} round-tripped, {refused} refused");
    assert!(round_tripped > 60);
}

#[test]
fn hostile_names_are_refused_with_a_diagnostic() {
    for value in hostile() {
        for (key, template) in [
            ("app", "[apps.{V}.services.s]\nport = 1\n"),
            (
                "host",
                "[apps.a.services.s]\nport = 1\nexpose = {{ host = {V} }}\n",
            ),
            (
                "team",
                "[apps.a]\nteam = {V}\n[apps.a.services.s]\nport = 1\n",
            ),
            ("tag", "[apps.a.services.s]\nport = 1\ntag = {V}\n"),
            (
                "path",
                "[apps.a.services.s]\nport = 1\nexpose = {{ path = {V} }}\n",
            ),
        ] {
            let quoted = toml_str(&value);
            let body = template
                .replace("{V}", &quoted)
                .replace("{{", "{")
                .replace("}}", "}");
            let src = format!(
                "version = 1\n[platform]\nname = \"p\"\ndomain = \"p.example\"\ncloud = \"aws\"\nregion = \"r\"\nregistry = \"ghcr.io/p\"\n\
                 [core]\ncertificates = {{ issuer = \"letsencrypt\", email = \"a@p.example\" }}\n[stages.test]\nnamespace = \"{{app}}-test\"\n{body}"
            );
            // Either a clean refusal, or (for the few hostile strings that are valid names)
            // a render whose YAML parses.
            match compile_deterministically(&src) {
                Ok(tree) => {
                    for (path, bytes) in tree.iter() {
                        if path.as_str().ends_with(".yaml") {
                            let text = std::str::from_utf8(bytes).unwrap();
                            for doc in serde_norway::Deserializer::from_str(text) {
                                let _: Value =
                                    serde::Deserialize::deserialize(doc).unwrap_or_else(|e| {
                                        panic!("{key}={value:?}: {path} does not parse: {e}")
                                    });
                            }
                        }
                    }
                }
                Err(CompileError::Invalid(p)) => assert!(!p.is_empty()),
                Err(CompileError::Internal(e)) => panic!("{key}={value:?}: {e}"),
            }
        }
    }
}

#[test]
fn absurd_sizes_give_a_result_or_a_clear_error() {
    // A 1 MB string value: refused or rendered, never a crash.
    let big = "v".repeat(1 << 20);
    let src = format!(
        "version = 1\n[platform]\nname = \"p\"\ndomain = \"p.example\"\ncloud = \"aws\"\nregion = \"r\"\nregistry = \"ghcr.io/p\"\n\
         [stages.test]\nnamespace = \"{{app}}-test\"\n[apps.a.services.s]\nport = 8080\nenv = {{ BIG = \"{big}\" }}\n"
    );
    let _ = compile_deterministically(&src);

    // Deeply nested tables and arrays.
    let deep = format!("x = {}{}\n", "[".repeat(5_000), "]".repeat(5_000));
    let _ = compile(&deep);
    let deep_tables = format!("x = {}1{}\n", "{ a = ".repeat(2_000), " }".repeat(2_000));
    let _ = compile(&deep_tables);

    // Many services render (the benchmark covers 10,000 with timings).
    let mut src = String::from(
        "version = 1\n[platform]\nname = \"p\"\ndomain = \"p.example\"\ncloud = \"aws\"\nregion = \"r\"\nregistry = \"ghcr.io/p\"\n\
         [stages.test]\nnamespace = \"{app}-test\"\n[stages.prod]\nnamespace = \"{app}-prod\"\n",
    );
    for i in 0..1_000 {
        src.push_str(&format!(
            "[apps.a{}.services.s{i}]\nport = 8080\ntag = \"1.0.0\"\n",
            i % 50
        ));
    }
    let tree = compile_deterministically(&src).expect("1,000 services render");
    assert!(tree.len() > 2_000);
}

#[test]
fn parallel_render_is_byte_identical_to_single_threaded() {
    let mut src = String::from(
        "version = 1\n[platform]\nname = \"p\"\ndomain = \"p.example\"\ncloud = \"aws\"\nregion = \"r\"\nregistry = \"ghcr.io/p\"\n\
         [stages.test]\nnamespace = \"{app}-test\"\n[stages.prod]\nnamespace = \"{app}-prod\"\ndatabases = \"managed\"\n",
    );
    for i in 0..400 {
        let a = i % 40;
        src.push_str(&format!(
            "[apps.a{a}.services.s{i}]\nport = 8080\ntag = \"1.0.0\"\ncalls = [\"a{b}.s{b}\"]\ndatabase = {{ engine = \"postgresql\" }}\n",
            b = (a + 1) % 40
        ));
    }
    let ir = platc::resolve(&src).map_err(|e| format!("{e:?}")).unwrap();
    let single = platc_kustomize::emit_with_threads(&ir, 1).unwrap();
    for threads in [2, 3, 4, 7] {
        assert_eq!(
            platc_kustomize::emit_with_threads(&ir, threads).unwrap(),
            single,
            "{threads} threads"
        );
    }

    // The whole pipeline in chunks, on any number of threads, is what the emitters render
    // each as a whole (per-app Kustomize and Helm, per-file Terraform: the split loses and
    // adds nothing); and `compile` is that tree too.
    let mut whole = platc_tree::FileTree::new();
    for tree in [
        platc_kustomize::emit(&ir).map_err(|e| e.to_string()),
        platc_helm::emit(&ir).map_err(|e| e.to_string()),
        platc_terraform::emit(&ir).map_err(|e| e.to_string()),
        platc_core::emit(&ir).map_err(|e| e.to_string()),
        platc_delivery::emit(&ir).map_err(|e| e.to_string()),
    ] {
        whole.merge(tree.unwrap()).unwrap();
    }
    assert_eq!(
        platc::compile(&src).map_err(|e| format!("{e:?}")).unwrap(),
        whole
    );
    for threads in [1, 2, 3, 7] {
        let mut chunked = platc_tree::FileTree::new();
        let mut chunks = 0;
        platc::emit_chunks(&ir, threads, |chunk| {
            chunks += 1;
            chunked.merge(chunk)
        })
        .unwrap();
        assert!(chunks > 40, "{chunks} chunks");
        assert_eq!(chunked, whole, "{threads} threads");
    }
}
