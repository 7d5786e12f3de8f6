//! The rendered tree: which files exist, the helmfile, headers, determinism.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use platc_tree::FileTree;
use serde_json::{json, Value};

fn files(tree: &FileTree) -> BTreeSet<String> {
    tree.iter().map(|(p, _)| p.as_str().to_string()).collect()
}

fn text<'a>(tree: &'a FileTree, path: &str) -> &'a str {
    let (_, bytes) = tree
        .iter()
        .find(|(p, _)| p.as_str() == path)
        .unwrap_or_else(|| panic!("{path} not rendered"));
    std::str::from_utf8(bytes).unwrap()
}

fn example() -> String {
    std::fs::read_to_string(common::root().join("fixtures/example/platform.toml")).unwrap()
}

#[test]
fn the_example_gets_one_helmfile_for_its_in_cluster_stage() {
    let ir = common::ir(&example());
    let tree = platc_helm::emit(&ir).unwrap();
    let dir = "apps/shop/overlays/test";
    let expected: BTreeSet<String> = [
        "helmfile.yaml",
        "helm/auth-postgresql.values.yaml",
        "helm/catalog-mongodb.values.yaml",
        "helm/notification-mongodb.values.yaml",
        "helm/orders-postgresql.values.yaml",
        "helm/payment-postgresql.values.yaml",
        "helm/user-postgresql.values.yaml",
        "helm/user-redis.values.yaml",
    ]
    .iter()
    .map(|f| format!("{dir}/{f}"))
    .collect();
    // prod is managed: nothing there.
    assert_eq!(files(&tree), expected);

    let helmfile = common::parse(text(&tree, &format!("{dir}/helmfile.yaml")));
    let releases = helmfile["releases"].as_array().unwrap();
    let names: Vec<&str> = releases
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "auth-postgresql",
            "catalog-mongodb",
            "notification-mongodb",
            "orders-postgresql",
            "payment-postgresql",
            "user-postgresql",
            "user-redis",
        ]
    );
    assert_eq!(
        releases[1],
        json!({
            "name": "catalog-mongodb",
            "namespace": "shop-test",
            "chart": "oci://registry-1.docker.io/bitnamicharts/mongodb",
            "version": "17.0.2",
            "values": ["helm/catalog-mongodb.values.yaml"],
        })
    );
    assert_eq!(
        helmfile["helmDefaults"],
        json!({"createNamespace": false, "wait": true, "timeout": 600})
    );
    // The orders database: 100Gi, PostgreSQL 16, the example's backup.
    let orders = common::parse(text(
        &tree,
        &format!("{dir}/helm/orders-postgresql.values.yaml"),
    ));
    assert_eq!(orders["primary"]["persistence"]["size"], "100Gi");
    assert_eq!(orders["image"]["tag"], "16.6.0-debian-12-r2");
    assert_eq!(orders["auth"]["username"], "orders_user");
    assert_eq!(
        orders["auth"]["existingSecret"],
        "orders-postgresql-credentials"
    );
    assert_eq!(orders["backup"]["cronjob"]["schedule"], "0 2 * * *");
}

#[test]
fn the_helmfile_names_every_values_file_and_pins_every_chart() {
    let ir = common::ir(&common::matrix_source());
    let tree = platc_helm::emit(&ir).unwrap();
    let dir = "apps/shop/overlays/test";
    let helmfile_text = text(&tree, &format!("{dir}/helmfile.yaml"));
    let helmfile = common::parse(helmfile_text);
    let releases = helmfile["releases"].as_array().unwrap();
    let stores = common::stores(&ir);
    assert_eq!(releases.len(), stores.len());
    let mut values_files = BTreeSet::new();
    for (release, (_, _, store)) in releases.iter().zip(&stores) {
        let chart = platc_helm::charts::chart(store.engine);
        assert_eq!(release["name"], store.name.as_str());
        assert_eq!(release["namespace"], "shop-test");
        assert_eq!(release["chart"], chart.reference());
        assert_eq!(release["version"], chart.version);
        let file = release["values"][0].as_str().unwrap();
        assert!(
            tree.iter()
                .any(|(p, _)| p.as_str() == format!("{dir}/{file}")),
            "{file}"
        );
        values_files.insert(format!("{dir}/{file}"));
    }
    // Every file is the helmfile or one of its values files.
    let mut all = values_files;
    all.insert(format!("{dir}/helmfile.yaml"));
    assert_eq!(files(&tree), all);
    assert!(
        helmfile_text.contains("\n#   helmfile -f apps/shop/overlays/test/helmfile.yaml apply\n")
    );
}

#[test]
fn every_file_starts_with_the_platc_header() {
    assert_eq!(platc_helm::HEADER, platc_kustomize::HEADER);
    let ir = common::ir(&common::matrix_source());
    let tree = platc_helm::emit(&ir).unwrap();
    assert!(!tree.is_empty());
    for (path, bytes) in tree.iter() {
        let text = std::str::from_utf8(bytes).unwrap();
        assert!(text.starts_with(platc_helm::HEADER), "{path}");
        assert!(text.ends_with('\n') && !text.ends_with("\n\n"), "{path}");
        assert!(
            !text.lines().any(|l| l.ends_with(' ') || l.contains('\t')),
            "{path}: trailing whitespace or tab"
        );
        // Parses as exactly one YAML document.
        let _: Value = common::parse(text);
    }
}

#[test]
fn values_files_explain_image_credentials_and_backups() {
    let ir = common::ir(&example());
    let tree = platc_helm::emit(&ir).unwrap();
    // The comment as one paragraph (it is wrapped at 100 columns).
    let prose = |t: &str| t.replace("\n# ", " ");
    let pg = text(
        &tree,
        "apps/shop/overlays/test/helm/orders-postgresql.values.yaml",
    );
    for needle in [
        "Image: docker.io/bitnamilegacy/postgresql:16.6.0-debian-12-r2 (postgresql 16).",
        "global.security.allowInsecureImages",
        "Secret orders-postgresql-credentials",
        "keys postgres-password, password, replication-password.",
        "continuous WAL archiving of the primary to the claim orders-postgresql-archive",
        "CronJob orders-postgresql-basebackup in databases/orders-postgresql-backup.yaml",
        "point-in-time recovery within 30 days",
        "logical dump at the same schedule, kept 30 days",
    ] {
        assert!(prose(pg).contains(needle), "{needle}\n{pg}");
    }
    assert!(pg.contains("\n#   helmfile -f apps/shop/overlays/test/helmfile.yaml apply\n"));
    assert!(
        pg.lines()
            .filter(|l| l.starts_with('#'))
            .all(|l| l.len() <= 100),
        "{pg}"
    );
    let redis = text(&tree, "apps/shop/overlays/test/helm/user-redis.values.yaml");
    assert!(
        prose(redis).contains("the redis chart has no backup job"),
        "{redis}"
    );
    // Comments come before the document, every one a single line.
    let body_start = redis.lines().position(|l| !l.starts_with('#')).unwrap();
    assert!(redis.lines().skip(body_start).all(|l| !l.starts_with('#')));
}

#[test]
fn no_files_without_in_cluster_stores() {
    let minimal =
        std::fs::read_to_string(common::root().join("fixtures/minimal/platform.toml")).unwrap();
    assert!(platc_helm::emit(&common::ir(&minimal)).unwrap().is_empty());
    // Operator, StatefulSet and managed placements are other emitters' business.
    let src =
        common::matrix_source().replace("databases = \"in-cluster\"", "databases = \"managed\"");
    assert!(platc_helm::emit(&common::ir(&src)).unwrap().is_empty());
}

#[test]
fn rendering_is_deterministic() {
    let ir = common::ir(&common::matrix_source());
    let a = platc_helm::emit(&ir).unwrap();
    let b = platc_helm::emit(&ir).unwrap();
    assert_eq!(a.iter().collect::<Vec<_>>(), b.iter().collect::<Vec<_>>());
}

#[test]
fn the_mongodb_backup_script_round_trips_as_a_block() {
    let ir = common::ir(&example());
    let tree = platc_helm::emit(&ir).unwrap();
    let t = text(
        &tree,
        "apps/shop/overlays/test/helm/catalog-mongodb.values.yaml",
    );
    // A literal block scalar, readable in review.
    assert!(t.contains("      - |\n        set -o errexit\n"), "{t}");
    let v = common::parse(t);
    let script = v["backup"]["cronjob"]["command"][2].as_str().unwrap();
    assert!(script.starts_with("set -o errexit\nexport MONGODB_ROOT_PASSWORD"));
    assert!(script.ends_with("-mmin +20160 -delete\n"), "{script}");
    assert!(!script.contains("--oplog"), "standalone has no oplog");
}

#[test]
fn the_netpol_store_labels_match_the_release() {
    // NetworkPolicies select store pods by the labels Bitnami derives from the release and the
    // chart; the release is the store name and the chart is pinned.
    let ir = common::ir(&common::matrix_source());
    for (_, _, store) in common::stores(&ir) {
        let platc_ir::StoreEndpoint::Pods { labels } = &store.endpoint else {
            panic!("{}: in-cluster store without pod labels", store.name);
        };
        let chart = platc_helm::charts::chart(store.engine);
        assert_eq!(
            labels.get("app.kubernetes.io/instance").map(String::as_str),
            Some(store.name.as_str())
        );
        assert_eq!(
            labels.get("app.kubernetes.io/name").map(String::as_str),
            Some(chart.name)
        );
        // Bitnami keeps a release name that contains the chart name as the object base name.
        assert!(store.name.contains(chart.name));
        // The exporter port the policies open is the chart's.
        let defaults = common::chart_yaml(chart.name, "values.yaml");
        let port = [
            "metrics.containerPort",
            "metrics.containerPorts.metrics",
            "metrics.containerPorts.http",
        ]
        .iter()
        .find_map(|p| common::at(&defaults, p))
        .and_then(Value::as_u64);
        assert_eq!(port, store.metrics_port.map(u64::from), "{}", chart.name);
    }
}
