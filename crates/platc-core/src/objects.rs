//! The Kubernetes objects of `core-services/`, one builder each.

use std::collections::BTreeSet;

use platc_ir::{Cloud, Ir};
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
    let version = format!("v{}", ir.platform.kubernetes);
    let mut labels = Mapping::new();
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(format!("pod-security.kubernetes.io/{mode}"), level);
        labels.insert(
            format!("pod-security.kubernetes.io/{mode}-version"),
            version.as_str(),
        );
    }
    labels.extend(common_labels());
    object(
        "v1",
        "Namespace",
        Mapping::new().with("name", name).with("labels", labels),
    )
    .into()
}

/// The core namespace (Pod Security `restricted`) and the node-exporter namespace
/// (`privileged`: node-exporter needs the host's network, PID namespace and root file system).
pub(crate) fn namespaces(ir: &Ir) -> Vec<Yaml> {
    vec![
        namespace(ir, &ir.core.namespace, "restricted"),
        namespace(ir, &crate::node_exporter_namespace(ir), "privileged"),
    ]
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

/// Every event some service publishes, in name order (subscribed events are published by
/// definition: `platc check` refuses a subscription nobody publishes).
pub(crate) fn topics(ir: &Ir) -> BTreeSet<&str> {
    ir.apps
        .iter()
        .flat_map(|a| &a.services)
        .flat_map(|s| &s.publishes)
        .map(String::as_str)
        .collect()
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
        .with("tls", true);
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
                    .with("config", config),
            )
            .with(
                "entityOperator",
                Mapping::new().with("topicOperator", Mapping::new()),
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
    for topic in topics(ir) {
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
    out
}
