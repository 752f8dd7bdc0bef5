#!/usr/bin/env bash
# `pytest --provbase` against `provbase check` on one project of 400 runs (each with a 300-file
# code glob, python3 and pip-freeze runtimes, a static-data glob), medians of RUNS (default 3).
# Needs a virtual environment with the wheel and pytest installed: VENV (default
# target/pyvenv, which .ci/run makes). Goal: within 1.5× of provbase check.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/median.sh
bench_start pytest 3
VENV=${VENV:-$PWD/target/pyvenv}
cd "$WORK"
mkdir -p src cfg
echo "a: 1" > cfg/a.yaml
for i in $(seq 1 300); do echo "x = $i" > "src/m$i.py"; done
for i in $(seq 1 400); do
  printf '[[run]]\nname = "r%03d"\ncode = ["src/**"]\nruntime = ["python3", "pip-freeze"]\nstatic_data = ["cfg/*.yaml"]\nparams = { i = %d }\n\n' "$i" "$i"
done > harness.toml
PATH="$VENV/bin:$PATH" "$BIN" accept >/dev/null
export PROVBASE_BIN="$BIN"
ours=$(median "cd $WORK && PATH=$VENV/bin:\$PATH $VENV/bin/python -m pytest -q -p no:cacheprovider --provbase harness.toml")
peer=$(median "cd $WORK && PATH=$VENV/bin:\$PATH $BIN check")
python3 -c "print(f'| 400 runs | pytest --provbase {$ours:.2f} s | provbase check {$peer:.2f} s | {$ours / $peer:.2f}× (goal ≤ 1.5×) |')"
