import { create } from "zustand";

import { ApiError, type Api, type BuildError, type BuildRun } from "../lib/api";
import { stripAnsi } from "../lib/ansi";
import type { BuildFinishedData, BuildOutputData, BuildStartedData } from "../lib/protocol";

/** Output kept per run in the browser; older text is dropped from the front. */
export const OUTPUT_CAP = 1_000_000;

interface BuildStore {
  projectId: number | null;
  runs: BuildRun[];
  errors: BuildError[];
  /** The run whose output is shown. */
  activeRunId: number | null;
  output: Record<number, string>;
  command: string;
  error: string | null;
  load(api: Api, projectId: number): Promise<void>;
  setCommand(command: string): void;
  run(api: Api, projectId: number): Promise<void>;
  cancel(api: Api, projectId: number, runId: number): Promise<void>;
  showRun(api: Api, projectId: number, runId: number): Promise<void>;
  started(data: BuildStartedData): void;
  appendOutput(data: BuildOutputData): void;
  finished(api: Api, data: BuildFinishedData): Promise<void>;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function rethrowAuth(e: unknown): void {
  if (e instanceof ApiError && e.status === 401) throw e;
}

/** Errors grouped by file, files in the order their first error appears. */
export function groupByFile(errors: BuildError[]): { file: string; errors: BuildError[] }[] {
  const groups = new Map<string, BuildError[]>();
  for (const e of errors) {
    const file = e.file ?? "(no file)";
    groups.set(file, [...(groups.get(file) ?? []), e]);
  }
  return [...groups.entries()].map(([file, list]) => ({
    file,
    errors: [...list].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
  }));
}

export const useBuildStore = create<BuildStore>((set, get) => ({
  projectId: null,
  runs: [],
  errors: [],
  activeRunId: null,
  output: {},
  command: "",
  error: null,
  async load(api, projectId) {
    if (get().projectId !== projectId) set({ projectId, runs: [], errors: [], activeRunId: null, output: {} });
    try {
      const [runs, errors] = await Promise.all([api.buildRuns(projectId), api.buildErrors(projectId)]);
      if (get().projectId !== projectId) return;
      const command = get().command || runs[0]?.command_line || "";
      set({ runs, errors, command, error: null });
    } catch (e) {
      rethrowAuth(e);
      set({ error: message(e) });
    }
  },
  setCommand(command) {
    set({ command });
  },
  async run(api, projectId) {
    const command = get().command.trim();
    if (!command) {
      set({ error: "Type the build or test command to run, e.g. cargo test" });
      return;
    }
    try {
      const runId = await api.buildRun(projectId, command);
      set((s) => ({ activeRunId: runId, output: { ...s.output, [runId]: s.output[runId] ?? "" }, error: null }));
      await get().load(api, projectId);
    } catch (e) {
      rethrowAuth(e);
      set({ error: message(e) });
    }
  },
  async cancel(api, projectId, runId) {
    try {
      await api.buildCancel(projectId, runId);
    } catch (e) {
      rethrowAuth(e);
      set({ error: message(e) });
    }
  },
  async showRun(api, projectId, runId) {
    set({ activeRunId: runId });
    const run = get().runs.find((r) => r.id === runId);
    if (get().output[runId] !== undefined || run?.status === "running") return;
    try {
      const log = await api.buildLog(projectId, runId);
      set((s) => ({ output: { ...s.output, [runId]: stripAnsi(log) } }));
    } catch (e) {
      rethrowAuth(e);
      set((s) => ({ output: { ...s.output, [runId]: `(no output: ${message(e)})` } }));
    }
  },
  started(data) {
    if (data.project_id !== get().projectId) return;
    set((s) => ({ activeRunId: data.run_id, output: { ...s.output, [data.run_id]: s.output[data.run_id] ?? "" } }));
  },
  appendOutput(data) {
    if (data.project_id !== get().projectId) return;
    set((s) => {
      const text = (s.output[data.run_id] ?? "") + stripAnsi(data.text);
      return { output: { ...s.output, [data.run_id]: text.length > OUTPUT_CAP ? text.slice(-OUTPUT_CAP) : text } };
    });
  },
  async finished(api, data) {
    if (data.project_id !== get().projectId) return;
    if (data.error) set({ error: data.error });
    await get().load(api, data.project_id);
  },
}));
