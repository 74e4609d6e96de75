#!/usr/bin/env bash
# Builds what Mira needs (the web UI and the `mira` binary) and runs it on its embedded
# defaults for the directory you run this from (or the directory given as $1).
# Extra arguments after the directory go to `mira serve` (--host IP, --port N,
# --project PATH, --config FILE). It links `mira` into MIRA_BIN_DIR (default ~/.local/bin)
# so the commands of the README work as written.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="$(pwd)"
if [[ $# -gt 0 && -d "$1" ]]; then
  project="$(cd "$1" && pwd)"
  shift
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mira-target}"

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "run.sh: '$1' is needed: $2" >&2; exit 1; }
}
need cargo "install Rust from https://rustup.rs"
need npm "install Node.js 20 or newer"

echo "==> Building the web UI (frontend/dist)"
if [[ ! -d "$repo/frontend/node_modules" || "$repo/frontend/package-lock.json" -nt "$repo/frontend/node_modules/.package-lock.json" ]]; then
  npm --prefix "$repo/frontend" ci --no-audit --no-fund
fi
npm --prefix "$repo/frontend" run build --silent

echo "==> Building mira (first build takes several minutes)"
cargo build --manifest-path "$repo/Cargo.toml" -p mira

echo "==> Preparing the local models (downloaded once; Mira also runs without them)"
if ! "$CARGO_TARGET_DIR/debug/mira" models pull --all; then
  echo "run.sh: the local models could not be fetched; chat needs a provider key and search uses keywords until \`mira models pull --all\` succeeds" >&2
fi

bin_dir="${MIRA_BIN_DIR:-$HOME/.local/bin}"
mkdir -p "$bin_dir"
ln -sfn "$CARGO_TARGET_DIR/debug/mira" "$bin_dir/mira"
echo "==> mira is at $bin_dir/mira (a link to the build)"
case ":$PATH:" in
  *":$bin_dir:"*) ;;
  *) echo "    $bin_dir is not on your PATH: add it, e.g. echo 'export PATH=\"$bin_dir:\$PATH\"' >> ~/.bashrc" ;;
esac

export MIRA_UI_DIR="${MIRA_UI_DIR:-$repo/frontend/dist}"
echo "==> Starting Mira for $project"
cd "$project"
exec "$CARGO_TARGET_DIR/debug/mira" serve --project "$project" "$@"
