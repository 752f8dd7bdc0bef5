#!/usr/bin/env bash
# Builds the provbase binary for TARGET on a machine of that platform (the release workflow
# runs each target on its own runner), then packs it with package.sh into OUT.
# Usage: scripts/release/binary.sh TARGET OUT
set -euo pipefail
target="$1"
out="$(mkdir -p "$2" && cd "$2" && pwd)"
cd "$(dirname "$(readlink -f "$0")")/../.."
host="$(rustc -vV | sed -n 's/^host: //p')"
if [ "$target" = "$host" ]; then
  cargo build --release --locked --bin provbase
  bin=target/release/provbase
else
  rustup target add "$target"
  cargo build --release --locked --bin provbase --target "$target"
  bin="target/$target/release/provbase"
fi
scripts/release/package.sh "$bin" "$target" "$out"
