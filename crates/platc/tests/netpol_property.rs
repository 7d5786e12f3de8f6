//! Property: over randomly generated platforms, the (source, destination, protocol, port)
//! tuples that the evaluator allows over the *emitted* NetworkPolicies are exactly the
//! declared edges plus the infrastructure edges — nothing more, nothing less.
//!
//! `PROPTEST_CASES=1000 cargo test --release -p platc --test netpol_property` runs longer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::fmt::Write as _;

use platc::explain::emitted_policies;
use platc_ir::{Ir, StoreEndpoint};
use platc_netpol::eval::Policies;
use platc_netpol::world::{cidr_contains, world, Endpoint};
use platc_netpol::Proto;
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct Svc {
    port: u16,
    metrics: Option<u16>,
    expose: bool,
    /// (app index, service index) pairs, resolved modulo the sizes.
    calls: Vec<(usize, usize)>,
    database: Option<(u8, bool)>,
    cache: bool,
    publishes: bool,
    subscribes: bool,
    prod_db_replicas: u8,
    /// PgBouncer in stage `test` (only where the database is an operator-placed PostgreSQL).
    pooler: bool,
}

#[derive(Clone, Debug)]
struct Platform {
    apps: Vec<Vec<Svc>>,
    prod_cidr: bool,
    prod_in_cluster: bool,
    /// Stage `test` runs its stores by operator.
    test_operator: bool,
    /// Stage `test` names a `backup-bucket` (operator backups upload there).
    test_bucket: bool,
}

fn svc() -> impl Strategy<Value = Svc> {
    (
        prop::sample::select(vec![8080u16, 8443, 9000]),
        prop::option::of(prop::sample::select(vec![9090u16, 8080])),
        any::<bool>(),
        prop::collection::vec((0usize..3, 0usize..3), 0..3),
        prop::option::of((0u8..3, any::<bool>())),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        1u8..4,
        any::<bool>(),
    )
        .prop_map(
            |(port, metrics, expose, calls, database, cache, publishes, subscribes, r, pooler)| {
                Svc {
                    port,
                    metrics,
                    expose,
                    calls,
                    database,
                    cache,
                    publishes,
                    subscribes,
                    prod_db_replicas: r,
                    pooler,
                }
            },
        )
}

fn platform() -> impl Strategy<Value = Platform> {
    (
        prop::collection::vec(prop::collection::vec(svc(), 1..4), 1..4),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(apps, prod_cidr, prod_in_cluster, test_operator, test_bucket)| Platform {
                apps,
                prod_cidr,
                prod_in_cluster,
                test_operator,
                test_bucket,
            },
        )
}

fn toml(p: &Platform) -> String {
    let mut s = String::from(
        "version = 1\n[platform]\nname = \"p\"\ndomain = \"p.example\"\ncloud = \"aws\"\nregion = \"r\"\nregistry = \"ghcr.io/p\"\n\
         [core]\ncertificates = { issuer = \"letsencrypt\", email = \"ops@p.example\" }\nevent-bus = \"strimzi\"\n\
         [stages.ew]\njoins = \"test\"\n[stages.test]\nnamespace = \"{app}-test\"\nTEST_DATABASES[stages.prod]\nnamespace = \"{app}-prod\"\n",
    )
    .replace(
        "TEST_DATABASES",
        match (p.test_operator, p.test_bucket) {
            (true, true) => "databases = \"operator\"\nbackup-bucket = \"p-test-backups\"\n",
            (true, false) => "databases = \"operator\"\n",
            (false, true) => "backup-bucket = \"p-test-backups\"\n",
            (false, false) => "",
        },
    );
    let _ = writeln!(
        s,
        "databases = \"{}\"",
        if p.prod_in_cluster {
            "in-cluster"
        } else {
            "managed"
        }
    );
    if p.prod_cidr {
        s.push_str("managed-cidrs = [\"10.20.0.0/16\"]\n");
    }
    let any_publisher = p.apps.iter().flatten().any(|s| s.publishes);
    let mut pooled = Vec::new();
    for (a, services) in p.apps.iter().enumerate() {
        for (i, svc) in services.iter().enumerate() {
            let _ = writeln!(
                s,
                "[apps.a{a}.services.s{i}]\nport = {}\ntag = \"1.0.0\"",
                svc.port
            );
            if let Some(m) = svc.metrics {
                let _ = writeln!(s, "metrics = {{ port = {m} }}");
            }
            if svc.expose {
                let _ = writeln!(s, "expose = {{ host = \"a{a}\", path = \"/s{i}\" }}");
            }
            let calls: BTreeSet<String> = svc
                .calls
                .iter()
                .map(|(ca, cs)| {
                    let ca = ca % p.apps.len();
                    let cs = cs % p.apps[ca].len();
                    (ca, cs)
                })
                .filter(|&(ca, cs)| !(ca == a && cs == i))
                .map(|(ca, cs)| {
                    if ca == a {
                        format!("\"s{cs}\"")
                    } else {
                        format!("\"a{ca}.s{cs}\"")
                    }
                })
                .collect();
            if !calls.is_empty() {
                let _ = writeln!(
                    s,
                    "calls = [{}]",
                    calls.into_iter().collect::<Vec<_>>().join(", ")
                );
            }
            let mut events = Vec::new();
            if svc.publishes {
                events.push("publishes = [\"e\"]");
            }
            if svc.subscribes && any_publisher {
                events.push("subscribes = [\"e\"]");
            }
            if !events.is_empty() {
                let _ = writeln!(s, "events = {{ {} }}", events.join(", "));
            }
            if let Some((engine, _)) = svc.database {
                let engine = ["postgresql", "mysql", "mongodb"][usize::from(engine)];
                let _ = writeln!(s, "database = {{ engine = \"{engine}\" }}");
                if p.test_operator && engine == "postgresql" && svc.pooler {
                    pooled.push(format!(
                        "[apps.a{a}.services.s{i}.stages.test]\ndatabase = {{ pooler = \"transaction\" }}\n"
                    ));
                }
            }
            if svc.cache {
                s.push_str("cache = { engine = \"redis\" }\n");
            }
            if svc.database.is_some() {
                let _ = writeln!(
                    s,
                    "[apps.a{a}.services.s{i}.stages.prod]\ndatabase = {{ replicas = {} }}",
                    svc.prod_db_replicas
                );
            }
        }
    }
    for t in pooled {
        s.push_str(&t);
    }
    s
}

type Edge = (String, String, String, Proto, u16);

/// The edges platform.toml declares, plus the infrastructure every namespace needs.
fn declared(ir: &Ir, endpoints: &[Endpoint]) -> BTreeSet<Edge> {
    let mut e = BTreeSet::new();
    let peer = |id: &str| id.to_string();
    for app in &ir.apps {
        for stage in &app.stages {
            let id = |svc: &str| format!("{}.{svc}", app.name);
            if !stage.ingresses.is_empty() {
                // cert-manager's HTTP-01 solver pods, reached by the ingress controller.
                let solver = id("acme-solver");
                let port = ir.core.peers.acme_solver_port;
                e.insert((
                    stage.stage.clone(),
                    peer("ingress"),
                    solver.clone(),
                    Proto::Tcp,
                    port,
                ));
                e.insert((
                    stage.stage.clone(),
                    solver.clone(),
                    peer("dns"),
                    Proto::Udp,
                    53,
                ));
                e.insert((stage.stage.clone(), solver, peer("dns"), Proto::Tcp, 53));
            }
            for (svc, w) in app.services.iter().zip(&stage.workloads) {
                let me = id(&svc.name);
                let mut pods = vec![me.clone()];
                e.insert((
                    stage.stage.clone(),
                    peer("prometheus"),
                    me.clone(),
                    Proto::Tcp,
                    svc.metrics.port,
                ));
                if stage
                    .ingresses
                    .iter()
                    .any(|i| i.routes.iter().any(|r| r.service == svc.name))
                {
                    e.insert((
                        stage.stage.clone(),
                        peer("ingress"),
                        me.clone(),
                        Proto::Tcp,
                        svc.port,
                    ));
                }
                for c in &svc.calls {
                    let target = ir
                        .apps
                        .iter()
                        .find(|a| a.name == c.app)
                        .and_then(|a| a.services.iter().find(|s| s.name == c.service))
                        .expect("callee exists");
                    e.insert((
                        stage.stage.clone(),
                        me.clone(),
                        format!("{}.{}", c.app, c.service),
                        Proto::Tcp,
                        target.port,
                    ));
                }
                if !svc.publishes.is_empty() || !svc.subscribes.is_empty() {
                    e.insert((
                        stage.stage.clone(),
                        me.clone(),
                        peer("kafka"),
                        Proto::Tcp,
                        ir.core.peers.kafka_port,
                    ));
                }
                for (kind, store) in [("database", &w.database), ("cache", &w.cache)] {
                    let Some(store) = store else { continue };
                    match &store.endpoint {
                        StoreEndpoint::Pods { .. } => {
                            let sid = format!("{me}.{kind}");
                            let ports: Vec<u16> = std::iter::once(store.port)
                                .chain(store.extra_ports.iter().copied())
                                .collect();
                            let pooled =
                                store.satellites.iter().any(|s| s.serves_service.is_some());
                            for &port in &ports {
                                if !pooled {
                                    e.insert((
                                        stage.stage.clone(),
                                        me.clone(),
                                        sid.clone(),
                                        Proto::Tcp,
                                        port,
                                    ));
                                }
                                // Replication and the backup jobs, which carry the store's labels.
                                e.insert((
                                    stage.stage.clone(),
                                    sid.clone(),
                                    sid.clone(),
                                    Proto::Tcp,
                                    port,
                                ));
                            }
                            if let Some(m) = store.metrics_port {
                                e.insert((
                                    stage.stage.clone(),
                                    peer("prometheus"),
                                    sid.clone(),
                                    Proto::Tcp,
                                    m,
                                ));
                            }
                            // HTTPS to any address outside the cluster (object storage).
                            let upload = |e: &mut BTreeSet<Edge>, from: &str| {
                                for ext in endpoints {
                                    if let Endpoint::External { id, .. } = ext {
                                        e.insert((
                                            stage.stage.clone(),
                                            from.to_string(),
                                            id.clone(),
                                            Proto::Tcp,
                                            443,
                                        ));
                                    }
                                }
                            };
                            if store
                                .backup_storage
                                .as_ref()
                                .is_some_and(|b| b.uploader == platc_ir::BackupUploader::StorePods)
                            {
                                upload(&mut e, &sid);
                            }
                            // The operator manages the store's pods; Patroni's pods talk to
                            // each other's REST API and to the Kubernetes API.
                            if let Some(op) = &store.operator {
                                let operator = op.release.to_string();
                                for &port in &op.ports {
                                    e.insert((
                                        stage.stage.clone(),
                                        operator.clone(),
                                        sid.clone(),
                                        Proto::Tcp,
                                        port,
                                    ));
                                }
                                for &port in &op.peer_ports {
                                    e.insert((
                                        stage.stage.clone(),
                                        sid.clone(),
                                        sid.clone(),
                                        Proto::Tcp,
                                        port,
                                    ));
                                }
                                if op.api_server {
                                    for ext in endpoints {
                                        if let Endpoint::External { id, .. } = ext {
                                            for port in [443, 6443] {
                                                e.insert((
                                                    stage.stage.clone(),
                                                    sid.clone(),
                                                    id.clone(),
                                                    Proto::Tcp,
                                                    port,
                                                ));
                                            }
                                        }
                                    }
                                }
                            }
                            // Operator jobs, poolers and routers next to the store.
                            for sat in &store.satellites {
                                let sat_id = format!("{sid}.{}", sat.role);
                                for &port in &sat.to_store {
                                    e.insert((
                                        stage.stage.clone(),
                                        sat_id.clone(),
                                        sid.clone(),
                                        Proto::Tcp,
                                        port,
                                    ));
                                }
                                if let Some(port) = sat.serves_service {
                                    e.insert((
                                        stage.stage.clone(),
                                        me.clone(),
                                        sat_id.clone(),
                                        Proto::Tcp,
                                        port,
                                    ));
                                }
                                for other in &store.satellites {
                                    if let (true, Some(port)) = (
                                        sat.to_satellites.contains(&other.role),
                                        other.serves_service,
                                    ) {
                                        e.insert((
                                            stage.stage.clone(),
                                            sat_id.clone(),
                                            format!("{sid}.{}", other.role),
                                            Proto::Tcp,
                                            port,
                                        ));
                                    }
                                }
                                if sat.upload {
                                    upload(&mut e, &sat_id);
                                }
                                if sat.api_server {
                                    for ext in endpoints {
                                        if let Endpoint::External { id, .. } = ext {
                                            for port in [443, 6443] {
                                                e.insert((
                                                    stage.stage.clone(),
                                                    sat_id.clone(),
                                                    id.clone(),
                                                    Proto::Tcp,
                                                    port,
                                                ));
                                            }
                                        }
                                    }
                                }
                                pods.push(sat_id);
                            }
                            pods.push(sid);
                        }
                        StoreEndpoint::External { cidrs } => {
                            for ext in endpoints {
                                if let Endpoint::External { id, ip } = ext {
                                    if cidrs.is_empty()
                                        || cidrs.iter().any(|c| cidr_contains(c, ip))
                                    {
                                        e.insert((
                                            stage.stage.clone(),
                                            me.clone(),
                                            id.clone(),
                                            Proto::Tcp,
                                            store.port,
                                        ));
                                    }
                                }
                            }
                        }
                    }
                }
                for p in pods {
                    e.insert((stage.stage.clone(), p.clone(), peer("dns"), Proto::Udp, 53));
                    e.insert((stage.stage.clone(), p, peer("dns"), Proto::Tcp, 53));
                }
            }
        }
    }
    e
}

fn policed(e: &Endpoint) -> bool {
    e.stage().is_some()
}

fn check(p: &Platform) -> Result<(), TestCaseError> {
    let source = toml(p);
    let (ir, tree) = match platc::compile_with_ir(&source) {
        Ok(x) => x,
        Err(platc::CompileError::Invalid(problems)) => {
            return Err(TestCaseError::fail(format!(
                "generated platform is invalid: {problems:?}\n{source}"
            )))
        }
        Err(platc::CompileError::Internal(e)) => return Err(TestCaseError::fail(e)),
    };
    let policies = emitted_policies(&tree).map_err(TestCaseError::fail)?;
    let w = world(&ir);
    let index = Policies::new(&policies, &w.namespaces);
    let declared = declared(&ir, &w.endpoints);
    let mut ports: BTreeSet<u16> = declared.iter().map(|e| e.4).collect();
    ports.insert(12345);
    let mut unexpected = Vec::new();
    for src in &w.endpoints {
        for dst in &w.endpoints {
            for &port in &ports {
                for proto in [Proto::Tcp, Proto::Udp] {
                    let verdict = index.evaluate(src, dst, proto, port);
                    let stage = src.stage().or(dst.stage()).unwrap_or_default().to_string();
                    let cross_stage =
                        matches!((src.stage(), dst.stage()), (Some(a), Some(b)) if a != b);
                    let key = (
                        stage,
                        src.id().to_string(),
                        dst.id().to_string(),
                        proto,
                        port,
                    );
                    let declared = !cross_stage && declared.contains(&key);
                    // Each policed side must allow exactly the declared edges on its own
                    // (defence in depth), and so must the two together.
                    let mut wrong = Vec::new();
                    if policed(src) && verdict.egress.allows() != declared {
                        wrong.push("egress");
                    }
                    if policed(dst) && verdict.ingress.allows() != declared {
                        wrong.push("ingress");
                    }
                    let expected = declared || (!policed(src) && !policed(dst));
                    if verdict.allowed() != expected {
                        wrong.push("connection");
                    }
                    if !wrong.is_empty() {
                        unexpected.push(format!(
                            "{} {src} -> {dst} {} {port}: {} {}",
                            if declared { "declared" } else { "undeclared" },
                            proto.as_str(),
                            wrong.join("+"),
                            if declared { "denied" } else { "allowed" },
                        ));
                    }
                }
            }
        }
    }
    if unexpected.is_empty() {
        Ok(())
    } else {
        unexpected.truncate(20);
        Err(TestCaseError::fail(format!(
            "{}\n--- platform.toml ---\n{source}",
            unexpected.join("\n")
        )))
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(48),
        .. ProptestConfig::default()
    })]

    #[test]
    fn emitted_policies_allow_exactly_the_declared_edges(p in platform()) {
        check(&p)?;
    }
}

#[test]
fn the_example_allows_exactly_its_declared_edges() {
    // The reference example, without randomness: a fixed point the property covers too.
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/example/platform.toml"
    ))
    .unwrap();
    let (ir, tree) = platc::compile_with_ir(&source)
        .map_err(|_| "invalid")
        .unwrap();
    let policies = emitted_policies(&tree).unwrap();
    let w = world(&ir);
    let index = Policies::new(&policies, &w.namespaces);
    let find = |id: &str, stage: &str| w.find(id, Some(stage)).into_iter().next().cloned().unwrap();
    let orders = find("shop.orders", "prod");
    let payment = find("shop.payment", "prod");
    let payment_test = find("shop.payment", "test");
    assert!(index
        .evaluate(&orders, &payment, Proto::Tcp, 8443)
        .allowed());
    assert!(
        !index
            .evaluate(&payment, &orders, Proto::Tcp, 8080)
            .allowed(),
        "calls are one-way"
    );
    assert!(
        !index
            .evaluate(&orders, &payment_test, Proto::Tcp, 8443)
            .allowed(),
        "never across stages"
    );
    let user_db = find("shop.user.database", "test");
    let orders_test = find("shop.orders", "test");
    assert!(
        !index
            .evaluate(&orders_test, &user_db, Proto::Tcp, 5432)
            .allowed(),
        "no foreign database"
    );
}
