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
    binary that is missing. The message is provbase's own, naming the file, line or key.

    `exit_code` is the binary's exit status (None when it never ran), and `kind` what that
    status means, as the binary's man pages say it: "usage" (2: a usage or configuration
    error), "failed" (1: a run could not be collected or checked), "not-found" (127) and
    "cannot-run" (126) for a recorded command, "binary" when the binary itself could not run,
    "timeout" when it did not finish."""

    KINDS = {1: "failed", 2: "usage", 126: "cannot-run", 127: "not-found"}

    def __init__(self, message: str, exit_code: Optional[int] = None,
                 kind: Optional[str] = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.kind = kind or self.KINDS.get(exit_code if exit_code is not None else -1, "binary")


def binary() -> str:
    """The `provbase` executable: `PROVBASE_BIN`, else the one installed beside this package,
    else the first on PATH."""
    explicit = os.environ.get("PROVBASE_BIN")
    if explicit:
        # absolute now: provbase runs in harness.toml's folder, where a relative path would
        # name another file
        path = Path(explicit).expanduser().resolve()
        if not path.is_file():
            raise ProvbaseError(f"PROVBASE_BIN={explicit}: no such file ({path})")
        if not os.access(path, os.X_OK):
            raise ProvbaseError(f"PROVBASE_BIN={explicit}: not executable ({path})")
        return str(path)
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


def timeout() -> Optional[float]:
    """How long one provbase command may take, in seconds: `PROVBASE_PYTHON_TIMEOUT` (`0` or
    `none`: no limit), else 6 hours (a run's own commands have their own deadlines within
    provbase; this one catches a binary that hangs)."""
    given = os.environ.get("PROVBASE_PYTHON_TIMEOUT", "").strip().lower()
    if given in ("0", "none"):
        return None
    if not given:
        return 6 * 3600.0
    try:
        value = float(given)
    except ValueError:
        raise ProvbaseError(
            f"PROVBASE_PYTHON_TIMEOUT={given!r}: expected a number of seconds, or 0 for none"
        ) from None
    return value if value > 0 else None


def run(
    args: Sequence[str],
    cwd: Optional[os.PathLike[str] | str] = None,
    check_codes: Sequence[int] = (0,),
) -> subprocess.CompletedProcess[str]:
    """Runs `provbase ARGS`; an exit status outside `check_codes`, a binary that cannot start
    and one that outlives `timeout()` raise ProvbaseError with what went wrong."""
    exe = binary()
    limit = timeout()
    try:
        proc = subprocess.run(
            [exe, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=limit,
        )
    except subprocess.TimeoutExpired:
        raise ProvbaseError(
            f"`provbase {' '.join(args)}` did not finish within {limit:g} s "
            "(PROVBASE_PYTHON_TIMEOUT sets the limit)", kind="timeout"
        ) from None
    except OSError as e:
        raise ProvbaseError(f"{exe}: cannot start: {e.strerror or e}") from None
    if proc.returncode not in check_codes:
        said = (proc.stderr.strip() or proc.stdout.strip() or f"exit status {proc.returncode}")
        raise ProvbaseError(said.removeprefix("error: "), exit_code=proc.returncode)
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
