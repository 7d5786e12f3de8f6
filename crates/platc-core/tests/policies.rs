//! The core namespace's NetworkPolicies, read back from the rendered file and evaluated with
//! Kubernetes semantics together with the app overlays' policies (platc-netpol's evaluator):
//! the core side allows exactly what the platform declares of the ingress controller,
//! Prometheus and Kafka, and the components' own traffic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use platc_ir::Ir;
use platc_netpol::eval::Policies;
use platc_netpol::model::{parse_policies, Labels};
use platc_netpol::world::{world, Endpoint};
use platc_netpol::{NetworkPolicy, Proto};

fn all_policies(ir: &Ir) -> Vec<NetworkPolicy> {
    let tree = platc_core::emit(ir).unwrap();
    let (_, bytes) = tree
        .iter()
        .find(|(p, _)| p.as_str() == format!("core-services/{}", platc_core::POLICY_FILE))
        .unwrap();
    // The namespace argument is only a fallback: every core policy names its own.
    let mut out = parse_policies(std::str::from_utf8(bytes).unwrap(), "wrong").unwrap();
    assert!(out.iter().all(|p| p.namespace == ir.core.namespace));
    for app in &ir.apps {
        for stage in &app.stages {
            out.extend(platc_netpol::policies_for(ir, app, stage));
        }
    }
    out
}

fn pod(id: &str, namespace: &str, labels: &[(&str, &str)]) -> Endpoint {
    Endpoint::Pod {
        id: id.into(),
        stage: None,
        namespace: namespace.into(),
        labels: labels
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect::<Labels>(),
    }
}

fn find<'a>(w: &'a [Endpoint], id: &str, stage: &str) -> &'a Endpoint {
    w.iter()
        .find(|e| e.id() == id && e.stage().is_none_or(|s| s == stage))
        .unwrap_or_else(|| panic!("no {id} in {stage}"))
}

#[test]
fn the_example_allows_what_it_declares_and_nothing_else() {
    let ir = common::fixture("example");
    let policies = all_policies(&ir);
    let w = world(&ir);
    let index = Policies::new(&policies, &w.namespaces);
    let e = &w.endpoints;
    let ingress = find(e, "ingress", "prod");
    let prometheus = find(e, "prometheus", "prod");
    let kafka = find(e, "kafka", "prod");
    let dns = find(e, "dns", "prod");
    let internet = find(e, "internet", "prod");
    let allowed = |a: &Endpoint, b: &Endpoint, port: u16| {
        let v = index.evaluate(a, b, Proto::Tcp, port);
        (v.egress.allows(), v.ingress.allows())
    };

    for stage in ["test", "prod"] {
        let auth = find(e, "shop.auth", stage);
        let user = find(e, "shop.user", stage);
        let orders = find(e, "shop.orders", stage);
        let notification = find(e, "shop.notification", stage);
        // The ingress controller reaches exposed services only, on their port only.
        assert_eq!(allowed(ingress, auth, 8080), (true, true), "{stage}");
        assert_eq!(allowed(ingress, orders, 8080), (true, true), "{stage}");
        assert!(
            !allowed(ingress, user, 8080).0,
            "{stage}: user is not exposed"
        );
        assert!(!allowed(ingress, auth, 9999).0, "{stage}");
        // Prometheus scrapes every service's metrics port.
        assert_eq!(allowed(prometheus, user, 8080), (true, true), "{stage}");
        // Publishers and subscribers reach Kafka's TLS listener; nobody else does.
        assert_eq!(allowed(orders, kafka, 9093), (true, true), "{stage}");
        assert_eq!(allowed(notification, kafka, 9093), (true, true), "{stage}");
        assert!(
            !allowed(user, kafka, 9093).1,
            "{stage}: user does not use events"
        );
        assert!(!allowed(orders, kafka, 9091).1, "{stage}: replication port");
    }

    // Core components: DNS, the API server / HTTPS, and nothing else by default.
    assert!(index.evaluate(ingress, dns, Proto::Udp, 53).allowed());
    assert!(index
        .evaluate(ingress, internet, Proto::Tcp, 443)
        .egress
        .allows());
    assert!(!index
        .evaluate(ingress, internet, Proto::Tcp, 80)
        .egress
        .allows());
    assert!(!index
        .evaluate(kafka, internet, Proto::Tcp, 80)
        .egress
        .allows());
    // The world outside reaches the controller on 80/443 only.
    let outside_pod = pod("somebody", "elsewhere", &[("app", "x")]);
    assert!(index
        .evaluate(&outside_pod, ingress, Proto::Tcp, 443)
        .ingress
        .allows());
    assert!(!index
        .evaluate(&outside_pod, ingress, Proto::Tcp, 10254)
        .ingress
        .allows());
    assert!(!index
        .evaluate(&outside_pod, prometheus, Proto::Tcp, 9090)
        .ingress
        .allows());
    assert!(!index
        .evaluate(&outside_pod, kafka, Proto::Tcp, 9093)
        .ingress
        .allows());
    // Prometheus scrapes the controller's metrics.
    assert!(index
        .evaluate(prometheus, ingress, Proto::Tcp, 10254)
        .allowed());
    assert!(!index
        .evaluate(prometheus, ingress, Proto::Tcp, 10255)
        .ingress
        .allows());
}

#[test]
fn core_components_reach_what_they_need() {
    let ir = common::fixture("multi-app");
    let policies = all_policies(&ir);
    let w = world(&ir);
    let index = Policies::new(&policies, &w.namespaces);
    let ns = ir.core.namespace.as_str();
    let prometheus = find(&w.endpoints, "prometheus", "prod");
    let internet = find(&w.endpoints, "internet", "prod");
    let grafana = pod(
        "grafana",
        ns,
        &[
            ("app.kubernetes.io/name", "grafana"),
            ("app.kubernetes.io/instance", "kube-prometheus-stack"),
        ],
    );
    let alertmanager = pod(
        "alertmanager",
        ns,
        &[("app.kubernetes.io/name", "alertmanager")],
    );
    let cert_manager = pod(
        "cert-manager",
        ns,
        &[
            ("app.kubernetes.io/name", "cert-manager"),
            ("app.kubernetes.io/instance", "cert-manager"),
            ("app.kubernetes.io/component", "controller"),
        ],
    );
    let cm_webhook = pod(
        "cert-manager-webhook",
        ns,
        &[
            ("app.kubernetes.io/name", "webhook"),
            ("app.kubernetes.io/instance", "cert-manager"),
            ("app.kubernetes.io/component", "webhook"),
        ],
    );
    let operator = pod(
        "strimzi",
        ns,
        &[
            ("name", "strimzi-cluster-operator"),
            ("strimzi.io/kind", "cluster-operator"),
        ],
    );
    let broker = pod(
        "broker",
        ns,
        &[
            ("strimzi.io/cluster", "events"),
            ("strimzi.io/kind", "Kafka"),
            ("strimzi.io/name", "events-kafka"),
        ],
    );
    let broker2 = broker.clone();
    let tcp =
        |a: &Endpoint, b: &Endpoint, port: u16| index.evaluate(a, b, Proto::Tcp, port).allowed();

    assert!(tcp(&grafana, prometheus, 9090));
    assert!(tcp(&grafana, &alertmanager, 9093));
    assert!(tcp(prometheus, &alertmanager, 9093));
    assert!(tcp(prometheus, &grafana, 3000));
    assert!(tcp(prometheus, &cert_manager, 9402));
    assert!(!tcp(&grafana, &cert_manager, 9402));
    assert!(tcp(&cert_manager, internet, 80), "HTTP-01 self check");
    assert!(tcp(&cert_manager, internet, 443), "ACME");
    assert!(!tcp(&grafana, internet, 80));
    // The API server (outside the pod network) calls the webhook.
    assert!(index
        .evaluate(internet, &cm_webhook, Proto::Tcp, 10250)
        .ingress
        .allows());
    assert!(!index
        .evaluate(internet, &cm_webhook, Proto::Tcp, 9402)
        .ingress
        .allows());
    // Strimzi: operator to brokers, brokers among themselves.
    assert!(tcp(&operator, &broker, 9091));
    assert!(tcp(&operator, &broker, 8443));
    assert!(tcp(&broker, &broker2, 9090));
    assert!(!tcp(&grafana, &broker, 9091));
    // Cross-app, cross-stage clients of the event bus.
    for stage in ["staging", "prod"] {
        let invoices = find(&w.endpoints, "billing.invoices", stage);
        let accounts = find(&w.endpoints, "identity.accounts", stage);
        let audit = find(&w.endpoints, "identity.audit-log", stage);
        assert!(tcp(invoices, &broker, 9093), "{stage}");
        assert!(tcp(accounts, &broker, 9093), "{stage}");
        assert!(
            !index
                .evaluate(audit, &broker, Proto::Tcp, 9093)
                .ingress
                .allows(),
            "{stage}"
        );
    }
}

#[test]
fn without_event_bus_there_are_no_kafka_policies_and_gcp_gets_metadata_access() {
    let ir = common::fixture("minimal");
    let names: Vec<String> = platc_core::policies::policies(&ir)
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert!(!names
        .iter()
        .any(|n| n.contains("kafka") || n.contains("strimzi")));
    assert!(names.contains(&"allow-gke-metadata".to_string()));
    let aws = common::fixture("example");
    assert!(!platc_core::policies::policies(&aws)
        .iter()
        .any(|p| p.name == "allow-gke-metadata"));
}
