import { create } from "zustand";

import type { Api, DiskVersion, FileContent } from "../lib/api";

/** A save refused because the disk changed: both versions, for the user to choose. */
export interface Conflict {
  path: string;
  mine: string;
  disk: DiskVersion;
  message: string;
}

interface EditorStore {
  /** The open file and the hash of the version on disk the editor's text started from. */
  path: string | null;
  baseHash: string | null;
  /** The text differs from what was opened or last saved. */
  dirty: boolean;
  saving: boolean;
  conflict: Conflict | null;
  error: string | null;
  /** A file was opened (or read again): its text is the new base. */
  opened(file: FileContent): void;
  setDirty(dirty: boolean): void;
  /** Saves `content` over the base; true when it was written. */
  save(api: Api, projectId: number, content: string): Promise<boolean>;
  /** Resolves a conflict by writing one's own text over what is on disk now. */
  keepMine(api: Api, projectId: number): Promise<boolean>;
  /** Resolves a conflict by taking the disk's text; returns it for the editor to show. */
  takeDisk(): string | null;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export const useEditorStore = create<EditorStore>((set, get) => ({
  path: null,
  baseHash: null,
  dirty: false,
  saving: false,
  conflict: null,
  error: null,
  opened(file) {
    set({ path: file.path, baseHash: file.hash, dirty: false, saving: false, conflict: null, error: null });
  },
  setDirty(dirty) {
    if (get().dirty !== dirty) set({ dirty });
  },
  async save(api, projectId, content) {
    const { path, baseHash, saving, conflict } = get();
    // One save at a time, and none while a conflict waits for the user's choice.
    if (path === null || saving || conflict) return false;
    set({ saving: true, error: null });
    try {
      const outcome = await api.saveFile(projectId, path, content, baseHash);
      if (get().path !== path) return false;
      if (outcome.kind === "saved") {
        set({ baseHash: outcome.saved.hash, saving: false });
        return true;
      }
      set({ saving: false, conflict: { path, mine: content, disk: outcome.disk, message: outcome.message } });
      return false;
    } catch (e) {
      set({ saving: false, error: message(e) });
      throw e;
    }
  },
  async keepMine(api, projectId) {
    const conflict = get().conflict;
    if (!conflict) return false;
    // The disk's hash as the base: this overwrite is the user's choice, made with both
    // versions in view. If the disk changed yet again, the server refuses once more.
    set({ conflict: null, baseHash: conflict.disk.hash });
    return get().save(api, projectId, conflict.mine);
  },
  takeDisk() {
    const conflict = get().conflict;
    if (!conflict) return null;
    set({ conflict: null, baseHash: conflict.disk.hash });
    return conflict.disk.content ?? "";
  },
}));
