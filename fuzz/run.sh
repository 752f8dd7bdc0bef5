#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600) on the nightly toolchain, two at a
# time, keeping each target's corpus under fuzz/corpus/. A crash is left in
# fuzz/artifacts/<target>/ and ends the script with its exit status; add it to the parser's
# unit tests as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${SECONDS_EACH:-600}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=(metakernel nvidia_smi rocm_smi harness_toml baseline canonical_json tree_object report_fold check_explain)
seed() {
  local t="$1" dir="fuzz/corpus/$1"
  mkdir -p "$dir"
  case "$t" in
    metakernel) find tests/fixtures/spice examples -name "*.tm" -exec cp {} "$dir" \; ;;
    nvidia_smi) find tests/fixtures -name '*.xml' -exec cp {} "$dir" \; ;;
    rocm_smi) find tests/fixtures/amd -type f -exec cp {} "$dir" \; ;;
    harness_toml) cp harness.toml "$dir" ;;
    baseline) cp baselines/*.json "$dir" ;;
    canonical_json) find tests/fixtures/jcs -name '*.json' -exec cp {} "$dir" \; ;;
    tree_object) cp tests/fixtures/formats/v2/docs/trees/* "$dir" ;;
    report_fold) cp tests/fixtures/formats/v1/docs/report.json "$dir" ;;
    check_explain) cp baselines/*.json tests/fixtures/formats/v1/docs/baselines/*.json "$dir" ;;
  esac
}
for t in "${targets[@]}"; do seed "$t"; done
cargo +nightly fuzz build
status=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  pids=()
  for t in "${targets[@]:i:2}"; do
    cargo +nightly fuzz run "$t" "fuzz/corpus/$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 \
      >"fuzz/$t.log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || status=$?; done
done
for t in "${targets[@]}"; do
  echo "$t: $(grep -Eo '#[0-9]+ *DONE.*' "fuzz/$t.log" | tail -1 || echo 'see fuzz/'"$t"'.log')"
done
exit "$status"
