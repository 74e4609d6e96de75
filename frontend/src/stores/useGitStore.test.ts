import { beforeEach, describe, expect, it } from "vitest";

import { Api } from "../lib/api";
import { useGitStore } from "./useGitStore";

function fakeApi(log: string[]): Api {
  return new Api("tok", async (url) => {
    log.push(url);
    const u = new URL(url, "http://x");
    const kind = u.pathname.split("/").pop();
    const bodies: Record<string, unknown> = {
      cochange: { suggestions: [{ file: "b.rs", shared_commits: 3, commits_of_query: 4, confidence: 0.75, jaccard: 0.5, last_cochange_at: 0, score: 1, evidence: "changed together in 3 of 4 commits touching a.rs, last 1 day ago" }] },
      experts: { experts: [{ name: "Ann", email: "ann@x.org", score: 80, commit_part: 0.8, lines_part: 0.8, recency_part: 0.8, commits: 4, lines_changed: 10, last_commit_at: 0, is_bot: false }] },
      log: { commits: [{ sha: "abc", author_name: "Ann", author_email: "a", authored_at: 0, committed_at: 0, summary: "s", is_merge: false, path: "a.rs", status: "M", lines_added: 1, lines_removed: 0 }] },
      blame: { lines: [{ line: 1, commit: "abc", original_line: 1, original_path: "a.rs", author_name: "Ann", author_email: "a", authored_at: 0, summary: "s" }] },
    };
    if (u.searchParams.get("path") === "missing.rs") {
      return new Response(JSON.stringify({ error: { code: "not_found", message: "missing.rs is not in the repository" } }), { status: 404 });
    }
    return Response.json(bodies[kind ?? ""]);
  });
}

describe("useGitStore", () => {
  beforeEach(() => {
    useGitStore.getState().reset();
    useGitStore.setState({ showBlame: false });
  });

  it("loads co-change, experts and history of the open file, and blame only when shown", async () => {
    const log: string[] = [];
    const api = fakeApi(log);
    await useGitStore.getState().load(api, 1, "a.rs");
    const s = useGitStore.getState();
    expect(s.cochange[0].file).toBe("b.rs");
    expect(s.experts[0].name).toBe("Ann");
    expect(s.history).toHaveLength(1);
    expect(s.blame).toEqual([]);
    expect(log.some((u) => u.includes("/blame"))).toBe(false);
    await useGitStore.getState().toggleBlame(api, 1);
    expect(useGitStore.getState().blame[0].author_name).toBe("Ann");
    await useGitStore.getState().toggleBlame(api, 1);
    expect(useGitStore.getState()).toMatchObject({ showBlame: false, blame: [] });
  });

  it("shows the server's message when a query fails", async () => {
    await useGitStore.getState().load(fakeApi([]), 1, "missing.rs");
    expect(useGitStore.getState().error).toBe("missing.rs is not in the repository");
    expect(useGitStore.getState().cochange).toEqual([]);
  });

  it("tells a project whose history is not indexed apart from a file without commits", async () => {
    const log: string[] = [];
    const api = new Api("tok", async (url) => {
      log.push(url);
      return Response.json({ commits: [] });
    });
    await useGitStore.getState().load(api, 1, "a.rs");
    expect(useGitStore.getState()).toMatchObject({ projectIndexed: false, error: null, loading: false });
    // The file's own queries are not asked: they could only say the same.
    expect(log).toHaveLength(1);
    await useGitStore.getState().load(fakeApi([]), 1, "a.rs");
    expect(useGitStore.getState().projectIndexed).toBe(true);
  });
});
