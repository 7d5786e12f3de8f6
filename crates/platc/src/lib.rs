//! The platc pipeline as a library: source text → problems or a rendered [`FileTree`], and
//! the rendering of problems for humans. The binary (`main.rs`) adds arguments, files and
//! exit codes; tests and benchmarks call these functions directly.

pub mod explain;
pub mod graph;

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
/// an internal error. One line per emitter.
fn emit_all(ir: &platc_ir::Ir) -> Result<FileTree, CompileError> {
    let mut tree = FileTree::new();
    tree.merge(platc_kustomize::emit(ir).map_err(internal)?)
        .map_err(internal)?;
    tree.merge(platc_helm::emit(ir).map_err(internal)?)
        .map_err(internal)?;
    tree.merge(platc_terraform::emit(ir).map_err(internal)?)
        .map_err(internal)?;
    tree.merge(platc_core::emit(ir).map_err(internal)?)
        .map_err(internal)?;
    tree.merge(platc_delivery::emit(ir).map_err(internal)?)
        .map_err(internal)?;
    Ok(tree)
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
