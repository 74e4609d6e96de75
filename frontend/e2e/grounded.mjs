// Browser test, grounded chat: the stand-in model answers the question about the
// fixture's function citing the context item of src/main.rs, and the test opens that
// file from the answer's context list and from its [n] marker. Imported by run.mjs.

import { join } from "node:path";

export const CITE_QUESTION = "Where is fixture_marker defined?";

const textOf = (content) => (typeof content === "string" ? content : JSON.stringify(content ?? ""));

/** The stand-in's answer to the grounded question (null for other requests). */
export function groundedReply(request) {
  const messages = Array.isArray(request.messages) ? request.messages : [];
  if (Array.isArray(request.tools) && request.tools.length > 0) return null;
  const question = textOf([...messages].reverse().find((m) => m.role === "user")?.content);
  if (!question.includes(CITE_QUESTION)) return null;
  // The system prompt numbers the context items: "[n] src/main.rs:3 (search)".
  const system = messages.filter((m) => m.role === "system").map((m) => textOf(m.content)).join("\n");
  const n = /\[(\d+)\] src\/main\.rs:/.exec(system)?.[1] ?? "1";
  return { text: `fixture_marker is defined in src/main.rs [${n}] and called from main.` };
}

export async function openInEditor(page, path) {
  await page.locator(`[data-testid="tree-entry"][data-path="${path}"]`).click();
  await page.locator('[data-testid="editor-path"]').filter({ hasText: path }).waitFor({ timeout: 10_000 });
}

export async function expectEditorAt(page, path, line) {
  await page.locator('[data-testid="editor-path"]').filter({ hasText: path }).waitFor({ timeout: 10_000 });
  await page.locator(`[data-testid="editor-cursor"][data-line="${line}"]`).waitFor({ timeout: 10_000 });
}

/**
 * A grounded answer (thinker tier, the stand-in): its context list shows, and both the
 * list's item and the answer's [n] marker open src/main.rs in Monaco at the item's line.
 */
export async function groundedAnswer(page, outDir) {
  await page.locator('[data-testid="talk-tab-chat"]').click();
  await page.locator('[data-testid="mode-chat"]').click();
  await page.locator('[data-testid="chat-new"]').click();
  if (!(await page.locator('[data-testid="chat-ground"]').isChecked())) throw new Error("grounding is not on by default");
  await page.locator('[data-testid="tree-entry"][data-path="src"]').waitFor();
  await openInEditor(page, "README.md");
  await page.locator('[data-testid="chat-tier"]').selectOption("thinker");
  await page.locator('[data-testid="chat-input"]').fill(CITE_QUESTION);
  await page.locator('[data-testid="chat-send"]').click();
  const answer = page.locator('[data-testid="chat-answer"][data-status="complete"]').last();
  await answer.waitFor({ timeout: 60_000 });
  const summary = answer.locator('[data-testid="chat-context-toggle"]');
  await summary.waitFor({ timeout: 5_000 });
  const heading = (await summary.textContent()) ?? "";
  if (!/^Context \(\d+ sources?, \d+ tokens?\)$/.test(heading.trim())) throw new Error(`context heading: ${heading}`);
  await summary.click();
  const item = answer.locator('[data-testid="context-item"][data-path="src/main.rs"]').first();
  await item.waitFor({ timeout: 5_000 });
  const itemLine = await item.getAttribute("data-line");
  await item.getByRole("button").click();
  await expectEditorAt(page, "src/main.rs", itemLine);
  await page.screenshot({ path: join(outDir, "ui-grounded-chat.png") });

  // The answer's marker, from another file and line: the same place again.
  await openInEditor(page, "README.md");
  const cite = answer.locator('[data-testid="chat-cite"][data-path="src/main.rs"]').first();
  await cite.waitFor({ timeout: 5_000 });
  const n = await cite.getAttribute("data-n");
  const citedLine = await answer.locator(`[data-testid="context-item"][data-n="${n}"]`).getAttribute("data-line");
  await cite.click();
  await expectEditorAt(page, "src/main.rs", citedLine);
  await page.locator('[data-testid="editor"] .view-lines').filter({ hasText: "fixture_marker" }).waitFor({ timeout: 10_000 });
}
