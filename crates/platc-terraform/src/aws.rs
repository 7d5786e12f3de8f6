//! AWS: RDS for PostgreSQL/MySQL, DocumentDB for MongoDB, ElastiCache (Redis OSS / Valkey)
//! for Redis, Secrets Manager for the credentials. Validated offline against hashicorp/aws
//! 5.100 (see the crate's integration test).
//!
//! Decisions:
//! - High availability: `replicas` counts instances. 1 = single-AZ; 2 = Multi-AZ (a synchronous
//!   standby in another AZ, automatic failover); n > 2 = Multi-AZ plus n − 2 read replicas
//!   (asynchronous, readable, reader endpoints in the outputs). No Aurora, and no Multi-AZ DB
//!   *cluster* (that needs exactly three instances of a restricted set of classes and io1/io2/gp3
//!   storage); a Multi-AZ instance works for every engine version and class platc accepts.
//! - Master passwords: `manage_master_user_password = true` (RDS, DocumentDB): the service keeps
//!   the password in its own Secrets Manager secret and rotates it; it is never in the state.
//! - The service's own login (`DataStoreIr.user`): a Secrets Manager secret named `secret_path`
//!   whose password comes from an ephemeral `aws_secretsmanager_random_password` and is written
//!   with `secret_string_wo` (never in plan or state). The login itself is created inside the
//!   database by the service's schema bootstrap (the AWS provider cannot run SQL). RDS also
//!   has IAM database authentication enabled, with a policy per store granting `rds-db:connect`.
//! - ElastiCache: RBAC with IAM authentication (user id = user name), the built-in `default`
//!   user replaced by a disabled one. ElastiCache has no write-only password argument in
//!   provider 5.x, so a password (AUTH token or RBAC password) would sit in the state.

use crate::atlas;
use crate::credentials;
use crate::hcl::{res, var, Block, Body, Expr, Ident, Key, Part, Ref};
use crate::names::{clamp, cloud_name, daily_time, day_hhmm, hhmm};
use crate::{notes, owner_pairs, EmitError, Files, Stage, Store};
use platc_ir::Engine;

/// What raising a store's entry of `var.credentials_versions` does here.
const VERSIONS_DESCRIPTION: &str =
    "Write-only version of each store's credentials secret, by \"<app>/<store>\" (default 1). Raise one to write a new generated password, then update the login in the database.";

/// Default instance classes (Graviton, general purpose / memory optimised, current generation).
const RDS_DEFAULT_CLASS: &str = "db.m7g.large";
const DOCDB_DEFAULT_CLASS: &str = "db.r6g.large";
const CACHE_DEFAULT_NODE: &str = "cache.m7g.large";
/// Current RDS/DocumentDB certificate authority.
const CA_CERT: &str = "rds-ca-rsa2048-g1";
const MASTER_USER: &str = "dbadmin";

fn id(s: &str) -> Ident {
    Ident::sanitize(s)
}

fn data(kind: &'static str, attr: &'static str) -> Expr {
    Expr::Ref(Ref::root("data").attr(kind).attr("current").attr(attr))
}

fn kms_arn() -> Expr {
    res("aws_kms_key", &id("data"), "arn")
}

fn lit(s: impl Into<String>) -> Part {
    Part::Lit(s.into())
}

fn interp(e: Expr) -> Part {
    Part::Interp(e)
}

/// `arn:<partition>:<service>:<region>:<account>:<rest...>`.
fn arn(service: &str, rest: Vec<Part>) -> Expr {
    let mut parts = vec![
        lit("arn:"),
        interp(data("aws_partition", "partition")),
        lit(format!(":{service}:")),
        interp(data("aws_region", "name")),
        lit(":"),
        interp(data("aws_caller_identity", "account_id")),
        lit(":"),
    ];
    parts.extend(rest);
    Expr::Template(parts)
}

fn tags(store: &Store) -> Expr {
    Expr::Object(
        owner_pairs(store)
            .into_iter()
            .map(|(k, v)| (Key::Quoted(format!("platc.dev/{k}")), Expr::Str(v)))
            .collect(),
    )
}

/// `"<base>-${count.index + 1}"`.
fn counted_name(base: &str) -> Expr {
    Expr::Template(vec![
        lit(format!("{base}-")),
        interp(Expr::Bin(
            Box::new(Expr::Ref(Ref::root("count").attr("index"))),
            "+",
            Box::new(Expr::Num(1)),
        )),
    ])
}

fn policy(statements: Vec<Expr>) -> Expr {
    Expr::Call(
        "jsonencode",
        vec![Expr::object(vec![
            ("Version", "2012-10-17".into()),
            ("Statement", Expr::List(statements)),
        ])],
    )
}

pub fn render(stage: &Stage) -> Result<Files, EmitError> {
    let mut databases = Body::file();
    let mut secrets = Body::file();
    let mut outputs = Body::file();
    let mut locals = Body::new();
    for store in &stage.stores {
        match store.ds.engine {
            Engine::Postgresql | Engine::Mysql => rds(stage, store, &mut databases)?,
            Engine::Mongodb if atlas::is_atlas(store) => {
                section(store, &mut databases);
                let password = Expr::Ref(Ref::root("local").ident(&store.id.suffixed("password")));
                atlas::render(stage, store, &mut databases, password)?;
                secret(stage, store, &mut secrets, &mut locals);
                atlas::output(
                    store,
                    &mut outputs,
                    res("aws_secretsmanager_secret", &store.id, "arn"),
                    "Secrets Manager",
                );
                continue;
            }
            Engine::Mongodb => docdb(stage, store, &mut databases),
            Engine::Redis => elasticache(stage, store, &mut databases),
        }
        access_policy(stage, store, &mut databases);
        secret(stage, store, &mut secrets, &mut locals);
        output(store, &mut outputs);
    }
    if !locals.is_empty() {
        secrets.block(Block::new("locals").with(|b| {
            b.comment("Ephemeral: these values are never written to a plan or the state.");
            b.extend(locals);
        }));
    }
    let atlas = atlas::in_stage(stage);
    let mut variables = variables();
    if atlas {
        // Atlas's variables first here (Azure and GCP put them before credentials_versions).
        let mut first = atlas::variables(stage);
        first.extend(variables);
        variables = first;
    }
    Ok(vec![
        ("versions.tf", versions(atlas)),
        ("variables.tf", variables),
        ("main.tf", main(stage)),
        ("databases.tf", databases),
        ("secrets.tf", secrets),
        ("outputs.tf", outputs),
    ])
}

fn versions(atlas: bool) -> Body {
    let mut f = Body::new();
    f.block(Block::new("terraform").with(|b| {
        b.comment(
            "1.11: ephemeral resources and write-only arguments keep passwords out of the state.",
        );
        b.attr("required_version", ">= 1.11.0");
        b.blank();
        b.block(Block::new("required_providers").with(|p| {
            p.attr(
                "aws",
                Expr::object(vec![
                    ("source", "hashicorp/aws".into()),
                    ("version", "~> 5.100".into()),
                ]),
            );
            if atlas {
                crate::atlas::required_provider(p);
            }
        }));
    }));
    f
}

fn variables() -> Body {
    let mut f = Body::new();
    f.block(Block::new("variable").label("vpc_id").with(|b| {
        b.attr(
            "description",
            "VPC of the stage's data stores (the cluster's VPC).",
        );
        b.attr("type", Expr::Raw("string"));
    }));
    f.blank();
    f.block(Block::new("variable").label("subnet_ids").with(|b| {
        b.attr(
            "description",
            "Private subnets in at least two availability zones for the data stores; no route to an internet gateway.",
        );
        b.attr("type", Expr::Raw("list(string)"));
        b.blank();
        b.block(Block::new("validation").with(|v| {
            v.attr("condition", Expr::Raw("length(var.subnet_ids) >= 2"));
            v.attr(
                "error_message",
                "subnet_ids needs subnets in at least two availability zones.",
            );
        }));
    }));
    f.blank();
    f.block(Block::new("variable").label("client_security_group_ids").with(|b| {
        b.attr(
            "description",
            "Security groups of the cluster's nodes (or pods) that may reach the stores, on each store's port only.",
        );
        b.attr("type", Expr::Raw("list(string)"));
        b.attr("default", Expr::List(vec![]));
    }));
    f.blank();
    crate::cidr_list_variable(
        &mut f,
        "client_cidr_blocks",
        "Address ranges (e.g. the cluster's pod and node ranges) that may reach the stores, on each store's port only.",
        "alltrue([for c in var.client_cidr_blocks : can(cidrhost(c, 0)) && !endswith(c, \"/0\")])",
    );
    f.blank();
    f.extend(credentials::versions_variable(VERSIONS_DESCRIPTION));
    f
}

fn main(stage: &Stage) -> Body {
    let mut f = Body::new();
    f.block(Block::new("provider").label("aws").with(|b| {
        b.attr("region", stage.region);
        b.blank();
        b.block(Block::new("default_tags").with(|d| {
            d.attr(
                "tags",
                Expr::Object(vec![
                    (Key::Quoted("managed-by".into()), "platc".into()),
                    (
                        Key::Quoted("platc.dev/platform".into()),
                        stage.platform.into(),
                    ),
                    (Key::Quoted("platc.dev/stage".into()), stage.name.into()),
                ]),
            );
        }));
    }));
    f.blank();
    for kind in ["aws_caller_identity", "aws_partition", "aws_region"] {
        f.block(Block::new("data").label(kind).label("current"));
        f.blank();
    }
    let prefix = format!("platc {}/{}", stage.platform, stage.name);
    f.comment("One customer-managed key for the stage's stores, snapshots, Performance Insights and secrets.");
    f.block(Block::resource("aws_kms_key", &id("data")).with(|b| {
        b.attr(
            "description",
            format!("{prefix}: databases, caches and their secrets"),
        );
        b.attr("enable_key_rotation", true);
        b.attr("deletion_window_in_days", 30u32);
        b.attr(
            "policy",
            policy(vec![Expr::object(vec![
                ("Sid", "AccountAdministersTheKey".into()),
                ("Effect", "Allow".into()),
                (
                    "Principal",
                    Expr::object(vec![(
                        "AWS",
                        Expr::Template(vec![
                            lit("arn:"),
                            interp(data("aws_partition", "partition")),
                            lit(":iam::"),
                            interp(data("aws_caller_identity", "account_id")),
                            lit(":root"),
                        ]),
                    )]),
                ),
                ("Action", "kms:*".into()),
                ("Resource", "*".into()),
            ])]),
        );
    }));
    f.blank();
    f.block(Block::resource("aws_kms_alias", &id("data")).with(|b| {
        b.attr(
            "name",
            format!(
                "alias/{}",
                cloud_name(&[stage.platform, stage.name, "data"], 200)
            ),
        );
        b.attr("target_key_id", res("aws_kms_key", &id("data"), "key_id"));
    }));
    let rds = stage.has(|s| matches!(s.ds.engine, Engine::Postgresql | Engine::Mysql));
    let docdb = stage.has(|s| s.ds.engine == Engine::Mongodb && !atlas::is_atlas(s));
    let cache = stage.has(|s| s.ds.engine == Engine::Redis);
    let groups: [(bool, &'static str, &str, &str); 3] = [
        (rds, "aws_db_subnet_group", "databases", "RDS databases"),
        (
            docdb,
            "aws_docdb_subnet_group",
            "documentdb",
            "DocumentDB clusters",
        ),
        (
            cache,
            "aws_elasticache_subnet_group",
            "caches",
            "ElastiCache caches",
        ),
    ];
    for (wanted, kind, name, what) in groups {
        if !wanted {
            continue;
        }
        f.blank();
        f.block(Block::resource(kind, &id(name)).with(|b| {
            b.attr("name", cloud_name(&[stage.platform, stage.name, name], 255));
            b.attr(
                "description",
                format!("{prefix}: private subnets of the {what}"),
            );
            b.attr("subnet_ids", var("subnet_ids"));
        }));
    }
    if rds {
        f.blank();
        f.comment("Enhanced Monitoring: RDS publishes OS metrics with this role.");
        f.block(
            Block::resource("aws_iam_role", &id("rds_monitoring")).with(|b| {
                b.attr(
                    "name",
                    cloud_name(&[stage.platform, stage.name, "rds-monitoring"], 64),
                );
                b.attr(
                    "assume_role_policy",
                    policy(vec![Expr::object(vec![
                        ("Effect", "Allow".into()),
                        (
                            "Principal",
                            Expr::object(vec![("Service", "monitoring.rds.amazonaws.com".into())]),
                        ),
                        ("Action", "sts:AssumeRole".into()),
                    ])]),
                );
            }),
        );
        f.blank();
        f.block(
            Block::resource("aws_iam_role_policy_attachment", &id("rds_monitoring")).with(|b| {
                b.attr("role", res("aws_iam_role", &id("rds_monitoring"), "name"));
                b.attr(
                    "policy_arn",
                    Expr::Template(vec![
                        lit("arn:"),
                        interp(data("aws_partition", "partition")),
                        lit(":iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"),
                    ]),
                );
            }),
        );
    }
    f
}

/// The security group of one store: its port, from the cluster's clients only.
fn security_group(stage: &Stage, store: &Store, body: &mut Body) {
    let name = cloud_name(&store.parts(stage), 255);
    body.block(Block::resource("aws_security_group", &store.id).with(|b| {
        b.attr("name", name);
        b.attr(
            "description",
            format!(
                "{} of {}: reachable from the cluster's clients on its port only",
                store.engine_word(),
                store.owner()
            ),
        );
        b.attr("vpc_id", var("vpc_id"));
        b.attr("tags", tags(store));
        b.blank();
        b.block(Block::new("ingress").with(|i| {
            i.attr("description", format!("{} clients", store.engine_word()));
            i.attr("from_port", store.ds.port);
            i.attr("to_port", store.ds.port);
            i.attr("protocol", "tcp");
            i.attr("security_groups", var("client_security_group_ids"));
            i.attr("cidr_blocks", var("client_cidr_blocks"));
        }));
    }));
    body.blank();
}

fn section(store: &Store, body: &mut Body) {
    body.comment(&format!(
        "--- {} {} {} of {} ({} replica{}) ---",
        store.engine_word(),
        store.ds.version,
        match store.role {
            crate::Role::Database => "database",
            crate::Role::Cache => "cache",
        },
        store.owner(),
        store.ds.replicas,
        if store.ds.replicas == 1 { "" } else { "s" }
    ));
    body.blank();
}

fn rds(stage: &Stage, store: &Store, body: &mut Body) -> Result<(), EmitError> {
    let ds = store.ds;
    let postgres = ds.engine == Engine::Postgresql;
    let (engine, family, logs, params): (&str, String, Vec<&str>, Vec<(&str, &str)>) = if postgres {
        (
            "postgres",
            format!("postgres{}", ds.version),
            vec!["postgresql", "upgrade"],
            vec![
                ("rds.force_ssl", "1"),
                ("log_connections", "1"),
                ("log_disconnections", "1"),
                ("log_statement", "ddl"),
                ("log_min_duration_statement", "1000"),
            ],
        )
    } else {
        (
            "mysql",
            format!("mysql{}", ds.version),
            vec!["error", "slowquery"],
            vec![
                ("require_secure_transport", "1"),
                ("slow_query_log", "1"),
                ("long_query_time", "1"),
            ],
        )
    };
    // Room for `-replica-N`.
    let base = cloud_name(&store.parts(stage), 53);
    let requested = store.storage_gib()?;
    let gib = u32::try_from(requested).unwrap_or(u32::MAX);
    let (storage, storage_note) = clamp(gib, 20, 65536, "allocated_storage (GiB, gp3)");
    let (retention, retention_note) =
        clamp(ds.backup.retention_days, 1, 35, "backup retention (days)");
    let class = ds
        .instance
        .clone()
        .unwrap_or_else(|| RDS_DEFAULT_CLASS.to_string());

    section(store, body);
    security_group(stage, store, body);
    body.block(
        Block::resource("aws_db_parameter_group", &store.id).with(|b| {
            b.attr("name", base.clone());
            b.attr("family", family);
            b.attr(
                "description",
                format!(
                    "{engine} of {}: TLS only, connection and slow statement logging",
                    store.owner()
                ),
            );
            b.attr("tags", tags(store));
            for (name, value) in &params {
                b.blank();
                b.block(Block::new("parameter").with(|p| {
                    p.attr("name", *name);
                    p.attr("value", *value);
                }));
            }
        }),
    );
    body.blank();
    let common = |b: &mut Body| {
        b.attr("instance_class", class.clone());
        b.attr("port", ds.port);
        b.attr("storage_encrypted", true);
        b.attr("kms_key_id", kms_arn());
        b.attr("publicly_accessible", false);
        b.attr(
            "vpc_security_group_ids",
            Expr::List(vec![res("aws_security_group", &store.id, "id")]),
        );
        b.attr(
            "parameter_group_name",
            res("aws_db_parameter_group", &store.id, "name"),
        );
        b.attr("ca_cert_identifier", CA_CERT);
        b.attr("iam_database_authentication_enabled", true);
        b.blank();
        b.attr("enabled_cloudwatch_logs_exports", Expr::strs(&logs));
        b.attr("monitoring_interval", 60u32);
        b.attr(
            "monitoring_role_arn",
            res("aws_iam_role", &Ident::sanitize("rds_monitoring"), "arn"),
        );
        b.attr("performance_insights_enabled", true);
        b.attr("performance_insights_kms_key_id", kms_arn());
        b.attr("performance_insights_retention_period", 7u32);
        b.blank();
        b.attr("auto_minor_version_upgrade", true);
        b.attr("allow_major_version_upgrade", false);
        b.attr("apply_immediately", false);
        b.attr("copy_tags_to_snapshot", true);
        b.attr("deletion_protection", true);
    };
    body.block(Block::resource("aws_db_instance", &store.id).with(|b| {
        b.attr("identifier", base.clone());
        b.attr("engine", engine);
        b.comment("Major version only: RDS picks the newest minor and upgrades minors in the maintenance window.");
        b.attr("engine_version", ds.version.clone());
        b.attr("db_name", ds.database.clone());
        b.attr("username", MASTER_USER);
        b.comment("The master password is generated, stored and rotated by RDS in Secrets Manager: never in the state.");
        b.attr("manage_master_user_password", true);
        b.attr("master_user_secret_kms_key_id", kms_arn());
        b.blank();
        notes(b, std::slice::from_ref(&storage_note));
        b.attr("allocated_storage", storage);
        b.attr("storage_type", "gp3");
        b.attr("db_subnet_group_name", res("aws_db_subnet_group", &Ident::sanitize("databases"), "name"));
        b.blank();
        if ds.replicas > 1 {
            b.comment("replicas > 1: a synchronous standby in a second availability zone with automatic failover.");
        } else {
            b.comment("replicas = 1: single instance; declare replicas = 2 or more for a Multi-AZ standby.");
            b.checkov_skip("CKV_AWS_157", "replicas = 1 in platform.toml: single-AZ by declaration; replicas > 1 turns on Multi-AZ");
        }
        b.attr("multi_az", ds.replicas > 1);
        b.blank();
        backup_comment(b, &ds.backup.schedule, retention_note.as_deref());
        b.attr("backup_retention_period", retention);
        backup_windows(b, &ds.backup.schedule, "backup_window", "maintenance_window");
        b.attr("delete_automated_backups", false);
        b.attr("skip_final_snapshot", false);
        b.attr("final_snapshot_identifier", format!("{base}-final"));
        b.blank();
        common(b);
        b.attr("tags", tags(store));
    }));
    body.blank();
    if ds.replicas > 2 {
        body.comment(&format!(
            "Read replicas: replicas = {} is the Multi-AZ pair plus {} asynchronous, readable cop{}.",
            ds.replicas,
            ds.replicas - 2,
            if ds.replicas == 3 { "y" } else { "ies" }
        ));
        let replica = store.id.suffixed("replica");
        body.block(Block::resource("aws_db_instance", &replica).with(|b| {
            b.attr("count", ds.replicas - 2);
            b.attr("identifier", counted_name(&format!("{base}-replica")));
            b.attr("replicate_source_db", res("aws_db_instance", &store.id, "identifier"));
            b.checkov_skip("CKV_AWS_157", "read replica: availability comes from the Multi-AZ primary; the replica only adds read capacity");
            b.attr("multi_az", false);
            b.checkov_skip("CKV_AWS_133", "read replica: backups are taken on the primary, which keeps the declared retention");
            b.attr("backup_retention_period", 0u32);
            b.attr("skip_final_snapshot", true);
            b.blank();
            common(b);
            b.attr("tags", tags(store));
        }));
        body.blank();
    }
    Ok(())
}

/// For a daily schedule: the backup window (its half hour) and the weekly maintenance window
/// (the hour after), under the attribute names of the resource (RDS, DocumentDB).
fn backup_windows(b: &mut Body, schedule: &str, backup: &'static str, maintenance: &'static str) {
    if let Some((h, m)) = daily_time(schedule) {
        let start = h * 60 + m;
        b.attr(backup, format!("{}-{}", hhmm(start), hhmm(start + 30)));
        b.attr(
            maintenance,
            format!("{}-{}", day_hhmm(start + 60), day_hhmm(start + 120)),
        );
    }
}

fn backup_comment(b: &mut Body, schedule: &str, clamp_note: Option<&str>) {
    if let Some(n) = clamp_note {
        b.comment(&format!("{n}: clamped."));
    }
    match daily_time(schedule) {
        Some(_) => b.comment(&format!(
            "Daily automated backups plus continuous point-in-time recovery; the window starts at the time of the schedule `{schedule}` (UTC)."
        )),
        None => b.comment(&format!(
            "Automated backups are daily plus continuous point-in-time recovery, which covers the schedule `{schedule}`; AWS picks the window."
        )),
    };
}

fn docdb(stage: &Stage, store: &Store, body: &mut Body) {
    let ds = store.ds;
    let base = cloud_name(&store.parts(stage), 60);
    let (retention, retention_note) =
        clamp(ds.backup.retention_days, 1, 35, "backup retention (days)");
    let class = ds
        .instance
        .clone()
        .unwrap_or_else(|| DOCDB_DEFAULT_CLASS.to_string());

    section(store, body);
    security_group(stage, store, body);
    body.block(
        Block::resource("aws_docdb_cluster_parameter_group", &store.id).with(|b| {
            b.attr("name", base.clone());
            b.attr("family", "docdb5.0");
            b.attr(
                "description",
                format!(
                    "DocumentDB of {}: TLS only, audit and profiler logs",
                    store.owner()
                ),
            );
            b.attr("tags", tags(store));
            for (name, value) in [
                ("tls", "enabled"),
                ("audit_logs", "enabled"),
                ("profiler", "enabled"),
            ] {
                b.blank();
                b.block(Block::new("parameter").with(|p| {
                    p.attr("name", name);
                    p.attr("value", value);
                    p.attr("apply_method", "pending-reboot");
                }));
            }
        }),
    );
    body.blank();
    body.block(Block::resource("aws_docdb_cluster", &store.id).with(|b| {
        b.attr("cluster_identifier", base.clone());
        b.attr("engine", "docdb");
        b.comment(&format!(
            "MongoDB {} requested: DocumentDB 5.0 is the newest engine, compatible with the MongoDB 5.0 API (a subset; check the drivers' features).",
            ds.version
        ));
        b.attr("engine_version", "5.0.0");
        b.attr("port", ds.port);
        b.attr("master_username", MASTER_USER);
        b.comment("The master password is generated, stored and rotated by DocumentDB in Secrets Manager.");
        b.attr("manage_master_user_password", true);
        b.blank();
        b.comment(&format!(
            "Storage grows automatically; the declared {} is not a limit here.",
            ds.storage
        ));
        b.attr("storage_encrypted", true);
        b.attr("kms_key_id", kms_arn());
        b.attr("db_subnet_group_name", res("aws_docdb_subnet_group", &Ident::sanitize("documentdb"), "name"));
        b.attr("vpc_security_group_ids", Expr::List(vec![res("aws_security_group", &store.id, "id")]));
        b.attr(
            "db_cluster_parameter_group_name",
            res("aws_docdb_cluster_parameter_group", &store.id, "name"),
        );
        b.attr("enabled_cloudwatch_logs_exports", Expr::strs(&["audit", "profiler"]));
        b.blank();
        backup_comment(b, &ds.backup.schedule, retention_note.as_deref());
        b.attr("backup_retention_period", retention);
        backup_windows(
            b,
            &ds.backup.schedule,
            "preferred_backup_window",
            "preferred_maintenance_window",
        );
        b.attr("deletion_protection", true);
        b.attr("skip_final_snapshot", false);
        b.attr("final_snapshot_identifier", format!("{base}-final"));
        b.attr("apply_immediately", false);
        b.attr("tags", tags(store));
    }));
    body.blank();
    body.comment(&format!(
        "replicas = {}: one primary{}; DocumentDB fails over to a replica in another zone.",
        ds.replicas,
        if ds.replicas > 1 {
            format!(" and {} replica instance(s)", ds.replicas - 1)
        } else {
            String::new()
        }
    ));
    body.block(
        Block::resource("aws_docdb_cluster_instance", &store.id).with(|b| {
            b.attr("count", ds.replicas);
            b.attr("identifier", counted_name(&base));
            b.attr(
                "cluster_identifier",
                res("aws_docdb_cluster", &store.id, "id"),
            );
            b.attr("instance_class", class);
            b.attr("ca_cert_identifier", CA_CERT);
            b.attr("auto_minor_version_upgrade", true);
            b.attr("enable_performance_insights", true);
            b.attr("performance_insights_kms_key_id", kms_arn());
            b.attr("copy_tags_to_snapshot", true);
            b.attr("apply_immediately", false);
            b.attr("tags", tags(store));
        }),
    );
    body.blank();
}

/// ElastiCache engine, version and default parameter group for a Redis version.
fn cache_engine(
    version: &str,
) -> (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
) {
    match version {
        "7.0" => ("redis", "7.0", "default.redis7", None),
        "7.2" => (
            "valkey",
            "7.2",
            "default.valkey7",
            Some("Redis 7.2 requested: ElastiCache's Redis OSS ends at 7.1; Valkey 7.2 is the Redis 7.2.4 code base."),
        ),
        _ => (
            "valkey",
            "8.0",
            "default.valkey8",
            Some("Redis 7.4 is not offered by ElastiCache: Valkey 8.0 serves the Redis 7.2 API (without 7.4's hash-field expiry)."),
        ),
    }
}

fn elasticache(stage: &Stage, store: &Store, body: &mut Body) {
    let ds = store.ds;
    let group = cloud_name(&store.parts(stage), 40);
    let (engine, version, params, version_note) = cache_engine(&ds.version);
    let (retention, retention_note) =
        clamp(ds.backup.retention_days, 1, 35, "snapshot retention (days)");
    let node = ds
        .instance
        .clone()
        .unwrap_or_else(|| CACHE_DEFAULT_NODE.to_string());
    let default_user = store.id.suffixed("default");
    let app_user = store.id.suffixed("app");
    let user_name = cloud_name(&store.parts(stage), 40);
    let default_user_id = cloud_name(&[&group, "default"], 40);

    section(store, body);
    security_group(stage, store, body);
    body.comment(
        "ElastiCache's built-in `default` user (no password) is replaced by a disabled one.",
    );
    body.block(
        Block::resource("aws_elasticache_user", &default_user).with(|b| {
            b.attr("user_id", default_user_id);
            b.attr("user_name", "default");
            b.attr("engine", engine);
            b.attr("access_string", "off -@all");
            b.attr("tags", tags(store));
            b.blank();
            b.block(Block::new("authentication_mode").with(|a| {
                a.attr("type", "no-password-required");
            }));
        }),
    );
    body.blank();
    body.comment("The service's login: IAM authentication (a SigV4 token from the workload's role), no password anywhere.");
    body.block(
        Block::resource("aws_elasticache_user", &app_user).with(|b| {
            b.attr("user_id", user_name.clone());
            b.attr("user_name", user_name.clone());
            b.attr("engine", engine);
            b.attr("access_string", "on ~* &* +@all");
            b.attr("tags", tags(store));
            b.blank();
            b.block(Block::new("authentication_mode").with(|a| {
                a.attr("type", "iam");
            }));
        }),
    );
    body.blank();
    body.block(
        Block::resource("aws_elasticache_user_group", &store.id).with(|b| {
            b.attr("user_group_id", group.clone());
            b.attr("engine", engine);
            b.attr(
                "user_ids",
                Expr::List(vec![
                    res("aws_elasticache_user", &default_user, "user_id"),
                    res("aws_elasticache_user", &app_user, "user_id"),
                ]),
            );
            b.attr("tags", tags(store));
        }),
    );
    body.blank();
    body.block(Block::resource("aws_elasticache_replication_group", &store.id).with(|b| {
        b.attr("replication_group_id", group.clone());
        b.attr("description", format!("redis cache of {}", store.owner()));
        notes(b, &[version_note.map(str::to_string)]);
        b.attr("engine", engine);
        b.attr("engine_version", version);
        b.attr("parameter_group_name", params);
        b.attr("node_type", node);
        b.attr("port", ds.port);
        b.blank();
        b.comment(&format!(
            "replicas = {}: {}",
            ds.replicas,
            if ds.replicas > 1 {
                "a primary and replicas in other zones, automatic failover"
            } else {
                "a single node, no failover"
            }
        ));
        if ds.replicas == 1 {
            b.checkov_skip("CKV2_AWS_50", "replicas = 1 in platform.toml: a single node by declaration; replicas > 1 turns on Multi-AZ failover");
        }
        b.attr("num_cache_clusters", ds.replicas);
        b.attr("automatic_failover_enabled", ds.replicas > 1);
        b.attr("multi_az_enabled", ds.replicas > 1);
        b.blank();
        b.attr("subnet_group_name", res("aws_elasticache_subnet_group", &Ident::sanitize("caches"), "name"));
        b.attr("security_group_ids", Expr::List(vec![res("aws_security_group", &store.id, "id")]));
        b.attr("at_rest_encryption_enabled", true);
        b.attr("kms_key_id", kms_arn());
        b.attr("transit_encryption_enabled", true);
        b.attr("transit_encryption_mode", "required");
        b.attr(
            "user_group_ids",
            Expr::List(vec![res("aws_elasticache_user_group", &store.id, "user_group_id")]),
        );
        b.checkov_skip("CKV_AWS_31", "authentication is RBAC with IAM users (user_group_ids); an AUTH token would be a password in the state");
        b.blank();
        if let Some(n) = &retention_note {
            b.comment(&format!("{n}: clamped."));
        }
        match daily_time(&ds.backup.schedule) {
            Some((h, m)) => {
                let start = h * 60 + m;
                b.comment(&format!(
                    "Daily snapshot at the time of the schedule `{}` (UTC).",
                    ds.backup.schedule
                ));
                b.attr("snapshot_retention_limit", retention);
                b.attr("snapshot_window", format!("{}-{}", hhmm(start), hhmm(start + 60)));
                b.attr(
                    "maintenance_window",
                    format!("{}-{}", day_hhmm(start + 120), day_hhmm(start + 180)),
                );
            }
            None => {
                b.comment(&format!(
                    "ElastiCache snapshots at most daily: the schedule `{}` becomes one daily snapshot in a window AWS picks.",
                    ds.backup.schedule
                ));
                b.attr("snapshot_retention_limit", retention);
            }
        }
        b.attr("final_snapshot_identifier", format!("{group}-final"));
        b.attr("auto_minor_version_upgrade", true);
        b.attr("apply_immediately", false);
        b.attr("tags", tags(store));
    }));
    body.blank();
}

/// Read the store's credentials secret and decrypt it through Secrets Manager.
fn read_statements(store: &Store) -> Vec<Expr> {
    vec![
        Expr::object(vec![
            ("Sid", "ReadCredentials".into()),
            ("Effect", "Allow".into()),
            (
                "Action",
                Expr::strs(&[
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetSecretValue",
                ]),
            ),
            (
                "Resource",
                res("aws_secretsmanager_secret", &store.id, "arn"),
            ),
        ]),
        Expr::object(vec![
            ("Sid", "DecryptCredentials".into()),
            ("Effect", "Allow".into()),
            ("Action", "kms:Decrypt".into()),
            ("Resource", kms_arn()),
            (
                "Condition",
                Expr::object(vec![(
                    "StringEquals",
                    Expr::Object(vec![(
                        Key::Quoted("kms:ViaService".into()),
                        Expr::Template(vec![
                            lit("secretsmanager."),
                            interp(data("aws_region", "name")),
                            lit(".amazonaws.com"),
                        ]),
                    )]),
                )]),
            ),
        ]),
    ]
}

/// A policy per store for the role the service (and External Secrets) use: connect with IAM
/// and read the store's credentials secret.
fn access_policy(stage: &Stage, store: &Store, body: &mut Body) {
    let name = store.id.suffixed("access");
    let mut statements = read_statements(store);
    match store.ds.engine {
        Engine::Postgresql | Engine::Mysql => statements.push(Expr::object(vec![
            ("Sid", "ConnectWithIam".into()),
            ("Effect", "Allow".into()),
            ("Action", "rds-db:connect".into()),
            (
                "Resource",
                arn(
                    "rds-db",
                    vec![
                        lit("dbuser:"),
                        interp(res("aws_db_instance", &store.id, "resource_id")),
                        lit(format!("/{}", store.ds.user)),
                    ],
                ),
            ),
        ])),
        Engine::Redis => statements.push(Expr::object(vec![
            ("Sid", "ConnectWithIam".into()),
            ("Effect", "Allow".into()),
            ("Action", "elasticache:Connect".into()),
            (
                "Resource",
                Expr::List(vec![
                    res("aws_elasticache_replication_group", &store.id, "arn"),
                    res("aws_elasticache_user", &store.id.suffixed("app"), "arn"),
                ]),
            ),
        ])),
        Engine::Mongodb => {}
    }
    body.block(Block::resource("aws_iam_policy", &name).with(|b| {
        b.attr(
            "name",
            cloud_name(&[&cloud_name(&store.parts(stage), 200), "access"], 128),
        );
        b.attr(
            "description",
            format!(
                "Access of {} to its {}: read the credentials secret{}. Attach to the role of the service's workload and External Secrets.",
                store.owner(),
                store.engine_word(),
                match store.ds.engine {
                    Engine::Mongodb => "",
                    _ => ", connect with IAM authentication",
                }
            ),
        );
        b.attr("policy", policy(statements));
        b.attr("tags", tags(store));
    }));
    body.blank();
}

/// An ephemeral password for `store` and its local `<id>_password`, whose name it returns.
fn random_password(store: &Store, body: &mut Body, locals: &mut Body) -> Ident {
    let password = store.id.suffixed("password");
    ephemeral_password(body, &store.id);
    locals.attr_ident(&password, ephemeral_password_ref(&store.id));
    password
}

/// `ephemeral "aws_secretsmanager_random_password" "<id>"` (32 characters, no punctuation,
/// each included kind at least once) and a blank line.
fn ephemeral_password(body: &mut Body, id: &Ident) {
    body.block(
        Block::new("ephemeral")
            .label("aws_secretsmanager_random_password")
            .label(id.as_str())
            .with(|b| {
                b.attr("password_length", 32u32);
                b.attr("exclude_punctuation", true);
                b.attr("require_each_included_type", true);
            }),
    );
    body.blank();
}

/// `ephemeral.aws_secretsmanager_random_password.<id>.random_password`.
fn ephemeral_password_ref(id: &Ident) -> Expr {
    Expr::Ref(
        Ref::root("ephemeral")
            .attr("aws_secretsmanager_random_password")
            .ident(id)
            .attr("random_password"),
    )
}

fn secret(stage: &Stage, store: &Store, body: &mut Body, locals: &mut Body) {
    let ds = store.ds;
    let _ = stage;
    body.block(Block::resource("aws_secretsmanager_secret", &store.id).with(|b| {
        b.attr("name", ds.secret_path.clone());
        b.attr(
            "description",
            format!(
                "Credentials of {} for its {} (read by External Secrets into {})",
                store.owner(),
                store.engine_word(),
                ds.credentials_secret
            ),
        );
        b.attr("kms_key_id", kms_arn());
        b.attr("recovery_window_in_days", 30u32);
        b.attr("tags", tags(store));
        b.checkov_skip("CKV2_AWS_57", "rotation is a new write-only version (var.credentials_versions) applied together with the login in the database; no rotation Lambda");
    }));
    body.blank();
    if atlas::is_atlas(store) {
        let password = random_password(store, body, locals);
        body.comment(&format!(
            "The Atlas user `{}` gets the same ephemeral password (databases.tf).",
            ds.user
        ));
        body.block(
            Block::resource("aws_secretsmanager_secret_version", &store.id).with(|b| {
                b.attr(
                    "secret_id",
                    res("aws_secretsmanager_secret", &store.id, "id"),
                );
                b.attr(
                    "secret_string_wo",
                    atlas::secret_json(store, Expr::Ref(Ref::root("local").ident(&password))),
                );
                b.attr("secret_string_wo_version", store.credentials_version());
            }),
        );
        body.blank();
        return;
    }
    let (engine, host, port): (&str, Expr, Expr) = match ds.engine {
        Engine::Postgresql => (
            "postgres",
            res("aws_db_instance", &store.id, "address"),
            res("aws_db_instance", &store.id, "port"),
        ),
        Engine::Mysql => (
            "mysql",
            res("aws_db_instance", &store.id, "address"),
            res("aws_db_instance", &store.id, "port"),
        ),
        Engine::Mongodb => (
            "docdb",
            res("aws_docdb_cluster", &store.id, "endpoint"),
            res("aws_docdb_cluster", &store.id, "port"),
        ),
        Engine::Redis => (
            "redis",
            res(
                "aws_elasticache_replication_group",
                &store.id,
                "primary_endpoint_address",
            ),
            res("aws_elasticache_replication_group", &store.id, "port"),
        ),
    };
    if ds.engine == Engine::Redis {
        body.comment("IAM authentication: the secret names the endpoint and the login; it holds no password.");
        body.block(
            Block::resource("aws_secretsmanager_secret_version", &store.id).with(|b| {
                b.attr(
                    "secret_id",
                    res("aws_secretsmanager_secret", &store.id, "id"),
                );
                b.attr(
                    "secret_string",
                    Expr::Call(
                        "jsonencode",
                        vec![Expr::object(vec![
                            ("engine", engine.into()),
                            ("host", host),
                            ("port", port),
                            (
                                "username",
                                res(
                                    "aws_elasticache_user",
                                    &store.id.suffixed("app"),
                                    "user_name",
                                ),
                            ),
                            ("auth", "iam".into()),
                            ("tls", true.into()),
                        ])],
                    ),
                );
            }),
        );
        body.blank();
        return;
    }
    let password = random_password(store, body, locals);
    body.comment(&format!(
        "The service's login `{}`: created in the database by the service's schema bootstrap with this password.",
        ds.user
    ));
    body.block(
        Block::resource("aws_secretsmanager_secret_version", &store.id).with(|b| {
            b.attr(
                "secret_id",
                res("aws_secretsmanager_secret", &store.id, "id"),
            );
            b.attr(
                "secret_string_wo",
                Expr::Call(
                    "jsonencode",
                    vec![Expr::object(vec![
                        ("engine", engine.into()),
                        ("host", host),
                        ("port", port),
                        ("dbname", ds.database.clone().into()),
                        ("username", ds.user.clone().into()),
                        ("password", Expr::Ref(Ref::root("local").ident(&password))),
                    ])],
                ),
            );
            b.attr("secret_string_wo_version", store.credentials_version());
        }),
    );
    body.blank();
}

fn output(store: &Store, body: &mut Body) {
    let ds = store.ds;
    let mut value: Vec<(&'static str, Expr)> = Vec::new();
    match ds.engine {
        Engine::Postgresql | Engine::Mysql => {
            value.push(("endpoint", res("aws_db_instance", &store.id, "address")));
            value.push(("port", res("aws_db_instance", &store.id, "port")));
            if ds.replicas > 2 {
                value.push((
                    "reader_endpoints",
                    Expr::Ref(
                        Ref::root("aws_db_instance")
                            .ident(&store.id.suffixed("replica"))
                            .splat()
                            .attr("address"),
                    ),
                ));
            }
            value.push((
                "master_secret_arn",
                Expr::Ref(
                    Ref::root("aws_db_instance")
                        .ident(&store.id)
                        .attr("master_user_secret")
                        .index(0)
                        .attr("secret_arn"),
                ),
            ));
        }
        Engine::Mongodb => {
            value.push(("endpoint", res("aws_docdb_cluster", &store.id, "endpoint")));
            value.push((
                "reader_endpoint",
                res("aws_docdb_cluster", &store.id, "reader_endpoint"),
            ));
            value.push(("port", res("aws_docdb_cluster", &store.id, "port")));
            value.push((
                "master_secret_arn",
                Expr::Ref(
                    Ref::root("aws_docdb_cluster")
                        .ident(&store.id)
                        .attr("master_user_secret")
                        .index(0)
                        .attr("secret_arn"),
                ),
            ));
        }
        Engine::Redis => {
            value.push((
                "endpoint",
                res(
                    "aws_elasticache_replication_group",
                    &store.id,
                    "primary_endpoint_address",
                ),
            ));
            value.push((
                "reader_endpoint",
                res(
                    "aws_elasticache_replication_group",
                    &store.id,
                    "reader_endpoint_address",
                ),
            ));
            value.push((
                "port",
                res("aws_elasticache_replication_group", &store.id, "port"),
            ));
        }
    }
    value.push((
        "secret_arn",
        res("aws_secretsmanager_secret", &store.id, "arn"),
    ));
    value.push((
        "access_policy_arn",
        res("aws_iam_policy", &store.id.suffixed("access"), "arn"),
    ));
    crate::store_output(body, store, "endpoints and secret ARNs", value);
}

/// `credentials.tf` (and `outputs.tf`) for the stage's in-cluster stores; with `versions.tf`,
/// `variables.tf` and `main.tf` (provider and the stage's KMS key) when the stage has no
/// managed store.
pub fn credentials(stage: &Stage) -> Files {
    let mut files = Files::new();
    if stage.stores.is_empty() {
        files.push(("versions.tf", versions(false)));
        files.push((
            "variables.tf",
            credentials::versions_variable(VERSIONS_DESCRIPTION),
        ));
        files.push(("main.tf", main(stage)));
    }
    let mut body = Body::file();
    let mut outputs = Body::file();
    for store in &stage.in_cluster {
        in_cluster_secret(stage, store, &mut body);
        in_cluster_output(store, &mut outputs);
    }
    body.extend(credentials::locals(
        &stage.in_cluster,
        ephemeral_password_ref,
    ));
    files.push(("credentials.tf", body));
    files.push(("outputs.tf", outputs));
    files
}

fn in_cluster_secret(stage: &Stage, store: &Store, body: &mut Body) {
    let ds = store.ds;
    credentials::section(store, body);
    body.block(Block::resource("aws_secretsmanager_secret", &store.id).with(|b| {
        b.attr("name", ds.secret_path.clone());
        b.attr(
            "description",
            format!(
                "Credentials of the {} {} of {} (read by External Secrets into {})",
                credentials::placement_word(store),
                store.engine_word(),
                store.owner(),
                ds.credentials_secret
            ),
        );
        b.attr("kms_key_id", kms_arn());
        b.attr("recovery_window_in_days", 30u32);
        b.attr("tags", tags(store));
        b.checkov_skip("CKV2_AWS_57", "rotation is a new write-only version (var.credentials_versions) applied together with the store's accounts; no rotation Lambda for an in-cluster store");
    }));
    body.blank();
    for (_, id) in credentials::passwords(store) {
        ephemeral_password(body, &id);
    }
    body.comment(
        "Every password is ephemeral and write-only: never in a plan, the state or an output.",
    );
    body.block(
        Block::resource("aws_secretsmanager_secret_version", &store.id).with(|b| {
            b.attr(
                "secret_id",
                res("aws_secretsmanager_secret", &store.id, "id"),
            );
            b.attr("secret_string_wo", credentials::json(store));
            b.attr("secret_string_wo_version", store.credentials_version());
        }),
    );
    body.blank();
    body.block(
        Block::resource("aws_iam_policy", &store.id.suffixed("access")).with(|b| {
            b.attr(
                "name",
                cloud_name(&[&cloud_name(&store.parts(stage), 200), "access"], 128),
            );
            b.attr(
                "description",
                format!(
                    "Access of {} to the credentials of its {} {}. Attach to the role of External Secrets.",
                    store.owner(),
                    credentials::placement_word(store),
                    store.engine_word()
                ),
            );
            b.attr("policy", policy(read_statements(store)));
            b.attr("tags", tags(store));
        }),
    );
    body.blank();
}

fn in_cluster_output(store: &Store, body: &mut Body) {
    body.block(Block::new("output").label(store.id.as_str()).with(|b| {
        b.attr(
            "description",
            format!(
                "{} {} of {}: credentials secret and access policy ARNs (no secret values)",
                credentials::placement_word(store),
                store.engine_word(),
                store.owner()
            ),
        );
        b.attr(
            "value",
            Expr::object(vec![
                (
                    "secret_arn",
                    res("aws_secretsmanager_secret", &store.id, "arn"),
                ),
                (
                    "access_policy_arn",
                    res("aws_iam_policy", &store.id.suffixed("access"), "arn"),
                ),
            ]),
        );
    }));
    body.blank();
}
