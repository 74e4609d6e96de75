import { describe, expect, it } from "vitest";

import { Api, ApiError, errorFromResponse } from "./api";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

describe("Api", () => {
  it("sends the bearer token and encodes paths", async () => {
    const calls: { url: string; auth: string | null }[] = [];
    const api = new Api("tok", async (url, init) => {
      calls.push({ url, auth: new Headers(init?.headers).get("authorization") });
      return json(200, { path: "src/a b.rs", size: 1, modified: null, language: "rust", binary: false, too_large: false, content: "x" });
    });
    const file = await api.file(3, "src/a b.rs");
    expect(file.language).toBe("rust");
    expect(calls).toEqual([{ url: "/api/projects/3/file?path=src%2Fa%20b.rs", auth: "Bearer tok" }]);
  });

  it("turns error bodies into ApiError with the server's code and message", async () => {
    const api = new Api("bad", async () => json(401, { error: { code: "unauthorized", message: "access token has expired" } }));
    const error = await api.projects().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect((error as ApiError).code).toBe("unauthorized");
    expect((error as ApiError).message).toBe("access token has expired");
  });

  it("keeps the status line when the body is not JSON", async () => {
    const error = await errorFromResponse(new Response("oops", { status: 502, statusText: "Bad Gateway" }));
    expect(error.code).toBe("http_error");
    expect(error.message).toBe("502 Bad Gateway");
  });

  it("leaves empty search filters out and reports a bad query with the server's message", async () => {
    const urls: string[] = [];
    const api = new Api("tok", async (url) => {
      urls.push(url);
      if (url.endsWith("/search/status")) return json(200, { running: true, collections: [], embedder: null, embedder_problem: "no model" });
      return json(400, { error: { code: "bad_request", message: "empty query" } });
    });
    const error = await api.search(2, { q: "open db", lang: "", path: "src/a b", mode: "keyword" }).catch((e: unknown) => e);
    expect(urls[0]).toBe("/api/projects/2/search?q=open+db&path=src%2Fa+b&mode=keyword");
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("bad_request");
    expect((error as ApiError).message).toBe("empty query");
    expect((await api.searchStatus(2)).embedder_problem).toBe("no model");
  });

  it("lists conversations and reads one's messages with their context", async () => {
    const urls: string[] = [];
    const api = new Api("tok", async (url) => {
      urls.push(url);
      if (url.startsWith("/api/conversations?")) return json(200, { conversations: [{ id: 4, title: "parser", project_id: 1, created_at: "", updated_at: "", messages: 2 }] });
      return json(200, { conversation: { id: 4 }, messages: [{ id: 9, role: "assistant", content: "In [1].", context: { items: [] } }] });
    });
    expect((await api.conversations()).map((c) => c.title)).toEqual(["parser"]);
    expect((await api.conversation(4))[0].context).toEqual({ items: [] });
    expect(urls).toEqual(["/api/conversations?limit=30", "/api/conversations/4"]);
  });

  it("lists, searches, remembers, edits and forgets memory with the right methods and bodies", async () => {
    const calls: { method: string; url: string; body: unknown }[] = [];
    const fact = { id: 2, text: "We use Kafka & Redis." };
    const api = new Api("tok", async (url, init) => {
      calls.push({ method: init?.method ?? "GET", url, body: init?.body ? JSON.parse(String(init.body)) : undefined });
      if (url.startsWith("/api/memory/search")) return json(200, { items: [{ id: "t4", kind: "turn", text: "hi", score: 0.1, valid_from: 1, valid_to: null, sources: [] }] });
      if (init?.method === "DELETE") return json(200, { forgotten: "t4" });
      if (init?.method === "POST") return json(200, { decision: { decision: "superseded", id: 2, old: [1] }, fact });
      if (init?.method === "PATCH") return json(200, { fact });
      return json(200, { facts: [fact] });
    });
    expect((await api.memory(null)).map((f) => f.id)).toEqual([2]);
    await api.memory(3, true);
    expect((await api.memorySearch("kafka & redis?", 3, 5))[0].kind).toBe("turn");
    expect((await api.remember("We use Kafka & Redis.", null)).decision).toEqual({ decision: "superseded", id: 2, old: [1] });
    expect((await api.memoryEdit("f2", "We use Kafka.")).id).toBe(2);
    await api.memoryForget("t4");
    expect(calls).toEqual([
      { method: "GET", url: "/api/memory", body: undefined },
      { method: "GET", url: "/api/memory?project_id=3&history=true", body: undefined },
      { method: "GET", url: "/api/memory/search?q=kafka+%26+redis%3F&project_id=3&limit=5", body: undefined },
      { method: "POST", url: "/api/memory", body: { text: "We use Kafka & Redis.", project_id: null } },
      { method: "PATCH", url: "/api/memory/f2", body: { text: "We use Kafka." } },
      { method: "DELETE", url: "/api/memory/t4", body: undefined },
    ]);
  });

  it("reads the profile, patterns and summaries at their routes, in the project's scope", async () => {
    const urls: string[] = [];
    const api = new Api("tok", async (url) => {
      urls.push(url);
      if (url.startsWith("/api/memory/profile")) return json(200, { profile: [{ key: "name", value: "Sam", fact: "f1", updated_at: 1 }] });
      if (url.startsWith("/api/memory/patterns")) return json(200, { patterns: [{ id: "p3", behaviour: "asks for tests", evidence_count: 3 }] });
      return json(200, { summaries: [{ id: "s4", text: "About the parser.", conversation: "e2e" }] });
    });
    expect(await api.memoryProfile()).toEqual({ profile: [{ key: "name", value: "Sam", fact: "f1", updated_at: 1 }], habits: [] });
    expect((await api.memoryPatterns(3)).map((p) => p.evidence_count)).toEqual([3]);
    await api.memoryPatterns(null);
    expect((await api.memorySummaries(3, "e2e habits")).map((x) => x.id)).toEqual(["s4"]);
    await api.memorySummaries(null);
    expect(urls).toEqual([
      "/api/memory/profile",
      "/api/memory/patterns?project_id=3",
      "/api/memory/patterns",
      "/api/memory/summaries?project_id=3&conversation=e2e+habits",
      "/api/memory/summaries",
    ]);
  });
});
