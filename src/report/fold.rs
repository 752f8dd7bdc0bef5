//! Many JSON reports — a CI matrix of runners, night after night — folded into one picture of
//! drift: a matrix of runs × runners (each runner's latest report), a timeline of nights per
//! runner with unchanged stretches collapsed, and, for each drifted field, the first report in
//! which it changed and the runners it changed on. `provbase report` writes it as a page
//! (the fleet page), as Markdown and as JSON.

use super::json::{DriftEntry, REPORT_VERSION, Report, RunEntry};
use crate::error::{Error, Result};
use crate::explain::Note;
use crate::policy::{Category, Policy};
use crate::session::{GpuSummary, Status};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The shape of the folded JSON, bumped on any change a script could notice.
pub const FOLD_VERSION: u64 = 1;

/// The runner of a report without `taken` (report version 1).
pub const UNKNOWN_RUNNER: &str = "(unknown runner)";

/// One report, as read.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Its file, as given or found.
    pub file: String,
    /// The report.
    pub report: Report,
}

/// Reads the reports that `inputs` name: files, folders (every `*.json` under them that is a
/// provbase report; other JSON is skipped and returned) and globs. A file named on its own
/// that is not a report is an error naming it; no report at all is an error too.
pub fn load(inputs: &[String], cwd: &Path) -> Result<(Vec<Loaded>, Vec<String>)> {
    let (mut loaded, mut skipped) = (Vec::new(), Vec::new());
    for input in inputs {
        let path = cwd.join(input);
        let files: Vec<(PathBuf, bool)> = if path.is_dir() {
            let mut found = Vec::new();
            crate::collect::files::walk(&path, &mut found).map_err(|e| Error::io(&path, e))?;
            found.sort();
            found
                .into_iter()
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .map(|p| (p, false))
                .collect()
        } else if path.exists() || !input.contains(['*', '?', '[']) {
            vec![(path, true)]
        } else {
            let pattern = path.to_string_lossy().into_owned();
            let mut found: Vec<PathBuf> = glob::glob(&pattern)
                .map_err(|e| Error::Usage(format!("`{input}`: {e}")))?
                .filter_map(std::result::Result::ok)
                .filter(|p| p.is_file())
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(Error::Usage(format!("`{input}` matches no file")));
            }
            found.into_iter().map(|p| (p, false)).collect()
        };
        for (file, named) in files {
            let shown = file
                .strip_prefix(cwd)
                .unwrap_or(&file)
                .to_string_lossy()
                .into_owned();
            match read(&file) {
                Ok(report) => loaded.push(Loaded {
                    file: shown,
                    report,
                }),
                Err(e) if named => return Err(e),
                Err(_) => skipped.push(shown),
            }
        }
    }
    if loaded.is_empty() {
        return Err(Error::Usage(format!(
            "no provbase report in {} (write one with `provbase --format json check` or PROVBASE_JSON_REPORT)",
            inputs.join(", ")
        )));
    }
    Ok((loaded, skipped))
}

/// The largest report read: a report of thousands of runs with drifts is a few MB, and one of
/// 500 MB would make a page of as much.
pub const MAX_REPORT_BYTES: u64 = 32 << 20;
/// The most drifts one run of one report brings to the page; the rest are counted in a note.
pub const MAX_DRIFTS_KEPT: usize = 200;
/// The most explanation notes one run of one report brings, each cut to [`MAX_NOTE_CHARS`].
pub const MAX_NOTES_KEPT: usize = 50;
/// See [`MAX_NOTES_KEPT`].
pub const MAX_NOTE_CHARS: usize = 4000;

/// Reads one report; an error names the file.
fn read(file: &Path) -> Result<Report> {
    if let Ok(m) = std::fs::metadata(file)
        && m.is_file()
        && m.len() > MAX_REPORT_BYTES
    {
        return Err(Error::Json {
            path: file.to_owned(),
            message: format!(
                "{} bytes: larger than any report provbase folds ({MAX_REPORT_BYTES} at most)",
                m.len()
            ),
        });
    }
    let mut report = parse(file)?;
    for run in &mut report.runs {
        trim(run);
    }
    Ok(report)
}

/// Keeps what one run of one report brings to the page within bounds, saying what was left
/// out.
fn trim(run: &mut super::json::RunEntry) {
    let cut_text = |t: &mut String| {
        if t.chars().count() > MAX_NOTE_CHARS {
            *t = format!(
                "{}… (cut: the report holds the rest)",
                t.chars().take(MAX_NOTE_CHARS).collect::<String>()
            );
        }
    };
    run.explanation.truncate(MAX_NOTES_KEPT);
    for n in &mut run.explanation {
        cut_text(&mut n.subject);
        cut_text(&mut n.text);
    }
    if let Some(e) = &mut run.error {
        cut_text(e);
    }
    if run.drifts.len() > MAX_DRIFTS_KEPT {
        let more = run.drifts.len() - MAX_DRIFTS_KEPT;
        run.drifts.truncate(MAX_DRIFTS_KEPT);
        run.explanation.push(Note {
            subject: "(report)".into(),
            text: format!("{more} more drifts are in the report file and not on this page"),
        });
    }
}

/// Parses one report file.
fn parse(file: &Path) -> Result<Report> {
    let mut value = crate::store::load_json(file)?
        .ok_or_else(|| Error::io(file, std::io::ErrorKind::NotFound.into()))?;
    // a report is shown after the rules every value provbase writes passes through, whoever
    // wrote it
    crate::redact::scrub_strings(&mut value);
    let bad = |message: String| Error::Json {
        path: file.to_owned(),
        message,
    };
    match value
        .get(super::json::REPORT_VERSION_KEY)
        .and_then(serde_json::Value::as_u64)
    {
        Some(v) if (1..=REPORT_VERSION).contains(&v) => {}
        Some(v) => {
            return Err(bad(format!(
                "report_version {v} is newer than this provbase reads ({REPORT_VERSION})"
            )));
        }
        None => return Err(bad("not a provbase report (no `report_version`)".into())),
    }
    serde_json::from_value(value).map_err(|e| bad(format!("not a provbase report: {e}")))
}

/// A folded report, as the page, the summary and scripts read it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Folded {
    /// [`FOLD_VERSION`].
    pub fold_version: u64,
    /// The reports, oldest first.
    pub reports: Vec<Source>,
    /// Every runner, sorted.
    pub runners: Vec<String>,
    /// Every run, sorted.
    pub runs: Vec<String>,
    /// Each run on each runner, as the runner's latest report has it.
    pub matrix: Vec<Cell>,
    /// Each runner's nights, unchanged stretches collapsed.
    pub timeline: Vec<Lane>,
    /// Each drifted field's first appearance, oldest first.
    pub first_seen: Vec<FirstSeen>,
}

/// Where and when one report was taken.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Source {
    /// Its file.
    pub file: String,
    /// When (empty for a version 1 report).
    pub time: String,
    /// Which runner.
    pub runner: String,
    /// The profile in force.
    pub profile: Option<String>,
    /// The commit checked out.
    pub commit: Option<String>,
    /// The GPUs and driver.
    pub gpu: Option<GpuSummary>,
    /// The provbase that wrote it.
    pub provbase_version: String,
    /// The worst status of its runs (and `fail` for an orphan).
    pub status: Status,
}

/// One run on one runner.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Cell {
    /// The run.
    pub run: String,
    /// The runner.
    pub runner: String,
    /// The report it comes from (an index into `reports`).
    pub report: usize,
    /// Its status.
    pub status: Status,
    /// The categories it drifted in, with their counts, in report order.
    pub categories: Vec<(Category, usize)>,
    /// Its drifts, those whose policy is `ignore` left out.
    pub drifts: Vec<DriftEntry>,
    /// Why they happened.
    pub explanation: Vec<Note>,
    /// Why the check could not run.
    pub error: Option<String>,
}

/// One runner's nights.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Lane {
    /// The runner.
    pub runner: String,
    /// Its nights, oldest first, each run of nights with the same outcome as one stretch.
    pub stretches: Vec<Stretch>,
}

/// Consecutive nights of one runner with the same outcome.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Stretch {
    /// The first report (an index into `reports`).
    pub first: usize,
    /// The last report.
    pub last: usize,
    /// How many nights.
    pub nights: usize,
    /// Their status.
    pub status: Status,
    /// Each run's status on those nights.
    pub runs: BTreeMap<String, Status>,
}

/// A drifted field, where it first changed.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FirstSeen {
    /// The field.
    pub path: String,
    /// Its category.
    pub category: Category,
    /// Fail or warn.
    pub policy: Policy,
    /// Its baseline value.
    pub before: Option<serde_json::Value>,
    /// The value it changed to.
    pub after: Option<serde_json::Value>,
    /// The first report that shows it (an index into `reports`).
    pub report: usize,
    /// When.
    pub time: String,
    /// Every runner it was seen on, in the order it reached them.
    pub runners: Vec<String>,
    /// The runs it drifted in.
    pub runs: Vec<String>,
}

/// The worst of some statuses: error, then fail and missing, then warn, then pass.
fn worst(statuses: impl IntoIterator<Item = Status>) -> Status {
    let rank = |s: Status| match s {
        Status::Pass => 0,
        Status::Warn => 1,
        Status::Missing => 2,
        Status::Fail => 3,
        Status::Error => 4,
    };
    statuses
        .into_iter()
        .max_by_key(|s| rank(*s))
        .unwrap_or(Status::Pass)
}

/// The drifts a reader is shown: not ignored, and not the commit itself (each report names its
/// commit; a new commit every night is not news).
fn shown(r: &RunEntry) -> impl Iterator<Item = &DriftEntry> {
    r.drifts.iter().filter(|d| {
        d.policy != Policy::Ignore
            && !(d.category == Category::Git
                && matches!(d.path.as_str(), "code.git_sha" | "code.git_short_sha"))
    })
}

/// Folds reports.
pub fn fold(mut loaded: Vec<Loaded>) -> Folded {
    let key = |l: &Loaded| {
        let t = l.report.taken.as_ref();
        (
            t.map(|t| t.time.clone()).unwrap_or_default(),
            l.file.clone(),
        )
    };
    loaded.sort_by_key(key);
    let runner_of = |l: &Loaded| {
        l.report
            .taken
            .as_ref()
            .map_or_else(|| UNKNOWN_RUNNER.to_owned(), |t| t.runner.clone())
    };
    let reports: Vec<Source> = loaded
        .iter()
        .map(|l| {
            let t = l.report.taken.as_ref();
            let orphaned = (!l.report.orphans.is_empty()).then_some(Status::Fail);
            Source {
                file: l.file.clone(),
                time: t.map(|t| t.time.clone()).unwrap_or_default(),
                runner: runner_of(l),
                profile: l.report.profile.clone(),
                commit: t.and_then(|t| t.commit.clone()),
                gpu: t.and_then(|t| t.gpu.clone()),
                provbase_version: l.report.provbase_version.clone(),
                status: worst(l.report.runs.iter().map(|r| r.status).chain(orphaned)),
            }
        })
        .collect();
    let runners = natural_order(reports.iter().map(|s| s.runner.clone()).collect());
    let runs = natural_order(
        loaded
            .iter()
            .flat_map(|l| l.report.runs.iter().map(|r| r.run.clone()))
            .collect(),
    );
    Folded {
        fold_version: FOLD_VERSION,
        matrix: matrix(&loaded, &reports),
        timeline: timeline(&loaded, &reports, &runners),
        first_seen: first_seen(&loaded, &reports),
        runners,
        runs,
        reports,
    }
}

fn matrix(loaded: &[Loaded], reports: &[Source]) -> Vec<Cell> {
    // the latest report of each runner that holds the run
    let mut latest: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (i, l) in loaded.iter().enumerate() {
        for r in &l.report.runs {
            latest.insert((r.run.clone(), reports[i].runner.clone()), i);
        }
    }
    latest
        .into_iter()
        .filter_map(|((run, runner), i)| {
            let r = loaded[i].report.runs.iter().find(|r| r.run == run)?;
            let drifts: Vec<DriftEntry> = shown(r).cloned().collect();
            let categories = Category::ALL
                .iter()
                .filter_map(|c| {
                    let n = drifts.iter().filter(|d| d.category == *c).count();
                    (n > 0).then_some((*c, n))
                })
                .collect();
            Some(Cell {
                run,
                runner,
                report: i,
                status: r.status,
                categories,
                drifts,
                explanation: r.explanation.clone(),
                error: r.error.clone(),
            })
        })
        .collect()
}

/// What one night came to: each run's status, and what drifted to which values.
type NightOutcome<'a> = BTreeMap<&'a str, (Status, Vec<(&'a str, String)>)>;

/// Names in the order people count them: `a100-2` before `a100-10`.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut a, mut b) = (a, b);
    loop {
        let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        match (a.chars().next(), b.chars().next()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (na, nb) = (digits(a), digits(b));
                let (da, db) = (
                    a[..na].trim_start_matches('0'),
                    b[..nb].trim_start_matches('0'),
                );
                let by_number = da.len().cmp(&db.len()).then_with(|| da.cmp(db));
                if by_number != std::cmp::Ordering::Equal {
                    return by_number;
                }
                (a, b) = (&a[na..], &b[nb..]);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(&y);
                }
                (a, b) = (&a[x.len_utf8()..], &b[y.len_utf8()..]);
            }
        }
    }
}

/// Distinct names in [`natural_cmp`]'s order (ties, such as `a01` and `a1`, by their text).
fn natural_order(names: BTreeSet<String>) -> Vec<String> {
    let mut v: Vec<String> = names.into_iter().collect();
    v.sort_by(|a, b| natural_cmp(a, b).then_with(|| a.cmp(b)));
    v
}

fn timeline(loaded: &[Loaded], reports: &[Source], runners: &[String]) -> Vec<Lane> {
    runners
        .iter()
        .map(|runner| {
            let mut stretches: Vec<Stretch> = Vec::new();
            let mut last_outcome = None;
            for (i, l) in loaded.iter().enumerate() {
                if reports[i].runner != *runner {
                    continue;
                }
                let outcome: NightOutcome = l
                    .report
                    .runs
                    .iter()
                    .map(|r| {
                        let drifts = shown(r)
                            .map(|d| (d.path.as_str(), format!("{:?}", d.after)))
                            .collect();
                        (r.run.as_str(), (r.status, drifts))
                    })
                    .collect();
                match stretches.last_mut() {
                    Some(s) if last_outcome.as_ref() == Some(&outcome) => {
                        s.last = i;
                        s.nights += 1;
                    }
                    _ => stretches.push(Stretch {
                        first: i,
                        last: i,
                        nights: 1,
                        status: reports[i].status,
                        runs: outcome
                            .iter()
                            .map(|(run, (status, _))| ((*run).to_owned(), *status))
                            .collect(),
                    }),
                }
                last_outcome = Some(outcome);
            }
            Lane {
                runner: runner.clone(),
                stretches,
            }
        })
        .collect()
}

fn first_seen(loaded: &[Loaded], reports: &[Source]) -> Vec<FirstSeen> {
    let mut seen: Vec<FirstSeen> = Vec::new();
    let mut index: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (i, l) in loaded.iter().enumerate() {
        let runner = &reports[i].runner;
        for r in &l.report.runs {
            for d in shown(r) {
                let key = (
                    d.path.clone(),
                    serde_json::to_string(&d.after).unwrap_or_default(),
                );
                let at = *index.entry(key).or_insert_with(|| {
                    seen.push(FirstSeen {
                        path: d.path.clone(),
                        category: d.category,
                        policy: d.policy,
                        before: d.before.clone(),
                        after: d.after.clone(),
                        report: i,
                        time: reports[i].time.clone(),
                        runners: Vec::new(),
                        runs: Vec::new(),
                    });
                    seen.len() - 1
                });
                let f = &mut seen[at];
                if !f.runners.contains(runner) {
                    f.runners.push(runner.clone());
                }
                if !f.runs.contains(&r.run) {
                    f.runs.push(r.run.clone());
                }
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Taken;

    /// A run's name, status, and drifted fields with their new values.
    type RunOf<'a> = (&'a str, Status, &'a [(&'a str, &'a str)]);

    fn report(runner: &str, time: &str, runs: &[RunOf]) -> Loaded {
        Loaded {
            file: format!("{runner}-{time}.json"),
            report: Report {
                report_version: REPORT_VERSION,
                provbase_version: "0.1.0".into(),
                profile: Some("nightly".into()),
                summary: Default::default(),
                runs: runs
                    .iter()
                    .map(|(run, status, drifts)| RunEntry {
                        run: (*run).into(),
                        status: *status,
                        baseline: format!("baselines/{run}.json"),
                        error: None,
                        explanation: Vec::new(),
                        candidate: None,
                        drifts: drifts
                            .iter()
                            .map(|(path, after)| DriftEntry {
                                path: (*path).into(),
                                category: if path.starts_with("hardware") {
                                    Category::Hardware
                                } else {
                                    Category::Spice
                                },
                                policy: Policy::Fail,
                                before: Some("old".into()),
                                after: Some((*after).into()),
                            })
                            .collect(),
                    })
                    .collect(),
                orphans: Vec::new(),
                taken: Some(Taken {
                    time: time.into(),
                    runner: runner.into(),
                    commit: None,
                    gpu: None,
                }),
            },
        }
    }

    #[test]
    fn a_driver_update_is_one_first_seen_line_and_quiet_nights_collapse() {
        let driver = "hardware.gpus.driver_version";
        let mut all = Vec::new();
        for night in 1..=9 {
            let t = format!("2026-11-{night:02}T02:00:00Z");
            // runner a updates its driver on night 4, runner b on night 6
            let a: &[(&str, &str)] = if night >= 4 { &[(driver, "550")] } else { &[] };
            let b: &[(&str, &str)] = if night >= 6 { &[(driver, "550")] } else { &[] };
            let status = |d: &[(&str, &str)]| {
                if d.is_empty() {
                    Status::Pass
                } else {
                    Status::Fail
                }
            };
            all.push(report("a", &t, &[("nav", status(a), a)]));
            all.push(report("b", &t, &[("nav", status(b), b)]));
        }
        let f = fold(all);
        assert_eq!(f.reports.len(), 18);
        assert_eq!(f.runners, ["a", "b"]);
        assert_eq!(f.first_seen.len(), 1, "{:?}", f.first_seen);
        let line = &f.first_seen[0];
        assert_eq!(line.time, "2026-11-04T02:00:00Z");
        assert_eq!(line.runners, ["a", "b"]);
        // two stretches per runner: the quiet nights, then the nights after the update
        let nights: Vec<Vec<usize>> = f
            .timeline
            .iter()
            .map(|l| l.stretches.iter().map(|s| s.nights).collect())
            .collect();
        assert_eq!(nights, [vec![3, 6], vec![5, 4]]);
        let cell = f.matrix.iter().find(|c| c.runner == "b").unwrap();
        assert_eq!(cell.status, Status::Fail);
        assert_eq!(cell.categories, [(Category::Hardware, 1)]);
        assert_eq!(
            f.reports[cell.report].time, "2026-11-09T02:00:00Z",
            "the latest"
        );
    }

    #[test]
    fn runners_sort_as_people_count() {
        let names: BTreeSet<String> =
            ["a100-10", "a100-2", "a100-1", "b", "a100-02", "a9x", "a10x"]
                .into_iter()
                .map(String::from)
                .collect();
        assert_eq!(
            natural_order(names),
            ["a9x", "a10x", "a100-1", "a100-02", "a100-2", "a100-10", "b"]
        );
    }

    #[test]
    fn what_one_report_brings_is_bounded() {
        let paths: Vec<String> = (0..500).map(|i| format!("spice_kernels.{i}")).collect();
        let drifts: Vec<(&str, &str)> = paths.iter().map(|p| (p.as_str(), "new")).collect();
        let mut r = report(
            "a",
            "2026-11-01T02:00:00Z",
            &[("nav", Status::Fail, &drifts)],
        );
        r.report.runs[0].explanation = vec![Note {
            subject: "x".into(),
            text: "é".repeat(MAX_NOTE_CHARS * 3),
        }];
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.json");
        std::fs::write(&file, serde_json::to_vec(&r.report).unwrap()).unwrap();
        let read = super::read(&file).unwrap();
        let run = &read.runs[0];
        assert_eq!(run.drifts.len(), MAX_DRIFTS_KEPT);
        assert!(run.explanation[0].text.chars().count() < MAX_NOTE_CHARS + 50);
        assert!(
            run.explanation
                .last()
                .unwrap()
                .text
                .starts_with("300 more drifts are in the report file")
        );
        // a report larger than any provbase writes is refused before it is read
        let big = dir.path().join("big.json");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(MAX_REPORT_BYTES + 1)
            .unwrap();
        let err = super::read(&big).unwrap_err().to_string();
        assert!(err.contains("larger than any report"), "{err}");
    }
}
