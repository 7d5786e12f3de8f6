//! `platc::database::*`: engines, versions, placements, sizes and backups of databases and
//! caches, checked for every stage the service is deployed to.

use platc_model::{
    Cloud, DataStore, Document, Engine, ManagedMongodb, Placement, Problem, Service, Sp,
};
use platc_values::{cron, duration};

use super::services::byte_quantity;
use super::value_problem;
use crate::engines::{
    atlas_region, default_version, effective_placement, placed_anywhere, stage_store,
    supported_versions, SUPPORTED_KUBERNETES,
};

pub(crate) fn check(doc: &Document, out: &mut Vec<Problem>) {
    if let Some(k) = &doc.platform.kubernetes {
        if !SUPPORTED_KUBERNETES.contains(&k.value.as_str()) {
            out.push(
                Problem::new(
                    "platc::kubernetes::version",
                    k.span.clone(),
                    format!("Kubernetes `{}` is not a supported target", k.value),
                )
                .label("unsupported version")
                .help(format!("use one of: {}", SUPPORTED_KUBERNETES.join(", "))),
            );
        }
    }
    managed_mongodb(doc, out);
    for app in doc.apps.values() {
        for svc in app.services.values() {
            for cache in [false, true] {
                let store = if cache { &svc.cache } else { &svc.database };
                let Some(store) = store else { continue };
                sizes(store, out);
                for over in svc.stages.values() {
                    if let Some(o) = if cache { &over.cache } else { &over.database } {
                        sizes(o, out);
                    }
                }
                placements(doc, svc, store, cache, out);
                poolers(doc, svc, store, cache, out);
            }
        }
    }
}

/// Whether some service's database is MongoDB placed `managed` in some deployed stage.
pub(crate) fn has_managed_mongodb(doc: &Document) -> bool {
    doc.apps
        .values()
        .flat_map(|a| a.services.values())
        .any(|svc| {
            svc.database
                .as_ref()
                .and_then(|d| d.engine.as_ref())
                .is_some_and(|e| e.value == Engine::Mongodb)
                && placed_anywhere(doc, svc, false, Placement::Managed)
        })
}

/// `managed-mongodb`: Google Cloud has no MongoDB service of its own; Atlas needs a region
/// name platc can translate.
fn managed_mongodb(doc: &Document, out: &mut Vec<Problem>) {
    let Some(cloud) = &doc.platform.cloud else {
        return;
    };
    if let Some(m) = &doc.platform.managed_mongodb {
        if m.value == ManagedMongodb::Native && cloud.value == Cloud::Gcp {
            out.push(
                Problem::new(
                    "platc::database::native-mongodb",
                    m.span.clone(),
                    "Google Cloud has no MongoDB service of its own, so `managed-mongodb` cannot be `native`",
                )
                .label("not on gcp")
                .help("remove the key (managed MongoDB on gcp is MongoDB Atlas) or place the databases `operator` or `in-cluster`")
                .related(cloud.span.clone(), "cloud chosen here"),
            );
            return;
        }
    }
    if doc.platform.effective_managed_mongodb() != Some(ManagedMongodb::Atlas) {
        return;
    }
    let Some(region) = &doc.platform.region else {
        return;
    };
    if has_managed_mongodb(doc) && atlas_region(cloud.value, &region.value).is_none() {
        out.push(
            Problem::new(
                "platc::database::atlas-region",
                region.span.clone(),
                format!(
                    "platc knows no MongoDB Atlas region for the {} region `{}`",
                    cloud.value.as_str(),
                    region.value
                ),
            )
            .label("no Atlas region name")
            .help("managed MongoDB runs on MongoDB Atlas in the platform's region; use a region Atlas offers (see docs/format.md, `managed-mongodb`), or place the MongoDB databases `operator` or `in-cluster`"),
        );
    }
}

fn sizes(store: &DataStore, out: &mut Vec<Problem>) {
    if let Some(storage) = &store.storage {
        byte_quantity(storage, out);
    }
    if let Some(r) = &store.replicas {
        if !(1..=9).contains(&r.value) {
            out.push(
                Problem::new(
                    "platc::database::replicas",
                    r.span.clone(),
                    format!("{} database replicas are not supported", r.value),
                )
                .label("out of range")
                .help("use 1 (single instance) up to 9 (primary plus replicas)"),
            );
        }
    }
    if let Some(i) = &store.instance {
        let ok = !i.value.is_empty()
            && i.value.len() <= 64
            && i.value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !ok {
            out.push(
                Problem::new("platc::database::instance", i.span.clone(), format!("`{}` is not an instance class", i.value))
                    .label("invalid instance class")
                    .help("use the provider's instance class name, e.g. `db.r6g.large`, `GP_Standard_D2ds_v4` or `db-custom-2-7680`"),
            );
        }
    }
    if let Some(b) = &store.backup {
        if let Some(s) = &b.schedule {
            if let Err(e) = cron::parse_cron(&s.value) {
                out.push(value_problem("platc::cron::invalid", s.span.clone(), e));
            }
        }
        if let Some(r) = &b.retention {
            if let Err(e) = duration::parse_retention(&r.value) {
                out.push(value_problem("platc::duration::invalid", r.span.clone(), e));
            }
        }
    }
}

fn placements(
    doc: &Document,
    svc: &Service,
    store: &DataStore,
    cache: bool,
    out: &mut Vec<Problem>,
) {
    let Some(engine) = &store.engine else { return };
    let version = store
        .version
        .as_ref()
        .map(|v| v.value.as_str())
        .unwrap_or(default_version(engine.value));
    let span_of_version = store
        .version
        .as_ref()
        .map(|v| v.span.clone())
        .unwrap_or(engine.span.clone());
    // Report each (placement) once even when several stages share it.
    let mut reported: Vec<Placement> = Vec::new();
    for stage in doc.stages.values().filter(|s| s.joins.is_none()) {
        let placement = effective_placement(svc, stage, cache);
        if reported.contains(&placement) {
            continue;
        }
        let supported = supported_versions(engine.value, placement);
        if supported.contains(&version) {
            continue;
        }
        reported.push(placement);
        let what = if cache { "cache" } else { "database" };
        let p = if supported.is_empty() {
            Problem::new(
                "platc::database::placement",
                engine.span.clone(),
                format!("{} cannot be placed `{}` (stage `{}`)", engine.value.as_str(), placement.as_str(), stage.name.value),
            )
            .label(format!("{what} engine"))
            .help("the `statefulset` layout serves PostgreSQL only; choose `in-cluster`, `operator` or `managed` for this engine")
        } else {
            Problem::new(
                "platc::database::version",
                span_of_version.clone(),
                format!(
                    "{} {version} is not supported with placement `{}` (stage `{}`)",
                    engine.value.as_str(),
                    placement.as_str(),
                    stage.name.value
                ),
            )
            .label("unsupported version")
            .help(format!("use one of: {}", supported.join(", ")))
        };
        out.push(match stage_span(svc, &stage.name.value, cache) {
            Some(s) => p.related(s.span.clone(), "placement chosen here"),
            None => p,
        });
    }
}

fn stage_span<'a>(svc: &'a Service, stage: &str, cache: bool) -> Option<&'a Sp<Placement>> {
    stage_store(svc, stage, cache)?.placement.as_ref()
}

/// A connection pooler (`pooler`) exists only as Zalando's, so only for PostgreSQL placed
/// `operator`, in every deployed stage where the service's (or the stage override's) value
/// applies.
fn poolers(doc: &Document, svc: &Service, store: &DataStore, cache: bool, out: &mut Vec<Problem>) {
    let Some(engine) = &store.engine else { return };
    let mut reported: Vec<platc_model::Span> = Vec::new();
    for stage in doc.stages.values().filter(|s| s.joins.is_none()) {
        let over = stage_store(svc, &stage.name.value, cache);
        let Some(pooler) = over
            .and_then(|o| o.pooler.as_ref())
            .or(store.pooler.as_ref())
        else {
            continue;
        };
        if reported.contains(&pooler.span) {
            continue;
        }
        let placement = effective_placement(svc, stage, cache);
        let problem = if engine.value != Engine::Postgresql {
            Problem::new(
                "platc::database::pooler",
                pooler.span.clone(),
                format!(
                    "{} has no connection pooler; `pooler` is for PostgreSQL",
                    engine.value.as_str()
                ),
            )
            .label("not for this engine")
            .help("remove `pooler`")
        } else if placement != Placement::Operator {
            Problem::new(
                "platc::database::pooler",
                pooler.span.clone(),
                format!(
                    "the connection pooler needs `placement = \"operator\"`, but stage `{}` places this database `{}`",
                    stage.name.value,
                    placement.as_str()
                ),
            )
            .label("no pooler for this placement")
            .help(format!(
                "set `pooler` only in the stage overrides of stages that run the database by operator \
                 (`[apps.<app>.services.{}.stages.<stage>] database = {{ pooler = \"{}\" }}`)",
                svc.name.value,
                pooler.value.as_str()
            ))
        } else {
            continue;
        };
        reported.push(pooler.span.clone());
        out.push(problem);
    }
}
