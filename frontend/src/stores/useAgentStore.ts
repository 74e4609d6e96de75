// Agent operations: starting one (agent.start), its transcript as `agent` frames arrive
// (text, tool calls with their results, artifacts waiting for Apply / Reject, questions),
// the decisions and answers sent back, Stop, and the project's checkpoints with Rewind.

import { create } from "zustand";

import type { AgentDoneStatus, AgentEvent, AgentMode, ArtifactStatus, HookRun, RequestId } from "../lib/protocol";
import type { Send, TierChoice } from "./useChatStore";

export interface ToolResult {
  ok: boolean;
  output: string;
  duration_ms: number;
}

export type AgentEntry =
  | { kind: "step"; n: number }
  | { kind: "text"; text: string }
  | { kind: "tool"; call_id: string; name: string; arguments: unknown; result: ToolResult | null }
  | {
      kind: "artifact";
      artifact_id: number | string;
      checkpoint_id: number | string | null;
      path: string;
      diff: string;
      status: ArtifactStatus;
      /** A decision was sent and its answer has not come yet. */
      deciding: boolean;
    }
  | { kind: "ask"; question: string; answer: string | null }
  | { kind: "rewound"; files: string[] }
  | { kind: "hook"; hook: HookRun }
  /** A sub-agent the run delegated to: its own operation, folded as a run of its own. */
  | { kind: "subagent"; operation_id: number; agent: string; note: string | null; run: AgentRun };

type Subagent = Extract<AgentEntry, { kind: "subagent" }>;
type Artifact = Extract<AgentEntry, { kind: "artifact" }>;

/** "lost": the connection closed while the run was going; its end was not heard. */
export type RunStatus = "starting" | "running" | AgentDoneStatus | "lost";

export interface AgentRun {
  /** The `agent.start` request id, which every frame of the operation carries. */
  requestId: string;
  operationId: number | null;
  projectId: number;
  task: string;
  mode: AgentMode;
  entries: AgentEntry[];
  step: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  status: RunStatus;
  summary: string | null;
  error: string | null;
  errorKind: string | null;
}

export interface Checkpoint {
  id: number | string;
  operation_id: number | null;
  task: string;
  created_at: string;
  files: string[];
  /** What became of the change that followed it (applied, rejected, pending). */
  artifact_status: string | null;
}

type Pending =
  | { kind: "start"; requestId: string }
  | { kind: "checkpoints"; projectId: number }
  | { kind: "rewind"; checkpointId: number | string }
  | { kind: "decide"; requestId: string; artifactId: number | string }
  | { kind: "other"; requestId: string };

export function newRun(requestId: string, projectId: number, task: string, mode: AgentMode): AgentRun {
  return {
    requestId,
    operationId: null,
    projectId,
    task,
    mode,
    entries: [],
    step: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    status: "starting",
    summary: null,
    error: null,
    errorKind: null,
  };
}

export const isActive = (run: AgentRun): boolean => run.status === "starting" || run.status === "running";

/** Changes an artifact by id, in the run or in one of its sub-agents (artifact ids are the server's, unique). */
function mapArtifact(entries: AgentEntry[], id: number | string, change: (a: Artifact) => AgentEntry): AgentEntry[] {
  return entries.map((e) => {
    if (e.kind === "artifact" && String(e.artifact_id) === String(id)) return change(e);
    if (e.kind === "subagent") return { ...e, run: { ...e.run, entries: mapArtifact(e.run.entries, id, change) } };
    return e;
  });
}

/** The artifact with this id and the operation that made it (a decision goes to that one). */
export function findArtifact(run: AgentRun, id: number | string): { artifact: Artifact; operationId: number | null } | null {
  for (const e of run.entries) {
    if (e.kind === "artifact" && String(e.artifact_id) === String(id)) return { artifact: e, operationId: run.operationId };
    if (e.kind === "subagent") {
      const found = findArtifact(e.run, id);
      if (found) return found;
    }
  }
  return null;
}

/** Paths of applied changes, the sub-agents' too. */
function appliedPaths(entries: AgentEntry[]): string[] {
  return entries.flatMap((e) => (e.kind === "artifact" && e.status === "applied" && e.path ? [e.path] : e.kind === "subagent" ? appliedPaths(e.run.entries) : []));
}

/** The event a sub-agent's frame carries, however deep. */
function innermost(event: AgentEvent): AgentEvent {
  return event.event === "nested" ? innermost(event.inner) : event;
}

/** Changes the sub-agent running as `operationId`, first adding it if its start was not seen. */
function withSubagent(run: AgentRun, operationId: number, change: (s: Subagent) => Subagent): AgentRun {
  const index = run.entries.findIndex((e) => e.kind === "subagent" && e.operation_id === operationId);
  if (index < 0) {
    const fresh: Subagent = {
      kind: "subagent",
      operation_id: operationId,
      agent: "",
      note: null,
      run: { ...newRun(run.requestId, run.projectId, "", run.mode), operationId, status: "running" },
    };
    return { ...run, entries: [...run.entries, change(fresh)] };
  }
  const entries = run.entries.slice();
  entries[index] = change(entries[index] as Subagent);
  return { ...run, entries };
}

/** Runs under way (and their sub-agents) whose frames went with a closed connection. */
function markLost(run: AgentRun): AgentRun {
  const entries = run.entries.map((e) => (e.kind === "subagent" ? { ...e, run: markLost(e.run) } : e));
  return { ...run, entries, status: isActive(run) ? "lost" : run.status };
}

/** The line a hook run shows: "PreToolUse hook `./check.sh` blocked: not on main". */
export function hookParts(h: HookRun): { label: string; command: string; outcome: string; message: string } {
  return { label: `${h.hook_event} hook`, command: h.command, outcome: h.timed_out ? `${h.outcome} (timed out)` : h.outcome, message: h.message };
}

export function hookLine(h: HookRun): string {
  const p = hookParts(h);
  return `${p.label} \`${p.command}\` ${p.outcome}${p.message ? `: ${p.message}` : ""}`;
}

/** One event applied to a run: the transcript in the order things happened. */
export function reduceRun(run: AgentRun, event: AgentEvent): AgentRun {
  const live: RunStatus = isActive(run) ? "running" : run.status;
  switch (event.event) {
    case "started":
      return { ...run, status: live, mode: event.mode, task: event.task || run.task };
    case "step":
      return { ...run, status: live, step: Math.max(run.step, event.n), entries: [...run.entries, { kind: "step", n: event.n }] };
    case "text": {
      const last = run.entries.at(-1);
      if (last?.kind === "text") return { ...run, status: live, entries: [...run.entries.slice(0, -1), { ...last, text: last.text + event.text }] };
      return { ...run, status: live, entries: [...run.entries, { kind: "text", text: event.text }] };
    }
    case "tool_call":
      return {
        ...run,
        status: live,
        entries: [...run.entries, { kind: "tool", call_id: event.call_id, name: event.name, arguments: event.arguments, result: null }],
      };
    case "tool_result": {
      const result = { ok: event.ok, output: event.output, duration_ms: event.duration_ms };
      let found = false;
      const entries = run.entries.map((e) => {
        if (found || e.kind !== "tool" || e.call_id !== event.call_id) return e;
        found = true;
        return { ...e, result };
      });
      // A result whose call was never seen still shows, as a step of its own.
      if (!found) entries.push({ kind: "tool", call_id: event.call_id, name: event.name, arguments: null, result });
      return { ...run, status: live, entries };
    }
    case "artifact": {
      const artifact: AgentEntry = {
        kind: "artifact",
        artifact_id: event.artifact_id,
        checkpoint_id: event.checkpoint_id,
        path: event.path,
        diff: event.diff,
        status: event.status,
        deciding: false,
      };
      const known = run.entries.some((e) => e.kind === "artifact" && String(e.artifact_id) === String(event.artifact_id));
      return {
        ...run,
        status: live,
        entries: known ? mapArtifact(run.entries, event.artifact_id, () => artifact) : [...run.entries, artifact],
      };
    }
    case "artifact_decided":
      return { ...run, entries: mapArtifact(run.entries, event.artifact_id, (a) => ({ ...a, status: event.status, deciding: false })) };
    case "ask_user":
      return { ...run, status: live, entries: [...run.entries, { kind: "ask", question: event.question, answer: null }] };
    case "rewound":
      return { ...run, entries: [...run.entries, { kind: "rewound", files: event.files }] };
    case "usage":
      return { ...run, inputTokens: event.input_tokens, outputTokens: event.output_tokens, costUsd: event.cost_usd };
    case "done":
      return {
        ...run,
        status: event.status,
        summary: event.summary || null,
        step: Math.max(run.step, event.steps),
        costUsd: Math.max(run.costUsd, event.cost_usd),
        entries: run.entries.map((e) => (e.kind === "artifact" ? { ...e, deciding: false } : e)),
      };
    case "failed":
      return { ...run, status: "failed", error: event.error, errorKind: event.kind || null };
    case "hook":
      return { ...run, status: live, entries: [...run.entries, { kind: "hook", hook: event }] };
    case "subagent_started":
      return withSubagent({ ...run, status: live }, event.operation_id, (s) => ({
        ...s,
        agent: event.agent,
        note: event.note,
        run: { ...s.run, task: event.task || s.run.task },
      }));
    case "subagent_done":
      return withSubagent({ ...run, status: live }, event.operation_id, (s) => ({
        ...s,
        agent: s.agent || event.agent,
        run: reduceRun(s.run, { event: "done", status: event.status, summary: event.summary, steps: event.steps, cost_usd: event.cost_usd }),
      }));
    case "nested":
      return withSubagent({ ...run, status: live }, event.operation_id, (s) => ({ ...s, run: reduceRun(s.run, event.inner) }));
  }
}

/** The user's answer to the last open question. */
export function answerRun(run: AgentRun, text: string): AgentRun {
  let index = run.entries.length - 1;
  while (index >= 0 && !(run.entries[index].kind === "ask" && (run.entries[index] as { answer: string | null }).answer === null)) index--;
  if (index < 0) return run;
  const entries = run.entries.slice();
  entries[index] = { ...(entries[index] as Extract<AgentEntry, { kind: "ask" }>), answer: text };
  return { ...run, entries };
}

/** The line under a run: steps, tokens and what it cost so far. */
export function runMeta(run: AgentRun): string {
  const parts = [`${run.step} ${run.step === 1 ? "step" : "steps"}`];
  if (run.inputTokens || run.outputTokens) parts.push(`${run.inputTokens} in / ${run.outputTokens} out`);
  parts.push(`$${run.costUsd.toFixed(4)}`);
  const label: Record<RunStatus, string> = {
    starting: "starting",
    running: "running",
    complete: "complete",
    cancelled: "stopped",
    failed: "failed",
    step_limit: "stopped at the step limit",
    lost: "connection lost: see the server's operations for how it ended",
  };
  parts.push(label[run.status]);
  return parts.join(" · ");
}

function readCheckpoints(data: unknown): Checkpoint[] {
  const list = (data as { checkpoints?: unknown })?.checkpoints;
  if (!Array.isArray(list)) return [];
  return list.flatMap((c): Checkpoint[] => {
    if (typeof c !== "object" || c === null) return [];
    const r = c as Record<string, unknown>;
    if (typeof r.id !== "number" && typeof r.id !== "string") return [];
    // Milliseconds since the epoch (seconds are taken too), or already a date string.
    const created =
      typeof r.created_at === "number" ? new Date(r.created_at > 1e11 ? r.created_at : r.created_at * 1000).toISOString() : String(r.created_at ?? "");
    return [
      {
        id: r.id,
        operation_id: typeof r.operation_id === "number" ? r.operation_id : null,
        task: typeof r.task === "string" ? r.task : "",
        created_at: created,
        files: Array.isArray(r.files) ? r.files.filter((f): f is string => typeof f === "string") : [],
        artifact_status: typeof r.artifact_status === "string" ? r.artifact_status : null,
      },
    ];
  });
}

/** The files a rewind put back: `restored` as paths (or `files` as `{path}` objects). */
export function restoredPaths(data: unknown): string[] {
  const d = (data ?? {}) as { restored?: unknown; files?: unknown };
  const list = Array.isArray(d.restored) ? d.restored : Array.isArray(d.files) ? d.files : [];
  return list.flatMap((f): string[] => {
    if (typeof f === "string") return [f];
    const path = (f as { path?: unknown } | null)?.path;
    return typeof path === "string" ? [path] : [];
  });
}

interface AgentState {
  mode: AgentMode;
  runs: AgentRun[];
  checkpoints: Checkpoint[];
  checkpointsProject: number | null;
  /** The checkpoint being rewound. */
  rewinding: number | string | null;
  notice: string | null;
  error: string | null;
  pending: Record<string, Pending>;
  send: Send | null;
  /** Files changed on disk by an applied artifact or a rewind (to refresh the editor). */
  onFilesChanged: ((paths: string[]) => void) | null;
  attach(send: Send | null): void;
  setMode(mode: AgentMode): void;
  start(projectId: number, task: string, tier?: TierChoice): void;
  decide(requestId: string, artifactId: number | string, decision: "apply" | "reject"): void;
  answer(requestId: string, text: string): void;
  stop(): void;
  clear(): void;
  loadCheckpoints(projectId: number): void;
  rewind(checkpointId: number | string): void;
  onFrame(id: RequestId, operationId: number | null, event: AgentEvent): void;
  onResult(id: RequestId, data: unknown): void;
  onError(id: RequestId, code: string, message: string): void;
}

function updateRun(runs: AgentRun[], requestId: string, change: (r: AgentRun) => AgentRun): AgentRun[] {
  return runs.map((r) => (r.requestId === requestId ? change(r) : r));
}

function withoutKey(pending: Record<string, Pending>, key: string): Record<string, Pending> {
  const rest = { ...pending };
  delete rest[key];
  return rest;
}

export const useAgentStore = create<AgentState>((set, get) => ({
  mode: "ask",
  runs: [],
  checkpoints: [],
  checkpointsProject: null,
  rewinding: null,
  notice: null,
  error: null,
  pending: {},
  send: null,
  onFilesChanged: null,

  attach(send) {
    // Frames of runs under way went with the old connection: they are not live any more.
    if (send === null) {
      set((s) => ({ runs: s.runs.map(markLost), pending: {}, rewinding: null }));
    }
    set({ send });
  },

  setMode(mode) {
    set({ mode });
  },

  start(projectId, task, tier) {
    const { send, runs, mode } = get();
    const text = task.trim();
    if (!send || !text || runs.some(isActive)) return;
    const params: Record<string, unknown> = { project_id: projectId, task: text, mode };
    if (tier && tier !== "auto") params.tier = tier;
    const id = send("agent.start", params);
    set((s) => ({
      runs: [...s.runs, newRun(id, projectId, text, mode)],
      pending: { ...s.pending, [id]: { kind: "start", requestId: id } },
      notice: null,
      error: null,
    }));
  },

  decide(requestId, artifactId, decision) {
    const { send, runs } = get();
    const run = runs.find((r) => r.requestId === requestId);
    // A sub-agent's change is decided on the sub-agent's own operation.
    const owner = run ? findArtifact(run, artifactId)?.operationId ?? run.operationId : null;
    if (!send || !run || run.operationId === null || owner === null) return;
    const id = send("agent.decide", { operation_id: owner, artifact_id: artifactId, decision });
    set((s) => ({
      runs: updateRun(s.runs, requestId, (r) => ({ ...r, entries: mapArtifact(r.entries, artifactId, (a) => ({ ...a, deciding: true })) })),
      pending: { ...s.pending, [id]: { kind: "decide", requestId, artifactId } },
    }));
  },

  answer(requestId, text) {
    const { send, runs } = get();
    const run = runs.find((r) => r.requestId === requestId);
    const reply = text.trim();
    if (!send || !run || run.operationId === null || !reply) return;
    const id = send("agent.answer", { operation_id: run.operationId, text: reply });
    set((s) => ({
      runs: updateRun(s.runs, requestId, (r) => answerRun(r, reply)),
      pending: { ...s.pending, [id]: { kind: "other", requestId } },
    }));
  },

  stop() {
    const { send, runs } = get();
    const run = runs.find(isActive);
    if (!send || !run || run.operationId === null) return;
    const id = send("agent.stop", { operation_id: run.operationId });
    set((s) => ({ pending: { ...s.pending, [id]: { kind: "other", requestId: run.requestId } } }));
  },

  clear() {
    set((s) => ({ runs: s.runs.filter(isActive), notice: null, error: null }));
  },

  loadCheckpoints(projectId) {
    const { send } = get();
    if (!send) return;
    const id = send("checkpoints.list", { project_id: projectId });
    set((s) => ({
      checkpointsProject: projectId,
      checkpoints: s.checkpointsProject === projectId ? s.checkpoints : [],
      pending: { ...s.pending, [id]: { kind: "checkpoints", projectId } },
    }));
  },

  rewind(checkpointId) {
    const { send, rewinding } = get();
    if (!send || rewinding !== null) return;
    // `checkpoint_id`, not `id`: the request's own `id` is that field of the frame.
    const id = send("checkpoints.rewind", { checkpoint_id: String(checkpointId) });
    set((s) => ({ rewinding: checkpointId, notice: null, error: null, pending: { ...s.pending, [id]: { kind: "rewind", checkpointId } } }));
  },

  onFrame(id, operationId, event) {
    if (typeof id !== "string") return;
    const run = get().runs.find((r) => r.requestId === id);
    if (!run) return;
    const next = reduceRun(operationId !== null && run.operationId === null ? { ...run, operationId } : run, event);
    set((s) => ({ runs: updateRun(s.runs, id, () => next) }));
    // A sub-agent's changes touch the same files as the run's own.
    const inner = innermost(event);
    if (inner.event === "artifact_decided" && inner.status === "applied") {
      const path = findArtifact(next, inner.artifact_id)?.artifact.path;
      if (path) get().onFilesChanged?.([path]);
    }
    if (inner.event === "artifact" && inner.status === "applied" && inner.path) get().onFilesChanged?.([inner.path]);
    if (inner.event === "rewound" && inner.files.length) get().onFilesChanged?.(inner.files);
    if (event.event === "done" || event.event === "failed") {
      // Read applied files once more at the end, in case a write landed after its event.
      const applied = appliedPaths(next.entries);
      if (applied.length) get().onFilesChanged?.([...new Set(applied)]);
      if (get().checkpointsProject === run.projectId) get().loadCheckpoints(run.projectId);
    }
  },

  onResult(id, data) {
    if (typeof id !== "string") return;
    const pending = get().pending[id];
    if (!pending) return;
    set((s) => ({ pending: withoutKey(s.pending, id) }));
    switch (pending.kind) {
      case "start": {
        const operationId = (data as { operation_id?: unknown })?.operation_id;
        if (typeof operationId === "number") {
          set((s) => ({ runs: updateRun(s.runs, pending.requestId, (r) => ({ ...r, operationId: r.operationId ?? operationId })) }));
        }
        break;
      }
      case "checkpoints":
        if (get().checkpointsProject === pending.projectId) set({ checkpoints: readCheckpoints(data) });
        break;
      case "rewind": {
        const paths = restoredPaths(data);
        set({ rewinding: null, notice: paths.length ? `Restored ${paths.join(", ")}` : "Nothing to restore" });
        if (paths.length) get().onFilesChanged?.(paths);
        const project = get().checkpointsProject;
        if (project !== null) get().loadCheckpoints(project);
        break;
      }
      case "decide":
      case "other":
        break;
    }
  },

  onError(id, code, message) {
    if (typeof id !== "string") return;
    const pending = get().pending[id];
    if (!pending) return;
    set((s) => ({ pending: withoutKey(s.pending, id) }));
    switch (pending.kind) {
      case "start":
        set((s) => ({ runs: updateRun(s.runs, pending.requestId, (r) => ({ ...r, status: "failed", error: message, errorKind: code })) }));
        break;
      case "decide":
        set((s) => ({
          runs: updateRun(s.runs, pending.requestId, (r) => ({
            ...r,
            error: message,
            entries: mapArtifact(r.entries, pending.artifactId, (a) => ({ ...a, deciding: false })),
          })),
        }));
        break;
      case "rewind":
        set({ rewinding: null, error: message });
        break;
      case "checkpoints":
      case "other":
        set({ error: message });
        break;
    }
  },
}));
