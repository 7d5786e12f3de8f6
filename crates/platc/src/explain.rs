//! `platc explain`: may one workload reach another? Answered by evaluating the NetworkPolicy
//! objects platc *emitted* (read back from the rendered tree), not the declarations.

use std::fmt::Write as _;

use platc_ir::Ir;
use platc_netpol::eval::{Policies, Side, Verdict};
use platc_netpol::model::parse_policies;
use platc_netpol::world::{world, Endpoint, World};
use platc_netpol::{NetworkPolicy, Proto};
use platc_tree::FileTree;
use serde_json::Value;

/// Every NetworkPolicy in the rendered tree, with the namespace its overlay assigns.
pub fn emitted_policies(tree: &FileTree) -> Result<Vec<NetworkPolicy>, String> {
    let mut out = Vec::new();
    for (path, bytes) in tree.iter() {
        let Some(dir) = path.as_str().strip_suffix(platc_netpol::FILE_NAME) else {
            continue;
        };
        let kustomization = format!("{dir}kustomization.yaml");
        let namespace = tree
            .iter()
            .find(|(p, _)| p.as_str() == kustomization)
            .and_then(|(_, k)| serde_norway::from_slice::<Value>(k).ok())
            .and_then(|k| {
                k.get("namespace")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .ok_or_else(|| format!("{kustomization} sets no namespace"))?;
        let text = String::from_utf8_lossy(bytes);
        out.extend(parse_policies(&text, &namespace).map_err(|e| format!("{path}: {e}"))?);
    }
    Ok(out)
}

/// A question: from, to, stage, port.
pub struct Question<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub stage: Option<&'a str>,
    pub port: Option<u16>,
    pub udp: bool,
}

/// The answer as text, and whether the connection is allowed.
pub fn explain(ir: &Ir, tree: &FileTree, q: &Question<'_>) -> Result<(bool, String), String> {
    let policies = emitted_policies(tree)?;
    let world = world(ir);
    let stage = match q.stage {
        Some(s) => Some(s.to_string()),
        None => default_stage(&world, q.from, q.to),
    };
    let src = pick(&world, q.from, stage.as_deref())?;
    let dst = pick(&world, q.to, stage.as_deref())?;
    let port = match q.port {
        Some(p) => p,
        None => default_port(ir, dst)
            .ok_or_else(|| format!("`{}` has no single port; pass --port", q.to))?,
    };
    let proto = if q.udp { Proto::Udp } else { Proto::Tcp };
    let index = Policies::new(&policies, &world.namespaces);
    let verdict = index.evaluate(src, dst, proto, port);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} -> {} on {} {port}",
        if verdict.allowed() {
            "allowed"
        } else {
            "denied"
        },
        src,
        dst,
        proto.as_str()
    );
    describe(&mut out, "egress ", src, &verdict, true);
    describe(&mut out, "ingress", dst, &verdict, false);
    Ok((verdict.allowed(), out))
}

fn describe(out: &mut String, label: &str, who: &Endpoint, v: &Verdict, egress: bool) {
    let side = if egress { &v.egress } else { &v.ingress };
    let ns = match who {
        Endpoint::Pod { namespace, .. } => namespace.as_str(),
        Endpoint::External { .. } => "",
    };
    let _ = match side {
        Side::Outside => writeln!(
            out,
            "  {label} not policed: {} is outside the cluster",
            who.id()
        ),
        Side::Unrestricted => writeln!(
            out,
            "  {label} unrestricted: no NetworkPolicy in {ns} selects {} for this direction",
            who.id()
        ),
        Side::Allowed(by) => {
            let list: Vec<String> = by
                .iter()
                .map(|(p, i)| format!("{ns}/{p} (rule {})", i + 1))
                .collect();
            writeln!(out, "  {label} allowed by {}", list.join(", "))
        }
        Side::Denied(selecting) => {
            let list: Vec<String> = selecting.iter().map(|p| format!("{ns}/{p}")).collect();
            writeln!(
                out,
                "  {label} denied: {} select {} and none allows it",
                list.join(", "),
                who.id()
            )
        }
    };
}

fn default_stage(world: &World, from: &str, to: &str) -> Option<String> {
    // The first stage (by name) in which both exist, when they are stage-bound.
    let mut stages: Vec<&str> = world
        .endpoints
        .iter()
        .filter(|e| e.id() == from || e.id() == to)
        .filter_map(Endpoint::stage)
        .collect();
    stages.sort_unstable();
    stages.first().map(|s| s.to_string())
}

fn pick<'w>(world: &'w World, id: &str, stage: Option<&str>) -> Result<&'w Endpoint, String> {
    match world.find(id, stage).first() {
        Some(e) => Ok(e),
        None => {
            let mut known: Vec<&str> = world.endpoints.iter().map(Endpoint::id).collect();
            known.sort_unstable();
            known.dedup();
            Err(format!(
                "no workload `{id}`{}; known: {}",
                stage
                    .map(|s| format!(" in stage `{s}`"))
                    .unwrap_or_default(),
                known.join(", ")
            ))
        }
    }
}

fn default_port(ir: &Ir, dst: &Endpoint) -> Option<u16> {
    let id = dst.id();
    match id {
        "dns" => return Some(53),
        "kafka" => return Some(ir.core.peers.kafka_port),
        _ => {}
    }
    let mut parts = id.split('.');
    let (app, svc, kind) = (parts.next()?, parts.next()?, parts.next());
    let app = ir.apps.iter().find(|a| a.name == app)?;
    let s = app.services.iter().find(|s| s.name == svc)?;
    match kind {
        None => Some(s.port),
        Some(kind) => {
            let stage = app
                .stages
                .iter()
                .find(|st| Some(st.stage.as_str()) == dst.stage())?;
            let w = stage.workloads.iter().find(|w| w.service == svc)?;
            let store = if kind == "cache" {
                &w.cache
            } else {
                &w.database
            };
            let store = store.as_ref()?;
            // A satellite (`app.service.database.<role>`): the port it serves the service on
            // (a pooler, MySQL Router), else the store's.
            let served = parts.next().and_then(|role| {
                store
                    .satellites
                    .iter()
                    .find(|s| s.role == role)
                    .and_then(|s| s.serves_service)
            });
            Some(served.unwrap_or(store.port))
        }
    }
}
