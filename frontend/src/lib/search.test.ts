import { describe, expect, it } from "vitest";

import type { SearchHit, SearchStatus } from "./api";
import { coverageLine, hitPlace, isUnindexed, opensInEditor, snippetLines } from "./search";

const hit: SearchHit = {
  path: "src/store.rs", symbol: "crate::store::Database::open", kind: "method", language: "rust", lines: [12, 20], score: 0.03,
  snippet: "pub fn open() {\n    let db = connect();\n    db\n", snippet_line: 13, matched_lines: [13, 15], concepts: ["database"],
};

describe("search display", () => {
  it("numbers snippet lines from snippet_line and marks the matched ones", () => {
    expect(snippetLines(hit)).toEqual([
      { number: 13, text: "pub fn open() {", matched: true },
      { number: 14, text: "    let db = connect();", matched: false },
      { number: 15, text: "    db", matched: true },
    ]);
  });

  it("names a result's place, and opens only code results in the editor", () => {
    expect(hitPlace(hit)).toBe("src/store.rs:12-20");
    expect(hitPlace({ ...hit, lines: [7, 7] })).toBe("src/store.rs:7");
    const commit = { ...hit, path: "abc123", symbol: "Ann", kind: "commit", lines: [0, 0] as [number, number] };
    expect(hitPlace(commit)).toBe("abc123");
    expect(opensInEditor("code", hit)).toBe(true);
    expect(opensInEditor("git", commit)).toBe(false);
  });

  it("says how much of the collection has dense vectors", () => {
    const status: SearchStatus = {
      running: false, collections: [{ collection: "code", chunks: 130, dense: 120 }, { collection: "git", chunks: 2, dense: 0 }],
      embedder: "local:all-MiniLM-L6-v2", embedder_problem: null,
    };
    expect(coverageLine(null, "code")).toBeNull();
    expect(coverageLine(status, "code")).toBe("120 of 130 chunks embedded (local:all-MiniLM-L6-v2)");
    expect(coverageLine({ ...status, running: true }, "git")).toBe("0 of 2 chunks embedded (local:all-MiniLM-L6-v2); indexing...");
    expect(coverageLine({ ...status, embedder: null, embedder_problem: "model not found" }, "code")).toBe(
      "120 of 130 chunks embedded; keyword search only: model not found",
    );
    expect(coverageLine({ ...status, embedder_problem: "budget: raise BUDGET_DAILY_LIMIT_USD" }, "code")).toBe(
      "120 of 130 chunks embedded (local:all-MiniLM-L6-v2); the rest by keyword: budget: raise BUDGET_DAILY_LIMIT_USD",
    );
    expect(coverageLine(status, "conversation")).toBe("Nothing indexed for search yet.");
    expect(coverageLine({ ...status, running: true, collections: [] }, "code")).toBe("Indexing for search...");
  });
});

describe("isUnindexed", () => {
  const status = (running: boolean, chunks: number): SearchStatus => ({
    running,
    collections: [{ collection: "code", chunks, dense: 0 }],
    embedder: null,
    embedder_problem: null,
  });
  it("offers indexing only when nothing is indexed and nothing is running", () => {
    expect(isUnindexed(status(false, 0), "code")).toBe(true);
    expect(isUnindexed(status(false, 0), "git")).toBe(true);
    expect(isUnindexed(status(true, 0), "code")).toBe(false);
    expect(isUnindexed(status(false, 12), "code")).toBe(false);
    expect(isUnindexed(null, "code")).toBe(false);
  });
});
