import type { MemorySummary } from "../lib/api";
import { daySpan, summaryOrigin, summaryTurns, type SourceTarget } from "../lib/memory";
import { ConfirmButton } from "./ConfirmButton";
import { MemorySources } from "./MemorySources";

interface Props {
  summary: MemorySummary;
  onForget(): void;
  onOpenSource(target: SourceTarget): void;
  busy: boolean;
}

/** One rolling summary: which turns of which conversation, when they were said, who wrote it, its text and sources. */
export function MemorySummaryRow({ summary, onForget, onOpenSource, busy }: Props) {
  return (
    <li className="memory-fact" data-testid="memory-summary" data-id={summary.id} data-conversation={summary.conversation} data-origin={summary.origin}>
      <div className="memory-head small">
        {summary.origin && (
          <span className="tag" title={summaryOrigin(summary.origin)}>
            {summary.origin}
          </span>
        )}
        <span className="muted">{summary.id}</span>
        <span data-testid="memory-summary-turns">{summaryTurns(summary)}</span>
        <span className="muted" data-testid="memory-summary-dates">
          {daySpan(summary.from, summary.to)}
        </span>
        <span className="memory-actions">
          <ConfirmButton label="Forget" what={summary.id} testid="memory-forget" onConfirm={onForget} />
        </span>
      </div>
      <div className="memory-text" data-testid="memory-summary-text">
        {summary.text}
      </div>
      <MemorySources sources={summary.sources} onOpen={onOpenSource} busy={busy} />
    </li>
  );
}
