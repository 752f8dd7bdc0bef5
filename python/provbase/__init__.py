"""provbase for Python pipelines: regression baselines of a run's provenance.

The wheel installs the `provbase` command (a Rust binary); this package drives it and returns
its documents parsed. A pipeline needs no Rust toolchain.

>>> import provbase
>>> report = provbase.check()                      # every run of the nearest harness.toml
>>> [(r["run"], r["status"]) for r in report["runs"]]        # doctest: +SKIP
[('coiss-N1597846115', 'pass')]
>>> manifest = provbase.collect("coiss-N1597846115")          # doctest: +SKIP
>>> manifest["static_data_hashes"]                             # doctest: +SKIP
{'cfg/config_220_body_shape.yaml': 'sha256:0440…'}

Under pytest, `pytest --provbase` checks every run as a test (see `provbase.pytest_plugin`).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from ._bin import ProvbaseError, binary, run, run_json

__all__ = ["ProvbaseError", "binary", "check", "collect", "record", "version"]



def _common(profile: Optional[str], config: Optional[os.PathLike[str] | str]) -> List[str]:
    args: List[str] = []
    if config is not None:
        args += ["--config", str(config)]
    if profile is not None:
        args += ["--profile", profile]
    return args


def version() -> str:
    """The version of the installed provbase binary."""
    return run(["--version"]).stdout.split()[-1]


def check(
    runs: Sequence[str] = (),
    *,
    profile: Optional[str] = None,
    config: Optional[os.PathLike[str] | str] = None,
    cwd: Optional[os.PathLike[str] | str] = None,
) -> Dict[str, Any]:
    """Checks runs (all when `runs` is empty) against their baselines and returns the JSON report:
    `summary`, and per run its `status` (`pass`, `warn`, `fail`, `missing`, `error`), `drifts`
    and `explanation`. Drift is a result, not an exception; a configuration that cannot be read
    raises ProvbaseError."""
    report: Dict[str, Any] = run_json([*_common(profile, config), "check", *runs], cwd=cwd,
                                      check_codes=(0, 1))
    return report


def collect(
    run_name: str,
    *,
    profile: Optional[str] = None,
    config: Optional[os.PathLike[str] | str] = None,
    cwd: Optional[os.PathLike[str] | str] = None,
) -> Dict[str, Any]:
    """The full manifest of a run as it is now, time fields included."""
    proc = run([*_common(profile, config), "collect", run_name], cwd=cwd)
    manifest: Dict[str, Any] = json.loads(proc.stdout)
    return manifest


def record(
    command: Sequence[str],
    *,
    name: Optional[str] = None,
    inputs: Sequence[os.PathLike[str] | str] = (),
    outputs: Sequence[os.PathLike[str] | str] = (),
    params: Optional[os.PathLike[str] | str] = None,
    tags: Sequence[str] = (),
    cwd: Optional[os.PathLike[str] | str] = None,
) -> Dict[str, Any]:
    """Runs a command, records its provenance under `.prov/runs/`, and returns the recorded run
    (`run.json`: its id, command, exit status, inputs, outputs, code, environment, hardware).
    The command's own failure is in `exit_status`, not an exception."""
    args: List[str] = ["record"]
    if name is not None:
        args += ["--name", name]
    for p in inputs:
        args += ["--inputs", str(p)]
    for p in outputs:
        args += ["--outputs", str(p)]
    if params is not None:
        args += ["--params", str(params)]
    for t in tags:
        args += ["--tag", t]
    base = Path(cwd) if cwd is not None else Path.cwd()
    # provbase writes what it recorded to a file of its own once the run is recorded: the
    # command's exit status passes through as provbase's, so only this file tells provbase's
    # own failure (a missing params file, a bad option, a command that cannot start) from the
    # command's
    with tempfile.TemporaryDirectory(prefix="provbase-record-") as tmp:
        result = Path(tmp) / "result.json"
        proc = run([*args, "--result", str(result), "--", *command], cwd=cwd,
                   check_codes=range(0, 256))
        if not result.is_file():
            said = proc.stderr.strip() or proc.stdout.strip() or f"exit status {proc.returncode}"
            raise ProvbaseError(
                said.splitlines()[-1].removeprefix("error: ").removeprefix("provbase: "),
                exit_code=proc.returncode)
        with open(result, encoding="utf-8") as f:
            recorded = json.load(f)
    with open(base / recorded["dir"] / "run.json", encoding="utf-8") as f:
        document: Dict[str, Any] = json.load(f)
    return document
