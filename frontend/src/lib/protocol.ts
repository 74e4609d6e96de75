// The WebSocket protocol, version 1 (docs/protocol.md): server frames, checked at the
// edge so the rest of the UI can trust their shape.

import { parseChatContext, type ChatContext } from "./chatContext";

export const PROTOCOL_VERSION = 1;
export const SUBPROTOCOL = "mira.v1";
export const TOKEN_PROTOCOL_PREFIX = "mira.token.";

export type RequestId = string | number | null;

export interface ActivityData {
  ts: string;
  kind: string;
  message: string;
}

export interface ProgressData {
  task: string;
  label: string;
  done: number;
  total: number | null;
}

export interface BuildStartedData {
  project_id: number;
  run_id: number;
  command_line: string;
  dir: string;
}

export interface BuildOutputData {
  project_id: number;
  run_id: number;
  stream: "stdout" | "stderr";
  text: string;
}

export interface BuildFinishedData {
  project_id: number;
  run_id: number;
  /** The run's summary as the API gives it (null if it could not be read). */
  run: unknown;
  new_errors: number;
  resolved: number;
  error: string | null;
}

/** Where a chat call went (docs/protocol.md, Chat). */
export interface ChatRoute {
  tier: "fast" | "voice" | "thinker" | null;
  provider: string;
  model: string;
  reason: string;
  cached: boolean;
  passed_over: string[];
}

export interface ChatUsage {
  input: number;
  output: number;
  cached: number;
  reasoning: number;
}

export interface ChatReport {
  route: ChatRoute;
  usage: ChatUsage;
  usage_reported: boolean;
  cost_usd: number;
  saved_usd: number;
  latency_ms: number;
}

export type ChatEvent =
  | { event: "started"; conversation_id: number; user_message_id: number }
  | { event: "context"; context: ChatContext }
  | { event: "routed"; route: ChatRoute }
  | { event: "delta"; text: string }
  | { event: "tool_call"; name: string; arguments: unknown }
  | { event: "done"; message_id: number; status: "complete" | "cancelled"; report: ChatReport }
  | { event: "failed"; message_id: number | null; error: string; kind: string };

export type ServerFrame =
  | { type: "hello"; protocol: number; server: string; session: string; heartbeat_ms: number; max_frame_bytes: number }
  | { type: "heartbeat"; ts: string }
  | { type: "pong"; id: RequestId }
  | { type: "result"; id: RequestId; data: unknown }
  | { type: "error"; id: RequestId; code: string; message: string }
  | { type: "event"; event: "activity"; data: ActivityData }
  | { type: "event"; event: "progress"; data: ProgressData }
  | { type: "event"; event: "build_started"; data: BuildStartedData }
  | { type: "event"; event: "build_output"; data: BuildOutputData }
  | { type: "event"; event: "build_finished"; data: BuildFinishedData }
  | ({ type: "chat"; id: RequestId } & ChatEvent)
  | ({ type: "agent"; id: RequestId; operation_id: number | null } & AgentEvent);

export type AgentMode = "ask" | "auto";
export type ArtifactStatus = "pending" | "applied" | "rejected";
export type AgentDoneStatus = "complete" | "cancelled" | "failed" | "step_limit";

/** What an agent operation streams (`agent` frames), in the order it happens. */
export type AgentEvent =
  | { event: "started"; task: string; mode: AgentMode }
  | { event: "step"; n: number }
  | { event: "text"; text: string }
  | { event: "tool_call"; call_id: string; name: string; arguments: unknown }
  | { event: "tool_result"; call_id: string; name: string; ok: boolean; output: string; duration_ms: number }
  | { event: "artifact"; artifact_id: number | string; checkpoint_id: number | string | null; path: string; diff: string; status: ArtifactStatus }
  | { event: "artifact_decided"; artifact_id: number | string; status: ArtifactStatus }
  | { event: "ask_user"; question: string }
  | { event: "usage"; input_tokens: number; output_tokens: number; cost_usd: number }
  | { event: "rewound"; checkpoint_id: number | string | null; files: string[] }
  | { event: "done"; status: AgentDoneStatus; summary: string; steps: number; cost_usd: number }
  | { event: "failed"; error: string; kind: string }
  | ({ event: "hook" } & HookRun)
  | { event: "subagent_started"; operation_id: number; agent: string; task: string; note: string | null }
  | { event: "subagent_done"; operation_id: number; agent: string; status: AgentDoneStatus; summary: string; steps: number; cost_usd: number }
  /** An event of a sub-agent's operation, streamed inside its parent's. */
  | { event: "nested"; operation_id: number; inner: AgentEvent };

export type HookOutcome = "ok" | "blocked" | "error" | "ignored";

/** One hook that ran at an agent event (PreToolUse, Stop, ...). */
export interface HookRun {
  hook_event: string;
  /** The tool or source it matched on. */
  target: string | null;
  command: string;
  /** Where it is configured. */
  source: string;
  outcome: HookOutcome;
  exit_code: number | null;
  timed_out: boolean;
  duration_ms: number;
  message: string;
}

/** What a built-in command asks the chat to do besides showing its output. */
export type BuiltinAction = { type: "clear" } | { type: "model"; model: string | null; tier: "fast" | "voice" | "thinker" | null };

export interface BuiltinAnswer {
  command: string;
  /** Markdown. */
  output: string;
  action: BuiltinAction | null;
}

/** The `result` of a `chat.send`: an answer that streams (of a command file, maybe), or a built-in's output. */
export type ChatSendResult = { kind: "streaming"; command: string | null } | { kind: "builtin"; answer: BuiltinAnswer };

export class FrameError extends Error {}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === "string";
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isId = (v: unknown): v is RequestId => v === null || v === undefined || isString(v) || isNumber(v);

function need(ok: boolean, what: string): void {
  if (!ok) throw new FrameError(what);
}

/** Parses one text frame from the server; throws FrameError when it is not a valid frame. */
export function parseServerFrame(text: string): ServerFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FrameError("frame is not JSON");
  }
  need(isObject(value), "frame is not an object");
  const f = value as Json;
  switch (f.type) {
    case "hello":
      need(isNumber(f.protocol) && isString(f.server) && isString(f.session), "bad hello");
      need(isNumber(f.heartbeat_ms) && f.heartbeat_ms > 0, "bad hello heartbeat");
      return {
        type: "hello",
        protocol: f.protocol as number,
        server: f.server as string,
        session: f.session as string,
        heartbeat_ms: f.heartbeat_ms as number,
        max_frame_bytes: isNumber(f.max_frame_bytes) ? f.max_frame_bytes : 0,
      };
    case "heartbeat":
      need(isString(f.ts), "bad heartbeat");
      return { type: "heartbeat", ts: f.ts as string };
    case "pong":
      need(isId(f.id), "bad pong id");
      return { type: "pong", id: (f.id ?? null) as RequestId };
    case "result":
      need(isId(f.id) && "data" in f, "bad result");
      return { type: "result", id: (f.id ?? null) as RequestId, data: f.data };
    case "error":
      need(isId(f.id) && isString(f.code) && isString(f.message), "bad error frame");
      return { type: "error", id: (f.id ?? null) as RequestId, code: f.code as string, message: f.message as string };
    case "event": {
      need(isObject(f.data), "event without data");
      const d = f.data as Json;
      if (f.event === "activity") {
        need(isString(d.ts) && isString(d.kind) && isString(d.message), "bad activity event");
        return { type: "event", event: "activity", data: { ts: d.ts as string, kind: d.kind as string, message: d.message as string } };
      }
      if (f.event === "progress") {
        need(isString(d.task) && isString(d.label) && isNumber(d.done), "bad progress event");
        need(d.total === null || d.total === undefined || isNumber(d.total), "bad progress total");
        return {
          type: "event",
          event: "progress",
          data: { task: d.task as string, label: d.label as string, done: d.done as number, total: (d.total ?? null) as number | null },
        };
      }
      if (f.event === "build_started" || f.event === "build_output" || f.event === "build_finished") {
        need(isNumber(d.project_id) && isNumber(d.run_id), `bad ${f.event} event`);
        const ids = { project_id: d.project_id as number, run_id: d.run_id as number };
        if (f.event === "build_started") {
          need(isString(d.command_line) && isString(d.dir), "bad build_started event");
          return { type: "event", event: "build_started", data: { ...ids, command_line: d.command_line as string, dir: d.dir as string } };
        }
        if (f.event === "build_output") {
          need((d.stream === "stdout" || d.stream === "stderr") && isString(d.text), "bad build_output event");
          return { type: "event", event: "build_output", data: { ...ids, stream: d.stream as "stdout" | "stderr", text: d.text as string } };
        }
        need(isNumber(d.new_errors) && isNumber(d.resolved), "bad build_finished event");
        return {
          type: "event",
          event: "build_finished",
          data: {
            ...ids,
            run: d.run ?? null,
            new_errors: d.new_errors as number,
            resolved: d.resolved as number,
            error: isString(d.error) ? d.error : null,
          },
        };
      }
      throw new FrameError(`unknown event ${String(f.event)}`);
    }
    case "chat":
      need(isId(f.id), "bad chat id");
      return { type: "chat", id: (f.id ?? null) as RequestId, ...parseChatEvent(f) };
    case "agent":
      need(isId(f.id), "bad agent id");
      return { type: "agent", id: (f.id ?? null) as RequestId, operation_id: isNumber(f.operation_id) ? f.operation_id : null, ...parseAgentEvent(f) };
    default:
      throw new FrameError(`unknown frame type ${String(f.type)}`);
  }
}

function parseRoute(v: unknown): ChatRoute {
  need(isObject(v), "chat route is not an object");
  const r = v as Json;
  need(isString(r.provider) && isString(r.model), "bad chat route");
  const tier = r.tier === "fast" || r.tier === "voice" || r.tier === "thinker" ? r.tier : null;
  return {
    tier,
    provider: r.provider as string,
    model: r.model as string,
    reason: isString(r.reason) ? r.reason : "",
    cached: r.cached === true,
    passed_over: Array.isArray(r.passed_over) ? r.passed_over.filter(isString) : [],
  };
}

function parseChatEvent(f: Json): ChatEvent {
  switch (f.event) {
    case "started":
      need(isNumber(f.conversation_id) && isNumber(f.user_message_id), "bad chat started");
      return { event: "started", conversation_id: f.conversation_id as number, user_message_id: f.user_message_id as number };
    case "context": {
      const context = parseChatContext(f.context);
      need(context !== null, "bad chat context");
      return { event: "context", context: context as ChatContext };
    }
    case "routed":
      return { event: "routed", route: parseRoute(f.route) };
    case "delta":
      need(isString(f.text), "bad chat delta");
      return { event: "delta", text: f.text as string };
    case "tool_call": {
      need(isObject(f.call), "bad chat tool_call");
      const c = f.call as Json;
      need(isString(c.name), "bad chat tool_call name");
      return { event: "tool_call", name: c.name as string, arguments: c.arguments };
    }
    case "done": {
      need(isNumber(f.message_id) && (f.status === "complete" || f.status === "cancelled"), "bad chat done");
      need(isObject(f.report), "chat done without report");
      const r = f.report as Json;
      need(isObject(r.usage) && isNumber(r.cost_usd), "bad chat report");
      const u = r.usage as Json;
      const n = (x: unknown) => (isNumber(x) ? x : 0);
      return {
        event: "done",
        message_id: f.message_id as number,
        status: f.status as "complete" | "cancelled",
        report: {
          route: parseRoute(r.route),
          usage: { input: n(u.input), output: n(u.output), cached: n(u.cached), reasoning: n(u.reasoning) },
          usage_reported: r.usage_reported === true,
          cost_usd: r.cost_usd as number,
          saved_usd: n(r.saved_usd),
          latency_ms: n(r.latency_ms),
        },
      };
    }
    case "failed":
      need(isString(f.error) && isString(f.kind), "bad chat failed");
      return {
        event: "failed",
        message_id: isNumber(f.message_id) ? f.message_id : null,
        error: f.error as string,
        kind: f.kind as string,
      };
    default:
      throw new FrameError(`unknown chat event ${String(f.event)}`);
  }
}

/** Reads the `result` of a `chat.send`; null when it is neither shape. */
export function parseChatSendResult(data: unknown): ChatSendResult | null {
  if (!isObject(data)) return null;
  if (isObject(data.builtin)) {
    const b = data.builtin;
    if (!isString(b.command) || !isString(b.output)) return null;
    return { kind: "builtin", answer: { command: b.command, output: b.output, action: parseBuiltinAction(b.action) } };
  }
  if ("streaming" in data) return { kind: "streaming", command: isString(data.command) ? data.command : null };
  return null;
}

function parseBuiltinAction(v: unknown): BuiltinAction | null {
  if (!isObject(v)) return null;
  if (v.type === "clear") return { type: "clear" };
  if (v.type === "model") {
    const tier = v.tier === "fast" || v.tier === "voice" || v.tier === "thinker" ? v.tier : null;
    return { type: "model", model: isString(v.model) && v.model !== "" ? v.model : null, tier };
  }
  // An action this UI does not know: the output still shows.
  return null;
}

const doneStatus = (v: unknown): AgentDoneStatus => (v === "cancelled" || v === "failed" || v === "step_limit" ? v : "complete");
const hookOutcome = (v: unknown): HookOutcome => (v === "blocked" || v === "error" || v === "ignored" ? v : "ok");

const isArtifactId = (v: unknown): v is number | string => isNumber(v) || isString(v);
const artifactStatus = (v: unknown): ArtifactStatus => (v === "applied" || v === "rejected" ? v : "pending");
const text = (v: unknown): string => (isString(v) ? v : v === undefined || v === null ? "" : JSON.stringify(v));

function parseAgentEvent(f: Json): AgentEvent {
  const n = (x: unknown) => (isNumber(x) ? x : 0);
  switch (f.event) {
    case "started":
      return { event: "started", task: text(f.task), mode: f.mode === "auto" ? "auto" : "ask" };
    case "step":
      need(isNumber(f.n), "bad agent step");
      return { event: "step", n: f.n as number };
    case "text":
      need(isString(f.text), "bad agent text");
      return { event: "text", text: f.text as string };
    case "tool_call":
      need(isId(f.call_id) && isString(f.name), "bad agent tool_call");
      return { event: "tool_call", call_id: String(f.call_id), name: f.name as string, arguments: f.arguments };
    case "tool_result":
      need(isId(f.call_id), "bad agent tool_result");
      return {
        event: "tool_result",
        call_id: String(f.call_id),
        name: text(f.name),
        ok: f.ok !== false,
        output: text(f.output),
        duration_ms: n(f.duration_ms),
      };
    case "artifact":
      need(isArtifactId(f.artifact_id) && isString(f.diff), "bad agent artifact");
      return {
        event: "artifact",
        artifact_id: f.artifact_id as number | string,
        checkpoint_id: isArtifactId(f.checkpoint_id) ? f.checkpoint_id : null,
        path: text(f.path),
        diff: f.diff as string,
        status: artifactStatus(f.status),
      };
    case "artifact_decided":
      need(isArtifactId(f.artifact_id), "bad agent artifact_decided");
      return { event: "artifact_decided", artifact_id: f.artifact_id as number | string, status: artifactStatus(f.status) };
    case "ask_user":
      return { event: "ask_user", question: text(f.question) };
    case "usage":
      return { event: "usage", input_tokens: n(f.input_tokens), output_tokens: n(f.output_tokens), cost_usd: n(f.cost_usd) };
    case "rewound":
      return {
        event: "rewound",
        checkpoint_id: isArtifactId(f.checkpoint_id) ? f.checkpoint_id : null,
        files: Array.isArray(f.files) ? f.files.filter(isString) : [],
      };
    case "done":
      return { event: "done", status: doneStatus(f.status), summary: text(f.summary), steps: n(f.steps), cost_usd: n(f.cost_usd) };
    case "failed":
      return { event: "failed", error: text(f.error) || "the operation failed", kind: text(f.kind) };
    case "hook":
      need(isString(f.hook_event) && isString(f.command), "bad agent hook");
      return {
        event: "hook",
        hook_event: f.hook_event as string,
        target: isString(f.target) ? f.target : null,
        command: f.command as string,
        source: text(f.source),
        outcome: hookOutcome(f.outcome),
        exit_code: isNumber(f.exit_code) ? f.exit_code : null,
        timed_out: f.timed_out === true,
        duration_ms: n(f.duration_ms),
        message: text(f.message),
      };
    case "subagent_started":
      need(isNumber(f.operation_id), "bad agent subagent_started");
      return { event: "subagent_started", operation_id: f.operation_id as number, agent: text(f.agent), task: text(f.task), note: isString(f.note) ? f.note : null };
    case "subagent_done":
      need(isNumber(f.operation_id), "bad agent subagent_done");
      return {
        event: "subagent_done",
        operation_id: f.operation_id as number,
        agent: text(f.agent),
        status: doneStatus(f.status),
        summary: text(f.summary),
        steps: n(f.steps),
        cost_usd: n(f.cost_usd),
      };
    case "nested":
      need(isNumber(f.operation_id) && isObject(f.inner), "bad agent nested");
      return { event: "nested", operation_id: f.operation_id as number, inner: parseAgentEvent(f.inner as Json) };
    default:
      throw new FrameError(`unknown agent event ${String(f.event)}`);
  }
}
