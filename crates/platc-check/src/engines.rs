//! Engines and versions platc can place. One table, read by rules and by the resolver.

use platc_model::{Engine, Placement};

/// Kubernetes minor versions whose API platc emits for (objects use only GA APIs that are
/// served in all of them).
pub const SUPPORTED_KUBERNETES: &[&str] = &["1.29", "1.30", "1.31", "1.32", "1.33", "1.34"];

/// Versions of `engine` that `placement` can serve.
pub fn supported_versions(engine: Engine, placement: Placement) -> &'static [&'static str] {
    use Engine::*;
    use Placement::*;
    match (engine, placement) {
        (Postgresql, InCluster | Operator | StatefulSet) => &["14", "15", "16", "17"],
        (Postgresql, Managed) => &["14", "15", "16", "17"],
        (Mysql, InCluster | Managed) => &["8.0", "8.4"],
        // Refused. The InnoDBCluster schema admits no namespace or labels on the object, so it
        // cannot live in a Kustomize overlay; a file outside the overlay applied with
        // `kubectl apply -n` would solve that alone, but the operator creates no application
        // user or database (spec has only `secretName` for root and `initDB` from a clone or
        // dump), and its pods (servers on 3306/33060/33061, MySQL Router on 6446-6449 behind a
        // Service on 3306) and the operator's own connections need NetworkPolicies platc cannot
        // derive from labels it does not know for sure. MySQL runs in-cluster (Helm, with dumps
        // and binlog copies) or managed instead.
        (Mysql, Operator) => &[],
        (Mysql, StatefulSet) => &[],
        (Mongodb, InCluster | Operator) => &["6.0", "7.0", "8.0"],
        (Mongodb, Managed) => &["6.0", "7.0", "8.0"],
        (Mongodb, StatefulSet) => &[],
        (Redis, InCluster | Operator | Managed) => &["7.0", "7.2", "7.4"],
        (Redis, StatefulSet) => &[],
    }
}

/// The version used when a `database`/`cache` table names none.
pub fn default_version(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgresql => "16",
        Engine::Mysql => "8.4",
        Engine::Mongodb => "7.0",
        Engine::Redis => "7.2",
    }
}

/// Where `service`'s database (or cache) runs in `stage`: the stage override's `placement`,
/// else the service's, else the stage's `databases`/`caches` default, else in-cluster.
pub fn effective_placement(
    service: &platc_model::Service,
    stage: &platc_model::Stage,
    cache: bool,
) -> Placement {
    let over = service.stages.get(&stage.name.value);
    let (store, over_store) = if cache {
        (service.cache.as_ref(), over.and_then(|o| o.cache.as_ref()))
    } else {
        (
            service.database.as_ref(),
            over.and_then(|o| o.database.as_ref()),
        )
    };
    let stage_default = if cache {
        stage.caches.as_ref().or(stage.databases.as_ref())
    } else {
        stage.databases.as_ref()
    };
    over_store
        .and_then(|s| s.placement.as_ref())
        .or(store.and_then(|s| s.placement.as_ref()))
        .or(stage_default)
        .map(|p| p.value)
        .unwrap_or(Placement::InCluster)
}
