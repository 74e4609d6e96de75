#!/usr/bin/env python3
"""Mira's Python call graph against truth no one here wrote.

Two sources of truth:

  pycg SNIPPETS      PyCG's published micro-benchmark (github vitsalis/PyCG, folder
                     micro-benchmark/snippets): small programs, each with the call graph
                     its authors wrote by hand in callgraph.json. Nodes are dotted names
                     (`main.A.func`, `main.<lambda1>`), compared as such.
  trace PROJECT -- ARGS
                     calls recorded with sys.setprofile while PROJECT's test suite runs
                     (ARGS are pytest's); nodes are definitions (file, first line),
                     only definitions inside PROJECT count.

Each is compared with the graph Mira builds for the same code (the mira-code example
`callgraph_json`) and with a naive baseline computed here from the same code: every call
linked to every function of the same bare name (a class name to its `__init__`).

Recall is over truth edges; precision over the edges a tool gives between definitions
of the project. For recorded truth, which only knows what ran, precision only counts
edges made at a call site (caller, line) from which the tests made at least one
recorded call; recall only counts edges whose ends Mira has as nodes (lambdas and
comprehensions are reported apart).

Usage:
  scripts/bench-callgraph-python.py pycg /tmp/cg-py/pycg/micro-benchmark/snippets
  scripts/bench-callgraph-python.py trace /tmp/cg-py/flask --python /tmp/cg-py/venv/bin/python -- tests -q

The graph binary is $MIRA_CALLGRAPH, else built with cargo (`--example callgraph_json`).
"""

import argparse
import ast
import collections
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPREHENSIONS = {"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"}


def graph_binary():
    exe = os.environ.get("MIRA_CALLGRAPH")
    if exe:
        return exe
    subprocess.run(
        ["cargo", "build", "-q", "-p", "mira-code", "--example", "callgraph_json"],
        cwd=REPO,
        check=True,
    )
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    return os.path.join(target, "debug", "examples", "callgraph_json")


def mira_graph(exe, path):
    out = subprocess.run([exe, path], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def score(found, truth):
    tp = len(found & truth)
    p = tp / len(found) if found else 1.0
    r = tp / len(truth) if truth else 1.0
    return tp, len(found), len(truth), p, r


def fmt(name, s):
    tp, nf, nt, p, r = s
    return f"{name:<14} {p:6.3f} {r:6.3f}   ({tp} of {nf} found are true, {tp} of {nt} true found)"


# ---------------------------------------------------------------- naive baseline


class Defs(ast.NodeVisitor):
    """Definitions of one module: (qualified name, line) with their bare name."""

    def __init__(self, module):
        self.stack = [module]
        self.out = []  # (bare name, qualified, line, is_class)

    def visit_FunctionDef(self, node):
        line = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        q = ".".join(self.stack + [node.name])
        self.out.append((node.name, q, line, False))
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        line = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        q = ".".join(self.stack + [node.name])
        self.out.append((node.name, q, line, True))
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()


class Calls(ast.NodeVisitor):
    """Call sites of one module: (caller qualified name, line, bare name called)."""

    def __init__(self, module):
        self.module = module
        self.stack = [(module, False)]  # (qualified, is_class)
        self.out = []

    def caller(self):
        # A class body runs in the scope around it.
        for q, is_class in reversed(self.stack):
            if not is_class:
                return q
        return self.module

    def visit_FunctionDef(self, node):
        for d in node.decorator_list:
            self.visit(d)
        for d in node.args.defaults + node.args.kw_defaults:
            if d is not None:
                self.visit(d)
        q = self.stack[-1][0] + "." + node.name
        self.stack.append((q, False))
        for s in node.body:
            self.visit(s)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        for d in node.decorator_list + node.bases:
            self.visit(d)
        q = self.stack[-1][0] + "." + node.name
        self.stack.append((q, True))
        for s in node.body:
            self.visit(s)
        self.stack.pop()

    def visit_Call(self, node):
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
        if name:
            self.out.append((self.caller(), node.lineno, name))
        self.generic_visit(node)


def module_name(rel, strip=""):
    stem = rel[: -len(".py")]
    if strip and stem.startswith(strip):
        stem = stem[len(strip):]
    if stem.endswith("/__init__"):
        stem = stem[: -len("/__init__")]
    return stem.replace("/", ".")


def python_files(root):
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if not x.startswith(".") and x not in ("venv", "node_modules", "__pycache__")]
        for f in files:
            if f.endswith(".py"):
                p = os.path.join(d, f)
                yield os.path.relpath(p, root).replace(os.sep, "/"), p


def naive(root, strip=""):
    """Edges (caller, callee) by qualified name and by (file, line), with call lines."""
    defs, calls = [], []
    for rel, path in python_files(root):
        try:
            tree = ast.parse(open(path, encoding="utf-8").read())
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        m = module_name(rel, strip)
        d = Defs(m)
        d.visit(tree)
        defs += [(n, q, rel, line, c) for n, q, line, c in d.out]
        c = Calls(m)
        c.visit(tree)
        calls += [(caller, rel, line, name) for caller, line, name in c.out]
    by_name = collections.defaultdict(list)
    classes = collections.defaultdict(list)
    for n, q, rel, line, is_class in defs:
        (classes if is_class else by_name)[n].append(q)
    ctor = {q.rsplit(".", 1)[0]: q for n, q, _, _, c in defs if n == "__init__" and not c}
    edges = set()  # (caller q, call line, callee q)
    for caller, rel, line, name in calls:
        for q in by_name.get(name, []):
            edges.add((caller, line, q))
        for cq in classes.get(name, []):
            if cq in ctor:
                edges.add((caller, line, ctor[cq]))
    where = {q: (rel, line) for _, q, rel, line, _ in defs}
    return edges, where


# ---------------------------------------------------------------- PyCG micro-benchmark


def pycg(args):
    exe = graph_binary()
    per = collections.defaultdict(lambda: {"mira": [set(), set()], "naive": [set(), set()]})
    totals = {"mira": [set(), set()], "naive": [set(), set()]}
    misses = []
    for construct in sorted(os.listdir(args.snippets)):
        cdir = os.path.join(args.snippets, construct)
        if not os.path.isdir(cdir):
            continue
        for case in sorted(os.listdir(cdir)):
            d = os.path.join(cdir, case)
            cg = os.path.join(d, "callgraph.json")
            if not os.path.exists(cg):
                continue
            truth_json = json.load(open(cg))
            nodes = set(truth_json)
            tag = f"{construct}/{case}:"
            truth = {(tag + a, tag + b) for a, bs in truth_json.items() for b in bs if b in nodes}
            g = mira_graph(exe, d)
            kinds = {n["id"]: n["kind"] for n in g["nodes"]}
            mira = {
                (tag + e["caller"], tag + e["callee"])
                for e in g["edges"]
                if e["resolution"] in ("exact", "probable") and kinds.get(e["callee"]) in ("function", "method", "module")
            }
            nv, _ = naive(d)
            nv = {(tag + a, tag + b) for a, _, b in nv}
            for tool, found in (("mira", mira), ("naive", nv)):
                for bucket in (per[construct][tool], totals[tool]):
                    bucket[0] |= found
                    bucket[1] |= truth
            if args.verbose:
                for e in sorted(truth - mira):
                    misses.append(("missed", e))
                for e in sorted(mira - truth):
                    misses.append(("wrong", e))
    print(f"PyCG micro-benchmark: {args.snippets}")
    print(f"{'construct':<14} {'prec':>6} {'recall':>6}   mira | naive")
    for construct in sorted(per):
        m = score(*per[construct]["mira"])
        n = score(*per[construct]["naive"])
        print(f"{construct:<14} {m[3]:6.3f} {m[4]:6.3f}   | {n[3]:6.3f} {n[4]:6.3f}   (truth {m[2]})")
    print(fmt("mira overall", score(*totals["mira"])))
    print(fmt("naive overall", score(*totals["naive"])))
    for kind, (a, b) in misses:
        print(f"  {kind}: {a} -> {b.split(':', 1)[1]}")


# ---------------------------------------------------------------- recorded truth


def record(args):
    """Runs pytest in this process with a profiler recording calls between
    definitions under ROOT; writes them to OUT as JSON."""
    import threading

    root = os.path.realpath(args.root) + os.sep
    edges = set()

    def prof(frame, event, arg):
        if event != "call":
            return
        code = frame.f_code
        if code.co_name in COMPREHENSIONS or not code.co_filename.startswith(root):
            return
        back = frame.f_back
        # A comprehension is part of the function it is written in.
        while back is not None and back.f_code.co_name in COMPREHENSIONS:
            back = back.f_back
        if back is None:
            return
        bc = back.f_code
        if not bc.co_filename.startswith(root):
            return
        edges.add(
            (
                bc.co_filename[len(root):],
                bc.co_firstlineno,
                bc.co_name,
                back.f_lineno,
                code.co_filename[len(root):],
                code.co_firstlineno,
                code.co_name,
            )
        )

    import pytest

    sys.setprofile(prof)
    threading.setprofile(prof)
    try:
        rc = pytest.main(args.pytest)
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    with open(args.out, "w") as f:
        json.dump(sorted(edges), f)
    print(f"recorded {len(edges)} call edges, pytest exit {rc}", file=sys.stderr)


def trace(args):
    root = os.path.realpath(args.project)
    out = args.record or os.path.join(tempfile.mkdtemp(prefix="cg-trace-"), "calls.json")
    if not args.record or not os.path.exists(args.record):
        subprocess.run(
            [args.python, os.path.abspath(__file__), "record", "--root", root, "--out", out, "--"] + args.pytest,
            cwd=root,
            check=False,
        )
    recorded = json.load(open(out))
    exe = graph_binary()
    g = mira_graph(exe, root)

    # Definitions by (file, first line); a module by its file.
    node_at = {}
    for n in g["nodes"]:
        if n.get("file") is None:
            continue
        if n["kind"] == "module":
            node_at[(n["file"], "module")] = n["id"]
        elif n["kind"] in ("function", "method"):
            node_at[(n["file"], n["line"])] = n["id"]
    def_of = {v: k for k, v in node_at.items()}

    def key(file, line, name):
        if name == "<module>":
            return (file, "module")
        if name == "<lambda>":
            return (file, line, "lambda")
        return (file, line)

    truth, lambdas, unknown, call_lines = set(), 0, 0, set()
    for cf, cl, cn, line, df, dl, dn in recorded:
        a, b = key(cf, cl, cn), key(df, dl, dn)
        call_lines.add((a, line))
        if "lambda" in a or "lambda" in b:
            lambdas += 1
            continue
        if a not in node_at or b not in node_at:
            unknown += 1
            continue
        truth.add((a, b))

    mira_all = set()
    mira_seen = set()
    for e in g["edges"]:
        if e["resolution"] not in ("exact", "probable"):
            continue
        a, b = def_of.get(e["caller"]), def_of.get(e["callee"])
        if a is None or b is None:
            continue
        mira_all.add((a, b))
        if (a, e["line"]) in call_lines:
            mira_seen.add((a, b))

    # The naive baseline on the same files, keyed the same way: a caller that is a
    # module name is that module's own code.
    nv, where = naive(root)
    module_file = {module_name(rel): rel for rel, _ in python_files(root)}
    naive_seen = set()
    for caller, line, callee in nv:
        b = where.get(callee)
        if caller in module_file:
            a = (module_file[caller], "module")
        elif caller in where:
            a = where[caller]
        else:
            continue
        if b is not None and (a, line) in call_lines:
            naive_seen.add((a, b))

    print(f"recorded truth: {root} ({len(recorded)} recorded call edges with lines)")
    print(f"  {len(truth)} edges between definitions Mira has as nodes; {lambdas} involve lambdas, {unknown} other definitions Mira does not have")
    print(fmt("mira", score(mira_seen, truth)))
    print(fmt("naive", score(naive_seen, truth)))
    print(f"  mira edges between project definitions (all call sites): {len(mira_all)}")
    if args.verbose:
        name = {v: k for k, v in def_of.items()}
        for a, b in sorted(truth - mira_seen, key=str)[: args.verbose]:
            print("  missed:", name[a], "->", name[b])
        for a, b in sorted(mira_seen - truth, key=str)[: args.verbose]:
            print("  wrong: ", name[a], "->", name[b])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pycg")
    p.add_argument("snippets")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(run=pycg)
    t = sub.add_parser("trace")
    t.add_argument("project")
    t.add_argument("--python", default=sys.executable, help="interpreter with the project's test deps")
    t.add_argument("--record", help="JSON of recorded calls: reused if it exists, else written")
    t.add_argument("-v", "--verbose", type=int, default=0, help="print this many misses and wrong edges")
    t.add_argument("pytest", nargs="*")
    t.set_defaults(run=trace)
    r = sub.add_parser("record")
    r.add_argument("--root", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("pytest", nargs="*")
    r.set_defaults(run=record)
    args = ap.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
