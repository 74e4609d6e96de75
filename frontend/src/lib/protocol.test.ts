import { describe, expect, it } from "vitest";

import { FrameError, parseChatSendResult, parseServerFrame } from "./protocol";

describe("parseServerFrame", () => {
  it("accepts the documented frames", () => {
    const hello = parseServerFrame(
      '{"type":"hello","protocol":1,"server":"mira 0.1.0","session":"s","heartbeat_ms":15000,"max_frame_bytes":1024}',
    );
    expect(hello).toEqual({ type: "hello", protocol: 1, server: "mira 0.1.0", session: "s", heartbeat_ms: 15000, max_frame_bytes: 1024 });
    expect(parseServerFrame('{"type":"pong","id":"p1"}')).toEqual({ type: "pong", id: "p1" });
    expect(parseServerFrame('{"type":"result","id":2,"data":{"projects":[]}}')).toEqual({
      type: "result",
      id: 2,
      data: { projects: [] },
    });
    expect(
      parseServerFrame('{"type":"event","event":"progress","data":{"task":"t","label":"Indexing","done":3,"total":null}}'),
    ).toEqual({ type: "event", event: "progress", data: { task: "t", label: "Indexing", done: 3, total: null } });
    expect(parseServerFrame('{"type":"error","id":null,"code":"bad_frame","message":"m"}').type).toBe("error");
  });

  it("rejects malformed frames", () => {
    for (const bad of [
      "not json",
      "[1]",
      '{"type":"hello","protocol":1}',
      '{"type":"hello","protocol":1,"server":"s","session":"x","heartbeat_ms":0}',
      '{"type":"event","event":"activity","data":{"ts":1}}',
      '{"type":"event","event":"mystery","data":{}}',
      '{"type":"result","id":{}}',
      '{"type":"unknown"}',
    ]) {
      expect(() => parseServerFrame(bad), bad).toThrow(FrameError);
    }
  });

  it("reads a grounded answer's context event", () => {
    const frame = parseServerFrame(
      JSON.stringify({
        type: "chat",
        id: "c1",
        event: "context",
        context: {
          files: [{ path: "src/lib.rs", score: 0.8, reasons: ["search hit"] }],
          items: [{ source: "search", path: "src/lib.rs", lines: [10, 42], text: "t", tokens: 120, citation: "src/lib.rs:10-42" }],
          tokens: 812,
          config: "standard",
          dropped_sources: [],
        },
      }),
    );
    expect(frame.type === "chat" && frame.event === "context" && frame.context.items[0].citation).toBe("src/lib.rs:10-42");
    expect(() => parseServerFrame('{"type":"chat","id":"c1","event":"context","context":7}')).toThrow(FrameError);
  });

  it("reads agent frames with their request and operation ids", () => {
    const artifact = parseServerFrame(
      '{"type":"agent","id":"c3","operation_id":5,"event":"artifact","artifact_id":2,"checkpoint_id":9,"path":"a.rs","diff":"@@ -1 +1 @@\\n-a\\n+b\\n","status":"pending"}',
    );
    expect(artifact).toMatchObject({ type: "agent", id: "c3", operation_id: 5, event: "artifact", artifact_id: 2, checkpoint_id: 9, path: "a.rs", status: "pending" });
    const call = parseServerFrame('{"type":"agent","id":"c3","operation_id":5,"event":"tool_call","call_id":"t1","name":"read_file","arguments":{"path":"a.rs"}}');
    expect(call).toMatchObject({ event: "tool_call", call_id: "t1", name: "read_file", arguments: { path: "a.rs" } });
    const result = parseServerFrame('{"type":"agent","id":"c3","operation_id":5,"event":"tool_result","call_id":"t1","name":"read_file","ok":false,"output":"no such file","duration_ms":3}');
    expect(result).toMatchObject({ event: "tool_result", ok: false, output: "no such file", duration_ms: 3 });
    const done = parseServerFrame('{"type":"agent","id":"c3","operation_id":5,"event":"done","status":"step_limit","summary":"s","steps":8,"cost_usd":0.01}');
    expect(done).toMatchObject({ event: "done", status: "step_limit", steps: 8 });
    const rewound = parseServerFrame('{"type":"agent","id":"c3","operation_id":5,"event":"rewound","checkpoint_id":"9f3a","files":["a.rs",7]}');
    expect(rewound).toMatchObject({ event: "rewound", checkpoint_id: "9f3a", files: ["a.rs"] });
    for (const bad of [
      '{"type":"agent","id":"c3","operation_id":5,"event":"mystery"}',
      '{"type":"agent","id":"c3","operation_id":5,"event":"step"}',
      '{"type":"agent","id":"c3","operation_id":5,"event":"artifact","artifact_id":2}',
      '{"type":"agent","id":{},"event":"text","text":"x"}',
    ]) {
      expect(() => parseServerFrame(bad), bad).toThrow(FrameError);
    }
  });

  it("reads hook, sub-agent and nested frames as the server sends them", () => {
    // The frame's `operation_id` and a sub-agent event's are one JSON key: these frames
    // carry the sub-agent's, so the helper adds no frame-level one.
    const agent = (fields: Record<string, unknown>) => parseServerFrame(JSON.stringify({ type: "agent", id: "c3", ...fields }));
    expect(
      agent({
        event: "hook",
        hook_event: "PreToolUse",
        target: "write_file",
        command: "./check.sh",
        source: ".mira/hooks.json",
        outcome: "blocked",
        exit_code: 2,
        timed_out: false,
        duration_ms: 12,
        message: "no",
      }),
    ).toMatchObject({ event: "hook", target: "write_file", outcome: "blocked", exit_code: 2, timed_out: false });
    // Optional fields missing, an outcome this UI does not know: still a hook line.
    expect(agent({ event: "hook", hook_event: "Stop", command: "x", outcome: "weird" })).toMatchObject({ target: null, exit_code: null, outcome: "ok", message: "" });
    expect(agent({ event: "subagent_started", operation_id: 9, agent: "reviewer", task: "t", note: null })).toMatchObject({ operation_id: 9, agent: "reviewer", note: null });
    expect(agent({ event: "subagent_done", operation_id: 9, agent: "reviewer", status: "failed", summary: "s", steps: 2, cost_usd: 0.1 })).toMatchObject({
      status: "failed",
      steps: 2,
    });
    // The frame's operation is the parent's; the nested event names the sub-agent's.
    const nested = agent({ event: "nested", operation_id: 9, inner: { event: "tool_call", call_id: "s1", name: "grep", arguments: { pattern: "x" } } });
    expect(nested).toMatchObject({ operation_id: 9, event: "nested", inner: { event: "tool_call", call_id: "s1", name: "grep" } });
    for (const bad of [
      { event: "nested", operation_id: 9 },
      { event: "nested", operation_id: 9, inner: { event: "mystery" } },
      { event: "nested", operation_id: 9, inner: { event: "step" } },
      { event: "subagent_started", agent: "a" },
      { event: "hook", hook_event: "Stop" },
    ]) {
      expect(() => agent(bad), JSON.stringify(bad)).toThrow(FrameError);
    }
  });
});

describe("parseChatSendResult", () => {
  it("tells a streaming answer (maybe a command file's) from a built-in's output", () => {
    expect(parseChatSendResult({ streaming: "c1" })).toEqual({ kind: "streaming", command: null });
    expect(parseChatSendResult({ streaming: "c1", command: "git:pr" })).toEqual({ kind: "streaming", command: "git:pr" });
    expect(parseChatSendResult({ builtin: { command: "help", output: "# Help", action: null } })).toEqual({
      kind: "builtin",
      answer: { command: "help", output: "# Help", action: null },
    });
    expect(parseChatSendResult({ builtin: { command: "clear", output: "", action: { type: "clear" } } })).toMatchObject({ answer: { action: { type: "clear" } } });
    expect(parseChatSendResult({ builtin: { command: "model", output: "", action: { type: "model", model: null, tier: "fast" } } })).toMatchObject({
      answer: { action: { type: "model", model: null, tier: "fast" } },
    });
  });

  it("drops an action it does not know, and reads nothing from other shapes", () => {
    expect(parseChatSendResult({ builtin: { command: "x", output: "o", action: { type: "explode" } } })).toMatchObject({ answer: { action: null } });
    expect(parseChatSendResult({ builtin: { command: "model", output: "o", action: { type: "model", model: "m", tier: "huge" } } })).toMatchObject({
      answer: { action: { type: "model", model: "m", tier: null } },
    });
    expect(parseChatSendResult({ builtin: { output: "o" } })).toBeNull();
    expect(parseChatSendResult({ operation_id: 3 })).toBeNull();
    expect(parseChatSendResult(null)).toBeNull();
  });
});
