import { describe, expect, it } from "vitest";

import { citedItem, contextSummary, itemTarget, parseChatContext } from "./chatContext";

const wire = {
  files: [{ path: "src/lib.rs", score: 0.8, reasons: ["named in the task", "search hit"] }],
  items: [
    { source: "search", path: "src/lib.rs", lines: [10, 42], text: "fn parse() {}", tokens: 120, citation: "src/lib.rs:10-42" },
    { source: "git", path: null, lines: null, text: "fix the parser", tokens: 30, citation: "commit 1a2b3c4" },
    { source: "build", path: null, text: "error[E0425]", tokens: 12, citation: "build run 7" },
  ],
  tokens: 812,
  config: "standard",
  dropped_sources: [{ source: "cochange", reason: "timed out after 150 ms" }],
};

describe("parseChatContext", () => {
  it("reads the documented context", () => {
    const c = parseChatContext(wire)!;
    expect(c.files).toEqual(wire.files);
    expect(c.items[0]).toEqual({ source: "search", path: "src/lib.rs", lines: [10, 42], text: "fn parse() {}", tokens: 120, citation: "src/lib.rs:10-42" });
    expect(c.items[1]).toMatchObject({ path: null, lines: null, citation: "commit 1a2b3c4" });
    expect(c.dropped_sources).toEqual([{ source: "cochange", reason: "timed out after 150 ms" }]);
    expect(contextSummary(c)).toBe("Context (3 sources, 812 tokens)");
  });

  it("is lenient: bad entries are left out, missing citations and totals are made up", () => {
    const c = parseChatContext({ items: [{ source: "symbols", path: "a.py", lines: [3], tokens: 5 }, "junk", { source: "x", path: "b.py", tokens: 2 }] })!;
    expect(c.items).toHaveLength(2);
    expect(c.items[0]).toMatchObject({ lines: [3, 3], citation: "a.py:3-3" });
    expect(c.items[1]).toMatchObject({ lines: null, citation: "b.py" });
    expect(c.tokens).toBe(7);
    expect(contextSummary({ ...c, items: c.items.slice(0, 1), tokens: 1 })).toBe("Context (1 source, 1 token)");
    expect(parseChatContext(null)).toBeNull();
    expect(parseChatContext([1])).toBeNull();
  });

  it("says where an item opens and which item a marker cites", () => {
    const c = parseChatContext(wire)!;
    expect(itemTarget(c.items[0])).toEqual({ path: "src/lib.rs", line: 10 });
    expect(itemTarget(c.items[1])).toBeNull();
    expect(itemTarget({ ...c.items[0], lines: null })).toEqual({ path: "src/lib.rs", line: 1 });
    expect(citedItem(c, 1)?.citation).toBe("src/lib.rs:10-42");
    expect(citedItem(c, 3)?.citation).toBe("build run 7");
    expect(citedItem(c, 0)).toBeNull();
    expect(citedItem(c, 4)).toBeNull();
    expect(citedItem(undefined, 1)).toBeNull();
  });
});
