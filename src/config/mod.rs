//! The `harness.toml` model: parsing with line numbers, validation, and profiles.
//!
//! Every problem is reported with the file, the line and the key; unknown keys are errors.

use crate::error::{Error, Result};
use crate::policy::PolicySet;
pub use crate::policy::{PolicyKey, Tolerance};
use crate::strip::StripRule;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

mod check;
pub mod location;
mod raw;
use check::Source;
pub(crate) use check::resolved_inside;
use raw::{RawConfig, RawNames, RawRun};

/// The file name searched for from the current folder upward.
pub const FILE_NAME: &str = "harness.toml";

/// A glob pattern from the configuration, with the line it was written on.
#[derive(Debug, Clone)]
pub struct GlobSpec {
    /// The pattern, relative to the folder holding harness.toml.
    pub pattern: String,
    /// 1-based line in harness.toml.
    pub line: usize,
    /// `{ glob = "…", max_entries = N }`: the most entries this glob's files keep in a
    /// baseline, over the run's and the file's own.
    pub max_entries: Option<usize>,
}

/// A remote location of `static_data` or `inputs`.
#[derive(Debug, Clone)]
pub struct RemoteSpec {
    /// Which key names it.
    pub key: FileSetKey,
    /// Where.
    pub location: location::Location,
    /// 1-based line in harness.toml.
    pub line: usize,
    /// `{ glob = "…", max_entries = N }`.
    pub max_entries: Option<usize>,
    /// `{ glob = "…", sha256 = true }`: the objects are read and their SHA-256 recorded.
    pub sha256: bool,
    /// `{ glob = "…", versions = true }`: each listed object is asked for its version id
    /// (a HEAD each; a location naming one object always is).
    pub versions: bool,
    /// `{ glob = "…", checksums = true }`: each listed object is asked for the checksums its
    /// store keeps (the same HEAD).
    pub checksums: bool,
    /// `{ glob = "…", timeout = "…" }`: how long the location may take to record, retries
    /// included ([`DEFAULT_STORE_TIMEOUT`] unless it says).
    pub deadline: std::time::Duration,
}

/// How long a remote location may take to record, retries with backoff included, unless it
/// says (`timeout = "…"`).
pub const DEFAULT_STORE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// One `[[run]]`: what to collect for one pipeline invocation.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// The run's name, also its baseline's file stem.
    pub name: String,
    /// `allow_outside = true`: its globs and files may leave the project's folder (an absolute
    /// path, `..`, a symbolic link to a folder outside). Default false: that is an error.
    pub allow_outside: bool,
    /// The run's `max_entries`, over `[harness] max_entries`.
    pub max_entries: Option<usize>,
    /// 1-based line of the run's `[[run]]` header (of its `name` when written inline).
    pub line: usize,
    /// Code the run depends on: drifts only when one of these files changes.
    pub code: Vec<GlobSpec>,
    /// Static data files, recorded by hash.
    pub static_data: Vec<GlobSpec>,
    /// Objects in stores (`s3://…`, `gs://…`, `az://…`, `https://…`) named by `static_data`
    /// and `inputs`, recorded by what the store says of them.
    pub remote: Vec<RemoteSpec>,
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

/// The keys of a `[[run]]` that name files by globs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileSetKey {
    /// `code`: the code the run depends on (never what git ignores).
    Code,
    /// `static_data`.
    StaticData,
    /// `inputs`.
    Inputs,
    /// `outputs`: what the run's command writes, expanded anew every time.
    Outputs,
}

impl FileSetKey {
    /// The key as harness.toml spells it.
    pub fn name(self) -> &'static str {
        match self {
            FileSetKey::Code => "code",
            FileSetKey::StaticData => "static_data",
            FileSetKey::Inputs => "inputs",
            FileSetKey::Outputs => "outputs",
        }
    }
}

impl std::fmt::Display for FileSetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
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

/// A named set of overrides chosen with `--profile` or `PROVBASE_PROFILE`, resolved over the
/// file's `[harness]` and `[policy]` when the file is read.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// The baselines folder in force under this profile, relative to the root.
    pub baselines: String,
    /// Whether the profile names its own baselines folder.
    pub own_baselines: bool,
    /// The policy in force under this profile: `[policy]`, then the profile's overrides.
    pub policy: PolicySet,
}

/// A validated `harness.toml`.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// The folder holding it: every path in it is relative to this folder.
    pub root: PathBuf,
    /// Strip rules: the built-in ones, then `[harness] strip`.
    pub strip: Vec<StripRule>,
    /// The file's own settings: `[harness] baselines` and `[policy]`.
    pub default: Profile,
    /// Every profile the file defines, each resolved over the file's own settings.
    pub profiles: BTreeMap<String, Profile>,
    /// The profile in force, if any: [`Config::baselines`] and [`Config::policy`] read it.
    pub profile: Option<String>,
    /// The runs, in file order.
    pub runs: Vec<RunSpec>,
    /// Where each run is in `runs`, by name: a lookup per run stays linear in the runs.
    by_name: std::collections::HashMap<String, usize>,
    /// `[harness] max_entries`: the most entries a run's `static_data` or `inputs` keep in a
    /// baseline before folders are recorded by their digests.
    pub max_entries: usize,
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

impl Config {
    /// The harness.toml every door uses: the one given (`--config`), else `PROVBASE_CONFIG`,
    /// else the nearest from the current folder up ([`Config::discover`]). The one place a
    /// door's configuration is found (the Python package asks `provbase locate`).
    pub fn locate(given: Option<&Path>) -> Result<PathBuf> {
        if let Some(p) = given.or(crate::options::get().config.as_deref()) {
            return Ok(p.to_owned());
        }
        let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
        Config::discover(&cwd)
    }

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
        let src = Source::new(path, text);
        let raw: RawConfig = toml::from_str(text).map_err(|e| Error::Config {
            path: path.to_owned(),
            line: e.span().map_or(0, |s| src.line(s.start)),
            message: e.message().to_owned(),
        })?;
        let mut strip = crate::strip::builtin_rules();
        for entry in &raw.harness.strip {
            strip.push(check::strip_rule(&src, entry)?);
        }
        let default = Profile {
            baselines: match &raw.harness.baselines {
                Some(b) => check::checked_folder(&src, b)?,
                None => "baselines".to_owned(),
            },
            own_baselines: true,
            policy: policy_set(&src, &raw.policy, PolicySet::default())?,
        };
        let max_entries = match &raw.harness.max_entries {
            None => crate::manifest::tree::DEFAULT_MAX_ENTRIES,
            Some(n) => check::max_entries(&src, *n.get_ref(), n.span())?,
        };
        let mut profiles = BTreeMap::new();
        for (name, rp) in &raw.profile {
            let baselines = rp
                .baselines
                .as_ref()
                .map(|b| check::checked_folder(&src, b))
                .transpose()?;
            let profile = Profile {
                own_baselines: baselines.is_some(),
                baselines: baselines.unwrap_or_else(|| default.baselines.clone()),
                policy: policy_set(&src, &rp.policy, default.policy.clone())?,
            };
            profiles.insert(name.get_ref().clone(), profile);
        }
        if raw.run.is_empty() {
            return src.err(
                0..0,
                "no `[[run]]`: name at least one run (an empty harness.toml checks nothing, so it cannot pass)",
            );
        }
        let mut runs: Vec<RunSpec> = Vec::new();
        let mut by_name = std::collections::HashMap::with_capacity(raw.run.len());
        for rr in &raw.run {
            let name = rr.name.get_ref();
            if by_name.insert(name.clone(), runs.len()).is_some() {
                return src.err(rr.name.span(), format!("duplicate run name `{name}`"));
            }
            runs.push(run_spec(&src, rr)?);
        }
        Ok(Config {
            path: path.to_owned(),
            root: path.parent().map(Path::to_owned).unwrap_or_default(),
            strip,
            default,
            profiles,
            profile: None,
            runs,
            by_name,
            max_entries,
        })
    }

    /// Puts a profile in force by name; an unknown name is an error listing the known ones.
    /// The parsed configuration is not changed: [`Config::baselines`] and [`Config::policy`]
    /// read the profile in force.
    pub fn select_profile(&mut self, name: &str) -> Result<()> {
        if !self.profiles.contains_key(name) {
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
        }
        self.profile = Some(name.to_owned());
        Ok(())
    }

    /// The settings in force: the selected profile's, else the file's own.
    pub fn in_force(&self) -> &Profile {
        self.profile
            .as_ref()
            .and_then(|p| self.profiles.get(p))
            .unwrap_or(&self.default)
    }

    /// The baselines folder in force, relative to the root.
    pub fn baselines(&self) -> &str {
        &self.in_force().baselines
    }

    /// The policy in force.
    pub fn policy(&self) -> &PolicySet {
        &self.in_force().policy
    }

    /// The absolute baselines folder.
    pub fn baselines_dir(&self) -> PathBuf {
        self.root.join(self.baselines())
    }

    /// The baselines folders of the default configuration and of every profile.
    pub fn all_baselines_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = vec![self.root.join(&self.default.baselines)];
        dirs.extend(
            self.profiles
                .values()
                .filter(|p| p.own_baselines)
                .map(|p| self.root.join(&p.baselines)),
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
        match self.by_name.get(name).and_then(|i| self.runs.get(*i)) {
            Some(r) if r.name == name => Some(r),
            // `runs` changed since it was parsed
            _ => self.runs.iter().find(|r| r.name == name),
        }
    }
}

/// A policy table over a base policy.
fn policy_set(
    src: &Source,
    table: &BTreeMap<Spanned<String>, Spanned<String>>,
    mut base: PolicySet,
) -> Result<PolicySet> {
    for (key, value) in table {
        let (k, p) = check::policy_entry(src, key, value)?;
        base.set(k, p);
    }
    Ok(base)
}

/// One `[[run]]`, checked.
fn run_spec(src: &Source, rr: &RawRun) -> Result<RunSpec> {
    let name = rr.name.get_ref();
    if !valid_run_name(name) {
        return src.err(
            rr.name.span(),
            format!("run name `{name}` is not allowed: use [A-Za-z0-9][A-Za-z0-9._-]*"),
        );
    }
    let allow_outside = rr.allow_outside.unwrap_or(false);
    let globs = |key: &str, list: &[Spanned<String>]| check::globs(src, key, list, allow_outside);
    let mut remote = Vec::new();
    let mut data_globs = |key: FileSetKey,
                          list: &[Spanned<raw::RawDataGlob>]|
     -> Result<Vec<GlobSpec>> {
        let mut out = Vec::new();
        for g in list {
            let (pattern, options) = match g.get_ref() {
                raw::RawDataGlob::Plain(p) => (p.clone(), check::DataOptions::default()),
                raw::RawDataGlob::Table(t) => (
                    t.glob.clone(),
                    check::DataOptions {
                        max: t
                            .max_entries
                            .map(|n| check::max_entries(src, n, g.span()))
                            .transpose()?,
                        sha256: t.sha256,
                        versions: t.versions,
                        checksums: t.checksums,
                        timeout: t.timeout.clone(),
                    },
                ),
            };
            if location::Location::looks_remote(&pattern) {
                remote.push(check::remote_spec(src, key, g.span(), &pattern, &options)?);
                continue;
            }
            if let Some(option) = options.remote_only() {
                return src.err(
                    g.span(),
                    format!(
                        "`{key}`: `{option}` is an option of a remote location (s3://, gs://, az://, https://); files of the project are always read and hashed"
                    ),
                );
            }
            let max = options.max;
            let spanned = Spanned::new(g.span(), pattern);
            let mut spec = check::globs(
                src,
                key.name(),
                std::slice::from_ref(&spanned),
                allow_outside,
            )?;
            let mut spec = spec.remove(0);
            spec.max_entries = max;
            out.push(spec);
        }
        Ok(out)
    };
    let static_data = data_globs(FileSetKey::StaticData, &rr.static_data)?;
    let inputs = data_globs(FileSetKey::Inputs, &rr.inputs)?;
    let max_entries = rr
        .max_entries
        .as_ref()
        .map(|n| check::max_entries(src, *n.get_ref(), n.span()))
        .transpose()?;
    let params = match &rr.params {
        None => serde_json::Map::new(),
        Some(t) => match check::toml_to_json(
            src,
            "params",
            &toml::Value::Table(t.get_ref().clone()),
            t.span(),
        )? {
            Value::Object(m) => m,
            _ => unreachable!("a table converts to an object"),
        },
    };
    let names = |key: &str, v: &Option<Spanned<RawNames>>| {
        v.as_ref()
            .map(|t| check::names_spec(src, key, t))
            .transpose()
    };
    let outputs_tolerance = tolerances(src, rr)?;
    Ok(RunSpec {
        command: pipeline_command(src, rr)?,
        outputs: globs("outputs", &rr.outputs)?,
        outputs_tolerance,
        name: name.clone(),
        allow_outside,
        max_entries,
        line: src.header_line(rr.name.span().start),
        code: globs("code", &rr.code)?,
        static_data,
        remote,
        params,
        inputs,
        spice: spice_spec(src, rr, allow_outside)?,
        techniques: names("techniques", &rr.techniques)?,
        extractors: names("extractors", &rr.extractors)?,
        hardware: rr.hardware.unwrap_or(true),
        runtime: words(src, &rr.runtime, |t| {
            (t.is_empty() || t.contains(char::is_whitespace))
                .then(|| format!("`runtime`: `{t}` is not a tool name"))
        })?,
        env: words(src, &rr.env, |t| {
            (t.is_empty() || t.contains(['=', '\0']) || glob::Pattern::new(t).is_err())
                .then(|| format!("`env`: `{t}` is not a variable name or pattern"))
        })?,
        external: externals(src, rr)?,
    })
}

/// The probes the wheel ships that a process of their own can run (`python -m provbase.probe
/// NAME...`); `rng` is read from inside a pipeline only.
pub const PROBES: &[&str] = &["numpy", "torch", "jax", "spice"];

/// A run's externals: its `[run.external.NAME]` commands, and `probes = [...]` as the
/// external `probes`, the wheel's `python3 -m provbase.probe` with those names.
fn externals(src: &Source, rr: &RawRun) -> Result<BTreeMap<String, CommandSpec>> {
    let mut out: BTreeMap<String, CommandSpec> = rr
        .external
        .iter()
        .map(|(ext, cmd)| {
            let c = cmd.get_ref();
            let spec = check::command_spec(
                src,
                &format!("external.{ext}"),
                &c.command,
                c.timeout.as_ref(),
                cmd.span(),
            )?;
            Ok((ext.clone(), spec))
        })
        .collect::<Result<_>>()?;
    if let Some(probes) = &rr.probes {
        if out.contains_key("probes") {
            return src.err(
                probes.span(),
                "`probes` and `[run.external.probes]` both name the external `probes`: keep one",
            );
        }
        if let Some(bad) = probes
            .get_ref()
            .iter()
            .find(|p| !PROBES.contains(&p.as_str()))
        {
            return src.err(
                probes.span(),
                format!(
                    "`probes`: no probe named `{bad}` (probes: {})",
                    PROBES.join(", ")
                ),
            );
        }
        if probes.get_ref().is_empty() {
            return src.err(
                probes.span(),
                "`probes` is empty: name at least one, or leave it out",
            );
        }
        let argv: Vec<String> = ["python3", "-m", "provbase.probe"]
            .iter()
            .map(|s| (*s).to_owned())
            .chain(probes.get_ref().iter().cloned())
            .collect();
        let spec = check::command_spec(src, "probes", &argv, None, probes.span())?;
        out.insert("probes".to_owned(), spec);
    }
    Ok(out)
}

/// A list of words, each refused with the message `bad` gives for it.
fn words(
    src: &Source,
    list: &[Spanned<String>],
    bad: impl Fn(&str) -> Option<String>,
) -> Result<Vec<String>> {
    list.iter()
        .map(|w| match bad(w.get_ref()) {
            Some(message) => src.err(w.span(), message),
            None => Ok(w.get_ref().clone()),
        })
        .collect()
}

fn spice_spec(src: &Source, rr: &RawRun, allow_outside: bool) -> Result<Option<SpiceSpec>> {
    let Some(sp) = &rr.spice else {
        return Ok(None);
    };
    let raw = sp.get_ref();
    if raw.metakernel.is_none() && raw.kernels.is_empty() {
        return src.err(sp.span(), "`spice` needs `metakernel` or `kernels`");
    }
    if let Some(m) = &raw.metakernel {
        check::inside(src, "spice.metakernel", m, allow_outside)?;
    }
    Ok(Some(SpiceSpec {
        metakernel: raw.metakernel.as_ref().map(|m| GlobSpec {
            max_entries: None,
            pattern: m.get_ref().clone(),
            line: src.line(m.span().start),
        }),
        kernels: check::globs(src, "spice.kernels", &raw.kernels, allow_outside)?,
        allow_outside,
    }))
}

fn pipeline_command(src: &Source, rr: &RawRun) -> Result<Option<CommandSpec>> {
    match &rr.command {
        Some(c) => Ok(Some(check::command_spec(
            src,
            "command",
            c.get_ref(),
            rr.timeout.as_ref(),
            c.span(),
        )?)),
        None if rr.timeout.is_some() => src.err(
            rr.timeout.as_ref().map(Spanned::span).unwrap_or_default(),
            "`timeout` needs a `command`",
        ),
        None => Ok(None),
    }
}

fn tolerances(src: &Source, rr: &RawRun) -> Result<Vec<Tolerance>> {
    let mut out = Vec::new();
    for (key, t) in &rr.outputs_tolerance {
        let raw = t.get_ref();
        let (abs, rel) = (raw.abs.unwrap_or(0.0), raw.rel.unwrap_or(0.0));
        if !(abs >= 0.0 && rel >= 0.0 && abs.is_finite() && rel.is_finite())
            || (raw.abs.is_none() && raw.rel.is_none())
        {
            return src.err(
                t.span(),
                format!("`outputs_tolerance.{key}`: give `abs` and/or `rel`, each a number >= 0"),
            );
        }
        let Ok(pattern) = glob::Pattern::new(key) else {
            return src.err(
                t.span(),
                format!("`outputs_tolerance`: bad key pattern `{key}`"),
            );
        };
        out.push(Tolerance {
            key: pattern,
            abs,
            rel,
        });
    }
    if !out.is_empty() && rr.outputs.is_empty() {
        return src.err(
            rr.name.span(),
            format!(
                "run `{}`: `outputs_tolerance` needs `outputs`",
                rr.name.get_ref()
            ),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
