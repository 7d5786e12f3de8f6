//! Rules on services: calls, exposure, resources, images, probes, environment and events.

use std::collections::{BTreeMap, BTreeSet};

use platc_model::{
    public_host, split_call, Document, Problem, Protocol, Service, Settings, Sp, Span,
};
use platc_values::{names, quantity};

use super::stages::stage_names;
use super::value_problem;

/// The most replicas a service or stage may ask for.
pub(crate) const MAX_REPLICAS: i64 = 1_000;

pub(crate) fn check(doc: &Document, out: &mut Vec<Problem>) {
    if let Some(registry) = &doc.platform.registry {
        image_repository(registry, "platform.registry", out);
    }
    let domain = doc
        .platform
        .domain
        .as_ref()
        .map(|d| d.value.as_str())
        .unwrap_or("example.com");
    // (stage, host, path) -> first claim
    let mut routes: BTreeMap<(String, String, String), (String, Span)> = BTreeMap::new();
    let mut published: BTreeSet<&str> = BTreeSet::new();
    let mut any_event: Option<Span> = None;
    let mut any_expose: Option<Span> = None;
    for app in doc.apps.values() {
        for svc in app.services.values() {
            if let Some(events) = &svc.events {
                for e in events.publishes.iter().flat_map(|l| l.value.iter()) {
                    published.insert(e.value.as_str());
                }
            }
        }
    }
    for app in doc.apps.values() {
        if app.services.is_empty() {
            out.push(
                Problem::new(
                    "platc::apps::empty",
                    app.name.span.clone(),
                    format!("app `{}` has no services", app.name.value),
                )
                .label("nothing to deploy")
                .help(format!(
                    "add `[apps.{}.services.<name>]` with a `port`, or remove the app",
                    app.name.value
                )),
            );
        }
        for svc in app.services.values() {
            let who = format!("{}.{}", app.name.value, svc.name.value);
            calls(doc, &app.name.value, svc, out);
            for port in [
                svc.port.as_ref(),
                svc.metrics.as_ref().and_then(|m| m.port.as_ref()),
            ]
            .into_iter()
            .flatten()
            {
                if !(1..=65535).contains(&port.value) {
                    out.push(
                        Problem::new(
                            "platc::ports::range",
                            port.span.clone(),
                            format!("port {} is not a TCP port", port.value),
                        )
                        .label("out of range")
                        .help(
                            "use a port between 1 and 65535 (ports above 1023 need no privileges)",
                        ),
                    );
                }
            }
            if let Some(image) = &svc.image {
                image_repository(image, "image", out);
            }
            settings(&svc.settings, out);
            health(svc, out);
            if svc
                .protocol
                .as_ref()
                .is_some_and(|p| p.value == Protocol::Tcp)
            {
                if let Some(e) = std::iter::once(&svc.settings.expose)
                    .chain(svc.stages.values().map(|o| &o.settings.expose))
                    .flatten()
                    .next()
                {
                    out.push(
                        Problem::new("platc::expose::protocol", e.span.clone(), "a `tcp` service cannot be exposed through the HTTP ingress")
                            .label("not HTTP")
                            .help("expose only http, https or grpc services; reach TCP services from inside the cluster"),
                    );
                }
            }
            if let Some(m) = svc.metrics.as_ref().and_then(|m| m.path.as_ref()) {
                url_path(m, out);
            }
            secrets_list(svc, out);
            if let Some(events) = &svc.events {
                any_event.get_or_insert(events.span.clone());
                for list in [&events.publishes, &events.subscribes]
                    .into_iter()
                    .flatten()
                {
                    for e in &list.value {
                        if let Err(err) = names::check_dns_label(&e.value) {
                            out.push(value_problem(
                                "platc::events::invalid-name",
                                e.span.clone(),
                                err,
                            ));
                        }
                    }
                }
                for e in events.subscribes.iter().flat_map(|l| l.value.iter()) {
                    if !published.contains(e.value.as_str()) {
                        let mut help =
                            "add it to `events.publishes` of the service that emits it".to_string();
                        if let Some(best) =
                            platc_values::suggest::closest(&e.value, published.iter().copied())
                        {
                            help = format!("did you mean `{best}`? Otherwise {help}");
                        }
                        out.push(
                            Problem::new(
                                "platc::events::no-publisher",
                                e.span.clone(),
                                format!(
                                    "`{who}` subscribes to `{}`, which no service publishes",
                                    e.value
                                ),
                            )
                            .label("nobody publishes this event")
                            .help(help),
                        );
                    }
                }
            }
            for (stage_name, o) in &svc.stages {
                match doc.stages.get(stage_name) {
                    None => out.push(
                        Problem::new(
                            "platc::stages::unknown",
                            o.stage.span.clone(),
                            format!("`{who}` overrides stage `{stage_name}`, which is not defined"),
                        )
                        .label("no such stage")
                        .help(format!("use one of: {}", stage_names(doc))),
                    ),
                    Some(st) if st.joins.is_some() => out.push(
                        Problem::new(
                            "platc::stages::joining-override",
                            o.stage.span.clone(),
                            format!("stage `{stage_name}` runs no workloads in the cluster, so it cannot be overridden"),
                        )
                        .label("joining stage")
                        .help(format!(
                            "override the stage it joins (`{}`) instead",
                            st.joins.as_ref().map(|j| j.value.as_str()).unwrap_or("")
                        )),
                    ),
                    Some(_) => {}
                }
                settings(&o.settings, out);
            }
            // Exposure: every deployed stage, with its override if any.
            for stage in doc.stages.values().filter(|s| s.joins.is_none()) {
                let Some(expose) = svc.expose_in(&stage.name.value) else {
                    continue;
                };
                any_expose.get_or_insert(expose.span.clone());
                let host = expose.host.clone();
                let fqdn = public_host(&host.value, &stage.name.value, domain);
                if names::check_dns_label(&host.value).is_err()
                    || names::check_hostname(&fqdn).is_err()
                {
                    // Reported once below, not per stage.
                    continue;
                }
                let path = expose
                    .path
                    .as_ref()
                    .map(|p| p.value.clone())
                    .unwrap_or_else(|| "/".to_string());
                let key = (stage.name.value.clone(), fqdn.clone(), path.clone());
                let span = expose
                    .path
                    .as_ref()
                    .map(|p| p.span.clone())
                    .unwrap_or_else(|| host.span.clone());
                match routes.get(&key) {
                    Some((other, other_span)) => {
                        if other != &who {
                            out.push(
                                Problem::new(
                                    "platc::expose::conflict",
                                    span,
                                    format!("`{who}` and `{other}` both claim https://{fqdn}{path} in stage `{}`", stage.name.value),
                                )
                                .label("second claim")
                                .related(other_span.clone(), "first claim")
                                .help("give one of them another `path` or `host`"),
                            );
                        }
                    }
                    None => {
                        routes.insert(key, (who.clone(), span));
                    }
                }
            }
            for expose in std::iter::once(&svc.settings.expose)
                .chain(svc.stages.values().map(|o| &o.settings.expose))
                .flatten()
            {
                if let Some(host) = &expose.host {
                    if let Err(e) = names::check_dns_label(&host.value) {
                        out.push(
                            value_problem("platc::expose::host", host.span.clone(), e).label(
                                "a host is one DNS label; the stage and domain are appended",
                            ),
                        );
                    } else if let Err(e) =
                        names::check_hostname(&public_host(&host.value, "test", domain))
                    {
                        out.push(value_problem(
                            "platc::names::too-long",
                            host.span.clone(),
                            e,
                        ));
                    }
                }
                if let Some(path) = &expose.path {
                    url_path(path, out);
                }
            }
        }
    }
    if let Some(span) = any_event {
        if doc.core.event_bus.is_none() {
            out.push(
                Problem::new(
                    "platc::events::no-bus",
                    span,
                    "services declare events but `[core]` has no `event-bus`",
                )
                .label("events need a bus")
                .help("add `event-bus = \"strimzi\"` to `[core]`"),
            );
        }
    }
    if let Some(span) = any_expose {
        let email = doc
            .core
            .certificates
            .as_ref()
            .and_then(|c| c.email.as_ref());
        match email {
            None => out.push(
                Problem::new("platc::expose::no-email", span, "services are exposed with TLS but no ACME account email is set")
                    .label("needs a certificate")
                    .help("add `certificates = { issuer = \"letsencrypt\", email = \"platform@example.com\" }` to `[core]`"),
            ),
            Some(email) => {
                let ok = email
                    .value
                    .split_once('@')
                    .is_some_and(|(user, host)| !user.is_empty() && !user.contains(char::is_whitespace) && names::check_hostname(host).is_ok() && host.contains('.'));
                if !ok {
                    out.push(
                        Problem::new("platc::expose::email", email.span.clone(), format!("`{}` is not an email address", email.value))
                            .label("invalid email")
                            .help("Let's Encrypt needs a reachable address like `platform@example.com`"),
                    );
                }
            }
        }
    }
}

fn calls(doc: &Document, app: &str, svc: &Service, out: &mut Vec<Problem>) {
    for call in svc.calls.iter().flat_map(|c| c.value.iter()) {
        let (target_app, target) = split_call(&call.value, app);
        if target_app == app && target == svc.name.value {
            out.push(
                Problem::new(
                    "platc::calls::self",
                    call.span.clone(),
                    format!("`{}` calls itself", svc.name.value),
                )
                .label("self call")
                .help("remove it: a service can always reach itself"),
            );
            continue;
        }
        let exists = doc
            .apps
            .get(target_app)
            .is_some_and(|a| a.services.contains_key(target));
        if exists {
            continue;
        }
        let mut candidates: Vec<String> = Vec::new();
        for (a, other) in &doc.apps {
            for s in other.services.keys() {
                candidates.push(if a == app {
                    s.clone()
                } else {
                    format!("{a}.{s}")
                });
            }
        }
        let mut help =
            "name a service of this app, or `<app>.<service>` for another app".to_string();
        if let Some(best) =
            platc_values::suggest::closest(&call.value, candidates.iter().map(String::as_str))
        {
            help = format!("did you mean `{best}`?");
        }
        out.push(
            Problem::new(
                "platc::calls::unknown-service",
                call.span.clone(),
                format!(
                    "`{}` calls `{}`, which does not exist",
                    svc.name.value, call.value
                ),
            )
            .label("unknown service")
            .help(help),
        );
    }
}

fn settings(s: &Settings, out: &mut Vec<Problem>) {
    if let Some(tag) = &s.tag {
        let valid = !tag.value.is_empty()
            && tag.value.len() <= 128
            && tag.value.chars().enumerate().all(|(i, c)| {
                c.is_ascii_alphanumeric() || c == '_' || (i > 0 && (c == '.' || c == '-'))
            });
        if tag.value.eq_ignore_ascii_case("latest") {
            out.push(
                Problem::new(
                    "platc::images::unpinned",
                    tag.span.clone(),
                    "the tag `latest` does not pin an image",
                )
                .label("moves with every push")
                .help("use a release tag like `1.4.2` or a `digest = \"sha256:...\"`"),
            );
        } else if !valid {
            out.push(
                Problem::new("platc::images::tag", tag.span.clone(), format!("`{}` is not a valid image tag", tag.value))
                    .label("invalid tag")
                    .help("tags are up to 128 characters of letters, digits, `_`, `.` and `-`, not starting with `.` or `-`"),
            );
        }
    }
    if let Some(digest) = &s.digest {
        let ok = digest.value.strip_prefix("sha256:").is_some_and(|h| {
            h.len() == 64
                && h.chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        });
        if !ok {
            out.push(
                Problem::new(
                    "platc::images::digest",
                    digest.span.clone(),
                    format!("`{}` is not an image digest", digest.value),
                )
                .label("invalid digest")
                .help("write `sha256:` followed by 64 lower-case hex digits"),
            );
        }
    }
    if let Some(r) = &s.resources {
        let cpu = r.cpu.as_ref().and_then(|q| cpu_quantity(q, out));
        let cpu_limit = r.cpu_limit.as_ref().and_then(|q| cpu_quantity(q, out));
        let mem = r.memory.as_ref().and_then(|q| byte_quantity(q, out));
        let mem_limit = r.memory_limit.as_ref().and_then(|q| byte_quantity(q, out));
        if let (Some(req), Some(lim), Some(span)) = (cpu, cpu_limit, r.cpu_limit.as_ref()) {
            if lim < req {
                out.push(limit_below("cpu", span.span.clone(), r.cpu.as_ref()));
            }
        }
        if let (Some(req), Some(lim), Some(span)) = (mem, mem_limit, r.memory_limit.as_ref()) {
            if lim < req {
                out.push(limit_below("memory", span.span.clone(), r.memory.as_ref()));
            }
        }
    }
    if let Some(r) = &s.replicas {
        if r.value < 0 {
            out.push(
                Problem::new(
                    "platc::services::replicas",
                    r.span.clone(),
                    "replicas cannot be negative",
                )
                .label("negative")
                .help("use 0 to scale the service down, or a positive count"),
            );
        } else if r.value > MAX_REPLICAS {
            out.push(
                Problem::new(
                    "platc::services::replicas",
                    r.span.clone(),
                    format!("{} replicas are more than platc deploys", r.value),
                )
                .label("too many")
                .help(format!(
                    "use at most {MAX_REPLICAS}; scale beyond that with a HorizontalPodAutoscaler"
                )),
            );
        }
    }
    let mut seen: BTreeMap<&str, &Span> = BTreeMap::new();
    for (key, _) in &s.env {
        if let Err(e) = names::check_env_var_name(&key.value) {
            out.push(value_problem("platc::env::name", key.span.clone(), e));
        }
        if let Some(first) = seen.insert(key.value.as_str(), &key.span) {
            out.push(
                Problem::new(
                    "platc::env::duplicate",
                    key.span.clone(),
                    format!("`{}` is set twice", key.value),
                )
                .related(first.clone(), "first set here")
                .help("keep one of them"),
            );
        }
    }
}

fn limit_below(what: &str, span: Span, request: Option<&Sp<String>>) -> Problem {
    let mut p = Problem::new(
        "platc::resources::limit-below-request",
        span,
        format!("the {what} limit is below the {what} request"),
    )
    .label("limit smaller than request")
    .help(format!(
        "raise `{what}-limit` to at least `{what}`, or lower `{what}`"
    ));
    if let Some(r) = request {
        p = p.related(r.span.clone(), "request");
    }
    p
}

fn cpu_quantity(q: &Sp<String>, out: &mut Vec<Problem>) -> Option<u64> {
    match quantity::parse_cpu(&q.value) {
        Ok(m) if m.0 == 0 => {
            out.push(
                Problem::new(
                    "platc::quantity::zero",
                    q.span.clone(),
                    "a CPU quantity of zero is not allowed",
                )
                .label("zero")
                .help("request at least `1m`; e.g. `100m`"),
            );
            None
        }
        Ok(m) => Some(m.0),
        Err(e) => {
            out.push(value_problem("platc::quantity::invalid", q.span.clone(), e));
            None
        }
    }
}

pub(crate) fn byte_quantity(q: &Sp<String>, out: &mut Vec<Problem>) -> Option<u64> {
    match quantity::parse_bytes(&q.value) {
        Ok(b) if b.0 == 0 => {
            out.push(
                Problem::new(
                    "platc::quantity::zero",
                    q.span.clone(),
                    "a size of zero is not allowed",
                )
                .label("zero")
                .help("use a size like `128Mi` or `10Gi`"),
            );
            None
        }
        Ok(b) => Some(b.0),
        Err(e) => {
            out.push(value_problem("platc::quantity::invalid", q.span.clone(), e));
            None
        }
    }
}

fn health(svc: &Service, out: &mut Vec<Problem>) {
    let Some(h) = &svc.health else { return };
    let protocol = svc
        .protocol
        .as_ref()
        .map(|p| p.value)
        .unwrap_or(Protocol::Http);
    if matches!(protocol, Protocol::Grpc | Protocol::Tcp) {
        out.push(
            Problem::new(
                "platc::health::protocol",
                h.span.clone(),
                format!("health paths only apply to HTTP services; this service speaks {}", protocol.as_str()),
            )
            .label("not HTTP")
            .help("remove `health`: gRPC services are probed with the gRPC health protocol, TCP services by connecting"),
        );
        return;
    }
    for path in [&h.liveness, &h.readiness].into_iter().flatten() {
        url_path(path, out);
    }
}

fn url_path(path: &Sp<String>, out: &mut Vec<Problem>) {
    if let Err(e) = names::check_url_path(&path.value) {
        out.push(value_problem("platc::paths::invalid", path.span.clone(), e));
    }
}

fn secrets_list(svc: &Service, out: &mut Vec<Problem>) {
    let Some(list) = &svc.secrets else { return };
    for name in &list.value {
        if let Err(e) = names::check_env_var_name(&name.value) {
            out.push(value_problem("platc::env::name", name.span.clone(), e));
        }
        let clashes = std::iter::once(&svc.settings.env)
            .chain(svc.stages.values().map(|o| &o.settings.env))
            .flatten()
            .find(|(k, _)| k.value == name.value);
        if let Some((k, _)) = clashes {
            out.push(
                Problem::new(
                    "platc::env::secret-clash",
                    k.span.clone(),
                    format!("`{}` is both a literal `env` value and a secret", k.value),
                )
                .label("literal value")
                .related(name.span.clone(), "declared as a secret")
                .help("remove the literal; the value comes from the secret manager"),
            );
        }
    }
}

/// An image repository without tag: `[host[:port]/]path`, lower case.
fn image_repository(repo: &Sp<String>, what: &str, out: &mut Vec<Problem>) {
    let v = &repo.value;
    let last = v.rsplit('/').next().unwrap_or(v);
    if v.contains('@') || (last.contains(':') && v.contains('/')) {
        out.push(
            Problem::new("platc::images::tag-in-repository", repo.span.clone(), format!("`{what}` contains a tag or digest"))
                .label("tag or digest here")
                .help("give the repository alone and pin it with `tag = \"...\"` or `digest = \"sha256:...\"`"),
        );
        return;
    }
    let (host, path) = match v.split_once('/') {
        Some((h, p)) if h.contains('.') || h.contains(':') || h == "localhost" => (Some(h), p),
        _ => (None, v.as_str()),
    };
    let host_ok = host.is_none_or(|h| {
        let (name, port) = h.split_once(':').unwrap_or((h, "443"));
        names::check_hostname(name).is_ok() && port.parse::<u16>().is_ok()
    });
    let path_ok = !path.is_empty()
        && path.split('/').all(|c| {
            !c.is_empty()
                && c.chars().all(|ch| {
                    ch.is_ascii_lowercase() || ch.is_ascii_digit() || matches!(ch, '.' | '_' | '-')
                })
                && c.starts_with(|ch: char| ch.is_ascii_alphanumeric())
                && c.ends_with(|ch: char| ch.is_ascii_alphanumeric())
        });
    if !host_ok || !path_ok || v.len() > 255 {
        out.push(
            Problem::new("platc::images::repository", repo.span.clone(), format!("`{v}` is not a valid image repository"))
                .label("invalid repository")
                .help("write a lower-case repository like `ghcr.io/acme` (registry host, then path components of a-z, 0-9, `.`, `_`, `-`)"),
        );
    }
}
