//! `platc-bench`: the command-line side of the benchmarks.
//!
//! ```text
//! platc-bench gen N [--seed S]      print a synthetic platform.toml with N services
//! platc-bench layout N [--seed S]   render it in memory; print file counts per output kind
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

const USAGE: &str = "usage: platc-bench gen N [--seed S]\n       platc-bench layout N [--seed S]";
const DEFAULT_SEED: u64 = 42;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let (command, rest) = args.split_first().ok_or("missing command")?;
    if matches!(command.as_str(), "-h" | "--help" | "help") {
        return print_out(&format!("{USAGE}\n"));
    }
    let mut count: Option<usize> = None;
    let mut seed = DEFAULT_SEED;
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seed" => {
                let value = it.next().ok_or("--seed needs a value")?;
                seed = value
                    .parse()
                    .map_err(|_| format!("`{value}` is not a seed"))?;
            }
            "-h" | "--help" => return print_out(&format!("{USAGE}\n")),
            n if count.is_none() => {
                count = Some(
                    n.parse()
                        .map_err(|_| format!("`{n}` is not a number of services"))?,
                );
            }
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    let count = count.ok_or("missing N (number of services)")?;
    match command.as_str() {
        "gen" => print_out(&platc_bench::synthetic(count, seed)),
        "layout" => layout(count, seed),
        other => Err(format!("unknown command `{other}`")),
    }
}

/// The output layout of a synthetic platform: how many files of which kind, per service.
fn layout(count: usize, seed: u64) -> Result<(), String> {
    let source = platc_bench::synthetic(count, seed);
    let (ir, tree) = platc::compile_with_ir(&source).map_err(describe)?;
    let apps = ir.apps.len();
    let deployed_stages = ir.apps.first().map_or(0, |a| a.stages.len());
    let names = Names::of(&ir);
    let mut kinds: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut bytes = 0usize;
    for (path, contents) in tree.iter() {
        bytes += contents.len();
        let e = kinds.entry(names.kind(path.as_str())).or_default();
        e.0 += 1;
        e.1 += contents.len();
    }
    let per = |n: usize| {
        if count == 0 {
            0.0
        } else {
            n as f64 / count as f64
        }
    };
    let mut out = format!(
        "{count} services, {apps} apps, {deployed_stages} deployed stages per app: {} files, {:.1} MB, {:.2} files per service, {:.1} KB per service\n",
        tree.len(),
        bytes as f64 / 1e6,
        per(tree.len()),
        per(bytes) / 1e3
    );
    out.push_str("| kind | files | files per service | KB |\n|---|---:|---:|---:|\n");
    for (k, (files, b)) in &kinds {
        let _ = writeln!(
            out,
            "| `{k}` | {files} | {:.2} | {:.0} |",
            per(*files),
            *b as f64 / 1e3
        );
    }
    print_out(&out)
}

/// Writes to standard output; a closed pipe (`| head`) is not an error.
fn print_out(text: &str) -> Result<(), String> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to standard output: {e}"))
        }
        _ => Ok(()),
    }
}

fn describe(e: platc::CompileError) -> String {
    match e {
        platc::CompileError::Invalid(problems) => format!(
            "the synthetic platform is invalid ({} problems; first: {})",
            problems.len(),
            problems
                .first()
                .map(|p| format!("{} {}", p.code, p.message))
                .unwrap_or_default()
        ),
        platc::CompileError::Internal(e) => format!("internal error in platc: {e}"),
    }
}

/// Names that vary from platform to platform, replaced by placeholders in [`kind`].
struct Names {
    apps: BTreeSet<String>,
    stages: BTreeSet<String>,
    services: BTreeSet<String>,
}

impl Names {
    fn of(ir: &platc::platc_ir::Ir) -> Self {
        Names {
            apps: ir.apps.iter().map(|a| a.name.clone()).collect(),
            stages: ir.stages.iter().map(|s| s.name.clone()).collect(),
            services: ir
                .apps
                .iter()
                .flat_map(|a| a.services.iter().map(|s| s.name.clone()))
                .collect(),
        }
    }

    /// `path` with app, stage and service names (also as a file stem or a `<service>-`
    /// prefix) replaced by `<app>`, `<stage>`, `<service>`.
    fn kind(&self, path: &str) -> String {
        let segments: Vec<String> = path
            .split('/')
            .enumerate()
            .map(|(i, seg)| {
                // The first segment is a fixed directory (`apps`, `terraform`, ...).
                if i == 0 {
                    return seg.to_string();
                }
                if self.apps.contains(seg) {
                    return "<app>".into();
                }
                if self.stages.contains(seg) {
                    return "<stage>".into();
                }
                let (stem, ext) = seg.split_once('.').unwrap_or((seg, ""));
                let dot = if ext.is_empty() { "" } else { "." };
                if self.services.contains(stem) {
                    return format!("<service>{dot}{ext}");
                }
                // `<service>-<engine>.values.yaml`: the longest service name that prefixes it.
                let prefix = stem
                    .char_indices()
                    .map(|(i, c)| (c == '-').then(|| stem.get(..i)).flatten())
                    .rfind(|p| p.is_some_and(|p| self.services.contains(p)))
                    .flatten();
                match prefix {
                    Some(p) => format!("<service>{}{dot}{ext}", &stem[p.len()..]),
                    None => seg.to_string(),
                }
            })
            .collect();
        segments.join("/")
    }
}
