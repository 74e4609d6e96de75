import type { Api, CallRef } from "../lib/api";
import { useCodeStore } from "../stores/useCodeStore";
import { useProjectStore } from "../stores/useProjectStore";

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

/** The open file's outline; for the chosen symbol, its callers, callees and what may break. */
export function SymbolPanel({ api, onError }: Props) {
  const projectId = useProjectStore((s) => s.selectedId);
  const file = useProjectStore((s) => s.openFile);
  const { outline, selected, callers, callees, impact, files, error } = useCodeStore();
  if (projectId === null) return null;

  const go = (path: string, line: number) => {
    useProjectStore.getState().reveal(api, { path, line, column: 1 }).catch(onError);
  };
  const index = () => api.codeIndex(projectId).catch(onError);
  const indexed = Object.keys(files).length > 0;

  return (
    <div className="panel-body scroll git-panel" data-testid="symbol-panel">
      <div className="git-actions">
        <button type="button" data-testid="code-index" onClick={index}>
          {indexed ? "Re-index code" : "Index code"}
        </button>
      </div>
      {error && <div className="pad status-error">{error}</div>}
      {!file && <div className="pad muted">Open a file to see its symbols.</div>}
      {file && outline.length === 0 && <div className="pad muted">No symbols{indexed ? " in this file" : ": index the code"}.</div>}
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
              </li>
            ))}
          </ul>
        </>
      )}
      {selected && (
        <div data-testid="symbol-detail">
          <h3>Callers of {selected}</h3>
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
      )}
    </div>
  );
}
