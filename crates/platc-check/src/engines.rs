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
        // The MySQL Operator (9.1.0-2.2.2) runs 8.0.x and 8.4.x servers.
        (Mysql, InCluster | Operator | Managed) => &["8.0", "8.4"],
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
    let store = if cache {
        service.cache.as_ref()
    } else {
        service.database.as_ref()
    };
    let over_store = stage_store(service, &stage.name.value, cache);
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

/// The stage override (`[apps.<app>.services.<service>.stages.<stage>]`) of `service`'s
/// database, or cache.
pub fn stage_store<'a>(
    service: &'a platc_model::Service,
    stage: &str,
    cache: bool,
) -> Option<&'a platc_model::DataStore> {
    let over = service.stages.get(stage)?;
    if cache {
        over.cache.as_ref()
    } else {
        over.database.as_ref()
    }
}

/// Whether some deployed stage (one that joins no other) places `service`'s database (or
/// cache) with `placement`.
pub fn placed_anywhere(
    doc: &platc_model::Document,
    service: &platc_model::Service,
    cache: bool,
    placement: Placement,
) -> bool {
    doc.stages
        .values()
        .filter(|s| s.joins.is_none())
        .any(|st| effective_placement(service, st, cache) == placement)
}

/// MongoDB Atlas's name of the cloud region `region` of `cloud` (`eu-central-1` →
/// `EU_CENTRAL_1`, `europe-west3` → `EUROPE_WEST_3`, `westeurope` → `EUROPE_WEST`), or `None`
/// where platc knows no Atlas name for it.
///
/// AWS names map one to one. GCP names follow `<area>-<direction><n>` → `AREA_DIRECTION_N`
/// except the regions Atlas named before that scheme (`europe-west1` → `WESTERN_EUROPE`, ...).
/// Azure names are irregular (`southeastasia` → `ASIA_SOUTH_EAST`): a table of the regions
/// whose Atlas names are known.
pub fn atlas_region(cloud: platc_model::Cloud, region: &str) -> Option<String> {
    use platc_model::Cloud;
    match cloud {
        Cloud::Aws => {
            let parts: Vec<&str> = region.split('-').collect();
            let ok = parts.len() == 3
                && parts[0].len() == 2
                && parts[0].bytes().all(|b| b.is_ascii_lowercase())
                && !parts[1].is_empty()
                && parts[1].bytes().all(|b| b.is_ascii_lowercase())
                && !parts[2].is_empty()
                && parts[2].bytes().all(|b| b.is_ascii_digit());
            ok.then(|| region.to_ascii_uppercase().replace('-', "_"))
        }
        Cloud::Gcp => {
            const LEGACY: &[(&str, &str)] = &[
                ("asia-east1", "EASTERN_ASIA_PACIFIC"),
                ("asia-northeast1", "NORTHEAST_ASIA_PACIFIC"),
                ("asia-southeast1", "SOUTHEASTERN_ASIA_PACIFIC"),
                ("europe-west1", "WESTERN_EUROPE"),
                ("us-central1", "CENTRAL_US"),
                ("us-east1", "EASTERN_US"),
                ("us-west1", "WESTERN_US"),
            ];
            if let Some((_, name)) = LEGACY.iter().find(|(r, _)| *r == region) {
                return Some((*name).to_string());
            }
            let (area, rest) = region.split_once('-')?;
            let area = match area {
                "northamerica" => "NORTH_AMERICA",
                "southamerica" => "SOUTH_AMERICA",
                "me" => "MIDDLE_EAST",
                "africa" => "AFRICA",
                "asia" => "ASIA",
                "australia" => "AUSTRALIA",
                "europe" => "EUROPE",
                "us" => "US",
                _ => return None,
            };
            let digits = rest.find(|c: char| c.is_ascii_digit())?;
            let (direction, n) = rest.split_at(digits);
            let ok = !direction.is_empty()
                && direction.bytes().all(|b| b.is_ascii_lowercase())
                && n.bytes().all(|b| b.is_ascii_digit());
            ok.then(|| format!("{area}_{}_{n}", direction.to_ascii_uppercase()))
        }
        Cloud::Azure => {
            const AZURE: &[(&str, &str)] = &[
                ("australiaeast", "AUSTRALIA_EAST"),
                ("brazilsouth", "BRAZIL_SOUTH"),
                ("canadacentral", "CANADA_CENTRAL"),
                ("centralindia", "INDIA_CENTRAL"),
                ("centralus", "US_CENTRAL"),
                ("eastasia", "ASIA_EAST"),
                ("eastus", "US_EAST"),
                ("eastus2", "US_EAST_2"),
                ("francecentral", "FRANCE_CENTRAL"),
                ("germanywestcentral", "GERMANY_WEST_CENTRAL"),
                ("japaneast", "JAPAN_EAST"),
                ("koreacentral", "KOREA_CENTRAL"),
                ("northcentralus", "US_NORTH_CENTRAL"),
                ("northeurope", "EUROPE_NORTH"),
                ("norwayeast", "NORWAY_EAST"),
                ("southcentralus", "US_SOUTH_CENTRAL"),
                ("southeastasia", "ASIA_SOUTH_EAST"),
                ("swedencentral", "SWEDEN_CENTRAL"),
                ("switzerlandnorth", "SWITZERLAND_NORTH"),
                ("uksouth", "UK_SOUTH"),
                ("ukwest", "UK_WEST"),
                ("westeurope", "EUROPE_WEST"),
                ("westus", "US_WEST"),
                ("westus2", "US_WEST_2"),
                ("westus3", "US_WEST_3"),
            ];
            AZURE
                .iter()
                .find(|(r, _)| *r == region)
                .map(|(_, name)| (*name).to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::atlas_region;
    use platc_model::Cloud;

    #[test]
    fn atlas_regions() {
        let r = |c, s| atlas_region(c, s);
        assert_eq!(
            r(Cloud::Aws, "eu-central-1").as_deref(),
            Some("EU_CENTRAL_1")
        );
        assert_eq!(r(Cloud::Aws, "us-east-1").as_deref(), Some("US_EAST_1"));
        assert_eq!(r(Cloud::Aws, "eu-central"), None);
        assert_eq!(
            r(Cloud::Gcp, "europe-west3").as_deref(),
            Some("EUROPE_WEST_3")
        );
        assert_eq!(
            r(Cloud::Gcp, "europe-west1").as_deref(),
            Some("WESTERN_EUROPE")
        );
        assert_eq!(
            r(Cloud::Gcp, "northamerica-northeast1").as_deref(),
            Some("NORTH_AMERICA_NORTHEAST_1")
        );
        assert_eq!(r(Cloud::Gcp, "mars-west1"), None);
        assert_eq!(r(Cloud::Gcp, "europe-west"), None);
        assert_eq!(
            r(Cloud::Azure, "westeurope").as_deref(),
            Some("EUROPE_WEST")
        );
        assert_eq!(r(Cloud::Azure, "germanynorth"), None);
    }
}
