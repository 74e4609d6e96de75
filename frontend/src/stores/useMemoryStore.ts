// Memory: the facts Mira keeps about the user and the open project, a search over them
// and the chat turns they came from, the user's profile, learned habits and rolling
// summaries, and the user's own corrections (remember, edit, forget) through the HTTP API.

import { create } from "zustand";

import { ApiError, type Api, type MemoryFact, type MemoryItem, type MemoryPattern, type MemorySummary, type ProfileEntry } from "../lib/api";
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
  /** The user's profile, and the patterns it counts as habits. */
  profile: ProfileEntry[];
  habits: MemoryPattern[];
  /** Every learned pattern in scope, most evidence first. */
  patterns: MemoryPattern[];
  /** Rolling summaries in scope, newest first. */
  summaries: MemorySummary[];
  viewsLoading: boolean;
  /** Why a view could not be read; each on its own, so an older server still lists facts. */
  viewErrors: ViewErrors;
  /** Lists the facts of a project; a different project than before starts afresh. */
  load(api: Api, projectId: number | null): Promise<void>;
  /** Reads the profile, the patterns and the summaries of a project (and the user's). */
  loadViews(api: Api, projectId: number | null): Promise<void>;
  setHistory(api: Api, history: boolean): Promise<void>;
  /** Sets the query and searches once typing pauses (settles at once when replaced). */
  setQuery(api: Api, query: string): Promise<void>;
  /** Searches now (Enter) with the current query. */
  search(api: Api): Promise<void>;
  /** Tells memory a statement, for this project only or for the user. True when taken. */
  remember(api: Api, text: string, projectOnly: boolean): Promise<boolean>;
  /** Corrects a fact's text. True when saved. */
  edit(api: Api, id: number, text: string): Promise<boolean>;
  /** Forgets a fact (`f12`), a turn (`t34`), a pattern (`p3`) or a summary (`s4`). */
  forget(api: Api, itemId: string): Promise<void>;
  reset(): void;
}

export interface ViewErrors {
  profile: string | null;
  patterns: string | null;
  summaries: string | null;
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
let latestViews = 0;

function cancelPending(): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  settlePending?.();
  settlePending = null;
}

const noSearch = { query: "", items: null, searching: false, searchError: null };
const noViewErrors: ViewErrors = { profile: null, patterns: null, summaries: null };
const noViews = { profile: [], habits: [], patterns: [], summaries: [], viewsLoading: false, viewErrors: noViewErrors };
const initial = { projectId: null, facts: [], history: false, loading: false, error: null, notice: null, ...noSearch, ...noViews };

/** Why a view failed, or null; a 401 is kept aside for the auth layer. */
function failure(result: PromiseSettledResult<unknown>): string | null {
  if (result.status === "fulfilled") return null;
  return result.reason instanceof ApiError && result.reason.status === 401 ? null : message(result.reason);
}

/** The 401 among the answers, if any: it goes to the auth layer. */
function unauthorized(results: PromiseSettledResult<unknown>[]): ApiError | null {
  for (const r of results) if (r.status === "rejected" && r.reason instanceof ApiError && r.reason.status === 401) return r.reason;
  return null;
}

export const useMemoryStore = create<MemoryStore>((set, get) => {
  /** After a change: the list and the views again, and the search if one is shown. */
  const refresh = async (api: Api) => {
    const again = get().items !== null && timer === null ? get().search(api) : Promise.resolve();
    await Promise.all([get().load(api, get().projectId), get().loadViews(api, get().projectId), again]);
  };

  return {
    ...initial,
    async load(api, projectId) {
      if (projectId !== get().projectId) {
        cancelPending();
        latest++;
        latestViews++;
        // The profile is the user's, the same in every project; patterns and summaries are not.
        set({ ...noSearch, projectId, facts: [], notice: null, error: null, patterns: [], summaries: [], viewsLoading: false });
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
    async loadViews(api, projectId) {
      const request = ++latestViews;
      set({ viewsLoading: true });
      const results = await Promise.allSettled([api.memoryProfile(), api.memoryPatterns(projectId), api.memorySummaries(projectId)]);
      const [profile, patterns, summaries] = results;
      if (request === latestViews) {
        set((s) => ({
          profile: profile.status === "fulfilled" ? profile.value.profile : s.profile,
          habits: profile.status === "fulfilled" ? profile.value.habits : s.habits,
          patterns: patterns.status === "fulfilled" ? patterns.value : s.patterns,
          summaries: summaries.status === "fulfilled" ? summaries.value : s.summaries,
          viewsLoading: false,
          viewErrors: { profile: failure(profile), patterns: failure(patterns), summaries: failure(summaries) },
        }));
      }
      const denied = unauthorized(results);
      if (denied) throw denied;
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
          profile: s.profile.map((e) => (e.fact === itemId ? { ...e, value: fact.text } : e)),
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
      // Gone from view at once; the lists are read again for what the server did with it.
      const parsed = parseItemId(itemId);
      set((s) => ({
        facts: parsed?.kind === "fact" ? s.facts.filter((f) => f.id !== parsed.n) : s.facts,
        items: s.items && s.items.filter((i) => i.id !== itemId),
        profile: s.profile.filter((e) => e.fact !== itemId),
        habits: s.habits.filter((p) => p.id !== itemId),
        patterns: s.patterns.filter((p) => p.id !== itemId),
        summaries: s.summaries.filter((x) => x.id !== itemId),
        error: null,
      }));
      await refresh(api);
    },
    reset() {
      cancelPending();
      latest++;
      latestList++;
      latestViews++;
      set(initial);
    },
  };
});
