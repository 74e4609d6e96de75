// One read of a project-level list (its slash commands, its MCP servers), kept per
// project: read again when the project changes, on a refresh, or after something said
// the server's copy changed.

import { create } from "zustand";

import { errorText, rethrowAuth, type Api } from "../lib/api";

export interface ProjectResource<T> {
  projectId: number | null;
  data: T | null;
  loading: boolean;
  error: string | null;
  /** Worth reading again at the next chance: the server reloaded it, or the last read failed. */
  stale: boolean;
  /** Reads the project's copy; null (no project) empties it. A 401 is rethrown for the app. */
  load(api: Api, projectId: number | null): Promise<void>;
  markStale(): void;
}

export function createProjectResource<T>(read: (api: Api, projectId: number) => Promise<T>) {
  // Two quick loads (a project switch mid-read): the one asked last is kept.
  let latest = 0;
  return create<ProjectResource<T>>((set, get) => ({
    projectId: null,
    data: null,
    loading: false,
    error: null,
    stale: false,

    async load(api, projectId) {
      const request = ++latest;
      if (projectId !== get().projectId) set({ projectId, data: null, error: null });
      if (projectId === null) {
        set({ loading: false, stale: false });
        return;
      }
      set({ loading: true });
      try {
        const data = await read(api, projectId);
        if (request === latest) set({ data, loading: false, error: null, stale: false });
      } catch (e) {
        if (request !== latest) return;
        set({ loading: false, error: errorText(e), stale: true });
        rethrowAuth(e);
      }
    },

    markStale() {
      set({ stale: true });
    },
  }));
}
