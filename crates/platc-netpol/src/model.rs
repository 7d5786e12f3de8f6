//! A typed NetworkPolicy (networking.k8s.io/v1), its YAML form and its parser.

use std::collections::BTreeMap;

use platc_yaml::{Mapping, Yaml};
use serde_json::Value;

pub type Labels = BTreeMap<String, String>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Proto {
    Tcp,
    Udp,
    Sctp,
}

impl Proto {
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "TCP",
            Proto::Udp => "UDP",
            Proto::Sctp => "SCTP",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    pub key: String,
    pub op: Op,
    pub values: Vec<String>,
}

/// A label selector; empty selects everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    pub match_labels: Labels,
    pub match_expressions: Vec<Expr>,
}

impl Selector {
    pub fn labels(l: &Labels) -> Self {
        Selector {
            match_labels: l.clone(),
            match_expressions: Vec::new(),
        }
    }

    /// Selects the namespace with this exact name.
    pub fn namespace(name: &str) -> Self {
        let mut l = Labels::new();
        l.insert("kubernetes.io/metadata.name".into(), name.into());
        Selector::labels(&l)
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|e| {
                let v = labels.get(&e.key);
                match e.op {
                    Op::In => v.is_some_and(|v| e.values.contains(v)),
                    Op::NotIn => v.is_none_or(|v| !e.values.contains(v)),
                    Op::Exists => v.is_some(),
                    Op::DoesNotExist => v.is_none(),
                }
            })
    }

    fn to_yaml(&self) -> Mapping {
        let mut m = Mapping::new();
        if !self.match_labels.is_empty() {
            let mut l = Mapping::new();
            for (k, v) in &self.match_labels {
                l.insert(k, v.as_str());
            }
            m.insert("matchLabels", l);
        }
        if !self.match_expressions.is_empty() {
            let exprs = self
                .match_expressions
                .iter()
                .map(|e| {
                    let op = match e.op {
                        Op::In => "In",
                        Op::NotIn => "NotIn",
                        Op::Exists => "Exists",
                        Op::DoesNotExist => "DoesNotExist",
                    };
                    let mut x = Mapping::new()
                        .with("key", e.key.as_str())
                        .with("operator", op);
                    if !e.values.is_empty() {
                        x.insert(
                            "values",
                            Yaml::Seq(e.values.iter().map(|v| v.as_str().into()).collect()),
                        );
                    }
                    Yaml::Map(x)
                })
                .collect();
            m.insert("matchExpressions", Yaml::Seq(exprs));
        }
        m
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peer {
    /// `namespaceSelector` absent means the policy's own namespace; `podSelector` absent means
    /// every pod of the selected namespaces.
    Pods {
        namespaces: Option<Selector>,
        pods: Option<Selector>,
    },
    IpBlock {
        cidr: String,
        except: Vec<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortSpec {
    pub protocol: Proto,
    /// `None`: every port.
    pub port: Option<u16>,
    pub end_port: Option<u16>,
}

impl PortSpec {
    pub fn tcp(port: u16) -> Self {
        PortSpec {
            protocol: Proto::Tcp,
            port: Some(port),
            end_port: None,
        }
    }

    pub fn matches(&self, proto: Proto, port: u16) -> bool {
        self.protocol == proto
            && match (self.port, self.end_port) {
                (None, _) => true,
                (Some(p), None) => p == port,
                (Some(p), Some(end)) => (p..=end).contains(&port),
            }
    }
}

/// An empty `peers` list allows every peer; an empty `ports` list every port.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rule {
    pub peers: Vec<Peer>,
    pub ports: Vec<PortSpec>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkPolicy {
    pub name: String,
    /// Set by Kustomize from the overlay; the parser fills it in from the caller.
    pub namespace: String,
    pub labels: Labels,
    pub pod_selector: Selector,
    /// `Some` when `Ingress` is among the policy types (an empty list denies all ingress).
    pub ingress: Option<Vec<Rule>>,
    pub egress: Option<Vec<Rule>>,
}

impl NetworkPolicy {
    pub fn to_yaml(&self) -> Yaml {
        let mut meta = Mapping::new().with("name", self.name.as_str());
        if !self.labels.is_empty() {
            let mut l = Mapping::new();
            for (k, v) in &self.labels {
                l.insert(k, v.as_str());
            }
            meta.insert("labels", l);
        }
        let mut spec = Mapping::new().with("podSelector", self.pod_selector.to_yaml());
        let mut types = Vec::new();
        if self.ingress.is_some() {
            types.push(Yaml::from("Ingress"));
        }
        if self.egress.is_some() {
            types.push(Yaml::from("Egress"));
        }
        spec.insert("policyTypes", Yaml::Seq(types));
        if let Some(rules) = self.ingress.as_ref().filter(|r| !r.is_empty()) {
            spec.insert("ingress", rules_yaml(rules, "from"));
        }
        if let Some(rules) = self.egress.as_ref().filter(|r| !r.is_empty()) {
            spec.insert("egress", rules_yaml(rules, "to"));
        }
        Mapping::new()
            .with("apiVersion", "networking.k8s.io/v1")
            .with("kind", "NetworkPolicy")
            .with("metadata", meta)
            .with("spec", spec)
            .into()
    }

    /// Parses one NetworkPolicy object (as JSON, e.g. from a YAML document).
    pub fn from_json(v: &Value, namespace: &str) -> Result<Self, String> {
        let name = v
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .ok_or("metadata.name is missing")?
            .to_string();
        let namespace = v
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or(namespace)
            .to_string();
        let spec = v.get("spec").ok_or("spec is missing")?;
        let pod_selector = selector(
            spec.get("podSelector")
                .ok_or("spec.podSelector is missing")?,
        )?;
        let types: Vec<&str> = match spec.get("policyTypes").and_then(Value::as_array) {
            Some(t) => t.iter().filter_map(Value::as_str).collect(),
            // Kubernetes' default: Ingress, plus Egress when egress rules exist.
            None => {
                let mut t = vec!["Ingress"];
                if spec.get("egress").is_some() {
                    t.push("Egress");
                }
                t
            }
        };
        let rules = |key: &str, peer_key: &str| -> Result<Vec<Rule>, String> {
            let mut out = Vec::new();
            for r in spec
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.push(rule(r, peer_key)?);
            }
            Ok(out)
        };
        Ok(NetworkPolicy {
            name,
            namespace,
            labels: Labels::new(),
            pod_selector,
            ingress: if types.contains(&"Ingress") {
                Some(rules("ingress", "from")?)
            } else {
                None
            },
            egress: if types.contains(&"Egress") {
                Some(rules("egress", "to")?)
            } else {
                None
            },
        })
    }
}

fn rules_yaml(rules: &[Rule], peer_key: &'static str) -> Yaml {
    Yaml::Seq(
        rules
            .iter()
            .map(|r| {
                let mut m = Mapping::new();
                if !r.peers.is_empty() {
                    m.insert(peer_key, Yaml::Seq(r.peers.iter().map(peer_yaml).collect()));
                }
                if !r.ports.is_empty() {
                    let ports = r
                        .ports
                        .iter()
                        .map(|p| {
                            let mut pm = Mapping::new().with("protocol", p.protocol.as_str());
                            if let Some(port) = p.port {
                                pm.insert("port", i64::from(port));
                            }
                            if let Some(end) = p.end_port {
                                pm.insert("endPort", i64::from(end));
                            }
                            Yaml::Map(pm)
                        })
                        .collect();
                    m.insert("ports", Yaml::Seq(ports));
                }
                Yaml::Map(m)
            })
            .collect(),
    )
}

fn peer_yaml(p: &Peer) -> Yaml {
    match p {
        Peer::Pods { namespaces, pods } => {
            let mut m = Mapping::new();
            if let Some(ns) = namespaces {
                m.insert("namespaceSelector", ns.to_yaml());
            }
            if let Some(pods) = pods {
                m.insert("podSelector", pods.to_yaml());
            }
            Yaml::Map(m)
        }
        Peer::IpBlock { cidr, except } => {
            let mut b = Mapping::new().with("cidr", cidr.as_str());
            if !except.is_empty() {
                b.insert(
                    "except",
                    Yaml::Seq(except.iter().map(|e| e.as_str().into()).collect()),
                );
            }
            Yaml::Map(Mapping::new().with("ipBlock", b))
        }
    }
}

fn selector(v: &Value) -> Result<Selector, String> {
    let mut s = Selector::default();
    if let Some(l) = v.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in l {
            let v = v
                .as_str()
                .ok_or_else(|| format!("label `{k}` is not a string"))?;
            s.match_labels.insert(k.clone(), v.to_string());
        }
    }
    for e in v
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = e
            .get("key")
            .and_then(Value::as_str)
            .ok_or("matchExpressions entry without key")?;
        let op = match e.get("operator").and_then(Value::as_str) {
            Some("In") => Op::In,
            Some("NotIn") => Op::NotIn,
            Some("Exists") => Op::Exists,
            Some("DoesNotExist") => Op::DoesNotExist,
            other => return Err(format!("unknown operator {other:?}")),
        };
        let values = e
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        s.match_expressions.push(Expr {
            key: key.to_string(),
            op,
            values,
        });
    }
    Ok(s)
}

fn rule(v: &Value, peer_key: &str) -> Result<Rule, String> {
    let mut r = Rule::default();
    for p in v
        .get(peer_key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(b) = p.get("ipBlock") {
            r.peers.push(Peer::IpBlock {
                cidr: b
                    .get("cidr")
                    .and_then(Value::as_str)
                    .ok_or("ipBlock without cidr")?
                    .to_string(),
                except: b
                    .get("except")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
            });
        } else {
            r.peers.push(Peer::Pods {
                namespaces: p.get("namespaceSelector").map(selector).transpose()?,
                pods: p.get("podSelector").map(selector).transpose()?,
            });
        }
    }
    for p in v
        .get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let protocol = match p.get("protocol").and_then(Value::as_str).unwrap_or("TCP") {
            "TCP" => Proto::Tcp,
            "UDP" => Proto::Udp,
            "SCTP" => Proto::Sctp,
            other => return Err(format!("unknown protocol {other}")),
        };
        let port = match p.get("port") {
            None => None,
            Some(Value::Number(n)) => Some(
                n.as_u64()
                    .and_then(|n| u16::try_from(n).ok())
                    .ok_or("port out of range")?,
            ),
            Some(_) => return Err("named ports are not evaluated".to_string()),
        };
        let end_port = p
            .get("endPort")
            .and_then(Value::as_u64)
            .and_then(|n| u16::try_from(n).ok());
        r.ports.push(PortSpec {
            protocol,
            port,
            end_port,
        });
    }
    Ok(r)
}

/// Parses every NetworkPolicy of a (multi-document) YAML text; other kinds are skipped.
pub fn parse_policies(yaml: &str, namespace: &str) -> Result<Vec<NetworkPolicy>, String> {
    let mut out = Vec::new();
    for doc in serde_norway::Deserializer::from_str(yaml) {
        let v: Value = serde::Deserialize::deserialize(doc).map_err(|e| e.to_string())?;
        if v.get("kind").and_then(Value::as_str) == Some("NetworkPolicy") {
            out.push(NetworkPolicy::from_json(&v, namespace)?);
        }
    }
    Ok(out)
}
