#!/usr/bin/env bash
# Search latency through the server, to compare two builds on one index: starts BIN on a
# copy of DATA_DIR (so a newer binary's migrations never touch it), warms each mode once,
# then runs wrk for 15 s per mode (keyword, hybrid, dense) with six rotating queries.
# Needs wrk. The index: `MIRA_DATA_DIR=DATA_DIR mira index PROJECT` with the local models
# (MIRA_MODELS_DIR is passed on to the server).
# Usage: scripts/bench-search-server.sh BIN DATA_DIR PROJECT [PROJECT_ID]
set -euo pipefail
bin=$1 data=$2 project=$3 id=${4:-1}
command -v wrk >/dev/null || { echo "bench-search-server.sh: wrk is needed (apt-get install wrk)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r "$data" "$work/data"
cat > "$work/rotate.lua" <<'LUA'
local queries = {"spawn a blocking task", "read_buf", "channel closed error",
  "Semaphore acquire permit", "timer wheel expiration", "poll_read TcpStream"}
local i = 0
request = function()
  i = i + 1
  local q = queries[(i % #queries) + 1]:gsub(" ", "%%20")
  return wrk.format("GET", "/api/projects/" .. os.getenv("PROJECT_ID") .. "/search?q=" .. q ..
    "&mode=" .. os.getenv("MODE") .. "&limit=10", {["Authorization"] = "Bearer " .. os.getenv("TOKEN")})
end
LUA
MIRA_DATA_DIR="$work/data" MIRA_PORT=0 RATE_LIMIT_ENABLED=false MIRA_LOG=warn \
  "$bin" serve --project "$project" >"$work/out" 2>"$work/err" &
pid=$!
url=""
for _ in $(seq 1 600); do
  url=$(grep -o 'http://127.0.0.1:[0-9]*/#token=[^ ]*' "$work/out" 2>/dev/null || true)
  [[ -n "$url" ]] && break
  sleep 0.05
done
[[ -n "$url" ]] || { echo "server did not start: $(cat "$work/err")" >&2; exit 1; }
base="${url%%/#token=*}" token="${url##*#token=}"
until curl -sf "$base/ready" >/dev/null; do sleep 0.05; done
for mode in keyword hybrid dense; do
  curl -sf -H "Authorization: Bearer $token" "$base/api/projects/$id/search?q=warm%20up&mode=$mode" >/dev/null ||
    { echo "$mode search failed: set MIRA_MODELS_DIR to the models the index was built with" >&2; exit 1; }
done
for mode in keyword hybrid dense; do
  echo "== $mode"
  TOKEN=$token MODE=$mode PROJECT_ID=$id wrk -t1 -c1 -d15s --latency -s "$work/rotate.lua" "$base" |
    grep -E "50%|90%|99%|Requests/sec|Non-2xx"
done
