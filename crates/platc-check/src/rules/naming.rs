//! `platc::names::*`: user names are DNS labels and every name derived from them fits
//! Kubernetes' limits.

use platc_model::{Document, Problem, Sp};
use platc_values::names;

use super::value_problem;

/// Helm release names are limited to 53 characters (they become label values with suffixes).
const HELM_RELEASE_MAX: usize = 53;

/// The InnoDBCluster schema limits `metadata.name` (the store name `<service>-mysql`) to 40.
const INNODB_CLUSTER_MAX: usize = 40;

pub(crate) fn check(doc: &Document, out: &mut Vec<Problem>) {
    if let Some(name) = &doc.platform.name {
        label(name, "platform name", out);
    }
    if let Some(domain) = &doc.platform.domain {
        if let Err(e) = names::check_dns_subdomain(&domain.value) {
            out.push(value_problem(
                "platc::names::invalid",
                domain.span.clone(),
                e,
            ));
        }
    }
    if let Some(ns) = &doc.core.namespace {
        label(ns, "core namespace", out);
    }
    for stage in doc.stages.values() {
        label(&stage.name, "stage name", out);
    }
    for app in doc.apps.values() {
        label(&app.name, "app name", out);
        if let Some(team) = &app.team {
            if let Err(e) = names::check_label_value(&team.value) {
                out.push(value_problem("platc::names::invalid", team.span.clone(), e));
            }
        }
        for svc in app.services.values() {
            if let Err(e) = names::check_dns1035_label(&svc.name.value) {
                out.push(
                    value_problem("platc::names::invalid", svc.name.span.clone(), e)
                        .label("service names become Kubernetes Service names"),
                );
                continue;
            }
            for (store, kind) in [(&svc.database, "database"), (&svc.cache, "cache")] {
                let Some(engine) = store.as_ref().and_then(|s| s.engine.as_ref()) else {
                    continue;
                };
                let release = format!("{}-{}", svc.name.value, engine.value.as_str());
                let mysql_operator = engine.value == platc_model::Engine::Mysql
                    && crate::engines::placed_anywhere(
                        doc,
                        svc,
                        kind == "cache",
                        platc_model::Placement::Operator,
                    );
                if mysql_operator && release.len() > INNODB_CLUSTER_MAX {
                    out.push(
                        Problem::new(
                            "platc::names::too-long",
                            svc.name.span.clone(),
                            format!(
                                "the InnoDBCluster name `{release}` is {} characters; the MySQL Operator allows {INNODB_CLUSTER_MAX}",
                                release.len()
                            ),
                        )
                        .label("service name")
                        .help(format!(
                            "shorten the service name to at most {} characters, or place its MySQL `in-cluster` or `managed`",
                            INNODB_CLUSTER_MAX - "-mysql".len()
                        )),
                    );
                } else if release.len() > HELM_RELEASE_MAX {
                    out.push(
                        Problem::new(
                            "platc::names::too-long",
                            svc.name.span.clone(),
                            format!(
                                "the {kind} release name `{release}` is {} characters; Helm allows {HELM_RELEASE_MAX}",
                                release.len()
                            ),
                        )
                        .label("service name")
                        .help(format!(
                            "shorten the service name to at most {} characters",
                            HELM_RELEASE_MAX.saturating_sub(engine.value.as_str().len() + 1)
                        )),
                    );
                }
            }
        }
    }
}

fn label(name: &Sp<String>, what: &str, out: &mut Vec<Problem>) {
    if let Err(e) = names::check_dns_label(&name.value) {
        let mut p = value_problem("platc::names::invalid", name.span.clone(), e)
            .label(format!("{what} must be a DNS-1123 label"));
        if let Some(s) = names::suggest_dns_label(&name.value) {
            p.help = format!("{} (for example `{s}`)", p.help);
        }
        out.push(p);
    }
}
