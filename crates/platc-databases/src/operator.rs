//! `placement = "operator"`: one custom resource per store. The operators (installed cluster-wide
//! as platform infrastructure) create the pods; the labels they put on them are the ones the IR
//! records in `StoreEndpoint::Pods` (see `platc_ir::resolve`).

use platc_ir::{Cloud, Engine};
use platc_yaml::{Mapping, Yaml};

use crate::{engine_sizing, label_map, major, object, resources, storage_request, strs, Cx, SMALL};

pub(crate) fn objects(cx: &Cx<'_>) -> Vec<Yaml> {
    match cx.store.engine {
        Engine::Postgresql => vec![zalando(cx).into()],
        Engine::Mongodb => vec![percona(cx).into()],
        Engine::Redis => vec![spotahome(cx).into()],
        Engine::Mysql => oracle(cx),
    }
}

/// Keys of the credentials Secret each operator reads.
pub(crate) fn credential_keys(engine: Engine) -> Vec<&'static str> {
    match engine {
        // Zalando generates `<user>.<cluster>.credentials.postgresql.acid.zalan.do` itself.
        Engine::Postgresql => Vec::new(),
        // Percona: `spec.users[].passwordSecretRef.key`.
        Engine::Mongodb => vec![PASSWORD_KEY],
        // Spotahome: `auth.secretPath` must hold the key `password`.
        Engine::Redis => vec![PASSWORD_KEY],
        // Oracle: `spec.secretName` holds the root account (fixed key names).
        Engine::Mysql => vec!["rootUser", "rootHost", "rootPassword"],
    }
}

const PASSWORD_KEY: &str = "password";

// --- PostgreSQL: Zalando postgres-operator -----------------------------------------------------

fn zalando(cx: &Cx<'_>) -> Mapping {
    let store = cx.store;
    let mut parameters = Mapping::new();
    // Spilo turns `ssl` on with its own certificate; platc only forbids md5 password hashes.
    parameters.insert("password_encryption", "scram-sha-256");
    let mut spec = Mapping::new()
        // The operator refuses a cluster whose name does not start with `<teamId>-`. The team of
        // a cluster is only used for that prefix (and for the optional Teams API, which platc
        // does not use), so the service name is the team: the cluster is then called
        // `<service>-postgresql`, exactly the store name the IR (and the NetworkPolicies'
        // `cluster-name` label) already use.
        .with("teamId", cx.svc.name.as_str())
        .with(
            "volume",
            Mapping::new().with("size", store.storage.as_str()),
        )
        .with("numberOfInstances", i64::from(store.replicas))
        // No flags: a LOGIN role without superuser, createdb or createrole. The operator writes
        // its password to the Secret `<user>.<cluster>.credentials.postgresql.acid.zalan.do`.
        .with(
            "users",
            Mapping::new().with(&store.user, Yaml::Seq(Vec::new())),
        )
        .with(
            "databases",
            Mapping::new().with(&store.database, store.user.as_str()),
        )
        .with(
            "postgresql",
            Mapping::new()
                .with("version", major(&store.version))
                .with("parameters", parameters),
        );
    if store.replicas > 1 {
        // A commit returns only once a replica has it: failover loses no acknowledged write.
        spec.insert("patroni", Mapping::new().with("synchronous_mode", true));
    }
    spec.insert("resources", resources(engine_sizing(store.engine)));
    // Spilo as a non-root user (the image's `postgres`, 101:103) with its volume writable by
    // that group; without these the operator runs it as root.
    spec.insert("spiloRunAsUser", 101_i64);
    spec.insert("spiloRunAsGroup", 103_i64);
    spec.insert("spiloFSGroup", 103_i64);
    if let Some(mode) = store.pooler {
        // PgBouncer in front of the primary (Service `<cluster>-pooler`, where the IR points the
        // service), two instances so that one can be rescheduled without an outage.
        spec.insert("enableConnectionPooler", true);
        spec.insert(
            "connectionPooler",
            Mapping::new()
                .with("numberOfInstances", 2)
                .with("mode", mode.as_str())
                .with("resources", resources(SMALL)),
        );
    }
    // pg_dumpall to the stage's `backup-bucket`, on the IR's schedule; older dumps are deleted
    // after a new one was uploaded. The operator's provider is set in core-services; bucket,
    // region and credentials come from the namespace's Secret `postgres-logical-backup`
    // (`logical_backup_cronjob_environment_secret`, written by External Secrets). The job's
    // pods (`application: spilo-logical-backup`) are an IR satellite: platc-netpol admits them
    // to this cluster's pods on 5432 and to HTTPS for the upload. Without a bucket there is
    // nowhere to upload to, and the job is off.
    if store.backup_storage.is_some() {
        spec.insert("enableLogicalBackup", true);
        spec.insert("logicalBackupSchedule", store.backup.schedule.as_str());
        spec.insert(
            "logicalBackupRetention",
            format!("{} days", store.backup.retention_days),
        );
    }
    object(
        "acid.zalan.do/v1",
        "postgresql",
        cx.metadata(&store.name, &cx.object_labels()),
    )
    .with("spec", spec)
}

// --- MongoDB: Percona Server for MongoDB operator -----------------------------------------------

/// The custom resource version the CRD schema (`tests/data/crds/psmdb.percona.com/`) describes.
const PSMDB_CR_VERSION: &str = "1.21.0";

/// Percona Server for MongoDB images per major version (tags of operator release 1.20.0, which
/// 1.21.0 still supports).
fn psmdb_image(version: &str) -> &'static str {
    match version {
        "6.0" => "percona/percona-server-mongodb:6.0.21-18",
        "8.0" => "percona/percona-server-mongodb:8.0.8-3",
        _ => "percona/percona-server-mongodb:7.0.18-11",
    }
}

const PBM_IMAGE: &str = "percona/percona-backup-mongodb:2.9.1";

fn percona(cx: &Cx<'_>) -> Mapping {
    let store = cx.store;
    let size = store.replicas.max(1);
    let mut spec = Mapping::new()
        .with("crVersion", PSMDB_CR_VERSION)
        .with("image", psmdb_image(&store.version))
        .with("imagePullPolicy", "Always")
        // The image stays the one written here (no version-service lookups, no automatic
        // upgrades): the output is a function of platform.toml.
        .with("upgradeOptions", Mapping::new().with("apply", "disabled"));
    if size < 3 || size % 2 == 0 {
        // The operator refuses replica sets of fewer than three (or an even number of) members
        // unless told that the stage accepts losing availability (and with one member, data
        // on a node failure): that is what `replicas` below 3 in platform.toml says.
        spec.insert("unsafeFlags", Mapping::new().with("replsetSize", true));
    }
    spec.insert(
        "secrets",
        // The operator's system users (backup, cluster admin, monitor, ...): it generates this
        // Secret. The service's own credentials are a separate Secret (`users` below), so the
        // operator never writes into the Secret External Secrets owns.
        Mapping::new().with("users", format!("{}-system-users", store.name)),
    );
    // The `restricted` Pod Security profile of the namespace: every container of the pods
    // (mongod, the backup agent, the init container that copies the operator's tools) runs
    // non-root, without privilege escalation or capabilities, with the runtime's seccomp
    // profile. 1001 is the user of Percona's images.
    let pod_security = Mapping::new()
        .with("runAsNonRoot", true)
        .with("runAsUser", 1001_i64)
        .with("runAsGroup", 1001_i64)
        .with("fsGroup", 1001_i64)
        .with(
            "seccompProfile",
            Mapping::new().with("type", "RuntimeDefault"),
        );
    let container_security = percona_container_security;
    spec.insert("initContainerSecurityContext", container_security());
    let replset = Mapping::new()
        .with("name", "rs0")
        .with("size", i64::from(size))
        .with("podSecurityContext", pod_security)
        .with("containerSecurityContext", container_security())
        .with(
            "affinity",
            Mapping::new().with("antiAffinityTopologyKey", "kubernetes.io/hostname"),
        )
        .with("resources", resources(engine_sizing(store.engine)))
        .with(
            "volumeSpec",
            Mapping::new().with(
                "persistentVolumeClaim",
                Mapping::new()
                    .with("accessModes", strs(&["ReadWriteOnce"]))
                    .with("resources", storage_request(&store.storage)),
            ),
        );
    spec.insert("replsets", Yaml::Seq(vec![replset.into()]));
    spec.insert("backup", percona_backup(cx));
    spec.insert(
        "users",
        Yaml::Seq(vec![Mapping::new()
            .with("name", store.user.as_str())
            .with("db", store.database.as_str())
            .with(
                "passwordSecretRef",
                Mapping::new()
                    .with("name", store.credentials_secret.as_str())
                    .with("key", PASSWORD_KEY),
            )
            .with(
                "roles",
                Yaml::Seq(vec![Mapping::new()
                    .with("name", "readWrite")
                    .with("db", store.database.as_str())
                    .into()]),
            )
            .into()]),
    );
    object(
        "psmdb.percona.com/v1",
        "PerconaServerMongoDB",
        cx.metadata(&store.name, &cx.object_labels()),
    )
    .with("spec", spec)
}

/// Name of the one storage of `backup.storages`.
const PBM_STORAGE: &str = "object-storage";

/// Percona Backup for MongoDB: a logical backup (the agents in the replica set pods dump and
/// upload) on the IR's schedule to the stage's bucket, keeping as many backups as the schedule
/// makes in the retention (`runs_per_day` x days: a schedule that skips days keeps them
/// longer). Without a `backup-bucket` in the stage there is nowhere to write to: backups stay
/// explicitly off rather than pointing at an invented bucket.
/// A container securityContext the `restricted` Pod Security profile admits (Percona's images
/// need a writable root file system, so it is not read-only).
fn percona_container_security() -> Mapping {
    Mapping::new()
        .with("allowPrivilegeEscalation", false)
        .with("privileged", false)
        .with("runAsNonRoot", true)
        .with("capabilities", Mapping::new().with("drop", strs(&["ALL"])))
        .with(
            "seccompProfile",
            Mapping::new().with("type", "RuntimeDefault"),
        )
}

fn percona_backup(cx: &Cx<'_>) -> Mapping {
    let store = cx.store;
    let Some(storage) = &store.backup_storage else {
        return Mapping::new()
            .with("enabled", false)
            .with("image", PBM_IMAGE);
    };
    let secret = storage.credentials_secret.as_str();
    let entry = match storage.cloud {
        Cloud::Aws | Cloud::Gcp => {
            let mut s3 = Mapping::new()
                .with("bucket", storage.bucket.as_str())
                .with("region", storage.region.as_str())
                .with("prefix", storage.prefix.as_str())
                .with("credentialsSecret", secret);
            if storage.cloud == Cloud::Gcp {
                // Cloud Storage's S3 interface (HMAC keys).
                s3.insert("endpointUrl", "https://storage.googleapis.com");
            }
            Mapping::new().with("type", "s3").with("s3", s3)
        }
        Cloud::Azure => Mapping::new().with("type", "azure").with(
            "azure",
            Mapping::new()
                .with("container", storage.bucket.as_str())
                .with("prefix", storage.prefix.as_str())
                .with("credentialsSecret", secret),
        ),
    };
    let keep =
        u64::from(store.backup.runs_per_day.max(1)) * u64::from(store.backup.retention_days.max(1));
    let task = Mapping::new()
        .with("name", "scheduled")
        .with("enabled", true)
        .with("schedule", store.backup.schedule.as_str())
        .with("storageName", PBM_STORAGE)
        .with("type", "logical")
        .with("compressionType", "gzip")
        .with(
            "retention",
            Mapping::new()
                .with("type", "count")
                .with("count", i64::try_from(keep).unwrap_or(i64::MAX))
                .with("deleteFromStorage", true),
        );
    Mapping::new()
        .with("enabled", true)
        .with("image", PBM_IMAGE)
        .with("containerSecurityContext", percona_container_security())
        .with("storages", Mapping::new().with(PBM_STORAGE, entry))
        .with("tasks", Yaml::Seq(vec![task.into()]))
}

// --- Redis: Spotahome redis-operator ------------------------------------------------------------

fn redis_image(version: &str) -> &'static str {
    match version {
        "7.0" => "redis:7.0.15-alpine",
        "7.4" => "redis:7.4.1-alpine",
        _ => "redis:7.2.5-alpine",
    }
}

const REDIS_EXPORTER_IMAGE: &str = "oliver006/redis_exporter:v1.62.0";

fn hardened_container() -> Mapping {
    Mapping::new()
        .with("allowPrivilegeEscalation", false)
        .with("privileged", false)
        .with("readOnlyRootFilesystem", true)
        .with("runAsNonRoot", true)
        .with("capabilities", Mapping::new().with("drop", strs(&["ALL"])))
        .with(
            "seccompProfile",
            Mapping::new().with("type", "RuntimeDefault"),
        )
}

fn spotahome(cx: &Cx<'_>) -> Mapping {
    let store = cx.store;
    let image = redis_image(&store.version);
    let redis = Mapping::new()
        .with("image", image)
        .with("imagePullPolicy", "Always")
        .with("replicas", i64::from(store.replicas.max(1)))
        .with("resources", resources(engine_sizing(store.engine)))
        .with("containerSecurityContext", hardened_container())
        .with(
            "exporter",
            Mapping::new()
                .with("enabled", true)
                .with("image", REDIS_EXPORTER_IMAGE)
                .with("imagePullPolicy", "Always")
                .with("containerSecurityContext", hardened_container()),
        )
        .with(
            "storage",
            Mapping::new()
                // The claims survive deleting the RedisFailover (no data loss by a rename).
                .with("keepAfterDeletion", true)
                .with(
                    "persistentVolumeClaim",
                    Mapping::new()
                        .with(
                            "metadata",
                            Mapping::new().with("name", format!("{}-data", store.name)),
                        )
                        .with(
                            "spec",
                            Mapping::new()
                                .with("accessModes", strs(&["ReadWriteOnce"]))
                                .with("resources", storage_request(&store.storage)),
                        ),
                ),
        );
    let sentinel = Mapping::new()
        .with("image", image)
        .with("imagePullPolicy", "Always")
        // A quorum of two that survives losing one sentinel.
        .with("replicas", 3)
        .with("resources", resources(SMALL))
        .with("containerSecurityContext", hardened_container());
    let spec = Mapping::new()
        .with("sentinel", sentinel)
        .with("redis", redis)
        .with(
            "auth",
            Mapping::new().with("secretPath", store.credentials_secret.as_str()),
        );
    object(
        "databases.spotahome.com/v1",
        "RedisFailover",
        cx.metadata(&store.name, &cx.object_labels()),
    )
    .with("spec", spec)
}

// --- MySQL: Oracle MySQL Operator ---------------------------------------------------------------

/// Server versions per IR version: the newest patch releases platc was validated with.
fn mysql_version(version: &str) -> &'static str {
    match version {
        "8.0" => "8.0.40",
        _ => "8.4.3",
    }
}

fn oracle(cx: &Cx<'_>) -> Vec<Yaml> {
    let store = cx.store;
    let backup_claim = format!("{}-backup", store.name);
    let pod_labels = label_map(&cx.pod_labels());
    let spec = Mapping::new()
        .with("secretName", store.credentials_secret.as_str())
        .with("tlsUseSelfSigned", true)
        .with("version", mysql_version(&store.version))
        .with("imagePullPolicy", "Always")
        // Group Replication needs at least one member; three tolerate one failure.
        .with("instances", i64::from(store.replicas.max(1)))
        .with("router", Mapping::new().with("instances", 1))
        .with(
            "datadirVolumeClaimTemplate",
            Mapping::new()
                .with("accessModes", strs(&["ReadWriteOnce"]))
                .with("resources", storage_request(&store.storage)),
        )
        .with(
            "podSpec",
            Mapping::new().with(
                "containers",
                Yaml::Seq(vec![Mapping::new()
                    .with("name", "mysql")
                    .with("resources", resources(engine_sizing(store.engine)))
                    .into()]),
            ),
        )
        .with(
            "backupProfiles",
            Yaml::Seq(vec![Mapping::new()
                .with("name", "dump")
                // The dump job carries the cluster's pod labels, so the store's own
                // NetworkPolicy lets it reach the instances.
                .with("podLabels", pod_labels)
                .with(
                    "dumpInstance",
                    Mapping::new().with(
                        "storage",
                        Mapping::new().with(
                            "persistentVolumeClaim",
                            Mapping::new().with("claimName", backup_claim.as_str()),
                        ),
                    ),
                )
                .into()]),
        )
        .with(
            "backupSchedules",
            Yaml::Seq(vec![Mapping::new()
                .with("name", "scheduled")
                .with("schedule", store.backup.schedule.as_str())
                .with("backupProfileName", "dump")
                .with("enabled", true)
                .with("deleteBackupData", false)
                .into()]),
        );
    // The InnoDBCluster schema (CRD `mysql.oracle.com/v2`, as the catalog records it) allows
    // only `metadata.name` (at most 40 characters): no labels, and the namespace comes from the
    // overlay's kustomization.
    let cluster = object(
        "mysql.oracle.com/v2",
        "InnoDBCluster",
        Mapping::new().with("name", store.name.as_str()),
    )
    .with("spec", spec);
    // The dumps' volume. The operator has no retention for dumps: `backup.retention` is not
    // applied for this placement yet.
    let claim = object(
        "v1",
        "PersistentVolumeClaim",
        cx.metadata(&backup_claim, &cx.object_labels()),
    )
    .with(
        "spec",
        Mapping::new()
            .with("accessModes", strs(&["ReadWriteOnce"]))
            .with("resources", storage_request(&store.storage)),
    );
    vec![cluster.into(), claim.into()]
}
