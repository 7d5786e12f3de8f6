//! Validation of platform.toml: the JSON Schema (`schemas/platform.schema.json`, the same file
//! editors use) and the semantic rules the schema cannot express. Every problem is collected;
//! nothing stops at the first one.
//!
//! Invariants: this crate never applies defaults (that is `platc-ir`), never touches the file
//! system (the schema is compiled in), and every problem it returns has a code, a span and help.

mod engines;
mod rules;
mod schema;

pub use engines::{
    atlas_region, default_version, effective_placement, placed_anywhere, stage_store,
    supported_versions, SUPPORTED_KUBERNETES,
};

use platc_model::{Document, Problem};

/// The result of checking one platform.toml.
pub struct Checked {
    /// The typed model, as far as it could be read. Only trust it when `problems` is empty.
    pub document: Document,
    /// Every problem found, in source order.
    pub problems: Vec<Problem>,
}

/// Parses, decodes and validates `source`.
pub fn check(source: &str) -> Checked {
    let (tree, syntax) = platc_model::parse_tree(source);
    if !syntax.is_empty() {
        // A broken file has no reliable structure: report the syntax alone.
        let mut problems = syntax;
        platc_model::sort_problems(&mut problems);
        return Checked {
            document: Document::default(),
            problems,
        };
    }
    // The schema first: its JSON copy of the tree is freed before the typed document is
    // built, so the two are never in memory together.
    let from_schema = schema::validate(&tree);
    let (document, mut problems) = platc_model::decode(&tree);
    problems.extend(rules::all(&document, &tree));
    // The Rust side explains a problem better (spans on keys, suggestions); the schema's own
    // report is kept only where nothing else already points.
    for p in from_schema {
        let covered = problems.iter().any(|q| {
            q.span.start < p.span.end.max(p.span.start + 1)
                && p.span.start < q.span.end.max(q.span.start + 1)
        });
        if !covered {
            problems.push(p);
        }
    }
    platc_model::sort_problems(&mut problems);
    Checked { document, problems }
}
