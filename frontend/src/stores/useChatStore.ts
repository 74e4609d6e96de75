// The chat: the conversation on screen, the answer streaming into it, and the requests
// that start and stop answers over the WebSocket (chat.send / chat.stop).

import { create } from "zustand";

import type { ChatEvent, ChatReport, ChatRoute, RequestId } from "../lib/protocol";

export interface ChatMessage {
  /** Local key; the stored id once the server says it. */
  key: string;
  role: "user" | "assistant";
  text: string;
  status: "streaming" | "complete" | "cancelled" | "failed";
  route?: ChatRoute;
  report?: ChatReport;
  error?: string;
  errorKind?: string;
}

/** Sends a request over the WebSocket and returns its id. */
export type Send = (type: string, params: Record<string, unknown>) => string;

export type TierChoice = "auto" | "fast" | "voice" | "thinker";

interface ChatState {
  conversationId: number | null;
  messages: ChatMessage[];
  /** The `chat.send` id of the answer streaming now. */
  streamingId: string | null;
  tier: TierChoice;
  send: Send | null;
  attach(send: Send | null): void;
  setTier(tier: TierChoice): void;
  ask(text: string): void;
  stop(): void;
  newChat(): void;
  onFrame(id: RequestId, event: ChatEvent): void;
  /** The answer ended (for the budget panel to refresh). */
  onSettled: (() => void) | null;
}

const answerKey = (id: string) => `answer-${id}`;

function updateAnswer(messages: ChatMessage[], key: string, change: (m: ChatMessage) => ChatMessage): ChatMessage[] {
  return messages.map((m) => (m.key === key ? change(m) : m));
}

export const useChatStore = create<ChatState>((set, get) => ({
  conversationId: null,
  messages: [],
  streamingId: null,
  tier: "auto",
  send: null,
  onSettled: null,

  attach(send) {
    set({ send });
  },

  setTier(tier) {
    set({ tier });
  },

  ask(text) {
    const { send, streamingId, conversationId, tier } = get();
    const message = text.trim();
    if (!send || streamingId || !message) return;
    const params: Record<string, unknown> = { message };
    if (conversationId !== null) params.conversation_id = conversationId;
    if (tier !== "auto") params.tier = tier;
    const id = send("chat.send", params);
    set((s) => ({
      streamingId: id,
      messages: [
        ...s.messages,
        { key: `question-${id}`, role: "user", text: message, status: "complete" },
        { key: answerKey(id), role: "assistant", text: "", status: "streaming" },
      ],
    }));
  },

  stop() {
    const { send, streamingId } = get();
    if (send && streamingId) send("chat.stop", { chat_id: streamingId });
  },

  newChat() {
    if (get().streamingId) get().stop();
    set({ conversationId: null, messages: [], streamingId: null });
  },

  onFrame(id, event) {
    if (typeof id !== "string") return;
    const key = answerKey(id);
    if (!get().messages.some((m) => m.key === key)) return;
    switch (event.event) {
      case "started":
        set({ conversationId: event.conversation_id });
        break;
      case "routed":
        set((s) => ({ messages: updateAnswer(s.messages, key, (m) => ({ ...m, route: event.route })) }));
        break;
      case "delta":
        set((s) => ({ messages: updateAnswer(s.messages, key, (m) => ({ ...m, text: m.text + event.text })) }));
        break;
      case "tool_call":
        break;
      case "done":
        set((s) => ({
          streamingId: s.streamingId === id ? null : s.streamingId,
          messages: updateAnswer(s.messages, key, (m) => ({ ...m, status: event.status, report: event.report, route: event.report.route })),
        }));
        get().onSettled?.();
        break;
      case "failed":
        set((s) => ({
          streamingId: s.streamingId === id ? null : s.streamingId,
          messages: updateAnswer(s.messages, key, (m) => ({ ...m, status: "failed", error: event.error, errorKind: event.kind })),
        }));
        get().onSettled?.();
        break;
    }
  },
}));

/** What one answer cost and who gave it, for the line under it. */
export function answerMeta(m: ChatMessage): string {
  const route = m.report?.route ?? m.route;
  if (!route) return m.status === "streaming" ? "routing..." : "";
  const parts = [route.tier ?? "explicit", `${route.provider} ${route.model}`];
  if (m.report) {
    const u = m.report.usage;
    parts.push(`${u.input} in / ${u.output} out`);
    parts.push(route.cached ? `cached, saved $${m.report.saved_usd.toFixed(4)}` : `$${m.report.cost_usd.toFixed(4)}`);
  }
  if (m.status === "cancelled") parts.push("stopped");
  return parts.join(" · ");
}
