#!/usr/bin/env bash
# Runs every test: Rust formatting, lints and tests; the web UI's lint, type check, unit
# tests and build; and the browser test against the real server.
# Needs Chromium at /usr/bin/chromium for the browser test (.ci/run installs it:
# `apt-get install -y chromium`).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mira-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { echo; echo "==> $*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked

step "frontend: npm ci"
npm --prefix frontend ci --no-audit --no-fund

step "frontend: lint, type check, unit tests, build"
npm --prefix frontend run lint
npm --prefix frontend run typecheck
npm --prefix frontend test
npm --prefix frontend run build

step "browser test (Chromium driving the real server)"
if [[ ! -x /usr/bin/chromium ]]; then
  echo "test.sh: /usr/bin/chromium is missing: install it with 'apt-get install -y chromium'" >&2
  exit 1
fi
MIRA_BIN="$CARGO_TARGET_DIR/debug/mira" npm --prefix frontend run test:e2e

echo
echo "All tests passed."
