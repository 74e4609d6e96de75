import { beforeEach, describe, expect, it } from "vitest";

import { Api } from "../lib/api";
import { useCodeStore } from "./useCodeStore";

function fakeApi(calls: string[]): Api {
  return new Api("tok", async (url) => {
    calls.push(url);
    const u = new URL(url, "http://x");
    const symbol = u.searchParams.get("symbol");
    if (u.pathname.endsWith("/code/files")) {
      return Response.json({ files: [{ path: "src/a.rs", language: "rust", symbols: 3, has_tests: true, error_lines: [7], skip_reason: null }] });
    }
    if (u.pathname.endsWith("/code/symbols")) {
      const s = { qualified_name: "crate::run", name: "run", kind: "function", file: "src/a.rs", language: "rust", start_line: 2, start_col: 1, end_line: 4, end_col: 2, signature: "fn run()", doc: null, visibility: "pub", parent: null, is_test: false };
      return Response.json({ symbols: [s] });
    }
    const call = { symbol: "crate::main", kind: "function", file: "src/main.rs", line: 3, col: 5, resolution: "exact", is_test: false };
    if (u.pathname.endsWith("/code/callers")) {
      // A fuzzy query can match several symbols: the exact one is shown.
      return Response.json({ query: symbol, matches: [{ symbol: "crate::other::run", callers: [] }, { symbol, callers: [call] }] });
    }
    if (u.pathname.endsWith("/code/callees")) return Response.json({ query: symbol, matches: [] });
    if (u.pathname.endsWith("/code/impact")) {
      return Response.json({ query: symbol, depth: 3, results: [{ symbol, depth: 3, tests: 0, impacted: [{ ...call, depth: 1, path: [symbol, "crate::main"] }] }] });
    }
    return new Response(JSON.stringify({ error: { code: "not_found", message: "no such symbol" } }), { status: 404 });
  });
}

describe("useCodeStore", () => {
  beforeEach(() => {
    useCodeStore.setState({ projectId: null, files: {}, path: null, outline: [], selected: null, callers: [], callees: [], impact: null, error: null });
  });

  it("loads file tags, the outline, and a symbol's callers, callees and impact", async () => {
    const calls: string[] = [];
    const api = fakeApi(calls);
    await useCodeStore.getState().loadFiles(api, 1);
    expect(useCodeStore.getState().files["src/a.rs"]).toMatchObject({ symbols: 3, has_tests: true, error_lines: [7] });
    await useCodeStore.getState().loadOutline(api, 1, "src/a.rs");
    expect(useCodeStore.getState().outline.map((s) => s.name)).toEqual(["run"]);
    await useCodeStore.getState().select(api, 1, "crate::run");
    const s = useCodeStore.getState();
    expect(s.callers.map((c) => c.symbol)).toEqual(["crate::main"]);
    expect(s.callees).toEqual([]);
    expect(s.impact?.impacted[0].path).toEqual(["crate::run", "crate::main"]);
    expect(calls.some((c) => c.includes("impact?symbol=crate%3A%3Arun&depth=3"))).toBe(true);
  });

  it("forgets the selection when another file opens", async () => {
    const api = fakeApi([]);
    await useCodeStore.getState().loadOutline(api, 1, "src/a.rs");
    await useCodeStore.getState().select(api, 1, "crate::run");
    await useCodeStore.getState().loadOutline(api, 1, null);
    expect(useCodeStore.getState()).toMatchObject({ path: null, outline: [], selected: null, callers: [] });
  });
});
