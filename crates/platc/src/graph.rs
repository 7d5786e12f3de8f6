//! `platc graph`: a picture of one stage of the platform — apps, services, calls, exposure,
//! databases, caches and events — as Mermaid or Graphviz DOT. Pure function of the IR.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use platc_ir::{AppStageIr, Ir};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Mermaid,
    Dot,
}

#[derive(Default)]
struct Graph {
    /// cluster title -> nodes (id, label, shape)
    clusters: BTreeMap<String, Vec<(String, String, Shape)>>,
    loose: Vec<(String, String, Shape)>,
    edges: Vec<(String, String, String, bool)>,
}

#[derive(Clone, Copy)]
enum Shape {
    Service,
    Store,
    Topic,
    Edge,
}

/// Node ids contain only `[a-z0-9_]`; names are DNS labels, so `-`/`.` map to `_`.
fn id(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.replace(['-', '.'], "_"))
        .collect::<Vec<_>>()
        .join("__")
}

/// Renders the stage `stage` (default: the first deployed stage by name).
pub fn graph(ir: &Ir, stage: Option<&str>, format: Format) -> Result<String, String> {
    let stage_name = match stage {
        Some(s) => s.to_string(),
        None => ir
            .apps
            .iter()
            .flat_map(|a| a.stages.iter().map(|s| s.stage.clone()))
            .min()
            .ok_or("no deployed stage")?,
    };
    let mut g = Graph::default();
    let ingress = "ingress".to_string();
    g.loose
        .push((ingress.clone(), "ingress (TLS)".into(), Shape::Edge));
    let mut topics: BTreeMap<&str, ()> = BTreeMap::new();
    let mut found = false;
    for app in &ir.apps {
        let Some(st): Option<&AppStageIr> = app.stages.iter().find(|s| s.stage == stage_name)
        else {
            continue;
        };
        found = true;
        let cluster = format!("{} ({})", app.name, st.namespace);
        for (svc, w) in app.services.iter().zip(&st.workloads) {
            let me = id(&[&app.name, &svc.name]);
            g.clusters.entry(cluster.clone()).or_default().push((
                me.clone(),
                format!("{} :{}", svc.name, svc.port),
                Shape::Service,
            ));
            for c in &svc.calls {
                g.edges
                    .push((me.clone(), id(&[&c.app, &c.service]), "calls".into(), false));
            }
            for (kind, store) in [("database", &w.database), ("cache", &w.cache)] {
                let Some(store) = store else { continue };
                let sid = id(&[&app.name, &svc.name, kind]);
                g.clusters.entry(cluster.clone()).or_default().push((
                    sid.clone(),
                    format!(
                        "{} ({} {}, {})",
                        store.name,
                        store.engine.as_str(),
                        store.version,
                        store.placement.as_str()
                    ),
                    Shape::Store,
                ));
                g.edges.push((me.clone(), sid, kind.into(), false));
            }
            for t in &svc.publishes {
                topics.insert(t, ());
                g.edges
                    .push((me.clone(), id(&["topic", t]), "publishes".into(), true));
            }
            for t in &svc.subscribes {
                topics.insert(t, ());
                g.edges
                    .push((id(&["topic", t]), me.clone(), "subscribes".into(), true));
            }
        }
        for i in &st.ingresses {
            for r in &i.routes {
                g.edges.push((
                    ingress.clone(),
                    id(&[&app.name, &r.service]),
                    format!("{}{}", i.host, r.path),
                    false,
                ));
            }
        }
    }
    if !found {
        return Err(format!("no app is deployed in stage `{stage_name}`"));
    }
    for t in topics.keys() {
        g.loose
            .push((id(&["topic", t]), format!("topic {t}"), Shape::Topic));
    }
    Ok(match format {
        Format::Mermaid => mermaid(&g, &stage_name),
        Format::Dot => dot(&g, &stage_name),
    })
}

/// Mermaid labels are quoted; `"` cannot occur (names and hosts are DNS names).
fn mermaid(g: &Graph, stage: &str) -> String {
    let mut out = format!("%% platc graph, stage {stage}\nflowchart LR\n");
    let node = |out: &mut String, (id, label, shape): &(String, String, Shape)| {
        let _ = match shape {
            Shape::Service => writeln!(out, "    {id}[\"{label}\"]"),
            Shape::Store => writeln!(out, "    {id}[(\"{label}\")]"),
            Shape::Topic => writeln!(out, "    {id}>\"{label}\"]"),
            Shape::Edge => writeln!(out, "    {id}{{{{\"{label}\"}}}}"),
        };
    };
    for n in &g.loose {
        node(&mut out, n);
    }
    for (i, (title, nodes)) in g.clusters.iter().enumerate() {
        let _ = writeln!(out, "  subgraph app{i}[\"{title}\"]");
        for n in nodes {
            node(&mut out, n);
        }
        out.push_str("  end\n");
    }
    for (a, b, label, dotted) in &g.edges {
        let arrow = if *dotted { "-.->" } else { "-->" };
        let _ = writeln!(out, "  {a} {arrow}|\"{label}\"| {b}");
    }
    out
}

fn dot(g: &Graph, stage: &str) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = format!("// platc graph, stage {stage}\ndigraph platform {{\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
    let node = |out: &mut String, (id, label, shape): &(String, String, Shape)| {
        let shape = match shape {
            Shape::Service => "box",
            Shape::Store => "cylinder",
            Shape::Topic => "cds",
            Shape::Edge => "hexagon",
        };
        let _ = writeln!(out, "    {id} [label={}, shape={shape}];", q(label));
    };
    for n in &g.loose {
        node(&mut out, n);
    }
    for (i, (title, nodes)) in g.clusters.iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{i} {{\n    label={};", q(title));
        for n in nodes {
            node(&mut out, n);
        }
        out.push_str("  }\n");
    }
    for (a, b, label, dotted) in &g.edges {
        let style = if *dotted { ", style=dashed" } else { "" };
        let _ = writeln!(out, "  {a} -> {b} [label={}{style}];", q(label));
    }
    out.push_str("}\n");
    out
}
