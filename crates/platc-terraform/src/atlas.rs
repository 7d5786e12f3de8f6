//! MongoDB Atlas for managed MongoDB (`[platform] managed-mongodb = "atlas"`, the default on
//! GCP), on any of the three clouds, with provider `mongodb/mongodbatlas`.
//!
//! Per store: a dedicated replica set (`mongodbatlas_advanced_cluster`) in the platform's cloud
//! and region, its backup schedule (`mongodbatlas_cloud_backup_schedule`) and the service's
//! database user. The cloud module writes the user's password (an ephemeral random password)
//! into its secret manager with a write-only argument; the user gets the same value through
//! `password_wo` (provider 2.16): never in a plan or the state.
//!
//! Decisions:
//! - Size: `instance` is the Atlas tier (default `M10`, the smallest dedicated tier, which
//!   backups and point-in-time restore need); `storage` is the disk size, auto-scaled upwards.
//! - Nodes: Atlas replica sets have 3, 5 or 7 electable nodes; `replicas` is rounded up to the
//!   next of these (a comment says so). Every node is in the platform's region (Atlas spreads
//!   them over its zones).
//! - Security: TLS 1.2 minimum (Atlas accepts no connection without TLS), server-side
//!   JavaScript off, termination protection, encryption at rest by Atlas. Network access only
//!   from the address ranges in `var.atlas_access_cidrs` (validated: never `/0`); with none,
//!   nothing can connect. Private endpoints / peering are not generated: give their ranges
//!   to the access list when you add them.
//! - Backups: cloud backups with continuous point-in-time restore over the store's retention
//!   (at most 7 days of restore window are kept hourly-exact when the retention is longer),
//!   snapshots on the store's schedule kept for the retention.
//! - Users: Atlas users belong to the project and apply to every cluster in it unless scoped;
//!   each user is scoped to its own cluster and has `readWrite` on its database only.

use platc_ir::Cloud;

use crate::hcl::{res, var, Block, Body, Expr, Key, Ref};
use crate::names::{clamp, cloud_name, daily_time, sub_hourly};
use crate::{notes, EmitError, Stage, Store};

/// The smallest dedicated tier: backups, point-in-time restore and disk auto-scaling need it.
const DEFAULT_TIER: &str = "M10";

/// Whether `store` runs on MongoDB Atlas.
pub(crate) fn is_atlas(store: &Store) -> bool {
    store.ds.srv
}

/// Whether the stage has a store on Atlas.
pub(crate) fn in_stage(stage: &Stage) -> bool {
    stage.has(is_atlas)
}

/// The `mongodbatlas` entry of `required_providers`.
pub(crate) fn required_provider(p: &mut Body) {
    p.comment("2.16: mongodbatlas_database_user.password_wo (write-only password).");
    p.attr(
        "mongodbatlas",
        Expr::object(vec![
            ("source", "mongodb/mongodbatlas".into()),
            ("version", "~> 2.16".into()),
        ]),
    );
}

/// `atlas_project_id` and `atlas_access_cidrs`.
pub(crate) fn variables(stage: &Stage) -> Body {
    let mut f = Body::new();
    f.block(Block::new("variable").label("atlas_project_id").with(|b| {
        b.attr(
            "description",
            "MongoDB Atlas project of the stage's MongoDB clusters and database users (24 hex digits; platform.toml: [platform.identity] atlas-project-id).",
        );
        b.attr("type", Expr::Raw("string"));
        if let Some(id) = stage.atlas_project_id {
            b.attr("default", id);
        }
        b.blank();
        b.block(Block::new("validation").with(|v| {
            v.attr(
                "condition",
                Expr::Raw("can(regex(\"^[0-9a-f]{24}$\", var.atlas_project_id))"),
            );
            v.attr(
                "error_message",
                "atlas_project_id is 24 lower-case hex digits.",
            );
        }));
    }));
    f.blank();
    crate::cidr_list_variable(
        &mut f,
        "atlas_access_cidrs",
        "Address ranges that may connect to the stage's Atlas clusters: the cluster's egress (NAT) addresses, or the ranges of a private endpoint or peering. Empty: nothing can connect.",
        "alltrue([for c in var.atlas_access_cidrs : can(cidrhost(c, 0)) && !endswith(c, \"/0\")])",
    );
    f.blank();
    f
}

/// The provider and the stage's IP access list entries.
pub(crate) fn main(stage: &Stage) -> Body {
    let mut f = Body::new();
    f.blank();
    f.comment("Credentials from the environment: MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET (service account),");
    f.comment("or MONGODB_ATLAS_PUBLIC_API_KEY and MONGODB_ATLAS_PRIVATE_API_KEY.");
    f.block(Block::new("provider").label("mongodbatlas"));
    f.blank();
    f.comment(&format!(
        "Who may connect to the Atlas project's clusters (the access list is per project: entries of stage `{}` only).",
        stage.name
    ));
    let id = crate::hcl::Ident::sanitize(stage.name);
    f.block(
        Block::resource("mongodbatlas_project_ip_access_list", &id).with(|b| {
            b.attr("for_each", Expr::Raw("toset(var.atlas_access_cidrs)"));
            b.blank();
            b.attr("project_id", var("atlas_project_id"));
            b.attr("cidr_block", Expr::Raw("each.value"));
            b.attr(
                "comment",
                format!("platc {}/{}", stage.platform, stage.name),
            );
        }),
    );
    f
}

fn provider_name(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Aws => "AWS",
        Cloud::Azure => "AZURE",
        Cloud::Gcp => "GCP",
    }
}

/// Cluster, backup schedule and database user of `store`; `password` is the expression of the
/// ephemeral password the cloud module also writes to its secret manager.
pub(crate) fn render(
    stage: &Stage,
    store: &Store,
    body: &mut Body,
    password: Expr,
) -> Result<(), EmitError> {
    let ds = store.ds;
    let region = stage.atlas_region.ok_or_else(|| {
        EmitError::Ir(format!(
            "no Atlas region name for `{}` (MongoDB {})",
            stage.region, ds.name
        ))
    })?;
    let gib = u32::try_from(store.storage_gib()?).unwrap_or(u32::MAX);
    let (disk, disk_note) = clamp(gib, 10, 4096, "disk_size_gb (from storage)");
    let nodes: u32 = match ds.replicas {
        0..=3 => 3,
        4 | 5 => 5,
        _ => 7,
    };
    let name = cloud_name(&store.parts(stage), 64);
    let cluster = &store.id;
    body.block(
        Block::resource("mongodbatlas_advanced_cluster", cluster).with(|b| {
            b.attr("project_id", var("atlas_project_id"));
            b.attr("name", name.clone());
            b.attr("cluster_type", "REPLICASET");
            b.attr("mongo_db_major_version", ds.version.clone());
            b.attr("termination_protection_enabled", true);
            b.blank();
            b.comment("Cloud backups with continuous point-in-time restore (schedule below).");
            b.attr("backup_enabled", true);
            b.attr("pit_enabled", true);
            b.blank();
            b.comment(&if ds.replicas == nodes {
                format!("replicas = {}: {nodes} electable nodes across the region's zones.", ds.replicas)
            } else {
                format!(
                    "replicas = {}: {nodes} electable nodes across the region's zones (Atlas replica sets have 3, 5 or 7).",
                    ds.replicas
                )
            });
            notes(b, std::slice::from_ref(&disk_note));
            b.attr(
                "replication_specs",
                Expr::List(vec![Expr::object(vec![(
                    "region_configs",
                    Expr::List(vec![Expr::object(vec![
                        ("provider_name", provider_name(stage.cloud).into()),
                        ("region_name", region.into()),
                        ("priority", Expr::Num(7)),
                        (
                            "electable_specs",
                            Expr::object(vec![
                                (
                                    "instance_size",
                                    ds.instance.clone().unwrap_or_else(|| DEFAULT_TIER.into()).into(),
                                ),
                                ("node_count", nodes.into()),
                                ("disk_size_gb", disk.into()),
                            ]),
                        ),
                        (
                            "auto_scaling",
                            Expr::object(vec![
                                ("disk_gb_enabled", true.into()),
                                ("compute_enabled", false.into()),
                            ]),
                        ),
                    ])]),
                )])]),
            );
            b.blank();
            b.comment("TLS 1.2 or newer only (Atlas refuses connections without TLS); no server-side JavaScript.");
            b.attr(
                "advanced_configuration",
                Expr::object(vec![
                    ("minimum_enabled_tls_protocol", "TLS1_2".into()),
                    ("javascript_enabled", false.into()),
                ]),
            );
            b.blank();
            b.attr("tags", tags(stage, store));
        }),
    );
    body.blank();
    backup_schedule(store, body);
    body.comment(&format!(
        "The service's login `{}` (Atlas users belong to the project: scoped to this cluster, readWrite on `{}` only).",
        ds.user, ds.database
    ));
    body.comment("password_wo: the password is never in a plan or the state; the same value is in the secret.");
    body.block(
        Block::resource("mongodbatlas_database_user", cluster).with(|b| {
            b.attr("project_id", var("atlas_project_id"));
            b.attr("username", ds.user.clone());
            b.attr("auth_database_name", "admin");
            b.attr("password_wo", password);
            b.attr("password_wo_version", store.credentials_version());
            b.blank();
            b.block(Block::new("roles").with(|r| {
                r.attr("role_name", "readWrite");
                r.attr("database_name", ds.database.clone());
            }));
            b.blank();
            b.block(Block::new("scopes").with(|s| {
                s.attr(
                    "name",
                    res("mongodbatlas_advanced_cluster", cluster, "name"),
                );
                s.attr("type", "CLUSTER");
            }));
        }),
    );
    body.blank();
    Ok(())
}

fn tags(stage: &Stage, store: &Store) -> Expr {
    Expr::Object(vec![
        (Key::Quoted("managed-by".into()), "platc".into()),
        (Key::Quoted("platc-platform".into()), stage.platform.into()),
        (Key::Quoted("platc-stage".into()), stage.name.into()),
        (Key::Quoted("platc-app".into()), store.app.into()),
        (Key::Quoted("platc-service".into()), store.service.into()),
    ])
}

/// Snapshots on the store's schedule, kept for its retention; point-in-time restore window.
fn backup_schedule(store: &Store, body: &mut Body) {
    let ds = store.ds;
    let days = ds.backup.retention_days.max(1);
    let (window, window_note) = clamp(days, 1, 7, "restore_window_days");
    // Atlas takes hourly snapshots every 1, 2, 4, 6, 8 or 12 hours.
    let runs = ds.backup.runs_per_day;
    let hourly = if sub_hourly(&ds.backup.schedule) || runs >= 24 {
        Some(1u32)
    } else if runs > 1 {
        let every = 24 / runs;
        [12u32, 8, 6, 4, 2, 1].into_iter().find(|h| *h <= every)
    } else {
        None
    };
    body.comment(&format!(
        "Backups for the schedule `{}`, kept {days} day{}.",
        ds.backup.schedule,
        if days == 1 { "" } else { "s" }
    ));
    body.block(
        Block::resource("mongodbatlas_cloud_backup_schedule", &store.id).with(|b| {
            b.attr(
                "project_id",
                res("mongodbatlas_advanced_cluster", &store.id, "project_id"),
            );
            b.attr(
                "cluster_name",
                res("mongodbatlas_advanced_cluster", &store.id, "name"),
            );
            if let Some((h, m)) = daily_time(&ds.backup.schedule) {
                b.attr("reference_hour_of_day", h);
                b.attr("reference_minute_of_hour", m);
            }
            notes(
                b,
                &[window_note.map(|n| format!("{n}: clamped; snapshots cover the rest."))],
            );
            b.attr("restore_window_days", window);
            if let Some(every) = hourly {
                b.blank();
                b.block(Block::new("policy_item_hourly").with(|p| {
                    p.attr("frequency_interval", every);
                    p.attr("retention_unit", "days");
                    p.attr("retention_value", days);
                }));
            }
            b.blank();
            b.block(Block::new("policy_item_daily").with(|p| {
                p.attr("frequency_interval", 1u32);
                p.attr("retention_unit", "days");
                p.attr("retention_value", days);
            }));
        }),
    );
    body.blank();
}

/// The SRV host name of the cluster (`mongodb+srv://<host>` without the scheme).
fn srv_host(store: &Store) -> Expr {
    Expr::Call(
        "trimprefix",
        vec![standard_srv(store), "mongodb+srv://".into()],
    )
}

/// The secret's JSON: what the pod reads (`host`, `password`) and the rest of the connection.
pub(crate) fn secret_json(store: &Store, password: Expr) -> Expr {
    let ds = store.ds;
    Expr::Call(
        "jsonencode",
        vec![Expr::object(vec![
            ("engine", "mongodb".into()),
            ("host", srv_host(store)),
            ("srv", true.into()),
            ("port", Expr::from(ds.port)),
            ("dbname", ds.database.clone().into()),
            ("username", ds.user.clone().into()),
            ("password", password),
            ("authSource", "admin".into()),
            ("tls", true.into()),
        ])],
    )
}

/// The store's output: the SRV connection string (no credentials) and the secret id.
pub(crate) fn output(store: &Store, body: &mut Body, secret_id: Expr, manager: &str) {
    crate::store_output(
        body,
        store,
        &format!("Atlas SRV connection string and {manager} secret id"),
        vec![
            ("connection_string", standard_srv(store)),
            (
                "cluster_id",
                res("mongodbatlas_advanced_cluster", &store.id, "cluster_id"),
            ),
            ("secret_id", secret_id),
        ],
    );
}

/// `mongodbatlas_advanced_cluster.<id>.connection_strings.standard_srv`: the cluster's
/// `mongodb+srv://` address.
fn standard_srv(store: &Store) -> Expr {
    Expr::Ref(
        Ref::root("mongodbatlas_advanced_cluster")
            .ident(&store.id)
            .attr("connection_strings")
            .attr("standard_srv"),
    )
}
