#!/usr/bin/env python3
"""Lists the packages that only run while Mira compiles (proc macros, build-script
helpers and what only they use), for the opt-level 0 block at the end of Cargo.toml.

Cargo's `[profile.dev.package."*"]` outranks `[profile.dev.build-override]`, so these
must be named one by one to be built unoptimised. Run after a dependency change and
compare with Cargo.toml:

    python3 scripts/build-profile.py            # the TOML block
    python3 scripts/build-profile.py --check    # exit 1 when Cargo.toml lacks one
"""

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Parsers of Rust code that a runtime crate lists as a dependency without running them on
# any path Mira takes (zvariant_utils keeps syn for its derive helpers).
ALSO_HOST = {"syn", "quote", "proc-macro2"}
# Runs real work at compile time (compresses a dictionary): kept optimised.
KEEP = {"include-flate-codegen"}


def packages(edges: str) -> set[tuple[str, str]]:
    out = subprocess.run(
        ["cargo", "tree", "-q", "--workspace", "-e", edges, "--prefix", "none"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].startswith("v"):
            found.add((parts[0], parts[1][1:]))
    return found


def host_only() -> list[str]:
    every = packages("normal,dev,build")
    runtime = packages("normal,dev,no-proc-macro")
    host = every - runtime
    names = {}
    for name, version in sorted(host):
        names.setdefault(name, []).append(version)
    specs = []
    runtime_names = {n for n, _ in runtime}
    for name, versions in sorted(names.items()):
        if name in KEEP:
            continue
        if name in runtime_names:
            # Another version of it runs in Mira: name this one exactly.
            specs.extend(f"{name}@{v}" for v in versions)
        else:
            specs.append(name)
    specs = [s for s in specs if s.split("@")[0] not in ALSO_HOST]
    return sorted(specs + sorted(ALSO_HOST))


def main() -> int:
    specs = host_only()
    if "--check" in sys.argv:
        toml = (REPO / "Cargo.toml").read_text()
        named = set(re.findall(r'^\[profile\.dev\.package\."([^"]+)"\]', toml, re.M))
        missing = [s for s in specs if s not in named]
        for s in missing:
            print(f"Cargo.toml has no opt-level 0 entry for the build-time package {s}")
        return 1 if missing else 0
    for s in specs:
        print(f'[profile.dev.package."{s}"]\nopt-level = 0')
    return 0


if __name__ == "__main__":
    sys.exit(main())
