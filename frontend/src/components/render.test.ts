// The new chat and agent views rendered to static markup (no DOM needed): every kind of
// transcript entry draws, and model or tool text stays text, never markup.

import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it, vi } from "vitest";

vi.mock("../monacoSetup", () => ({ monaco: { editor: { colorize: () => Promise.resolve("") } } }));

const { AgentRunView } = await import("./AgentRunView");
const { ChatMessageView } = await import("./ChatMessageView");
const { MemoryFactRow } = await import("./MemoryFactRow");
const { MemoryPatternRow } = await import("./MemoryPatternRow");
const { MemoryProfile } = await import("./MemoryProfile");
const { MemorySummaryRow } = await import("./MemorySummaryRow");
const { SlashCompletion } = await import("./SlashCompletion");
const { newRun, reduceRun } = await import("../stores/useAgentStore");
const { parseChatContext } = await import("../lib/chatContext");

const DIFF = '--- a/src/main.rs\n+++ b/src/main.rs\n@@ -1 +1 @@\n-<b>old</b>\n+println!("<script>x</script>");\n';

describe("views", () => {
  it("draws an agent run: text, tool steps, a pending artifact's diff, a question, the meta line", () => {
    let run = newRun("c1", 1, "fix <it>", "ask");
    for (const e of [
      { event: "step", n: 1 },
      { event: "text", text: "Reading **the** test." },
      { event: "tool_call", call_id: "t1", name: "read_file", arguments: '{"path":"src/main.rs"}' },
      { event: "tool_result", call_id: "t1", name: "read_file", ok: false, output: "<no such file>", duration_ms: 3 },
      { event: "artifact", artifact_id: 1, checkpoint_id: 1, path: "src/main.rs", diff: DIFF, status: "pending" },
      { event: "ask_user", question: "Apply <both>?" },
    ] as const) {
      run = reduceRun(run, e);
    }
    const html = renderToStaticMarkup(createElement(AgentRunView, { run }));
    expect(html).toContain("<strong>the</strong>");
    expect(html).toContain('data-name="read_file" data-state="failed"');
    expect(html).toContain("&lt;no such file&gt;");
    expect(html).toContain('class="diff-line diff-del" data-kind="del"');
    expect(html).toContain("&lt;script&gt;");
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<b>old");
    expect(html).toContain('data-testid="artifact-apply"');
    expect(html).toContain("Apply &lt;both&gt;?");
    expect(html).toContain('data-testid="agent-answer-input"');
    expect(html).toContain("1 step · $0.0000 · running");
    // Once the run is over, nothing waits for a decision or an answer.
    const over = renderToStaticMarkup(createElement(AgentRunView, { run: reduceRun(run, { event: "done", status: "cancelled", summary: "", steps: 1, cost_usd: 0 }) }));
    expect(over).not.toContain('data-testid="artifact-apply"');
    expect(over).not.toContain('data-testid="agent-answer-input"');
  });

  it("draws a grounded answer: citation links for items with files, the context list", () => {
    const context = parseChatContext({
      items: [
        { source: "search", path: "src/main.rs", lines: [3, 5], text: "", tokens: 10, citation: "src/main.rs:3-5" },
        { source: "git", path: null, text: "", tokens: 5, citation: "commit 1a2b3c4" },
      ],
      tokens: 15,
      dropped_sources: [{ source: "cochange", reason: "timed out" }],
    })!;
    const message = { key: "a", role: "assistant" as const, text: "In [1], see [2] and [7].", status: "complete" as const, context };
    const html = renderToStaticMarkup(createElement(ChatMessageView, { message, onOpen: () => {} }));
    expect(html).toContain('href="#cite-1" title="src/main.rs:3-5" data-testid="chat-cite" data-n="1" data-path="src/main.rs"');
    expect(html).toContain('<span title="commit 1a2b3c4" data-testid="chat-cite" data-n="2">2</span>');
    expect(html).toContain("[7]");
    expect(html).toContain("Context (2 sources, 15 tokens)");
    expect(html).toContain('data-path="src/main.rs" data-line="3"');
    expect(html).toContain("cochange (timed out)");
    // Without context, markers are plain text.
    const plain = renderToStaticMarkup(createElement(ChatMessageView, { message: { ...message, context: undefined }, onOpen: () => {} }));
    expect(plain).not.toContain("chat-cite");
    expect(plain).not.toContain("chat-context");
    // The message a memory source opened the chat at is marked; others are not.
    const stored = { key: "stored-9", id: 9, role: "user" as const, text: "I prefer tabs", status: "complete" as const };
    expect(renderToStaticMarkup(createElement(ChatMessageView, { message: stored, onOpen: () => {}, focused: true }))).toContain(
      'class="chat-msg chat-user chat-focused" data-testid="chat-question" data-status="complete" data-message-id="9" data-focused="true"',
    );
    expect(renderToStaticMarkup(createElement(ChatMessageView, { message: stored, onOpen: () => {} }))).not.toContain("data-focused");
  });

  it("draws a superseded fact with its validity, a chat source as a link and an imported one as text", () => {
    const fact = {
      id: 3, project_id: null, subject: "prefers: tabs", text: "I prefer <tabs>", category: "preference" as const, confidence: 1, importance: 0.6,
      origin: "extracted" as const, valid_from: Date.UTC(2025, 0, 5), valid_to: Date.UTC(2025, 1, 1), superseded_by: 13, created_at: 0, updated_at: 0,
      sources: [{ conversation: "17", message: "204" }, { conversation: "locomo-26", message: "D1:3" }],
    };
    const html = renderToStaticMarkup(
      createElement(MemoryFactRow, { fact, busy: false, onEdit: async () => true, onForget: () => {}, onOpenSource: () => {} }),
    );
    expect(html).toContain('data-testid="memory-fact" data-id="f3" data-category="preference" data-scope="user" data-superseded="true"');
    expect(html).toContain("2025-01-05 to 2025-02-01, superseded by f13");
    expect(html).toContain("I prefer &lt;tabs&gt;");
    expect(html).toContain('data-testid="memory-source" data-conversation="17" data-message="204"');
    expect(html).toContain(">chat 17, message 204</button>");
    expect(html).toContain('data-testid="memory-source-imported"');
    expect(html).toContain("locomo-26 / D1:3</span>");
    // Forgetting asks first: only the first button is drawn.
    expect(html).toContain('data-testid="memory-forget"');
    expect(html).not.toContain("memory-forget-confirm");
  });

  it("draws a habit, a summary and the profile: counts, turns, dates, sources, the fact behind an entry", () => {
    const JAN_5 = Date.UTC(2025, 0, 5);
    const FEB_1 = Date.UTC(2025, 1, 1);
    const noop = () => {};
    const pattern = {
      id: "p3", behaviour: "asks for <tests>", evidence_count: 5, first_seen: JAN_5, last_seen: FEB_1, project_id: null,
      sources: [{ conversation: "12", message: "34" }],
    };
    const habit = renderToStaticMarkup(createElement(MemoryPatternRow, { pattern, busy: false, focused: true, onForget: noop, onOpenSource: noop }));
    expect(habit).toContain('data-testid="memory-pattern" data-id="p3" data-count="5" data-scope="user" data-focused="true"');
    expect(habit).toContain("seen 5 times");
    expect(habit).toContain("first 2025-01-05, last 2025-02-01");
    expect(habit).toContain("asks for &lt;tests&gt;");
    expect(habit).toContain('data-testid="memory-source" data-conversation="12" data-message="34"');
    expect(habit).toContain('data-testid="memory-forget"');
    expect(habit).not.toContain("memory-forget-confirm");

    const summary = {
      id: "s4", conversation: "e2e-habits", first_seq: 1, last_seq: 12, text: "Asked for <b>tests</b>.", origin: "extractive", project_id: null,
      created_at: FEB_1, from: JAN_5, to: FEB_1, sources: [{ conversation: "e2e-habits", message: "m3" }],
    };
    const written = renderToStaticMarkup(createElement(MemorySummaryRow, { summary, busy: false, onForget: noop, onOpenSource: noop }));
    expect(written).toContain('data-testid="memory-summary" data-id="s4" data-conversation="e2e-habits" data-origin="extractive"');
    expect(written).toContain("turns 1-12 of conversation e2e-habits");
    expect(written).toContain("2025-01-05 to 2025-02-01");
    expect(written).toContain("Asked for &lt;b&gt;tests&lt;/b&gt;.");
    expect(written).toContain("e2e-habits / m3</span>");

    const profile = renderToStaticMarkup(
      createElement(MemoryProfile, {
        profile: [{ key: "prefers: tabs", value: "I prefer tabs", fact: "f12", updated_at: JAN_5 }],
        habits: [pattern],
        onShowFact: noop,
        onShowHabit: noop,
      }),
    );
    expect(profile).toContain('data-testid="memory-profile-entry" data-key="prefers: tabs" data-fact="f12"');
    expect(profile).toContain('data-testid="memory-profile-fact"');
    expect(profile).toContain(">fact f12</button>");
    expect(profile).toContain("updated 2025-01-05");
    expect(profile).toContain('data-testid="memory-profile-habit" data-id="p3"');
  });

  it("draws hooks on a line of their own, a blocked one marked, and a sub-agent as its own group", () => {
    let run = newRun("c1", 1, "review", "ask");
    const hook = { hook_event: "PreToolUse", target: "run_command", command: "./check.sh", source: ".mira/hooks.json", exit_code: 2, timed_out: false, duration_ms: 9 };
    for (const e of [
      { event: "hook", ...hook, outcome: "blocked", message: "not <on> main" },
      { event: "hook", ...hook, outcome: "ok", message: "" },
      { event: "subagent_started", operation_id: 7, agent: "reviewer", task: "look at <lib.rs>", note: null },
      { event: "nested", operation_id: 7, inner: { event: "tool_call", call_id: "s1", name: "grep", arguments: { pattern: "x" } } },
      { event: "nested", operation_id: 7, inner: { event: "artifact", artifact_id: 3, checkpoint_id: 1, path: "src/lib.rs", diff: DIFF, status: "pending" } },
      { event: "subagent_done", operation_id: 7, agent: "reviewer", status: "complete", summary: "All **good**.", steps: 2, cost_usd: 0.01 },
    ] as const) {
      run = reduceRun(run, e);
    }
    const html = renderToStaticMarkup(createElement(AgentRunView, { run }));
    expect(html).toContain('class="agent-hook hook-blocked" data-testid="agent-hook" data-outcome="blocked"');
    expect(html).toContain('PreToolUse hook <code>./check.sh</code> <span class="hook-outcome">blocked</span>: not &lt;on&gt; main');
    expect(html).toContain('class="agent-hook hook-ok"');
    expect(html).toContain('data-testid="agent-subagent" data-operation="7" data-status="complete" open=""');
    expect(html).toContain("look at &lt;lib.rs&gt;");
    expect(html).toContain('data-name="grep"');
    expect(html).toContain("All <strong>good</strong>.");
    expect(html).toContain("2 steps · $0.0100 · complete");
    // The sub-agent is over: its change waits for no decision here.
    expect(html).not.toContain('data-testid="artifact-apply"');
  });

  it("marks a built-in's output as Mira's and names a command on its question", () => {
    const output = { key: "a", role: "assistant" as const, text: "- `/help`", status: "complete" as const, command: "help", builtin: true };
    const html = renderToStaticMarkup(createElement(ChatMessageView, { message: output, onOpen: () => {} }));
    expect(html).toContain('data-testid="chat-builtin" data-command="help"');
    expect(html).toContain("command output, no model call");
    expect(html).toContain("<code>/help</code>");
    expect(html).not.toContain("chat-meta");
    const question = { key: "q", role: "user" as const, text: "/git:pr 12", status: "complete" as const, command: "git:pr" };
    expect(renderToStaticMarkup(createElement(ChatMessageView, { message: question, onOpen: () => {} }))).toContain('data-testid="chat-command"');
  });

  it("draws the completion list with the highlighted command, its hint and source", () => {
    const items = [
      { name: "help", description: "How", argument_hint: null, source: "builtin" as const, origin: null, shadowed_by: null },
      { name: "git:pr", description: "Review <a> PR", argument_hint: "[number]", source: "project" as const, origin: "x", shadowed_by: null },
    ];
    const html = renderToStaticMarkup(createElement(SlashCompletion, { items, index: 1, onPick: () => {} }));
    expect(html).toContain('aria-selected="false" class="slash-item" data-testid="slash-item" data-name="help"');
    expect(html).toContain('aria-selected="true" class="slash-item on" data-testid="slash-item" data-name="git:pr"');
    expect(html).toContain("<code>/git:pr</code>");
    expect(html).toContain("[number]");
    expect(html).toContain("Review &lt;a&gt; PR");
  });
});
