// Memory: the facts Mira keeps about the user and the open project, a search over them
// and the chat turns they came from, and the user's own corrections (remember, edit,
// forget) through the HTTP API.

import { create } from "zustand";

import { ApiError, type Api, type MemoryFact, type MemoryItem } from "../lib/api";
import { decisionNotice, factItemId, parseItemId } from "../lib/memory";

/** How long typing pauses before the search goes out. */
export const MEMORY_DEBOUNCE_MS = 250;

interface MemoryStore {
  /** The project the facts are of (null: the user's only). */
  projectId: number | null;
  facts: MemoryFact[];
  /** Superseded facts are listed too. */
  history: boolean;
  loading: boolean;
  error: string | null;
  /** What the last "Remember" did. */
  notice: string | null;
  query: string;
  /** The answer to the query; null when there is none (the list shows instead). */
  items: MemoryItem[] | null;
  searching: boolean;
  searchError: string | null;
  /** Lists the facts of a project; a different project than before starts afresh. */
  load(api: Api, projectId: number | null): Promise<void>;
  setHistory(api: Api, history: boolean): Promise<void>;
  /** Sets the query and searches once typing pauses (settles at once when replaced). */
  setQuery(api: Api, query: string): Promise<void>;
  /** Searches now (Enter) with the current query. */
  search(api: Api): Promise<void>;
  /** Tells memory a statement, for this project only or for the user. True when taken. */
  remember(api: Api, text: string, projectOnly: boolean): Promise<boolean>;
  /** Corrects a fact's text. True when saved. */
  edit(api: Api, id: number, text: string): Promise<boolean>;
  /** Forgets a fact (`f12`) or a turn (`t34`). */
  forget(api: Api, itemId: string): Promise<void>;
  reset(): void;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A 401 goes to the auth layer; anything else is the panel's to show. */
function unlessUnauthorized(e: unknown): string {
  if (e instanceof ApiError && e.status === 401) throw e;
  return message(e);
}

// One pending search at a time; `latest` and `latestList` number requests so that an
// answer to an older one never overwrites a newer one.
let timer: ReturnType<typeof setTimeout> | null = null;
let settlePending: (() => void) | null = null;
let latest = 0;
let latestList = 0;

function cancelPending(): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  settlePending?.();
  settlePending = null;
}

const noSearch = { query: "", items: null, searching: false, searchError: null };
const initial = { projectId: null, facts: [], history: false, loading: false, error: null, notice: null, ...noSearch };

export const useMemoryStore = create<MemoryStore>((set, get) => {
  /** After a change: the list again, and the search if one is shown. */
  const refresh = async (api: Api) => {
    const again = get().items !== null && timer === null ? get().search(api) : Promise.resolve();
    await Promise.all([get().load(api, get().projectId), again]);
  };

  return {
    ...initial,
    async load(api, projectId) {
      if (projectId !== get().projectId) {
        cancelPending();
        latest++;
        set({ ...noSearch, projectId, facts: [], notice: null, error: null });
      }
      const request = ++latestList;
      set({ loading: true });
      try {
        const facts = await api.memory(projectId, get().history);
        if (request === latestList) set({ facts, loading: false, error: null });
      } catch (e) {
        const error = unlessUnauthorized(e);
        if (request === latestList) set({ facts: [], loading: false, error });
      }
    },
    setHistory(api, history) {
      set({ history });
      return get().load(api, get().projectId);
    },
    setQuery(api, query) {
      set({ query });
      cancelPending();
      return new Promise<void>((resolve, reject) => {
        settlePending = resolve;
        timer = setTimeout(() => {
          timer = null;
          settlePending = null;
          get().search(api).then(resolve, reject);
        }, MEMORY_DEBOUNCE_MS);
      });
    },
    async search(api) {
      cancelPending();
      const request = ++latest;
      const { query, projectId } = get();
      if (query.trim() === "") {
        set(noSearch);
        return;
      }
      // The earlier items stay while the new ones load, so typing does not flicker.
      set({ searching: true });
      try {
        const items = await api.memorySearch(query.trim(), projectId);
        if (request === latest) set({ items, searching: false, searchError: null });
      } catch (e) {
        const searchError = unlessUnauthorized(e);
        if (request === latest) set({ items: null, searching: false, searchError });
      }
    },
    async remember(api, text, projectOnly) {
      const { projectId } = get();
      try {
        const { decision } = await api.remember(text.trim(), projectOnly ? projectId : null);
        set({ notice: decisionNotice(decision), error: null });
      } catch (e) {
        set({ error: unlessUnauthorized(e), notice: null });
        return false;
      }
      await refresh(api);
      return true;
    },
    async edit(api, id, text) {
      try {
        const fact = await api.memoryEdit(factItemId(id), text.trim());
        const itemId = factItemId(id);
        set((s) => ({
          facts: s.facts.map((f) => (f.id === id ? fact : f)),
          items: s.items && s.items.map((i) => (i.id === itemId ? { ...i, text: fact.text } : i)),
          error: null,
        }));
        return true;
      } catch (e) {
        set({ error: unlessUnauthorized(e) });
        return false;
      }
    },
    async forget(api, itemId) {
      try {
        await api.memoryForget(itemId);
      } catch (e) {
        set({ error: unlessUnauthorized(e) });
        return;
      }
      // Gone from view at once; the list is read again for what the server did with it.
      const parsed = parseItemId(itemId);
      set((s) => ({
        facts: parsed?.kind === "fact" ? s.facts.filter((f) => f.id !== parsed.n) : s.facts,
        items: s.items && s.items.filter((i) => i.id !== itemId),
        error: null,
      }));
      await refresh(api);
    },
    reset() {
      cancelPending();
      latest++;
      latestList++;
      set(initial);
    },
  };
});
