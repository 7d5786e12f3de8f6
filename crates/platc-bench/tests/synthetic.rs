//! The synthetic platforms are valid, deterministic and have the intended mix. No timing here:
//! timings live in `benches/` and `scripts/bench.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use platc_bench::{synthetic, SERVICES_PER_APP};
use platc_ir::{Ir, Placement};

fn compile(services: usize, seed: u64) -> (Ir, platc::platc_tree::FileTree) {
    let source = synthetic(services, seed);
    match platc::compile_with_ir(&source) {
        Ok(r) => r,
        Err(platc::CompileError::Invalid(problems)) => {
            let style = platc::Style {
                color: false,
                width: 120,
            };
            panic!(
                "synthetic({services}, {seed}) is invalid:\n{}",
                platc::render_problems("synthetic.toml", &source, &problems, style)
            )
        }
        Err(e) => panic!("synthetic({services}, {seed}): {e:?}"),
    }
}

#[test]
fn compiles_at_10_100_and_1000_services() {
    for n in [10, 100, 1000] {
        let (ir, tree) = compile(n, 42);
        let services: usize = ir.apps.iter().map(|a| a.services.len()).sum();
        assert_eq!(services, n);
        assert_eq!(ir.apps.len(), n.div_ceil(SERVICES_PER_APP));
        assert!(
            tree.len() > n,
            "{n} services gave only {} files",
            tree.len()
        );
    }
}

#[test]
fn small_and_other_seeds_compile() {
    for n in [0, 1, 2, 3, 19, 20, 21, 41] {
        compile(n, 42);
    }
    for seed in 0..8 {
        compile(60, seed);
    }
}

#[test]
fn deterministic() {
    assert_eq!(synthetic(300, 7), synthetic(300, 7));
    assert_ne!(synthetic(300, 7), synthetic(300, 8));
    assert_eq!(synthetic(0, 7), synthetic(0, 7));
}

#[test]
fn has_a_realistic_mix() {
    let n = 1000;
    let (ir, _) = compile(n, 42);
    let services: Vec<_> = ir.apps.iter().flat_map(|a| &a.services).collect();
    let percent = |count: usize| count * 100 / n;

    let prod = |app: &platc_ir::AppIr| {
        app.stages
            .iter()
            .find(|s| s.stage == "prod")
            .expect("every app is deployed to prod")
            .clone()
    };
    let mut databases = 0;
    let mut caches = 0;
    let mut engines = std::collections::BTreeMap::<String, usize>::new();
    for app in &ir.apps {
        let prod = prod(app);
        for w in &prod.workloads {
            if let Some(db) = &w.database {
                databases += 1;
                *engines.entry(db.engine.as_str().to_string()).or_default() += 1;
                assert_eq!(db.placement, Placement::Managed);
            }
            if w.cache.is_some() {
                caches += 1;
            }
        }
    }
    assert!(
        (50..=70).contains(&percent(databases)),
        "{databases} databases"
    );
    assert!((18..=32).contains(&percent(caches)), "{caches} caches");
    assert_eq!(engines.len(), 3, "{engines:?}");
    assert!(engines["postgresql"] > engines["mysql"]);

    let exposed: usize = ir
        .apps
        .iter()
        .map(|a| {
            prod(a)
                .ingresses
                .iter()
                .map(|i| i.routes.len())
                .sum::<usize>()
        })
        .sum();
    assert!((20..=40).contains(&percent(exposed)), "{exposed} exposed");

    let calls: usize = services.iter().map(|s| s.calls.len()).sum();
    assert!((100..=200).contains(&percent(calls)), "{calls} calls");
    let cross_app = services
        .iter()
        .zip(
            ir.apps
                .iter()
                .flat_map(|a| a.services.iter().map(|_| &a.name)),
        )
        .flat_map(|(s, app)| s.calls.iter().filter(move |c| &c.app != app))
        .count();
    assert!(
        cross_app > calls / 10,
        "{cross_app} of {calls} calls cross apps"
    );
    assert!(services.iter().all(|s| s.calls.len() <= 3));

    let with_events = services
        .iter()
        .filter(|s| !s.publishes.is_empty() || !s.subscribes.is_empty())
        .count();
    assert!(
        (10..=20).contains(&percent(with_events)),
        "{with_events} with events"
    );
    assert!(services.iter().any(|s| !s.subscribes.is_empty()));
    assert!(ir.core.event_bus);

    // Stages: `ew` joins `test`, so only test and prod are deployed; prod has 3 replicas by
    // default and some services override it.
    for app in &ir.apps {
        let stages: Vec<&str> = app.stages.iter().map(|s| s.stage.as_str()).collect();
        assert_eq!(stages, ["prod", "test"]);
    }
    let prod_replicas: Vec<u32> = ir
        .apps
        .iter()
        .flat_map(|a| prod(a).workloads)
        .map(|w| w.settings.replicas)
        .collect();
    assert!(prod_replicas.iter().filter(|r| **r == 3).count() > n / 2);
    assert!(prod_replicas.iter().any(|r| *r > 3));
    let overridden = ir
        .apps
        .iter()
        .flat_map(|a| prod(a).workloads)
        .filter(|w| w.overridden.resources || w.overridden.env)
        .count();
    assert!(overridden > n / 10, "{overridden} prod overrides");
}

#[test]
fn hosts_are_unique_per_app() {
    let (ir, _) = compile(400, 3);
    let mut owner = std::collections::BTreeMap::<String, String>::new();
    for app in &ir.apps {
        for stage in &app.stages {
            for ingress in &stage.ingresses {
                let first = owner
                    .entry(ingress.host.clone())
                    .or_insert_with(|| app.name.clone());
                assert_eq!(first, &app.name, "host {} shared by apps", ingress.host);
                let mut paths: Vec<&str> = ingress.routes.iter().map(|r| r.path.as_str()).collect();
                let before = paths.len();
                paths.sort_unstable();
                paths.dedup();
                assert_eq!(paths.len(), before, "duplicate path on {}", ingress.host);
            }
        }
    }
}

#[test]
fn example_is_the_reference_fixture() {
    assert!(platc::validate(platc_bench::EXAMPLE).is_empty());
}
