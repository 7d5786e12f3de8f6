//! NetworkPolicies of the core namespace: default deny, then what each component needs.
//!
//! Pods are selected by the labels the pinned charts and operators give them (the IR's
//! `core.peers` for ingress-nginx, Prometheus and Kafka). App namespaces are selected by their
//! exact `kubernetes.io/metadata.name`, so the ingress controller reaches exactly the exposed
//! services and Kafka accepts exactly the services that publish or subscribe.
//!
//! | policy | selects | allows |
//! |---|---|---|
//! | `default-deny-all` | every pod | nothing (ingress and egress) |
//! | `allow-dns` | every pod | egress to kube-dns, UDP/TCP 53 |
//! | `allow-kube-apiserver-and-https` | every pod | egress TCP 443/6443 to any address: the API server's address is the cloud's (not in the IR); controllers also call cloud APIs and ACME on 443 |
//! | `allow-gke-metadata` (gcp) | ExternalDNS, External Secrets | egress to the GKE metadata server (Workload Identity) |
//! | `ingress-nginx-controller` | controller | ingress TCP 80/443 from anywhere, 8443 (admission webhook, from the API server), 10254 from Prometheus; egress to each exposed service on its port, and to cert-manager's HTTP-01 solver pods (8089) in namespaces with Ingresses |
//! | `cert-manager-controller` | controller | egress TCP 80 anywhere (HTTP-01 self check through the public address) |
//! | `cert-manager-webhook`, `external-secrets-webhook`, `prometheus-operator` | webhook servers | ingress TCP 10250 from anywhere (the API server) |
//! | `cert-manager-metrics`, `external-dns`, `external-secrets-metrics`, `kube-state-metrics` | the component | ingress from Prometheus on its metrics port |
//! | `prometheus` | Prometheus | egress to every pod (it scrapes what ServiceMonitors name; targets' own policies decide), TCP 9100/10250 to node addresses (node-exporter, kubelet); ingress from Grafana and itself |
//! | `alertmanager`, `grafana` | the component | Prometheus/Grafana to Alertmanager 9093, Grafana to Prometheus 9090, Alertmanager gossip 9094 |
//! | `postgres-operator`, `psmdb-operator`, `redis-operator`, `mysql-operator` (when a stage places a store with `operator`) | the operator | egress to exactly the pods of the stores it runs (exact namespace and labels) on the ports it manages them through; the MySQL Operator's own namespace also gets `default-deny-all`, `allow-dns` and `allow-kube-apiserver` (443/6443) |
//! | `strimzi-cluster-operator`, `kafka-cluster`, `kafka-clients` (event bus) | operator, Kafka pods | operator to Kafka 9090/9091/8443; Kafka pods among each other 9090/9091; every publishing/subscribing service (exact namespace and pods, every stage) to the TLS listener |
//!
//! Node-exporter runs with `hostNetwork` in its own namespace; NetworkPolicies do not apply to
//! host-network pods, so that namespace has none.

use std::collections::BTreeSet;

use platc_ir::{Cloud, Ir, Labels};
use platc_netpol::model::{Expr, Op};
use platc_netpol::{NetworkPolicy, Peer, PortSpec, Proto, Rule, Selector};

/// Label on every generated policy, saying what it is for (as in the app overlays).
const PURPOSE: &str = "platc.dev/policy";

/// Port of cert-manager's HTTP-01 solver pods (`acme.cert-manager.io/http01-solver: "true"`).
pub const ACME_SOLVER_PORT: u16 = 8089;
const SOLVER_LABEL: &str = "acme.cert-manager.io/http01-solver";

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

fn sel(pairs: &[(&str, &str)]) -> Selector {
    Selector::labels(&labels(pairs))
}

fn tcp(ports: &[u16]) -> Vec<PortSpec> {
    ports.iter().map(|p| PortSpec::tcp(*p)).collect()
}

fn udp(port: u16) -> PortSpec {
    PortSpec {
        protocol: Proto::Udp,
        port: Some(port),
        end_port: None,
    }
}

/// Pods of the core namespace (a peer without namespace selector: the policy's own namespace).
fn here(pods: Selector) -> Peer {
    Peer::Pods {
        namespaces: None,
        pods: Some(pods),
    }
}

fn in_namespace(namespace: &str, pods: Selector) -> Peer {
    Peer::Pods {
        namespaces: Some(Selector::namespace(namespace)),
        pods: Some(pods),
    }
}

/// Any address (IPv4 and IPv6).
fn anywhere() -> Vec<Peer> {
    ["0.0.0.0/0", "::/0"]
        .iter()
        .map(|c| Peer::IpBlock {
            cidr: (*c).to_string(),
            except: Vec::new(),
        })
        .collect()
}

/// Pod labels of the chart-installed components (release name = chart name, see `helm`).
mod pods {
    pub const CERT_MANAGER_CONTROLLER: &[(&str, &str)] = &[
        ("app.kubernetes.io/component", "controller"),
        ("app.kubernetes.io/name", "cert-manager"),
    ];
    pub const CERT_MANAGER_WEBHOOK: &[(&str, &str)] = &[
        ("app.kubernetes.io/instance", "cert-manager"),
        ("app.kubernetes.io/name", "webhook"),
    ];
    pub const CERT_MANAGER_ALL: &[(&str, &str)] = &[("app.kubernetes.io/instance", "cert-manager")];
    pub const EXTERNAL_DNS: &[(&str, &str)] = &[("app.kubernetes.io/name", "external-dns")];
    pub const ESO_WEBHOOK: &[(&str, &str)] =
        &[("app.kubernetes.io/name", "external-secrets-webhook")];
    pub const ESO_ALL: &[(&str, &str)] = &[("app.kubernetes.io/instance", "external-secrets")];
    pub const ALERTMANAGER: &[(&str, &str)] = &[("app.kubernetes.io/name", "alertmanager")];
    pub const GRAFANA: &[(&str, &str)] = &[("app.kubernetes.io/name", "grafana")];
    pub const KUBE_STATE_METRICS: &[(&str, &str)] =
        &[("app.kubernetes.io/name", "kube-state-metrics")];
    pub const PROMETHEUS_OPERATOR: &[(&str, &str)] = &[("app", "kube-prometheus-stack-operator")];
    pub const STRIMZI_OPERATOR: &[(&str, &str)] = &[
        ("name", "strimzi-cluster-operator"),
        ("strimzi.io/kind", "cluster-operator"),
    ];
}

struct Ctx<'a> {
    ir: &'a Ir,
}

impl Ctx<'_> {
    fn policy(&self, name: &str, purpose: &str, selected: Selector) -> NetworkPolicy {
        self.policy_in(&self.ir.core.namespace, name, purpose, selected)
    }

    fn policy_in(
        &self,
        namespace: &str,
        name: &str,
        purpose: &str,
        selected: Selector,
    ) -> NetworkPolicy {
        NetworkPolicy {
            name: name.to_string(),
            namespace: namespace.to_string(),
            labels: labels(&[
                ("app.kubernetes.io/managed-by", "platc"),
                ("app.kubernetes.io/part-of", crate::objects::PART_OF),
                (PURPOSE, purpose),
            ]),
            pod_selector: selected,
            ingress: None,
            egress: None,
        }
    }

    /// What every pod of a platform namespace gets: default deny, DNS to kube-dns, and TCP
    /// 443/6443 to any address (the API server's address is the cloud's, not in the IR) in a
    /// policy named `api_policy`.
    fn namespace_base(&self, namespace: &str, api_policy: &str) -> Vec<NetworkPolicy> {
        let dns_peer = &self.ir.core.peers.dns;
        let mut deny = self.policy_in(
            namespace,
            "default-deny-all",
            "default-deny",
            Selector::default(),
        );
        deny.ingress = Some(Vec::new());
        deny.egress = Some(Vec::new());
        let mut dns = self.policy_in(namespace, "allow-dns", "dns", Selector::default());
        dns.egress = Some(vec![Rule {
            peers: vec![in_namespace(
                &dns_peer.namespace,
                Selector::labels(&dns_peer.labels),
            )],
            ports: vec![udp(53), PortSpec::tcp(53)],
        }]);
        let mut api = self.policy_in(namespace, api_policy, "apiserver", Selector::default());
        api.egress = Some(vec![Rule {
            peers: anywhere(),
            ports: tcp(&[443, 6443]),
        }]);
        vec![deny, dns, api]
    }

    fn prometheus(&self) -> Peer {
        here(Selector::labels(&self.ir.core.peers.prometheus.labels))
    }

    fn scraped_by_prometheus(&self, ports: &[u16]) -> Rule {
        Rule {
            peers: vec![self.prometheus()],
            ports: tcp(ports),
        }
    }

    /// A policy that only lets Prometheus scrape `ports` of the selected pods.
    fn scraped(&self, name: &str, pods: &[(&str, &str)], ports: &[u16]) -> NetworkPolicy {
        let mut p = self.policy(name, "metrics", sel(pods));
        p.ingress = Some(vec![self.scraped_by_prometheus(ports)]);
        p
    }

    /// A webhook server: the API server calls it on `port`, from an address that is not in
    /// the IR (control plane), so from anywhere on that port only.
    fn webhook(&self, name: &str, pods: &[(&str, &str)], port: u16) -> NetworkPolicy {
        let mut p = self.policy(name, "webhook", sel(pods));
        p.ingress = Some(vec![Rule {
            peers: Vec::new(),
            ports: tcp(&[port]),
        }]);
        p
    }
}

/// Every policy of the core namespace, in a fixed order.
pub fn policies(ir: &Ir) -> Vec<NetworkPolicy> {
    let cx = Ctx { ir };
    let peers = &ir.core.peers;
    // Controllers also call cloud APIs and ACME on 443: hence "and-https" here.
    let mut out = cx.namespace_base(&ir.core.namespace, "allow-kube-apiserver-and-https");

    if ir.platform.cloud == Cloud::Gcp {
        // GKE Workload Identity: the metadata server (169.254.169.254:80; 169.254.169.252:988
        // with Dataplane V2), for the components that exchange tokens.
        let mut meta = cx.policy(
            "allow-gke-metadata",
            "cloud-identity",
            Selector {
                match_labels: Labels::new(),
                match_expressions: vec![Expr {
                    key: "app.kubernetes.io/name".into(),
                    op: Op::In,
                    values: vec!["external-dns".into(), "external-secrets".into()],
                }],
            },
        );
        meta.egress = Some(vec![
            Rule {
                peers: vec![Peer::IpBlock {
                    cidr: "169.254.169.254/32".into(),
                    except: Vec::new(),
                }],
                ports: tcp(&[80]),
            },
            Rule {
                peers: vec![Peer::IpBlock {
                    cidr: "169.254.169.252/32".into(),
                    except: Vec::new(),
                }],
                ports: tcp(&[988]),
            },
        ]);
        out.push(meta);
    }

    out.push(ingress_controller(&cx));

    let mut cm = cx.policy(
        "cert-manager-controller",
        "acme",
        sel(pods::CERT_MANAGER_CONTROLLER),
    );
    cm.egress = Some(vec![Rule {
        peers: anywhere(),
        ports: tcp(&[80]),
    }]);
    out.push(cm);
    out.push(cx.webhook("cert-manager-webhook", pods::CERT_MANAGER_WEBHOOK, 10250));
    out.push(cx.scraped("cert-manager-metrics", pods::CERT_MANAGER_ALL, &[9402]));
    out.push(cx.scraped("external-dns", pods::EXTERNAL_DNS, &[7979]));
    out.push(cx.webhook("external-secrets-webhook", pods::ESO_WEBHOOK, 10250));
    out.push(cx.scraped("external-secrets-metrics", pods::ESO_ALL, &[8080]));

    let mut prom = cx.policy(
        "prometheus",
        "metrics",
        Selector::labels(&peers.prometheus.labels),
    );
    prom.egress = Some(vec![
        Rule {
            peers: vec![Peer::Pods {
                namespaces: Some(Selector::default()),
                pods: None,
            }],
            ports: Vec::new(),
        },
        Rule {
            peers: anywhere(),
            ports: tcp(&[9100, 10250]),
        },
    ]);
    prom.ingress = Some(vec![
        Rule {
            peers: vec![here(sel(pods::GRAFANA))],
            ports: tcp(&[9090]),
        },
        cx.scraped_by_prometheus(&[8080, 9090]),
    ]);
    out.push(prom);

    let gossip = || Rule {
        peers: vec![here(sel(pods::ALERTMANAGER))],
        ports: vec![PortSpec::tcp(9094), udp(9094)],
    };
    let mut am = cx.policy("alertmanager", "metrics", sel(pods::ALERTMANAGER));
    am.ingress = Some(vec![
        cx.scraped_by_prometheus(&[8080, 9093]),
        Rule {
            peers: vec![here(sel(pods::GRAFANA))],
            ports: tcp(&[9093]),
        },
        gossip(),
    ]);
    am.egress = Some(vec![gossip()]);
    out.push(am);

    let mut grafana = cx.policy("grafana", "metrics", sel(pods::GRAFANA));
    grafana.ingress = Some(vec![cx.scraped_by_prometheus(&[3000])]);
    grafana.egress = Some(vec![
        Rule {
            peers: vec![cx.prometheus()],
            ports: tcp(&[9090]),
        },
        Rule {
            peers: vec![here(sel(pods::ALERTMANAGER))],
            ports: tcp(&[9093]),
        },
    ]);
    out.push(grafana);
    out.push(cx.scraped(
        "kube-state-metrics",
        pods::KUBE_STATE_METRICS,
        &[8080, 8081],
    ));
    out.push(cx.webhook("prometheus-operator", pods::PROMETHEUS_OPERATOR, 10250));

    if ir.core.event_bus {
        event_bus(&cx, &mut out);
    }
    out.extend(database_operators(&cx));
    out
}

/// Each database operator reaches exactly the pods of the stores it runs (exact namespace,
/// the store's pod labels) on the ports it manages them through; the store side admits it in
/// the app overlay. Kubernetes API access is in `allow-kube-apiserver-and-https`. An operator
/// in a namespace of its own (the MySQL Operator) gets that namespace's default deny, DNS and
/// Kubernetes API (443/6443) policies too.
fn database_operators(cx: &Ctx<'_>) -> Vec<NetworkPolicy> {
    use std::collections::BTreeMap;
    // release -> (operator namespace, operator pods, rules in app, stage, service order)
    let mut by_operator: BTreeMap<&str, (&str, Labels, Vec<Rule>)> = BTreeMap::new();
    for app in &cx.ir.apps {
        for stage in &app.stages {
            for w in &stage.workloads {
                for store in [&w.database, &w.cache].into_iter().flatten() {
                    let (Some(op), platc_ir::StoreEndpoint::Pods { labels: pods }) =
                        (&store.operator, &store.endpoint)
                    else {
                        continue;
                    };
                    by_operator
                        .entry(op.release)
                        .or_insert_with(|| {
                            (
                                op.pods.namespace.as_str(),
                                op.pods.labels.clone(),
                                Vec::new(),
                            )
                        })
                        .2
                        .push(Rule {
                            peers: vec![in_namespace(&stage.namespace, Selector::labels(pods))],
                            ports: tcp(&op.ports),
                        });
                }
            }
        }
    }
    let mut out = Vec::new();
    for (release, (namespace, pods, rules)) in by_operator {
        if namespace != cx.ir.core.namespace {
            out.extend(cx.namespace_base(namespace, "allow-kube-apiserver"));
        }
        let mut p = cx.policy_in(
            namespace,
            release,
            "database-operator",
            Selector::labels(&pods),
        );
        p.egress = Some(rules);
        out.push(p);
    }
    out
}

fn ingress_controller(cx: &Ctx<'_>) -> NetworkPolicy {
    let ir = cx.ir;
    let mut p = cx.policy(
        "ingress-nginx-controller",
        "ingress-controller",
        Selector::labels(&ir.core.peers.ingress.labels),
    );
    p.ingress = Some(vec![
        Rule {
            peers: Vec::new(),
            ports: tcp(&[80, 443]),
        },
        Rule {
            peers: Vec::new(),
            ports: tcp(&[8443]),
        },
        cx.scraped_by_prometheus(&[10254]),
    ]);
    let mut egress = Vec::new();
    let mut solver_namespaces = BTreeSet::new();
    for app in &ir.apps {
        for stage in &app.stages {
            let mut routed = BTreeSet::new();
            for ingress in &stage.ingresses {
                for route in &ingress.routes {
                    routed.insert(route.service.as_str());
                }
            }
            if !routed.is_empty() {
                solver_namespaces.insert(stage.namespace.as_str());
            }
            // Services in name order (the IR's order), each once per namespace.
            for svc in app
                .services
                .iter()
                .filter(|s| routed.contains(s.name.as_str()))
            {
                egress.push(Rule {
                    peers: vec![in_namespace(
                        &stage.namespace,
                        Selector::labels(&svc.selector),
                    )],
                    ports: tcp(&[svc.port]),
                });
            }
        }
    }
    if ir.core.acme_email.is_some() && !solver_namespaces.is_empty() {
        egress.push(Rule {
            peers: solver_namespaces
                .iter()
                .map(|ns| in_namespace(ns, sel(&[(SOLVER_LABEL, "true")])))
                .collect(),
            ports: tcp(&[ACME_SOLVER_PORT]),
        });
    }
    p.egress = Some(egress);
    p
}

/// Strimzi's ports: 9090 controller quorum, 9091 replication (brokers, operator, entity
/// operator), 8443 the Kafka agent the operator asks for broker state.
const KAFKA_CONTROL: u16 = 9090;
const KAFKA_REPLICATION: u16 = 9091;
const KAFKA_AGENT: u16 = 8443;

fn event_bus(cx: &Ctx<'_>, out: &mut Vec<NetworkPolicy>) {
    let ir = cx.ir;
    let kafka = Selector::labels(&ir.core.peers.kafka.labels);

    let mut op = cx.policy(
        "strimzi-cluster-operator",
        "event-bus",
        sel(pods::STRIMZI_OPERATOR),
    );
    op.egress = Some(vec![Rule {
        peers: vec![here(kafka.clone())],
        ports: tcp(&[KAFKA_CONTROL, KAFKA_REPLICATION, KAFKA_AGENT]),
    }]);
    out.push(op);

    let mut cluster = cx.policy("kafka-cluster", "event-bus", kafka.clone());
    cluster.ingress = Some(vec![
        Rule {
            peers: vec![here(kafka.clone())],
            ports: tcp(&[KAFKA_CONTROL, KAFKA_REPLICATION]),
        },
        Rule {
            peers: vec![here(sel(pods::STRIMZI_OPERATOR))],
            ports: tcp(&[KAFKA_CONTROL, KAFKA_REPLICATION, KAFKA_AGENT]),
        },
    ]);
    cluster.egress = Some(vec![Rule {
        peers: vec![here(kafka.clone())],
        ports: tcp(&[KAFKA_CONTROL, KAFKA_REPLICATION]),
    }]);
    out.push(cluster);

    let mut clients = Vec::new();
    for app in &ir.apps {
        for stage in &app.stages {
            for svc in &app.services {
                if svc.publishes.is_empty() && svc.subscribes.is_empty() {
                    continue;
                }
                clients.push(in_namespace(
                    &stage.namespace,
                    Selector::labels(&svc.selector),
                ));
            }
        }
    }
    if !clients.is_empty() {
        let mut p = cx.policy("kafka-clients", "event-bus", kafka);
        p.ingress = Some(vec![Rule {
            peers: clients,
            ports: tcp(&[ir.core.peers.kafka_port]),
        }]);
        out.push(p);
    }
}
