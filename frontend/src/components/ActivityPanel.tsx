import { useActivityStore } from "../stores/useActivityStore";

function time(ts: string): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? ts : d.toLocaleTimeString();
}

export function ActivityPanel() {
  const items = useActivityStore((s) => s.items);
  return (
    <div className="panel-body scroll" aria-label="Activity">
      {items.length === 0 && (
        <div className="muted pad" data-testid="activity-empty">
          Nothing yet. Indexing, re-indexing after a save, builds and added projects show here as they happen.
        </div>
      )}
      <ul className="activity">
        {items.map((item) => (
          <li key={item.id} data-testid="activity-item" data-kind={item.kind === "activity" ? item.data.kind : "progress"}>
            <span className="activity-time">{time(item.ts)}</span>
            {item.kind === "activity" ? (
              <span>{item.data.message}</span>
            ) : (
              <span>
                {item.data.label}: {item.data.done}
                {item.data.total !== null ? ` / ${item.data.total}` : ""}
                {item.data.total ? (
                  <progress max={item.data.total} value={item.data.done} className="activity-progress" />
                ) : null}
              </span>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
