//! platform.toml → a typed model that keeps the source span of every value.
//!
//! This crate knows the *shape* of the format: which keys exist where and what type they
//! hold. It reports unknown keys (with a "did you mean"), wrong types and missing required keys,
//! all at once. It applies no defaults and checks no meaning: that is `platc-check` (rules) and
//! `platc-ir` (defaults). It never touches the file system: callers pass the text.

mod decode;
mod json;
mod problem;
mod read;
mod types;

pub use decode::type_name;
pub use json::{span_at, to_json};
pub use problem::{sort_problems, Problem, Sp, Span};
pub use types::*;

pub use toml::de::{DeTable, DeValue};
pub use toml::Spanned;

/// The spanned syntax tree of a platform.toml (borrows the source text).
pub type Tree<'i> = Spanned<DeTable<'i>>;

/// Parses TOML syntax, recovering where it can so that several syntax errors are reported.
pub fn parse_tree(source: &str) -> (Tree<'_>, Vec<Problem>) {
    let (tree, errors) = DeTable::parse_recoverable(source);
    let problems = errors
        .iter()
        .map(|e| read::syntax_problem(e, source.len()))
        .collect();
    (tree, problems)
}

/// Reads the typed model out of a syntax tree; structural problems are returned alongside.
pub fn decode(tree: &Tree<'_>) -> (Document, Vec<Problem>) {
    let mut cx = decode::Cx::default();
    let doc = read::document(&mut cx, tree);
    (doc, cx.problems)
}
