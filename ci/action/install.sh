#!/usr/bin/env bash
# Installs provbase in CI: for the GitHub Action (action.yml), which puts it on the job's PATH,
# and, as the release asset provbase-install.sh, for GitLab (ci/gitlab, templates/) and any
# other CI. Prints the folder holding the `provbase` binary on stdout (its version on stderr).
#   PROVBASE_VERSION=0.1.0   the release's archive for this runner, its SHA-256 checked against
#                            the release's SHA256SUMS before it is unpacked;
#   PROVBASE_VERSION=source  this action's own revision, built with cargo;
#   PROVBASE_VERSION=none    nothing (a Rust project's `cargo test --test baselines` builds the
#                            check itself).
# PROVBASE_DOWNLOAD is where releases are (default: provbase's GitHub releases);
# PROVBASE_INSTALL_DIR where it goes (default: $RUNNER_TEMP/provbase, or under $TMPDIR).
set -euo pipefail
version="${PROVBASE_VERSION:?the provbase version to install: 0.1.0, source or none}"
PROVBASE_DOWNLOAD="${PROVBASE_DOWNLOAD:-https://github.com/provbase/provbase/releases/download}"
dest="${PROVBASE_INSTALL_DIR:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/provbase}"
case "$version" in
  none)
    exit 0
    ;;
  source)
    cargo install --locked --quiet --root "$dest" --path "${ACTION_PATH:?}"
    bin="$dest/bin"
    ;;
  *)
    version="${version#v}"
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) target=x86_64-unknown-linux-gnu ;;
      Linux-aarch64 | Linux-arm64) target=aarch64-unknown-linux-gnu ;;
      Darwin-x86_64) target=x86_64-apple-darwin ;;
      Darwin-arm64) target=aarch64-apple-darwin ;;
      *)
        echo "::error title=provbase::no release binary for $(uname -s) $(uname -m): build it with cargo install provbase (the action's version: source)" >&2
        exit 1
        ;;
    esac
    archive="provbase-$version-$target.tar.gz"
    base="${PROVBASE_DOWNLOAD%/}/v$version"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    fetch() { curl --fail --silent --show-error --location --retry 3 --output "$work/$1" "$base/$1"; }
    fetch "$archive"
    fetch SHA256SUMS
    # the archive's line of SHA256SUMS, checked before anything is unpacked
    grep -F "  $archive" "$work/SHA256SUMS" | grep -E "^[0-9a-f]{64}  $archive\$" > "$work/want" || true
    if [ ! -s "$work/want" ]; then
      echo "::error title=provbase::$archive is not listed in the release's SHA256SUMS" >&2
      exit 1
    fi
    if command -v sha256sum >/dev/null; then check=(sha256sum --check --strict --quiet); else check=(shasum -a 256 --check --quiet); fi
    if ! (cd "$work" && "${check[@]}" want); then
      echo "::error title=provbase::$archive does not match its SHA-256 in the release's SHA256SUMS: not installed" >&2
      exit 1
    fi
    mkdir -p "$dest"
    tar -xzf "$work/$archive" -C "$dest"
    bin="$dest/provbase-$version-$target"
    ;;
esac
"$bin/provbase" --version >&2
if [ -n "${GITHUB_PATH:-}" ]; then echo "$bin" >> "$GITHUB_PATH"; fi
echo "$bin"
