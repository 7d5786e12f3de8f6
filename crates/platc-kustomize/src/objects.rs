//! The Kubernetes objects, one builder each. Field order follows `kubectl` conventions.

use platc_ir::{
    AppIr, AppStageIr, BackupUploader, DataStoreIr, IngressIr, Ir, Labels, Probe, Protocol,
    ServiceIr, WorkloadIr,
};
use platc_yaml::{Mapping, Yaml};

/// Non-root user and group every service container runs as (above 10000, so it never
/// collides with a host user).
const RUN_AS: i64 = 10001;

fn labels(l: &Labels) -> Mapping {
    let mut m = Mapping::new();
    for (k, v) in l {
        m.insert(k, v.as_str());
    }
    m
}

fn metadata(name: &str, l: &Labels) -> Mapping {
    Mapping::new().with("name", name).with("labels", labels(l))
}

pub(crate) fn service_account(svc: &ServiceIr) -> Yaml {
    Mapping::new()
        .with("apiVersion", "v1")
        .with("kind", "ServiceAccount")
        .with("metadata", metadata(&svc.name, &svc.labels))
        .with("automountServiceAccountToken", false)
        .into()
}

fn has_metrics_port(svc: &ServiceIr) -> bool {
    svc.metrics.port != svc.port
}

pub(crate) fn service(svc: &ServiceIr) -> Yaml {
    let mut ports = vec![Yaml::Map(
        Mapping::new()
            .with("name", platc_ir::port_name(svc.protocol))
            .with("port", i64::from(svc.port))
            .with("targetPort", platc_ir::port_name(svc.protocol))
            .with("protocol", "TCP")
            .with("appProtocol", app_protocol(svc.protocol)),
    )];
    if has_metrics_port(svc) {
        ports.push(Yaml::Map(
            Mapping::new()
                .with("name", "metrics")
                .with("port", i64::from(svc.metrics.port))
                .with("targetPort", "metrics")
                .with("protocol", "TCP")
                .with("appProtocol", "http"),
        ));
    }
    Mapping::new()
        .with("apiVersion", "v1")
        .with("kind", "Service")
        .with("metadata", metadata(&svc.name, &svc.labels))
        .with(
            "spec",
            Mapping::new()
                .with("type", "ClusterIP")
                .with("selector", labels(&svc.selector))
                .with("ports", Yaml::Seq(ports)),
        )
        .into()
}

fn app_protocol(p: Protocol) -> &'static str {
    match p {
        Protocol::Http => "http",
        Protocol::Https => "https",
        Protocol::Grpc => "kubernetes.io/h2c",
        Protocol::Tcp => "tcp",
    }
}

fn probe(svc: &ServiceIr, p: &Probe, initial_delay: i64) -> Yaml {
    let port = platc_ir::port_name(svc.protocol);
    let mut m = Mapping::new();
    match p {
        Probe::Http { path, scheme_https } => {
            let mut get = Mapping::new()
                .with("path", path.as_str())
                .with("port", port);
            if *scheme_https {
                get.insert("scheme", "HTTPS");
            }
            m.insert("httpGet", get);
        }
        // The gRPC probe takes a port number; named ports are not allowed there.
        Probe::Grpc => m.insert("grpc", Mapping::new().with("port", i64::from(svc.port))),
        Probe::Tcp => m.insert("tcpSocket", Mapping::new().with("port", port)),
    }
    m.insert("initialDelaySeconds", initial_delay);
    m.insert("periodSeconds", 10_i64);
    m.insert("timeoutSeconds", 2_i64);
    m.insert("failureThreshold", 3_i64);
    Yaml::Map(m)
}

fn env(vars: &std::collections::BTreeMap<String, String>) -> Yaml {
    Yaml::Seq(
        vars.iter()
            .map(|(k, v)| {
                Yaml::Map(
                    Mapping::new()
                        .with("name", k.as_str())
                        .with("value", v.as_str()),
                )
            })
            .collect(),
    )
}

fn resources(r: &platc_ir::ResourcesIr) -> Mapping {
    Mapping::new()
        .with(
            "requests",
            Mapping::new()
                .with("cpu", r.cpu_request.as_str())
                .with("memory", r.memory_request.as_str()),
        )
        .with(
            "limits",
            Mapping::new()
                .with("cpu", r.cpu_limit.as_str())
                .with("memory", r.memory_limit.as_str()),
        )
}

pub(crate) fn deployment(svc: &ServiceIr) -> Yaml {
    let s = &svc.base;
    let mut ports = vec![Yaml::Map(
        Mapping::new()
            .with("name", platc_ir::port_name(svc.protocol))
            .with("containerPort", i64::from(svc.port))
            .with("protocol", "TCP"),
    )];
    if has_metrics_port(svc) {
        ports.push(Yaml::Map(
            Mapping::new()
                .with("name", "metrics")
                .with("containerPort", i64::from(svc.metrics.port))
                .with("protocol", "TCP"),
        ));
    }
    let mut container = Mapping::new()
        .with("name", svc.name.as_str())
        .with("image", s.image.reference())
        .with("imagePullPolicy", "Always")
        .with("ports", Yaml::Seq(ports));
    if !s.env.is_empty() {
        container.insert("env", env(&s.env));
    }
    container.insert("resources", resources(&s.resources));
    container.insert("livenessProbe", probe(svc, &svc.liveness, 10));
    container.insert("readinessProbe", probe(svc, &svc.readiness, 5));
    container.insert(
        "securityContext",
        Mapping::new()
            .with("allowPrivilegeEscalation", false)
            .with("readOnlyRootFilesystem", true)
            .with("runAsNonRoot", true)
            .with("runAsUser", RUN_AS)
            .with("runAsGroup", RUN_AS)
            .with(
                "capabilities",
                Mapping::new().with("drop", Yaml::Seq(vec!["ALL".into()])),
            )
            .with(
                "seccompProfile",
                Mapping::new().with("type", "RuntimeDefault"),
            ),
    );
    container.insert(
        "volumeMounts",
        Yaml::Seq(vec![Yaml::Map(
            Mapping::new().with("name", "tmp").with("mountPath", "/tmp"),
        )]),
    );
    let mut annotations = Mapping::new();
    if s.image.digest.is_none() {
        annotations.insert(
            "checkov.io/skip1",
            "CKV_K8S_43=image pinned by an immutable release tag; set `digest` in platform.toml to pin by digest",
        );
    }
    let mut meta = metadata(&svc.name, &svc.labels);
    if !annotations.is_empty() {
        meta.insert("annotations", annotations);
    }
    let pod_spec = Mapping::new()
        .with("serviceAccountName", svc.name.as_str())
        .with("automountServiceAccountToken", false)
        .with(
            "securityContext",
            Mapping::new()
                .with("runAsNonRoot", true)
                .with("runAsUser", RUN_AS)
                .with("runAsGroup", RUN_AS)
                .with("fsGroup", RUN_AS)
                .with(
                    "seccompProfile",
                    Mapping::new().with("type", "RuntimeDefault"),
                ),
        )
        .with("containers", Yaml::Seq(vec![Yaml::Map(container)]))
        .with(
            "volumes",
            Yaml::Seq(vec![Yaml::Map(
                Mapping::new()
                    .with("name", "tmp")
                    .with("emptyDir", Mapping::new().with("sizeLimit", "64Mi")),
            )]),
        );
    Mapping::new()
        .with("apiVersion", "apps/v1")
        .with("kind", "Deployment")
        .with("metadata", meta)
        .with(
            "spec",
            Mapping::new()
                .with("replicas", i64::from(s.replicas))
                .with("revisionHistoryLimit", 5_i64)
                .with(
                    "selector",
                    Mapping::new().with("matchLabels", labels(&svc.selector)),
                )
                .with(
                    "template",
                    Mapping::new()
                        .with(
                            "metadata",
                            Mapping::new().with("labels", labels(&svc.labels)),
                        )
                        .with("spec", pod_spec),
                ),
        )
        .into()
}

/// The stage's changes to a base Deployment (strategic merge patch).
pub(crate) fn deployment_patch(svc: &ServiceIr, w: &WorkloadIr) -> Yaml {
    let s = &w.settings;
    let mut spec = Mapping::new().with("replicas", i64::from(s.replicas));
    let mut pod = Mapping::new();
    if s.replicas > 1 {
        let spread = |key: &str, when: &str| {
            Yaml::Map(
                Mapping::new()
                    .with("maxSkew", 1_i64)
                    .with("topologyKey", key)
                    .with("whenUnsatisfiable", when)
                    .with(
                        "labelSelector",
                        Mapping::new().with("matchLabels", labels(&svc.selector)),
                    ),
            )
        };
        pod.insert(
            "topologySpreadConstraints",
            Yaml::Seq(vec![
                spread("topology.kubernetes.io/zone", "ScheduleAnyway"),
                spread("kubernetes.io/hostname", "DoNotSchedule"),
            ]),
        );
    }
    let mut container = Mapping::new().with("name", svc.name.as_str());
    if w.overridden.resources {
        container.insert("resources", resources(&s.resources));
    }
    let (file_env, mounts, volumes, config) = credential_wiring(svc, w);
    if w.overridden.env || !file_env.is_empty() {
        // Strategic merge matches env entries by name: listing the stage's literal values
        // only when they differ keeps the base's otherwise.
        let mut all = match (w.overridden.env, env(&s.env)) {
            (true, Yaml::Seq(v)) => v,
            _ => Vec::new(),
        };
        all.extend(file_env);
        container.insert("env", Yaml::Seq(all));
    }
    if config {
        container.insert(
            "envFrom",
            Yaml::Seq(vec![Yaml::Map(Mapping::new().with(
                "configMapRef",
                Mapping::new().with("name", format!("{}-connection", svc.name)),
            ))]),
        );
    }
    if !mounts.is_empty() {
        container.insert("volumeMounts", Yaml::Seq(mounts));
    }
    if container.len() > 1 {
        pod.insert("containers", Yaml::Seq(vec![Yaml::Map(container)]));
    }
    if !volumes.is_empty() {
        pod.insert("volumes", Yaml::Seq(volumes));
    }
    if !pod.is_empty() {
        spec.insert("template", Mapping::new().with("spec", pod));
    }
    Mapping::new()
        .with("apiVersion", "apps/v1")
        .with("kind", "Deployment")
        .with("metadata", Mapping::new().with("name", svc.name.as_str()))
        .with("spec", spec)
        .into()
}

pub(crate) fn pod_disruption_budget(svc: &ServiceIr) -> Yaml {
    Mapping::new()
        .with("apiVersion", "policy/v1")
        .with("kind", "PodDisruptionBudget")
        .with("metadata", metadata(&svc.name, &svc.labels))
        .with(
            "spec",
            Mapping::new().with("maxUnavailable", 1_i64).with(
                "selector",
                Mapping::new().with("matchLabels", labels(&svc.selector)),
            ),
        )
        .into()
}

pub(crate) fn namespace(ir: &Ir, app: &AppIr, stage: &AppStageIr) -> Yaml {
    let version = format!("v{}", ir.platform.kubernetes);
    // Where an operator's pods cannot meet `restricted` (see `OperatorAccess::baseline_pods`),
    // the namespace enforces `baseline` and keeps auditing and warning at `restricted`, so
    // every other pod's deviation stays visible.
    let reasons: std::collections::BTreeSet<&str> = stage
        .workloads
        .iter()
        .flat_map(|w| [&w.database, &w.cache])
        .flatten()
        .filter_map(|s| s.operator.as_ref().and_then(|o| o.baseline_pods))
        .collect();
    let baseline = !reasons.is_empty();
    let mut l = Mapping::new();
    for mode in ["enforce", "audit", "warn"] {
        let level = if baseline && mode == "enforce" {
            "baseline"
        } else {
            "restricted"
        };
        l.insert(format!("pod-security.kubernetes.io/{mode}"), level);
        l.insert(
            format!("pod-security.kubernetes.io/{mode}-version"),
            version.as_str(),
        );
    }
    l.insert("app.kubernetes.io/part-of", app.name.as_str());
    l.insert("app.kubernetes.io/managed-by", "platc");
    l.insert("platc.dev/app", app.name.as_str());
    l.insert("platc.dev/team", app.team.as_str());
    Mapping::new()
        .with("apiVersion", "v1")
        .with("kind", "Namespace")
        .with("metadata", {
            let mut m = Mapping::new()
                .with("name", stage.namespace.as_str())
                .with("labels", l);
            if baseline {
                m.insert(
                    "annotations",
                    Mapping::new().with(
                        "platc.dev/pod-security",
                        format!(
                            "baseline enforced: {}; audit and warn stay restricted",
                            reasons.into_iter().collect::<Vec<_>>().join("; ")
                        ),
                    ),
                );
            }
            m
        })
        .into()
}

pub(crate) fn ingress(ir: &Ir, app: &AppIr, i: &IngressIr) -> Yaml {
    let mut annotations = Mapping::new();
    if let Some(issuer) = &i.cluster_issuer {
        annotations.insert("cert-manager.io/cluster-issuer", issuer.as_str());
    }
    match i.backend_protocol {
        Protocol::Https => {
            annotations.insert("nginx.ingress.kubernetes.io/backend-protocol", "HTTPS")
        }
        Protocol::Grpc => {
            annotations.insert("nginx.ingress.kubernetes.io/backend-protocol", "GRPC")
        }
        Protocol::Http | Protocol::Tcp => {}
    }
    annotations.insert("nginx.ingress.kubernetes.io/force-ssl-redirect", "true");
    let paths: Vec<Yaml> = i
        .routes
        .iter()
        .map(|r| {
            Yaml::Map(
                Mapping::new()
                    .with("path", r.path.as_str())
                    .with("pathType", "Prefix")
                    .with(
                        "backend",
                        Mapping::new().with(
                            "service",
                            Mapping::new()
                                .with("name", r.service.as_str())
                                .with("port", Mapping::new().with("number", i64::from(r.port))),
                        ),
                    ),
            )
        })
        .collect();
    let l: Labels = [
        ("app.kubernetes.io/part-of", app.name.as_str()),
        ("app.kubernetes.io/component", "ingress"),
        ("app.kubernetes.io/managed-by", "platc"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Mapping::new()
        .with("apiVersion", "networking.k8s.io/v1")
        .with("kind", "Ingress")
        .with(
            "metadata",
            metadata(&i.name, &l).with("annotations", annotations),
        )
        .with(
            "spec",
            Mapping::new()
                .with("ingressClassName", ir.core.ingress_class.as_str())
                .with(
                    "tls",
                    Yaml::Seq(vec![Yaml::Map(
                        Mapping::new()
                            .with("hosts", Yaml::Seq(vec![i.host.as_str().into()]))
                            .with("secretName", i.tls_secret.as_str()),
                    )]),
                )
                .with(
                    "rules",
                    Yaml::Seq(vec![Yaml::Map(
                        Mapping::new()
                            .with("host", i.host.as_str())
                            .with("http", Mapping::new().with("paths", Yaml::Seq(paths))),
                    )]),
                ),
        )
        .into()
}

/// Where a store's credentials are mounted in the app container.
fn mount_dir(kind: &str) -> String {
    format!("/var/run/secrets/platc/{kind}")
}

/// Directory of the service's own `secrets`, one file per name.
const APP_SECRETS_DIR: &str = "/var/run/secrets/platc/env";

fn stores(w: &WorkloadIr) -> impl Iterator<Item = (&'static str, &DataStoreIr)> {
    [("database", &w.database), ("cache", &w.cache)]
        .into_iter()
        .filter_map(|(kind, s)| s.as_ref().map(|s| (kind, s)))
}

/// Connection data without credentials: engine, host, port, database, user, TLS.
pub(crate) fn connection_config_map(svc: &ServiceIr, w: &WorkloadIr) -> Option<Yaml> {
    let mut data = Mapping::new();
    for (kind, s) in stores(w) {
        let p = kind.to_ascii_uppercase();
        data.insert(format!("{p}_ENGINE"), s.engine.as_str());
        if let Some(host) = &s.host {
            data.insert(format!("{p}_HOST"), host.as_str());
        }
        data.insert(format!("{p}_PORT"), s.port.to_string());
        // MongoDB Atlas: the host file holds a DNS SRV name; connect with `mongodb+srv://`.
        if s.srv {
            data.insert(format!("{p}_SRV"), "true");
        }
        // Caches authenticate with a password only (or IAM, whose user is in the Secret).
        if kind == "database" {
            data.insert(format!("{p}_NAME"), s.database.as_str());
            data.insert(format!("{p}_USER"), s.user.as_str());
        }
        data.insert(format!("{p}_TLS"), if s.tls { "true" } else { "false" });
    }
    if let Some(e) = &w.events {
        data.insert("KAFKA_BOOTSTRAP_SERVERS", e.bootstrap.as_str());
        data.insert("KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
        data.insert("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");
        data.insert("KAFKA_USERNAME", e.user.as_str());
        if let Some(group) = &e.group {
            data.insert("KAFKA_CONSUMER_GROUP", group.as_str());
        }
        // Event names are DNS labels: upper-cased with `-` → `_` they stay distinct.
        for t in e.publishes.iter().chain(&e.subscribes) {
            data.insert(
                format!(
                    "KAFKA_TOPIC_{}",
                    t.event.to_ascii_uppercase().replace('-', "_")
                ),
                t.topic.as_str(),
            );
        }
    }
    if data.is_empty() {
        return None;
    }
    Some(
        Mapping::new()
            .with("apiVersion", "v1")
            .with("kind", "ConfigMap")
            .with(
                "metadata",
                metadata(&format!("{}-connection", svc.name), &svc.labels),
            )
            .with("data", data)
            .into(),
    )
}

fn external_secret(name: &str, labels: &Labels, store: &str, source: Mapping) -> Yaml {
    templated_external_secret(name, labels, store, source, None)
}

/// An ExternalSecret whose target Secret is built from `template` (External Secrets' template
/// engine v2: literal values and `{{ .key }}` of the fetched data) instead of the data as is.
fn templated_external_secret(
    name: &str,
    labels: &Labels,
    store: &str,
    source: Mapping,
    template: Option<Mapping>,
) -> Yaml {
    let mut target = Mapping::new()
        .with("name", name)
        .with("creationPolicy", "Owner");
    if let Some(data) = template {
        target.insert(
            "template",
            Mapping::new()
                .with("engineVersion", "v2")
                .with("data", data),
        );
    }
    let mut spec = Mapping::new()
        .with("refreshInterval", "1h")
        .with(
            "secretStoreRef",
            Mapping::new()
                .with("kind", "ClusterSecretStore")
                .with("name", store),
        )
        .with("target", target);
    for (k, v) in source.into_entries() {
        spec.insert(k, v);
    }
    Mapping::new()
        .with("apiVersion", "external-secrets.io/v1")
        .with("kind", "ExternalSecret")
        .with("metadata", metadata(name, labels))
        .with("spec", spec)
        .into()
}

/// One `spec.data` entry: the secret manager entry `key`'s `property` as the Secret's
/// `secret_key`.
fn remote_item(secret_key: &str, key: &str, property: &str) -> Yaml {
    Yaml::Map(Mapping::new().with("secretKey", secret_key).with(
        "remoteRef",
        Mapping::new().with("key", key).with("property", property),
    ))
}

/// The ExternalSecrets of one workload: a Secret per store from its stage-scoped key, and one
/// for the service's own `secrets`.
pub(crate) fn external_secrets(svc: &ServiceIr, w: &WorkloadIr, store: &str) -> Vec<Yaml> {
    let mut out: Vec<Yaml> = stores(w)
        .filter(|(_, s)| s.credentials_from_secret_manager)
        .map(|(_, s)| {
            external_secret(
                &s.credentials_secret,
                &svc.labels,
                store,
                Mapping::new().with(
                    "dataFrom",
                    Yaml::Seq(vec![Yaml::Map(Mapping::new().with(
                        "extract",
                        Mapping::new().with("key", s.secret_path.as_str()),
                    ))]),
                ),
            )
        })
        .collect();
    if let Some(e) = &w.events {
        out.push(external_secret(
            &e.credentials_secret,
            &svc.labels,
            &e.secret_store,
            Mapping::new().with(
                "data",
                Yaml::Seq(vec![
                    remote_item("password", &e.user, "password"),
                    remote_item("ca.crt", &e.ca_secret, "ca.crt"),
                ]),
            ),
        ));
    }
    // Object-storage credentials of operator backups (one secret manager key per stage, put
    // there by the platform team), in the shape their uploader reads. Zalando's is one Secret
    // per namespace, not per service (`zalando_backup_env`).
    for (_, s) in stores(w) {
        let Some(b) = &s.backup_storage else { continue };
        match b.uploader {
            // The backup agent reads the keys of `BackupStorageIr::credential_keys` as they are.
            BackupUploader::StorePods => out.push(external_secret(
                &b.credentials_secret,
                &svc.labels,
                store,
                Mapping::new().with(
                    "data",
                    Yaml::Seq(
                        b.credential_keys()
                            .iter()
                            .map(|k| remote_item(k, &b.secret_path, k))
                            .collect(),
                    ),
                ),
            )),
            BackupUploader::MysqlShellJobs => out.push(mysql_backup_storage(svc, b, store)),
            BackupUploader::ZalandoJobs => {}
        }
    }
    if !svc.secrets.is_empty() {
        let data = svc
            .secrets
            .iter()
            .map(|name| remote_item(name, &w.secrets_path, name))
            .collect();
        out.push(external_secret(
            &format!("{}-secrets", svc.name),
            &svc.labels,
            store,
            Mapping::new().with("data", Yaml::Seq(data)),
        ));
    }
    out
}

/// The Secret the MySQL Operator's dump jobs mount as MySQL Shell's object storage
/// configuration: for S3 (and Cloud Storage's S3 interface) an AWS CLI `credentials` and
/// `config` file with the profile `default`, for Azure an Azure CLI `config` file with the
/// storage account; the keys come from the stage's `backup-storage` secret-manager entry.
fn mysql_backup_storage(svc: &ServiceIr, b: &platc_ir::BackupStorageIr, store: &str) -> Yaml {
    let mut template = Mapping::new();
    match b.cloud {
        platc_ir::Cloud::Aws | platc_ir::Cloud::Gcp => {
            template.insert(
                "credentials",
                "[default]\naws_access_key_id = {{ .AWS_ACCESS_KEY_ID }}\naws_secret_access_key = {{ .AWS_SECRET_ACCESS_KEY }}\n",
            );
            // The region is platc-validated (`[a-z0-9-]`): no template syntax can reach here.
            template.insert("config", format!("[default]\nregion = {}\n", b.region));
        }
        platc_ir::Cloud::Azure => {
            template.insert(
                "config",
                "[storage]\naccount = {{ .AZURE_STORAGE_ACCOUNT_NAME }}\nkey = {{ .AZURE_STORAGE_ACCOUNT_KEY }}\n",
            );
        }
    }
    let remote = b
        .credential_keys()
        .iter()
        .map(|k| remote_item(k, &b.secret_path, k))
        .collect();
    templated_external_secret(
        &b.credentials_secret,
        &svc.labels,
        store,
        Mapping::new().with("data", Yaml::Seq(remote)),
        Some(template),
    )
}

/// The Secret Zalando's operator adds to the environment of every logical-backup job in the
/// namespace (`postgres-logical-backup`, see [`platc_ir::ZALANDO_BACKUP_ENV_SECRET`]): the
/// stage's bucket (and region, endpoint) as literal template values, the storage credentials
/// from the stage's `backup-storage` secret-manager entry. Overrides the operator-wide
/// defaults, which name no bucket. One per namespace with Zalando clusters and a bucket.
pub(crate) fn zalando_backup_env(app: &AppIr, stage: &AppStageIr, store: &str) -> Option<Yaml> {
    let b = stage
        .workloads
        .iter()
        .flat_map(|w| [&w.database, &w.cache])
        .flatten()
        .find_map(|s| {
            s.backup_storage
                .as_ref()
                .filter(|b| b.uploader == BackupUploader::ZalandoJobs)
        })?;
    let mut template = Mapping::new();
    let mut remote = Vec::new();
    match b.cloud {
        platc_ir::Cloud::Aws | platc_ir::Cloud::Gcp => {
            template.insert("LOGICAL_BACKUP_S3_BUCKET", b.bucket.as_str());
            template.insert("LOGICAL_BACKUP_S3_REGION", b.region.as_str());
            if b.cloud == platc_ir::Cloud::Gcp {
                // Cloud Storage through its S3 interface (HMAC keys), which takes no SSE header.
                template.insert(
                    "LOGICAL_BACKUP_S3_ENDPOINT",
                    "https://storage.googleapis.com",
                );
                template.insert("LOGICAL_BACKUP_S3_SSE", "");
            }
        }
        platc_ir::Cloud::Azure => {
            template.insert("LOGICAL_BACKUP_AZURE_STORAGE_CONTAINER", b.bucket.as_str());
        }
    }
    for key in b.credential_keys() {
        // The job reads the Azure account as LOGICAL_BACKUP_AZURE_STORAGE_ACCOUNT_*.
        let env = match key {
            "AZURE_STORAGE_ACCOUNT_NAME" => "LOGICAL_BACKUP_AZURE_STORAGE_ACCOUNT_NAME",
            "AZURE_STORAGE_ACCOUNT_KEY" => "LOGICAL_BACKUP_AZURE_STORAGE_ACCOUNT_KEY",
            other => other,
        };
        template.insert(env, format!("{{{{ .{key} }}}}"));
        remote.push(remote_item(key, &b.secret_path, key));
    }
    let mut labels = Labels::new();
    labels.insert("app.kubernetes.io/managed-by".into(), "platc".into());
    labels.insert("app.kubernetes.io/part-of".into(), app.name.clone());
    Some(templated_external_secret(
        &b.credentials_secret,
        &labels,
        store,
        Mapping::new().with("data", Yaml::Seq(remote)),
        Some(template),
    ))
}

/// Container env, mounts and pod volumes that hand the workload its connection data and
/// credentials: values through a ConfigMap, secrets only as read-only files (`*_FILE`).
pub(crate) fn credential_wiring(
    svc: &ServiceIr,
    w: &WorkloadIr,
) -> (Vec<Yaml>, Vec<Yaml>, Vec<Yaml>, bool) {
    let mut env = Vec::new();
    let mut mounts = Vec::new();
    let mut volumes = Vec::new();
    let file_env = |name: String, path: String| {
        Yaml::Map(Mapping::new().with("name", name).with("value", path))
    };
    for (kind, s) in stores(w) {
        let p = kind.to_ascii_uppercase();
        let dir = mount_dir(kind);
        let mut items = Vec::new();
        if let Some(key) = &s.password_key {
            items.push(Yaml::Map(
                Mapping::new()
                    .with("key", key.as_str())
                    .with("path", "password"),
            ));
            env.push(file_env(
                format!("{p}_PASSWORD_FILE"),
                format!("{dir}/password"),
            ));
        }
        if s.host.is_none() {
            items.push(Yaml::Map(
                Mapping::new().with("key", "host").with("path", "host"),
            ));
            env.push(file_env(format!("{p}_HOST_FILE"), format!("{dir}/host")));
        }
        if items.is_empty() {
            continue;
        }
        let volume = format!("{kind}-credentials");
        mounts.push(Yaml::Map(
            Mapping::new()
                .with("name", volume.as_str())
                .with("mountPath", dir)
                .with("readOnly", true),
        ));
        volumes.push(secret_volume(&volume, &s.credentials_secret, items));
    }
    if let Some(e) = &w.events {
        let dir = mount_dir("event-bus");
        env.push(file_env(
            "KAFKA_PASSWORD_FILE".into(),
            format!("{dir}/password"),
        ));
        env.push(file_env(
            "KAFKA_SSL_CA_FILE".into(),
            format!("{dir}/ca.crt"),
        ));
        mounts.push(Yaml::Map(
            Mapping::new()
                .with("name", "event-bus-credentials")
                .with("mountPath", dir)
                .with("readOnly", true),
        ));
        let item = |k: &str| Yaml::Map(Mapping::new().with("key", k).with("path", k));
        volumes.push(secret_volume(
            "event-bus-credentials",
            &e.credentials_secret,
            vec![item("password"), item("ca.crt")],
        ));
    }
    if !svc.secrets.is_empty() {
        let items = svc
            .secrets
            .iter()
            .map(|n| {
                Yaml::Map(
                    Mapping::new()
                        .with("key", n.as_str())
                        .with("path", n.as_str()),
                )
            })
            .collect();
        for n in &svc.secrets {
            env.push(file_env(
                format!("{n}_FILE"),
                format!("{APP_SECRETS_DIR}/{n}"),
            ));
        }
        mounts.push(Yaml::Map(
            Mapping::new()
                .with("name", "app-secrets")
                .with("mountPath", APP_SECRETS_DIR)
                .with("readOnly", true),
        ));
        volumes.push(secret_volume(
            "app-secrets",
            &format!("{}-secrets", svc.name),
            items,
        ));
    }
    let config = stores(w).next().is_some() || w.events.is_some();
    (env, mounts, volumes, config)
}

fn secret_volume(name: &str, secret: &str, items: Vec<Yaml>) -> Yaml {
    Yaml::Map(
        Mapping::new().with("name", name).with(
            "secret",
            Mapping::new()
                .with("secretName", secret)
                .with("items", Yaml::Seq(items))
                // Readable by the container's group (fsGroup) only.
                .with("defaultMode", 0o440_i64),
        ),
    )
}
