//! A small typed HCL writer whose output is byte-for-byte what `terraform fmt` writes.
//!
//! Nothing here concatenates HCL from user text: strings are [`Expr::Str`] (escaped on output),
//! names of resources are [`Ident`]s (sanitised on construction), attribute names, block types,
//! function names and operators are `&'static str` from platc's own source.
//!
//! Layout rules reproduced from `terraform fmt` (hclwrite):
//! - two spaces per nesting level;
//! - in a run of consecutive lines `key = value` whose value fits on the line, the `=` signs are
//!   aligned one column after the longest key; a line that opens a multi-line value, a nested
//!   block, a comment or a blank line ends the run;
//! - single spaces around binary operators, after commas, none inside brackets.

use std::fmt::Write as _;

/// A Terraform identifier (resource and local names): ASCII letters, digits and `_`, never
/// starting with a digit.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ident(String);

impl Ident {
    /// Maps any text to an identifier: every character outside `[A-Za-z0-9_]` (notably `-`)
    /// becomes `_`; a leading digit gets a `_` in front; the empty string becomes `_`.
    pub fn sanitize(s: &str) -> Ident {
        let mut out: String = s
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
            out.insert(0, '_');
        }
        Ident(out)
    }

    /// `self_suffix`.
    pub fn suffixed(&self, suffix: &str) -> Ident {
        Ident::sanitize(&format!("{}_{suffix}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One step of a reference.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Name(String),
    Index(u64),
    Splat,
}

/// A reference such as `aws_db_instance.shop_orders.master_user_secret[0].secret_arn`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ref(Vec<Seg>);

impl Ref {
    /// Starts at a root name of platc's own (`var`, `local`, a resource type, ...).
    pub fn root(name: &'static str) -> Ref {
        Ref(vec![Seg::Name(name.to_string())])
    }

    /// `.name`, with a name from platc's source.
    pub fn attr(mut self, name: &'static str) -> Ref {
        self.0.push(Seg::Name(name.to_string()));
        self
    }

    /// `.ident`, with a sanitised identifier.
    pub fn ident(mut self, ident: &Ident) -> Ref {
        self.0.push(Seg::Name(ident.0.clone()));
        self
    }

    /// `[n]`.
    pub fn index(mut self, n: u64) -> Ref {
        self.0.push(Seg::Index(n));
        self
    }

    /// `[*]`.
    pub fn splat(mut self) -> Ref {
        self.0.push(Seg::Splat);
        self
    }

    fn render(&self, out: &mut String) {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Name(n) => {
                    if i > 0 {
                        out.push('.');
                    }
                    out.push_str(n);
                }
                Seg::Index(n) => {
                    let _ = write!(out, "[{n}]");
                }
                Seg::Splat => out.push_str("[*]"),
            }
        }
    }
}

/// `kind.name.attr`: the usual reference to a resource attribute.
pub fn res(kind: &'static str, name: &Ident, attr: &'static str) -> Expr {
    Expr::Ref(Ref::root(kind).ident(name).attr(attr))
}

/// `var.name`.
pub fn var(name: &'static str) -> Expr {
    Expr::Ref(Ref::root("var").attr(name))
}

/// A key of an object constructor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// A bare identifier from platc's source.
    Bare(&'static str),
    /// A quoted key (escaped on output), e.g. a tag name with `/`.
    Quoted(String),
}

impl Key {
    /// Appends the key as written.
    fn render(&self, out: &mut String) {
        match self {
            Key::Bare(k) => out.push_str(k),
            Key::Quoted(k) => quote_into(k, out),
        }
    }

    /// Width of the written key in characters (for `=` alignment).
    fn width(&self) -> usize {
        match self {
            Key::Bare(k) => k.chars().count(),
            Key::Quoted(k) => {
                let mut s = String::with_capacity(k.len() + 2);
                quote_into(k, &mut s);
                s.chars().count()
            }
        }
    }
}

/// A piece of a string template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    Interp(Expr),
}

/// An expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// A string literal; any text, escaped on output.
    Str(String),
    /// `"lit${expr}lit"`.
    Template(Vec<Part>),
    Num(i64),
    Bool(bool),
    Ref(Ref),
    List(Vec<Expr>),
    Object(Vec<(Key, Expr)>),
    /// A function call; the name comes from platc's source.
    Call(&'static str, Vec<Expr>),
    /// `cond ? a : b`.
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `a op b`, operator from platc's source.
    Bin(Box<Expr>, &'static str, Box<Expr>),
    /// A fixed expression written in platc's source (never built from input).
    Raw(&'static str),
}

impl From<&str> for Expr {
    fn from(s: &str) -> Expr {
        Expr::Str(s.to_string())
    }
}

impl From<String> for Expr {
    fn from(s: String) -> Expr {
        Expr::Str(s)
    }
}

impl From<&String> for Expr {
    fn from(s: &String) -> Expr {
        Expr::Str(s.clone())
    }
}

impl From<bool> for Expr {
    fn from(b: bool) -> Expr {
        Expr::Bool(b)
    }
}

impl From<i64> for Expr {
    fn from(n: i64) -> Expr {
        Expr::Num(n)
    }
}

impl From<u32> for Expr {
    fn from(n: u32) -> Expr {
        Expr::Num(i64::from(n))
    }
}

impl From<u16> for Expr {
    fn from(n: u16) -> Expr {
        Expr::Num(i64::from(n))
    }
}

impl From<Ref> for Expr {
    fn from(r: Ref) -> Expr {
        Expr::Ref(r)
    }
}

impl Expr {
    /// A list of string literals.
    pub fn strs<S: AsRef<str>>(items: &[S]) -> Expr {
        Expr::List(
            items
                .iter()
                .map(|s| Expr::Str(s.as_ref().to_string()))
                .collect(),
        )
    }

    /// An object with bare keys.
    pub fn object(entries: Vec<(&'static str, Expr)>) -> Expr {
        Expr::Object(
            entries
                .into_iter()
                .map(|(k, v)| (Key::Bare(k), v))
                .collect(),
        )
    }

    /// Whether the expression spans several lines.
    fn multiline(&self) -> bool {
        match self {
            Expr::Object(entries) => !entries.is_empty(),
            Expr::List(items) => items.iter().any(Expr::multiline),
            Expr::Call(_, args) => args.iter().any(Expr::multiline),
            Expr::Cond(a, b, c) => a.multiline() || b.multiline() || c.multiline(),
            Expr::Bin(a, _, b) => a.multiline() || b.multiline(),
            Expr::Template(parts) => parts.iter().any(|p| match p {
                Part::Lit(_) => false,
                Part::Interp(e) => e.multiline(),
            }),
            Expr::Str(_) | Expr::Num(_) | Expr::Bool(_) | Expr::Ref(_) | Expr::Raw(_) => false,
        }
    }

    /// Renders the expression; `level` is the nesting level of the line it starts on, so that
    /// continuation lines are indented one level deeper and the closing bracket at `level`.
    fn render(&self, out: &mut String, level: usize) {
        match self {
            Expr::Str(s) => quote_into(s, out),
            Expr::Template(parts) => render_template(parts, out),
            Expr::Num(n) => {
                let _ = write!(out, "{n}");
            }
            Expr::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Expr::Ref(r) => r.render(out),
            Expr::Raw(s) => out.push_str(s),
            Expr::List(items) => {
                if items.iter().any(Expr::multiline) {
                    out.push_str("[\n");
                    for item in items {
                        indent(out, level + 1);
                        item.render(out, level + 1);
                        out.push_str(",\n");
                    }
                    indent(out, level);
                    out.push(']');
                } else {
                    out.push('[');
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        item.render(out, level);
                    }
                    out.push(']');
                }
            }
            Expr::Object(entries) => {
                if entries.is_empty() {
                    out.push_str("{}");
                    return;
                }
                out.push_str("{\n");
                let lines: Vec<Line> = entries
                    .iter()
                    .map(|(k, v)| Line::Assign(Name::Key(k), v))
                    .collect();
                render_lines(&lines, out, level + 1);
                indent(out, level);
                out.push('}');
            }
            Expr::Call(name, args) => {
                out.push_str(name);
                out.push('(');
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    arg.render(out, level);
                }
                out.push(')');
            }
            Expr::Cond(c, a, b) => {
                c.render(out, level);
                out.push_str(" ? ");
                a.render(out, level);
                out.push_str(" : ");
                b.render(out, level);
            }
            Expr::Bin(a, op, b) => {
                a.render(out, level);
                out.push(' ');
                out.push_str(op);
                out.push(' ');
                b.render(out, level);
            }
        }
    }
}

fn render_template(parts: &[Part], out: &mut String) {
    enum Piece<'a> {
        Lit(std::borrow::Cow<'a, str>),
        Interp(&'a Expr),
    }
    // Adjacent literals are merged first, so that escaping sees `$` next to `{` across them.
    let mut merged: Vec<Piece> = Vec::with_capacity(parts.len());
    for p in parts {
        match (merged.last_mut(), p) {
            (Some(Piece::Lit(prev)), Part::Lit(s)) => prev.to_mut().push_str(s),
            (_, Part::Lit(s)) => merged.push(Piece::Lit(std::borrow::Cow::Borrowed(s))),
            (_, Part::Interp(e)) => merged.push(Piece::Interp(e)),
        }
    }
    out.push('"');
    for (i, p) in merged.iter().enumerate() {
        match p {
            Piece::Lit(s) => {
                let start = out.len();
                escape_into(s, out);
                // A literal `$` or `%` right before `${` would read as the escape `$${`: spell
                // it as a Unicode escape instead, which the template scanner does not see.
                if out.len() > start && matches!(merged.get(i + 1), Some(Piece::Interp(_))) {
                    if out.ends_with('$') {
                        out.pop();
                        out.push_str("\\u0024");
                    } else if out.ends_with('%') {
                        out.pop();
                        out.push_str("\\u0025");
                    }
                }
            }
            Piece::Interp(e) => {
                out.push_str("${");
                e.render(out, 0);
                out.push('}');
            }
        }
    }
    out.push('"');
}

/// `"` + [`escape`] + `"`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    quote_into(s, &mut out);
    out
}

/// Appends [`quote`]`(s)` to `out`.
fn quote_into(s: &str, out: &mut String) {
    out.push('"');
    escape_into(s, out);
    out.push('"');
}

/// Escapes text for the inside of an HCL quoted string: `\` and `"` with a backslash, newline,
/// carriage return and tab as `\n`, `\r`, `\t`, other control characters, line/paragraph
/// separators, the BOM and bidirectional formatting characters as `\uXXXX`, and the template
/// introducers `${` and `%{` as `$${` and `%%{`, so that the string is read back as exactly
/// this text and never as a template.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    escape_into(s, &mut out);
    out
}

/// Appends [`escape`]`(s)` to `out`.
fn escape_into(s: &str, out: &mut String) {
    // Fast path: printable ASCII without `\`, `"`, `$` or `%` needs no escaping at all.
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && !matches!(b, b'\\' | b'"' | b'$' | b'%'))
    {
        out.push_str(s);
        return;
    }
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if needs_unicode_escape(c) => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

fn needs_unicode_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        )
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Makes text safe for a `#` comment line: control characters and line separators become
/// spaces, trailing white space is dropped.
pub fn comment_text(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| if needs_unicode_escape(c) { ' ' } else { c })
        .collect();
    t.trim_end().to_string()
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

/// One item of a body.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Item {
    Attr(String, Expr),
    Block(Block),
    Comment(String),
    /// `#text` without a space: tool directives such as `#checkov:skip=...`.
    Directive(String),
    Blank,
    /// Text of a file body already rendered at the top level (see [`Body::file`]).
    Rendered(String),
}

/// The inside of a block, or a whole file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Body {
    /// Items not rendered yet.
    items: Vec<Item>,
    /// Top level of a file: what is rendered already (see [`Body::file`]).
    eager: Option<Rendered>,
}

/// The rendered part of a file body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Rendered {
    text: String,
    /// Whether anything but blank lines was rendered (a blank line is never first).
    started: bool,
}

/// Blank lines normalised: none first (unless something was rendered before), never two in a
/// row, none last.
fn normalised(items: &[Item], started: bool) -> Vec<&Item> {
    let mut out: Vec<&Item> = Vec::with_capacity(items.len());
    for item in items {
        if matches!(item, Item::Blank)
            && ((out.is_empty() && !started) || matches!(out.last(), Some(Item::Blank)))
        {
            continue;
        }
        out.push(item);
    }
    while matches!(out.last(), Some(Item::Blank)) {
        out.pop();
    }
    out
}

fn lines<'a>(items: &[&'a Item]) -> Vec<Line<'a>> {
    items
        .iter()
        .map(|item| match item {
            Item::Attr(k, v) => Line::Assign(Name::Str(k), v),
            Item::Block(b) => Line::Block(b),
            Item::Comment(c) => Line::Comment(c),
            Item::Directive(d) => Line::Directive(d),
            Item::Blank => Line::Blank,
            Item::Rendered(text) => Line::Rendered(text),
        })
        .collect()
}

impl Body {
    pub fn new() -> Body {
        Body::default()
    }

    /// The top level of a file. Everything before a block added to it is rendered to text
    /// at once and its item trees freed, so that a large file never holds its blocks as trees;
    /// the rendered file is the same as with [`Body::new`].
    pub fn file() -> Body {
        Body {
            items: Vec::new(),
            eager: Some(Rendered::default()),
        }
    }

    pub fn attr(&mut self, key: &'static str, value: impl Into<Expr>) -> &mut Body {
        self.items.push(Item::Attr(key.to_string(), value.into()));
        self
    }

    /// An attribute named by a sanitised identifier (e.g. a local value).
    pub fn attr_ident(&mut self, key: &Ident, value: impl Into<Expr>) -> &mut Body {
        self.items.push(Item::Attr(key.0.clone(), value.into()));
        self
    }

    pub fn block(&mut self, block: Block) -> &mut Body {
        self.items.push(Item::Block(block));
        self.flush();
        self
    }

    /// Renders the pending items of a file body. Called after a block: no `=` alignment
    /// crosses a block, and blank lines before it are final.
    fn flush(&mut self) {
        let Some(done) = &mut self.eager else {
            return;
        };
        let items = normalised(&self.items, done.started);
        // Grow large files by a quarter, not double: the text of a large file is most of the
        // emitter's memory, and growing a large allocation moves no bytes.
        let text = &mut done.text;
        if text.capacity() - text.len() < 64 * 1024 {
            text.reserve_exact(text.len() / 4 + 64 * 1024);
        }
        render_lines(&lines(&items), text, 0);
        done.started |= !items.is_empty();
        self.items.clear();
    }

    /// `# text` (sanitised: one line).
    pub fn comment(&mut self, text: &str) -> &mut Body {
        self.items.push(Item::Comment(comment_text(text)));
        self
    }

    /// `#checkov:skip=ID:reason`, inside the resource it applies to.
    pub fn checkov_skip(&mut self, id: &'static str, reason: &'static str) -> &mut Body {
        self.items.push(Item::Directive(comment_text(&format!(
            "checkov:skip={id}:{reason}"
        ))));
        self
    }

    /// An empty line (collapsed with neighbours; never first or last).
    pub fn blank(&mut self) -> &mut Body {
        self.items.push(Item::Blank);
        self
    }

    pub fn is_empty(&self) -> bool {
        !self.eager.as_ref().is_some_and(|done| done.started)
            && self.items.iter().all(|i| matches!(i, Item::Blank))
    }

    /// Appends the items of `other`.
    pub fn extend(&mut self, other: Body) -> &mut Body {
        if let Some(done) = other.eager {
            if done.started {
                self.items.push(Item::Rendered(done.text));
            }
        }
        for item in other.items {
            match item {
                Item::Block(block) => {
                    self.block(block);
                }
                item => self.items.push(item),
            }
        }
        self
    }

    /// Renders the body as a file (top level).
    pub fn render_file(&self) -> String {
        let mut out = String::new();
        self.render(&mut out, 0);
        out
    }

    /// `prefix` followed by the body rendered as a file (top level). A file body's text is
    /// moved, not copied.
    pub fn into_file(mut self, prefix: &str) -> String {
        self.flush_all();
        let mut text = match self.eager {
            Some(done) => done.text,
            None => String::new(),
        };
        // Exactly the room for the prefix: `insert_str` alone would double the capacity of a
        // file that is tens of megabytes at 10,000 services.
        text.reserve_exact(prefix.len());
        text.insert_str(0, prefix);
        text.shrink_to_fit();
        text
    }

    /// Renders everything into a file body's text (trailing blanks dropped).
    fn flush_all(&mut self) {
        if self.eager.is_none() {
            self.eager = Some(Rendered::default());
        }
        self.flush();
    }

    fn render(&self, out: &mut String, level: usize) {
        let started = match &self.eager {
            Some(done) if done.started => {
                render_lines(&[Line::Rendered(&done.text)], out, level);
                true
            }
            _ => false,
        };
        let items = normalised(&self.items, started);
        render_lines(&lines(&items), out, level);
    }
}

/// The left-hand side of an assignment.
enum Name<'a> {
    Str(&'a str),
    Key(&'a Key),
}

impl Name<'_> {
    fn width(&self) -> usize {
        match self {
            Name::Str(s) => s.chars().count(),
            Name::Key(k) => k.width(),
        }
    }

    fn render(&self, out: &mut String) {
        match self {
            Name::Str(s) => out.push_str(s),
            Name::Key(k) => k.render(out),
        }
    }
}

enum Line<'a> {
    Assign(Name<'a>, &'a Expr),
    Block(&'a Block),
    /// `# text` (`#` alone when the text is empty).
    Comment(&'a str),
    /// `#text`.
    Directive(&'a str),
    /// Text already rendered at this level, ending with a newline.
    Rendered(&'a str),
    Blank,
}

/// Renders lines at `level`, aligning `=` over each run of single-line assignments.
fn render_lines(lines: &[Line], out: &mut String, level: usize) {
    let mut i = 0;
    while i < lines.len() {
        match &lines[i] {
            Line::Assign(_, v) if !v.multiline() => {
                let start = i;
                while i < lines.len() && matches!(&lines[i], Line::Assign(_, v) if !v.multiline()) {
                    i += 1;
                }
                let run = &lines[start..i];
                // Each key's width once (a quoted key is escaped to be measured).
                let widths: Vec<usize> = run
                    .iter()
                    .map(|l| match l {
                        Line::Assign(k, _) => k.width(),
                        _ => 0,
                    })
                    .collect();
                let width = widths.iter().copied().max().unwrap_or(0);
                for (l, own) in run.iter().zip(widths) {
                    if let Line::Assign(k, v) = l {
                        indent(out, level);
                        k.render(out);
                        for _ in own..width {
                            out.push(' ');
                        }
                        out.push_str(" = ");
                        v.render(out, level);
                        out.push('\n');
                    }
                }
                continue;
            }
            Line::Assign(k, v) => {
                indent(out, level);
                k.render(out);
                out.push_str(" = ");
                v.render(out, level);
                out.push('\n');
            }
            Line::Block(b) => b.render(out, level),
            Line::Comment(t) => {
                indent(out, level);
                out.push('#');
                if !t.is_empty() {
                    out.push(' ');
                    out.push_str(t);
                }
                out.push('\n');
            }
            Line::Directive(t) => {
                indent(out, level);
                out.push('#');
                out.push_str(t);
                out.push('\n');
            }
            Line::Rendered(text) if level == 0 => out.push_str(text),
            Line::Rendered(text) => {
                for line in text.split_inclusive('\n') {
                    if line != "\n" {
                        indent(out, level);
                    }
                    out.push_str(line);
                }
            }
            Line::Blank => out.push('\n'),
        }
        i += 1;
    }
}

/// `kind "label" ... { body }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    kind: &'static str,
    labels: Vec<String>,
    pub body: Body,
}

impl Block {
    pub fn new(kind: &'static str) -> Block {
        Block {
            kind,
            labels: Vec::new(),
            body: Body::new(),
        }
    }

    /// `resource "type" "name" {}`.
    pub fn resource(kind: &'static str, name: &Ident) -> Block {
        Block::new("resource").label(kind).label(name.as_str())
    }

    /// A label, escaped on output.
    pub fn label(mut self, label: &str) -> Block {
        self.labels.push(label.to_string());
        self
    }

    pub fn with(mut self, f: impl FnOnce(&mut Body)) -> Block {
        f(&mut self.body);
        self
    }

    fn render(&self, out: &mut String, level: usize) {
        indent(out, level);
        out.push_str(self.kind);
        for l in &self.labels {
            out.push(' ');
            quote_into(l, out);
        }
        if self.body.is_empty() {
            out.push_str(" {}\n");
            return;
        }
        out.push_str(" {\n");
        self.body.render(out, level + 1);
        indent(out, level);
        out.push_str("}\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_special_character() {
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("a\"b"), "a\\\"b");
        assert_eq!(escape("a\\b"), "a\\\\b");
        assert_eq!(escape("a\nb\rc\td"), "a\\nb\\rc\\td");
        assert_eq!(escape("${x}"), "$${x}");
        assert_eq!(escape("%{if}"), "%%{if}");
        assert_eq!(escape("$${x}"), "$$${x}");
        assert_eq!(escape("$x %y $"), "$x %y $");
        assert_eq!(
            escape("\u{0}\u{1b}\u{7f}\u{85}"),
            "\\u0000\\u001B\\u007F\\u0085"
        );
        assert_eq!(escape("a\u{2028}b\u{202E}c"), "a\\u2028b\\u202Ec");
        assert_eq!(escape("größe ✓"), "größe ✓");
    }

    #[test]
    fn escaped_text_has_no_raw_specials() {
        // Every char of the Latin-1 range and a few more, alone and before `{`.
        let mut all = String::new();
        for c in (0u32..0x2100).filter_map(char::from_u32) {
            all.push(c);
            all.push('{');
            all.push(c);
        }
        let e = escape(&all);
        assert!(!e.chars().any(|c| c.is_control()));
        // No unescaped quote: every `"` is preceded by an odd number of backslashes.
        let bytes = e.as_bytes();
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'"' {
                let n = bytes[..i].iter().rev().take_while(|b| **b == b'\\').count();
                assert_eq!(n % 2, 1, "unescaped quote at {i}");
            }
        }
        // No template introducer survives: every `${`/`%{` is preceded by its doubled char.
        let chars: Vec<char> = e.chars().collect();
        for w in 0..chars.len().saturating_sub(1) {
            if (chars[w] == '$' || chars[w] == '%') && chars[w + 1] == '{' {
                assert!(w > 0 && chars[w - 1] == chars[w], "bare introducer at {w}");
            }
        }
    }

    #[test]
    fn idents_are_sanitised() {
        assert_eq!(Ident::sanitize("shop-orders").as_str(), "shop_orders");
        assert_eq!(Ident::sanitize("1abc").as_str(), "_1abc");
        assert_eq!(Ident::sanitize("").as_str(), "_");
        assert_eq!(Ident::sanitize("a.b\"c${}").as_str(), "a_b_c___");
    }

    #[test]
    fn aligns_runs_and_nests() {
        let mut f = Body::new();
        f.block(Block::resource("aws_x", &Ident::sanitize("a-b")).with(|b| {
            b.attr("name", "x")
                .attr("longer_name", 3u32)
                .attr(
                    "tags",
                    Expr::Object(vec![
                        (Key::Quoted("k/1".into()), "v".into()),
                        (Key::Bare("kk"), Expr::Bool(true)),
                    ]),
                )
                .attr("after", Expr::strs(&["a", "b"]))
                .comment("note\nnext")
                .checkov_skip("CKV_X_1", "because")
                .blank()
                .block(Block::new("inner"));
        }));
        let want = "resource \"aws_x\" \"a_b\" {
  name        = \"x\"
  longer_name = 3
  tags = {
    \"k/1\" = \"v\"
    kk    = true
  }
  after = [\"a\", \"b\"]
  # note next
  #checkov:skip=CKV_X_1:because

  inner {}
}
";
        assert_eq!(f.render_file(), want);
    }

    #[test]
    fn file_bodies_render_like_lazy_ones() {
        let fill = |f: &mut Body| {
            f.blank();
            f.comment("top");
            f.block(Block::new("a").with(|b| {
                b.attr("x", 1u32).attr("yy", "two");
            }));
            f.block(Block::new("b").label("l\"1"));
            f.blank().blank();
            f.attr("k", true).attr("kkk", Expr::strs(&["v"]));
            f.block(Block::new("c").with(|b| {
                b.block(Block::new("inner").with(|i| {
                    i.attr("z", Expr::object(vec![("q", 1u32.into())]));
                }));
            }));
            f.blank();
        };
        let mut lazy = Body::new();
        fill(&mut lazy);
        let mut eager = Body::file();
        fill(&mut eager);
        assert_eq!(eager.render_file(), lazy.render_file());
        assert_eq!(
            eager.into_file("# h\n"),
            format!("# h\n{}", lazy.render_file())
        );

        // A file body nested into a block is indented like the lazy one.
        let outer = |inner: Body| {
            let mut f = Body::new();
            f.block(Block::new("outer").with(|b| {
                b.extend(inner);
            }));
            f.render_file()
        };
        let mut lazy = Body::new();
        fill(&mut lazy);
        let mut eager = Body::file();
        fill(&mut eager);
        assert_eq!(outer(eager), outer(lazy));
    }

    #[test]
    fn templates_keep_literal_dollars() {
        let t = Expr::Template(vec![
            Part::Lit("a$".into()),
            Part::Interp(Expr::Ref(Ref::root("count").attr("index"))),
            Part::Lit("${b}".into()),
        ]);
        let mut s = String::new();
        t.render(&mut s, 0);
        assert_eq!(s, "\"a\\u0024${count.index}$${b}\"");
    }
}
