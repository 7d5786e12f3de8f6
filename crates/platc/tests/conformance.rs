//! Kubernetes conformance of the committed golden output.
//!
//! For every rendered fixture under `golden/<fixture>/` (not `golden/invalid/`) each directory
//! holding a `kustomization.yaml` must build with `kubectl kustomize`. Every object built from an
//! overlay (a directory under `overlays/`) must
//!
//! - validate strictly (`additionalProperties: false`) against the Kubernetes 1.31.0 JSON schema of
//!   its kind and apiVersion (`tests/data/k8s/v1.31.0/`, kubeconform file names), or, for a custom
//!   resource, against `tests/data/crds/<group>/<kind>_<version>.json`; an object with neither
//!   schema fails, so nothing goes unchecked;
//! - carry `metadata.namespace` unless its kind is cluster-scoped;
//! - be the only object of its (API group, kind, namespace, name) in the overlay.
//!
//! All problems of all fixtures are reported together. `kubectl` must be on `PATH`; without it
//! the test fails unless `PLATC_SKIP_KUBECTL=1` is set, in which case it says it skipped.
//! Where the schemas came from: `tests/data/k8s/SOURCES.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use jsonschema::{Draft, Registry, Resource, Validator};
use serde_json::Value;

/// The Kubernetes version whose schemas are copied under `tests/data/k8s/`.
const K8S_VERSION: &str = "1.31.0";

/// `$id` of `_definitions.json`. Every kind schema has an `$id` under `https://kubernetes.io/api/`
/// (e.g. `https://kubernetes.io/api/deployment/apps/v1`) and refers to
/// `/api/_definitions.json#/$defs/...`, which resolves against that `$id` to this URI.
const DEFINITIONS_URI: &str = "https://kubernetes.io/api/_definitions.json";

/// Kinds that live outside namespaces (everything else must carry `metadata.namespace`).
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterExternalSecret",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterSecretStore",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

const KUSTOMIZATION_NAMES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// At most this many schema errors are listed per object.
const MAX_ERRORS_PER_OBJECT: usize = 20;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn k8s_schema_dir() -> PathBuf {
    root()
        .join("tests/data/k8s")
        .join(format!("v{K8S_VERSION}"))
}

fn crd_schema_dir() -> PathBuf {
    root().join("tests/data/crds")
}

// --- schemas -------------------------------------------------------------------------------

/// `apiVersion` → (group, version); the core group is `""`.
fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// Groups served by Kubernetes itself (whose schemas are under `tests/data/k8s/`): the core group,
/// dot-less groups (`apps`, `batch`, `policy`, `autoscaling`, ...) and `*.k8s.io`.
fn is_builtin_group(group: &str) -> bool {
    !group.contains('.') || group.ends_with(".k8s.io")
}

/// kubeconform's file name: `<kind>-<group prefix before the first dot>-<version>.json`,
/// `<kind>-<version>.json` for the core group, all lower case.
fn k8s_schema_file(api_version: &str, kind: &str) -> String {
    let (group, version) = split_api_version(api_version);
    let kind = kind.to_lowercase();
    let version = version.to_lowercase();
    match group.split('.').next().filter(|g| !g.is_empty()) {
        Some(prefix) => format!("{kind}-{}-{version}.json", prefix.to_lowercase()),
        None => format!("{kind}-{version}.json"),
    }
}

/// The datree CRDs-catalog layout: `<group>/<kind lowercase>_<version>.json`.
fn crd_schema_file(api_version: &str, kind: &str) -> Option<String> {
    let (group, version) = split_api_version(api_version);
    (!group.is_empty()).then(|| format!("{group}/{}_{version}.json", kind.to_lowercase()))
}

/// The draft a schema declares with `$schema`; Draft 2020-12 when it declares none (the CRD
/// catalog files), as the external checker does.
fn declared_draft(schema: &Value) -> Result<Draft, String> {
    match schema.get("$schema") {
        None => Ok(Draft::Draft202012),
        Some(Value::String(uri)) => match Draft::default().detect(schema) {
            Draft::Unknown => Err(format!("unknown $schema {uri}")),
            draft => Ok(draft),
        },
        Some(other) => Err(format!("$schema is not a string: {other}")),
    }
}

struct Schemas {
    /// Holds `_definitions.json`, the target of every `$ref` in the Kubernetes kind schemas.
    registry: Registry<'static>,
    /// (apiVersion, kind) → the compiled schema and its file (relative to `tests/data/`), or why
    /// there is none.
    cache: BTreeMap<(String, String), Result<(Validator, String), String>>,
}

impl Schemas {
    fn load() -> Result<Self, String> {
        let path = k8s_schema_dir().join("_definitions.json");
        let definitions = read_json(&path)?;
        if definitions.get("$id").and_then(Value::as_str) != Some(DEFINITIONS_URI) {
            return Err(format!(
                "{} does not have $id {DEFINITIONS_URI}",
                path.display()
            ));
        }
        let draft = declared_draft(&definitions)?;
        let registry = Registry::new()
            .draft(draft)
            .add(DEFINITIONS_URI, Resource::from_contents(definitions))
            .and_then(|builder| builder.prepare())
            .map_err(|e| format!("registering {}: {e}", path.display()))?;
        Ok(Self {
            registry,
            cache: BTreeMap::new(),
        })
    }

    /// Compiles one schema file with `_definitions.json` available.
    fn compile(&self, path: &Path) -> Result<Validator, String> {
        let schema = read_json(path)?;
        let draft = declared_draft(&schema).map_err(|e| format!("{}: {e}", path.display()))?;
        jsonschema::options()
            .with_draft(draft)
            .with_registry(&self.registry)
            // As the external checker (python-jsonschema without a format checker): `format` is
            // an annotation only.
            .should_validate_formats(false)
            .offline()
            .build(&schema)
            .map_err(|e| format!("{}: does not compile: {e}", path.display()))
    }

    /// The schema for `apiVersion`/`kind`: a Kubernetes one for built-in groups, else a CRD one.
    fn get(&mut self, api_version: &str, kind: &str) -> &Result<(Validator, String), String> {
        let key = (api_version.to_string(), kind.to_string());
        if !self.cache.contains_key(&key) {
            let found = self.find(api_version, kind);
            self.cache.insert(key.clone(), found);
        }
        &self.cache[&key]
    }

    fn find(&self, api_version: &str, kind: &str) -> Result<(Validator, String), String> {
        let (group, _) = split_api_version(api_version);
        let mut tried = Vec::new();
        if is_builtin_group(group) {
            let file = k8s_schema_file(api_version, kind);
            let path = k8s_schema_dir().join(&file);
            if path.is_file() {
                return self
                    .compile(&path)
                    .map(|v| (v, format!("k8s/v{K8S_VERSION}/{file}")));
            }
            tried.push(format!("tests/data/k8s/v{K8S_VERSION}/{file}"));
        }
        if let Some(file) = crd_schema_file(api_version, kind) {
            let path = crd_schema_dir().join(&file);
            if path.is_file() {
                return self.compile(&path).map(|v| (v, format!("crds/{file}")));
            }
            tried.push(format!("tests/data/crds/{file}"));
        }
        let mut why = format!(
            "no schema for {api_version} {kind} (looked for {})",
            tried.join(", ")
        );
        let others = crd_versions_of(group, kind);
        if !others.is_empty() {
            let _ = write!(
                why,
                "; schemas exist for versions {}: a deprecated or unserved apiVersion?",
                others.join(", ")
            );
        }
        Err(why)
    }

    fn compiled(&self) -> usize {
        self.cache.values().filter(|v| v.is_ok()).count()
    }
}

/// Versions of `group`/`kind` with a CRD schema under `tests/data/crds/`.
fn crd_versions_of(group: &str, kind: &str) -> Vec<String> {
    let prefix = format!("{}_", kind.to_lowercase());
    let Ok(entries) = std::fs::read_dir(crd_schema_dir().join(group)) else {
        return Vec::new();
    };
    let mut versions: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix(&prefix)?
                .strip_suffix(".json")
                .map(str::to_string)
        })
        .collect();
    versions.sort();
    versions
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("parsing {}: {e}", path.display()))
}

/// Every schema error of `object`, as `<instance path>: <message>`.
fn schema_errors(validator: &Validator, object: &Value) -> Vec<String> {
    validator
        .iter_errors(object)
        .map(|e| {
            let path = e.instance_path().to_string();
            let path = if path.is_empty() {
                "(root)".to_string()
            } else {
                path
            };
            let mut message = e.to_string();
            if message.len() > 300 {
                let mut cut = 300;
                while !message.is_char_boundary(cut) {
                    cut -= 1;
                }
                message.truncate(cut);
                message.push('…');
            }
            format!("{path}: {message}")
        })
        .collect()
}

// --- the golden trees ------------------------------------------------------------------------

struct Failure {
    fixture: String,
    /// Directory relative to `golden/<fixture>/`.
    dir: String,
    /// The object (`Kind namespace/name`), or what failed for the directory as a whole.
    what: String,
    details: Vec<String>,
}

#[derive(Default)]
struct Tally {
    kustomizations: usize,
    /// Files outside the kustomizations (applied with `--namespace`).
    loose: usize,
    objects: usize,
}

fn fixtures() -> Vec<(String, PathBuf)> {
    let golden = root().join("golden");
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir(&golden)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                // `scaffold` holds `platc new-service` output, not rendered platforms.
                .filter(|(name, _)| name != "invalid" && name != "scaffold")
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// Every directory under `dir` that holds a kustomization, sorted.
fn kustomization_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_type().is_file() && KUSTOMIZATION_NAMES.iter().any(|n| e.file_name() == *n)
        })
        .filter_map(|e| e.path().parent().map(Path::to_path_buf))
        .collect();
    dirs.dedup();
    dirs
}

/// The YAML files under `apps/<app>/operator-clusters/`: applied with `kubectl apply
/// --namespace`, outside every kustomization.
fn loose_files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir.join("apps"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_type().is_file()
                && e.path().extension().is_some_and(|x| x == "yaml")
                && e.path()
                    .components()
                    .any(|c| c.as_os_str() == "operator-clusters")
        })
        .map(|e| e.path().to_path_buf())
        .collect()
}

fn is_overlay(relative: &Path) -> bool {
    relative.components().any(|c| c.as_os_str() == "overlays")
}

/// `kubectl kustomize <dir>`: the built YAML, or why it did not build.
fn kustomize(dir: &Path) -> Result<String, String> {
    let output = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .map_err(|e| format!("cannot run kubectl: {e}"))?;
    if output.status.success() {
        String::from_utf8(output.stdout).map_err(|e| format!("kubectl printed non-UTF-8: {e}"))
    } else {
        Err(format!(
            "kubectl kustomize exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Whether `kubectl` can be run; `Err` says why not.
fn kubectl_available() -> Result<(), String> {
    match Command::new("kubectl")
        .args(["version", "--client"])
        .output()
    {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "`kubectl version --client` exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Err(format!("cannot run `kubectl`: {e}")),
    }
}

/// The documents of a multi-document YAML stream (as `kubectl kustomize` prints it: documents
/// separated by `---` lines at column 0), empty documents left out. `serde` itself is no
/// dependency here, so each document goes through `serde_norway::from_str`.
fn parse_documents(yaml: &str) -> Result<Vec<Value>, String> {
    let mut chunks = vec![String::new()];
    for line in yaml.lines() {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            chunks.push(
                line.get(4..)
                    .map(|rest| format!("{rest}\n"))
                    .unwrap_or_default(),
            );
        } else if let Some(chunk) = chunks.last_mut() {
            chunk.push_str(line);
            chunk.push('\n');
        }
    }
    let mut docs = Vec::new();
    for (i, chunk) in chunks.iter().filter(|c| !c.trim().is_empty()).enumerate() {
        let value: Value = serde_norway::from_str(chunk)
            .map_err(|e| format!("document {}: not YAML: {e}", i + 1))?;
        if !value.is_null() {
            docs.push(value);
        }
    }
    Ok(docs)
}

fn str_at<'a>(object: &'a Value, pointer: &str) -> Option<&'a str> {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Validates every object built from one overlay; appends problems to `failures`.
/// Validates built objects. `applied_with_namespace`: the objects are applied with `kubectl
/// apply --namespace` (files outside any kustomization), so they must not name a namespace.
fn check_overlay(
    fixture: &str,
    dir: &str,
    objects: &[Value],
    applied_with_namespace: bool,
    schemas: &mut Schemas,
    tally: &mut Tally,
    failures: &mut Vec<Failure>,
) {
    let mut seen: BTreeMap<(String, String, String, String), usize> = BTreeMap::new();
    for (index, object) in objects.iter().enumerate() {
        let kind = str_at(object, "/kind");
        let api_version = str_at(object, "/apiVersion");
        let name = str_at(object, "/metadata/name");
        let namespace = str_at(object, "/metadata/namespace");
        let what = format!(
            "{} {}/{}",
            kind.unwrap_or("<no kind>"),
            namespace.unwrap_or("-"),
            name.unwrap_or("<no name>")
        );
        let mut details = Vec::new();
        let (Some(kind), Some(api_version)) = (kind, api_version) else {
            details.push(format!(
                "document {}: apiVersion and kind are required",
                index + 1
            ));
            failures.push(Failure {
                fixture: fixture.into(),
                dir: dir.into(),
                what,
                details,
            });
            continue;
        };
        if name.is_none() {
            details.push("metadata.name is missing".to_string());
        }
        if applied_with_namespace {
            if namespace.is_some() {
                details.push(
                    "metadata.namespace is set, but the file is applied with --namespace".into(),
                );
            }
        } else if namespace.is_none() && !CLUSTER_SCOPED.contains(&kind) {
            details.push(format!(
                "metadata.namespace is missing ({kind} is namespaced)"
            ));
        }
        let (group, _) = split_api_version(api_version);
        let identity = (
            group.to_string(),
            kind.to_string(),
            namespace.unwrap_or_default().to_string(),
            name.unwrap_or_default().to_string(),
        );
        if let Some(first) = seen.insert(identity, index) {
            details.push(format!(
                "duplicate: document {} is also group {:?} kind {kind} in namespace {:?} named {:?}",
                first + 1,
                group,
                namespace.unwrap_or_default(),
                name.unwrap_or_default()
            ));
        }
        match schemas.get(api_version, kind) {
            Ok((validator, source)) => {
                tally.objects += 1;
                let errors = schema_errors(validator, object);
                if !errors.is_empty() {
                    details.push(format!("does not validate against {source}:"));
                    let more = errors.len().saturating_sub(MAX_ERRORS_PER_OBJECT);
                    details.extend(
                        errors
                            .into_iter()
                            .take(MAX_ERRORS_PER_OBJECT)
                            .map(|e| format!("  {e}")),
                    );
                    if more > 0 {
                        details.push(format!("  … {more} more"));
                    }
                }
            }
            Err(why) => details.push(why.clone()),
        }
        if !details.is_empty() {
            failures.push(Failure {
                fixture: fixture.into(),
                dir: dir.into(),
                what,
                details,
            });
        }
    }
}

fn report(failures: &[Failure]) -> String {
    let mut text = format!("{} conformance problem(s):\n", failures.len());
    for f in failures {
        let _ = writeln!(text, "\ngolden/{}/{}: {}", f.fixture, f.dir, f.what);
        for line in &f.details {
            let _ = writeln!(text, "    {line}");
        }
    }
    text
}

#[test]
fn golden_output_is_kubernetes_conformant() {
    if let Err(why) = kubectl_available() {
        if std::env::var("PLATC_SKIP_KUBECTL").is_ok_and(|v| v == "1") {
            println!(
                "conformance: SKIPPED, kubectl is not available ({why}) and PLATC_SKIP_KUBECTL=1"
            );
            return;
        }
        panic!(
            "conformance: kubectl is required to build the golden kustomizations but {why}.\n\
             Install kubectl (https://kubernetes.io/docs/tasks/tools/) or set PLATC_SKIP_KUBECTL=1 to skip this test."
        );
    }
    let mut schemas = Schemas::load().unwrap_or_else(|e| panic!("conformance: {e}"));
    let fixtures = fixtures();
    assert!(
        !fixtures.is_empty(),
        "conformance: golden/ holds no rendered fixture; bless it with `UPDATE_GOLDEN=1 cargo test -p platc --test golden`"
    );

    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for (fixture, fixture_dir) in &fixtures {
        let dirs = kustomization_dirs(fixture_dir);
        if dirs.is_empty() {
            failures.push(Failure {
                fixture: fixture.clone(),
                dir: String::new(),
                what: "no kustomization".into(),
                details: vec![
                    "the fixture's output holds no kustomization.yaml, so nothing would be checked"
                        .into(),
                ],
            });
        }
        for dir in dirs {
            let relative = dir.strip_prefix(fixture_dir).unwrap_or(&dir);
            let label = relative.to_string_lossy().replace('\\', "/");
            let built = match kustomize(&dir) {
                Ok(built) => built,
                Err(why) => {
                    failures.push(Failure {
                        fixture: fixture.clone(),
                        dir: label,
                        what: "kustomize build".into(),
                        details: vec![why],
                    });
                    continue;
                }
            };
            tally.kustomizations += 1;
            if !is_overlay(relative) {
                continue;
            }
            match parse_documents(&built) {
                Ok(objects) => check_overlay(
                    fixture,
                    &label,
                    &objects,
                    false,
                    &mut schemas,
                    &mut tally,
                    &mut failures,
                ),
                Err(why) => failures.push(Failure {
                    fixture: fixture.clone(),
                    dir: label,
                    what: "kustomize output".into(),
                    details: vec![why],
                }),
            }
        }

        // Operator objects outside the kustomizations (InnoDBClusters), validated as they are.
        for file in loose_files(fixture_dir) {
            let relative = file.strip_prefix(fixture_dir).unwrap_or(&file);
            let label = relative.to_string_lossy().replace('\\', "/");
            tally.loose += 1;
            match std::fs::read_to_string(&file)
                .map_err(|e| e.to_string())
                .and_then(|text| parse_documents(&text))
            {
                Ok(objects) => check_overlay(
                    fixture,
                    &label,
                    &objects,
                    true,
                    &mut schemas,
                    &mut tally,
                    &mut failures,
                ),
                Err(why) => failures.push(Failure {
                    fixture: fixture.clone(),
                    dir: label,
                    what: "operator cluster file".into(),
                    details: vec![why],
                }),
            }
        }
    }

    println!(
        "conformance: {} kustomizations built, {} files outside them, {} objects validated against {} schemas (Kubernetes {K8S_VERSION} + CRDs), {} fixture(s): {}",
        tally.kustomizations,
        tally.loose,
        tally.objects,
        schemas.compiled(),
        fixtures.len(),
        fixtures.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>().join(", ")
    );
    assert!(failures.is_empty(), "{}", report(&failures));
}

// --- the checker itself ----------------------------------------------------------------------

fn deployment() -> Value {
    serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop-dev", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{
                        "name": "web",
                        "image": "ghcr.io/acme/web:1.0.0",
                        "ports": [{"name": "http", "containerPort": 8080}],
                        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}
                    }]
                }
            }
        }
    })
}

#[test]
fn a_valid_deployment_passes() {
    let mut schemas = Schemas::load().expect("schemas");
    let (validator, source) = schemas
        .get("apps/v1", "Deployment")
        .as_ref()
        .expect("deployment schema");
    assert_eq!(source, "k8s/v1.31.0/deployment-apps-v1.json");
    let errors = schema_errors(validator, &deployment());
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn a_broken_deployment_is_rejected() {
    let mut broken = deployment();
    broken["spec"]["replicas"] = serde_json::json!("three");
    broken["spec"]["foo"] = serde_json::json!(true);
    // Deep inside `_definitions.json`: a container field that does not exist.
    broken["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] =
        serde_json::json!("Always");
    let mut schemas = Schemas::load().expect("schemas");
    let (validator, _) = schemas
        .get("apps/v1", "Deployment")
        .as_ref()
        .expect("deployment schema");
    let errors = schema_errors(validator, &broken);
    let joined = errors.join("\n");
    assert!(
        errors.iter().any(|e| e.starts_with("/spec/replicas:")),
        "{joined}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/spec:") && e.contains("foo")),
        "{joined}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/spec/template/spec/containers/0:")
                && e.contains("imagePullPolicyy")),
        "{joined}"
    );

    let mut failures = Vec::new();
    check_overlay(
        "sample",
        "overlays/dev",
        &[broken],
        false,
        &mut schemas,
        &mut Tally::default(),
        &mut failures,
    );
    assert_eq!(failures.len(), 1);
    assert!(
        report(&failures).contains("/spec/replicas"),
        "{}",
        report(&failures)
    );
}

#[test]
fn missing_namespace_duplicates_and_unknown_kinds_are_reported() {
    let mut schemas = Schemas::load().expect("schemas");
    let mut no_namespace = deployment();
    no_namespace["metadata"]
        .as_object_mut()
        .expect("metadata")
        .remove("namespace");
    let objects = vec![
        deployment(),
        deployment(),
        no_namespace,
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop-dev"}}),
        serde_json::json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "shop-dev"}}),
        serde_json::json!({"apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret",
                           "metadata": {"name": "db", "namespace": "shop-dev"}, "spec": {}}),
    ];
    let mut failures = Vec::new();
    check_overlay(
        "sample",
        "overlays/dev",
        &objects,
        false,
        &mut schemas,
        &mut Tally::default(),
        &mut failures,
    );
    let text = report(&failures);
    assert_eq!(failures.len(), 4, "{text}");
    assert!(text.contains("duplicate: document 1"), "{text}");
    assert!(
        text.contains("metadata.namespace is missing (Deployment is namespaced)"),
        "{text}"
    );
    assert!(
        text.contains("no schema for example.com/v1 Widget"),
        "{text}"
    );
    assert!(text.contains("schemas exist for versions v1"), "{text}");
}

#[test]
fn schema_file_names_follow_kubeconform() {
    assert_eq!(k8s_schema_file("v1", "Service"), "service-v1.json");
    assert_eq!(
        k8s_schema_file("apps/v1", "Deployment"),
        "deployment-apps-v1.json"
    );
    assert_eq!(
        k8s_schema_file("networking.k8s.io/v1", "Ingress"),
        "ingress-networking-v1.json"
    );
    assert_eq!(
        k8s_schema_file("policy/v1", "PodDisruptionBudget"),
        "poddisruptionbudget-policy-v1.json"
    );
    assert_eq!(
        k8s_schema_file("autoscaling/v2", "HorizontalPodAutoscaler"),
        "horizontalpodautoscaler-autoscaling-v2.json"
    );
    assert_eq!(
        crd_schema_file("external-secrets.io/v1", "ExternalSecret").as_deref(),
        Some("external-secrets.io/externalsecret_v1.json")
    );
    assert_eq!(crd_schema_file("v1", "Service"), None);
    assert!(
        is_builtin_group("") && is_builtin_group("apps") && is_builtin_group("networking.k8s.io")
    );
    assert!(!is_builtin_group("monitoring.coreos.com"));
}

/// Every copied schema compiles (so later tests can rely on all of them) and declares Draft
/// 2020-12 (Kubernetes) or nothing (the CRD catalog, validated as 2020-12).
#[test]
fn every_schema_compiles() {
    let schemas = Schemas::load().expect("schemas");
    let mut problems = Vec::new();
    let mut count = 0;
    for dir in [k8s_schema_dir(), crd_schema_dir()] {
        let files: BTreeSet<PathBuf> = walkdir::WalkDir::new(&dir)
            .into_iter()
            .filter_map(Result::ok)
            .map(walkdir::DirEntry::into_path)
            .filter(|p| {
                p.extension().is_some_and(|e| e == "json") && !p.ends_with("_definitions.json")
            })
            .collect();
        assert!(!files.is_empty(), "no schemas under {}", dir.display());
        for path in files {
            count += 1;
            let schema = read_json(&path).expect("schema parses");
            match declared_draft(&schema) {
                Ok(Draft::Draft202012) => {}
                Ok(other) => problems.push(format!("{}: declares {other:?}", path.display())),
                Err(e) => problems.push(format!("{}: {e}", path.display())),
            }
            if let Err(e) = schemas.compile(&path) {
                problems.push(e);
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(count >= 12 + 10, "only {count} schemas");
}

#[test]
fn a_file_applied_with_namespace_must_not_name_one() {
    let mut schemas = Schemas::load().expect("schemas");
    let cluster = |metadata: Value| {
        serde_json::json!({"apiVersion": "mysql.oracle.com/v2", "kind": "InnoDBCluster",
                           "metadata": metadata,
                           "spec": {"secretName": "db-credentials", "tlsUseSelfSigned": true}})
    };
    let mut failures = Vec::new();
    check_overlay(
        "sample",
        "operator-clusters/dev",
        &[cluster(serde_json::json!({"name": "orders-mysql"}))],
        true,
        &mut schemas,
        &mut Tally::default(),
        &mut failures,
    );
    assert!(failures.is_empty(), "{}", report(&failures));
    check_overlay(
        "sample",
        "operator-clusters/dev",
        &[cluster(
            serde_json::json!({"name": "orders-mysql", "namespace": "shop-dev"}),
        )],
        true,
        &mut schemas,
        &mut Tally::default(),
        &mut failures,
    );
    let text = report(&failures);
    assert_eq!(failures.len(), 1, "{text}");
    assert!(text.contains("applied with --namespace"), "{text}");
    // The catalog's schema itself refuses the namespace too.
    assert!(text.contains("does not validate against"), "{text}");
}
