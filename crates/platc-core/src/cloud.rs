//! Names in the cloud that core-services refers to but the IR does not carry, derived by
//! documented conventions. Terraform must create the cloud side under the same names; it can
//! call these functions instead of repeating the rules.
//!
//! | cloud | what | convention |
//! |---|---|---|
//! | gcp | project id | `[platform.identity] gcp-project`, else the platform name (`[platform] name`) |
//! | gcp | Google service accounts | `platc-secret-store@<project>.iam.gserviceaccount.com`, `platc-external-dns@…` |
//! | azure | Key Vault | `kv-<platform name>`, hyphen runs collapsed, cut to 24 characters: `https://<vault>.vault.azure.net/` |
//! | aws | IAM roles | `<platform name>-secret-store`, `<platform name>-external-dns`, in the account `[platform.identity] aws-account-id` |
//!
//! The identities themselves (AWS account, Azure managed identity client ids and tenant) are
//! assigned by the cloud: `[platform.identity]` names them, and [`missing_identity`] lists
//! what a platform.toml without them leaves open (written into the output as a note).

use platc_ir::{Cloud, Ir};

/// Kubernetes ServiceAccount (in the core namespace) whose identity the ClusterSecretStore uses.
pub const SECRET_STORE_ACCOUNT: &str = "secret-store";

/// The chart-created ServiceAccount of ExternalDNS (release name `external-dns`).
pub const EXTERNAL_DNS_ACCOUNT: &str = "external-dns";

/// GCP project id (see [`platc_ir::PlatformIr::gcp_project`]).
pub fn gcp_project_id(ir: &Ir) -> &str {
    ir.platform.gcp_project()
}

/// The Google service account a Kubernetes ServiceAccount impersonates (Workload Identity).
pub fn gcp_service_account(ir: &Ir, account: &str) -> String {
    format!(
        "platc-{account}@{}.iam.gserviceaccount.com",
        gcp_project_id(ir)
    )
}

/// The AWS IAM role name of a component (`<platform>-<account>`).
pub fn aws_role_name(ir: &Ir, account: &str) -> String {
    format!("{}-{account}", ir.platform.name)
}

/// Azure Key Vault name: `kv-<platform>`; Key Vault allows 3–24 of `[A-Za-z0-9-]`, starting
/// with a letter, ending with a letter or digit, without `--`.
pub fn azure_key_vault_name(ir: &Ir) -> String {
    let mut name = String::from("kv-");
    for c in ir.platform.name.chars() {
        if c == '-' && name.ends_with('-') {
            continue;
        }
        if name.len() == 24 {
            break;
        }
        name.push(c);
    }
    while name.ends_with('-') {
        name.pop();
    }
    name
}

/// `https://<vault>.vault.azure.net/`.
pub fn azure_key_vault_url(ir: &Ir) -> String {
    format!("https://{}.vault.azure.net/", azure_key_vault_name(ir))
}

/// The Azure managed identity client id configured for a component's ServiceAccount.
fn azure_client_id<'a>(ir: &'a Ir, account: &str) -> Option<&'a str> {
    let i = &ir.platform.identity;
    match account {
        SECRET_STORE_ACCOUNT => i.azure_secret_store_client_id.as_deref(),
        EXTERNAL_DNS_ACCOUNT => i.azure_external_dns_client_id.as_deref(),
        _ => None,
    }
}

/// ServiceAccount annotations that bind a Kubernetes ServiceAccount to its cloud identity, as
/// far as platform.toml names it (GCP always: the Google service account name is a convention).
pub fn identity_annotations(ir: &Ir, account: &str) -> Vec<(&'static str, String)> {
    let i = &ir.platform.identity;
    match ir.platform.cloud {
        Cloud::Gcp => vec![(
            "iam.gke.io/gcp-service-account",
            gcp_service_account(ir, account),
        )],
        Cloud::Aws => i
            .aws_account_id
            .iter()
            .map(|id| {
                (
                    "eks.amazonaws.com/role-arn",
                    format!("arn:aws:iam::{id}:role/{}", aws_role_name(ir, account)),
                )
            })
            .collect(),
        Cloud::Azure => {
            let mut out = Vec::new();
            if let Some(id) = azure_client_id(ir, account) {
                out.push(("azure.workload.identity/client-id", id.to_string()));
            }
            if let Some(t) = &i.azure_tenant_id {
                out.push(("azure.workload.identity/tenant-id", t.clone()));
            }
            out
        }
    }
}

/// What the cloud assigns, platform.toml does not name, and a ServiceAccount's identity needs:
/// the `[platform.identity]` keys to add. Empty when nothing is missing.
pub fn missing_identity(ir: &Ir, account: &str) -> Vec<String> {
    let i = &ir.platform.identity;
    let mut out = Vec::new();
    match ir.platform.cloud {
        Cloud::Aws => {
            if i.aws_account_id.is_none() {
                out.push(format!(
                    "eks.amazonaws.com/role-arn: arn:aws:iam::<account id>:role/{} (IRSA): set [platform.identity] aws-account-id",
                    aws_role_name(ir, account)
                ));
            }
        }
        Cloud::Azure => {
            if azure_client_id(ir, account).is_none() {
                out.push(format!(
                    "azure.workload.identity/client-id: <client id of the user-assigned managed identity>: set [platform.identity] azure-{account}-client-id"
                ));
            }
            if i.azure_tenant_id.is_none() {
                out.push(
                    "azure.workload.identity/tenant-id: <Microsoft Entra tenant id>: set [platform.identity] azure-tenant-id"
                        .to_string(),
                );
            }
        }
        Cloud::Gcp => {}
    }
    out
}

/// ExternalDNS provider name for the cloud.
pub fn external_dns_provider(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Aws => "aws",
        Cloud::Azure => "azure",
        Cloud::Gcp => "google",
    }
}
