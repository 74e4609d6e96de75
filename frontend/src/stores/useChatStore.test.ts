import { beforeEach, describe, expect, it } from "vitest";

import type { ChatReport } from "../lib/protocol";
import { answerMeta, useChatStore } from "./useChatStore";

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
    useChatStore.setState({ conversationId: null, messages: [], streamingId: null, tier: "auto" });
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
});
