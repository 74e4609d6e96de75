import { beforeEach, describe, expect, it } from "vitest";

import { Api } from "../lib/api";
import type { ChatReport } from "../lib/protocol";
import { answerMeta, messagesFromStored, scopeParams, useChatStore } from "./useChatStore";

const report: ChatReport = {
  route: { tier: "voice", provider: "openai", model: "gpt-5.1", reason: "user-facing chat", cached: false, passed_over: [] },
  usage: { input: 120, output: 30, cached: 0, reasoning: 0 },
  usage_reported: true,
  cost_usd: 0.00046,
  saved_usd: 0,
  latency_ms: 800,
};

describe("useChatStore", () => {
  let sent: [string, Record<string, unknown>][];
  beforeEach(() => {
    sent = [];
    useChatStore.setState({ conversationId: null, messages: [], streamingId: null, tier: "auto", grounded: true, focusId: null });
    useChatStore.getState().attach((type, params) => {
      sent.push([type, params]);
      return `c${sent.length}`;
    });
  });

  it("streams an answer into the conversation and keeps its cost", () => {
    const chat = useChatStore.getState();
    chat.ask("  where is main?  ");
    expect(sent[0]).toEqual(["chat.send", { message: "where is main?" }]);
    chat.onFrame("c1", { event: "started", conversation_id: 4, user_message_id: 9 });
    chat.onFrame("c1", { event: "routed", route: report.route });
    chat.onFrame("c1", { event: "delta", text: "In " });
    chat.onFrame("c1", { event: "delta", text: "src/main.rs" });
    expect(useChatStore.getState().messages[1]).toMatchObject({ text: "In src/main.rs", status: "streaming" });
    chat.onFrame("c1", { event: "done", message_id: 10, status: "complete", report });
    const s = useChatStore.getState();
    expect(s.streamingId).toBeNull();
    expect(s.conversationId).toBe(4);
    expect(answerMeta(s.messages[1])).toBe("voice · openai gpt-5.1 · 120 in / 30 out · $0.0005");
    // The next question continues the conversation, with the chosen tier.
    s.setTier("thinker");
    useChatStore.getState().ask("and tests?");
    expect(sent[1]).toEqual(["chat.send", { message: "and tests?", conversation_id: 4, tier: "thinker" }]);
  });

  it("stops the streaming answer and shows failures", () => {
    useChatStore.getState().ask("long one");
    useChatStore.getState().ask("ignored while streaming");
    expect(sent).toHaveLength(1);
    useChatStore.getState().stop();
    expect(sent[1]).toEqual(["chat.stop", { chat_id: "c1" }]);
    useChatStore.getState().onFrame("c1", { event: "failed", message_id: null, error: "budget: over the daily limit", kind: "budget_exceeded" });
    expect(useChatStore.getState().messages[1]).toMatchObject({ status: "failed", errorKind: "budget_exceeded" });
  });

  it("grounds a question in the open project, file and selection, and keeps its context", () => {
    const chat = useChatStore.getState();
    chat.ask("what does this do?", { projectId: 2, file: "src/lib.rs", selection: { start_line: 3, end_line: 9 } });
    expect(sent[0]).toEqual(["chat.send", { message: "what does this do?", project_id: 2, file: "src/lib.rs", selection: { start_line: 3, end_line: 9 } }]);
    const context = {
      files: [],
      items: [{ source: "search", path: "src/lib.rs", lines: [3, 9] as [number, number], text: "t", tokens: 10, citation: "src/lib.rs:3-9" }],
      tokens: 10,
      config: "minimal",
      dropped_sources: [],
    };
    chat.onFrame("c1", { event: "context", context });
    chat.onFrame("c1", { event: "delta", text: "It parses [1]." });
    expect(useChatStore.getState().messages[1].context).toEqual(context);
    // Off: the project is still named, with context false.
    useChatStore.getState().setGrounded(false);
    chat.onFrame("c1", { event: "done", message_id: 10, status: "complete", report });
    useChatStore.getState().ask("plain", { projectId: 2, file: "src/lib.rs", selection: null });
    expect(sent[1][1]).toEqual({ message: "plain", project_id: 2, context: false });
  });

  it("sends no scope without a project, and the file without a selection", () => {
    expect(scopeParams(undefined, true)).toEqual({});
    expect(scopeParams({ projectId: null, file: "a", selection: null }, true)).toEqual({});
    expect(scopeParams({ projectId: 1, file: "a.py", selection: null }, true)).toEqual({ project_id: 1, file: "a.py" });
    expect(scopeParams({ projectId: 1, file: null, selection: { start_line: 1, end_line: 2 } }, true)).toEqual({ project_id: 1 });
  });

  it("reloads a stored conversation with context only where a message carries it", () => {
    const stored = [
      { id: 1, role: "user", content: "where?", status: "complete" },
      { id: 2, role: "assistant", content: "In [1].", status: "complete" },
      { id: 3, role: "tool", content: "{}" },
      { id: 4, role: "assistant", content: "See [1].", status: "complete", context: { items: [{ source: "search", path: "a.rs", lines: [4, 8], tokens: 3 }], tokens: 3 } },
      { id: 5, role: "assistant", content: "", status: "failed", error: "budget" },
    ];
    const messages = messagesFromStored(stored);
    expect(messages.map((m) => [m.key, m.role, m.status, m.context?.items.length])).toEqual([
      ["stored-1", "user", "complete", undefined],
      ["stored-2", "assistant", "complete", undefined],
      ["stored-4", "assistant", "complete", 1],
      ["stored-5", "assistant", "failed", undefined],
    ]);
    useChatStore.getState().load(7, stored);
    expect(useChatStore.getState()).toMatchObject({ conversationId: 7, streamingId: null, focusId: null });
    expect(useChatStore.getState().messages).toHaveLength(4);
    expect(useChatStore.getState().messages.map((m) => m.id)).toEqual([1, 2, 4, 5]);
  });

  it("opens a stored conversation at a message until the next question", async () => {
    const urls: string[] = [];
    const api = new Api("tok", async (url) => {
      urls.push(url);
      const id = Number(url.split("/").at(-1));
      return Response.json({ conversation: { id }, messages: [{ id: id * 10, role: "user", content: `question of ${id}`, status: "complete" }] });
    });
    await useChatStore.getState().open(api, 17, 170);
    expect(urls).toEqual(["/api/conversations/17"]);
    expect(useChatStore.getState()).toMatchObject({ conversationId: 17, focusId: 170 });
    expect(useChatStore.getState().messages.map((m) => m.text)).toEqual(["question of 17"]);
    useChatStore.getState().ask("and then?");
    expect(useChatStore.getState().focusId).toBeNull();
    expect(sent.at(-1)).toEqual(["chat.send", { message: "and then?", conversation_id: 17 }]);
    await useChatStore.getState().open(api, 18);
    expect(useChatStore.getState()).toMatchObject({ conversationId: 18, focusId: null });
  });
});

