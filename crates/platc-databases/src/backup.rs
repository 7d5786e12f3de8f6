//! `placement = "in-cluster"` MySQL and Redis: the backups the Bitnami charts do not have.
//!
//! The postgresql and mongodb charts run their own backup CronJob (platc-helm sets it); the
//! mysql and redis charts have no backup feature, so platc writes one next to the release, in
//! `databases/<store>-backup.yaml`:
//!
//! - PVC `<name>-backup` (the store's storage size; the IR has no separate backup size);
//! - CronJob `<name>-backup` on the IR's schedule: MySQL `mysqldump --single-transaction
//!   --all-databases` as root (with the binlog position of the dump, `--source-data=2`, the
//!   starting point of a point-in-time recovery from the primary's binlog), Redis
//!   `redis-cli --rdb`; gzip into the claim with a UTC timestamp, then dumps older than the
//!   retention are deleted (only after a dump succeeded).
//!
//! The job runs the chart's own engine image (`bitnamilegacy`, the tags of platc-helm's pin
//! table, so client and server versions match) as the image's uid 1001, hardened like the
//! StatefulSet layout's CronJobs. Credentials: the chart's key (`mysql-root-password`,
//! `redis-password`) of the Secret `credentials_secret`, mounted as a file and read into
//! `MYSQL_PWD` / `REDISCLI_AUTH` by the shell (never a literal, never `secretKeyRef`, never on a
//! command line).
//!
//! **Labels.** The pods carry exactly the store's pod labels from the IR
//! (`app.kubernetes.io/instance`, `app.kubernetes.io/name`): the NetworkPolicy
//! `<store>-internal` admits those pods to the store's port. The charts' client Services also
//! select `app.kubernetes.io/component` (`primary`/`master`/`replica`), which the job's pods do
//! not carry. Some chart Services select the two labels alone (redis `<name>-headless`, the
//! `<name>-metrics` Services of both charts), but all of them use *named* target ports (`redis`,
//! `mysql`, `metrics`) and the job's container declares no ports, so the endpoint controllers
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

/// Checkov findings this job accepts on purpose (annotation value per check).
const SKIP_UID: &str =
    "CKV_K8S_40=the Bitnami image's files belong to uid 1001, the uid its charts run it as";
const SKIP_DIGEST: &str =
    "CKV_K8S_43=images are pinned by exact version tags, the same tags as the chart's release";

/// `docker.io/bitnamilegacy/<engine>:<tag>`, the tags of platc-helm's `charts.rs` (a test
/// compares the two tables). An unpinned version (the checker refuses it) gets the tag of the
/// default version.
pub(crate) fn image(engine: Engine, version: &str) -> Option<String> {
    let (repository, tag) = match (engine, version) {
        (Engine::Mysql, "8.0") => ("mysql", "8.0.40-debian-12-r5"),
        (Engine::Mysql, _) => ("mysql", "8.4.5-debian-12-r0"),
        (Engine::Redis, "7.0") => ("redis", "7.0.15-debian-12-r14"),
        (Engine::Redis, "7.4") => ("redis", "7.4.3-debian-12-r0"),
        (Engine::Redis, _) => ("redis", "7.2.5-debian-12-r6"),
        _ => return None,
    };
    Some(format!("docker.io/bitnamilegacy/{repository}:{tag}"))
}

/// The file for an in-cluster MySQL or Redis store; `None` for other engines.
pub(crate) fn file(cx: &Cx<'_>) -> Option<(String, Vec<Yaml>)> {
    let store = cx.store;
    let image = image(store.engine, &store.version)?;
    let (key, script, deadline) = match store.engine {
        Engine::Mysql => (MYSQL_ROOT_PASSWORD_KEY, mysql_script(cx), 6 * 3600),
        // Frequent (every 15 minutes by default): a run must not hold up the next ones long.
        Engine::Redis => (REDIS_PASSWORD_KEY, redis_script(cx), 1800),
        _ => return None,
    };
    Some((
        format!("databases/{}-backup.yaml", store.name),
        vec![
            claim(cx).into(),
            cron_job(cx, &image, key, script, deadline).into(),
        ],
    ))
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

fn mysql_script(cx: &Cx<'_>) -> String {
    script(
        cx,
        "mysqldump",
        "sql",
        &format!("MYSQL_PWD=\"$(cat {CREDENTIALS}/{MYSQL_ROOT_PASSWORD_KEY})\"\nexport MYSQL_PWD"),
        &format!(
            "mysqldump --host={} --port={} --user=root --single-transaction --all-databases \\\n  \
             --routines --events --triggers --hex-blob --source-data=2 | gzip > \"$partial.gz\"",
            host(cx),
            cx.store.port,
        ),
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

fn claim(cx: &Cx<'_>) -> Mapping {
    object(
        "v1",
        "PersistentVolumeClaim",
        cx.metadata(&name(cx), &labels(cx)),
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

fn cron_job(cx: &Cx<'_>, image: &str, key: &str, script: String, deadline: i64) -> Mapping {
    let store = cx.store;
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
                Mapping::new().with("claimName", name(cx)),
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
    let pod = Mapping::new()
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
        )
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
    let mut meta = cx.metadata(&name(cx), &labels(cx));
    meta.insert(
        "annotations",
        Mapping::new()
            .with("checkov.io/skip1", SKIP_UID)
            .with("checkov.io/skip2", SKIP_DIGEST),
    );
    object("batch/v1", "CronJob", meta).with(
        "spec",
        Mapping::new()
            .with("schedule", store.backup.schedule.as_str())
            .with("timeZone", "Etc/UTC")
            .with("concurrencyPolicy", "Forbid")
            .with("startingDeadlineSeconds", deadline.min(3600))
            .with("successfulJobsHistoryLimit", 3)
            .with("failedJobsHistoryLimit", 3)
            .with("jobTemplate", Mapping::new().with("spec", job)),
    )
}
