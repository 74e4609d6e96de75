import { beforeEach, describe, expect, it } from "vitest";

import { Api } from "../lib/api";
import type { ChatReport } from "../lib/protocol";
import { useCommandStore } from "./useCommandStore";
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
    useChatStore.setState({ conversationId: null, messages: [], streamingId: null, tier: "auto", model: null, grounded: true, focusId: null });
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

  it("shows a built-in's output in place of the answer, marked as Mira's, with no model call", () => {
    const chat = useChatStore.getState();
    chat.ask("/help");
    expect(sent[0]).toEqual(["chat.send", { message: "/help" }]);
    chat.onResult("c1", { builtin: { command: "help", output: "Type `/name arguments`.", action: null } });
    const s = useChatStore.getState();
    expect(s.streamingId).toBeNull();
    expect(s.messages).toEqual([
      { key: "question-c1", role: "user", text: "/help", status: "complete", command: "help" },
      { key: "answer-c1", role: "assistant", text: "Type `/name arguments`.", status: "complete", command: "help", builtin: true },
    ]);
    // The chat is free for the next question, in the same conversation.
    chat.ask("thanks");
    expect(sent).toHaveLength(2);
  });

  it("clears the conversation on /clear like New chat, keeping the command as confirmation", () => {
    const chat = useChatStore.getState();
    chat.ask("where is main?");
    chat.onFrame("c1", { event: "started", conversation_id: 4, user_message_id: 9 });
    chat.onFrame("c1", { event: "done", message_id: 10, status: "complete", report });
    useChatStore.getState().ask("/clear");
    expect(sent[1]).toEqual(["chat.send", { message: "/clear", conversation_id: 4 }]);
    useChatStore.getState().onResult("c2", { builtin: { command: "clear", output: "Started a new conversation.", action: { type: "clear" } } });
    const s = useChatStore.getState();
    expect(s.conversationId).toBeNull();
    expect(s.streamingId).toBeNull();
    expect(s.messages.map((m) => [m.role, m.text, m.builtin ?? false])).toEqual([
      ["user", "/clear", false],
      ["assistant", "Started a new conversation.", true],
    ]);
    // No chat.stop for an answer that already came, and the next question starts afresh.
    expect(sent.map((x) => x[0])).toEqual(["chat.send", "chat.send"]);
    useChatStore.getState().ask("hello");
    expect(sent[2]).toEqual(["chat.send", { message: "hello" }]);
  });

  it("sends the model or tier /model picks with the next turns, and back to routing with default", () => {
    const chat = useChatStore.getState();
    chat.setTier("thinker");
    chat.ask("/model gpt-5.1");
    chat.onResult("c1", { builtin: { command: "model", output: "The next turns use `gpt-5.1`.", action: { type: "model", model: "gpt-5.1", tier: null } } });
    expect(useChatStore.getState()).toMatchObject({ model: "gpt-5.1", tier: "auto" });
    useChatStore.getState().ask("hi");
    expect(sent[1]).toEqual(["chat.send", { message: "hi", model: "gpt-5.1" }]);
    useChatStore.getState().onFrame("c2", { event: "done", message_id: 3, status: "complete", report });
    useChatStore.getState().ask("/model fast");
    useChatStore.getState().onResult("c3", { builtin: { command: "model", output: "fast", action: { type: "model", model: null, tier: "fast" } } });
    expect(useChatStore.getState()).toMatchObject({ model: null, tier: "fast" });
    useChatStore.getState().ask("/model default");
    useChatStore.getState().onResult("c4", { builtin: { command: "model", output: "default", action: { type: "model", model: null, tier: null } } });
    expect(useChatStore.getState()).toMatchObject({ model: null, tier: "auto" });
    // A tier picked by hand replaces a pinned model.
    useChatStore.setState({ model: "local" });
    useChatStore.getState().setTier("voice");
    expect(useChatStore.getState()).toMatchObject({ model: null, tier: "voice" });
  });

  it("names a command file on the question while its answer streams as usual", () => {
    const chat = useChatStore.getState();
    chat.ask("/git:pr 12");
    chat.onResult("c1", { streaming: "c1", command: "git:pr" });
    expect(useChatStore.getState().messages[0]).toMatchObject({ text: "/git:pr 12", command: "git:pr" });
    expect(useChatStore.getState().streamingId).toBe("c1");
    chat.onFrame("c1", { event: "delta", text: "PR #12 adds" });
    chat.onFrame("c1", { event: "done", message_id: 5, status: "complete", report });
    expect(useChatStore.getState().messages[1]).toMatchObject({ text: "PR #12 adds", status: "complete" });
    expect(useChatStore.getState().messages[1].builtin).toBeUndefined();
    // A plain question's result names no command.
    useChatStore.getState().ask("plain");
    useChatStore.getState().onResult("c2", { streaming: "c2" });
    expect(useChatStore.getState().messages[2].command).toBeUndefined();
  });

  it("shows an unknown command's error as a failed answer, and ignores other requests' frames", () => {
    const chat = useChatStore.getState();
    chat.ask("/hlep");
    chat.onError("c9", "not_found", "someone else's");
    chat.onResult("c9", { builtin: { command: "help", output: "x", action: null } });
    expect(useChatStore.getState().messages[1]).toMatchObject({ status: "streaming", text: "" });
    chat.onError("c1", "invalid", "there is no command `/hlep`; did you mean `/help`?");
    const s = useChatStore.getState();
    expect(s.streamingId).toBeNull();
    expect(s.messages[1]).toMatchObject({ status: "failed", error: "there is no command `/hlep`; did you mean `/help`?", errorKind: "invalid" });
  });

  it("marks the command list stale after /reload-commands", () => {
    useCommandStore.setState({ stale: false });
    useChatStore.getState().ask("/reload-commands");
    useChatStore.getState().onResult("c1", { builtin: { command: "reload-commands", output: "Read 3 command files.", action: null } });
    expect(useCommandStore.getState().stale).toBe(true);
  });

  it("keeps a leading space before a slash, which sends the text as text", () => {
    useChatStore.getState().ask("  /usr/bin/env is missing ");
    expect(sent[0]).toEqual(["chat.send", { message: " /usr/bin/env is missing" }]);
    expect(useChatStore.getState().messages[0].text).toBe("/usr/bin/env is missing");
  });
});
