"""Finding and running the `provbase` binary that the wheel installs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any, Optional, Sequence


class ProvbaseError(Exception):
    """provbase could not do what it was asked: a bad harness.toml, a run that does not exist, a
    binary that is missing. The message is provbase's own, naming the file, line or key."""


def binary() -> str:
    """The `provbase` executable: `PROVBASE_BIN`, else the one installed beside this package,
    else the first on PATH."""
    explicit = os.environ.get("PROVBASE_BIN")
    if explicit:
        if not Path(explicit).is_file():
            raise ProvbaseError(f"PROVBASE_BIN={explicit}: no such file")
        return explicit
    name = "provbase.exe" if os.name == "nt" else "provbase"
    beside = Path(sysconfig.get_path("scripts")) / name
    if beside.is_file():
        return str(beside)
    found = shutil.which("provbase")
    if found:
        return found
    raise ProvbaseError(
        "the provbase binary is not installed here: `pip install provbase` (the wheel holds it), "
        "put it on PATH, or set PROVBASE_BIN to its path"
    )


def run(
    args: Sequence[str],
    cwd: Optional[os.PathLike[str] | str] = None,
    check_codes: Sequence[int] = (0,),
) -> subprocess.CompletedProcess[str]:
    """Runs `provbase ARGS`; an exit status outside `check_codes` raises ProvbaseError with what
    provbase said."""
    proc = subprocess.run(
        [binary(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode not in check_codes:
        said = (proc.stderr.strip() or proc.stdout.strip() or f"exit status {proc.returncode}")
        raise ProvbaseError(said.removeprefix("error: "))
    return proc


def run_json(
    args: Sequence[str],
    cwd: Optional[os.PathLike[str] | str] = None,
    check_codes: Sequence[int] = (0,),
) -> Any:
    """Runs `provbase --format json ARGS` and parses what it printed."""
    proc = run(["--format", "json", *args], cwd=cwd, check_codes=check_codes)
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise ProvbaseError(f"provbase printed something that is not JSON: {e}") from None
