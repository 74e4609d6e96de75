#!/usr/bin/env bash
# Git intelligence against git itself, on a real repository (default: a clone of tokio
# you provide; keep such clones out of this repository). Needs hyperfine and python3.
# Usage: scripts/bench-git.sh REPO_WORKTREE [FILE_OF_ABOUT_1500_LINES]
set -euo pipefail
repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:?usage: bench-git.sh REPO_WORKTREE [FILE]}"
target="$(cd "$target" && pwd)"
file="${2:-}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mira-target}"
cargo build -q --manifest-path "$repo_dir/Cargo.toml" -p mira
cargo build -q --manifest-path "$repo_dir/Cargo.toml" -p mira-git --example query_latency
mira="$CARGO_TARGET_DIR/debug/mira"
command -v hyperfine >/dev/null || { echo "bench-git.sh: hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'git -C "$target" checkout -q "$head" 2>/dev/null || true; rm -rf "$work"' EXIT
head="$(git -C "$target" rev-parse HEAD)"
echo "repository: $target at $head, $(git -C "$target" rev-list --count HEAD) commits"

echo "== full history index vs git log --numstat"
hyperfine --warmup 1 --runs 5 \
  -n "git log --numstat -M" "git -C '$target' log --numstat -M --format=%H >/dev/null" \
  -n "mira index (fresh data dir)" --prepare "rm -rf '$work/full'" \
  "MIRA_DATA_DIR='$work/full' MIRA_LOG=warn '$mira' index '$target' >/dev/null"

echo "== incremental index of 10 new commits"
git -C "$target" checkout -q HEAD~10
MIRA_DATA_DIR="$work/base" MIRA_LOG=warn "$mira" index "$target" >/dev/null
git -C "$target" checkout -q "$head"
hyperfine --runs 10 --prepare "rm -rf '$work/inc' && cp -r '$work/base' '$work/inc'" \
  -n "mira index (+10 commits)" "MIRA_DATA_DIR='$work/inc' MIRA_LOG=warn '$mira' index '$target' >/dev/null"
MIRA_DATA_DIR="$work/inc" MIRA_LOG=warn "$mira" index "$target" >/dev/null

if [[ -z "$file" ]]; then
  file="$(cd "$target" && git ls-files '*.rs' '*.py' '*.go' '*.ts' | xargs wc -l 2>/dev/null | awk '$1>=1400 && $1<=1700 {print $2; exit}' || true)"
fi
echo "== blame of $file ($(wc -l < "$target/$file") lines)"
cd "$target"
# One --prepare per command: only the uncached run clears the cache.
hyperfine --warmup 1 --runs 10 \
  -n "git blame --porcelain" --prepare true "git blame --porcelain -- '$file' >/dev/null" \
  -n "mira blame (uncached)" --prepare "python3 -c \"import sqlite3; c=sqlite3.connect('$work/inc/mira.db'); c.execute('DELETE FROM blame_files'); c.commit()\"" \
  "MIRA_DATA_DIR='$work/inc' MIRA_LOG=warn '$mira' blame '$file' --json >/dev/null" \
  -n "mira blame (cached)" --prepare true "MIRA_DATA_DIR='$work/inc' MIRA_LOG=warn '$mira' blame '$file' --json >/dev/null"
diff <(git blame --porcelain -- "$file" | grep -E '^[0-9a-f]{40} ' | cut -d' ' -f1,3) \
     <(MIRA_DATA_DIR="$work/inc" "$mira" blame "$file" --json | python3 -c 'import json,sys; [print(l["commit"], l["line"]) for l in json.load(sys.stdin)["lines"]]') \
  && echo "blame attribution: identical to git blame"

echo "== query latency (in process)"
"$CARGO_TARGET_DIR/debug/examples/query_latency" "$work/inc" "$target"
