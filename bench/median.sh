# Sourced by the benchmark scripts, from the repository's root: bench_start NAME RUNS builds the
# release binary ($BIN, unless BIN names another build, such as a commit before a change), makes
# a scratch folder ($WORK, removed on exit), and sets $REPO and $RUNS (the given default unless
# RUNS is set); median CMD prints the median wall-clock seconds of a shell command over $RUNS
# runs after one warm-up (hyperfine where installed; $WORK holds its output); row NAME OURS PEER
# GOAL prints one line of a table: both medians and their ratio against the goal (ROW_WIDTH sets
# the name's column, 44 by default).
bench_start() {
  REPO=$PWD
  RUNS=${RUNS:-$2}
  if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN="$PWD/target/release/provbase"
  fi
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/provbase-$1.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
}

median() {
  if command -v hyperfine >/dev/null; then
    hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$WORK/h.json" "$1" >/dev/null 2>&1
    python3 -c "import json; print(json.load(open('$WORK/h.json'))['results'][0]['median'])"
  else
    python3 - "$1" "$RUNS" <<'PY'
import statistics, subprocess, sys, time
cmd, runs = sys.argv[1], int(sys.argv[2])
subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL)  # warm-up
times = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL)
    times.append(time.perf_counter() - t)
print(statistics.median(times))
PY
  fi
}

row() { # name, provbase command, peer command, goal
  local ours theirs
  ours=$(median "$2")
  theirs=$(median "$3")
  python3 -c "r=$ours/$theirs; print(f'{\"$1\":<${ROW_WIDTH:-44}} {$ours:8.3f} s  {$theirs:8.3f} s  {r:6.2f}x  (goal <= $4x)  {\"ok\" if r <= $4 else \"MISSED\"}')"
}
