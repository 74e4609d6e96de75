import type { AgentEntry } from "../stores/useAgentStore";

type Tool = Extract<AgentEntry, { kind: "tool" }>;

function formatArguments(args: unknown): string {
  if (args === null || args === undefined) return "";
  if (typeof args === "string") {
    try {
      return JSON.stringify(JSON.parse(args), null, 2);
    } catch {
      return args;
    }
  }
  return JSON.stringify(args, null, 2);
}

/** One tool call: collapsed to its name and outcome, open to its arguments and result. */
export function ToolStep({ tool }: { tool: Tool }) {
  const state = tool.result === null ? "running" : tool.result.ok ? "ok" : "failed";
  return (
    <details className={`agent-tool tool-${state}`} data-testid="agent-tool" data-name={tool.name} data-state={state}>
      <summary>
        <span className="agent-tool-name">{tool.name}</span>{" "}
        <span className="muted small">
          {tool.result === null ? "running..." : `${tool.result.ok ? "ok" : "failed"} · ${tool.result.duration_ms} ms`}
        </span>
      </summary>
      <div className="small muted">arguments</div>
      <pre className="agent-pre">{formatArguments(tool.arguments)}</pre>
      {tool.result !== null && (
        <>
          <div className="small muted">result</div>
          <pre className="agent-pre">{tool.result.output}</pre>
        </>
      )}
    </details>
  );
}
