//! `platc::stages::*`: stages form a valid set, every app × stage namespace is a distinct,
//! valid name, and no two stages (test and prod above all) ever share a namespace.

use std::collections::BTreeMap;

use platc_model::{expand_namespace, Cloud, Document, Problem, Span, RESERVED_NAMESPACES};
use platc_values::names;

use super::value_problem;

pub(crate) fn check(doc: &Document, out: &mut Vec<Problem>) {
    let core_ns = doc
        .core
        .namespace
        .as_ref()
        .map(|n| n.value.as_str())
        .unwrap_or("core-services");
    // namespace -> (app, stage, span of the template that produced it)
    let mut claimed: BTreeMap<String, (String, String, Span)> = BTreeMap::new();
    for stage in doc.stages.values() {
        if let Some(joins) = &stage.joins {
            match doc.stages.get(&joins.value) {
                None => out.push(
                    Problem::new(
                        "platc::stages::unknown-join",
                        joins.span.clone(),
                        format!(
                            "stage `{}` joins `{}`, which is not a stage",
                            stage.name.value, joins.value
                        ),
                    )
                    .label("no such stage")
                    .help(format!(
                        "name one of the stages defined under [stages]: {}",
                        stage_names(doc)
                    )),
                ),
                Some(target) if target.joins.is_some() || target.name.value == stage.name.value => {
                    out.push(
                        Problem::new(
                            "platc::stages::join-chain",
                            joins.span.clone(),
                            format!(
                                "stage `{}` joins `{}`, which does not run in the cluster itself",
                                stage.name.value, joins.value
                            ),
                        )
                        .label("must name a stage with its own namespace")
                        .help(
                            "a joining stage (like `ew`) must join a stage that has a `namespace`",
                        ),
                    )
                }
                Some(_) => {}
            }
            let extra = [
                stage
                    .namespace
                    .as_ref()
                    .map(|s| ("namespace", s.span.clone())),
                stage.deploy.as_ref().map(|s| ("deploy", s.span.clone())),
                stage
                    .databases
                    .as_ref()
                    .map(|s| ("databases", s.span.clone())),
                stage.caches.as_ref().map(|s| ("caches", s.span.clone())),
                stage
                    .replicas
                    .as_ref()
                    .map(|s| ("replicas", s.span.clone())),
                stage
                    .certificates
                    .as_ref()
                    .map(|s| ("certificates", s.span.clone())),
                stage
                    .managed_cidrs
                    .as_ref()
                    .map(|s| ("managed-cidrs", s.span.clone())),
                stage
                    .backup_bucket
                    .as_ref()
                    .map(|s| ("backup-bucket", s.span.clone())),
            ];
            for (key, span) in extra.into_iter().flatten() {
                out.push(
                    Problem::new(
                        "platc::stages::joins-exclusive",
                        span,
                        format!(
                            "stage `{}` joins `{}` and cannot set `{key}`",
                            stage.name.value, joins.value
                        ),
                    )
                    .label("ignored for a joining stage")
                    .help(format!(
                        "remove `{key}`; a joining stage runs against the `{}` namespaces",
                        joins.value
                    )),
                );
            }
            continue;
        }
        let Some(template) = &stage.namespace else {
            out.push(
                Problem::new(
                    "platc::stages::namespace-missing",
                    stage.name.span.clone(),
                    format!("stage `{}` has neither `namespace` nor `joins`", stage.name.value),
                )
                .label("this stage needs a namespace")
                .help(format!(
                    "add `namespace = \"{{app}}-{}\"`, or `joins = \"<stage>\"` for a stage that runs outside the cluster",
                    stage.name.value
                )),
            );
            continue;
        };
        if doc.apps.len() > 1 && !template.value.contains("{app}") {
            out.push(
                Problem::new(
                    "platc::stages::namespace-shared",
                    template.span.clone(),
                    format!(
                        "stage `{}` would put all {} apps into one namespace",
                        stage.name.value,
                        doc.apps.len()
                    ),
                )
                .label("no `{app}` placeholder")
                .help(format!(
                    "include `{{app}}`, e.g. `\"{{app}}-{}\"`",
                    stage.name.value
                )),
            );
            continue;
        }
        // A template must be valid even before any app exists.
        let probe_apps: Vec<&str> = if doc.apps.is_empty() {
            vec!["app"]
        } else {
            // Apps with invalid names are reported by the name rules; their namespaces would
            // only repeat that problem.
            doc.apps
                .keys()
                .map(String::as_str)
                .filter(|a| names::check_dns_label(a).is_ok())
                .collect()
        };
        for app in probe_apps {
            let ns = match expand_namespace(&template.value, app) {
                Ok(ns) => ns,
                Err(bad) => {
                    out.push(
                        Problem::new(
                            "platc::stages::namespace-template",
                            template.span.clone(),
                            format!("unknown placeholder `{bad}` in the namespace template"),
                        )
                        .label("only `{app}` is replaced")
                        .help(format!(
                            "write the namespace like `\"{{app}}-{}\"`",
                            stage.name.value
                        )),
                    );
                    break;
                }
            };
            if let Err(e) = names::check_dns_label(&ns) {
                out.push(
                    value_problem("platc::names::too-long", template.span.clone(), e)
                        .label(format!("for app `{app}` this gives the namespace `{ns}`")),
                );
                continue;
            }
            if ns == core_ns || RESERVED_NAMESPACES.contains(&ns.as_str()) {
                out.push(
                    Problem::new(
                        "platc::stages::namespace-reserved",
                        template.span.clone(),
                        format!("stage `{}` would deploy app `{app}` into the namespace `{ns}`", stage.name.value),
                    )
                    .label("reserved namespace")
                    .help("apps get namespaces of their own; `core-services` and the `kube-*`/`default` namespaces are off limits"),
                );
                continue;
            }
            match claimed.get(&ns) {
                Some((other_app, other_stage, other_span)) => out.push(
                    Problem::new(
                        "platc::stages::namespace-shared",
                        template.span.clone(),
                        format!(
                            "app `{app}` in stage `{}` and app `{other_app}` in stage `{other_stage}` would share the namespace `{ns}`",
                            stage.name.value
                        ),
                    )
                    .label("same namespace")
                    .related(other_span.clone(), "also produced here")
                    .help("stages must stay isolated: give every stage a distinct namespace template such as `\"{app}-<stage>\"`"),
                ),
                None => {
                    claimed.insert(ns, (app.to_string(), stage.name.value.clone(), template.span.clone()));
                }
            }
        }
    }
    let max = super::services::MAX_REPLICAS;
    for replicas in doc
        .stages
        .values()
        .filter_map(|s| s.replicas.as_ref())
        .filter(|r| r.value < 1 || r.value > max)
    {
        out.push(
            Problem::new(
                "platc::stages::replicas",
                replicas.span.clone(),
                format!("a stage's default replicas must be between 1 and {max}"),
            )
            .label("out of range")
            .help(format!(
                "set `replicas` between 1 and {max}; scale a single service down with its own `replicas = 0`, or beyond {max} with a HorizontalPodAutoscaler"
            )),
        );
    }
    for cidr in doc
        .stages
        .values()
        .filter_map(|s| s.managed_cidrs.as_ref())
        .flat_map(|l| l.value.iter())
    {
        if let Err(why) = parse_cidr(&cidr.value) {
            out.push(
                Problem::new(
                    "platc::network::cidr",
                    cidr.span.clone(),
                    format!("`{}` is not a CIDR block: {why}", cidr.value),
                )
                .label("invalid CIDR")
                .help("write an address range like `10.20.0.0/16` or `fd00::/64`"),
            );
        }
    }
    if let Some(cloud) = doc.platform.cloud.as_ref().map(|c| c.value) {
        for bucket in doc.stages.values().filter_map(|s| s.backup_bucket.as_ref()) {
            if let Err(why) = bucket_name(cloud, &bucket.value) {
                out.push(
                    Problem::new(
                        "platc::stages::backup-bucket",
                        bucket.span.clone(),
                        format!(
                            "`{}` is not a valid {} name: {why}",
                            bucket.value,
                            bucket_kind(cloud)
                        ),
                    )
                    .label("invalid name")
                    .help(format!(
                        "name an existing {} of the platform's cloud, e.g. `\"acme-test-db-backups\"`; \
                         its credentials go into the stage's secret manager key `backup-storage`",
                        bucket_kind(cloud)
                    )),
                );
            }
        }
    }
    // A missing `[stages]` is already reported as a missing required key.
    let stages_missing = doc.stages.is_empty() && doc.stages_span == (0..0);
    if !stages_missing && doc.stages.values().all(|s| s.joins.is_some()) {
        let span = doc
            .stages
            .values()
            .next()
            .map(|s| s.name.span.clone())
            .unwrap_or(doc.stages_span.clone());
        out.push(
            Problem::new(
                "platc::stages::none-deployed",
                span,
                "no stage has a namespace of its own",
            )
            .label("nothing would be deployed")
            .help(
                "define at least one stage, e.g. `[stages.test]` with `namespace = \"{app}-test\"`",
            ),
        );
    }
}

pub(crate) fn stage_names(doc: &Document) -> String {
    doc.stages
        .keys()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks `a.b.c.d/n` or `ipv6/n` with host bits zero.
pub(crate) fn parse_cidr(s: &str) -> Result<(), String> {
    let (addr, len) = s
        .split_once('/')
        .ok_or("the prefix length `/n` is missing")?;
    let len: u32 = len
        .parse()
        .map_err(|_| "the prefix length is not a number".to_string())?;
    let ip: std::net::IpAddr = addr
        .parse()
        .map_err(|_| format!("`{addr}` is not an IP address"))?;
    let (bits, value) = match ip {
        std::net::IpAddr::V4(v4) => (32, u128::from(u32::from(v4))),
        std::net::IpAddr::V6(v6) => (128, u128::from(v6)),
    };
    if len > bits {
        return Err(format!("the prefix length is above {bits}"));
    }
    let host_bits = bits - len;
    let mask = if host_bits == 0 {
        0
    } else {
        (1u128 << host_bits) - 1
    };
    if value & mask != 0 {
        return Err("host bits are set; use the network address".to_string());
    }
    Ok(())
}

fn bucket_kind(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Aws => "S3 bucket",
        Cloud::Gcp => "Cloud Storage bucket",
        Cloud::Azure => "Azure Blob container",
    }
}

/// The naming rules of an S3 bucket, a Cloud Storage bucket (without dots: at most 63
/// characters then) or an Azure Blob container.
pub(crate) fn bucket_name(cloud: Cloud, name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if !(3..=63).contains(&len) {
        return Err(format!("it has {len} characters, not 3 to 63"));
    }
    let allowed = |c: char| match cloud {
        Cloud::Aws => c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-',
        Cloud::Gcp => {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-' || c == '_'
        }
        Cloud::Azure => c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-',
    };
    if let Some(bad) = name.chars().find(|c| !allowed(*c)) {
        return Err(format!("`{bad}` is not allowed"));
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        return Err("it must start and end with a lower-case letter or digit".into());
    }
    if cloud == Cloud::Azure && name.contains("--") {
        return Err("it has two hyphens in a row".into());
    }
    if cloud != Cloud::Azure && name.contains("..") {
        return Err("it has two dots in a row".into());
    }
    Ok(())
}
