import { beforeEach, describe, expect, it } from "vitest";

import { Api, type BuildError, type BuildRun } from "../lib/api";
import { stripAnsi } from "../lib/ansi";
import { parseServerFrame } from "../lib/protocol";
import { OUTPUT_CAP, groupByFile, useBuildStore } from "./useBuildStore";

function run(id: number, status: BuildRun["status"]): BuildRun {
  return {
    id, project_id: 1, command: ["cargo", "test"], command_line: "cargo test", dir: "", tool: "cargo", status,
    exit_code: status === "failed" ? 101 : null, failure: null, started_at: 0, finished_at: null, duration_ms: 1200,
    commit: null, dirty: false, errors: 1, warnings: 0, infos: 0, log_bytes: 10, log_truncated: false,
  };
}

function error(id: number, file: string | null, line: number | null): BuildError {
  return {
    id, tool: "rustc", severity: "error", code: "E0425", message: `m${id}`, file, line, column: 5, occurrences: 1,
    run_count: 1, first_seen_at: 0, last_seen_at: 0, last_run_id: 1, resolved_at: null, resolved_run_id: null, resolved_unchanged: false,
    recurring: false, reopened: 0, fingerprint: "f", excerpt: [], known_fixes: [],
  };
}

function fakeApi(calls: { url: string; body?: unknown }[]): Api {
  return new Api("tok", async (url, init) => {
    calls.push({ url, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    const u = new URL(url, "http://x");
    if (u.pathname.endsWith("/build/runs") && init?.method === "POST") return Response.json({ run_id: 7 }, { status: 202 });
    if (u.pathname.endsWith("/build/runs")) return Response.json({ runs: [run(7, "running"), run(6, "failed")] });
    if (u.pathname.endsWith("/build/errors")) return Response.json({ errors: [error(1, "src/b.rs", 9), error(2, "src/a.rs", 3), error(3, "src/b.rs", 2)] });
    if (u.pathname.endsWith("/log")) return new Response("\u001b[1merror\u001b[0m: boom\n");
    return new Response("{}", { status: 404 });
  });
}

describe("useBuildStore", () => {
  beforeEach(() => {
    useBuildStore.setState({ projectId: null, runs: [], errors: [], activeRunId: null, output: {}, command: "", error: null });
  });

  it("runs the typed command and follows its output events", async () => {
    const calls: { url: string; body?: unknown }[] = [];
    const api = fakeApi(calls);
    await useBuildStore.getState().load(api, 1);
    expect(useBuildStore.getState().command).toBe("cargo test");
    useBuildStore.getState().setCommand("cargo build");
    await useBuildStore.getState().run(api, 1);
    expect(calls.find((c) => c.body)?.body).toEqual({ command: "cargo build", dir: "" });
    expect(useBuildStore.getState().activeRunId).toBe(7);
    for (const text of ["Compiling x\n", "\u001b[31merror\u001b[0m[E0425]: cannot find"]) {
      const frame = parseServerFrame(JSON.stringify({ type: "event", event: "build_output", data: { project_id: 1, run_id: 7, stream: "stderr", text } }));
      if (frame.type === "event" && frame.event === "build_output") useBuildStore.getState().appendOutput(frame.data);
    }
    expect(useBuildStore.getState().output[7]).toBe("Compiling x\nerror[E0425]: cannot find");
    // Another project's output is not this one's.
    useBuildStore.getState().appendOutput({ project_id: 2, run_id: 7, stream: "stdout", text: "other" });
    expect(useBuildStore.getState().output[7]).not.toContain("other");
  });

  it("refuses an empty command with a message, and keeps the output bounded", async () => {
    await useBuildStore.getState().load(fakeApi([]), 1);
    useBuildStore.getState().setCommand("  ");
    await useBuildStore.getState().run(fakeApi([]), 1);
    expect(useBuildStore.getState().error).toMatch(/Type the build or test command/);
    const big = "x".repeat(OUTPUT_CAP);
    useBuildStore.getState().appendOutput({ project_id: 1, run_id: 9, stream: "stdout", text: big });
    useBuildStore.getState().appendOutput({ project_id: 1, run_id: 9, stream: "stdout", text: "END" });
    const out = useBuildStore.getState().output[9];
    expect(out.length).toBe(OUTPUT_CAP);
    expect(out.endsWith("END")).toBe(true);
  });

  it("shows a past run's log without colours", async () => {
    const api = fakeApi([]);
    await useBuildStore.getState().load(api, 1);
    await useBuildStore.getState().showRun(api, 1, 6);
    expect(useBuildStore.getState().output[6]).toBe("error: boom\n");
  });

  it("groups errors by file in order, lines ascending", () => {
    const groups = groupByFile([error(1, "src/b.rs", 9), error(2, "src/a.rs", 3), error(3, "src/b.rs", 2), error(4, null, null)]);
    expect(groups.map((g) => g.file)).toEqual(["src/b.rs", "src/a.rs", "(no file)"]);
    expect(groups[0].errors.map((e) => e.line)).toEqual([2, 9]);
  });

  it("parses build events and rejects malformed ones", () => {
    const finished = parseServerFrame(
      JSON.stringify({ type: "event", event: "build_finished", data: { project_id: 1, run_id: 3, run: null, new_errors: 2, resolved: 1, error: null } }),
    );
    expect(finished).toMatchObject({ event: "build_finished", data: { new_errors: 2, resolved: 1, error: null } });
    expect(() => parseServerFrame(JSON.stringify({ type: "event", event: "build_output", data: { project_id: 1, run_id: 3, stream: "tty", text: "" } }))).toThrow();
    expect(stripAnsi("\u001b]8;;http://x\u0007link\u001b]8;;\u0007 \u001b[0K")).toBe("link ");
  });
});
