#!/usr/bin/env bash
# Packs a built provbase binary as a release archive: OUT/provbase-VERSION-TARGET.tar.gz holding
# provbase-VERSION-TARGET/{provbase, README.md, LICENSE-MIT, LICENSE-APACHE} (the layout
# `cargo binstall` is told about in Cargo.toml, and the GitHub Action unpacks).
# Usage: scripts/release/package.sh BINARY TARGET OUT
set -euo pipefail
bin="$(readlink -f "$1")" target="$2"
out="$(mkdir -p "$3" && cd "$3" && pwd)"
root="$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -1)"
name="provbase-$version-$target"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/$name" "$out"
cp "$bin" "$work/$name/provbase"
chmod 755 "$work/$name/provbase"
cp "$root/README.md" "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$work/$name/"
# with GNU tar (gtar on macOS), the same bytes for the same files: sorted names, no owner, the
# commit's time
tar=tar
tar --version 2>/dev/null | grep -q GNU || tar=gtar
if command -v "$tar" >/dev/null; then
  "$tar" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@${SOURCE_DATE_EPOCH:-0}" \
    -C "$work" -cf - "$name" | gzip -n > "$out/$name.tar.gz"
else
  tar -C "$work" -czf "$out/$name.tar.gz" "$name"
fi
echo "$out/$name.tar.gz"
