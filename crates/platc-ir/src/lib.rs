//! The intermediate representation: the platform with every decision made.
//!
//! `resolve` turns a *checked* [`platc_model::Document`] into an [`Ir`] in which every app ×
//! stage × service has its namespace, replicas, image, resources, probes, hosts, labels and
//! database/cache placement decided. Emitters read only the IR; no emitter applies a default.
//! Everything is ordered: vectors are sorted by name, maps are `BTreeMap`s.

mod resolve;
mod types;

pub use resolve::{resolve, ResolveError};
pub use types::*;
