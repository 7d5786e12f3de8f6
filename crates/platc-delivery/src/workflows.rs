//! The infrastructure repository's workflows, under `.github/workflows/` of the output:
//!
//! - `deploy-<stage>.yml` per deployed stage: `platc check`, build every overlay of the stage
//!   with `kubectl kustomize`, then `kubectl apply -k` each app's overlay and wait for its
//!   Deployments. Triggered by the stage's `deploy`: `push` → every push to main, `release` →
//!   a published release, and every stage by hand (`workflow_dispatch`).
//!   A stage with a Terraform directory applies it in a job before the deploy job, so that
//!   managed stores and secret-manager entries exist before the apps that need them; the
//!   in-cluster stores of each app are installed with Helm between its overlay and the wait for
//!   its Deployments.
//! - `terraform.yml` when some stage has a Terraform directory: plan on pull requests that touch
//!   `deploy/terraform/**`, apply by hand, per stage directory (the same concurrency group as
//!   the deploy workflows' apply, so two applies of one stage never overlap).
//! - `core-services.yml`: installs core-services (the Helm releases of its helmfile, then
//!   `kubectl apply -k`) on a push to main that changes it, or by hand.
//! - `platc-check.yml`: on every pull request, platform.toml is valid, the committed output is
//!   what it renders to, and the copies of these workflows in `.github/workflows/` are current.

use platc_ir::{AppIr, AppStageIr, DataStoreIr, Deploy, Ir, StageKind};
use platc_yaml::{Mapping, Yaml};

use crate::cloud;
use crate::gha::{self, comment, setting, text};
use crate::{CONFIG_PATH, OUTPUT_DIR};

/// One generated workflow: its file name and text.
pub(crate) struct Workflow {
    pub file: String,
    pub text: String,
}

/// Every workflow of the platform, in file name order.
pub(crate) fn all(ir: &Ir) -> Vec<Workflow> {
    let mut out = Vec::new();
    for stage in &ir.stages {
        if let StageKind::Deployed { deploy, .. } = &stage.kind {
            if let Some(w) = deploy_stage(ir, &stage.name, *deploy) {
                out.push(w);
            }
        }
    }
    if let Some(w) = terraform(ir) {
        out.push(w);
    }
    out.push(core_services(ir));
    // Listed last because it checks the names of all the others.
    let names: Vec<String> = out
        .iter()
        .map(|w| w.file.clone())
        .chain([PLATC_CHECK.to_string()])
        .collect();
    out.push(platc_check(&names));
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

const PLATC_CHECK: &str = "platc-check.yml";

/// File name of a stage's deploy workflow. The `deploy-` prefix keeps every stage name (a DNS
/// label) apart from `terraform.yml` and `platc-check.yml`.
pub fn deploy_file(stage: &str) -> String {
    format!("deploy-{stage}.yml")
}

/// Header comment lines every workflow starts with (after [`platc_kustomize::HEADER`]).
fn assumptions(file: &str) -> Vec<String> {
    vec![
        format!(
            "Assumes {CONFIG_PATH} at the repository root, rendered into {OUTPUT_DIR}/ (`platc render -c {CONFIG_PATH} -o {OUTPUT_DIR}`)."
        ),
        format!(
            "GitHub runs workflows only from the repository root's .github/workflows: copy this file there"
        ),
        format!(
            "(`cp {OUTPUT_DIR}/.github/workflows/{file} .github/workflows/`); {PLATC_CHECK} fails while the copies differ."
        ),
        "platc is installed from the repository secrets PLATC_GIT_URL (its Git repository) and".to_string(),
        "PLATC_GIT_REV (the commit to build), with `cargo install --locked`.".to_string(),
    ]
}

fn cloud_settings(ir: &Ir) -> Vec<String> {
    let mut lines = vec![format!(
        "Cloud access ({}) is OIDC only, no stored keys. Settings, as repository or environment secrets:",
        ir.platform.cloud.as_str()
    )];
    for (name, what) in cloud::settings(ir.platform.cloud) {
        lines.push(format!("  {name}: {what}"));
    }
    if ir.stages.iter().any(|s| uses_atlas(ir, &s.name)) {
        lines.push(
            "  MONGODB_ATLAS_PUBLIC_KEY, MONGODB_ATLAS_PRIVATE_KEY: Atlas programmatic API key for Terraform"
                .to_string(),
        );
        lines.push(
            "    (Atlas has no OIDC for GitHub: Project Owner of the one project, with an IP access list)"
                .to_string(),
        );
    }
    lines
}

fn render(file: String, comments: &[String], doc: Mapping) -> Workflow {
    let mut text = String::from(platc_kustomize::HEADER);
    for line in comments {
        text.push_str(&comment(line));
    }
    text.push_str(&gha::annotate_pins(&platc_yaml::to_string(&Yaml::Map(doc))));
    Workflow { file, text }
}

fn workflow(name: Yaml, on: Mapping, concurrency: Mapping, jobs: Mapping) -> Mapping {
    Mapping::new()
        .with("name", name)
        .with("on", on)
        .with("permissions", Mapping::new())
        .with("concurrency", concurrency)
        .with(
            "defaults",
            Mapping::new().with("run", Mapping::new().with("shell", "bash")),
        )
        .with("jobs", jobs)
}

fn job(name: Yaml, timeout: i64, oidc: bool) -> Mapping {
    Mapping::new()
        .with("name", name)
        .with("runs-on", gha::RUNNER)
        .with("timeout-minutes", timeout)
        .with("permissions", gha::permissions(oidc))
}

fn needs(job: &str) -> Yaml {
    Yaml::Seq(vec![Yaml::from(job)])
}

fn check_job() -> Mapping {
    job(Yaml::from("platc check"), 30, false).with(
        "steps",
        Yaml::Seq(vec![
            gha::checkout(),
            gha::install_platc(),
            gha::run(
                "The committed output is what platform.toml renders to",
                Mapping::new(),
                &format!("platc check -c {CONFIG_PATH} -o {OUTPUT_DIR}\n"),
            ),
        ]),
    )
}

/// The app's Deployments, as a label selector: the labels every service of the app carries.
fn app_selector(app: &AppIr) -> String {
    let mut common = match app.services.first() {
        Some(s) => s.labels.clone(),
        None => return String::new(),
    };
    for s in &app.services[1..] {
        common.retain(|k, v| s.labels.get(k) == Some(v));
    }
    common
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn overlay_dir(app: &str, stage: &str) -> String {
    format!("{OUTPUT_DIR}/apps/{app}/overlays/{stage}")
}

fn deploy_stage(ir: &Ir, stage: &str, deploy: Deploy) -> Option<Workflow> {
    let apps: Vec<(&AppIr, &AppStageIr)> = ir
        .apps
        .iter()
        .filter_map(|a| a.stages.iter().find(|s| s.stage == stage).map(|s| (a, s)))
        .collect();
    if apps.is_empty() {
        return None;
    }
    let file = deploy_file(stage);

    let mut on = Mapping::new();
    let trigger = match deploy {
        Deploy::Push => {
            on.insert(
                "push",
                Mapping::new().with("branches", Yaml::Seq(vec![Yaml::from("main")])),
            );
            "on every push to main, or by hand (Actions → Run workflow)"
        }
        Deploy::Release => {
            on.insert(
                "release",
                Mapping::new().with("types", Yaml::Seq(vec![Yaml::from("published")])),
            );
            "when a GitHub release is published, or by hand (Actions → Run workflow)"
        }
        Deploy::Manual => "only by hand (Actions → Run workflow)",
    };
    on.insert("workflow_dispatch", Mapping::new());

    let build_steps: Vec<Yaml> = std::iter::once(gha::checkout())
        .chain(apps.iter().map(|(app, _)| {
            gha::run(
                text(&format!("Build the {} overlay", app.name)),
                Mapping::new().with("OVERLAY", text(&overlay_dir(&app.name, stage))),
                "kubectl kustomize \"$OVERLAY\" >/dev/null\n",
            )
        }))
        .collect();

    let mut deploy_steps = vec![gha::checkout()];
    deploy_steps.extend(cloud::credentials(&ir.platform, false));
    deploy_steps.push(cloud::kubeconfig(&ir.platform));
    if apps
        .iter()
        .any(|(_, st)| platc_helm::in_cluster_stores(st).next().is_some())
    {
        deploy_steps.push(gha::setup_helm());
    }
    for (app, st) in &apps {
        deploy_steps.extend(deploy_app(app, st));
    }

    let terraform = has_terraform(ir, stage);
    let mut jobs = Mapping::new().with("check", check_job()).with(
        "build",
        job(Yaml::from("kubectl kustomize"), 10, false)
            .with("needs", needs("check"))
            .with("steps", Yaml::Seq(build_steps)),
    );
    let mut deploy_needs = vec![Yaml::from("build")];
    if terraform {
        jobs.insert(
            "terraform",
            terraform_apply_job(ir, stage, None).with("needs", needs("build")),
        );
        deploy_needs.push(Yaml::from("terraform"));
    }
    jobs.insert(
        "deploy",
        job(text(&format!("Deploy {stage}")), 45, true)
            .with("needs", Yaml::Seq(deploy_needs))
            .with("environment", text(stage))
            .with("steps", Yaml::Seq(deploy_steps)),
    );

    let namespaces: Vec<&str> = apps.iter().map(|(_, s)| s.namespace.as_str()).collect();
    let mut comments = vec![
        format!("Deploys stage {stage} {trigger}."),
        format!("Namespaces: {}.", namespaces.join(", ")),
        format!(
            "The deploy job runs in the GitHub environment `{stage}`: add required reviewers to it"
        ),
        format!(
            "(Settings → Environments → {stage}) to make every deploy of this stage wait for an approval."
        ),
    ];
    comments.extend(deploy_order(terraform, stage));
    comments.extend(assumptions(&file));
    comments.extend(cloud_settings(ir));

    let doc = workflow(
        text(&format!("deploy {stage}")),
        on,
        Mapping::new()
            .with("group", text(&format!("deploy-{stage}")))
            .with("cancel-in-progress", false),
        jobs,
    );
    Some(render(file, &comments, doc))
}

/// What the deploy job does per app, in order: the overlay (namespace, NetworkPolicies,
/// ExternalSecrets, Deployments), the credential Secrets External Secrets makes from it, the
/// app's in-cluster databases and caches (the same releases as the overlay's helmfile), and
/// last the rollout of its Deployments.
fn deploy_app(app: &AppIr, st: &AppStageIr) -> Vec<Yaml> {
    let overlay = overlay_dir(&app.name, &st.stage);
    let mut steps = vec![gha::run(
        text(&format!("Apply {} to {}", app.name, st.namespace)),
        Mapping::new()
            .with("OVERLAY", text(&overlay))
            .with("NAMESPACE", text(&st.namespace)),
        "kubectl apply -k \"$OVERLAY\"\n\
         # The databases read their credentials from Secrets that External Secrets creates.\n\
         if [ -n \"$(kubectl get externalsecrets.external-secrets.io --namespace \"$NAMESPACE\" -o name)\" ]; then\n  \
         kubectl wait externalsecrets.external-secrets.io --all --namespace \"$NAMESPACE\" --for=condition=Ready --timeout 5m\n\
         fi\n",
    )];
    // Operator objects outside the kustomization (InnoDBClusters): applied once the Secrets
    // they name exist; then the clusters and platc's user jobs are waited for, so that the
    // Deployments start against a database that has their user.
    let clustered: Vec<&platc_ir::DataStoreIr> = st
        .workloads
        .iter()
        .flat_map(|w| [&w.database, &w.cache])
        .flatten()
        .filter(|s| platc_databases::applied_with_namespace(s))
        .collect();
    if !clustered.is_empty() {
        let jobs: Vec<String> = clustered
            .iter()
            .map(|s| format!("job/{}", platc_databases::user_setup_job(s)))
            .collect();
        steps.push(gha::run(
            text(&format!("Database clusters of {} in {}", app.name, st.namespace)),
            Mapping::new()
                .with(
                    "CLUSTERS",
                    text(&format!(
                        "{OUTPUT_DIR}/apps/{}/{}/{}",
                        app.name,
                        platc_databases::CLUSTER_DIR,
                        st.stage
                    )),
                )
                .with("NAMESPACE", text(&st.namespace))
                .with("USER_JOBS", text(&jobs.join(" "))),
            "# Outside the kustomization: their schema admits no namespace in the objects.\n\
             kubectl apply --namespace \"$NAMESPACE\" -f \"$CLUSTERS\"\n\
             kubectl wait innodbclusters.mysql.oracle.com --all --namespace \"$NAMESPACE\" \\\n  \
             --for=jsonpath='{.status.cluster.status}'=ONLINE --timeout 20m\n\
             # shellcheck disable=SC2086 # one word per job\n\
             kubectl wait $USER_JOBS --namespace \"$NAMESPACE\" --for=condition=complete --timeout 20m\n",
        ));
    }
    let releases: Vec<String> = platc_helm::in_cluster_stores(st)
        .map(|store| {
            let chart = platc_helm::charts::chart(store.engine);
            format!(
                "{} {} {} {}",
                store.name,
                chart.reference(),
                chart.version,
                platc_helm::values_file(store)
            )
        })
        .collect();
    if !releases.is_empty() {
        steps.push(gha::run(
            text(&format!("Databases and caches of {} in {}", app.name, st.namespace)),
            Mapping::new()
                .with("OVERLAY", text(&overlay))
                .with("NAMESPACE", text(&st.namespace))
                .with("RELEASES", text(&(releases.join("\n") + "\n"))),
            &format!(
                "# The releases of $OVERLAY/{helmfile} (`{command}` locally): name, chart, version, values.\n\
                 cd \"$OVERLAY\"\n\
                 while read -r name chart version values; do\n  \
                 if [ -z \"$name\" ]; then continue; fi\n  \
                 helm upgrade --install \"$name\" \"$chart\" --version \"$version\" --namespace \"$NAMESPACE\" \\\n    \
                 --values \"$values\" --wait --timeout 10m\n\
                 done <<<\"$RELEASES\"\n",
                helmfile = platc_helm::HELMFILE,
                command = "helmfile apply",
            ),
        ));
    }
    steps.push(gha::run(
        text(&format!("Wait for the Deployments of {} in {}", app.name, st.namespace)),
        Mapping::new()
            .with("NAMESPACE", text(&st.namespace))
            .with("SELECTOR", text(&app_selector(app))),
        "kubectl rollout status deployment --namespace \"$NAMESPACE\" --selector \"$SELECTOR\" --timeout 10m\n",
    ));
    steps
}

/// Header lines that state the order of a stage deploy's jobs.
fn deploy_order(terraform: bool, stage: &str) -> Vec<String> {
    let mut lines = vec!["Order: platc check, then every overlay builds, then".to_string()];
    if terraform {
        lines.push(format!(
            "terraform apply of {OUTPUT_DIR}/terraform/{stage} (managed stores, secret-manager entries), then"
        ));
    }
    lines.push(
        "per app: kubectl apply -k, wait for the ExternalSecrets, apply its operator clusters that"
            .to_string(),
    );
    lines.push(
        "cannot go through Kustomize (InnoDBClusters) and wait for them and their user jobs, the"
            .to_string(),
    );
    lines.push(
        "Helm releases of its in-cluster stores (as its helmfile), and wait for its Deployments."
            .to_string(),
    );
    lines
}

/// The job of a stage deploy that applies the stage's Terraform before anything is deployed
/// that needs it. It shares its concurrency group with the by-hand apply of terraform.yml.
fn terraform_apply_job(ir: &Ir, stage: &str, condition: Option<&str>) -> Mapping {
    let mut apply = job(text(&format!("terraform apply {stage}")), 60, true);
    if let Some(condition) = condition {
        apply.insert("if", condition);
    }
    apply
        .with("environment", text(stage))
        .with("concurrency", terraform_concurrency(stage))
        .with("env", terraform_job_env(ir, stage))
        .with("steps", Yaml::Seq(terraform_steps(ir, stage, true)))
}

fn terraform_concurrency(stage: &str) -> Mapping {
    Mapping::new()
        .with("group", text(&format!("terraform-apply-{stage}")))
        .with("cancel-in-progress", false)
}

fn terraform_job_env(ir: &Ir, stage: &str) -> Mapping {
    let mut env = cloud::terraform_env(&ir.platform)
        .with("TF_DIR", text(&format!("{OUTPUT_DIR}/terraform/{stage}")))
        .with("TF_IN_AUTOMATION", "true");
    if uses_atlas(ir, stage) {
        // The mongodbatlas provider reads an Atlas programmatic API key from these. Atlas has
        // no OIDC federation for GitHub: give the key only the project's Project Owner role
        // and an IP access list, and keep it in the stage's environment secrets.
        env.insert(
            "MONGODB_ATLAS_PUBLIC_KEY",
            setting("MONGODB_ATLAS_PUBLIC_KEY"),
        );
        env.insert(
            "MONGODB_ATLAS_PRIVATE_KEY",
            setting("MONGODB_ATLAS_PRIVATE_KEY"),
        );
    }
    env
}

/// The databases and caches of every app in `stage`.
fn stage_stores<'a>(ir: &'a Ir, stage: &'a str) -> impl Iterator<Item = &'a DataStoreIr> + 'a {
    ir.apps
        .iter()
        .flat_map(move |a| a.stages.iter().filter(move |s| s.stage == stage))
        .flat_map(|s| &s.workloads)
        .flat_map(|w| [&w.database, &w.cache])
        .flatten()
}

/// Whether `stage` provisions a MongoDB Atlas cluster (its host is a DNS SRV name).
fn uses_atlas(ir: &Ir, stage: &str) -> bool {
    stage_stores(ir, stage).any(|s| s.srv)
}

/// Whether `stage` has a Terraform directory (see `DataStoreIr::in_terraform`).
fn has_terraform(ir: &Ir, stage: &str) -> bool {
    stage_stores(ir, stage).any(DataStoreIr::in_terraform)
}

/// Stages whose Terraform directory exists.
pub(crate) fn managed_stages(ir: &Ir) -> Vec<String> {
    ir.stages
        .iter()
        .filter(|stage| has_terraform(ir, &stage.name))
        .map(|s| s.name.clone())
        .collect()
}

const TF_INIT: &str = "if [ ! -d \"$TF_DIR\" ]; then\n  \
    echo \"::error::$TF_DIR does not exist: render platform.toml with platc and commit the output\"\n  \
    exit 1\n\
    fi\n\
    backend=()\n\
    if [ -n \"$TF_BACKEND_CONFIG\" ]; then\n  \
    while IFS= read -r line; do\n    \
    if [ -n \"$line\" ]; then backend+=(\"-backend-config=$line\"); fi\n  \
    done <<<\"$TF_BACKEND_CONFIG\"\n  \
    backend+=(\"-backend-config=$STATE_KEY\")\n\
    else\n  \
    echo \"::warning::the secret TF_BACKEND_CONFIG is not set: Terraform keeps its state on the runner only\"\n\
    fi\n\
    terraform -chdir=\"$TF_DIR\" init -input=false \"${backend[@]}\"\n";

fn terraform_steps(ir: &Ir, stage: &str, apply: bool) -> Vec<Yaml> {
    let mut steps = vec![
        gha::checkout(),
        Yaml::Map(
            Mapping::new()
                .with("name", "Set up Terraform")
                .with("uses", gha::SETUP_TERRAFORM.uses())
                .with(
                    "with",
                    Mapping::new()
                        .with("terraform_version", gha::TERRAFORM_VERSION)
                        .with("terraform_wrapper", false),
                ),
        ),
    ];
    steps.extend(cloud::credentials(&ir.platform, true));
    steps.push(gha::run(
        "terraform init",
        Mapping::new()
            .with("TF_BACKEND_CONFIG", setting("TF_BACKEND_CONFIG"))
            .with("STATE_KEY", text(&cloud::state_key(&ir.platform, stage))),
        TF_INIT,
    ));
    if apply {
        steps.push(gha::run(
            "terraform apply",
            Mapping::new(),
            "terraform -chdir=\"$TF_DIR\" plan -input=false -lock-timeout=10m -out=tfplan\n\
             terraform -chdir=\"$TF_DIR\" apply -input=false -lock-timeout=10m tfplan\n",
        ));
    } else {
        steps.push(gha::run(
            "terraform plan",
            Mapping::new(),
            "terraform -chdir=\"$TF_DIR\" validate -no-color\n\
             terraform -chdir=\"$TF_DIR\" plan -input=false -lock-timeout=10m -no-color\n",
        ));
    }
    steps
}

fn terraform(ir: &Ir) -> Option<Workflow> {
    let stages = managed_stages(ir);
    if stages.is_empty() {
        return None;
    }
    let file = "terraform.yml".to_string();
    let on = Mapping::new()
        .with(
            "pull_request",
            Mapping::new().with(
                "paths",
                Yaml::Seq(vec![Yaml::from(format!("{OUTPUT_DIR}/terraform/**"))]),
            ),
        )
        .with("workflow_dispatch", Mapping::new());

    let mut jobs = Mapping::new();
    for stage in &stages {
        jobs.insert(
            format!("plan-{stage}"),
            job(text(&format!("terraform plan {stage}")), 30, true)
                .with("if", "github.event_name == 'pull_request'")
                .with("env", terraform_job_env(ir, stage))
                .with("steps", Yaml::Seq(terraform_steps(ir, stage, false))),
        );
        jobs.insert(
            format!("apply-{stage}"),
            terraform_apply_job(ir, stage, Some("github.event_name == 'workflow_dispatch'")),
        );
    }

    let mut comments = vec![
        format!(
            "Terraform of the stages with cloud-managed stores ({}), one directory each under {OUTPUT_DIR}/terraform/.",
            stages.join(", ")
        ),
        "Plans on pull requests that change it; applies only by hand here (Actions → Run workflow).".to_string(),
        "Each stage's deploy workflow applies its directory itself, before the stage's apps, so that".to_string(),
        "databases and secret-manager entries exist when the apps that need them roll out.".to_string(),
        "Each apply job runs in the GitHub environment named after its stage: add required reviewers".to_string(),
        "there (Settings → Environments) so that no apply runs without an approval. Plans run without".to_string(),
        "an environment: give the repository-level secrets a read-only role and the environments".to_string(),
        "the role that may change resources.".to_string(),
        "State: the secret TF_BACKEND_CONFIG holds the backend settings, one key=value per line, each".to_string(),
        "passed as -backend-config (e.g. bucket=… and region=… for s3); the stage's key or prefix is added.".to_string(),
    ];
    comments.extend(assumptions(&file));
    comments.extend(cloud_settings(ir));

    let doc = workflow(
        Yaml::from("terraform"),
        on,
        Mapping::new()
            .with("group", "terraform-${{ github.ref }}")
            .with("cancel-in-progress", false),
        jobs,
    );
    Some(render(file, &comments, doc))
}

const CORE_SERVICES: &str = "core-services.yml";

/// `core-services.yml`: the cluster-wide releases and objects every stage relies on. Namespaces
/// first (with their Pod Security labels), then the Helm releases of the helmfile in its order
/// (kube-prometheus-stack first: the others' ServiceMonitors need its CRDs), then the objects
/// that need the charts' CRDs (ClusterIssuers, the ClusterSecretStore, the event bus).
fn core_services(ir: &Ir) -> Workflow {
    let file = CORE_SERVICES.to_string();
    let dir = format!("{OUTPUT_DIR}/{}", platc_core::DIR);
    let releases: Vec<String> = platc_core::helm::releases(ir)
        .iter()
        .map(|r| {
            let (chart, repo) = match platc_core::helm::REPOSITORIES
                .iter()
                .find(|repo| repo.name == r.repository)
            {
                Some(repo) if repo.oci => {
                    (format!("oci://{}/{}", repo.url, r.chart), "-".to_string())
                }
                Some(repo) => (r.chart.to_string(), repo.url.to_string()),
                None => (format!("{}/{}", r.repository, r.chart), "-".to_string()),
            };
            format!(
                "{} {} {} {} {} {}",
                r.name,
                chart,
                repo,
                r.version,
                r.namespace,
                r.values_file()
            )
        })
        .collect();
    let mut steps = vec![gha::checkout()];
    steps.extend(cloud::credentials(&ir.platform, false));
    steps.push(cloud::kubeconfig(&ir.platform));
    steps.push(gha::setup_helm());
    steps.push(gha::run(
        "Namespaces and what the charts need at start",
        Mapping::new().with("DIR", text(&dir)),
        "kubectl apply -f \"$DIR/namespace.yaml\"\n",
    ));
    steps.push(gha::run(
        "Helm releases",
        Mapping::new()
            .with("DIR", text(&dir))
            .with("RELEASES", text(&(releases.join("\n") + "\n"))),
        &format!(
            "# The releases of $DIR/{helmfile} in its order (`helmfile -f {core}/{helmfile} apply` locally):\n\
             # name, chart, repository (- for OCI), version, namespace, values.\n\
             cd \"$DIR\"\n\
             while read -r name chart repo version namespace values; do\n  \
             if [ -z \"$name\" ]; then continue; fi\n  \
             source=()\n  \
             if [ \"$repo\" != - ]; then source=(--repo \"$repo\"); fi\n  \
             helm upgrade --install \"$name\" \"$chart\" \"${{source[@]}}\" --version \"$version\" \\\n    \
             --namespace \"$namespace\" --values \"$values\" --wait --timeout 10m\n\
             done <<<\"$RELEASES\"\n",
            helmfile = platc_helm::HELMFILE,
            core = platc_core::DIR,
        ),
    ));
    steps.push(gha::run(
        "Objects that need the charts' CRDs",
        Mapping::new().with("DIR", text(&dir)),
        "kubectl apply -k \"$DIR\"\n",
    ));
    let jobs = Mapping::new()
        .with("check", check_job())
        .with(
            "build",
            job(Yaml::from("kubectl kustomize"), 10, false)
                .with("needs", needs("check"))
                .with(
                    "steps",
                    Yaml::Seq(vec![
                        gha::checkout(),
                        gha::run(
                            "Build core-services",
                            Mapping::new().with("DIR", text(&dir)),
                            "kubectl kustomize \"$DIR\" >/dev/null\n",
                        ),
                    ]),
                ),
        )
        .with(
            "deploy",
            job(Yaml::from("Deploy core-services"), 60, true)
                .with("needs", needs("build"))
                .with("environment", text(platc_core::DIR))
                .with("steps", Yaml::Seq(steps)),
        );
    let on = Mapping::new()
        .with(
            "push",
            Mapping::new()
                .with("branches", Yaml::Seq(vec![Yaml::from("main")]))
                .with("paths", Yaml::Seq(vec![Yaml::from(format!("{dir}/**"))])),
        )
        .with("workflow_dispatch", Mapping::new());
    let mut comments = vec![
        format!(
            "Installs core-services (namespace {}) on every push to main that changes {dir}/, or by hand.",
            ir.core.namespace
        ),
        "Every stage runs on it: the deploy job runs in the GitHub environment `core-services`; add".to_string(),
        "required reviewers there (Settings → Environments) so that no change reaches the cluster unapproved.".to_string(),
        "Order: namespaces, the Helm releases of its helmfile in order, then kubectl apply -k for the".to_string(),
        "objects that need the charts' CRDs (ClusterIssuers, ClusterSecretStore, event bus, policies).".to_string(),
    ];
    comments.extend(assumptions(&file));
    comments.extend(cloud_settings(ir));
    let doc = workflow(
        Yaml::from("core-services"),
        on,
        Mapping::new()
            .with("group", "core-services")
            .with("cancel-in-progress", false),
        jobs,
    );
    render(file, &comments, doc)
}

fn platc_check(files: &[String]) -> Workflow {
    let file = PLATC_CHECK.to_string();
    let mut sorted = files.to_vec();
    sorted.sort();
    let steps = vec![
        gha::checkout(),
        gha::install_platc(),
        gha::run(
            "platform.toml is valid",
            Mapping::new(),
            &format!("platc validate -c {CONFIG_PATH}\n"),
        ),
        gha::run(
            "The committed output is what platform.toml renders to",
            Mapping::new(),
            &format!("platc check -c {CONFIG_PATH} -o {OUTPUT_DIR}\n"),
        ),
        gha::run(
            "The workflows GitHub runs are the rendered ones",
            Mapping::new().with("WORKFLOWS", text(&sorted.join(" "))),
            &format!(
                "status=0\n\
                 read -ra files <<<\"$WORKFLOWS\"\n\
                 for f in \"${{files[@]}}\"; do\n  \
                 if ! cmp -s \"{OUTPUT_DIR}/.github/workflows/$f\" \".github/workflows/$f\"; then\n    \
                 echo \"::error file=.github/workflows/$f::differs from {OUTPUT_DIR}/.github/workflows/$f: copy the rendered file there\"\n    \
                 status=1\n  \
                 fi\n\
                 done\n\
                 exit \"$status\"\n"
            ),
        ),
    ];
    let jobs = Mapping::new().with(
        "check",
        job(Yaml::from("platc check"), 30, false).with("steps", Yaml::Seq(steps)),
    );
    let on = Mapping::new().with("pull_request", Mapping::new());
    let mut comments = vec![
        "On every pull request: platform.toml is valid, the committed output is exactly what it"
            .to_string(),
        "renders to, and .github/workflows holds the current copies of the rendered workflows."
            .to_string(),
        "Make it a required status check of main (Settings → Branches).".to_string(),
    ];
    comments.extend(assumptions(&file));
    let doc = workflow(
        Yaml::from("platc check"),
        on,
        Mapping::new()
            .with(
                "group",
                "platc-check-${{ github.event.pull_request.number }}",
            )
            .with("cancel-in-progress", true),
        jobs,
    );
    render(file, &comments, doc)
}
