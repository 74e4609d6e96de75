// The chat: the conversation on screen, the answer streaming into it, and the requests
// that start and stop answers over the WebSocket (chat.send / chat.stop).

import { create } from "zustand";

import type { Api, StoredMessage } from "../lib/api";
import { parseChatContext, type ChatContext } from "../lib/chatContext";
import { parseChatSendResult, type BuiltinAnswer, type ChatEvent, type ChatReport, type ChatRoute, type RequestId } from "../lib/protocol";
import { useCommandStore } from "./useCommandStore";

export interface ChatMessage {
  /** Local key; the stored id once the server says it. */
  key: string;
  /** The stored message's id, for a message read back from the server. */
  id?: number;
  role: "user" | "assistant";
  text: string;
  status: "streaming" | "complete" | "cancelled" | "failed";
  route?: ChatRoute;
  report?: ChatReport;
  error?: string;
  errorKind?: string;
  /** What a grounded answer was given; its items are what [n] markers cite. */
  context?: ChatContext;
  /** The slash command a question ran, or whose output a built-in answer is (`git:pr`). */
  command?: string;
  /** The answer is a built-in command's output, made by Mira without a model. */
  builtin?: boolean;
}

/** Where the user is: the project, the file open in the editor and its selection. */
export interface ChatScope {
  projectId: number | null;
  file: string | null;
  selection: { start_line: number; end_line: number } | null;
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
  /** A model `/model` picked for the next turns (sent as `model`); null: routed by tier. */
  model: string | null;
  /** Ground answers in the open project (sent as `context: false` when off). */
  grounded: boolean;
  /** What the panel's composer does: ask a question, or start an agent operation. */
  panel: "chat" | "agent";
  /** The stored message to bring into view and mark (a memory source), until the next question. */
  focusId: number | null;
  send: Send | null;
  attach(send: Send | null): void;
  setTier(tier: TierChoice): void;
  setGrounded(grounded: boolean): void;
  setPanel(panel: "chat" | "agent"): void;
  ask(text: string, scope?: ChatScope): void;
  /** Shows a stored conversation (reloaded from the API), `focusId` brought into view. */
  load(conversationId: number, messages: StoredMessage[], focusId?: number | null): void;
  /** Reads a stored conversation and shows it in the chat, at `messageId` when given. */
  open(api: Api, conversationId: number, messageId?: number | null): Promise<void>;
  stop(): void;
  newChat(): void;
  onFrame(id: RequestId, event: ChatEvent): void;
  /** The `result` of a `chat.send`: a command file's name, or a built-in's output and action. */
  onResult(id: RequestId, data: unknown): void;
  /** An `error` answering a `chat.send` (an unknown command, a bad request). */
  onError(id: RequestId, code: string, message: string): void;
  /** The answer ended (for the budget panel to refresh). */
  onSettled: (() => void) | null;
}

const answerKey = (id: string) => `answer-${id}`;
const questionKey = (id: string) => `question-${id}`;

let latestOpen = 0;

function updateAnswer(messages: ChatMessage[], key: string, change: (m: ChatMessage) => ChatMessage): ChatMessage[] {
  return messages.map((m) => (m.key === key ? change(m) : m));
}

export const useChatStore = create<ChatState>((set, get) => ({
  conversationId: null,
  messages: [],
  streamingId: null,
  tier: "auto",
  model: null,
  grounded: true,
  panel: "chat",
  focusId: null,
  send: null,
  onSettled: null,

  attach(send) {
    set({ send });
  },

  setTier(tier) {
    // A tier picked by hand replaces a model `/model` pinned.
    set({ tier, model: null });
  },

  setGrounded(grounded) {
    set({ grounded });
  },

  setPanel(panel) {
    set({ panel });
  },

  ask(text, scope) {
    const { send, streamingId, conversationId, tier, model, grounded } = get();
    const shown = text.trim();
    if (!send || streamingId || !shown) return;
    // A leading space is how text that starts with "/" is sent as text, not run as a command.
    const message = shown.startsWith("/") && /^\s/.test(text) ? ` ${shown}` : shown;
    const params: Record<string, unknown> = { message };
    if (conversationId !== null) params.conversation_id = conversationId;
    if (tier !== "auto") params.tier = tier;
    if (model !== null) params.model = model;
    Object.assign(params, scopeParams(scope, grounded));
    const id = send("chat.send", params);
    set((s) => ({
      streamingId: id,
      focusId: null,
      messages: [
        ...s.messages,
        { key: questionKey(id), role: "user", text: shown, status: "complete" },
        { key: answerKey(id), role: "assistant", text: "", status: "streaming" },
      ],
    }));
  },

  stop() {
    const { send, streamingId } = get();
    if (send && streamingId) send("chat.stop", { chat_id: streamingId });
  },

  load(conversationId, stored, focusId = null) {
    if (get().streamingId) get().stop();
    set({ conversationId, streamingId: null, messages: messagesFromStored(stored), focusId });
  },

  async open(api, conversationId, messageId = null) {
    // Two quick opens: the one asked last is shown, whichever answer comes first.
    const request = ++latestOpen;
    const stored = await api.conversation(conversationId);
    if (request === latestOpen) get().load(conversationId, stored, messageId);
  },

  newChat() {
    if (get().streamingId) get().stop();
    set({ conversationId: null, messages: [], streamingId: null, focusId: null });
  },

  onFrame(id, event) {
    if (typeof id !== "string") return;
    const key = answerKey(id);
    if (!get().messages.some((m) => m.key === key)) return;
    switch (event.event) {
      case "started":
        set({ conversationId: event.conversation_id });
        break;
      case "context":
        set((s) => ({ messages: updateAnswer(s.messages, key, (m) => ({ ...m, context: event.context })) }));
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

  onResult(id, data) {
    if (typeof id !== "string" || !get().messages.some((m) => m.key === answerKey(id))) return;
    const result = parseChatSendResult(data);
    if (result === null) return;
    if (result.kind === "streaming") {
      const command = result.command;
      if (command !== null) set((s) => ({ messages: updateAnswer(s.messages, questionKey(id), (m) => ({ ...m, command })) }));
      return;
    }
    showBuiltin(id, result.answer);
  },

  onError(id, code, message) {
    if (typeof id !== "string") return;
    const key = answerKey(id);
    if (!get().messages.some((m) => m.key === key && m.status === "streaming")) return;
    set((s) => ({
      streamingId: s.streamingId === id ? null : s.streamingId,
      messages: updateAnswer(s.messages, key, (m) => ({ ...m, status: "failed", error: message, errorKind: code })),
    }));
  },
}));

/** A built-in's output in place of the answer that was waiting, then what it asks the chat to do. */
function showBuiltin(id: string, answer: BuiltinAnswer): void {
  const chat = useChatStore.getState();
  const question = chat.messages.find((m) => m.key === questionKey(id));
  const shown: ChatMessage[] = [
    ...(question ? [{ ...question, command: answer.command }] : []),
    { key: answerKey(id), role: "assistant", text: answer.output, status: "complete", command: answer.command, builtin: true },
  ];
  useChatStore.setState((s) => ({
    streamingId: s.streamingId === id ? null : s.streamingId,
    messages: s.messages.flatMap((m) => (m.key === questionKey(id) ? [] : m.key === answerKey(id) ? shown : [m])),
  }));
  const action = answer.action;
  if (action?.type === "clear") {
    // The new conversation starts with the command that started it, as confirmation.
    chat.newChat();
    useChatStore.setState({ messages: shown });
  } else if (action?.type === "model") {
    useChatStore.setState({ model: action.model, tier: action.tier ?? "auto" });
  }
  // The command files were read again: the completion list is read again at the next "/".
  if (answer.command === "reload-commands") useCommandStore.getState().markStale();
}

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

/** The grounding parameters of `chat.send`: project, open file and selection. */
export function scopeParams(scope: ChatScope | undefined, grounded: boolean): Record<string, unknown> {
  if (!scope || scope.projectId === null) return {};
  if (!grounded) return { project_id: scope.projectId, context: false };
  const params: Record<string, unknown> = { project_id: scope.projectId };
  if (scope.file) {
    params.file = scope.file;
    if (scope.selection) params.selection = scope.selection;
  }
  return params;
}

/** Stored messages as the panel shows them; context only where a message carries it. */
export function messagesFromStored(stored: StoredMessage[]): ChatMessage[] {
  return stored
    .filter((m) => m.role === "user" || m.role === "assistant")
    .map((m) => {
      const status = m.status === "cancelled" || m.status === "failed" ? m.status : "complete";
      const message: ChatMessage = { key: `stored-${m.id}`, id: m.id, role: m.role as "user" | "assistant", text: m.content, status };
      if (m.error) message.error = m.error;
      const context = m.context === undefined || m.context === null ? null : parseChatContext(m.context);
      if (context) message.context = context;
      return message;
    });
}
