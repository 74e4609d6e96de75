import { useEffect, useMemo, useState, type KeyboardEvent } from "react";

import type { Api, MemoryItem } from "../lib/api";
import { factItemId, groupFacts, itemWhen, type SourceTarget } from "../lib/memory";
import { useChatStore } from "../stores/useChatStore";
import { useMemoryStore } from "../stores/useMemoryStore";
import { useProjectStore } from "../stores/useProjectStore";
import { ConfirmButton } from "./ConfirmButton";
import { EmptyState } from "./EmptyState";
import { MemoryFactRow } from "./MemoryFactRow";
import { MemorySources } from "./MemorySources";

interface Props {
  api: Api;
  onError(e: unknown): void;
  /** Brings the chat into view (its tab), for a source opened from here. */
  onOpenChat(): void;
}

function ItemRow({ item, onForget, onOpenSource, busy }: { item: MemoryItem; onForget(): void; onOpenSource(t: SourceTarget): void; busy: boolean }) {
  const superseded = item.valid_to !== null;
  return (
    <li className={superseded ? "memory-fact memory-superseded" : "memory-fact"} data-testid="memory-item" data-id={item.id} data-kind={item.kind} data-superseded={superseded || undefined}>
      <div className="memory-head small">
        <span className="tag">{item.kind}</span>
        {item.category && <span className="tag">{item.category}</span>}
        {superseded && <span className="tag memory-old">superseded</span>}
        <span className="muted">
          {item.id}
          {item.speaker ? `, ${item.speaker}` : ""}
        </span>
        <span className="muted">{itemWhen(item)}</span>
        <span className="memory-actions">
          <ConfirmButton label="Forget" what={item.id} testid="memory-forget" onConfirm={onForget} />
        </span>
      </div>
      <div className={item.kind === "turn" ? "memory-text memory-turn" : "memory-text"}>{item.text}</div>
      <MemorySources sources={item.sources} onOpen={onOpenSource} busy={busy} />
    </li>
  );
}

/**
 * What Mira remembers about the user and the open project: facts by scope and category
 * with when they held, a search that also finds what was said, and the user's own
 * corrections. A source opens its chat at the message the item came from.
 */
export function MemoryPanel({ api, onError, onOpenChat }: Props) {
  const projectId = useProjectStore((s) => s.selectedId);
  const projectName = useProjectStore((s) => s.projects.find((p) => p.id === s.selectedId)?.name ?? null);
  const { facts, history, loading, error, notice, query, items, searching, searchError } = useMemoryStore();
  // Opening a chat while an answer streams would stop that answer.
  const busy = useChatStore((s) => s.streamingId !== null);
  const [draft, setDraft] = useState("");
  const [projectOnly, setProjectOnly] = useState(false);
  const groups = useMemo(() => groupFacts(facts), [facts]);

  // Chats teach memory in the background: each visit to the tab reads it again.
  useEffect(() => {
    useMemoryStore.getState().load(api, projectId).catch(onError);
  }, [api, projectId, onError]);

  const store = useMemoryStore.getState();
  const openSource = (target: SourceTarget) => {
    useChatStore.getState().setPanel("chat");
    onOpenChat();
    useChatStore.getState().open(api, target.conversation, target.message).catch(onError);
  };
  const forget = (itemId: string) => store.forget(api, itemId).catch(onError);
  const edit = (id: number, text: string) =>
    store.edit(api, id, text).catch((e: unknown) => {
      onError(e);
      return false;
    });
  const remember = () => {
    if (!draft.trim()) return;
    store.remember(api, draft, projectOnly && projectId !== null).then((taken) => {
      if (taken) setDraft("");
    }, onError);
  };
  const searchNow = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key !== "Enter" || e.nativeEvent.isComposing) return;
    e.preventDefault();
    store.search(api).catch(onError);
  };

  return (
    <div className="panel-body memory-panel" data-testid="memory-panel">
      <form
        className="memory-form"
        onSubmit={(e) => {
          e.preventDefault();
          remember();
        }}
      >
        <div className="memory-line">
          <input
            type="text"
            aria-label="Something to remember"
            data-testid="memory-remember-input"
            placeholder='Remember, e.g. "we use Postgres for storage"'
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
          />
          <button type="submit" className="toggle" data-testid="memory-remember" disabled={!draft.trim()}>
            Remember
          </button>
        </div>
        <label className="small" title={projectId === null ? "Open a project to keep something for it only" : "Recalled only in this project, not in others"}>
          <input
            type="checkbox"
            data-testid="memory-project-only"
            checked={projectOnly && projectId !== null}
            disabled={projectId === null}
            onChange={(e) => setProjectOnly(e.target.checked)}
          />{" "}
          this project only
        </label>
      </form>
      <form className="memory-form" role="search" onSubmit={(e) => e.preventDefault()}>
        <div className="memory-line">
          <input
            type="search"
            aria-label="Search memory"
            data-testid="memory-search-input"
            placeholder="Search facts and what was said"
            value={query}
            onChange={(e) => store.setQuery(api, e.target.value).catch(onError)}
            onKeyDown={searchNow}
          />
          <label className="small" title="List superseded facts too, with when they stopped holding">
            <input type="checkbox" data-testid="memory-history" checked={history} onChange={(e) => store.setHistory(api, e.target.checked).catch(onError)} /> show
            history
          </label>
        </div>
      </form>
      {notice && (
        <div className="pad-x small memory-notice" data-testid="memory-notice" aria-live="polite">
          {notice}
        </div>
      )}
      <div className="scroll memory-body" aria-busy={loading || searching}>
        {error && (
          <div className="pad status-error" data-testid="memory-error">
            {error}
          </div>
        )}
        {items !== null || searchError ? (
          <>
            {searchError && (
              <div className="pad status-error" data-testid="memory-search-error">
                {searchError}
              </div>
            )}
            {items !== null && (
              <div className="pad-x muted small" data-testid="memory-search-meta" aria-live="polite">
                {items.length === 0 ? `Nothing in memory matches "${query.trim()}".` : `${items.length} item${items.length === 1 ? "" : "s"} for "${query.trim()}"`}
                {searching && " (searching...)"}
              </div>
            )}
            <ul className="memory-list" data-testid="memory-results">
              {(items ?? []).map((item) => (
                <ItemRow key={item.id} item={item} busy={busy} onForget={() => forget(item.id)} onOpenSource={openSource} />
              ))}
            </ul>
          </>
        ) : (
          <>
            {searching && <div className="pad muted">Searching...</div>}
            {!loading && !error && facts.length === 0 && (
              <EmptyState
                testid="memory-empty"
                title="Nothing remembered yet."
                detail={
                  'Mira learns preferences, decisions, constraints and names from your chats ("I prefer tabs over spaces", "we use Kafka for the event bus"), ' +
                  "and whatever you tell it above."
                }
              />
            )}
            {groups.map((g) => (
              <section key={g.scope} data-testid="memory-group" data-scope={g.scope}>
                <h3>{g.scope === "project" ? `Project ${projectName ?? ""}`.trim() : "You, in every project"}</h3>
                <ul className="memory-list">
                  {g.facts.map((f) => (
                    <MemoryFactRow
                      key={f.id}
                      fact={f}
                      busy={busy}
                      onEdit={(text) => edit(f.id, text)}
                      onForget={() => forget(factItemId(f.id))}
                      onOpenSource={openSource}
                    />
                  ))}
                </ul>
              </section>
            ))}
          </>
        )}
      </div>
    </div>
  );
}
