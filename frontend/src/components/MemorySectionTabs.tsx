/** What the memory panel lists below its boxes; a search's answer, while there is one, is a tab of its own. */
export type MemorySection = "facts" | "profile" | "habits" | "summaries";

const SECTIONS: { id: MemorySection; label: string; title: string }[] = [
  { id: "facts", label: "Facts", title: "Preferences, decisions, constraints, names and facts, by scope" },
  { id: "profile", label: "Profile", title: "Your current preferences and names, one per subject" },
  { id: "habits", label: "Habits", title: "What you ask for again and again" },
  { id: "summaries", label: "Summaries", title: "Rolling summaries of your conversations" },
];

interface Props {
  shown: MemorySection | "results";
  counts: Record<MemorySection, number>;
  /** How many items the search found; null when no search is shown. */
  results: number | null;
  onSelect(section: MemorySection | "results"): void;
}

/** The switch between the panel's lists, each with how many it holds. */
export function MemorySectionTabs({ shown, counts, results, onSelect }: Props) {
  const tab = (id: MemorySection | "results", label: string, count: number, title: string) => (
    <button
      key={id}
      type="button"
      role="tab"
      aria-selected={shown === id}
      className={shown === id ? "tab on" : "tab"}
      data-testid={`memory-section-${id}`}
      title={title}
      onClick={() => onSelect(id)}
    >
      {label} <span className="muted">{count}</span>
    </button>
  );
  return (
    <div className="tabs memory-tabs" role="tablist" aria-label="Memory">
      {SECTIONS.map((s) => tab(s.id, s.label, counts[s.id], s.title))}
      {results !== null && tab("results", "Search", results, "What the search found")}
    </div>
  );
}
