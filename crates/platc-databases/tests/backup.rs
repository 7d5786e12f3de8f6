//! In-cluster PostgreSQL, MySQL and Redis: the backup file (`databases/<store>-backup.yaml`)
//! with what their Bitnami charts lack (WAL archive and base backups; dumps and binlog copies). Objects validate against the Kubernetes 1.31
//! schemas, pods carry exactly the IR's store labels, the schedule and retention are the IR's,
//! no credential is in the output.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use jsonschema::{Draft, Registry, Resource, Validator};
use platc_ir::{DataStoreIr, Engine, Ir, Placement, StoreEndpoint};
use serde_json::Value;

const DEFINITIONS_URI: &str = "https://kubernetes.io/api/_definitions.json";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// An in-cluster stage: PostgreSQL, MySQL and Redis (1 and 3 replicas, default and other
/// versions), and MongoDB, whose chart backs up itself (no file from this crate).
fn source() -> String {
    let mut s = String::from(
        r#"
version = 1

[platform]
name = "acme"
domain = "acme.example"
cloud = "aws"
region = "eu-central-1"
registry = "ghcr.io/acme"

[stages.dev]
namespace = "{app}-dev"
deploy = "push"
databases = "in-cluster"
caches = "in-cluster"

[apps.shop]
team = "shop-team"
"#,
    );
    for (engine, kind, version) in [
        ("mysql", "database", "8.0"),
        ("redis", "cache", "7.4"),
        ("postgresql", "database", "16"),
        ("mongodb", "database", "7.0"),
    ] {
        for replicas in [1, 3] {
            // Replicas 3 with a non-default version, replicas 1 with the default.
            let version = if replicas == 3 {
                format!(", version = \"{version}\"")
            } else {
                String::new()
            };
            s.push_str(&format!(
                "\n[apps.shop.services.{engine}-r{replicas}]\nport = 8080\ntag = \"1.0.0\"\n\
                 {kind} = {{ engine = \"{engine}\", storage = \"20Gi\", replicas = {replicas}{version} }}\n"
            ));
        }
    }
    s
}

fn ir() -> Ir {
    let checked = platc_check::check(&source());
    assert!(checked.problems.is_empty(), "{:#?}", checked.problems);
    platc_ir::resolve(&checked.document).expect("resolve")
}

fn stores(ir: &Ir) -> Vec<DataStoreIr> {
    ir.apps
        .iter()
        .flat_map(|a| &a.stages)
        .flat_map(|s| &s.workloads)
        .flat_map(|w| w.database.iter().chain(w.cache.iter()))
        .cloned()
        .collect()
}

/// (store, file name, objects as JSON, YAML text) for every file of every store.
fn emitted(ir: &Ir) -> Vec<(DataStoreIr, String, Vec<Value>, String)> {
    let mut out = Vec::new();
    for app in &ir.apps {
        for stage in &app.stages {
            for w in &stage.workloads {
                let svc = app.services.iter().find(|s| s.name == w.service).unwrap();
                for store in w.database.iter().chain(w.cache.iter()) {
                    for (file, docs) in platc_databases::store_files(ir, app, stage, svc, store) {
                        let text = platc_yaml::to_documents(&docs);
                        let values = text
                            .split("\n---\n")
                            .map(|d| serde_norway::from_str::<Value>(d).expect("parses"))
                            .collect();
                        out.push((store.clone(), file, values, text));
                    }
                }
            }
        }
    }
    out
}

/// The strict Kubernetes 1.31 schema of a PersistentVolumeClaim or CronJob.
fn validator(object: &Value) -> Validator {
    let defs: Value = read(&root().join("tests/data/k8s/v1.31.0/_definitions.json"));
    let registry = Registry::new()
        .draft(Draft::Draft202012)
        .add(DEFINITIONS_URI, Resource::from_contents(defs))
        .and_then(|b| b.prepare())
        .unwrap();
    let file = match object["kind"].as_str().unwrap() {
        "PersistentVolumeClaim" => "persistentvolumeclaim-v1.json",
        "CronJob" => "cronjob-batch-v1.json",
        k => panic!("unexpected kind {k}"),
    };
    let schema = read(&root().join("tests/data/k8s/v1.31.0").join(file));
    let draft = match schema.get("$schema") {
        None => Draft::Draft202012,
        Some(_) => Draft::default().detect(&schema),
    };
    jsonschema::options()
        .with_draft(draft)
        .with_registry(&registry)
        .should_validate_formats(false)
        .offline()
        .build(&schema)
        .unwrap()
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn errors(v: &Validator, object: &Value) -> Vec<String> {
    v.iter_errors(object)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn ir_labels(store: &DataStoreIr) -> serde_json::Map<String, Value> {
    match &store.endpoint {
        StoreEndpoint::Pods { labels } => labels
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
        StoreEndpoint::External { .. } => panic!("external"),
    }
}

fn script_of(cron: &Value) -> String {
    let c = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["command"][0], "/bin/bash");
    assert_eq!(c["command"][1], "-c");
    c["command"][2].as_str().unwrap().to_string()
}

fn cron_jobs_of(objects: &[Value]) -> Vec<&Value> {
    objects.iter().filter(|o| o["kind"] == "CronJob").collect()
}

/// (claim, CronJob, credentials key) names of each engine's backup objects, in file order.
fn expected_objects(store: &DataStoreIr) -> Vec<(String, String, &'static str)> {
    let n = &store.name;
    match store.engine {
        Engine::Postgresql => vec![(
            format!("{n}-archive"),
            format!("{n}-basebackup"),
            "replication-password",
        )],
        Engine::Mysql => vec![
            (
                format!("{n}-backup"),
                format!("{n}-backup"),
                "mysql-root-password",
            ),
            (
                format!("{n}-binlog"),
                format!("{n}-binlog"),
                "mysql-root-password",
            ),
        ],
        Engine::Redis => vec![(
            format!("{n}-backup"),
            format!("{n}-backup"),
            "redis-password",
        )],
        Engine::Mongodb => Vec::new(),
    }
}

#[test]
fn in_cluster_postgresql_mysql_and_redis_get_a_backup_file() {
    let ir = ir();
    let stores = stores(&ir);
    assert_eq!(stores.len(), 8);
    assert!(stores.iter().all(|s| s.placement == Placement::InCluster));
    let out = emitted(&ir);
    assert_eq!(out.len(), 6);
    let mut problems = Vec::new();
    for store in &stores {
        let files: Vec<_> = out.iter().filter(|e| e.0.name == store.name).collect();
        if store.engine == Engine::Mongodb {
            assert!(
                files.is_empty(),
                "{}: the chart backs up itself",
                store.name
            );
            continue;
        }
        assert_eq!(files.len(), 1, "{}", store.name);
        let (_, file, objects, text) = files[0];
        assert_eq!(file, &format!("databases/{}-backup.yaml", store.name));
        let expected = expected_objects(store);
        let kinds: Vec<_> = objects
            .iter()
            .map(|o| o["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds.len(), 2 * expected.len());
        for (i, (claim, cron_name, key)) in expected.iter().enumerate() {
            let pvc = &objects[2 * i];
            let cron = &objects[2 * i + 1];
            assert_eq!(pvc["kind"], "PersistentVolumeClaim");
            assert_eq!(cron["kind"], "CronJob");
            assert_eq!(pvc["metadata"]["name"], claim.as_str());
            assert_eq!(cron["metadata"]["name"], cron_name.as_str());
            // The claim: the store's size.
            assert_eq!(
                pvc["spec"]["resources"]["requests"]["storage"],
                store.storage.as_str()
            );
            let template = &cron["spec"]["jobTemplate"]["spec"]["template"];
            // Exactly the IR's labels: the store's NetworkPolicies admit these pods, and
            // without `app.kubernetes.io/component` no chart client Service selects them.
            assert_eq!(
                template["metadata"]["labels"],
                Value::Object(ir_labels(store))
            );
            assert!(template["metadata"]["labels"]
                .get("app.kubernetes.io/component")
                .is_none());
            let pod = &template["spec"];
            assert_eq!(
                pod["volumes"][0]["persistentVolumeClaim"]["claimName"],
                claim.as_str()
            );
            // Credentials: one key of the store's Secret, as a file; never an env value.
            let secret = &pod["volumes"][1]["secret"];
            assert_eq!(secret["secretName"], store.credentials_secret.as_str());
            assert_eq!(
                secret["items"],
                serde_json::json!([{ "key": key, "path": key }])
            );
        }
        for o in objects {
            assert_eq!(o["metadata"]["namespace"], "shop-dev");
            let v = validator(o);
            for e in errors(&v, o) {
                problems.push(format!("{file} {}: {e}", o["kind"]));
            }
            // The schema is strict: an unknown field fails.
            let mut broken = o.clone();
            broken["spec"]["notAField"] = Value::Bool(true);
            assert!(!errors(&v, &broken).is_empty());
        }
        assert!(!text.contains("secretKeyRef"));
        assert!(!text.contains("kind: Secret"));
        assert!(!text.to_lowercase().contains("password:"));
        let crons = cron_jobs_of(objects);
        let script = script_of(crons[0]);
        let host = store.host.as_deref().unwrap();
        let minutes = u64::from(store.backup.retention_days) * 24 * 60;
        assert_eq!(crons[0]["spec"]["schedule"], store.backup.schedule.as_str());
        assert!(script.starts_with("set -euo pipefail\numask 0077\n"));
        match store.engine {
            Engine::Mysql => {
                assert!(script.contains(
                    "MYSQL_PWD=\"$(cat /credentials/mysql-root-password)\"\nexport MYSQL_PWD\n"
                ));
                assert!(script.contains(&format!(
                    "mysqldump --host={host} --port={} --user=root --single-transaction \
                     --all-databases",
                    store.port
                )));
                let binlog = script_of(crons[1]);
                assert_eq!(crons[1]["spec"]["schedule"], "*/15 * * * *");
                assert!(binlog.contains(&format!(
                    "client=(--host={host} --port={} --user=root)",
                    store.port
                )));
                assert!(binlog.contains("--execute='FLUSH BINARY LOGS'"));
                assert!(binlog.contains("--read-from-remote-server --raw"));
                // Copies outlive the server's own logs by a day (never fetched twice).
                assert!(binlog.contains(&format!("-mmin +{} -delete", minutes + 1440)));
                for s in [&script, &binlog] {
                    assert!(!s.contains("--password") && !s.contains(" -p"));
                }
            }
            Engine::Postgresql => {
                assert!(script.contains(
                    "PGPASSWORD=\"$(cat /credentials/replication-password)\"\nexport PGPASSWORD\n"
                ));
                assert!(script.contains(&format!(
                    "pg_basebackup --host={host} --port={} --username=repl_user --no-password",
                    store.port
                )));
                assert!(script.contains("--wal-method=stream"));
                assert!(script.contains(&format!("-name 'base-*' -mmin +{minutes}")));
                // WAL older than the oldest base backup left, never the timeline history.
                assert!(script.contains("! -name '*.history' ! -newer /tmp/wal-horizon -delete"));
                // The archive claim is ReadWriteOnce and the primary mounts it.
                let affinity = &crons[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
                    ["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
                    [0];
                assert_eq!(affinity["topologyKey"], "kubernetes.io/hostname");
                let mut primary = ir_labels(store);
                primary.insert(
                    "app.kubernetes.io/component".into(),
                    Value::String("primary".into()),
                );
                assert_eq!(
                    affinity["labelSelector"]["matchLabels"],
                    Value::Object(primary)
                );
            }
            _ => {
                assert!(script.contains(
                    "REDISCLI_AUTH=\"$(cat /credentials/redis-password)\"\nexport REDISCLI_AUTH\n"
                ));
                assert!(script.contains(&format!("redis-cli -h {host} -p {} --rdb", store.port)));
                assert!(!script.contains(" -a ") && !script.contains("--pass"));
            }
        }
        if store.engine != Engine::Postgresql {
            // Compressed, timestamped, then the retention (in minutes).
            assert!(script.contains("date -u +%Y%m%dT%H%M%SZ"));
            assert!(script.contains("gzip"));
            assert!(
                script.contains(&format!("-mmin +{minutes} -delete")),
                "{script}"
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn backup_defaults_follow_the_seed_table() {
    for store in stores(&ir()) {
        match store.engine {
            // Daily, 30 days; every 15 minutes, 7 days.
            Engine::Mysql => {
                assert_eq!(store.backup.retention_days, 30);
                assert_eq!(store.backup.schedule.split(' ').nth(2), Some("*"));
            }
            Engine::Redis => {
                assert_eq!(store.backup.retention_days, 7);
                assert!(store.backup.schedule.starts_with("*/15 "));
            }
            _ => {}
        }
    }
}

#[test]
fn backup_jobs_are_hardened() {
    let mut seen = 0;
    let emitted = emitted(&ir());
    for cron in emitted.iter().flat_map(|e| cron_jobs_of(&e.2)) {
        let annotations = cron["metadata"]["annotations"].as_object().unwrap();
        assert!(!annotations.is_empty());
        for (k, v) in annotations {
            // Every skipped check says why.
            assert!(k.starts_with("checkov.io/skip"));
            let (check, why) = v.as_str().unwrap().split_once('=').unwrap();
            assert!(check.starts_with("CKV_K8S_") && why.len() > 20, "{v}");
        }
        let spec = &cron["spec"];
        assert_eq!(spec["concurrencyPolicy"], "Forbid");
        assert!(spec["successfulJobsHistoryLimit"].as_i64().unwrap() <= 3);
        assert!(spec["failedJobsHistoryLimit"].as_i64().unwrap() <= 3);
        let job = &spec["jobTemplate"]["spec"];
        assert_eq!(job["backoffLimit"], 2);
        assert!(job["activeDeadlineSeconds"].as_i64().unwrap() > 0);
        let pod = &job["template"]["spec"];
        assert_eq!(pod["automountServiceAccountToken"], false);
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_eq!(pod["securityContext"]["runAsUser"], 1001);
        assert_eq!(pod["securityContext"]["fsGroup"], 1001);
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        let containers = pod["containers"].as_array().unwrap();
        assert_eq!(containers.len(), 1);
        let c = &containers[0];
        let sc = &c["securityContext"];
        assert_eq!(sc["allowPrivilegeEscalation"], false);
        assert_eq!(sc["privileged"], false);
        assert_eq!(sc["readOnlyRootFilesystem"], true);
        assert_eq!(sc["runAsNonRoot"], true);
        assert_eq!(sc["runAsUser"], 1001);
        assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));
        assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault");
        assert_eq!(c["imagePullPolicy"], "Always");
        for (a, b) in [
            ("limits", "memory"),
            ("limits", "cpu"),
            ("requests", "memory"),
            ("requests", "cpu"),
        ] {
            assert!(c["resources"][a][b].is_string());
        }
        // No container port: the charts' Services (all with named target ports) never get an
        // endpoint for a backup pod, even those that select the store's labels alone.
        assert!(c.get("ports").is_none());
        // /tmp is an emptyDir (the root file system is read-only).
        let mounts = c["volumeMounts"].as_array().unwrap();
        let tmp = mounts.iter().find(|m| m["mountPath"] == "/tmp").unwrap();
        let tmp_volume = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == tmp["name"])
            .unwrap();
        assert!(tmp_volume["emptyDir"].is_object());
        let creds = mounts
            .iter()
            .find(|m| m["mountPath"] == "/credentials")
            .unwrap();
        assert_eq!(creds["readOnly"], true);
        seen += 1;
    }
    assert_eq!(seen, 8);
}

/// The job's image is the chart's: the `bitnamilegacy` repository and the tag pinned for the
/// store's version in `platc_databases::images`, the table platc-helm's chart pins use too.
#[test]
fn backup_images_match_the_helm_pins() {
    let mut versions = std::collections::BTreeSet::new();
    for (store, _, objects, _) in emitted(&ir()) {
        let cron = cron_jobs_of(&objects)[0];
        let image = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
            ["image"]
            .as_str()
            .unwrap();
        let tag = platc_databases::images::tag(store.engine, &store.version).unwrap_or_else(|| {
            panic!(
                "{} {} has no pinned tag",
                store.engine.as_str(),
                store.version
            )
        });
        assert_eq!(
            image,
            format!(
                "docker.io/{}:{tag}",
                platc_databases::images::repository(store.engine)
            )
        );
        assert_eq!(
            platc_databases::images::repository(store.engine),
            format!("bitnamilegacy/{}", store.engine.as_str())
        );
        versions.insert(format!("{} {}", store.engine.as_str(), store.version));
    }
    assert_eq!(versions.len(), 5, "{versions:?}");
}

/// The scripts parse (`bash -n`), where a bash is at hand.
#[test]
fn backup_scripts_parse() {
    let emitted = emitted(&ir());
    for cron in emitted.iter().flat_map(|e| cron_jobs_of(&e.2)) {
        let script = script_of(cron);
        let Ok(out) = std::process::Command::new("bash")
            .args(["-n", "-c", &script])
            .output()
        else {
            return;
        };
        assert!(
            out.status.success(),
            "{script}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn deterministic() {
    let a: Vec<String> = emitted(&ir()).into_iter().map(|e| e.3).collect();
    let b: Vec<String> = emitted(&ir()).into_iter().map(|e| e.3).collect();
    assert_eq!(a, b);
}
