//! Semantic rules: what the schema cannot say. Each module owns one family of codes.

mod data;
mod identity;
mod naming;
mod secrets;
mod services;
mod stages;

use platc_model::{Document, Problem, Tree};

pub(crate) fn all(doc: &Document, tree: &Tree<'_>) -> Vec<Problem> {
    let mut out = Vec::new();
    naming::check(doc, &mut out);
    identity::check(doc, &mut out);
    stages::check(doc, &mut out);
    services::check(doc, &mut out);
    data::check(doc, &mut out);
    secrets::check(doc, tree, &mut out);
    out
}

/// Turns a value-language error into a problem at `span`.
pub(crate) fn value_problem(
    code: &'static str,
    span: platc_model::Span,
    err: platc_values::ValueError,
) -> Problem {
    Problem::new(code, span, err.message)
        .label("here")
        .help(err.help)
}
