//! `placement = "in-cluster"` PostgreSQL, MySQL and Redis: the backups the Bitnami charts do not
//! have, in `databases/<store>-backup.yaml` next to the release.
//!
//! - **PostgreSQL** (continuous WAL archiving + base backups; the chart's own `pg_dumpall`
//!   CronJob stays as a logical dump): PVC `<name>-archive` (`DataStoreIr::archive_claim`),
//!   which platc-helm mounts into the primary, whose `archive_command` copies every completed
//!   WAL segment to `wal/`; CronJob `<name>-basebackup` on the IR's schedule runs
//!   `pg_basebackup` as the chart's replication role into `base/`, deletes base backups older
//!   than the retention, then WAL older than the oldest base backup left. The claim is
//!   ReadWriteOnce, so the job has a required pod affinity to the primary's node (a RWO volume
//!   may be mounted by several pods of one node). A point-in-time recovery extracts a base
//!   backup and replays `wal/` (`restore_command = 'cp /archive/wal/%f %p'`).
//! - **MySQL**: PVC and CronJob `<name>-backup` (daily `mysqldump --single-transaction
//!   --all-databases` as root, with the binlog position of the dump, `--source-data=2`), and PVC
//!   and CronJob `<name>-binlog` (every 15 minutes, `FLUSH BINARY LOGS`, then every closed
//!   binary log copied with `mysqlbinlog --read-from-remote-server --raw`): the dump plus the
//!   binlogs after its position are a point-in-time recovery.
//! - **Redis**: PVC and CronJob `<name>-backup` (`redis-cli --rdb`).
//!
//! Dumps are gzipped into their claim with a UTC timestamp; what is older than the retention is
//! deleted, only after a run succeeded. Claims have the store's storage size (the IR has no
//! separate backup size).
//!
//! The job runs the chart's own engine image (`bitnamilegacy`, the tags of platc-helm's pin
//! table, so client and server versions match) as the image's uid 1001, hardened like the
//! StatefulSet layout's CronJobs. Credentials: the chart's key (`replication-password`,
//! `mysql-root-password`, `redis-password`) of the Secret `credentials_secret`, mounted as a file and read into
//! `PGPASSWORD` / `MYSQL_PWD` / `REDISCLI_AUTH` by the shell (never a literal, never `secretKeyRef`, never on a
//! command line).
//!
//! **Labels.** The pods carry exactly the store's pod labels from the IR
//! (`app.kubernetes.io/instance`, `app.kubernetes.io/name`): the NetworkPolicy
//! `<store>-internal` admits those pods to the store's port. The charts' client Services also
//! select `app.kubernetes.io/component` (`primary`/`master`/`replica`), which the job's pods do
//! not carry. Some chart Services select the two labels alone (redis `<name>-headless`, the
//! `<name>-metrics` Services), but all of them use *named* target ports (`redis`, `mysql`,
//! `tcp-postgresql`, `metrics`) and the job's container declares no ports, so the endpoint controllers
//! never add a backup pod to any of them.

use platc_ir::{Engine, Labels};
use platc_yaml::{Mapping, Yaml};

use crate::{label_map, object, resources, storage_request, strs, Cx, BACKUP};

/// The Bitnami images' user and group.
const BITNAMI_UID: i64 = 1001;
const BACKUPS: &str = "/backups";
const CREDENTIALS: &str = "/credentials";

/// Keys the Bitnami charts read from `auth.existingSecret` (fixed by the charts).
pub(crate) const MYSQL_ROOT_PASSWORD_KEY: &str = "mysql-root-password";
pub(crate) const REDIS_PASSWORD_KEY: &str = "redis-password";
pub(crate) const POSTGRES_REPLICATION_PASSWORD_KEY: &str = "replication-password";

/// Checkov findings this job accepts on purpose (annotation value per check).
const SKIP_UID: &str =
    "CKV_K8S_40=the Bitnami image's files belong to uid 1001, the uid its charts run it as";
const SKIP_DIGEST: &str =
    "CKV_K8S_43=images are pinned by exact version tags, the same tags as the chart's release";

/// `docker.io/bitnamilegacy/<engine>:<tag>` from [`crate::images`], the table the Helm values
/// use too; `None` for MongoDB (its chart dumps itself) and for a version without a pin (the
/// checker refuses it, and platc-helm fails the release with `NoImage` first).
pub(crate) fn image(engine: Engine, version: &str) -> Option<String> {
    if engine == Engine::Mongodb {
        return None;
    }
    let tag = crate::images::tag(engine, version)?;
    Some(format!(
        "{}/{}:{tag}",
        crate::images::REGISTRY,
        crate::images::repository(engine)
    ))
}

/// One backup CronJob: what it runs, on which claim, as whom.
struct Job {
    /// CronJob name.
    name: String,
    schedule: String,
    /// The claim mounted at [`BACKUPS`].
    claim: String,
    /// The key of the credentials Secret mounted at [`CREDENTIALS`].
    key: &'static str,
    script: String,
    /// `activeDeadlineSeconds` (and, at most an hour, `startingDeadlineSeconds`).
    deadline: i64,
    /// Required pod affinity (a job that shares a ReadWriteOnce claim with the primary).
    affinity: Option<Mapping>,
}

/// The file of an in-cluster PostgreSQL, MySQL or Redis store; `None` for MongoDB (its chart
/// backs up itself).
pub(crate) fn file(cx: &Cx<'_>) -> Option<(String, Vec<Yaml>)> {
    let store = cx.store;
    let image = image(store.engine, &store.version)?;
    let mut objects: Vec<Yaml> = Vec::new();
    let mut add = |job: Job| {
        objects.push(claim(cx, &job.claim).into());
        objects.push(cron_job(cx, &image, job).into());
    };
    match store.engine {
        Engine::Mysql => {
            add(Job {
                name: name(cx),
                schedule: store.backup.schedule.clone(),
                claim: name(cx),
                key: MYSQL_ROOT_PASSWORD_KEY,
                script: mysql_script(cx),
                deadline: 6 * 3600,
                affinity: None,
            });
            let binlog = format!("{}-binlog", store.name);
            add(Job {
                name: binlog.clone(),
                schedule: BINLOG_SCHEDULE.into(),
                claim: binlog.clone(),
                key: MYSQL_ROOT_PASSWORD_KEY,
                script: binlog_script(cx),
                // Every 15 minutes: a run must not hold up the next ones long.
                deadline: 1800,
                affinity: None,
            });
        }
        Engine::Redis => add(Job {
            name: name(cx),
            schedule: store.backup.schedule.clone(),
            claim: name(cx),
            key: REDIS_PASSWORD_KEY,
            script: redis_script(cx),
            // Frequent (every 15 minutes by default): a run must not hold up the next ones long.
            deadline: 1800,
            affinity: None,
        }),
        Engine::Postgresql => add(Job {
            name: crate::base_backup_job(store),
            schedule: store.backup.schedule.clone(),
            claim: store.archive_claim(),
            key: POSTGRES_REPLICATION_PASSWORD_KEY,
            script: base_backup_script(cx),
            deadline: 6 * 3600,
            affinity: Some(next_to_primary(cx)),
        }),
        Engine::Mongodb => return None,
    }
    Some((crate::backup_file_name(store), objects))
}

fn name(cx: &Cx<'_>) -> String {
    format!("{}-backup", cx.store.name)
}

fn host<'a>(cx: &Cx<'a>) -> &'a str {
    cx.store.host.as_deref().unwrap_or(&cx.store.name)
}

/// Retention in minutes (`find -mmin`), at least one day.
fn retention_minutes(cx: &Cx<'_>) -> u64 {
    u64::from(cx.store.backup.retention_days.max(1)) * 24 * 60
}

/// Object labels: the pods' labels too, so `kubectl get all -l` finds everything of the store.
fn labels(cx: &Cx<'_>) -> Labels {
    let mut l = cx.object_labels();
    l.extend(cx.pod_labels());
    l
}

/// The shell around a dump command that writes `"$partial.gz"`: a timestamped name, a rename
/// once the dump is complete (a failed run leaves nothing behind), then the retention, only
/// after a successful dump.
fn script(cx: &Cx<'_>, prefix: &str, ext: &str, login: &str, dump: &str) -> String {
    format!(
        "set -euo pipefail\n\
         umask 0077\n\
         {login}\n\
         stamp=\"$(date -u +%Y%m%dT%H%M%SZ)\"\n\
         partial=\"{BACKUPS}/.{prefix}-$stamp.{ext}\"\n\
         trap 'rm -f \"$partial\" \"$partial.gz\"' EXIT\n\
         {dump}\n\
         mv \"$partial.gz\" \"{BACKUPS}/{prefix}-$stamp.{ext}.gz\"\n\
         find {BACKUPS} -maxdepth 1 -type f -name '{prefix}-*.{ext}.gz' -mmin +{minutes} -delete\n",
        minutes = retention_minutes(cx),
    )
}

fn mysql_login() -> String {
    format!("MYSQL_PWD=\"$(cat {CREDENTIALS}/{MYSQL_ROOT_PASSWORD_KEY})\"\nexport MYSQL_PWD")
}

fn mysql_script(cx: &Cx<'_>) -> String {
    script(
        cx,
        "mysqldump",
        "sql",
        &mysql_login(),
        &format!(
            "mysqldump --host={} --port={} --user=root --single-transaction --all-databases \\\n  \
             --routines --events --triggers --hex-blob --source-data=2 | gzip > \"$partial.gz\"",
            host(cx),
            cx.store.port,
        ),
    )
}

/// How often the binary logs are copied off the primary: the recovery point objective between
/// two daily dumps.
pub(crate) const BINLOG_SCHEDULE: &str = "*/15 * * * *";

/// Copies every closed binary log of the primary that the claim does not hold yet, byte for
/// byte (`mysqlbinlog --read-from-remote-server --raw`). `FLUSH BINARY LOGS` first closes the
/// current log, so a run captures every transaction committed before it: replaying these
/// files (`mysqlbinlog FILE... | mysql`) from the position a dump records (`--source-data=2`)
/// is a point-in-time recovery. Copies are deleted a day after the retention, when the server
/// (which keeps its logs at most `BackupIr::binlog_server_days`) no longer lists them.
fn binlog_script(cx: &Cx<'_>) -> String {
    let (h, p) = (host(cx), cx.store.port);
    let minutes = retention_minutes(cx) + 24 * 60;
    format!(
        "set -euo pipefail\n\
         umask 0077\n\
         {login}\n\
         trap 'rm -f {BACKUPS}/.partial-* /tmp/binlogs' EXIT\n\
         client=(--host={h} --port={p} --user=root)\n\
         mysql \"${{client[@]}}\" --batch --skip-column-names --execute='FLUSH BINARY LOGS'\n\
         mysql \"${{client[@]}}\" --batch --skip-column-names --execute='SHOW BINARY LOGS' > /tmp/binlogs\n\
         logs=()\n\
         while IFS=$'\\t' read -r log _; do\n  \
         logs+=(\"$log\")\n\
         done < /tmp/binlogs\n\
         # The last one is the log the server writes now.\n\
         for ((i = 0; i + 1 < ${{#logs[@]}}; i++)); do\n  \
         log=\"${{logs[$i]}}\"\n  \
         if [ -f \"{BACKUPS}/$log\" ]; then\n    \
         continue\n  \
         fi\n  \
         mysqlbinlog \"${{client[@]}}\" --read-from-remote-server --raw \\\n    \
         --result-file={BACKUPS}/.partial- \"$log\"\n  \
         mv \"{BACKUPS}/.partial-$log\" \"{BACKUPS}/$log\"\n\
         done\n\
         find {BACKUPS} -maxdepth 1 -type f ! -name '.*' -mmin +{minutes} -delete\n",
        login = mysql_login(),
    )
}

fn redis_script(cx: &Cx<'_>) -> String {
    script(
        cx,
        "redis",
        "rdb",
        &format!(
            "REDISCLI_AUTH=\"$(cat {CREDENTIALS}/{REDIS_PASSWORD_KEY})\"\nexport REDISCLI_AUTH"
        ),
        &format!(
            "redis-cli -h {} -p {} --rdb \"$partial\"\n\
             gzip \"$partial\"",
            host(cx),
            cx.store.port,
        ),
    )
}

/// The archive claim (`DataStoreIr::archive_claim`) holds `wal/`, where the primary's
/// `archive_command` (set by platc-helm) copies each completed WAL segment, and `base/`, the
/// base backups of this job.
///
/// A base backup of the primary (`pg_basebackup` as the chart's replication role, tar, gzip,
/// with the WAL to make it consistent) into the archive claim; base backups older than the
/// retention are deleted after a new one succeeded, then every archived WAL segment older than
/// the oldest remaining base backup (with an hour of margin; timeline history files stay).
fn base_backup_script(cx: &Cx<'_>) -> String {
    let user = platc_ir::IN_CLUSTER_REPLICATION_USER;
    format!(
        "set -euo pipefail\n\
         umask 0077\n\
         PGPASSWORD=\"$(cat {CREDENTIALS}/{POSTGRES_REPLICATION_PASSWORD_KEY})\"\n\
         export PGPASSWORD\n\
         mkdir -p {BACKUPS}/base {BACKUPS}/wal\n\
         start=\"$(date -u +%s)\"\n\
         stamp=\"$(date -u -d \"@$start\" +%Y%m%dT%H%M%SZ)\"\n\
         partial=\"{BACKUPS}/base/.base-$stamp\"\n\
         trap 'rm -rf \"$partial\" /tmp/wal-horizon' EXIT\n\
         pg_basebackup --host={h} --port={p} --username={user} --no-password \\\n  \
         --pgdata=\"$partial\" --format=tar --gzip --wal-method=stream --checkpoint=fast\n\
         echo \"$start\" > \"$partial/started-at\"\n\
         mv \"$partial\" \"{BACKUPS}/base/base-$stamp\"\n\
         find {BACKUPS}/base -mindepth 1 -maxdepth 1 -type d -name 'base-*' -mmin +{minutes} \\\n  \
         -exec rm -rf {{}} +\n\
         # The oldest base backup left (the glob sorts by time stamp); the new one at least.\n\
         backups=({BACKUPS}/base/base-*)\n\
         horizon=$(( $(cat \"${{backups[0]}}/started-at\") - 3600 ))\n\
         touch -d \"@$horizon\" /tmp/wal-horizon\n\
         find {BACKUPS}/wal -maxdepth 1 -type f ! -name '*.history' ! -newer /tmp/wal-horizon -delete\n",
        h = host(cx),
        p = cx.store.port,
        minutes = retention_minutes(cx),
    )
}

/// The archive claim is ReadWriteOnce and mounted by the primary: the job must run on the
/// primary's node (the chart labels the primary pod `app.kubernetes.io/component: primary`).
fn next_to_primary(cx: &Cx<'_>) -> Mapping {
    let mut selector = label_map(&cx.pod_labels());
    selector.insert("app.kubernetes.io/component", "primary");
    Mapping::new().with(
        "podAffinity",
        Mapping::new().with(
            "requiredDuringSchedulingIgnoredDuringExecution",
            Yaml::Seq(vec![Mapping::new()
                .with(
                    "labelSelector",
                    Mapping::new().with("matchLabels", selector),
                )
                .with("topologyKey", "kubernetes.io/hostname")
                .into()]),
        ),
    )
}

fn claim(cx: &Cx<'_>, claim_name: &str) -> Mapping {
    object(
        "v1",
        "PersistentVolumeClaim",
        cx.metadata(claim_name, &labels(cx)),
    )
    .with(
        "spec",
        Mapping::new()
            .with("accessModes", strs(&["ReadWriteOnce"]))
            .with("resources", storage_request(&cx.store.storage)),
    )
}

fn seccomp() -> Mapping {
    Mapping::new().with("type", "RuntimeDefault")
}

fn mount(name: &str, path: &str, read_only: bool) -> Yaml {
    let mut m = Mapping::new().with("name", name).with("mountPath", path);
    if read_only {
        m.insert("readOnly", true);
    }
    m.into()
}

fn cron_job(cx: &Cx<'_>, image: &str, job: Job) -> Mapping {
    let store = cx.store;
    let Job {
        name: job_name,
        schedule,
        claim: claim_name,
        key,
        script,
        deadline,
        affinity,
    } = job;
    let container = Mapping::new()
        .with("name", "backup")
        .with("image", image)
        .with("imagePullPolicy", "Always")
        .with("command", strs(&["/bin/bash", "-c", &script]))
        .with(
            "env",
            Yaml::Seq(vec![Mapping::new()
                .with("name", "HOME")
                .with("value", "/tmp")
                .into()]),
        )
        .with("resources", resources(BACKUP))
        .with(
            "securityContext",
            Mapping::new()
                .with("allowPrivilegeEscalation", false)
                .with("privileged", false)
                .with("readOnlyRootFilesystem", true)
                .with("runAsNonRoot", true)
                .with("runAsUser", BITNAMI_UID)
                .with("runAsGroup", BITNAMI_UID)
                .with("capabilities", Mapping::new().with("drop", strs(&["ALL"])))
                .with("seccompProfile", seccomp()),
        )
        // No `ports`: see the module documentation (no chart Service gets an endpoint here).
        .with(
            "volumeMounts",
            Yaml::Seq(vec![
                mount("backups", BACKUPS, false),
                mount("credentials", CREDENTIALS, true),
                mount("tmp", "/tmp", false),
            ]),
        );
    let volumes = vec![
        Mapping::new()
            .with("name", "backups")
            .with(
                "persistentVolumeClaim",
                Mapping::new().with("claimName", claim_name),
            )
            .into(),
        Mapping::new()
            .with("name", "credentials")
            .with(
                "secret",
                Mapping::new()
                    .with("secretName", store.credentials_secret.as_str())
                    // Readable by the pod's group (fsGroup 1001) only.
                    .with("defaultMode", 0o440)
                    .with(
                        "items",
                        Yaml::Seq(vec![Mapping::new()
                            .with("key", key)
                            .with("path", key)
                            .into()]),
                    ),
            )
            .into(),
        Mapping::new()
            .with("name", "tmp")
            .with("emptyDir", Mapping::new())
            .into(),
    ];
    let mut pod = Mapping::new()
        .with("automountServiceAccountToken", false)
        .with("enableServiceLinks", false)
        .with("restartPolicy", "OnFailure")
        .with(
            "securityContext",
            Mapping::new()
                .with("runAsNonRoot", true)
                .with("runAsUser", BITNAMI_UID)
                .with("runAsGroup", BITNAMI_UID)
                .with("fsGroup", BITNAMI_UID)
                .with("fsGroupChangePolicy", "OnRootMismatch")
                .with("seccompProfile", seccomp()),
        );
    if let Some(a) = affinity {
        pod.insert("affinity", a);
    }
    let pod = pod
        .with("containers", Yaml::Seq(vec![container.into()]))
        .with("volumes", Yaml::Seq(volumes));
    let job = Mapping::new()
        .with("backoffLimit", 2)
        .with("activeDeadlineSeconds", deadline)
        .with("ttlSecondsAfterFinished", 86400)
        .with(
            "template",
            Mapping::new()
                .with(
                    "metadata",
                    // Exactly the IR's labels: no `app.kubernetes.io/component`.
                    Mapping::new().with("labels", label_map(&cx.pod_labels())),
                )
                .with("spec", pod),
        );
    let mut meta = cx.metadata(&job_name, &labels(cx));
    meta.insert(
        "annotations",
        Mapping::new()
            .with("checkov.io/skip1", SKIP_UID)
            .with("checkov.io/skip2", SKIP_DIGEST),
    );
    object("batch/v1", "CronJob", meta).with(
        "spec",
        Mapping::new()
            .with("schedule", schedule)
            .with("timeZone", "Etc/UTC")
            .with("concurrencyPolicy", "Forbid")
            .with("startingDeadlineSeconds", deadline.min(3600))
            .with("successfulJobsHistoryLimit", 3)
            .with("failedJobsHistoryLimit", 3)
            .with("jobTemplate", Mapping::new().with("spec", job)),
    )
}
