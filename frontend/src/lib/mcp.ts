// What the MCP panel shows of the project's servers: a row per server with a state the
// eye can sort (fine, on its way, broken, off), its tools, and its last error.

import type { McpServer, McpState, McpStatus } from "./api";

/** How a state looks: ready is fine, starting or restarting is on its way, failed is broken. */
export type StateTone = "ok" | "busy" | "bad" | "off";

const TONE: Record<McpState, StateTone> = {
  ready: "ok",
  starting: "busy",
  restarting: "busy",
  failed: "bad",
  stopped: "off",
};

export interface McpRow {
  name: string;
  state: McpState;
  tone: StateTone;
  /** Transport and where it is configured: `stdio · .mcp.json`. */
  detail: string;
  toolCount: string;
  tools: { name: string; description: string }[];
  /** "restarted 2 times", or "" when it never was. */
  restarts: string;
  lastError: string | null;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function mcpRow(server: McpServer): McpRow {
  // A state a newer server invents is shown as it is, in the neutral tone.
  const tone = TONE[server.state] ?? "off";
  return {
    name: server.name,
    state: server.state,
    tone,
    detail: [server.transport, server.source].filter(Boolean).join(" · "),
    toolCount: plural(server.tools.length, "tool", "tools"),
    tools: server.tools.map((t) => ({ name: t.qualified_name || t.name, description: t.description })),
    restarts: server.restarts > 0 ? `restarted ${plural(server.restarts, "time", "times")}` : "",
    lastError: server.last_error && server.last_error.trim() ? server.last_error : null,
  };
}

/** A configuration problem as a line: a string as it is, or `file:line: message`. */
export function problemText(problem: unknown): string {
  if (typeof problem === "string") return problem;
  if (typeof problem !== "object" || problem === null) return String(problem);
  const p = problem as Record<string, unknown>;
  const file = typeof p.file === "string" ? p.file : typeof p.path === "string" ? p.path : "";
  const where = file && typeof p.line === "number" ? `${file}:${p.line}` : file;
  const message = typeof p.message === "string" ? p.message : typeof p.error === "string" ? p.error : JSON.stringify(problem);
  return where ? `${where}: ${message}` : message;
}

/** The panel's summary line: how many servers, and how many are not ready. */
export function mcpSummary(status: McpStatus): string {
  const { servers } = status;
  if (servers.length === 0) return "No MCP servers configured for this project.";
  const failed = servers.filter((s) => s.state === "failed").length;
  const parts = [plural(servers.length, "server", "servers"), `${servers.filter((s) => s.state === "ready").length} ready`];
  if (failed) parts.push(`${failed} failed`);
  return parts.join(" · ");
}
