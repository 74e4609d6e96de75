import { describe, expect, it } from "vitest";

import { parseInline, parseMarkdown, safeHref } from "./markdown";

describe("parseMarkdown", () => {
  it("reads fenced code with its language, lists, headings and paragraphs", () => {
    const blocks = parseMarkdown("# Plan\nRun it:\n\n```rust\nfn main() {}\n```\n- one\n- two\n1. first");
    expect(blocks.map((b) => b.kind)).toEqual(["heading", "paragraph", "code", "list", "list"]);
    expect(blocks[2]).toEqual({ kind: "code", language: "rust", text: "fn main() {}", open: false });
    const list = blocks[3];
    expect(list.kind === "list" && list.items.length).toBe(2);
  });

  it("keeps a fence that is still streaming open", () => {
    const blocks = parseMarkdown("```py\nprint(1)");
    expect(blocks).toEqual([{ kind: "code", language: "py", text: "print(1)", open: true }]);
  });
});

describe("parseInline", () => {
  it("reads code, bold, italics and links; markup inside code stays text", () => {
    expect(parseInline("use `a*b*c` and **bold** _it_ [x](https://e.org)")).toEqual([
      { kind: "text", text: "use " },
      { kind: "code", text: "a*b*c" },
      { kind: "text", text: " and " },
      { kind: "strong", children: [{ kind: "text", text: "bold" }] },
      { kind: "text", text: " " },
      { kind: "em", children: [{ kind: "text", text: "it" }] },
      { kind: "text", text: " " },
      { kind: "link", href: "https://e.org", children: [{ kind: "text", text: "x" }] },
    ]);
  });

  it("never links to scripts", () => {
    expect(safeHref("javascript:alert(1)")).toBe("#");
    expect(safeHref("http://localhost:3001/x")).toBe("http://localhost:3001/x");
  });

  it("reads citation markers, alone or grouped, but not links or code", () => {
    expect(parseInline("See [1] and [2, 3].")).toEqual([
      { kind: "text", text: "See " },
      { kind: "cite", refs: [1] },
      { kind: "text", text: " and " },
      { kind: "cite", refs: [2, 3] },
      { kind: "text", text: "." },
    ]);
    expect(parseInline("[1](https://e.org)")).toEqual([{ kind: "link", href: "https://e.org", children: [{ kind: "text", text: "1" }] }]);
    expect(parseInline("`a[1]`")).toEqual([{ kind: "code", text: "a[1]" }]);
    expect(parseInline("**in [4]**")).toEqual([{ kind: "strong", children: [{ kind: "text", text: "in " }, { kind: "cite", refs: [4] }] }]);
    expect(parseInline("[x] [1a] [](1)")).toEqual([{ kind: "text", text: "[x] [1a] [](1)" }]);
  });
});
