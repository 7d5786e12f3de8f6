//! Phase benchmarks of platc on synthetic platforms (`platc_bench::synthetic`).
//!
//! ```sh
//! cargo bench -p platc-bench                              # N = 100 and 1000 services
//! PLATC_BENCH_N=100,1000,10000 cargo bench -p platc-bench # other sizes
//! cargo bench -p platc-bench -- 'check/1000'              # one benchmark (criterion filter)
//! ```
//!
//! Groups, each at every N:
//! * `check` — parse, decode, schema and rules (`platc_check::check`);
//! * `resolve` — checked document → IR (`platc_ir::resolve`);
//! * `emit/<emitter>` — IR → file tree of one emitter: `kustomize` (NetworkPolicies included),
//!   `kustomize-1-thread` (the same on one thread), `helm`, `terraform`, `core`, `delivery` (add
//!   a line to [`emitters`] for a new emitter);
//! * `compile` — `platc::compile`: check + resolve + every emitter the pipeline runs (the
//!   time of "all emitters" is `compile - check - resolve`);
//! * `write-fresh` — `platc_write::write` into an empty directory on tmpfs (`/dev/shm`);
//! * `write-noop` — `platc_write::write` over an identical tree (nothing to do);
//! * `compare` — `platc_write::compare` against an identical tree on disk (`platc check`).
//!
//! Plus `check/example`: the reference example, the small case of every edit.
//!
//! Sample counts are small so a full run takes about two minutes on two cores.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};

const SEED: u64 = 42;

fn sizes() -> Vec<usize> {
    match std::env::var("PLATC_BENCH_N") {
        Ok(list) => list
            .split(',')
            .map(|n| {
                n.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("PLATC_BENCH_N: `{n}` is not a number"))
            })
            .collect(),
        Err(_) => vec![100, 1000],
    }
}

/// A scratch directory on tmpfs (falls back to the system temp dir), removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let base = if Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("platc-bench-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

type Emit = fn(&platc_ir::Ir) -> usize;

/// Every emitter, by name; each returns the number of files it rendered (the tree is dropped
/// inside the measurement, as it is in a real run).
fn emitters() -> Vec<(&'static str, Emit)> {
    vec![
        ("kustomize", |ir| platc_kustomize::emit(ir).unwrap().len()),
        // The same on one thread: its CPU cost, and what the threads save.
        ("kustomize-1-thread", |ir| {
            platc_kustomize::emit_with_threads(ir, 1).unwrap().len()
        }),
        ("helm", |ir| platc_helm::emit(ir).unwrap().len()),
        ("terraform", |ir| platc_terraform::emit(ir).unwrap().len()),
        ("core", |ir| platc_core::emit(ir).unwrap().len()),
        ("delivery", |ir| platc_delivery::emit(ir).unwrap().len()),
    ]
}

fn valid_source(n: usize) -> String {
    let source = platc_bench::synthetic(n, SEED);
    let problems = platc::validate(&source);
    assert!(
        problems.is_empty(),
        "synthetic({n}) is invalid: {problems:?}"
    );
    source
}

fn phases(c: &mut Criterion) {
    {
        let mut g = c.benchmark_group("check");
        g.bench_function("example", |b| {
            b.iter(|| black_box(platc_check::check(black_box(platc_bench::EXAMPLE))))
        });
        g.finish();
    }
    for n in sizes() {
        let source = valid_source(n);
        let checked = platc_check::check(&source);
        let ir = platc_ir::resolve(&checked.document).unwrap();
        let tree = platc::compile(&source).unwrap();
        // Keep large sizes affordable: fewer samples, shorter measurement.
        let (samples, secs) = if n <= 100 { (30, 3) } else { (10, 4) };
        let config = |g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>| {
            g.sample_size(samples)
                .warm_up_time(Duration::from_millis(500))
                .measurement_time(Duration::from_secs(secs))
                .throughput(Throughput::Elements(n as u64));
        };

        let mut g = c.benchmark_group("check");
        config(&mut g);
        g.bench_with_input(BenchmarkId::from_parameter(n), &source, |b, s| {
            b.iter(|| black_box(platc_check::check(s)))
        });
        g.finish();

        let mut g = c.benchmark_group("resolve");
        config(&mut g);
        g.bench_with_input(BenchmarkId::from_parameter(n), &checked.document, |b, d| {
            b.iter(|| black_box(platc_ir::resolve(d).unwrap()))
        });
        g.finish();

        let mut g = c.benchmark_group("emit");
        config(&mut g);
        for (name, emit) in emitters() {
            g.bench_with_input(BenchmarkId::new(name, n), &ir, |b, ir| {
                b.iter(|| black_box(emit(ir)))
            });
        }
        g.finish();

        let mut g = c.benchmark_group("compile");
        config(&mut g);
        g.bench_with_input(BenchmarkId::from_parameter(n), &source, |b, s| {
            b.iter(|| black_box(platc::compile(s).unwrap()))
        });
        g.finish();

        let scratch = Scratch::new(&format!("{n}"));
        let mut g = c.benchmark_group("write-fresh");
        config(&mut g);
        g.bench_with_input(BenchmarkId::from_parameter(n), &tree, |b, tree| {
            // Each iteration writes into a directory that does not exist yet; removing it
            // afterwards is not timed.
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for i in 0..iters {
                    let out = scratch.0.join(format!("fresh-{i}"));
                    // The render hands its tree over; copying it is not the writer's time.
                    let owned = tree.clone();
                    let start = Instant::now();
                    black_box(write_owned(owned, &out));
                    total += start.elapsed();
                    std::fs::remove_dir_all(&out).unwrap();
                }
                total
            })
        });
        g.finish();

        let out = scratch.0.join("deploy");
        platc_write::write(&tree, &out).unwrap();
        let mut g = c.benchmark_group("write-noop");
        config(&mut g);
        g.bench_with_input(BenchmarkId::from_parameter(n), &tree, |b, tree| {
            b.iter_batched(
                || tree.clone(),
                |owned| {
                    let report = write_owned(owned, &out);
                    assert!(!report.swapped);
                    black_box(report)
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();

        let mut g = c.benchmark_group("compare");
        config(&mut g);
        g.bench_with_input(BenchmarkId::from_parameter(n), &tree, |b, tree| {
            b.iter_batched(
                || tree.clone(),
                |owned| {
                    let mut comparer = platc_write::Comparer::begin(&out).unwrap();
                    comparer.add(owned).unwrap();
                    let drift = comparer.finish().unwrap();
                    assert!(drift.is_clean());
                    black_box(drift)
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();
    }
}

criterion_group!(benches, phases);
criterion_main!(benches);

/// `platc_write::write` of a tree the caller owns (as the render hands it over): no copy.
fn write_owned(tree: platc_tree::FileTree, out: &Path) -> platc_write::WriteReport {
    let mut writer = platc_write::Writer::begin(out).unwrap();
    writer.add(tree).unwrap();
    writer.finish().unwrap()
}
