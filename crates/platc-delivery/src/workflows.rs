//! The infrastructure repository's workflows, under `.github/workflows/` of the output:
//!
//! - `deploy-<stage>.yml` per deployed stage: `platc check`, build every overlay of the stage
//!   with `kubectl kustomize`, then `kubectl apply -k` each app's overlay and wait for its
//!   Deployments. Triggered by the stage's `deploy`: `push` → every push to main, `release` →
//!   a published release, and every stage by hand (`workflow_dispatch`).
//! - `terraform.yml` when some stage has a cloud-managed store: plan on pull requests that touch
//!   `deploy/terraform/**`, apply on a published release (or by hand), per stage directory.
//! - `platc-check.yml`: on every pull request, platform.toml is valid, the committed output is
//!   what it renders to, and the copies of these workflows in `.github/workflows/` are current.

use platc_ir::{AppIr, AppStageIr, Deploy, Ir, Placement, StageKind};
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
    for (app, st) in &apps {
        deploy_steps.push(gha::run(
            text(&format!("Deploy {} to {}", app.name, st.namespace)),
            Mapping::new()
                .with("OVERLAY", text(&overlay_dir(&app.name, stage)))
                .with("NAMESPACE", text(&st.namespace))
                .with("SELECTOR", text(&app_selector(app))),
            "kubectl apply -k \"$OVERLAY\"\n\
             kubectl rollout status deployment --namespace \"$NAMESPACE\" --selector \"$SELECTOR\" --timeout 10m\n",
        ));
    }

    let jobs = Mapping::new()
        .with("check", check_job())
        .with(
            "build",
            job(Yaml::from("kubectl kustomize"), 10, false)
                .with("needs", needs("check"))
                .with("steps", Yaml::Seq(build_steps)),
        )
        .with(
            "deploy",
            job(text(&format!("Deploy {stage}")), 30, true)
                .with("needs", needs("build"))
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

/// Stages whose Terraform directory exists (the same rule as platc-terraform's): some store
/// there is managed (provisioned by it) or gets its credentials from the secret manager.
pub(crate) fn managed_stages(ir: &Ir) -> Vec<String> {
    ir.stages
        .iter()
        .filter(|stage| {
            ir.apps.iter().any(|app| {
                app.stages
                    .iter()
                    .filter(|s| s.stage == stage.name)
                    .any(|s| {
                        s.workloads.iter().any(|w| {
                            [&w.database, &w.cache].into_iter().flatten().any(|store| {
                                store.placement == Placement::Managed
                                    || store.credentials_from_secret_manager
                            })
                        })
                    })
            })
        })
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
        .with(
            "release",
            Mapping::new().with("types", Yaml::Seq(vec![Yaml::from("published")])),
        )
        .with("workflow_dispatch", Mapping::new());

    let mut jobs = Mapping::new();
    for stage in &stages {
        let env = cloud::terraform_env(&ir.platform)
            .with("TF_DIR", text(&format!("{OUTPUT_DIR}/terraform/{stage}")))
            .with("TF_IN_AUTOMATION", "true");
        jobs.insert(
            format!("plan-{stage}"),
            job(text(&format!("terraform plan {stage}")), 30, true)
                .with("if", "github.event_name == 'pull_request'")
                .with("env", env.clone())
                .with("steps", Yaml::Seq(terraform_steps(ir, stage, false))),
        );
        jobs.insert(
            format!("apply-{stage}"),
            job(text(&format!("terraform apply {stage}")), 60, true)
                .with(
                    "if",
                    "github.event_name == 'release' || github.event_name == 'workflow_dispatch'",
                )
                .with("environment", text(stage))
                .with(
                    "concurrency",
                    Mapping::new()
                        .with("group", text(&format!("terraform-apply-{stage}")))
                        .with("cancel-in-progress", false),
                )
                .with("env", env)
                .with("steps", Yaml::Seq(terraform_steps(ir, stage, true))),
        );
    }

    let mut comments = vec![
        format!(
            "Terraform of the stages with cloud-managed stores ({}), one directory each under {OUTPUT_DIR}/terraform/.",
            stages.join(", ")
        ),
        "Plans on pull requests that change it; applies when a GitHub release is published, or by hand.".to_string(),
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
