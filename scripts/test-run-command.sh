#!/usr/bin/env bash
# Tests the README's run command as a newcomer runs it: scripts/run.sh in a project
# directory builds what it needs, links `mira` onto the PATH, starts the server and prints
# the URL. Run by test.sh after the Rust build (so the build step is quick); the server
# gets a private data dir and a free port, and is stopped at the end.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mira-target}"
work="$(mktemp -d)"
server=""
cleanup() {
  if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/project" "$work/bin"
printf 'def hello():\n    return 1\n' > "$work/project/app.py"
out="$work/run.out"
(
  cd "$work/project"
  MIRA_BIN_DIR="$work/bin" MIRA_DATA_DIR="$work/data" MIRA_PORT=0 \
    MIRA_MODELS_DIR="${MIRA_TEST_MODELS_DIR:-$HOME/.cache/mira-models}" \
    exec "$repo/scripts/run.sh" --host 127.0.0.1
) >"$out" 2>&1 &
server=$!

fail() { echo "test-run-command: $*" >&2; echo "--- run.sh output ---" >&2; cat "$out" >&2; exit 1; }
for _ in $(seq 1 600); do
  grep -q '^Open http://127.0.0.1:[0-9]*/#token=' "$out" && break
  kill -0 "$server" 2>/dev/null || fail "run.sh stopped before printing the URL"
  sleep 1
done
grep -q '^Open http://127.0.0.1:[0-9]*/#token=' "$out" || fail "no URL within 10 minutes"
grep -qF "mira is at $work/bin/mira" "$out" || fail "the output does not name the mira it put on the PATH"
grep -qF "$work/bin is not on your PATH" "$out" || fail "the output does not say the link dir is missing from PATH"
version="$(PATH="$work/bin:$PATH" mira --version)" || fail "the linked mira does not run"
[[ "$version" == mira* ]] || fail "unexpected version line: $version"
url="$(grep -o 'http://127.0.0.1:[0-9]*' "$out" | head -1)"
status="$(curl -s -o /dev/null -w '%{http_code}' "$url/health")"
[[ "$status" == 200 ]] || fail "the printed server does not answer /health ($status)"
echo "test-run-command: ok ($version, $url, mira linked in the bin dir)"
