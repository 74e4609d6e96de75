import { isActive, runMeta, useAgentStore, type AgentRun } from "../stores/useAgentStore";
import { ArtifactCard } from "./ArtifactCard";
import { AskUser } from "./AskUser";
import { Markdown } from "./Markdown";
import { ToolStep } from "./ToolStep";

/** One agent operation: the task, then what happened in order, then its cost and status. */
export function AgentRunView({ run }: { run: AgentRun }) {
  const live = isActive(run);
  const store = useAgentStore.getState;
  return (
    <div className="agent-run" data-testid="agent-run" data-status={run.status} data-operation={run.operationId ?? undefined}>
      <div className="chat-msg chat-user">
        <div className="chat-question-text">
          <span className="badge">{run.mode}</span> {run.task}
        </div>
      </div>
      {run.entries.map((e, i) => {
        switch (e.kind) {
          case "step":
            return (
              <div key={i} className="agent-step muted small" data-testid="agent-step">
                Step {e.n}
              </div>
            );
          case "text":
            return (
              <div key={i} className="agent-text" data-testid="agent-text">
                <Markdown text={e.text} />
              </div>
            );
          case "tool":
            return <ToolStep key={i} tool={e} />;
          case "artifact":
            return (
              <ArtifactCard
                key={i}
                artifact={e}
                onDecide={live ? (decision) => store().decide(run.requestId, e.artifact_id, decision) : undefined}
              />
            );
          case "ask":
            return <AskUser key={i} ask={e} onAnswer={live ? (text) => store().answer(run.requestId, text) : undefined} />;
          case "rewound":
            return (
              <div key={i} className="muted small" data-testid="agent-rewound">
                Rewound {e.files.join(", ") || "nothing"}
              </div>
            );
        }
      })}
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
