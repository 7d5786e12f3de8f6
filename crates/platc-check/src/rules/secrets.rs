//! `platc::secrets::literal`: credentials never live in platform.toml. Environment keys that
//! name a secret, and any string anywhere that looks like a credential, are refused.

use platc_model::{DeValue, Document, Problem, Tree};
use platc_values::secrets;

pub(crate) fn check(doc: &Document, tree: &Tree<'_>, out: &mut Vec<Problem>) {
    for app in doc.apps.values() {
        for svc in app.services.values() {
            let envs = std::iter::once(&svc.settings.env)
                .chain(svc.stages.values().map(|o| &o.settings.env));
            for (key, value) in envs.flatten() {
                if secrets::key_looks_secret(&key.value) && !value.value.is_empty() {
                    out.push(
                        Problem::new(
                            "platc::secrets::literal",
                            value.span.clone(),
                            format!("`{}` looks like a credential and would be committed to git", key.value),
                        )
                        .label("literal secret")
                        .help(format!(
                            "remove it from `env`, add `secrets = [\"{}\"]` to the service and store the value in the cloud secret manager",
                            key.value
                        )),
                    );
                }
            }
        }
    }
    for (_, v) in tree.get_ref().iter() {
        walk(v, out);
    }
}

fn walk(v: &platc_model::Spanned<DeValue<'_>>, out: &mut Vec<Problem>) {
    match v.get_ref() {
        DeValue::String(s) => {
            if let Some(kind) = secrets::value_looks_secret(s) {
                out.push(
                    Problem::new("platc::secrets::literal", v.span(), format!("this value looks like a credential ({kind})"))
                        .label("literal secret")
                        .help("never commit credentials: store them in the cloud secret manager and reference them with `secrets = [\"NAME\"]`"),
                );
            }
        }
        DeValue::Array(items) => items.iter().for_each(|i| walk(i, out)),
        DeValue::Table(t) => t.iter().for_each(|(_, i)| walk(i, out)),
        _ => {}
    }
}
