//! IR → delivery: everything that moves a change from platform.toml into the cluster.
//!
//! - [`emit`]: the infrastructure repository's GitHub Actions workflows under
//!   `.github/workflows/` of the output (deploy per stage, Terraform, the drift check on pull
//!   requests) and, per app, `apps/<app>/EW.md`, the guide for stages that join another.
//! - [`scaffold`]: the starting point of a new service repository (Dockerfile, CI, dev
//!   container, Telepresence intercept), and [`onboard::add_service`], the edit of platform.toml
//!   behind `platc new-service`.
//!
//! # Where the workflows go
//!
//! GitHub runs workflows only from `.github/workflows/` at the repository root, while platc
//! renders into `deploy/`. The workflows are rendered to `deploy/.github/workflows/` like every
//! other output (so `platc check` covers them and a change to platform.toml shows up in their
//! diff), and the user copies them to the root once and after each change. `platc-check.yml`
//! fails a pull request while a copy differs, so the two cannot drift apart unnoticed.
//!
//! # Assumptions
//!
//! The workflows assume `platform.toml` at the repository root and the output in `deploy/`
//! ([`CONFIG_PATH`], [`OUTPUT_DIR`]); every workflow says so in its header comment.
//!
//! # Invariants
//!
//! A pure function of the IR (no file system, clock or environment). Every YAML file is built
//! from typed values with platc-yaml; user strings reach workflows only as values — rewritten
//! so that GitHub cannot read an expression into them (`${{` evaluates to itself) — and scripts read them
//! from environment variables, double-quoted. Every action is pinned to a full commit SHA.

mod cloud;
mod ew;
mod gha;
pub mod onboard;
mod scaffold;
mod shell;
mod workflows;

use platc_ir::Ir;
use platc_tree::{DuplicatePath, FileTree, RelPath};

pub use scaffold::{intercept_target, scaffold, Intercept, ScaffoldError, RUN_AS};
pub use workflows::deploy_file;

/// Where the workflows expect platform.toml, relative to the repository root.
pub const CONFIG_PATH: &str = "platform.toml";
/// Where the workflows expect the rendered output, relative to the repository root.
pub const OUTPUT_DIR: &str = "deploy";
/// Directory of the workflows inside the output.
pub const WORKFLOW_DIR: &str = ".github/workflows";

/// Errors are internal (two outputs claiming one path, a template that does not render); user
/// input cannot cause them.
#[derive(Debug)]
pub enum EmitError {
    Path(platc_tree::BadPath),
    Duplicate(DuplicatePath),
    Template(String),
}

impl std::fmt::Display for EmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmitError::Path(e) => e.fmt(f),
            EmitError::Duplicate(e) => e.fmt(f),
            EmitError::Template(e) => write!(f, "EW guide template: {e}"),
        }
    }
}

impl std::error::Error for EmitError {}

impl From<platc_tree::BadPath> for EmitError {
    fn from(e: platc_tree::BadPath) -> Self {
        EmitError::Path(e)
    }
}

impl From<DuplicatePath> for EmitError {
    fn from(e: DuplicatePath) -> Self {
        EmitError::Duplicate(e)
    }
}

/// Renders the workflows and the EW guides.
pub fn emit(ir: &Ir) -> Result<FileTree, EmitError> {
    let mut tree = FileTree::new();
    for w in workflows::all(ir) {
        tree.insert(
            RelPath::new(format!("{WORKFLOW_DIR}/{}", w.file))?,
            w.text.into_bytes(),
        )?;
    }
    let guides = ew::guides(ir).map_err(|e| EmitError::Template(format!("{e:#}")))?;
    for (path, text) in guides {
        tree.insert(RelPath::new(path)?, text.into_bytes())?;
    }
    Ok(tree)
}

#[cfg(test)]
mod tests;
