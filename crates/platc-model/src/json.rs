//! The syntax tree as JSON, for JSON Schema validation, and the way back from a JSON
//! instance path to the span it came from.

use serde_json::{Map, Number, Value};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::problem::Span;

/// Converts the tree to JSON (datetimes become strings, integers that do not fit and
/// non-finite floats become strings so that the schema reports them as wrong types).
pub fn to_json(tree: &Spanned<DeTable<'_>>) -> Value {
    table(tree.get_ref())
}

fn table(t: &DeTable<'_>) -> Value {
    let mut map = Map::new();
    for (k, v) in t.iter() {
        map.insert(k.get_ref().to_string(), value(v.get_ref()));
    }
    Value::Object(map)
}

fn value(v: &DeValue<'_>) -> Value {
    match v {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            let parsed = if i.radix() == 10 {
                digits.parse::<i64>().ok()
            } else {
                digits
                    .get(2..)
                    .and_then(|d| i64::from_str_radix(d, i.radix()).ok())
            };
            match parsed {
                Some(n) => Value::Number(n.into()),
                None => Value::String(i.as_str().to_string()),
            }
        }
        DeValue::Float(f) => {
            let text = f.as_str().replace('_', "");
            text.parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(f.as_str().to_string()))
        }
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(items) => Value::Array(items.iter().map(|i| value(i.get_ref())).collect()),
        DeValue::Table(t) => table(t),
    }
}

/// The span of the value at a JSON Schema instance path (`/apps/shop/services/auth/port`).
/// Walks as far as the path exists; an empty path is the whole document.
pub fn span_at(tree: &Spanned<DeTable<'_>>, pointer: &str) -> Span {
    let mut span = tree.span();
    let mut current: Option<&DeValue<'_>> = None;
    let mut root = Some(tree.get_ref());
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        let next = match (root.take(), current) {
            (Some(t), _) => t.get(segment.as_str()),
            (None, Some(DeValue::Table(t))) => t.get(segment.as_str()),
            (None, Some(DeValue::Array(a))) => segment.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        match next {
            Some(v) => {
                span = v.span();
                current = Some(v.get_ref());
            }
            None => break,
        }
    }
    span
}
