import { beforeEach, describe, expect, it } from "vitest";

import type { AgentEvent } from "../lib/protocol";
import { answerRun, hookLine, newRun, reduceRun, restoredPaths, runMeta, useAgentStore, type AgentRun } from "./useAgentStore";

const DIFF = "--- a/src/main.rs\n+++ b/src/main.rs\n@@ -1 +1 @@\n-a\n+b\n";

function play(events: AgentEvent[], run: AgentRun = newRun("c1", 1, "fix it", "ask")): AgentRun {
  return events.reduce(reduceRun, run);
}

describe("reduceRun", () => {
  it("keeps the transcript in the order things happened, streamed text joined", () => {
    const run = play([
      { event: "started", task: "fix it", mode: "ask" },
      { event: "step", n: 1 },
      { event: "text", text: "Reading " },
      { event: "text", text: "the test." },
      { event: "tool_call", call_id: "t1", name: "read_file", arguments: { path: "src/main.rs" } },
      { event: "tool_call", call_id: "t2", name: "grep", arguments: { pattern: "x" } },
      { event: "tool_result", call_id: "t2", name: "grep", ok: false, output: "no match", duration_ms: 4 },
      { event: "tool_result", call_id: "t1", name: "read_file", ok: true, output: "fn main() {}", duration_ms: 2 },
      { event: "step", n: 2 },
      { event: "text", text: "Done." },
      { event: "usage", input_tokens: 300, output_tokens: 40, cost_usd: 0.0021 },
    ]);
    expect(run.status).toBe("running");
    expect(run.entries.map((e) => e.kind)).toEqual(["step", "text", "tool", "tool", "step", "text"]);
    expect(run.entries[1]).toEqual({ kind: "text", text: "Reading the test." });
    expect(run.entries[2]).toMatchObject({ name: "read_file", result: { ok: true, duration_ms: 2 } });
    expect(run.entries[3]).toMatchObject({ name: "grep", result: { ok: false, output: "no match" } });
    expect(run.step).toBe(2);
    expect(runMeta(run)).toBe("2 steps · 300 in / 40 out · $0.0021 · running");
  });

  it("shows a result whose call was not seen as a step of its own", () => {
    const run = play([{ event: "tool_result", call_id: "x", name: "search", ok: true, output: "3 hits", duration_ms: 9 }]);
    expect(run.entries).toEqual([{ kind: "tool", call_id: "x", name: "search", arguments: null, result: { ok: true, output: "3 hits", duration_ms: 9 } }]);
  });

  it("tracks an artifact from pending to its decision, by id", () => {
    let run = play([
      { event: "artifact", artifact_id: 7, checkpoint_id: 3, path: "src/main.rs", diff: DIFF, status: "pending" },
      { event: "artifact", artifact_id: 8, checkpoint_id: 3, path: "src/lib.rs", diff: DIFF, status: "applied" },
    ]);
    expect(run.entries.map((e) => e.kind === "artifact" && e.status)).toEqual(["pending", "applied"]);
    run = reduceRun(run, { event: "artifact_decided", artifact_id: "7", status: "rejected" });
    expect(run.entries.map((e) => e.kind === "artifact" && e.status)).toEqual(["rejected", "applied"]);
    // The same artifact sent again replaces itself rather than showing twice.
    run = reduceRun(run, { event: "artifact", artifact_id: 8, checkpoint_id: 3, path: "src/lib.rs", diff: DIFF, status: "applied" });
    expect(run.entries).toHaveLength(2);
  });

  it("ends with done or failed, and an answer closes the open question", () => {
    let run = play([{ event: "ask_user", question: "Which test?" }]);
    run = answerRun(run, "the parser one");
    expect(run.entries[0]).toEqual({ kind: "ask", question: "Which test?", answer: "the parser one" });
    expect(answerRun(run, "again")).toBe(run);
    const done = reduceRun(run, { event: "done", status: "complete", summary: "Fixed the test.", steps: 3, cost_usd: 0.004 });
    expect(done).toMatchObject({ status: "complete", summary: "Fixed the test.", step: 3, costUsd: 0.004 });
    expect(runMeta(done)).toBe("3 steps · $0.0040 · complete");
    expect(runMeta(reduceRun(run, { event: "done", status: "step_limit", summary: "", steps: 8, cost_usd: 0 }))).toContain("stopped at the step limit");
    const failed = reduceRun(run, { event: "failed", error: "no tool-capable model: set OPENAI_API_KEY", kind: "unavailable" });
    expect(failed).toMatchObject({ status: "failed", error: "no tool-capable model: set OPENAI_API_KEY", errorKind: "unavailable" });
    // Late frames after the end do not bring a run back to life.
    expect(reduceRun(done, { event: "text", text: "late" }).status).toBe("complete");
  });
});

const HOOK = {
  hook_event: "PreToolUse",
  target: "run_command",
  command: "./check.sh",
  source: ".mira/hooks.json",
  outcome: "blocked" as const,
  exit_code: 2,
  timed_out: false,
  duration_ms: 14,
  message: "not on main",
};

describe("hooks and sub-agents", () => {
  it("shows a hook run as a step line in its place", () => {
    const run = play([
      { event: "tool_call", call_id: "t1", name: "run_command", arguments: {} },
      { event: "hook", ...HOOK },
      { event: "tool_result", call_id: "t1", name: "run_command", ok: false, output: "blocked by hook", duration_ms: 20 },
    ]);
    expect(run.status).toBe("running");
    expect(run.entries.map((e) => e.kind)).toEqual(["tool", "hook"]);
    const hook = run.entries[1];
    expect(hook.kind === "hook" && hookLine(hook.hook)).toBe("PreToolUse hook `./check.sh` blocked: not on main");
    expect(hookLine({ ...HOOK, hook_event: "Stop", outcome: "error", timed_out: true, message: "" })).toBe("Stop hook `./check.sh` error (timed out)");
  });

  it("folds a sub-agent's nested events into its own group, with its status and summary", () => {
    const run = play([
      { event: "step", n: 1 },
      { event: "tool_call", call_id: "p1", name: "task", arguments: { agent: "reviewer" } },
      { event: "subagent_started", operation_id: 41, agent: "reviewer", task: "review src/lib.rs", note: "model `x` not configured: used the voice tier" },
      { event: "nested", operation_id: 41, inner: { event: "step", n: 1 } },
      { event: "nested", operation_id: 41, inner: { event: "text", text: "Reading " } },
      { event: "nested", operation_id: 41, inner: { event: "text", text: "lib.rs" } },
      { event: "nested", operation_id: 41, inner: { event: "tool_call", call_id: "s1", name: "read_file", arguments: { path: "src/lib.rs" } } },
      { event: "nested", operation_id: 41, inner: { event: "tool_result", call_id: "s1", name: "read_file", ok: true, output: "fn a() {}", duration_ms: 2 } },
      { event: "nested", operation_id: 41, inner: { event: "hook", ...HOOK, outcome: "ok", message: "" } },
      { event: "subagent_done", operation_id: 41, agent: "reviewer", status: "complete", summary: "Looks fine.", steps: 1, cost_usd: 0.002 },
      { event: "tool_result", call_id: "p1", name: "task", ok: true, output: "Looks fine.", duration_ms: 900 },
    ]);
    // The parent's transcript: its own step and tool call, and one group for the sub-agent.
    expect(run.entries.map((e) => e.kind)).toEqual(["step", "tool", "subagent"]);
    expect(run.entries[1]).toMatchObject({ kind: "tool", name: "task", result: { ok: true } });
    const sub = run.entries[2];
    if (sub.kind !== "subagent") throw new Error("no sub-agent group");
    expect(sub).toMatchObject({ operation_id: 41, agent: "reviewer", note: "model `x` not configured: used the voice tier" });
    expect(sub.run).toMatchObject({ operationId: 41, task: "review src/lib.rs", status: "complete", summary: "Looks fine.", step: 1, costUsd: 0.002 });
    expect(sub.run.entries.map((e) => e.kind)).toEqual(["step", "text", "tool", "hook"]);
    expect(sub.run.entries[1]).toEqual({ kind: "text", text: "Reading lib.rs" });
    expect(sub.run.entries[2]).toMatchObject({ name: "read_file", result: { ok: true, output: "fn a() {}" } });
    // The parent's own step count and status are its own.
    expect(run.step).toBe(1);
    expect(run.status).toBe("running");
  });

  it("keeps two sub-agents apart, and shows one whose start was not seen", () => {
    const run = play([
      { event: "subagent_started", operation_id: 1, agent: "a", task: "one", note: null },
      { event: "nested", operation_id: 2, inner: { event: "text", text: "from two" } },
      { event: "nested", operation_id: 1, inner: { event: "text", text: "from one" } },
      { event: "subagent_done", operation_id: 2, agent: "b", status: "failed", summary: "no model", steps: 0, cost_usd: 0 },
    ]);
    const subs = run.entries.flatMap((e) => (e.kind === "subagent" ? [e] : []));
    expect(subs.map((s) => [s.operation_id, s.agent, s.run.status, s.run.entries])).toEqual([
      [1, "a", "running", [{ kind: "text", text: "from one" }]],
      [2, "b", "failed", [{ kind: "text", text: "from two" }]],
    ]);
  });
});

describe("useAgentStore", () => {
  let sent: [string, Record<string, unknown>][];
  let changed: string[][];
  beforeEach(() => {
    sent = [];
    changed = [];
    useAgentStore.setState({ mode: "ask", runs: [], checkpoints: [], checkpointsProject: null, rewinding: null, notice: null, error: null, pending: {} });
    useAgentStore.setState({ onFilesChanged: (paths) => changed.push(paths) });
    useAgentStore.getState().attach((type, params) => {
      sent.push([type, params]);
      return `c${sent.length}`;
    });
  });

  it("starts one operation at a time and decides its artifacts", () => {
    const agent = useAgentStore.getState();
    agent.setMode("ask");
    agent.start(1, "  fix the test ", "thinker");
    agent.start(1, "another");
    expect(sent).toEqual([["agent.start", { project_id: 1, task: "fix the test", mode: "ask", tier: "thinker" }]]);
    // Nothing can be decided before the operation id is known.
    agent.onFrame("c1", null, { event: "artifact", artifact_id: 4, checkpoint_id: 2, path: "src/main.rs", diff: DIFF, status: "pending" });
    agent.decide("c1", 4, "apply");
    expect(sent).toHaveLength(1);
    agent.onResult("c1", { operation_id: 12, streaming: "c1" });
    agent.decide("c1", 4, "apply");
    expect(sent[1]).toEqual(["agent.decide", { operation_id: 12, artifact_id: 4, decision: "apply" }]);
    const deciding = useAgentStore.getState().runs[0].entries[0];
    expect(deciding.kind === "artifact" && deciding.deciding).toBe(true);
    agent.onFrame("c1", 12, { event: "artifact_decided", artifact_id: 4, status: "applied" });
    const decided = useAgentStore.getState().runs[0].entries[0];
    expect(decided).toMatchObject({ status: "applied", deciding: false });
    expect(changed).toEqual([["src/main.rs"]]);
    agent.stop();
    expect(sent[2]).toEqual(["agent.stop", { operation_id: 12 }]);
    agent.onFrame("c1", 12, { event: "done", status: "cancelled", summary: "", steps: 1, cost_usd: 0 });
    expect(useAgentStore.getState().runs[0].status).toBe("cancelled");
    expect(changed).toEqual([["src/main.rs"], ["src/main.rs"]]);
    // A rewind of the operation shows in its transcript and refreshes the files.
    agent.onFrame("c1", 12, { event: "rewound", checkpoint_id: "ab12", files: ["src/main.rs"] });
    expect(useAgentStore.getState().runs[0].entries.at(-1)).toEqual({ kind: "rewound", files: ["src/main.rs"] });
    expect(changed).toEqual([["src/main.rs"], ["src/main.rs"], ["src/main.rs"]]);
    // Frames of other requests are not this run's.
    agent.onFrame("c9", 13, { event: "text", text: "x" });
    expect(useAgentStore.getState().runs[0].entries).toHaveLength(2);
  });

  it("answers questions and shows a refused start", () => {
    const agent = useAgentStore.getState();
    agent.start(1, "ask me");
    agent.onFrame("c1", 3, { event: "ask_user", question: "Which file?" });
    agent.answer("c1", " a.rs ");
    expect(sent[1]).toEqual(["agent.answer", { operation_id: 3, text: "a.rs" }]);
    agent.onFrame("c1", 3, { event: "done", status: "complete", summary: "ok", steps: 2, cost_usd: 0 });
    agent.start(1, "no model");
    agent.onError("c3", "unavailable", "agent mode needs a tool-capable model");
    expect(useAgentStore.getState().runs[1]).toMatchObject({ status: "failed", error: "agent mode needs a tool-capable model" });
  });

  it("lists checkpoints, rewinds one and refreshes the restored files", () => {
    const agent = useAgentStore.getState();
    agent.loadCheckpoints(1);
    expect(sent[0]).toEqual(["checkpoints.list", { project_id: 1 }]);
    agent.onResult("c1", { checkpoints: [{ id: 5, operation_id: 12, task: "fix", created_at: "2026-12-06T10:00:00Z", files: ["src/main.rs"] }, { bad: true }] });
    expect(useAgentStore.getState().checkpoints).toEqual([
      { id: 5, operation_id: 12, task: "fix", created_at: "2026-12-06T10:00:00Z", files: ["src/main.rs"], artifact_status: null },
    ]);
    agent.rewind(5);
    agent.rewind(5);
    expect(sent[1]).toEqual(["checkpoints.rewind", { checkpoint_id: "5" }]);
    expect(sent).toHaveLength(2);
    expect(useAgentStore.getState().rewinding).toBe(5);
    useAgentStore.getState().onResult("c2", { restored: ["src/main.rs"] });
    expect(useAgentStore.getState()).toMatchObject({ rewinding: null, notice: "Restored src/main.rs" });
    expect(changed).toEqual([["src/main.rs"]]);
    // And the list is read again.
    expect(sent[2]).toEqual(["checkpoints.list", { project_id: 1 }]);
    useAgentStore.getState().rewind(5);
    useAgentStore.getState().onError("c4", "not_found", "no checkpoint 5");
    expect(useAgentStore.getState()).toMatchObject({ rewinding: null, error: "no checkpoint 5" });
  });

  it("reads checkpoint times in milliseconds or seconds, and restored files in either shape", () => {
    useAgentStore.getState().loadCheckpoints(2);
    useAgentStore.getState().onResult("c1", {
      checkpoints: [
        { id: "ab", operation_id: 1, task: "t", created_at: 1_765_000_000_000, files: [], artifact_status: "applied" },
        { id: "cd", operation_id: 1, task: "t", created_at: 1_765_000_000, files: [] },
      ],
    });
    const [a, b] = useAgentStore.getState().checkpoints;
    expect(a.created_at).toBe(b.created_at);
    expect(a.artifact_status).toBe("applied");
    expect(restoredPaths({ restored: ["a.rs", 3] })).toEqual(["a.rs"]);
    expect(restoredPaths({ files: [{ path: "b.rs", action: "restored" }] })).toEqual(["b.rs"]);
    expect(restoredPaths(null)).toEqual([]);
  });

  it("marks a run under way as lost when the connection closes", () => {
    useAgentStore.getState().start(1, "long task");
    useAgentStore.getState().attach(null);
    const run = useAgentStore.getState().runs[0];
    expect(run.status).toBe("lost");
    expect(runMeta(run)).toContain("connection lost");
    expect(useAgentStore.getState().pending).toEqual({});
  });

  it("decides a sub-agent's change on the sub-agent's operation and refreshes its files", () => {
    const agent = useAgentStore.getState();
    agent.start(1, "delegate");
    agent.onResult("c1", { operation_id: 12, streaming: "c1" });
    agent.onFrame("c1", 12, { event: "subagent_started", operation_id: 13, agent: "fixer", task: "fix", note: null });
    agent.onFrame("c1", 12, {
      event: "nested",
      operation_id: 13,
      inner: { event: "artifact", artifact_id: 70, checkpoint_id: "cp", path: "src/a.rs", diff: DIFF, status: "pending" },
    });
    agent.decide("c1", 70, "apply");
    expect(sent[1]).toEqual(["agent.decide", { operation_id: 13, artifact_id: 70, decision: "apply" }]);
    const sub = () => {
      const e = useAgentStore.getState().runs[0].entries[0];
      if (e.kind !== "subagent") throw new Error("no sub-agent group");
      return e.run.entries[0];
    };
    expect(sub()).toMatchObject({ kind: "artifact", deciding: true });
    agent.onFrame("c1", 12, { event: "nested", operation_id: 13, inner: { event: "artifact_decided", artifact_id: 70, status: "applied" } });
    expect(sub()).toMatchObject({ status: "applied", deciding: false });
    expect(changed).toEqual([["src/a.rs"]]);
    // The parent's end reads the sub-agent's applied files again too.
    agent.onFrame("c1", 12, { event: "done", status: "complete", summary: "", steps: 1, cost_usd: 0 });
    expect(changed).toEqual([["src/a.rs"], ["src/a.rs"]]);
  });

  it("marks a sub-agent under way as lost with its parent", () => {
    useAgentStore.getState().start(1, "delegate");
    useAgentStore.getState().onFrame("c1", 12, { event: "subagent_started", operation_id: 13, agent: "a", task: "t", note: null });
    useAgentStore.getState().attach(null);
    const run = useAgentStore.getState().runs[0];
    expect(run.status).toBe("lost");
    expect(run.entries[0]).toMatchObject({ kind: "subagent", run: { status: "lost" } });
  });
});
