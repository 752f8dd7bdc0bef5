//! The checks that turn what serde read into a [`super::Config`]: paths that stay inside the
//! project, globs that parse, commands with a program and a sane timeout, names, strip rules
//! and policies. Every error names the file, the line and the key.

use super::raw::{RawNames, RawStrip};
use super::{CommandSpec, DEFAULT_TIMEOUT, FILE_NAME, GlobSpec, MAX_TIMEOUT, NamesSpec};
use crate::error::{Error, Result};
use crate::path::Selector;
use crate::policy::{Category, Policy, PolicyKey};
use crate::strip::StripRule;
use serde_json::Value;
use std::path::Path;
use toml::Spanned;

pub(super) struct Source<'a> {
    pub(super) path: &'a Path,
    /// Where each line after the first starts, so that a span's line is a binary search, not
    /// a count from the top (a harness.toml of a thousand runs has thousands of spans).
    newlines: Vec<usize>,
    text: &'a str,
}

impl<'a> Source<'a> {
    pub(super) fn new(path: &'a Path, text: &'a str) -> Source<'a> {
        Source {
            path,
            text,
            newlines: text
                .bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        }
    }

    /// The line of the `[[run]]` header above a byte offset in its table (the line of the
    /// offset itself for a run written inline).
    pub(super) fn header_line(&self, offset: usize) -> usize {
        let before = &self.text[..self.text.floor_char_boundary(offset.min(self.text.len()))];
        match before.rfind("[[") {
            Some(at) if before[at..].starts_with("[[run]]") => self.line(at),
            _ => self.line(offset),
        }
    }

    /// The 1-based line of a byte offset.
    pub(super) fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&n| n < offset) + 1
    }

    pub(super) fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> Result<T> {
        Err(Error::Config {
            path: self.path.to_owned(),
            line: self.line(span.start),
            message: message.into(),
        })
    }
}

pub(super) fn checked_folder(src: &Source, b: &Spanned<String>) -> Result<String> {
    let s = b.get_ref();
    if s.is_empty() || Path::new(s).is_absolute() {
        return src.err(
            b.span(),
            format!("`baselines` must be a folder relative to {FILE_NAME}, not `{s}`"),
        );
    }
    match inside_depth(s) {
        None => src.err(
            b.span(),
            format!("`baselines` = `{s}` leaves the project's folder: keep baselines inside it"),
        ),
        Some(0) => src.err(
            b.span(),
            format!(
                "`baselines` = `{s}` is the project's folder itself: name a folder of its own, such as \"baselines\""
            ),
        ),
        Some(_) => {
            if let Some(why) = Path::new(s).components().find_map(|c| match c {
                std::path::Component::Normal(n) if n == ".git" => Some("git's own folder"),
                std::path::Component::Normal(n) if n == crate::disk::PROV => {
                    Some("provbase's local folder, which git ignores")
                }
                _ => None,
            }) {
                return src.err(
                    b.span(),
                    format!("`baselines` = `{s}` lies inside {why}: name a folder of its own, such as \"baselines\""),
                );
            }
            let root = src.path.parent().unwrap_or(Path::new("."));
            if let Err(why) = resolved_inside(root, Path::new(s)) {
                return src.err(b.span(), format!("`baselines` = `{s}` {why}"));
            }
            Ok(s.clone())
        }
    }
}

/// Whether `rel` under `root`, with its symbolic links resolved, stays in `root` and out of
/// `.git/` and `.prov/`: a baselines folder that is a link to another project's folder would let
/// accept write there and prune delete there. The part of the path that does not exist yet is
/// taken as written (it is made as a plain folder). `Err` says where it leads.
pub(crate) fn resolved_inside(root: &Path, rel: &Path) -> std::result::Result<(), Escape> {
    let Ok(real_root) = std::fs::canonicalize(root) else {
        return Ok(());
    };
    let mut existing = root.join(rel);
    let mut rest = Vec::new();
    let real = loop {
        match std::fs::canonicalize(&existing) {
            Ok(r) => break r,
            Err(_) => match (existing.file_name(), existing.parent()) {
                (Some(name), Some(parent)) => {
                    rest.push(name.to_owned());
                    existing = parent.to_owned();
                }
                _ => return Ok(()),
            },
        }
    };
    let real = rest.iter().rev().fold(real, |p, n| p.join(n));
    let Ok(under) = real.strip_prefix(&real_root) else {
        return Err(Escape::Outside(real));
    };
    match under.components().next() {
        None => Err(Escape::Root),
        Some(std::path::Component::Normal(n)) if n == ".git" || n == crate::disk::PROV => {
            Err(Escape::Into {
                folder: n.to_string_lossy().into_owned(),
                real,
            })
        }
        _ => Ok(()),
    }
}

/// Where a baselines folder leads that it must not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Escape {
    /// Out of the project's folder.
    #[error(
        "resolves to {}, outside the project's folder (a symbolic link?): keep baselines inside it",
        .0.display()
    )]
    Outside(std::path::PathBuf),
    /// The project's folder itself.
    #[error("resolves to the project's folder itself")]
    Root,
    /// Into `.git/` or `.prov/`.
    #[error("resolves to {}, inside `{folder}`: keep baselines in a folder of their own", .real.display())]
    Into {
        /// `.git` or `.prov`.
        folder: String,
        /// Where it leads.
        real: std::path::PathBuf,
    },
}

/// How many folders deep a relative path stays inside the folder it starts from, or `None`
/// when `..` takes it out.
fn inside_depth(path: &str) -> Option<usize> {
    let mut depth = 0usize;
    for c in Path::new(path).components() {
        match c {
            std::path::Component::Normal(_) => depth += 1,
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => depth = depth.checked_sub(1)?,
            _ => return None,
        }
    }
    Some(depth)
}

/// Fails when a path or glob leaves the project's folder and the run did not allow it.
pub(super) fn inside(src: &Source, key: &str, g: &Spanned<String>, allow: bool) -> Result<()> {
    let p = g.get_ref();
    if allow || (!Path::new(p).is_absolute() && inside_depth(p).is_some()) {
        return Ok(());
    }
    src.err(
        g.span(),
        format!(
            "`{key}`: `{p}` leaves the project's folder; set `allow_outside = true` in the run if it should"
        ),
    )
}

pub(super) fn globs(
    src: &Source,
    key: &str,
    list: &[Spanned<String>],
    allow_outside: bool,
) -> Result<Vec<GlobSpec>> {
    list.iter()
        .map(|g| {
            // `!GLOB` leaves files out of a `code` scope, as in .gitignore
            if let Some(left_out) = g.get_ref().strip_prefix('!') {
                if key != "code" {
                    return src.err(
                        g.span(),
                        format!(
                            "`{key}`: `{}`: only `code` globs can leave files out with `!`",
                            g.get_ref()
                        ),
                    );
                }
                if let Err(e) = glob::Pattern::new(left_out) {
                    return src.err(g.span(), format!("`{key}`: bad glob `{left_out}`: {e}"));
                }
                if list.iter().all(|x| x.get_ref().starts_with('!')) {
                    return src.err(
                        g.span(),
                        format!(
                            "`{key}`: `!` leaves files out of the other globs, and there are none"
                        ),
                    );
                }
                return Ok(GlobSpec {
                    pattern: g.get_ref().clone(),
                    line: src.line(g.span().start),
                    max_entries: None,
                });
            }
            if super::location::Location::looks_remote(g.get_ref()) {
                return src.err(
                    g.span(),
                    format!(
                        "`{key}`: `{}`: only `static_data` and `inputs` name locations in stores",
                        crate::redact::sanitize_url(g.get_ref())
                    ),
                );
            }
            inside(src, key, g, allow_outside)?;
            let pattern = g.get_ref();
            if let Err(e) = glob::Pattern::new(pattern) {
                return src.err(g.span(), format!("`{key}`: bad glob `{pattern}`: {e}"));
            }
            if pattern.is_empty() {
                return src.err(g.span(), format!("`{key}`: empty glob"));
            }
            Ok(GlobSpec {
                pattern: pattern.clone(),
                line: src.line(g.span().start),
                max_entries: None,
            })
        })
        .collect()
}

/// A `max_entries` value: a whole number of at least 1.
pub(super) fn max_entries(src: &Source, n: i64, span: std::ops::Range<usize>) -> Result<usize> {
    match usize::try_from(n) {
        Ok(v) if v >= 1 => Ok(v),
        _ => src.err(
            span,
            format!(
                "`max_entries` = {n}: it must be a whole number of at least 1 (the most entries a file set keeps in a baseline)"
            ),
        ),
    }
}

pub(super) fn command_spec(
    src: &Source,
    key: &str,
    argv: &[String],
    timeout: Option<&Spanned<String>>,
    span: std::ops::Range<usize>,
) -> Result<CommandSpec> {
    if argv.is_empty() || argv[0].is_empty() {
        return src.err(span, format!("`{key}`: `command` must name a program"));
    }
    let timeout = match timeout {
        None => DEFAULT_TIMEOUT,
        Some(t) => match humantime::parse_duration(t.get_ref()) {
            Ok(d) if d > MAX_TIMEOUT => {
                return src.err(
                    t.span(),
                    format!(
                        "`{key}`: timeout `{}` is longer than the most allowed, {}",
                        t.get_ref(),
                        humantime::format_duration(MAX_TIMEOUT)
                    ),
                );
            }
            Ok(d) if !d.is_zero() => d,
            _ => {
                return src.err(
                    t.span(),
                    format!(
                        "`{key}`: timeout `{}` is not a duration such as \"60s\"",
                        t.get_ref()
                    ),
                );
            }
        },
    };
    Ok(CommandSpec {
        argv: argv.to_vec(),
        timeout,
        line: src.line(span.start),
        allow_empty: false,
    })
}

pub(super) fn names_spec(src: &Source, key: &str, v: &Spanned<RawNames>) -> Result<NamesSpec> {
    match v.get_ref() {
        RawNames::List(names) => crate::manifest::names::normalize(names.clone())
            .map(NamesSpec::List)
            .or_else(|e| src.err(v.span(), format!("`{key}`: {e}"))),
        RawNames::Command(c) => command_spec(src, key, &c.command, c.timeout.as_ref(), v.span())
            .map(|mut spec| {
                spec.allow_empty = c.allow_empty;
                NamesSpec::Command(spec)
            }),
    }
}

pub(super) fn strip_rule(src: &Source, entry: &Spanned<RawStrip>) -> Result<StripRule> {
    let RawStrip { path, expect } = entry.get_ref();
    let expect = *expect;
    let selector = match Selector::parse(path) {
        Ok(selector) => selector,
        Err(e) => return src.err(entry.span(), format!("`strip`: {e}")),
    };
    // a baseline without these is one that check refuses: accept must never write it
    for own in crate::manifest::OWN_FIELDS {
        let at = crate::path::JsonPath(vec![crate::path::Segment::Key((*own).to_owned())]);
        if selector.matches(&at) {
            return src.err(
                entry.span(),
                format!("`strip`: `{path}` would remove the manifest's own `{own}`"),
            );
        }
    }
    Ok(StripRule { selector, expect })
}

pub(super) fn policy_entry(
    src: &Source,
    key: &Spanned<String>,
    value: &Spanned<String>,
) -> Result<(PolicyKey, Policy)> {
    let Some(policy) = Policy::parse(value.get_ref()) else {
        return src.err(
            value.span(),
            format!(
                "policy `{}`: `{}` is not one of fail, warn, ignore",
                key.get_ref(),
                value.get_ref()
            ),
        );
    };
    let k = key.get_ref();
    let pk = if let Some(cat) = Category::parse(k) {
        PolicyKey::Category(cat)
    } else if k.contains(['.', '*']) {
        match Selector::parse(k) {
            Ok(s) => PolicyKey::Path(s),
            Err(e) => return src.err(key.span(), format!("policy: {e}")),
        }
    } else {
        return src.err(key.span(), format!("policy: unknown category `{k}` (known: {}; or a field path such as `hardware.cpu.brand`)", Category::names()));
    };
    Ok((pk, policy))
}

/// Converts a TOML value to JSON: datetimes become strings, integers beyond 2^53 strings,
/// and non-finite floats are refused (JSON cannot hold them).
pub(super) fn toml_to_json(
    src: &Source,
    key: &str,
    v: &toml::Value,
    span: std::ops::Range<usize>,
) -> Result<Value> {
    Ok(match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => {
            let mut j = Value::from(*i);
            crate::canonical::stringify_big_integers(&mut j);
            j
        }
        toml::Value::Float(f) => match serde_json::Number::from_f64(*f) {
            Some(n) => Value::Number(n),
            None => return src.err(span, format!("`{key}`: {f} cannot be written as JSON")),
        },
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| toml_to_json(src, key, x, span.clone()))
                .collect::<Result<_>>()?,
        ),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, x)| {
                    Ok((
                        k.clone(),
                        toml_to_json(src, &format!("{key}.{k}"), x, span.clone())?,
                    ))
                })
                .collect::<Result<_>>()?,
        ),
    })
}

/// The options of a `static_data` or `inputs` entry written as a table.
#[derive(Default)]
pub(super) struct DataOptions {
    pub(super) max: Option<usize>,
    pub(super) sha256: Option<bool>,
    pub(super) versions: Option<bool>,
    pub(super) checksums: Option<bool>,
    pub(super) timeout: Option<String>,
}

impl DataOptions {
    /// The first option given that only a remote location takes.
    pub(super) fn remote_only(&self) -> Option<&'static str> {
        [
            ("sha256", self.sha256.is_some()),
            ("versions", self.versions.is_some()),
            ("checksums", self.checksums.is_some()),
            ("timeout", self.timeout.is_some()),
        ]
        .into_iter()
        .find_map(|(o, given)| given.then_some(o))
    }
}

/// A remote location of `static_data` or `inputs`, checked: its shape, and its options.
pub(super) fn remote_spec(
    src: &Source,
    key: super::FileSetKey,
    span: std::ops::Range<usize>,
    pattern: &str,
    o: &DataOptions,
) -> Result<super::RemoteSpec> {
    use super::location::{Location, Scheme};
    let location = Location::parse(pattern).or_else(|why| {
        // the message never repeats a credential the location held
        let shown = crate::redact::sanitize_url(pattern);
        src.err(span.clone(), format!("`{key}`: `{shown}`: {why}"))
    })?;
    if o.versions == Some(true) && location.scheme == Scheme::Http {
        return src.err(
            span,
            format!("`{key}`: `{pattern}`: a web server keeps no versions (`versions` is for s3://, gs:// and az://)"),
        );
    }
    let deadline = match &o.timeout {
        None => super::DEFAULT_STORE_TIMEOUT,
        Some(t) => match humantime::parse_duration(t) {
            Ok(d) if !d.is_zero() && d <= MAX_TIMEOUT => d,
            _ => {
                return src.err(
                    span,
                    format!(
                        "`{key}`: `{pattern}`: timeout `{t}` is not a duration such as \"5m\" of at most {}",
                        humantime::format_duration(MAX_TIMEOUT)
                    ),
                );
            }
        },
    };
    Ok(super::RemoteSpec {
        key,
        line: src.line(span.start),
        location,
        max_entries: o.max,
        sha256: o.sha256.unwrap_or(false),
        versions: o.versions.unwrap_or(false),
        checksums: o.checksums.unwrap_or(false),
        deadline,
    })
}
