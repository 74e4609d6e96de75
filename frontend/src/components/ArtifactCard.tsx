import { useMemo } from "react";

import { diffStat, parseUnifiedDiff } from "../lib/diff";
import type { AgentEntry } from "../stores/useAgentStore";
import { DiffView } from "./DiffView";

type Artifact = Extract<AgentEntry, { kind: "artifact" }>;

/** A change the agent made: its diff, with Apply / Reject while it waits for a decision. */
export function ArtifactCard({ artifact, onDecide }: { artifact: Artifact; onDecide?(decision: "apply" | "reject"): void }) {
  const stat = useMemo(() => diffStat(parseUnifiedDiff(artifact.diff)), [artifact.diff]);
  return (
    <div className="agent-artifact" data-testid="agent-artifact" data-path={artifact.path} data-status={artifact.status}>
      <div className="agent-artifact-head">
        <span className="search-place">{artifact.path}</span> <span className="muted small">{stat}</span>
        <span className={`badge artifact-${artifact.status}`} data-testid="artifact-status">
          {artifact.status}
        </span>
      </div>
      <DiffView diff={artifact.diff} />
      {artifact.status === "pending" && onDecide && (
        <div className="chat-actions">
          <button type="button" className="toggle" data-testid="artifact-apply" disabled={artifact.deciding} onClick={() => onDecide("apply")}>
            Apply
          </button>
          <button type="button" className="toggle" data-testid="artifact-reject" disabled={artifact.deciding} onClick={() => onDecide("reject")}>
            Reject
          </button>
        </div>
      )}
    </div>
  );
}
