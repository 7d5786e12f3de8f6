//! `platc new-service`: adds `[apps.<app>.services.<name>]` to platform.toml, keeping every
//! other byte of the file.
//!
//! The edit goes through `toml_edit`, which keeps comments, order and formatting of everything
//! it does not touch (the serde-based `toml` crate would re-serialise the whole document). The
//! new table lands right after the app's last table (at the end of the file for a new app), so
//! the result is the old file with one block inserted.

use platc_model::Problem;
use toml_edit::{DocumentMut, InlineTable, Item, Table, Value};

/// What to add.
#[derive(Clone, Debug)]
pub struct Request {
    pub name: String,
    pub app: String,
    pub port: u16,
    pub database: Option<String>,
    pub expose: Option<String>,
}

impl Request {
    /// The command line as shown in diagnostics about the arguments, with the spans of the
    /// service and app names in it.
    pub fn command_line(&self) -> (String, std::ops::Range<usize>, std::ops::Range<usize>) {
        let mut s = String::from("platc new-service ");
        let name = s.len()..s.len() + self.name.len();
        s.push_str(&self.name);
        s.push_str(" --app ");
        let app = s.len()..s.len() + self.app.len();
        s.push_str(&self.app);
        s.push_str(&format!(" --port {}", self.port));
        if let Some(d) = &self.database {
            s.push_str(" --database ");
            s.push_str(d);
        }
        if let Some(e) = &self.expose {
            s.push_str(" --expose ");
            s.push_str(e);
        }
        (s, name, app)
    }
}

/// Why the service was not added.
#[derive(Debug)]
pub enum Refusal {
    /// The arguments are wrong; spans refer to [`Request::command_line`].
    Arguments(Vec<Problem>),
    /// platform.toml already has the service (or is invalid); spans refer to the source.
    Source(Vec<Problem>),
    /// platform.toml could not be edited (e.g. `apps` is not a table); the message says why.
    Structure(String),
}

/// Checks the names, then returns `source` with the new service table inserted. The caller
/// validates the result (ports, engines and hosts are checked there, with spans in the new
/// text).
pub fn add_service(source: &str, req: &Request) -> Result<String, Refusal> {
    let (_, name_span, app_span) = req.command_line();
    let mut bad_args = Vec::new();
    if let Err(e) = platc_values::names::check_dns1035_label(&req.name) {
        bad_args.push(
            Problem::new(
                "platc::new-service::invalid-name",
                name_span,
                format!("invalid service name: {}", e.message),
            )
            .label("service name")
            .help(e.help),
        );
    }
    if let Err(e) = platc_values::names::check_dns_label(&req.app) {
        bad_args.push(
            Problem::new(
                "platc::new-service::invalid-app",
                app_span,
                format!("invalid app name: {}", e.message),
            )
            .label("app name")
            .help(e.help),
        );
    }
    if !bad_args.is_empty() {
        return Err(Refusal::Arguments(bad_args));
    }

    let checked = platc_check::check(source);
    if !checked.problems.is_empty() {
        return Err(Refusal::Source(checked.problems));
    }
    if let Some(existing) = checked
        .document
        .apps
        .get(&req.app)
        .and_then(|a| a.services.get(&req.name))
    {
        return Err(Refusal::Source(vec![Problem::new(
            "platc::new-service::exists",
            existing.name.span.clone(),
            format!("app `{}` already has a service `{}`", req.app, req.name),
        )
        .label("defined here")
        .help(
            "choose another name, or change the existing service in platform.toml",
        )]));
    }

    let mut doc: DocumentMut = source
        .parse()
        .map_err(|e| Refusal::Structure(format!("platform.toml does not parse: {e}")))?;
    insert(&mut doc, req)?;
    Ok(doc.to_string())
}

fn service_table(req: &Request) -> Table {
    let mut t = Table::new();
    t.insert("port", Item::Value(Value::from(i64::from(req.port))));
    if let Some(host) = &req.expose {
        let mut e = InlineTable::new();
        e.insert("host", Value::from(host.as_str()));
        t.insert("expose", Item::Value(Value::InlineTable(e)));
    }
    if let Some(engine) = &req.database {
        let mut d = InlineTable::new();
        d.insert("engine", Value::from(engine.as_str()));
        t.insert("database", Item::Value(Value::InlineTable(d)));
    }
    t
}

fn service_inline(req: &Request) -> InlineTable {
    let mut t = service_table(req).into_inline_table();
    t.fmt();
    t
}

/// The highest document position of `item`'s tables (its own header or any below it).
fn last_position(item: &Item) -> Option<isize> {
    let table = item.as_table()?;
    let own = if table.is_implicit() || table.is_dotted() {
        None
    } else {
        table.position()
    };
    table
        .iter()
        .filter_map(|(_, child)| last_position(child))
        .chain(own)
        .max()
}

/// Shifts every table positioned after `after` by one, making room for one new table.
fn shift_after(table: &mut Table, after: isize) {
    if let Some(p) = table.position() {
        if p > after {
            table.set_position(Some(p + 1));
        }
    }
    for (_, child) in table.iter_mut() {
        match child {
            Item::Table(t) => shift_after(t, after),
            Item::ArrayOfTables(a) => {
                for t in a.iter_mut() {
                    shift_after(t, after);
                }
            }
            _ => {}
        }
    }
}

fn implicit() -> Item {
    let mut t = Table::new();
    t.set_implicit(true);
    Item::Table(t)
}

fn not_a_table(what: &str) -> Refusal {
    Refusal::Structure(format!(
        "`{what}` in platform.toml is not a table, so no service can be added to it"
    ))
}

fn insert(doc: &mut DocumentMut, req: &Request) -> Result<(), Refusal> {
    // Where the new header goes: right after the app's last table, or at the very end.
    let app_end = doc
        .get("apps")
        .and_then(|apps| apps.get(&req.app))
        .and_then(last_position);
    let doc_end = doc.iter().filter_map(|(_, i)| last_position(i)).max();
    let position = match (app_end, doc_end) {
        (Some(p), _) => {
            shift_after(doc.as_table_mut(), p);
            p + 1
        }
        (None, Some(p)) => p + 1,
        (None, None) => 1,
    };

    let root = doc.as_table_mut();
    let apps = root.entry("apps").or_insert_with(implicit);
    let app = match apps {
        Item::Table(t) => t.entry(&req.app).or_insert_with(implicit),
        Item::Value(Value::InlineTable(t)) => {
            return insert_inline(t, &[req.app.as_str(), "services"], req)
        }
        _ => return Err(not_a_table("apps")),
    };
    let services = match app {
        Item::Table(t) => t.entry("services").or_insert_with(implicit),
        Item::Value(Value::InlineTable(t)) => return insert_inline(t, &["services"], req),
        _ => return Err(not_a_table(&format!("apps.{}", req.app))),
    };
    match services {
        Item::Table(t) => {
            let mut new = service_table(req);
            new.set_position(Some(position));
            t.insert(&req.name, Item::Table(new));
            Ok(())
        }
        Item::Value(Value::InlineTable(t)) => insert_inline(t, &[], req),
        _ => Err(not_a_table(&format!("apps.{}.services", req.app))),
    }
}

/// Adds the service inside an inline table (`services = { … }`), creating inline tables on
/// the way down `path`.
fn insert_inline(table: &mut InlineTable, path: &[&str], req: &Request) -> Result<(), Refusal> {
    match path.split_first() {
        None => {
            table.insert(&req.name, Value::InlineTable(service_inline(req)));
            Ok(())
        }
        Some((key, rest)) => {
            let child = table
                .entry(*key)
                .or_insert_with(|| Value::InlineTable(InlineTable::new()));
            match child {
                Value::InlineTable(t) => insert_inline(t, rest, req),
                _ => Err(not_a_table(key)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "version = 1 # keep me\n\n[platform]\nname = \"p\"\ndomain = \"p.example\"\ncloud = \"aws\"\nregion = \"eu-central-1\"\nregistry = \"ghcr.io/p\"\n\n[core]\ncertificates = { email = \"ops@p.example\" }\n\n[stages.test]\nnamespace = \"{app}-test\"\n";

    fn req(name: &str, app: &str) -> Request {
        Request {
            name: name.into(),
            app: app.into(),
            port: 8080,
            database: Some("postgresql".into()),
            expose: Some("web".into()),
        }
    }

    #[test]
    fn new_app_is_appended() {
        let out = add_service(BASE, &req("api", "shop")).unwrap();
        assert_eq!(
            out,
            format!(
                "{BASE}\n[apps.shop.services.api]\nport = 8080\nexpose = {{ host = \"web\" }}\ndatabase = {{ engine = \"postgresql\" }}\n"
            )
        );
        assert!(platc_check::check(&out).problems.is_empty());
    }

    #[test]
    fn existing_app_gets_the_table_after_its_last_one() {
        let src = format!(
            "{BASE}\n[apps.a.services.x]\nport = 1\n\n[apps.a.services.x.stages.test]\nreplicas = 2\n\n# b\n[apps.b.services.y]\nport = 2\n"
        );
        let out = add_service(&src, &req("z", "a")).unwrap();
        let inserted = "\n[apps.a.services.z]\nport = 8080\nexpose = { host = \"web\" }\ndatabase = { engine = \"postgresql\" }\n";
        let at = src.find("\n# b").unwrap();
        assert_eq!(out, format!("{}{inserted}{}", &src[..at], &src[at..]));
    }

    #[test]
    fn inline_services_are_extended() {
        let src = format!("{BASE}\n[apps.a]\nservices = {{ x = {{ port = 1 }} }}\n");
        let out = add_service(&src, &req("z", "a")).unwrap();
        assert!(out.contains("z = { port = 8080"), "{out}");
        let checked = platc_check::check(&out);
        assert!(checked.document.apps["a"].services.contains_key("z"));
    }

    #[test]
    fn services_under_dotted_keys_get_a_header_of_their_own() {
        let src = format!("{BASE}\n[apps]\na.services.x.port = 1\n");
        let out = add_service(&src, &req("z", "a")).unwrap();
        assert!(out.starts_with(&src), "{out}");
        let checked = platc_check::check(&out);
        assert!(checked.problems.is_empty(), "{:?}", checked.problems);
        assert!(checked.document.apps["a"].services.contains_key("z"));
        assert!(checked.document.apps["a"].services.contains_key("x"));
    }

    #[test]
    fn bad_names_and_duplicates_are_refused() {
        assert!(matches!(
            add_service(BASE, &req("9lives", "shop")),
            Err(Refusal::Arguments(p)) if p.len() == 1
        ));
        assert!(matches!(
            add_service(BASE, &req("Bad", "No_App")),
            Err(Refusal::Arguments(p)) if p.len() == 2
        ));
        let once = add_service(BASE, &req("api", "shop")).unwrap();
        match add_service(&once, &req("api", "shop")) {
            Err(Refusal::Source(p)) => {
                assert_eq!(p[0].code, "platc::new-service::exists");
                assert_eq!(&once[p[0].span.clone()], "api");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_command_line_spans_name_the_arguments() {
        let r = req("api", "shop");
        let (line, name, app) = r.command_line();
        assert_eq!(&line[name], "api");
        assert_eq!(&line[app], "shop");
    }
}
