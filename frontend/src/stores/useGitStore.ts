import { create } from "zustand";

import { ApiError, type Api, type BlameLine, type CochangeSuggestion, type Expert, type LogEntry } from "../lib/api";

interface GitStore {
  /** The file the insights are about. */
  path: string | null;
  cochange: CochangeSuggestion[];
  experts: Expert[];
  history: LogEntry[];
  blame: BlameLine[];
  showBlame: boolean;
  loading: boolean;
  error: string | null;
  /** Loads co-change, experts and history of a file (blame when it is shown). */
  load(api: Api, projectId: number, path: string): Promise<void>;
  toggleBlame(api: Api, projectId: number): Promise<void>;
  reset(): void;
}

const empty = { path: null, cochange: [], experts: [], history: [], blame: [], loading: false, error: null };

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export const useGitStore = create<GitStore>((set, get) => ({
  ...empty,
  showBlame: false,
  async load(api, projectId, path) {
    set({ path, loading: true, error: null });
    try {
      const [cochange, experts, history, blame] = await Promise.all([
        api.cochange(projectId, path),
        api.experts(projectId, path),
        api.log(projectId, path),
        get().showBlame ? api.blame(projectId, path) : Promise.resolve([]),
      ]);
      if (get().path === path) set({ cochange, experts, history, blame, loading: false });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) throw e;
      if (get().path === path) set({ loading: false, error: message(e), cochange: [], experts: [], history: [], blame: [] });
    }
  },
  async toggleBlame(api, projectId) {
    const showBlame = !get().showBlame;
    set({ showBlame, blame: [] });
    const path = get().path;
    if (!showBlame || !path) return;
    try {
      const blame = await api.blame(projectId, path);
      if (get().path === path && get().showBlame) set({ blame });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) throw e;
      set({ error: message(e) });
    }
  },
  reset() {
    set(empty);
  },
}));
