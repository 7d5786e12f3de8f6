//! Cloud access from workflows: OIDC federation (never long-lived keys), cluster credentials,
//! Terraform's provider and backend settings, and container registry logins.
//!
//! Everything account-specific comes from repository or environment settings (GitHub secrets,
//! see [`crate::gha::setting`]): platform.toml says which cloud and region, not which account,
//! role or cluster. A job with `environment: <stage>` reads that environment's secrets first, so
//! each stage can use its own role (e.g. a read-only role for plans at repository level, an
//! apply role per stage).

use platc_ir::{Cloud, PlatformIr};
use platc_yaml::{Mapping, Yaml};

use crate::gha::{self, setting, text, AWS_CREDENTIALS, AZURE_LOGIN, GCP_AUTH};

/// The settings a cloud's workflows read, with what they hold (for the header comments).
pub(crate) fn settings(cloud: Cloud) -> &'static [(&'static str, &'static str)] {
    match cloud {
        Cloud::Aws => &[
            (
                "AWS_ROLE_ARN",
                "IAM role assumed through GitHub's OIDC provider",
            ),
            ("KUBE_CLUSTER", "EKS cluster name"),
        ],
        Cloud::Azure => &[
            (
                "AZURE_CLIENT_ID",
                "client ID of the app registration or managed identity with a federated credential for this repository",
            ),
            ("AZURE_TENANT_ID", "Entra tenant ID"),
            ("AZURE_SUBSCRIPTION_ID", "subscription ID"),
            ("KUBE_RESOURCE_GROUP", "resource group of the AKS cluster"),
            ("KUBE_CLUSTER", "AKS cluster name"),
        ],
        Cloud::Gcp => &[
            (
                "GCP_WORKLOAD_IDENTITY_PROVIDER",
                "projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>",
            ),
            (
                "GCP_SERVICE_ACCOUNT",
                "service account to impersonate (leave unset for direct workload identity)",
            ),
            ("GCP_PROJECT", "project ID"),
            ("KUBE_CLUSTER", "GKE cluster name (regional, in the platform's region)"),
        ],
    }
}

/// Steps that give the job cloud credentials through OIDC. Azure's Terraform provider takes
/// OIDC itself (see [`terraform_env`]), so Terraform jobs on Azure need no step.
pub(crate) fn credentials(platform: &PlatformIr, terraform: bool) -> Vec<Yaml> {
    match platform.cloud {
        Cloud::Aws => vec![Yaml::Map(
            Mapping::new()
                .with("name", "AWS credentials (OIDC)")
                .with("uses", AWS_CREDENTIALS.uses())
                .with(
                    "with",
                    Mapping::new()
                        .with("role-to-assume", setting("AWS_ROLE_ARN"))
                        .with("aws-region", text(&platform.region)),
                ),
        )],
        Cloud::Azure if terraform => Vec::new(),
        Cloud::Azure => vec![azure_login()],
        Cloud::Gcp => vec![Yaml::Map(
            Mapping::new()
                .with(
                    "name",
                    "Google Cloud credentials (workload identity federation)",
                )
                .with("uses", GCP_AUTH.uses())
                .with(
                    "with",
                    Mapping::new()
                        .with(
                            "workload_identity_provider",
                            setting("GCP_WORKLOAD_IDENTITY_PROVIDER"),
                        )
                        .with("service_account", setting("GCP_SERVICE_ACCOUNT"))
                        .with("project_id", setting("GCP_PROJECT")),
                ),
        )],
    }
}

/// Job-level environment of Terraform jobs: Azure's provider and `azurerm` backend exchange
/// the GitHub OIDC token themselves when `ARM_USE_OIDC` is set.
pub(crate) fn terraform_env(platform: &PlatformIr) -> Mapping {
    match platform.cloud {
        Cloud::Azure => Mapping::new()
            .with("ARM_USE_OIDC", "true")
            .with("ARM_CLIENT_ID", setting("AZURE_CLIENT_ID"))
            .with("ARM_TENANT_ID", setting("AZURE_TENANT_ID"))
            .with("ARM_SUBSCRIPTION_ID", setting("AZURE_SUBSCRIPTION_ID")),
        Cloud::Aws | Cloud::Gcp => Mapping::new(),
    }
}

/// The `-backend-config` pair that separates one stage's state from another's, in the spelling
/// of the cloud's usual backend (`s3`, `azurerm`, `gcs`).
pub(crate) fn state_key(platform: &PlatformIr, stage: &str) -> String {
    let name = &platform.name;
    match platform.cloud {
        Cloud::Aws => format!("key={name}/{stage}.tfstate"),
        Cloud::Azure => format!("key={name}-{stage}.tfstate"),
        Cloud::Gcp => format!("prefix={name}/{stage}"),
    }
}

const NEED_CLUSTER: &str = "if [ -z \"$CLUSTER\" ]; then\n  \
    echo \"::error::set the secret KUBE_CLUSTER (repository or environment)\"\n  \
    exit 1\n\
    fi\n";

/// The step that writes a kubeconfig for the platform's cluster.
pub(crate) fn kubeconfig(platform: &PlatformIr) -> Yaml {
    let env = Mapping::new().with("CLUSTER", setting("KUBE_CLUSTER"));
    match platform.cloud {
        Cloud::Aws => gha::run(
            "Cluster credentials (EKS)",
            env.with("REGION", text(&platform.region)),
            &format!(
                "{NEED_CLUSTER}aws eks update-kubeconfig --name \"$CLUSTER\" --region \"$REGION\"\n"
            ),
        ),
        Cloud::Azure => gha::run(
            "Cluster credentials (AKS)",
            env.with("RESOURCE_GROUP", setting("KUBE_RESOURCE_GROUP")),
            &format!(
                "{NEED_CLUSTER}az aks get-credentials --resource-group \"$RESOURCE_GROUP\" --name \"$CLUSTER\" --overwrite-existing\n\
                 # Entra ID clusters authenticate kubectl through kubelogin, with the az login above.\n\
                 if ! command -v kubelogin >/dev/null; then\n  \
                 sudo az aks install-cli --only-show-errors\n\
                 fi\n\
                 kubelogin convert-kubeconfig -l azurecli\n"
            ),
        ),
        Cloud::Gcp => gha::run(
            "Cluster credentials (GKE)",
            env.with("REGION", text(&platform.region))
                .with("PROJECT", setting("GCP_PROJECT")),
            &format!(
                "{NEED_CLUSTER}if ! command -v gke-gcloud-auth-plugin >/dev/null; then\n  \
                 sudo apt-get update -qq\n  \
                 sudo apt-get install -y -qq google-cloud-cli-gke-gcloud-auth-plugin\n\
                 fi\n\
                 gcloud container clusters get-credentials \"$CLUSTER\" --region \"$REGION\" --project \"$PROJECT\"\n"
            ),
        ),
    }
}

/// Where a service's CI pushes its image, decided by the registry host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Registry {
    /// GitHub Container Registry: the workflow's own `GITHUB_TOKEN`.
    Ghcr,
    /// Amazon ECR (`<account>.dkr.ecr.<region>.amazonaws.com`): OIDC role.
    Ecr,
    /// Azure Container Registry (`<name>.azurecr.io`): OIDC login.
    Acr,
    /// Google Artifact Registry (`<region>-docker.pkg.dev`) or Container Registry (`gcr.io`).
    Gar,
    /// Anything else: a user name and password from repository secrets.
    Other,
}

impl Registry {
    pub(crate) fn of(host: &str) -> Registry {
        let host = host.to_ascii_lowercase();
        if host == "ghcr.io" {
            Registry::Ghcr
        } else if host.ends_with(".amazonaws.com") && host.contains(".dkr.ecr.") {
            Registry::Ecr
        } else if host.ends_with(".azurecr.io") {
            Registry::Acr
        } else if host.ends_with("-docker.pkg.dev") || host == "gcr.io" || host.ends_with(".gcr.io")
        {
            Registry::Gar
        } else {
            Registry::Other
        }
    }

    /// Whether logging in needs the job's OIDC token.
    pub(crate) fn needs_oidc(self) -> bool {
        matches!(self, Registry::Ecr | Registry::Acr | Registry::Gar)
    }
}

/// The host part of an image repository (`ghcr.io/acme/x` → `ghcr.io`).
pub(crate) fn registry_host(repository: &str) -> &str {
    repository.split('/').next().unwrap_or(repository)
}

/// Steps that log Docker in to the registry of `repository`.
pub(crate) fn registry_login(platform: &PlatformIr, repository: &str) -> Vec<Yaml> {
    let host = registry_host(repository);
    let kind = Registry::of(host);
    let env = Mapping::new().with("REGISTRY", text(host));
    match kind {
        Registry::Ghcr => vec![gha::run(
            "Log in to ghcr.io",
            env.with("GITHUB_TOKEN", "${{ github.token }}"),
            "printf '%s' \"$GITHUB_TOKEN\" | docker login \"$REGISTRY\" --username \"$GITHUB_ACTOR\" --password-stdin\n",
        )],
        Registry::Ecr => {
            // The region is part of the host; fall back to the platform's.
            let region = host
                .split('.')
                .skip_while(|part| *part != "ecr")
                .nth(1)
                .unwrap_or(&platform.region);
            vec![
                Yaml::Map(
                    Mapping::new()
                        .with("name", "AWS credentials (OIDC)")
                        .with("uses", AWS_CREDENTIALS.uses())
                        .with(
                            "with",
                            Mapping::new()
                                .with("role-to-assume", setting("AWS_ROLE_ARN"))
                                .with("aws-region", text(region)),
                        ),
                ),
                gha::run(
                    "Log in to Amazon ECR",
                    env.with("REGION", text(region)),
                    "aws ecr get-login-password --region \"$REGION\" | docker login \"$REGISTRY\" --username AWS --password-stdin\n",
                ),
            ]
        }
        Registry::Acr => {
            let name = host.split('.').next().unwrap_or(host);
            let mut steps = vec![azure_login()];
            steps.push(gha::run(
                "Log in to Azure Container Registry",
                Mapping::new().with("REGISTRY_NAME", text(name)),
                "az acr login --name \"$REGISTRY_NAME\"\n",
            ));
            steps
        }
        Registry::Gar => vec![
            Yaml::Map(
                Mapping::new()
                    .with("name", "Google Cloud credentials (workload identity federation)")
                    .with("uses", GCP_AUTH.uses())
                    .with(
                        "with",
                        Mapping::new()
                            .with(
                                "workload_identity_provider",
                                setting("GCP_WORKLOAD_IDENTITY_PROVIDER"),
                            )
                            .with("service_account", setting("GCP_SERVICE_ACCOUNT")),
                    ),
            ),
            gha::run(
                "Log in to Artifact Registry",
                env,
                "gcloud auth configure-docker \"$REGISTRY\" --quiet\n",
            ),
        ],
        Registry::Other => vec![gha::run(
            "Log in to the registry",
            env.with("REGISTRY_USERNAME", "${{ secrets.REGISTRY_USERNAME }}")
                .with("REGISTRY_PASSWORD", "${{ secrets.REGISTRY_PASSWORD }}"),
            "printf '%s' \"$REGISTRY_PASSWORD\" | docker login \"$REGISTRY\" --username \"$REGISTRY_USERNAME\" --password-stdin\n",
        )],
    }
}

/// `azure/login` with a federated credential (OIDC), no client secret.
fn azure_login() -> Yaml {
    Yaml::Map(
        Mapping::new()
            .with("name", "Azure login (OIDC)")
            .with("uses", AZURE_LOGIN.uses())
            .with(
                "with",
                Mapping::new()
                    .with("client-id", setting("AZURE_CLIENT_ID"))
                    .with("tenant-id", setting("AZURE_TENANT_ID"))
                    .with("subscription-id", setting("AZURE_SUBSCRIPTION_ID")),
            ),
    )
}

/// The secrets a service repository's CI reads to push to `repository`.
pub(crate) fn registry_settings(repository: &str) -> &'static [(&'static str, &'static str)] {
    match Registry::of(registry_host(repository)) {
        Registry::Ghcr => &[],
        Registry::Ecr => &[(
            "AWS_ROLE_ARN",
            "IAM role (GitHub OIDC) allowed to push to the repository",
        )],
        Registry::Acr => &[
            ("AZURE_CLIENT_ID", "identity with AcrPush on the registry"),
            ("AZURE_TENANT_ID", "Entra tenant ID"),
            ("AZURE_SUBSCRIPTION_ID", "subscription ID"),
        ],
        Registry::Gar => &[
            (
                "GCP_WORKLOAD_IDENTITY_PROVIDER",
                "workload identity provider of this repository",
            ),
            (
                "GCP_SERVICE_ACCOUNT",
                "service account with Artifact Registry Writer",
            ),
        ],
        Registry::Other => &[
            ("REGISTRY_USERNAME", "registry user"),
            ("REGISTRY_PASSWORD", "registry password or token"),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_are_recognised_by_host() {
        assert_eq!(Registry::of("ghcr.io"), Registry::Ghcr);
        assert_eq!(
            Registry::of("123456789012.dkr.ecr.eu-central-1.amazonaws.com"),
            Registry::Ecr
        );
        assert_eq!(Registry::of("globex.azurecr.io"), Registry::Acr);
        assert_eq!(Registry::of("europe-docker.pkg.dev"), Registry::Gar);
        assert_eq!(Registry::of("registry:5000"), Registry::Other);
        assert_eq!(registry_host("ghcr.io/acme/x"), "ghcr.io");
        assert_eq!(registry_host("plain"), "plain");
    }
}
