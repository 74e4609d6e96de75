// The editor edits: Ctrl+S writes the file, a file changed on disk behind the editor's
// back is never overwritten silently (the conflict view shows both versions and the user
// chooses), and the unsaved-changes marker follows the text.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The file the browser test edits (untracked, so no other panel's answer depends on it). */
export const EDITED = "notes/todo.txt";

export function writeEditedFixture(project) {
  writeFileSync(join(project, EDITED), "first line\n");
}

async function waitForDisk(path, expected, what) {
  const deadline = Date.now() + 10_000;
  let text = "";
  while (Date.now() < deadline) {
    text = readFileSync(path, "utf8");
    if (text === expected) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: disk holds ${JSON.stringify(text)}, expected ${JSON.stringify(expected)}`);
}

/** Types at the end of the open file, as a user would. */
async function typeAtEnd(page, text) {
  await page.locator('[data-testid="editor"] .view-lines').click();
  await page.keyboard.press("Control+End");
  await page.keyboard.type(text);
}

export async function editorSaveAndConflict(page, project, outDir) {
  const onDisk = join(project, EDITED);
  await page.locator('[data-testid="tree-entry"][data-path="notes"]').click();
  await page.locator(`[data-testid="tree-entry"][data-path="${EDITED}"]`).click();
  await page.locator('[data-testid="editor"] .view-lines').filter({ hasText: "first line" }).waitFor({ timeout: 10_000 });
  if (await page.locator('[data-testid="editor-dirty"]').count()) throw new Error("a file just opened is marked unsaved");

  // Edit, see the marker, save with Ctrl+S: the disk has the text and the marker goes.
  await typeAtEnd(page, "second line");
  await page.locator('[data-testid="editor-dirty"]').waitFor({ timeout: 5_000 });
  await page.keyboard.press("Control+s");
  await waitForDisk(onDisk, "first line\nsecond line", "after Ctrl+S");
  await page.locator('[data-testid="editor-dirty"]').waitFor({ state: "detached", timeout: 5_000 });

  // Another program writes the file; the editor's next save must not overwrite it.
  const theirs = "rewritten by another program\n";
  writeFileSync(onDisk, theirs);
  await typeAtEnd(page, " (mine)");
  await page.keyboard.press("Control+s");
  const conflict = page.locator('[data-testid="conflict-view"]');
  await conflict.waitFor({ timeout: 10_000 });
  const diff = page.locator('[data-testid="conflict-diff"]');
  await diff.locator(".view-lines").filter({ hasText: "rewritten by another program" }).first().waitFor({ timeout: 10_000 });
  await diff.locator(".view-lines").filter({ hasText: "second line (mine)" }).first().waitFor({ timeout: 10_000 });
  await page.screenshot({ path: join(outDir, "ui-editor-conflict.png") });
  await waitForDisk(onDisk, theirs, "while the conflict view is open");

  // Take the disk's version: the editor shows it, clean.
  await page.locator('[data-testid="conflict-take-disk"]').click();
  await conflict.waitFor({ state: "detached", timeout: 5_000 });
  await page.locator('[data-testid="editor"] .view-lines').filter({ hasText: "rewritten by another program" }).waitFor({ timeout: 5_000 });
  if (await page.locator('[data-testid="editor-dirty"]').count()) throw new Error("the disk's version is marked unsaved");
  await waitForDisk(onDisk, theirs, "after taking the disk version");

  // Once more, and this time keep one's own text: it is written over the disk's.
  await typeAtEnd(page, "kept");
  writeFileSync(onDisk, "changed again\n");
  await page.keyboard.press("Control+s");
  await conflict.waitFor({ timeout: 10_000 });
  await waitForDisk(onDisk, "changed again\n", "before keeping mine");
  await page.locator('[data-testid="conflict-keep-mine"]').click();
  await waitForDisk(onDisk, `${theirs}kept`, "after keeping mine");
  await conflict.waitFor({ state: "detached", timeout: 5_000 });
  await page.locator('[data-testid="editor-dirty"]').waitFor({ state: "detached", timeout: 5_000 });
}
