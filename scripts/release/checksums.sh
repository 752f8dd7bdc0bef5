#!/usr/bin/env bash
# Writes DIR/SHA256SUMS for every file in DIR (in `sha256sum` format, names sorted), then
# checks it back. Usage: scripts/release/checksums.sh DIR
set -euo pipefail
cd "$1"
rm -f SHA256SUMS
sums="$(mktemp)"
find . -maxdepth 1 -type f -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum > "$sums"
mv "$sums" SHA256SUMS
chmod 644 SHA256SUMS
sha256sum --check --strict --quiet SHA256SUMS
cat SHA256SUMS
