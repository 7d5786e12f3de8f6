//! `apps/<app>/EW.md`: how a developer works on the app's services in a stage that `joins`
//! another (dev containers + Telepresence), rendered from `templates/ew-guide.md.j2`.
//!
//! Escaping by construction: the template sees user strings only as plain strings, and the
//! environment's formatter refuses to print a string that did not pass one of the escaping
//! filters (`md` for Markdown text, `sh` for shell words inside code blocks). A template that
//! forgets a filter fails to render — in the unit tests, not in a user's output.

use std::collections::BTreeMap;

use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};
use platc_ir::{Ir, StageKind};

use crate::shell::sh_quote;

const TEMPLATE: &str = include_str!("../../../templates/ew-guide.md.j2");
const NAME: &str = "ew-guide.md";

/// Markdown text: every character with a meaning in CommonMark/GFM inline syntax or HTML is
/// backslash-escaped (all ASCII punctuation may be), line breaks become spaces.
pub(crate) fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' | '(' | ')' | '{'
            | '}' | '~' | '&' | '+' | '"' | '\'' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn environment() -> Result<Environment<'static>, Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.add_filter("md", |s: String| Value::from_safe_string(md(&s)));
    env.add_filter("sh", |s: String| Value::from_safe_string(sh_quote(&s)));
    env.set_formatter(|out, _state, value| {
        if value.is_safe() || value.is_number() {
            out.write_str(&value.to_string())
                .map_err(|_| Error::new(ErrorKind::WriteFailure, "cannot write"))
        } else {
            Err(Error::new(
                ErrorKind::InvalidOperation,
                "a value reached the guide without an escaping filter (`md` or `sh`)",
            ))
        }
    });
    env.add_template(NAME, TEMPLATE)?;
    Ok(env)
}

fn map(entries: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::from(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<String, Value>>(),
    )
}

/// `(path, text)` of every app's guide; none when no stage joins another.
pub(crate) fn guides(ir: &Ir) -> Result<Vec<(String, String)>, Error> {
    let joining: Vec<(&str, &str)> = ir
        .stages
        .iter()
        .filter_map(|s| match &s.kind {
            StageKind::Joins { stage } => Some((s.name.as_str(), stage.as_str())),
            StageKind::Deployed { .. } => None,
        })
        .collect();
    if joining.is_empty() {
        return Ok(Vec::new());
    }
    let env = environment()?;
    let template = env.get_template(NAME)?;
    let header = format!(
        "<!-- {} -->",
        platc_kustomize::HEADER
            .trim_start_matches('#')
            .trim()
            .replace("--", "- -")
    );
    let mut out = Vec::new();
    for app in &ir.apps {
        let mut stages = Vec::new();
        for (name, joins) in &joining {
            let Some(target) = app.stages.iter().find(|s| s.stage == *joins) else {
                continue;
            };
            let services: Vec<Value> = app
                .services
                .iter()
                .map(|svc| {
                    map([
                        ("name", Value::from(svc.name.as_str())),
                        ("port", Value::from(svc.port)),
                        ("protocol", Value::from(svc.protocol.as_str())),
                    ])
                })
                .collect();
            stages.push(map([
                ("name", Value::from(*name)),
                ("joins", Value::from(*joins)),
                ("namespace", Value::from(target.namespace.as_str())),
                ("services", Value::from(services)),
            ]));
        }
        if stages.is_empty() {
            continue;
        }
        let ctx = map([
            ("header", Value::from_safe_string(header.clone())),
            ("app", Value::from(app.name.as_str())),
            ("stages", Value::from(stages)),
        ]);
        out.push((format!("apps/{}/EW.md", app.name), template.render(ctx)?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md_escapes_markup_and_line_breaks() {
        assert_eq!(md("shop-test"), "shop-test");
        assert_eq!(md("a*b_[c](d)<e>"), "a\\*b\\_\\[c\\]\\(d\\)\\<e\\>");
        assert_eq!(md("x\n# y"), "x \\# y");
        assert_eq!(md("`code`"), "\\`code\\`");
    }

    #[test]
    fn unfiltered_strings_are_refused() {
        let mut env = environment().unwrap_or_else(|e| unreachable!("{e}"));
        env.add_template("bad", "{{ x }}")
            .unwrap_or_else(|e| unreachable!("{e}"));
        let t = env
            .get_template("bad")
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert!(t.render(map([("x", Value::from("<b>"))])).is_err());
        assert_eq!(
            t.render(map([("x", Value::from(8080))])).ok().as_deref(),
            Some("8080")
        );
        env.add_template("good", "{{ x | md }} {{ x | sh }}")
            .unwrap_or_else(|e| unreachable!("{e}"));
        let t = env
            .get_template("good")
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(
            t.render(map([("x", Value::from("a b"))])).ok().as_deref(),
            Some("a b 'a b'")
        );
    }
}
