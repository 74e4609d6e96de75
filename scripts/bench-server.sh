#!/usr/bin/env bash
# Measures the foundation: time from `mira serve` to a ready server on a fresh data dir,
# and request throughput/latency of a probe, an authenticated API call and a directory
# listing, with wrk over loopback. Needs wrk (apt-get install wrk).
# Usage: scripts/bench-server.sh [PROJECT_DIR]   (default: this repository)
# MIRA_BIN=PATH measures that binary instead of building one (to compare two builds).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="${1:-$repo}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mira-target}"
if [[ -n "${MIRA_BIN:-}" ]]; then
  bin="$MIRA_BIN"
else
  cargo build -q --manifest-path "$repo/Cargo.toml" -p mira
  bin="$CARGO_TARGET_DIR/debug/mira"
fi
command -v wrk >/dev/null || { echo "bench-server.sh: wrk is needed (apt-get install wrk)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

start_server() {
  MIRA_DATA_DIR="$1" MIRA_PORT=0 RATE_LIMIT_ENABLED=false MIRA_LOG=warn \
    "$bin" serve --project "$project" >"$work/out" 2>"$work/err" &
  pid=$!
}

wait_url() {
  for _ in $(seq 1 600); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*/#token=[^ ]*' "$work/out" 2>/dev/null || true)
    [[ -n "$url" ]] && return 0
    sleep 0.01
  done
  echo "server did not start: $(cat "$work/err")" >&2
  exit 1
}

echo "== start to ready (fresh data dir: creates the database and three vector collections)"
for i in 1 2 3 4 5; do
  t0=$(date +%s%N)
  start_server "$work/data-$i"
  wait_url
  base="${url%%/#token=*}"
  until curl -sf "$base/ready" >/dev/null; do sleep 0.005; done
  t1=$(date +%s%N)
  echo "run $i: $(( (t1 - t0) / 1000000 )) ms"
  kill -TERM "$pid"; wait "$pid" || true
done

start_server "$work/data-bench"
wait_url
base="${url%%/#token=*}"
token="${url##*#token=}"
until curl -sf "$base/ready" >/dev/null; do sleep 0.01; done
id=$(curl -sf -H "Authorization: Bearer $token" "$base/api/projects" | python3 -c 'import json,sys; print(json.load(sys.stdin)["projects"][0]["id"])')

for path in "/health" "/api/projects" "/api/projects/$id/tree" "/api/projects/$id/file?path=README.md"; do
  echo "== wrk $path (2 threads, 16 connections, 10 s)"
  wrk -t2 -c16 -d10s --latency -H "Authorization: Bearer $token" "$base$path" | grep -E 'Requests/sec|50%|99%|Non-2xx'
done
