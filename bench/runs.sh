#!/usr/bin/env bash
# How a check grows with the number of runs once their baselines are committed and HEAD has
# moved one commit (each run then asks whether the move touched it): projects of 1,000, 2,000
# and 10,000 runs sharing a code glob, medians of RUNS (default 3), and each size's time as a
# multiple of the 1,000-run time. Goal: 10,000 runs under 10× the time of 1,000.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/median.sh
bench_start runs 3
echo "| runs | check after a commit | × the 1,000-run time |"
echo "|---|---|---|"
base=""
for n in 1000 2000 10000; do
  d="$WORK/p$n"
  mkdir -p "$d/src"
  (
    cd "$d"
    git init -q -b main
    git config user.email bench@provbase.invalid
    git config user.name bench
    echo "print(1)" > src/a.py
    for i in $(seq 1 "$n"); do
      printf '[[run]]\nname = "r%05d"\nhardware = false\ncode = ["src/**"]\nparams = { i = %d }\n\n' "$i" "$i"
    done > harness.toml
    git add -A && git commit -qm pipeline
    "$BIN" accept >/dev/null
    git add -A && git commit -qm baselines
    echo notes > README.md && git add -A && git commit -qm "an unrelated commit"
  )
  t=$(median "cd $d && $BIN check")
  [ -z "$base" ] && base=$t
  python3 -c "print(f'| {$n:,} | {$t:.2f} s | {$t / $base:.1f}× |')"
done
