import type { MemoryPattern } from "../lib/api";
import { isHabit, patternDates, seenTimes, type SourceTarget } from "../lib/memory";
import { ConfirmButton } from "./ConfirmButton";
import { MemorySources } from "./MemorySources";
import { useFocusedRow } from "./useFocusedRow";

interface Props {
  pattern: MemoryPattern;
  onForget(): void;
  onOpenSource(target: SourceTarget): void;
  busy: boolean;
  /** The profile's link to this habit was followed. */
  focused?: boolean;
}

/** One learned pattern: the behaviour, how often and when it was seen, and the messages it was seen in. */
export function MemoryPatternRow({ pattern, onForget, onOpenSource, busy, focused = false }: Props) {
  const ref = useFocusedRow<HTMLLIElement>(focused);
  const habit = isHabit(pattern);
  return (
    <li
      ref={ref}
      className={focused ? "memory-fact memory-focused" : "memory-fact"}
      data-testid="memory-pattern"
      data-id={pattern.id}
      data-count={pattern.evidence_count}
      data-scope={pattern.project_id === null ? "user" : "project"}
      data-focused={focused || undefined}
    >
      <div className="memory-head small">
        <span className="tag" title={habit ? "Seen often enough to be part of your profile" : "Not seen often enough yet to count as a habit"}>
          {habit ? "habit" : "emerging"}
        </span>
        <span className="muted">{pattern.id}</span>
        <span data-testid="memory-pattern-count">{seenTimes(pattern.evidence_count)}</span>
        <span className="muted" data-testid="memory-pattern-dates">
          {patternDates(pattern)}
        </span>
        <span className="memory-actions">
          <ConfirmButton label="Forget" what={pattern.id} testid="memory-forget" onConfirm={onForget} />
        </span>
      </div>
      <div className="memory-text" data-testid="memory-pattern-behaviour">
        {pattern.behaviour}
      </div>
      <MemorySources sources={pattern.sources} onOpen={onOpenSource} busy={busy} />
    </li>
  );
}
