#!/usr/bin/env python3
"""Regenerates .env.example from crates/mira-core/src/config/spec.rs (the one list of
settings). A test in mira-core fails when the two disagree; run this to fix it."""
import pathlib
import re

root = pathlib.Path(__file__).resolve().parent.parent
src = (root / "crates/mira-core/src/config/spec.rs").read_text()
body = src[src.index("pub const SETTINGS"):]
out = [
    "# Every setting Mira reads, with its default. Copy to ~/.config/mira/.env (Mira's own;",
    "# a .env in a project is the project's and never read) and change what you need, or set",
    "# them in the environment, in a project's .mira/mira.toml or ~/.config/mira/mira.toml",
    "# (KEY = value), or in a file given with --config. An empty value means the default",
    "# described in the comment. Environment beats --config beats .mira/mira.toml beats",
    "# ~/.config/mira/mira.toml beats ~/.config/mira/.env beats the default.",
]
token = re.compile(
    r'//\s*(\w[^\n]*)\n|s\(\s*"(\w+)",\s*"([^"]*)",\s*"((?:[^"\\]|\\.)*)",\s*"((?:[^"\\]|\\.)*)",?\s*\)',
    re.S,
)
for m in token.finditer(body):
    if m.group(1):
        out += ["", "# --- " + m.group(1).strip() + " ---"]
    else:
        key, default, accepts, help_text = m.group(2, 3, 4, 5)
        out.append("# " + help_text.replace('\\"', '"') + " Accepts: " + accepts.replace('\\"', '"') + ".")
        out.append(f"{key}={default}")
(root / ".env.example").write_text("\n".join(out).strip() + "\n")
