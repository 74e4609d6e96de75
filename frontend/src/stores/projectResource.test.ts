import { beforeEach, describe, expect, it } from "vitest";

import { Api, ApiError, type CommandList } from "../lib/api";
import { useCommandStore } from "./useCommandStore";
import { useMcpStore } from "./useMcpStore";

const LIST: CommandList = {
  commands: [{ name: "help", description: "How commands work", argument_hint: null, source: "builtin", origin: null, shadowed_by: null }],
  problems: [{ file: ".claude/commands/bad.md", line: 3, message: "frontmatter is not YAML" }],
};

function fakeApi(urls: string[], answer: (url: string) => Response | Promise<Response>): Api {
  return new Api("tok", async (url) => {
    urls.push(url);
    return answer(url);
  });
}

describe("project resources", () => {
  beforeEach(() => {
    const empty = { projectId: null, data: null, loading: false, error: null, stale: false };
    useCommandStore.setState(empty);
    useMcpStore.setState(empty);
  });

  it("reads a project's commands with the token, and empties them without a project", async () => {
    const urls: string[] = [];
    await useCommandStore.getState().load(fakeApi(urls, () => Response.json(LIST)), 3);
    expect(urls).toEqual(["/api/projects/3/commands"]);
    expect(useCommandStore.getState()).toMatchObject({ projectId: 3, data: LIST, loading: false, stale: false, error: null });
    await useCommandStore.getState().load(fakeApi(urls, () => Response.json(LIST)), null);
    expect(useCommandStore.getState()).toMatchObject({ projectId: null, data: null });
    expect(urls).toHaveLength(1);
  });

  it("keeps the project asked last when two reads cross", async () => {
    let release: (r: Response) => void = () => {};
    const slow = new Promise<Response>((resolve) => (release = resolve));
    const urls: string[] = [];
    const api = fakeApi(urls, (url) => (url.includes("/1/") ? slow : Response.json({ servers: [], problems: ["p"] })));
    const first = useMcpStore.getState().load(api, 1);
    await useMcpStore.getState().load(api, 2);
    release(Response.json({ servers: [{ name: "late" }], problems: [] }));
    await first;
    expect(urls).toEqual(["/api/projects/1/mcp", "/api/projects/2/mcp"]);
    expect(useMcpStore.getState()).toMatchObject({ projectId: 2, data: { servers: [], problems: ["p"] } });
  });

  it("marks a failed read stale so the next chance reads again, and rethrows a rejected token", async () => {
    const failing = fakeApi([], () => Response.json({ error: { code: "internal", message: "boom" } }, { status: 500 }));
    await useCommandStore.getState().load(failing, 3);
    expect(useCommandStore.getState()).toMatchObject({ error: "boom", stale: true, loading: false });
    const expired = fakeApi([], () => Response.json({ error: { code: "unauthorized", message: "expired" } }, { status: 401 }));
    await expect(useCommandStore.getState().load(expired, 3)).rejects.toBeInstanceOf(ApiError);
    await useCommandStore.getState().load(fakeApi([], () => Response.json(LIST)), 3);
    expect(useCommandStore.getState()).toMatchObject({ error: null, stale: false, data: LIST });
    useCommandStore.getState().markStale();
    expect(useCommandStore.getState().stale).toBe(true);
  });
});
