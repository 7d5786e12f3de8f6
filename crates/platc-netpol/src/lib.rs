//! NetworkPolicies: derived from what platform.toml declares, and evaluated back.
//!
//! - [`derive`] turns the IR into the policies of one app × stage namespace: default deny,
//!   DNS, ingress controller → exposed services, `calls` edges (egress at the caller and
//!   ingress at the callee), service → its own database/cache, event bus clients → Kafka,
//!   Prometheus → metrics ports. One policy per purpose, with stable names.
//! - [`eval`] answers "may A reach B on port P?" over *emitted* NetworkPolicy objects with
//!   Kubernetes semantics (podSelector, namespaceSelector, matchLabels/matchExpressions, ports,
//!   policyTypes; both egress and ingress must allow). It never looks at the declarations, so
//!   it is an independent check of [`derive`].
//! - [`world`] lists the pods (and external endpoints) of a stage as the other emitters and the
//!   pinned charts label them, which is what the evaluator runs against.
//!
//! Invariants: pure functions; no selector ever names a namespace of another stage (namespaces
//! are selected by their exact `kubernetes.io/metadata.name`).

pub mod derive;
pub mod eval;
pub mod model;
pub mod world;

pub use derive::{policies_for, policies_for_indexed, Index, FILE_NAME};
pub use model::{NetworkPolicy, Peer, PortSpec, Proto, Rule, Selector};
