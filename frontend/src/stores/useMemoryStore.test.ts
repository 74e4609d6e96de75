import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { Api, ApiError, type MemoryFact, type MemoryPattern, type MemorySummary } from "../lib/api";
import { MEMORY_DEBOUNCE_MS, useMemoryStore } from "./useMemoryStore";

function fact(id: number, text: string, patch: Partial<MemoryFact> = {}): MemoryFact {
  return {
    id, project_id: null, subject: "prefers: tabs", text, category: "preference", confidence: 1, importance: 0.6, origin: "told",
    valid_from: 1, valid_to: null, superseded_by: null, created_at: 1, updated_at: 1, sources: [], ...patch,
  };
}

interface Call {
  method: string;
  url: string;
  body: unknown;
}

function pattern(id: string, evidence: number): MemoryPattern {
  return { id, behaviour: `behaviour ${id}`, evidence_count: evidence, first_seen: 1, last_seen: 2, project_id: null, sources: [{ conversation: "1", message: "2" }] };
}

function summary(id: string): MemorySummary {
  return { id, conversation: "1", first_seq: 1, last_seq: 12, text: `summary ${id}`, origin: "extractive", project_id: null, created_at: 3, from: 1, to: 2, sources: [] };
}

/**
 * A fake memory server: f1 superseded by f2 (listed with history only), edits and
 * deletions applied, a search answering with the facts whose text has the query; f2 in
 * the profile, p1 a habit and p2 not yet, one summary. `old` answers as a server from
 * before patterns and summaries: no habits in the profile, no routes for the rest.
 */
function fakeApi(calls: Call[], old = false): Api {
  let facts = [fact(1, "I prefer tabs over spaces", { valid_to: 5, superseded_by: 2 }), fact(2, "I prefer spaces over tabs", { valid_from: 5 })];
  let patterns = [pattern("p1", 4), pattern("p2", 1)];
  let summaries = [summary("s1")];
  return new Api("tok", async (url, init) => {
    const method = init?.method ?? "GET";
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ method, url, body });
    const u = new URL(url, "http://x");
    const id = Number(u.pathname.match(/\/api\/memory\/f(\d+)$/)?.[1]);
    const item = u.pathname.match(/^\/api\/memory\/([ps]\d+)$/)?.[1];
    if (u.pathname === "/api/memory/profile") {
      const profile = facts.filter((f) => f.id === 2).map((f) => ({ key: f.subject, value: f.text, fact: `f${f.id}`, updated_at: f.updated_at }));
      return Response.json(old ? { profile } : { profile, habits: patterns.filter((p) => p.evidence_count >= 3) });
    }
    if (!old && u.pathname === "/api/memory/patterns") return Response.json({ patterns });
    if (!old && u.pathname === "/api/memory/summaries") return Response.json({ summaries });
    if (!old && item && method === "DELETE") {
      patterns = patterns.filter((p) => p.id !== item);
      summaries = summaries.filter((x) => x.id !== item);
      return Response.json({ forgotten: item });
    }
    if (u.pathname === "/api/memory" && method === "GET") {
      const history = u.searchParams.get("history") === "true";
      return Response.json({ facts: facts.filter((f) => history || f.valid_to === null) });
    }
    if (u.pathname === "/api/memory/search") {
      const q = u.searchParams.get("q") ?? "";
      if (q === "expired") return Response.json({ error: { code: "unauthorized", message: "access token has expired" } }, { status: 401 });
      const hits = facts.filter((f) => f.text.includes(q));
      return Response.json({ items: hits.map((f) => ({ id: `f${f.id}`, kind: "fact", text: f.text, score: 0.1, category: f.category, valid_from: f.valid_from, valid_to: f.valid_to, sources: [] })) });
    }
    if (u.pathname === "/api/memory" && method === "POST") {
      if (!body.text) return Response.json({ error: { code: "bad_request", message: "give the `text` to remember" } }, { status: 400 });
      const added = fact(3, body.text, { project_id: body.project_id });
      facts = [...facts, added];
      return Response.json({ decision: { decision: "added", id: 3 }, fact: added });
    }
    if (method === "PATCH") {
      const found = facts.find((f) => f.id === id);
      if (!found) return Response.json({ error: { code: "not_found", message: `no memory item ${id}` } }, { status: 404 });
      facts = facts.map((f) => (f.id === id ? { ...f, text: body.text } : f));
      return Response.json({ fact: facts.find((f) => f.id === id) });
    }
    if (method === "DELETE") {
      facts = facts.filter((f) => f.id !== id);
      return Response.json({ forgotten: `f${id}` });
    }
    return Response.json({ error: { code: "not_found", message: "no route" } }, { status: 404 });
  });
}

const lists = (calls: Call[]) => calls.filter((c) => c.method === "GET" && !c.url.includes("/search")).map((c) => c.url);
const searches = (calls: Call[]) => calls.filter((c) => c.url.includes("/search")).map((c) => c.url);

describe("useMemoryStore", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    useMemoryStore.getState().reset();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("lists what holds now, and the superseded facts with history on", async () => {
    const calls: Call[] = [];
    const api = fakeApi(calls);
    await useMemoryStore.getState().load(api, 4);
    expect(useMemoryStore.getState().facts.map((f) => f.id)).toEqual([2]);
    await useMemoryStore.getState().setHistory(api, true);
    expect(useMemoryStore.getState().facts.map((f) => f.id)).toEqual([1, 2]);
    await useMemoryStore.getState().load(api, null);
    expect(lists(calls)).toEqual(["/api/memory?project_id=4", "/api/memory?project_id=4&history=true", "/api/memory?history=true"]);
  });

  it("searches once typing pauses, in the project's scope, and clears for an empty query", async () => {
    const calls: Call[] = [];
    const api = fakeApi(calls);
    await useMemoryStore.getState().load(api, 4);
    const first = useMemoryStore.getState().setQuery(api, "spa");
    const second = useMemoryStore.getState().setQuery(api, "spaces");
    await first;
    await vi.advanceTimersByTimeAsync(MEMORY_DEBOUNCE_MS);
    await second;
    expect(searches(calls)).toEqual(["/api/memory/search?q=spaces&project_id=4&limit=20"]);
    expect(useMemoryStore.getState().items?.map((i) => i.id)).toEqual(["f1", "f2"]);
    const cleared = useMemoryStore.getState().setQuery(api, "  ");
    await vi.advanceTimersByTimeAsync(MEMORY_DEBOUNCE_MS);
    await cleared;
    expect(useMemoryStore.getState()).toMatchObject({ items: null, searching: false });
    expect(searches(calls)).toHaveLength(1);
  });

  it("remembers for the user or for this project only, says what it did and lists it", async () => {
    const calls: Call[] = [];
    const api = fakeApi(calls);
    await useMemoryStore.getState().load(api, 4);
    expect(await useMemoryStore.getState().remember(api, " we use Kafka ", true)).toBe(true);
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ text: "we use Kafka", project_id: 4 });
    expect(useMemoryStore.getState().notice).toBe("Remembered as f3.");
    expect(useMemoryStore.getState().facts.map((f) => f.id)).toEqual([2, 3]);
    expect(await useMemoryStore.getState().remember(api, "", false)).toBe(false);
    expect(calls.filter((c) => c.method === "POST").at(-1)?.body).toEqual({ text: "", project_id: null });
    expect(useMemoryStore.getState().error).toBe("give the `text` to remember");
  });

  it("edits a fact in the list and in the search, and forgets one from both", async () => {
    const calls: Call[] = [];
    const api = fakeApi(calls);
    await useMemoryStore.getState().setHistory(api, true);
    await useMemoryStore.getState().load(api, 4);
    useMemoryStore.setState({ query: "prefer" });
    await useMemoryStore.getState().search(api);
    expect(await useMemoryStore.getState().edit(api, 2, "I prefer four spaces")).toBe(true);
    expect(calls.find((c) => c.method === "PATCH")).toEqual({ method: "PATCH", url: "/api/memory/f2", body: { text: "I prefer four spaces" } });
    expect(useMemoryStore.getState().facts.find((f) => f.id === 2)?.text).toBe("I prefer four spaces");
    expect(useMemoryStore.getState().items?.find((i) => i.id === "f2")?.text).toBe("I prefer four spaces");
    expect(await useMemoryStore.getState().edit(api, 9, "x")).toBe(false);
    expect(useMemoryStore.getState().error).toBe("no memory item 9");

    await useMemoryStore.getState().forget(api, "f1");
    expect(calls.find((c) => c.method === "DELETE")?.url).toBe("/api/memory/f1");
    expect(useMemoryStore.getState().facts.map((f) => f.id)).toEqual([2]);
    expect(useMemoryStore.getState().items?.map((i) => i.id)).toEqual(["f2"]);
    expect(useMemoryStore.getState().error).toBeNull();
  });

  it("starts afresh for another project, and leaves a 401 to the auth layer", async () => {
    const calls: Call[] = [];
    const api = fakeApi(calls);
    await useMemoryStore.getState().load(api, 4);
    useMemoryStore.setState({ query: "tabs" });
    await useMemoryStore.getState().search(api);
    await useMemoryStore.getState().load(api, 5);
    expect(useMemoryStore.getState()).toMatchObject({ projectId: 5, query: "", items: null });
    useMemoryStore.setState({ query: "expired" });
    await expect(useMemoryStore.getState().search(api)).rejects.toBeInstanceOf(ApiError);
  });
  it("reads the profile, habits and summaries, and an older server's facts without them", async () => {
    const calls: Call[] = [];
    await useMemoryStore.getState().loadViews(fakeApi(calls), 4);
    expect(calls.map((c) => c.url)).toEqual(["/api/memory/profile", "/api/memory/patterns?project_id=4", "/api/memory/summaries?project_id=4"]);
    const state = useMemoryStore.getState();
    expect(state.profile.map((e) => e.fact)).toEqual(["f2"]);
    expect(state.habits.map((p) => p.id)).toEqual(["p1"]);
    expect(state.patterns.map((p) => p.id)).toEqual(["p1", "p2"]);
    expect(state.summaries.map((x) => x.id)).toEqual(["s1"]);
    expect(state.viewErrors).toEqual({ profile: null, patterns: null, summaries: null });

    useMemoryStore.getState().reset();
    const old = fakeApi([], true);
    await Promise.all([useMemoryStore.getState().load(old, 4), useMemoryStore.getState().loadViews(old, 4)]);
    const older = useMemoryStore.getState();
    expect(older.facts.map((f) => f.id)).toEqual([2]);
    expect(older.error).toBeNull();
    expect(older.profile.map((e) => e.fact)).toEqual(["f2"]);
    expect(older.habits).toEqual([]);
    expect(older.viewErrors).toEqual({ profile: null, patterns: "no route", summaries: "no route" });
    expect(older.viewsLoading).toBe(false);
  });

  it("forgets a pattern and a summary, from their lists and from the search", async () => {
    const calls: Call[] = [];
    const api = fakeApi(calls);
    await Promise.all([useMemoryStore.getState().load(api, null), useMemoryStore.getState().loadViews(api, null)]);
    useMemoryStore.setState({ query: "parser", items: [{ id: "s1", kind: "summary", text: "summary s1", score: 1, valid_from: 1, valid_to: null, sources: [] }] });
    await useMemoryStore.getState().forget(api, "s1");
    await useMemoryStore.getState().forget(api, "p1");
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual(["/api/memory/s1", "/api/memory/p1"]);
    const state = useMemoryStore.getState();
    expect(state.summaries).toEqual([]);
    expect(state.patterns.map((p) => p.id)).toEqual(["p2"]);
    expect(state.habits).toEqual([]);
    expect(state.items).toEqual([]);
    expect(state.error).toBeNull();
  });

  it("leaves a 401 of a view to the auth layer, after the others have been read", async () => {
    const api = new Api("tok", async (url) =>
      url.includes("/summaries")
        ? Response.json({ error: { code: "unauthorized", message: "access token has expired" } }, { status: 401 })
        : Response.json(url.includes("/patterns") ? { patterns: [pattern("p1", 3)] } : { profile: [] }),
    );
    await expect(useMemoryStore.getState().loadViews(api, null)).rejects.toBeInstanceOf(ApiError);
    expect(useMemoryStore.getState()).toMatchObject({ viewsLoading: false, viewErrors: { profile: null, patterns: null, summaries: null } });
    expect(useMemoryStore.getState().patterns.map((p) => p.id)).toEqual(["p1"]);
  });

  it("keeps the profile but not another project's patterns and summaries when the project changes", async () => {
    const api = fakeApi([]);
    await Promise.all([useMemoryStore.getState().load(api, 4), useMemoryStore.getState().loadViews(api, 4)]);
    const switching = useMemoryStore.getState().load(api, 5);
    expect(useMemoryStore.getState()).toMatchObject({ patterns: [], summaries: [] });
    expect(useMemoryStore.getState().profile).toHaveLength(1);
    await switching;
  });
});
