#!/usr/bin/env bash
# Regenerates the sample fleet page from the repository's own example pipeline: its check, run
# as two runners over five nights, where runner cpu-2 starts setting OMP_NUM_THREADS on night 3
# (an environment drift the baseline catches). Writes target/sample-fleet/index.html (kept out
# of git) and, where Chromium and playwright-core are installed (as `.ci/run` installs them),
# the screenshot docs/fleet-page.png that the guide shows (docs/guide/fleet.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN="$PWD/target/release/provbase"
OUT=target/sample-fleet
rm -rf "$OUT"
mkdir -p "$OUT/reports"
for night in 1 2 3 4 5; do
  for runner in cpu-1 cpu-2; do
    report="$OUT/reports/$runner-night-$night.json"
    if [ "$runner" = cpu-2 ] && [ "$night" -ge 3 ]; then
      env OMP_NUM_THREADS=8 PROVBASE_RUNNER="$runner" "$BIN" --format json check > "$report" || true
    else
      env -u OMP_NUM_THREADS PROVBASE_RUNNER="$runner" "$BIN" --format json check > "$report" || true
    fi
    # the night it stands for
    python3 - "$report" "$night" <<'PY'
import json, sys
path, night = sys.argv[1], int(sys.argv[2])
report = json.load(open(path))
report["taken"]["time"] = f"2026-11-{night:02}T03:17:00Z"
json.dump(report, open(path, "w"), indent=2)
PY
  done
done
"$BIN" report "$OUT/reports" --html "$OUT/index.html"
module=target/playwright/node_modules/playwright-core
if [ -d "$module" ] && command -v chromium >/dev/null; then
  PLAYWRIGHT_CORE="$PWD/$module" node tests/tools/page_check.cjs "$OUT/index.html" docs/fleet-page.png > /dev/null
  echo "screenshot: docs/fleet-page.png"
fi
