import { beforeEach, describe, expect, it } from "vitest";

import { Api, type FileContent, staleFromBody } from "../lib/api";
import { useEditorStore } from "./useEditorStore";

/** A server holding one file, refusing a save whose base is not what it holds. */
function fakeServer(initial: { text: string; hash: string }) {
  const disk = { ...initial };
  const bases: (string | null)[] = [];
  const api = new Api("tok", async (_url, init) => {
    const body = JSON.parse(String(init?.body)) as { content: string; base_hash: string | null };
    bases.push(body.base_hash);
    if (body.base_hash !== disk.hash) {
      return Response.json(
        { error: { code: "conflict", message: "the file changed on disk since it was opened; nothing was written" }, current: { exists: true, hash: disk.hash, content: disk.text } },
        { status: 409 },
      );
    }
    disk.text = body.content;
    disk.hash = `h-${body.content}`;
    return Response.json({ path: "a.rs", hash: disk.hash, size: body.content.length });
  });
  return { api, disk, bases };
}

const file: FileContent = { path: "a.rs", kind: "file", size: 3, modified: null, language: "rust", binary: false, too_large: false, content: "one", hash: "h-one" };

describe("useEditorStore", () => {
  beforeEach(() => useEditorStore.getState().opened(file));

  it("saves over the base it opened and moves the base to what it wrote", async () => {
    const server = fakeServer({ text: "one", hash: "h-one" });
    expect(await useEditorStore.getState().save(server.api, 1, "two")).toBe(true);
    expect(await useEditorStore.getState().save(server.api, 1, "three")).toBe(true);
    expect(server.bases).toEqual(["h-one", "h-two"]);
    expect(server.disk.text).toBe("three");
  });

  it("keeps the disk's text on a stale save and lets the user choose", async () => {
    const server = fakeServer({ text: "changed elsewhere", hash: "h-elsewhere" });
    expect(await useEditorStore.getState().save(server.api, 1, "mine")).toBe(false);
    const conflict = useEditorStore.getState().conflict;
    expect(conflict).toMatchObject({ mine: "mine", disk: { content: "changed elsewhere", hash: "h-elsewhere" } });
    expect(server.disk.text).toBe("changed elsewhere");
    // No further save goes out while the choice is pending.
    expect(await useEditorStore.getState().save(server.api, 1, "again")).toBe(false);
    expect(server.bases).toHaveLength(1);

    expect(await useEditorStore.getState().keepMine(server.api, 1)).toBe(true);
    expect(server.bases.at(-1)).toBe("h-elsewhere");
    expect(server.disk.text).toBe("mine");
    expect(useEditorStore.getState().conflict).toBeNull();
  });

  it("takes the disk's version as the new base", async () => {
    const server = fakeServer({ text: "theirs", hash: "h-theirs" });
    await useEditorStore.getState().save(server.api, 1, "mine");
    expect(useEditorStore.getState().takeDisk()).toBe("theirs");
    expect(useEditorStore.getState()).toMatchObject({ conflict: null, baseHash: "h-theirs" });
    expect(await useEditorStore.getState().save(server.api, 1, "next")).toBe(true);
    expect(server.bases.at(-1)).toBe("h-theirs");
  });
});

describe("staleFromBody", () => {
  it("reads the disk's version of a 409, and nothing from other bodies", () => {
    expect(staleFromBody({ error: { code: "conflict", message: "m" }, current: { exists: false, hash: null, content: null } })).toEqual({
      kind: "stale",
      message: "m",
      disk: { exists: false, hash: null, content: null },
    });
    expect(staleFromBody({ error: { code: "conflict", message: "project exists" } })).toBeNull();
    expect(staleFromBody("text")).toBeNull();
  });
});
