import { useEffect } from "react";

import type { Api } from "../lib/api";
import { mcpRow, mcpSummary, problemText, type McpRow } from "../lib/mcp";
import { useMcpStore } from "../stores/useMcpStore";
import { useProjectStore } from "../stores/useProjectStore";

function ServerRow({ row }: { row: McpRow }) {
  return (
    <li className="mcp-server" data-testid="mcp-server" data-name={row.name} data-state={row.state}>
      <div className="memory-head">
        <strong>{row.name}</strong>
        <span className={`tag mcp-${row.tone}`} data-testid="mcp-state">
          {row.state}
        </span>
        <span className="muted small">{row.detail}</span>
        {row.restarts && <span className="muted small">{row.restarts}</span>}
      </div>
      {row.tools.length > 0 ? (
        <details className="small">
          <summary data-testid="mcp-tools">{row.toolCount}</summary>
          <ul className="mcp-tools">
            {row.tools.map((t) => (
              <li key={t.name}>
                <code>{t.name}</code> <span className="muted">{t.description}</span>
              </li>
            ))}
          </ul>
        </details>
      ) : (
        <div className="small muted" data-testid="mcp-tools">
          {row.toolCount}
        </div>
      )}
      {row.lastError && (
        <div className="chat-error small" data-testid="mcp-error">
          {row.lastError}
        </div>
      )}
    </li>
  );
}

/** The project's MCP servers: state, tools and last error of each, read again on Refresh. */
export function McpPanel({ api, onError }: { api: Api; onError(e: unknown): void }) {
  const projectId = useProjectStore((s) => s.selectedId);
  const { data, loading, error } = useMcpStore();
  const refresh = () => void useMcpStore.getState().load(api, projectId).catch(onError);

  useEffect(() => {
    useMcpStore.getState().load(api, projectId).catch(onError);
  }, [api, projectId, onError]);

  if (projectId === null) return <div className="panel-body pad muted">Open a project to see its MCP servers.</div>;
  return (
    <div className="panel-body scroll" data-testid="mcp-panel">
      <div className="git-actions">
        <span className="small" data-testid="mcp-summary">
          {data ? mcpSummary(data) : loading ? "Reading the MCP servers..." : ""}
        </span>
        <button type="button" className="toggle" data-testid="mcp-refresh" disabled={loading} onClick={refresh}>
          Refresh
        </button>
      </div>
      {error && <div className="pad status-error">{error}</div>}
      {data && (
        <ul className="memory-list">
          {data.servers.map((s) => (
            <ServerRow key={s.name} row={mcpRow(s)} />
          ))}
        </ul>
      )}
      {data && data.problems.length > 0 && (
        <>
          <div className="small muted pad-x">Not loaded:</div>
          <ul className="memory-list small" data-testid="mcp-problems">
            {data.problems.map((p, i) => (
              <li key={i}>{problemText(p)}</li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
