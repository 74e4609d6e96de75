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
  /** Whether the project's history is indexed at all (null: not known yet), which tells
   * "index the history" apart from "no commit touches this file". */
  projectIndexed: boolean | null;
  /** Loads co-change, experts and history of a file (blame when it is shown). */
  load(api: Api, projectId: number, path: string): Promise<void>;
  toggleBlame(api: Api, projectId: number): Promise<void>;
  reset(): void;
}

const empty = { path: null, cochange: [], experts: [], history: [], blame: [], loading: false, error: null, projectIndexed: null };

/** A file git does not have at HEAD (new, untracked) has no blame: nothing to draw. */
function noBlameIfUntracked(e: unknown): BlameLine[] {
  if (e instanceof ApiError && e.status === 404) return [];
  throw e;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export const useGitStore = create<GitStore>((set, get) => ({
  ...empty,
  showBlame: false,
  async load(api, projectId, path) {
    set({ path, loading: true, error: null });
    try {
      // Not indexed (no commit, or a refusal saying so): the panel offers indexing, and
      // the file's queries, which could only say the same, are not asked.
      const latest = await api.projectLog(projectId, 1).catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 401) throw e;
        return [];
      });
      if (latest.length === 0) {
        if (get().path === path) set({ ...empty, path, projectIndexed: false });
        return;
      }
      const [cochange, experts, history, blame] = await Promise.all([
        api.cochange(projectId, path),
        api.experts(projectId, path),
        api.log(projectId, path),
        get().showBlame ? api.blame(projectId, path).catch(noBlameIfUntracked) : Promise.resolve([]),
      ]);
      if (get().path === path) set({ cochange, experts, history, blame, loading: false, projectIndexed: true });
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
      const blame = await api.blame(projectId, path).catch(noBlameIfUntracked);
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
