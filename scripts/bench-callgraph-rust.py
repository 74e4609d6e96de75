#!/usr/bin/env python3
"""Mira's Rust call graph against rustc's own: precision and recall on published crates.

    scripts/bench-callgraph-rust.py [--mira-bin PATH] [--work /tmp/cg-rust] [CRATE-VERSION ...]

Truth is the MIR rustc builds (`RUSTC_BOOTSTRAP=1 rustc -Zunpretty=mir`, once for the
library and once with `--test` for its unit tests): every `Call` terminator whose callee is
a function of the crate itself is an edge from the function whose body holds it (calls in
a closure count for the function the closure is written in, as Mira counts them) to the
callee's definition. Both ends are identified by where they are defined (file and the line
of `fn name`), which is also how Mira's nodes are placed (the `callgraph_rust` example of
mira-code prints them), so the comparison does not depend on how either side names things.

Left out of the truth: calls whose caller or callee has no `fn` in the source (derived
impls, macro-generated code) and callees outside the crate. Left out of Mira's side:
callers rustc did not compile (code behind a `cfg` that is off, integration tests).

Also computed from the same run: the naive baseline, every call site Mira sees linked to
every function of the same bare name. Crates are fetched from crates.io into the work
directory (never into the repository); this is a benchmark, not part of the tests.
"""

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import urllib.request
from collections import Counter, defaultdict

CRATES = ["semver-1.0.28", "bytes-1.12.2", "smallvec-1.16.6"]
# Features each crate is compiled with (its defaults), as `--cfg feature="x"`.
FEATURES = {"semver": ["default", "std"], "bytes": ["default", "std"], "smallvec": []}

IMPLICIT = "implicit (operator, ?, for, deref, macro)"
GENERIC = "trait method on generic, Self or dyn"
CLOSURE = "inside a closure"


def fetch(work, crate):
    """The crate's source under `work`, downloaded from crates.io when not there yet."""
    path = os.path.join(work, crate)
    if os.path.isdir(path):
        return path
    name, version = crate.rsplit("-", 1)
    url = f"https://crates.io/api/v1/crates/{name}/{version}/download"
    req = urllib.request.Request(url, headers={"User-Agent": "mira-bench-callgraph"})
    data = urllib.request.urlopen(req, timeout=60).read()
    tarfile.open(fileobj=io.BytesIO(data)).extractall(work)
    return path


def edition(crate_dir):
    text = open(os.path.join(crate_dir, "Cargo.toml")).read()
    m = re.search(r'^edition\s*=\s*"(\d+)"', text, re.M)
    return m.group(1) if m else "2015"


def rustc(crate_dir, name, args, check=True):
    cmd = ["rustc", "--edition", edition(crate_dir), "--crate-name", name]
    for f in FEATURES.get(name, ["default"]):
        cmd += ["--cfg", f'feature="{f}"']
    env = dict(os.environ, RUSTC_BOOTSTRAP="1")
    out = subprocess.run(cmd + args, cwd=crate_dir, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        if check:
            sys.exit(f"rustc failed on {crate_dir}:\n{out.stderr[-3000:]}")
        print(f"  (left out: rustc failed on {args[-4] if len(args) > 4 else args})", file=sys.stderr)
        return ""
    return out.stdout


# No MIR optimisation: a branch on `cfg!(..)` is folded away at the default level,
# and the calls written in it with it.
MIR_FLAGS = ["-Zunpretty=mir", "-Zmir-include-spans", "-Ztrim-diagnostic-paths=false", "-Zmir-opt-level=0"]


def mir(crate_dir, name, work):
    """MIR of the library, of its unit tests and of each integration test that builds
    with the library alone (`tests/*.rs`; one needing a dev-dependency is left out)."""
    texts = [
        rustc(crate_dir, name, ["--crate-type", "lib", "src/lib.rs"] + MIR_FLAGS),
        rustc(crate_dir, name, ["--crate-type", "lib", "--test", "src/lib.rs"] + MIR_FLAGS),
    ]
    out_dir = os.path.join(work, "out", name)
    os.makedirs(out_dir, exist_ok=True)
    rlib = os.path.join(out_dir, f"lib{name}.rlib")
    rustc(crate_dir, name, ["--crate-type", "lib", "src/lib.rs", "-o", rlib])
    tests = os.path.join(crate_dir, "tests")
    for t in sorted(os.listdir(tests)) if os.path.isdir(tests) else []:
        if t.endswith(".rs"):
            args = ["--test", f"tests/{t}", "--extern", f"{name}={rlib}"] + MIR_FLAGS
            texts.append(f"// CRATE {t[:-3]}\n" + rustc(crate_dir, t[:-3], args, check=False))
    return "\n".join(texts), name


class Source:
    """The crate's files, read once; positions are 1-based lines, 1-based columns."""

    def __init__(self, root):
        self.root = root
        self.cache = {}

    def lines(self, path):
        if path not in self.cache:
            try:
                self.cache[path] = open(os.path.join(self.root, path)).read().split("\n")
            except OSError:
                self.cache[path] = []
        return self.cache[path]

    def text(self, path, l1, c1, l2, c2):
        lines = self.lines(path)
        if not lines or l1 > len(lines):
            return ""
        if l1 == l2:
            return lines[l1 - 1][c1 - 1 : c2 - 1]
        parts = [lines[l1 - 1][c1 - 1 :]] + lines[l1 : l2 - 1] + [lines[l2 - 1][: c2 - 1]]
        return "\n".join(parts)

    def in_macro_rules(self, path, line):
        """Whether `line` is inside a `macro_rules!` definition: functions written there
        exist only where the macro is expanded, which no source parser sees."""
        key = ("macro_rules", path)
        if key not in self.cache:
            ranges, lines, i = [], self.lines(path), 0
            while i < len(lines):
                if "macro_rules!" in lines[i]:
                    depth, started, j = 0, False, i
                    while j < len(lines):
                        depth += lines[j].count("{") - lines[j].count("}")
                        started = started or "{" in lines[j]
                        if started and depth <= 0:
                            break
                        j += 1
                    ranges.append((i + 1, j + 1))
                    i = j
                i += 1
            self.cache[key] = ranges
        return any(a <= line <= b for a, b in self.cache[key])

    def fn_line(self, path, near, name, backwards=True):
        """The line of `fn name` at or before (or after) `near`."""
        lines = self.lines(path)
        pat = re.compile(r"\bfn\s+" + re.escape(name) + r"\b")
        rng = range(near, max(near - 60, 0), -1) if backwards else range(near, min(near + 15, len(lines) + 1))
        for ln in rng:
            if 1 <= ln <= len(lines) and pat.search(lines[ln - 1]):
                return ln
        return None


SPAN = re.compile(r"at ([^\s:]+\.rs):(\d+):(\d+): (\d+):(\d+)")


def split_callee(s):
    """`callee(args) -> ...`: the callee, where the first `(` outside `<..>`/`{..}` starts."""
    depth = 0
    for i, c in enumerate(s):
        if c in "<{[":
            depth += 1
        elif c in "]}" or (c == ">" and (i == 0 or s[i - 1] != "-")):
            depth -= 1
        elif c == "(" and depth == 0:
            return s[:i]
    return None


def strip_generics(path):
    """`a::S::<u8>::f::<X>` -> `a::S::f`; `Foo<T>` -> `Foo`."""
    out, depth = [], 0
    for i, c in enumerate(path):
        if c == "<":
            depth += 1
        elif c == ">" and (i == 0 or path[i - 1] != "-"):
            depth -= 1
        elif depth == 0:
            out.append(c)
    return re.sub(r"::(?=::|$)", "", "".join(out)).strip(":")


def last_segment(path):
    p = strip_generics(path.strip())
    for prefix in ("&mut ", "&", "dyn ", "mut ", "*const ", "*mut "):
        if p.startswith(prefix):
            p = p[len(prefix) :]
    return p.split("::")[-1].strip()


def qualified_parts(callee):
    """`<A as B>::m` -> (A, B, m); None for plain paths."""
    if not callee.startswith("<"):
        return None
    depth = 0
    for i, c in enumerate(callee):
        if c == "<":
            depth += 1
        elif c == ">" and callee[i - 1] != "-":
            depth -= 1
            if depth == 0:
                inner, rest = callee[1:i], callee[i + 1 :]
                break
    else:
        return None
    depth, cut = 0, None
    for i, c in enumerate(inner):
        if c in "<({[":
            depth += 1
        elif c in ")}]" or (c == ">" and inner[i - 1] != "-"):
            depth -= 1
        elif depth == 0 and inner.startswith(" as ", i):
            cut = i
            break
    if cut is None:
        return None
    method = strip_generics(rest).strip(":").split("::")[-1]
    return inner[:cut], inner[cut + 4 :], method


def parse_impl(text):
    """`impl<T> Trait<T> for Type<T>` -> (trait simple name or None, self type simple name)."""
    t = text.strip()
    t = t[4:].strip() if t.startswith("impl") else t
    if t.startswith("<"):
        depth = 0
        for i, c in enumerate(t):
            if c == "<":
                depth += 1
            elif c == ">" and t[i - 1] != "-":
                depth -= 1
                if depth == 0:
                    t = t[i + 1 :].strip()
                    break
    depth = 0
    for i, c in enumerate(t):
        if c in "<([":
            depth += 1
        elif c in ")]" or (c == ">" and t[i - 1] != "-"):
            depth -= 1
        elif depth == 0 and t.startswith(" for ", i):
            return last_segment(t[:i]), last_segment(t[i + 5 :].split(" where")[0])
    return None, last_segment(t.split(" where")[0])


class Truth:
    def __init__(self, src):
        self.src = src
        self.bodies = []  # dicts: path, name, file, line, impl (trait, self) or None
        self.by_free = defaultdict(list)
        self.by_inherent = defaultdict(list)
        self.by_trait_impl = defaultdict(list)
        self.by_trait_default = defaultdict(list)
        self.calls = []  # (caller body index, callee text, call span, name span)
        self.trait_decls = {}  # (trait simple name, method) -> (file, line)
        self.crate = ""

    def add_mir(self, text):
        body, crate = None, self.crate
        for line in text.split("\n"):
            if line.startswith("// CRATE "):
                crate = line[9:].strip()
                continue
            if line.startswith("fn "):
                path = split_callee(line[3:])
                body = {"path": path, "header": line, "locals": [], "crate": crate} if path else None
                if body:
                    self.bodies.append(body)
                continue
            if body is None:
                continue
            if line == "}":
                body = None
                continue
            if "in scope 0 at" in line and "let " in line or "debug " in line and "scope 0" in line:
                m = SPAN.search(line)
                if m:
                    body["locals"].append((m.group(1), int(m.group(2))))
            m = re.match(r"\s+\S+ = (.*) -> (\[|unwind)", line)
            if m:
                callee = split_callee(m.group(1))
                sm = SPAN.search(line)
                if callee and sm:
                    self.calls.append([len(self.bodies) - 1, callee, sm.groups(), None])
                continue
            if "+ span:" in line and self.calls and self.calls[-1][3] is None:
                sm = re.search(r"span: ([^\s:]+\.rs):(\d+):(\d+): (\d+):(\d+)", line)
                if sm and self.calls[-1][0] == len(self.bodies) - 1:
                    self.calls[-1][3] = sm.groups()

    def locate(self):
        """Each body's definition (file, line of `fn name`), and lookup tables."""
        for i, b in enumerate(self.bodies):
            path = b["path"]
            b["closure"] = "{closure" in path
            outer = re.sub(r"::\{closure#\d+\}.*$", "", path)
            b["outer"] = outer
            name = strip_generics(outer).split("::")[-1]
            b["name"] = name
            m = re.search(r"<impl at ([^\s:]+\.rs):(\d+):(\d+): (\d+):(\d+)>", outer)
            b["impl"] = None
            if m:
                f, l1, c1, l2, c2 = m.groups()
                b["impl"] = parse_impl(self.src.text(f, int(l1), int(c1), int(l2), int(c2)))
            b["def"] = None
            if "{constant" in path or "promoted[" in path or not re.match(r"^[A-Za-z_]\w*$", name):
                continue
            spans = [s for s in b["locals"] if s[0].startswith(("src/", "tests/"))]
            if not spans:
                continue
            if b["closure"]:
                continue
            # The arguments' and the return place's spans come first: the signature.
            f, ln = spans[0]
            fl = self.src.fn_line(f, ln, name)
            if fl and not self.src.in_macro_rules(f, fl):
                b["def"] = (f, fl)
        for i, b in enumerate(self.bodies):
            if b["closure"] or not b["def"]:
                continue
            if b["impl"]:
                trait, selfty = b["impl"]
                if trait:
                    self.by_trait_impl[(selfty, trait, b["name"])].append(b["def"])
                else:
                    self.by_inherent[(selfty, b["name"])].append(b["def"])
            else:
                p = strip_generics(b["outer"])
                self.by_free[(b["crate"], p)].append(b["def"])
                segs = p.split("::")
                if len(segs) >= 2:
                    self.by_trait_default[(segs[-2], segs[-1])].append(b["def"])
        # Closures take the definition of the function they are written in.
        defs_by_outer = {b["outer"]: b["def"] for b in self.bodies if not b["closure"] and b["def"]}
        for b in self.bodies:
            if b["closure"]:
                b["def"] = defs_by_outer.get(b["outer"])
        self.scan_traits()

    def scan_traits(self):
        """Trait method declarations (with or without a default body), from the source."""
        for dirpath, _, files in os.walk(os.path.join(self.src.root, "src")):
            for fn in files:
                if not fn.endswith(".rs"):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, fn), self.src.root)
                lines = self.src.lines(rel)
                i = 0
                while i < len(lines):
                    m = re.match(r"\s*(?:pub(?:\([^)]*\))?\s+)?(?:unsafe\s+)?trait\s+(\w+)", lines[i])
                    if not m:
                        i += 1
                        continue
                    trait, depth, started = m.group(1), 0, False
                    j = i
                    while j < len(lines):
                        fm = re.search(r"\bfn\s+(\w+)", lines[j])
                        if fm and started and depth == 1:
                            self.trait_decls.setdefault((trait, fm.group(1)), (rel, j + 1))
                        depth += lines[j].count("{") - lines[j].count("}")
                        started = started or "{" in lines[j]
                        if started and depth <= 0:
                            break
                        j += 1
                    i = j + 1

    def callee_def(self, callee, crate):
        q = qualified_parts(callee)
        if q:
            selfty, trait, method = q
            s, t = last_segment(selfty), last_segment(trait)
            foreign = re.match(r"^&?(mut )?(\[|\(|str$|[iu](8|16|32|64|128|size)$|f32$|f64$|bool$|char$)", selfty)
            if foreign and trait.startswith(("core::", "std::", "alloc::")):
                # A standard trait on a primitive: the standard library's impl (the
                # printed trait drops its arguments, which would tell a crate's apart).
                return None, False
            generic = (
                selfty.startswith(("dyn ", "&dyn ", "&mut dyn "))
                or s == "Self"
                or re.match(r"^&?(mut )?[A-Z]\w{0,2}$", selfty) is not None
            )
            # A generic parameter, `Self` or `dyn`: the trait's method itself (its
            # default body, or its declaration), never an impl for `T` that shares the
            # parameter's letter.
            found = None if generic else self.by_trait_impl.get((s, t, method))
            if found:
                return found[0], False
            d = self.by_trait_default.get((t, method))
            if d:
                return d[0], generic
            d = self.trait_decls.get((t, method))
            if d:
                return d, generic
            return None, False
        p = strip_generics(callee)
        if p.startswith(self.crate + "::"):
            p, crate = p[len(self.crate) + 2 :], self.crate
        if (crate, p) in self.by_free:
            return self.by_free[(crate, p)][0], False
        segs = p.split("::")
        if len(segs) >= 2:
            found = self.by_inherent.get((segs[-2], segs[-1]))
            if found:
                return found[0], False
            d = self.trait_decls.get((segs[-2], segs[-1]))
            if d:
                return d, True
        return None, False

    def construct(self, body, callee, span, name_span, generic):
        f = span[0]
        if not f.startswith(("src/", "tests/")):
            return IMPLICIT
        name = strip_generics(qualified_parts(callee)[2] if qualified_parts(callee) else callee).split("::")[-1]
        if name_span is None or not name_span[0].startswith(("src/", "tests/")):
            return IMPLICIT
        ns = self.src.text(name_span[0], int(name_span[1]), int(name_span[2]), int(name_span[3]), int(name_span[4]))
        if name not in ns:
            return IMPLICIT
        # Expanded from a macro defined elsewhere in the crate: no call is written in
        # the function (its span is in the macro's definition).
        if body["def"] and (name_span[0] != body["def"][0] or int(name_span[1]) < body["def"][1]):
            return IMPLICIT
        if body["closure"]:
            return CLOSURE
        if generic:
            return GENERIC
        line = self.src.lines(name_span[0])[int(name_span[1]) - 1]
        before = line[: int(name_span[2]) - 1].rstrip()
        if before.endswith("::") or "::" in ns:
            return "path"
        if before.endswith("."):
            recv = before[:-1].rstrip()
            if re.search(r"\bself$", recv):
                return "method on self"
            if re.search(r"\bself(\.\w+)+$", recv) or re.search(r"\w\.\w+$", recv):
                return "method on field"
            if recv.endswith(")") or recv.endswith("?") or recv.endswith("]"):
                return "method on call result"
            if re.search(r"\w$", recv):
                return "method on local or param"
            return "method on other expression"
        return "name"

    def edges(self):
        out = {}
        dropped = Counter()
        for bi, callee, span, name_span in self.calls:
            body = self.bodies[bi]
            callee_def, generic = self.callee_def(callee, body["crate"])
            if callee_def is None:
                continue
            if body["def"] is None:
                dropped["caller not in the source"] += 1
                continue
            if span[1:3] == span[3:5]:
                # A zero-width span: code the compiler generated (the `#[test]`
                # harness calling the test), written nowhere.
                dropped["generated"] += 1
                continue
            kind = self.construct(body, callee, span, name_span, generic)
            key = (body["def"], callee_def)
            out.setdefault(key, kind)
        return out, dropped


def mira_graph(mira_bin, crate_dir, src):
    raw = subprocess.run([mira_bin, crate_dir], capture_output=True, text=True, check=True).stdout
    g = json.loads(raw)

    def norm(f, line, name):
        return (f, src.fn_line(f, line, name, backwards=False) or line)

    defs = {}
    for d in g["defs"]:
        defs[(d["file"], d["line"])] = norm(d["file"], d["line"], d["name"])
    by_name = defaultdict(set)
    for d in g["defs"]:
        by_name[d["name"]].add(defs[(d["file"], d["line"])])
    # the caller's name is needed to normalise it: look it up among the defs
    return g, defs, by_name


def score(found, truth):
    tp = len(found & truth)
    p = tp / len(found) if found else 1.0
    r = tp / len(truth) if truth else 1.0
    return tp, p, r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("crates", nargs="*", default=CRATES)
    ap.add_argument("--work", default="/tmp/cg-rust")
    ap.add_argument("--mira-bin", default=None, help="the built callgraph_rust example")
    ap.add_argument("--show", type=int, default=0, help="print N missed and N wrong edges per crate")
    ap.add_argument("--json", default=None, help="write the figures here")
    args = ap.parse_args()
    mira_bin = args.mira_bin
    if mira_bin is None:
        target = os.environ.get("CARGO_TARGET_DIR", "target")
        subprocess.run(["cargo", "build", "-q", "-p", "mira-code", "--example", "callgraph_rust"], check=True)
        mira_bin = os.path.join(target, "debug", "examples", "callgraph_rust")
    os.makedirs(args.work, exist_ok=True)
    totals = defaultdict(lambda: Counter())
    report = {}
    for crate in args.crates:
        crate_dir = fetch(args.work, crate)
        name = crate.rsplit("-", 1)[0]
        src = Source(crate_dir)
        truth = Truth(src)
        text, _ = mir(crate_dir, name, args.work)
        truth.crate = name
        truth.add_mir(text)
        truth.locate()
        t_edges, dropped = truth.edges()
        compiled = {b["def"] for b in truth.bodies if b["def"]}
        g, defs, by_name = mira_graph(mira_bin, crate_dir, src)
        mira_edges, mira_exact, naive = {}, set(), {}
        for e in g["edges"]:
            caller = defs.get((e["caller_file"], e["caller_line"]))
            if caller is None or caller not in compiled:
                continue
            for f, ln in e["callee_defs"]:
                key = (caller, defs[(f, ln)])
                mira_edges.setdefault(key, e.get("construct") or "?")
                if e["resolution"] == "exact":
                    mira_exact.add(key)
            for d in by_name.get(e["name"], ()):
                naive.setdefault((caller, d), e.get("construct") or "?")
        T, M, N = set(t_edges), set(mira_edges), set(naive)
        tp, p, r = score(M, T)
        _, pe, re_ = score(mira_exact, T)
        ntp, np_, nr = score(N, T)
        explicit = {k for k, v in t_edges.items() if v != IMPLICIT}
        _, _, rx = score(M, explicit)
        print(f"\n{crate}: truth {len(T)} edges ({len(explicit)} written as calls); calls left out: "
              + ", ".join(f"{v} {k}" for k, v in sorted(dropped.items())))
        print(f"  mira   {len(M):5d} edges  precision {p:.3f}  recall {r:.3f}  (recall of written calls {rx:.3f})")
        print(f"  exact  {len(mira_exact):5d} edges  precision {pe:.3f}")
        print(f"  naive  {len(N):5d} edges  precision {np_:.3f}  recall {nr:.3f}")
        by = defaultdict(Counter)
        for k, v in t_edges.items():
            by[v]["truth"] += 1
            by[v]["found"] += k in M
            by[v]["naive_found"] += k in N
        for k, v in mira_edges.items():
            kind = t_edges.get(k, v)
            by[kind]["mira"] += 1
            by[kind]["mira_ok"] += k in T
        for k, v in naive.items():
            kind = t_edges.get(k, v)
            by[kind]["naive"] += 1
            by[kind]["naive_ok"] += k in T
        for kind, c in by.items():
            totals[kind].update(c)
        totals["(all)"].update({"truth": len(T), "found": tp, "mira": len(M), "mira_ok": tp,
                                "naive": len(N), "naive_ok": ntp, "naive_found": ntp,
                                "exact": len(mira_exact), "exact_ok": len(mira_exact & T),
                                "explicit": len(explicit), "explicit_found": len(M & explicit)})
        report[crate] = {"truth": len(T), "mira": len(M), "tp": tp, "precision": p, "recall": r,
                         "naive_precision": np_, "naive_recall": nr}
        if args.show:
            print("  missed:")
            for k in sorted(T - M)[: args.show]:
                print(f"    {t_edges[k]:32s} {k[0][0]}:{k[0][1]} -> {k[1][0]}:{k[1][1]}")
            print("  wrong:")
            for k in sorted(M - T)[: args.show]:
                print(f"    {mira_edges[k]:32s} {k[0][0]}:{k[0][1]} -> {k[1][0]}:{k[1][1]}")

    def ratio(a, b):
        return f"{a / b:.3f}" if b else "  -  "

    a = totals["(all)"]
    print(f"\nall crates: truth {a['truth']} edges ({a['explicit']} written as calls)")
    print(f"  mira  precision {ratio(a['mira_ok'], a['mira'])}  recall {ratio(a['found'], a['truth'])}  "
          f"recall of written calls {ratio(a['explicit_found'], a['explicit'])}  "
          f"exact-only precision {ratio(a['exact_ok'], a['exact'])}")
    print(f"  naive precision {ratio(a['naive_ok'], a['naive'])}  recall {ratio(a['naive_found'], a['truth'])}")
    print("\nby construct: truth edges | mira precision recall | naive precision recall")
    for kind in sorted(k for k in totals if k != "(all)"):
        c = totals[kind]
        print(f"  {kind:42s} {c['truth']:5d} | {ratio(c['mira_ok'], c['mira'])} {ratio(c['found'], c['truth'])} "
              f"({c['mira']} edges) | {ratio(c['naive_ok'], c['naive'])} {ratio(c['naive_found'], c['truth'])}")
    if args.json:
        report["(all)"] = dict(a)
        report["by_construct"] = {k: dict(v) for k, v in totals.items() if k != "(all)"}
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=1)


if __name__ == "__main__":
    main()
