//! Names in the cloud that core-services refers to but the IR does not carry, derived by
//! documented conventions. Terraform must create the cloud side under the same names; it can
//! call these functions instead of repeating the rules.
//!
//! | cloud | what | convention |
//! |---|---|---|
//! | gcp | project id | the platform name (`[platform] name`) |
//! | gcp | Google service accounts | `platc-secret-store@<project>.iam.gserviceaccount.com`, `platc-external-dns@…` |
//! | azure | Key Vault | `kv-<platform name>`, hyphen runs collapsed, cut to 24 characters: `https://<vault>.vault.azure.net/` |
//! | aws | IAM roles | `<platform name>-secret-store`, `<platform name>-external-dns` (the ARN needs the account id, which the IR lacks) |
//!
//! The identities themselves (AWS role ARN, Azure managed identity client id and tenant id) are
//! assigned by the cloud and cannot be derived; see [`missing_identity`].

use platc_ir::{Cloud, Ir};

/// Kubernetes ServiceAccount (in the core namespace) whose identity the ClusterSecretStore uses.
pub const SECRET_STORE_ACCOUNT: &str = "secret-store";

/// The chart-created ServiceAccount of ExternalDNS (release name `external-dns`).
pub const EXTERNAL_DNS_ACCOUNT: &str = "external-dns";

/// GCP project id: by convention the platform name.
pub fn gcp_project_id(ir: &Ir) -> &str {
    &ir.platform.name
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

/// ServiceAccount annotations that bind a Kubernetes ServiceAccount to its cloud identity, as
/// far as they can be derived (GCP only: the Google service account name is a convention).
pub fn identity_annotations(ir: &Ir, account: &str) -> Vec<(&'static str, String)> {
    match ir.platform.cloud {
        Cloud::Gcp => vec![(
            "iam.gke.io/gcp-service-account",
            gcp_service_account(ir, account),
        )],
        Cloud::Aws | Cloud::Azure => Vec::new(),
    }
}

/// What the cloud assigns and the IR cannot derive for a ServiceAccount's identity: the
/// annotations an operator (or Terraform) must add. Empty when nothing is missing.
pub fn missing_identity(ir: &Ir, account: &str) -> Vec<String> {
    match ir.platform.cloud {
        Cloud::Aws => vec![format!(
            "eks.amazonaws.com/role-arn: arn:aws:iam::<account id>:role/{} (IRSA; the IR has no AWS account id)",
            aws_role_name(ir, account)
        )],
        Cloud::Azure => vec![
            "azure.workload.identity/client-id: <client id of the user-assigned managed identity>"
                .to_string(),
            "azure.workload.identity/tenant-id: <Microsoft Entra tenant id>".to_string(),
        ],
        Cloud::Gcp => Vec::new(),
    }
}

/// ExternalDNS provider name for the cloud.
pub fn external_dns_provider(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Aws => "aws",
        Cloud::Azure => "azure",
        Cloud::Gcp => "google",
    }
}
