// The WebSocket protocol, version 1 (docs/protocol.md): server frames, checked at the
// edge so the rest of the UI can trust their shape.

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
  | { type: "event"; event: "build_finished"; data: BuildFinishedData };

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
    default:
      throw new FrameError(`unknown frame type ${String(f.type)}`);
  }
}
