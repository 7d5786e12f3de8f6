//! IR → the NetworkPolicies of one app × stage namespace.

use std::collections::HashMap;

use platc_ir::{
    AppIr, AppStageIr, DataStoreIr, Ir, Labels, PodRef, Satellite, ServiceIr, StoreEndpoint,
};

use crate::model::{NetworkPolicy, Peer, PortSpec, Proto, Rule, Selector};

/// The overlay file holding an app × stage's policies.
pub const FILE_NAME: &str = "network-policies.yaml";

/// Label on every generated policy, saying what it is for.
const PURPOSE: &str = "platc.dev/policy";

struct Ctx<'a> {
    ir: &'a Ir,
    namespace: &'a str,
    stage: &'a str,
}

impl Ctx<'_> {
    fn policy(&self, name: String, purpose: &str, selected: Selector) -> NetworkPolicy {
        let mut labels = Labels::new();
        labels.insert("app.kubernetes.io/managed-by".into(), "platc".into());
        labels.insert(PURPOSE.into(), purpose.into());
        NetworkPolicy {
            name,
            namespace: self.namespace.to_string(),
            labels,
            pod_selector: selected,
            ingress: None,
            egress: None,
        }
    }

    /// Pods in another namespace (or this one, then without a namespace selector).
    fn pods_in(&self, namespace: &str, labels: &Labels) -> Peer {
        Peer::Pods {
            namespaces: (namespace != self.namespace).then(|| Selector::namespace(namespace)),
            pods: Some(Selector::labels(labels)),
        }
    }

    fn pod_ref(&self, p: &PodRef) -> Peer {
        self.pods_in(&p.namespace, &p.labels)
    }
}

/// Lookups over the whole IR, built once per render: where each app runs per stage, each
/// service by name, and who calls each service. Without it, finding callers is quadratic.
pub struct Index<'a> {
    namespaces: HashMap<(&'a str, &'a str), &'a str>,
    services: HashMap<(&'a str, &'a str), &'a ServiceIr>,
    /// Callee (app, service) -> callers (app, service), in app and service order.
    callers: HashMap<(&'a str, &'a str), Vec<(&'a str, &'a ServiceIr)>>,
}

impl<'a> Index<'a> {
    pub fn new(ir: &'a Ir) -> Self {
        let mut index = Index {
            namespaces: HashMap::new(),
            services: HashMap::new(),
            callers: HashMap::new(),
        };
        for app in &ir.apps {
            for st in &app.stages {
                index.namespaces.insert(
                    (app.name.as_str(), st.stage.as_str()),
                    st.namespace.as_str(),
                );
            }
            for svc in &app.services {
                index
                    .services
                    .insert((app.name.as_str(), svc.name.as_str()), svc);
                for c in &svc.calls {
                    index
                        .callers
                        .entry((c.app.as_str(), c.service.as_str()))
                        .or_default()
                        .push((app.name.as_str(), svc));
                }
            }
        }
        index
    }

    /// Where `app` runs in `stage` (None when it is not deployed there).
    fn namespace_of(&self, app: &str, stage: &str) -> Option<&'a str> {
        self.namespaces.get(&(app, stage)).copied()
    }

    fn service(&self, app: &str, name: &str) -> Option<&'a ServiceIr> {
        self.services.get(&(app, name)).copied()
    }

    fn callers_of<'s>(&'s self, app: &'s str, name: &'s str) -> &'s [(&'a str, &'a ServiceIr)] {
        self.callers.get(&(app, name)).map_or(&[], Vec::as_slice)
    }
}

/// Every policy of `app` in `stage`, in a fixed order.
pub fn policies_for(ir: &Ir, app: &AppIr, stage: &AppStageIr) -> Vec<NetworkPolicy> {
    policies_for_indexed(ir, &Index::new(ir), app, stage)
}

/// [`policies_for`] with an [`Index`] shared by every app × stage of one render.
pub fn policies_for_indexed(
    ir: &Ir,
    index: &Index<'_>,
    app: &AppIr,
    stage: &AppStageIr,
) -> Vec<NetworkPolicy> {
    let cx = Ctx {
        ir,
        namespace: &stage.namespace,
        stage: &stage.stage,
    };
    let mut out = Vec::new();

    let mut deny = cx.policy(
        "default-deny-all".into(),
        "default-deny",
        Selector::default(),
    );
    deny.ingress = Some(Vec::new());
    deny.egress = Some(Vec::new());
    out.push(deny);

    let mut dns = cx.policy("allow-dns".into(), "dns", Selector::default());
    dns.egress = Some(vec![Rule {
        peers: vec![cx.pod_ref(&ir.core.peers.dns)],
        ports: vec![
            PortSpec {
                protocol: Proto::Udp,
                port: Some(53),
                end_port: None,
            },
            PortSpec::tcp(53),
        ],
    }]);
    out.push(dns);

    if !stage.ingresses.is_empty() {
        // cert-manager answers Let's Encrypt's HTTP-01 challenges from solver pods in this
        // namespace; the ingress controller forwards the challenge requests to them.
        let mut p = cx.policy(
            "acme-solver-from-ingress-controller".into(),
            "ingress-controller",
            Selector::labels(&ir.core.peers.acme_solver),
        );
        p.ingress = Some(vec![Rule {
            peers: vec![cx.pod_ref(&ir.core.peers.ingress)],
            ports: vec![PortSpec::tcp(ir.core.peers.acme_solver_port)],
        }]);
        out.push(p);
    }

    for (svc, w) in app.services.iter().zip(&stage.workloads) {
        let me = Selector::labels(&svc.selector);
        let exposed = stage
            .ingresses
            .iter()
            .any(|i| i.routes.iter().any(|r| r.service == svc.name));
        if exposed {
            let mut p = cx.policy(
                format!("{}-from-ingress-controller", svc.name),
                "ingress-controller",
                me.clone(),
            );
            p.ingress = Some(vec![Rule {
                peers: vec![cx.pod_ref(&ir.core.peers.ingress)],
                ports: vec![PortSpec::tcp(svc.port)],
            }]);
            out.push(p);
        }

        // Callers of this service, from every app deployed in the same stage.
        let mut callers = Vec::new();
        for (caller_app, caller) in index.callers_of(&app.name, &svc.name) {
            if let Some(ns) = index.namespace_of(caller_app, cx.stage) {
                callers.push(Rule {
                    peers: vec![cx.pods_in(ns, &caller.selector)],
                    ports: vec![PortSpec::tcp(svc.port)],
                });
            }
        }
        if !callers.is_empty() {
            let mut p = cx.policy(format!("{}-from-callers", svc.name), "calls", me.clone());
            p.ingress = Some(callers);
            out.push(p);
        }

        let mut scrape = cx.policy(
            format!("{}-from-prometheus", svc.name),
            "metrics",
            me.clone(),
        );
        scrape.ingress = Some(vec![Rule {
            peers: vec![cx.pod_ref(&ir.core.peers.prometheus)],
            ports: vec![PortSpec::tcp(svc.metrics.port)],
        }]);
        out.push(scrape);

        let mut callees = Vec::new();
        for c in &svc.calls {
            let (Some(ns), Some(target)) = (
                index.namespace_of(&c.app, cx.stage),
                index.service(&c.app, &c.service),
            ) else {
                continue;
            };
            callees.push(Rule {
                peers: vec![cx.pods_in(ns, &target.selector)],
                ports: vec![PortSpec::tcp(target.port)],
            });
        }
        if !callees.is_empty() {
            let mut p = cx.policy(format!("{}-to-callees", svc.name), "calls", me.clone());
            p.egress = Some(callees);
            out.push(p);
        }

        for store in [&w.database, &w.cache].into_iter().flatten() {
            store_policies(&cx, svc, store, &mut out);
        }

        if ir.core.event_bus && (!svc.publishes.is_empty() || !svc.subscribes.is_empty()) {
            let mut p = cx.policy(
                format!("{}-to-event-bus", svc.name),
                "event-bus",
                me.clone(),
            );
            p.egress = Some(vec![Rule {
                peers: vec![cx.pod_ref(&ir.core.peers.kafka)],
                ports: vec![PortSpec::tcp(ir.core.peers.kafka_port)],
            }]);
            out.push(p);
        }
    }
    out
}

fn store_policies(
    cx: &Ctx<'_>,
    svc: &ServiceIr,
    store: &DataStoreIr,
    out: &mut Vec<NetworkPolicy>,
) {
    let me = Selector::labels(&svc.selector);
    let mut egress = cx.policy(
        format!("{}-to-{}", svc.name, store.name),
        "data",
        me.clone(),
    );
    match &store.endpoint {
        StoreEndpoint::Pods { labels } => {
            let pods = Selector::labels(labels);
            // With a satellite that serves the service (a connection pooler, MySQL Router) the
            // service talks to that satellite only (its policies are the satellite's), never
            // to the store directly.
            if !store.satellites.iter().any(|s| s.serves_service.is_some()) {
                egress.egress = Some(vec![Rule {
                    peers: vec![cx.pods_in(cx.namespace, labels)],
                    ports: store_ports(store),
                }]);
                out.push(egress);
                let mut ingress = cx.policy(
                    format!("{}-from-{}", store.name, svc.name),
                    "data",
                    pods.clone(),
                );
                ingress.ingress = Some(vec![Rule {
                    peers: vec![cx.pods_in(cx.namespace, &svc.selector)],
                    ports: store_ports(store),
                }]);
                out.push(ingress);
            }
            // The store's own pods talk to each other on its port: primary and replicas
            // stream, and the chart's backup jobs (which carry the store's labels) dump it.
            let mut internal_ports = store_ports(store);
            if let Some(op) = &store.operator {
                internal_ports.extend(op.peer_ports.iter().copied().map(PortSpec::tcp));
            }
            let peer = Rule {
                peers: vec![cx.pods_in(cx.namespace, labels)],
                ports: internal_ports,
            };
            let mut internal = cx.policy(
                format!("{}-internal", store.name),
                "store-internal",
                pods.clone(),
            );
            internal.ingress = Some(vec![peer.clone()]);
            internal.egress = Some(vec![peer]);
            out.push(internal);
            if store
                .backup_storage
                .as_ref()
                .is_some_and(|b| b.uploader == platc_ir::BackupUploader::StorePods)
            {
                let mut upload = cx.policy(
                    format!("{}-to-object-storage", store.name),
                    "backup",
                    pods.clone(),
                );
                upload.egress = Some(vec![https_anywhere()]);
                out.push(upload);
            }
            for sat in &store.satellites {
                satellite_policies(cx, svc, store, labels, sat, out);
            }
            if let Some(op) = &store.operator {
                // The operator (core namespace) manages the store's pods: users, databases,
                // failover. Its own egress is in core-services' policies.
                let mut managed = cx.policy(
                    format!("{}-from-operator", store.name),
                    "store-operator",
                    pods.clone(),
                );
                managed.ingress = Some(vec![Rule {
                    peers: vec![cx.pod_ref(&op.pods)],
                    ports: op.ports.iter().copied().map(PortSpec::tcp).collect(),
                }]);
                out.push(managed);
                if op.api_server {
                    // Patroni keeps leader election and configuration in the Kubernetes API;
                    // the MySQL Operator's sidecars report and label their pods there.
                    let mut api = cx.policy(
                        format!("{}-to-kube-apiserver", store.name),
                        "store-operator",
                        pods.clone(),
                    );
                    api.egress = Some(vec![kube_apiserver()]);
                    out.push(api);
                }
            }
            if let Some(port) = store.metrics_port {
                let mut scrape =
                    cx.policy(format!("{}-from-prometheus", store.name), "metrics", pods);
                scrape.ingress = Some(vec![Rule {
                    peers: vec![cx.pod_ref(&cx.ir.core.peers.prometheus)],
                    ports: vec![PortSpec::tcp(port)],
                }]);
                out.push(scrape);
            }
        }
        StoreEndpoint::External { cidrs } => {
            // Without declared ranges the endpoint may be anywhere outside the cluster; ipBlock
            // is meant for cluster-external addresses, so pods stay unreachable on this port.
            let any = ["0.0.0.0/0".to_string(), "::/0".to_string()];
            let ranges = if cidrs.is_empty() {
                &any[..]
            } else {
                &cidrs[..]
            };
            let peers = ranges
                .iter()
                .map(|c| Peer::IpBlock {
                    cidr: c.clone(),
                    except: Vec::new(),
                })
                .collect();
            egress.egress = Some(vec![Rule {
                peers,
                ports: store_ports(store),
            }]);
            out.push(egress);
        }
    }
}

/// HTTPS to any address outside the cluster: object storage (S3, GCS, Azure Blob) has no
/// fixed address range. ipBlock is meant for cluster-external addresses (see
/// ARCHITECTURE.md), so pods stay unreachable on this port.
fn https_anywhere() -> Rule {
    outside_the_cluster(&[443])
}

/// TCP `ports` at any address (IPv4 and IPv6), for endpoints outside the cluster.
fn outside_the_cluster(ports: &[u16]) -> Rule {
    Rule {
        peers: ["0.0.0.0/0", "::/0"]
            .into_iter()
            .map(|c| Peer::IpBlock {
                cidr: c.to_string(),
                except: Vec::new(),
            })
            .collect(),
        ports: ports.iter().copied().map(PortSpec::tcp).collect(),
    }
}

/// The policies of pods an operator starts next to a store (its backup jobs, a connection
/// pooler, a router) or platc runs for it: each side of every edge, nothing else.
fn satellite_policies(
    cx: &Ctx<'_>,
    svc: &ServiceIr,
    store: &DataStoreIr,
    store_labels: &Labels,
    sat: &Satellite,
    out: &mut Vec<NetworkPolicy>,
) {
    let me = Selector::labels(&sat.labels);
    let tcp = |ports: &[u16]| ports.iter().copied().map(PortSpec::tcp).collect::<Vec<_>>();
    let mut own = cx.policy(
        format!("{}-{}", store.name, sat.role),
        "store-satellite",
        me.clone(),
    );
    let mut egress = Vec::new();
    if !sat.to_store.is_empty() {
        egress.push(Rule {
            peers: vec![cx.pods_in(cx.namespace, store_labels)],
            ports: tcp(&sat.to_store),
        });
    }
    // Satellites it reaches on their service port, in its list's order.
    for other in store
        .satellites
        .iter()
        .filter(|o| sat.to_satellites.contains(&o.role))
    {
        if let Some(port) = other.serves_service {
            egress.push(Rule {
                peers: vec![cx.pods_in(cx.namespace, &other.labels)],
                ports: tcp(&[port]),
            });
        }
    }
    if sat.upload {
        egress.push(https_anywhere());
    }
    if sat.api_server {
        egress.push(kube_apiserver());
    }
    own.egress = Some(egress);
    if let Some(port) = sat.serves_service {
        // The owning service, and the store's other satellites that reach this one.
        let mut peers = vec![cx.pods_in(cx.namespace, &svc.selector)];
        peers.extend(
            store
                .satellites
                .iter()
                .filter(|o| o.to_satellites.contains(&sat.role))
                .map(|o| cx.pods_in(cx.namespace, &o.labels)),
        );
        own.ingress = Some(vec![Rule {
            peers,
            ports: tcp(&[port]),
        }]);
    }
    out.push(own);
    if !sat.to_store.is_empty() {
        let mut at_store = cx.policy(
            format!("{}-from-{}", store.name, sat.role),
            "store-satellite",
            Selector::labels(store_labels),
        );
        at_store.ingress = Some(vec![Rule {
            peers: vec![cx.pods_in(cx.namespace, &sat.labels)],
            ports: tcp(&sat.to_store),
        }]);
        out.push(at_store);
    }
    if let Some(port) = sat.serves_service {
        let mut client = cx.policy(
            format!("{}-to-{}-{}", svc.name, store.name, sat.role),
            "data",
            Selector::labels(&svc.selector),
        );
        client.egress = Some(vec![Rule {
            peers: vec![cx.pods_in(cx.namespace, &sat.labels)],
            ports: tcp(&[port]),
        }]);
        out.push(client);
    }
}

/// The Kubernetes API, whose address is the cloud's (not in the IR): TCP 443/6443 outside the
/// cluster, as core-services' controllers have it.
fn kube_apiserver() -> Rule {
    outside_the_cluster(&[443, 6443])
}

/// The store's port and any further ports its pods serve (Sentinel).
fn store_ports(store: &DataStoreIr) -> Vec<PortSpec> {
    std::iter::once(store.port)
        .chain(store.extra_ports.iter().copied())
        .map(PortSpec::tcp)
        .collect()
}
