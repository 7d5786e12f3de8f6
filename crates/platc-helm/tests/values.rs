//! The values files against the pinned chart data: every key exists in the chart's
//! values.yaml, the chart's values.schema.json accepts them, and the rules of the issue hold
//! (credentials by reference, requested engine version, replicas, metrics, policies, backups).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{at, chart_schema, chart_yaml, parse, unknown_keys};
use platc_ir::{DataStoreIr, Engine, Placement};
use serde_json::{json, Value};

fn values_of(store: &DataStoreIr) -> Value {
    parse(&platc_yaml::to_string(
        &platc_helm::values::values(store).unwrap(),
    ))
}

fn matrix() -> Vec<DataStoreIr> {
    let ir = common::ir(&common::matrix_source());
    common::stores(&ir).into_iter().map(|(_, _, s)| s).collect()
}

#[test]
fn the_matrix_covers_every_engine_version_and_topology() {
    let stores = matrix();
    for engine in common::ENGINES {
        for version in platc_check::supported_versions(engine, Placement::InCluster) {
            for replicas in 1..=3 {
                assert!(
                    stores.iter().any(|s| s.engine == engine
                        && s.version == *version
                        && s.replicas == replicas),
                    "{engine:?} {version} ×{replicas} missing"
                );
            }
        }
    }
    // Only the in-cluster stage counts.
    assert!(stores.iter().all(|s| s.placement == Placement::InCluster));
}

#[test]
fn every_emitted_key_exists_in_the_chart_values() {
    let mut problems = Vec::new();
    for store in matrix() {
        let chart = platc_helm::charts::chart(store.engine).name;
        let defaults = chart_yaml(chart, "values.yaml");
        for p in unknown_keys(&values_of(&store), &defaults) {
            problems.push(format!("{} ({chart}): {p}", store.name));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_key_check_rejects_a_bogus_key() {
    let store = matrix()
        .into_iter()
        .find(|s| s.engine == Engine::Postgresql)
        .unwrap();
    let chart = platc_helm::charts::chart(store.engine).name;
    let defaults = chart_yaml(chart, "values.yaml");
    let mut v = values_of(&store);
    v["primary"]["bogusKey"] = json!(1);
    v["metrics"]["serviceMonitor"]["labels"]["anything"] = json!("goes"); // open map: fine
    v["image"]["tag"] = json!({"nested": true}); // a mapping where the chart has a leaf
    v["architecture"] = json!(2); // wrong type
    let problems = unknown_keys(&v, &defaults);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(problems[0].starts_with("architecture:"), "{problems:#?}");
    assert!(problems.iter().any(|p| p.starts_with("primary.bogusKey:")));
    assert!(problems.iter().any(|p| p.starts_with("image.tag:")));
}

fn validator(schema: &Value) -> jsonschema::Validator {
    // The Bitnami schemas declare `http://json-schema.org/schema#` (no draft); they use only
    // draft-07 keywords.
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(schema)
        .expect("schema compiles")
}

#[test]
fn values_pass_the_chart_schema() {
    let mut problems = Vec::new();
    let mut checked = std::collections::BTreeSet::new();
    for store in matrix() {
        let chart = platc_helm::charts::chart(store.engine).name;
        let Some(schema) = chart_schema(chart) else {
            continue;
        };
        checked.insert(chart);
        // Helm validates the user values merged over the chart defaults. (Alone they cannot
        // pass mysql's schema, which requires `auth.password`: the literal password platc never
        // writes; with `auth.existingSecret` the chart ignores it.)
        let merged = common::merge(&chart_yaml(chart, "values.yaml"), &values_of(&store));
        for e in validator(&schema).iter_errors(&merged) {
            problems.push(format!(
                "{} ({chart}): {} at {}",
                store.name,
                e,
                e.instance_path()
            ));
        }
    }
    assert_eq!(
        checked.into_iter().collect::<Vec<_>>(),
        ["mongodb", "mysql", "postgresql", "redis"]
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_schema_check_catches_a_wrong_type() {
    // Redis' schema is the complete one: it must reject a string replica count.
    let store = matrix()
        .into_iter()
        .find(|s| s.engine == Engine::Redis && s.replicas == 3)
        .unwrap();
    let mut v = values_of(&store);
    v["replica"]["replicaCount"] = json!("two");
    let schema = chart_schema("redis").unwrap();
    assert!(!validator(&schema).is_valid(&v));
}

#[test]
fn the_requested_engine_version_is_pinned_from_bitnamilegacy() {
    for store in matrix() {
        let chart = platc_helm::charts::chart(store.engine);
        let v = values_of(&store);
        assert_eq!(v["image"]["registry"], "docker.io");
        assert_eq!(
            v["image"]["repository"],
            format!("bitnamilegacy/{}", chart.name)
        );
        let tag = v["image"]["tag"].as_str().unwrap();
        assert!(
            tag.starts_with(&format!("{}.", store.version)),
            "{}: tag {tag} is not {} {}",
            store.name,
            chart.name,
            store.version
        );
        assert_eq!(v["global"]["security"]["allowInsecureImages"], true);
        // The exporter is the chart's own default image, moved to bitnamilegacy.
        let defaults = chart_yaml(chart.name, "values.yaml");
        let default_repo = defaults["metrics"]["image"]["repository"].as_str().unwrap();
        assert_eq!(
            v["metrics"]["image"]["repository"],
            default_repo.replacen("bitnami/", "bitnamilegacy/", 1)
        );
        assert_eq!(
            v["metrics"]["image"]["tag"],
            defaults["metrics"]["image"]["tag"]
        );
    }
}

#[test]
fn every_supported_version_has_an_image_and_nothing_else_does() {
    for engine in common::ENGINES {
        let chart = platc_helm::charts::chart(engine);
        let supported = platc_check::supported_versions(engine, Placement::InCluster);
        let pinned: Vec<&str> = chart.images.iter().map(|(v, _)| *v).collect();
        assert_eq!(pinned, supported, "{}", chart.name);
        for (version, tag) in chart.images {
            assert!(tag.starts_with(&format!("{version}.")), "{version} → {tag}");
            assert!(!tag.contains("latest"));
        }
    }
}

#[test]
fn chart_pins_match_the_reference_chart_files() {
    for engine in common::ENGINES {
        let chart = platc_helm::charts::chart(engine);
        let meta = chart_yaml(chart.name, "Chart.yaml");
        assert_eq!(meta["name"], chart.name);
        assert_eq!(meta["version"], chart.version, "{}", chart.name);
        assert_eq!(
            chart.reference(),
            format!("oci://registry-1.docker.io/bitnamicharts/{}", chart.name)
        );
    }
    let versions: Vec<&str> = common::ENGINES
        .iter()
        .map(|e| platc_helm::charts::chart(*e).version)
        .collect();
    assert_eq!(versions, ["17.1.0", "14.0.5", "17.0.2", "23.1.1"]);
}

#[test]
fn credentials_come_from_the_existing_secret_only() {
    for store in matrix() {
        let v = values_of(&store);
        assert_eq!(
            v["auth"]["existingSecret"],
            store.credentials_secret.as_str()
        );
        // No literal password anywhere: no password-valued key is set.
        let text = platc_yaml::to_string(&platc_helm::values::values(&store).unwrap());
        for key in [
            "password:",
            "postgresPassword:",
            "rootPassword:",
            "replicationPassword:",
            "passwords:",
            "replicaSetKey:",
        ] {
            assert!(
                !text.lines().any(|l| l.trim_start().starts_with(key)),
                "{}: sets {key}",
                store.name
            );
        }
        match store.engine {
            Engine::Postgresql | Engine::Mysql => {
                assert_eq!(v["auth"]["username"], store.user.as_str());
                assert_eq!(v["auth"]["database"], store.database.as_str());
            }
            Engine::Mongodb => {
                assert_eq!(v["auth"]["usernames"], json!([store.user]));
                assert_eq!(v["auth"]["databases"], json!([store.database]));
            }
            Engine::Redis => {
                assert_eq!(v["auth"]["existingSecretPasswordKey"], "redis-password");
            }
        }
        if store.engine == Engine::Postgresql {
            assert_eq!(
                v["auth"]["secretKeys"],
                json!({
                    "adminPasswordKey": "postgres-password",
                    "userPasswordKey": "password",
                    "replicationPasswordKey": "replication-password",
                })
            );
        }
    }
}

#[test]
fn topology_follows_replicas() {
    for store in matrix() {
        let v = values_of(&store);
        let n = u64::from(store.replicas);
        let arch = v["architecture"].as_str().unwrap();
        match (store.engine, store.replicas) {
            (Engine::Mongodb, 1) => {
                assert_eq!(arch, "standalone");
                assert_eq!(v["useStatefulSet"], true);
                assert!(v.get("replicaCount").is_none() && v.get("arbiter").is_none());
            }
            (Engine::Mongodb, r) => {
                assert_eq!(arch, "replicaset");
                assert_eq!(v["replicaCount"], n);
                assert_eq!(v["arbiter"]["enabled"], r % 2 == 0);
            }
            (_, 1) => {
                assert_eq!(arch, "standalone");
                for k in ["readReplicas", "secondary", "replica"] {
                    assert!(v.get(k).is_none(), "{}: {k}", store.name);
                }
            }
            (engine, _) => {
                assert_eq!(arch, "replication");
                let key = match engine {
                    Engine::Postgresql => "readReplicas",
                    Engine::Mysql => "secondary",
                    _ => "replica",
                };
                assert_eq!(v[key]["replicaCount"], n - 1, "{}", store.name);
                assert_eq!(v[key]["persistence"]["size"], "20Gi");
            }
        }
    }
}

#[test]
fn size_resources_metrics_and_policies() {
    for store in matrix() {
        let v = values_of(&store);
        let (size_at, resources_at): (&[&str], &[&str]) = match store.engine {
            Engine::Postgresql => (
                &["primary.persistence.size", "backup.cronjob.storage.size"],
                &["primary.resources", "backup.cronjob.resources"],
            ),
            Engine::Mysql => (&["primary.persistence.size"], &["primary.resources"]),
            Engine::Mongodb => (
                &["persistence.size", "backup.cronjob.storage.size"],
                &["resources", "backup.cronjob.resources"],
            ),
            Engine::Redis => (&["master.persistence.size"], &["master.resources"]),
        };
        for p in size_at {
            assert_eq!(at(&v, p).unwrap(), store.storage.as_str(), "{p}");
        }
        for p in resources_at.iter().copied().chain(["metrics.resources"]) {
            let r = at(&v, p).unwrap_or_else(|| panic!("{}: {p}", store.name));
            for q in [
                "requests.cpu",
                "requests.memory",
                "limits.cpu",
                "limits.memory",
            ] {
                assert!(at(r, q).and_then(Value::as_str).is_some(), "{p}.{q}");
            }
        }
        assert_eq!(v["metrics"]["enabled"], true);
        assert_eq!(v["metrics"]["serviceMonitor"]["enabled"], true);
        let labels = if store.engine == Engine::Redis {
            "additionalLabels"
        } else {
            "labels"
        };
        assert_eq!(
            v["metrics"]["serviceMonitor"][labels],
            json!({"release": "kube-prometheus-stack"})
        );
        let policies: &[&str] = match store.engine {
            Engine::Postgresql => &[
                "primary.networkPolicy.enabled",
                "backup.cronjob.networkPolicy.enabled",
            ],
            _ => &["networkPolicy.enabled"],
        };
        for p in policies {
            assert_eq!(at(&v, p).unwrap(), false, "{}: {p}", store.name);
        }
        if store.engine == Engine::Postgresql && store.replicas > 1 {
            assert_eq!(at(&v, "readReplicas.networkPolicy.enabled").unwrap(), false);
        }
    }
}

#[test]
fn every_network_policy_switch_of_the_charts_is_off() {
    // Whatever the chart version adds, each `networkPolicy.enabled` of a component platc runs
    // must be set to false by platc.
    for store in matrix().into_iter().filter(|s| s.replicas > 1) {
        let chart = platc_helm::charts::chart(store.engine).name;
        let defaults = chart_yaml(chart, "values.yaml");
        let mut switches = Vec::new();
        find_switches(&defaults, String::new(), &mut switches);
        let v = values_of(&store);
        for p in switches {
            let component = p.split('.').next().unwrap();
            let runs = p == "networkPolicy.enabled" || v.get(component).is_some();
            if runs {
                assert_eq!(at(&v, &p), Some(&json!(false)), "{}: {p}", store.name);
            }
        }
    }
}

fn find_switches(v: &Value, path: String, out: &mut Vec<String>) {
    if let Value::Object(m) = v {
        for (k, child) in m {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k == "networkPolicy" && child.get("enabled") == Some(&json!(true)) {
                out.push(format!("{p}.enabled"));
            }
            find_switches(child, p, out);
        }
    }
}

#[test]
fn explicit_resources_for_every_enabled_component() {
    // Every `*.resourcesPreset` other than "none" of a component platc enables is overridden
    // by explicit `resources`.
    for store in matrix() {
        let chart = platc_helm::charts::chart(store.engine).name;
        let merged = common::merge(&chart_yaml(chart, "values.yaml"), &values_of(&store));
        let mut presets = Vec::new();
        find_presets(&merged, String::new(), &mut presets);
        for (component, _) in presets {
            let enabled = component_enabled(&merged, &component, store.engine, store.replicas);
            if enabled {
                let r = at(&merged, &format!("{component}resources")).unwrap();
                assert!(
                    r.as_object().is_some_and(|m| !m.is_empty()),
                    "{}: {component}resources is empty, the preset applies",
                    store.name
                );
            }
        }
    }
}

fn find_presets(v: &Value, prefix: String, out: &mut Vec<(String, String)>) {
    if let Value::Object(m) = v {
        for (k, child) in m {
            if k == "resourcesPreset" {
                if let Some(p) = child.as_str().filter(|p| *p != "none") {
                    out.push((prefix.clone(), p.to_string()));
                }
            } else {
                find_presets(child, format!("{prefix}{k}."), out);
            }
        }
    }
}

/// Whether the component at `prefix` (e.g. `readReplicas.`) runs with these values.
fn component_enabled(merged: &Value, prefix: &str, engine: Engine, replicas: u32) -> bool {
    let top = prefix.split('.').next().unwrap_or("");
    match (engine, top) {
        (_, "") | (_, "primary") | (_, "master") | (_, "metrics") => true,
        (Engine::Postgresql, "readReplicas")
        | (Engine::Mysql, "secondary")
        | (Engine::Redis, "replica") => replicas > 1,
        (Engine::Mongodb, "arbiter") => {
            replicas > 1 && at(merged, "arbiter.enabled") == Some(&json!(true))
        }
        (_, "backup") => at(merged, "backup.enabled") == Some(&json!(true)),
        // Everything else (volumePermissions, sentinel, tls, hidden, passwordUpdateJob, ...)
        // must be disabled in the merged values.
        (_, other) => {
            let enabled = at(merged, &format!("{other}.enabled"));
            assert_ne!(
                enabled,
                Some(&json!(true)),
                "{engine:?}: {other} is enabled without explicit resources"
            );
            false
        }
    }
}

#[test]
fn chart_default_security_contexts_are_restricted() {
    // platc relies on the pinned charts' defaults for the containers it enables.
    let contexts: &[(&str, &[&str])] = &[
        (
            "postgresql",
            &["primary", "readReplicas", "backup.cronjob", "metrics"],
        ),
        ("mysql", &["primary", "secondary", "metrics"]),
        ("mongodb", &["", "arbiter", "backup.cronjob"]),
        ("redis", &["master", "replica", "metrics"]),
    ];
    for (chart, components) in contexts {
        let d = chart_yaml(chart, "values.yaml");
        for c in *components {
            let path = if c.is_empty() {
                "containerSecurityContext".to_string()
            } else {
                format!("{c}.containerSecurityContext")
            };
            let sc = at(&d, &path).unwrap_or_else(|| panic!("{chart}: {path}"));
            assert_eq!(sc["enabled"], true, "{chart}: {path}");
            assert_eq!(sc["runAsNonRoot"], true, "{chart}: {path}");
            assert_eq!(sc["readOnlyRootFilesystem"], true, "{chart}: {path}");
            assert_eq!(sc["allowPrivilegeEscalation"], false, "{chart}: {path}");
            assert_eq!(
                sc["capabilities"]["drop"],
                json!(["ALL"]),
                "{chart}: {path}"
            );
            assert_eq!(
                sc["seccompProfile"]["type"], "RuntimeDefault",
                "{chart}: {path}"
            );
        }
    }
}

#[test]
fn backups_use_the_chart_jobs_with_schedule_and_retention() {
    for store in matrix() {
        let v = values_of(&store);
        match store.engine {
            Engine::Postgresql | Engine::Mongodb => {
                assert_eq!(v["backup"]["enabled"], true);
                assert_eq!(
                    v["backup"]["cronjob"]["schedule"],
                    store.backup.schedule.as_str()
                );
                let cmd = v["backup"]["cronjob"]["command"].as_array().unwrap();
                assert_eq!(cmd[..2], [json!("/bin/bash"), json!("-c")]);
                let script = cmd[2].as_str().unwrap();
                let minutes = u64::from(store.backup.retention_days) * 1440;
                assert!(
                    script.contains(&format!("-mmin +{minutes} -delete")),
                    "{script}"
                );
                // Templated by the chart with `tpl`: no template delimiters of ours.
                assert!(!script.contains("{{"));
            }
            Engine::Mysql | Engine::Redis => assert!(v.get("backup").is_none()),
        }
    }
    // The defaults of the IR and the custom table reach the job.
    let stores = matrix();
    let pg = |r: u32| {
        stores
            .iter()
            .find(|s| s.engine == Engine::Postgresql && s.replicas == r)
            .unwrap()
    };
    assert_eq!(pg(1).backup.schedule, "0 2 * * *");
    assert_eq!(pg(1).backup.retention_days, 30);
    assert_eq!(pg(2).backup.schedule, "30 1 * * *");
    assert_eq!(pg(2).backup.retention_days, 3);
}

/// The primary archives every WAL segment to the archive claim that platc-databases writes (with
/// the base backup job); a standalone primary runs in replication mode so that the job's
/// replication connection is admitted.
#[test]
fn postgresql_primaries_archive_wal_to_the_archive_claim() {
    let mut seen = 0;
    for store in matrix() {
        if store.engine != Engine::Postgresql {
            continue;
        }
        let v = values_of(&store);
        let primary = &v["primary"];
        let conf = primary["extendedConfiguration"].as_str().unwrap();
        assert!(conf.contains("archive_mode = on\n"), "{conf}");
        assert!(conf.contains(
            "archive_command = 'mkdir -p /archive/wal && test ! -f /archive/wal/%f && cp %p \
             /archive/wal/.%f.partial && mv /archive/wal/.%f.partial /archive/wal/%f'\n"
        ));
        assert_eq!(
            primary["extraVolumes"],
            json!([{ "name": "wal-archive", "persistentVolumeClaim": { "claimName": store.archive_claim() } }])
        );
        assert_eq!(
            primary["extraVolumeMounts"],
            json!([{ "name": "wal-archive", "mountPath": "/archive" }])
        );
        assert_eq!(v["auth"]["replicationUsername"], "repl_user");
        // Only the primary archives.
        assert!(v["readReplicas"].get("extendedConfiguration").is_none());
        let env = &primary["extraEnvVars"];
        if store.replicas == 1 {
            assert_eq!(
                env,
                &json!([
                    { "name": "POSTGRES_REPLICATION_MODE", "value": "master" },
                    { "name": "POSTGRES_REPLICATION_USER", "value": "repl_user" },
                    { "name": "POSTGRES_REPLICATION_PASSWORD_FILE",
                      "value": "/opt/bitnami/postgresql/secrets/replication-password" },
                ])
            );
        } else {
            // The chart sets these itself for `architecture: replication`.
            assert!(env.is_null());
        }
        seen += 1;
    }
    assert!(seen > 0);
}

/// Binary logging in row format, kept on the server at most a week and never longer than the
/// copies (platc-databases copies them every 15 minutes).
#[test]
fn mysql_primaries_keep_row_binlogs_for_the_copy_job() {
    let mut seen = 0;
    for store in matrix() {
        if store.engine != Engine::Mysql {
            continue;
        }
        let v = values_of(&store);
        let flags = v["primary"]["extraFlags"].as_str().unwrap();
        let seconds: u64 = flags
            .strip_prefix("--log-bin=mysql-bin --binlog-format=ROW --binlog-expire-logs-seconds=")
            .unwrap_or_else(|| panic!("{flags}"))
            .parse()
            .unwrap();
        // Whole days, at least one, at most a week, never more than the copies are kept.
        assert_eq!(seconds % 86400, 0, "{flags}");
        let days = seconds / 86400;
        assert!((1..=7).contains(&days), "{flags}");
        assert!(
            days <= u64::from(store.backup.retention_days.max(1)),
            "{flags}"
        );
        seen += 1;
    }
    assert!(seen > 0);
}

#[test]
fn the_postgresql_backup_extends_the_chart_default_command() {
    let d = chart_yaml("postgresql", "values.yaml");
    let default = d["backup"]["cronjob"]["command"][2].as_str().unwrap();
    let mut seen = 0;
    for store in matrix()
        .into_iter()
        .filter(|s| s.engine == Engine::Postgresql)
    {
        let v = values_of(&store);
        let script = v["backup"]["cronjob"]["command"][2].as_str().unwrap();
        assert!(
            script.starts_with(&format!("{default} && find ")),
            "{script}"
        );
        seen += 1;
    }
    assert!(seen > 0);
}

#[test]
fn credential_keys_name_what_the_chart_reads() {
    for store in matrix() {
        let keys = platc_helm::credential_keys(&store);
        let expected: Vec<&str> = match (store.engine, store.replicas > 1) {
            (Engine::Postgresql, _) => {
                vec!["postgres-password", "password", "replication-password"]
            }
            (Engine::Mysql, false) => vec!["mysql-root-password", "mysql-password"],
            (Engine::Mysql, true) => vec![
                "mysql-root-password",
                "mysql-password",
                "mysql-replication-password",
            ],
            (Engine::Mongodb, false) => vec!["mongodb-root-password", "mongodb-passwords"],
            (Engine::Mongodb, true) => vec![
                "mongodb-root-password",
                "mongodb-passwords",
                "mongodb-replica-set-key",
            ],
            (Engine::Redis, _) => vec!["redis-password"],
        };
        assert_eq!(keys, expected);
    }
}
