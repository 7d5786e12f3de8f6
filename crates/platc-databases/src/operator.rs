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
        // Oracle: `spec.secretName` holds the root account (fixed key names); platc's user job
        // sets the service user's `password`.
        Engine::Mysql => vec!["rootUser", "rootHost", "rootPassword", PASSWORD_KEY],
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

/// Percona Backup for MongoDB: a logical backup (the agents in the replica set pods dump and
/// upload) on the IR's schedule to the stage's bucket, keeping as many backups as the schedule
/// makes in the retention (`runs_per_day` x days: a schedule that skips days keeps them
/// longer). Without a `backup-bucket` in the stage there is nowhere to write to: backups stay
/// explicitly off rather than pointing at an invented bucket.
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

/// The metrics sidecar of the servers (mysqld_exporter on 9104, `DataStoreIr::metrics_port`).
const MYSQLD_EXPORTER_IMAGE: &str = "prom/mysqld-exporter:v0.15.1";

/// The server image of the store's version (also the user job's: it has the `mysql` client).
fn mysql_server_image(version: &str) -> String {
    format!(
        "container-registry.oracle.com/mysql/community-server:{}",
        mysql_version(version)
    )
}

/// The satellite of `role` the IR decided for the store (its pods' labels).
fn satellite_labels(cx: &Cx<'_>, role: &str) -> platc_ir::Labels {
    cx.store
        .satellites
        .iter()
        .find(|s| s.role == role)
        .map(|s| s.labels.clone())
        .unwrap_or_default()
}

/// The objects of an operator-placed MySQL store that go through the overlay: the job that
/// creates the service's database and user (the operator creates neither). The InnoDBCluster
/// itself cannot (see [`innodb_cluster`]).
fn oracle(cx: &Cx<'_>) -> Vec<Yaml> {
    let mut out = vec![user_setup_job(cx).into()];
    if mysql_router_instances(cx.store) > 1 {
        // The operator guards its servers with a PodDisruptionBudget, not its routers: a
        // drain must not take both routers (every connection goes through one) at once.
        out.push(
            object(
                "policy/v1",
                "PodDisruptionBudget",
                cx.metadata(&format!("{}-router", cx.store.name), &cx.object_labels()),
            )
            .with(
                "spec",
                Mapping::new().with("maxUnavailable", 1).with(
                    "selector",
                    Mapping::new().with("matchLabels", label_map(&satellite_labels(cx, "router"))),
                ),
            )
            .into(),
        );
    }
    out
}

/// Routers of the cluster: two where the servers are replicated, so that losing one router
/// does not cut the service off a cluster that survives losing a server.
fn mysql_router_instances(store: &platc_ir::DataStoreIr) -> i64 {
    if store.replicas > 1 {
        2
    } else {
        1
    }
}

/// Where the MySQL user job reads the credentials Secret.
const CREDENTIALS_MOUNT: &str = "/credentials";

/// The user job's script. It waits for the router (the job is applied with the overlay, before
/// the cluster exists), writes a client option file with the root account, then creates the
/// database and the service's user, sets its password from the Secret (so a rotated password
/// takes effect on the next run) and grants it everything on its own database only. SQL string
/// literals escape `\` and `'`; the names are platc's identifiers (`[a-z0-9_]`).
const USER_SETUP_SCRIPT: &str = r#"set -eu
umask 077
sql_string() { sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g" "$1"; }
option_value() { sed -e 's/\\/\\\\/g' "$1"; }
cnf=/tmp/client.cnf
printf '[client]\nuser="%s"\npassword="%s"\nhost=%s\nport=%s\nssl-mode=REQUIRED\n' \
  "$(option_value /credentials/rootUser)" "$(option_value /credentials/rootPassword)" \
  "$MYSQL_HOST" "$MYSQL_PORT" >"$cnf"
until mysql --defaults-extra-file="$cnf" --execute 'SELECT 1' >/dev/null 2>&1; do
  echo "waiting for $MYSQL_HOST:$MYSQL_PORT"
  sleep 10
done
password=$(sql_string /credentials/password)
mysql --defaults-extra-file="$cnf" <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\`;
CREATE USER IF NOT EXISTS '$DB_USER'@'%' IDENTIFIED BY '$password' REQUIRE SSL;
ALTER USER '$DB_USER'@'%' IDENTIFIED BY '$password' REQUIRE SSL;
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'%';
SQL
echo "database $DB_NAME and user $DB_USER are in place"
"#;

fn user_setup_job(cx: &Cx<'_>) -> Mapping {
    let store = cx.store;
    let host = store.host.as_deref().unwrap_or(store.name.as_str());
    let env = |name: &str, value: &str| -> Yaml {
        Mapping::new()
            .with("name", name)
            .with("value", value)
            .into()
    };
    let item = |key: &str| -> Yaml { Mapping::new().with("key", key).with("path", key).into() };
    let container = Mapping::new()
        .with("name", "user-setup")
        .with("image", mysql_server_image(&store.version))
        .with("imagePullPolicy", "Always")
        .with(
            "command",
            Yaml::Seq(vec![
                "/bin/bash".into(),
                "-c".into(),
                USER_SETUP_SCRIPT.into(),
            ]),
        )
        .with(
            "env",
            Yaml::Seq(vec![
                env("MYSQL_HOST", host),
                env("MYSQL_PORT", &store.port.to_string()),
                env("DB_NAME", &store.database),
                env("DB_USER", &store.user),
            ]),
        )
        .with("resources", resources(SMALL))
        .with(
            "securityContext",
            Mapping::new()
                .with("allowPrivilegeEscalation", false)
                .with("privileged", false)
                .with("readOnlyRootFilesystem", true)
                .with("runAsNonRoot", true)
                .with("capabilities", Mapping::new().with("drop", strs(&["ALL"]))),
        )
        .with(
            "volumeMounts",
            Yaml::Seq(vec![
                Mapping::new()
                    .with("name", "credentials")
                    .with("mountPath", CREDENTIALS_MOUNT)
                    .with("readOnly", true)
                    .into(),
                Mapping::new()
                    .with("name", "tmp")
                    .with("mountPath", "/tmp")
                    .into(),
            ]),
        );
    let pod = Mapping::new()
        .with("restartPolicy", "Never")
        .with("automountServiceAccountToken", false)
        .with(
            "securityContext",
            Mapping::new()
                .with("runAsNonRoot", true)
                // The client needs no file of the image's users: a high uid of its own, and
                // the group that may read the credentials files.
                .with("runAsUser", 10001_i64)
                .with("runAsGroup", 10001_i64)
                .with("fsGroup", 10001_i64)
                .with(
                    "seccompProfile",
                    Mapping::new().with("type", "RuntimeDefault"),
                ),
        )
        .with("containers", Yaml::Seq(vec![container.into()]))
        .with(
            "volumes",
            Yaml::Seq(vec![
                Mapping::new()
                    .with("name", "credentials")
                    .with(
                        "secret",
                        Mapping::new()
                            .with("secretName", store.credentials_secret.as_str())
                            .with("defaultMode", 0o440_i64)
                            .with(
                                "items",
                                Yaml::Seq(vec![
                                    item("rootUser"),
                                    item("rootPassword"),
                                    item(PASSWORD_KEY),
                                ]),
                            ),
                    )
                    .into(),
                Mapping::new()
                    .with("name", "tmp")
                    .with("emptyDir", Mapping::new().with("medium", "Memory"))
                    .into(),
            ]),
        );
    let template = Mapping::new()
        .with(
            "metadata",
            Mapping::new().with("labels", label_map(&satellite_labels(cx, "user-setup"))),
        )
        .with("spec", pod);
    let mut meta = cx.metadata(&crate::user_setup_job(store), &cx.object_labels());
    meta.insert(
        "annotations",
        Mapping::new().with(
            "checkov.io/skip1",
            "CKV_K8S_43=the server image is pinned by its exact version tag, the InnoDBCluster's version",
        ),
    );
    object("batch/v1", "Job", meta).with(
        "spec",
        Mapping::new()
            .with("backoffLimit", 6)
            // The cluster's first start (servers, group, router) fits in half an hour.
            .with("activeDeadlineSeconds", 1800)
            // Removed after it ran: the next deploy runs it again (idempotent, and it applies
            // a rotated password), and a changed job never meets its immutable predecessor.
            .with("ttlSecondsAfterFinished", 600)
            .with("template", template),
    )
}

/// A `podSpec` the MySQL Operator merges into its pod template (dictionaries key by key,
/// containers by name): the runtime's seccomp profile for every container (the operator's
/// containers already run as non-root users without capabilities, so each but the servers'
/// root `fixdatadir` init container then meets `restricted`) and `container`'s resources.
fn mysql_pod_patch(container: &str, sizing: crate::Sizing) -> Mapping {
    Mapping::new()
        .with(
            "securityContext",
            Mapping::new().with(
                "seccompProfile",
                Mapping::new().with("type", "RuntimeDefault"),
            ),
        )
        .with(
            "containers",
            Yaml::Seq(vec![Mapping::new()
                .with("name", container)
                .with("resources", resources(sizing))
                .into()]),
        )
}

/// The InnoDBCluster of an operator-placed MySQL store. Its schema (CRD `mysql.oracle.com/v2`,
/// as the conformance tools' catalog records it) admits only `metadata.name` (at most 40
/// characters): no namespace and no labels, so it cannot go through the overlay's
/// kustomization (which sets both); it is applied with `kubectl apply --namespace`.
pub(crate) fn innodb_cluster(cx: &Cx<'_>) -> Mapping {
    let store = cx.store;
    let router_instances = mysql_router_instances(store);
    let mut spec = Mapping::new()
        // The root account (`rootUser`, `rootHost`, `rootPassword`), next to the service's
        // `password` in the credentials Secret External Secrets writes.
        .with("secretName", store.credentials_secret.as_str())
        // The servers and the router use certificates the operator generates; the service's
        // user requires TLS (`REQUIRE SSL`).
        .with("tlsUseSelfSigned", true)
        .with("version", mysql_version(&store.version))
        .with("imagePullPolicy", "Always")
        // Group Replication: three members tolerate one failure.
        .with("instances", i64::from(store.replicas.max(1)))
        .with(
            "router",
            Mapping::new()
                .with("instances", router_instances)
                .with("podSpec", mysql_pod_patch("router", SMALL)),
        )
        .with(
            "datadirVolumeClaimTemplate",
            Mapping::new()
                .with("accessModes", strs(&["ReadWriteOnce"]))
                .with("resources", storage_request(&store.storage)),
        )
        .with(
            "podSpec",
            mysql_pod_patch("mysql", engine_sizing(store.engine)),
        )
        .with(
            "metrics",
            Mapping::new()
                .with("enable", true)
                .with("image", MYSQLD_EXPORTER_IMAGE)
                // A ServiceMonitor the operator writes; kube-prometheus-stack selects every one.
                .with("monitor", true),
        );
    if let Some(storage) = &store.backup_storage {
        let config = storage.credentials_secret.as_str();
        let target = match storage.cloud {
            Cloud::Aws | Cloud::Gcp => {
                let mut s3 = Mapping::new()
                    .with("bucketName", storage.bucket.as_str())
                    .with("prefix", storage.prefix.as_str())
                    .with("config", config)
                    .with("profile", "default");
                if storage.cloud == Cloud::Gcp {
                    // Cloud Storage's S3 interface (HMAC keys).
                    s3.insert("endpoint", "https://storage.googleapis.com");
                }
                Mapping::new().with("s3", s3)
            }
            Cloud::Azure => Mapping::new().with(
                "azure",
                Mapping::new()
                    .with("containerName", storage.bucket.as_str())
                    .with("prefix", storage.prefix.as_str())
                    .with("config", config),
            ),
        };
        // MySQL Shell's dumpInstance of a member on the IR's schedule, uploaded to the stage's
        // bucket. The jobs' pods carry the labels of the IR's `backup` satellite. The
        // operator deletes no dump: retention is the bucket's lifecycle rule.
        spec.insert(
            "backupProfiles",
            Yaml::Seq(vec![Mapping::new()
                .with("name", "dump")
                .with("podLabels", label_map(&satellite_labels(cx, "backup")))
                .with("dumpInstance", Mapping::new().with("storage", target))
                .into()]),
        );
        spec.insert(
            "backupSchedules",
            Yaml::Seq(vec![Mapping::new()
                .with("name", "scheduled")
                .with("schedule", store.backup.schedule.as_str())
                .with("timeZone", "UTC")
                .with("backupProfileName", "dump")
                .with("enabled", true)
                .with("deleteBackupData", false)
                .into()]),
        );
    }
    object(
        "mysql.oracle.com/v2",
        "InnoDBCluster",
        Mapping::new().with("name", store.name.as_str()),
    )
    .with("spec", spec)
}
