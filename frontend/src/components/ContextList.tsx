import { contextSummary, itemTarget, type ChatContext } from "../lib/chatContext";

/** Under a grounded answer: what it was given, each item opening its file at its line. */
export function ContextList({ context, onOpen }: { context: ChatContext; onOpen(path: string, line: number): void }) {
  return (
    <details className="chat-context small" data-testid="chat-context">
      <summary data-testid="chat-context-toggle" title={context.config ? `${context.config} context` : undefined}>
        {contextSummary(context)}
      </summary>
      <ol className="context-items">
        {context.items.map((item, i) => {
          const target = itemTarget(item);
          const label = (
            <>
              <span className="context-citation">{item.citation}</span> <span className="muted">{item.source}</span>
            </>
          );
          return (
            <li key={i} data-testid="context-item" data-n={i + 1} data-path={item.path ?? undefined} data-line={target?.line}>
              {target ? (
                <button type="button" className="context-open" title={`Open ${target.path} at line ${target.line}`} onClick={() => onOpen(target.path, target.line)}>
                  {label}
                </button>
              ) : (
                label
              )}
            </li>
          );
        })}
      </ol>
      {context.dropped_sources.length > 0 && (
        <div className="muted" data-testid="context-dropped">
          Left out: {context.dropped_sources.map((d) => `${d.source} (${d.reason})`).join("; ")}
        </div>
      )}
    </details>
  );
}
