import { useEffect, useMemo, useState, type KeyboardEvent } from "react";

import type { Api, MemoryItem } from "../lib/api";
import { HABIT_EVIDENCE, factItemId, groupFacts, isHabit, itemWhen, type SourceTarget } from "../lib/memory";
import { useChatStore } from "../stores/useChatStore";
import { useMemoryStore } from "../stores/useMemoryStore";
import { useProjectStore } from "../stores/useProjectStore";
import { ConfirmButton } from "./ConfirmButton";
import { EmptyState } from "./EmptyState";
import { MemoryFactRow } from "./MemoryFactRow";
import { MemoryPatternRow } from "./MemoryPatternRow";
import { MemoryProfile } from "./MemoryProfile";
import { MemorySectionTabs, type MemorySection } from "./MemorySectionTabs";
import { MemorySources } from "./MemorySources";
import { MemorySummaryRow } from "./MemorySummaryRow";

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

/** Why a view could not be read, in its place. */
function ViewError({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <div className="pad status-error" data-testid="memory-view-error">
      {error}
    </div>
  );
}

/**
 * What Mira remembers about the user and the open project: facts by scope and category
 * with when they held, the profile, learned habits and rolling summaries, a search that
 * also finds what was said, and the user's own corrections. A source opens its chat at
 * the message the item came from.
 */
export function MemoryPanel({ api, onError, onOpenChat }: Props) {
  const projectId = useProjectStore((s) => s.selectedId);
  const projectName = useProjectStore((s) => s.projects.find((p) => p.id === s.selectedId)?.name ?? null);
  const { facts, history, loading, error, notice, query, items, searching, searchError, profile, habits, patterns, summaries, viewsLoading, viewErrors } =
    useMemoryStore();
  // Opening a chat while an answer streams would stop that answer.
  const busy = useChatStore((s) => s.streamingId !== null);
  const [draft, setDraft] = useState("");
  const [projectOnly, setProjectOnly] = useState(false);
  const groups = useMemo(() => groupFacts(facts), [facts]);
  const [section, setSection] = useState<MemorySection>("facts");
  // A search's answer comes to the top as the query changes; a section chosen after it
  // is shown until the next change, without losing the answer.
  const [resultsOnTop, setResultsOnTop] = useState(true);
  // The row a link of the profile pointed at (`f12`, `p3`), highlighted and in view.
  const [focus, setFocus] = useState<string | null>(null);
  const searchShown = items !== null || searchError !== null;
  const shown = searchShown && resultsOnTop ? "results" : section;
  const oftenSeen = patterns.filter(isHabit);
  const emerging = patterns.filter((p) => !isHabit(p));

  // Chats teach memory in the background: each visit to the tab reads it again.
  useEffect(() => {
    const store = useMemoryStore.getState();
    store.load(api, projectId).catch(onError);
    store.loadViews(api, projectId).catch(onError);
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
    setResultsOnTop(true);
    store.search(api).catch(onError);
  };
  const select = (next: MemorySection | "results") => {
    setFocus(null);
    setResultsOnTop(next === "results");
    if (next !== "results") setSection(next);
  };
  const showRow = (next: MemorySection, id: string) => {
    select(next);
    setFocus(id);
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
            onChange={(e) => {
              setResultsOnTop(true);
              store.setQuery(api, e.target.value).catch(onError);
            }}
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
      <MemorySectionTabs
        shown={shown}
        counts={{ facts: facts.length, profile: profile.length, habits: oftenSeen.length, summaries: summaries.length }}
        results={searchShown ? (items?.length ?? 0) : null}
        onSelect={select}
      />
      <div className="scroll memory-body" aria-busy={loading || searching || viewsLoading}>
        {error && (
          <div className="pad status-error" data-testid="memory-error">
            {error}
          </div>
        )}
        {shown === "results" && (
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
        )}
        {shown === "facts" && (
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
                      focused={focus === factItemId(f.id)}
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
        {shown === "profile" && (
          <>
            <ViewError error={viewErrors.profile} />
            {!viewsLoading && !viewErrors.profile && profile.length === 0 && habits.length === 0 && (
              <EmptyState
                testid="memory-profile-empty"
                title="No profile yet."
                detail={
                  'Your profile is your current preferences and names, one per subject ("I prefer tabs over spaces", "call me Sam"): ' +
                  "Mira keeps it from what you say in chats and tell it above."
                }
              />
            )}
            <MemoryProfile profile={profile} habits={habits} onShowFact={(id) => showRow("facts", id)} onShowHabit={(id) => showRow("habits", id)} />
          </>
        )}
        {shown === "habits" && (
          <>
            <ViewError error={viewErrors.patterns} />
            {!viewsLoading && !viewErrors.patterns && oftenSeen.length === 0 && (
              <EmptyState
                testid="memory-habits-empty"
                title="No habits yet."
                detail={`Habits appear after Mira has seen the same kind of request ${HABIT_EVIDENCE} times in your chats (asking for tests, for instance).`}
              />
            )}
            <ul className="memory-list" data-testid="memory-habits">
              {oftenSeen.map((p) => (
                <MemoryPatternRow key={p.id} pattern={p} busy={busy} focused={focus === p.id} onForget={() => forget(p.id)} onOpenSource={openSource} />
              ))}
            </ul>
            {emerging.length > 0 && (
              <section data-testid="memory-emerging">
                <h3>Seen fewer than {HABIT_EVIDENCE} times</h3>
                <ul className="memory-list">
                  {emerging.map((p) => (
                    <MemoryPatternRow key={p.id} pattern={p} busy={busy} focused={focus === p.id} onForget={() => forget(p.id)} onOpenSource={openSource} />
                  ))}
                </ul>
              </section>
            )}
          </>
        )}
        {shown === "summaries" && (
          <>
            <ViewError error={viewErrors.summaries} />
            {!viewsLoading && !viewErrors.summaries && summaries.length === 0 && (
              <EmptyState
                testid="memory-summaries-empty"
                title="No summaries yet."
                detail="Summaries are written every MEMORY_SUMMARY_WINDOW turns of a conversation (default 12), of your chats and of imported transcripts."
              />
            )}
            <ul className="memory-list" data-testid="memory-summaries">
              {summaries.map((x) => (
                <MemorySummaryRow key={x.id} summary={x} busy={busy} onForget={() => forget(x.id)} onOpenSource={openSource} />
              ))}
            </ul>
          </>
        )}
      </div>
    </div>
  );
}
