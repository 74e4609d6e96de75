#!/usr/bin/env bash
# Fuzzes what Mira reads from others: WebSocket client frames, build output and settings
# files (fuzz/; what each target asserts is in docs/SECURITY.md, "Fuzzing").
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Runs every target (or the ones named) for SECONDS_PER_TARGET seconds, 600 by default
# (the long run); scripts/test.sh runs a short smoke run. Prints the executions of each
# target and whether it crashed, and exits non-zero if one did (the input is kept in
# fuzz/artifacts/TARGET/: replay it with `cargo fuzz run --fuzz-dir fuzz TARGET FILE`).
#
# cargo-fuzz passes -Z flags to rustc (sanitizer, coverage); RUSTC_BOOTSTRAP=1 lets the
# stable toolchain accept them, so no nightly is needed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
seconds="${1:-600}"
shift || true
if ! [[ $seconds =~ ^[0-9]+$ ]] || (( seconds < 1 )); then
  echo "fuzz.sh: SECONDS_PER_TARGET must be a whole number of seconds, got '$seconds'" >&2
  exit 2
fi

# Outside the clone and apart from the main workspace's builds (an instrumented build
# shares nothing with them): the build, and the corpus each run grows.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mira-target}/fuzz"
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
work="$CARGO_TARGET_DIR/corpus"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> cargo install cargo-fuzz"
  cargo install cargo-fuzz --version 0.13.2 --locked
fi

targets=("$@")
if (( ${#targets[@]} == 0 )); then
  mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
fi

# Debug assertions on: an arithmetic overflow is a finding, as it would be a panic in
# Mira's dev builds. AddressSanitizer (cargo-fuzz's default) runs on stable too.
echo "==> cargo fuzz build (AddressSanitizer, debug assertions) into $CARGO_TARGET_DIR"
cargo fuzz build --fuzz-dir fuzz --debug-assertions

failed=()
summary=()
for target in "${targets[@]}"; do
  # New inputs go to the first corpus dir (outside the clone); the committed seeds in
  # fuzz/corpus/TARGET are only read.
  mkdir -p "$work/$target" "fuzz/corpus/$target"
  log="$work/$target.log"
  echo "==> $target for ${seconds}s (log: $log)"
  status=0
  # -timeout: an input that takes 10 s is a hang, reported like a crash.
  cargo fuzz run --fuzz-dir fuzz --debug-assertions "$target" "$work/$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1 || status=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  if (( status == 0 )); then
    line="$target: ${runs:-?} runs in ${seconds}s, no crash"
  else
    failed+=("$target")
    artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)"
    line="$target: CRASH after ${runs:-?} runs (exit $status): ${artifact:-see $log}"
    grep -m1 -A4 -E 'panicked at|ERROR: (AddressSanitizer|libFuzzer)' "$log" || true
  fi
  echo "$line"
  summary+=("$line")
done

echo
echo "==> fuzzing summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if (( ${#failed[@]} )); then
  echo "fuzz.sh: crashes in ${failed[*]}" >&2
  exit 1
fi
