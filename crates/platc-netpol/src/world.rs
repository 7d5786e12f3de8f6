//! The pods of the cluster as platc's outputs and the pinned charts label them: every
//! workload of every app and stage, their in-cluster stores, the core-services peers (with the
//! database operators in use), and sample addresses outside the cluster. The evaluator runs against this.

use std::collections::BTreeMap;
use std::fmt;

use platc_ir::{Ir, StoreEndpoint};

use crate::model::Labels;

/// Label Kustomize adds to every object of an overlay (see platc-kustomize).
pub const STAGE_LABEL: &str = "platc.dev/stage";

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Endpoint {
    Pod {
        /// How users name it: `shop.orders`, `shop.orders.database`, `ingress`, ...
        id: String,
        stage: Option<String>,
        namespace: String,
        labels: Labels,
    },
    External {
        id: String,
        ip: String,
    },
}

impl Endpoint {
    pub fn id(&self) -> &str {
        match self {
            Endpoint::Pod { id, .. } | Endpoint::External { id, .. } => id,
        }
    }

    pub fn stage(&self) -> Option<&str> {
        match self {
            Endpoint::Pod { stage, .. } => stage.as_deref(),
            Endpoint::External { .. } => None,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Pod { id, namespace, .. } => write!(f, "{id} (namespace {namespace})"),
            Endpoint::External { id, ip } => write!(f, "{id} ({ip})"),
        }
    }
}

/// Namespaces with their labels, and every endpoint.
#[derive(Clone, Debug, Default)]
pub struct World {
    pub namespaces: BTreeMap<String, Labels>,
    pub endpoints: Vec<Endpoint>,
}

impl World {
    pub fn find(&self, id: &str, stage: Option<&str>) -> Vec<&Endpoint> {
        self.endpoints
            .iter()
            .filter(|e| {
                e.id() == id && (e.stage().is_none() || stage.is_none() || e.stage() == stage)
            })
            .collect()
    }
}

fn ns_labels(name: &str, extra: &[(&str, &str)]) -> Labels {
    let mut l = Labels::new();
    l.insert("kubernetes.io/metadata.name".into(), name.into());
    for (k, v) in extra {
        l.insert((*k).into(), (*v).into());
    }
    l
}

/// An address outside every private range the platform uses.
pub const PUBLIC_IP: &str = "203.0.113.10";

pub fn world(ir: &Ir) -> World {
    let mut w = World::default();
    let peers = &ir.core.peers;
    for (id, p) in [
        ("ingress", &peers.ingress),
        ("prometheus", &peers.prometheus),
        ("dns", &peers.dns),
    ] {
        w.namespaces
            .entry(p.namespace.clone())
            .or_insert_with(|| ns_labels(&p.namespace, &[]));
        w.endpoints.push(Endpoint::Pod {
            id: id.into(),
            stage: None,
            namespace: p.namespace.clone(),
            labels: p.labels.clone(),
        });
    }
    if ir.core.event_bus {
        w.endpoints.push(Endpoint::Pod {
            id: "kafka".into(),
            stage: None,
            namespace: peers.kafka.namespace.clone(),
            labels: peers.kafka.labels.clone(),
        });
    }
    w.endpoints.push(Endpoint::External {
        id: "internet".into(),
        ip: PUBLIC_IP.into(),
    });
    for app in &ir.apps {
        for stage in &app.stages {
            w.namespaces.insert(
                stage.namespace.clone(),
                ns_labels(
                    &stage.namespace,
                    &[("platc.dev/app", &app.name), (STAGE_LABEL, &stage.stage)],
                ),
            );
            for cidr in &stage.managed_cidrs {
                if let Some(ip) = first_host(cidr) {
                    let id = format!("managed:{cidr}");
                    if !w.endpoints.iter().any(|e| e.id() == id) {
                        w.endpoints.push(Endpoint::External { id, ip });
                    }
                }
            }
            if !stage.ingresses.is_empty() {
                w.endpoints.push(Endpoint::Pod {
                    id: format!("{}.acme-solver", app.name),
                    stage: Some(stage.stage.clone()),
                    namespace: stage.namespace.clone(),
                    labels: ir.core.peers.acme_solver.clone(),
                });
            }
            for (svc, wl) in app.services.iter().zip(&stage.workloads) {
                let mut labels = svc.labels.clone();
                labels.insert(STAGE_LABEL.into(), stage.stage.clone());
                w.endpoints.push(Endpoint::Pod {
                    id: format!("{}.{}", app.name, svc.name),
                    stage: Some(stage.stage.clone()),
                    namespace: stage.namespace.clone(),
                    labels,
                });
                for (kind, store) in [("database", &wl.database), ("cache", &wl.cache)] {
                    let Some(store) = store else { continue };
                    if let StoreEndpoint::Pods { labels } = &store.endpoint {
                        w.endpoints.push(Endpoint::Pod {
                            id: format!("{}.{}.{kind}", app.name, svc.name),
                            stage: Some(stage.stage.clone()),
                            namespace: stage.namespace.clone(),
                            labels: labels.clone(),
                        });
                    }
                    if let Some(op) = &store.operator {
                        // The operator runs in its namespace (core, or its own); named by its
                        // release.
                        w.namespaces
                            .entry(op.pods.namespace.clone())
                            .or_insert_with(|| ns_labels(&op.pods.namespace, &[]));
                        w.endpoints.push(Endpoint::Pod {
                            id: op.release.to_string(),
                            stage: None,
                            namespace: op.pods.namespace.clone(),
                            labels: op.pods.labels.clone(),
                        });
                    }
                    for sat in &store.satellites {
                        w.endpoints.push(Endpoint::Pod {
                            id: format!("{}.{}.{kind}.{}", app.name, svc.name, sat.role),
                            stage: Some(stage.stage.clone()),
                            namespace: stage.namespace.clone(),
                            labels: sat.labels.clone(),
                        });
                    }
                }
            }
        }
    }
    w.endpoints.sort();
    w.endpoints.dedup();
    w
}

/// The first usable address of a CIDR block (for sampling).
pub fn first_host(cidr: &str) -> Option<String> {
    let (addr, len) = cidr.split_once('/')?;
    let len: u32 = len.parse().ok()?;
    match addr.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(v4) => {
            let base = u32::from(v4);
            let host = if len >= 31 {
                base
            } else {
                base.checked_add(1)?
            };
            Some(std::net::Ipv4Addr::from(host).to_string())
        }
        std::net::IpAddr::V6(v6) => {
            let base = u128::from(v6);
            let host = if len >= 127 {
                base
            } else {
                base.checked_add(1)?
            };
            Some(std::net::Ipv6Addr::from(host).to_string())
        }
    }
}

/// Whether `ip` lies in `cidr`.
pub fn cidr_contains(cidr: &str, ip: &str) -> bool {
    let Some((addr, len)) = cidr.split_once('/') else {
        return false;
    };
    let Ok(len) = len.parse::<u32>() else {
        return false;
    };
    match (
        addr.parse::<std::net::IpAddr>(),
        ip.parse::<std::net::IpAddr>(),
    ) {
        (Ok(std::net::IpAddr::V4(net)), Ok(std::net::IpAddr::V4(ip))) if len <= 32 => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(net) & mask == u32::from(ip) & mask
        }
        (Ok(std::net::IpAddr::V6(net)), Ok(std::net::IpAddr::V6(ip))) if len <= 128 => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            u128::from(net) & mask == u128::from(ip) & mask
        }
        _ => false,
    }
}
