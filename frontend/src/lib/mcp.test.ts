import { describe, expect, it } from "vitest";

import type { McpServer } from "./api";
import { mcpRow, mcpSummary, problemText } from "./mcp";

function server(extra: Partial<McpServer>): McpServer {
  return { name: "github", source: ".mcp.json", transport: "stdio", state: "ready", tools: [], resources: [], prompts: [], last_error: null, restarts: 0, ...extra };
}

describe("mcpRow", () => {
  it("maps a ready server: tone, detail, qualified tool names, no error", () => {
    const row = mcpRow(
      server({
        tools: [
          { name: "create_pr", qualified_name: "mcp__github__create_pr", description: "Open a pull request" },
          { name: "list", qualified_name: "", description: "List" },
        ],
      }),
    );
    expect(row).toEqual({
      name: "github",
      state: "ready",
      tone: "ok",
      detail: "stdio · .mcp.json",
      toolCount: "2 tools",
      tools: [
        { name: "mcp__github__create_pr", description: "Open a pull request" },
        { name: "list", description: "List" },
      ],
      restarts: "",
      lastError: null,
    });
  });

  it("marks a failed server with its last error and restarts, a restarting one as under way", () => {
    const failed = mcpRow(server({ state: "failed", transport: "http", last_error: "connection refused", restarts: 1 }));
    expect(failed).toMatchObject({ tone: "bad", toolCount: "0 tools", restarts: "restarted 1 time", lastError: "connection refused", detail: "http · .mcp.json" });
    expect(mcpRow(server({ state: "restarting", restarts: 3 }))).toMatchObject({ tone: "busy", restarts: "restarted 3 times" });
    expect(mcpRow(server({ state: "stopped", last_error: "  " }))).toMatchObject({ tone: "off", lastError: null });
    expect(mcpRow(server({ tools: [{ name: "a", qualified_name: "mcp__g__a", description: "" }] })).toolCount).toBe("1 tool");
  });
});

describe("mcpSummary and problemText", () => {
  it("counts servers, ready and failed ones", () => {
    expect(mcpSummary({ servers: [], problems: [] })).toBe("No MCP servers configured for this project.");
    expect(mcpSummary({ servers: [server({}), server({ name: "b", state: "failed" }), server({ name: "c", state: "starting" })], problems: [] })).toBe(
      "3 servers · 1 ready · 1 failed",
    );
  });

  it("writes a problem as a string, or file:line: message from an object", () => {
    expect(problemText("bad .mcp.json")).toBe("bad .mcp.json");
    expect(problemText({ file: ".mcp.json", line: 3, message: "expected `}`" })).toBe(".mcp.json:3: expected `}`");
    expect(problemText({ path: "/home/u/.claude.json", message: "unreadable" })).toBe("/home/u/.claude.json: unreadable");
    expect(problemText({ message: "no command" })).toBe("no command");
  });
});
