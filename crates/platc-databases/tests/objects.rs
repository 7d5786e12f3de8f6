//! Every emitted object validates against the strict schema of its kind; pods carry the IR's
//! labels; output is deterministic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use jsonschema::{Draft, Registry, Resource, Validator};
use platc_ir::{DataStoreIr, Engine, Ir, Placement, StoreEndpoint};
use serde_json::Value;

const DEFINITIONS_URI: &str = "https://kubernetes.io/api/_definitions.json";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

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

[stages.ops]
namespace = "{app}-ops"
deploy = "push"
databases = "operator"

[stages.sts]
namespace = "{app}-sts"
deploy = "push"
databases = "statefulset"

[apps.shop]
team = "shop-team"
"#,
    );
    for (engine, kind) in [
        ("postgresql", "database"),
        ("mysql", "database"),
        ("mongodb", "database"),
        ("redis", "cache"),
    ] {
        for replicas in [1, 3] {
            // Only PostgreSQL runs in platc's StatefulSet: others stay in-cluster there.
            let over = if engine == "postgresql" {
                String::new()
            } else {
                format!("\n[apps.shop.services.{engine}-r{replicas}.stages.sts.{kind}]\nplacement = \"in-cluster\"\n")
            };
            s.push_str(&format!(
                "\n[apps.shop.services.{engine}-r{replicas}]\nport = 8080\ntag = \"1.0.0\"\n\
                 {kind} = {{ engine = \"{engine}\", storage = \"20Gi\", replicas = {replicas} }}\n{over}"
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

/// (store, file name, objects as JSON) for every store of every stage.
fn emitted(ir: &Ir) -> Vec<(DataStoreIr, String, Vec<Value>, String)> {
    let mut out = Vec::new();
    for app in &ir.apps {
        for stage in &app.stages {
            for w in &stage.workloads {
                let svc = app.services.iter().find(|s| s.name == w.service).unwrap();
                for store in w.database.iter().chain(w.cache.iter()) {
                    // The InnoDBCluster (outside the overlay) first: the operator's resource.
                    let files = platc_databases::cluster_files(ir, app, stage, svc, store)
                        .into_iter()
                        .chain(platc_databases::store_files(ir, app, stage, svc, store));
                    for (file, docs) in files {
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

struct Schemas {
    registry: Registry<'static>,
}

impl Schemas {
    fn load() -> Self {
        let defs: Value = read(&root().join("tests/data/k8s/v1.31.0/_definitions.json"));
        let registry = Registry::new()
            .draft(Draft::Draft202012)
            .add(DEFINITIONS_URI, Resource::from_contents(defs))
            .and_then(|b| b.prepare())
            .unwrap();
        Self { registry }
    }

    fn compile(&self, schema: &Value) -> Validator {
        let draft = match schema.get("$schema") {
            None => Draft::Draft202012,
            Some(_) => Draft::default().detect(schema),
        };
        jsonschema::options()
            .with_draft(draft)
            .with_registry(&self.registry)
            .should_validate_formats(false)
            .offline()
            .build(schema)
            .unwrap()
    }

    fn for_object(&self, object: &Value) -> Validator {
        let api = object["apiVersion"].as_str().unwrap();
        let kind = object["kind"].as_str().unwrap();
        let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
        let k = kind.to_lowercase();
        if !group.contains('.') {
            let file = match group {
                "" => format!("{k}-{version}.json"),
                g => format!("{k}-{g}-{version}.json"),
            };
            let path = root().join("tests/data/k8s/v1.31.0").join(&file);
            if path.is_file() {
                return self.compile(&read(&path));
            }
            // PersistentVolumeClaim has no kind file under tests/data/k8s/v1.31.0 (only 12
            // kinds were copied); validate against the same strict definition the kind files
            // reference.
            assert_eq!(kind, "PersistentVolumeClaim", "no schema {file}");
            return self.compile(&serde_json::json!({
                "$id": "https://kubernetes.io/api/persistentvolumeclaim/v1",
                "$ref": "/api/_definitions.json#/$defs/io.k8s.api.core.v1.PersistentVolumeClaim"
            }));
        }
        let path = root()
            .join("tests/data/crds")
            .join(group)
            .join(format!("{k}_{version}.json"));
        self.compile(&read(&path))
    }
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn errors(v: &Validator, object: &Value) -> Vec<String> {
    v.iter_errors(object)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn every_object_validates_against_its_schema() {
    let ir = ir();
    let schemas = Schemas::load();
    let out = emitted(&ir);
    let mut kinds = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    for (store, file, objects, _) in &out {
        if store.placement == Placement::InCluster {
            // In-cluster MySQL and Redis: the backup the chart does not have (tests/backup.rs).
            assert_eq!(file, &format!("databases/{}-backup.yaml", store.name));
        } else if file.starts_with("operator-clusters/") {
            assert_eq!(file, &format!("operator-clusters/ops/{}.yaml", store.name));
            // Applied with `--namespace`: the schema admits only the name.
            assert!(objects[0]["metadata"].get("namespace").is_none());
        } else {
            assert_eq!(file, &format!("databases/{}.yaml", store.name));
        }
        for o in objects {
            kinds.insert(format!("{} {}", o["apiVersion"], o["kind"]));
            let v = schemas.for_object(o);
            for e in errors(&v, o) {
                problems.push(format!(
                    "{file} {} {}: {e}",
                    o["kind"], o["metadata"]["name"]
                ));
            }
            let name = o["metadata"]["name"].as_str().unwrap();
            assert!(name.len() <= 63, "{name}");
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for kind in [
        "\"acid.zalan.do/v1\" \"postgresql\"",
        "\"psmdb.percona.com/v1\" \"PerconaServerMongoDB\"",
        "\"databases.spotahome.com/v1\" \"RedisFailover\"",
        "\"mysql.oracle.com/v2\" \"InnoDBCluster\"",
        "\"batch/v1\" \"Job\"",
        "\"apps/v1\" \"StatefulSet\"",
        "\"batch/v1\" \"CronJob\"",
        "\"v1\" \"Service\"",
        "\"v1\" \"ConfigMap\"",
        "\"v1\" \"PersistentVolumeClaim\"",
    ] {
        assert!(kinds.contains(kind), "{kind} not emitted: {kinds:?}");
    }
    // 3 engines × 2 replica counts (operator), MySQL's 2 × 2 (cluster file and user job),
    // 2 PostgreSQL StatefulSets, the backups of the 2 in-cluster MySQL and 2 in-cluster Redis
    // stores (the sts stage).
    assert_eq!(out.len(), 16);
}

#[test]
fn broken_objects_fail() {
    let ir = ir();
    let schemas = Schemas::load();
    let mut checked = 0;
    for (_, _, objects, _) in emitted(&ir) {
        for o in objects {
            let v = schemas.for_object(&o);
            let mut broken = o.clone();
            broken["spec"]["notAField"] = Value::Bool(true);
            assert!(
                !errors(&v, &broken).is_empty(),
                "{} accepted an unknown field",
                o["kind"]
            );
            checked += 1;
        }
    }
    assert!(checked > 10);
    // A wrong type deep inside a CR.
    let (_, _, objects, _) = emitted(&ir)
        .into_iter()
        .find(|(s, _, o, _)| s.engine == Engine::Postgresql && o[0]["kind"] == "postgresql")
        .unwrap();
    let mut pg = objects[0].clone();
    pg["spec"]["postgresql"]["version"] = Value::String("9.6".into());
    assert!(!errors(&schemas.for_object(&pg), &pg).is_empty());
}

#[test]
fn deterministic() {
    let a: Vec<String> = emitted(&ir()).into_iter().map(|e| e.3).collect();
    let b: Vec<String> = emitted(&ir()).into_iter().map(|e| e.3).collect();
    assert_eq!(a, b);
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

#[test]
fn statefulset_and_cronjob_pods_carry_exactly_the_ir_labels() {
    let ir = ir();
    let mut seen = 0;
    for (store, _, objects, _) in emitted(&ir) {
        let want = Value::Object(ir_labels(&store));
        for o in &objects {
            let template = match o["kind"].as_str().unwrap() {
                "StatefulSet" => &o["spec"]["template"],
                "CronJob" => &o["spec"]["jobTemplate"]["spec"]["template"],
                _ => continue,
            };
            assert_eq!(
                template["metadata"]["labels"], want,
                "{}",
                o["metadata"]["name"]
            );
            seen += 1;
        }
        // The primary Service selects pod 0 only; the others every instance.
        for o in objects.iter().filter(|o| o["kind"] == "Service") {
            let sel = o["spec"]["selector"].as_object().unwrap();
            for (k, v) in ir_labels(&store) {
                assert_eq!(sel.get(&k), Some(&v));
            }
        }
    }
    // 2 StatefulSets with 2 CronJobs each, 2 in-cluster Redis backup CronJobs, 2 in-cluster
    // MySQL stores with a dump and a binlog copy CronJob each.
    assert_eq!(seen, 2 * 3 + 2 + 2 * 2);
}

#[test]
fn operator_resources_name_the_pods_the_ir_expects() {
    let ir = ir();
    for (store, _, objects, _) in emitted(&ir) {
        let cr = &objects[0];
        let labels = ir_labels(&store);
        match cr["kind"].as_str().unwrap() {
            // Zalando: `cluster-name: <metadata.name>`, and the name starts with `<teamId>-`.
            "postgresql" => {
                assert_eq!(labels["cluster-name"], cr["metadata"]["name"]);
                let team = cr["spec"]["teamId"].as_str().unwrap();
                assert!(store.name.starts_with(&format!("{team}-")));
                // Logical backups exactly where the stage names a bucket to upload to.
                if store.backup_storage.is_some() {
                    assert_eq!(cr["spec"]["enableLogicalBackup"], true);
                    assert_eq!(
                        cr["spec"]["logicalBackupSchedule"],
                        store.backup.schedule.as_str()
                    );
                } else {
                    assert!(cr["spec"].get("enableLogicalBackup").is_none());
                }
                assert_eq!(
                    cr["spec"]["patroni"]["synchronous_mode"].as_bool(),
                    (store.replicas > 1).then_some(true)
                );
            }
            "PerconaServerMongoDB" => {
                assert_eq!(labels["app.kubernetes.io/instance"], cr["metadata"]["name"]);
                let size = cr["spec"]["replsets"][0]["size"].as_i64().unwrap();
                assert_eq!(size, i64::from(store.replicas));
                assert_eq!(
                    cr["spec"]["unsafeFlags"]["replsetSize"].as_bool(),
                    (size < 3).then_some(true)
                );
            }
            "RedisFailover" => {
                assert_eq!(labels["app.kubernetes.io/name"], cr["metadata"]["name"]);
                assert_eq!(
                    cr["spec"]["auth"]["secretPath"],
                    store.credentials_secret.as_str()
                );
                assert_eq!(cr["spec"]["sentinel"]["replicas"], 3);
            }
            // MySQL Operator: servers `component: mysqld` of the cluster; the router and
            // platc's user job are satellites.
            "InnoDBCluster" => {
                assert_eq!(labels["mysql.oracle.com/cluster"], cr["metadata"]["name"]);
                assert_eq!(labels["component"], "mysqld");
                assert_eq!(cr["spec"]["secretName"], store.credentials_secret.as_str());
                assert_eq!(cr["spec"]["instances"], i64::from(store.replicas));
                // No bucket in this platform: no backup profile to upload with.
                assert!(store.backup_storage.is_none());
                assert!(cr["spec"].get("backupSchedules").is_none());
                let roles: Vec<&str> = store.satellites.iter().map(|s| s.role.as_str()).collect();
                assert_eq!(roles, ["router", "user-setup"]);
            }
            "Job" => {
                // The user job's pods are the IR's `user-setup` satellite; it reaches the
                // router, whose Service is the service's host.
                let sat = store
                    .satellites
                    .iter()
                    .find(|s| s.role == "user-setup")
                    .unwrap();
                let want: serde_json::Map<String, Value> = sat
                    .labels
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                assert_eq!(
                    cr["spec"]["template"]["metadata"]["labels"],
                    Value::Object(want)
                );
                assert_eq!(sat.to_satellites, ["router"]);
                let env = cr["spec"]["template"]["spec"]["containers"][0]["env"]
                    .as_array()
                    .unwrap();
                assert!(env
                    .iter()
                    .any(|e| e["name"] == "MYSQL_HOST"
                        && e["value"] == store.host.as_deref().unwrap()));
            }
            _ => {}
        }
        // No object carries a password.
        let text = serde_json::to_string(&objects).unwrap().to_lowercase();
        assert!(!text.contains("kind\":\"secret\""));
    }
}

#[test]
fn statefulset_is_hardened() {
    let ir = ir();
    for (_, _, objects, _) in emitted(&ir) {
        for o in &objects {
            let spec = match o["kind"].as_str().unwrap() {
                "StatefulSet" => &o["spec"]["template"]["spec"],
                "CronJob" => &o["spec"]["jobTemplate"]["spec"]["template"]["spec"],
                _ => continue,
            };
            assert_eq!(spec["automountServiceAccountToken"], false);
            assert_eq!(
                spec["securityContext"]["seccompProfile"]["type"],
                "RuntimeDefault"
            );
            let containers = spec["containers"]
                .as_array()
                .unwrap()
                .iter()
                .chain(spec["initContainers"].as_array().into_iter().flatten());
            for c in containers {
                let sc = &c["securityContext"];
                assert_eq!(sc["allowPrivilegeEscalation"], false);
                assert_eq!(sc["privileged"], false);
                assert_eq!(sc["readOnlyRootFilesystem"], true);
                assert_eq!(sc["runAsNonRoot"], true);
                assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));
                assert_eq!(c["imagePullPolicy"], "Always");
                assert!(c["resources"]["limits"]["memory"].is_string());
                assert!(c["resources"]["requests"]["cpu"].is_string());
                assert!(!c["image"].as_str().unwrap().ends_with(":latest"));
                assert!(c
                    .get("env")
                    .into_iter()
                    .flat_map(|e| e.as_array().unwrap())
                    .all(|e| e
                        .get("valueFrom")
                        .is_none_or(|v| v.get("secretKeyRef").is_none())));
            }
        }
        for o in objects.iter().filter(|o| o["kind"] == "ConfigMap") {
            let hba = o["data"]["pg_hba.conf"].as_str().unwrap();
            assert!(!hba.contains("trust") && !hba.contains("md5"));
            assert!(hba.contains("hostssl all all 0.0.0.0/0 scram-sha-256"));
            let conf = o["data"]["postgresql.conf"].as_str().unwrap();
            assert!(conf.contains("ssl = on"));
            assert!(conf.contains("password_encryption = scram-sha-256"));
        }
    }
}

/// A stage that names a `backup-bucket` turns Percona's backups on: a logical backup on the IR's
/// schedule to the cloud's object storage, credentials from the Secret External Secrets
/// materialises, as many backups kept as the schedule makes in the retention. The custom
/// resource validates against the CRD schema on every cloud.
#[test]
fn percona_backups_go_to_the_stage_bucket_on_every_cloud() {
    let schemas = Schemas::load();
    for (cloud, bucket) in [
        ("aws", "acme-test-db-backups"),
        ("gcp", "acme_test_db_backups"),
        ("azure", "acme-test-db-backups"),
    ] {
        let source = format!(
            r#"
version = 1

[platform]
name = "acme"
domain = "acme.example"
cloud = "{cloud}"
region = "europe-west1"
registry = "ghcr.io/acme"

[stages.test]
namespace = "{{app}}-test"
databases = "operator"
backup-bucket = "{bucket}"

[stages.qa]
namespace = "{{app}}-qa"
databases = "operator"

[apps.shop.services.catalog]
port = 8080
database = {{ engine = "mongodb", replicas = 3 }}

[apps.shop.services.archive]
port = 8080
database = {{ engine = "mongodb", backup = {{ schedule = "0 */6 * * *", retention = "3d" }} }}
"#
        );
        let checked = platc_check::check(&source);
        assert!(checked.problems.is_empty(), "{:#?}", checked.problems);
        let ir = platc_ir::resolve(&checked.document).expect("resolve");
        let mut seen = 0;
        for (store, file, objects, _) in emitted(&ir) {
            let cr = &objects[0];
            assert_eq!(cr["kind"], "PerconaServerMongoDB");
            let v = schemas.for_object(cr);
            let errs = errors(&v, cr);
            assert!(errs.is_empty(), "{cloud} {file}: {errs:?}");
            let backup = &cr["spec"]["backup"];
            let ns = cr["metadata"]["namespace"].as_str().unwrap();
            if ns == "shop-qa" {
                // No bucket in this stage: nowhere to write to, so off.
                assert_eq!(backup["enabled"], false, "{cloud}");
                assert!(backup.get("storages").is_none());
                assert!(store.backup_storage.is_none());
                continue;
            }
            assert_eq!(backup["enabled"], true);
            let storage = &backup["storages"]["object-storage"];
            let secret = format!("{}-backup-storage", store.name);
            let prefix = format!("shop/{}", store.name);
            match cloud {
                "azure" => {
                    assert_eq!(storage["type"], "azure");
                    assert_eq!(storage["azure"]["container"], bucket);
                    assert_eq!(storage["azure"]["credentialsSecret"], secret.as_str());
                    assert_eq!(storage["azure"]["prefix"], prefix.as_str());
                }
                _ => {
                    assert_eq!(storage["type"], "s3");
                    assert_eq!(storage["s3"]["bucket"], bucket);
                    assert_eq!(storage["s3"]["region"], "europe-west1");
                    assert_eq!(storage["s3"]["credentialsSecret"], secret.as_str());
                    assert_eq!(storage["s3"]["prefix"], prefix.as_str());
                    assert_eq!(
                        storage["s3"].get("endpointUrl").and_then(Value::as_str),
                        (cloud == "gcp").then_some("https://storage.googleapis.com")
                    );
                }
            }
            let task = &backup["tasks"][0];
            assert_eq!(task["enabled"], true);
            assert_eq!(task["storageName"], "object-storage");
            assert_eq!(task["schedule"], store.backup.schedule.as_str());
            // Hourly for 14 days (the seed's default); every 6 hours for 3 days.
            let keep = if store.name == "catalog-mongodb" {
                assert_eq!(store.backup.schedule, "0 * * * *");
                24 * 14
            } else {
                4 * 3
            };
            assert_eq!(
                task["retention"],
                serde_json::json!({ "type": "count", "count": keep, "deleteFromStorage": true })
            );
            seen += 1;
        }
        assert_eq!(seen, 2, "{cloud}");
    }
}

#[test]
fn mysql_operator_dumps_go_to_the_stage_bucket_on_every_cloud() {
    let schemas = Schemas::load();
    for (cloud, bucket) in [
        ("aws", "acme-test-db-backups"),
        ("gcp", "acme_test_db_backups"),
        ("azure", "acme-test-db-backups"),
    ] {
        let source = format!(
            r#"
version = 1

[platform]
name = "acme"
domain = "acme.example"
cloud = "{cloud}"
region = "europe-west1"
registry = "ghcr.io/acme"

[stages.test]
namespace = "{{app}}-test"
databases = "operator"
backup-bucket = "{bucket}"

[stages.qa]
namespace = "{{app}}-qa"
databases = "operator"

[apps.shop.services.ledger]
port = 8080
database = {{ engine = "mysql", version = "8.0", replicas = 3, backup = {{ schedule = "30 2 * * *" }} }}
"#
        );
        let checked = platc_check::check(&source);
        assert!(checked.problems.is_empty(), "{:#?}", checked.problems);
        let ir = platc_ir::resolve(&checked.document).expect("resolve");
        let mut seen = 0;
        for (store, file, objects, _) in emitted(&ir) {
            let cr = &objects[0];
            if cr["kind"] != "InnoDBCluster" {
                continue;
            }
            let errs = errors(&schemas.for_object(cr), cr);
            assert!(errs.is_empty(), "{cloud} {file}: {errs:?}");
            assert_eq!(cr["spec"]["version"], "8.0.40");
            let spec = &cr["spec"];
            if file.contains("/qa/") {
                // No bucket in this stage: nowhere to upload to, so no dumps.
                assert!(spec.get("backupProfiles").is_none(), "{cloud}");
                assert!(spec.get("backupSchedules").is_none(), "{cloud}");
                assert!(store.satellites.iter().all(|s| s.role != "backup"));
                continue;
            }
            let backup = store
                .satellites
                .iter()
                .find(|s| s.role == "backup")
                .expect("backup satellite");
            assert!(backup.upload && backup.api_server);
            let profile = &spec["backupProfiles"][0];
            let want: serde_json::Map<String, Value> = backup
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            assert_eq!(profile["podLabels"], Value::Object(want));
            let storage = &profile["dumpInstance"]["storage"];
            let secret = format!("{}-backup-storage", store.name);
            let prefix = format!("shop/{}", store.name);
            match cloud {
                "azure" => {
                    assert_eq!(storage["azure"]["containerName"], bucket);
                    assert_eq!(storage["azure"]["config"], secret.as_str());
                    assert_eq!(storage["azure"]["prefix"], prefix.as_str());
                }
                _ => {
                    assert_eq!(storage["s3"]["bucketName"], bucket);
                    assert_eq!(storage["s3"]["config"], secret.as_str());
                    assert_eq!(storage["s3"]["prefix"], prefix.as_str());
                    assert_eq!(
                        storage["s3"].get("endpoint").and_then(Value::as_str),
                        (cloud == "gcp").then_some("https://storage.googleapis.com")
                    );
                }
            }
            let schedule = &spec["backupSchedules"][0];
            assert_eq!(schedule["schedule"], "30 2 * * *");
            assert_eq!(schedule["backupProfileName"], profile["name"]);
            assert_eq!(schedule["enabled"], true);
            seen += 1;
        }
        assert_eq!(seen, 1, "{cloud}");
    }
}
