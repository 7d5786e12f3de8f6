//! Document → IR. Runs only on a document that passed `platc-check`; anything missing is
//! reported as a [`ResolveError`] rather than assumed.

use std::collections::BTreeMap;
use std::fmt;

use platc_check::{default_version, effective_placement};
use platc_model::{
    expand_namespace, public_host, split_call, Acme, App, Cloud, DataStore, Deploy, Document,
    Engine, Placement, Protocol, Service, Settings as SettingsModel, Sp, Stage,
};
use platc_values::{cron, duration, quantity};

use crate::types::*;

/// The document was not checked, or a check is missing: a bug, never a user error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolveError(pub String);

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot resolve platform.toml: {}", self.0)
    }
}

impl std::error::Error for ResolveError {}

fn need<'a, T>(v: &'a Option<Sp<T>>, what: &str) -> Result<&'a T, ResolveError> {
    v.as_ref()
        .map(|s| &s.value)
        .ok_or_else(|| ResolveError(format!("`{what}` is missing")))
}

const DEFAULT_TAG: &str = "0.1.0";
const DEFAULT_CPU: &str = "100m";
const DEFAULT_MEMORY: &str = "128Mi";
const DEFAULT_STORAGE: &str = "8Gi";

pub fn resolve(doc: &Document) -> Result<Ir, ResolveError> {
    let mut platform = PlatformIr {
        name: need(&doc.platform.name, "platform.name")?.clone(),
        domain: need(&doc.platform.domain, "platform.domain")?.clone(),
        cloud: *need(&doc.platform.cloud, "platform.cloud")?,
        region: need(&doc.platform.region, "platform.region")?.clone(),
        registry: need(&doc.platform.registry, "platform.registry")?.clone(),
        kubernetes: doc
            .platform
            .kubernetes
            .as_ref()
            .map(|k| k.value.clone())
            .unwrap_or_else(|| "1.31".to_string()),
        identity: identity(doc.platform.identity.as_ref()),
        managed_mongodb: doc
            .platform
            .effective_managed_mongodb()
            .unwrap_or(ManagedMongodb::Native),
        atlas_region: None,
    };
    // The checker refused an Atlas platform with managed MongoDB whose region has no Atlas name.
    if platform.managed_mongodb == ManagedMongodb::Atlas {
        platform.atlas_region = platc_check::atlas_region(platform.cloud, &platform.region);
    }
    let issuer = doc
        .core
        .certificates
        .as_ref()
        .and_then(|c| c.issuer.as_ref())
        .map(|i| i.value.clone())
        .unwrap_or_else(|| "letsencrypt".to_string());
    let core_namespace = doc
        .core
        .namespace
        .as_ref()
        .map(|n| n.value.clone())
        .unwrap_or_else(|| "core-services".to_string());
    let core = CoreIr {
        namespace: core_namespace.clone(),
        ingress_class: doc
            .core
            .ingress_class
            .as_ref()
            .map(|n| n.value.clone())
            .unwrap_or_else(|| "nginx".to_string()),
        issuer_production: format!("{issuer}-production"),
        issuer_staging: format!("{issuer}-staging"),
        acme_email: doc
            .core
            .certificates
            .as_ref()
            .and_then(|c| c.email.as_ref())
            .map(|e| e.value.clone()),
        event_bus: doc.core.event_bus.is_some(),
        peers: core_peers(&core_namespace),
    };
    let stages = doc
        .stages
        .values()
        .map(stage)
        .collect::<Result<Vec<_>, _>>()?;
    let apps = doc
        .apps
        .values()
        .map(|a| app(doc, &platform, &core, a))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Ir {
        platform,
        core,
        stages,
        apps,
    })
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The Kafka cluster core-services runs when the event bus is on.
const KAFKA_CLUSTER: &str = "events";

/// Pod labels are those the pinned charts and operators put on their pods by default.
fn core_peers(core: &str) -> CorePeers {
    let pod = |ns: &str, l: &[(&str, &str)]| PodRef {
        namespace: ns.to_string(),
        labels: labels(l),
    };
    CorePeers {
        ingress: pod(
            core,
            &[
                ("app.kubernetes.io/name", "ingress-nginx"),
                ("app.kubernetes.io/component", "controller"),
            ],
        ),
        prometheus: pod(core, &[("app.kubernetes.io/name", "prometheus")]),
        dns: pod("kube-system", &[("k8s-app", "kube-dns")]),
        kafka: pod(
            core,
            &[
                ("strimzi.io/cluster", KAFKA_CLUSTER),
                ("strimzi.io/kind", "Kafka"),
            ],
        ),
        kafka_cluster: KAFKA_CLUSTER.to_string(),
        kafka_port: 9093,
        acme_solver: labels(&[("acme.cert-manager.io/http01-solver", "true")]),
        acme_solver_port: 8089,
    }
}

fn identity(i: Option<&platc_model::Identity>) -> IdentityIr {
    let Some(i) = i else {
        return IdentityIr::default();
    };
    let v = |x: &Option<platc_model::Sp<String>>| x.as_ref().map(|s| s.value.clone());
    IdentityIr {
        aws_account_id: v(&i.aws_account_id),
        azure_tenant_id: v(&i.azure_tenant_id),
        azure_subscription_id: v(&i.azure_subscription_id),
        azure_secret_store_client_id: v(&i.azure_secret_store_client_id),
        azure_external_dns_client_id: v(&i.azure_external_dns_client_id),
        azure_dns_resource_group: v(&i.azure_dns_resource_group),
        gcp_project: v(&i.gcp_project),
        atlas_project_id: v(&i.atlas_project_id),
    }
}

/// A service's event-bus access in one stage; `None` when it neither publishes nor subscribes.
fn event_client(core: &CoreIr, stage: &str, app: &str, svc: &ServiceIr) -> Option<EventClientIr> {
    if svc.publishes.is_empty() && svc.subscribes.is_empty() {
        return None;
    }
    let topics = |events: &[String]| -> Vec<TopicIr> {
        let mut t: Vec<TopicIr> = events
            .iter()
            .map(|e| TopicIr {
                event: e.clone(),
                topic: event_topic(stage, e),
            })
            .collect();
        t.sort();
        t
    };
    let cluster = &core.peers.kafka_cluster;
    let user = format!("{stage}.{app}.{}", svc.name);
    Some(EventClientIr {
        group: (!svc.subscribes.is_empty()).then(|| user.clone()),
        user,
        credentials_secret: format!("{}-event-bus", svc.name),
        secret_store: event_bus_secret_store(stage),
        bootstrap: format!(
            "{cluster}-kafka-bootstrap.{}.svc:{}",
            core.namespace, core.peers.kafka_port
        ),
        ca_secret: format!("{cluster}-cluster-ca-cert"),
        publishes: topics(&svc.publishes),
        subscribes: topics(&svc.subscribes),
    })
}

fn stage(s: &Stage) -> Result<StageIr, ResolveError> {
    let kind = match &s.joins {
        Some(j) => StageKind::Joins {
            stage: j.value.clone(),
        },
        None => {
            let databases = s
                .databases
                .as_ref()
                .map(|p| p.value)
                .unwrap_or(Placement::InCluster);
            StageKind::Deployed {
                deploy: s.deploy.as_ref().map(|d| d.value).unwrap_or(Deploy::Manual),
                databases,
                caches: s.caches.as_ref().map(|p| p.value).unwrap_or(databases),
                replicas: count(
                    s.replicas.as_ref().map(|r| r.value).unwrap_or(1),
                    "stage replicas",
                )?,
            }
        }
    };
    Ok(StageIr {
        name: s.name.value.clone(),
        kind,
    })
}

fn count(n: i64, what: &str) -> Result<u32, ResolveError> {
    u32::try_from(n).map_err(|_| ResolveError(format!("{what} `{n}` out of range")))
}

fn app(
    doc: &Document,
    platform: &PlatformIr,
    core: &CoreIr,
    a: &App,
) -> Result<AppIr, ResolveError> {
    let team = a
        .team
        .as_ref()
        .map(|t| t.value.clone())
        .unwrap_or_else(|| a.name.value.clone());
    let mut services = Vec::with_capacity(a.services.len());
    for s in a.services.values() {
        services.push(service(platform, &a.name.value, s)?);
    }
    let mut stages = Vec::new();
    for st in doc.stages.values().filter(|s| s.joins.is_none()) {
        let template = need(&st.namespace, "stage namespace")?;
        let namespace = expand_namespace(template, &a.name.value)
            .map_err(|p| ResolveError(format!("namespace placeholder `{p}`")))?;
        let stage_replicas = count(
            st.replicas.as_ref().map(|r| r.value).unwrap_or(1),
            "stage replicas",
        )?;
        let mut managed_cidrs: Vec<String> = st
            .managed_cidrs
            .iter()
            .flat_map(|l| l.value.iter())
            .map(|c| c.value.clone())
            .collect();
        managed_cidrs.sort();
        managed_cidrs.dedup();
        let mut workloads = Vec::with_capacity(services.len());
        // host -> routes
        let mut hosts: BTreeMap<(String, Protocol), (String, Vec<RouteIr>)> = BTreeMap::new();
        for (model, base) in a.services.values().zip(&services) {
            let over = model.stages.get(&st.name.value);
            let settings =
                merged_settings(platform, model, over.map(|o| &o.settings), stage_replicas)?;
            let overridden = Overrides {
                resources: settings.resources != base.base.resources,
                env: settings.env != base.base.env,
            };
            if let Some(e) = model.expose_in(&st.name.value) {
                let host = public_host(&e.host.value, &st.name.value, &platform.domain);
                let entry = hosts
                    .entry((host, base.protocol))
                    .or_insert_with(|| (e.host.value.clone(), Vec::new()));
                entry.1.push(RouteIr {
                    path: e.path.map(|p| p.value).unwrap_or_else(|| "/".into()),
                    service: base.name.clone(),
                    port: base.port,
                });
            }
            workloads.push(WorkloadIr {
                secrets_path: secret_key(
                    platform,
                    &[&st.name.value, &a.name.value, &base.name, "env"],
                ),
                service: base.name.clone(),
                settings,
                database: data_store(
                    platform,
                    &core.namespace,
                    &a.name.value,
                    model,
                    st,
                    false,
                    &managed_cidrs,
                )?,
                cache: data_store(
                    platform,
                    &core.namespace,
                    &a.name.value,
                    model,
                    st,
                    true,
                    &managed_cidrs,
                )?,
                events: event_client(core, &st.name.value, &a.name.value, base),
                overridden,
            });
        }
        let acme = st
            .certificates
            .as_ref()
            .map(|c| c.value)
            .unwrap_or(Acme::Production);
        let cluster_issuer = match acme {
            Acme::Production => core.issuer_production.clone(),
            Acme::Staging => core.issuer_staging.clone(),
        };
        let mut ingresses: Vec<IngressIr> = Vec::with_capacity(hosts.len());
        for ((host, protocol), (label, mut routes)) in hosts {
            routes.sort_by(|a, b| a.path.cmp(&b.path));
            let first_of_host = ingresses.last().is_none_or(|i| i.host != host);
            let name = match protocol {
                Protocol::Http | Protocol::Tcp => label.clone(),
                Protocol::Https => format!("{label}-https"),
                Protocol::Grpc => format!("{label}-grpc"),
            };
            ingresses.push(IngressIr {
                name,
                tls_secret: format!("{label}-tls"),
                host,
                cluster_issuer: first_of_host.then(|| cluster_issuer.clone()),
                backend_protocol: protocol,
                routes,
            });
        }
        stages.push(AppStageIr {
            stage: st.name.value.clone(),
            namespace,
            deploy: st
                .deploy
                .as_ref()
                .map(|d| d.value)
                .unwrap_or(Deploy::Manual),
            workloads,
            ingresses,
            managed_cidrs,
        });
    }
    Ok(AppIr {
        name: a.name.value.clone(),
        team,
        services,
        stages,
    })
}

fn service(platform: &PlatformIr, app: &str, s: &Service) -> Result<ServiceIr, ResolveError> {
    let name = s.name.value.clone();
    let port = u16::try_from(*need(&s.port, "port")?)
        .map_err(|_| ResolveError(format!("port of `{name}` out of range")))?;
    let protocol = s
        .protocol
        .as_ref()
        .map(|p| p.value)
        .unwrap_or(Protocol::Http);
    let http_probe = |path: Option<&Sp<String>>, default: &str| match protocol {
        Protocol::Http | Protocol::Https => Probe::Http {
            path: path
                .map(|p| p.value.clone())
                .unwrap_or_else(|| default.to_string()),
            scheme_https: protocol == Protocol::Https,
        },
        Protocol::Grpc => Probe::Grpc,
        Protocol::Tcp => Probe::Tcp,
    };
    let health = s.health.as_ref();
    let metrics = MetricsIr {
        port: match s.metrics.as_ref().and_then(|m| m.port.as_ref()) {
            Some(p) => u16::try_from(p.value)
                .map_err(|_| ResolveError(format!("metrics port of `{name}` out of range")))?,
            None => port,
        },
        path: s
            .metrics
            .as_ref()
            .and_then(|m| m.path.as_ref())
            .map(|p| p.value.clone())
            .unwrap_or_else(|| "/metrics".to_string()),
    };
    let selector: Labels = [
        ("app.kubernetes.io/name", name.as_str()),
        ("app.kubernetes.io/part-of", app),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut labels = selector.clone();
    labels.insert("app.kubernetes.io/component".into(), "service".into());
    labels.insert("app.kubernetes.io/managed-by".into(), "platc".into());
    let mut calls = Vec::new();
    for c in s.calls.iter().flat_map(|c| c.value.iter()) {
        let (a, svc) = split_call(&c.value, app);
        calls.push(ServiceRef {
            app: a.to_string(),
            service: svc.to_string(),
        });
    }
    calls.sort();
    calls.dedup();
    let list = |l: Option<&Sp<Vec<Sp<String>>>>| {
        let mut v: Vec<String> = l
            .iter()
            .flat_map(|l| l.value.iter())
            .map(|s| s.value.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    Ok(ServiceIr {
        port,
        protocol,
        image: s
            .image
            .as_ref()
            .map(|i| i.value.clone())
            .unwrap_or_else(|| format!("{}/{}", platform.registry, name)),
        liveness: http_probe(health.and_then(|h| h.liveness.as_ref()), "/healthz"),
        readiness: http_probe(health.and_then(|h| h.readiness.as_ref()), "/readyz"),
        metrics,
        labels,
        selector,
        base: merged_settings(platform, s, None, 1)?,
        calls,
        publishes: list(s.events.as_ref().and_then(|e| e.publishes.as_ref())),
        subscribes: list(s.events.as_ref().and_then(|e| e.subscribes.as_ref())),
        secrets: list(s.secrets.as_ref()),
        name,
    })
}

/// Service settings with a stage override laid over them; `stage_replicas` is the stage's
/// default when neither sets `replicas`.
fn merged_settings(
    platform: &PlatformIr,
    s: &Service,
    over: Option<&SettingsModel>,
    stage_replicas: u32,
) -> Result<Settings, ResolveError> {
    let base = &s.settings;
    let pick = |f: fn(&SettingsModel) -> Option<&Sp<String>>| {
        over.and_then(f)
            .or_else(|| f(base))
            .map(|v| v.value.clone())
    };
    let replicas = match over
        .and_then(|o| o.replicas.as_ref())
        .or(base.replicas.as_ref())
    {
        Some(r) => count(r.value, "replicas")?,
        None => stage_replicas,
    };
    let tag = pick(|s| s.tag.as_ref());
    let digest = pick(|s| s.digest.as_ref());
    let image = ImageRef {
        repository: s
            .image
            .as_ref()
            .map(|i| i.value.clone())
            .unwrap_or_else(|| format!("{}/{}", platform.registry, s.name.value)),
        tag: if tag.is_none() && digest.is_none() {
            Some(DEFAULT_TAG.to_string())
        } else {
            tag
        },
        digest,
    };
    let res = |f: fn(&platc_model::Resources) -> Option<&Sp<String>>| {
        over.and_then(|o| o.resources.as_ref())
            .and_then(f)
            .or_else(|| base.resources.as_ref().and_then(f))
            .map(|v| v.value.clone())
    };
    let cpu_request = cpu(&res(|r| r.cpu.as_ref()).unwrap_or_else(|| DEFAULT_CPU.into()))?;
    let memory = bytes(&res(|r| r.memory.as_ref()).unwrap_or_else(|| DEFAULT_MEMORY.into()))?;
    let cpu_limit = match res(|r| r.cpu_limit.as_ref()) {
        Some(l) => cpu(&l)?,
        None => cpu_request.clone(),
    };
    let memory_limit = match res(|r| r.memory_limit.as_ref()) {
        Some(l) => bytes(&l)?,
        None => memory.clone(),
    };
    let mut env: BTreeMap<String, String> = base
        .env
        .iter()
        .map(|(k, v)| (k.value.clone(), v.value.clone()))
        .collect();
    if let Some(o) = over {
        for (k, v) in &o.env {
            env.insert(k.value.clone(), v.value.clone());
        }
    }
    Ok(Settings {
        replicas,
        image,
        resources: ResourcesIr {
            cpu_request,
            cpu_limit,
            memory_request: memory,
            memory_limit,
        },
        env,
    })
}

fn cpu(q: &str) -> Result<String, ResolveError> {
    quantity::parse_cpu(q)
        .map(quantity::format_cpu)
        .map_err(|e| ResolveError(e.message))
}

fn bytes(q: &str) -> Result<String, ResolveError> {
    quantity::parse_bytes(q)
        .map(quantity::format_bytes)
        .map_err(|e| ResolveError(e.message))
}

/// Backup defaults per engine (seed table): schedule and retention in days.
fn backup_default(engine: Engine) -> (&'static str, u32) {
    match engine {
        Engine::Postgresql => ("0 2 * * *", 30),
        Engine::Mysql => ("0 3 * * *", 30),
        Engine::Mongodb => ("0 * * * *", 14),
        Engine::Redis => ("*/15 * * * *", 7),
    }
}

#[allow(clippy::too_many_arguments)]
fn data_store(
    platform: &PlatformIr,
    core_namespace: &str,
    app: &str,
    s: &Service,
    st: &Stage,
    cache: bool,
    managed_cidrs: &[String],
) -> Result<Option<DataStoreIr>, ResolveError> {
    let service = s.name.value.as_str();
    let store = if cache {
        s.cache.as_ref()
    } else {
        s.database.as_ref()
    };
    let Some(store) = store else { return Ok(None) };
    let over = platc_check::stage_store(s, &st.name.value, cache);
    let engine = *need(&store.engine, "database.engine")?;
    let pick = |f: fn(&DataStore) -> Option<&Sp<String>>| {
        over.and_then(f)
            .or_else(|| f(store))
            .map(|v| v.value.clone())
    };
    let replicas = match over
        .and_then(|o| o.replicas.as_ref())
        .or(store.replicas.as_ref())
    {
        Some(r) => count(r.value, "database replicas")?,
        None => 1,
    };
    // A stage's `backup` refines the service's key by key.
    let backup = |f: fn(&platc_model::Backup) -> Option<&Sp<String>>| {
        over.and_then(|o| o.backup.as_ref())
            .and_then(f)
            .or_else(|| store.backup.as_ref().and_then(f))
    };
    let (default_schedule, default_days) = backup_default(engine);
    let schedule = match backup(|b| b.schedule.as_ref()) {
        Some(s) => s.value.as_str(),
        None => default_schedule,
    };
    let parsed = cron::parse_cron(schedule).map_err(|e| ResolveError(e.message))?;
    let runs_per_day = parsed.runs_per_day();
    let schedule = schedule.split_whitespace().collect::<Vec<_>>().join(" ");
    let retention_days = match backup(|b| b.retention.as_ref()) {
        Some(r) => {
            let d = duration::parse_retention(&r.value).map_err(|e| ResolveError(e.message))?;
            u32::try_from(d.days_rounded_up()).unwrap_or(u32::MAX)
        }
        None => default_days,
    };
    // Database identifiers allow `_` but not `-`.
    let ident = service.replace('-', "_");
    let name = format!("{service}-{}", engine.as_str());
    let parts = [
        platform.name.as_str(),
        &st.name.value,
        app,
        service,
        engine.as_str(),
    ];
    let secret_path = secret_key(platform, &parts[1..]);
    let placement = effective_placement(s, st, cache);
    let endpoint = match placement {
        Placement::Managed => StoreEndpoint::External {
            cidrs: managed_cidrs.to_vec(),
        },
        _ => StoreEndpoint::Pods {
            labels: store_pod_labels(engine, placement, &name),
        },
    };
    let metrics_port = match endpoint {
        StoreEndpoint::External { .. } => None,
        StoreEndpoint::Pods { .. } => Some(match engine {
            Engine::Postgresql => 9187,
            Engine::Mysql => 9104,
            Engine::Mongodb => 9216,
            Engine::Redis => 9121,
        }),
    };
    // The checker allows `pooler` only where Zalando runs the database.
    let pooler = over
        .and_then(|o| o.pooler.as_ref())
        .or(store.pooler.as_ref())
        .map(|p| p.value)
        .filter(|_| placement == Placement::Operator && engine == Engine::Postgresql);
    let (mut host, password_key, tls) =
        connection(engine, placement, platform.cloud, &name, replicas);
    if pooler.is_some() {
        // The operator's pooler Service for the primary.
        host = Some(format!("{name}-pooler"));
    }
    // MongoDB Atlas: the host in the Secret is the cluster's DNS SRV name, and database users
    // are per Atlas project (shared by the stages and apps of the platform), so the user name
    // carries the stage and app (DNS labels: `_` separates them unambiguously).
    let atlas = placement == Placement::Managed
        && engine == Engine::Mongodb
        && platform.managed_mongodb == ManagedMongodb::Atlas;
    // Zalando's operator creates one Secret per user and ignores any other; its name is
    // fixed by the operator (user name with `_` as `-`).
    let zalando = placement == Placement::Operator && engine == Engine::Postgresql;
    let credentials_secret = if zalando {
        format!(
            "{}.{name}.credentials.postgresql.acid.zalan.do",
            format!("{ident}_user").replace('_', "-")
        )
    } else {
        format!("{name}-credentials")
    };
    let extra_ports = if placement == Placement::Operator && engine == Engine::Redis {
        vec![26379]
    } else {
        Vec::new()
    };
    // Operator backups go to the stage's bucket: Percona's backup agent (in the store's pods),
    // Zalando's logical-backup jobs (their bucket and credentials per namespace through the
    // operator's environment Secret) and the MySQL Operator's dump jobs. Without a bucket they
    // are off.
    let storage = |credentials_secret: String, uploader: BackupUploader| {
        st.backup_bucket.as_ref().map(|bucket| BackupStorageIr {
            cloud: platform.cloud,
            bucket: bucket.value.clone(),
            region: platform.region.clone(),
            prefix: format!("{app}/{name}"),
            credentials_secret,
            secret_path: secret_key(platform, &[&st.name.value, "backup-storage"]),
            uploader,
        })
    };
    let backup_storage = match (placement, engine) {
        (Placement::Operator, Engine::Mongodb) => {
            storage(format!("{name}-backup-storage"), BackupUploader::StorePods)
        }
        (Placement::Operator, Engine::Mysql) => storage(
            format!("{name}-backup-storage"),
            BackupUploader::MysqlShellJobs,
        ),
        (Placement::Operator, Engine::Postgresql) => storage(
            ZALANDO_BACKUP_ENV_SECRET.to_string(),
            BackupUploader::ZalandoJobs,
        ),
        _ => None,
    };
    let satellites = satellites(
        engine,
        placement,
        &name,
        pooler.is_some(),
        backup_storage.is_some(),
    );
    let operator =
        (placement == Placement::Operator).then(|| operator_access(engine, core_namespace));
    Ok(Some(DataStoreIr {
        extra_ports,
        satellites,
        operator,
        pooler,
        backup_storage,
        credentials_from_secret_manager: !zalando,
        host,
        password_key,
        tls,
        metrics_port,
        endpoint,
        credentials_secret,
        name,
        secret_path,
        port: store_port(engine, placement, platform.cloud),
        engine,
        version: store
            .version
            .as_ref()
            .map(|v| v.value.clone())
            .unwrap_or_else(|| default_version(engine).to_string()),
        placement,
        storage: bytes(&pick(|d| d.storage.as_ref()).unwrap_or_else(|| DEFAULT_STORAGE.into()))?,
        replicas,
        instance: pick(|d| d.instance.as_ref()),
        // Suffixed so that no service name collides with an SQL keyword (`user`, `order`).
        database: format!("{ident}_db"),
        user: if atlas {
            format!("{}_{app}_{service}_user", st.name.value)
        } else {
            format!("{ident}_user")
        },
        srv: atlas,
        backup: BackupIr {
            schedule,
            retention_days,
            runs_per_day,
        },
    }))
}

/// What an operator-placed store's policies allow its operator (see [`OperatorAccess`]).
fn operator_access(engine: Engine, core_namespace: &str) -> OperatorAccess {
    let in_core = |release: &'static str| PodRef {
        namespace: core_namespace.to_string(),
        labels: labels(&[("app.kubernetes.io/instance", release)]),
    };
    match engine {
        // Zalando: SQL to create users and databases, Patroni's REST API; Patroni keeps its
        // leader lock in the Kubernetes API; Spilo cannot meet `restricted`.
        Engine::Postgresql => OperatorAccess {
            release: ZALANDO_OPERATOR,
            pods: in_core(ZALANDO_OPERATOR),
            ports: vec![5432, 8008],
            peer_ports: vec![8008],
            api_server: true,
            own_namespace_baseline: None,
            baseline_pods: Some(
                "the Zalando operator sets no seccomp profile and drops no capabilities on Spilo containers",
            ),
        },
        Engine::Mongodb => OperatorAccess {
            release: PERCONA_OPERATOR,
            pods: in_core(PERCONA_OPERATOR),
            ports: vec![27017],
            peer_ports: Vec::new(),
            api_server: false,
            own_namespace_baseline: None,
            baseline_pods: None,
        },
        Engine::Redis => OperatorAccess {
            release: SPOTAHOME_OPERATOR,
            pods: in_core(SPOTAHOME_OPERATOR),
            ports: vec![6379, 26379],
            peer_ports: Vec::new(),
            api_server: false,
            own_namespace_baseline: None,
            baseline_pods: None,
        },
        // MySQL Operator (9.1.0-2.2.2): MySQL Shell on 3306 and its group monitor on the X
        // protocol (33060); the servers replicate over 33061 (Group Replication) and are
        // administered over 3306/33060 by each other's sidecars, which call the Kubernetes
        // API; its pod is labelled only `name: mysql-operator`.
        Engine::Mysql => OperatorAccess {
            release: MYSQL_OPERATOR,
            pods: PodRef {
                namespace: mysql_operator_namespace(core_namespace),
                labels: labels(&[("name", MYSQL_OPERATOR)]),
            },
            ports: vec![3306, 33060],
            peer_ports: vec![33060, 33061],
            api_server: true,
            own_namespace_baseline: Some(
                "the mysql-operator chart sets no seccomp profile on the operator's pod and has no value for one",
            ),
            baseline_pods: Some(
                "the MySQL Operator's fixdatadir init container runs as root with CHOWN and FOWNER (no setting in the InnoDBCluster schema turns it off)",
            ),
        },
    }
}

/// The pods an operator starts next to the store (and platc's own jobs for it).
///
/// - Zalando's logical backup CronJob labels its pods `application: spilo-logical-backup` and
///   the cluster name (postgres-operator `generateLogicalBackupJob`); they dump the cluster over
///   5432 and upload to the stage's bucket.
/// - Zalando's connection pooler (PgBouncer, with `pooler`) labels its pods
///   `application: db-connection-pooler` and the cluster name (`connectionPoolerLabels`); the
///   service connects to it, it connects to the primary.
/// - The MySQL Operator's router (`component: mysqlrouter`): the cluster's Service maps 3306
///   to the routers' 6446, so the service connects to 6446; routers reach the servers on 3306
///   and 33060. platc's user job (the operator creates no application user or database)
///   reaches the primary through the router. The operator's dump jobs (labelled by the
///   backup profile's `podLabels`) read the cluster from the Kubernetes API, dump a server and
///   upload to the stage's bucket.
fn satellites(
    engine: Engine,
    placement: Placement,
    name: &str,
    pooler: bool,
    backup: bool,
) -> Vec<Satellite> {
    let sat = |role: &str, pairs: &[(&str, &str)]| Satellite {
        role: role.into(),
        labels: labels(pairs),
        to_store: Vec::new(),
        serves_service: None,
        to_satellites: Vec::new(),
        upload: false,
        api_server: false,
    };
    let mut out = Vec::new();
    match (placement, engine) {
        (Placement::Operator, Engine::Postgresql) => {
            if backup {
                out.push(Satellite {
                    to_store: vec![5432],
                    upload: true,
                    ..sat(
                        "logical-backup",
                        &[
                            ("application", "spilo-logical-backup"),
                            ("cluster-name", name),
                        ],
                    )
                });
            }
            if pooler {
                out.push(Satellite {
                    to_store: vec![5432],
                    serves_service: Some(5432),
                    ..sat(
                        "pooler",
                        &[
                            ("application", "db-connection-pooler"),
                            ("cluster-name", name),
                        ],
                    )
                });
            }
        }
        (Placement::Operator, Engine::Mysql) => {
            if backup {
                out.push(Satellite {
                    to_store: vec![3306, 33060],
                    upload: true,
                    api_server: true,
                    ..sat("backup", &mysql_job_labels(name, "backup"))
                });
            }
            out.push(Satellite {
                to_store: vec![3306, 33060],
                serves_service: Some(MYSQL_ROUTER_PORT),
                ..sat(
                    "router",
                    &[
                        ("component", "mysqlrouter"),
                        ("mysql.oracle.com/cluster", name),
                    ],
                )
            });
            out.push(Satellite {
                to_satellites: vec!["router".into()],
                ..sat("user-setup", &mysql_job_labels(name, "user-setup"))
            });
        }
        _ => {}
    }
    out
}

/// Labels of the pods of a job run for the operator-placed MySQL store `name` (platc's user
/// job, the operator's dump jobs through the backup profile's `podLabels`).
fn mysql_job_labels<'a>(name: &'a str, role: &'a str) -> [(&'a str, &'a str); 2] {
    [
        ("app.kubernetes.io/component", role),
        ("app.kubernetes.io/instance", name),
    ]
}

/// The labels on a store's pods, as the chart, operator or platc's own StatefulSet sets them.
fn store_pod_labels(engine: Engine, placement: Placement, name: &str) -> Labels {
    match (placement, engine) {
        (Placement::Operator, Engine::Postgresql) => {
            labels(&[("application", "spilo"), ("cluster-name", name)])
        }
        (Placement::Operator, Engine::Mongodb) => labels(&[
            ("app.kubernetes.io/instance", name),
            ("app.kubernetes.io/name", "percona-server-mongodb"),
        ]),
        (Placement::Operator, Engine::Redis) => labels(&[
            ("app.kubernetes.io/name", name),
            ("app.kubernetes.io/part-of", "redis-failover"),
        ]),
        // The servers; the cluster's routers share `mysql.oracle.com/cluster` but not `component`.
        (Placement::Operator, Engine::Mysql) => {
            labels(&[("component", "mysqld"), ("mysql.oracle.com/cluster", name)])
        }
        (Placement::StatefulSet, _) => labels(&[
            ("app.kubernetes.io/component", "database"),
            ("app.kubernetes.io/instance", name),
        ]),
        // Bitnami charts label pods with the release and the chart name.
        _ => labels(&[
            ("app.kubernetes.io/instance", name),
            ("app.kubernetes.io/name", engine.as_str()),
        ]),
    }
}

/// The port a service connects to: the engine's standard port, except where a cloud's managed
/// service listens elsewhere (TLS-only Azure Cache for Redis, Memorystore with in-transit
/// encryption, Cosmos DB's MongoDB API).
fn store_port(engine: Engine, placement: Placement, cloud: Cloud) -> u16 {
    match (placement, cloud, engine) {
        (Placement::Managed, Cloud::Azure, Engine::Redis) => 6380,
        (Placement::Managed, Cloud::Gcp, Engine::Redis) => 6378,
        (Placement::Managed, Cloud::Azure, Engine::Mongodb) => 10255,
        (_, _, Engine::Postgresql) => 5432,
        (_, _, Engine::Mysql) => 3306,
        (_, _, Engine::Mongodb) => 27017,
        (_, _, Engine::Redis) => 6379,
    }
}

/// How a service reaches and authenticates to its store: the Service name (in-cluster), the
/// Secret key of its password, and whether TLS is required. Names follow the charts' and
/// operators' own conventions for the release/cluster `name`.
fn connection(
    engine: Engine,
    placement: Placement,
    cloud: Cloud,
    name: &str,
    replicas: u32,
) -> (Option<String>, Option<String>, bool) {
    let key = |k: &str| Some(k.to_string());
    match placement {
        Placement::InCluster => {
            let ha = replicas > 1;
            let (host, password) = match engine {
                Engine::Postgresql if ha => (format!("{name}-primary"), "password"),
                Engine::Postgresql => (name.to_string(), "password"),
                Engine::Mysql if ha => (format!("{name}-primary"), "mysql-password"),
                Engine::Mysql => (name.to_string(), "mysql-password"),
                Engine::Mongodb if ha => (format!("{name}-headless"), "mongodb-passwords"),
                Engine::Mongodb => (name.to_string(), "mongodb-passwords"),
                Engine::Redis => (format!("{name}-master"), "redis-password"),
            };
            (Some(host), key(password), false)
        }
        Placement::Operator => {
            let host = match engine {
                Engine::Postgresql | Engine::Mysql => name.to_string(),
                Engine::Mongodb => format!("{name}-rs0"),
                Engine::Redis => format!("rfrm-{name}"),
            };
            (Some(host), key("password"), engine != Engine::Redis)
        }
        Placement::StatefulSet => (Some(name.to_string()), key("password"), true),
        Placement::Managed => {
            let iam_only = cloud == Cloud::Aws && engine == Engine::Redis;
            (None, if iam_only { None } else { key("password") }, true)
        }
    }
}

/// A stage-scoped key in the cloud secret manager: `<platform>/<parts...>` on AWS, with `-` on
/// Azure and GCP (whose secret names allow no `/`).
fn secret_key(platform: &PlatformIr, parts: &[&str]) -> String {
    let mut all = vec![platform.name.as_str()];
    all.extend_from_slice(parts);
    match platform.cloud {
        Cloud::Aws => all.join("/"),
        Cloud::Azure | Cloud::Gcp => all.join("-"),
    }
}
