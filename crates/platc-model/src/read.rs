//! Builds the typed [`Document`] from the spanned TOML tree.

use toml::de::DeTable;
use toml::Spanned;

use crate::decode::{Cx, Reader};
use crate::problem::{Problem, Sp};
use crate::types::*;

pub(crate) fn document(cx: &mut Cx, root: &Spanned<DeTable<'_>>) -> Document {
    let mut r = Reader::new(root.get_ref(), root.span(), "");
    let version = r.int(cx, "version");
    let version = r.require(cx, "version", version, "1");
    let platform = match r.table(cx, "platform") {
        Some(t) => platform(cx, t),
        None => {
            r.require::<()>(cx, "platform", None, "{ name = \"acme\", ... }");
            PlatformSection::default()
        }
    };
    let core = r.table(cx, "core").map(|t| core(cx, t)).unwrap_or_default();
    let mut doc = Document {
        version,
        platform,
        core,
        ..Document::default()
    };
    match r.named(cx, "stages") {
        Some(named) => {
            doc.stages_span = named.span.clone();
            for (name, t) in named.tables(cx) {
                let s = stage(cx, name.clone(), t);
                doc.stages.insert(name.value, s);
            }
        }
        None => {
            r.require::<()>(
                cx,
                "stages",
                None,
                "{ test = { namespace = \"{app}-test\" } }",
            );
        }
    }
    if let Some(named) = r.named(cx, "apps") {
        for (name, t) in named.tables(cx) {
            let a = app(cx, name.clone(), t);
            doc.apps.insert(name.value, a);
        }
    }
    r.finish(cx);
    doc
}

fn platform(cx: &mut Cx, mut r: Reader<'_, '_>) -> PlatformSection {
    let name = r.str(cx, "name");
    let domain = r.str(cx, "domain");
    let cloud = r.word(cx, "cloud", Cloud::WORDS);
    let region = r.str(cx, "region");
    let registry = r.str(cx, "registry");
    let s = PlatformSection {
        span: r.span.clone(),
        name: r.require(cx, "name", name, "\"acme\""),
        domain: r.require(cx, "domain", domain, "\"acme.example\""),
        cloud: r.require(cx, "cloud", cloud, "\"aws\""),
        region: r.require(cx, "region", region, "\"eu-central-1\""),
        registry: r.require(cx, "registry", registry, "\"ghcr.io/acme\""),
        kubernetes: r.str(cx, "kubernetes"),
        managed_mongodb: r.word(cx, "managed-mongodb", ManagedMongodb::WORDS),
        identity: r.table(cx, "identity").map(|mut t| {
            let i = Identity {
                span: t.span.clone(),
                aws_account_id: t.str(cx, "aws-account-id"),
                azure_tenant_id: t.str(cx, "azure-tenant-id"),
                azure_subscription_id: t.str(cx, "azure-subscription-id"),
                azure_secret_store_client_id: t.str(cx, "azure-secret-store-client-id"),
                azure_external_dns_client_id: t.str(cx, "azure-external-dns-client-id"),
                azure_dns_resource_group: t.str(cx, "azure-dns-resource-group"),
                gcp_project: t.str(cx, "gcp-project"),
                atlas_project_id: t.str(cx, "atlas-project-id"),
            };
            t.finish(cx);
            i
        }),
    };
    r.finish(cx);
    s
}

fn core(cx: &mut Cx, mut r: Reader<'_, '_>) -> CoreSection {
    let s = CoreSection {
        span: r.span.clone(),
        namespace: r.str(cx, "namespace"),
        ingress: r.str(cx, "ingress"),
        ingress_class: r.str(cx, "ingress-class"),
        certificates: r.table(cx, "certificates").map(|mut t| {
            let c = Certificates {
                span: t.span.clone(),
                issuer: t.str(cx, "issuer"),
                email: t.str(cx, "email"),
            };
            t.finish(cx);
            c
        }),
        dns: r.str(cx, "dns"),
        observability: r.str(cx, "observability"),
        secrets: r.str(cx, "secrets"),
        event_bus: r.str(cx, "event-bus"),
    };
    r.finish(cx);
    s
}

fn stage(cx: &mut Cx, name: Sp<String>, mut r: Reader<'_, '_>) -> Stage {
    let s = Stage {
        name,
        span: r.span.clone(),
        joins: r.str(cx, "joins"),
        namespace: r.str(cx, "namespace"),
        deploy: r.word(cx, "deploy", Deploy::WORDS),
        databases: r.word(cx, "databases", Placement::WORDS),
        caches: r.word(cx, "caches", Placement::WORDS),
        replicas: r.int(cx, "replicas"),
        certificates: r.word(cx, "certificates", Acme::WORDS),
        managed_cidrs: r.str_list(cx, "managed-cidrs"),
        backup_bucket: r.str(cx, "backup-bucket"),
    };
    r.finish(cx);
    s
}

fn app(cx: &mut Cx, name: Sp<String>, mut r: Reader<'_, '_>) -> App {
    let mut a = App {
        name,
        span: r.span.clone(),
        team: r.str(cx, "team"),
        services: Default::default(),
    };
    if let Some(named) = r.named(cx, "services") {
        for (name, t) in named.tables(cx) {
            let s = service(cx, name.clone(), t);
            a.services.insert(name.value, s);
        }
    }
    r.finish(cx);
    a
}

fn service(cx: &mut Cx, name: Sp<String>, mut r: Reader<'_, '_>) -> Service {
    let port = r.int(cx, "port");
    let mut s = Service {
        name,
        span: r.span.clone(),
        port: r.require(cx, "port", port, "8080"),
        protocol: r.word(cx, "protocol", Protocol::WORDS),
        image: r.str(cx, "image"),
        settings: settings(cx, &mut r),
        health: r.table(cx, "health").map(|mut t| {
            let h = Health {
                span: t.span.clone(),
                liveness: t.str(cx, "liveness"),
                readiness: t.str(cx, "readiness"),
            };
            t.finish(cx);
            h
        }),
        metrics: r.table(cx, "metrics").map(|mut t| {
            let m = Metrics {
                span: t.span.clone(),
                port: t.int(cx, "port"),
                path: t.str(cx, "path"),
            };
            t.finish(cx);
            m
        }),
        calls: r.str_list(cx, "calls"),
        events: r.table(cx, "events").map(|mut t| {
            let e = Events {
                span: t.span.clone(),
                publishes: t.str_list(cx, "publishes"),
                subscribes: t.str_list(cx, "subscribes"),
            };
            t.finish(cx);
            e
        }),
        secrets: r.str_list(cx, "secrets"),
        database: r
            .table(cx, "database")
            .map(|t| data_store(cx, t, Engine::DATABASE_WORDS, true)),
        cache: r
            .table(cx, "cache")
            .map(|t| data_store(cx, t, Engine::CACHE_WORDS, true)),
        stages: Default::default(),
    };
    if let Some(named) = r.named(cx, "stages") {
        for (stage, mut t) in named.tables(cx) {
            let o = StageOverride {
                stage: stage.clone(),
                span: t.span.clone(),
                settings: settings(cx, &mut t),
                database: t
                    .table(cx, "database")
                    .map(|t| data_store(cx, t, Engine::DATABASE_WORDS, false)),
                cache: t
                    .table(cx, "cache")
                    .map(|t| data_store(cx, t, Engine::CACHE_WORDS, false)),
            };
            t.finish(cx);
            s.stages.insert(stage.value, o);
        }
    }
    r.finish(cx);
    s
}

/// Keys that both a service and its stage overrides accept.
fn settings(cx: &mut Cx, r: &mut Reader<'_, '_>) -> Settings {
    Settings {
        replicas: r.int(cx, "replicas"),
        tag: r.str(cx, "tag"),
        digest: r.str(cx, "digest"),
        resources: r.table(cx, "resources").map(|mut t| {
            let res = Resources {
                span: t.span.clone(),
                cpu: t.str(cx, "cpu"),
                memory: t.str(cx, "memory"),
                cpu_limit: t.str(cx, "cpu-limit"),
                memory_limit: t.str(cx, "memory-limit"),
            };
            t.finish(cx);
            res
        }),
        expose: r.table(cx, "expose").map(|mut t| {
            let e = Expose {
                span: t.span.clone(),
                host: t.str(cx, "host"),
                path: t.str(cx, "path"),
            };
            t.finish(cx);
            e
        }),
        env: r
            .named(cx, "env")
            .map(|n| n.scalars(cx))
            .unwrap_or_default(),
    }
}

/// `whole`: a service's own table (engine required); otherwise a stage override, which may
/// only change sizing and placement.
fn data_store(
    cx: &mut Cx,
    mut r: Reader<'_, '_>,
    engines: &[(&'static str, Engine)],
    whole: bool,
) -> DataStore {
    let mut d = DataStore {
        span: r.span.clone(),
        ..DataStore::default()
    };
    if whole {
        let engine = r.word(cx, "engine", engines);
        d.engine = r.require(cx, "engine", engine, "\"postgresql\"");
        d.version = r.str(cx, "version");
    }
    d.storage = r.str(cx, "storage");
    d.replicas = r.int(cx, "replicas");
    d.instance = r.str(cx, "instance");
    d.placement = r.word(cx, "placement", Placement::WORDS);
    d.pooler = r.word(cx, "pooler", Pooler::WORDS);
    d.backup = r.table(cx, "backup").map(|mut t| {
        let b = Backup {
            span: t.span.clone(),
            schedule: t.str(cx, "schedule"),
            retention: t.str(cx, "retention"),
        };
        t.finish(cx);
        b
    });
    r.finish(cx);
    d
}

/// A TOML syntax error as a problem.
pub(crate) fn syntax_problem(err: &toml::de::Error, len: usize) -> Problem {
    let span = err.span().unwrap_or(len..len);
    let message = err.message().trim().to_string();
    Problem::new(
        "platc::syntax",
        span,
        format!("TOML syntax error: {message}"),
    )
    .label("here")
    .help("fix the TOML syntax; see https://toml.io/en/v1.0.0")
}
