//! The Bitnami engine images platc pins, per engine and supported version: one table for the
//! Helm values (platc-helm's chart pins) and for the backup jobs that run the same image as the
//! chart. Tags are from `bitnamilegacy`, where Bitnami moved its free images in 2025.

use platc_ir::Engine;

/// Registry of every pinned Bitnami image.
pub const REGISTRY: &str = "docker.io";

/// bitnami/postgresql: (`DataStoreIr.version`, tag).
pub const POSTGRESQL: &[(&str, &str)] = &[
    ("14", "14.18.0-debian-12-r0"),
    ("15", "15.10.0-debian-12-r2"),
    ("16", "16.6.0-debian-12-r2"),
    // The chart's own default.
    ("17", "17.6.0-debian-12-r4"),
];

/// bitnami/mysql.
pub const MYSQL: &[(&str, &str)] = &[
    ("8.0", "8.0.40-debian-12-r5"),
    ("8.4", "8.4.5-debian-12-r0"),
];

/// bitnami/mongodb.
pub const MONGODB: &[(&str, &str)] = &[
    // Bitnami built MongoDB 6.0 on Debian 11 only; `6.0.13` is the last 6.0 release tag.
    ("6.0", "6.0.13"),
    ("7.0", "7.0.14-debian-12-r8"),
    // The chart's own default.
    ("8.0", "8.0.13-debian-12-r0"),
];

/// bitnami/redis.
pub const REDIS: &[(&str, &str)] = &[
    ("7.0", "7.0.15-debian-12-r14"),
    ("7.2", "7.2.5-debian-12-r6"),
    ("7.4", "7.4.3-debian-12-r0"),
];

/// `bitnamilegacy/<engine>`.
pub fn repository(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgresql => "bitnamilegacy/postgresql",
        Engine::Mysql => "bitnamilegacy/mysql",
        Engine::Mongodb => "bitnamilegacy/mongodb",
        Engine::Redis => "bitnamilegacy/redis",
    }
}

/// The tags of `engine`, by version.
pub fn tags(engine: Engine) -> &'static [(&'static str, &'static str)] {
    match engine {
        Engine::Postgresql => POSTGRESQL,
        Engine::Mysql => MYSQL,
        Engine::Mongodb => MONGODB,
        Engine::Redis => REDIS,
    }
}

/// The pinned tag of `engine` at `version`, if platc pins one.
pub fn tag(engine: Engine, version: &str) -> Option<&'static str> {
    tags(engine)
        .iter()
        .find(|(v, _)| *v == version)
        .map(|(_, t)| *t)
}
