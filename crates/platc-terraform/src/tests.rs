//! Renders small platforms (checked and resolved like `platc render` does) for every cloud ×
//! engine × replicas 1/3 and checks what the HCL says.

use std::collections::BTreeMap;

use super::*;

fn ir(source: &str) -> Ir {
    let checked = platc_check::check(source);
    assert!(checked.problems.is_empty(), "{:#?}", checked.problems);
    platc_ir::resolve(&checked.document).expect("resolve")
}

fn platform(cloud: &str, region: &str, services: &str) -> String {
    format!(
        r#"version = 1

[platform]
name = "acme"
domain = "acme.example"
cloud = "{cloud}"
region = "{region}"
registry = "ghcr.io/acme"

[stages.test]
namespace = "{{app}}-test"

[stages.prod]
namespace = "{{app}}-prod"
databases = "managed"
replicas = 2

{services}"#
    )
}

fn region(cloud: &str) -> &'static str {
    match cloud {
        "aws" => "eu-central-1",
        "azure" => "westeurope",
        _ => "europe-west3",
    }
}

/// One service `shop/api` with one store.
fn single(cloud: &str, engine: &str, replicas: u32) -> String {
    let (key, version) = match engine {
        "postgresql" => ("database", "16"),
        "mysql" => ("database", "8.4"),
        "mongodb" => ("database", "7.0"),
        _ => ("cache", "7.2"),
    };
    platform(
        cloud,
        region(cloud),
        &format!(
            "[apps.shop.services.api]\nport = 8080\n{key} = {{ engine = \"{engine}\", version = \"{version}\", replicas = {replicas} }}\n"
        ),
    )
}

/// file name → text of `terraform/prod/`.
fn render(source: &str) -> BTreeMap<String, String> {
    let tree = emit(&ir(source)).expect("emit");
    let mut files = BTreeMap::new();
    for (path, bytes) in tree.iter() {
        let p = path.as_str();
        let name = p
            .strip_prefix("terraform/prod/")
            .unwrap_or_else(|| panic!("unexpected {p}"));
        files.insert(name.to_string(), String::from_utf8(bytes.to_vec()).unwrap());
    }
    files
}

fn all(files: &BTreeMap<String, String>) -> String {
    files.values().cloned().collect::<Vec<_>>().join("\n")
}

/// Invariants of every rendered stage.
fn common(files: &BTreeMap<String, String>) {
    for (name, text) in files {
        assert!(text.starts_with(HEADER), "{name} lacks the header");
        assert!(!text.contains("0.0.0.0/0\""), "{name} opens to the world");
        assert!(!text.contains("\t"), "{name} has a tab");
        assert!(!text.contains(" \n"), "{name} has trailing white space");
        assert!(
            text.ends_with('\n') && !text.ends_with("\n\n"),
            "{name} ends oddly"
        );
        let open = text.matches('{').count();
        assert_eq!(open, text.matches('}').count(), "{name}: unbalanced braces");
        // No literal password: every `password` key takes a reference.
        for line in text.lines() {
            let t = line.trim_start();
            if t.starts_with("password ") || t.starts_with("password=") {
                let value = t.split('=').nth(1).unwrap().trim();
                assert!(!value.starts_with('"'), "{name}: literal password: {line}");
            }
        }
    }
    for needed in ["versions.tf", "variables.tf", "main.tf", "databases.tf"] {
        assert!(files.contains_key(needed), "missing {needed}");
    }
    assert!(all(files).contains("required_version = \">= 1.11.0\""));
}

#[test]
fn every_cloud_engine_and_replica_count_renders() {
    for cloud in ["aws", "azure", "gcp"] {
        for engine in ["postgresql", "mysql", "mongodb", "redis"] {
            if (cloud, engine) == ("gcp", "mongodb") {
                // Refused by the checker (platc::database::placement): no managed MongoDB.
                continue;
            }
            for replicas in [1, 3] {
                let files = render(&single(cloud, engine, replicas));
                common(&files);
                let text = all(&files);
                check_case(cloud, engine, replicas, &text);
                // Same input, same bytes.
                assert_eq!(files, render(&single(cloud, engine, replicas)));
            }
        }
    }
}

/// Runs of spaces as one space: assertions do not depend on `=` alignment.
fn squash(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !(c == ' ' && out.ends_with(' ')) {
            out.push(c);
        }
    }
    out
}

fn has(text: &str, needle: &str, case: &str) {
    assert!(
        squash(text).contains(&squash(needle)),
        "{case}: expected `{needle}` in\n{text}"
    );
}

fn lacks(text: &str, needle: &str, case: &str) {
    assert!(
        !squash(text).contains(&squash(needle)),
        "{case}: unexpected `{needle}` in\n{text}"
    );
}

fn check_case(cloud: &str, engine: &str, replicas: u32, text: &str) {
    let case = format!("{cloud}/{engine}/replicas={replicas}");
    let case = case.as_str();
    let ha = replicas > 1;
    match (cloud, engine) {
        ("aws", "postgresql" | "mysql") => {
            has(text, "resource \"aws_db_instance\" \"shop_api_", case);
            has(text, "manage_master_user_password   = true", case);
            has(text, "storage_encrypted                   = true", case);
            has(text, "publicly_accessible                 = false", case);
            has(text, "iam_database_authentication_enabled = true", case);
            has(text, "deletion_protection         = true", case);
            has(text, "copy_tags_to_snapshot       = true", case);
            has(text, "performance_insights_enabled          = true", case);
            has(
                text,
                "monitoring_role_arn                   = aws_iam_role.rds_monitoring.arn",
                case,
            );
            has(text, "enable_key_rotation     = true", case);
            has(text, &format!("multi_az = {ha}"), case);
            has(text, "secret_string_wo = jsonencode({", case);
            has(
                text,
                "ephemeral \"aws_secretsmanager_random_password\"",
                case,
            );
            has(text, "db.m7g.large", case);
            if engine == "postgresql" {
                has(text, "name  = \"rds.force_ssl\"\n    value = \"1\"", case);
                has(text, "family      = \"postgres16\"", case);
                has(
                    text,
                    "name                    = \"acme/prod/shop/api/postgresql\"",
                    case,
                );
            } else {
                has(
                    text,
                    "name  = \"require_secure_transport\"\n    value = \"1\"",
                    case,
                );
                has(text, "family      = \"mysql8.4\"", case);
            }
            if replicas == 3 {
                has(text, "resource \"aws_db_instance\" \"shop_api_", case);
                has(text, "_replica\" {\n  count               = 1", case);
                has(text, "reader_endpoints", case);
            } else {
                lacks(text, "_replica\"", case);
                has(text, "#checkov:skip=CKV_AWS_157:", case);
            }
        }
        ("aws", "mongodb") => {
            has(
                text,
                "resource \"aws_docdb_cluster\" \"shop_api_mongodb\"",
                case,
            );
            has(text, "engine_version = \"5.0.0\"", case);
            has(text, "MongoDB 7.0 requested", case);
            has(
                text,
                "name         = \"tls\"\n    value        = \"enabled\"",
                case,
            );
            has(
                text,
                &format!("count                           = {replicas}"),
                case,
            );
            has(text, "manage_master_user_password = true", case);
            has(text, "db.r6g.large", case);
        }
        ("aws", "redis") => {
            has(
                text,
                "resource \"aws_elasticache_replication_group\" \"shop_api_redis\"",
                case,
            );
            has(text, "engine               = \"valkey\"", case);
            has(text, "engine_version       = \"7.2\"", case);
            has(
                text,
                &format!("num_cache_clusters         = {replicas}"),
                case,
            );
            has(text, &format!("automatic_failover_enabled = {ha}"), case);
            has(text, "transit_encryption_enabled = true", case);
            has(text, "at_rest_encryption_enabled = true", case);
            has(text, "type = \"iam\"", case);
            lacks(text, "auth_token", case);
            lacks(text, "passwords =", case);
        }
        ("azure", "postgresql" | "mysql") => {
            let kind = if engine == "postgresql" {
                "azurerm_postgresql_flexible_server"
            } else {
                "azurerm_mysql_flexible_server"
            };
            has(
                text,
                &format!("resource \"{kind}\" \"shop_api_{engine}\""),
                case,
            );
            has(text, "administrator_password_wo ", case);
            has(text, "value_wo ", case);
            has(text, "geo_redundant_backup_enabled = true", case);
            has(text, "name                = \"acme-prod-shop-api-", case);
            has(
                text,
                &format!("name             = \"acme-prod-shop-api-{engine}\""),
                case,
            );
            if ha {
                has(text, "mode = \"ZoneRedundant\"", case);
            } else {
                lacks(text, "high_availability {", case);
            }
            if engine == "postgresql" {
                has(text, "public_network_access_enabled = false", case);
                has(text, "active_directory_auth_enabled = true", case);
                has(text, "name      = \"require_secure_transport\"", case);
            } else {
                has(text, "version             = \"8.4\"", case);
                has(text, "public_network_access = \"Disabled\"", case);
            }
        }
        ("azure", "mongodb") => {
            has(text, "kind                = \"MongoDB\"", case);
            has(text, "mongo_server_version = \"7.0\"", case);
            has(text, "public_network_access_enabled         = false", case);
            has(
                text,
                "minimal_tls_version                   = \"Tls12\"",
                case,
            );
            has(text, &format!("zone_redundant    = {ha}"), case);
            has(text, "subresource_names              = [\"MongoDB\"]", case);
        }
        ("azure", "redis") => {
            has(text, "non_ssl_port_enabled          = false", case);
            has(text, "minimum_tls_version           = \"1.2\"", case);
            has(text, "public_network_access_enabled = false", case);
            if ha {
                has(text, "replicas_per_primary = 2", case);
            } else {
                lacks(text, "replicas_per_primary", case);
            }
        }
        ("gcp", "postgresql" | "mysql") => {
            has(text, "ipv4_enabled    = false", case);
            has(text, "ssl_mode        = \"ENCRYPTED_ONLY\"", case);
            has(text, "deletion_protection = true", case);
            has(text, "query_insights_enabled  = true", case);
            has(text, "password_wo         = local.shop_api_", case);
            has(text, "secret_data_wo = jsonencode({", case);
            has(text, "auto {}", case);
            has(
                text,
                &format!("secret_id = \"acme-prod-shop-api-{engine}\""),
                case,
            );
            let availability = if ha { "REGIONAL" } else { "ZONAL" };
            has(
                text,
                &format!("availability_type = \"{availability}\""),
                case,
            );
            if engine == "postgresql" {
                has(text, "database_version    = \"POSTGRES_16\"", case);
                has(text, "point_in_time_recovery_enabled = true", case);
                has(text, "name  = \"cloudsql.iam_authentication\"", case);
            } else {
                has(text, "database_version    = \"MYSQL_8_4\"", case);
                has(text, "binary_log_enabled             = true", case);
                has(text, "name  = \"cloudsql_iam_authentication\"", case);
            }
        }
        ("gcp", "mongodb") => {
            has(
                text,
                "NOT PROVISIONED: Google Cloud has no managed MongoDB",
                case,
            );
            lacks(text, "resource \"", case);
        }
        ("gcp", "redis") => {
            has(
                text,
                "transit_encryption_mode = \"SERVER_AUTHENTICATION\"",
                case,
            );
            has(text, "auth_enabled            = true", case);
            has(
                text,
                "connect_mode            = \"PRIVATE_SERVICE_ACCESS\"",
                case,
            );
            let tier = if ha { "STANDARD_HA" } else { "BASIC" };
            has(text, &format!("tier = \"{tier}\""), case);
            if ha {
                has(text, "read_replicas_mode = \"READ_REPLICAS_ENABLED\"", case);
            }
        }
        _ => unreachable!("{case}"),
    }
}

#[test]
fn no_managed_store_no_terraform() {
    let source = platform(
        "aws",
        "eu-central-1",
        "[apps.shop.services.api]\nport = 8080\ndatabase = { engine = \"postgresql\", placement = \"in-cluster\" }\n",
    );
    assert!(emit(&ir(&source)).expect("emit").is_empty());
}

#[test]
fn stages_are_isolated_and_apps_do_not_collide() {
    let source = format!(
        "{}\n[apps.blog.services.api]\nport = 8080\ndatabase = {{ engine = \"postgresql\" }}\n\n[apps.shop.services.api.stages.test]\ndatabase = {{ placement = \"managed\" }}\n",
        single("aws", "postgresql", 1)
    );
    let tree = emit(&ir(&source)).expect("emit");
    let mut by_stage: BTreeMap<String, String> = BTreeMap::new();
    for (path, bytes) in tree.iter() {
        let stage = path.segments().nth(1).unwrap().to_string();
        by_stage
            .entry(stage)
            .or_default()
            .push_str(std::str::from_utf8(bytes).unwrap());
    }
    let test = &by_stage["test"];
    let prod = &by_stage["prod"];
    assert!(test.contains("\"acme/test/shop/api/postgresql\""));
    assert!(
        !test.contains("/prod/") && !test.contains("-prod-"),
        "test names prod:\n{test}"
    );
    assert!(
        !test.contains("blog"),
        "blog's database is managed only in prod"
    );
    assert!(prod.contains("resource \"aws_db_instance\" \"shop_api_postgresql\""));
    assert!(prod.contains("resource \"aws_db_instance\" \"blog_api_postgresql\""));
    assert!(prod.contains("\"acme/prod/blog/api/postgresql\""));
    assert!(!prod.contains("/test/"));
}

#[test]
fn clamps_and_sizes_are_commented() {
    let source = platform(
        "aws",
        "eu-central-1",
        r#"[apps.shop.services.api]
port = 8080
database = { engine = "postgresql", storage = "100Gi", instance = "db.r6g.large", backup = { schedule = "45 23 * * *", retention = "40d" } }
cache = { engine = "redis", version = "7.0", backup = { schedule = "0 3 * * *", retention = "50d" } }

[apps.shop.services.small]
port = 8080
database = { engine = "mysql", version = "8.0", storage = "1500Mi" }
"#,
    );
    let text = all(&render(&source));
    has(
        &text,
        "instance_class                      = \"db.r6g.large\"",
        "clamps",
    );
    has(&text, "allocated_storage    = 100", "clamps");
    has(
        &text,
        "backup retention (days): 40 requested, 35 is the service's maximum: clamped.",
        "clamps",
    );
    has(&text, "backup_retention_period   = 35", "clamps");
    has(
        &text,
        "backup_window             = \"23:45-00:15\"",
        "clamps",
    );
    has(
        &text,
        "maintenance_window        = \"mon:00:45-mon:01:45\"",
        "clamps",
    );
    has(&text, "snapshot_retention_limit   = 35", "clamps");
    has(
        &text,
        "snapshot_window            = \"03:00-04:00\"",
        "clamps",
    );
    has(&text, "engine               = \"redis\"", "clamps");
    has(
        &text,
        "allocated_storage (GiB, gp3): 2 requested, 20 is the service's minimum",
        "clamps",
    );
    has(&text, "family      = \"mysql8.0\"", "clamps");

    let azure = all(&render(
        &source
            .replace("\"aws\"", "\"azure\"")
            .replace("eu-central-1", "westeurope"),
    ));
    has(
        &azure,
        "storage_mb        = 131072",
        "100Gi → next Flexible Server size",
    );
    has(&azure, "backup_retention_days        = 35", "clamps");
    has(&azure, "size_gb           = 20", "clamps");
    let gcp = all(&render(
        &source
            .replace("\"aws\"", "\"gcp\"")
            .replace("eu-central-1", "europe-west3"),
    ));
    has(&gcp, "disk_size                   = 100", "clamps");
    has(&gcp, "retained_backups = 40", "clamps");
    has(&gcp, "transaction_log_retention_days = 7", "clamps");
    has(&gcp, "start_time                     = \"23:00\"", "clamps");
}

#[test]
fn store_ids_stay_unique() {
    // `a-b`/`c` and `a`/`b-c` both sanitise to `a_b_c_postgresql`.
    let source = platform(
        "aws",
        "eu-central-1",
        r#"[apps.a-b.services.c]
port = 8080
database = { engine = "postgresql" }

[apps.a.services.b-c]
port = 8080
database = { engine = "postgresql" }
"#,
    );
    let ir = ir(&source);
    let stages = managed_stages(&ir);
    let ids: Vec<&str> = stages[0].stores.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    let tree = emit(&ir).expect("emit");
    assert_eq!(tree.len(), 6);
}
