import { useEffect, useMemo, useRef, type KeyboardEvent } from "react";

import type { Api, SearchCollection, SearchHit, SearchMode } from "../lib/api";
import { coverageLine, hitPlace, isUnindexed, opensInEditor, snippetLines } from "../lib/search";
import { useActivityStore } from "../stores/useActivityStore";
import { useCodeStore } from "../stores/useCodeStore";
import { useProjectStore } from "../stores/useProjectStore";
import { useSearchStore } from "../stores/useSearchStore";
import { EmptyState } from "./EmptyState";

interface Props {
  api: Api;
  onError(e: unknown): void;
  /** Focuses the search box each time it changes (Ctrl+Shift+F). */
  focusTick: number;
}

/** Chunk kinds of the code collection (definitions, Markdown sections, whole files). */
const KINDS = ["function", "method", "class", "struct", "enum", "trait", "interface", "constant", "type_alias", "doc", "file"];
const MODES: SearchMode[] = ["hybrid", "keyword", "dense"];
const COLLECTIONS: { value: SearchCollection; label: string }[] = [
  { value: "code", label: "Code" },
  { value: "git", label: "Commits" },
  { value: "conversation", label: "Chats" },
];

function Snippet({ hit, numbered }: { hit: SearchHit; numbered: boolean }) {
  return (
    <span className="snippet">
      {snippetLines(hit).map((line) => (
        <span key={line.number} className={line.matched ? "snip-line snip-hit" : "snip-line"} data-matched={line.matched || undefined}>
          {numbered && <span className="snip-number">{line.number}</span>}
          {line.text || " "}
        </span>
      ))}
    </span>
  );
}

function Head({ hit, place }: { hit: SearchHit; place: string }) {
  return (
    <span className="search-head">
      <span className="search-place">{place}</span>
      <span className="badge">{hit.kind}</span>
      {hit.symbol && <span className="search-symbol">{hit.symbol}</span>}
    </span>
  );
}

/** Search as you type over code, commits and chats, with filters; a result opens in the editor. */
export function SearchPanel({ api, onError, focusTick }: Props) {
  const projectId = useProjectStore((s) => s.selectedId);
  const files = useCodeStore((s) => s.files);
  const { query, filters, results, answer, loading, error, notice, status } = useSearchStore();
  const box = useRef<HTMLInputElement>(null);
  const languages = useMemo(
    () => [...new Set(Object.values(files).flatMap((f) => (f.language ? [f.language] : [])))].sort(),
    [files],
  );

  // The coverage line follows the server: indexing and embedding announce themselves
  // as activity events, each of which makes the status worth asking again.
  const searchEvents = useActivityStore(
    (s) => s.items.find((i) => i.kind === "activity" && i.data.kind.startsWith("search."))?.id ?? "",
  );
  useEffect(() => {
    if (projectId !== null) useSearchStore.getState().loadStatus(api, projectId).catch(onError);
  }, [api, projectId, onError, searchEvents]);

  useEffect(() => {
    if (focusTick === 0) return;
    box.current?.focus();
    box.current?.select();
  }, [focusTick]);

  if (projectId === null) return null;
  const store = useSearchStore.getState();
  const code = filters.collection === "code";
  const shown = answer?.collection ?? filters.collection;
  const coverage = coverageLine(status, filters.collection);
  const unindexed = isUnindexed(status, filters.collection);
  // Enter searches at once, in the box and in the path filter (a form with two text
  // fields has no implicit submission).
  const now = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key !== "Enter" || e.nativeEvent.isComposing) return;
    e.preventDefault();
    store.run(api, projectId).catch(onError);
  };
  const go = (hit: SearchHit) => {
    useProjectStore.getState().reveal(api, { path: hit.path, line: Math.max(1, hit.lines[0]), column: 1 }).catch(onError);
  };

  return (
    <div className="panel-body search-panel" data-testid="search-panel">
      <form className="search-form" role="search" onSubmit={(e) => e.preventDefault()}>
        <input
          ref={box}
          type="search"
          aria-label="Search code"
          data-testid="search-input"
          placeholder="Search code (Ctrl+Shift+F)"
          value={query}
          onChange={(e) => store.setQuery(api, projectId, e.target.value).catch(onError)}
          onKeyDown={now}
        />
        <div className="search-filters">
          <select
            aria-label="Collection"
            data-testid="search-collection"
            value={filters.collection}
            onChange={(e) => store.filter(api, projectId, { collection: e.target.value as SearchCollection }).catch(onError)}
          >
            {COLLECTIONS.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
          <select
            aria-label="Language"
            data-testid="search-lang"
            value={filters.lang}
            disabled={!code}
            onChange={(e) => store.filter(api, projectId, { lang: e.target.value }).catch(onError)}
          >
            <option value="">any language</option>
            {filters.lang && !languages.includes(filters.lang) && <option value={filters.lang}>{filters.lang}</option>}
            {languages.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
          <select
            aria-label="Kind"
            data-testid="search-kind"
            value={filters.kind}
            disabled={!code}
            onChange={(e) => store.filter(api, projectId, { kind: e.target.value }).catch(onError)}
          >
            <option value="">any kind</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k.replace("_", " ")}
              </option>
            ))}
          </select>
          <select
            aria-label="Mode"
            data-testid="search-mode"
            value={filters.mode}
            onChange={(e) => store.filter(api, projectId, { mode: e.target.value as SearchMode }).catch(onError)}
          >
            {MODES.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
          <input
            type="text"
            aria-label="Path filter"
            data-testid="search-path"
            placeholder="in path, e.g. src/"
            value={filters.path}
            onChange={(e) => store.filter(api, projectId, { path: e.target.value }, true).catch(onError)}
            onKeyDown={now}
          />
        </div>
      </form>
      {coverage && (
        <div className="pad-x muted small" data-testid="search-coverage">
          {coverage}
        </div>
      )}
      <div className="scroll search-results" aria-busy={loading}>
        {error && <div className="pad status-error" data-testid="search-error">{error}</div>}
        {notice && <div className="pad-x search-notice small" data-testid="search-notice">{notice}</div>}
        {answer && answer.concepts.length > 0 && (
          <div className="pad-x chips" data-testid="search-concepts">
            <span className="muted small">concepts</span>
            {answer.concepts.map((c) => (
              <span key={c} className="chip">
                {c}
              </span>
            ))}
          </div>
        )}
        {answer && (
          <div className="pad-x muted small" data-testid="search-meta" aria-live="polite">
            {results.length === 0
              ? `No good match for "${answer.query}".`
              : `${results.length} result${results.length === 1 ? "" : "s"} in ${Math.round(answer.took_ms)} ms, ${answer.mode}`}
            {loading && " (searching...)"}
          </div>
        )}
        {!answer && !error && unindexed && (
          <EmptyState
            testid="search-empty"
            title="Nothing indexed for search yet."
            detail="The search index is built from the code index (and the git history for commits); it fills in the background."
            action={{ label: "Index for search", testid: "search-index", onClick: () => void api.searchIndex(projectId).catch(onError) }}
          />
        )}
        {!answer && !error && !unindexed && (
          <div className="pad muted">{loading ? "Searching..." : "Type to search by meaning and by words; Enter searches at once."}</div>
        )}
        <ul className="search-list" data-testid="search-results">
          {results.map((hit) => (
            <li key={`${hit.path}:${hit.lines[0]}:${hit.symbol ?? ""}`} data-testid="search-result" data-path={hit.path} data-symbol={hit.symbol ?? ""}>
              {opensInEditor(shown, hit) ? (
                <button
                  type="button"
                  className="search-hit"
                  title={`Open ${hitPlace(hit)}`}
                  aria-label={`Open ${hitPlace(hit)}${hit.symbol ? `, ${hit.kind} ${hit.symbol}` : ""}`}
                  onClick={() => go(hit)}
                >
                  <Head hit={hit} place={hitPlace(hit)} />
                  <Snippet hit={hit} numbered />
                </button>
              ) : (
                <div className="search-hit search-static">
                  <Head hit={hit} place={shown === "git" ? hit.path.slice(0, 10) : hitPlace(hit)} />
                  <Snippet hit={hit} numbered={false} />
                </div>
              )}
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
