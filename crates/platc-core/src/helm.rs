//! The Helm releases of core-services: pinned charts, their values, and the helmfile.
//!
//! Every values key exists in the pinned chart's `values.yaml` (the tests walk the key tree
//! against copies under `tests/data/helm/<chart>/` and validate against `values.schema.json`
//! where the chart has one).

use std::collections::BTreeMap;

use platc_ir::{Cloud, Engine, Ir, OperatorAccess};
use platc_yaml::{Mapping, Yaml};

use crate::cloud;

/// A chart repository of the helmfile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repository {
    pub name: &'static str,
    pub url: &'static str,
    /// An OCI registry (`helmfile` then logs in with `helm registry` rather than `helm repo`).
    pub oci: bool,
}

pub const REPOSITORIES: &[Repository] = &[
    Repository {
        name: "prometheus-community",
        url: "https://prometheus-community.github.io/helm-charts",
        oci: false,
    },
    Repository {
        name: "ingress-nginx",
        url: "https://kubernetes.github.io/ingress-nginx",
        oci: false,
    },
    Repository {
        name: "jetstack",
        url: "https://charts.jetstack.io",
        oci: false,
    },
    Repository {
        name: "external-dns",
        url: "https://kubernetes-sigs.github.io/external-dns/",
        oci: false,
    },
    Repository {
        name: "external-secrets",
        url: "https://charts.external-secrets.io",
        oci: false,
    },
    Repository {
        name: "postgres-operator-charts",
        url: "https://opensource.zalando.com/postgres-operator/charts/postgres-operator",
        oci: false,
    },
    Repository {
        name: "percona",
        url: "https://percona.github.io/percona-helm-charts/",
        oci: false,
    },
    Repository {
        name: "redis-operator",
        url: "https://spotahome.github.io/redis-operator",
        oci: false,
    },
    Repository {
        name: "mysql-operator",
        url: "https://mysql.github.io/mysql-operator/",
        oci: false,
    },
    Repository {
        name: "strimzi",
        url: "quay.io/strimzi-helm",
        oci: true,
    },
];

/// One Helm release of core-services.
#[derive(Clone, Debug, PartialEq)]
pub struct Release {
    /// Release name; also the values file `helm/<name>.values.yaml`.
    pub name: &'static str,
    /// Repository name (see [`REPOSITORIES`]).
    pub repository: &'static str,
    /// Chart name in the repository (and the folder of its test data).
    pub chart: &'static str,
    /// Pinned chart version.
    pub version: &'static str,
    pub namespace: String,
    /// Releases (`<namespace>/<name>`) installed first.
    pub needs: Vec<String>,
    pub values: Yaml,
}

impl Release {
    pub fn values_file(&self) -> String {
        format!("helm/{}.values.yaml", self.name)
    }
}

fn resources(cpu: &str, memory: &str, cpu_limit: &str, memory_limit: &str) -> Mapping {
    Mapping::new()
        .with(
            "requests",
            Mapping::new().with("cpu", cpu).with("memory", memory),
        )
        .with(
            "limits",
            Mapping::new()
                .with("cpu", cpu_limit)
                .with("memory", memory_limit),
        )
}

fn strings(items: &[&str]) -> Yaml {
    Yaml::Seq(items.iter().map(|s| Yaml::from(*s)).collect())
}

/// A volumeClaimTemplate of `size` (ReadWriteOnce, the default StorageClass).
fn claim(size: &str) -> Mapping {
    Mapping::new().with(
        "volumeClaimTemplate",
        Mapping::new().with(
            "spec",
            Mapping::new()
                .with("accessModes", strings(&["ReadWriteOnce"]))
                .with(
                    "resources",
                    Mapping::new().with("requests", Mapping::new().with("storage", size)),
                ),
        ),
    )
}

/// Every release, in installation order (kube-prometheus-stack first: it installs the
/// `monitoring.coreos.com` CRDs the other charts' ServiceMonitors need).
pub fn releases(ir: &Ir) -> Vec<Release> {
    let core = ir.core.namespace.clone();
    let needs_monitoring = || vec![format!("{core}/kube-prometheus-stack")];
    let mut out = vec![
        Release {
            name: "kube-prometheus-stack",
            repository: "prometheus-community",
            chart: "kube-prometheus-stack",
            version: "88.5.3",
            namespace: core.clone(),
            needs: Vec::new(),
            values: kube_prometheus_stack(),
        },
        Release {
            name: "prometheus-node-exporter",
            repository: "prometheus-community",
            chart: "prometheus-node-exporter",
            version: "4.56.1",
            namespace: crate::node_exporter_namespace(ir),
            needs: needs_monitoring(),
            values: node_exporter(),
        },
        Release {
            name: "ingress-nginx",
            repository: "ingress-nginx",
            chart: "ingress-nginx",
            version: "4.15.1",
            namespace: core.clone(),
            needs: needs_monitoring(),
            values: ingress_nginx(ir),
        },
        Release {
            name: "cert-manager",
            repository: "jetstack",
            chart: "cert-manager",
            version: "v1.21.1",
            namespace: core.clone(),
            needs: needs_monitoring(),
            values: cert_manager(),
        },
        Release {
            name: "external-dns",
            repository: "external-dns",
            chart: "external-dns",
            version: "1.21.1",
            namespace: core.clone(),
            needs: needs_monitoring(),
            values: external_dns(ir),
        },
        Release {
            name: "external-secrets",
            repository: "external-secrets",
            chart: "external-secrets",
            version: "2.9.0",
            namespace: core.clone(),
            needs: needs_monitoring(),
            values: external_secrets(),
        },
    ];
    if ir.core.event_bus {
        out.push(Release {
            name: "strimzi-kafka-operator",
            repository: "strimzi",
            chart: "strimzi-kafka-operator",
            version: "1.2.0",
            namespace: core,
            needs: Vec::new(),
            values: strimzi(),
        });
    }
    // The operators of the engines placed `operator`, as the IR names them (release and
    // namespace), in installation order.
    let placed = operators(ir);
    for (engine, repository, version) in [
        (Engine::Postgresql, "postgres-operator-charts", "2.0.1"),
        (Engine::Mongodb, "percona", "1.21.3"),
        (Engine::Redis, "redis-operator", "3.3.0"),
        (Engine::Mysql, "mysql-operator", "2.2.2"),
    ] {
        let Some(op) = placed.get(&engine) else {
            continue;
        };
        out.push(Release {
            name: op.release,
            repository,
            chart: op.release,
            version,
            namespace: op.pods.namespace.clone(),
            needs: Vec::new(),
            values: match engine {
                Engine::Postgresql => postgres_operator(ir),
                Engine::Mongodb => psmdb_operator(),
                Engine::Redis => redis_operator(),
                Engine::Mysql => mysql_operator(),
            },
        });
    }
    out
}

/// The operator of each engine some store in some stage places with `operator` (it watches
/// every namespace: the custom resources live in the app namespaces).
pub fn operators(ir: &Ir) -> BTreeMap<Engine, &OperatorAccess> {
    ir.apps
        .iter()
        .flat_map(|a| &a.stages)
        .flat_map(|st| &st.workloads)
        .flat_map(|w| [&w.database, &w.cache])
        .flatten()
        .filter_map(|s| Some((s.engine, s.operator.as_ref()?)))
        .collect()
}

/// A container securityContext the `restricted` Pod Security profile of the core namespace
/// admits (the operator charts render it with `toYaml`).
fn restricted_container() -> Mapping {
    Mapping::new()
        .with("runAsNonRoot", true)
        .with("readOnlyRootFilesystem", true)
        .with("allowPrivilegeEscalation", false)
        .with(
            "capabilities",
            Mapping::new().with("drop", strings(&["ALL"])),
        )
        .with(
            "seccompProfile",
            Mapping::new().with("type", "RuntimeDefault"),
        )
}

/// Zalando postgres-operator: watches every namespace (its default, stated), runs restricted.
/// Logical backups: the provider is the cloud's object storage (Cloud Storage through its S3
/// interface); bucket, region and credentials are per namespace, from the Secret
/// `postgres-logical-backup` the app overlays make with External Secrets.
fn postgres_operator(ir: &Ir) -> Yaml {
    let provider = match ir.platform.cloud {
        Cloud::Aws | Cloud::Gcp => "s3",
        Cloud::Azure => "az",
    };
    Mapping::new()
        .with(
            "configKubernetes",
            Mapping::new().with("watched_namespace", "*"),
        )
        .with(
            "configLogicalBackup",
            Mapping::new()
                .with("logical_backup_provider", provider)
                .with(
                    "logical_backup_cronjob_environment_secret",
                    platc_ir::ZALANDO_BACKUP_ENV_SECRET,
                ),
        )
        .with("resources", resources("100m", "250Mi", "500m", "500Mi"))
        .with(
            "securityContext",
            restricted_container().with("runAsUser", 1000_i64),
        )
        .into()
}

/// Percona Operator for MongoDB in cluster-wide mode (its default watches only its own
/// namespace), restricted.
fn psmdb_operator() -> Yaml {
    Mapping::new()
        .with("watchAllNamespaces", true)
        .with("resources", resources("100m", "128Mi", "500m", "256Mi"))
        .with(
            "podSecurityContext",
            Mapping::new().with("runAsNonRoot", true).with(
                "seccompProfile",
                Mapping::new().with("type", "RuntimeDefault"),
            ),
        )
        .with("securityContext", restricted_container())
        .into()
}

/// Spotahome redis-operator (cluster-wide by default), restricted.
fn redis_operator() -> Yaml {
    Mapping::new()
        .with("resources", resources("50m", "64Mi", "200m", "128Mi"))
        .with(
            "securityContext",
            restricted_container().with("runAsUser", 1000_i64),
        )
        .into()
}

/// The MySQL Operator (watches every namespace). Its chart has values for images only: no
/// resources and no security context (the pod runs as a non-root user without capabilities,
/// but with no seccomp profile), hence its own `baseline` namespace. The image tag defaults to
/// the chart's appVersion (9.1.0-2.2.2); the server and router images it starts are pinned by
/// each InnoDBCluster's `version`.
fn mysql_operator() -> Yaml {
    Mapping::new()
        .with("image", Mapping::new().with("pullPolicy", "IfNotPresent"))
        .with(
            "envs",
            Mapping::new().with("imagesPullPolicy", "IfNotPresent"),
        )
        .into()
}

fn kube_prometheus_stack() -> Yaml {
    let off = || Mapping::new().with("enabled", false);
    Mapping::new()
        .with(
            "alertmanager",
            Mapping::new().with(
                "alertmanagerSpec",
                Mapping::new()
                    .with("resources", resources("50m", "128Mi", "200m", "256Mi"))
                    .with("storage", claim("2Gi")),
            ),
        )
        .with(
            "prometheusOperator",
            Mapping::new().with("resources", resources("100m", "128Mi", "500m", "256Mi")),
        )
        .with(
            "prometheus",
            Mapping::new().with(
                "prometheusSpec",
                Mapping::new()
                    // Select every ServiceMonitor/PodMonitor/rule in every namespace, not only
                    // those labelled `release: kube-prometheus-stack`.
                    .with("serviceMonitorSelectorNilUsesHelmValues", false)
                    .with("podMonitorSelectorNilUsesHelmValues", false)
                    .with("ruleSelectorNilUsesHelmValues", false)
                    .with("probeSelectorNilUsesHelmValues", false)
                    .with("scrapeConfigSelectorNilUsesHelmValues", false)
                    .with("retention", "15d")
                    .with("retentionSize", "45GB")
                    .with("resources", resources("500m", "2Gi", "2", "4Gi"))
                    .with("storageSpec", claim("50Gi")),
            ),
        )
        // node-exporter is its own release in a privileged namespace (see `node_exporter`);
        // its dashboards stay here.
        .with(
            "nodeExporter",
            Mapping::new()
                .with("enabled", false)
                .with("forceDeployDashboards", true),
        )
        // Managed control planes (EKS, AKS, GKE) expose none of these to scraping; their
        // targets would only raise `...Down` alerts.
        .with("kubeControllerManager", off())
        .with("kubeScheduler", off())
        .with("kubeEtcd", off())
        .with("kubeProxy", off())
        .into()
}

/// node-exporter as kube-prometheus-stack would configure it (job `node-exporter`, which its
/// rules and dashboards expect), in its own namespace.
fn node_exporter() -> Yaml {
    Mapping::new()
        .with("podLabels", Mapping::new().with("jobLabel", "node-exporter"))
        .with(
            "service",
            Mapping::new()
                .with("portName", "http-metrics")
                .with("labels", Mapping::new().with("jobLabel", "node-exporter")),
        )
        .with(
            "prometheus",
            Mapping::new().with(
                "monitor",
                Mapping::new()
                    .with("enabled", true)
                    .with("jobLabel", "jobLabel"),
            ),
        )
        .with(
            "extraArgs",
            strings(&[
                "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run/containerd/.+|var/lib/docker/.+|var/lib/kubelet/.+)($|/)",
                "--collector.filesystem.fs-types-exclude=^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs|erofs)$",
            ]),
        )
        .with("resources", resources("50m", "64Mi", "250m", "128Mi"))
        .into()
}

fn ingress_nginx(ir: &Ir) -> Yaml {
    let class = ir.core.ingress_class.as_str();
    let mut match_labels = Mapping::new().with("app.kubernetes.io/instance", "ingress-nginx");
    for (k, v) in &ir.core.peers.ingress.labels {
        match_labels.insert(k, v.as_str());
    }
    let spread = Mapping::new()
        .with("maxSkew", 1_i64)
        .with("topologyKey", "topology.kubernetes.io/zone")
        .with("whenUnsatisfiable", "ScheduleAnyway")
        .with(
            "labelSelector",
            Mapping::new().with("matchLabels", match_labels),
        );
    Mapping::new()
        .with(
            "controller",
            Mapping::new()
                .with("ingressClass", class)
                .with(
                    "ingressClassResource",
                    Mapping::new()
                        .with("name", class)
                        .with("enabled", true)
                        .with("default", false),
                )
                .with("replicaCount", 2_i64)
                // With more than one replica the chart renders a PodDisruptionBudget.
                .with("minAvailable", 1_i64)
                .with(
                    "topologySpreadConstraints",
                    Yaml::Seq(vec![Yaml::Map(spread)]),
                )
                // Requests only: the chart's values.yaml documents `resources.requests` (limits
                // are commented out), and values stay within documented keys.
                .with(
                    "resources",
                    Mapping::new().with(
                        "requests",
                        Mapping::new().with("cpu", "100m").with("memory", "256Mi"),
                    ),
                )
                .with(
                    "metrics",
                    Mapping::new()
                        .with("enabled", true)
                        .with("serviceMonitor", Mapping::new().with("enabled", true)),
                ),
        )
        .into()
}

fn cert_manager() -> Yaml {
    let ha = |m: Mapping, r: Mapping| {
        m.with("replicaCount", 2_i64)
            .with("podDisruptionBudget", Mapping::new().with("enabled", true))
            .with("resources", r)
    };
    ha(
        Mapping::new().with(
            "crds",
            Mapping::new().with("enabled", true).with("keep", true),
        ),
        resources("50m", "128Mi", "500m", "256Mi"),
    )
    .with(
        "prometheus",
        Mapping::new()
            .with("enabled", true)
            .with("servicemonitor", Mapping::new().with("enabled", true)),
    )
    .with(
        "webhook",
        ha(Mapping::new(), resources("20m", "64Mi", "200m", "128Mi")),
    )
    .with(
        "cainjector",
        ha(Mapping::new(), resources("50m", "128Mi", "500m", "256Mi")),
    )
    .with(
        "startupapicheck",
        Mapping::new().with("resources", resources("10m", "32Mi", "100m", "64Mi")),
    )
    .into()
}

fn external_dns(ir: &Ir) -> Yaml {
    let cloud = ir.platform.cloud;
    let mut values = Mapping::new()
        .with(
            "provider",
            Mapping::new().with("name", cloud::external_dns_provider(cloud)),
        )
        .with("sources", strings(&["ingress"]))
        // `sync` deletes records of removed hosts; the TXT registry limits it to records this
        // platform created (owner id = platform name).
        .with("policy", "sync")
        .with("registry", "txt")
        .with("txtOwnerId", ir.platform.name.as_str())
        .with("domainFilters", strings(&[ir.platform.domain.as_str()]))
        .with("resources", resources("20m", "64Mi", "200m", "128Mi"))
        .with("serviceMonitor", Mapping::new().with("enabled", true));
    match cloud {
        Cloud::Aws => {
            values.insert(
                "env",
                Yaml::Seq(vec![Yaml::Map(
                    Mapping::new()
                        .with("name", "AWS_DEFAULT_REGION")
                        .with("value", ir.platform.region.as_str()),
                )]),
            );
            values.insert("extraArgs", strings(&["--aws-zone-type=public"]));
        }
        Cloud::Gcp => {
            values.insert(
                "extraArgs",
                Yaml::Seq(vec![
                    format!("--google-project={}", cloud::gcp_project_id(ir)).into(),
                    "--google-zone-visibility=public".into(),
                ]),
            );
        }
        Cloud::Azure => {
            // Workload identity: the webhook injects the federated token into labelled pods;
            // the provider reads tenant, subscription and resource group from azure.json.
            values.insert(
                "podLabels",
                Mapping::new().with("azure.workload.identity/use", "true"),
            );
            values.insert(
                "extraVolumes",
                Yaml::Seq(vec![Yaml::Map(
                    Mapping::new().with("name", "azure-config-file").with(
                        "configMap",
                        Mapping::new().with("name", crate::objects::EXTERNAL_DNS_AZURE_CONFIG),
                    ),
                )]),
            );
            values.insert(
                "extraVolumeMounts",
                Yaml::Seq(vec![Yaml::Map(
                    Mapping::new()
                        .with("name", "azure-config-file")
                        .with("mountPath", "/etc/kubernetes")
                        .with("readOnly", true),
                )]),
            );
        }
    }
    let annotations: Mapping = cloud::identity_annotations(ir, cloud::EXTERNAL_DNS_ACCOUNT)
        .into_iter()
        .collect();
    if !annotations.is_empty() {
        values.insert(
            "serviceAccount",
            Mapping::new().with("annotations", annotations),
        );
    }
    values.into()
}

fn external_secrets() -> Yaml {
    let metrics = || Mapping::new().with("service", Mapping::new().with("enabled", true));
    Mapping::new()
        .with("installCRDs", true)
        .with("resources", resources("50m", "128Mi", "500m", "256Mi"))
        .with("metrics", metrics())
        .with("serviceMonitor", Mapping::new().with("enabled", true))
        .with(
            "webhook",
            Mapping::new()
                .with("resources", resources("20m", "64Mi", "200m", "128Mi"))
                .with("metrics", metrics()),
        )
        .with(
            "certController",
            Mapping::new()
                .with("resources", resources("20m", "64Mi", "200m", "128Mi"))
                .with("metrics", metrics()),
        )
        .into()
}

fn strimzi() -> Yaml {
    Mapping::new()
        // platc writes the Kafka NetworkPolicies itself (network-isolation.yaml), limited to
        // the services that publish or subscribe; Strimzi's would open the listener to all.
        .with("generateNetworkPolicy", false)
        // Kafka pods with the `restricted` Pod Security profile the namespace enforces.
        .with(
            "extraEnvs",
            Yaml::Seq(vec![Yaml::Map(
                Mapping::new()
                    .with("name", "STRIMZI_POD_SECURITY_PROVIDER_CLASS")
                    .with("value", "restricted"),
            )]),
        )
        .with("resources", resources("200m", "384Mi", "1", "384Mi"))
        .into()
}

/// `helmfile.yaml` of `releases` (from [`releases`]): repositories, defaults and releases.
pub fn helmfile(releases: &[Release]) -> Yaml {
    let repos: Vec<Yaml> = REPOSITORIES
        .iter()
        .filter(|r| releases.iter().any(|rel| rel.repository == r.name))
        .map(|r| {
            let mut m = Mapping::new().with("name", r.name).with("url", r.url);
            if r.oci {
                m.insert("oci", true);
            }
            Yaml::Map(m)
        })
        .collect();
    let rels: Vec<Yaml> = releases
        .iter()
        .map(|r| {
            let mut m = Mapping::new()
                .with("name", r.name)
                .with("namespace", r.namespace.as_str())
                .with("chart", format!("{}/{}", r.repository, r.chart))
                .with("version", r.version);
            if !r.needs.is_empty() {
                m.insert("needs", Yaml::Seq(r.needs.iter().map(Yaml::from).collect()));
            }
            m.insert("values", Yaml::Seq(vec![r.values_file().into()]));
            Yaml::Map(m)
        })
        .collect();
    Mapping::new()
        .with("repositories", Yaml::Seq(repos))
        .with(
            "helmDefaults",
            Mapping::new()
                .with("wait", true)
                .with("timeout", 600_i64)
                .with("createNamespace", true),
        )
        .with("releases", Yaml::Seq(rels))
        .into()
}
