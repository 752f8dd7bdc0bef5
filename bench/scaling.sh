#!/usr/bin/env bash
# How provbase's cost grows with a dataset: for trees of 10,000, 100,000 and 300,000 files of
# 1 KiB in folders of 1,000 (and 1,000,000 with BIG=1, which needs ~5 GB of disk), the size of
# the baseline accept writes, the peak memory of check, and a re-check with a warm stat cache
# against a stat pass (`find -printf`), medians of RUNS (default 3). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/median.sh
bench_start scaling 3
cd "$WORK"
sizes="10000 100000 300000"
[ "${BIG:-0}" = 1 ] && sizes="$sizes 1000000"
echo "| files | baseline written by accept | peak memory of check | re-check (warm cache) | stat pass | ratio |"
echo "|---|---|---|---|---|---|"
for n in $sizes; do
  d="t$n"
  python3 - "$d" "$n" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
blob = os.urandom(1024 - 8)
for i in range(n):
    folder = f"{root}/data/d{i // 1000:04}"
    if i % 1000 == 0:
        os.makedirs(folder, exist_ok=True)
    with open(f"{folder}/f{i % 1000:04}.bin", "wb") as f:
        f.write(blob + i.to_bytes(8, "little"))
PY
  printf '[[run]]\nname = "data"\nhardware = false\nstatic_data = ["data"]\n' > "$d/harness.toml"
  (cd "$d" && "$BIN" accept >/dev/null)
  sleep 3   # lets the stat cache's entries settle (racy rule)
  (cd "$d" && "$BIN" check >/dev/null)
  size=$(stat -c %s "$d/baselines/data.json")
  kb=$( (cd "$d" && /usr/bin/time -f %M "$BIN" check 2>&1 >/dev/null) | tail -1)
  ours=$(median "cd $d && $BIN check")
  theirs=$(median "find $d/data -type f -printf '%s %T@ %i\n'")
  python3 -c "print(f'| {$n:,} | {$size/1e3:.0f} KB | {$kb/1024:.0f} MB | {$ours:.2f} s | {$theirs:.2f} s | {$ours/$theirs:.1f}× |')"
  rm -rf "$d"
done
