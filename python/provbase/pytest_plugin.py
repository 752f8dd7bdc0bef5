"""The pytest plugin: with `--provbase`, pytest collects `harness.toml` (the nearest one from where
pytest was started, or `--provbase-config`) as a test file with one item per run, so
`pytest --co` lists them, `harness.toml::RUN` re-runs one, and `-k`, `-m`, `--lf`, `--sw` and
pytest-xdist's `-n` work as for any test. `pytest --provbase harness.toml` checks only the
baselines, without collecting the project's test suite.

One provbase process checks every selected run of a session (under pytest-xdist, each item
runs its own, so that no pipeline command runs twice); each item reports its run from that one
check: a failing item shows provbase's report (what drifted, where, why, the command that
accepts it), a run that only warns passes with a warning on its item, and baselines that no
run owns fail an item of their own. `--provbase-accept` re-baselines (in CI a candidate is left
instead, and the item says so), `--provbase-profile NAME` picks a profile, and pytest's own
`--junitxml` names each run with its file and line.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

from ._bin import ProvbaseError, binary, run, run_json, timeout

ORPHANS = "provbase:orphans"


class ProvbaseWarning(UserWarning):
    """A run drifted only in what warns (the commit, the machine): the test passes, and says so."""


class DriftFailure(Exception):
    """A run drifted, has no baseline, or could not be checked: its report is the message."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("provbase", "provenance baselines (provbase)")
    group.addoption("--provbase", action="store_true",
                    help="check every run of the nearest harness.toml as a test")
    group.addoption("--provbase-accept", action="store_true",
                    help="accept the selected runs' current provenance as their baselines")
    group.addoption("--provbase-profile", metavar="NAME",
                    help="the profile to check with (its baselines folder and policy)")
    group.addoption("--provbase-config", metavar="PATH",
                    help="the harness.toml to use instead of the nearest one")


_LOCATED = pytest.StashKey[Optional[Path]]()
_NOT_LOCATED = pytest.StashKey[str]()


def _harness(config: pytest.Config) -> Optional[Path]:
    """The harness.toml of the session: the one given, else the one `provbase locate` finds
    (PROVBASE_CONFIG, else the nearest from where pytest was started up), as every other door
    finds it; None when there is none (why: `_NOT_LOCATED`). Asked once per session."""
    given = config.getoption("provbase_config")
    if given:
        return Path(given).resolve()
    if _LOCATED not in config.stash:
        try:
            proc = run(["locate"], cwd=config.invocation_params.dir, check_codes=(0, 2))
        except ProvbaseError as e:
            config.stash[_LOCATED] = None
            config.stash[_NOT_LOCATED] = f"--provbase: {e}"
        else:
            found = proc.returncode == 0
            config.stash[_LOCATED] = Path(proc.stdout.strip()) if found else None
            config.stash[_NOT_LOCATED] = (
                f"--provbase: no harness.toml in {config.invocation_params.dir} or any folder "
                "above it (give --provbase-config PATH)")
    return config.stash[_LOCATED]


def _common(config: pytest.Config, harness: Path) -> List[str]:
    # provbase runs in the harness.toml's folder and finds it there itself, so that the
    # commands its reports suggest work as written from that folder
    args = ["--config", str(harness)] if config.getoption("provbase_config") else []
    profile = config.getoption("provbase_profile")
    if profile:
        args += ["--profile", profile]
    return args


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Optional["HarnessFile"]:
    config = parent.config
    if not config.getoption("provbase") or file_path.name != "harness.toml":
        return None
    if file_path.resolve() != _harness(config):
        return None
    return HarnessFile.from_parent(parent, path=file_path)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: List[pytest.Item]) -> None:
    # tryfirst: the runs join the items before `-k` and `-m` deselect. They are collected as a
    # file when harness.toml lies under what pytest collects; otherwise (`testpaths` elsewhere)
    # they are added here
    if not config.getoption("provbase") or any(isinstance(i, ProvbaseItem) for i in items):
        return
    harness = _harness(config)
    if harness is None:
        raise pytest.UsageError(config.stash[_NOT_LOCATED])
    if config.args and any(a.split("::")[0].endswith("harness.toml") for a in config.args):
        return  # asked for by path and selected away: nothing to add
    node = HarnessFile.from_parent(session, path=harness)
    items.extend(node.collect())


def _lines_of(harness: Path) -> Dict[str, int]:
    """The 1-based line of each run's `name = "…"` in harness.toml."""
    lines: Dict[str, int] = {}
    pattern = re.compile(r"""^\s*name\s*=\s*["']([A-Za-z0-9][A-Za-z0-9._-]*)["']""")
    try:
        text = harness.read_text(encoding="utf-8")
    except OSError:
        return lines
    for n, line in enumerate(text.splitlines(), start=1):
        m = pattern.match(line)
        if m and m.group(1) not in lines:
            lines[m.group(1)] = n
    return lines


class HarnessFile(pytest.File):
    """A harness.toml: one item per configured run, and one for baselines no run owns."""

    def collect(self) -> Iterator["ProvbaseItem"]:
        try:
            listed = run_json([*_common(self.config, self.path), "list"], cwd=self.path.parent)
        except ProvbaseError as e:
            # one clear error, not a traceback
            raise pytest.UsageError(f"provbase: {e}") from None
        lines = _lines_of(self.path)
        self.orphans: List[str] = list(listed.get("orphans", []))
        self.run_count = len(listed["runs"])
        for entry in listed["runs"]:
            yield RunItem.from_parent(self, name=entry["run"], line=lines.get(entry["run"]))
        yield OrphansItem.from_parent(self, name=ORPHANS, line=None)


class _Check:
    """One `provbase check` of some runs: each run's status and its part of the human report,
    both from one execution."""

    def __init__(self, config: pytest.Config, harness: Path, names: List[str]) -> None:
        self.annotations: List[str] = []
        with tempfile.TemporaryDirectory(prefix="provbase-pytest-") as tmp:
            report_file = Path(tmp) / "report.json"
            env = {**os.environ, "PROVBASE_JSON_REPORT": str(report_file)}
            args = [*_common(config, harness), "--color", "never", "check", *names]
            try:
                proc = subprocess.run([binary(), *args], cwd=harness.parent, env=env,
                                      capture_output=True, text=True,
                                      stdin=subprocess.DEVNULL, timeout=timeout())
            except subprocess.TimeoutExpired:
                raise ProvbaseError(f"`provbase check` did not finish within {timeout():g} s "
                                    "(PROVBASE_PYTHON_TIMEOUT sets the limit)") from None
            except OSError as e:
                raise ProvbaseError(f"cannot start provbase: {e.strerror or e}") from None
            if proc.returncode not in (0, 1) or not report_file.is_file():
                said = proc.stderr.strip() or proc.stdout.strip() or f"exit status {proc.returncode}"
                raise ProvbaseError(said.removeprefix("error: "))
            report = json.loads(report_file.read_text(encoding="utf-8"))
        # the workflow commands provbase wrote (annotations on GitHub), for the runner's log
        self.annotations = [line for line in proc.stderr.splitlines() if line.startswith("::")]
        self.status: Dict[str, str] = {r["run"]: r["status"] for r in report["runs"]}
        self.text: Dict[str, str] = _blocks(proc.stdout)


_HEADER = re.compile(r"^(ok|warn|FAIL|MISSING|ERROR)\s+(\S+)\s*$")


def _blocks(human: str) -> Dict[str, str]:
    """The human report split by run: each run's header line and the indented lines below."""
    out: Dict[str, List[str]] = {}
    current: Optional[str] = None
    for line in human.splitlines():
        m = _HEADER.match(line)
        if m:
            current = m.group(2)
            out[current] = [line]
        elif current is not None and (line.startswith(" ") or not line):
            out[current].append(line)
        else:
            current = None
    return {k: "\n".join(v).rstrip() for k, v in out.items()}


_CHECK = pytest.StashKey[Optional[_Check]]()


def _to_runner(config: pytest.Config, lines: List[str]) -> None:
    """Writes workflow commands to the real stderr, past pytest's capture, where CI's runner
    reads them."""
    if not lines:
        return
    capman = config.pluginmanager.getplugin("capturemanager")
    if capman is None:
        print("\n".join(lines), file=sys.stderr, flush=True)
        return
    with capman.global_and_fixture_disabled():
        print("\n".join(lines), file=sys.stderr, flush=True)


def _session_check(item: "ProvbaseItem") -> _Check:
    """The session's one check of every selected run (under pytest-xdist: this item's run)."""
    config = item.config
    harness: Path = item.parent.path  # type: ignore[union-attr]
    if hasattr(config, "workerinput"):
        # a worker of pytest-xdist runs some of the items: each checks its own run, once
        check = _Check(config, harness, [item.name])
        _to_runner(config, check.annotations)
        return check
    found = config.stash.get(_CHECK, None)
    if found is None:
        selected = [i.name for i in item.session.items if isinstance(i, RunItem)]
        found = _Check(config, harness, selected)
        config.stash[_CHECK] = found
        _to_runner(config, found.annotations)
    return found


class ProvbaseItem(pytest.Item):
    """An item of harness.toml."""

    def __init__(self, *, line: Optional[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.line = line

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None,
    ) -> Any:
        if isinstance(excinfo.value, (DriftFailure, ProvbaseError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> Any:
        # the file and line of the run's [[run]]: what pytest's JUnit and its summary name
        return self.path, (self.line - 1 if self.line else None), f"provbase run {self.name}"


class RunItem(ProvbaseItem):
    """One configured run, checked (or accepted) when the test runs."""

    def runtest(self) -> None:
        harness: Path = self.parent.path  # type: ignore[union-attr]
        if self.config.getoption("provbase_accept"):
            proc = run([*_common(self.config, harness), "accept", self.name], cwd=harness.parent)
            said = (proc.stdout + proc.stderr).strip()
            if said:
                self.add_report_section("call", "provbase", said)
            if "candidate" in proc.stdout:
                self.warn(ProvbaseWarning(
                    f"{self.name}: in CI the committed baseline is not rewritten; a candidate was "
                    f"left instead: {proc.stdout.strip()}"))
            return
        check = _session_check(self)
        status = check.status.get(self.name)
        text = check.text.get(self.name, "")
        if status is None:
            raise DriftFailure(f"provbase did not report run `{self.name}`")
        if status == "pass":
            return
        if status == "warn":
            self.warn(ProvbaseWarning(f"{self.name}: {text}"))
            return
        raise DriftFailure(text or f"{self.name}: {status}")


class OrphansItem(ProvbaseItem):
    """Baselines that no run owns fail, as in `provbase check`; skipped when only some runs
    are selected (a selection says nothing of the runs left out)."""

    def runtest(self) -> None:
        if self.config.getoption("provbase_accept"):
            pytest.skip("accepting: orphans are listed by `provbase prune`")
        parent: HarnessFile = self.parent  # type: ignore[assignment]
        runs = [i for i in self.session.items if isinstance(i, RunItem)]
        if len(runs) < parent.run_count:
            pytest.skip("only some runs are selected")
        orphans = parent.orphans
        if orphans:
            raise DriftFailure(
                "baselines that no run owns: " + ", ".join(orphans)
                + "\nremove them with `provbase prune --yes`, or add their runs back")
