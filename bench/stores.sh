#!/usr/bin/env bash
# Measures provbase's object-store reads against the AWS CLI (awscli from PyPI) on the same S3
# server, side by side in one run: moto's server mode on 127.0.0.1, seeded with boto3 (100
# folders of objects, the same number in one folder, one large object). Prints
# each target's ratio (provbase time / CLI time, medians). Usage: bench/stores.sh [OBJECTS]
# (default 100,000; seeding them takes a few minutes), RUNS=N (default 5), BIN=path. Needs
# `pip install "moto[server]" boto3 awscli`.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/median.sh
bench_start stores 5
N=${1:-100000}
cd "$WORK"
PORT=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
python3 -m moto.server -H 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
MOTO=$!
trap 'kill $MOTO 2>/dev/null; rm -rf "$WORK"' EXIT
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT))" 2>/dev/null; do sleep 0.2; done

echo "seeding $N objects in 100 folders, $N in one, and a 256 MiB object ..." >&2
python3 "$REPO/tests/tools/s3.py" "$AWS_ENDPOINT_URL" bucket bench
python3 "$REPO/tests/tools/s3.py" "$AWS_ENDPOINT_URL" put-many bench objs/ "$N" 100
python3 "$REPO/tests/tools/s3.py" "$AWS_ENDPOINT_URL" put-many bench flat/ "$N" 0
head -c 256M /dev/urandom > big.bin
aws s3 cp --quiet big.bin s3://bench/big/big.bin

git init -q . && git -c user.name=b -c user.email=b@b commit -q --allow-empty -m bench
cat > harness.toml <<'T'
[[run]]
name = "list"
hardware = false
static_data = [{ glob = "s3://bench/objs/", timeout = "30m" }]

[[run]]
name = "flat"
hardware = false
static_data = [{ glob = "s3://bench/flat/", timeout = "30m" }]

[[run]]
name = "hash"
hardware = false
static_data = [{ glob = "s3://bench/big/big.bin", sha256 = true, timeout = "30m" }]
T

echo
echo "machine: $(nproc) cores; moto $(python3 -c 'import moto; print(moto.__version__)'), $(aws --version 2>&1 | cut -d' ' -f1)"
printf '%-44s %10s  %10s  %7s\n' target provbase peer ratio
row "list $N objects vs aws s3api list-objects-v2" "$BIN --no-cache collect list" "aws s3api list-objects-v2 --bucket bench --prefix objs/ --output json > /dev/null" 1.5
row "hash a 256 MiB object vs aws s3 cp - | sha256sum" "$BIN --no-cache collect hash" "aws s3 cp --quiet s3://bench/big/big.bin - | sha256sum" 1.2
row "list $N objects in one folder vs the same" "$BIN --no-cache collect flat" "aws s3api list-objects-v2 --bucket bench --prefix flat/ --output json > /dev/null" 1.5
# the check a CI job makes: after a commit (HEAD moved), nothing in the bucket changed
"$BIN" accept list >/dev/null
git -c user.name=b -c user.email=b@b commit -q --allow-empty -m moved
row "check $N objects after HEAD moved vs the listing" "$BIN check list" "aws s3api list-objects-v2 --bucket bench --prefix objs/ --output json > /dev/null" 1.5
if [ -x /usr/bin/time ]; then
  for run in list flat; do
    kb=$(/usr/bin/time -f %M "$BIN" --no-cache collect "$run" 2>&1 >/dev/null | tail -1)
    echo "peak memory, listing $N objects ($run): $((kb / 1024)) MB"
  done
fi
