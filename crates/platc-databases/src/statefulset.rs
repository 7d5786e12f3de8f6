//! `placement = "statefulset"` (PostgreSQL only): platc's own layout, hardened.
//!
//! - ConfigMap `<name>-config`: postgresql.conf (TLS, scram-sha-256, WAL archiving), pg_hba.conf
//!   (`hostssl` + scram-sha-256 only) and the scripts.
//! - StatefulSet `<name>`: pod 0 is the primary (it runs `initdb` and creates the service's role
//!   and database); pods 1.. clone it with `pg_basebackup` and follow it as hot standbys. A
//!   postgres-exporter sidecar serves metrics on 9187.
//! - Services `<name>-headless` (pod DNS), `<name>` (the primary only, via the
//!   `statefulset.kubernetes.io/pod-name` label Kubernetes puts on pod 0) and `<name>-readonly`
//!   (every instance).
//! - PVC `<name>-backup` and CronJobs `<name>-backup` (pg_basebackup on the IR's schedule,
//!   deleting backups older than the retention) and `<name>-wal-cleanup` (daily).
//!
//! The WAL archive is a per-pod claim (`wal-archive-<name>-<n>`, volumeClaimTemplates) rather
//! than one shared claim: a ReadWriteOnce volume cannot be mounted by pods that the
//! anti-affinity places on different nodes, and ReadWriteMany needs a storage class the
//! platform does not promise. Only the primary archives (`archive_mode = on`).
//!
//! Credentials: the Secret `credentials_secret` with the keys `username` and `password` (the
//! service's role, which also has REPLICATION for the standbys and the backup). It is mounted as
//! files (`/credentials/<key>`), not passed as environment variables. The superuser `postgres`
//! has no password at all: pg_hba.conf admits it only over the local socket by peer
//! authentication.

use platc_ir::Labels;
use platc_yaml::{Mapping, Yaml};

use crate::{
    engine_sizing, label_map, major, object, resources, storage_request, strs, Cx, BACKUP, SMALL,
};

pub(crate) const USERNAME_KEY: &str = "username";
pub(crate) const PASSWORD_KEY: &str = "password";

/// The postgres image's `postgres` user and group.
const POSTGRES_UID: i64 = 999;
const PORT: i64 = 5432;
const METRICS_PORT: i64 = 9187;
const EXPORTER_IMAGE: &str = "quay.io/prometheuscommunity/postgres-exporter:v0.15.0";

/// `postgres:<tag>` per supported major version (Debian images; the `postgres` user is 999).
fn image(version: &str) -> String {
    let tag = match major(version) {
        "14" => "14.15",
        "15" => "15.10",
        "17" => "17.2",
        _ => "16.6",
    };
    format!("postgres:{tag}")
}

const DATA: &str = "/var/lib/postgresql/data";
const PGDATA: &str = "/var/lib/postgresql/data/pgdata";
const WAL_ARCHIVE: &str = "/wal-archive";
const BACKUPS: &str = "/backups";
const TLS: &str = "/var/run/postgresql/tls";

/// Checkov findings this layout accepts on purpose (annotation value per check).
const SKIP_HIGH_UID: &str =
    "CKV_K8S_40=the postgres image's files belong to uid 999; initdb needs a passwd entry for the uid";
const SKIP_DIGEST: &str =
    "CKV_K8S_43=images are pinned by exact version tags, resolved by the registry at pull time";

pub(crate) fn objects(cx: &Cx<'_>) -> Vec<Yaml> {
    if cx.store.engine != platc_ir::Engine::Postgresql {
        // The checker refuses other engines with this placement.
        return Vec::new();
    }
    vec![
        config_map(cx).into(),
        headless_service(cx).into(),
        service(cx).into(),
        readonly_service(cx).into(),
        backup_claim(cx).into(),
        stateful_set(cx).into(),
        backup_job(cx).into(),
        wal_cleanup_job(cx).into(),
    ]
}

fn name(cx: &Cx<'_>, suffix: &str) -> String {
    format!("{}{suffix}", cx.store.name)
}

/// Object labels: the pods' labels, so `kubectl get all -l` finds everything of the store.
fn labels(cx: &Cx<'_>) -> Labels {
    let mut l = cx.object_labels();
    l.extend(cx.pod_labels());
    l
}

fn with_skips(mut meta: Mapping, skips: &[&str]) -> Mapping {
    let mut a = Mapping::new();
    for (i, s) in skips.iter().enumerate() {
        a.insert(format!("checkov.io/skip{}", i + 1), *s);
    }
    meta.insert("annotations", a);
    meta
}

// --- ConfigMap ---------------------------------------------------------------------------------

fn postgresql_conf(cx: &Cx<'_>) -> String {
    let replicas = cx.store.replicas.max(1);
    format!(
        "# Generated from platform.toml by platc.\n\
         listen_addresses = '*'\n\
         port = {PORT}\n\
         max_connections = 100\n\
         unix_socket_directories = '/var/run/postgresql'\n\
         password_encryption = scram-sha-256\n\
         ssl = on\n\
         ssl_cert_file = '{TLS}/tls.crt'\n\
         ssl_key_file = '{TLS}/tls.key'\n\
         ssl_min_protocol_version = 'TLSv1.2'\n\
         wal_level = replica\n\
         max_wal_senders = {}\n\
         max_replication_slots = {}\n\
         wal_keep_size = '1GB'\n\
         hot_standby = on\n\
         archive_mode = on\n\
         archive_command = 'test ! -f {WAL_ARCHIVE}/%f && cp %p {WAL_ARCHIVE}/%f'\n\
         archive_timeout = 300\n\
         log_connections = on\n\
         log_disconnections = on\n\
         log_line_prefix = '%m [%p] %q%u@%d '\n",
        replicas + 4,
        replicas + 4,
    )
}

fn pg_hba_conf(cx: &Cx<'_>) -> String {
    let user = &cx.store.user;
    format!(
        "# Generated from platform.toml by platc. TLS and scram-sha-256 only; the superuser\n\
         # only over the local socket as the OS user postgres.\n\
         local all postgres peer\n\
         hostssl replication {user} 0.0.0.0/0 scram-sha-256\n\
         hostssl replication {user} ::/0 scram-sha-256\n\
         hostssl all all 0.0.0.0/0 scram-sha-256\n\
         hostssl all all ::/0 scram-sha-256\n"
    )
}

/// Runs in the init container of every pod: a fresh TLS key pair, then either `initdb` and the
/// service's role and database (pod 0, empty volume) or a clone of the primary (other pods).
fn init_script(cx: &Cx<'_>) -> String {
    let primary = format!("{}-0.{}-headless", cx.store.name, cx.store.name);
    format!(
        "#!/bin/bash\n\
         set -euo pipefail\n\
         umask 0077\n\
         mkdir -p {TLS}\n\
         # A self-signed certificate per pod start: clients use sslmode=require (encryption).\n\
         openssl req -new -x509 -nodes -days 3650 -subj \"/CN=${{POD_NAME}}\" \\\n  \
         -keyout {TLS}/tls.key -out {TLS}/tls.crt\n\
         if [ -s {PGDATA}/PG_VERSION ]; then\n  \
         exit 0\n\
         fi\n\
         DB_USER=\"$(cat /credentials/{USERNAME_KEY})\"\n\
         DB_PASSWORD=\"$(cat /credentials/{PASSWORD_KEY})\"\n\
         if [ \"${{POD_NAME##*-}}\" != 0 ]; then\n  \
         # A standby: clone the primary and follow it.\n  \
         PGPASSWORD=\"$DB_PASSWORD\" PGSSLMODE=require pg_basebackup --host={primary} \\\n    \
         --port={PORT} --username=\"$DB_USER\" --pgdata={PGDATA} --wal-method=stream \\\n    \
         --write-recovery-conf --checkpoint=fast --no-password\n  \
         exit 0\n\
         fi\n\
         initdb --pgdata={PGDATA} --username=postgres --auth-local=peer --auth-host=reject \\\n  \
         --encoding=UTF8 --data-checksums\n\
         pg_ctl --pgdata={PGDATA} --wait -o \"-c listen_addresses='' -c password_encryption=scram-sha-256\" start\n\
         psql --no-psqlrc --set=ON_ERROR_STOP=1 --username=postgres --dbname=postgres \\\n  \
         --set=user=\"$DB_USER\" --set=pw=\"$DB_PASSWORD\" --set=db={db} <<'SQL'\n\
         CREATE ROLE :\"user\" LOGIN REPLICATION PASSWORD :'pw';\n\
         CREATE DATABASE :\"db\" OWNER :\"user\";\n\
         REVOKE ALL ON DATABASE :\"db\" FROM PUBLIC;\n\
         SQL\n\
         pg_ctl --pgdata={PGDATA} --wait --mode=fast stop\n",
        db = cx.store.database,
    )
}

fn config_map(cx: &Cx<'_>) -> Mapping {
    object(
        "v1",
        "ConfigMap",
        cx.metadata(&name(cx, "-config"), &labels(cx)),
    )
    .with(
        "data",
        Mapping::new()
            .with("postgresql.conf", postgresql_conf(cx))
            .with("pg_hba.conf", pg_hba_conf(cx))
            .with("init.sh", init_script(cx)),
    )
}

// --- Services ----------------------------------------------------------------------------------

fn port(name: &str, number: i64) -> Yaml {
    Mapping::new()
        .with("name", name)
        .with("port", number)
        .with("targetPort", name)
        .with("protocol", "TCP")
        .into()
}

fn service_object(cx: &Cx<'_>, name: &str, spec: Mapping) -> Mapping {
    object("v1", "Service", cx.metadata(name, &labels(cx))).with("spec", spec)
}

fn headless_service(cx: &Cx<'_>) -> Mapping {
    service_object(
        cx,
        &name(cx, "-headless"),
        Mapping::new()
            .with("clusterIP", "None")
            // Standbys resolve the primary before it is ready.
            .with("publishNotReadyAddresses", true)
            .with("selector", label_map(&cx.pod_labels()))
            .with("ports", Yaml::Seq(vec![port("postgresql", PORT)])),
    )
}

fn service(cx: &Cx<'_>) -> Mapping {
    let mut selector = label_map(&cx.pod_labels());
    selector.insert("statefulset.kubernetes.io/pod-name", name(cx, "-0"));
    service_object(
        cx,
        &cx.store.name,
        Mapping::new()
            .with("type", "ClusterIP")
            .with("selector", selector)
            .with(
                "ports",
                Yaml::Seq(vec![
                    port("postgresql", PORT),
                    port("metrics", METRICS_PORT),
                ]),
            ),
    )
}

fn readonly_service(cx: &Cx<'_>) -> Mapping {
    service_object(
        cx,
        &name(cx, "-readonly"),
        Mapping::new()
            .with("type", "ClusterIP")
            .with("selector", label_map(&cx.pod_labels()))
            .with("ports", Yaml::Seq(vec![port("postgresql", PORT)])),
    )
}

// --- Volumes -----------------------------------------------------------------------------------

fn claim_spec(size: &str) -> Mapping {
    Mapping::new()
        .with("accessModes", strs(&["ReadWriteOnce"]))
        .with("resources", storage_request(size))
}

fn backup_claim(cx: &Cx<'_>) -> Mapping {
    // The IR has no backup size: the data size (compressed base backups of a database are
    // smaller than its volume; retention decides how many fit).
    object(
        "v1",
        "PersistentVolumeClaim",
        cx.metadata(&name(cx, "-backup"), &labels(cx)),
    )
    .with("spec", claim_spec(&cx.store.storage))
}

// --- Pods --------------------------------------------------------------------------------------

fn container_security() -> Mapping {
    Mapping::new()
        .with("allowPrivilegeEscalation", false)
        .with("privileged", false)
        .with("readOnlyRootFilesystem", true)
        .with("runAsNonRoot", true)
        .with("runAsUser", POSTGRES_UID)
        .with("runAsGroup", POSTGRES_UID)
        .with("capabilities", Mapping::new().with("drop", strs(&["ALL"])))
        .with(
            "seccompProfile",
            Mapping::new().with("type", "RuntimeDefault"),
        )
}

fn pod_security() -> Mapping {
    Mapping::new()
        .with("runAsNonRoot", true)
        .with("runAsUser", POSTGRES_UID)
        .with("runAsGroup", POSTGRES_UID)
        .with("fsGroup", POSTGRES_UID)
        .with("fsGroupChangePolicy", "OnRootMismatch")
        .with(
            "seccompProfile",
            Mapping::new().with("type", "RuntimeDefault"),
        )
}

fn mount(name: &str, path: &str) -> Yaml {
    Mapping::new()
        .with("name", name)
        .with("mountPath", path)
        .into()
}

fn ro_mount(name: &str, path: &str) -> Yaml {
    Mapping::new()
        .with("name", name)
        .with("mountPath", path)
        .with("readOnly", true)
        .into()
}

fn empty_dir(name: &str) -> Yaml {
    Mapping::new()
        .with("name", name)
        .with("emptyDir", Mapping::new())
        .into()
}

fn credentials_volume(cx: &Cx<'_>) -> Yaml {
    Mapping::new()
        .with("name", "credentials")
        .with(
            "secret",
            Mapping::new()
                .with("secretName", cx.store.credentials_secret.as_str())
                // Readable by the pod's group (fsGroup 999) only.
                .with("defaultMode", 0o440)
                .with(
                    "items",
                    Yaml::Seq(vec![
                        Mapping::new()
                            .with("key", USERNAME_KEY)
                            .with("path", USERNAME_KEY)
                            .into(),
                        Mapping::new()
                            .with("key", PASSWORD_KEY)
                            .with("path", PASSWORD_KEY)
                            .into(),
                    ]),
                ),
        )
        .into()
}

fn env(name: &str, value: &str) -> Yaml {
    Mapping::new()
        .with("name", name)
        .with("value", value)
        .into()
}

fn pod_name_env() -> Yaml {
    Mapping::new()
        .with("name", "POD_NAME")
        .with(
            "valueFrom",
            Mapping::new().with(
                "fieldRef",
                Mapping::new().with("fieldPath", "metadata.name"),
            ),
        )
        .into()
}

fn exec_probe(command: &[&str], initial: i64, period: i64) -> Mapping {
    Mapping::new()
        .with("exec", Mapping::new().with("command", strs(command)))
        .with("initialDelaySeconds", initial)
        .with("periodSeconds", period)
        .with("timeoutSeconds", 5)
        .with("failureThreshold", 6)
}

fn pg_isready() -> [&'static str; 5] {
    [
        "pg_isready",
        "--host=/var/run/postgresql",
        "--port=5432",
        "--dbname=postgres",
        "--quiet",
    ]
}

fn stateful_set(cx: &Cx<'_>) -> Mapping {
    let store = cx.store;
    let image = image(&store.version);
    let pod_labels = label_map(&cx.pod_labels());
    let selector = Mapping::new().with("matchLabels", pod_labels.clone());
    let init = Mapping::new()
        .with("name", "init")
        .with("image", image.as_str())
        .with("imagePullPolicy", "Always")
        .with("command", strs(&["/bin/bash", "/etc/postgresql/init.sh"]))
        .with(
            "env",
            Yaml::Seq(vec![
                pod_name_env(),
                env("PGDATA", PGDATA),
                env("HOME", "/tmp"),
            ]),
        )
        .with("resources", resources(engine_sizing(store.engine)))
        .with("securityContext", container_security())
        .with(
            "volumeMounts",
            Yaml::Seq(vec![
                mount("data", DATA),
                mount("run", "/var/run/postgresql"),
                mount("tmp", "/tmp"),
                ro_mount("config", "/etc/postgresql"),
                ro_mount("credentials", "/credentials"),
            ]),
        );
    let postgres = Mapping::new()
        .with("name", "postgresql")
        .with("image", image.as_str())
        .with("imagePullPolicy", "Always")
        .with(
            "command",
            strs(&[
                "postgres",
                "-D",
                PGDATA,
                "-c",
                "config_file=/etc/postgresql/postgresql.conf",
                "-c",
                "hba_file=/etc/postgresql/pg_hba.conf",
            ]),
        )
        .with(
            "ports",
            Yaml::Seq(vec![Mapping::new()
                .with("name", "postgresql")
                .with("containerPort", PORT)
                .with("protocol", "TCP")
                .into()]),
        )
        .with("env", Yaml::Seq(vec![env("PGDATA", PGDATA)]))
        .with("resources", resources(engine_sizing(store.engine)))
        .with("securityContext", container_security())
        .with("livenessProbe", exec_probe(&pg_isready(), 30, 10))
        .with("readinessProbe", exec_probe(&pg_isready(), 5, 5))
        .with(
            "volumeMounts",
            Yaml::Seq(vec![
                mount("data", DATA),
                mount("wal-archive", WAL_ARCHIVE),
                mount("run", "/var/run/postgresql"),
                mount("tmp", "/tmp"),
                ro_mount("config", "/etc/postgresql"),
            ]),
        );
    let exporter = Mapping::new()
        .with("name", "metrics")
        .with("image", EXPORTER_IMAGE)
        .with("imagePullPolicy", "Always")
        .with(
            "env",
            Yaml::Seq(vec![
                env(
                    "DATA_SOURCE_URI",
                    &format!("localhost:{PORT}/{}?sslmode=require", store.database),
                ),
                env("DATA_SOURCE_USER_FILE", "/credentials/username"),
                env("DATA_SOURCE_PASS_FILE", "/credentials/password"),
            ]),
        )
        .with(
            "ports",
            Yaml::Seq(vec![Mapping::new()
                .with("name", "metrics")
                .with("containerPort", METRICS_PORT)
                .with("protocol", "TCP")
                .into()]),
        )
        .with("resources", resources(SMALL))
        .with("securityContext", container_security())
        .with("livenessProbe", http_probe())
        .with("readinessProbe", http_probe())
        .with(
            "volumeMounts",
            Yaml::Seq(vec![ro_mount("credentials", "/credentials")]),
        );
    let affinity = Mapping::new().with(
        "podAntiAffinity",
        Mapping::new().with(
            "preferredDuringSchedulingIgnoredDuringExecution",
            Yaml::Seq(vec![Mapping::new()
                .with("weight", 100)
                .with(
                    "podAffinityTerm",
                    Mapping::new()
                        .with("labelSelector", selector.clone())
                        .with("topologyKey", "kubernetes.io/hostname"),
                )
                .into()]),
        ),
    );
    let spread = Yaml::Seq(vec![Mapping::new()
        .with("maxSkew", 1)
        .with("topologyKey", "topology.kubernetes.io/zone")
        .with("whenUnsatisfiable", "ScheduleAnyway")
        .with("labelSelector", selector.clone())
        .into()]);
    let pod = Mapping::new()
        .with("automountServiceAccountToken", false)
        .with("enableServiceLinks", false)
        .with("securityContext", pod_security())
        .with("terminationGracePeriodSeconds", 60)
        .with("affinity", affinity)
        .with("topologySpreadConstraints", spread)
        .with("initContainers", Yaml::Seq(vec![init.into()]))
        .with(
            "containers",
            Yaml::Seq(vec![postgres.into(), exporter.into()]),
        )
        .with(
            "volumes",
            Yaml::Seq(vec![
                Mapping::new()
                    .with("name", "config")
                    .with(
                        "configMap",
                        Mapping::new().with("name", name(cx, "-config")),
                    )
                    .into(),
                credentials_volume(cx),
                empty_dir("run"),
                empty_dir("tmp"),
            ]),
        );
    let template = |claim: &str| -> Yaml {
        Mapping::new()
            .with(
                "metadata",
                Mapping::new()
                    .with("name", claim)
                    .with("labels", label_map(&labels(cx))),
            )
            .with("spec", claim_spec(&store.storage))
            .into()
    };
    let spec = Mapping::new()
        .with("serviceName", name(cx, "-headless"))
        .with("replicas", i64::from(store.replicas.max(1)))
        .with("podManagementPolicy", "OrderedReady")
        .with("selector", selector)
        .with(
            "template",
            Mapping::new()
                .with("metadata", Mapping::new().with("labels", pod_labels))
                .with("spec", pod),
        )
        .with(
            "volumeClaimTemplates",
            Yaml::Seq(vec![template("data"), template("wal-archive")]),
        )
        .with(
            "persistentVolumeClaimRetentionPolicy",
            Mapping::new()
                .with("whenDeleted", "Retain")
                .with("whenScaled", "Retain"),
        );
    object(
        "apps/v1",
        "StatefulSet",
        with_skips(
            cx.metadata(&store.name, &labels(cx)),
            &[SKIP_HIGH_UID, SKIP_DIGEST],
        ),
    )
    .with("spec", spec)
}

fn http_probe() -> Mapping {
    Mapping::new()
        .with(
            "httpGet",
            Mapping::new().with("path", "/").with("port", "metrics"),
        )
        .with("periodSeconds", 10)
        .with("timeoutSeconds", 5)
}

// --- CronJobs ----------------------------------------------------------------------------------

/// A CronJob whose pods carry the store's pod labels (the store's NetworkPolicy admits them),
/// run the postgres image as uid 999 with a read-only root file system, and are never Ready (a
/// readiness probe that always fails) so that the Services selecting the store's labels never
/// route to them.
fn cron_job(
    cx: &Cx<'_>,
    name: &str,
    schedule: &str,
    script: String,
    mut mounts: Vec<Yaml>,
    mut volumes: Vec<Yaml>,
    affinity: Option<Mapping>,
) -> Mapping {
    mounts.push(mount("tmp", "/tmp"));
    volumes.push(empty_dir("tmp"));
    let container = Mapping::new()
        .with("name", "job")
        .with("image", image(&cx.store.version))
        .with("imagePullPolicy", "Always")
        .with("command", strs(&["/bin/bash", "-c", &script]))
        .with("env", Yaml::Seq(vec![env("HOME", "/tmp")]))
        .with("resources", resources(BACKUP))
        .with("securityContext", container_security())
        .with("readinessProbe", exec_probe(&["/bin/false"], 0, 3600))
        .with("livenessProbe", exec_probe(&["/bin/true"], 60, 60))
        .with("volumeMounts", Yaml::Seq(mounts));
    let mut pod = Mapping::new()
        .with("automountServiceAccountToken", false)
        .with("enableServiceLinks", false)
        .with("restartPolicy", "OnFailure")
        .with("securityContext", pod_security());
    if let Some(a) = affinity {
        pod.insert("affinity", a);
    }
    pod.insert("containers", Yaml::Seq(vec![container.into()]));
    pod.insert("volumes", Yaml::Seq(volumes));
    let job = Mapping::new()
        .with("backoffLimit", 2)
        .with("activeDeadlineSeconds", 6 * 3600)
        .with("ttlSecondsAfterFinished", 86400)
        .with(
            "template",
            Mapping::new()
                .with(
                    "metadata",
                    Mapping::new().with("labels", label_map(&cx.pod_labels())),
                )
                .with("spec", pod),
        );
    object(
        "batch/v1",
        "CronJob",
        with_skips(
            cx.metadata(name, &labels(cx)),
            &[SKIP_HIGH_UID, SKIP_DIGEST],
        ),
    )
    .with(
        "spec",
        Mapping::new()
            .with("schedule", schedule)
            .with("timeZone", "Etc/UTC")
            .with("concurrencyPolicy", "Forbid")
            .with("startingDeadlineSeconds", 3600)
            .with("successfulJobsHistoryLimit", 3)
            .with("failedJobsHistoryLimit", 3)
            .with("jobTemplate", Mapping::new().with("spec", job)),
    )
}

fn backup_job(cx: &Cx<'_>) -> Mapping {
    let store = cx.store;
    // Base backups (tar, compressed, with the WAL to make each consistent) of the primary; a
    // backup older than the retention is deleted only after a new one succeeded.
    let script = format!(
        "set -euo pipefail\n\
         export PGPASSWORD=\"$(cat /credentials/{PASSWORD_KEY})\"\n\
         target={BACKUPS}/base-$(date -u +%Y%m%dT%H%M%SZ)\n\
         PGSSLMODE=require pg_basebackup --host={host} --port={PORT} \\\n  \
         --username=\"$(cat /credentials/{USERNAME_KEY})\" --pgdata=\"$target.partial\" \\\n  \
         --format=tar --gzip --wal-method=stream --checkpoint=fast --no-password\n\
         mv \"$target.partial\" \"$target\"\n\
         find {BACKUPS} -mindepth 1 -maxdepth 1 -name 'base-*' -mtime +{days} -exec rm -rf {{}} +\n",
        host = store.name,
        days = store.backup.retention_days,
    );
    cron_job(
        cx,
        &name(cx, "-backup"),
        &store.backup.schedule,
        script,
        vec![
            mount("backups", BACKUPS),
            ro_mount("credentials", "/credentials"),
        ],
        vec![
            Mapping::new()
                .with("name", "backups")
                .with(
                    "persistentVolumeClaim",
                    Mapping::new().with("claimName", name(cx, "-backup")),
                )
                .into(),
            credentials_volume(cx),
        ],
        None,
    )
}

fn wal_cleanup_job(cx: &Cx<'_>) -> Mapping {
    let store = cx.store;
    // The primary's archive: WAL older than the oldest retained base backup is useless.
    let script = format!(
        "set -euo pipefail\n\
         find {WAL_ARCHIVE} -mindepth 1 -maxdepth 1 -type f -mtime +{} -delete\n",
        store.backup.retention_days
    );
    let primary_claim = format!("wal-archive-{}-0", store.name);
    // A ReadWriteOnce volume mounts on one node only: run next to the primary.
    let affinity = Mapping::new().with(
        "podAffinity",
        Mapping::new().with(
            "requiredDuringSchedulingIgnoredDuringExecution",
            Yaml::Seq(vec![Mapping::new()
                .with(
                    "labelSelector",
                    Mapping::new().with(
                        "matchLabels",
                        Mapping::new().with("statefulset.kubernetes.io/pod-name", name(cx, "-0")),
                    ),
                )
                .with("topologyKey", "kubernetes.io/hostname")
                .into()]),
        ),
    );
    cron_job(
        cx,
        &name(cx, "-wal-cleanup"),
        "30 4 * * *",
        script,
        vec![mount("wal-archive", WAL_ARCHIVE)],
        vec![Mapping::new()
            .with("name", "wal-archive")
            .with(
                "persistentVolumeClaim",
                Mapping::new().with("claimName", primary_claim),
            )
            .into()],
        Some(affinity),
    )
}
