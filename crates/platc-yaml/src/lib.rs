//! A small, fast, deterministic YAML **writer** (there is no parser) used by every platc
//! emitter.
//!
//! # Why we write YAML ourselves
//!
//! * **Control over layout.** Output is reviewed by humans in pull requests, so it must look
//!   like hand-written Kubernetes YAML: block style, two-space indentation, sequences indented
//!   under their key, keys in the order the caller inserted them (`apiVersion`, `kind`,
//!   `metadata`, `spec`, ...), literal block scalars for embedded config files. Generic
//!   serializers make different choices and change them between releases.
//! * **Control over quoting.** Manifests are read by YAML 1.1 parsers (Kubernetes uses go-yaml,
//!   where `yes`, `on`, `n` are booleans, `010` is octal and `12:30` is a number) as well as
//!   YAML 1.2 ones. We quote by a rule that is safe for both, instead of trusting a
//!   serializer's notion of "needs quoting".
//! * **Speed and determinism.** Everything is appended to one `String`; the same input always
//!   produces byte-identical output.
//! * `serde_yaml` is archived upstream. (Its maintained fork, `serde_norway`, is used only in
//!   this crate's tests, to parse our output back.)
//!
//! # Output style
//!
//! ```text
//! apiVersion: apps/v1
//! kind: Deployment
//! spec:
//!   containers:
//!     - name: app
//!       image: nginx:1.25
//!       args:
//!         - "--port=8080"
//!       ports:
//!         - containerPort: 8080
//!           name: "8080"
//!   nested:
//!     -
//!       - a
//! data:
//!   app.conf: |
//!     listen 8080
//!     root /srv
//! empty: {}
//! none: []
//! nothing: null
//! ```
//!
//! A sequence item that is a mapping starts on the dash line; a sequence item that is itself
//! a non-empty sequence puts a bare `-` on its own line and indents the inner sequence below it.
//! Documents of [`to_documents`] are separated by `---` lines; a single document has no start
//! marker. Every document ends with exactly one `\n`. No line ever carries trailing whitespace.
//!
//! # Quoting rule (keys and string values alike)
//!
//! A string is written **plain** (unquoted) only when all of these hold:
//!
//! 1. it is non-empty, and its first character is an ASCII letter or `/`;
//! 2. every other character is in `[A-Za-z0-9_./:-]`;
//! 3. it does not end with `:` (a `:` elsewhere is always followed by a non-space character,
//!    so it can never act as a mapping indicator);
//! 4. it is not, ignoring ASCII case, one of `y n yes no true false on off null nan inf
//!    infinity` (YAML 1.1 booleans / null, YAML 1.2 core-schema words, and words some
//!    resolvers read as floats).
//!
//! Because the first character is a letter or `/`, no YAML 1.1 or 1.2 resolver can read such a
//! scalar as a number, timestamp, sexagesimal value, octal, `.inf`/`.nan`, `~`, merge key `<<`
//! or value key `=`; rule 4 removes the remaining words. Everything else is **double-quoted**
//! with JSON-compatible escapes: `\"`, `\\`, `\n`, `\t`, `\r`, and `\uXXXX` for every other
//! C0 control character, DEL, the C1 controls U+0080..U+009F (this includes NEL U+0085, a line
//! break in YAML 1.1), U+2028, U+2029, U+FEFF, U+FFFE and U+FFFF. All other Unicode is written
//! literally as UTF-8.
//!
//! A **multi-line** string value (one containing `\n`) is written as a literal block scalar
//! (`|` when it ends with exactly one newline, `|-` when it ends with none) only when that
//! round-trips exactly and passes yamllint: no character other than `\n` and `\t` would need
//! escaping (so no `\r`, i.e. no CRLF text), no line ends with a space or tab, the first
//! non-empty line does not start with a space or tab (block indentation is auto-detected from
//! it), at most two consecutive lines are empty, and the string does not end with two or more
//! newlines. Otherwise it is double-quoted on one line. Keys are never block scalars.
//!
//! A key whose written form is longer than 1000 bytes is emitted as an explicit key
//! (`? key` / `: value`), because YAML parsers limit implicit keys to 1024 characters.
//!
//! # Example
//!
//! ```
//! use platc_yaml::{Mapping, Yaml};
//!
//! let doc = Yaml::from(
//!     Mapping::new()
//!         .with("apiVersion", "v1")
//!         .with("kind", "ConfigMap")
//!         .with("metadata", Mapping::new().with("name", "web"))
//!         .with("data", Mapping::new().with("enabled", "yes")),
//! );
//! assert_eq!(
//!     platc_yaml::to_string(&doc),
//!     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  enabled: \"yes\"\n"
//! );
//! ```

use std::fmt::Write as _;

/// A YAML value. Mappings keep insertion order and have string keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Yaml {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A decimal integer.
    Int(i64),
    /// A string; quoted or written as a block scalar as needed (see the crate docs).
    Str(String),
    /// A sequence (`[]` when empty).
    Seq(Vec<Yaml>),
    /// A mapping (`{}` when empty).
    Map(Mapping),
}

impl Yaml {
    /// The string, if this is a [`Yaml::Str`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Yaml::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The mapping, if this is a [`Yaml::Map`].
    pub fn as_mapping(&self) -> Option<&Mapping> {
        match self {
            Yaml::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The mapping, mutably, if this is a [`Yaml::Map`].
    pub fn as_mapping_mut(&mut self) -> Option<&mut Mapping> {
        match self {
            Yaml::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items, if this is a [`Yaml::Seq`].
    pub fn as_seq(&self) -> Option<&[Yaml]> {
        match self {
            Yaml::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is [`Yaml::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Yaml::Null)
    }
}

/// A mapping with string keys, kept in insertion order. Keys are unique: inserting an
/// existing key replaces its value in place (the key keeps its original position).
///
/// Lookups are linear scans, which is the fastest option for the small mappings of
/// Kubernetes objects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mapping {
    entries: Vec<(Key, Yaml)>,
}

/// A mapping key: borrowed when it is a literal of platc's source (no allocation), owned
/// otherwise.
pub type Key = std::borrow::Cow<'static, str>;

/// What [`Mapping::insert`] accepts as a key: `&'static str` (kept borrowed), `String`,
/// `&String` or a [`Key`].
pub trait IntoKey {
    fn into_key(self) -> Key;
}

impl IntoKey for &'static str {
    fn into_key(self) -> Key {
        Key::Borrowed(self)
    }
}

impl IntoKey for String {
    fn into_key(self) -> Key {
        Key::Owned(self)
    }
}

impl IntoKey for &String {
    fn into_key(self) -> Key {
        Key::Owned(self.clone())
    }
}

impl IntoKey for Key {
    fn into_key(self) -> Key {
        self
    }
}

impl Mapping {
    /// An empty mapping.
    pub fn new() -> Self {
        Mapping {
            entries: Vec::new(),
        }
    }

    /// An empty mapping with room for `capacity` entries.
    pub fn with_capacity(capacity: usize) -> Self {
        Mapping {
            entries: Vec::with_capacity(capacity),
        }
    }

    /// Inserts `key`, or replaces its value in place if it is already present.
    pub fn insert(&mut self, key: impl IntoKey, value: impl Into<Yaml>) {
        let key = key.into_key();
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// Builder form of [`Mapping::insert`].
    #[must_use]
    pub fn with(mut self, key: impl IntoKey, value: impl Into<Yaml>) -> Self {
        self.insert(key, value);
        self
    }

    /// The value stored under `key`.
    pub fn get(&self, key: &str) -> Option<&Yaml> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value stored under `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Yaml> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k == key)
    }

    /// Removes `key`, keeping the order of the other entries; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<Yaml> {
        let pos = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(pos).1)
    }

    /// Whether the mapping has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The entries in insertion order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            inner: self.entries.iter(),
        }
    }

    /// The entries in insertion order, keys as they are stored.
    pub fn into_entries(self) -> impl Iterator<Item = (Key, Yaml)> {
        self.entries.into_iter()
    }

    /// The keys in insertion order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator + '_ {
        self.entries.iter().map(|(k, _)| k.as_ref())
    }
}

/// Iterator over the entries of a [`Mapping`], in insertion order.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    inner: std::slice::Iter<'a, (Key, Yaml)>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a Yaml);

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|(k, v)| (k.as_ref(), v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.inner.next_back().map(|(k, v)| (k.as_ref(), v))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Mapping {
    type Item = (&'a str, &'a Yaml);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl IntoIterator for Mapping {
    type Item = (String, Yaml);
    type IntoIter =
        std::iter::Map<std::vec::IntoIter<(Key, Yaml)>, fn((Key, Yaml)) -> (String, Yaml)>;

    fn into_iter(self) -> Self::IntoIter {
        fn owned((k, v): (Key, Yaml)) -> (String, Yaml) {
            (k.into_owned(), v)
        }
        self.entries
            .into_iter()
            .map(owned as fn((Key, Yaml)) -> (String, Yaml))
    }
}

impl<K: IntoKey, V: Into<Yaml>> Extend<(K, V)> for Mapping {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: IntoKey, V: Into<Yaml>> FromIterator<(K, V)> for Mapping {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut m = Mapping::new();
        m.extend(iter);
        m
    }
}

impl From<&str> for Yaml {
    fn from(s: &str) -> Self {
        Yaml::Str(s.to_owned())
    }
}

impl From<&String> for Yaml {
    fn from(s: &String) -> Self {
        Yaml::Str(s.clone())
    }
}

impl From<String> for Yaml {
    fn from(s: String) -> Self {
        Yaml::Str(s)
    }
}

impl From<i64> for Yaml {
    fn from(i: i64) -> Self {
        Yaml::Int(i)
    }
}

impl From<i32> for Yaml {
    fn from(i: i32) -> Self {
        Yaml::Int(i64::from(i))
    }
}

impl From<u8> for Yaml {
    fn from(i: u8) -> Self {
        Yaml::Int(i64::from(i))
    }
}

impl From<u16> for Yaml {
    fn from(i: u16) -> Self {
        Yaml::Int(i64::from(i))
    }
}

impl From<u32> for Yaml {
    fn from(i: u32) -> Self {
        Yaml::Int(i64::from(i))
    }
}

impl From<bool> for Yaml {
    fn from(b: bool) -> Self {
        Yaml::Bool(b)
    }
}

impl From<Mapping> for Yaml {
    fn from(m: Mapping) -> Self {
        Yaml::Map(m)
    }
}

impl From<Vec<Yaml>> for Yaml {
    fn from(v: Vec<Yaml>) -> Self {
        Yaml::Seq(v)
    }
}

/// `None` becomes [`Yaml::Null`].
impl<T: Into<Yaml>> From<Option<T>> for Yaml {
    fn from(v: Option<T>) -> Self {
        v.map_or(Yaml::Null, Into::into)
    }
}

/// Collects into a [`Yaml::Seq`].
impl<T: Into<Yaml>> FromIterator<T> for Yaml {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Yaml::Seq(iter.into_iter().map(Into::into).collect())
    }
}

/// Renders one document. The result ends with exactly one `\n` and has no `---` marker.
pub fn to_string(doc: &Yaml) -> String {
    let mut out = String::with_capacity(256);
    write(doc, &mut out);
    out
}

/// Appends one document to `out` (see [`to_string`]).
pub fn write(doc: &Yaml, out: &mut String) {
    match doc {
        Yaml::Map(m) if !m.is_empty() => write_map(m, 0, false, out),
        Yaml::Seq(s) if !s.is_empty() => write_seq(s, 0, out),
        _ => {
            write_scalar(doc, 2, out);
            out.push('\n');
        }
    }
}

/// Renders a multi-document stream: documents separated by `---` lines (none before the
/// first). An empty slice renders as the empty string.
pub fn to_documents(docs: &[Yaml]) -> String {
    let mut out = String::with_capacity(1024 * docs.len());
    write_documents(docs, &mut out);
    out
}

/// Appends a multi-document stream to `out` (see [`to_documents`]), e.g. after a file's header
/// comment, without rendering into a string of its own first.
pub fn write_documents(docs: &[Yaml], out: &mut String) {
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        write(doc, out);
    }
}

/// Whether `s` may be written as a plain (unquoted) scalar; see the crate docs for the rule.
/// The same rule applies to keys and values.
pub fn is_plain_safe(s: &str) -> bool {
    let bytes = s.as_bytes();
    let Some((&first, rest)) = bytes.split_first() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == b'/') {
        return false;
    }
    if !rest
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b':' | b'-'))
    {
        return false;
    }
    if bytes.last() == Some(&b':') {
        return false;
    }
    const RESERVED: [&str; 12] = [
        "y", "n", "yes", "no", "true", "false", "on", "off", "null", "nan", "inf", "infinity",
    ];
    !(s.len() <= 8 && RESERVED.iter().any(|w| w.eq_ignore_ascii_case(s)))
}

/// Keys whose written form is longer than this are emitted as explicit keys (`? key`),
/// staying under the 1024-character limit parsers put on implicit keys.
const MAX_IMPLICIT_KEY_LEN: usize = 1000;

const SPACES: &str = "                                                                ";

fn push_indent(n: usize, out: &mut String) {
    let mut left = n;
    while left > 0 {
        let k = left.min(SPACES.len());
        out.push_str(SPACES.get(..k).unwrap_or(""));
        left -= k;
    }
}

/// Writes the entries of a non-empty mapping whose keys sit at column `indent`. When
/// `first_inline` is set the cursor is already at that column (after `- `).
fn write_map(m: &Mapping, indent: usize, first_inline: bool, out: &mut String) {
    for (i, (key, value)) in m.entries.iter().enumerate() {
        if i > 0 || !first_inline {
            push_indent(indent, out);
        }
        write_key(key, indent, out);
        write_after_indicator(value, indent, out);
    }
}

/// Writes the items of a non-empty sequence whose dashes sit at column `indent`.
fn write_seq(items: &[Yaml], indent: usize, out: &mut String) {
    for item in items {
        push_indent(indent, out);
        out.push('-');
        match item {
            Yaml::Map(m) if !m.is_empty() => {
                out.push(' ');
                write_map(m, indent + 2, true, out);
            }
            _ => write_after_indicator(item, indent, out),
        }
    }
}

/// Writes `key:` (or an explicit `? key` / `:` pair for very long keys) at the cursor, which
/// is at column `indent`.
fn write_key(key: &str, indent: usize, out: &mut String) {
    let start = out.len();
    if is_plain_safe(key) {
        out.push_str(key);
    } else {
        write_double_quoted(key, out);
    }
    if out.len() - start > MAX_IMPLICIT_KEY_LEN {
        out.insert_str(start, "? ");
        out.push('\n');
        push_indent(indent, out);
    }
    out.push(':');
}

/// Writes the value that follows a `key:` or `-` indicator at column `indent`, including the
/// final newline.
fn write_after_indicator(value: &Yaml, indent: usize, out: &mut String) {
    match value {
        Yaml::Map(m) if !m.is_empty() => {
            out.push('\n');
            write_map(m, indent + 2, false, out);
        }
        Yaml::Seq(s) if !s.is_empty() => {
            out.push('\n');
            write_seq(s, indent + 2, out);
        }
        _ => {
            out.push(' ');
            write_scalar(value, indent + 2, out);
            out.push('\n');
        }
    }
}

/// Writes a scalar (or empty collection) without the final newline. Block scalar content
/// lines are indented by `block_indent`.
fn write_scalar(value: &Yaml, block_indent: usize, out: &mut String) {
    match value {
        Yaml::Null => out.push_str("null"),
        Yaml::Bool(true) => out.push_str("true"),
        Yaml::Bool(false) => out.push_str("false"),
        Yaml::Int(i) => {
            // Writing into a String cannot fail.
            let _ = write!(out, "{i}");
        }
        Yaml::Str(s) => write_str(s, block_indent, out),
        Yaml::Seq(_) => out.push_str("[]"),
        Yaml::Map(_) => out.push_str("{}"),
    }
}

/// Writes a string value: plain, literal block, or double-quoted. A block scalar's last
/// line is written without its newline (the caller adds it).
fn write_str(s: &str, block_indent: usize, out: &mut String) {
    if is_plain_safe(s) {
        out.push_str(s);
        return;
    }
    let Some((body, header)) = block_body(s) else {
        write_double_quoted(s, out);
        return;
    };
    out.reserve(s.len() + 8);
    out.push_str(header);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            push_indent(block_indent, out);
            out.push_str(line);
        }
    }
}

/// If `s` can be written as a literal block scalar, returns the text to write (without the
/// trailing newline) and the block header.
fn block_body(s: &str) -> Option<(&str, &'static str)> {
    let (body, header) = match s.strip_suffix('\n') {
        Some(body) if body.ends_with('\n') => return None,
        Some(body) => (body, "|"),
        None => (s, "|-"),
    };
    // Must be multi-line (single-line strings read best quoted) unless it carries the one
    // trailing newline, and must not be only newlines.
    if (header == "|-" && !body.contains('\n')) || body.is_empty() {
        return None;
    }
    let mut seen_content = false;
    let mut empty_run = 0usize;
    for line in body.split('\n') {
        if line.is_empty() {
            empty_run += 1;
            if empty_run > 2 {
                return None;
            }
            continue;
        }
        empty_run = 0;
        if !seen_content {
            seen_content = true;
            if line.starts_with([' ', '\t']) {
                return None;
            }
        }
        if line.ends_with([' ', '\t']) {
            return None;
        }
        if line.chars().any(|c| c != '\t' && needs_escape(c)) {
            return None;
        }
    }
    Some((body, header))
}

/// Characters that are never written literally inside double quotes.
fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\0'..='\x1F'
            | '"'
            | '\\'
            | '\x7F'..='\u{9F}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{FEFF}'
            | '\u{FFFE}'
            | '\u{FFFF}'
    )
}

/// Writes `s` as a double-quoted scalar with JSON-compatible escapes.
fn write_double_quoted(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut run_start = 0;
    for (i, c) in s.char_indices() {
        if !needs_escape(c) {
            continue;
        }
        out.push_str(s.get(run_start..i).unwrap_or(""));
        run_start = i + c.len_utf8();
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            _ => {
                let v = u32::from(c);
                out.push_str("\\u");
                for shift in [12u32, 8, 4, 0] {
                    let digit = char::from_digit((v >> shift) & 0xF, 16).unwrap_or('0');
                    out.push(digit.to_ascii_uppercase());
                }
            }
        }
    }
    out.push_str(s.get(run_start..).unwrap_or(""));
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Yaml {
        Yaml::from(v)
    }

    #[test]
    fn kubernetes_deployment_layout() {
        let container = Mapping::new()
            .with("name", "app")
            .with("image", "nginx:1.25")
            .with("args", vec![s("--port=8080"), s("serve")])
            .with(
                "ports",
                vec![Yaml::from(
                    Mapping::new()
                        .with("containerPort", 8080u16)
                        .with("protocol", "TCP"),
                )],
            )
            .with("env", Vec::<Yaml>::new())
            .with("resources", Mapping::new());
        let doc = Yaml::from(
            Mapping::new()
                .with("apiVersion", "apps/v1")
                .with("kind", "Deployment")
                .with(
                    "metadata",
                    Mapping::new().with("name", "web").with(
                        "labels",
                        Mapping::new()
                            .with("app.kubernetes.io/name", "web")
                            .with("tier", "8080"),
                    ),
                )
                .with(
                    "spec",
                    Mapping::new()
                        .with("replicas", 3)
                        .with("paused", false)
                        .with("minReadySeconds", Yaml::Null)
                        .with(
                            "template",
                            Mapping::new().with(
                                "spec",
                                Mapping::new().with("containers", vec![Yaml::from(container)]),
                            ),
                        ),
                ),
        );
        let expected = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web
    tier: \"8080\"
spec:
  replicas: 3
  paused: false
  minReadySeconds: null
  template:
    spec:
      containers:
        - name: app
          image: nginx:1.25
          args:
            - \"--port=8080\"
            - serve
          ports:
            - containerPort: 8080
              protocol: TCP
          env: []
          resources: {}
";
        assert_eq!(to_string(&doc), expected);
    }

    #[test]
    fn configmap_with_block_scalars() {
        let doc = Yaml::from(
            Mapping::new()
                .with("apiVersion", "v1")
                .with("kind", "ConfigMap")
                .with(
                    "data",
                    Mapping::new()
                        .with("nginx.conf", "server {\n  listen 80;\n\n  root /srv;\n}\n")
                        .with("no-newline", "a\nb")
                        .with("crlf", "a\r\nb\r\n")
                        .with("two-trailing", "a\n\n")
                        .with("indented", "  a\nb")
                        .with("trailing-space", "a \nb")
                        .with("one-line", "hello world"),
                )
                .with(
                    "items",
                    vec![s("x\ny"), Yaml::from(Mapping::new().with("k", "p\nq\n"))],
                ),
        );
        let expected = "\
apiVersion: v1
kind: ConfigMap
data:
  nginx.conf: |
    server {
      listen 80;

      root /srv;
    }
  no-newline: |-
    a
    b
  crlf: \"a\\r\\nb\\r\\n\"
  two-trailing: \"a\\n\\n\"
  indented: \"  a\\nb\"
  trailing-space: \"a \\nb\"
  one-line: \"hello world\"
items:
  - |-
    x
    y
  - k: |
      p
      q
";
        assert_eq!(to_string(&doc), expected);
    }

    #[test]
    fn nested_sequences_and_empties() {
        let doc: Yaml = vec![
            Yaml::Seq(vec![s("a"), Yaml::Seq(vec![s("b")])]),
            Yaml::Seq(vec![]),
            Yaml::Map(Mapping::new()),
            Yaml::Null,
            Yaml::Bool(true),
            Yaml::Int(-42),
            Yaml::Int(i64::MIN),
        ]
        .into();
        let expected = "\
-
  - a
  -
    - b
- []
- {}
- null
- true
- -42
- -9223372036854775808
";
        assert_eq!(to_string(&doc), expected);
    }

    #[test]
    fn top_level_scalars() {
        assert_eq!(to_string(&Yaml::Null), "null\n");
        assert_eq!(to_string(&Yaml::Map(Mapping::new())), "{}\n");
        assert_eq!(to_string(&Yaml::Seq(vec![])), "[]\n");
        assert_eq!(to_string(&s("yes")), "\"yes\"\n");
        assert_eq!(to_string(&s("a\nb\n")), "|\n  a\n  b\n");
        assert_eq!(to_string(&Yaml::Int(7)), "7\n");
    }

    #[test]
    fn documents_are_separated() {
        let a = Yaml::from(Mapping::new().with("a", 1));
        let b = Yaml::from(Mapping::new().with("b", "x\n"));
        assert_eq!(to_documents(&[a.clone(), b]), "a: 1\n---\nb: |\n  x\n");
        assert_eq!(to_documents(&[a]), "a: 1\n");
        assert_eq!(to_documents(&[]), "");
    }

    #[test]
    fn quoting_and_escapes() {
        let cases = [
            ("", "\"\""),
            ("app", "app"),
            ("apps/v1", "apps/v1"),
            ("/etc/config", "/etc/config"),
            ("http://example.com/a_b-c.d", "http://example.com/a_b-c.d"),
            ("a:", "\"a:\""),
            ("Yes", "\"Yes\""),
            ("NULL", "\"NULL\""),
            ("Infinity", "\"Infinity\""),
            ("010", "\"010\""),
            ("-a", "\"-a\""),
            ("a b", "\"a b\""),
            ("q\"b\\s", "\"q\\\"b\\\\s\""),
            ("\t\r\0\x1b\x7f", "\"\\t\\r\\u0000\\u001B\\u007F\""),
            (
                "\u{85}\u{2028}\u{2029}\u{feff}\u{fffe}",
                "\"\\u0085\\u2028\\u2029\\uFEFF\\uFFFE\"",
            ),
            ("é😀", "\"é😀\""),
        ];
        for (input, expected) in cases {
            let doc = Yaml::from(Mapping::new().with(input, input));
            assert_eq!(
                to_string(&doc),
                format!("{expected}: {expected}\n"),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn long_keys_are_explicit() {
        let key = "k".repeat(MAX_IMPLICIT_KEY_LEN + 1);
        let doc = Yaml::from(Mapping::new().with(&key, Mapping::new().with("a", 1)));
        assert_eq!(to_string(&doc), format!("? {key}\n:\n  a: 1\n"));
        let doc = Yaml::Seq(vec![Mapping::new().with(&key, "v").into()]);
        assert_eq!(to_string(&doc), format!("- ? {key}\n  : v\n"));
        let short = "k".repeat(MAX_IMPLICIT_KEY_LEN);
        let doc = Yaml::from(Mapping::new().with(&short, 1));
        assert_eq!(to_string(&doc), format!("{short}: 1\n"));
    }

    #[test]
    fn mapping_insert_replaces_in_place() {
        let mut m = Mapping::new().with("a", 1).with("b", 2);
        m.insert("a", 3);
        assert_eq!(m.len(), 2);
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(m.get("a"), Some(&Yaml::Int(3)));
        assert!(m.contains_key("b"));
        assert_eq!(m.remove("a"), Some(Yaml::Int(3)));
        assert_eq!(m.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["b"]);
        assert!(!m.is_empty());
        let collected: Mapping = [("x", 1), ("z", 2), ("x", 5)].into_iter().collect();
        assert_eq!(to_string(&collected.into()), "x: 5\nz: 2\n");
        assert_eq!(Yaml::from(None::<i64>), Yaml::Null);
        assert_eq!(Yaml::from(Some("a")), s("a"));
    }
}
