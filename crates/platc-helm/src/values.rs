//! The values of one release, per chart. Every key used here exists in the pinned chart's
//! `values.yaml` (the crate's tests compare each emitted key path with that key tree and validate
//! against the chart's `values.schema.json`).
//!
//! What each file sets, for every engine:
//! - the engine image of the requested version and the exporter image, from `bitnamilegacy`, and
//!   `global.security.allowInsecureImages` (see [`crate::charts`]);
//! - credentials only by reference: `auth.existingSecret` = the store's credentials Secret, with
//!   the key names set explicitly where the chart has a setting for them; the service's own user
//!   and database (postgresql, mysql: `auth.username`/`auth.database`; mongodb: one-element
//!   `auth.usernames`/`auth.databases`; redis has the password only);
//! - `standalone`, or `replication`/`replicaset` with the replica counts when `replicas > 1`;
//! - volume size, explicit resources for every container platc enables (never a preset);
//! - the exporter and a ServiceMonitor labelled for kube-prometheus-stack;
//! - the chart's own NetworkPolicies off: platc-netpol owns every policy of the namespace;
//! - the chart's backup CronJob where it has one (postgresql `pg_dumpall`, mongodb `mongodump`),
//!   on the store's schedule, deleting dumps older than the retention;
//! - what the backups of platc-databases (`databases/<store>-backup.yaml`) need from the
//!   server: postgresql WAL archiving of the primary into the archive claim (and replication
//!   mode for a standalone primary, for `pg_basebackup`), mysql binary logs in row format kept
//!   long enough for the copy job.
//!
//! Security contexts are left at the charts' defaults, which already run every container as
//! non-root (UID 1001) with a read-only root file system, no privilege escalation, all
//! capabilities dropped and the RuntimeDefault seccomp profile (the tests assert that of the
//! pinned files).

use platc_ir::{DataStoreIr, Engine, IN_CLUSTER_REPLICATION_USER};
use platc_yaml::{Mapping, Yaml};

use crate::charts::{self, ImagePin, IMAGE_REGISTRY, SERVICE_MONITOR_LABEL};
use crate::EmitError;

/// CPU and memory of one container, as Kubernetes quantities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizing {
    pub cpu_request: &'static str,
    pub cpu_limit: &'static str,
    pub memory_request: &'static str,
    pub memory_limit: &'static str,
}

/// The engine container of every instance (primary and replicas alike). The IR carries no
/// resources for stores yet, so these are platc's sizes for test-stage stores.
pub fn engine_sizing(engine: Engine) -> Sizing {
    match engine {
        Engine::Postgresql | Engine::Mysql | Engine::Mongodb => Sizing {
            cpu_request: "250m",
            cpu_limit: "1",
            memory_request: "512Mi",
            memory_limit: "1Gi",
        },
        Engine::Redis => Sizing {
            cpu_request: "100m",
            cpu_limit: "500m",
            memory_request: "128Mi",
            memory_limit: "256Mi",
        },
    }
}

/// The metrics exporter sidecar.
pub const EXPORTER_SIZING: Sizing = Sizing {
    cpu_request: "50m",
    cpu_limit: "200m",
    memory_request: "64Mi",
    memory_limit: "128Mi",
};

/// The MongoDB arbiter (votes only, holds no data).
pub const ARBITER_SIZING: Sizing = Sizing {
    cpu_request: "50m",
    cpu_limit: "250m",
    memory_request: "128Mi",
    memory_limit: "256Mi",
};

/// The backup CronJob's dump container.
pub const BACKUP_SIZING: Sizing = Sizing {
    cpu_request: "100m",
    cpu_limit: "500m",
    memory_request: "128Mi",
    memory_limit: "512Mi",
};

/// Keys of the credentials Secret each chart reads (`auth.existingSecret`). The Secret is not
/// platc's Helm output: External Secrets materialises it from the cloud secret manager, and
/// whatever writes that ExternalSecret must provide exactly these keys.
pub fn credential_keys(store: &DataStoreIr) -> Vec<&'static str> {
    let replicated = store.replicas > 1;
    match store.engine {
        Engine::Postgresql => vec![
            POSTGRES_ADMIN_KEY,
            POSTGRES_USER_KEY,
            POSTGRES_REPLICATION_KEY,
        ],
        // Fixed by the chart (no setting for the key names).
        Engine::Mysql => {
            let mut keys = vec!["mysql-root-password", "mysql-password"];
            if replicated {
                keys.push("mysql-replication-password");
            }
            keys
        }
        // Fixed by the chart; `mongodb-passwords` holds the passwords of `auth.usernames` in
        // order (here exactly one).
        Engine::Mongodb => {
            let mut keys = vec!["mongodb-root-password", "mongodb-passwords"];
            if replicated {
                keys.push("mongodb-replica-set-key");
            }
            keys
        }
        Engine::Redis => vec![REDIS_PASSWORD_KEY],
    }
}

const POSTGRES_ADMIN_KEY: &str = "postgres-password";
const POSTGRES_USER_KEY: &str = "password";
const POSTGRES_REPLICATION_KEY: &str = "replication-password";
const REDIS_PASSWORD_KEY: &str = "redis-password";

/// The engine image for the store's version.
pub fn engine_image(store: &DataStoreIr) -> Result<ImagePin, EmitError> {
    charts::chart(store.engine)
        .image(&store.version)
        .ok_or_else(|| EmitError::NoImage {
            engine: store.engine.as_str(),
            version: store.version.clone(),
        })
}

/// The values of the release of `store` (one YAML document).
pub fn values(store: &DataStoreIr) -> Result<Yaml, EmitError> {
    let image = engine_image(store)?;
    let m = match store.engine {
        Engine::Postgresql => postgresql(store, image),
        Engine::Mysql => mysql(store, image),
        Engine::Mongodb => mongodb(store, image),
        Engine::Redis => redis(store, image),
    };
    Ok(Yaml::Map(m))
}

fn replicated(store: &DataStoreIr) -> bool {
    store.replicas > 1
}

/// Instances besides the primary (postgresql read replicas, mysql secondaries, redis replicas).
fn extra_replicas(store: &DataStoreIr) -> u32 {
    store.replicas.saturating_sub(1)
}

fn global() -> Mapping {
    Mapping::new().with("security", Mapping::new().with("allowInsecureImages", true))
}

fn image(pin: ImagePin) -> Mapping {
    Mapping::new()
        .with("registry", IMAGE_REGISTRY)
        .with("repository", pin.repository)
        .with("tag", pin.tag)
}

fn resources(s: Sizing) -> Mapping {
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

fn size(store: &DataStoreIr) -> Mapping {
    Mapping::new().with("size", store.storage.as_str())
}

fn disabled() -> Mapping {
    Mapping::new().with("enabled", false)
}

fn strings(items: &[&str]) -> Yaml {
    Yaml::Seq(items.iter().map(|s| Yaml::from(*s)).collect())
}

/// The exporter sidecar and its ServiceMonitor; `labels_key` is where the chart takes the
/// ServiceMonitor's extra labels (`labels`, or `additionalLabels` in the redis chart).
fn metrics(engine: Engine, labels_key: &'static str) -> Mapping {
    let (k, v) = SERVICE_MONITOR_LABEL;
    Mapping::new()
        .with("enabled", true)
        .with("image", image(charts::chart(engine).exporter))
        .with("resources", resources(EXPORTER_SIZING))
        .with(
            "serviceMonitor",
            Mapping::new()
                .with("enabled", true)
                .with(labels_key, Mapping::new().with(k, v)),
        )
}

/// Retention in minutes (`find -mmin`), at least one day.
fn retention_minutes(store: &DataStoreIr) -> u64 {
    u64::from(store.backup.retention_days.max(1)) * 24 * 60
}

fn backup_cronjob(store: &DataStoreIr, command: Vec<Yaml>) -> Mapping {
    Mapping::new()
        .with("schedule", store.backup.schedule.as_str())
        .with("command", Yaml::Seq(command))
        .with("resources", resources(BACKUP_SIZING))
}

fn postgresql(store: &DataStoreIr, pin: ImagePin) -> Mapping {
    let sizing = engine_sizing(store.engine);
    let instance = |m: Mapping| {
        m.with("resources", resources(sizing))
            .with("persistence", size(store))
            .with("networkPolicy", disabled())
    };
    let mut m = Mapping::new()
        .with("global", global())
        .with("image", image(pin))
        .with(
            "architecture",
            if replicated(store) {
                "replication"
            } else {
                "standalone"
            },
        )
        .with(
            "auth",
            Mapping::new()
                // The `postgres` superuser stays: pg_dumpall (the backup) needs it.
                .with("enablePostgresUser", true)
                .with("username", store.user.as_str())
                .with("database", store.database.as_str())
                .with("existingSecret", store.credentials_secret.as_str())
                // The base backup job connects as this role (the chart's default name).
                .with("replicationUsername", IN_CLUSTER_REPLICATION_USER)
                .with(
                    "secretKeys",
                    Mapping::new()
                        .with("adminPasswordKey", POSTGRES_ADMIN_KEY)
                        .with("userPasswordKey", POSTGRES_USER_KEY)
                        .with("replicationPasswordKey", POSTGRES_REPLICATION_KEY),
                ),
        )
        .with("primary", wal_archiving(store, instance(Mapping::new())));
    if replicated(store) {
        m.insert(
            "readReplicas",
            instance(Mapping::new().with("replicaCount", extra_replicas(store))),
        );
    }
    // The chart's default command (values.yaml), then the retention.
    let script = format!(
        "PGPASSWORD=\"${{PGPASSWORD:-$(< \"$PGPASSWORD_FILE\")}}\" pg_dumpall --clean --if-exists \
         --load-via-partition-root --quote-all-identifiers --no-password \
         --file=\"${{PGDUMP_DIR}}/pg_dumpall-$(date '+%Y-%m-%d-%H-%M').pgdump\" \
         && find \"${{PGDUMP_DIR}}\" -maxdepth 1 -name 'pg_dumpall-*.pgdump' -mmin +{} -delete",
        retention_minutes(store)
    );
    let cronjob = backup_cronjob(store, vec!["/bin/bash".into(), "-c".into(), script.into()])
        .with("networkPolicy", disabled())
        .with("storage", size(store));
    m.insert(
        "backup",
        Mapping::new()
            .with("enabled", true)
            .with("cronjob", cronjob),
    );
    m.insert("metrics", metrics(store.engine, "labels"));
    m
}

/// Where the primary mounts the archive claim.
const ARCHIVE_MOUNT: &str = "/archive";

/// Continuous WAL archiving on the primary: the archive claim (written by platc-databases, with
/// the base backup CronJob that shares it) mounted at [`ARCHIVE_MOUNT`], and `archive_command`
/// copying every completed segment to its `wal/` (through a temporary name, so a crash never
/// leaves a truncated segment under the final name; an existing segment is never overwritten).
/// `archive_timeout` bounds the data a lost volume can take with it to five minutes.
///
/// `pg_basebackup` needs a replication connection, which the image's pg_hba.conf admits only in
/// replication mode: a standalone primary is put into that mode (as the chart does for
/// `architecture: replication`), which creates the replication role from the Secret's
/// `replication-password` and adds the `host replication` lines. Without read replicas nothing
/// else changes.
fn wal_archiving(store: &DataStoreIr, primary: Mapping) -> Mapping {
    let wal = format!("{ARCHIVE_MOUNT}/wal");
    let conf = format!(
        "# platc: WAL archiving to the claim {claim}.\n\
         archive_mode = on\n\
         archive_command = 'mkdir -p {wal} && test ! -f {wal}/%f && cp %p {wal}/.%f.partial && mv {wal}/.%f.partial {wal}/%f'\n\
         archive_timeout = 300\n",
        claim = store.archive_claim(),
    );
    let mut primary = primary
        .with("extendedConfiguration", conf)
        .with(
            "extraVolumes",
            Yaml::Seq(vec![Mapping::new()
                .with("name", "wal-archive")
                .with(
                    "persistentVolumeClaim",
                    Mapping::new().with("claimName", store.archive_claim()),
                )
                .into()]),
        )
        .with(
            "extraVolumeMounts",
            Yaml::Seq(vec![Mapping::new()
                .with("name", "wal-archive")
                .with("mountPath", ARCHIVE_MOUNT)
                .into()]),
        );
    if !replicated(store) {
        let env = |name: &str, value: String| -> Yaml {
            Mapping::new()
                .with("name", name)
                .with("value", value)
                .into()
        };
        primary.insert(
            "extraEnvVars",
            Yaml::Seq(vec![
                env("POSTGRES_REPLICATION_MODE", "master".into()),
                env(
                    "POSTGRES_REPLICATION_USER",
                    IN_CLUSTER_REPLICATION_USER.into(),
                ),
                // The chart mounts the whole credentials Secret here (auth.usePasswordFiles).
                env(
                    "POSTGRES_REPLICATION_PASSWORD_FILE",
                    format!("/opt/bitnami/postgresql/secrets/{POSTGRES_REPLICATION_KEY}"),
                ),
            ]),
        );
    }
    primary
}

fn mysql(store: &DataStoreIr, pin: ImagePin) -> Mapping {
    let sizing = engine_sizing(store.engine);
    let instance = |m: Mapping| {
        m.with("resources", resources(sizing))
            .with("persistence", size(store))
    };
    // Binary logging in row format (the defaults of 8.x, made explicit), kept on the server
    // long enough for the copy job of platc-databases (every 15 minutes) to fetch every log.
    let flags = format!(
        "--log-bin=mysql-bin --binlog-format=ROW --binlog-expire-logs-seconds={}",
        u64::from(store.backup.binlog_server_days()) * 86400
    );
    let mut m = Mapping::new()
        .with("global", global())
        .with("image", image(pin))
        .with(
            "architecture",
            if replicated(store) {
                "replication"
            } else {
                "standalone"
            },
        )
        .with(
            "auth",
            Mapping::new()
                .with("database", store.database.as_str())
                .with("username", store.user.as_str())
                .with("existingSecret", store.credentials_secret.as_str()),
        )
        .with(
            "primary",
            instance(Mapping::new().with("extraFlags", flags)),
        );
    if replicated(store) {
        m.insert(
            "secondary",
            instance(Mapping::new().with("replicaCount", extra_replicas(store))),
        );
    }
    m.insert("networkPolicy", disabled());
    m.insert("metrics", metrics(store.engine, "labels"));
    m
}

fn mongodb(store: &DataStoreIr, pin: ImagePin) -> Mapping {
    let replicaset = replicated(store);
    let mut m = Mapping::new()
        .with("global", global())
        .with("image", image(pin));
    if replicaset {
        m.insert("architecture", "replicaset");
        m.insert("replicaCount", store.replicas);
    } else {
        m.insert("architecture", "standalone");
        // A StatefulSet (not the chart's default Deployment) for the standalone instance too.
        m.insert("useStatefulSet", true);
    }
    m.insert(
        "auth",
        Mapping::new()
            .with("enabled", true)
            .with("usernames", strings(&[store.user.as_str()]))
            .with("databases", strings(&[store.database.as_str()]))
            .with("existingSecret", store.credentials_secret.as_str()),
    );
    m.insert("resources", resources(engine_sizing(store.engine)));
    m.insert("persistence", size(store));
    m.insert("networkPolicy", disabled());
    if replicaset {
        // An even number of data-bearing members needs an arbiter to keep a voting majority.
        let arbiter = store.replicas % 2 == 0;
        let mut a = Mapping::new().with("enabled", arbiter);
        if arbiter {
            a.insert("resources", resources(ARBITER_SIZING));
        }
        m.insert("arbiter", a);
    }
    // The chart's default script (templates/backup/cronjob.yaml, auth on, password files), then
    // the retention. Written without double quotes (no word splitting happens in an assignment,
    // and the paths have no spaces) so that it renders as a readable literal block.
    let oplog = if replicaset { " --oplog" } else { "" };
    let script = format!(
        "set -o errexit\n\
         export MONGODB_ROOT_PASSWORD=$(< $MONGODB_ROOT_PASSWORD_FILE)\n\
         mongodump --username=${{MONGODB_ROOT_USER}} --password=${{MONGODB_ROOT_PASSWORD}} \
         --authenticationDatabase=admin --host=${{MONGODB_SERVICE_NAME}} \
         --port=${{MONGODB_PORT_NUMBER}} ${{MONGODB_CLIENT_EXTRA_FLAGS}}{oplog} --gzip \
         --archive=${{MONGODUMP_DIR}}/mongodump-$(date '+%Y-%m-%d-%H-%M').gz\n\
         find ${{MONGODUMP_DIR}} -maxdepth 1 -name 'mongodump-*.gz' -mmin +{} -delete\n",
        retention_minutes(store)
    );
    let cronjob = backup_cronjob(store, vec!["/bin/bash".into(), "-c".into(), script.into()])
        .with("storage", size(store));
    m.insert(
        "backup",
        Mapping::new()
            .with("enabled", true)
            .with("cronjob", cronjob),
    );
    m.insert("metrics", metrics(store.engine, "labels"));
    m
}

fn redis(store: &DataStoreIr, pin: ImagePin) -> Mapping {
    let sizing = engine_sizing(store.engine);
    let instance = |m: Mapping| {
        m.with("resources", resources(sizing))
            .with("persistence", size(store))
    };
    let mut m = Mapping::new()
        .with("global", global())
        .with("image", image(pin))
        .with(
            "architecture",
            if replicated(store) {
                "replication"
            } else {
                "standalone"
            },
        )
        .with(
            "auth",
            Mapping::new()
                .with("enabled", true)
                .with("existingSecret", store.credentials_secret.as_str())
                .with("existingSecretPasswordKey", REDIS_PASSWORD_KEY),
        )
        .with("master", instance(Mapping::new()));
    if replicated(store) {
        m.insert(
            "replica",
            instance(Mapping::new().with("replicaCount", extra_replicas(store))),
        );
    }
    m.insert("networkPolicy", disabled());
    m.insert("metrics", metrics(store.engine, "additionalLabels"));
    m
}
