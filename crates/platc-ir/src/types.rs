//! IR types. Plain data, no spans: problems were reported before resolution.

use std::collections::BTreeMap;

pub use platc_model::{Cloud, Deploy, Engine, ManagedMongodb, Placement, Pooler, Protocol};

/// Labels (and selectors) as ordered key/value pairs.
pub type Labels = BTreeMap<String, String>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ir {
    pub platform: PlatformIr,
    pub core: CoreIr,
    /// Stages in name order.
    pub stages: Vec<StageIr>,
    /// Apps in name order.
    pub apps: Vec<AppIr>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformIr {
    pub name: String,
    pub domain: String,
    pub cloud: Cloud,
    pub region: String,
    pub registry: String,
    /// Target Kubernetes minor version, e.g. `1.31`.
    pub kubernetes: String,
    pub identity: IdentityIr,
    /// The service behind managed MongoDB (`managed-mongodb`, else the cloud's default).
    pub managed_mongodb: ManagedMongodb,
    /// Atlas's name of `region` when `managed_mongodb` is Atlas and platc knows it.
    pub atlas_region: Option<String>,
}

impl PlatformIr {
    /// The GCP project: `[platform.identity] gcp-project`, by default the platform name. The
    /// secret store reads from it and Terraform writes into it, so both take it from here.
    pub fn gcp_project(&self) -> &str {
        self.identity.gcp_project.as_deref().unwrap_or(&self.name)
    }
}

/// `[platform.identity]`: identifiers the cloud assigns (only those of `cloud` can be set).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdentityIr {
    pub aws_account_id: Option<String>,
    pub azure_tenant_id: Option<String>,
    pub azure_subscription_id: Option<String>,
    pub azure_secret_store_client_id: Option<String>,
    pub azure_external_dns_client_id: Option<String>,
    pub azure_dns_resource_group: Option<String>,
    pub gcp_project: Option<String>,
    /// MongoDB Atlas project id (any cloud, where Atlas serves managed MongoDB).
    pub atlas_project_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreIr {
    pub namespace: String,
    /// IngressClass every Ingress names.
    pub ingress_class: String,
    /// ClusterIssuer names for the two ACME endpoints.
    pub issuer_production: String,
    pub issuer_staging: String,
    pub acme_email: Option<String>,
    /// Whether the Kafka event bus (Strimzi) runs in core-services.
    pub event_bus: bool,
    /// Infrastructure pods other namespaces talk to, as NetworkPolicies select them.
    pub peers: CorePeers,
}

/// Where the shared infrastructure runs and how its pods are labelled (chart defaults).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorePeers {
    pub ingress: PodRef,
    pub prometheus: PodRef,
    pub dns: PodRef,
    /// Strimzi Kafka brokers (bootstrap and broker listeners share the port).
    pub kafka: PodRef,
    pub kafka_cluster: String,
    pub kafka_port: u16,
    /// Labels of the HTTP-01 solver pods cert-manager starts in a namespace with Ingresses,
    /// and the port the ingress controller forwards challenges to.
    pub acme_solver: Labels,
    pub acme_solver_port: u16,
}

/// A set of pods: a namespace and the labels that select them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PodRef {
    pub namespace: String,
    pub labels: Labels,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageIr {
    pub name: String,
    pub kind: StageKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StageKind {
    /// Runs in the cluster with a namespace per app.
    Deployed {
        deploy: Deploy,
        databases: Placement,
        caches: Placement,
        replicas: u32,
    },
    /// Runs outside the cluster and joins another stage's namespaces (like `ew`).
    Joins { stage: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppIr {
    pub name: String,
    pub team: String,
    /// Stage-independent shape of each service, in name order (the Kustomize base).
    pub services: Vec<ServiceIr>,
    /// One entry per deployed stage, in stage name order.
    pub stages: Vec<AppStageIr>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceIr {
    pub name: String,
    pub port: u16,
    pub protocol: Protocol,
    /// Repository without tag or digest.
    pub image: String,
    pub liveness: Probe,
    pub readiness: Probe,
    pub metrics: MetricsIr,
    /// Labels on every object of the service.
    pub labels: Labels,
    /// The subset used in selectors (never changes for the life of a Deployment).
    pub selector: Labels,
    /// Settings without any stage override, defaults applied.
    pub base: Settings,
    pub calls: Vec<ServiceRef>,
    pub publishes: Vec<String>,
    pub subscribes: Vec<String>,
    /// Environment variable names whose values come from the secret manager.
    pub secrets: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    Http { path: String, scheme_https: bool },
    Grpc,
    Tcp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsIr {
    pub port: u16,
    pub path: String,
}

/// What a stage may change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub replicas: u32,
    pub image: ImageRef,
    pub resources: ResourcesIr,
    pub env: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    /// `repo:tag`, `repo@digest` or `repo:tag@digest`.
    pub fn reference(&self) -> String {
        let mut s = self.repository.clone();
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }
}

/// Canonical quantity strings (`500m`, `512Mi`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourcesIr {
    pub cpu_request: String,
    pub cpu_limit: String,
    pub memory_request: String,
    pub memory_limit: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServiceRef {
    pub app: String,
    pub service: String,
}

/// One app in one deployed stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppStageIr {
    pub stage: String,
    pub namespace: String,
    pub deploy: Deploy,
    /// Workloads in service name order.
    pub workloads: Vec<WorkloadIr>,
    /// Ingresses of this app in this stage, one per public host, in host order.
    pub ingresses: Vec<IngressIr>,
    /// Address ranges of the stage's cloud-managed endpoints (databases, caches).
    pub managed_cidrs: Vec<String>,
}

/// One service in one stage: the effective settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadIr {
    pub service: String,
    /// Stage-scoped key in the cloud secret manager holding the values of the service's
    /// `secrets` (one property per name).
    pub secrets_path: String,
    pub settings: Settings,
    pub database: Option<DataStoreIr>,
    pub cache: Option<DataStoreIr>,
    /// The service's access to the event bus in this stage, when it publishes or subscribes.
    pub events: Option<EventClientIr>,
    /// Whether this stage's settings differ from the base (the overlay patches only then).
    pub overridden: Overrides,
}

/// One service's access to the event bus in one stage. Topics, users and consumer groups are
/// per stage, so a test workload can neither read nor write a prod topic: the broker's ACLs
/// (Strimzi simple authorization) enforce it, not just naming.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventClientIr {
    /// KafkaUser in the core namespace and SASL SCRAM-SHA-512 user name:
    /// `<stage>.<app>.<service>` (names are DNS labels, so the dots keep them apart).
    pub user: String,
    /// The one consumer group the user may use (its own name), when it subscribes.
    pub group: Option<String>,
    /// Secret in the app's namespace with `password` (the user's) and `ca.crt` (the cluster
    /// CA the brokers' certificates chain to): `<service>-event-bus`.
    pub credentials_secret: String,
    /// ClusterSecretStore that reads the stage's users' Secrets (made by Strimzi's User
    /// Operator) and the cluster CA from the core namespace, usable only from the stage's
    /// namespaces: `event-bus-<stage>`.
    pub secret_store: String,
    /// Bootstrap address, `host:port`.
    pub bootstrap: String,
    /// Secret in the core namespace holding the cluster CA certificate.
    pub ca_secret: String,
    pub publishes: Vec<TopicIr>,
    pub subscribes: Vec<TopicIr>,
}

/// An event and the Kafka topic that carries it in one stage: `<stage>.<event>`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TopicIr {
    pub event: String,
    pub topic: String,
}

/// The name of a service's port (and the Service's `targetPort`): the Deployment, the Service
/// and the ServiceMonitor must agree on it.
pub fn port_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Http => "http",
        Protocol::Https => "https",
        Protocol::Grpc => "grpc",
        Protocol::Tcp => "tcp",
    }
}

/// The topic of `event` in `stage`.
pub fn event_topic(stage: &str, event: &str) -> String {
    format!("{stage}.{event}")
}

/// The ClusterSecretStore that hands a stage's event-bus clients their credentials.
pub fn event_bus_secret_store(stage: &str) -> String {
    format!("event-bus-{stage}")
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    pub resources: bool,
    pub env: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngressIr {
    /// Object name (the host label).
    pub name: String,
    pub host: String,
    pub tls_secret: String,
    /// Set on the one Ingress per host that asks cert-manager for the certificate; other
    /// Ingresses of the same host (other backend protocols) reuse the secret.
    pub cluster_issuer: Option<String>,
    /// ingress-nginx speaks one protocol to all backends of an Ingress.
    pub backend_protocol: Protocol,
    /// Paths in path order.
    pub routes: Vec<RouteIr>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteIr {
    pub path: String,
    pub service: String,
    pub port: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataStoreIr {
    /// Base name of every object of this store: `<service>-<engine>` (e.g. `orders-postgresql`).
    pub name: String,
    /// Kubernetes Secret (materialised by External Secrets) holding the service's credentials.
    pub credentials_secret: String,
    /// Stage-scoped key of the credentials in the cloud secret manager; always contains the
    /// platform, stage, app and service, in the cloud's allowed alphabet (AWS: `/`-separated,
    /// Azure/GCP: `-`-separated).
    pub secret_path: String,
    /// The port the service connects to.
    pub port: u16,
    /// Further ports of in-cluster store pods that clients and the pods themselves use (Redis
    /// Sentinel's 26379 for the Spotahome operator).
    pub extra_ports: Vec<u16>,
    /// Pods the operator starts for the store besides its own (backup jobs, connection
    /// poolers), in role order; empty for stores outside the cluster.
    pub satellites: Vec<Satellite>,
    /// PgBouncer in front of the store (Zalando's connection pooler, operator-placed
    /// PostgreSQL only): the service connects to it (`host` is its Service) instead of to the
    /// store.
    pub pooler: Option<Pooler>,
    /// The operator that runs the store (operator placement): it reaches the store's pods from
    /// the core namespace, and the pods may need the Kubernetes API.
    pub operator: Option<OperatorAccess>,
    /// Where the store's own pods upload backups (HTTPS, outside the cluster): Percona's
    /// backup agent when the stage names a `backup-bucket`.
    pub backup_storage: Option<BackupStorageIr>,
    /// How the service reaches the store: pods in its namespace, or an endpoint outside the
    /// cluster.
    pub endpoint: StoreEndpoint,
    /// Port of the metrics exporter next to in-cluster stores (scraped by Prometheus).
    pub metrics_port: Option<u16>,
    /// The Kubernetes Service the app connects to, for stores in its namespace; `None` for
    /// managed stores, whose host is in the credentials Secret (key `host`).
    pub host: Option<String>,
    /// Key of the credentials Secret that holds the service user's password; `None` where
    /// the service authenticates otherwise (ElastiCache with IAM).
    pub password_key: Option<String>,
    /// Whether connections must use TLS.
    pub tls: bool,
    /// Whether `credentials_secret` is materialised from the cloud secret manager (External
    /// Secrets); `false` where the operator generates it (Zalando's PostgreSQL operator).
    pub credentials_from_secret_manager: bool,
    pub engine: Engine,
    pub version: String,
    pub placement: Placement,
    /// Canonical storage quantity, e.g. `10Gi`.
    pub storage: String,
    pub replicas: u32,
    pub instance: Option<String>,
    /// Logical database name (and user name) owned by the service.
    pub database: String,
    /// The service's login: `<service>_user`; on MongoDB Atlas `<stage>_<app>_<service>_user`
    /// (Atlas users belong to the project, which every stage and app shares).
    pub user: String,
    /// Whether the Secret's `host` is a DNS SRV name (`mongodb+srv://<host>/`, MongoDB Atlas)
    /// rather than a host to connect to on `port`.
    pub srv: bool,
    pub backup: BackupIr,
}

/// Helm release names of the database operators in the core namespace (their pods carry
/// `app.kubernetes.io/instance: <release>`).
pub const ZALANDO_OPERATOR: &str = "postgres-operator";
pub const PERCONA_OPERATOR: &str = "psmdb-operator";
pub const SPOTAHOME_OPERATOR: &str = "redis-operator";
/// The MySQL Operator's release runs in a namespace of its own (see [`mysql_operator_namespace`]):
/// its chart offers no security context values, so its pod cannot meet `restricted`.
pub const MYSQL_OPERATOR: &str = "mysql-operator";

/// MySQL Router's read-write classic port: the InnoDBCluster's Service maps 3306 to it.
pub const MYSQL_ROUTER_PORT: u16 = 6446;

/// The namespace of the MySQL Operator: `<core namespace>-mysql-operator`, enforcing Pod
/// Security `baseline` (its pod has no seccomp profile and the chart no setting for one).
pub fn mysql_operator_namespace(core_namespace: &str) -> String {
    core_sub_namespace(core_namespace, "-mysql-operator")
}

/// `<core namespace><suffix>`, the core part shortened (and stripped of trailing `-`) so that
/// the name stays a DNS label of at most 63 characters.
pub fn core_sub_namespace(core_namespace: &str, suffix: &str) -> String {
    let keep = core_namespace
        .len()
        .min(63_usize.saturating_sub(suffix.len()));
    let head = core_namespace
        .get(..keep)
        .unwrap_or(core_namespace)
        .trim_end_matches('-');
    format!("{head}{suffix}")
}

/// What the NetworkPolicies of an operator-placed store must allow for its operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorAccess {
    /// The operator's Helm release (one of [`ZALANDO_OPERATOR`], [`PERCONA_OPERATOR`],
    /// [`SPOTAHOME_OPERATOR`], [`MYSQL_OPERATOR`]); also how `platc explain` names it.
    pub release: &'static str,
    /// The operator's pods (core namespace, `app.kubernetes.io/instance: <release>`; the MySQL
    /// Operator: its own namespace, `name: mysql-operator`).
    pub pods: PodRef,
    /// Ports of the store's pods the operator connects to (Zalando: SQL 5432 to create users
    /// and databases, Patroni's REST API 8008; Percona: mongod 27017; Spotahome: Redis 6379
    /// and Sentinel 26379; MySQL Operator: MySQL Shell on 3306 and the X protocol on 33060).
    pub ports: Vec<u16>,
    /// Ports the store's pods use among themselves besides the store's (Patroni's REST API
    /// during leader races; MySQL's X protocol and Group Replication, 33060 and 33061).
    pub peer_ports: Vec<u16>,
    /// The store's pods call the Kubernetes API: Patroni keeps the cluster state there, the
    /// MySQL Operator's sidecars report their server's state there.
    pub api_server: bool,
    /// Why the operator's own pod cannot meet `restricted` (its chart offers no setting that
    /// would make it): it then runs in a namespace of its own (`pods.namespace`) that enforces
    /// `baseline`. `None` for the operators in the core namespace.
    pub own_namespace_baseline: Option<&'static str>,
    /// Why the namespace can enforce Pod Security `baseline` at most, where the operator's pods
    /// cannot meet `restricted` and it offers no setting that would make them (Zalando's Spilo
    /// has no seccomp profile and keeps its capabilities; the MySQL Operator's `fixdatadir`
    /// init container runs as root); `None` where they meet `restricted`.
    pub baseline_pods: Option<&'static str>,
}

/// Pods an operator starts next to a store (or platc runs for it) that NetworkPolicies must
/// admit, as the operator labels them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Satellite {
    /// What they are (`logical-backup`, `pooler`, `router`): part of policy names and of the
    /// names `platc explain` knows them by (`<app>.<service>.database.<role>`).
    pub role: String,
    pub labels: Labels,
    /// Ports of the store's pods they connect to (empty: none).
    pub to_store: Vec<u16>,
    /// The port of their pods the owning service connects to instead of the store (a
    /// connection pooler, MySQL Router); `None` where the service does not.
    pub serves_service: Option<u16>,
    /// Roles of satellites of the same store they connect to, on those satellites'
    /// `serves_service` port (a job that reaches the primary through the router).
    pub to_satellites: Vec<String>,
    /// They upload to object storage outside the cluster (HTTPS).
    pub upload: bool,
    /// They call the Kubernetes API (the MySQL Operator's backup jobs read the cluster and
    /// record each backup as an object).
    pub api_server: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreEndpoint {
    /// Pods in the app's stage namespace carrying these labels (and the port).
    Pods { labels: Labels },
    /// A cloud-managed endpoint; `cidrs` empty means "any address, on the port only".
    External { cidrs: Vec<String> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupIr {
    pub schedule: String,
    pub retention_days: u32,
    /// Runs of `schedule` on a day it fires (an upper bound of the runs per day; see
    /// `platc_values::cron::Cron::runs_per_day`).
    pub runs_per_day: u32,
}

/// An object-storage bucket of the platform's cloud for a store's backups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupStorageIr {
    pub cloud: Cloud,
    /// S3 or Cloud Storage bucket, or Azure Blob container (the stage's `backup-bucket`).
    pub bucket: String,
    /// The platform's region (S3 and the Cloud Storage S3 interface need one).
    pub region: String,
    /// Path of this store's backups in the bucket: `<app>/<store>`.
    pub prefix: String,
    /// Kubernetes Secret (External Secrets) with the storage credentials.
    pub credentials_secret: String,
    /// Stage-scoped key of those credentials in the cloud secret manager (one per stage).
    pub secret_path: String,
    /// Who uploads, and so what shape the credentials Secret takes.
    pub uploader: BackupUploader,
}

/// Who uploads a store's backups to its bucket; each reads the storage credentials its own way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackupUploader {
    /// The store's own pods (Percona's backup agent runs next to mongod): the Secret holds the
    /// keys of [`BackupStorageIr::credential_keys`] as they are.
    StorePods,
    /// Zalando's logical-backup jobs (a satellite): the namespace's environment Secret
    /// [`ZALANDO_BACKUP_ENV_SECRET`] with bucket, region and credentials.
    ZalandoJobs,
    /// The MySQL Operator's dump jobs (a satellite): MySQL Shell reads AWS CLI (`credentials`,
    /// `config`) or Azure CLI (`config`) configuration files from the Secret.
    MysqlShellJobs,
}

/// The Secret, in each namespace with Zalando clusters and a `backup-bucket`, whose keys
/// Zalando's operator adds to its logical-backup jobs' environment
/// (`logical_backup_cronjob_environment_secret`): bucket, region and credentials per stage,
/// overriding the operator-wide defaults.
pub const ZALANDO_BACKUP_ENV_SECRET: &str = "postgres-logical-backup";

impl BackupStorageIr {
    /// Keys the secret manager entry (and so the Secret) must hold, named as the backup agent
    /// reads them. Cloud Storage is used through its S3 interface with HMAC keys.
    pub fn credential_keys(&self) -> [&'static str; 2] {
        match self.cloud {
            Cloud::Aws | Cloud::Gcp => ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
            Cloud::Azure => ["AZURE_STORAGE_ACCOUNT_NAME", "AZURE_STORAGE_ACCOUNT_KEY"],
        }
    }
}

impl BackupIr {
    /// Days an in-cluster MySQL primary keeps its binary logs (`binlog_expire_logs_seconds`):
    /// at most a week, and never longer than the copies are kept, so that the server never
    /// lists a log whose copy the retention already deleted (it would be fetched again).
    pub fn binlog_server_days(&self) -> u32 {
        self.retention_days.clamp(1, 7)
    }
}

/// The replication role of the in-cluster (Bitnami) PostgreSQL chart (its `auth.replicationUsername`
/// default): the Helm values create it, the base backup job connects as it.
pub const IN_CLUSTER_REPLICATION_USER: &str = "repl_user";

impl DataStoreIr {
    /// Whether the stage's Terraform handles the store: it provisions a managed store, and
    /// writes the secret-manager entry of any other store whose credentials External Secrets
    /// reads from there. A stage has a Terraform directory exactly when one of its stores is.
    pub fn in_terraform(&self) -> bool {
        self.placement == Placement::Managed || self.credentials_from_secret_manager
    }

    /// The claim holding the WAL archive and the base backups of an in-cluster PostgreSQL store:
    /// written by platc-databases, mounted into the primary by the Helm values.
    pub fn archive_claim(&self) -> String {
        format!("{}-archive", self.name)
    }
}
