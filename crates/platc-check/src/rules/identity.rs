//! `platc::identity::*`: the cloud identifiers of `[platform.identity]` have the cloud's form
//! and belong to `platform.cloud`.

use platc_model::{Document, ManagedMongodb, Problem};

/// What a key's value must look like: a check and the sentence that says it.
fn form(key: &str) -> (fn(&str) -> bool, &'static str) {
    match key {
        "aws-account-id" => (
            |v| v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()),
            "an AWS account id is 12 digits, e.g. \"123456789012\"",
        ),
        "azure-dns-resource-group" => (
            |v| {
                (1..=90).contains(&v.len())
                    && v
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.()".contains(c))
                    && !v.ends_with('.')
            },
            "an Azure resource group name is 1 to 90 letters, digits, `-`, `_`, `.`, `(` or `)`, not ending in `.`",
        ),
        "atlas-project-id" => (
            |v| v.len() == 24 && v.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "an Atlas project id is 24 lower-case hex digits, e.g. \"5f1e2d3c4b5a69788796a5b4\" (Atlas → Project Settings, or `atlas projects list`)",
        ),
        "gcp-project" => (
            |v| {
                let b = v.as_bytes();
                (6..=30).contains(&b.len())
                    && b[0].is_ascii_lowercase()
                    && b.iter()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                    && !v.ends_with('-')
            },
            "a GCP project id is 6 to 30 lower-case letters, digits or `-`, starting with a letter and not ending in `-`",
        ),
        _ => (
            is_uuid,
            "Azure ids are GUIDs, e.g. \"00000000-0000-0000-0000-000000000000\" (Azure portal → the resource → Overview)",
        ),
    }
}

fn is_uuid(v: &str) -> bool {
    let groups: Vec<&str> = v.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub(crate) fn check(doc: &Document, out: &mut Vec<Problem>) {
    let Some(identity) = &doc.platform.identity else {
        return;
    };
    let cloud = doc.platform.cloud.as_ref().map(|c| c.value);
    for (key, owner, value) in identity.entries() {
        if let Some(cloud) = cloud {
            if cloud != owner {
                out.push(
                    Problem::new(
                        "platc::identity::other-cloud",
                        value.span.clone(),
                        format!(
                            "`{key}` is an identifier of {}, but `platform.cloud` is `{}`",
                            owner.as_str(),
                            cloud.as_str()
                        ),
                    )
                    .label(format!("only for cloud = \"{}\"", owner.as_str()))
                    .help(format!(
                        "remove `{key}`; the keys for {} start with `{}-`",
                        cloud.as_str(),
                        cloud.as_str()
                    )),
                );
                continue;
            }
        }
        check_form(key, value, out);
    }
    // `atlas-project-id` belongs to no cloud: it is allowed where Atlas serves managed MongoDB.
    if let Some(value) = &identity.atlas_project_id {
        let m = doc.platform.effective_managed_mongodb();
        if m == Some(ManagedMongodb::Native) {
            let p = Problem::new(
                "platc::identity::atlas-unused",
                value.span.clone(),
                "`atlas-project-id` is set, but managed MongoDB does not use MongoDB Atlas",
            )
            .label("Atlas is not in use")
            .help(
                "remove `atlas-project-id`, or set `managed-mongodb = \"atlas\"` in `[platform]`",
            );
            out.push(match &doc.platform.managed_mongodb {
                Some(k) => p.related(k.span.clone(), "native service chosen here"),
                None => p,
            });
        } else {
            check_form("atlas-project-id", value, out);
        }
    }
}

fn check_form(key: &str, value: &platc_model::Sp<String>, out: &mut Vec<Problem>) {
    let (ok, rule) = form(key);
    if !ok(&value.value) {
        out.push(
            Problem::new(
                "platc::identity::invalid",
                value.span.clone(),
                format!("`{key}` = {:?} is not a valid value", value.value),
            )
            .label("not of the expected form")
            .help(rule),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let (aws, _) = form("aws-account-id");
        assert!(aws("123456789012"));
        assert!(!aws("12345678901") && !aws("12345678901a"));
        assert!(is_uuid("0a1b2c3d-0000-4000-8000-00000000abcd"));
        assert!(!is_uuid("0a1b2c3d-0000-4000-8000-00000000abc"));
        assert!(!is_uuid("0a1b2c3d00004000800000000000abcd"));
        let (atlas, _) = form("atlas-project-id");
        assert!(atlas("5f1e2d3c4b5a69788796a5b4") && !atlas("5F1E2D3C4B5A69788796A5B4"));
        assert!(!atlas("5f1e2d3c4b5a69788796a5b") && !atlas("5f1e2d3c4b5a69788796a5bg"));
        let (gcp, _) = form("gcp-project");
        assert!(gcp("acme-prod-1") && !gcp("Acme-prod") && !gcp("acme-") && !gcp("acme"));
        let (rg, _) = form("azure-dns-resource-group");
        assert!(rg("dns-(prod)_1") && !rg("dns.") && !rg(""));
    }
}
