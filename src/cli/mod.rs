//! The `provbase` command line: one file per command; this file holds the argument model and
//! maps errors to the documented exit codes.

use crate::config::Config;
use crate::error::{Error, Result, exit};
use crate::session::Session;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// `eprintln!` through [`crate::outbound::text`].
macro_rules! errln {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::outbound::text(&format!($($arg)*)))
    };
}

/// Output format of results on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people.
    Human,
    /// One JSON document for scripts.
    Json,
    /// Markdown for a pull-request comment or a step summary: check and report.
    Markdown,
}

/// `--format` of a command that prints data: for people or for scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum DataFormat {
    /// Text for people.
    Human,
    /// One JSON document for scripts.
    Json,
}

impl From<DataFormat> for Format {
    fn from(f: DataFormat) -> Format {
        match f {
            DataFormat::Human => Format::Human,
            DataFormat::Json => Format::Json,
        }
    }
}

/// Regression baselines of a run's provenance.
#[derive(Parser, Debug)]
#[command(name = "provbase", version, about, long_about = None)]
pub struct Cli {
    /// The configuration file [default: the nearest harness.toml from the current folder up]
    #[arg(long, global = true, env = "PROVBASE_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    /// A profile of harness.toml to apply (e.g. nightly)
    #[arg(long, global = true, env = "PROVBASE_PROFILE", value_name = "NAME")]
    profile: Option<String>,
    /// Colour
    #[arg(long, global = true, value_enum, default_value_t)]
    color: crate::report::human::ColorChoice,
    /// Read every file again instead of trusting the stat cache (also PROVBASE_NO_CACHE=1)
    #[arg(long, global = true)]
    no_cache: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Collect runs, compare them with their baselines, report drift
    Check {
        /// Runs to check [default: all]
        runs: Vec<String>,
        /// Collect every run twice and report the fields that differ (volatile fields to strip)
        #[arg(long, conflicts_with = "junit")]
        twice: bool,
        /// Output format (markdown: for a pull-request comment or a step summary)
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Also write a JUnit XML report of the check to PATH (also PROVBASE_JUNIT)
        #[arg(long, value_name = "PATH")]
        junit: Option<PathBuf>,
    },
    /// Write the baselines of runs whose stripped manifest changed
    Accept {
        /// Runs to accept [default: all]
        runs: Vec<String>,
        /// Only write baselines that do not exist yet
        #[arg(long)]
        new: bool,
        /// Write committed baselines in CI too (otherwise CI leaves candidates; also
        /// PROVBASE_ACCEPT=force)
        #[arg(long)]
        force: bool,
        /// Apply the candidates under DIR (from `.prov/candidates/` or a CI artifact), each
        /// after showing its drift; a candidate whose baseline changed since is refused
        #[arg(long, value_name = "DIR")]
        from: Option<PathBuf>,
    },
    /// On a terminal: show each candidate's drift, then accept, reject or skip it
    Review {
        /// A folder of candidates [default: .prov/candidates]
        dir: Option<PathBuf>,
    },
    /// Print shell completions (bash, zsh, fish, elvish, powershell), or the man page (`man`;
    /// `man --dir DIR` writes provbase.1 and a page per command)
    Completions {
        /// bash, zsh, fish, elvish, powershell, or man
        #[arg(value_parser = ["bash", "zsh", "fish", "elvish", "powershell", "man"])]
        shell: String,
        /// With `man`: write provbase.1 and provbase-<command>.1 for every command into DIR
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Fold JSON reports (files, folders, globs) from many runners and nights into one page:
    /// runs × runners, nights per runner, and where each drift was first seen (--format
    /// markdown or json for a summary or the folded data)
    Report {
        /// Reports: files, folders searched for *.json reports, or globs
        #[arg(required = true)]
        inputs: Vec<String>,
        /// Write the page to FILE [default with the human form: provbase-report.html]
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        /// Open the page in the default browser
        #[arg(long)]
        open: bool,
        /// Output format
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// List the candidate baselines failing checks left (in DIR, default .prov/candidates)
    Pending {
        /// A folder of candidates, such as a downloaded CI artifact
        dir: Option<PathBuf>,
        /// Output format
        #[arg(long, value_enum, default_value = "human")]
        format: DataFormat,
    },
    /// Print a run's full manifest, time fields included
    Collect {
        /// The run
        run: String,
    },
    /// Compare two manifests or recorded runs (ids, unique id prefixes, tags, #N, or files);
    /// with none, the two newest recorded runs
    Diff {
        /// The earlier one
        a: Option<String>,
        /// The later one
        b: Option<String>,
        /// Output format
        #[arg(long, value_enum, default_value = "human")]
        format: DataFormat,
    },
    /// Run a command and record its provenance under .prov/runs/<id>/
    Record {
        /// A name for the run
        #[arg(long)]
        name: Option<String>,
        /// Files or folders the command reads
        #[arg(long, num_args = 1.., value_name = "PATH")]
        inputs: Vec<PathBuf>,
        /// Files or folders the command writes
        #[arg(long, num_args = 1.., value_name = "PATH")]
        outputs: Vec<PathBuf>,
        /// A parameters file (JSON, YAML or TOML)
        #[arg(long, value_name = "FILE")]
        params: Option<PathBuf>,
        /// A label (repeatable)
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// Record without running the command
        #[arg(long)]
        no_exec: bool,
        /// Globs of the code the run depends on, recorded by hash as check records them
        /// (repeatable)
        #[arg(long, value_name = "GLOB")]
        code: Vec<String>,
        /// A toolchain or package set to record, as `runtime` in harness.toml: rustc,
        /// python3, pip-freeze, cargo-lock, nvcc, … (repeatable)
        #[arg(long, value_name = "NAME")]
        runtime: Vec<String>,
        /// Once the run is recorded, write its id, folder and the command's exit status to FILE
        /// as JSON (for scripts: the command's own output passes through)
        #[arg(long, value_name = "FILE")]
        result: Option<PathBuf>,
        /// The command, after `--`
        #[arg(last = true, required = true, value_name = "CMD")]
        command: Vec<String>,
    },
    /// List recorded runs
    Runs {
        /// Output format
        #[arg(long, value_enum, default_value = "human")]
        format: DataFormat,
    },
    /// Write DIR/provenance/: repro.json, git.diff, env.txt, events.jsonl, RUN.md, fingerprints
    Bundle {
        /// The folder to write provenance/ into
        dir: PathBuf,
        /// A configured run's name, or a recorded run (id, prefix, tag, #N) [default: the only
        /// configured run, else the newest recorded run]
        #[arg(long)]
        run: Option<String>,
        /// Put untracked files' contents into git.diff (by default they are listed by name
        /// and hash in untracked.txt; files git ignores never are)
        #[arg(long)]
        untracked_contents: bool,
    },
    /// Check embedded digests and listed hashes of baselines, runs and bundles
    Verify {
        /// Files or bundle folders
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print an in-toto Statement with a SLSA Provenance v1 predicate
    Export {
        /// Write an in-toto Statement (the only format)
        #[arg(long)]
        in_toto: bool,
        /// A configured run's name, or a recorded run (id, prefix, tag, #N)
        run: String,
    },
    /// List every run and whether its baseline exists
    List {
        /// Output format
        #[arg(long, value_enum, default_value = "human")]
        format: DataFormat,
    },
    /// Print the path of the harness.toml provbase uses here (--config, PROVBASE_CONFIG, else
    /// the nearest from the current folder up), without reading it
    Locate,
    /// List baselines no run owns, and folder objects no baseline refers to; delete them with --yes
    Prune {
        /// Delete them
        #[arg(long)]
        yes: bool,
    },
    /// Print `sha256:<hex>` of a JSON file's RFC 8785 form
    Digest {
        /// The JSON file
        file: PathBuf,
    },
}

impl Cli {
    fn config_path(&self) -> Result<PathBuf> {
        Config::locate(self.config.as_deref())
    }

    /// The session when there is a harness.toml, `None` when there is none.
    fn optional_session(&self) -> Result<Option<Session>> {
        match self.session() {
            Ok(s) => Ok(Some(s)),
            Err(Error::ConfigNotFound { .. }) if self.config.is_none() => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn session(&self) -> Result<Session> {
        let mut config = Config::load(&self.config_path()?)?;
        if let Some(p) = self.profile.as_deref().filter(|p| !p.is_empty()) {
            config.select_profile(p)?;
        }
        let session = Session::new(config);
        if self.no_cache {
            session.facts().files().disable_cache();
        }
        Ok(session)
    }

    /// The output format of the command (human for a command that prints one form).
    fn format(&self) -> Format {
        match &self.command {
            Command::Check { format, .. } | Command::Report { format, .. } => *format,
            Command::List { format }
            | Command::Runs { format }
            | Command::Diff { format, .. }
            | Command::Pending { format, .. } => (*format).into(),
            _ => Format::Human,
        }
    }

    /// Where `check --junit` writes its report.
    fn junit(&self) -> Option<&std::path::Path> {
        match &self.command {
            Command::Check { junit, .. } => junit.as_deref(),
            _ => None,
        }
    }

    /// The command that accepts a run, as the user would type it.
    fn accept_command(&self, run: &str) -> String {
        let mut cmd = String::from("provbase");
        if let Some(c) = &self.config {
            cmd.push_str(&format!(" --config {}", c.display()));
        }
        if let Some(p) = self.profile.as_deref().filter(|p| !p.is_empty()) {
            cmd.push_str(&format!(" --profile {p}"));
        }
        format!("{cmd} accept {run}")
    }
}

/// Parses the process's arguments, runs the command, and returns its exit code:
/// 0 success, 1 drift or a run that could not be checked, 2 usage or configuration error.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse_from(command_flags_after_command(std::env::args_os())) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if let Err(bad) = crate::options::check() {
        errln!("error: {bad}");
        return ExitCode::from(exit::USAGE);
    }
    let result = match &cli.command {
        Command::Check {
            runs, twice: false, ..
        } => check::run(&cli, runs),
        Command::Check {
            runs, twice: true, ..
        } => check::twice(&cli, runs),
        Command::Accept {
            runs,
            new,
            force,
            from,
        } => accept::run(&cli, runs, *new, *force, from.as_deref()),
        Command::Pending { dir, .. } => pending::run(&cli, dir.as_deref()),
        Command::Report {
            inputs, html, open, ..
        } => report::run(&cli, inputs, html.as_deref(), *open),
        Command::Completions { shell, dir } => completions(shell, dir.as_deref()),
        Command::Review { dir } => review::run(&cli, dir.as_deref()),
        Command::Collect { run } => collect::run(&cli, run),
        Command::Diff { a, b, .. } => diff::run(&cli, a.as_deref(), b.as_deref()),
        Command::Record {
            name,
            inputs,
            outputs,
            params,
            tags,
            no_exec,
            code,
            runtime,
            result,
            command,
        } => record::run(
            &crate::record::RecordOptions {
                code: code.clone(),
                runtime: runtime.clone(),
                name: name.clone(),
                inputs: inputs.clone(),
                outputs: outputs.clone(),
                params: params.clone(),
                tags: tags.clone(),
                no_exec: *no_exec,
                command: command.clone(),
            },
            result.as_deref(),
        ),
        Command::Runs { .. } => runs::run(&cli),
        Command::Bundle {
            dir,
            run,
            untracked_contents,
        } => bundle::run(&cli, dir, run.as_deref(), *untracked_contents),
        Command::Verify { files } => verify::run(files),
        Command::Export { in_toto, run } => export::run(&cli, *in_toto, run),
        Command::List { .. } => list::run(&cli),
        Command::Locate => locate(&cli),
        Command::Prune { yes } => prune::run(&cli, *yes),
        Command::Digest { file } => digest::run(file),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            errln!("error: {e}");
            ExitCode::from(e.exit_code().max(exit::FAILED))
        }
    }
}

/// The flags a command takes (`--format`, `--junit`), moved from before the command's name to
/// just after it: `provbase --format json check` reads as `provbase check --format json`, as
/// users write it, and clap then refuses either flag where the command does not take it.
fn command_flags_after_command(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Vec<std::ffi::OsString> {
    const MOVED: [&str; 2] = ["--format", "--junit"];
    const GLOBAL_WITH_VALUE: [&str; 3] = ["--config", "--profile", "--color"];
    let mut args: Vec<std::ffi::OsString> = args.into_iter().collect();
    let (mut moved, mut i) = (Vec::new(), 1);
    while i < args.len() {
        let Some(arg) = args[i].to_str() else { break };
        let name = arg.split_once('=').map_or(arg, |(n, _)| n);
        let takes_next = !arg.contains('=');
        if MOVED.contains(&name) {
            let n = if takes_next { 2 } else { 1 }.min(args.len() - i);
            moved.extend(args.drain(i..i + n));
        } else if arg == "--" || !arg.starts_with('-') {
            break;
        } else {
            i += if GLOBAL_WITH_VALUE.contains(&name) && takes_next {
                2
            } else {
                1
            };
        }
    }
    if i < args.len() && !moved.is_empty() {
        args.splice(i + 1..i + 1, moved);
    } else {
        // no command: clap says what is missing, with the flags where they were
        args.splice(i.min(args.len())..i.min(args.len()), moved);
    }
    args
}

/// Writes a line to stdout. When stdout is a closed pipe (`provbase check | head`), provbase
/// stops quietly with the status of a process ended by SIGPIPE, rather than panicking.
/// Every line passes through [`crate::outbound::text`]: no secret, and no CI runner command.
pub(crate) fn write_out(args: std::fmt::Arguments) {
    let line = std::fmt::format(args);
    write_raw(&crate::outbound::text(&line));
}

/// Writes a line to stdout as it is (made safe by the caller).
fn write_raw(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out
        .write_all(line.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(exit::BROKEN_PIPE.into());
        }
        errln!("error: cannot write to stdout: {e}");
        std::process::exit(exit::USAGE.into());
    }
}

/// `println!` through [`write_out`].
macro_rules! outln {
    () => { $crate::cli::write_out(format_args!("")) };
    ($($arg:tt)*) => { $crate::cli::write_out(format_args!($($arg)*)) };
}

mod accept;

/// Shell completions, or the man page, on stdout; the man pages into `dir`.
fn completions(shell: &str, dir: Option<&std::path::Path>) -> Result<u8> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    if let Some(dir) = dir {
        if shell != "man" {
            return Err(Error::Usage(
                "--dir writes man pages: `provbase completions man --dir DIR`".into(),
            ));
        }
        for file in man::write_pages(cmd, dir)? {
            outln!("wrote {}", file.display());
        }
        return Ok(0);
    }
    let sh = match shell {
        "bash" => clap_complete::Shell::Bash,
        "zsh" => clap_complete::Shell::Zsh,
        "fish" => clap_complete::Shell::Fish,
        "elvish" => clap_complete::Shell::Elvish,
        "powershell" => clap_complete::Shell::PowerShell,
        _ => {
            let page = man::main_page(cmd)?;
            outln!("{}", String::from_utf8_lossy(&page).trim_end());
            return Ok(0);
        }
    };
    clap_complete::generate(sh, &mut cmd, "provbase", &mut out);
    let mut text = String::from_utf8_lossy(&out).into_owned();
    if sh == clap_complete::Shell::Fish {
        text = fish_completes_global_values(&cmd, &text);
    }
    outln!("{}", text.trim_end());
    Ok(0)
}
/// clap_complete's fish script decides whether a command is still to come by parsing the line
/// with argparse, which fails on a global option still waiting for its value (`provbase
/// --format <TAB>`), so fish completed files there. The option is dropped before argparse runs.
fn fish_completes_global_values(cmd: &clap::Command, script: &str) -> String {
    let valued: Vec<String> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set() && a.get_action().takes_values())
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    let at = "    set -e cmd[1]\n    argparse -s (__fish_provbase_global_optspecs)";
    script.replacen(
        at,
        &format!(
            "    set -e cmd[1]\n    # an option still waiting for its value is not a command\n    if set -q cmd[1]; and contains -- $cmd[-1] {}\n        set -e cmd[-1]\n    end\n    argparse -s (__fish_provbase_global_optspecs)",
            valued.join(" ")
        ),
        1,
    )
}
mod bundle;
mod check;
mod collect;
mod diff;
mod digest;
mod export;
mod list;
mod man;
mod pending;
mod prune;
mod record;
mod report;
mod review;
mod runs;
mod verify;

/// `provbase locate`: the absolute path of the harness.toml the doors would use here.
fn locate(cli: &Cli) -> Result<u8> {
    let path = cli.config_path()?;
    let abs = std::path::absolute(&path).map_err(|e| Error::io(&path, e))?;
    outln!("{}", abs.display());
    Ok(0)
}

/// The folder of candidates a command reads: the one named, which must be a folder (a
/// mistyped artifact path is a usage error, not "no candidates"), or `.prov/candidates`.
fn candidates_folder(session: &Session, dir: Option<&std::path::Path>) -> Result<PathBuf> {
    match dir {
        None => Ok(crate::store::candidates_dir(&session.config.root)),
        Some(d) if d.is_dir() => Ok(d.to_owned()),
        Some(d) => Err(Error::Usage(format!(
            "{}: no such folder of candidates",
            d.display()
        ))),
    }
}

/// A document as JSON.
fn to_value(doc: impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(doc).unwrap_or_default()
}

/// A JSON document on stdout: its values scrubbed as values (a text scrub could break the
/// JSON), then made inert for CI runners.
fn print_json(v: &serde_json::Value) {
    let mut v = v.clone();
    crate::redact::scrub_strings(&mut v);
    write_raw(&crate::outbound::inert(
        &serde_json::to_string_pretty(&v).unwrap_or_default(),
    ));
}
