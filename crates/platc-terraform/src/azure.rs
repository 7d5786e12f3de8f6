//! Azure: Flexible Server for PostgreSQL/MySQL, Cosmos DB for MongoDB (RU), Azure Cache for
//! Redis, Key Vault secrets. `terraform fmt` clean; not validated offline (no azurerm in the
//! mirror).
//!
//! Decisions:
//! - Network: flexible servers in a delegated subnet with a private DNS zone (variables), no
//!   public access; Cosmos DB and Redis reachable only through private endpoints.
//! - High availability: `replicas > 1` → zone-redundant HA (one synchronous standby) for
//!   flexible servers, zone-redundant Cosmos DB, Premium Redis with `replicas − 1` replicas
//!   across zones. Read replicas beyond the standby are not emitted.
//! - Passwords: an ephemeral `random_password` per login, written with write-only arguments
//!   (`administrator_password_wo`, Key Vault `value_wo`): never in plan or state. Keys that
//!   Azure itself generates (Cosmos DB, Redis access keys) are attributes of those resources and
//!   therefore in the state (sensitive): protect the state backend.
//! - Key Vault: an existing vault (`var.key_vault_id`, the one External Secrets reads); secret
//!   names are the stores' `secret_path`s (`-`-separated).

use crate::credentials;
use crate::hcl::{res, var, Block, Body, Expr, Ident, Key, Ref};
use crate::names::{clamp, cloud_name, daily_time};
use crate::{notes, owner_pairs, EmitError, Files, Stage, Store};
use platc_ir::Engine;

/// What raising a store's entry of `var.credentials_versions` does here.
const VERSIONS_DESCRIPTION: &str =
    "Write-only version of each store's generated passwords, by \"<app>/<store>\" (default 1). Raise one to write new passwords.";

const PG_DEFAULT_SKU: &str = "GP_Standard_D2ds_v5";
const MYSQL_DEFAULT_SKU: &str = "GP_Standard_D2ds_v4";
const ADMIN: &str = "dbadmin";
/// Storage sizes a PostgreSQL Flexible Server accepts (MiB).
const PG_STORAGE_MB: [u64; 12] = [
    32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4193280, 4194304, 8388608, 16777216,
    33553408,
];

fn tags(stage: &Stage, store: &Store) -> Expr {
    let mut entries = vec![
        (Key::Quoted("managed-by".into()), Expr::from("platc")),
        (Key::Quoted("platc-platform".into()), stage.platform.into()),
        (Key::Quoted("platc-stage".into()), stage.name.into()),
    ];
    for (k, v) in owner_pairs(store) {
        entries.push((Key::Quoted(format!("platc-{k}")), Expr::Str(v)));
    }
    Expr::Object(entries)
}

fn rg() -> Expr {
    var("resource_group_name")
}

fn tenant() -> Expr {
    Expr::Ref(
        Ref::root("data")
            .attr("azurerm_client_config")
            .attr("current")
            .attr("tenant_id"),
    )
}

fn local(ident: &Ident) -> Expr {
    Expr::Ref(Ref::root("local").ident(ident))
}

pub fn render(stage: &Stage) -> Result<Files, EmitError> {
    let mut databases = Body::file();
    let mut secrets = Body::file();
    let mut locals = Body::new();
    let mut outputs = Body::file();
    for store in &stage.stores {
        section(store, &mut databases);
        match store.ds.engine {
            Engine::Postgresql => {
                postgresql(stage, store, &mut databases, &mut secrets, &mut locals)?
            }
            Engine::Mysql => mysql(stage, store, &mut databases, &mut secrets, &mut locals)?,
            Engine::Mongodb if crate::atlas::is_atlas(store) => {
                let pw = local(&crate::random_password(
                    &mut databases,
                    &mut locals,
                    &store.id,
                ));
                crate::atlas::render(stage, store, &mut databases, pw.clone())?;
                kv_secret(
                    &mut secrets,
                    &store.id,
                    store.ds.secret_path.clone(),
                    crate::atlas::secret_json(store, pw),
                    store,
                    stage,
                );
                crate::atlas::output(
                    store,
                    &mut outputs,
                    res("azurerm_key_vault_secret", &store.id, "versionless_id"),
                    "Key Vault",
                );
                continue;
            }
            Engine::Mongodb => cosmos(stage, store, &mut databases, &mut secrets),
            Engine::Redis => redis(stage, store, &mut databases, &mut secrets),
        }
        output(store, &mut outputs);
    }
    if !locals.is_empty() {
        secrets.block(Block::new("locals").with(|b| {
            b.comment("Ephemeral: these values are never written to a plan or the state.");
            b.extend(locals);
        }));
    }
    Ok(vec![
        ("versions.tf", versions(crate::atlas::in_stage(stage))),
        ("variables.tf", variables(stage)),
        ("main.tf", main()),
        ("databases.tf", databases),
        ("secrets.tf", secrets),
        ("outputs.tf", outputs),
    ])
}

fn versions(atlas: bool) -> Body {
    let mut f = Body::new();
    f.block(Block::new("terraform").with(|b| {
        b.comment("1.11: ephemeral resources and write-only arguments keep passwords out of the state.");
        b.attr("required_version", ">= 1.11.0");
        b.blank();
        b.block(Block::new("required_providers").with(|p| {
            p.comment("4.x with write-only administrator passwords (4.21), Key Vault value_wo (4.23), MySQL 8.4.");
            p.attr(
                "azurerm",
                Expr::object(vec![
                    ("source", "hashicorp/azurerm".into()),
                    ("version", "~> 4.40".into()),
                ]),
            );
            p.comment("3.7: ephemeral random_password.");
            p.attr(
                "random",
                Expr::object(vec![
                    ("source", "hashicorp/random".into()),
                    ("version", "~> 3.7".into()),
                ]),
            );
            if atlas {
                crate::atlas::required_provider(p);
            }
        }));
    }));
    f
}

fn variable(f: &mut Body, name: &'static str, description: &str, default: Option<Expr>) {
    f.block(Block::new("variable").label(name).with(|b| {
        b.attr("description", description);
        b.attr("type", Expr::Raw("string"));
        if let Some(d) = default {
            b.attr("default", d);
        }
    }));
    f.blank();
}

fn variables(stage: &Stage) -> Body {
    let mut f = Body::new();
    variable(
        &mut f,
        "resource_group_name",
        "Resource group of the stage's data stores.",
        None,
    );
    variable(
        &mut f,
        "location",
        "Azure region of the data stores.",
        Some(stage.region.into()),
    );
    key_vault_variable(&mut f);
    if stage.has(|s| s.ds.engine == Engine::Postgresql) {
        variable(
            &mut f,
            "postgresql_subnet_id",
            "Subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers.",
            None,
        );
        variable(
            &mut f,
            "postgresql_private_dns_zone_id",
            "Private DNS zone `*.postgres.database.azure.com` linked to the cluster's VNet.",
            None,
        );
    }
    if stage.has(|s| s.ds.engine == Engine::Mysql) {
        variable(
            &mut f,
            "mysql_subnet_id",
            "Subnet delegated to Microsoft.DBforMySQL/flexibleServers.",
            None,
        );
        variable(
            &mut f,
            "mysql_private_dns_zone_id",
            "Private DNS zone `*.mysql.database.azure.com` linked to the cluster's VNet.",
            None,
        );
        variable(&mut f, "mysql_identity_id", "User-assigned identity of the MySQL servers (reads Microsoft Entra ID for the Entra administrator).", None);
    }
    if stage.has(|s| matches!(s.ds.engine, Engine::Postgresql | Engine::Mysql)) {
        variable(
            &mut f,
            "entra_admin_object_id",
            "Object id of the Microsoft Entra group that administers the database servers.",
            None,
        );
        variable(
            &mut f,
            "entra_admin_name",
            "Display name of that group.",
            None,
        );
    }
    let cosmos = |s: &Store| s.ds.engine == Engine::Mongodb && !crate::atlas::is_atlas(s);
    if stage.has(|s| cosmos(s) || s.ds.engine == Engine::Redis) {
        variable(
            &mut f,
            "private_endpoint_subnet_id",
            "Subnet for the private endpoints of Cosmos DB accounts and Redis caches.",
            None,
        );
    }
    if stage.has(cosmos) {
        variable(
            &mut f,
            "cosmosdb_private_dns_zone_id",
            "Private DNS zone `privatelink.mongo.cosmos.azure.com`.",
            None,
        );
    }
    if stage.has(|s| s.ds.engine == Engine::Redis) {
        variable(
            &mut f,
            "redis_private_dns_zone_id",
            "Private DNS zone `privatelink.redis.cache.windows.net`.",
            None,
        );
    }
    if crate::atlas::in_stage(stage) {
        f.extend(crate::atlas::variables(stage));
    }
    f.extend(credentials::versions_variable(VERSIONS_DESCRIPTION));
    f
}

fn key_vault_variable(f: &mut Body) {
    variable(
        f,
        "key_vault_id",
        "Key Vault (RBAC authorization, purge protection) that External Secrets reads; receives one secret per store.",
        None,
    );
}

fn main() -> Body {
    let mut f = Body::new();
    f.block(Block::new("provider").label("azurerm").with(|b| {
        b.block(Block::new("features"));
    }));
    f.blank();
    f.block(
        Block::new("data")
            .label("azurerm_client_config")
            .label("current"),
    );
    f
}

fn section(store: &Store, body: &mut Body) {
    body.comment(&format!(
        "--- {} {} of {} ({} replica{}) ---",
        store.engine_word(),
        store.ds.version,
        store.owner(),
        store.ds.replicas,
        if store.ds.replicas == 1 { "" } else { "s" }
    ));
    body.blank();
}

/// A Key Vault secret written once per version.
fn kv_secret(
    body: &mut Body,
    name: &Ident,
    secret_name: String,
    value: Expr,
    store: &Store,
    stage: &Stage,
) {
    body.block(Block::resource("azurerm_key_vault_secret", name).with(|b| {
        b.attr("name", secret_name);
        b.attr("key_vault_id", var("key_vault_id"));
        b.attr("content_type", "application/json");
        b.attr("value_wo", value);
        b.attr("value_wo_version", store.credentials_version());
        b.attr("tags", tags(stage, store));
        b.checkov_skip("CKV_AZURE_41", "no expiry: the credentials change with a new write-only version (var.credentials_versions), not on a date");
    }));
    body.blank();
}

fn maintenance(body: &mut Body, schedule: &str) {
    if let Some((h, m)) = daily_time(schedule) {
        let start = (h * 60 + m + 60) % (24 * 60);
        body.blank();
        body.comment(
            "Weekly maintenance on Sunday, an hour after the backup time of the schedule (UTC).",
        );
        body.block(Block::new("maintenance_window").with(|w| {
            w.attr("day_of_week", 0u32);
            w.attr("start_hour", start / 60);
            w.attr("start_minute", start % 60);
        }));
    }
}

fn backup_comment(body: &mut Body, schedule: &str, note: Option<String>) {
    notes(body, &[note.map(|n| format!("{n}: clamped."))]);
    body.comment(&format!(
        "Azure takes daily snapshots and keeps transaction logs for point-in-time recovery; this covers the schedule `{schedule}`."
    ));
}

fn postgresql(
    stage: &Stage,
    store: &Store,
    body: &mut Body,
    secrets: &mut Body,
    locals: &mut Body,
) -> Result<(), EmitError> {
    let ds = store.ds;
    let name = cloud_name(&store.parts(stage), 63);
    let mb = store.storage_gib()?.saturating_mul(1024);
    let storage_mb = PG_STORAGE_MB
        .iter()
        .copied()
        .find(|s| *s >= mb)
        .unwrap_or(PG_STORAGE_MB[PG_STORAGE_MB.len() - 1]);
    let (retention, note) = clamp(ds.backup.retention_days, 7, 35, "backup retention (days)");
    let admin = store.id.suffixed("admin");
    crate::random_password(body, locals, &admin);
    crate::random_password(body, locals, &store.id);
    body.block(Block::resource("azurerm_postgresql_flexible_server", &store.id).with(|b| {
        b.attr("name", name);
        b.attr("resource_group_name", rg());
        b.attr("location", var("location"));
        b.attr("version", ds.version.clone());
        b.attr("sku_name", ds.instance.clone().unwrap_or_else(|| PG_DEFAULT_SKU.into()));
        b.comment(&format!(
            "{} rounded up to the next size Flexible Server offers; grows automatically.",
            ds.storage
        ));
        b.attr("storage_mb", i64::try_from(storage_mb).unwrap_or(i64::MAX));
        b.attr("auto_grow_enabled", true);
        b.blank();
        b.comment("VNet integration: private addresses in the delegated subnet only (Azure allows no private endpoint then).");
        b.attr("delegated_subnet_id", var("postgresql_subnet_id"));
        b.attr("private_dns_zone_id", var("postgresql_private_dns_zone_id"));
        b.attr("public_network_access_enabled", false);
        b.checkov_skip("CKV2_AZURE_57", "VNet integration (delegated subnet, private DNS zone) is the private access; private endpoints are for public-access servers");
        b.blank();
        b.attr("administrator_login", ADMIN);
        b.attr("administrator_password_wo", local(&admin.suffixed("password")));
        b.attr("administrator_password_wo_version", store.credentials_version());
        b.blank();
        backup_comment(b, &ds.backup.schedule, note);
        b.attr("backup_retention_days", retention);
        b.attr("geo_redundant_backup_enabled", true);
        b.attr("tags", tags(stage, store));
        b.blank();
        b.block(Block::new("authentication").with(|a| {
            a.attr("active_directory_auth_enabled", true);
            a.attr("password_auth_enabled", true);
            a.attr("tenant_id", tenant());
        }));
        ha(b, ds.replicas);
        maintenance(b, &ds.backup.schedule);
    }));
    body.blank();
    for (param, value) in [
        ("require_secure_transport", "on"),
        ("ssl_min_protocol_version", "TLSv1.2"),
        ("log_connections", "on"),
        ("log_disconnections", "on"),
        ("log_checkpoints", "on"),
        ("connection_throttle.enable", "on"),
    ] {
        body.block(
            Block::resource(
                "azurerm_postgresql_flexible_server_configuration",
                &store.id.suffixed(param),
            )
            .with(|b| {
                b.attr("name", param);
                b.attr(
                    "server_id",
                    res("azurerm_postgresql_flexible_server", &store.id, "id"),
                );
                b.attr("value", value);
            }),
        );
        body.blank();
    }
    body.block(
        Block::resource(
            "azurerm_postgresql_flexible_server_active_directory_administrator",
            &store.id,
        )
        .with(|b| {
            b.attr(
                "server_name",
                res("azurerm_postgresql_flexible_server", &store.id, "name"),
            );
            b.attr("resource_group_name", rg());
            b.attr("tenant_id", tenant());
            b.attr("object_id", var("entra_admin_object_id"));
            b.attr("principal_name", var("entra_admin_name"));
            b.attr("principal_type", "Group");
        }),
    );
    body.blank();
    body.block(
        Block::resource("azurerm_postgresql_flexible_server_database", &store.id).with(|b| {
            b.attr("name", ds.database.clone());
            b.attr(
                "server_id",
                res("azurerm_postgresql_flexible_server", &store.id, "id"),
            );
            b.attr("charset", "UTF8");
            b.attr("collation", "en_US.utf8");
        }),
    );
    body.blank();
    sql_secrets(
        stage,
        store,
        secrets,
        "azurerm_postgresql_flexible_server",
        &admin,
    );
    Ok(())
}

fn ha(b: &mut Body, replicas: u32) {
    b.blank();
    if replicas > 1 {
        b.comment(&format!(
            "replicas = {replicas}: zone-redundant high availability (a synchronous standby in another zone){}.",
            if replicas > 2 { "; read replicas beyond the standby are not created" } else { "" }
        ));
        b.block(Block::new("high_availability").with(|h| {
            h.attr("mode", "ZoneRedundant");
        }));
        b.blank();
        b.comment("Azure moves the primary on failover: do not move it back.");
        b.block(Block::new("lifecycle").with(|l| {
            l.attr(
                "ignore_changes",
                Expr::List(vec![
                    Expr::Raw("zone"),
                    Expr::Raw("high_availability[0].standby_availability_zone"),
                ]),
            );
        }));
    } else {
        b.comment("replicas = 1: no standby; declare replicas = 2 or more for zone-redundant high availability.");
    }
}

/// The admin secret and the service's credentials secret of a flexible server.
fn sql_secrets(
    stage: &Stage,
    store: &Store,
    secrets: &mut Body,
    kind: &'static str,
    admin: &Ident,
) {
    let ds = store.ds;
    kv_secret(
        secrets,
        admin,
        format!("{}-admin", ds.secret_path),
        Expr::Call(
            "jsonencode",
            vec![Expr::object(vec![
                ("host", res(kind, &store.id, "fqdn")),
                ("port", Expr::from(ds.port)),
                ("username", ADMIN.into()),
                ("password", local(&admin.suffixed("password"))),
            ])],
        ),
        store,
        stage,
    );
    secrets.comment(&format!(
        "The service's login `{}`: created in the database by the service's schema bootstrap with this password.",
        ds.user
    ));
    kv_secret(
        secrets,
        &store.id,
        ds.secret_path.clone(),
        Expr::Call(
            "jsonencode",
            vec![Expr::object(vec![
                ("engine", store.engine_word().into()),
                ("host", res(kind, &store.id, "fqdn")),
                ("port", Expr::from(ds.port)),
                ("dbname", ds.database.clone().into()),
                ("username", ds.user.clone().into()),
                ("password", local(&store.id.suffixed("password"))),
                ("sslmode", "require".into()),
            ])],
        ),
        store,
        stage,
    );
}

fn mysql(
    stage: &Stage,
    store: &Store,
    body: &mut Body,
    secrets: &mut Body,
    locals: &mut Body,
) -> Result<(), EmitError> {
    let ds = store.ds;
    let name = cloud_name(&store.parts(stage), 63);
    let gib = u32::try_from(store.storage_gib()?).unwrap_or(u32::MAX);
    let (size, size_note) = clamp(gib, 20, 16384, "storage (GiB)");
    let (retention, note) = clamp(ds.backup.retention_days, 1, 35, "backup retention (days)");
    let version = if ds.version == "8.0" { "8.0.21" } else { "8.4" };
    let admin = store.id.suffixed("admin");
    crate::random_password(body, locals, &admin);
    crate::random_password(body, locals, &store.id);
    body.block(Block::resource("azurerm_mysql_flexible_server", &store.id).with(|b| {
        b.attr("name", name);
        b.attr("resource_group_name", rg());
        b.attr("location", var("location"));
        b.attr("version", version);
        b.attr("sku_name", ds.instance.clone().unwrap_or_else(|| MYSQL_DEFAULT_SKU.into()));
        b.blank();
        b.comment("VNet integration: private addresses in the delegated subnet only (Azure allows no private endpoint then).");
        b.attr("delegated_subnet_id", var("mysql_subnet_id"));
        b.attr("private_dns_zone_id", var("mysql_private_dns_zone_id"));
        b.attr("public_network_access", "Disabled");
        b.checkov_skip("CKV2_AZURE_56", "VNet integration (delegated subnet, private DNS zone) is the private access; private endpoints are for public-access servers");
        b.checkov_skip("CKV_AZURE_53", "flexible servers have no public_network_access_enabled; public_network_access = Disabled is set");
        b.blank();
        b.attr("administrator_login", ADMIN);
        b.attr("administrator_password_wo", local(&admin.suffixed("password")));
        b.attr("administrator_password_wo_version", store.credentials_version());
        b.blank();
        backup_comment(b, &ds.backup.schedule, note);
        b.attr("backup_retention_days", retention);
        b.attr("geo_redundant_backup_enabled", true);
        b.attr("tags", tags(stage, store));
        b.blank();
        notes(b, std::slice::from_ref(&size_note));
        b.block(Block::new("storage").with(|s| {
            s.attr("size_gb", size);
            s.attr("auto_grow_enabled", true);
        }));
        b.blank();
        b.block(Block::new("identity").with(|i| {
            i.attr("type", "UserAssigned");
            i.attr("identity_ids", Expr::List(vec![var("mysql_identity_id")]));
        }));
        ha(b, ds.replicas);
        maintenance(b, &ds.backup.schedule);
    }));
    body.blank();
    for (param, value) in [
        ("require_secure_transport", "ON"),
        ("tls_version", "TLSv1.2,TLSv1.3"),
        ("audit_log_enabled", "ON"),
        ("audit_log_events", "CONNECTION,DDL,DCL"),
    ] {
        body.block(
            Block::resource(
                "azurerm_mysql_flexible_server_configuration",
                &store.id.suffixed(param),
            )
            .with(|b| {
                b.attr("name", param);
                b.attr("resource_group_name", rg());
                b.attr(
                    "server_name",
                    res("azurerm_mysql_flexible_server", &store.id, "name"),
                );
                b.attr("value", value);
            }),
        );
        body.blank();
    }
    body.block(
        Block::resource(
            "azurerm_mysql_flexible_server_active_directory_administrator",
            &store.id,
        )
        .with(|b| {
            b.attr(
                "server_id",
                res("azurerm_mysql_flexible_server", &store.id, "id"),
            );
            b.attr("identity_id", var("mysql_identity_id"));
            b.attr("login", var("entra_admin_name"));
            b.attr("object_id", var("entra_admin_object_id"));
            b.attr("tenant_id", tenant());
        }),
    );
    body.blank();
    body.block(
        Block::resource("azurerm_mysql_flexible_database", &store.id).with(|b| {
            b.attr("name", ds.database.clone());
            b.attr("resource_group_name", rg());
            b.attr(
                "server_name",
                res("azurerm_mysql_flexible_server", &store.id, "name"),
            );
            b.attr("charset", "utf8mb4");
            b.attr("collation", "utf8mb4_0900_ai_ci");
        }),
    );
    body.blank();
    sql_secrets(
        stage,
        store,
        secrets,
        "azurerm_mysql_flexible_server",
        &admin,
    );
    Ok(())
}

fn private_endpoint(
    stage: &Stage,
    store: &Store,
    body: &mut Body,
    target: &'static str,
    subresource: &str,
    zone: &'static str,
) {
    let name = cloud_name(&[&cloud_name(&store.parts(stage), 70), "pe"], 80);
    body.block(
        Block::resource("azurerm_private_endpoint", &store.id).with(|b| {
            b.attr("name", name.clone());
            b.attr("resource_group_name", rg());
            b.attr("location", var("location"));
            b.attr("subnet_id", var("private_endpoint_subnet_id"));
            b.attr("tags", tags(stage, store));
            b.blank();
            b.block(Block::new("private_service_connection").with(|c| {
                c.attr("name", name.clone());
                c.attr(
                    "private_connection_resource_id",
                    res(target, &store.id, "id"),
                );
                c.attr("subresource_names", Expr::strs(&[subresource]));
                c.attr("is_manual_connection", false);
            }));
            b.blank();
            b.block(Block::new("private_dns_zone_group").with(|z| {
                z.attr("name", "default");
                z.attr("private_dns_zone_ids", Expr::List(vec![var(zone)]));
            }));
        }),
    );
    body.blank();
}

fn cosmos(stage: &Stage, store: &Store, body: &mut Body, secrets: &mut Body) {
    let ds = store.ds;
    let (server_version, version_note) = match ds.version.as_str() {
        "6.0" => ("6.0", None),
        "7.0" => ("7.0", None),
        v => (
            "7.0",
            Some(format!(
                "MongoDB {v} requested: Cosmos DB for MongoDB (RU) serves at most the 7.0 API."
            )),
        ),
    };
    let (tier, tier_note) = if ds.backup.retention_days <= 7 {
        ("Continuous7Days", None)
    } else if ds.backup.retention_days <= 30 {
        ("Continuous30Days", None)
    } else {
        (
            "Continuous30Days",
            Some(format!(
                "backup retention: {} days requested, continuous backup keeps at most 30: clamped.",
                ds.backup.retention_days
            )),
        )
    };
    body.block(Block::resource("azurerm_cosmosdb_account", &store.id).with(|b| {
        b.attr("name", cloud_name(&store.parts(stage), 44));
        b.attr("resource_group_name", rg());
        b.attr("location", var("location"));
        b.attr("offer_type", "Standard");
        b.attr("kind", "MongoDB");
        notes(b, &[version_note]);
        b.attr("mongo_server_version", server_version);
        b.comment(&format!(
            "Throughput-based storage: the declared {} is not a limit here.",
            ds.storage
        ));
        b.blank();
        b.attr("public_network_access_enabled", false);
        b.attr("is_virtual_network_filter_enabled", true);
        b.attr("network_acl_bypass_for_azure_services", false);
        b.attr("minimal_tls_version", "Tls12");
        b.attr("access_key_metadata_writes_enabled", false);
        b.attr("automatic_failover_enabled", true);
        b.attr("tags", tags(stage, store));
        b.checkov_skip("CKV_AZURE_100", "platform-managed encryption keys; a customer-managed key needs a Key Vault key and identity per account that platc does not provision");
        b.blank();
        b.block(Block::new("capabilities").with(|c| {
            c.attr("name", "EnableMongo");
        }));
        b.blank();
        b.block(Block::new("consistency_policy").with(|c| {
            c.attr("consistency_level", "Session");
        }));
        b.blank();
        b.comment(&format!(
            "replicas = {}: {}",
            ds.replicas,
            if ds.replicas > 1 { "replicas spread over availability zones" } else { "a single zone" }
        ));
        b.block(Block::new("geo_location").with(|g| {
            g.attr("location", var("location"));
            g.attr("failover_priority", 0u32);
            g.attr("zone_redundant", ds.replicas > 1);
        }));
        b.blank();
        notes(b, &[tier_note]);
        b.comment(&format!(
            "Continuous backup: point-in-time restore, covers the schedule `{}`.",
            ds.backup.schedule
        ));
        b.block(Block::new("backup").with(|k| {
            k.attr("type", "Continuous");
            k.attr("tier", tier);
        }));
    }));
    body.blank();
    body.block(
        Block::resource("azurerm_cosmosdb_mongo_database", &store.id).with(|b| {
            b.attr("name", ds.database.clone());
            b.attr("resource_group_name", rg());
            b.attr(
                "account_name",
                res("azurerm_cosmosdb_account", &store.id, "name"),
            );
            b.blank();
            b.block(Block::new("autoscale_settings").with(|a| {
                a.attr("max_throughput", 1000u32);
            }));
        }),
    );
    body.blank();
    private_endpoint(
        stage,
        store,
        body,
        "azurerm_cosmosdb_account",
        "MongoDB",
        "cosmosdb_private_dns_zone_id",
    );
    secrets.comment(
        "Cosmos DB generates the account key: it is a (sensitive) attribute in the state.",
    );
    kv_secret(
        secrets,
        &store.id,
        ds.secret_path.clone(),
        Expr::Call(
            "jsonencode",
            vec![Expr::object(vec![
                ("engine", "mongodb".into()),
                ("dbname", ds.database.clone().into()),
                (
                    "uri",
                    res(
                        "azurerm_cosmosdb_account",
                        &store.id,
                        "primary_mongodb_connection_string",
                    ),
                ),
            ])],
        ),
        store,
        stage,
    );
}

/// Azure Cache for Redis size: `P1`, `C2`, `Premium_P1`, else Premium P1.
fn redis_size(instance: Option<&str>) -> (&'static str, &'static str, u32, Option<String>) {
    let Some(raw) = instance else {
        return ("Premium", "P", 1, None);
    };
    let short = raw.rsplit('_').next().unwrap_or(raw);
    let mut chars = short.chars();
    let family = chars.next();
    let capacity: Option<u32> = chars.as_str().parse().ok();
    match (family, capacity) {
        (Some('P' | 'p'), Some(c @ 1..=5)) => ("Premium", "P", c, None),
        (Some('C' | 'c'), Some(c @ 0..=6)) => ("Standard", "C", c, None),
        _ => (
            "Premium",
            "P",
            1,
            Some(format!("instance `{raw}` is not an Azure Cache for Redis size (P1..P5, C0..C6): Premium P1 used.")),
        ),
    }
}

fn redis(stage: &Stage, store: &Store, body: &mut Body, secrets: &mut Body) {
    let ds = store.ds;
    let (mut sku, mut family, mut capacity, size_note) = redis_size(ds.instance.as_deref());
    let mut notes_list = vec![size_note];
    if ds.replicas > 1 && sku != "Premium" {
        notes_list.push(Some(format!(
            "replicas = {}: zone redundancy needs Premium; P1 used instead of {family}{capacity}.",
            ds.replicas
        )));
        sku = "Premium";
        family = "P";
        capacity = 1;
    }
    let (per_primary, replica_note) =
        clamp(ds.replicas.saturating_sub(1), 0, 3, "replicas per primary");
    notes_list.push(replica_note);
    body.block(Block::resource("azurerm_redis_cache", &store.id).with(|b| {
        b.attr("name", cloud_name(&store.parts(stage), 63));
        b.attr("resource_group_name", rg());
        b.attr("location", var("location"));
        notes(b, &notes_list);
        b.attr("sku_name", sku);
        b.attr("family", family);
        b.attr("capacity", capacity);
        b.comment(&format!(
            "Redis {} requested: Azure Cache for Redis takes `6` and runs its newest supported server on it.",
            ds.version
        ));
        b.attr("redis_version", "6");
        b.blank();
        b.comment("TLS only (port 6380), private endpoint only.");
        b.attr("non_ssl_port_enabled", false);
        b.attr("minimum_tls_version", "1.2");
        b.attr("public_network_access_enabled", false);
        if ds.replicas > 1 {
            b.blank();
            b.comment(&format!(
                "replicas = {}: a primary and {} replica(s) across availability zones.",
                ds.replicas, per_primary
            ));
            b.attr("replicas_per_primary", per_primary);
            b.attr("zones", Expr::strs(&["1", "2", "3"]));
        }
        b.attr("tags", tags(stage, store));
        b.blank();
        b.comment(&format!(
            "No RDB export: it needs a storage account key in the state. Cache content is rebuilt (schedule `{}`, {} days not applied).",
            ds.backup.schedule, ds.backup.retention_days
        ));
        if let Some((h, _)) = daily_time(&ds.backup.schedule) {
            b.block(Block::new("patch_schedule").with(|p| {
                p.attr("day_of_week", "Sunday");
                p.attr("start_hour_utc", (h + 1) % 24);
            }));
        }
    }));
    body.blank();
    private_endpoint(
        stage,
        store,
        body,
        "azurerm_redis_cache",
        "redisCache",
        "redis_private_dns_zone_id",
    );
    secrets
        .comment("Azure generates the access keys: they are (sensitive) attributes in the state.");
    kv_secret(
        secrets,
        &store.id,
        ds.secret_path.clone(),
        Expr::Call(
            "jsonencode",
            vec![Expr::object(vec![
                ("engine", "redis".into()),
                ("host", res("azurerm_redis_cache", &store.id, "hostname")),
                ("port", res("azurerm_redis_cache", &store.id, "ssl_port")),
                ("tls", true.into()),
                (
                    "password",
                    res("azurerm_redis_cache", &store.id, "primary_access_key"),
                ),
            ])],
        ),
        store,
        stage,
    );
}

fn output(store: &Store, body: &mut Body) {
    let kind = match store.ds.engine {
        Engine::Postgresql => "azurerm_postgresql_flexible_server",
        Engine::Mysql => "azurerm_mysql_flexible_server",
        Engine::Mongodb => "azurerm_cosmosdb_account",
        Engine::Redis => "azurerm_redis_cache",
    };
    let mut value: Vec<(&'static str, Expr)> = match store.ds.engine {
        Engine::Postgresql | Engine::Mysql => vec![
            ("endpoint", res(kind, &store.id, "fqdn")),
            ("port", Expr::from(store.ds.port)),
            (
                "admin_secret_id",
                res(
                    "azurerm_key_vault_secret",
                    &store.id.suffixed("admin"),
                    "versionless_id",
                ),
            ),
        ],
        Engine::Mongodb => vec![
            ("endpoint", res(kind, &store.id, "endpoint")),
            ("port", Expr::Num(10255)),
        ],
        Engine::Redis => vec![
            ("endpoint", res(kind, &store.id, "hostname")),
            ("port", res(kind, &store.id, "ssl_port")),
        ],
    };
    value.push((
        "secret_id",
        res("azurerm_key_vault_secret", &store.id, "versionless_id"),
    ));
    crate::store_output(body, store, "endpoint and Key Vault secret ids", value);
}

/// `credentials.tf` (and `outputs.tf`) for the stage's in-cluster stores; with `versions.tf`,
/// `variables.tf` and `main.tf` when the stage has no managed store.
pub fn credentials(stage: &Stage) -> Files {
    let mut files = Files::new();
    if stage.stores.is_empty() {
        let mut variables = Body::new();
        key_vault_variable(&mut variables);
        variables.extend(credentials::versions_variable(VERSIONS_DESCRIPTION));
        files.push(("versions.tf", versions(false)));
        files.push(("variables.tf", variables));
        files.push(("main.tf", main()));
    }
    let mut body = Body::file();
    let mut outputs = Body::file();
    for store in &stage.in_cluster {
        credentials::section(store, &mut body);
        for (_, id) in credentials::passwords(store) {
            crate::ephemeral_random_password(&mut body, &id);
        }
        body.comment(
            "Every password is ephemeral and write-only: never in a plan, the state or an output.",
        );
        kv_secret(
            &mut body,
            &store.id,
            store.ds.secret_path.clone(),
            credentials::json(store),
            store,
            stage,
        );
        credentials::secret_output(
            &mut outputs,
            store,
            "Key Vault",
            "azurerm_key_vault_secret",
            "versionless_id",
        );
    }
    body.extend(credentials::random_password_locals(&stage.in_cluster));
    files.push(("credentials.tf", body));
    files.push(("outputs.tf", outputs));
    files
}
