//! Secrets never leave the machine: the one set of rules that every value provbase writes
//! passes through (manifests and baselines, reports, records, bundles, in-toto).
//!
//! - A variable or key whose name looks secret (`*TOKEN*`, `password`, `api_key`, …) keeps its
//!   name; its value becomes a keyed hash.
//! - A token-shaped value under any name (GitHub, Hugging Face, GitLab, Slack, Stripe, OpenAI,
//!   npm and PyPI tokens, AWS access key ids, JWTs, PEM private keys, long high-entropy strings)
//!   becomes a keyed hash.
//! - A URL keeps its scheme, host and path; its user and password, and the values of query
//!   parameters whose names look secret, become keyed hashes.
//!
//! The keyed hash is `<redacted:` + the first 16 hex digits of HMAC-SHA256(key, secret) + `>`,
//! so a rotated credential still drifts while the credential itself is never written. The key
//! is `PROVBASE_REDACT_KEY` when set (a team secret, the same in CI and on laptops, so that
//! guessing a weak secret from its hash needs the key too), else a fixed key that defeats
//! lookup tables only.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The prefix of every redacted value.
pub const PREFIX: &str = "<redacted:";

/// The HMAC key, from `PROVBASE_REDACT_KEY` or the fixed one.
fn key() -> Vec<u8> {
    crate::options::get()
        .redact_key
        .as_ref()
        .map(|k| k.as_encoded_bytes().to_vec())
        .unwrap_or_else(|| b"provbase redaction v1".to_vec())
}

/// HMAC-SHA256 (RFC 2104) of `data` under `key`.
fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |b: u8| k.map(|x| x ^ b);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(data)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// What a secret is written as: its keyed hash.
pub fn keyed(secret: &[u8]) -> String {
    format!("{PREFIX}{}>", keyed_hex(secret))
}

/// 16 hex digits of the keyed hash of some bytes: a stable name for something that must not be
/// written itself (a secret, a host name).
pub fn keyed_hex(bytes: &[u8]) -> String {
    crate::canonical::hex(&hmac(&key(), bytes)[..8])
}

/// Whether an environment variable's name looks like it holds a secret (any part of it: names
/// such as `HF_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `DB_PASSWD`).
pub fn secret_variable(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    // `MYSQL_PWD`, `PGPASS`, `SIM_PIN`; `PWD` and `OLDPWD` are the shell's folders
    if !matches!(upper.as_str(), "PWD" | "OLDPWD") && secret_key(name) {
        return true;
    }
    [
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "PASSPHRASE",
        "KEY",
        "CREDENTIAL",
        "AUTH",
        "COOKIE",
        "SESSION",
        "PRIVATE",
        "SIGNATURE",
    ]
    .iter()
    .any(|w| upper.contains(w))
}

/// The words of a key: split at anything not a letter or digit, and where a lower-case letter
/// is followed by an upper-case one (`apiKey` → `api`, `key`).
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether a key of a document (params, an external command's JSON) looks like it holds a
/// secret: one of its words is `token`, `secret`, `password`, `passwd`, `passphrase`,
/// `credential(s)`, `cookie`, `auth`, `apikey`, or it ends in `key` after another word
/// (`api_key`, `wandb_api_key`, `access_key`). `author` or `keyboard` are not.
pub fn secret_key(name: &str) -> bool {
    let w = words(name);
    let word_secret = |s: &str| {
        matches!(
            s,
            "token"
                | "tokens"
                | "secret"
                | "secrets"
                | "password"
                | "passwd"
                | "pwd"
                | "passphrase"
                | "credential"
                | "credentials"
                | "cookie"
                | "auth"
                | "apikey"
                | "privatekey"
                | "bearer"
        )
    };
    // short words that mean a secret only as the key's last word: `db_pass`, `user_pw`,
    // `sim_pin`, SAS `sig` (but not `pin_memory` or `pass_count`)
    let last_secret = |s: &str| matches!(s, "pw" | "pass" | "pin" | "sig" | "signature" | "key");
    w.iter().any(|s| word_secret(s))
        || w.last().is_some_and(|s| {
            last_secret(s) && (w.len() >= 2 || !matches!(s.as_str(), "key" | "signature"))
        })
}

const TOKEN_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "hf_",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxs-",
    "xapp-",
    "sk-",
    "sk_live_",
    "rk_live_",
    "sk_test_",
    "npm_",
    "pypi-",
    "AIza",
];

fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-')
}

fn b64_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-' | '.')
}

/// Shannon entropy in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 128];
    let mut n = 0u32;
    for b in s.bytes().filter(u8::is_ascii) {
        counts[b as usize] += 1;
        n += 1;
    }
    let n = f64::from(n.max(1));
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Whether a value looks like a credential whatever its name: a known token prefix, an AWS
/// access key id, a JWT, a PEM private key, or a long string of high entropy (not hex, which
/// is how hashes are written, and not a path).
pub fn secret_value(s: &str) -> bool {
    let t = s.trim();
    if t.contains("-----BEGIN") && t.contains("PRIVATE KEY") {
        return true;
    }
    if TOKEN_PREFIXES
        .iter()
        .any(|p| t.starts_with(p) && t.len() >= p.len() + 16 && t.chars().all(token_char))
    {
        return true;
    }
    if (t.starts_with("AKIA") || t.starts_with("ASIA"))
        && t.len() == 20
        && t.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return true;
    }
    let parts: Vec<&str> = t.split('.').collect();
    if parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts[1].starts_with("eyJ")
        && parts.iter().all(|p| p.chars().all(token_char))
    {
        return true;
    }
    t.len() >= 32
        && t.chars().all(b64_char)
        // hashes and ids are hex, perhaps with dashes and a short prefix (`GPU-…`)
        && t.chars()
            .filter(|c| c.is_ascii_alphabetic() && !c.is_ascii_hexdigit())
            .count()
            * 5
            >= t.len()
        && !t.starts_with('/')
        && !t.contains("//")
        && !file_name_like(t)
        && !dotted_name(t)
        && t.chars().any(|c| c.is_ascii_uppercase())
        && t.chars().any(|c| c.is_ascii_lowercase())
        && t.chars().any(|c| c.is_ascii_digit())
        && entropy(t) >= 4.0
}

/// Whether a word ends like a file name (`baselines/coiss-N1597846115.json`): an extension of
/// one to five letters and digits, one a letter. Base64 and tokens hold no `.`, and a JWT's last
/// part is longer.
fn file_name_like(t: &str) -> bool {
    t.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty()
            && (1..=5).contains(&ext.len())
            && ext.chars().all(|c| c.is_ascii_alphanumeric())
            && ext.chars().any(|c| c.is_ascii_alphabetic())
    })
}

/// Whether a word is a dotted name of code (`nav.dataset.DataSetPDS3VoyagerISS`): two or more
/// identifiers joined by dots. Base64 and tokens hold no `.`; a JWT's parts are caught before.
fn dotted_name(t: &str) -> bool {
    t.contains('.')
        && t.split('.').all(|part| {
            part.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// A URL with its user and password, and the values of secret-looking query parameters,
/// replaced by keyed hashes. `None` when it holds none.
fn scrub_url(word: &str) -> Option<String> {
    let (scheme, rest) = word.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let mut changed = false;
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) if !userinfo.starts_with(PREFIX) => {
            changed = true;
            format!("{}@{host}", keyed(userinfo.as_bytes()))
        }
        _ => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let (query, frag) = query
                .split_once('#')
                .map_or((query, None), |(q, f)| (q, Some(f)));
            let params: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, v))
                        if !v.is_empty()
                            && !v.starts_with(PREFIX)
                            && (secret_key(k) || secret_variable(k) || secret_value(v)) =>
                    {
                        changed = true;
                        format!("{k}={}", keyed(v.as_bytes()))
                    }
                    _ => kv.to_owned(),
                })
                .collect();
            let frag = frag.map(|f| format!("#{f}")).unwrap_or_default();
            format!("{path}?{}{frag}", params.join("&"))
        }
        None => tail.to_owned(),
    };
    changed.then(|| format!("{scheme}://{authority}{tail}"))
}

/// A string as it may be written: unchanged when it holds no secret; a token-shaped string is
/// its keyed hash; in a longer text, see [`scrub_text`].
pub fn scrub_str(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(PREFIX) {
        return s.into();
    }
    if secret_value(s) {
        return keyed(s.as_bytes()).into();
    }
    scrub_text(s)
}

/// What separates the words of a text: a word is a run of anything else, so that a token glued
/// to text (`token:ghp_…`, `"ghp_…"`, `(ghp_…)`) is a word of its own.
fn separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            ':' | '='
                | '"'
                | '\''
                | '`'
                | ','
                | ';'
                | '&'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | '<'
                | '>'
                | '|'
                | '\\'
        )
}

/// Whether a word of a text names a secret when a value follows it after `:` or `=`:
/// `password`, `db.password`, `API_TOKEN`, `MYSQL_PWD`, `AccountKey`, `api_key`, `sig` — a
/// narrower rule than a document's keys ([`secret_key`]), since text is often code: `tokens`,
/// `enc_key`, `row_key` or `password.txt` (a path) are not.
fn secret_name(word: &str) -> bool {
    let word = word.trim_start_matches(['-', '+', '$', '@']);
    if word.is_empty() || word.contains('/') {
        return false;
    }
    let last = word.rsplit('.').next().unwrap_or(word);
    let w = words(last);
    let strong = |s: &str| {
        matches!(
            s,
            "password"
                | "passwd"
                | "pwd"
                | "passphrase"
                | "secret"
                | "token"
                | "credential"
                | "credentials"
                | "apikey"
                | "privatekey"
                | "accountkey"
                | "sharedaccesskey"
                | "sharedaccesssignature"
        )
    };
    let keyed_by = |s: &str| {
        matches!(
            s,
            "api"
                | "access"
                | "secret"
                | "private"
                | "account"
                | "auth"
                | "client"
                | "master"
                | "signing"
                | "encryption"
                | "license"
                | "subscription"
                | "storage"
                | "shared"
        )
    };
    let n = w.len();
    w.iter().any(|s| strong(s))
        || match w.last().map(String::as_str) {
            Some("key") => n >= 2 && keyed_by(&w[n - 2]),
            Some("pw" | "sig") => true,
            Some("pass" | "pin" | "signature") => n >= 2,
            _ => false,
        }
}

/// Whether the word after a secret's name is code rather than a value: a call (`f(`), an
/// attribute (`self.count`), or a type or keyword (`str`, `None`).
fn code_like(word: &str, after: &str) -> bool {
    let env_name = word.contains('_')
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    after.starts_with('(')
        || dotted_name(word)
        || env_name
        || matches!(
            word,
            "str" | "int" | "bool" | "float" | "bytes" | "dict" | "list" | "None" | "True"
                | "False" | "null" | "true" | "false" | "Optional" | "String" | "self"
                // GitHub's `permissions: id-token: write`
                | "read" | "write" | "none"
        )
}

/// Free text as it may leave the process (a command's stderr, a file's diff, a message): words
/// are split on white space and punctuation, and each of these becomes a keyed hash:
///
/// - a token-shaped word ([`secret_value`]), glued to text or not;
/// - the user and password of a URL, secret query parameters, and a Slack webhook's path;
/// - the value after a secret-looking name and `:` or `=` (`password: hunter2`,
///   `AccountKey=…;`, `sig=…&`, `MYSQL_PWD=…`, `"token": "…"`);
/// - the credentials of an `Authorization` header, whatever its scheme (`Bearer`, `Basic`).
pub fn scrub_text(s: &str) -> std::borrow::Cow<'_, str> {
    let mut out = String::with_capacity(s.len());
    let mut changed = false;
    // the next word is a secret's value; the rest of the line is an authorization header's
    let (mut value_next, mut auth_line) = (false, false);
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("<redacted") {
            // already redacted (`<redacted:…>`, or `<redacted>` in a command line): kept whole
            let end = rest.find('>').map_or(rest.len(), |i| i + 1);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            value_next = false;
            continue;
        }
        if separator(c) {
            let mut end = rest.find(|c: char| !separator(c)).unwrap_or(rest.len());
            if let Some(at) = rest[..end]
                .find('<')
                .filter(|at| rest[*at..].starts_with("<redacted"))
            {
                end = at.max(c.len_utf8());
                if at == 0 {
                    continue;
                }
            }
            let sep = &rest[..end];
            if sep.contains('\n') {
                value_next = false;
                auth_line = false;
            } else if value_next && !sep.contains([':', '=']) && !sep.trim().is_empty() {
                // `password "x"` is not a name and its value; `password = "x"` is
                value_next = sep
                    .chars()
                    .all(|c| c == '"' || c == '\'' || c.is_whitespace());
            }
            out.push_str(sep);
            rest = &rest[end..];
            continue;
        }
        // a URL runs to the next white space or quote
        let url_end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`'))
            .unwrap_or(rest.len());
        let end = rest.find(separator).unwrap_or(rest.len());
        let (word, is_url) = if rest[..url_end].contains("://") {
            (&rest[..url_end], true)
        } else {
            (&rest[..end], false)
        };
        let after = &rest[word.len()..];
        let sep_after: String = after.chars().take_while(|c| separator(*c)).collect();
        let names_value = sep_after.contains([':', '=']) && !sep_after.contains('\n');
        let scheme = matches!(
            word.to_ascii_lowercase().as_str(),
            "bearer" | "basic" | "token" | "digest" | "negotiate"
        );
        let credential =
            ((value_next && !code_like(word, after)) || (auth_line && !scheme)) && word.len() >= 3;
        let replaced = if is_url {
            scrub_url(word).or_else(|| slack_webhook(word))
        } else if credential || secret_value(word) || mysql_password(word, &out) {
            Some(keyed(word.as_bytes()))
        } else {
            None
        };
        value_next = false;
        // an Authorization header's value: its scheme (kept), then one credential
        if credential || !(auth_line && scheme) {
            auth_line = false;
        }
        if word.to_ascii_lowercase().ends_with("authorization") && names_value {
            auth_line = true;
        } else if !is_url && names_value && secret_name(word) {
            value_next = true;
        }
        match replaced {
            Some(r) => {
                changed = true;
                out.push_str(&r);
            }
            None => out.push_str(word),
        }
        rest = after;
    }
    if changed { out.into() } else { s.into() }
}

/// Whether a word is a password glued to `-p` in a mysql command line (`mysql -uroot -pS3cret`),
/// judged by the line written so far.
fn mysql_password(word: &str, line_so_far: &str) -> bool {
    let line = line_so_far
        .rsplit(['\n', '\r'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    word.len() > 2
        && word.starts_with("-p")
        && !word.starts_with("-p<")
        && ["mysql", "mariadb"].iter().any(|m| line.contains(m))
}

/// A Slack (or Discord) webhook URL with its secret path replaced; `None` for any other URL.
fn slack_webhook(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let (host, path) = rest.split_once('/')?;
    let secret_path = match host {
        "hooks.slack.com" => path
            .strip_prefix("services/")
            .or(path.strip_prefix("workflows/")),
        "discord.com" | "discordapp.com" => path.strip_prefix("api/webhooks/"),
        _ => None,
    }
    .filter(|p| !p.is_empty() && !p.starts_with(PREFIX))?;
    let kept = &path[..path.len() - secret_path.len()];
    Some(format!(
        "{scheme}://{host}/{kept}{}",
        keyed(secret_path.as_bytes())
    ))
}

/// Scrubs a document in place: the value of every secret-looking key (anything but `null`, a
/// boolean or an already redacted value) becomes the keyed hash of its canonical JSON, and
/// every string passes through [`scrub_str`].
pub fn scrub_json(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                let redactable = !matches!(x, Value::Null | Value::Bool(_))
                    && !x.as_str().is_some_and(|s| s.starts_with(PREFIX));
                if secret_key(k) && redactable {
                    let bytes = match &*x {
                        Value::String(s) => s.as_bytes().to_vec(),
                        other => crate::canonical::jcs_bytes(other),
                    };
                    *x = Value::String(keyed(&bytes));
                } else {
                    scrub_json(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(scrub_json),
        Value::String(s) => {
            if let std::borrow::Cow::Owned(o) = scrub_str(s) {
                *s = o;
            }
        }
        _ => {}
    }
}

/// Scrubs every string of a document in place ([`scrub_str`]), leaving keys and the values
/// under them as they are: for provbase's own documents (reports, outcomes), whose keys are
/// its own (`summary.pass` is a count) and whose values were scrubbed by key when collected.
pub fn scrub_strings(v: &mut Value) {
    match v {
        Value::Object(m) => m.values_mut().for_each(scrub_strings),
        Value::Array(a) => a.iter_mut().for_each(scrub_strings),
        Value::String(s) => {
            if let std::borrow::Cow::Owned(o) = scrub_str(s) {
                *s = o;
            }
        }
        _ => {}
    }
}

/// A command line as it may be shown: the value of `--token=…`, of `--password X` and of any
/// option whose name looks secret is `<redacted>`, and URLs lose their credentials.
pub fn redact_args(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut hide_next = false;
    for a in args {
        if hide_next {
            out.push("<redacted>".to_owned());
            hide_next = false;
            continue;
        }
        // mysql's `-pSECRET`: a password glued to `-p` (not `-pthread`, `-pipe`, a port)
        if let Some(glued) = a.strip_prefix("-p")
            && !glued.is_empty()
            && !glued.starts_with('-')
            && !glued.bytes().all(|b| b.is_ascii_digit())
            && !matches!(
                glued,
                "thread" | "ipe" | "edantic" | "g" | "ie" | "ic" | "rint" | "arallel"
            )
        {
            out.push("-p<redacted>".to_owned());
            continue;
        }
        if let Some((name, _)) = a.split_once('=')
            && name.starts_with('-')
            && secret_variable(name)
        {
            out.push(format!("{name}=<redacted>"));
            continue;
        }
        if a.starts_with('-') && secret_variable(a) {
            hide_next = true;
            out.push(a.clone());
            continue;
        }
        if a.contains("://") && !a.contains(char::is_whitespace) {
            out.push(sanitize_url(a));
            continue;
        }
        if secret_value(a) {
            out.push("<redacted>".to_owned());
            continue;
        }
        // `-H "Authorization: Bearer …"`, `password=…` as one argument
        out.push(scrub_text(a).into_owned());
    }
    out
}

/// Removes what must not leave the machine from a remote URL: the user and password of
/// `scheme://user:pass@host/…` and of scp-like `user@host:path`, the query and fragment, and the
/// home folder of a local path (written as `~`).
pub fn sanitize_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let path = path.split(['?', '#']).next().unwrap_or("");
        let path = if scheme == "file" {
            home_relative(path)
        } else {
            path.to_owned()
        };
        return format!("{scheme}://{host}{path}");
    }
    if let Some(colon) = url.find(':') {
        let before = &url[..colon];
        if let Some((_, host)) = before.rsplit_once('@')
            && !before.contains('/')
        {
            return format!("{host}{}", &url[colon..]);
        }
    }
    home_relative(url)
}

/// Like [`sanitize_url`], but keeps a fragment such as `#sha256=…` or `#egg=…` (fragments are
/// never sent to a server) unless it looks like a secret.
pub fn sanitize_url_keep_fragment(url: &str) -> String {
    match url.split_once('#') {
        Some((u, frag)) if !secret_variable(frag.split('=').next().unwrap_or("")) => {
            format!("{}#{frag}", sanitize_url(u))
        }
        _ => sanitize_url(url),
    }
}

/// Writes a path under the home folder as `~/…`.
pub fn home_relative(path: &str) -> String {
    if let Some(home) = crate::options::get().home.as_ref() {
        let home = home.to_string_lossy();
        let home = home.trim_end_matches('/');
        if !home.is_empty() {
            if path == home {
                return "~".into();
            }
            if let Some(rest) = path.strip_prefix(&format!("{home}/")) {
                return format!("~/{rest}");
            }
        }
    }
    path.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// RFC 4231 test case 2.
    #[test]
    fn hmac_matches_rfc_4231() {
        let mac = hmac(b"Jefe", b"what do ya want for nothing?");
        let hex = crate::canonical::hex(&mac);
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn keys_by_their_words() {
        for secret in [
            "password",
            "token",
            "api_key",
            "wandb_api_key",
            "apiKey",
            "hub.token",
            "AWS_SECRET_ACCESS_KEY",
            "auth",
            "db-passwd",
            "client_credentials",
        ] {
            assert!(secret_key(secret), "{secret}");
        }
        for plain in [
            "author",
            "keyboard",
            "key",
            "monkey",
            "tokenizer",
            "seed",
            "image",
        ] {
            assert!(!secret_key(plain), "{plain}");
        }
    }

    /// The planted values of the issue, and values that must stay as they are.
    #[test]
    fn token_shaped_values() {
        for secret in [
            "ghp_R8xQ2kLmN4pV7sT1wY3zA5bC9dE0fG6hJ2kL",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
            "hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
            "AKIAIOSFODNN7EXAMPLE",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "glpat-xxxxXXXXxxxxXXXX1234",
            "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----",
        ] {
            assert!(secret_value(secret), "{secret}");
        }
        for plain in [
            "sha256:4f2a9c1e0b7d3a5f8e6c2b1a0d9f8e7c6b5a4d3c2b1a0f9e8d7c6b5a4d3c2b1a",
            "4f2a9c1e0b7d3a5f8e6c2b1a0d9f8e7c6b5a4d3c",
            "/usr/local/cuda-12.4/targets/x86_64-linux/lib/stubs",
            "N1597846115",
            "NVIDIA H100 80GB HBM3",
            "2.27.5",
            "cfg/config_220_body_shape.yaml",
            "hf_hub",
            "sk-learn",
            "GPU-8a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
        ] {
            assert!(!secret_value(plain), "{plain}");
        }
    }

    #[test]
    fn urls_lose_credentials_but_still_drift() {
        let a = scrub_str("postgres://u:pw@db.example/x");
        assert!(
            a.starts_with("postgres://<redacted:") && a.ends_with("@db.example/x"),
            "{a}"
        );
        assert!(!a.contains("pw"));
        let b = scrub_str("postgres://u:pw2@db.example/x");
        assert_ne!(a, b, "a rotated password drifts");
        let q = scrub_str("https://h/p?x=1&access_token=abc&y=2");
        assert!(q.starts_with("https://h/p?x=1&access_token=<redacted:") && q.ends_with("&y=2"));
        assert_eq!(scrub_str("https://h/p?x=1"), "https://h/p?x=1");
        let text = scrub_str("--url nccl://a:b@h:1 --rank 0");
        assert!(
            !text.contains("a:b") && text.ends_with(" --rank 0"),
            "{text}"
        );
    }

    #[test]
    fn documents_are_scrubbed_by_key_and_value() {
        let mut v = json!({
            "password": "hunter2",
            "hub": {"token": "abc", "url": "https://u:p@hub/x"},
            "wandb_api_key": 1234,
            "note": "DEPLOY ghp_R8xQ2kLmN4pV7sT1wY3zA5bC9dE0fG6hJ2kL now",
            "auth": null,
            "list": ["hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345", "plain"],
            "seed": 42,
        });
        scrub_json(&mut v);
        let text = v.to_string();
        for s in ["hunter2", "\"abc\"", "u:p", "1234", "ghp_", "hf_aB"] {
            assert!(!text.contains(s), "{s} in {text}");
        }
        assert_eq!(v["seed"], 42);
        assert_eq!(v["auth"], Value::Null);
        assert_eq!(v["list"][1], "plain");
        assert!(v["note"].as_str().unwrap().starts_with("DEPLOY <redacted:"));
        let again = v.clone();
        scrub_json(&mut v);
        assert_eq!(v, again, "scrubbing twice changes nothing");
    }

    /// Every shape of the planted secrets in free text: (text, the secret, what stays).
    #[test]
    fn free_text_is_split_on_punctuation_and_names() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "remote: auth failed for ghp_R8xQ2kLmN4pV7sT1wY3zA5bC9dE0fG6hJ2kL\n",
                "R8xQ2kLmN4",
                "auth failed for",
            ),
            (
                "token:ghp_R8xQ2kLmN4pV7sT1wY3zA5bC9dE0fG6hJ2kL",
                "R8xQ2kLmN4",
                "token:",
            ),
            (
                "Authorization: token ghp_R8xQ2kLmN4pV7sT1wY3zA5bC9dE0fG6hJ2kL",
                "R8xQ2kLmN4",
                "Authorization: token ",
            ),
            (
                "-H 'Authorization: Bearer opaque-bearer-value'",
                "opaque-bearer-value",
                "Bearer ",
            ),
            (
                "Authorization: Basic dXNlcjpwYXNzd29yZA==",
                "dXNlcjpwYXNzd29yZA",
                "Basic ",
            ),
            (
                "fatal: unable to access 'https://bot:url-s3cret@git.example/x.git/'",
                "url-s3cret",
                "@git.example/x.git/",
            ),
            (
                "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=QWxhZGRpbjpvcGVuIHNlc2FtZQ==;EndpointSuffix=core.windows.net",
                "QWxhZGRpbjpvcGVuIHNlc2FtZQ",
                "AccountName=acct;",
            ),
            (
                "https://acct.blob.core.windows.net/c/x?sv=2022-11-02&sig=sas-signature-value",
                "sas-signature-value",
                "sv=2022-11-02",
            ),
            (
                "posting to https://hooks.slack.com/services/T0AAA/B0BBB/slackwebhooksecret1 failed",
                "slackwebhooksecret1",
                "https://hooks.slack.com/services/",
            ),
            (
                "host=db user=u password=pg-s3cret dbname=x",
                "pg-s3cret",
                "dbname=x",
            ),
            ("pw: pw-value-1", "pw-value-1", "pw: "),
            ("db_pass=pass-value-2", "pass-value-2", "db_pass="),
            ("sim_pin: 4711", "4711", "sim_pin: "),
            ("MYSQL_PWD=mysql-s3cret", "mysql-s3cret", "MYSQL_PWD="),
            (
                "export API_TOKEN=api-tok-value",
                "api-tok-value",
                "API_TOKEN=",
            ),
            (
                "+password: hunter2-new\n-password: hunter1-old\n",
                "hunter",
                "+password: ",
            ),
            (
                "{\"client_secret\": \"json-secret-value\"}",
                "json-secret-value",
                "client_secret",
            ),
        ];
        for (text, secret, stays) in cases {
            let out = scrub_text(text);
            assert!(!out.contains(secret), "{text:?} → {out:?}");
            assert!(out.contains(stays), "{text:?} → {out:?}");
            assert!(out.contains(PREFIX), "{text:?} → {out:?}");
            assert_eq!(
                scrub_text(&out),
                out,
                "scrubbing twice changes nothing: {out}"
            );
        }
        for plain in [
            "pin_memory: true",
            "cfg/password.yaml: changed since the baseline's commit 2dbd628",
            "static_data_hashes.\"cfg/secret_key.yaml\"  sha256:4f2a9c1e… → sha256:8e6c2b1a…",
            "lr: 0.1\nseed: 42\n",
            "Basic settings: none",
            "coiss-N1597846115 drifted from baselines/coiss-N1597846115.json: 4 failing drifts",
            "examples/nav/kernels/pck/cpck15Dec2017.tpc loaded",
            ":class:`nav.dataset.dataset_pds3_voyager_iss.DataSetPDS3VoyagerISS`,",
            "+    tokens_this_step = self._count_tokens(batch)",
            "+    if enc_key == \"timm\" and not model_name:",
            "+def f(encoder_key: str, token: Optional[str] = None):",
            "      id-token: write",
            "+    client = genai.Client(api_key=GEMINI_API_KEY)",
            "key: 3",
        ] {
            assert_eq!(scrub_text(plain), plain);
        }
        let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let shown = redact_args(&args(&[
            "mysql",
            "-uroot",
            "-pSECRETpw",
            "-pthread",
            "-p3306",
        ]));
        assert_eq!(
            shown,
            args(&["mysql", "-uroot", "-p<redacted>", "-pthread", "-p3306"])
        );
        let shown = redact_args(&args(&[
            "curl",
            "-H",
            "Authorization: Bearer opaque-bearer-value",
        ]));
        assert!(
            !shown.join(" ").contains("opaque-bearer-value"),
            "{shown:?}"
        );
    }
}
