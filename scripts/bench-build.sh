#!/usr/bin/env bash
# Build integration benchmarks: parser throughput on a 50 MB log, and what `mira build`
# adds to a command (start, database, git state, recording) against the bare command,
# both measured in the same run. Needs hyperfine (apt-get install hyperfine).
# Usage: scripts/bench-build.sh [LOG_MB]
set -euo pipefail
repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mb="${1:-50}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mira-target}"
command -v hyperfine >/dev/null || { echo "bench-build.sh: hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; }

echo "== parser throughput (mira-build is optimised in dev builds too, see Cargo.toml)"
cargo run -q --manifest-path "$repo_dir/Cargo.toml" -p mira-build --example parse_throughput -- "$mb"

cargo build -q --manifest-path "$repo_dir/Cargo.toml" -p mira
mira="$CARGO_TARGET_DIR/debug/mira"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
project="$work/project"
mkdir -p "$project/src"
printf 'int main(void) { return 0; }\n' > "$project/src/main.c"
git -C "$project" init -q -b main
git -C "$project" -c user.name=Bench -c user.email=bench@example.org add -A
git -C "$project" -c user.name=Bench -c user.email=bench@example.org commit -q -m start
export MIRA_DATA_DIR="$work/data" MIRA_LOG=warn
(cd "$project" && "$mira" build -- true >/dev/null 2>&1)

echo "== wrapper overhead: a command that does nothing, and one that prints 2,000 lines"
cd "$project"
hyperfine --warmup 3 --runs 30 -N \
  -n "true" "true" \
  -n "mira build -- true" "$mira build -- true"
hyperfine --warmup 2 --runs 15 \
  -n "seq 2000 (bare)" "seq 2000 >/dev/null" \
  -n "mira build -- seq 2000" "$mira build -- seq 2000 >/dev/null 2>&1"
