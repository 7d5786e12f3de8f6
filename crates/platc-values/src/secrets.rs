//! Detection of literal credentials in platform.toml, so platc can refuse them: credentials
//! belong in the cloud secret manager, never in a committed file.
//!
//! Two independent checks:
//!
//! * [`key_looks_secret`] looks at a variable *name* (`DB_PASSWORD`, `apiKey`);
//! * [`value_looks_secret`] looks at a *value* for known token formats, URLs with inline
//!   passwords and long random-looking strings.
//!
//! Both aim at few false positives: refusing an ordinary setting is a bug users cannot work
//! around, while a missed secret is still caught by review and by the secret scanners of the
//! code host. Each rule below says what it deliberately leaves alone.

/// Words that make a key secret wherever they stand as a whole word.
const SECRET_WORDS: [&str; 16] = [
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "tokens",
    "credential",
    "credentials",
    "creds",
    "auth",
    "apikey",
    "privatekey",
    "accesskey",
];

/// Fragments distinctive enough to make a key secret even inside a longer word
/// (`DBPASSWORD`, `MYSECRETVALUE`, `SECRETKEY`).
const SECRET_FRAGMENTS: [&str; 7] = [
    "password",
    "passwd",
    "passphrase",
    "secret",
    "credential",
    "apikey",
    "privatekey",
];

/// Words that, directly before `key`/`keys`, name a secret key (`API_KEY`, `SIGNING_KEY`).
/// A bare `KEY` is not enough: `CACHE_KEY`, `PARTITION_KEY` and `SORT_KEY` are settings.
const KEY_QUALIFIERS: [&str; 14] = [
    "api",
    "private",
    "secret",
    "access",
    "encryption",
    "signing",
    "master",
    "hmac",
    "session",
    "client",
    "ssh",
    "gpg",
    "pgp",
    "license",
];

/// Last words that make a key describe or locate a secret rather than hold one
/// (`PASSWORD_MIN_LENGTH`, `TOKEN_URL`, `SECRET_NAME`, `ACCESS_KEY_ID`, `AUTH_ENABLED`).
const NON_SECRET_LAST: [&str; 56] = [
    "length",
    "len",
    "min",
    "max",
    "policy",
    "policies",
    "file",
    "files",
    "path",
    "dir",
    "url",
    "uri",
    "endpoint",
    "host",
    "hostname",
    "port",
    "name",
    "names",
    "id",
    "ids",
    "user",
    "username",
    "enabled",
    "disabled",
    "required",
    "ttl",
    "timeout",
    "expiry",
    "expiration",
    "expires",
    "lifetime",
    "duration",
    "age",
    "header",
    "type",
    "mode",
    "method",
    "provider",
    "ref",
    "arn",
    "version",
    "region",
    "issuer",
    "audience",
    "scope",
    "scopes",
    "algorithm",
    "alg",
    "format",
    "count",
    "size",
    "limit",
    "retries",
    "kind",
    "prefix",
    "interval",
];

/// First words that make a key a switch or setting about secrets (`ENABLE_AUTH`,
/// `REQUIRE_PASSWORD`, `SKIP_TOKEN_CHECK`).
const NON_SECRET_FIRST: [&str; 13] = [
    "enable", "disable", "require", "requires", "skip", "use", "allow", "no", "with", "without",
    "is", "has", "min",
];

/// Splits a key into lower-case words at non-alphanumeric characters and camelCase
/// boundaries: `dbPassword` → `db password`, `APIKey` → `api key`, `DB_PASS` → `db pass`.
/// Digits stay with the word before them (`OAUTH2_TOKEN` → `oauth2 token`).
fn words(key: &str) -> Vec<String> {
    let chars: Vec<char> = key.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
            let next = chars.get(i.saturating_add(1)).copied();
            let after_lower = prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit());
            let acronym_end =
                prev.is_some_and(char::is_uppercase) && next.is_some_and(char::is_lowercase);
            if after_lower || acronym_end {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether a variable name says it holds a credential.
///
/// The rule, on the key's words (split at `_`, `-`, `.`, other punctuation and camelCase;
/// compared case-insensitively):
///
/// 1. a key whose **last** word describes or locates a secret is not secret: `_LENGTH`,
///    `_POLICY`, `_FILE`, `_PATH`, `_URL`, `_HOST`, `_NAME`, `_ID`, `_USER`, `_ENABLED`,
///    `_TTL`, `_TIMEOUT`, `_HEADER`, `_TYPE`, `_MODE`, … (see the list in the source). So
///    `PASSWORD_MIN_LENGTH`, `DB_PASSWORD_FILE`, `TOKEN_URL`, `SECRET_NAME` (which names a
///    secret in the secret manager: exactly what users should write) and `AWS_ACCESS_KEY_ID`
///    are not secret; a URL with an inline password is still caught by
///    [`value_looks_secret`];
/// 2. a key whose **first** word makes it a switch is not secret: `ENABLE_AUTH`,
///    `REQUIRE_PASSWORD`, `SKIP_TOKEN_CHECK`, `USE_…`, `ALLOW_…`, `NO_…`, `IS_…`, `HAS_…`;
/// 3. `PWD` and `OLDPWD` alone are the shell's working directories, not passwords;
/// 4. otherwise a key is secret when a word is one of `password passwd pwd pass passphrase
///    secret(s) token(s) credential(s) creds auth apikey privatekey accesskey`, or ends in
///    `token` (`AUTHTOKEN`), or contains `password`, `passwd`, `passphrase`, `secret`,
///    `credential`, `apikey` or `privatekey` (`DBPASSWORD`), or is `key`/`keys` right after
///    `api`, `private`, `secret`, `access`, `encryption`, `signing`, `master`, `hmac`,
///    `session`, `client`, `ssh`, `gpg`, `pgp` or `license` (`API_KEY`, `SIGNING_KEY`).
///
/// Whole-word matching keeps `KEYCLOAK_URL`, `MONKEY`, `TOKENIZER_MODEL`, `COMPASS`,
/// `AUTHOR` and `BYPASS_CACHE` clear, and a bare `KEY` (`CACHE_KEY`) is not secret. Names that
/// only suggest a DSN (`SENTRY_DSN`, `DATABASE_URL`) are left to the value check.
///
/// ```
/// use platc_values::secrets::key_looks_secret;
/// assert!(key_looks_secret("DB_PASSWORD"));
/// assert!(key_looks_secret("stripeApiKey"));
/// assert!(!key_looks_secret("PASSWORD_MIN_LENGTH"));
/// assert!(!key_looks_secret("TOKENIZER_MODEL"));
/// ```
pub fn key_looks_secret(key: &str) -> bool {
    let words = words(key);
    let (Some(first), Some(last)) = (words.first(), words.last()) else {
        return false;
    };
    if NON_SECRET_LAST.contains(&last.as_str()) || NON_SECRET_FIRST.contains(&first.as_str()) {
        return false;
    }
    if words.len() == 1 && (first == "pwd" || first == "oldpwd") {
        return false;
    }
    let mut previous: Option<&str> = None;
    for word in &words {
        let w = word.as_str();
        if SECRET_WORDS.contains(&w)
            || w.ends_with("token")
            || SECRET_FRAGMENTS.iter().any(|f| w.contains(f))
        {
            return true;
        }
        if (w == "key" || w == "keys") && previous.is_some_and(|p| KEY_QUALIFIERS.contains(&p)) {
            return true;
        }
        previous = Some(w);
    }
    false
}

/// What kind of credential a value looks like, if any.
///
/// Returns a short noun phrase for messages ("GitHub token"), checking in this order:
///
/// | kind | what is matched |
/// | --- | --- |
/// | `private key` | a PEM block: `-----BEGIN` … `PRIVATE KEY` |
/// | `AWS access key ID` | `AKIA` or `ASIA` + 16 upper-case letters or digits |
/// | `GitHub token` | `ghp_ gho_ ghu_ ghs_ ghr_` + ≥ 30 letters/digits, or `github_pat_` + ≥ 22 |
/// | `Slack token` | `xoxa- xoxb- xoxp- xoxo- xoxs- xoxr-` + ≥ 10 characters |
/// | `Slack webhook URL` | `hooks.slack.com/…` |
/// | `Stripe live key` | `sk_live_` or `rk_live_` + ≥ 16 letters/digits |
/// | `Google API key` | `AIza` + ≥ 35 of `A-Za-z0-9_-` |
/// | `JSON Web Token` | three dot-separated base64url parts, the first two starting `eyJ` |
/// | `URL with an inline password` | `scheme://user:password@host` (a password that is a `$VAR`, `$(VAR)` or `${VAR}` reference is fine) |
/// | `URL with an inline token` | `scheme://<random-looking user>@host` |
/// | `HTTP authorization credential` | `Bearer <token>` or `Basic <token>` |
/// | `AWS secret access key` | a random-looking string of exactly 40 `A-Za-z0-9/+` |
/// | `high-entropy string` | a random-looking string (below) |
///
/// A string is *random-looking* when it is at least 20 characters of `A-Za-z0-9+/_-~`, has
/// upper-case letters, lower-case letters and digits, a Shannon entropy of at least 4.0 bits
/// per character, and fewer than half of its characters in runs of 3+ lower-case letters
/// (which marks words, as in `MyService2024ProductionCluster`). Values are cut into such
/// candidates at every other character, and candidates that contain a `.` or start with `/`
/// are skipped as host names, file names, versions and paths.
///
/// Deliberately **not** flagged: image references (`ghcr.io/acme/auth:1.2.3`, with or without
/// `@sha256:<64 hex>`), `sha256:` digests and other hex strings (no upper *and* lower case),
/// UUIDs (ids, not credentials), host names, paths, cron expressions, quantities, versions,
/// e-mail addresses, URLs without a password, and ordinary words and sentences.
///
/// ```
/// use platc_values::secrets::value_looks_secret;
/// assert_eq!(value_looks_secret("postgres://app:hunter2@db:5432/app"), Some("URL with an inline password"));
/// assert_eq!(value_looks_secret("ghcr.io/acme/auth:1.2.3"), None);
/// ```
pub fn value_looks_secret(value: &str) -> Option<&'static str> {
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some("private key");
    }
    if let Some(kind) = prefixed_token(value) {
        return Some(kind);
    }
    if value.contains("hooks.slack.com/") {
        return Some("Slack webhook URL");
    }
    if looks_like_jwt(value) {
        return Some("JSON Web Token");
    }
    if let Some(kind) = url_credentials(value) {
        return Some(kind);
    }
    if authorization_header(value) {
        return Some("HTTP authorization credential");
    }
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || "+/_-.~".contains(c);
    for candidate in value.split(|c: char| !is_token_char(c)) {
        if candidate.contains('.') || candidate.starts_with('/') {
            continue;
        }
        if random_looking(candidate) {
            let aws_secret = candidate.len() == 40
                && candidate
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '+');
            return Some(if aws_secret {
                "AWS secret access key"
            } else {
                "high-entropy string"
            });
        }
    }
    None
}

/// Whether the first `enough` characters of `s` all satisfy `ok` (looks at no more than that).
fn run_at_least(s: &str, enough: usize, ok: impl Fn(char) -> bool) -> bool {
    s.chars().take(enough).filter(|c| ok(*c)).count() == enough
}

/// Vendor tokens with a fixed prefix, found at the start of a value or after any character
/// that is not a letter or digit.
fn prefixed_token(value: &str) -> Option<&'static str> {
    let mut prev_alnum = false;
    for (i, c) in value.char_indices() {
        let starts_here = !prev_alnum;
        prev_alnum = c.is_ascii_alphanumeric();
        if !starts_here || !c.is_ascii_alphanumeric() {
            continue;
        }
        let rest = value.get(i..).unwrap_or("");
        if let Some(kind) = token_at(rest) {
            return Some(kind);
        }
    }
    None
}

fn token_at(s: &str) -> Option<&'static str> {
    let alnum = |c: char| c.is_ascii_alphanumeric();
    let upper_or_digit = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit();
    if let Some(rest) = s.strip_prefix("AKIA").or_else(|| s.strip_prefix("ASIA")) {
        let after = rest.chars().nth(16);
        if run_at_least(rest, 16, upper_or_digit) && !after.is_some_and(alnum) {
            return Some("AWS access key ID");
        }
    }
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            if run_at_least(rest, 30, alnum) {
                return Some("GitHub token");
            }
        }
    }
    if let Some(rest) = s.strip_prefix("github_pat_") {
        if run_at_least(rest, 22, |c| alnum(c) || c == '_') {
            return Some("GitHub token");
        }
    }
    if let Some(rest) = s.strip_prefix("xox") {
        let mut chars = rest.chars();
        let kind = chars.next();
        let dash = chars.next();
        if kind.is_some_and(|k| "abposr".contains(k))
            && dash == Some('-')
            && run_at_least(chars.as_str(), 10, |c| alnum(c) || c == '-')
        {
            return Some("Slack token");
        }
    }
    for prefix in ["sk_live_", "rk_live_"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            if run_at_least(rest, 16, alnum) {
                return Some("Stripe live key");
            }
        }
    }
    if let Some(rest) = s.strip_prefix("AIza") {
        if run_at_least(rest, 35, |c| alnum(c) || c == '_' || c == '-') {
            return Some("Google API key");
        }
    }
    None
}

/// Three consecutive dot-separated base64url parts, the first two JSON objects (`eyJ`).
fn looks_like_jwt(value: &str) -> bool {
    let is_b64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    for token in value.split(|c: char| !(is_b64url(c) || c == '.')) {
        if !token.contains("eyJ") {
            continue;
        }
        let parts: Vec<&str> = token.split('.').collect();
        for window in parts.windows(3) {
            if let [header, payload, _signature] = window {
                if header.starts_with("eyJ")
                    && header.len() >= 10
                    && payload.starts_with("eyJ")
                    && payload.len() >= 10
                {
                    return true;
                }
            }
        }
    }
    false
}

/// A `$VAR`, `$(VAR)` or `${VAR}` reference: the value comes from elsewhere at run time.
fn is_reference(s: &str) -> bool {
    let name_ok =
        |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if let Some(inner) = s.strip_prefix("$(").and_then(|r| r.strip_suffix(')')) {
        return name_ok(inner);
    }
    if let Some(inner) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        return name_ok(inner);
    }
    s.strip_prefix('$').is_some_and(name_ok)
}

/// `scheme://user:password@host` or `scheme://<token>@host`.
fn url_credentials(value: &str) -> Option<&'static str> {
    for (i, _) in value.match_indices("://") {
        let after = value.get(i.saturating_add(3)..).unwrap_or("");
        let end = after
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>') || c.is_whitespace()
            })
            .unwrap_or(after.len());
        let authority = after.get(..end).unwrap_or("");
        let Some(at) = authority.rfind('@') else {
            continue;
        };
        let userinfo = authority.get(..at).unwrap_or("");
        match userinfo.split_once(':') {
            Some((_, password)) => {
                if !password.is_empty() && !is_reference(password) {
                    return Some("URL with an inline password");
                }
            }
            None => {
                if random_looking(userinfo) {
                    return Some("URL with an inline token");
                }
            }
        }
    }
    None
}

/// `Bearer <token>` / `Basic <token>` with a token that is not an ordinary word.
fn authorization_header(value: &str) -> bool {
    for scheme in ["Bearer ", "Basic "] {
        for (i, _) in value.match_indices(scheme) {
            let after = value.get(i.saturating_add(scheme.len())..).unwrap_or("");
            let token: &str = after
                .split(|c: char| !(c.is_ascii_alphanumeric() || "+/=._~-".contains(c)))
                .next()
                .unwrap_or("");
            let has = |f: fn(&char) -> bool| token.chars().any(|c| f(&c));
            let mixed = has(char::is_ascii_digit)
                || token.contains('=')
                || (has(char::is_ascii_uppercase) && has(char::is_ascii_lowercase));
            if token.len() >= 12 && mixed && !is_reference(token) {
                return true;
            }
        }
    }
    false
}

/// Shannon entropy in bits per character of an ASCII string.
fn shannon_entropy(s: &str) -> f64 {
    let mut counts = [0u32; 128];
    let mut total: u32 = 0;
    for b in s.bytes() {
        if let Some(slot) = counts.get_mut(usize::from(b)) {
            *slot = slot.saturating_add(1);
            total = total.saturating_add(1);
        }
    }
    if total == 0 {
        return 0.0;
    }
    let total = f64::from(total);
    counts
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| {
            let p = f64::from(n) / total;
            -p * p.log2()
        })
        .sum()
}

/// The share of characters that sit in runs of at least three lower-case letters (word-like:
/// about 16% of a random base62 string, most of an identifier like `ThisIsAVeryLongName`).
fn wordiness(s: &str) -> f64 {
    let mut in_words: usize = 0;
    let mut run: usize = 0;
    for c in s.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_lowercase() {
            run = run.saturating_add(1);
        } else {
            if run >= 3 {
                in_words = in_words.saturating_add(run);
            }
            run = 0;
        }
    }
    let len = s.chars().count().max(1);
    // Lengths here are far below 2^52, so the conversions are exact.
    in_words as f64 / len as f64
}

/// Random-looking: see [`value_looks_secret`].
fn random_looking(s: &str) -> bool {
    if s.len() < 20 {
        return false;
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+/_-~".contains(c))
    {
        return false;
    }
    let has_upper = s.chars().any(|c| c.is_ascii_uppercase());
    let has_lower = s.chars().any(|c| c.is_ascii_lowercase());
    let has_digit = s.chars().any(|c| c.is_ascii_digit());
    has_upper && has_lower && has_digit && shannon_entropy(s) >= 4.0 && wordiness(s) < 0.5
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn word_splitting() {
        assert_eq!(words("DB_PASSWORD"), ["db", "password"]);
        assert_eq!(words("dbPassword"), ["db", "password"]);
        assert_eq!(words("APIKey"), ["api", "key"]);
        assert_eq!(words("stripe-api.key"), ["stripe", "api", "key"]);
        assert_eq!(words("OAUTH2_TOKEN"), ["oauth2", "token"]);
        assert_eq!(words("s3Bucket"), ["s3", "bucket"]);
        assert_eq!(words("__"), Vec::<String>::new());
        assert_eq!(words(""), Vec::<String>::new());
    }

    #[test]
    fn secret_keys() {
        for key in [
            "PASSWORD",
            "DB_PASSWORD",
            "db_password",
            "dbPassword",
            "DBPASSWORD",
            "MYSQL_ROOT_PASSWORD",
            "PASSWD",
            "DB_PWD",
            "DB_PASS",
            "SMTP_PASSPHRASE",
            "SECRET",
            "JWT_SECRET",
            "CLIENT_SECRET",
            "SECRET_KEY",
            "SECRET_KEY_BASE",
            "SECRETKEY",
            "TOKEN",
            "GITHUB_TOKEN",
            "AUTH_TOKEN",
            "authToken",
            "ACCESSTOKEN",
            "REFRESH_TOKENS",
            "API_KEY",
            "APIKEY",
            "apiKey",
            "APIKey",
            "STRIPE_API_KEY",
            "PRIVATE_KEY",
            "PRIVATEKEY",
            "AWS_SECRET_ACCESS_KEY",
            "ACCESS_KEY",
            "ACCESSKEY",
            "SIGNING_KEY",
            "ENCRYPTION_KEYS",
            "SSH_KEY",
            "CREDENTIALS",
            "GOOGLE_APPLICATION_CREDENTIAL",
            "DB_CREDS",
            "BASIC_AUTH",
            "AUTH",
            "PROXY_AUTH",
            "NPM_AUTH",
            "secrets.db",
        ] {
            assert!(key_looks_secret(key), "{key} should look secret");
        }
    }

    #[test]
    fn ordinary_keys() {
        for key in [
            "",
            "_",
            "PWD",
            "OLDPWD",
            "KEYCLOAK_URL",
            "MONKEY",
            "TOKENIZER_MODEL",
            "TOKENIZER",
            "PASSWORD_MIN_LENGTH",
            "PASSWORD_POLICY",
            "DB_PASSWORD_FILE",
            "PASSWORD_PATH",
            "TOKEN_URL",
            "AUTH_URL",
            "AUTH_HOST",
            "SECRET_NAME",
            "AWS_ACCESS_KEY_ID",
            "CLIENT_ID",
            "API_KEY_HEADER",
            "TOKEN_TTL",
            "SESSION_TIMEOUT",
            "AUTH_ENABLED",
            "AUTH_MODE",
            "ENABLE_AUTH",
            "REQUIRE_PASSWORD",
            "SKIP_TOKEN_CHECK",
            "NO_AUTH",
            "AUTHOR",
            "AUTHOR_NAME",
            "COMPASS_HEADING",
            "BYPASS_CACHE",
            "PASSENGER_COUNT",
            "CACHE_KEY",
            "PARTITION_KEY",
            "KEY",
            "SORT_KEYS",
            "DATABASE_URL",
            "SENTRY_DSN",
            "LOG_LEVEL",
            "PORT",
            "JAVA_OPTS",
            "TOKEN_ISSUER",
            "DB_USER",
            "HOSTNAME",
        ] {
            assert!(!key_looks_secret(key), "{key} should not look secret");
        }
    }

    const GITHUB: &str = "ghp_aBcD1234eFgH5678iJkL9012mNoP3456qRsT";
    const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

    #[test]
    fn detects_vendor_tokens() {
        let cases: &[(&str, &str)] = &[
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----",
                "private key",
            ),
            ("-----BEGIN OPENSSH PRIVATE KEY-----", "private key"),
            ("-----BEGIN PRIVATE KEY-----", "private key"),
            ("AKIAIOSFODNN7EXAMPLE", "AWS access key ID"),
            ("ASIAIOSFODNN7EXAMPLE", "AWS access key ID"),
            ("key=AKIAIOSFODNN7EXAMPLE;", "AWS access key ID"),
            (GITHUB, "GitHub token"),
            ("gho_16C7e42F292c6912E7710c838347Ae178B4a", "GitHub token"),
            (
                "token ghs_16C7e42F292c6912E7710c838347Ae178B4a",
                "GitHub token",
            ),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
                "GitHub token",
            ),
            (
                "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
                "Slack token",
            ),
            ("xoxp-1234567890-abcdef", "Slack token"),
            (
                "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
                "Slack webhook URL",
            ),
            ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "Stripe live key"),
            ("rk_live_51H8abcdefGHIJKLmnop", "Stripe live key"),
            ("AIzaSyA-1234567890abcdefghijklmnopqrstu", "Google API key"),
            (JWT, "JSON Web Token"),
        ];
        for (value, kind) in cases {
            assert_eq!(value_looks_secret(value), Some(*kind), "{value}");
        }
        let in_header = format!("Authorization: Bearer {JWT}");
        assert_eq!(value_looks_secret(&in_header), Some("JSON Web Token"));
    }

    #[test]
    fn detects_inline_credentials() {
        let password = Some("URL with an inline password");
        assert_eq!(
            value_looks_secret("postgres://app:hunter2@db.internal:5432/app"),
            password
        );
        assert_eq!(value_looks_secret("redis://:s3cr3t@cache:6379"), password);
        assert_eq!(value_looks_secret("amqp://guest:guest@rabbit"), password);
        assert_eq!(value_looks_secret("see https://u:p@host/x?y"), password);
        assert_eq!(
            value_looks_secret("mongodb://u:p%40ss@a,b,c/db?replicaSet=rs0"),
            password
        );
        assert_eq!(
            value_looks_secret("https://Xq7bK9mP2vL4nR8tW1yZ3cF6hJ0dG5sA@git.example.com/repo.git"),
            Some("URL with an inline token")
        );
        assert_eq!(
            value_looks_secret("Authorization: Basic dXNlcjpwYXNzd29yZA=="),
            Some("HTTP authorization credential")
        );
        assert_eq!(
            value_looks_secret("Bearer abcdef0123456789"),
            Some("HTTP authorization credential")
        );
    }

    #[test]
    fn detects_random_strings() {
        assert_eq!(
            value_looks_secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            Some("AWS secret access key")
        );
        assert_eq!(
            value_looks_secret("Xq7bK9mP2vL4nR8tW1yZ3cF6hJ0dG5sA"),
            Some("high-entropy string")
        );
        assert_eq!(
            value_looks_secret("password=Xq7bK9mP2vL4nR8tW1yZ3cF6hJ0dG5sA&x=1"),
            Some("high-entropy string")
        );
        // Stripe test keys have no pattern of their own, but are random-looking.
        assert_eq!(
            value_looks_secret("sk_test_4eC39HqLyjWDarjtT1zdp7dc"),
            Some("high-entropy string")
        );
        assert_eq!(
            value_looks_secret("a8Fk2_Lq9-Zx7Vb3Nm1Qw5Er"),
            Some("high-entropy string")
        );
    }

    #[test]
    fn ordinary_values_are_not_flagged() {
        let sha = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let image_digest = format!("ghcr.io/acme/auth@{sha}");
        for value in [
            "",
            "true",
            "8080",
            "info",
            "ghcr.io/acme/auth:1.2.3",
            "ghcr.io/acme/auth",
            "registry.example.com/Team/App2Service:v1.2.3-rc.1",
            sha,
            &image_digest,
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B",
            "123e4567-e89b-12d3-a456-426614174000",
            "123E4567-E89B-12D3-A456-426614174000",
            "api.test.example.com",
            "my-service.my-namespace.svc.cluster.local",
            "/var/lib/data",
            "/var/lib/MyApp2/ConfigurationFiles/Main3",
            "0 2 * * *",
            "*/15 * * * MON-FRI",
            "500m",
            "512Mi",
            "30d",
            "v1.2.3-rc.1+build.20240101",
            "platform@example.com",
            "postgres://db.internal:5432/app",
            "postgres://app@db.internal:5432/app",
            "postgres://app:@db.internal:5432/app",
            "postgres://app:$(DB_PASSWORD)@db:5432/app",
            "postgres://app:${DB_PASSWORD}@db:5432/app",
            "postgres://app:$DB_PASSWORD@db:5432/app",
            "https://git@github.com/acme/repo.git",
            "https://example.com/path?query=1#frag",
            "-Xmx512m -XX:MaxRAMPercentage=75.0 -Dfile.encoding=UTF-8",
            "MyService2024ProductionCluster",
            "ThisIsAVeryLongIdentifierName42",
            "The quick brown fox jumps over the lazy dog 42 times",
            "Basic auth is enabled",
            "Bearer tokens are checked by the gateway",
            "Basic authentication",
            "Bearer $(TOKEN)",
            "ghp_short",
            "AKIA-not-a-key",
            "xoxb-",
            "eyJhbGciOiJIUzI1NiJ9",
            "AIzaShort",
            "http://[::1]:8080/",
            "ENABLE_FEATURE_X_FOR_TENANT_2024",
        ] {
            assert_eq!(value_looks_secret(value), None, "{value}");
        }
    }

    /// Deterministic random tokens (xorshift) over an alphabet.
    fn random_tokens(alphabet: &[u8], len: usize, count: usize) -> Vec<String> {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..count)
            .map(|_| {
                (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        char::from(alphabet[(x % alphabet.len() as u64) as usize])
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn most_random_tokens_are_caught() {
        let b62 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let caught = |tokens: Vec<String>| {
            tokens
                .iter()
                .filter(|t| value_looks_secret(t).is_some())
                .count()
        };
        // 20 characters is the floor: 4.0 bits per character is close to the most a 20-character
        // string can show (log2 20 = 4.32), so only some are caught there.
        assert!(caught(random_tokens(b62, 20, 1000)) > 500);
        assert!(caught(random_tokens(b62, 32, 1000)) > 970);
        assert!(caught(random_tokens(b62, 40, 1000)) > 990);
        // Base64 that starts with `/` is skipped as a path (1 in 64).
        assert!(caught(random_tokens(b64, 40, 1000)) > 960);
    }

    #[test]
    fn entropy_and_wordiness() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("ab") - 1.0).abs() < 1e-9);
        assert!((shannon_entropy("0123456789abcdef") - 4.0).abs() < 1e-9);
        assert!(wordiness("MyServiceName") > 0.5);
        assert!(wordiness("Xq7bK9mP2vL4nR8tW1yZ") < 0.1);
        assert_eq!(wordiness(""), 0.0);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let huge = "a".repeat(1 << 20);
        assert!(!key_looks_secret(&huge));
        assert_eq!(value_looks_secret(&huge), None);
        let many_urls = "a://".repeat(1 << 18);
        assert_eq!(value_looks_secret(&many_urls), None);
        let many_prefixes = "ghp_".repeat(1 << 18);
        assert_eq!(value_looks_secret(&many_prefixes), None);
        let many_jwt = "eyJ.".repeat(1 << 18);
        assert_eq!(value_looks_secret(&many_jwt), None);
        let many_bearer = "Bearer ".repeat(1 << 17);
        assert_eq!(value_looks_secret(&many_bearer), None);
        let junk = "\u{0}💥\u{202e}ÄÖ".repeat(100_000);
        assert_eq!(value_looks_secret(&junk), None);
        assert!(!key_looks_secret(&junk));
        let unicode_key = "ПАРОЛЬ_PASSWORD";
        assert!(key_looks_secret(unicode_key));
        assert!(key_looks_secret(&format!("{huge}_PASSWORD")));
        let random_huge: String = (0..(1u32 << 20))
            .map(|i| {
                let x = i.wrapping_mul(2_654_435_761) >> 7;
                let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
                char::from(alphabet[(x as usize) % alphabet.len()])
            })
            .collect();
        assert_eq!(
            value_looks_secret(&random_huge),
            Some("high-entropy string")
        );
    }

    proptest! {
        #[test]
        fn never_panic(s in ".*") {
            let _ = key_looks_secret(&s);
            let _ = value_looks_secret(&s);
        }

        #[test]
        fn token_shaped_strings_never_panic(s in "(ghp_|xoxb-|AKIA|eyJ|AIza|sk_live_|://|@|:|Bearer |[A-Za-z0-9./+=_-]){0,60}") {
            let _ = value_looks_secret(&s);
        }

        #[test]
        fn uuids_are_never_flagged(a in "[0-9a-fA-F]{8}", b in "[0-9a-fA-F]{4}", c in "[0-9a-fA-F]{4}", d in "[0-9a-fA-F]{4}", e in "[0-9a-fA-F]{12}") {
            let uuid = format!("{a}-{b}-{c}-{d}-{e}");
            // Mixed-case hex has upper, lower and digits but at most 22 symbols: stays below
            // 4.0 bits per character only by chance, so check lower- and upper-case forms.
            prop_assert_eq!(value_looks_secret(&uuid.to_ascii_lowercase()), None);
            prop_assert_eq!(value_looks_secret(&uuid.to_ascii_uppercase()), None);
        }

        #[test]
        fn digests_are_never_flagged(hex in "[0-9a-f]{64}") {
            prop_assert_eq!(value_looks_secret(&format!("sha256:{hex}")), None);
            prop_assert_eq!(value_looks_secret(&format!("ghcr.io/acme/app@sha256:{hex}")), None);
        }

        #[test]
        fn github_tokens_are_flagged(body in "[A-Za-z0-9]{36}") {
            prop_assert_eq!(value_looks_secret(&format!("ghp_{body}")), Some("GitHub token"));
        }
    }
}
