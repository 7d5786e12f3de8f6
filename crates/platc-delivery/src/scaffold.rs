//! The starting point of a new service repository (`platc new-service`): a Dockerfile, CI that
//! tests, builds and pushes the image to the platform's registry, a VS Code dev container, the
//! Telepresence intercept for the stage that joins another (EW), and a README.
//!
//! Unlike the rendered output, these files belong to the service team from the moment they are
//! written, so their header says where they came from, not "do not edit".

use platc_ir::{Ir, Probe, ServiceIr, StageKind};
use platc_tree::{FileTree, RelPath};
use platc_yaml::{Mapping, Yaml};

use crate::cloud::{self, Registry};
use crate::gha::{self, comment, text};
use crate::shell::sh_quote;
use crate::EmitError;

/// The user the image runs as; the same as the Deployment's `runAsUser`.
pub const RUN_AS: u32 = 10001;

/// Pinned by tag; pin by digest once the repository has a registry mirror it trusts.
const BASE_IMAGE: &str = "docker.io/library/busybox:1.36.1";

const ORIGIN: &str =
    "Scaffolded by `platc new-service` from platform.toml. This file is yours: change it freely.";

/// Why no scaffold could be made.
#[derive(Debug)]
pub enum ScaffoldError {
    /// The IR has no such app or service (the caller adds it before scaffolding).
    UnknownService {
        app: String,
        service: String,
    },
    Emit(EmitError),
}

impl std::fmt::Display for ScaffoldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScaffoldError::UnknownService { app, service } => {
                write!(f, "platform.toml has no service `{service}` in app `{app}`")
            }
            ScaffoldError::Emit(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ScaffoldError {}

impl From<EmitError> for ScaffoldError {
    fn from(e: EmitError) -> Self {
        ScaffoldError::Emit(e)
    }
}

/// Where a developer intercepts the service: the joining stage, the stage it joins and the
/// app's namespace there.
pub struct Intercept {
    pub stage: String,
    pub joins: String,
    pub namespace: String,
}

/// The first stage that joins another and the app's namespace in the joined stage.
pub fn intercept_target(ir: &Ir, app: &str) -> Option<Intercept> {
    let app = ir.apps.iter().find(|a| a.name == app)?;
    ir.stages.iter().find_map(|s| match &s.kind {
        StageKind::Joins { stage } => {
            app.stages
                .iter()
                .find(|st| st.stage == *stage)
                .map(|st| Intercept {
                    stage: s.name.clone(),
                    joins: stage.clone(),
                    namespace: st.namespace.clone(),
                })
        }
        StageKind::Deployed { .. } => None,
    })
}

/// The files of the service repository, relative to its root. Scripts end in `.sh` (the caller
/// makes them executable).
pub fn scaffold(ir: &Ir, app: &str, service: &str) -> Result<FileTree, ScaffoldError> {
    let unknown = || ScaffoldError::UnknownService {
        app: app.to_string(),
        service: service.to_string(),
    };
    let app_ir = ir.apps.iter().find(|a| a.name == app).ok_or_else(unknown)?;
    let svc = app_ir
        .services
        .iter()
        .find(|s| s.name == service)
        .ok_or_else(unknown)?;
    let intercept = intercept_target(ir, app);

    let mut tree = FileTree::new();
    let mut put = |path: &str, text: String| -> Result<(), EmitError> {
        tree.insert(RelPath::new(path)?, text.into_bytes())?;
        Ok(())
    };
    put("Dockerfile", dockerfile(svc))?;
    put(
        ".dockerignore",
        ".git\n.github\n.devcontainer\ntelepresence\n".to_string(),
    )?;
    put(".github/workflows/ci.yml", ci(ir, svc))?;
    put(
        ".devcontainer/devcontainer.json",
        devcontainer(app, svc, intercept.as_ref()),
    )?;
    if let Some(i) = &intercept {
        put("telepresence/intercept.sh", intercept_script(svc, i))?;
    }
    put("README.md", readme(app, svc, intercept.as_ref()))?;
    Ok(tree)
}

/// A URL path that can be created as a file in the image without quoting (`/healthz`).
fn servable(path: &str) -> Option<String> {
    let rel = path.strip_prefix('/')?;
    let ok = rel
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        && !rel.split('/').any(|seg| seg == "." || seg == "..");
    if !ok {
        return None;
    }
    if rel.is_empty() || rel.ends_with('/') {
        Some(format!("{rel}index.html"))
    } else {
        Some(rel.to_string())
    }
}

fn dockerfile(svc: &ServiceIr) -> String {
    // (file under /www, content): probes get `ok`, the metrics path an empty exposition.
    let mut endpoints: Vec<(String, &str)> = Vec::new();
    for probe in [&svc.liveness, &svc.readiness] {
        if let Probe::Http { path, .. } = probe {
            endpoints.extend(servable(path).map(|p| (p, "ok")));
        }
    }
    if svc.metrics.port == svc.port {
        endpoints.extend(servable(&svc.metrics.path).map(|p| (p, "# no metrics yet")));
    }
    // The image's own HEALTHCHECK (used by `docker run`; Kubernetes uses the probes instead)
    // asks the liveness path, or a `healthz` file of its own when liveness is not HTTP.
    let health = match &svc.liveness {
        Probe::Http { path, .. } => servable(path),
        _ => None,
    }
    .unwrap_or_else(|| {
        endpoints.push(("healthz".to_string(), "ok"));
        "healthz".to_string()
    });
    endpoints.sort();
    endpoints.dedup_by(|a, b| a.0 == b.0);
    let mut create = String::from("RUN mkdir -p /out/www");
    for (e, content) in &endpoints {
        let file = format!("/out/www/{e}");
        if let Some((dir, _)) = file.rsplit_once('/') {
            if dir != "/out/www" {
                create.push_str(&format!(" \\\n && mkdir -p {}", sh_quote(dir)));
            }
        }
        create.push_str(&format!(
            " \\\n && echo {} > {}",
            sh_quote(content),
            sh_quote(&file)
        ));
    }
    let checks: Vec<String> = endpoints
        .iter()
        .map(|(e, _)| format!("test -s {}", sh_quote(&format!("/out/www/{e}"))))
        .collect();
    let test = if checks.is_empty() {
        "RUN test -d /out/www".to_string()
    } else {
        format!("RUN {}", checks.join(" && "))
    };
    let port = svc.port;
    let mut out = comment(ORIGIN);
    out.push_str(&comment(
        "Multi-stage build. The `build` stage is a placeholder that writes static files answering the",
    ));
    out.push_str(&comment(
        "probe paths platc configures, served by busybox httpd, so that the first image deploys and",
    ));
    out.push_str(&comment(
        "passes its probes. Replace `build` with your toolchain (e.g. `FROM golang:1.23 AS build` and",
    ));
    out.push_str(&comment(
        "`RUN go build -o /out/app .`), `test` with your tests, and the final CMD with your binary.",
    ));
    out.push_str(&comment(&format!(
        "The final stage must keep USER {RUN_AS}: the Deployment runs the pod as user {RUN_AS} with a"
    )));
    out.push_str(&comment("read-only root file system."));
    out.push_str(&format!(
        "\nFROM {BASE_IMAGE} AS build\nWORKDIR /src\nCOPY . .\n{create}\n\n\
         # `docker build --target test .` runs the tests (CI does).\n\
         FROM build AS test\n{test}\n\n\
         FROM {BASE_IMAGE}\n\
         COPY --from=build /out/www /www\n\
         USER {RUN_AS}:{RUN_AS}\n\
         EXPOSE {port}\n\
         # Kubernetes ignores HEALTHCHECK and uses the Deployment's probes; `docker run` uses it.\n\
         HEALTHCHECK --interval=30s --timeout=3s --retries=3 CMD [\"wget\", \"-q\", \"-O\", \"/dev/null\", \"http://127.0.0.1:{port}/{health}\"]\n\
         CMD [\"httpd\", \"-f\", \"-v\", \"-p\", \"{port}\", \"-h\", \"/www\"]\n"
    ));
    out
}

fn ci(ir: &Ir, svc: &ServiceIr) -> String {
    let image = &svc.image;
    let registry = Registry::of(cloud::registry_host(image));
    let on = Mapping::new()
        .with(
            "push",
            Mapping::new()
                .with("branches", Yaml::Seq(vec![Yaml::from("main")]))
                .with("tags", Yaml::Seq(vec![Yaml::from("v*")])),
        )
        .with("pull_request", Mapping::new());
    let job = |name: &str, timeout: i64| {
        Mapping::new()
            .with("name", name)
            .with("runs-on", gha::RUNNER)
            .with("timeout-minutes", timeout)
    };
    let test = job("Test", 20)
        .with("permissions", gha::permissions(false))
        .with(
            "steps",
            Yaml::Seq(vec![
                gha::checkout(),
                gha::run(
                    "Test (the Dockerfile's test stage)",
                    Mapping::new(),
                    "docker build --target test .\n",
                ),
            ]),
        );
    let build = job("Build the image", 20)
        .with("if", "github.event_name == 'pull_request'")
        .with("needs", Yaml::Seq(vec![Yaml::from("test")]))
        .with("permissions", gha::permissions(false))
        .with(
            "steps",
            Yaml::Seq(vec![
                gha::checkout(),
                gha::run(
                    "Build",
                    Mapping::new().with("IMAGE", text(image)),
                    "docker build --tag \"$IMAGE:pr-$GITHUB_SHA\" .\n",
                ),
            ]),
        );
    let mut publish_permissions = gha::permissions(registry.needs_oidc());
    if registry == Registry::Ghcr {
        publish_permissions.insert("packages", "write");
    }
    let mut publish_steps = vec![gha::checkout()];
    publish_steps.extend(cloud::registry_login(&ir.platform, image));
    publish_steps.push(gha::run(
        "Build and push",
        Mapping::new().with("IMAGE", text(image)),
        "case \"$GITHUB_REF\" in\n  \
         refs/tags/v*)\n    \
         tag=\"${GITHUB_REF_NAME#v}\"\n    \
         if ! [[ \"$tag\" =~ ^[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]]; then\n      \
         echo \"::error::release tags look like v1.2.3\"\n      \
         exit 1\n    \
         fi\n    \
         ;;\n  \
         *) tag=\"sha-$GITHUB_SHA\" ;;\n\
         esac\n\
         tag=\"${tag//+/_}\"\n\
         docker build --tag \"$IMAGE:$tag\" --label \"org.opencontainers.image.revision=$GITHUB_SHA\" .\n\
         docker push \"$IMAGE:$tag\"\n\
         echo \"pushed $IMAGE:$tag\" >>\"$GITHUB_STEP_SUMMARY\"\n",
    ));
    let publish = job("Push the image", 20)
        .with("if", "github.event_name == 'push'")
        .with("needs", Yaml::Seq(vec![Yaml::from("test")]))
        .with("permissions", publish_permissions)
        .with("steps", Yaml::Seq(publish_steps));
    let doc = Mapping::new()
        .with("name", "ci")
        .with("on", on)
        .with("permissions", Mapping::new())
        .with(
            "concurrency",
            Mapping::new().with("group", "ci-${{ github.ref }}").with(
                "cancel-in-progress",
                "${{ github.event_name == 'pull_request' }}",
            ),
        )
        .with(
            "defaults",
            Mapping::new().with("run", Mapping::new().with("shell", "bash")),
        )
        .with(
            "jobs",
            Mapping::new()
                .with("test", test)
                .with("build", build)
                .with("publish", publish),
        );
    let mut out = comment(ORIGIN);
    out.push_str(&comment(&format!(
        "Tests every push and pull request; pushes {image}:sha-<commit> for every push to main and"
    )));
    out.push_str(&comment(&format!(
        "{image}:1.2.3 for a tag v1.2.3. Deploy a version by setting `tag` of the service in the"
    )));
    out.push_str(&comment(
        "infrastructure repository's platform.toml (a pull request there).",
    ));
    let settings = cloud::registry_settings(image);
    if !settings.is_empty() {
        out.push_str(&comment(
            "Repository secrets it reads (OIDC where the registry allows it):",
        ));
    }
    for (name, what) in settings {
        out.push_str(&comment(&format!("  {name}: {what}")));
    }
    out.push_str(&gha::annotate_pins(&platc_yaml::to_string(&Yaml::Map(doc))));
    out
}

fn devcontainer(app: &str, svc: &ServiceIr, intercept: Option<&Intercept>) -> String {
    let mut env = serde_json::Map::new();
    env.insert("SERVICE".into(), svc.name.clone().into());
    env.insert("SERVICE_PORT".into(), svc.port.to_string().into());
    if let Some(i) = intercept {
        env.insert("TELEPRESENCE_NAMESPACE".into(), i.namespace.clone().into());
    }
    let doc = serde_json::json!({
        "name": format!("{} ({app})", svc.name),
        "image": "mcr.microsoft.com/devcontainers/base:bookworm",
        "features": {
            "ghcr.io/devcontainers/features/docker-outside-of-docker:1": {},
            "ghcr.io/devcontainers/features/kubectl-helm-minikube:1": { "minikube": "none" }
        },
        // Telepresence's root daemon creates a TUN device in the container.
        "runArgs": ["--cap-add=NET_ADMIN", "--device=/dev/net/tun"],
        "mounts": [
            "source=${localEnv:HOME}/.kube,target=/home/vscode/.kube,type=bind,consistency=cached"
        ],
        "containerEnv": env,
        "forwardPorts": [svc.port],
        "postCreateCommand": "curl -fLo /tmp/telepresence.deb https://github.com/telepresenceio/telepresence/releases/latest/download/telepresence-linux-$(dpkg --print-architecture).deb && sudo apt-get install -y /tmp/telepresence.deb",
        "customizations": {
            "vscode": {
                "extensions": ["ms-kubernetes-tools.vscode-kubernetes-tools"]
            }
        }
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn intercept_script(svc: &ServiceIr, i: &Intercept) -> String {
    let mut out = String::from("#!/usr/bin/env bash\n");
    out.push_str(&comment(ORIGIN));
    out.push_str(&comment(&format!(
        "Stage {} runs this service on your machine, joined to stage {} through Telepresence:",
        i.stage, i.joins
    )));
    out.push_str(&comment(&format!(
        "traffic for {} in namespace {} comes to port {} here, and your process reaches the",
        svc.name, i.namespace, svc.port
    )));
    out.push_str(&comment(
        "other services by name. Start the service locally, then run this script.",
    ));
    out.push_str(&comment(
        "Stop with: telepresence leave \"$SERVICE\" && telepresence quit",
    ));
    out.push_str(&format!(
        "set -euo pipefail\n\
         NAMESPACE={}\n\
         SERVICE={}\n\
         PORT={}\n\
         telepresence connect --namespace \"$NAMESPACE\"\n\
         telepresence intercept \"$SERVICE\" --port \"$PORT:$PORT\"\n",
        sh_quote(&i.namespace),
        sh_quote(&svc.name),
        svc.port
    ));
    out
}

fn readme(app: &str, svc: &ServiceIr, intercept: Option<&Intercept>) -> String {
    use crate::ew::md;
    let name = md(&svc.name);
    let mut out = format!(
        "<!-- {} -->\n# {name}\n\nService {name} of app {}, listening on port {} ({}).\n\n",
        ORIGIN.replace("--", "- -"),
        md(app),
        svc.port,
        svc.protocol.as_str()
    );
    out.push_str(&format!(
        "- `Dockerfile`: multi-stage build; the `build` stage is a placeholder (static files that answer\n  \
         the probes, served by busybox httpd). Keep `USER {RUN_AS}`: the Deployment runs as that user.\n\
         - `.github/workflows/ci.yml`: tests every push and pull request, pushes {} for every push to\n  \
         main (tag `sha-<commit>`) and for tags `v1.2.3` (tag `1.2.3`). Deploy a version by setting the\n  \
         service's `tag` in the infrastructure repository's platform.toml.\n\
         - `.devcontainer/`: VS Code dev container with kubectl and Telepresence; it mounts `~/.kube`.\n",
        md(&svc.image)
    ));
    match intercept {
        Some(i) => out.push_str(&format!(
            "- `telepresence/intercept.sh`: stage {} (local development) joins stage {}: run the service\n  \
             in the dev container, then this script; traffic for {name} in namespace {} comes to you.\n",
            md(&i.stage),
            md(&i.joins),
            md(&i.namespace)
        )),
        None => out.push_str(
            "- No stage of the platform joins another, so there is no Telepresence intercept.\n",
        ),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servable_paths() {
        assert_eq!(servable("/healthz").as_deref(), Some("healthz"));
        assert_eq!(servable("/a/b").as_deref(), Some("a/b"));
        assert_eq!(servable("/").as_deref(), Some("index.html"));
        assert_eq!(servable("/x/").as_deref(), Some("x/index.html"));
        assert_eq!(servable("/../etc"), None);
        assert_eq!(servable("/a b"), None);
        assert_eq!(servable("x"), None);
    }
}
