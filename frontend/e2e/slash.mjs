// Slash commands, a Claude Code command file and an MCP server in the browser: the chat
// input completes `/` from the project's .claude/commands, Tab picks, the expanded
// command streams an answer marked with its name, a built-in answers at once without a
// model, and the MCP tab shows the official reference server ready with its tools.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
// Installed by scripts/test.sh (npm ci) for mira-mcp-client's tests.
const everything = resolve(
  here,
  "../../crates/mira-mcp-client/tests/everything/node_modules/@modelcontextprotocol/server-everything/dist/index.js",
);

export function writeSlashFixture(project) {
  mkdirSync(join(project, ".claude/commands/git"), { recursive: true });
  writeFileSync(
    join(project, ".claude/commands/git/pr.md"),
    "---\ndescription: Review a pull request\nargument-hint: [pr-number]\n---\nReview pull request #$1 of this project.\n",
  );
  writeFileSync(
    join(project, ".mcp.json"),
    JSON.stringify({ mcpServers: { everything: { command: process.execPath, args: [everything, "stdio"] } } }),
  );
}

export async function slashCommands(page, outDir) {
  await page.locator('[data-testid="talk-tab-chat"]').click();
  await page.locator('[data-testid="mode-chat"]').click();
  await page.locator('[data-testid="chat-new"]').click();
  const input = page.locator('[data-testid="chat-input"]');
  await input.fill("");
  await input.pressSequentially("/git");
  await page.locator('[data-testid="slash-item"][data-name="git:pr"]').filter({ hasText: "[pr-number]" }).waitFor({ timeout: 10_000 });
  await page.screenshot({ path: join(outDir, "ui-slash-completion.png") });
  await input.press("Tab");
  const picked = await input.inputValue();
  if (picked !== "/git:pr ") throw new Error(`Tab filled the input with ${JSON.stringify(picked)}`);
  await input.pressSequentially("42");
  await page.locator('[data-testid="chat-send"]').click();
  await page.locator('[data-testid="chat-command"]').filter({ hasText: "git:pr" }).waitFor({ timeout: 10_000 });
  await page.locator('[data-testid="chat-answer"][data-status="complete"]').last().waitFor({ timeout: 60_000 });

  await input.fill("/help");
  await page.locator('[data-testid="chat-send"]').click();
  const help = page.locator('[data-testid="chat-builtin"][data-command="help"]');
  await help.waitFor({ timeout: 10_000 });
  if (!(await help.textContent())?.includes("/rewind")) throw new Error("/help does not list /rewind");

  await page.locator('[data-testid="insights-tab-mcp"]').click();
  const ready = page.locator('[data-testid="mcp-server"][data-name="everything"][data-state="ready"]');
  for (let i = 0; i < 30 && !(await ready.count()); i++) {
    await page.waitForTimeout(1000);
    await page.locator('[data-testid="mcp-refresh"]').click();
  }
  await ready.waitFor({ timeout: 5_000 });
  const tools = (await ready.locator('[data-testid="mcp-tools"]').first().textContent()) ?? "";
  if (!/\d+ tools/.test(tools)) throw new Error(`the MCP server's tools show as ${JSON.stringify(tools)}`);
  await page.screenshot({ path: join(outDir, "ui-mcp.png") });
  await page.locator('[data-testid="insights-tab-git"]').click();
}
