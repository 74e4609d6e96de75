import { useState } from "react";

import { isActive, runMeta, useAgentStore, type AgentEntry, type AgentRun } from "../stores/useAgentStore";
import { ArtifactCard } from "./ArtifactCard";
import { AskUser } from "./AskUser";
import { HookStep } from "./HookStep";
import { Markdown } from "./Markdown";
import { ToolStep } from "./ToolStep";

type Subagent = Extract<AgentEntry, { kind: "subagent" }>;

interface Props {
  entries: AgentEntry[];
  /** The top-level run's request: decisions and answers go through it. */
  requestId: string;
  /** Changes can still be decided (the run, and the sub-agent, are under way). */
  live: boolean;
  /** Questions can be answered here (sub-agents ask no one). */
  answerable: boolean;
}

/** What happened in a run, in order: steps, text, tool calls, hooks, changes, questions, sub-agents. */
export function RunEntries({ entries, requestId, live, answerable }: Props) {
  const store = useAgentStore.getState;
  return (
    <>
      {entries.map((e, i) => {
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
          case "hook":
            return <HookStep key={i} hook={e.hook} />;
          case "artifact":
            return (
              <ArtifactCard key={i} artifact={e} onDecide={live ? (decision) => store().decide(requestId, e.artifact_id, decision) : undefined} />
            );
          case "ask":
            return <AskUser key={i} ask={e} onAnswer={live && answerable ? (text) => store().answer(requestId, text) : undefined} />;
          case "rewound":
            return (
              <div key={i} className="muted small" data-testid="agent-rewound">
                Rewound {e.files.join(", ") || "nothing"}
              </div>
            );
          case "subagent":
            return <SubagentView key={`sub-${e.operation_id}`} sub={e} requestId={requestId} parentLive={live} />;
        }
      })}
    </>
  );
}

/** A sub-agent inside its parent's run: open while it works, with its own steps, status and summary. */
function SubagentView({ sub, requestId, parentLive }: { sub: Subagent; requestId: string; parentLive: boolean }) {
  const [open, setOpen] = useState(true);
  const run: AgentRun = sub.run;
  const live = parentLive && isActive(run);
  return (
    <details
      className={`agent-subagent subagent-${run.status}`}
      data-testid="agent-subagent"
      data-operation={sub.operation_id}
      data-status={run.status}
      open={open}
      onToggle={(e) => setOpen(e.currentTarget.open)}
    >
      <summary>
        <span className="badge">sub-agent</span> <strong>{sub.agent || "agent"}</strong> <span className="subagent-task">{run.task}</span>{" "}
        <span className="muted small" data-testid="subagent-meta">
          {runMeta(run)}
        </span>
      </summary>
      {sub.note && <div className="muted small">{sub.note}</div>}
      <RunEntries entries={run.entries} requestId={requestId} live={live} answerable={false} />
      {run.summary && (
        <div className="agent-summary" data-testid="subagent-summary">
          <Markdown text={run.summary} />
        </div>
      )}
      {run.error && <div className="chat-error">{run.error}</div>}
    </details>
  );
}
