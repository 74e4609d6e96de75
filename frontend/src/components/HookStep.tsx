import type { HookRun } from "../lib/protocol";
import { hookLine, hookParts } from "../stores/useAgentStore";

/** A hook that ran at an agent event, on one line; a block or an error stands out. */
export function HookStep({ hook }: { hook: HookRun }) {
  const p = hookParts(hook);
  const details = [
    hook.target ? `on ${hook.target}` : "",
    `from ${hook.source}`,
    hook.exit_code !== null ? `exit ${hook.exit_code}` : "",
    `${hook.duration_ms} ms`,
  ].filter(Boolean);
  return (
    <div className={`agent-hook hook-${hook.outcome}`} data-testid="agent-hook" data-outcome={hook.outcome} title={`${hookLine(hook)} (${details.join(", ")})`}>
      {p.label} <code>{p.command}</code> <span className="hook-outcome">{p.outcome}</span>
      {p.message ? `: ${p.message}` : ""} <span className="muted small">· {details.join(" · ")}</span>
    </div>
  );
}
