import type { MemoryPattern, ProfileEntry } from "../lib/api";
import { day, seenTimes } from "../lib/memory";

interface Props {
  profile: ProfileEntry[];
  habits: MemoryPattern[];
  /** Shows the fact (`f12`) an entry comes from among the facts. */
  onShowFact(factId: string): void;
  /** Shows a habit (`p3`) among the patterns, with its sources. */
  onShowHabit(patternId: string): void;
}

/** The user's profile: one current preference or name per subject, each leading to its fact, then the habits. */
export function MemoryProfile({ profile, habits, onShowFact, onShowHabit }: Props) {
  return (
    <>
      <ul className="memory-list" data-testid="memory-profile">
        {profile.map((entry) => (
          <li key={entry.key} className="memory-fact" data-testid="memory-profile-entry" data-key={entry.key} data-fact={entry.fact || undefined}>
            <div className="memory-head small">
              <span className="muted" data-testid="memory-profile-key">
                {entry.key}
              </span>
              {entry.updated_at !== null && <span className="muted">updated {day(entry.updated_at)}</span>}
              {entry.fact && (
                <span className="memory-actions">
                  <button
                    type="button"
                    className="link small"
                    data-testid="memory-profile-fact"
                    title={`Show ${entry.fact}, the fact this entry comes from, with its sources`}
                    onClick={() => onShowFact(entry.fact)}
                  >
                    fact {entry.fact}
                  </button>
                </span>
              )}
            </div>
            <div className="memory-text" data-testid="memory-profile-value">
              {entry.value}
            </div>
          </li>
        ))}
      </ul>
      {habits.length > 0 && (
        <>
          <h3>Habits</h3>
          <ul className="memory-list">
            {habits.map((p) => (
              <li key={p.id} className="memory-fact small" data-testid="memory-profile-habit" data-id={p.id}>
                <button type="button" className="link" title={`Show ${p.id} with the messages it was seen in`} onClick={() => onShowHabit(p.id)}>
                  {p.behaviour}
                </button>{" "}
                <span className="muted">{seenTimes(p.evidence_count)}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
