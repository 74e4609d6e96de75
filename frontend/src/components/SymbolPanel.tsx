import { useEffect, useRef } from "react";

import type { Api, CallRef } from "../lib/api";
import { useCodeStore } from "../stores/useCodeStore";
import { useProjectStore } from "../stores/useProjectStore";
import { EmptyState } from "./EmptyState";

interface Props {
  api: Api;
  onError(e: unknown): void;
}

function CallList({ calls, testid, onOpen }: { calls: CallRef[]; testid: string; onOpen(file: string, line: number): void }) {
  if (calls.length === 0) return <div className="pad muted small">none</div>;
  return (
    <ul className="git-list" data-testid={testid}>
      {calls.map((c) => (
        <li key={`${c.symbol}@${c.file}:${c.line}:${c.col}`} data-symbol={c.symbol}>
          <button type="button" className="link" onClick={() => onOpen(c.file, c.line)} title={`${c.file}:${c.line}`}>
            {c.symbol}
          </button>
          <span className={`badge res-${c.resolution}`}>{c.resolution}</span>
          {c.is_test && <span className="badge tag-test">test</span>}
          <div className="muted small">
            {c.file}:{c.line}
          </div>
        </li>
      ))}
    </ul>
  );
}

/**
 * Callers, callees and what may break of the chosen symbol, drawn right under it in the
 * outline, where the click left the eye, and scrolled into view.
 */
function SymbolDetail({ onOpen }: { onOpen(file: string, line: number): void }) {
  const { selected, callers, callees, impact } = useCodeStore();
  const go = onOpen;
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    box.current?.scrollIntoView({ block: "nearest" });
  }, [selected, callers, callees]);
  if (!selected) return null;
  return (
    <div className="symbol-detail" data-testid="symbol-detail" ref={box}>
      <h3>Callers</h3>
      <CallList calls={callers} testid="callers" onOpen={go} />
      <h3>Calls</h3>
      <CallList calls={callees} testid="callees" onOpen={go} />
      <h3>
        What may break (depth 3){impact && impact.tests > 0 ? `: ${impact.tests} test(s)` : ""}
      </h3>
      {impact && impact.impacted.length > 0 ? (
        <ul className="git-list" data-testid="impact">
          {impact.impacted.map((i) => (
            <li key={i.symbol} style={{ paddingLeft: (i.depth - 1) * 12 }} title={i.path.join(" <- ")}>
              <button type="button" className="link" onClick={() => go(i.file, i.line)}>
                {i.symbol}
              </button>
              <span className="badge">depth {i.depth}</span>
              {i.is_test && <span className="badge tag-test">test</span>}
            </li>
          ))}
        </ul>
      ) : (
        <div className="pad muted small">nothing calls it</div>
      )}
    </div>
  );
}

/** The open file's outline; for the chosen symbol, its callers, callees and what may break. */
export function SymbolPanel({ api, onError }: Props) {
  const projectId = useProjectStore((s) => s.selectedId);
  const file = useProjectStore((s) => s.openFile);
  const { outline, selected, files, error } = useCodeStore();
  if (projectId === null) return null;

  const go = (path: string, line: number) => {
    useProjectStore.getState().reveal(api, { path, line, column: 1 }).catch(onError);
  };
  const index = () => api.codeIndex(projectId).catch(onError);
  const indexed = Object.keys(files).length > 0;

  return (
    <div className="panel-body scroll git-panel" data-testid="symbol-panel">
      {indexed ? (
        <div className="git-actions">
          <button type="button" data-testid="code-index" onClick={index}>
            Re-index code
          </button>
        </div>
      ) : (
        <EmptyState
          testid="symbols-empty"
          title="Not indexed."
          detail="Indexing parses the project's code for symbols, callers, callees and impact; the watcher keeps it current after that."
          action={{ label: "Index code", testid: "code-index", onClick: () => void index() }}
        />
      )}
      {error && <div className="pad status-error">{error}</div>}
      {indexed && !file && <EmptyState testid="symbols-no-file" title="No file open." detail="Open a file to see its outline." />}
      {indexed && file && outline.length === 0 && (
        <EmptyState testid="symbols-no-symbols" title="No symbols in this file." detail="Its language is not parsed, or it defines nothing." />
      )}
      {file && outline.length > 0 && (
        <>
          <h3>Outline of {file.path}</h3>
          <ul className="git-list outline" data-testid="outline">
            {outline.map((s) => (
              <li key={`${s.qualified_name}:${s.start_line}`} className={selected === s.qualified_name ? "selected" : ""}>
                <button
                  type="button"
                  className="link"
                  data-testid="outline-item"
                  data-symbol={s.qualified_name}
                  style={{ paddingLeft: s.parent ? 12 : 0 }}
                  title={s.signature || s.qualified_name}
                  onClick={() => {
                    go(s.file, s.start_line);
                    useCodeStore.getState().select(api, projectId, s.qualified_name).catch(onError);
                  }}
                >
                  <span className="muted small">{s.kind}</span> {s.name}
                </button>
                {s.is_test && <span className="badge tag-test">test</span>}
                <span className="badge">{s.start_line}</span>
                {selected === s.qualified_name && <SymbolDetail onOpen={go} />}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
