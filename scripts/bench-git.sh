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
cargo build -q --manifest-path "$repo_dir/Cargo.toml" -p mira-git --examples
mira="$CARGO_TARGET_DIR/debug/mira"
# `mira index` indexes code as well as history; the comparison with git is about history,
# so the git part runs alone through the same library call (examples/index_history.rs).
index_history="$CARGO_TARGET_DIR/debug/examples/index_history"
command -v hyperfine >/dev/null || { echo "bench-git.sh: hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'git -C "$target" checkout -q "$head" 2>/dev/null || true; rm -rf "$work"' EXIT
head="$(git -C "$target" rev-parse HEAD)"
echo "repository: $target at $head, $(git -C "$target" rev-list --count HEAD) commits"

echo "== full history index vs git log --numstat"
hyperfine --warmup 1 --runs 5 \
  -n "git log --numstat -M" "git -C '$target' log --numstat -M --format=%H >/dev/null" \
  -n "mira git index (fresh data dir)" --prepare "rm -rf '$work/full'" \
  "'$index_history' '$work/full' '$target' >/dev/null"
# The machine is shared: load changes between hyperfine's two series. Pairs run back to
# back see the same load; their median ratio is the figure to report.
python3 - "$target" "$index_history" "$work/pairs" "${PAIRS:-7}" <<'PY'
import shutil, statistics, subprocess, sys, time
target, index_history, data, pairs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start
ratios, gits, miras = [], [], []
for i in range(pairs):
    shutil.rmtree(data, ignore_errors=True)
    g = timed(["git", "-C", target, "log", "--numstat", "-M", "--format=%H"])
    shutil.rmtree(data, ignore_errors=True)
    m = timed([index_history, data, target])
    gits.append(g); miras.append(m); ratios.append(m / g)
    print(f"pair {i + 1}: git {g:.3f} s, mira {m:.3f} s, ratio {m / g:.2f}")
print(f"median of {pairs} pairs: git {statistics.median(gits):.3f} s, mira {statistics.median(miras):.3f} s, "
      f"ratio mira/git {statistics.median(ratios):.2f} (below 1: mira is faster)")
PY
"$CARGO_TARGET_DIR/debug/examples/numstat_check" "$work/full" "$target"

echo "== incremental index of 10 new commits"
git -C "$target" checkout -q HEAD~10
"$index_history" "$work/base" "$target" >/dev/null
git -C "$target" checkout -q "$head"
hyperfine --runs 10 --prepare "rm -rf '$work/inc' && cp -r '$work/base' '$work/inc'" \
  -n "mira git index (+10 commits)" "'$index_history' '$work/inc' '$target' >/dev/null"
"$index_history" "$work/inc" "$target" >/dev/null

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
