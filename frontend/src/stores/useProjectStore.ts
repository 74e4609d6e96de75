import { create } from "zustand";

import { ApiError, type Api, type FileContent, type Project, type Tree } from "../lib/api";
import { useEditorStore } from "./useEditorStore";

/** Where the editor should go: set when a build error or a symbol is clicked. */
export interface Focus {
  path: string;
  line: number;
  column: number;
}

interface ProjectStore {
  projects: Project[];
  selectedId: number | null;
  /** Listings by directory path ("" is the root), fetched on first expand. */
  trees: Record<string, Tree>;
  expanded: Record<string, boolean>;
  openFile: FileContent | null;
  focus: Focus | null;
  /** The lines selected in the editor (1-based, inclusive), null when nothing is. */
  selection: { start_line: number; end_line: number } | null;
  error: string | null;
  load(api: Api): Promise<void>;
  select(api: Api, id: number): Promise<void>;
  toggle(api: Api, dir: string): Promise<void>;
  open(api: Api, path: string): Promise<void>;
  /** Opens `path` (if it is not open) and puts the cursor at the line. */
  reveal(api: Api, focus: Focus): Promise<void>;
  /** Reads the open file again if it is one of `paths` (changed on disk). */
  refresh(api: Api, paths: string[]): Promise<void>;
  /** Registers a directory as a project and switches to it; throws the server's refusal. */
  add(api: Api, path: string): Promise<void>;
}

/** Unsaved edits are lost by leaving the file: only when the user says so. */
function mayLeave(path: string | null): boolean {
  const editor = useEditorStore.getState();
  if (!editor.dirty || editor.path === null || editor.path === path) return true;
  return window.confirm(`Discard unsaved changes to ${editor.path}?`);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Runs `work`; a 401 is rethrown for the auth layer, other errors land in `error`. */
async function guarded(set: (s: Partial<ProjectStore>) => void, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) throw e;
    set({ error: message(e) });
  }
}

export const useProjectStore = create<ProjectStore>((set, get) => ({
  projects: [],
  selectedId: null,
  trees: {},
  expanded: {},
  openFile: null,
  focus: null,
  selection: null,
  error: null,
  async load(api) {
    await guarded(set, async () => {
      const projects = await api.projects();
      set({ projects, error: null });
      const current = get().selectedId;
      const keep = projects.some((p) => p.id === current);
      if (!keep && projects.length > 0) await get().select(api, projects[0].id);
    });
  },
  async select(api, id) {
    if (id !== get().selectedId && !mayLeave(null)) return;
    set({ selectedId: id, trees: {}, expanded: {}, openFile: null, selection: null, error: null });
    await guarded(set, async () => {
      const root = await api.tree(id, "");
      if (get().selectedId === id) set({ trees: { "": root } });
    });
  },
  async toggle(api, dir) {
    const { selectedId, expanded, trees } = get();
    if (selectedId === null) return;
    const open = !expanded[dir];
    set({ expanded: { ...expanded, [dir]: open } });
    if (!open || trees[dir]) return;
    await guarded(set, async () => {
      const tree = await api.tree(selectedId, dir);
      if (get().selectedId === selectedId) set({ trees: { ...get().trees, [dir]: tree } });
    });
  },
  async open(api, path) {
    const id = get().selectedId;
    if (id === null || !mayLeave(path)) return;
    await guarded(set, async () => {
      const file = await api.file(id, path);
      if (get().selectedId === id) set({ openFile: file, selection: get().openFile?.path === file.path ? get().selection : null, error: null });
    });
  },
  async reveal(api, focus) {
    set({ focus });
    if (get().openFile?.path !== focus.path) await get().open(api, focus.path);
  },
  async refresh(api, paths) {
    const path = get().openFile?.path;
    // Unsaved edits are not replaced: their save will find the change and show both.
    if (useEditorStore.getState().dirty) return;
    if (path !== undefined && paths.includes(path)) await get().open(api, path);
  },
  async add(api, path) {
    const project = await api.addProject(path.trim());
    set({ projects: [...get().projects.filter((p) => p.id !== project.id), project] });
    await get().select(api, project.id);
  },
}));
