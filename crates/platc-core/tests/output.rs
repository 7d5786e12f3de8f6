//! What `core-services/` holds, per cloud and with or without the event bus and ACME email;
//! every object validates against its Kubernetes or CRD schema.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jsonschema::{Registry, Resource, Validator};
use platc_ir::Ir;
use platc_tree::FileTree;
use serde_json::Value;

const DEFINITIONS_URI: &str = "https://kubernetes.io/api/_definitions.json";

fn file(tree: &FileTree, name: &str) -> Option<String> {
    tree.iter()
        .find(|(p, _)| p.as_str() == format!("core-services/{name}"))
        .map(|(_, b)| String::from_utf8(b.to_vec()).unwrap())
}

/// The objects of the kustomization, in resource order.
fn objects(tree: &FileTree) -> Vec<Value> {
    let k = common::documents(&file(tree, "kustomization.yaml").unwrap());
    let mut out = Vec::new();
    for r in k[0]["resources"].as_array().unwrap() {
        let text = file(tree, r.as_str().unwrap())
            .unwrap_or_else(|| panic!("kustomization names missing {r}"));
        out.extend(common::documents(&text));
    }
    out
}

fn kinds(objects: &[Value], kind: &str) -> Vec<Value> {
    objects
        .iter()
        .filter(|o| o["kind"] == kind)
        .cloned()
        .collect()
}

struct Schemas {
    registry: Registry<'static>,
    cache: BTreeMap<String, Validator>,
}

impl Schemas {
    fn new() -> Self {
        let defs =
            common::read_json(&common::root().join("tests/data/k8s/v1.31.0/_definitions.json"));
        let registry = Registry::new()
            .add(DEFINITIONS_URI, Resource::from_contents(defs))
            .and_then(|b| b.prepare())
            .unwrap();
        Schemas {
            registry,
            cache: BTreeMap::new(),
        }
    }

    fn path(api_version: &str, kind: &str) -> PathBuf {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let kind = kind.to_lowercase();
        let data = common::root().join("tests/data");
        if group.contains('.') && !group.ends_with(".k8s.io") {
            data.join("crds")
                .join(group)
                .join(format!("{kind}_{version}.json"))
        } else {
            let prefix = group.split('.').next().unwrap_or("");
            let file = if prefix.is_empty() {
                format!("{kind}-{version}.json")
            } else {
                format!("{kind}-{prefix}-{version}.json")
            };
            data.join("k8s/v1.31.0").join(file)
        }
    }

    fn errors(&mut self, object: &Value) -> Vec<String> {
        let path = Self::path(
            object["apiVersion"].as_str().unwrap(),
            object["kind"].as_str().unwrap(),
        );
        let key = path.display().to_string();
        if !self.cache.contains_key(&key) {
            assert!(Path::new(&path).is_file(), "no schema {key}");
            let schema = common::read_json(&path);
            let v = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .with_registry(&self.registry)
                .should_validate_formats(false)
                .build(&schema)
                .unwrap();
            self.cache.insert(key.clone(), v);
        }
        self.cache[&key]
            .iter_errors(object)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect()
    }
}

fn render(ir: &Ir) -> FileTree {
    platc_core::emit(ir).unwrap()
}

#[test]
fn every_object_validates_and_every_file_has_the_header() {
    let mut schemas = Schemas::new();
    let mut problems = Vec::new();
    for (name, ir) in common::all_irs() {
        let tree = render(&ir);
        for (path, bytes) in tree.iter() {
            let text = std::str::from_utf8(bytes).unwrap();
            assert!(text.starts_with(platc_kustomize::HEADER), "{path}");
            assert!(path.as_str().starts_with("core-services/"), "{path}");
            common::documents(text); // parses
        }
        for o in objects(&tree) {
            let what = format!("{name}: {} {}", o["kind"], o["metadata"]["name"]);
            for e in schemas.errors(&o) {
                problems.push(format!("{what}: {e}"));
            }
            let cluster_scoped = ["Namespace", "ClusterIssuer", "ClusterSecretStore"]
                .contains(&o["kind"].as_str().unwrap());
            if cluster_scoped == o["metadata"].get("namespace").is_some() {
                problems.push(format!("{what}: namespace set wrongly"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_schemas_reject_a_broken_object() {
    let mut schemas = Schemas::new();
    let objects = objects(&render(&common::fixture("example")));
    for kind in [
        "Namespace",
        "ClusterIssuer",
        "ClusterSecretStore",
        "Kafka",
        "KafkaNodePool",
        "KafkaTopic",
        "NetworkPolicy",
        "ServiceAccount",
    ] {
        let mut o = kinds(&objects, kind).remove(0);
        assert!(schemas.errors(&o).is_empty(), "{kind}");
        o["spec"]["bogusField"] = serde_json::json!(1);
        if kind == "Namespace" || kind == "ServiceAccount" {
            o["metadata"]["bogusField"] = serde_json::json!(1);
        }
        assert!(
            !schemas.errors(&o).is_empty(),
            "{kind} accepts a bogus field"
        );
    }
}

#[test]
fn the_header_is_the_one_every_emitter_writes() {
    assert_eq!(platc_core::HEADER, platc_kustomize::HEADER);
}

#[test]
fn rendering_is_deterministic() {
    let ir = common::fixture("example");
    let a: Vec<_> = render(&ir)
        .iter()
        .map(|(p, b)| (p.clone(), b.to_vec()))
        .collect();
    let b: Vec<_> = render(&ir)
        .iter()
        .map(|(p, b)| (p.clone(), b.to_vec()))
        .collect();
    assert_eq!(a, b);
}

#[test]
fn namespaces_carry_pod_security_levels() {
    let ir = common::fixture("example");
    let objects = objects(&render(&ir));
    let ns = kinds(&objects, "Namespace");
    assert_eq!(ns.len(), 2);
    assert_eq!(ns[0]["metadata"]["name"], "core-services");
    assert_eq!(
        ns[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    assert_eq!(
        ns[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"],
        "v1.31"
    );
    assert_eq!(ns[1]["metadata"]["name"], "core-services-node-exporter");
    assert_eq!(
        ns[1]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "privileged"
    );
}

#[test]
fn node_exporter_namespace_stays_a_dns_label() {
    let mut ir = common::fixture("minimal");
    // 50 characters: cut to 49, then the dangling `-` goes.
    ir.core.namespace = format!("{}-x", "a".repeat(48));
    let ns = platc_core::node_exporter_namespace(&ir);
    assert_eq!(ns, format!("{}-node-exporter", "a".repeat(48)));
    ir.core.namespace = "b".repeat(63);
    assert_eq!(platc_core::node_exporter_namespace(&ir).len(), 63);
}

#[test]
fn cluster_issuers_only_with_an_email() {
    for cloud in ["aws", "azure", "gcp"] {
        let with = objects(&render(&common::ir(&common::platform(cloud, false, true))));
        let issuers = kinds(&with, "ClusterIssuer");
        assert_eq!(issuers.len(), 2);
        assert_eq!(issuers[0]["metadata"]["name"], "letsencrypt-production");
        assert_eq!(
            issuers[0]["spec"]["acme"]["server"],
            "https://acme-v02.api.letsencrypt.org/directory"
        );
        assert_eq!(issuers[1]["metadata"]["name"], "letsencrypt-staging");
        assert_eq!(
            issuers[1]["spec"]["acme"]["server"],
            "https://acme-staging-v02.api.letsencrypt.org/directory"
        );
        for i in &issuers {
            assert_eq!(i["spec"]["acme"]["email"], "ops@plat.example");
            assert_eq!(
                i["spec"]["acme"]["solvers"][0]["http01"]["ingress"]["ingressClassName"],
                "nginx"
            );
        }
        let without = render(&common::ir(&common::platform(cloud, false, false)));
        assert!(kinds(&objects(&without), "ClusterIssuer").is_empty());
        assert!(file(&without, "cluster-issuers.yaml").is_none());
    }
}

#[test]
fn the_secret_store_matches_the_cloud() {
    let store = |cloud: &str| {
        let o = objects(&render(&common::ir(&common::platform(cloud, false, false))));
        let s = kinds(&o, "ClusterSecretStore");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0]["apiVersion"], "external-secrets.io/v1");
        assert_eq!(s[0]["metadata"]["name"], platc_core::SECRET_STORE);
        let sa = kinds(&o, "ServiceAccount");
        assert_eq!(sa[0]["metadata"]["name"], "secret-store");
        assert_eq!(sa[0]["metadata"]["namespace"], "core-services");
        (s[0]["spec"]["provider"].clone(), sa[0].clone())
    };
    let account_ref = serde_json::json!({"name": "secret-store", "namespace": "core-services"});

    let (aws, _) = store("aws");
    assert_eq!(aws["aws"]["service"], "SecretsManager");
    assert_eq!(aws["aws"]["region"], "eu-central-1");
    assert_eq!(aws["aws"]["auth"]["jwt"]["serviceAccountRef"], account_ref);

    let (azure, _) = store("azure");
    assert_eq!(azure["azurekv"]["authType"], "WorkloadIdentity");
    assert_eq!(
        azure["azurekv"]["vaultUrl"],
        "https://kv-plat.vault.azure.net/"
    );
    assert_eq!(azure["azurekv"]["serviceAccountRef"], account_ref);

    let (gcp, sa) = store("gcp");
    assert_eq!(gcp["gcpsm"]["projectID"], "plat");
    assert_eq!(
        gcp["gcpsm"]["auth"]["workloadIdentity"]["serviceAccountRef"],
        account_ref
    );
    assert_eq!(
        sa["metadata"]["annotations"]["iam.gke.io/gcp-service-account"],
        "platc-secret-store@plat.iam.gserviceaccount.com"
    );

    // What the IR cannot name is written down where the operator sees it.
    let aws_tree = render(&common::ir(&common::platform("aws", false, false)));
    assert!(file(&aws_tree, "secret-store.yaml")
        .unwrap()
        .contains("eks.amazonaws.com/role-arn: arn:aws:iam::<account id>:role/plat-secret-store"));
}

#[test]
fn azure_key_vault_names_follow_the_rules() {
    let mut ir = common::fixture("multi-app");
    assert_eq!(platc_core::cloud::azure_key_vault_name(&ir), "kv-globex");
    ir.platform.name = "a--very-long-platform-name-indeed".into();
    let name = platc_core::cloud::azure_key_vault_name(&ir);
    assert!(name.len() <= 24 && name.len() >= 3, "{name}");
    assert!(!name.contains("--") && !name.ends_with('-'), "{name}");
    assert_eq!(name, "kv-a-very-long-platform");
}

#[test]
fn the_event_bus_is_kraft_strimzi_v1_with_a_topic_per_event() {
    let ir = common::fixture("example");
    let o = objects(&render(&ir));
    let kafka = kinds(&o, "Kafka");
    assert_eq!(kafka.len(), 1);
    let k = &kafka[0];
    assert_eq!(k["apiVersion"], "kafka.strimzi.io/v1");
    assert_eq!(k["metadata"]["name"], ir.core.peers.kafka_cluster.as_str());
    assert!(k["spec"].get("zookeeper").is_none());
    let listener = &k["spec"]["kafka"]["listeners"][0];
    assert_eq!(listener["port"], ir.core.peers.kafka_port);
    assert_eq!(listener["tls"], true);
    let pools = kinds(&o, "KafkaNodePool");
    assert_eq!(pools.len(), 1);
    assert_eq!(pools[0]["spec"]["replicas"], 3);
    assert_eq!(
        pools[0]["spec"]["roles"],
        serde_json::json!(["controller", "broker"])
    );
    assert_eq!(pools[0]["spec"]["storage"]["type"], "persistent-claim");
    let topics = kinds(&o, "KafkaTopic");
    let names: Vec<&str> = topics
        .iter()
        .map(|t| t["metadata"]["name"].as_str().unwrap())
        .collect();
    // One topic per stage and event: a test client cannot reach a prod topic by name.
    assert_eq!(names, ["prod.order-created", "test.order-created"]);
    for x in pools.iter().chain(&topics) {
        assert_eq!(x["metadata"]["labels"]["strimzi.io/cluster"], "events");
    }
    // Clients authenticate (SCRAM) and the brokers authorise every request (ACLs).
    assert_eq!(listener["authentication"]["type"], "scram-sha-512");
    assert_eq!(k["spec"]["kafka"]["authorization"]["type"], "simple");
    assert!(k["spec"]["entityOperator"].get("userOperator").is_some());

    // One user per service and stage, with exactly the ACLs its declarations need.
    let users = kinds(&o, "KafkaUser");
    let user = |name: &str| {
        users
            .iter()
            .find(|u| u["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no KafkaUser {name}"))
    };
    assert_eq!(users.len(), 4);
    let acls = |name: &str| -> Vec<(String, String, Vec<String>)> {
        user(name)["spec"]["authorization"]["acls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                assert_eq!(a["resource"]["patternType"], "literal");
                (
                    a["resource"]["type"].as_str().unwrap().to_string(),
                    a["resource"]["name"].as_str().unwrap().to_string(),
                    a["operations"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|o| o.as_str().unwrap().to_string())
                        .collect(),
                )
            })
            .collect()
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        acls("prod.shop.orders"),
        [(
            "topic".to_string(),
            "prod.order-created".to_string(),
            s(&["Write", "Describe"])
        )]
    );
    assert_eq!(
        acls("test.shop.notification"),
        [
            (
                "topic".to_string(),
                "test.order-created".to_string(),
                s(&["Read", "Describe"])
            ),
            (
                "group".to_string(),
                "test.shop.notification".to_string(),
                s(&["Read"])
            ),
        ]
    );
    assert_eq!(
        user("test.shop.orders")["spec"]["authentication"]["type"],
        "scram-sha-512"
    );

    // Per stage, a secret store usable only from that stage's namespaces, whose account may
    // read only that stage's user Secrets and the cluster CA.
    let stores = kinds(&o, "ClusterSecretStore");
    let test_store = stores
        .iter()
        .find(|s| s["metadata"]["name"] == "event-bus-test")
        .unwrap();
    assert_eq!(
        test_store["spec"]["conditions"][0]["namespaces"],
        serde_json::json!(["shop-test"])
    );
    assert_eq!(
        test_store["spec"]["provider"]["kubernetes"]["auth"]["serviceAccount"]["name"],
        "event-bus-test"
    );
    let roles = kinds(&o, "Role");
    let test_role = roles
        .iter()
        .find(|r| r["metadata"]["name"] == "event-bus-test")
        .unwrap();
    assert_eq!(test_role["rules"].as_array().unwrap().len(), 1);
    assert_eq!(test_role["rules"][0]["verbs"], serde_json::json!(["get"]));
    assert_eq!(
        test_role["rules"][0]["resourceNames"],
        serde_json::json!([
            "events-cluster-ca-cert",
            "test.shop.notification",
            "test.shop.orders"
        ])
    );

    let two = objects(&render(&common::ir(&common::platform("gcp", true, false))));
    let names: Vec<String> = kinds(&two, "KafkaTopic")
        .iter()
        .map(|t| t["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names.contains(&"prod.cart-updated".to_string()),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .all(|n| n.ends_with(".cart-updated") || n.ends_with(".page-viewed")),
        "{names:?}"
    );

    let none = render(&common::fixture("minimal"));
    assert!(file(&none, "event-bus.yaml").is_none());
    assert!(!file(&none, "helmfile.yaml").unwrap().contains("strimzi"));
}

#[test]
fn the_helmfile_pins_every_chart_and_names_existing_values() {
    let ir = common::fixture("example");
    let tree = render(&ir);
    let text = file(&tree, "helmfile.yaml").unwrap();
    assert!(text.contains("#   helmfile -f core-services/helmfile.yaml apply\n"));
    assert!(text.contains("#   kubectl apply -k core-services\n"));
    let h = &common::documents(&text)[0];
    let mut pinned = BTreeMap::new();
    for r in h["releases"].as_array().unwrap() {
        assert_eq!(
            r["namespace"],
            if r["name"] == "prometheus-node-exporter" {
                "core-services-node-exporter"
            } else {
                "core-services"
            }
        );
        for v in r["values"].as_array().unwrap() {
            assert!(file(&tree, v.as_str().unwrap()).is_some(), "{v}");
        }
        pinned.insert(
            r["chart"].as_str().unwrap().to_string(),
            r["version"].as_str().unwrap().to_string(),
        );
    }
    let expected: BTreeMap<String, String> = [
        ("prometheus-community/kube-prometheus-stack", "88.5.3"),
        ("prometheus-community/prometheus-node-exporter", "4.56.1"),
        ("ingress-nginx/ingress-nginx", "4.15.1"),
        ("jetstack/cert-manager", "v1.21.1"),
        ("external-dns/external-dns", "1.21.1"),
        ("external-secrets/external-secrets", "2.9.0"),
        ("strimzi/strimzi-kafka-operator", "1.2.0"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
    .collect();
    assert_eq!(pinned, expected);
    let repos: Vec<&str> = h["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        repos,
        [
            "prometheus-community",
            "ingress-nginx",
            "jetstack",
            "external-dns",
            "external-secrets",
            "strimzi"
        ]
    );
}

#[test]
fn chart_values_follow_the_ir() {
    let values = |ir: &Ir, release: &str| {
        let r = platc_core::helm::releases(ir)
            .into_iter()
            .find(|r| r.name == release)
            .unwrap();
        common::yaml_to_json(&r.values)
    };
    let multi = common::fixture("multi-app");
    let nginx = values(&multi, "ingress-nginx");
    assert_eq!(nginx["controller"]["replicaCount"], 2);
    assert_eq!(nginx["controller"]["ingressClassResource"]["name"], "nginx");
    assert_eq!(
        nginx["controller"]["metrics"]["serviceMonitor"]["enabled"],
        true
    );
    assert!(nginx["controller"]["resources"]["requests"]["cpu"].is_string());
    let dns = values(&multi, "external-dns");
    assert_eq!(dns["provider"]["name"], "azure");
    assert_eq!(dns["domainFilters"], serde_json::json!(["globex.example"]));
    assert_eq!(dns["txtOwnerId"], "globex");
    assert_eq!(dns["sources"], serde_json::json!(["ingress"]));
    let gcp = values(&common::fixture("minimal"), "external-dns");
    assert_eq!(gcp["provider"]["name"], "google");
    assert_eq!(gcp["extraArgs"][0], "--google-project=tiny");
    let aws = values(&common::fixture("example"), "external-dns");
    assert_eq!(aws["provider"]["name"], "aws");
    assert_eq!(aws["env"][0]["value"], "eu-central-1");
    let kps = values(&multi, "kube-prometheus-stack");
    assert_eq!(
        kps["prometheus"]["prometheusSpec"]["serviceMonitorSelectorNilUsesHelmValues"],
        false
    );
    let cm = values(&multi, "cert-manager");
    assert_eq!(cm["crds"]["enabled"], true);
    assert_eq!(cm["prometheus"]["servicemonitor"]["enabled"], true);
    let eso = values(&multi, "external-secrets");
    assert_eq!(eso["installCRDs"], true);
    assert_eq!(eso["serviceMonitor"]["enabled"], true);

    // A custom IngressClass reaches both the chart and the issuers.
    let src = common::platform("aws", false, true)
        .replace("[core]\n", "[core]\ningress-class = \"public\"\n");
    let ir = common::ir(&src);
    assert_eq!(
        values(&ir, "ingress-nginx")["controller"]["ingressClassResource"]["name"],
        "public"
    );
    let issuers = kinds(&objects(&render(&ir)), "ClusterIssuer");
    assert_eq!(
        issuers[0]["spec"]["acme"]["solvers"][0]["http01"]["ingress"]["ingressClassName"],
        "public"
    );
}

#[test]
fn service_monitors_name_the_right_port() {
    let mut schemas = Schemas::new();
    let ir = common::fixture("multi-app");
    let mut seen = BTreeMap::new();
    for app in &ir.apps {
        for svc in &app.services {
            let sm = common::yaml_to_json(&platc_core::service_monitor(&ir, app, svc));
            let errors = schemas.errors(&sm);
            assert!(errors.is_empty(), "{}: {errors:?}", svc.name);
            assert_eq!(sm["metadata"]["name"], svc.name.as_str());
            assert!(sm["metadata"].get("namespace").is_none());
            let selector: BTreeMap<String, String> =
                serde_json::from_value(sm["spec"]["selector"]["matchLabels"].clone()).unwrap();
            assert_eq!(selector, svc.selector);
            let ep = &sm["spec"]["endpoints"][0];
            assert_eq!(ep["path"], svc.metrics.path.as_str());
            seen.insert(svc.name.clone(), ep.clone());
        }
    }
    // invoices has a metrics port of its own; the others scrape their service port.
    assert_eq!(seen["invoices"]["port"], "metrics");
    assert_eq!(seen["invoices"]["path"], "/prometheus");
    assert_eq!(seen["ledger"]["port"], "grpc");
    assert_eq!(seen["accounts"]["port"], "https");
    assert_eq!(seen["accounts"]["scheme"], "https");
    assert_eq!(seen["audit-log"]["port"], "tcp");
    let example = common::fixture("example");
    let app = &example.apps[0];
    let sm = common::yaml_to_json(&platc_core::service_monitor(
        &example,
        app,
        &app.services[0],
    ));
    assert_eq!(sm["spec"]["endpoints"][0]["port"], "http");
    assert_eq!(sm["spec"]["endpoints"][0]["path"], "/metrics");
}

#[test]
fn platform_identity_completes_the_workload_identities() {
    // AWS: the account id turns the role names into IRSA ARNs, and nothing is left to note.
    let aws = render(&common::fixture("operators"));
    let store = file(&aws, "secret-store.yaml").unwrap();
    let accounts = kinds(&objects(&aws), "ServiceAccount");
    let sa = accounts
        .iter()
        .find(|a| a["metadata"]["name"] == "secret-store")
        .unwrap();
    assert_eq!(
        sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
        "arn:aws:iam::123456789012:role/initech-secret-store"
    );
    assert!(!store.contains("<account id>"), "{store}");
    let dns = file(&aws, "helm/external-dns.values.yaml").unwrap();
    assert!(
        dns.contains("arn:aws:iam::123456789012:role/initech-external-dns"),
        "{dns}"
    );

    // Azure: client and tenant ids on both accounts, the config file ExternalDNS reads, and the
    // pod label the workload identity webhook looks for.
    let azure = render(&common::fixture("multi-app"));
    let store = file(&azure, "secret-store.yaml").unwrap();
    assert!(!store.contains("needs its cloud identity"), "{store}");
    let accounts = kinds(&objects(&azure), "ServiceAccount");
    let sa = accounts
        .iter()
        .find(|a| a["metadata"]["name"] == "secret-store")
        .unwrap();
    assert_eq!(
        sa["metadata"]["annotations"]["azure.workload.identity/client-id"],
        "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
    );
    assert_eq!(
        sa["metadata"]["annotations"]["azure.workload.identity/tenant-id"],
        "5f0c9a3e-1b2d-4c6e-8f70-9a1b2c3d4e5f"
    );
    let dns = file(&azure, "helm/external-dns.values.yaml").unwrap();
    assert!(
        dns.contains("1c2d3e4f-5a6b-4c7d-9e8f-0a1b2c3d4e5f"),
        "{dns}"
    );
    assert!(
        dns.contains("azure.workload.identity/use: \"true\""),
        "{dns}"
    );
    let ns = objects(&azure);
    let config = kinds(&ns, "ConfigMap");
    let json: serde_json::Value =
        serde_json::from_str(config[0]["data"]["azure.json"].as_str().unwrap()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "tenantId": "5f0c9a3e-1b2d-4c6e-8f70-9a1b2c3d4e5f",
            "subscriptionId": "0b1c2d3e-4f50-4a6b-9c7d-8e9f0a1b2c3d",
            "resourceGroup": "globex-dns",
            "useWorkloadIdentityExtension": true
        })
    );
}
