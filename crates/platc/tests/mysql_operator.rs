//! The MySQL Operator placement end to end, on every cloud: the InnoDBCluster outside the
//! overlay (no namespace), the dump jobs' storage configuration files, the operator's own
//! `baseline` namespace with its NetworkPolicies, and the deploy step that applies the cluster.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

fn source(cloud: &str) -> String {
    format!(
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
deploy = "push"
databases = "operator"
backup-bucket = "acme-test-backups"

[apps.shop.services.ledger]
port = 8080
tag = "1.0.0"
database = {{ engine = "mysql", replicas = 3 }}
"#
    )
}

fn docs(tree: &platc_tree::FileTree, path: &str) -> Vec<Value> {
    let rel = platc_tree::RelPath::new(path).unwrap();
    let bytes = tree
        .get(&rel)
        .unwrap_or_else(|| panic!("{path} not rendered"));
    let text = std::str::from_utf8(bytes).unwrap();
    text.split("\n---\n")
        .map(|d| serde_norway::from_str::<Value>(d).expect("parses"))
        .filter(|v| !v.is_null())
        .collect()
}

fn named<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

#[test]
fn the_mysql_operator_placement_renders_on_every_cloud() {
    for cloud in ["aws", "gcp", "azure"] {
        let tree = platc::compile(&source(cloud)).expect("compiles");

        // The cluster: outside every kustomization, without namespace or labels.
        let cluster = docs(&tree, "apps/shop/operator-clusters/test/ledger-mysql.yaml");
        assert_eq!(cluster.len(), 1);
        let cr = &cluster[0];
        assert_eq!(cr["kind"], "InnoDBCluster");
        assert_eq!(
            cr["metadata"],
            serde_json::json!({ "name": "ledger-mysql" })
        );
        assert_eq!(cr["spec"]["instances"], 3);
        let overlay = std::str::from_utf8(
            tree.get(
                &platc_tree::RelPath::new("apps/shop/overlays/test/kustomization.yaml").unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
        assert!(!overlay.contains("operator-clusters"), "{overlay}");

        // The dump jobs' configuration files, built from the stage's backup-storage entry.
        let services = docs(&tree, "apps/shop/overlays/test/services/ledger.yaml");
        let es = named(&services, "ExternalSecret", "ledger-mysql-backup-storage");
        let template = &es["spec"]["target"]["template"]["data"];
        let remote: Vec<&str> = es["spec"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["remoteRef"]["key"].as_str().unwrap())
            .collect();
        assert!(remote
            .iter()
            .all(|k| k.contains("test") && k.contains("backup-storage")));
        if cloud == "azure" {
            let config = template["config"].as_str().unwrap();
            assert!(config.starts_with("[storage]\n"), "{config}");
            assert!(
                config.contains("{{ .AZURE_STORAGE_ACCOUNT_KEY }}"),
                "{config}"
            );
            assert!(template.get("credentials").is_none());
        } else {
            let credentials = template["credentials"].as_str().unwrap();
            assert!(credentials.starts_with("[default]\n"), "{credentials}");
            assert!(credentials.contains("{{ .AWS_SECRET_ACCESS_KEY }}"));
            assert_eq!(template["config"], "[default]\nregion = europe-west1\n");
        }
        // The credentials Secret carries the root account and the service's password; the
        // user job reads exactly those.
        let databases = docs(&tree, "apps/shop/overlays/test/databases/ledger-mysql.yaml");
        let job = named(&databases, "Job", "ledger-mysql-user-setup").clone();
        // Two routers for three servers, never both drained at once.
        assert_eq!(cr["spec"]["router"]["instances"], 2);
        let pdb = named(&databases, "PodDisruptionBudget", "ledger-mysql-router");
        assert_eq!(pdb["spec"]["maxUnavailable"], 1);
        assert_eq!(
            pdb["spec"]["selector"]["matchLabels"]["component"],
            "mysqlrouter"
        );
        let items: Vec<&str> = job["spec"]["template"]["spec"]["volumes"][0]["secret"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["key"].as_str().unwrap())
            .collect();
        assert_eq!(items, ["rootUser", "rootPassword", "password"]);

        // The app namespace enforces baseline (the servers' root init container).
        let ns = &docs(&tree, "apps/shop/overlays/test/namespace.yaml")[0];
        assert_eq!(
            ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
            "baseline"
        );
        assert_eq!(
            ns["metadata"]["labels"]["pod-security.kubernetes.io/audit"],
            "restricted"
        );

        // The operator: its own baseline namespace, default deny there, egress to the servers.
        let namespaces = docs(&tree, "core-services/namespace.yaml");
        let op_ns = named(&namespaces, "Namespace", "core-services-mysql-operator");
        assert_eq!(
            op_ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
            "baseline"
        );
        let policies = docs(&tree, "core-services/network-isolation.yaml");
        let in_op_ns: Vec<&str> = policies
            .iter()
            .filter(|p| p["metadata"]["namespace"] == "core-services-mysql-operator")
            .map(|p| p["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            in_op_ns,
            [
                "default-deny-all",
                "allow-dns",
                "allow-kube-apiserver",
                "mysql-operator"
            ]
        );
        let op = policies
            .iter()
            .find(|p| p["metadata"]["name"] == "mysql-operator")
            .unwrap();
        let to = &op["spec"]["egress"][0];
        assert_eq!(
            to["to"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
            "shop-test"
        );
        assert_eq!(
            to["to"][0]["podSelector"]["matchLabels"]["component"],
            "mysqld"
        );
        let helmfile = std::str::from_utf8(
            tree.get(&platc_tree::RelPath::new("core-services/helmfile.yaml").unwrap())
                .unwrap(),
        )
        .unwrap();
        assert!(
            helmfile.contains(
                "  - name: mysql-operator\n    namespace: core-services-mysql-operator\n"
            ),
            "{helmfile}"
        );

        // The deploy applies the cluster with the namespace and waits for it and the job.
        let deploy = docs(&tree, ".github/workflows/deploy-test.yml");
        let steps = deploy[0]["jobs"]["deploy"]["steps"].as_array().unwrap();
        let step = steps
            .iter()
            .find(|s| s["env"]["CLUSTERS"].is_string())
            .expect("cluster step");
        assert_eq!(
            step["env"]["CLUSTERS"],
            "deploy/apps/shop/operator-clusters/test"
        );
        assert_eq!(step["env"]["NAMESPACE"], "shop-test");
        assert_eq!(step["env"]["USER_JOBS"], "job/ledger-mysql-user-setup");
        let run = step["run"].as_str().unwrap();
        assert!(run.contains("kubectl apply --namespace \"$NAMESPACE\" -f \"$CLUSTERS\""));
        // After the ExternalSecrets are ready (the cluster names their Secret).
        let apply = steps
            .iter()
            .position(|s| s["run"].as_str().is_some_and(|r| r.contains("apply -k")))
            .unwrap();
        let clusters = steps.iter().position(|s| s == step).unwrap();
        assert!(apply < clusters);
    }
}
