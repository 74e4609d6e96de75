import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { Api, ApiError, type SearchHit } from "../lib/api";
import { SEARCH_DEBOUNCE_MS, paramsOf, defaultFilters, useSearchStore } from "./useSearchStore";

function hit(path: string, symbol: string): SearchHit {
  return {
    path, symbol, kind: "function", language: "rust", lines: [3, 5], score: 0.03, snippet: "fn a() {}\n// b",
    snippet_line: 3, matched_lines: [3], concepts: [],
  };
}

function answer(query: string, results: SearchHit[]) {
  return {
    query, collection: "code", mode: "keyword", results, concepts: ["database"], embedder: null, dense_ready: 0, chunks: 4,
    notice: "no embedder: keyword search only", took_ms: 1.5,
  };
}

/** A fake server: answers each query with one hit named after it, after `delays[q]` ms. */
function fakeApi(calls: string[], delays: Record<string, number> = {}): Api {
  return new Api("tok", async (url) => {
    calls.push(url);
    const u = new URL(url, "http://x");
    if (u.pathname.endsWith("/search/status")) {
      return Response.json({ running: false, collections: [{ collection: "code", chunks: 4, dense: 3 }], embedder: "local:e", embedder_problem: null });
    }
    const q = u.searchParams.get("q") ?? "";
    if (q === "bad") return Response.json({ error: { code: "bad_request", message: "the query has no terms" } }, { status: 400 });
    if (q === "expired") return Response.json({ error: { code: "unauthorized", message: "access token has expired" } }, { status: 401 });
    if (delays[q]) await new Promise((r) => setTimeout(r, delays[q]));
    return Response.json(answer(q, [hit(`src/${q}.rs`, `crate::${q}`)]));
  });
}

const searches = (calls: string[]) => calls.filter((c) => c.includes("/search?"));

describe("useSearchStore", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    useSearchStore.getState().reset();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("searches once typing pauses, with the last query", async () => {
    const calls: string[] = [];
    const api = fakeApi(calls);
    const s = useSearchStore.getState();
    const first = s.setQuery(api, 1, "d");
    const second = s.setQuery(api, 1, "da");
    const third = s.setQuery(api, 1, "dat");
    // Replaced keystrokes settle at once, without a request.
    await first;
    await second;
    expect(searches(calls)).toEqual([]);
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS - 1);
    expect(searches(calls)).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await third;
    expect(searches(calls)).toEqual(["/api/projects/1/search?q=dat&mode=hybrid&collection=code&limit=20"]);
    const state = useSearchStore.getState();
    expect(state.results.map((r) => r.symbol)).toEqual(["crate::dat"]);
    expect(state).toMatchObject({ loading: false, error: null, notice: "no embedder: keyword search only" });
    expect(state.answer).toMatchObject({ mode: "keyword", concepts: ["database"], chunks: 4 });
    // The answer's counts are the latest coverage of its collection.
    expect(state.status?.collections).toEqual([{ collection: "code", chunks: 4, dense: 0 }]);
  });

  it("drops an answer to an older query that arrives after a newer one", async () => {
    const calls: string[] = [];
    const api = fakeApi(calls, { slow: 500, fast: 10 });
    const store = useSearchStore.getState();
    useSearchStore.setState({ query: "slow" });
    const slow = store.run(api, 1);
    useSearchStore.setState({ query: "fast" });
    const fast = store.run(api, 1);
    await vi.advanceTimersByTimeAsync(10);
    await fast;
    expect(useSearchStore.getState().results[0].path).toBe("src/fast.rs");
    await vi.advanceTimersByTimeAsync(500);
    await slow;
    expect(searches(calls)).toHaveLength(2);
    expect(useSearchStore.getState()).toMatchObject({ query: "fast", loading: false });
    expect(useSearchStore.getState().results[0].path).toBe("src/fast.rs");
  });

  it("runs at once on Enter, replacing the pending keystroke", async () => {
    const calls: string[] = [];
    const api = fakeApi(calls);
    const typed = useSearchStore.getState().setQuery(api, 1, "open");
    await useSearchStore.getState().run(api, 1);
    await typed;
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS * 2);
    expect(searches(calls)).toHaveLength(1);
    expect(useSearchStore.getState().results[0].symbol).toBe("crate::open");
  });

  it("sends filters, language and kind only for code", async () => {
    const calls: string[] = [];
    const api = fakeApi(calls);
    useSearchStore.setState({ query: "open" });
    await useSearchStore.getState().filter(api, 1, { lang: "rust", kind: "method", mode: "dense" });
    const path = useSearchStore.getState().filter(api, 1, { path: "src/" }, true);
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    await path;
    expect(searches(calls)).toEqual([
      "/api/projects/1/search?q=open&lang=rust&kind=method&mode=dense&collection=code&limit=20",
      "/api/projects/1/search?q=open&lang=rust&path=src%2F&kind=method&mode=dense&collection=code&limit=20",
    ]);
    expect(paramsOf(" x ", { ...defaultFilters, lang: "rust", kind: "method", collection: "git" })).toMatchObject({ q: "x", lang: "", kind: "" });
  });

  it("clears the results for an empty query without asking the server", async () => {
    const calls: string[] = [];
    const api = fakeApi(calls);
    await useSearchStore.getState().run(api, 1);
    useSearchStore.setState({ query: "open" });
    await useSearchStore.getState().run(api, 1);
    expect(useSearchStore.getState().results).toHaveLength(1);
    const cleared = useSearchStore.getState().setQuery(api, 1, "  ");
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    await cleared;
    expect(searches(calls)).toHaveLength(1);
    expect(useSearchStore.getState()).toMatchObject({ results: [], answer: null, error: null, notice: null });
  });

  it("shows the server's message for a bad query, and rethrows a refused token", async () => {
    const api = fakeApi([]);
    useSearchStore.setState({ query: "open" });
    await useSearchStore.getState().run(api, 1);
    useSearchStore.setState({ query: "bad" });
    await useSearchStore.getState().run(api, 1);
    expect(useSearchStore.getState()).toMatchObject({ error: "the query has no terms", results: [], loading: false });
    // A later good query clears the error.
    useSearchStore.setState({ query: "open" });
    await useSearchStore.getState().run(api, 1);
    expect(useSearchStore.getState().error).toBeNull();
    useSearchStore.setState({ query: "expired" });
    const refused = await useSearchStore.getState().run(api, 1).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).status).toBe(401);
    // Through the debounce too: the promise of the keystroke carries the error.
    const typed = useSearchStore.getState().setQuery(api, 1, "expired").catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    expect(await typed).toBeInstanceOf(ApiError);
  });

  it("drops an error of an older query", async () => {
    const api = fakeApi([], { open: 50 });
    useSearchStore.setState({ query: "bad" });
    const bad = useSearchStore.getState().run(api, 1);
    useSearchStore.setState({ query: "open" });
    const open = useSearchStore.getState().run(api, 1);
    await bad;
    expect(useSearchStore.getState()).toMatchObject({ error: null, loading: true });
    await vi.advanceTimersByTimeAsync(50);
    await open;
    expect(useSearchStore.getState()).toMatchObject({ error: null, loading: false });
  });

  it("loads the coverage, and on refresh runs the current query again", async () => {
    const calls: string[] = [];
    const api = fakeApi(calls);
    await useSearchStore.getState().refresh(api, 1);
    expect(searches(calls)).toEqual([]);
    expect(useSearchStore.getState().status).toMatchObject({ embedder: "local:e", collections: [{ collection: "code", chunks: 4, dense: 3 }] });
    useSearchStore.setState({ query: "open" });
    await useSearchStore.getState().refresh(api, 1);
    expect(searches(calls)).toHaveLength(1);
    expect(useSearchStore.getState().results[0].symbol).toBe("crate::open");
  });

  it("forgets a pending search on reset", async () => {
    const calls: string[] = [];
    const typed = useSearchStore.getState().setQuery(fakeApi(calls), 1, "open");
    useSearchStore.getState().reset();
    await typed;
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    expect(calls).toEqual([]);
    expect(useSearchStore.getState().query).toBe("");
  });
});
