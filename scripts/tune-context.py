#!/usr/bin/env python3
"""Re-fuses the context oracle's per-source file lists offline, to see what weights do.

`scripts/bench-context.py ... --context-args "--explain"` stores, per bug report, each
source's own file list (`ballots`) beside the truth. This script fuses them again the
way `crates/mira-oracle/src/rank.rs` does (weighted reciprocal rank fusion, test files
scaled down) with other weights, and can add another system's list of the same run as
one more ballot (for example `bm25-src`, to see what a whole-file BM25 source would
add before writing it). It reports top-1, top-5 and MRR for the weights given, and
with `--search` a coordinate search over the weights, scored on half of the reports
and reported on the other half too, so a gain that only fits the data shows as such.

The second round of the oracle (call graph, co-change, experts) depends on the first
round's best files; here its lists are kept as they were, so the figures are an
estimate, to be confirmed by a run of bench-context.py with the weights in rank.rs.

    python3 scripts/tune-context.py RESULTS.jsonl [RESULTS2.jsonl ...] \\
        [--weights search=1.4,symbol=2.5] [--k 5] [--tests 0.35] \\
        [--extra bm25-src=1.5] [--search]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

# The weights in crates/mira-oracle (sources/*.rs), as of this script.
DEFAULT_WEIGHTS = {
    "trace": 4.0,
    "words": 1.4,
    "path": 3.0,
    "symbol": 2.5,
    "open": 1.5,
    "search": 1.4,
    "module": 1.2,
    "semantic": 1.0,
    "fixes": 1.0,
    "impact": 1.0,
    "errors": 0.7,
    "cochange": 0.6,
    "callgraph": 0.5,
    "changes": 0.4,
}

TEST_RE = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*\.py$|_test\.py$|(^|/)conftest\.py$")


def is_test(path: str) -> bool:
    return bool(TEST_RE.search(path))


def load(paths: list[Path]) -> list[dict]:
    rows = []
    for p in paths:
        for line in p.read_text().splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            ctx = r.get("systems", {}).get("context", {})
            if ctx.get("ballots") is None:
                continue
            rows.append(r)
    return rows


def fuse(row: dict, weights: dict, k: float, tests: float, extra: dict) -> list[str]:
    scores: dict[str, float] = {}
    ballots = [(b["source"], b["files"]) for b in row["systems"]["context"]["ballots"]]
    for system in extra:
        ballots.append((system, row["systems"].get(system, {}).get("files", [])))
    for source, files in ballots:
        w = extra.get(source, weights.get(source, DEFAULT_WEIGHTS.get(source, 1.0)))
        for rank, f in enumerate(files):
            scores[f] = scores.get(f, 0.0) + w / (k + rank + 1.0)
    for f in scores:
        if is_test(f):
            scores[f] *= tests
    return [f for f, _ in sorted(scores.items(), key=lambda x: (-x[1], x[0]))]


def measure(rows: list[dict], weights: dict, k: float, tests: float, extra: dict) -> tuple[float, float, float]:
    top1 = top5 = mrr = 0.0
    for r in rows:
        files = fuse(r, weights, k, tests, extra)
        truth = set(r["truth"])
        rank = next((i + 1 for i, f in enumerate(files[:50]) if f in truth), None)
        if rank == 1:
            top1 += 1
        if rank and rank <= 5:
            top5 += 1
        if rank:
            mrr += 1.0 / rank
    n = max(len(rows), 1)
    return top1 / n, top5 / n, mrr / n


def parse_map(text: str) -> dict:
    out = {}
    for part in filter(None, text.split(",")):
        name, value = part.split("=")
        out[name.strip()] = float(value)
    return out


def coordinate_search(rows, weights, k, tests, extra):
    """Greedy: each weight in turn, the value with the best top-5 + top-1 + MRR."""
    names = sorted(set(weights) | set(DEFAULT_WEIGHTS) | set(extra))
    current = {n: extra.get(n, weights.get(n, DEFAULT_WEIGHTS.get(n, 1.0))) for n in names}
    grid = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]

    def score(w, kk, tt):
        e = {n: w[n] for n in extra}
        t1, t5, m = measure(rows, w, kk, tt, e)
        return t1 + t5 + m

    best = score(current, k, tests)
    for _ in range(3):
        for n in names:
            for v in grid:
                trial = dict(current, **{n: v})
                s = score(trial, k, tests)
                if s > best + 1e-9:
                    best, current = s, trial
        for kk in (1.0, 2.0, 5.0, 10.0, 20.0, 60.0):
            s = score(current, kk, tests)
            if s > best + 1e-9:
                best, k = s, kk
        for tt in (0.1, 0.2, 0.35, 0.5, 0.75, 1.0):
            s = score(current, k, tt)
            if s > best + 1e-9:
                best, tests = s, tt
    return current, k, tests


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", type=Path, nargs="+")
    ap.add_argument("--weights", default="", help="source=weight,... over the defaults")
    ap.add_argument("--k", type=float, default=5.0)
    ap.add_argument("--tests", type=float, default=0.35)
    ap.add_argument("--extra", default="", help="system=weight,...: another system's list as a ballot")
    ap.add_argument("--search", action="store_true", help="search the weights on half, report both halves")
    args = ap.parse_args()
    rows = load(args.results)
    if not rows:
        print("no rows with ballots: run bench-context.py with --context-args \"--explain\"", file=sys.stderr)
        return 2
    weights = parse_map(args.weights)
    extra = parse_map(args.extra)
    t1, t5, m = measure(rows, weights, args.k, args.tests, extra)
    print(f"{len(rows)} reports; given weights: top-1 {t1:.3f} top-5 {t5:.3f} MRR {m:.3f}")
    if args.search:
        order = sorted(rows, key=lambda r: r["instance_id"])
        random.Random(7).shuffle(order)
        half = len(order) // 2
        fit, held = order[:half], order[half:]
        w, k, tests = coordinate_search(fit, weights, args.k, args.tests, extra)
        e = {n: w[n] for n in extra}
        for name, part in (("fitted half", fit), ("held-out half", held), ("all", rows)):
            b1, b5, bm = measure(part, weights, args.k, args.tests, extra)
            a1, a5, am = measure(part, w, k, tests, e)
            print(
                f"{name:>14} ({len(part)}): given {b1:.3f}/{b5:.3f}/{bm:.3f} -> searched {a1:.3f}/{a5:.3f}/{am:.3f}"
            )
        changed = {n: v for n, v in w.items() if v != weights.get(n, DEFAULT_WEIGHTS.get(n, extra.get(n)))}
        print(f"searched weights (changed): {changed}; k {k}; tests {tests}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
