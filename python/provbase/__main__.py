"""`python -m provbase ARGS` runs the `provbase` command with ARGS: the same options, output and
exit status, for environments where the wheel's scripts folder is not on PATH."""

from __future__ import annotations

import os
import subprocess
import sys

from ._bin import ProvbaseError, binary


def main() -> int:
    try:
        exe = binary()
    except ProvbaseError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if os.name != "nt":
        # the command itself, in this process: signals, terminals and exit status as it has them
        os.execv(exe, [exe, *sys.argv[1:]])
    return subprocess.call([exe, *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
