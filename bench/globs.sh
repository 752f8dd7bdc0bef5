#!/usr/bin/env bash
# Every glob shape against the folder form, side by side, on one dataset of $FILES files of
# 1 KiB in folders of 1,000 (data/dNNN/images/fNNNN.png): re-check (stat cache), first hash
# (no cache) and peak memory; a dataset holding one symbolic link against the same without;
# and `code = ["**/*.rs"]` in a checkout with 5,000 `.rs` files under a `target/` git ignores
# against the same checkout without it. Each ratio's goal is 1.1x.
# Usage: bench/globs.sh [FILES]   (default 100000; RUNS=N sets the repetitions, default 5).
# Called by bench/compare.sh at 100,000 and 300,000 files; BIN=path measures another binary.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/median.sh
FILES=${1:-100000}
bench_start globs 5
ROW_WIDTH=52
cd "$WORK"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@provbase.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@provbase.invalid

peak() { # KiB of the largest resident set of a command
  /usr/bin/time -f %M sh -c "$1" 2>&1 >/dev/null | tail -1
}

echo "generating $FILES files in $WORK ..." >&2
python3 - "$FILES" <<'PY'
import os, sys
n = int(sys.argv[1])
blob = os.urandom(1016)
for p in ("plain", "linked"):
    for d in range(n // 1000):
        os.makedirs(f"{p}/data/d{d:03}/images", exist_ok=True)
        for i in range(1000):
            with open(f"{p}/data/d{d:03}/images/f{i:04}.png", "wb") as f:
                f.write(blob + i.to_bytes(4, "little") + d.to_bytes(4, "little"))
# one symbolic link inside the dataset, to a file inside it
os.remove("linked/data/d000/images/f0000.png")
os.symlink("f0001.png", "linked/data/d000/images/f0000.png")
for name, glob in (("folder", "data"), ("glob", "data/*/images/*.png"), ("deep", "**/*.png"),
                   ("class", "data/d[0-9][0-9][0-9]/images/f*.png")):
    for p in ("plain", "linked"):
        open(f"{p}/{name}.toml", "w").write(
            f'[[run]]\nname = "r"\nhardware = false\nstatic_data = ["{glob}"]\n')
# a checkout: 5,000 .rs files, and (in `ignored/` only) 5,000 more under target/
for p in ("bare", "ignored"):
    for d in range(50):
        os.makedirs(f"{p}/src/m{d:02}", exist_ok=True)
        for i in range(100):
            open(f"{p}/src/m{d:02}/f{i:03}.rs", "w").write(f"// {d} {i}\n")
    open(f"{p}/.gitignore", "w").write("/target/\n")
    open(f"{p}/harness.toml", "w").write(
        '[[run]]\nname = "r"\nhardware = false\ncode = ["**/*.rs"]\n')
for d in range(50):
    os.makedirs(f"ignored/target/debug/b{d:02}", exist_ok=True)
    for i in range(100):
        open(f"ignored/target/debug/b{d:02}/g{i:03}.rs", "w").write(f"// {d} {i}\n")
PY
for p in bare ignored; do
  git -C $p init -q && git -C $p add -A && git -C $p commit -q -m code
done
for p in plain linked; do
  for t in folder glob deep class; do
    (cd $p && "$BIN" --config $t.toml accept >/dev/null)   # fills the stat cache shards
  done
done
sleep 3   # lets the cache's entries settle (racy rule)

echo
echo "$FILES files; machine: $(nproc) cores"
printf '%-52s %10s  %10s  %7s\n' target glob folder ratio
for t in glob deep class; do
  row "re-check by $t vs by folder" "cd plain && $BIN --config $t.toml check" "cd plain && $BIN --config folder.toml check" 1.1
done
for t in glob deep; do
  row "first hash by $t vs by folder" "cd plain && $BIN --no-cache --config $t.toml collect r" "cd plain && $BIN --no-cache --config folder.toml collect r" 1.1
done
row "re-check with one link inside vs without" "cd linked && $BIN --config folder.toml check" "cd plain && $BIN --config folder.toml check" 1.1
row "code **/*.rs with ignored target/ vs without" "cd ignored && $BIN collect r" "cd bare && $BIN collect r" 1.1
if [ -x /usr/bin/time ]; then
  for t in glob deep; do
    g=$(peak "cd plain && $BIN --no-cache --config $t.toml collect r")
    f=$(peak "cd plain && $BIN --no-cache --config folder.toml collect r")
    python3 -c "r=$g/$f; print(f'{\"peak memory, first hash by $t vs by folder\":<52} {$g/1024:6.0f} MB  {$f/1024:6.0f} MB  {r:6.2f}x  (goal <= 1.1x)  {\"ok\" if r <= 1.1 else \"MISSED\"}')"
  done
fi
