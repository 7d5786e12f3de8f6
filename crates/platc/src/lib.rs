//! The platc pipeline as a library: source text → problems or a rendered [`FileTree`], and
//! the rendering of problems for humans. The binary (`main.rs`) adds arguments, files and
//! exit codes; tests and benchmarks call these functions directly.

pub mod explain;
pub mod graph;
mod mem;

pub use mem::release_free_memory;

use platc_model::Problem;
use platc_tree::FileTree;

pub use platc_ir;
pub use platc_tree;

/// Why a compile produced no tree.
#[derive(Debug)]
pub enum CompileError {
    /// platform.toml is invalid; every problem found.
    Invalid(Vec<Problem>),
    /// A bug in platc (an emitter or the resolver disagreed with the checker).
    Internal(String),
}

/// Checks, resolves and renders one platform.toml. Pure: no file system, no clock.
pub fn compile(source: &str) -> Result<FileTree, CompileError> {
    compile_with_ir(source).map(|(_, tree)| tree)
}

/// Checks and resolves one platform.toml.
pub fn resolve(source: &str) -> Result<platc_ir::Ir, CompileError> {
    let checked = platc_check::check(source);
    if !checked.problems.is_empty() {
        return Err(CompileError::Invalid(checked.problems));
    }
    platc_ir::resolve(&checked.document).map_err(|e| CompileError::Internal(e.to_string()))
}

/// [`compile`], also returning the IR the tree was rendered from.
pub fn compile_with_ir(source: &str) -> Result<(platc_ir::Ir, FileTree), CompileError> {
    let ir = resolve(source)?;
    let tree = emit_all(&ir)?;
    if let Some(p) = tree.file_dir_conflict() {
        return Err(CompileError::Internal(format!(
            "`{p}` is both a file and a directory"
        )));
    }
    Ok((ir, tree))
}

fn internal(e: impl std::fmt::Display) -> CompileError {
    CompileError::Internal(e.to_string())
}

/// Runs every emitter over the IR and merges their trees; two emitters claiming one path is
/// an internal error.
fn emit_all(ir: &platc_ir::Ir) -> Result<FileTree, CompileError> {
    let mut tree = FileTree::new();
    emit_chunks(ir, default_threads(), |chunk| tree.merge(chunk)).map_err(|e| match e {
        StreamError::Compile(e) => e,
        StreamError::Sink(e) => internal(e),
    })?;
    Ok(tree)
}

/// Threads [`emit_chunks`] renders on by default: one per core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Why [`emit_chunks`] stopped.
#[derive(Debug)]
pub enum StreamError<E> {
    /// An emitter failed (a bug in platc).
    Compile(CompileError),
    /// The sink refused a chunk.
    Sink(E),
}

/// One unit of emitter work, in the order they are started.
#[derive(Clone, Copy)]
enum Job {
    /// Terraform, one file at a time (the largest single job, so it starts first).
    Terraform,
    Core,
    Delivery,
    /// Kustomize and Helm for one app.
    App(usize),
}

/// Renders the IR in chunks — per app (Kustomize and Helm), per Terraform file, core-services,
/// delivery — on `threads` threads, and hands every chunk to `sink` on the calling thread as
/// soon as it is ready, so that the whole tree is never in memory at once (the writer writes
/// a chunk while the next ones are rendered). Together the chunks are exactly the tree of
/// [`compile`]; the order in which they arrive depends on thread timing, the contents of each
/// never do. Stops at the first error: the emitters' (the lowest job's, if several) before the
/// sink's.
pub fn emit_chunks<E>(
    ir: &platc_ir::Ir,
    threads: usize,
    mut sink: impl FnMut(FileTree) -> Result<(), E>,
) -> Result<(), StreamError<E>> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::mpsc::sync_channel;

    let mut jobs = vec![Job::Terraform, Job::Core, Job::Delivery];
    jobs.extend((0..ir.apps.len()).map(Job::App));
    let threads = threads.clamp(1, jobs.len());
    let index = platc_netpol::Index::new(ir);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // Chunks rendered but not yet taken by the sink: a few per thread bound the memory.
    let (tx, rx) = sync_channel::<Result<FileTree, (usize, CompileError)>>(threads * 2);

    let run = |job: Job, send: &mut dyn FnMut(FileTree) -> bool| -> Result<(), CompileError> {
        match job {
            Job::Terraform => {
                enum Stop {
                    Emit(platc_terraform::EmitError),
                    /// The sink stopped: no point in rendering further files.
                    Stopped,
                }
                impl From<platc_terraform::EmitError> for Stop {
                    fn from(e: platc_terraform::EmitError) -> Stop {
                        Stop::Emit(e)
                    }
                }
                match platc_terraform::emit_each(ir, |file| {
                    if send(file) {
                        Ok(())
                    } else {
                        Err(Stop::Stopped)
                    }
                }) {
                    Ok(()) | Err(Stop::Stopped) => Ok(()),
                    Err(Stop::Emit(e)) => Err(internal(e)),
                }
            }
            Job::Core => platc_core::emit(ir)
                .map(|t| {
                    send(t);
                })
                .map_err(internal),
            Job::Delivery => platc_delivery::emit(ir)
                .map(|t| {
                    send(t);
                })
                .map_err(internal),
            Job::App(i) => {
                let Some(app) = ir.apps.get(i) else {
                    return Ok(());
                };
                let mut tree = platc_kustomize::emit_app_tree(ir, &index, app).map_err(internal)?;
                platc_helm::emit_app(app, &mut tree).map_err(internal)?;
                send(tree);
                Ok(())
            }
        }
    };

    let mut compile_error: Option<(usize, CompileError)> = None;
    let mut sink_error: Option<E> = None;
    let panicked = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let tx = tx.clone();
                let (run, jobs, next, stop) = (&run, &jobs, &next, &stop);
                scope.spawn(move || {
                    let mut send = |tree: FileTree| -> bool {
                        !stop.load(Ordering::SeqCst) && tx.send(Ok(tree)).is_ok()
                    };
                    while !stop.load(Ordering::SeqCst) {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(&job) = jobs.get(i) else { break };
                        if let Err(e) = run(job, &mut send) {
                            let _ = tx.send(Err((i, e)));
                            break;
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        // Every message is taken, also after an error, so that no worker waits forever.
        for message in rx {
            match message {
                Ok(chunk) => {
                    if compile_error.is_none() && sink_error.is_none() {
                        if let Err(e) = sink(chunk) {
                            sink_error = Some(e);
                            stop.store(true, Ordering::SeqCst);
                        }
                    }
                }
                Err((i, e)) => {
                    stop.store(true, Ordering::SeqCst);
                    if compile_error.as_ref().is_none_or(|(j, _)| i < *j) {
                        compile_error = Some((i, e));
                    }
                }
            }
        }
        // Join every worker (no short cut): a panicked one is reported, never re-raised.
        workers
            .into_iter()
            .map(|w| w.join().is_err())
            .filter(|&panicked| panicked)
            .count()
            > 0
    });
    if panicked {
        return Err(StreamError::Compile(CompileError::Internal(
            "a rendering thread panicked".into(),
        )));
    }
    if let Some((_, e)) = compile_error {
        return Err(StreamError::Compile(e));
    }
    if let Some(e) = sink_error {
        return Err(StreamError::Sink(e));
    }
    Ok(())
}

/// The reference of every diagnostic code (docs/diagnostics.md).
pub const DIAGNOSTICS: &str = include_str!("../../../docs/diagnostics.md");

/// The documentation section of one diagnostic code, if it exists.
pub fn explain_error(code: &str) -> Option<&'static str> {
    let heading = format!("## {code}\n");
    let start = DIAGNOSTICS.find(&heading)?;
    let rest = DIAGNOSTICS.get(start..)?;
    let end = rest
        .get(3..)
        .and_then(|r| r.find("\n## "))
        .map_or(rest.len(), |i| i + 4);
    rest.get(..end).map(str::trim_end)
}

/// Only validates; returns every problem (empty when valid).
pub fn validate(source: &str) -> Vec<Problem> {
    platc_check::check(source).problems
}

/// How diagnostics are drawn.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

/// Renders problems as miette reports against the source, followed by a summary line.
pub fn render_problems(path: &str, source: &str, problems: &[Problem], style: Style) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme, NamedSource};
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false);
    let named = NamedSource::new(path, source.to_string());
    let mut out = String::new();
    for p in problems {
        let report = miette::Report::new(p.clone()).with_source_code(named.clone());
        if handler.render_report(&mut out, report.as_ref()).is_err() {
            out.push_str(&format!("{}: {}\n", p.code, p.message));
        }
        out.push('\n');
    }
    let n = problems.len();
    out.push_str(&format!(
        "error: {path} has {n} problem{}\n",
        if n == 1 { "" } else { "s" }
    ));
    out
}
