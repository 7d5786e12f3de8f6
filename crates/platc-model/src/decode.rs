//! A small reader over the spanned TOML tree that records what it was asked for, so that
//! unknown keys and wrongly typed values become problems with exact spans, all in one pass.

use std::borrow::Cow;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::problem::{Problem, Sp, Span};

/// TOML's name for the type of a value, as users read it in the file.
pub fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// Collects problems while the typed model is built.
#[derive(Default)]
pub(crate) struct Cx {
    pub problems: Vec<Problem>,
}

impl Cx {
    pub fn push(&mut self, p: Problem) {
        self.problems.push(p);
    }

    fn wrong_type(&mut self, path: &str, value: &Spanned<DeValue<'_>>, expected: &str) {
        self.push(
            Problem::new(
                "platc::schema::type",
                value.span(),
                format!(
                    "`{path}` must be {expected}, found {}",
                    type_name(value.get_ref())
                ),
            )
            .label(format!("expected {expected}"))
            .help(format!("write `{path}` as {expected}")),
        );
    }
}

/// Reads one TOML table; remembers the keys that were looked at.
pub(crate) struct Reader<'a, 'i> {
    table: &'a DeTable<'i>,
    pub span: Span,
    pub path: String,
    known: Vec<&'static str>,
}

impl<'a, 'i> Reader<'a, 'i> {
    pub fn new(table: &'a DeTable<'i>, span: Span, path: impl Into<String>) -> Self {
        Reader {
            table,
            span,
            path: path.into(),
            known: Vec::new(),
        }
    }

    fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{}", self.path, key)
        }
    }

    fn lookup(&mut self, key: &'static str) -> Option<&'a Spanned<DeValue<'i>>> {
        self.known.push(key);
        self.table.get(key)
    }

    /// Reports a missing key that the format requires.
    pub fn require<T>(&self, cx: &mut Cx, key: &str, value: Option<T>, example: &str) -> Option<T> {
        if value.is_none() && self.table.get(key).is_none() {
            let where_ = if self.path.is_empty() {
                "the top level".to_string()
            } else {
                format!("`[{}]`", self.path)
            };
            cx.push(
                Problem::new(
                    "platc::schema::required",
                    self.span.clone(),
                    format!("{where_} is missing the required key `{key}`"),
                )
                .label(format!("`{key}` is missing here"))
                .help(format!("add `{key} = {example}`")),
            );
        }
        value
    }

    pub fn str(&mut self, cx: &mut Cx, key: &'static str) -> Option<Sp<String>> {
        let v = self.lookup(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(Sp::new(s.to_string(), v.span())),
            _ => {
                cx.wrong_type(&self.child_path(key), v, "a string");
                None
            }
        }
    }

    pub fn int(&mut self, cx: &mut Cx, key: &'static str) -> Option<Sp<i64>> {
        let v = self.lookup(key)?;
        let path = self.child_path(key);
        integer(cx, &path, v)
    }

    /// A string restricted to a fixed set of words.
    pub fn word<T: Copy>(
        &mut self,
        cx: &mut Cx,
        key: &'static str,
        words: &[(&'static str, T)],
    ) -> Option<Sp<T>> {
        let s = self.str(cx, key)?;
        if let Some((_, value)) = words.iter().find(|(w, _)| *w == s.value) {
            return Some(Sp::new(*value, s.span));
        }
        let names: Vec<&str> = words.iter().map(|(w, _)| *w).collect();
        let mut help = format!("use one of: {}", quoted_list(&names));
        if let Some(best) = platc_values::suggest::closest(&s.value, names.iter().copied()) {
            help = format!("did you mean `{best}`? ({help})");
        }
        cx.push(
            Problem::new(
                "platc::schema::enum",
                s.span.clone(),
                format!(
                    "`{}` is not a valid value for `{}`",
                    s.value,
                    self.child_path(key)
                ),
            )
            .label("unknown value")
            .help(help),
        );
        None
    }

    pub fn table(&mut self, cx: &mut Cx, key: &'static str) -> Option<Reader<'a, 'i>> {
        let path = self.child_path(key);
        let v = self.lookup(key)?;
        match v.get_ref() {
            DeValue::Table(t) => Some(Reader::new(t, v.span(), path)),
            _ => {
                cx.wrong_type(&path, v, "a table");
                None
            }
        }
    }

    /// An array of strings.
    pub fn str_list(&mut self, cx: &mut Cx, key: &'static str) -> Option<Sp<Vec<Sp<String>>>> {
        let path = self.child_path(key);
        let v = self.lookup(key)?;
        let DeValue::Array(items) = v.get_ref() else {
            cx.wrong_type(&path, v, "an array of strings");
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(s) => out.push(Sp::new(s.to_string(), item.span())),
                _ => cx.wrong_type(&format!("{path}[]"), item, "a string"),
            }
        }
        Some(Sp::new(out, v.span()))
    }

    /// A table whose keys are user-chosen names (apps, services, stages, env, ...).
    pub fn named(&mut self, cx: &mut Cx, key: &'static str) -> Option<Named<'a, 'i>> {
        let path = self.child_path(key);
        let v = self.lookup(key)?;
        match v.get_ref() {
            DeValue::Table(t) => Some(Named {
                table: t,
                span: v.span(),
                path,
            }),
            _ => {
                cx.wrong_type(&path, v, "a table");
                None
            }
        }
    }

    /// Reports every key nobody asked for, with a suggestion when one is close.
    pub fn finish(self, cx: &mut Cx) {
        for (key, _) in self.table.iter() {
            let name: &str = key.get_ref();
            if self.known.contains(&name) {
                continue;
            }
            let mut help = if self.known.is_empty() {
                "remove this key".to_string()
            } else {
                format!("known keys here: {}", quoted_list(&sorted(&self.known)))
            };
            if let Some(best) = platc_values::suggest::closest(name, self.known.iter().copied()) {
                help = format!("did you mean `{best}`? ({help})");
            }
            let where_ = if self.path.is_empty() {
                "at the top level".to_string()
            } else {
                format!("in `[{}]`", self.path)
            };
            cx.push(
                Problem::new(
                    "platc::keys::unknown",
                    key.span(),
                    format!("unknown key `{name}` {where_}"),
                )
                .label("not part of the platform.toml format")
                .help(help),
            );
        }
    }
}

/// A table of user-named entries, each a table of its own.
pub(crate) struct Named<'a, 'i> {
    table: &'a DeTable<'i>,
    pub span: Span,
    pub path: String,
}

impl<'a, 'i> Named<'a, 'i> {
    /// Entries whose values are tables, as readers; others are reported.
    pub fn tables(&self, cx: &mut Cx) -> Vec<(Sp<String>, Reader<'a, 'i>)> {
        let mut out = Vec::new();
        for (key, value) in self.table.iter() {
            let name: &str = key.get_ref();
            let path = format!("{}.{}", self.path, name);
            match value.get_ref() {
                DeValue::Table(t) => out.push((
                    Sp::new(name.to_string(), key.span()),
                    Reader::new(t, value.span(), path),
                )),
                _ => cx.wrong_type(&path, value, "a table"),
            }
        }
        out
    }

    /// Entries whose values are scalars, as strings (integers and booleans are accepted and
    /// converted, since environment values are strings in Kubernetes).
    pub fn scalars(&self, cx: &mut Cx) -> Vec<(Sp<String>, Sp<String>)> {
        let mut out = Vec::new();
        for (key, value) in self.table.iter() {
            let name: &str = key.get_ref();
            let text = match value.get_ref() {
                DeValue::String(s) => Some(s.to_string()),
                DeValue::Integer(i) => Some(i.as_str().to_string()),
                DeValue::Boolean(b) => Some(b.to_string()),
                _ => None,
            };
            match text {
                Some(text) => out.push((
                    Sp::new(name.to_string(), key.span()),
                    Sp::new(text, value.span()),
                )),
                None => cx.wrong_type(
                    &format!("{}.{}", self.path, name),
                    value,
                    "a string, integer or boolean",
                ),
            }
        }
        out
    }
}

fn integer(cx: &mut Cx, path: &str, v: &Spanned<DeValue<'_>>) -> Option<Sp<i64>> {
    match v.get_ref() {
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            let digits = match i.radix() {
                10 => Cow::Borrowed(digits.as_str()),
                _ => Cow::Owned(digits.get(2..).unwrap_or("").to_string()),
            };
            match i64::from_str_radix(&digits, i.radix()) {
                Ok(n) => Some(Sp::new(n, v.span())),
                Err(_) => {
                    cx.push(
                        Problem::new(
                            "platc::schema::type",
                            v.span(),
                            format!("`{path}` is not a representable integer"),
                        )
                        .label("out of range")
                        .help("use a value between -9223372036854775808 and 9223372036854775807"),
                    );
                    None
                }
            }
        }
        _ => {
            cx.wrong_type(path, v, "an integer");
            None
        }
    }
}

pub(crate) fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn sorted<'s>(names: &[&'s str]) -> Vec<&'s str> {
    let mut v = names.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}
