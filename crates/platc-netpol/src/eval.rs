//! Kubernetes NetworkPolicy semantics over emitted policy objects.
//!
//! A connection is allowed when the source side allows the egress (no policy with `Egress`
//! selects the source pod, or one of their egress rules matches the destination and port) and
//! the destination side allows the ingress (likewise). Rules: empty peer list = every peer,
//! empty port list = every port; a peer without `namespaceSelector` means the policy's own
//! namespace; `ipBlock` matches addresses outside the cluster only.

use std::collections::BTreeMap;

use crate::model::{Labels, NetworkPolicy, Peer, Proto, Rule};
use crate::world::{cidr_contains, Endpoint};

/// How one side of a connection decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Side {
    /// The endpoint is outside the cluster: NetworkPolicies do not apply to it.
    Outside,
    /// No policy of this direction selects the pod: everything is allowed.
    Unrestricted,
    /// Allowed by these (policy, rule index) pairs.
    Allowed(Vec<(String, usize)>),
    /// Policies select the pod but none allows it; here are the selecting policies.
    Denied(Vec<String>),
}

impl Side {
    pub fn allows(&self) -> bool {
        !matches!(self, Side::Denied(_))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub egress: Side,
    pub ingress: Side,
}

impl Verdict {
    pub fn allowed(&self) -> bool {
        self.egress.allows() && self.ingress.allows()
    }
}

/// The policies of every namespace, indexed for evaluation.
pub struct Policies<'a> {
    by_namespace: BTreeMap<&'a str, Vec<&'a NetworkPolicy>>,
    namespaces: &'a BTreeMap<String, Labels>,
}

impl<'a> Policies<'a> {
    pub fn new(policies: &'a [NetworkPolicy], namespaces: &'a BTreeMap<String, Labels>) -> Self {
        let mut by_namespace: BTreeMap<&str, Vec<&NetworkPolicy>> = BTreeMap::new();
        for p in policies {
            by_namespace
                .entry(p.namespace.as_str())
                .or_default()
                .push(p);
        }
        Policies {
            by_namespace,
            namespaces,
        }
    }

    pub fn evaluate(&self, src: &Endpoint, dst: &Endpoint, proto: Proto, port: u16) -> Verdict {
        Verdict {
            egress: self.side(src, dst, proto, port, Direction::Egress),
            ingress: self.side(dst, src, proto, port, Direction::Ingress),
        }
    }

    /// `subject` is the pod whose policies decide; `peer` the other end.
    fn side(
        &self,
        subject: &Endpoint,
        peer: &Endpoint,
        proto: Proto,
        port: u16,
        dir: Direction,
    ) -> Side {
        let Endpoint::Pod {
            namespace, labels, ..
        } = subject
        else {
            return Side::Outside;
        };
        let selecting: Vec<&NetworkPolicy> = self
            .by_namespace
            .get(namespace.as_str())
            .into_iter()
            .flatten()
            .copied()
            .filter(|p| p.pod_selector.matches(labels))
            .filter(|p| match dir {
                Direction::Egress => p.egress.is_some(),
                Direction::Ingress => p.ingress.is_some(),
            })
            .collect();
        if selecting.is_empty() {
            return Side::Unrestricted;
        }
        let mut allowed = Vec::new();
        for p in &selecting {
            let rules = match dir {
                Direction::Egress => p.egress.as_deref(),
                Direction::Ingress => p.ingress.as_deref(),
            };
            for (i, rule) in rules.into_iter().flatten().enumerate() {
                if self.rule_matches(rule, &p.namespace, peer, proto, port) {
                    allowed.push((p.name.clone(), i));
                }
            }
        }
        if allowed.is_empty() {
            Side::Denied(selecting.iter().map(|p| p.name.clone()).collect())
        } else {
            Side::Allowed(allowed)
        }
    }

    fn rule_matches(
        &self,
        rule: &Rule,
        policy_ns: &str,
        peer: &Endpoint,
        proto: Proto,
        port: u16,
    ) -> bool {
        let port_ok = rule.ports.is_empty() || rule.ports.iter().any(|p| p.matches(proto, port));
        let peer_ok = rule.peers.is_empty()
            || rule
                .peers
                .iter()
                .any(|p| self.peer_matches(p, policy_ns, peer));
        port_ok && peer_ok
    }

    fn peer_matches(&self, peer: &Peer, policy_ns: &str, endpoint: &Endpoint) -> bool {
        match (peer, endpoint) {
            (
                Peer::Pods { namespaces, pods },
                Endpoint::Pod {
                    namespace, labels, ..
                },
            ) => {
                let ns_ok = match namespaces {
                    None => namespace == policy_ns,
                    Some(sel) => self
                        .namespaces
                        .get(namespace)
                        .is_some_and(|l| sel.matches(l)),
                };
                ns_ok && pods.as_ref().is_none_or(|s| s.matches(labels))
            }
            (Peer::IpBlock { cidr, except }, Endpoint::External { ip, .. }) => {
                cidr_contains(cidr, ip) && !except.iter().any(|e| cidr_contains(e, ip))
            }
            _ => false,
        }
    }
}

#[derive(Clone, Copy)]
enum Direction {
    Egress,
    Ingress,
}
