//! Benchmark support for platc: a deterministic generator of large, valid platform.toml files
//! in the real format ([`synthetic`]), used by the criterion phase benchmarks
//! (`benches/phases.rs`), by the whole-process script `scripts/bench.sh` (through the
//! `platc-bench gen N` binary) and by tests.
//!
//! The generated platform has the shape of a real one, so that every phase and every emitter
//! does representative work:
//!
//! * apps of about [`SERVICES_PER_APP`] services each, with realistic service names;
//! * about 60 % of the services own a database (PostgreSQL 60 %, MySQL 20 %, MongoDB 20 %),
//!   about 25 % a Redis cache;
//! * about 30 % are exposed: most on their app's shared host with a path of their own, some
//!   on a host of their own; hosts never clash between apps;
//! * 0–3 `calls` per service, about one in five to a service of another app;
//! * about 15 % publish or subscribe to events (every subscription has a publisher);
//! * environment, resources, secrets, probes, a few digests and gRPC/HTTPS/TCP services;
//! * per-stage overrides: `prod` replicas, resources, env and database size; some `test` env;
//! * the stages of the reference example: `ew` (joins `test`), `test` (in-cluster data) and
//!   `prod` (managed data, 3 replicas).
//!
//! The output depends only on `(services, seed)`: no clock, no environment, no hash-map order.

use std::fmt::Write as _;

/// Services per app in a synthetic platform, at most: the services are spread evenly over
/// `ceil(services / SERVICES_PER_APP)` apps.
pub const SERVICES_PER_APP: usize = 20;

/// The reference example (`fixtures/example/platform.toml`), for benchmarks of the small case.
pub const EXAMPLE: &str = include_str!("../../../fixtures/example/platform.toml");

/// SplitMix64: tiny, fast, good enough for picking a mix, and stable forever (the generated
/// files must not change when a dependency updates its generator).
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; returns 0 for `n == 0`).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        // The modulo bias is irrelevant for a workload mix.
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

const APP_WORDS: &[&str] = &[
    "shop",
    "billing",
    "identity",
    "search",
    "media",
    "logistics",
    "support",
    "analytics",
    "payments",
    "content",
    "booking",
    "messaging",
    "catalog",
    "pricing",
    "partner",
    "loyalty",
    "compliance",
    "fleet",
    "warehouse",
    "marketing",
];

const SERVICE_WORDS: &[&str] = &[
    "auth",
    "user",
    "orders",
    "payment",
    "catalog",
    "notification",
    "inventory",
    "cart",
    "checkout",
    "pricing",
    "search",
    "recommendation",
    "review",
    "shipping",
    "invoice",
    "ledger",
    "profile",
    "session",
    "gateway",
    "media",
    "upload",
    "thumbnail",
    "report",
    "audit",
    "scheduler",
    "mailer",
    "sms",
    "webhook",
    "exporter",
    "importer",
    "tax",
    "discount",
    "wishlist",
    "rating",
    "feed",
    "geo",
    "currency",
    "fraud",
    "consent",
    "tracking",
];

const STORAGE: &[&str] = &["5Gi", "8Gi", "10Gi", "20Gi", "50Gi", "100Gi"];
const CPU: &[&str] = &["100m", "250m", "500m", "1"];
const MEMORY: &[&str] = &["128Mi", "256Mi", "512Mi", "1Gi"];
const PROD_CPU: &[&str] = &["500m", "1", "2"];
const PROD_MEMORY: &[&str] = &["512Mi", "1Gi", "2Gi"];
const LOG_LEVELS: &[&str] = &["info", "warn", "debug"];
const INSTANCES: &[&str] = &["db.t4g.medium", "db.r6g.large", "db.r6g.xlarge"];
const SECRET_NAMES: &[&str] = &["API_TOKEN", "SMTP_PASSWORD", "PARTNER_API_KEY"];

#[derive(Clone, Copy)]
enum Proto {
    Http,
    Https,
    Grpc,
    Tcp,
}

struct Store {
    engine: &'static str,
    version: &'static str,
    storage: Option<&'static str>,
    backup: Option<(&'static str, &'static str)>,
    prod: Option<(u32, &'static str)>,
}

struct Svc {
    name: String,
    proto: Proto,
    port: u16,
    tag: String,
    digest: Option<String>,
    resources: Option<(&'static str, &'static str)>,
    env: Vec<(&'static str, String)>,
    secrets: Vec<&'static str>,
    expose: Option<(String, String)>,
    calls: Vec<String>,
    publishes: Vec<String>,
    subscribes: Vec<String>,
    database: Option<Store>,
    cache: Option<Store>,
    prod: Option<ProdOverride>,
    test_log_level: Option<&'static str>,
}

struct ProdOverride {
    replicas: Option<u32>,
    resources: Option<(&'static str, &'static str)>,
    log_level: Option<&'static str>,
}

struct App {
    name: String,
    services: Vec<Svc>,
}

/// A deterministic platform.toml with `services` services (spread over apps of about
/// [`SERVICES_PER_APP`]) in the real format, valid for `platc check`.
///
/// Same `(services, seed)`, same text. `services == 0` gives a platform with no apps.
pub fn synthetic(services: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut apps = plan(services, &mut rng);
    wire(&mut apps, &mut rng);
    let mut out = String::with_capacity(services * 700 + 1024);
    header(&mut out, services, seed, &apps);
    for app in &apps {
        write_app(&mut out, app);
    }
    out
}

fn app_name(i: usize) -> String {
    let word = APP_WORDS[i % APP_WORDS.len()];
    match i / APP_WORDS.len() {
        0 => word.to_string(),
        round => format!("{word}{}", round + 1),
    }
}

/// Decides every app and service, without the edges between services.
fn plan(services: usize, rng: &mut Rng) -> Vec<App> {
    let n_apps = services.div_ceil(SERVICES_PER_APP);
    let mut apps = Vec::with_capacity(n_apps);
    for a in 0..n_apps {
        let count = services / n_apps + usize::from(a < services % n_apps);
        let name = app_name(a);
        // Each app uses the word list from another starting point, so apps differ.
        let offset = rng.below(SERVICE_WORDS.len());
        let mut svcs = Vec::with_capacity(count);
        let mut shared_host_paths = 0usize;
        for s in 0..count {
            let word = SERVICE_WORDS[(offset + s) % SERVICE_WORDS.len()];
            let svc_name = match s / SERVICE_WORDS.len() {
                0 => word.to_string(),
                round => format!("{word}{}", round + 1),
            };
            svcs.push(service(&name, svc_name, rng, &mut shared_host_paths));
        }
        apps.push(App {
            name,
            services: svcs,
        });
    }
    apps
}

fn service(app: &str, name: String, rng: &mut Rng, shared_paths: &mut usize) -> Svc {
    let proto = match rng.below(100) {
        0..=79 => Proto::Http,
        80..=89 => Proto::Grpc,
        90..=94 => Proto::Https,
        _ => Proto::Tcp,
    };
    let port = match proto {
        Proto::Http => 8080,
        Proto::Grpc => 9090,
        Proto::Https => 8443,
        Proto::Tcp => 5000 + rng.below(100) as u16,
    };
    let tag = format!("1.{}.{}", rng.below(20), rng.below(10));
    let digest = rng.chance(5).then(|| {
        let mut hex = String::with_capacity(64);
        for _ in 0..4 {
            let _ = write!(hex, "{:016x}", rng.next());
        }
        format!("sha256:{hex}")
    });
    let resources = rng.chance(50).then(|| {
        (
            *rng.pick(CPU).unwrap_or(&"100m"),
            *rng.pick(MEMORY).unwrap_or(&"128Mi"),
        )
    });
    let mut env = Vec::new();
    if rng.chance(60) {
        env.push((
            "LOG_LEVEL",
            (*rng.pick(LOG_LEVELS).unwrap_or(&"info")).to_string(),
        ));
        if rng.chance(50) {
            env.push(("WORKERS", (1 + rng.below(8)).to_string()));
        }
        if rng.chance(30) {
            env.push(("FEATURE_NEW_CHECKOUT", rng.chance(50).to_string()));
        }
    }
    let secrets = if rng.chance(20) {
        vec![*rng.pick(SECRET_NAMES).unwrap_or(&"API_TOKEN")]
    } else {
        Vec::new()
    };
    let exposable = !matches!(proto, Proto::Tcp);
    let expose = (exposable && rng.chance(30)).then(|| {
        // One in four exposed services gets a host of its own; the others share the app's
        // host, each with its own path. Hosts embed the app name, so apps never clash.
        if rng.chance(25) {
            (format!("{name}-{app}"), "/".to_string())
        } else {
            *shared_paths += 1;
            (app.to_string(), format!("/{name}"))
        }
    });
    let database = rng.chance(60).then(|| {
        let (engine, versions): (&'static str, &[&'static str]) = match rng.below(10) {
            0..=5 => ("postgresql", &["14", "15", "16", "17"]),
            6..=7 => ("mysql", &["8.0", "8.4"]),
            _ => ("mongodb", &["6.0", "7.0", "8.0"]),
        };
        Store {
            engine,
            version: rng.pick(versions).copied().unwrap_or("16"),
            storage: rng.chance(70).then(|| *rng.pick(STORAGE).unwrap_or(&"8Gi")),
            backup: rng
                .chance(20)
                .then_some(("0 2 * * *", if rng.chance(50) { "30d" } else { "14d" })),
            prod: rng.chance(40).then(|| {
                (
                    1 + 2 * rng.below(2) as u32,
                    *rng.pick(INSTANCES).unwrap_or(&"db.r6g.large"),
                )
            }),
        }
    });
    let cache = rng.chance(25).then(|| Store {
        engine: "redis",
        version: ["7.0", "7.2", "7.4"][rng.below(3)],
        storage: None,
        backup: None,
        prod: None,
    });
    let prod = rng
        .chance(40)
        .then(|| ProdOverride {
            replicas: rng.chance(60).then(|| 3 + rng.below(6) as u32),
            resources: rng.chance(50).then(|| {
                (
                    *rng.pick(PROD_CPU).unwrap_or(&"1"),
                    *rng.pick(PROD_MEMORY).unwrap_or(&"1Gi"),
                )
            }),
            log_level: rng.chance(40).then_some("warn"),
        })
        .filter(|p| p.replicas.is_some() || p.resources.is_some() || p.log_level.is_some());
    let test_log_level = rng.chance(10).then_some("debug");
    Svc {
        name,
        proto,
        port,
        tag,
        digest,
        resources,
        env,
        secrets,
        expose,
        calls: Vec::new(),
        publishes: Vec::new(),
        subscribes: Vec::new(),
        database,
        cache,
        prod,
        test_log_level,
    }
}

/// Adds calls (0–3 per service, about one in five to another app) and events (about 15 % of
/// the services; every subscribed topic is published by some service).
fn wire(apps: &mut [App], rng: &mut Rng) {
    let names: Vec<Vec<String>> = apps
        .iter()
        .map(|a| a.services.iter().map(|s| s.name.clone()).collect())
        .collect();
    let app_names: Vec<String> = apps.iter().map(|a| a.name.clone()).collect();
    let mut topics: Vec<String> = Vec::new();
    let mut subscribers: Vec<(usize, usize)> = Vec::new();
    for (a, app) in apps.iter_mut().enumerate() {
        let own = &names[a];
        for (s, svc) in app.services.iter_mut().enumerate() {
            let n_calls = rng.below(4);
            for _ in 0..n_calls {
                let call = if app_names.len() > 1 && rng.chance(20) {
                    let mut other = rng.below(app_names.len() - 1);
                    if other >= a {
                        other += 1;
                    }
                    names[other]
                        .get(rng.below(names[other].len()))
                        .map(|t| format!("{}.{t}", app_names[other]))
                } else if own.len() > 1 {
                    let mut t = rng.below(own.len() - 1);
                    if t >= s {
                        t += 1;
                    }
                    own.get(t).cloned()
                } else {
                    None
                };
                if let Some(call) = call {
                    if !svc.calls.contains(&call) {
                        svc.calls.push(call);
                    }
                }
            }
            if rng.chance(15) {
                if rng.chance(50) {
                    let topic = format!("{}-{}-changed", app.name, svc.name);
                    topics.push(topic.clone());
                    svc.publishes.push(topic);
                } else {
                    subscribers.push((a, s));
                }
            }
        }
    }
    for (a, s) in subscribers {
        let Some(svc) = apps.get_mut(a).and_then(|app| app.services.get_mut(s)) else {
            continue;
        };
        let own = format!("{}-{}-changed", app_names[a], svc.name);
        let candidates: Vec<&String> = topics.iter().filter(|t| **t != own).collect();
        match candidates.get(rng.below(candidates.len())) {
            Some(topic) => svc.subscribes.push((*topic).clone()),
            None => {
                // Nothing to subscribe to (tiny platforms): publish instead.
                topics.push(own.clone());
                svc.publishes.push(own);
            }
        }
    }
}

fn header(out: &mut String, services: usize, seed: u64, apps: &[App]) {
    let events = apps
        .iter()
        .flat_map(|a| &a.services)
        .any(|s| !s.publishes.is_empty() || !s.subscribes.is_empty());
    let _ = writeln!(
        out,
        "# Synthetic platform generated by `platc-bench gen {services} --seed {seed}`: \
         {services} services in {} apps.",
        apps.len()
    );
    out.push_str(
        r#"version = 1

[platform]
name = "bench"
domain = "bench.example"
cloud = "aws"
region = "eu-central-1"
registry = "ghcr.io/bench"
kubernetes = "1.31"

[core]
namespace = "core-services"
ingress = "ingress-nginx"
certificates = { issuer = "letsencrypt", email = "platform@bench.example" }
dns = "external-dns"
observability = "kube-prometheus-stack"
secrets = "external-secrets"
"#,
    );
    if events {
        out.push_str("event-bus = \"strimzi\"\n");
    }
    out.push_str(
        r#"
[stages.ew]
joins = "test"

[stages.test]
namespace = "{app}-test"
deploy = "push"
databases = "in-cluster"
replicas = 1

[stages.prod]
namespace = "{app}-prod"
deploy = "release"
databases = "managed"
replicas = 3
"#,
    );
}

/// A TOML basic string (generated values never need escapes, but stay correct if they did).
fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: &[impl AsRef<str>]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| q(i.as_ref())).collect();
    format!("[{}]", quoted.join(", "))
}

fn write_app(out: &mut String, app: &App) {
    let _ = writeln!(
        out,
        "\n[apps.{}]\nteam = {}",
        app.name,
        q(&format!("{}-team", app.name))
    );
    for svc in &app.services {
        write_service(out, &app.name, svc);
    }
}

fn write_service(out: &mut String, app: &str, svc: &Svc) {
    let key = format!("apps.{app}.services.{}", svc.name);
    let _ = writeln!(out, "\n[{key}]\nport = {}", svc.port);
    match svc.proto {
        Proto::Http => {}
        Proto::Https => out.push_str("protocol = \"https\"\n"),
        Proto::Grpc => out.push_str("protocol = \"grpc\"\n"),
        Proto::Tcp => out.push_str("protocol = \"tcp\"\n"),
    }
    match &svc.digest {
        Some(d) => {
            let _ = writeln!(out, "digest = {}", q(d));
        }
        None => {
            let _ = writeln!(out, "tag = {}", q(&svc.tag));
        }
    }
    if let Some((cpu, memory)) = svc.resources {
        let _ = writeln!(
            out,
            "resources = {{ cpu = {}, memory = {} }}",
            q(cpu),
            q(memory)
        );
    }
    if !svc.env.is_empty() {
        let pairs: Vec<String> = svc
            .env
            .iter()
            .map(|(k, v)| match v.as_str() {
                "true" | "false" => format!("{k} = {v}"),
                v if v.bytes().all(|b| b.is_ascii_digit()) => format!("{k} = {v}"),
                v => format!("{k} = {}", q(v)),
            })
            .collect();
        let _ = writeln!(out, "env = {{ {} }}", pairs.join(", "));
    }
    if !svc.secrets.is_empty() {
        let _ = writeln!(out, "secrets = {}", list(&svc.secrets));
    }
    if let Some((host, path)) = &svc.expose {
        if path == "/" {
            let _ = writeln!(out, "expose = {{ host = {} }}", q(host));
        } else {
            let _ = writeln!(out, "expose = {{ host = {}, path = {} }}", q(host), q(path));
        }
    }
    if !svc.calls.is_empty() {
        let _ = writeln!(out, "calls = {}", list(&svc.calls));
    }
    match (svc.publishes.is_empty(), svc.subscribes.is_empty()) {
        (true, true) => {}
        (false, true) => {
            let _ = writeln!(out, "events = {{ publishes = {} }}", list(&svc.publishes));
        }
        (true, false) => {
            let _ = writeln!(out, "events = {{ subscribes = {} }}", list(&svc.subscribes));
        }
        (false, false) => {
            let _ = writeln!(
                out,
                "events = {{ publishes = {}, subscribes = {} }}",
                list(&svc.publishes),
                list(&svc.subscribes)
            );
        }
    }
    if let Some(cache) = &svc.cache {
        let _ = writeln!(
            out,
            "cache = {{ engine = {}, version = {} }}",
            q(cache.engine),
            q(cache.version)
        );
    }
    if let Some(db) = &svc.database {
        // Both spellings of a table occur in real files: inline and a sub-table.
        if db.backup.is_some() {
            let _ = writeln!(
                out,
                "\n[{key}.database]\nengine = {}\nversion = {}",
                q(db.engine),
                q(db.version)
            );
            if let Some(storage) = db.storage {
                let _ = writeln!(out, "storage = {}", q(storage));
            }
            if let Some((schedule, retention)) = db.backup {
                let _ = writeln!(
                    out,
                    "backup = {{ schedule = {}, retention = {} }}",
                    q(schedule),
                    q(retention)
                );
            }
        } else {
            let mut fields = vec![
                format!("engine = {}", q(db.engine)),
                format!("version = {}", q(db.version)),
            ];
            if let Some(storage) = db.storage {
                fields.push(format!("storage = {}", q(storage)));
            }
            let _ = writeln!(out, "database = {{ {} }}", fields.join(", "));
        }
    }
    let db_prod = svc.database.as_ref().and_then(|d| d.prod);
    if svc.prod.is_some() || db_prod.is_some() {
        let _ = writeln!(out, "\n[{key}.stages.prod]");
        if let Some(p) = &svc.prod {
            if let Some(r) = p.replicas {
                let _ = writeln!(out, "replicas = {r}");
            }
            if let Some((cpu, memory)) = p.resources {
                let _ = writeln!(
                    out,
                    "resources = {{ cpu = {}, memory = {}, memory-limit = {} }}",
                    q(cpu),
                    q(memory),
                    q(memory)
                );
            }
            if let Some(level) = p.log_level {
                let _ = writeln!(out, "env = {{ LOG_LEVEL = {} }}", q(level));
            }
        }
        if let Some((replicas, instance)) = db_prod {
            let _ = writeln!(
                out,
                "database = {{ replicas = {replicas}, instance = {} }}",
                q(instance)
            );
        }
    }
    if let Some(level) = svc.test_log_level {
        let _ = writeln!(
            out,
            "\n[{key}.stages.test]\nenv = {{ LOG_LEVEL = {} }}",
            q(level)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_names_are_unique() {
        let names: std::collections::BTreeSet<String> = (0..500).map(app_name).collect();
        assert_eq!(names.len(), 500);
    }

    fn fnv1a(text: &str) -> u64 {
        text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }

    #[test]
    fn output_is_pinned() {
        // Benchmark numbers are only comparable across commits while the synthetic platform
        // stays the same: a change to the generator must update this pin on purpose (and the
        // tables in BENCHMARKS.md must be re-run).
        let text = synthetic(100, 42);
        assert_eq!(
            (text.len(), fnv1a(&text)),
            (28741, 9_689_979_528_964_650_215)
        );
    }
}
