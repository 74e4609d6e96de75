import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { Api, ApiError, type MemoryFact } from "../lib/api";
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

/**
 * A fake memory server: f1 superseded by f2 (listed with history only), edits and
 * deletions applied, a search answering with the facts whose text has the query.
 */
function fakeApi(calls: Call[]): Api {
  let facts = [fact(1, "I prefer tabs over spaces", { valid_to: 5, superseded_by: 2 }), fact(2, "I prefer spaces over tabs", { valid_from: 5 })];
  return new Api("tok", async (url, init) => {
    const method = init?.method ?? "GET";
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ method, url, body });
    const u = new URL(url, "http://x");
    const id = Number(u.pathname.match(/\/api\/memory\/f(\d+)$/)?.[1]);
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
});
