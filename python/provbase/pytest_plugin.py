"""The pytest plugin: `pytest --provbase` collects one test per run of the nearest harness.toml
(from where pytest was started, or `--provbase-config`). A failing test shows provbase's report:
what drifted, where, why, and the command that accepts it. `--provbase-accept` re-baselines
(refused in CI, where a candidate is left instead), `--provbase-profile NAME` picks a profile,
`-k` selects runs, and pytest's own `--junitxml` carries the results. The plugin drives the
`provbase` binary through its JSON output.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

from ._bin import ProvbaseError, run, run_json


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


def _harness(config: pytest.Config) -> Optional[Path]:
    given = config.getoption("provbase_config")
    if given:
        return Path(given).resolve()
    start = Path(config.invocation_params.dir).resolve()
    for folder in (start, *start.parents):
        if (folder / "harness.toml").is_file():
            return folder / "harness.toml"
    return None


def _common(config: pytest.Config, harness: Path) -> List[str]:
    # provbase runs in the harness.toml's folder and finds it there itself, so that the
    # commands its reports suggest work as written from that folder
    args = ["--config", str(harness)] if config.getoption("provbase_config") else []
    profile = config.getoption("provbase_profile")
    if profile:
        args += ["--profile", profile]
    return args


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: List[pytest.Item]) -> None:
    # tryfirst: the runs join the items before `-k` and `-m` deselect
    if not config.getoption("provbase"):
        return
    harness = _harness(config)
    if harness is None:
        raise pytest.UsageError(
            f"--provbase: no harness.toml in {config.invocation_params.dir} or any folder above "
            "it (give --provbase-config PATH)")
    node = HarnessFile.from_parent(session, path=harness)
    items.extend(node.collect())


class HarnessFile(pytest.File):
    """A harness.toml: one item per configured run."""

    def collect(self) -> Iterator["RunItem"]:
        try:
            listed = run_json([*_common(self.config, self.path), "list"], cwd=self.path.parent)
        except ProvbaseError as e:
            # one clear error, not a traceback
            raise pytest.UsageError(f"provbase: {e}") from None
        for entry in listed["runs"]:
            yield RunItem.from_parent(self, name=entry["run"])


class RunItem(pytest.Item):
    """One configured run, checked (or accepted) when the test runs."""

    def runtest(self) -> None:
        harness: Path = self.parent.path
        common = _common(self.config, harness)
        if self.config.getoption("provbase_accept"):
            proc = run([*common, "accept", self.name], cwd=harness.parent)
            said = (proc.stdout + proc.stderr).strip()
            if said:
                self.add_report_section("call", "provbase", said)
            return
        report: Dict[str, Any] = run_json([*common, "check", self.name], cwd=harness.parent,
                                          check_codes=(0, 1))
        entry = next(r for r in report["runs"] if r["run"] == self.name)
        status = entry["status"]
        if status == "pass":
            return
        # the report as provbase writes it for people: what, where, why, how to accept
        text = run([*common, "--color", "never", "check", self.name], cwd=harness.parent,
                   check_codes=(0, 1)).stdout
        if status == "warn":
            warnings.warn(ProvbaseWarning(f"{self.name}: {text.strip()}"))
            return
        raise DriftFailure(text.rstrip())

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Optional[str] = None) -> str:
        if isinstance(excinfo.value, (DriftFailure, ProvbaseError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):  # type: ignore[override]
        return self.path, None, f"provbase run {self.name}"
