#!/usr/bin/env bash
# Runs every test: Rust formatting, lints and tests; the web UI's lint, type check, unit
# tests and build; and the browser test against the real server.
# The browser test needs Chromium at /usr/bin/chromium; on Debian/Ubuntu, as root, this
# script installs it (apt-get install chromium) when it is missing.
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
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "Installing Chromium from the distribution's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q chromium
  else
    echo "test.sh: /usr/bin/chromium is missing: install it (sudo apt-get install -y chromium) and run again" >&2
    exit 1
  fi
fi
MIRA_BIN="$CARGO_TARGET_DIR/debug/mira" npm --prefix frontend run test:e2e

echo
echo "All tests passed."
