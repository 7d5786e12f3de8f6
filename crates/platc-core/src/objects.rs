//! The Kubernetes objects of `core-services/`, one builder each.

use std::collections::BTreeSet;

use platc_ir::{Cloud, EventClientIr, Ir};
use platc_yaml::{Mapping, Yaml};

use crate::cloud;

/// Value of `app.kubernetes.io/part-of` on every core object.
pub(crate) const PART_OF: &str = "core-services";

/// Let's Encrypt ACME directories.
const ACME_PRODUCTION: &str = "https://acme-v02.api.letsencrypt.org/directory";
const ACME_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";

/// Kafka version pinned for the Strimzi operator release in the helmfile (its default).
pub(crate) const KAFKA_VERSION: &str = "4.3.1";
/// Brokers and controllers of the one KafkaNodePool (KRaft quorum of three).
pub(crate) const KAFKA_REPLICAS: i64 = 3;
const KAFKA_STORAGE: &str = "20Gi";
const TOPIC_PARTITIONS: i64 = 3;

pub(crate) fn common_labels() -> Mapping {
    Mapping::new()
        .with("app.kubernetes.io/managed-by", "platc")
        .with("app.kubernetes.io/part-of", PART_OF)
}

/// `metadata` with name, namespace (for namespaced objects) and the common labels plus `extra`.
pub(crate) fn metadata(name: &str, namespace: Option<&str>, extra: &[(&str, &str)]) -> Mapping {
    let mut labels = common_labels();
    for (k, v) in extra {
        labels.insert(k.to_string(), *v);
    }
    let mut m = Mapping::new().with("name", name);
    if let Some(ns) = namespace {
        m.insert("namespace", ns);
    }
    m.with("labels", labels)
}

fn object(api_version: &str, kind: &str, metadata: Mapping) -> Mapping {
    Mapping::new()
        .with("apiVersion", api_version)
        .with("kind", kind)
        .with("metadata", metadata)
}

fn namespace(ir: &Ir, name: &str, level: &str) -> Yaml {
    namespace_enforcing(ir, name, level, level, None)
}

/// A namespace that enforces `enforce` and audits and warns at `level`; `why` (an annotation)
/// says why the two differ.
fn namespace_enforcing(ir: &Ir, name: &str, enforce: &str, level: &str, why: Option<&str>) -> Yaml {
    let version = format!("v{}", ir.platform.kubernetes);
    let mut labels = Mapping::new();
    for mode in ["enforce", "audit", "warn"] {
        let level = if mode == "enforce" { enforce } else { level };
        labels.insert(format!("pod-security.kubernetes.io/{mode}"), level);
        labels.insert(
            format!("pod-security.kubernetes.io/{mode}-version"),
            version.as_str(),
        );
    }
    labels.extend(common_labels());
    let mut meta = Mapping::new().with("name", name).with("labels", labels);
    if let Some(why) = why {
        meta.insert(
            "annotations",
            Mapping::new().with("platc.dev/pod-security", why),
        );
    }
    object("v1", "Namespace", meta).into()
}

/// Name of the ConfigMap that holds ExternalDNS's `azure.json` (Azure only).
pub(crate) const EXTERNAL_DNS_AZURE_CONFIG: &str = "external-dns-azure";

/// ExternalDNS's Azure provider reads `/etc/kubernetes/azure.json`: tenant, subscription and
/// resource group of the DNS zone, and workload identity instead of a client secret (no
/// credential in it, hence a ConfigMap). It must exist before the chart's pod starts, so it
/// lives in `namespace.yaml`, the file applied before any chart. The keys platform.toml does not
/// name are left out and listed by [`external_dns_azure_missing`].
pub(crate) fn external_dns_azure_config(ir: &Ir) -> Option<Yaml> {
    if ir.platform.cloud != Cloud::Azure {
        return None;
    }
    let i = &ir.platform.identity;
    let mut config = serde_json::Map::new();
    for (key, value) in [
        ("tenantId", &i.azure_tenant_id),
        ("subscriptionId", &i.azure_subscription_id),
        ("resourceGroup", &i.azure_dns_resource_group),
    ] {
        if let Some(v) = value {
            config.insert(key.to_string(), serde_json::Value::String(v.clone()));
        }
    }
    config.insert(
        "useWorkloadIdentityExtension".to_string(),
        serde_json::Value::Bool(true),
    );
    let text = serde_json::to_string_pretty(&serde_json::Value::Object(config)).ok()? + "\n";
    Some(
        object(
            "v1",
            "ConfigMap",
            metadata(EXTERNAL_DNS_AZURE_CONFIG, Some(&ir.core.namespace), &[]),
        )
        .with("data", Mapping::new().with("azure.json", text))
        .into(),
    )
}

/// The `[platform.identity]` keys ExternalDNS on Azure needs and platform.toml does not set.
pub(crate) fn external_dns_azure_missing(ir: &Ir) -> Vec<&'static str> {
    if ir.platform.cloud != Cloud::Azure {
        return Vec::new();
    }
    let i = &ir.platform.identity;
    [
        ("azure-tenant-id", &i.azure_tenant_id),
        ("azure-subscription-id", &i.azure_subscription_id),
        ("azure-dns-resource-group", &i.azure_dns_resource_group),
        (
            "azure-external-dns-client-id",
            &i.azure_external_dns_client_id,
        ),
    ]
    .into_iter()
    .filter(|(_, v)| v.is_none())
    .map(|(k, _)| k)
    .collect()
}

/// The core namespace (Pod Security `restricted`), the node-exporter namespace (`privileged`:
/// node-exporter needs the host's network, PID namespace and root file system), and the own
/// namespace (`baseline`) of each operator whose pod cannot meet `restricted`.
pub(crate) fn namespaces(ir: &Ir) -> Vec<Yaml> {
    let mut out = vec![
        namespace(ir, &ir.core.namespace, "restricted"),
        namespace(ir, &crate::node_exporter_namespace(ir), "privileged"),
    ];
    // Operators whose own pod cannot meet `restricted` run in a namespace of their own.
    for op in crate::helm::operators(ir).into_values() {
        if let Some(why) = op.own_namespace_baseline {
            out.push(namespace_enforcing(
                ir,
                &op.pods.namespace,
                "baseline",
                "restricted",
                Some(&format!(
                    "baseline enforced: {why}; audit and warn stay restricted"
                )),
            ));
        }
    }
    out
}

fn cluster_issuer(ir: &Ir, name: &str, server: &str, email: &str) -> Yaml {
    let solver = Mapping::new().with(
        "http01",
        Mapping::new().with(
            "ingress",
            Mapping::new().with("ingressClassName", ir.core.ingress_class.as_str()),
        ),
    );
    object(
        "cert-manager.io/v1",
        "ClusterIssuer",
        metadata(name, None, &[]),
    )
    .with(
        "spec",
        Mapping::new().with(
            "acme",
            Mapping::new()
                .with("server", server)
                .with("email", email)
                .with(
                    "privateKeySecretRef",
                    Mapping::new().with("name", format!("{name}-account-key")),
                )
                .with("solvers", Yaml::Seq(vec![Yaml::Map(solver)])),
        ),
    )
    .into()
}

/// Let's Encrypt production and staging, HTTP-01 through the platform's IngressClass; none
/// without a contact address.
pub(crate) fn cluster_issuers(ir: &Ir) -> Vec<Yaml> {
    let Some(email) = &ir.core.acme_email else {
        return Vec::new();
    };
    vec![
        cluster_issuer(ir, &ir.core.issuer_production, ACME_PRODUCTION, email),
        cluster_issuer(ir, &ir.core.issuer_staging, ACME_STAGING, email),
    ]
}

/// The ServiceAccount whose cloud identity reads the secret manager, and the
/// ClusterSecretStore every app's ExternalSecrets name.
pub(crate) fn secret_store(ir: &Ir) -> Vec<Yaml> {
    let ns = ir.core.namespace.as_str();
    let account = cloud::SECRET_STORE_ACCOUNT;
    let mut meta = metadata(account, Some(ns), &[]);
    let annotations: Mapping = cloud::identity_annotations(ir, account)
        .into_iter()
        .collect();
    if !annotations.is_empty() {
        meta.insert("annotations", annotations);
    }
    let sa = object("v1", "ServiceAccount", meta).with("automountServiceAccountToken", false);
    let account_ref = Mapping::new().with("name", account).with("namespace", ns);
    let provider = match ir.platform.cloud {
        Cloud::Aws => Mapping::new().with(
            "aws",
            Mapping::new()
                .with("service", "SecretsManager")
                .with("region", ir.platform.region.as_str())
                .with(
                    "auth",
                    Mapping::new()
                        .with("jwt", Mapping::new().with("serviceAccountRef", account_ref)),
                ),
        ),
        Cloud::Azure => Mapping::new().with(
            "azurekv",
            Mapping::new()
                .with("authType", "WorkloadIdentity")
                .with("vaultUrl", cloud::azure_key_vault_url(ir))
                .with("serviceAccountRef", account_ref),
        ),
        Cloud::Gcp => Mapping::new().with(
            "gcpsm",
            Mapping::new()
                .with("projectID", cloud::gcp_project_id(ir))
                .with(
                    "auth",
                    Mapping::new().with(
                        "workloadIdentity",
                        Mapping::new().with("serviceAccountRef", account_ref),
                    ),
                ),
        ),
    };
    let store = object(
        "external-secrets.io/v1",
        "ClusterSecretStore",
        metadata(crate::SECRET_STORE, None, &[]),
    )
    .with("spec", Mapping::new().with("provider", provider));
    vec![sa.into(), store.into()]
}

/// Every (stage, topic) that some workload publishes to, in order: topics are per stage, so a
/// stage's services never share a topic with another stage's (subscribed events are published
/// by definition: `platc check` refuses a subscription nobody publishes).
pub(crate) fn topics(ir: &Ir) -> BTreeSet<(&str, &str)> {
    event_clients(ir)
        .flat_map(|(stage, _, e)| e.publishes.iter().map(move |t| (stage, t.topic.as_str())))
        .collect()
}

/// Every workload with event-bus access: (stage, namespace, client), in app, stage and service
/// order.
fn event_clients(ir: &Ir) -> impl Iterator<Item = (&str, &str, &EventClientIr)> {
    ir.apps.iter().flat_map(|a| {
        a.stages.iter().flat_map(|st| {
            st.workloads.iter().filter_map(move |w| {
                w.events
                    .as_ref()
                    .map(|e| (st.stage.as_str(), st.namespace.as_str(), e))
            })
        })
    })
}

fn acl(kind: &str, name: &str, operations: &[&str]) -> Yaml {
    Mapping::new()
        .with(
            "resource",
            Mapping::new()
                .with("type", kind)
                .with("name", name)
                .with("patternType", "literal"),
        )
        .with(
            "operations",
            Yaml::Seq(operations.iter().map(|o| Yaml::from(*o)).collect()),
        )
        .into()
}

/// One KafkaUser per event client: SCRAM-SHA-512 (the User Operator generates the password
/// into a Secret of the same name) and exactly the ACLs its declarations need — write and
/// describe on the topics it publishes, read and describe on those it subscribes to, read on
/// its own consumer group. Nothing else: no prefix patterns, no cluster operations.
fn kafka_user(ns: &str, cluster: &str, e: &EventClientIr) -> Yaml {
    let mut acls = Vec::new();
    for t in &e.publishes {
        acls.push(acl("topic", &t.topic, &["Write", "Describe"]));
    }
    for t in &e.subscribes {
        acls.push(acl("topic", &t.topic, &["Read", "Describe"]));
    }
    if let Some(group) = &e.group {
        acls.push(acl("group", group, &["Read"]));
    }
    object(
        "kafka.strimzi.io/v1",
        "KafkaUser",
        metadata(&e.user, Some(ns), &[("strimzi.io/cluster", cluster)]),
    )
    .with(
        "spec",
        Mapping::new()
            .with(
                "authentication",
                Mapping::new().with("type", "scram-sha-512"),
            )
            .with(
                "authorization",
                Mapping::new()
                    .with("type", "simple")
                    .with("acls", Yaml::Seq(acls)),
            ),
    )
    .into()
}

/// Per stage with event clients: a ServiceAccount that may `get` exactly the stage's user
/// Secrets and the cluster CA (nothing else in the core namespace), and a ClusterSecretStore
/// (External Secrets' Kubernetes provider) acting as it, usable only from the stage's
/// namespaces. A service's ExternalSecret copies its own password and the CA through it.
fn event_bus_access(ir: &Ir, ns: &str) -> Vec<Yaml> {
    // Per secret store (one per stage, `event-bus-<stage>`: the stages' order): the CA Secret,
    // the namespaces and the users, as the IR names them.
    type Access<'a> = (&'a str, BTreeSet<&'a str>, BTreeSet<&'a str>);
    let mut stores: std::collections::BTreeMap<&str, Access<'_>> =
        std::collections::BTreeMap::new();
    for (_, namespace, e) in event_clients(ir) {
        let entry = stores
            .entry(e.secret_store.as_str())
            .or_insert_with(|| (e.ca_secret.as_str(), BTreeSet::new(), BTreeSet::new()));
        entry.1.insert(namespace);
        entry.2.insert(e.user.as_str());
    }
    let mut out = Vec::new();
    for (name, (ca_secret, namespaces, users)) in stores {
        out.push(
            object("v1", "ServiceAccount", metadata(name, Some(ns), &[]))
                .with("automountServiceAccountToken", false)
                .into(),
        );
        let mut secrets: Vec<Yaml> = vec![Yaml::from(ca_secret)];
        secrets.extend(users.iter().map(|u| Yaml::from(*u)));
        out.push(
            object(
                "rbac.authorization.k8s.io/v1",
                "Role",
                metadata(name, Some(ns), &[]),
            )
            .with(
                "rules",
                Yaml::Seq(vec![Yaml::Map(
                    Mapping::new()
                        .with("apiGroups", Yaml::Seq(vec![Yaml::from("")]))
                        .with("resources", Yaml::Seq(vec![Yaml::from("secrets")]))
                        .with("resourceNames", Yaml::Seq(secrets))
                        .with("verbs", Yaml::Seq(vec![Yaml::from("get")])),
                )]),
            )
            .into(),
        );
        out.push(
            object(
                "rbac.authorization.k8s.io/v1",
                "RoleBinding",
                metadata(name, Some(ns), &[]),
            )
            .with(
                "roleRef",
                Mapping::new()
                    .with("apiGroup", "rbac.authorization.k8s.io")
                    .with("kind", "Role")
                    .with("name", name),
            )
            .with(
                "subjects",
                Yaml::Seq(vec![Yaml::Map(
                    Mapping::new()
                        .with("kind", "ServiceAccount")
                        .with("name", name)
                        .with("namespace", ns),
                )]),
            )
            .into(),
        );
        out.push(
            object(
                "external-secrets.io/v1",
                "ClusterSecretStore",
                metadata(name, None, &[]),
            )
            .with(
                "spec",
                Mapping::new()
                    .with(
                        "conditions",
                        Yaml::Seq(vec![Yaml::Map(Mapping::new().with(
                            "namespaces",
                            Yaml::Seq(namespaces.iter().map(|n| Yaml::from(*n)).collect()),
                        ))]),
                    )
                    .with(
                        "provider",
                        Mapping::new().with(
                            "kubernetes",
                            Mapping::new()
                                .with("remoteNamespace", ns)
                                .with(
                                    "server",
                                    Mapping::new().with(
                                        "caProvider",
                                        Mapping::new()
                                            .with("type", "ConfigMap")
                                            .with("name", "kube-root-ca.crt")
                                            .with("key", "ca.crt")
                                            .with("namespace", ns),
                                    ),
                                )
                                .with(
                                    "auth",
                                    Mapping::new().with(
                                        "serviceAccount",
                                        Mapping::new().with("name", name).with("namespace", ns),
                                    ),
                                ),
                        ),
                    ),
            )
            .into(),
        );
    }
    out
}

/// Strimzi (`kafka.strimzi.io/v1`, KRaft): the Kafka cluster, its one node pool of combined
/// brokers and controllers, and one KafkaTopic per published event.
pub(crate) fn event_bus(ir: &Ir) -> Vec<Yaml> {
    let ns = ir.core.namespace.as_str();
    let cluster = ir.core.peers.kafka_cluster.as_str();
    let listener = Mapping::new()
        .with("name", "tls")
        .with("port", i64::from(ir.core.peers.kafka_port))
        .with("type", "internal")
        .with("tls", true)
        .with(
            "authentication",
            Mapping::new().with("type", "scram-sha-512"),
        );
    let config = Mapping::new()
        .with("auto.create.topics.enable", false)
        .with("default.replication.factor", KAFKA_REPLICAS)
        .with("min.insync.replicas", 2_i64)
        .with("offsets.topic.replication.factor", KAFKA_REPLICAS)
        .with("transaction.state.log.replication.factor", KAFKA_REPLICAS)
        .with("transaction.state.log.min.isr", 2_i64);
    let kafka = object(
        "kafka.strimzi.io/v1",
        "Kafka",
        metadata(cluster, Some(ns), &[]),
    )
    .with(
        "spec",
        Mapping::new()
            .with(
                "kafka",
                Mapping::new()
                    .with("version", KAFKA_VERSION)
                    .with("listeners", Yaml::Seq(vec![Yaml::Map(listener)]))
                    .with("authorization", Mapping::new().with("type", "simple"))
                    .with("config", config),
            )
            .with(
                "entityOperator",
                Mapping::new()
                    .with("topicOperator", Mapping::new())
                    .with("userOperator", Mapping::new()),
            ),
    );
    let resources = Mapping::new()
        .with(
            "requests",
            Mapping::new().with("cpu", "500m").with("memory", "2Gi"),
        )
        .with(
            "limits",
            Mapping::new().with("cpu", "2").with("memory", "2Gi"),
        );
    let pool = object(
        "kafka.strimzi.io/v1",
        "KafkaNodePool",
        metadata(
            &format!("{cluster}-nodes"),
            Some(ns),
            &[("strimzi.io/cluster", cluster)],
        ),
    )
    .with(
        "spec",
        Mapping::new()
            .with("replicas", KAFKA_REPLICAS)
            .with(
                "roles",
                Yaml::Seq(vec!["controller".into(), "broker".into()]),
            )
            .with(
                "storage",
                Mapping::new()
                    .with("type", "persistent-claim")
                    .with("size", KAFKA_STORAGE)
                    .with("deleteClaim", false),
            )
            .with("resources", resources),
    );
    let mut out = vec![Yaml::Map(kafka), Yaml::Map(pool)];
    for (_, topic) in topics(ir) {
        out.push(
            object(
                "kafka.strimzi.io/v1",
                "KafkaTopic",
                metadata(topic, Some(ns), &[("strimzi.io/cluster", cluster)]),
            )
            .with(
                "spec",
                Mapping::new()
                    .with("partitions", TOPIC_PARTITIONS)
                    .with("replicas", KAFKA_REPLICAS)
                    .with("config", Mapping::new().with("min.insync.replicas", 2_i64)),
            )
            .into(),
        );
    }
    for (_, _, e) in event_clients(ir) {
        out.push(kafka_user(ns, cluster, e));
    }
    out.extend(event_bus_access(ir, ns));
    out
}
