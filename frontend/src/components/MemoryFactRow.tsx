import { useState } from "react";

import type { MemoryFact } from "../lib/api";
import { factItemId, isSuperseded, validity, type SourceTarget } from "../lib/memory";
import { ConfirmButton } from "./ConfirmButton";
import { MemorySources } from "./MemorySources";
import { useFocusedRow } from "./useFocusedRow";

interface Props {
  fact: MemoryFact;
  /** Saves a corrected text; resolves true when the server took it. */
  onEdit(text: string): Promise<boolean>;
  onForget(): void;
  onOpenSource(target: SourceTarget): void;
  busy: boolean;
  /** A profile entry's link to this fact was followed. */
  focused?: boolean;
}

/** One fact: its category, where it holds and since when, its text (editable in place) and sources. */
export function MemoryFactRow({ fact, onEdit, onForget, onOpenSource, busy, focused = false }: Props) {
  const ref = useFocusedRow<HTMLLIElement>(focused);
  const [draft, setDraft] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const superseded = isSuperseded(fact);
  const id = factItemId(fact.id);

  const save = () => {
    if (draft === null || saving) return;
    if (draft.trim() === "" || draft.trim() === fact.text) {
      setDraft(null);
      return;
    }
    setSaving(true);
    void onEdit(draft).then((saved) => {
      setSaving(false);
      // A refused edit stays open, so the text is not lost; the panel shows why.
      if (saved) setDraft(null);
    });
  };

  return (
    <li
      ref={ref}
      className={["memory-fact", superseded && "memory-superseded", focused && "memory-focused"].filter(Boolean).join(" ")}
      data-testid="memory-fact"
      data-id={id}
      data-category={fact.category}
      data-scope={fact.project_id === null ? "user" : "project"}
      data-superseded={superseded || undefined}
      data-focused={focused || undefined}
    >
      <div className="memory-head small">
        <span className="tag">{fact.category}</span>
        {superseded && <span className="tag memory-old">superseded</span>}
        <span className="muted" title={`Subject: ${fact.subject}`}>
          {id}, {fact.origin}
        </span>
        <span className="muted" data-testid="memory-validity">
          {validity(fact.valid_from, fact.valid_to, fact.superseded_by)}
        </span>
        <span className="memory-actions">
          {draft === null && (
            <button type="button" className="link small" data-testid="memory-edit" onClick={() => setDraft(fact.text)}>
              Edit
            </button>
          )}
          <ConfirmButton label="Forget" what={id} testid="memory-forget" onConfirm={onForget} />
        </span>
      </div>
      {draft === null ? (
        <div className="memory-text" data-testid="memory-fact-text">
          {fact.text}
        </div>
      ) : (
        <form
          className="memory-edit"
          onSubmit={(e) => {
            e.preventDefault();
            save();
          }}
        >
          <input
            type="text"
            aria-label={`Text of ${id}`}
            data-testid="memory-edit-input"
            value={draft}
            disabled={saving}
            autoFocus
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Escape") setDraft(null);
            }}
          />
          <button type="submit" className="toggle" data-testid="memory-edit-save" disabled={saving || draft.trim() === ""}>
            Save
          </button>
          <button type="button" className="link small" data-testid="memory-edit-cancel" onClick={() => setDraft(null)}>
            Cancel
          </button>
        </form>
      )}
      <MemorySources sources={fact.sources} onOpen={onOpenSource} busy={busy} />
    </li>
  );
}
