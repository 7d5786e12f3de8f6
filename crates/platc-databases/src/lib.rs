//! IR → Kubernetes objects for the databases platc does not hand to a Helm chart:
//!
//! - `placement = "operator"`: one custom resource per store for the operator of its engine
//!   (Zalando postgres-operator, Percona Server for MongoDB operator, Spotahome redis-operator,
//!   Oracle MySQL Operator). The operators themselves are platform infrastructure, installed
//!   elsewhere.
//! - `placement = "statefulset"` (PostgreSQL only): platc's own hardened StatefulSet layout
//!   (ConfigMap, StatefulSet with an exporter sidecar, three Services, the backup PVC and two
//!   CronJobs).
//! - `placement = "in-cluster"` MySQL and Redis: a backup PVC and CronJob in
//!   `databases/<store>-backup.yaml` (the Bitnami charts of these two have no backup; see
//!   `backup`).
//!
//! Every other store's objects go to one multi-document file `databases/<store>.yaml` of the
//! app's overlay. Nothing here holds a password: credentials come from the Secret named by
//! `DataStoreIr::credentials_secret`, which External Secrets materialises from the cloud
//! secret manager. Pods carry exactly the labels of the IR's `StoreEndpoint::Pods`, so the
//! NetworkPolicies derived from the IR select them.
//!
//! **Invariant:** a pure function of the IR (no file system, clock or environment); the YAML
//! is typed (`platc-yaml`), never concatenated text.

mod backup;
pub mod images;
mod operator;
mod statefulset;

use platc_ir::{AppIr, AppStageIr, DataStoreIr, Ir, Labels, Placement, ServiceIr, StoreEndpoint};
use platc_yaml::{Mapping, Yaml};

/// Files (relative to the app's overlay directory `apps/<app>/overlays/<stage>/`) with the
/// objects for one store whose placement is Operator or StatefulSet, and the backup file
/// `databases/<store>-backup.yaml` of an in-cluster MySQL or Redis store (whose Bitnami charts
/// have no backup of their own); empty otherwise.
pub fn store_files(
    ir: &Ir,
    app: &AppIr,
    stage: &AppStageIr,
    svc: &ServiceIr,
    store: &DataStoreIr,
) -> Vec<(String, Vec<Yaml>)> {
    let cx = Cx {
        ir,
        app,
        stage,
        svc,
        store,
    };
    let objects = match store.placement {
        Placement::Operator => operator::objects(&cx),
        Placement::StatefulSet => statefulset::objects(&cx),
        Placement::InCluster => return backup::file(&cx).into_iter().collect(),
        _ => return Vec::new(),
    };
    if objects.is_empty() {
        return Vec::new();
    }
    vec![(file_name(store), objects)]
}

/// Folder (under `apps/<app>/`) of the objects applied with `kubectl apply --namespace` rather
/// than through a kustomization: `operator-clusters/<stage>/`.
pub const CLUSTER_DIR: &str = "operator-clusters";

/// Files, relative to `apps/<app>/`, of the store's objects that cannot go through the
/// overlay's kustomization (an operator-placed MySQL store's InnoDBCluster, whose schema admits
/// no namespace and no labels); empty for every other store.
pub fn cluster_files(
    ir: &Ir,
    app: &AppIr,
    stage: &AppStageIr,
    svc: &ServiceIr,
    store: &DataStoreIr,
) -> Vec<(String, Vec<Yaml>)> {
    if !applied_with_namespace(store) {
        return Vec::new();
    }
    let cx = Cx {
        ir,
        app,
        stage,
        svc,
        store,
    };
    vec![(
        format!("{CLUSTER_DIR}/{}/{}.yaml", stage.stage, store.name),
        vec![operator::innodb_cluster(&cx).into()],
    )]
}

/// Whether some of `store`'s objects are applied with `kubectl apply --namespace` (see
/// [`cluster_files`]).
pub fn applied_with_namespace(store: &DataStoreIr) -> bool {
    store.placement == Placement::Operator && store.engine == platc_ir::Engine::Mysql
}

/// `databases/<store>-backup.yaml`: the backup jobs of an in-cluster store whose chart lacks
/// them (see `backup`).
pub fn backup_file_name(store: &DataStoreIr) -> String {
    format!("databases/{}-backup.yaml", store.name)
}

/// The CronJob of an in-cluster PostgreSQL store's base backups.
pub fn base_backup_job(store: &DataStoreIr) -> String {
    format!("{}-basebackup", store.name)
}

/// The Job that creates an operator-placed MySQL store's database and user.
pub fn user_setup_job(store: &DataStoreIr) -> String {
    format!("{}-user-setup", store.name)
}

/// `databases/<store>.yaml`.
pub fn file_name(store: &DataStoreIr) -> String {
    format!("databases/{}.yaml", store.name)
}

/// Keys the credentials Secret must hold for `store` (whatever writes its ExternalSecret must
/// provide them). Empty where the operator generates the credentials itself.
pub fn credential_keys(store: &DataStoreIr) -> Vec<&'static str> {
    match (store.placement, store.engine) {
        (Placement::StatefulSet, _) => vec![statefulset::USERNAME_KEY, statefulset::PASSWORD_KEY],
        (Placement::Operator, e) => operator::credential_keys(e),
        _ => Vec::new(),
    }
}

/// Everything a builder needs.
pub(crate) struct Cx<'a> {
    #[allow(dead_code)]
    pub ir: &'a Ir,
    pub app: &'a AppIr,
    pub stage: &'a AppStageIr,
    pub svc: &'a ServiceIr,
    pub store: &'a DataStoreIr,
}

impl Cx<'_> {
    /// The labels the store's pods carry (the IR decided them; emitters only follow).
    pub fn pod_labels(&self) -> Labels {
        match &self.store.endpoint {
            StoreEndpoint::Pods { labels } => labels.clone(),
            StoreEndpoint::External { .. } => Labels::new(),
        }
    }

    /// Labels on the objects platc writes (not on the pods the operators create).
    pub fn object_labels(&self) -> Labels {
        let mut l = Labels::new();
        l.insert("app.kubernetes.io/managed-by".into(), "platc".into());
        l.insert("app.kubernetes.io/part-of".into(), self.app.name.clone());
        l.insert("platc.dev/service".into(), self.svc.name.clone());
        l
    }

    /// `metadata` with name, namespace and labels.
    pub fn metadata(&self, name: &str, labels: &Labels) -> Mapping {
        Mapping::new()
            .with("name", name)
            .with("namespace", self.stage.namespace.as_str())
            .with("labels", label_map(labels))
    }
}

pub(crate) fn label_map(l: &Labels) -> Mapping {
    l.iter().map(|(k, v)| (k, v.as_str())).collect()
}

/// `{ apiVersion, kind, metadata }`.
pub(crate) fn object(api_version: &str, kind: &str, metadata: Mapping) -> Mapping {
    Mapping::new()
        .with("apiVersion", api_version)
        .with("kind", kind)
        .with("metadata", metadata)
}

/// CPU and memory of one container, as Kubernetes quantities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sizing {
    pub cpu_request: &'static str,
    pub cpu_limit: &'static str,
    pub memory_request: &'static str,
    pub memory_limit: &'static str,
}

/// The IR carries no resources for stores yet: these are the sizes the Helm values use for
/// in-cluster stores too, so a store costs the same whichever placement runs it.
pub(crate) fn engine_sizing(engine: platc_ir::Engine) -> Sizing {
    match engine {
        platc_ir::Engine::Redis => Sizing {
            cpu_request: "100m",
            cpu_limit: "500m",
            memory_request: "128Mi",
            memory_limit: "256Mi",
        },
        _ => Sizing {
            cpu_request: "250m",
            cpu_limit: "1",
            memory_request: "512Mi",
            memory_limit: "1Gi",
        },
    }
}

/// Exporter sidecars and small helpers (sentinels, router, backup jobs).
pub(crate) const SMALL: Sizing = Sizing {
    cpu_request: "50m",
    cpu_limit: "200m",
    memory_request: "64Mi",
    memory_limit: "128Mi",
};

/// Backup jobs (compression needs some CPU and memory).
pub(crate) const BACKUP: Sizing = Sizing {
    cpu_request: "100m",
    cpu_limit: "500m",
    memory_request: "128Mi",
    memory_limit: "512Mi",
};

pub(crate) fn resources(s: Sizing) -> Mapping {
    Mapping::new()
        .with(
            "requests",
            Mapping::new()
                .with("cpu", s.cpu_request)
                .with("memory", s.memory_request),
        )
        .with(
            "limits",
            Mapping::new()
                .with("cpu", s.cpu_limit)
                .with("memory", s.memory_limit),
        )
}

/// `{ resources: { requests: { storage } } }` of a claim.
pub(crate) fn storage_request(size: &str) -> Mapping {
    Mapping::new().with("requests", Mapping::new().with("storage", size))
}

/// The major version (`16` of `16`, `8` of `8.4`).
pub(crate) fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

pub(crate) fn strs(items: &[&str]) -> Yaml {
    items.iter().map(|s| Yaml::from(*s)).collect()
}
