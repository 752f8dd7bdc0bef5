#!/usr/bin/env bash
# Builds provbase's wheel (the binary and the Python package) into OUT with maturin. The
# release workflow runs it in a manylinux_2_28 container, so that the wheel installs on any
# Linux with glibc 2.28 or newer; elsewhere it is tagged for the glibc it was built on.
# With --sdist, the source distribution instead (any platform builds the same one).
# Usage: scripts/release/wheel.sh OUT [--sdist]
set -euo pipefail
out="$(mkdir -p "$1" && cd "$1" && pwd)"
cd "$(dirname "$(readlink -f "$0")")/../.."
python3 -m maturin --version >/dev/null 2>&1 || python3 -m pip install --quiet maturin==1.16.0
if [ "${1:-}" = --sdist ] || [ "${2:-}" = --sdist ]; then
  python3 -m maturin sdist --out "$out"
else
  python3 -m maturin build --release --locked --out "$out"
fi
