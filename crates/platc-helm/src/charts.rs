//! The pinned charts and images: one table, read by the values builder, the helmfile and the
//! tests.
//!
//! # Images
//!
//! The pinned charts name `docker.io/bitnami/<image>:<version tag>`. Bitnami withdrew the
//! version tags of its free images from `docker.io/bitnami` in 2025 and moved every existing tag,
//! frozen, to `docker.io/bitnamilegacy`; those are the only free images with a pinned version that
//! these charts were built for. platc therefore points every image it enables (the engine and the
//! metrics exporter) at `bitnamilegacy` and sets `global.security.allowInsecureImages`, without
//! which the chart refuses a repository other than the one it was released with. The legacy
//! images receive no security updates: acceptable for the short-lived data of test stages (the
//! design puts production on managed databases), and the reason a later move to another image
//! source (Bitnami Secure Images, or an operator) is one table away.
//!
//! The engine image carries the **requested major version**, not the chart's default (the
//! postgresql chart ships 17, mysql 9.4, mongodb 8.0, redis 8.2). Each tag below existed in
//! `docker.io/bitnami` before the move (so it is in `bitnamilegacy`): the chart's own default, or
//! a tag that public deployments pin or pull from `bitnamilegacy` (redis 7.0: a tag of Bitnami's
//! own image definitions). No registry is queried at render time; a change here should be checked
//! with `docker manifest inspect` (or `crane manifest`) for every tag.

use platc_ir::Engine;

/// Bitnami's OCI registry for charts.
pub const CHART_REPOSITORY: &str = "oci://registry-1.docker.io/bitnamicharts";

/// Registry of every image platc sets.
pub const IMAGE_REGISTRY: &str = "docker.io";

/// The label kube-prometheus-stack's Prometheus selects ServiceMonitors by
/// (`serviceMonitorSelectorNilUsesHelmValues` = true selects `release: <its release name>`).
pub const SERVICE_MONITOR_LABEL: (&str, &str) = ("release", "kube-prometheus-stack");

/// A container image: repository (below [`IMAGE_REGISTRY`]) and tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImagePin {
    pub repository: &'static str,
    pub tag: &'static str,
}

impl ImagePin {
    /// `docker.io/<repository>:<tag>`.
    pub fn reference(&self) -> String {
        format!("{IMAGE_REGISTRY}/{}:{}", self.repository, self.tag)
    }
}

/// One pinned chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChartPin {
    /// Chart name in [`CHART_REPOSITORY`] (and Bitnami's `app.kubernetes.io/name` pod label).
    pub name: &'static str,
    /// Exact chart version.
    pub version: &'static str,
    /// The metrics exporter sidecar (the chart's default tag, from `bitnamilegacy`).
    pub exporter: ImagePin,
    /// Engine image per supported version: (`DataStoreIr.version`, tag in `bitnamilegacy`).
    pub images: &'static [(&'static str, &'static str)],
    /// Repository of the engine image.
    pub repository: &'static str,
}

impl ChartPin {
    /// `oci://registry-1.docker.io/bitnamicharts/<name>`.
    pub fn reference(&self) -> String {
        format!("{CHART_REPOSITORY}/{}", self.name)
    }

    /// The engine image for `version`, if platc pins one.
    pub fn image(&self, version: &str) -> Option<ImagePin> {
        self.images
            .iter()
            .find(|(v, _)| *v == version)
            .map(|(_, tag)| ImagePin {
                repository: self.repository,
                tag,
            })
    }
}

/// bitnami/postgresql 17.1.0 (app 17.6.0).
const POSTGRESQL: ChartPin = ChartPin {
    name: "postgresql",
    version: "17.1.0",
    repository: "bitnamilegacy/postgresql",
    images: platc_databases::images::POSTGRESQL,
    exporter: ImagePin {
        repository: "bitnamilegacy/postgres-exporter",
        tag: "0.17.1-debian-12-r16",
    },
};

/// bitnami/mysql 14.0.5 (app 9.4.0).
const MYSQL: ChartPin = ChartPin {
    name: "mysql",
    version: "14.0.5",
    repository: "bitnamilegacy/mysql",
    images: platc_databases::images::MYSQL,
    exporter: ImagePin {
        repository: "bitnamilegacy/mysqld-exporter",
        tag: "0.17.2-debian-12-r16",
    },
};

/// bitnami/mongodb 17.0.2 (app 8.0.13).
const MONGODB: ChartPin = ChartPin {
    name: "mongodb",
    version: "17.0.2",
    repository: "bitnamilegacy/mongodb",
    images: platc_databases::images::MONGODB,
    exporter: ImagePin {
        repository: "bitnamilegacy/mongodb-exporter",
        tag: "0.47.0-debian-12-r1",
    },
};

/// bitnami/redis 23.1.1 (app 8.2.1).
const REDIS: ChartPin = ChartPin {
    name: "redis",
    version: "23.1.1",
    repository: "bitnamilegacy/redis",
    images: platc_databases::images::REDIS,
    exporter: ImagePin {
        repository: "bitnamilegacy/redis-exporter",
        tag: "1.76.0-debian-12-r0",
    },
};

/// The chart that runs `engine` in the cluster.
pub fn chart(engine: Engine) -> &'static ChartPin {
    match engine {
        Engine::Postgresql => &POSTGRESQL,
        Engine::Mysql => &MYSQL,
        Engine::Mongodb => &MONGODB,
        Engine::Redis => &REDIS,
    }
}
