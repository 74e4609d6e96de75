// Browser test, agent mode: a scripted tool-calling model (the stand-in answers a request
// that declares tools with an edit_file call of src/main.rs, and the request after the
// tool's result with its last words) driven through the UI in Ask mode: the diff waits,
// Apply writes the file, Rewind restores its bytes. Imported by run.mjs.

import { readFileSync } from "node:fs";
import { join } from "node:path";

import { openInEditor } from "./grounded.mjs";

export const AGENT_TASK = "Change the greeting in src/main.rs to hello, agent";

/** The edit_file arguments, named as the request's tool declaration names them. */
function editArguments(tools) {
  const edit = tools.find((t) => t.function?.name === "edit_file");
  const names = Object.keys(edit?.function?.parameters?.properties ?? {});
  const pick = (wanted, fallback) => names.find((n) => wanted.includes(n)) ?? fallback;
  return {
    [pick(["path", "file", "file_path"], "path")]: "src/main.rs",
    [pick(["search", "old", "old_string", "old_text", "find"], "search")]: 'println!("hello, world");',
    [pick(["replace", "new", "new_string", "new_text", "replacement"], "replace")]: 'println!("hello, agent");',
  };
}

/** The stand-in's answer to an agent step (null for requests without tools). */
export function agentReply(request) {
  if (!Array.isArray(request.tools) || request.tools.length === 0) return null;
  const messages = Array.isArray(request.messages) ? request.messages : [];
  if (!messages.some((m) => m.role === "tool")) {
    return {
      text: "I will change the greeting.",
      toolCalls: [{ id: "call_edit_1", name: "edit_file", arguments: JSON.stringify(editArguments(request.tools)) }],
    };
  }
  return { text: "Changed the greeting in src/main.rs to hello, agent." };
}

async function waitForFile(path, predicate, what) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const bytes = readFileSync(path);
    if (predicate(bytes)) return;
    if (Date.now() > deadline) throw new Error(`${path}: ${what}; it holds ${JSON.stringify(bytes.toString("utf8"))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Agent mode, Ask: the stand-in's edit shows as a diff waiting for a decision, nothing
 * is written until Apply; after Apply the file on disk and the editor show the change;
 * Rewind on its checkpoint brings back the original bytes.
 */
export async function agentRun(page, project, outDir) {
  const file = join(project, "src/main.rs");
  const original = readFileSync(file);
  await page.locator('[data-testid="talk-tab-chat"]').click();
  await openInEditor(page, "src/main.rs");
  await page.locator('[data-testid="mode-agent"]').click();
  if ((await page.locator('[data-testid="mode-ask"]').getAttribute("aria-pressed")) !== "true") throw new Error("agent mode is not Ask by default");
  await page.locator('[data-testid="chat-tier"]').selectOption("thinker");
  await page.locator('[data-testid="chat-input"]').fill(AGENT_TASK);
  await page.locator('[data-testid="chat-send"]').click();

  const artifactAt = '[data-testid="agent-artifact"][data-path="src/main.rs"]';
  const artifact = page.locator(artifactAt);
  await page.locator(`${artifactAt}[data-status="pending"]`).waitFor({ timeout: 60_000 });
  await artifact.locator(".diff-del").filter({ hasText: 'println!("hello, world");' }).waitFor({ timeout: 5_000 });
  await artifact.locator(".diff-add").filter({ hasText: 'println!("hello, agent");' }).waitFor({ timeout: 5_000 });
  if (!readFileSync(file).equals(original)) throw new Error("Ask mode wrote the file before Apply");
  await page.locator('[data-testid="agent-text"]').filter({ hasText: "I will change the greeting." }).waitFor({ timeout: 5_000 });
  await page.screenshot({ path: join(outDir, "ui-agent-artifact.png") });

  await artifact.locator('[data-testid="artifact-apply"]').click();
  await page.locator(`${artifactAt}[data-status="applied"]`).waitFor({ timeout: 15_000 });
  await waitForFile(file, (b) => b.toString("utf8").includes('println!("hello, agent");'), "the applied change is not on disk");
  const run = page.locator('[data-testid="agent-run"][data-status="complete"]').last();
  await run.waitFor({ timeout: 60_000 });
  await run.locator('[data-testid="agent-tool"][data-name="edit_file"][data-state="ok"]').waitFor({ timeout: 5_000 });
  const meta = (await run.locator('[data-testid="agent-meta"]').textContent()) ?? "";
  if (!/\d+ steps? · .*\$\d+\.\d{4} · complete/.test(meta)) throw new Error(`agent meta: ${meta}`);
  // The open file was read again after Apply.
  await page.locator('[data-testid="editor"] .view-lines').filter({ hasText: "hello, agent" }).waitFor({ timeout: 10_000 });

  // Rewind the operation's checkpoint: the original bytes, on disk and in the editor.
  await page.locator('[data-testid="checkpoints"] > summary').click({ position: { x: 4, y: 4 } });
  const checkpoint = page.locator('[data-testid="checkpoint"]').filter({ hasText: "src/main.rs" }).first();
  await checkpoint.waitFor({ timeout: 15_000 });
  await page.screenshot({ path: join(outDir, "ui-agent-checkpoints.png") });
  await checkpoint.locator('[data-testid="checkpoint-rewind"]').click();
  await page.locator('[data-testid="checkpoint-notice"]').filter({ hasText: "src/main.rs" }).waitFor({ timeout: 15_000 });
  await waitForFile(file, (b) => b.equals(original), "the rewind did not restore the original bytes");
  await page.locator('[data-testid="editor"] .view-lines').filter({ hasText: "hello, world" }).waitFor({ timeout: 10_000 });
  await page.locator('[data-testid="mode-chat"]').click();
}
