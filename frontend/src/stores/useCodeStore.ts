import { create } from "zustand";

import { ApiError, type Api, type CallRef, type CodeFile, type CodeSymbol, type ImpactResult } from "../lib/api";

interface CodeStore {
  projectId: number | null;
  /** Tags by file path, from the code index. */
  files: Record<string, CodeFile>;
  /** The open file's outline. */
  path: string | null;
  outline: CodeSymbol[];
  selected: string | null;
  callers: CallRef[];
  callees: CallRef[];
  impact: ImpactResult | null;
  error: string | null;
  loadFiles(api: Api, projectId: number): Promise<void>;
  loadOutline(api: Api, projectId: number, path: string | null): Promise<void>;
  select(api: Api, projectId: number, symbol: string): Promise<void>;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function rethrowAuth(e: unknown): void {
  if (e instanceof ApiError && e.status === 401) throw e;
}

export const useCodeStore = create<CodeStore>((set, get) => ({
  projectId: null,
  files: {},
  path: null,
  outline: [],
  selected: null,
  callers: [],
  callees: [],
  impact: null,
  error: null,
  async loadFiles(api, projectId) {
    try {
      const list = await api.codeFiles(projectId);
      set({ projectId, files: Object.fromEntries(list.map((f) => [f.path, f])), error: null });
    } catch (e) {
      rethrowAuth(e);
      set({ error: message(e) });
    }
  },
  async loadOutline(api, projectId, path) {
    if (path !== get().path) set({ path, outline: [], selected: null, callers: [], callees: [], impact: null });
    if (path === null) return;
    try {
      const outline = await api.codeOutline(projectId, path);
      if (get().path === path) set({ outline, error: null });
    } catch (e) {
      rethrowAuth(e);
      set({ error: message(e) });
    }
  },
  async select(api, projectId, symbol) {
    set({ selected: symbol, callers: [], callees: [], impact: null });
    try {
      const [callers, callees, impact] = await Promise.all([
        api.codeCalls(projectId, "callers", symbol),
        api.codeCalls(projectId, "callees", symbol),
        api.codeImpact(projectId, symbol, 3),
      ]);
      if (get().selected === symbol) set({ callers, callees, impact, error: null });
    } catch (e) {
      rethrowAuth(e);
      set({ error: message(e) });
    }
  },
}));
