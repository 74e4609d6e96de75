import type { MemorySource } from "../lib/api";
import { sourceLabel, sourceTarget, type SourceTarget } from "../lib/memory";

interface Props {
  sources: MemorySource[];
  onOpen(target: SourceTarget): void;
  /** An answer is streaming: opening another chat would stop it. */
  busy: boolean;
}

/** The messages an item came from; a live chat's opens at that message. */
export function MemorySources({ sources, onOpen, busy }: Props) {
  if (sources.length === 0) return null;
  return (
    <div className="memory-sources small muted">
      from{" "}
      {sources.map((s, i) => {
        const target = sourceTarget(s);
        const label = sourceLabel(s);
        return (
          <span key={`${s.conversation}:${s.message}`}>
            {i > 0 && "; "}
            {target ? (
              <button
                type="button"
                className="link"
                data-testid="memory-source"
                data-conversation={target.conversation}
                data-message={target.message ?? undefined}
                disabled={busy}
                title={busy ? "Wait for the answer streaming in the chat to end" : `Open ${label} in the chat`}
                onClick={() => onOpen(target)}
              >
                {label}
              </button>
            ) : (
              <span data-testid="memory-source-imported" title="From an imported transcript: there is no chat of Mira's to open">
                {label}
              </span>
            )}
          </span>
        );
      })}
    </div>
  );
}
