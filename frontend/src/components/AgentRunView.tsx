import { isActive, runMeta, type AgentRun } from "../stores/useAgentStore";
import { Markdown } from "./Markdown";
import { RunEntries } from "./RunEntries";

/** One agent operation: the task, then what happened in order, then its cost and status. */
export function AgentRunView({ run }: { run: AgentRun }) {
  return (
    <div className="agent-run" data-testid="agent-run" data-status={run.status} data-operation={run.operationId ?? undefined}>
      <div className="chat-msg chat-user">
        <div className="chat-question-text">
          <span className="badge">{run.mode}</span> {run.task}
        </div>
      </div>
      <RunEntries entries={run.entries} requestId={run.requestId} live={isActive(run)} answerable />
      {run.summary && (
        <div className="agent-summary" data-testid="agent-summary">
          <Markdown text={run.summary} />
        </div>
      )}
      {run.error && (
        <div className="chat-error" data-testid="agent-error" data-kind={run.errorKind ?? undefined}>
          {run.error}
        </div>
      )}
      <div className="chat-meta muted small" data-testid="agent-meta">
        {runMeta(run)}
      </div>
    </div>
  );
}
