import { beforeEach, describe, expect, it } from "vitest";

import { Api, type FileContent, type Tree } from "../lib/api";
import { ACTIVITY_CAP, useActivityStore } from "./useActivityStore";
import { useAuthStore } from "./useAuthStore";
import { useConnectionStore } from "./useConnectionStore";
import { useProjectStore } from "./useProjectStore";

const trees: Record<string, Tree> = {
  "": {
    path: "",
    truncated: false,
    entries: [
      { name: "src", path: "src", kind: "dir" },
      { name: "README.md", path: "README.md", kind: "file", size: 10 },
    ],
  },
  src: { path: "src", truncated: false, entries: [{ name: "main.rs", path: "src/main.rs", kind: "file", size: 20 }] },
};

function fakeApi(log: string[], status = 200): Api {
  return new Api("tok", async (url) => {
    log.push(url);
    if (status !== 200) {
      return new Response(JSON.stringify({ error: { code: "unauthorized", message: "expired" } }), { status });
    }
    const u = new URL(url, "http://x");
    if (u.pathname === "/api/projects") {
      return Response.json({
        projects: [{ id: 7, name: "demo", root: "/d", is_git: true, created_at: "2026-01-01T00:00:00Z" }],
      });
    }
    if (u.pathname.endsWith("/tree")) return Response.json(trees[u.searchParams.get("path") ?? ""]);
    const file: FileContent = {
      path: u.searchParams.get("path") ?? "",
      kind: "file",
      size: 20,
      modified: null,
      language: "rust",
      binary: false,
      too_large: false,
      hash: "h",
      content: "fn main() {}",
    };
    return Response.json(file);
  });
}

describe("useProjectStore", () => {
  beforeEach(() => {
    useProjectStore.setState({ projects: [], selectedId: null, trees: {}, expanded: {}, openFile: null, error: null });
  });

  it("loads projects, selects the first and fetches its root", async () => {
    const log: string[] = [];
    await useProjectStore.getState().load(fakeApi(log));
    const s = useProjectStore.getState();
    expect(s.selectedId).toBe(7);
    expect(s.trees[""].entries.map((e) => e.name)).toEqual(["src", "README.md"]);
    expect(log).toEqual(["/api/projects", "/api/projects/7/tree?path="]);
  });

  it("expands directories lazily, once, and opens files", async () => {
    const log: string[] = [];
    const api = fakeApi(log);
    await useProjectStore.getState().load(api);
    await useProjectStore.getState().toggle(api, "src");
    expect(useProjectStore.getState().trees.src.entries[0].path).toBe("src/main.rs");
    await useProjectStore.getState().toggle(api, "src");
    await useProjectStore.getState().toggle(api, "src");
    expect(log.filter((u) => u.includes("path=src")).length).toBe(1);
    expect(useProjectStore.getState().expanded.src).toBe(true);
    await useProjectStore.getState().open(api, "src/main.rs");
    expect(useProjectStore.getState().openFile?.content).toBe("fn main() {}");
  });

  it("rethrows 401 for the auth layer instead of showing it as a plain error", async () => {
    const error = await useProjectStore.getState().load(fakeApi([], 401)).catch((e: unknown) => e);
    expect((error as { status: number }).status).toBe(401);
    expect(useProjectStore.getState().error).toBeNull();
  });
});

describe("useActivityStore", () => {
  beforeEach(() => useActivityStore.getState().clear());

  it("keeps newest first and caps the list", () => {
    for (let i = 0; i < ACTIVITY_CAP + 20; i++) {
      useActivityStore.getState().activity({ ts: `t${i}`, kind: "k", message: `m${i}` });
    }
    const items = useActivityStore.getState().items;
    expect(items).toHaveLength(ACTIVITY_CAP);
    expect(items[0].kind === "activity" && items[0].data.message).toBe(`m${ACTIVITY_CAP + 19}`);
  });

  it("shows one line per progress task, updated in place at the top", () => {
    const store = useActivityStore.getState();
    store.progress({ task: "t1", label: "Indexing", done: 1, total: 10 });
    store.activity({ ts: "x", kind: "k", message: "between" });
    store.progress({ task: "t1", label: "Indexing", done: 5, total: 10 });
    const items = useActivityStore.getState().items;
    expect(items).toHaveLength(2);
    expect(items[0].kind === "progress" && items[0].data.done).toBe(5);
  });
});

describe("useAuthStore and useConnectionStore", () => {
  it("takes the token from the fragment and forgets it when rejected", () => {
    const data = new Map<string, string>();
    const storage = {
      getItem: (k: string) => data.get(k) ?? null,
      setItem: (k: string, v: string) => void data.set(k, v),
      removeItem: (k: string) => void data.delete(k),
    };
    expect(useAuthStore.getState().init("#token=abc", storage)).toBe("");
    expect(useAuthStore.getState()).toMatchObject({ token: "abc", status: "ok" });
    useAuthStore.getState().reject("expired", storage);
    expect(useAuthStore.getState()).toMatchObject({ token: null, status: "rejected", message: "expired" });
    useAuthStore.getState().init("", storage);
    expect(useAuthStore.getState().status).toBe("missing");
  });

  it("remembers the protocol across reconnects and keeps the retry deadline", () => {
    const c = useConnectionStore.getState();
    c.set("open", { protocol: 1 }, 1_000);
    expect(useConnectionStore.getState()).toMatchObject({ state: "open", retryAt: null, protocol: 1 });
    c.set("reconnecting", { retryInMs: 500 }, 10_000);
    expect(useConnectionStore.getState()).toMatchObject({ state: "reconnecting", retryAt: 10_500, since: 10_000, protocol: 1 });
    c.set("connecting", {}, 10_500);
    expect(useConnectionStore.getState().retryAt).toBeNull();
  });
});
