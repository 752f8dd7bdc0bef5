#!/usr/bin/env bash
# Measures provbase against its peers side by side, in one run, on data generated in a
# temporary folder, and prints each target's ratio (provbase time / peer time, medians).
# Uses hyperfine where installed, a timing loop otherwise. Takes a few minutes and ~2 GB of
# disk. Usage: bench/compare.sh   (RUNS=N sets the repetitions, default 5; BIN=path measures
# another build). Ends with bench/globs.sh (every glob shape against the folder form) at
# 100,000 and 300,000 files (GLOBS=0 leaves it out), and bench/stores.sh (object stores against
# the AWS CLI; STORES=0 leaves it out).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/median.sh
bench_start bench 5
cd "$WORK"
export PROVBASE_NO_CACHE=0 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@provbase.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@provbase.invalid

echo "generating data in $WORK ..." >&2
head -c 1G /dev/urandom > big.bin
python3 - <<'PY'
import os, random
random.seed(42)
blob = os.urandom(16384)
for d in range(100):
    os.makedirs(f"tree/d{d:03}", exist_ok=True)
    for i in range(1000):
        n = random.randint(1024, 16384)
        with open(f"tree/d{d:03}/f{i:04}.bin", "wb") as f:
            f.write(blob[:n - 8] + i.to_bytes(4, "little") + d.to_bytes(4, "little"))
os.makedirs("cfg", exist_ok=True)
for i in range(5):
    open(f"cfg/config_{i}.yaml", "w").write(f"key: {i}\n" * 50)
PY
cat > big.toml <<'T'
[[run]]
name = "big"
hardware = false
static_data = ["big.bin"]
T
cat > tree.toml <<'T'
[[run]]
name = "tree"
hardware = false
static_data = ["tree"]
T
cat > treeglob.toml <<'T'
[[run]]
name = "tree"
hardware = false
static_data = ["tree/**/*.bin"]
T
# 1,000 runs that each name one small file and share a 300-file code glob (many/), and one such
# run (one/)
python3 - <<'PY'
import os
for d in ("many", "one"):
    os.makedirs(f"{d}/src", exist_ok=True)
    os.makedirs(f"{d}/files", exist_ok=True)
    for i in range(300):
        open(f"{d}/src/m{i:03}.py", "w").write(f"x = {i}\n")
    n = 1000 if d == "many" else 1
    for i in range(n):
        open(f"{d}/files/f{i:04}.txt", "w").write(f"{i}\n")
    with open(f"{d}/harness.toml", "w") as t:
        for i in range(n):
            t.write(f'[[run]]\nname = "r{i}"\nhardware = false\ncode = ["src/**/*.py"]\nstatic_data = ["files/f{i:04}.txt"]\n\n')
PY
"$BIN" --config many/harness.toml accept >/dev/null
"$BIN" --config one/harness.toml accept >/dev/null
mkdir -p repo && cp -r tree/d00{0..4}* repo/ 2>/dev/null || true
python3 - <<'PY'
import os
for d in range(50):
    os.makedirs(f"repo/src{d:02}", exist_ok=True)
    for i in range(1000):
        open(f"repo/src{d:02}/m{i:04}.txt", "w").write(f"{d} {i}\n")
PY
printf '[[run]]\nname = "g"\nhardware = false\n' > repo/harness.toml
git -C repo init -q && git -C repo add -A && git -C repo commit -q -m data
cat big.bin > /dev/null; find tree -type f -print0 | xargs -0 cat > /dev/null
"$BIN" --config tree.toml accept > /dev/null    # fills the stat cache
sleep 3                                        # lets the cache's entries settle (racy rule)
"$BIN" --config tree.toml check > /dev/null

echo
echo "machine: $(nproc) cores, $(python3 -c "import os; print(round(os.sysconf('SC_PAGE_SIZE')*os.sysconf('SC_PHYS_PAGES')/2**30))") GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-44s %10s  %10s  %7s\n' target provbase peer ratio
row "1 GiB file in page cache vs openssl" "$BIN --no-cache --config big.toml collect big" "openssl dgst -sha256 big.bin" 0.9
row "100k files 1-16 KiB, warm, vs find|xargs openssl" "$BIN --no-cache --config tree.toml collect tree" "find tree -type f -print0 | xargs -0 openssl dgst -sha256" 0.5
row "100k files named by a glob vs by their folder" "$BIN --no-cache --config treeglob.toml collect tree" "$BIN --no-cache --config tree.toml collect tree" 1.05
row "re-check unchanged 100k (stat cache) vs find" "$BIN --config tree.toml check" "find tree -type f -printf '%s %T@ %i\n'" 1.0
many=$(median "$BIN --config many/harness.toml check")
one=$(median "$BIN --config one/harness.toml check")
python3 -c "ms=($many-$one)/999*1000; print(f'{\"check of 1,000 runs, per run beyond one\":<44} {ms:8.3f} ms  ({$many:.3f} s against {$one:.3f} s)  (goal <= 0.5 ms)  {\"ok\" if ms <= 0.5 else \"MISSED\"}')"
row "git state, 50k+ files, vs git status" "$BIN --config repo/harness.toml collect g" "git -C repo status --porcelain" 1.2
python3 "$REPO/bench/fleet_reports.py" fleet 10 100 50   # 1,000 reports of 50 runs
row "fold 1,000 reports of 50 runs vs parsing them" "$BIN report fleet --html fleet.html" "python3 -c 'import glob, json; [json.load(open(f)) for f in glob.glob(\"fleet/*/*.json\")]'" 3
echo "fleet page of 1,000 reports: $(( $(stat -c %s fleet.html) / 1024 )) KiB (goal <= 2048 KiB)"
if [ -x /usr/bin/time ]; then
  kb=$(/usr/bin/time -f %M "$BIN" --no-cache --config tree.toml collect tree 2>&1 >/dev/null | tail -1)
  echo "peak memory, hashing 100k files: $((kb / 1024)) MB (goal <= 100 MB)"
  kb=$(/usr/bin/time -f %M "$BIN" --no-cache --config big.toml collect big 2>&1 >/dev/null | tail -1)
  echo "peak memory, hashing a 1 GiB file: $((kb / 1024)) MB (flat: independent of the file's size)"
fi

# DVC, the tool such teams use today, as a peer: DVC=1 bench/compare.sh installs it into a
# virtual environment the script makes (a `dvc` on PATH is used as it is). The tree is the same
# files, hard-linked into a git + DVC repository; DVC keeps its hash state under the repository,
# cleared before each first hash.
if [ "${DVC:-0}" = 1 ]; then
  if command -v dvc >/dev/null; then
    DVC_BIN=$(command -v dvc)
  else
    python3 -m venv "$WORK/dvcenv"
    "$WORK/dvcenv/bin/pip" install --quiet dvc==3.67.1
    DVC_BIN="$WORK/dvcenv/bin/dvc"
  fi
  mkdir -p dvcrepo && cp -al tree dvcrepo/tree && cp -al big.bin dvcrepo/big.bin
  (cd dvcrepo && git init -q && "$DVC_BIN" init -q && "$DVC_BIN" config core.site_cache_dir "$WORK/dvcsite" \
    && "$DVC_BIN" config cache.type hardlink && "$DVC_BIN" config core.analytics false)
  printf '[[run]]\nname = "tree"\nhardware = false\nstatic_data = ["tree"]\n\n[[run]]\nname = "big"\nhardware = false\nstatic_data = ["big.bin"]\n' > dvcrepo/harness.toml
  echo "DVC $("$DVC_BIN" version 2>/dev/null | head -1 | awk '{print $3}') as the peer:"
  row "first hash of 100k files vs dvc add --no-commit" "$BIN --no-cache --config dvcrepo/harness.toml collect tree" "cd dvcrepo && rm -rf $WORK/dvcsite .dvc/tmp && $DVC_BIN add -q --no-commit tree" 1
  row "first hash of a 1 GiB file vs dvc add --no-commit" "$BIN --no-cache --config dvcrepo/harness.toml collect big" "cd dvcrepo && rm -rf $WORK/dvcsite .dvc/tmp && $DVC_BIN add -q --no-commit big.bin" 1
  (cd dvcrepo && "$DVC_BIN" add -q tree big.bin && "$BIN" accept >/dev/null)
  sleep 3   # lets the stat cache's entries settle (racy rule)
  row "re-check unchanged 100k vs dvc status" "cd dvcrepo && $BIN check" "cd dvcrepo && $DVC_BIN status -q tree.dvc" 1
  echo "changed" >> dvcrepo/tree/d050/f0500.bin
  row "re-check after one file changed vs dvc status" "cd dvcrepo && { $BIN check || true; }" "cd dvcrepo && { $DVC_BIN status -q tree.dvc || true; }" 1
fi

# object stores against the AWS CLI on moto's S3 server (bench/stores.sh), where both are
# installed; STORES=0 leaves it out, STORES_N sets the objects (default 100,000)
if [ "${STORES:-1}" = 1 ] && command -v aws >/dev/null && python3 -c "import moto.server, boto3" 2>/dev/null; then
  BIN="$BIN" RUNS="$RUNS" bash "$REPO/bench/stores.sh" "${STORES_N:-100000}" | tail -n +2
fi

if [ "${GLOBS:-1}" = 1 ]; then
  for n in 100000 300000; do
    BIN="$BIN" RUNS="$RUNS" bash "$REPO/bench/globs.sh" "$n" | tail -n +2
  done
fi
