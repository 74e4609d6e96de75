import { create } from "zustand";

import {
  ApiError,
  type Api,
  type SearchCollection,
  type SearchHit,
  type SearchMode,
  type SearchParams,
  type SearchResponse,
  type SearchStatus,
} from "../lib/api";

/** How long typing pauses before the query goes out. */
export const SEARCH_DEBOUNCE_MS = 200;

export interface SearchFilters {
  /** An empty string is no filter. */
  lang: string;
  path: string;
  kind: string;
  mode: SearchMode;
  collection: SearchCollection;
}

export const defaultFilters: SearchFilters = { lang: "", path: "", kind: "", mode: "hybrid", collection: "code" };

interface SearchStore {
  query: string;
  filters: SearchFilters;
  results: SearchHit[];
  /** The answer the results came from, without them: mode that ran, concepts, timing. */
  answer: Omit<SearchResponse, "results"> | null;
  loading: boolean;
  error: string | null;
  notice: string | null;
  status: SearchStatus | null;
  /**
   * Sets the query and searches once typing pauses. The promise settles when that search
   * has finished, or at once when a later call or `run` replaces it.
   */
  setQuery(api: Api, projectId: number, query: string): Promise<void>;
  /** Changes filters; `debounce` for typed ones (the path), at once for the others. */
  filter(api: Api, projectId: number, patch: Partial<SearchFilters>, debounce?: boolean): Promise<void>;
  /** Searches now (Enter) with the current query and filters. */
  run(api: Api, projectId: number): Promise<void>;
  loadStatus(api: Api, projectId: number): Promise<void>;
  /** After the index changed: new coverage, and the current query again. */
  refresh(api: Api, projectId: number): Promise<void>;
  reset(): void;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The request of a query: language and kind apply to code only. */
export function paramsOf(query: string, filters: SearchFilters): SearchParams {
  const code = filters.collection === "code";
  return {
    q: query.trim(),
    lang: code ? filters.lang : "",
    path: filters.path.trim(),
    kind: code ? filters.kind : "",
    mode: filters.mode,
    collection: filters.collection,
    limit: 20,
  };
}

/** The status with the counts an answer came with, the latest known for its collection. */
export function withCoverage(status: SearchStatus | null, answer: Omit<SearchResponse, "results">): SearchStatus {
  const entry = { collection: answer.collection, chunks: answer.chunks, dense: answer.dense_ready };
  const base = status ?? { running: false, collections: [], embedder: answer.embedder, embedder_problem: null };
  const others = base.collections.filter((c) => c.collection !== answer.collection);
  return { ...base, collections: [...others, entry] };
}

// One pending search at a time; `latest` numbers requests so that an answer to an older
// one never overwrites a newer one.
let timer: ReturnType<typeof setTimeout> | null = null;
let settlePending: (() => void) | null = null;
let latest = 0;
let latestStatus = 0;

function cancelPending(): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  settlePending?.();
  settlePending = null;
}

const empty = { results: [], answer: null, loading: false, error: null, notice: null };

export const useSearchStore = create<SearchStore>((set, get) => {
  const schedule = (api: Api, projectId: number): Promise<void> => {
    cancelPending();
    return new Promise<void>((resolve, reject) => {
      settlePending = resolve;
      timer = setTimeout(() => {
        timer = null;
        settlePending = null;
        get().run(api, projectId).then(resolve, reject);
      }, SEARCH_DEBOUNCE_MS);
    });
  };

  return {
    query: "",
    filters: defaultFilters,
    ...empty,
    status: null,
    setQuery(api, projectId, query) {
      set({ query });
      return schedule(api, projectId);
    },
    filter(api, projectId, patch, debounce = false) {
      set({ filters: { ...get().filters, ...patch } });
      return debounce ? schedule(api, projectId) : get().run(api, projectId);
    },
    async run(api, projectId) {
      cancelPending();
      const request = ++latest;
      const { query, filters } = get();
      if (query.trim() === "") {
        set(empty);
        return;
      }
      // The earlier results stay while the new ones load, so typing does not flicker.
      set({ loading: true });
      try {
        const { results, ...answer } = await api.search(projectId, paramsOf(query, filters));
        if (request !== latest) return;
        set({ results, answer, notice: answer.notice, loading: false, error: null, status: withCoverage(get().status, answer) });
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) throw e;
        if (request !== latest) return;
        set({ ...empty, error: message(e) });
      }
    },
    async loadStatus(api, projectId) {
      const request = ++latestStatus;
      try {
        const status = await api.searchStatus(projectId);
        if (request === latestStatus) set({ status });
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) throw e;
        // The coverage line is a hint: without it the panel still searches.
        if (request === latestStatus) set({ status: null });
      }
    },
    async refresh(api, projectId) {
      const again = get().query.trim() !== "" && timer === null ? get().run(api, projectId) : Promise.resolve();
      await Promise.all([get().loadStatus(api, projectId), again]);
    },
    reset() {
      cancelPending();
      latest++;
      latestStatus++;
      set({ query: "", filters: defaultFilters, ...empty, status: null });
    },
  };
});
