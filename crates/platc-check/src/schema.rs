//! The JSON Schema of platform.toml, compiled into the binary, applied to the JSON form of
//! the syntax tree; instance paths are mapped back to spans.

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::Validator;
use platc_model::{span_at, to_json, Problem, Tree};
use serde_json::Value;

/// The schema text; the same file is published for editors.
pub const SCHEMA: &str = include_str!("../../../schemas/platform.schema.json");

fn validator() -> Result<&'static Validator, String> {
    static VALIDATOR: OnceLock<Result<Validator, String>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            let schema: Value = serde_json::from_str(SCHEMA).map_err(|e| e.to_string())?;
            jsonschema::draft202012::new(&schema).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

pub(crate) fn validate(tree: &Tree<'_>) -> Vec<Problem> {
    let validator = match validator() {
        Ok(v) => v,
        Err(e) => {
            return vec![Problem::new(
                "platc::internal::schema",
                0..0,
                format!("the built-in JSON Schema does not compile: {e}"),
            )
            .help("this is a bug in platc; please report it")]
        }
    };
    let instance = to_json(tree);
    let mut out = Vec::new();
    for error in validator.iter_errors(&instance) {
        let pointer = error.instance_path().as_str().to_string();
        let span = span_at(tree, &pointer);
        let at = if pointer.is_empty() {
            "the document".to_string()
        } else {
            format!("`{}`", pointer.trim_start_matches('/').replace('/', "."))
        };
        let (code, message, help) = match error.kind() {
            // Reported by the decoder with a suggestion, and by the name rules with key spans.
            ValidationErrorKind::AdditionalProperties { .. }
            | ValidationErrorKind::PropertyNames { .. } => continue,
            ValidationErrorKind::Type { kind } => (
                "platc::schema::type",
                format!("{at} has the wrong type"),
                format!("the format expects {kind:?} here").to_lowercase(),
            ),
            ValidationErrorKind::Required { property } => (
                "platc::schema::required",
                format!("{at} is missing the required key {property}"),
                format!("add {property}"),
            ),
            ValidationErrorKind::Enum { options } => (
                "platc::schema::enum",
                format!("{at} has a value the format does not know"),
                format!("use one of {options}"),
            ),
            ValidationErrorKind::Constant { expected_value } => (
                "platc::schema::const",
                format!("{at} must be {expected_value}"),
                format!("write {expected_value}"),
            ),
            ValidationErrorKind::Minimum { limit }
            | ValidationErrorKind::ExclusiveMinimum { limit } => (
                "platc::schema::range",
                format!("{at} is too small"),
                format!("use a value of at least {limit}"),
            ),
            ValidationErrorKind::Maximum { limit }
            | ValidationErrorKind::ExclusiveMaximum { limit } => (
                "platc::schema::range",
                format!("{at} is too large"),
                format!("use a value of at most {limit}"),
            ),
            ValidationErrorKind::UniqueItems => (
                "platc::schema::unique",
                format!("{at} lists an entry twice"),
                "remove the duplicate entry".to_string(),
            ),
            ValidationErrorKind::Pattern { pattern } => (
                "platc::schema::pattern",
                format!("{at} does not have the expected form"),
                format!("the value must match the pattern {pattern}"),
            ),
            _ => (
                "platc::schema::invalid",
                format!("{at} is invalid: {error}"),
                "see docs/format.md for the expected shape".to_string(),
            ),
        };
        out.push(
            Problem::new(code, span, message)
                .label("rejected by the schema")
                .help(help),
        );
    }
    out
}
