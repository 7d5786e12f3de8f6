//! The typed model of platform.toml: what the user wrote, with spans, before defaults.
//!
//! Optional fields stay `Option` here; the resolver (platc-ir) decides every default.

use std::collections::BTreeMap;

use crate::problem::{Sp, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cloud {
    Aws,
    Azure,
    Gcp,
}

impl Cloud {
    pub const WORDS: &'static [(&'static str, Cloud)] = &[
        ("aws", Cloud::Aws),
        ("azure", Cloud::Azure),
        ("gcp", Cloud::Gcp),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Cloud::Aws => "aws",
            Cloud::Azure => "azure",
            Cloud::Gcp => "gcp",
        }
    }
}

/// The service behind `managed` MongoDB: the cloud's own (AWS DocumentDB, Azure Cosmos DB for
/// MongoDB) or MongoDB Atlas in the platform's cloud and region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ManagedMongodb {
    Native,
    Atlas,
}

impl ManagedMongodb {
    pub const WORDS: &'static [(&'static str, ManagedMongodb)] = &[
        ("native", ManagedMongodb::Native),
        ("atlas", ManagedMongodb::Atlas),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ManagedMongodb::Native => "native",
            ManagedMongodb::Atlas => "atlas",
        }
    }

    /// The default of `cloud`: native where the cloud has a MongoDB service, Atlas on GCP.
    pub fn default_for(cloud: Cloud) -> ManagedMongodb {
        match cloud {
            Cloud::Aws | Cloud::Azure => ManagedMongodb::Native,
            Cloud::Gcp => ManagedMongodb::Atlas,
        }
    }
}

/// When a stage is deployed by the delivery workflows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Deploy {
    /// On every push to main.
    Push,
    /// On a published GitHub release (or by hand).
    Release,
    /// Only by hand (workflow_dispatch).
    Manual,
}

impl Deploy {
    pub const WORDS: &'static [(&'static str, Deploy)] = &[
        ("push", Deploy::Push),
        ("release", Deploy::Release),
        ("manual", Deploy::Manual),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Deploy::Push => "push",
            Deploy::Release => "release",
            Deploy::Manual => "manual",
        }
    }
}

/// Where a stage's databases and caches run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Placement {
    /// Bitnami Helm chart release in the app namespace.
    InCluster,
    /// A custom resource for the engine's operator.
    Operator,
    /// Plain StatefulSet layout (PostgreSQL only).
    StatefulSet,
    /// Cloud-managed service provisioned by Terraform.
    Managed,
}

impl Placement {
    pub const WORDS: &'static [(&'static str, Placement)] = &[
        ("in-cluster", Placement::InCluster),
        ("operator", Placement::Operator),
        ("statefulset", Placement::StatefulSet),
        ("managed", Placement::Managed),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Placement::InCluster => "in-cluster",
            Placement::Operator => "operator",
            Placement::StatefulSet => "statefulset",
            Placement::Managed => "managed",
        }
    }
}

/// Pooling mode of a PostgreSQL connection pooler (PgBouncer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pooler {
    /// A server connection per transaction (session state does not survive a transaction).
    Transaction,
    /// A server connection per client session.
    Session,
}

impl Pooler {
    pub const WORDS: &'static [(&'static str, Pooler)] = &[
        ("transaction", Pooler::Transaction),
        ("session", Pooler::Session),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Pooler::Transaction => "transaction",
            Pooler::Session => "session",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Engine {
    Postgresql,
    Mysql,
    Mongodb,
    Redis,
}

impl Engine {
    pub const DATABASE_WORDS: &'static [(&'static str, Engine)] = &[
        ("postgresql", Engine::Postgresql),
        ("mysql", Engine::Mysql),
        ("mongodb", Engine::Mongodb),
    ];
    pub const CACHE_WORDS: &'static [(&'static str, Engine)] = &[("redis", Engine::Redis)];

    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Postgresql => "postgresql",
            Engine::Mysql => "mysql",
            Engine::Mongodb => "mongodb",
            Engine::Redis => "redis",
        }
    }
}

/// The application protocol a service speaks on its port (decides probe kind and Service
/// `appProtocol`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    Http,
    Https,
    Grpc,
    Tcp,
}

impl Protocol {
    pub const WORDS: &'static [(&'static str, Protocol)] = &[
        ("http", Protocol::Http),
        ("https", Protocol::Https),
        ("grpc", Protocol::Grpc),
        ("tcp", Protocol::Tcp),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::Https => "https",
            Protocol::Grpc => "grpc",
            Protocol::Tcp => "tcp",
        }
    }
}

/// Which Let's Encrypt endpoint issues a stage's certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Acme {
    Production,
    Staging,
}

impl Acme {
    pub const WORDS: &'static [(&'static str, Acme)] =
        &[("production", Acme::Production), ("staging", Acme::Staging)];

    pub fn as_str(self) -> &'static str {
        match self {
            Acme::Production => "production",
            Acme::Staging => "staging",
        }
    }
}

/// The whole file.
#[derive(Clone, Debug, Default)]
pub struct Document {
    pub version: Option<Sp<i64>>,
    pub platform: PlatformSection,
    pub core: CoreSection,
    /// Keyed by stage name, in name order.
    pub stages: BTreeMap<String, Stage>,
    /// Where `[stages]` is (the document start when it is missing).
    pub stages_span: Span,
    pub apps: BTreeMap<String, App>,
}

#[derive(Clone, Debug, Default)]
pub struct PlatformSection {
    pub span: Span,
    pub name: Option<Sp<String>>,
    pub domain: Option<Sp<String>>,
    pub cloud: Option<Sp<Cloud>>,
    pub region: Option<Sp<String>>,
    pub registry: Option<Sp<String>>,
    pub kubernetes: Option<Sp<String>>,
    /// `managed-mongodb`: the service behind MongoDB placed `managed`.
    pub managed_mongodb: Option<Sp<ManagedMongodb>>,
    pub identity: Option<Identity>,
}

impl PlatformSection {
    /// The service behind managed MongoDB: `managed-mongodb`, else the cloud's default.
    pub fn effective_managed_mongodb(&self) -> Option<ManagedMongodb> {
        match (&self.managed_mongodb, &self.cloud) {
            (Some(m), _) => Some(m.value),
            (None, Some(c)) => Some(ManagedMongodb::default_for(c.value)),
            (None, None) => None,
        }
    }
}

/// `[platform.identity]`: what the cloud assigns and platc cannot derive.
#[derive(Clone, Debug, Default)]
pub struct Identity {
    pub span: Span,
    pub aws_account_id: Option<Sp<String>>,
    pub azure_tenant_id: Option<Sp<String>>,
    pub azure_subscription_id: Option<Sp<String>>,
    pub azure_secret_store_client_id: Option<Sp<String>>,
    pub azure_external_dns_client_id: Option<Sp<String>>,
    pub azure_dns_resource_group: Option<Sp<String>>,
    pub gcp_project: Option<Sp<String>>,
    /// MongoDB Atlas project id (24 hex digits); belongs to no cloud, allowed where Atlas
    /// serves managed MongoDB.
    pub atlas_project_id: Option<Sp<String>>,
}

impl Identity {
    /// Every key that is set: (key, cloud it belongs to, value).
    pub fn entries(&self) -> Vec<(&'static str, Cloud, &Sp<String>)> {
        [
            ("aws-account-id", Cloud::Aws, &self.aws_account_id),
            ("azure-tenant-id", Cloud::Azure, &self.azure_tenant_id),
            (
                "azure-subscription-id",
                Cloud::Azure,
                &self.azure_subscription_id,
            ),
            (
                "azure-secret-store-client-id",
                Cloud::Azure,
                &self.azure_secret_store_client_id,
            ),
            (
                "azure-external-dns-client-id",
                Cloud::Azure,
                &self.azure_external_dns_client_id,
            ),
            (
                "azure-dns-resource-group",
                Cloud::Azure,
                &self.azure_dns_resource_group,
            ),
            ("gcp-project", Cloud::Gcp, &self.gcp_project),
        ]
        .into_iter()
        .filter_map(|(k, c, v)| v.as_ref().map(|v| (k, c, v)))
        .collect()
    }
}

#[derive(Clone, Debug, Default)]
pub struct CoreSection {
    pub span: Span,
    pub namespace: Option<Sp<String>>,
    pub ingress: Option<Sp<String>>,
    pub ingress_class: Option<Sp<String>>,
    pub certificates: Option<Certificates>,
    pub dns: Option<Sp<String>>,
    pub observability: Option<Sp<String>>,
    pub secrets: Option<Sp<String>>,
    pub event_bus: Option<Sp<String>>,
}

#[derive(Clone, Debug, Default)]
pub struct Certificates {
    pub span: Span,
    pub issuer: Option<Sp<String>>,
    pub email: Option<Sp<String>>,
}

#[derive(Clone, Debug, Default)]
pub struct Stage {
    pub name: Sp<String>,
    pub span: Span,
    pub joins: Option<Sp<String>>,
    pub namespace: Option<Sp<String>>,
    pub deploy: Option<Sp<Deploy>>,
    pub databases: Option<Sp<Placement>>,
    pub caches: Option<Sp<Placement>>,
    pub replicas: Option<Sp<i64>>,
    pub certificates: Option<Sp<Acme>>,
    /// Address ranges where the stage's managed databases and caches live.
    pub managed_cidrs: Option<Sp<Vec<Sp<String>>>>,
    /// Object-storage bucket (Azure: blob container) of the platform's cloud that operator
    /// backups of this stage upload to.
    pub backup_bucket: Option<Sp<String>>,
}

#[derive(Clone, Debug, Default)]
pub struct App {
    pub name: Sp<String>,
    pub span: Span,
    pub team: Option<Sp<String>>,
    pub services: BTreeMap<String, Service>,
}

#[derive(Clone, Debug, Default)]
pub struct Service {
    pub name: Sp<String>,
    pub span: Span,
    pub port: Option<Sp<i64>>,
    pub protocol: Option<Sp<Protocol>>,
    pub image: Option<Sp<String>>,
    pub settings: Settings,
    pub health: Option<Health>,
    pub metrics: Option<Metrics>,
    pub calls: Option<Sp<Vec<Sp<String>>>>,
    pub events: Option<Events>,
    pub secrets: Option<Sp<Vec<Sp<String>>>>,
    pub database: Option<DataStore>,
    pub cache: Option<DataStore>,
    /// Per-stage overrides, keyed by stage name.
    pub stages: BTreeMap<String, StageOverride>,
}

/// The settings a stage may override: shared by a service and its `stages.<stage>` tables.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub replicas: Option<Sp<i64>>,
    pub tag: Option<Sp<String>>,
    pub digest: Option<Sp<String>>,
    pub resources: Option<Resources>,
    pub expose: Option<Expose>,
    pub env: Vec<(Sp<String>, Sp<String>)>,
}

#[derive(Clone, Debug, Default)]
pub struct StageOverride {
    pub stage: Sp<String>,
    pub span: Span,
    pub settings: Settings,
    pub database: Option<DataStore>,
    pub cache: Option<DataStore>,
}

#[derive(Clone, Debug, Default)]
pub struct Resources {
    pub span: Span,
    pub cpu: Option<Sp<String>>,
    pub memory: Option<Sp<String>>,
    pub cpu_limit: Option<Sp<String>>,
    pub memory_limit: Option<Sp<String>>,
}

#[derive(Clone, Debug, Default)]
pub struct Health {
    pub span: Span,
    pub liveness: Option<Sp<String>>,
    pub readiness: Option<Sp<String>>,
}

#[derive(Clone, Debug, Default)]
pub struct Metrics {
    pub span: Span,
    pub port: Option<Sp<i64>>,
    pub path: Option<Sp<String>>,
}

#[derive(Clone, Debug, Default)]
pub struct Expose {
    pub span: Span,
    pub host: Option<Sp<String>>,
    pub path: Option<Sp<String>>,
}

#[derive(Clone, Debug, Default)]
pub struct Events {
    pub span: Span,
    pub publishes: Option<Sp<Vec<Sp<String>>>>,
    pub subscribes: Option<Sp<Vec<Sp<String>>>>,
}

/// A `database` or `cache` table (whole on a service, partial in a stage override).
#[derive(Clone, Debug, Default)]
pub struct DataStore {
    pub span: Span,
    pub engine: Option<Sp<Engine>>,
    pub version: Option<Sp<String>>,
    pub storage: Option<Sp<String>>,
    pub replicas: Option<Sp<i64>>,
    pub instance: Option<Sp<String>>,
    pub placement: Option<Sp<Placement>>,
    /// PgBouncer in front of an operator-placed PostgreSQL (Zalando's connection pooler).
    pub pooler: Option<Sp<Pooler>>,
    pub backup: Option<Backup>,
}

#[derive(Clone, Debug, Default)]
pub struct Backup {
    pub span: Span,
    pub schedule: Option<Sp<String>>,
    pub retention: Option<Sp<String>>,
}

/// Expands a stage's namespace template for one app. `{app}` is the only placeholder;
/// returns the offending placeholder text when the template has another.
pub fn expand_namespace(template: &str, app: &str) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + app.len());
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        let (before, after) = rest.split_at(open);
        out.push_str(before);
        if after.starts_with('}') {
            return Err("}".to_string());
        }
        match after.find('}') {
            Some(close) => {
                let placeholder = after.get(..=close).unwrap_or(after);
                if placeholder != "{app}" {
                    return Err(placeholder.to_string());
                }
                out.push_str(app);
                rest = after.get(close + 1..).unwrap_or("");
            }
            None => return Err(after.to_string()),
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Kubernetes namespaces platc must never deploy an app into.
pub const RESERVED_NAMESPACES: &[&str] =
    &["default", "kube-system", "kube-public", "kube-node-lease"];

/// The public host name of an exposed service: `<host>.<stage>.<domain>`, and for the stage
/// named `prod` just `<host>.<domain>`.
pub fn public_host(host: &str, stage: &str, domain: &str) -> String {
    if stage == "prod" {
        format!("{host}.{domain}")
    } else {
        format!("{host}.{stage}.{domain}")
    }
}

/// A `calls` entry: `"service"` (same app) or `"app.service"`.
pub fn split_call<'a>(call: &'a str, own_app: &'a str) -> (&'a str, &'a str) {
    match call.split_once('.') {
        Some((app, service)) => (app, service),
        None => (own_app, call),
    }
}

/// Where an exposed service is published in one stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectiveExpose {
    /// The host label (the service name when `expose` names none).
    pub host: Sp<String>,
    pub path: Option<Sp<String>>,
    /// The `expose` table that decides it (the stage's when it has one).
    pub span: Span,
}

impl Service {
    /// The service's exposure in `stage`: the stage's `expose` refines the service's key by key.
    pub fn expose_in(&self, stage: &str) -> Option<EffectiveExpose> {
        let over = self
            .stages
            .get(stage)
            .and_then(|o| o.settings.expose.as_ref());
        let own = self.settings.expose.as_ref();
        let decisive = over.or(own)?;
        let pick = |f: fn(&Expose) -> Option<&Sp<String>>| {
            over.and_then(f).or_else(|| own.and_then(f)).cloned()
        };
        Some(EffectiveExpose {
            host: pick(|e| e.host.as_ref()).unwrap_or_else(|| self.name.clone()),
            path: pick(|e| e.path.as_ref()),
            span: decisive.span.clone(),
        })
    }
}
