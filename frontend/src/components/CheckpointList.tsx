import { useEffect } from "react";

import { useAgentStore } from "../stores/useAgentStore";

/** The project's checkpoints, newest as the server lists them, each with Rewind. */
export function CheckpointList({ projectId, connected }: { projectId: number; connected: boolean }) {
  const checkpoints = useAgentStore((s) => s.checkpoints);
  const rewinding = useAgentStore((s) => s.rewinding);
  const notice = useAgentStore((s) => s.notice);
  const error = useAgentStore((s) => s.error);

  useEffect(() => {
    if (connected) useAgentStore.getState().loadCheckpoints(projectId);
  }, [projectId, connected]);

  return (
    <details className="agent-checkpoints" data-testid="checkpoints">
      <summary>
        Checkpoints ({checkpoints.length}){" "}
        <button type="button" className="link small" data-testid="checkpoints-refresh" onClick={() => useAgentStore.getState().loadCheckpoints(projectId)}>
          refresh
        </button>
      </summary>
      {notice && (
        <div className="small" data-testid="checkpoint-notice">
          {notice}
        </div>
      )}
      {error && <div className="chat-error small">{error}</div>}
      {checkpoints.length === 0 && <div className="muted small">No checkpoints yet: an agent's first change to a file makes one.</div>}
      <ul className="checkpoint-list small">
        {checkpoints.map((c) => (
          <li key={String(c.id)} data-testid="checkpoint" data-id={String(c.id)} data-operation={c.operation_id ?? undefined}>
            <div>
              <span className="muted">{c.created_at.replace("T", " ").slice(0, 19)}</span> {c.task}
            </div>
            <div className="muted">
              {c.files.join(", ")}
              {c.artifact_status && ` (change ${c.artifact_status})`}
            </div>
            <button
              type="button"
              className="toggle"
              data-testid="checkpoint-rewind"
              disabled={rewinding !== null}
              onClick={() => useAgentStore.getState().rewind(c.id)}
            >
              {rewinding === c.id ? "Rewinding..." : "Rewind"}
            </button>
          </li>
        ))}
      </ul>
    </details>
  );
}
