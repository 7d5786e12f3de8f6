//! Credentials of the stores that run in the cluster (Helm chart, operator, StatefulSet).
//!
//! Pods get database and cache credentials only through External Secrets, from the cloud
//! secret manager entry named by the store's stage-scoped `secret_path`. For managed stores
//! `secrets.tf` writes that entry; for in-cluster stores `credentials.tf` does: a JSON object
//! whose keys are exactly what the chart, operator or StatefulSet reads from the Kubernetes
//! Secret (`DataStoreIr::credentials_secret`), every password generated independently by an
//! ephemeral random password and written with a write-only argument (never in plan, state or
//! outputs), plus the non-secret `username` and `dbname`.
//!
//! Keys per placement:
//! - in-cluster (Bitnami charts): [`platc_helm::credential_keys`] (`postgres-password`,
//!   `password`, `replication-password`; `mysql-root-password`, `mysql-password`
//!   [+ `mysql-replication-password`]; `mongodb-root-password`, `mongodb-passwords`
//!   [+ `mongodb-replica-set-key`]; `redis-password`);
//! - statefulset (PostgreSQL): `username`, `password`, `postgres-password`, `dbname`;
//! - operator: `username`, `password`, `dbname`; the Oracle MySQL operator's `spec.secretName`
//!   also needs `rootUser` (`root`), `rootHost` (`%`) and `rootPassword`. Zalando generates its
//!   own PostgreSQL secrets and Percona its system users' secret (`<cluster>-secrets`) when
//!   absent; the service's login reads `password`.
//!
//! Rotation: raising the store's entry in `var.credentials_versions` writes a new set of
//! passwords; the store's own accounts must then be changed to match (Bitnami charts apply
//! their passwords only when they initialise an empty volume).

use platc_ir::{Engine, Placement};

use crate::hcl::{Block, Body, Expr, Ident, Key, Ref};
use crate::Store;

/// The variable of the stores' write-only secret versions (a map by `<app>/<store>`).
pub const VERSIONS_VARIABLE: &str = "credentials_versions";

/// The `credentials_versions` variable: a map of numbers by `<app>/<store>`, empty by
/// default (every store at version 1); `description` says what raising one does on the cloud.
pub(crate) fn versions_variable(description: &str) -> Body {
    let mut f = Body::new();
    f.block(Block::new("variable").label(VERSIONS_VARIABLE).with(|b| {
        b.attr("description", description);
        b.attr("type", Expr::Raw("map(number)"));
        b.attr("default", Expr::Object(vec![]));
    }));
    f
}

/// One key of the credentials JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A password generated independently of every other.
    Generated,
    /// Plain, non-secret text (user and database names).
    Text(String),
}

/// The keys of `store`'s credentials JSON, in the order written.
pub fn fields(store: &Store) -> Vec<(&'static str, Value)> {
    let ds = store.ds;
    let username = ("username", Value::Text(ds.user.clone()));
    let dbname = ("dbname", Value::Text(ds.database.clone()));
    let mut out = vec![username];
    match ds.placement {
        Placement::InCluster => {
            out.extend(
                platc_helm::credential_keys(ds)
                    .into_iter()
                    .map(|k| (k, Value::Generated)),
            );
        }
        Placement::StatefulSet => {
            out.push(("password", Value::Generated));
            out.push(("postgres-password", Value::Generated));
        }
        Placement::Operator => {
            out.push(("password", Value::Generated));
            if ds.engine == Engine::Mysql {
                out.push(("rootUser", Value::Text("root".into())));
                out.push(("rootHost", Value::Text("%".into())));
                out.push(("rootPassword", Value::Generated));
            }
        }
        // Managed stores get their secret from `secrets.tf`.
        Placement::Managed => return Vec::new(),
    }
    out.push(dbname);
    out
}

/// Name of the ephemeral password behind `key` of `store`: `<store id>_<key>`.
pub fn password_id(store: &Store, key: &str) -> Ident {
    store.id.suffixed(key)
}

/// The generated keys of `store` with the names of their ephemeral passwords.
pub fn passwords(store: &Store) -> Vec<(&'static str, Ident)> {
    fields(store)
        .into_iter()
        .filter(|(_, v)| *v == Value::Generated)
        .map(|(k, _)| (k, password_id(store, k)))
        .collect()
}

/// `jsonencode({ ... })` of the credentials: each generated key reads the local value named
/// like its ephemeral password (see [`locals`]).
pub fn json(store: &Store) -> Expr {
    let entries = fields(store)
        .into_iter()
        .map(|(k, v)| {
            let value = match v {
                Value::Generated => Expr::Ref(Ref::root("local").ident(&password_id(store, k))),
                Value::Text(t) => Expr::Str(t),
            };
            (Key::Quoted(k.to_string()), value)
        })
        .collect();
    Expr::Call("jsonencode", vec![Expr::Object(entries)])
}

/// The `locals` block naming every ephemeral password of `stores`; `ephemeral` gives the
/// expression of the password resource's value. Empty when no store has a generated key.
pub fn locals<'a>(
    stores: impl IntoIterator<Item = &'a Store<'a>>,
    ephemeral: impl Fn(&Ident) -> Expr,
) -> Body {
    let mut values = Body::new();
    for store in stores {
        for (_, id) in passwords(store) {
            values.attr_ident(&id, ephemeral(&id));
        }
    }
    let mut body = Body::new();
    if !values.is_empty() {
        body.block(Block::new("locals").with(|b| {
            b.comment("Ephemeral: these values are never written to a plan or the state.");
            b.extend(values);
        }));
    }
    body
}

/// `in-cluster`, `operator` or `statefulset`.
pub fn placement_word(store: &Store) -> &'static str {
    match store.ds.placement {
        Placement::InCluster => "in-cluster",
        Placement::Operator => "operator",
        Placement::StatefulSet => "statefulset",
        Placement::Managed => "managed",
    }
}

/// `# --- postgresql 16 database of shop/api, in-cluster (1 replica): credentials only ---`.
pub fn section(store: &Store, body: &mut Body) {
    body.comment(&format!(
        "--- {} {} {} of {}, {} ({} replica{}): credentials only ---",
        store.engine_word(),
        store.ds.version,
        match store.role {
            crate::Role::Database => "database",
            crate::Role::Cache => "cache",
        },
        store.owner(),
        placement_word(store),
        store.ds.replicas,
        if store.ds.replicas == 1 { "" } else { "s" }
    ));
    body.blank();
}

/// The output naming where a non-managed store's credentials are (`secret_id`), never their
/// values; `manager` names the service in the description.
pub fn secret_output(
    outputs: &mut Body,
    store: &Store,
    manager: &str,
    kind: &'static str,
    attr: &'static str,
) {
    outputs.block(Block::new("output").label(store.id.as_str()).with(|b| {
        b.attr(
            "description",
            format!(
                "{} {} of {}: {manager} secret id of its credentials (no secret values)",
                placement_word(store),
                store.engine_word(),
                store.owner()
            ),
        );
        b.attr(
            "value",
            Expr::object(vec![("secret_id", crate::hcl::res(kind, &store.id, attr))]),
        );
    }));
    outputs.blank();
}

/// [`locals`] for providers whose passwords come from `ephemeral "random_password"`.
pub fn random_password_locals<'a>(stores: impl IntoIterator<Item = &'a Store<'a>>) -> Body {
    locals(stores, crate::random_password_ref)
}
