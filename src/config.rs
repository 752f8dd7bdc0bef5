//! The `harness.toml` model: parsing with line numbers, validation, and profiles.
//!
//! Every problem is reported with the file, the line and the key; unknown keys are errors.

use crate::error::{Error, Result};
use crate::path::Selector;
use crate::policy::{Category, Policy, PolicySet};
pub use crate::policy::{PolicyKey, Tolerance};
use crate::strip::{Expect, StripRule};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The file name searched for from the current folder upward.
pub const FILE_NAME: &str = "harness.toml";

/// A glob pattern from the configuration, with the line it was written on.
#[derive(Debug, Clone)]
pub struct GlobSpec {
    /// The pattern, relative to the folder holding harness.toml.
    pub pattern: String,
    /// 1-based line in harness.toml.
    pub line: usize,
}

/// One `[[run]]`: what to collect for one pipeline invocation.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// The run's name, also its baseline's file stem.
    pub name: String,
    /// `allow_outside = true`: its globs and files may leave the project's folder (an absolute
    /// path, `..`, a symbolic link to a folder outside). Default false: that is an error.
    pub allow_outside: bool,
    /// 1-based line of the run's `name`.
    pub line: usize,
    /// Code the run depends on: drifts only when one of these files changes.
    pub code: Vec<GlobSpec>,
    /// Static data files, recorded by hash.
    pub static_data: Vec<GlobSpec>,
    /// Parameters as written.
    pub params: serde_json::Map<String, Value>,
    /// Input files, recorded by hash under `inputs`.
    pub inputs: Vec<GlobSpec>,
    /// SPICE kernels to record.
    pub spice: Option<SpiceSpec>,
    /// Registered techniques.
    pub techniques: Option<NamesSpec>,
    /// Registered extractors.
    pub extractors: Option<NamesSpec>,
    /// Whether to record the `hardware` section (default true).
    pub hardware: bool,
    /// Toolchains and package sets to record under `runtime`.
    pub runtime: Vec<String>,
    /// Environment variables (names or globs) to record, beside the built-in set.
    pub env: Vec<String>,
    /// Commands whose JSON output lands under `external.NAME`.
    pub external: BTreeMap<String, CommandSpec>,
    /// The pipeline itself, run by check and accept before its outputs are hashed.
    pub command: Option<CommandSpec>,
    /// Globs of the files the pipeline writes, recorded under `outputs`.
    pub outputs: Vec<GlobSpec>,
    /// Key patterns of JSON outputs compared within a tolerance instead of by hash.
    pub outputs_tolerance: Vec<Tolerance>,
}

/// A command from the configuration.
#[derive(Debug, Clone)]
pub struct CommandSpec {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// How long it may run (`timeout = "60s"`; default 60 s).
    pub timeout: std::time::Duration,
    /// 1-based line in harness.toml.
    pub line: usize,
    /// For names: whether printing none is allowed (`allow_empty = true`; default false).
    pub allow_empty: bool,
}

/// Where a run's technique or extractor names come from.
#[derive(Debug, Clone)]
pub enum NamesSpec {
    /// Listed in harness.toml.
    List(Vec<String>),
    /// Printed by a command.
    Command(CommandSpec),
}

/// `spice = { metakernel = "…", kernels = ["…"] }`.
#[derive(Debug, Clone)]
pub struct SpiceSpec {
    /// A metakernel whose `KERNELS_TO_LOAD` are recorded in load order.
    pub metakernel: Option<GlobSpec>,
    /// Kernel globs, recorded after the metakernel's kernels.
    pub kernels: Vec<GlobSpec>,
    /// The run's `allow_outside`: kernel globs may leave the project's folder.
    pub allow_outside: bool,
}

/// A named set of overrides chosen with `--profile` or `PROVBASE_PROFILE`.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// The baselines folder for this profile, relative to the root.
    pub baselines: Option<String>,
    /// Policy overrides, applied over `[policy]`.
    pub policy: Vec<(PolicyKey, Policy)>,
}

/// A validated `harness.toml`.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// The folder holding it: every path in it is relative to this folder.
    pub root: PathBuf,
    /// The baselines folder, relative to `root` (after the profile is applied).
    pub baselines: String,
    /// Strip rules: the built-in ones, then `[harness] strip`.
    pub strip: Vec<StripRule>,
    /// The policy in force (after the profile is applied).
    pub policy: PolicySet,
    /// Every profile the file defines.
    pub profiles: BTreeMap<String, Profile>,
    /// The profile in force, if any.
    pub profile: Option<String>,
    /// The runs, in file order.
    pub runs: Vec<RunSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    harness: RawHarness,
    #[serde(default)]
    policy: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    profile: BTreeMap<Spanned<String>, RawProfile>,
    #[serde(default)]
    run: Vec<RawRun>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawHarness {
    baselines: Option<Spanned<String>>,
    #[serde(default)]
    strip: Vec<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    baselines: Option<Spanned<String>>,
    #[serde(default)]
    policy: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRun {
    name: Spanned<String>,
    #[serde(default)]
    code: Vec<Spanned<String>>,
    #[serde(default)]
    static_data: Vec<Spanned<String>>,
    #[serde(default)]
    params: Option<Spanned<toml::Table>>,
    #[serde(default)]
    inputs: Vec<Spanned<String>>,
    spice: Option<Spanned<RawSpice>>,
    techniques: Option<Spanned<toml::Value>>,
    extractors: Option<Spanned<toml::Value>>,
    hardware: Option<bool>,
    #[serde(default)]
    runtime: Vec<Spanned<String>>,
    #[serde(default)]
    env: Vec<Spanned<String>>,
    #[serde(default)]
    external: BTreeMap<String, Spanned<RawCommand>>,
    command: Option<Spanned<Vec<String>>>,
    timeout: Option<Spanned<String>>,
    #[serde(default)]
    outputs: Vec<Spanned<String>>,
    #[serde(default)]
    outputs_tolerance: BTreeMap<String, Spanned<RawTolerance>>,
    allow_outside: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTolerance {
    abs: Option<f64>,
    rel: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpice {
    metakernel: Option<Spanned<String>>,
    #[serde(default)]
    kernels: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommand {
    command: Vec<String>,
    timeout: Option<Spanned<String>>,
}

/// How long a command may run when the configuration gives no `timeout`.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The longest timeout a configuration may give (a day): a larger one is a typo, and one near
/// `u64::MAX` seconds would overflow the clock.
pub const MAX_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// Whether a run name is safe to use as a file name: `[A-Za-z0-9][A-Za-z0-9._-]*`.
pub fn valid_run_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

struct Source<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Source<'_> {
    fn line(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }

    fn err<T>(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> Result<T> {
        Err(Error::Config {
            path: self.path.to_owned(),
            line: self.line(span.start),
            message: message.into(),
        })
    }
}

impl Config {
    /// Finds `harness.toml` in `start` or the nearest folder above it.
    pub fn discover(start: &Path) -> Result<PathBuf> {
        let mut dir = Some(start);
        while let Some(d) = dir {
            let candidate = d.join(FILE_NAME);
            if candidate.is_file() {
                return Ok(candidate);
            }
            dir = d.parent();
        }
        Err(Error::ConfigNotFound {
            start: start.to_owned(),
        })
    }

    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config> {
        let bytes = crate::disk::read_regular(path).map_err(|e| Error::io(path, e))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"),
            )
        })?;
        let abs = std::path::absolute(path).map_err(|e| Error::io(path, e))?;
        Config::parse(&text, &abs)
    }

    /// Validates a configuration given as text; `path` names it in messages and its folder is
    /// the root.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let src = Source { path, text };
        let raw: RawConfig = toml::from_str(text).map_err(|e| Error::Config {
            path: path.to_owned(),
            line: e.span().map_or(0, |s| src.line(s.start)),
            message: e.message().to_owned(),
        })?;
        let root = path.parent().map(Path::to_owned).unwrap_or_default();

        let baselines = match &raw.harness.baselines {
            Some(b) => checked_folder(&src, b)?,
            None => "baselines".to_owned(),
        };
        let mut strip = crate::strip::builtin_rules();
        for entry in &raw.harness.strip {
            strip.push(strip_rule(&src, entry)?);
        }
        let mut policy = PolicySet::default();
        for (key, value) in &raw.policy {
            let (k, p) = policy_entry(&src, key, value)?;
            policy.set(k, p);
        }
        let mut profiles = BTreeMap::new();
        for (name, rp) in &raw.profile {
            let mut profile = Profile {
                baselines: rp
                    .baselines
                    .as_ref()
                    .map(|b| checked_folder(&src, b))
                    .transpose()?,
                policy: Vec::new(),
            };
            for (key, value) in &rp.policy {
                profile.policy.push(policy_entry(&src, key, value)?);
            }
            profiles.insert(name.get_ref().clone(), profile);
        }

        if raw.run.is_empty() {
            return src.err(
                0..0,
                "no `[[run]]`: name at least one run (an empty harness.toml checks nothing, so it cannot pass)",
            );
        }
        let mut runs = Vec::new();
        let mut seen = BTreeSet::new();
        for rr in raw.run {
            let name = rr.name.get_ref();
            if !valid_run_name(name) {
                return src.err(
                    rr.name.span(),
                    format!("run name `{name}` is not allowed: use [A-Za-z0-9][A-Za-z0-9._-]*"),
                );
            }
            if !seen.insert(name.clone()) {
                return src.err(rr.name.span(), format!("duplicate run name `{name}`"));
            }
            let allow_outside = rr.allow_outside.unwrap_or(false);
            let params = match &rr.params {
                None => serde_json::Map::new(),
                Some(t) => match toml_to_json(
                    &src,
                    "params",
                    &toml::Value::Table(t.get_ref().clone()),
                    t.span(),
                )? {
                    Value::Object(m) => m,
                    _ => unreachable!("a table converts to an object"),
                },
            };
            let spice = match &rr.spice {
                None => None,
                Some(sp) => {
                    let raw = sp.get_ref();
                    if raw.metakernel.is_none() && raw.kernels.is_empty() {
                        return src.err(sp.span(), "`spice` needs `metakernel` or `kernels`");
                    }
                    if let Some(m) = &raw.metakernel {
                        inside(&src, "spice.metakernel", m, allow_outside)?;
                    }
                    Some(SpiceSpec {
                        metakernel: raw.metakernel.as_ref().map(|m| GlobSpec {
                            pattern: m.get_ref().clone(),
                            line: src.line(m.span().start),
                        }),
                        kernels: globs(&src, "spice.kernels", &raw.kernels, allow_outside)?,
                        allow_outside,
                    })
                }
            };
            let mut external = BTreeMap::new();
            for (ext_name, cmd) in &rr.external {
                let c = cmd.get_ref();
                external.insert(
                    ext_name.clone(),
                    command_spec(
                        &src,
                        &format!("external.{ext_name}"),
                        &c.command,
                        c.timeout.as_ref(),
                        cmd.span(),
                    )?,
                );
            }
            let mut runtime = Vec::new();
            for r in &rr.runtime {
                let t = r.get_ref();
                if t.is_empty() || t.contains(char::is_whitespace) {
                    return src.err(r.span(), format!("`runtime`: `{t}` is not a tool name"));
                }
                runtime.push(t.clone());
            }
            let mut env = Vec::new();
            for e in &rr.env {
                let t = e.get_ref();
                if t.is_empty() || t.contains(['=', '\0']) || glob::Pattern::new(t).is_err() {
                    return src.err(
                        e.span(),
                        format!("`env`: `{t}` is not a variable name or pattern"),
                    );
                }
                env.push(t.clone());
            }
            let command = match &rr.command {
                Some(c) => Some(command_spec(
                    &src,
                    "command",
                    c.get_ref(),
                    rr.timeout.as_ref(),
                    c.span(),
                )?),
                None if rr.timeout.is_some() => {
                    return src.err(
                        rr.timeout.as_ref().map(Spanned::span).unwrap_or_default(),
                        "`timeout` needs a `command`",
                    );
                }
                None => None,
            };
            let mut outputs_tolerance = Vec::new();
            for (key, t) in &rr.outputs_tolerance {
                let raw = t.get_ref();
                let (abs, rel) = (raw.abs.unwrap_or(0.0), raw.rel.unwrap_or(0.0));
                if !(abs >= 0.0 && rel >= 0.0 && abs.is_finite() && rel.is_finite())
                    || (raw.abs.is_none() && raw.rel.is_none())
                {
                    return src.err(
                        t.span(),
                        format!(
                            "`outputs_tolerance.{key}`: give `abs` and/or `rel`, each a number >= 0"
                        ),
                    );
                }
                let Ok(pattern) = glob::Pattern::new(key) else {
                    return src.err(
                        t.span(),
                        format!("`outputs_tolerance`: bad key pattern `{key}`"),
                    );
                };
                outputs_tolerance.push(Tolerance {
                    key: pattern,
                    abs,
                    rel,
                });
            }
            if !outputs_tolerance.is_empty() && rr.outputs.is_empty() {
                return src.err(
                    rr.name.span(),
                    format!("run `{name}`: `outputs_tolerance` needs `outputs`"),
                );
            }
            runs.push(RunSpec {
                command,
                outputs: globs(&src, "outputs", &rr.outputs, allow_outside)?,
                outputs_tolerance,
                name: name.clone(),
                allow_outside,
                line: src.line(rr.name.span().start),
                code: globs(&src, "code", &rr.code, allow_outside)?,
                static_data: globs(&src, "static_data", &rr.static_data, allow_outside)?,
                params,
                inputs: globs(&src, "inputs", &rr.inputs, allow_outside)?,
                spice,
                techniques: rr
                    .techniques
                    .as_ref()
                    .map(|t| names_spec(&src, "techniques", t))
                    .transpose()?,
                extractors: rr
                    .extractors
                    .as_ref()
                    .map(|t| names_spec(&src, "extractors", t))
                    .transpose()?,
                hardware: rr.hardware.unwrap_or(true),
                runtime,
                env,
                external,
            });
        }
        Ok(Config {
            path: path.to_owned(),
            root,
            baselines,
            strip,
            policy,
            profiles,
            profile: None,
            runs,
        })
    }

    /// Applies a profile by name; an unknown name is an error listing the known ones.
    pub fn select_profile(&mut self, name: &str) -> Result<()> {
        let Some(profile) = self.profiles.get(name) else {
            let known: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
            return Err(Error::Usage(format!(
                "unknown profile `{name}` in {} (known: {})",
                self.path.display(),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            )));
        };
        if let Some(b) = &profile.baselines {
            self.baselines = b.clone();
        }
        for (k, p) in profile.policy.clone() {
            self.policy.set(k, p);
        }
        self.profile = Some(name.to_owned());
        Ok(())
    }

    /// The absolute baselines folder.
    pub fn baselines_dir(&self) -> PathBuf {
        self.root.join(&self.baselines)
    }

    /// The baselines folders of the default configuration and of every profile.
    pub fn all_baselines_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = vec![self.baselines_dir()];
        dirs.extend(
            self.profiles
                .values()
                .filter_map(|p| p.baselines.as_ref())
                .map(|b| self.root.join(b)),
        );
        dirs
    }

    /// The baseline file of a run.
    pub fn baseline_path(&self, run: &str) -> PathBuf {
        self.baselines_dir().join(format!("{run}.json"))
    }

    /// A path relative to the repository's root (the nearest folder above the project's that
    /// holds `.git`; the project's folder when there is none), with `/` separators: what CI
    /// annotations and JUnit `file` attributes need when harness.toml is in a workspace member.
    pub fn repo_rel(&self, path: &Path) -> String {
        let top = self
            .root
            .ancestors()
            .find(|d| d.join(".git").exists())
            .unwrap_or(&self.root);
        let p = path.strip_prefix(top).unwrap_or(path);
        p.to_string_lossy().replace('\\', "/")
    }

    /// A path relative to the root, with `/` separators, for messages and manifests.
    pub fn rel(&self, path: &Path) -> String {
        let p = path.strip_prefix(&self.root).unwrap_or(path);
        p.to_string_lossy().replace('\\', "/")
    }

    /// The run with a given name.
    pub fn run(&self, name: &str) -> Option<&RunSpec> {
        self.runs.iter().find(|r| r.name == name)
    }
}

fn checked_folder(src: &Source, b: &Spanned<String>) -> Result<String> {
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
        Some(_) => Ok(s.clone()),
    }
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
fn inside(src: &Source, key: &str, g: &Spanned<String>, allow: bool) -> Result<()> {
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

fn globs(
    src: &Source,
    key: &str,
    list: &[Spanned<String>],
    allow_outside: bool,
) -> Result<Vec<GlobSpec>> {
    list.iter()
        .map(|g| {
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
            })
        })
        .collect()
}

fn command_spec(
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

fn names_spec(src: &Source, key: &str, v: &Spanned<toml::Value>) -> Result<NamesSpec> {
    match v.get_ref() {
        toml::Value::Array(items) => {
            let mut names = Vec::new();
            for i in items {
                match i.as_str() {
                    Some(s) => names.push(s.to_owned()),
                    None => {
                        return src.err(v.span(), format!("`{key}`: every name must be a string"));
                    }
                }
            }
            crate::manifest::names::normalize(names)
                .map(NamesSpec::List)
                .or_else(|e| src.err(v.span(), format!("`{key}`: {e}")))
        }
        toml::Value::Table(t) => {
            if let Some(k) = t
                .keys()
                .find(|k| !["command", "timeout", "allow_empty"].contains(&k.as_str()))
            {
                return src.err(
                    v.span(),
                    format!(
                        "`{key}`: unknown key `{k}` (expected `command`, `timeout`, `allow_empty`)"
                    ),
                );
            }
            let allow_empty = match t.get("allow_empty") {
                None => false,
                Some(toml::Value::Boolean(b)) => *b,
                Some(_) => {
                    return src.err(
                        v.span(),
                        format!("`{key}`: `allow_empty` must be true or false"),
                    );
                }
            };
            let argv: Option<Vec<String>> = t
                .get("command")
                .and_then(|c| c.as_array())
                .and_then(|a| a.iter().map(|x| x.as_str().map(str::to_owned)).collect());
            let Some(argv) = argv else {
                return src.err(
                    v.span(),
                    format!("`{key}`: `command` must be an array of strings"),
                );
            };
            let timeout = match t.get("timeout") {
                None => None,
                Some(toml::Value::String(s)) => Some(Spanned::new(v.span(), s.clone())),
                Some(_) => {
                    return src.err(
                        v.span(),
                        format!("`{key}`: `timeout` must be a string such as \"60s\""),
                    );
                }
            };
            command_spec(src, key, &argv, timeout.as_ref(), v.span()).map(|mut c| {
                c.allow_empty = allow_empty;
                NamesSpec::Command(c)
            })
        }
        _ => src.err(
            v.span(),
            format!("`{key}`: expected a list of names or {{ command = [...] }}"),
        ),
    }
}

fn strip_rule(src: &Source, entry: &Spanned<toml::Value>) -> Result<StripRule> {
    let (path, expect) = match entry.get_ref() {
        toml::Value::String(s) => (s.clone(), None),
        toml::Value::Table(t) => {
            if let Some(k) = t.keys().find(|k| *k != "path" && *k != "expect") {
                return src.err(
                    entry.span(),
                    format!("`strip`: unknown key `{k}` (expected `path`, `expect`)"),
                );
            }
            let Some(toml::Value::String(p)) = t.get("path") else {
                return src.err(entry.span(), "`strip`: a table needs `path = \"…\"`");
            };
            let expect = match t.get("expect") {
                None => None,
                Some(toml::Value::String(e)) => match Expect::parse(e) {
                    Some(x) => Some(x),
                    None => {
                        return src.err(
                            entry.span(),
                            format!("`strip`: unknown expect `{e}` (known: {})", Expect::NAMES),
                        );
                    }
                },
                Some(_) => return src.err(entry.span(), "`strip`: `expect` must be a string"),
            };
            (p.clone(), expect)
        }
        _ => {
            return src.err(
                entry.span(),
                "`strip`: each entry is a selector string or { path, expect }",
            );
        }
    };
    let selector = match Selector::parse(&path) {
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

fn policy_entry(
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
fn toml_to_json(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(text, Path::new("/repo/harness.toml"))
    }

    fn err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn full_example_parses() {
        let cfg = parse(
            r#"
[harness]
baselines = "bl"
strip = ["**.started_at", { path = "**.t", expect = "rfc3339" }]

[policy]
git = "warn"
hardware = "fail"
"hardware.hostname" = "ignore"

[profile.nightly]
baselines = "bl/nightly"
policy = { hardware = "fail" }

[[run]]
name = "coiss-N1597846115"
code = ["src/nav/**"]
static_data = ["cfg/config_220_*.yaml", "cfg/config_3*.yaml"]
params = { image = "N1597846115", seed = 42, big = 9007199254740993, when = 1979-05-27 }
"#,
        )
        .unwrap();
        assert_eq!(cfg.baselines, "bl");
        assert_eq!(cfg.root, Path::new("/repo"));
        assert_eq!(cfg.strip.len(), crate::strip::BUILTIN_VOLATILE.len() + 2);
        let run = &cfg.runs[0];
        assert_eq!(run.name, "coiss-N1597846115");
        assert_eq!(run.line, 16);
        assert_eq!(run.static_data[1].pattern, "cfg/config_3*.yaml");
        assert_eq!(run.static_data[1].line, 18);
        assert_eq!(run.params["seed"], 42);
        assert_eq!(run.params["big"], "9007199254740993");
        assert_eq!(run.params["when"], "1979-05-27");
        assert_eq!(cfg.baseline_path("x"), Path::new("/repo/bl/x.json"));
        let mut nightly = cfg.clone();
        nightly.select_profile("nightly").unwrap();
        assert_eq!(nightly.baselines, "bl/nightly");
        let msg = cfg
            .clone()
            .select_profile("weekly")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("unknown profile `weekly`") && msg.contains("nightly"),
            "{msg}"
        );
    }

    #[test]
    fn bad_input_names_file_line_and_key() {
        let cases: &[(&str, usize, &str)] = &[
            ("[harness]\nbaseline = \"x\"\n", 2, "baseline"),
            (
                "[[run]]\nname = \"a\"\nstatic_dta = [\"x\"]\n",
                3,
                "static_dta",
            ),
            (
                "[[run]]\nname = \"a\"\n\n[[run]]\nname = \"a\"\n",
                5,
                "duplicate run name `a`",
            ),
            ("[[run]]\nname = \"../x\"\n", 2, "`../x`"),
            ("[[run]]\nname = \".hidden\"\n", 2, "`.hidden`"),
            (
                "[[run]]\nname = \"a\"\nstatic_data = [\"cfg/[\"]\n",
                3,
                "bad glob `cfg/[`",
            ),
            ("[policy]\ngit = \"maybe\"\n", 2, "`maybe`"),
            ("[policy]\ngti = \"warn\"\n", 2, "unknown category `gti`"),
            ("[harness]\nstrip = [\"a..b\"]\n", 2, "a..b"),
            (
                "[harness]\nstrip = [{ path = \"a\", expect = \"iso\" }]\n",
                2,
                "unknown expect `iso`",
            ),
            (
                "[[run]]\nname = \"a\"\nparams = { x = nan }\n",
                3,
                "cannot be written as JSON",
            ),
            ("[[run]]\nname = \n", 2, ""),
        ];
        for (text, line, needle) in cases {
            let msg = err(text);
            assert!(
                msg.starts_with(&format!("/repo/harness.toml:{line}:")),
                "{text:?} gave {msg}"
            );
            assert!(msg.contains(needle), "{text:?} gave {msg}");
        }
    }

    #[test]
    fn collector_keys() {
        let cfg = parse(
            r#"
[[run]]
name = "a"
spice = { metakernel = "k/coiss.tm", kernels = ["k/*.bsp"] }
techniques = ["DTFitting", "BodyLimbNav", "DTFitting"]
extractors = { command = ["python3", "reg.py"], timeout = "5s" }
hardware = false
runtime = ["rustc", "pip-freeze"]
env = ["OMP_NUM_THREADS", "NCCL_*"]

[run.external.nav]
command = ["python3", "-m", "nav.provenance"]
timeout = "90s"
"#,
        )
        .unwrap();
        let r = &cfg.runs[0];
        assert_eq!(
            r.spice.as_ref().unwrap().metakernel.as_ref().unwrap().line,
            4
        );
        assert!(
            matches!(&r.techniques, Some(NamesSpec::List(n)) if n == &["BodyLimbNav", "DTFitting"])
        );
        assert!(matches!(&r.extractors, Some(NamesSpec::Command(c)) if c.timeout.as_secs() == 5));
        assert!(!r.hardware);
        assert_eq!(r.external["nav"].timeout.as_secs(), 90);
        assert_eq!(r.external["nav"].line, 11, "the table's header line");
        let bad: &[(&str, usize, &str)] = &[
            (
                "[[run]]\nname = \"a\"\nspice = {}\n",
                3,
                "needs `metakernel` or `kernels`",
            ),
            (
                "[[run]]\nname = \"a\"\nspice = { metakernal = \"x\" }\n",
                3,
                "metakernal",
            ),
            (
                "[[run]]\nname = \"a\"\ntechniques = { command = [] }\n",
                3,
                "must name a program",
            ),
            (
                "[[run]]\nname = \"a\"\ntechniques = { command = [\"x\"], timeout = \"soon\" }\n",
                3,
                "not a duration",
            ),
            ("", 1, "no `[[run]]`"),
            ("[harness]\nbaselines = \"b\"\n", 1, "no `[[run]]`"),
            (
                "[harness]\nbaselines = \".\"\n[[run]]\nname = \"a\"\n",
                2,
                "is the project's folder itself",
            ),
            (
                "[harness]\nbaselines = \"x/..\"\n[[run]]\nname = \"a\"\n",
                2,
                "is the project's folder itself",
            ),
            (
                "[harness]\nbaselines = \"../x\"\n[[run]]\nname = \"a\"\n",
                2,
                "leaves the project's folder",
            ),
            (
                "[profile.n]\nbaselines = \"b/../../x\"\n[[run]]\nname = \"a\"\n",
                2,
                "leaves the project's folder",
            ),
            (
                "[harness]\nstrip = [\"format_version\"]\n[[run]]\nname = \"a\"\n",
                2,
                "would remove the manifest's own `format_version`",
            ),
            (
                "[harness]\nstrip = [\"**\"]\n[[run]]\nname = \"a\"\n",
                2,
                "would remove the manifest's own",
            ),
            (
                "[harness]\nstrip = [{ path = \"dig*\" }]\n[[run]]\nname = \"a\"\n",
                2,
                "own `digest`",
            ),
            (
                "[harness]\nstrip = [\"*\"]\n[[run]]\nname = \"a\"\n",
                2,
                "own `format_version`",
            ),
            (
                "[[run]]\nname = \"a\"\nstatic_data = [\"/etc/passwd\"]\n",
                3,
                "`static_data`: `/etc/passwd` leaves the project's folder; set `allow_outside = true`",
            ),
            (
                "[[run]]\nname = \"a\"\ncode = [\"src/../../x/**\"]\n",
                3,
                "leaves the project's folder",
            ),
            (
                "[[run]]\nname = \"a\"\nspice = { metakernel = \"../k.tm\" }\n",
                3,
                "`spice.metakernel`: `../k.tm` leaves",
            ),
            (
                "[[run]]\nname = \"a\"\nhardware = false\n\ninputs = [\"../in\"]\n",
                5,
                "`inputs`",
            ),
            (
                "[[run]]\nname = \"a\"\noutputs = [\"/tmp/o\"]\n",
                3,
                "`outputs`",
            ),
            (
                "[[run]]\nname = \"a\"\n\ncommand = [\"x\"]\ntimeout = \"9223372036854775807s\"\n",
                5,
                "longer than the most allowed, 1day",
            ),
            (
                "[[run]]\nname = \"a\"\ntechniques = [\"a b\"]\n",
                3,
                "not a name",
            ),
            (
                "[[run]]\nname = \"a\"\nruntime = [\"python 3\"]\n",
                3,
                "not a tool name",
            ),
            (
                "[[run]]\nname = \"a\"\n[run.external.x]\ncommand = [\"a\"]\ntimout = \"1s\"\n",
                5,
                "timout",
            ),
        ];
        for (text, line, needle) in bad {
            let msg = err(text);
            assert!(
                msg.starts_with(&format!("/repo/harness.toml:{line}:")) && msg.contains(needle),
                "{text:?} gave {msg}"
            );
        }
    }

    #[test]
    fn leaving_the_project_is_an_opt_in_per_run() {
        let text = "[harness]\nbaselines = \"./provenance/base\"\n[[run]]\nname = \"a\"\nallow_outside = true\nstatic_data = [\"/etc/hostname\", \"../data/*.csv\"]\ncode = [\"src/../lib/**\"]\n";
        let cfg = Config::parse(text, Path::new("/repo/harness.toml")).unwrap();
        assert!(cfg.runs[0].allow_outside);
        assert_eq!(cfg.runs[0].static_data.len(), 2);
        assert_eq!(cfg.baselines, "./provenance/base");
    }

    #[test]
    fn run_names() {
        for ok in ["a", "coiss-N1597846115", "A.b_c-1"] {
            assert!(valid_run_name(ok), "{ok}");
        }
        for bad in ["", "-a", ".a", "a/b", "../x", "a b", "é"] {
            assert!(!valid_run_name(bad), "{bad}");
        }
    }
}
