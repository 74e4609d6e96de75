// Browser test, memory: two preferences told through the API with the test's token (the
// second supersedes the first), then the memory tab lists them (the old one only with
// history on, marked superseded), search finds both, a chat turn found by search opens
// its conversation at that message, one fact is edited in place and the other
// forgotten. Imported by run.mjs.

import { join } from "node:path";

export const OLD_PREFERENCE = "I prefer tabs over spaces";
export const NEW_PREFERENCE = "I prefer spaces over tabs";
const EDITED = "I prefer spaces over tabs, four of them";

/** Calls the HTTP API with the token of the URL the server printed. */
async function callApi(serverUrl, method, path, body) {
  const url = new URL(serverUrl);
  const token = new URLSearchParams(url.hash.slice(1)).get("token");
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(new URL(path, url.origin), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** Tells memory both preferences, for the user in every project: the second supersedes the first. */
export async function seedMemory(serverUrl) {
  const first = await callApi(serverUrl, "POST", "/api/memory", { text: OLD_PREFERENCE, project_id: null });
  if (first.decision.decision !== "added" || first.fact.project_id !== null) throw new Error(`"${OLD_PREFERENCE}": ${JSON.stringify(first)}`);
  const second = await callApi(serverUrl, "POST", "/api/memory", { text: NEW_PREFERENCE, project_id: null });
  const { decision } = second;
  if (decision.decision !== "superseded" || !decision.old?.includes(first.fact.id)) {
    throw new Error(`"${NEW_PREFERENCE}" did not supersede f${first.fact.id}: ${JSON.stringify(decision)}`);
  }
  return { old: first.fact.id, current: second.fact.id };
}

async function serverFacts(serverUrl) {
  return (await callApi(serverUrl, "GET", "/api/memory?history=true")).facts;
}

/**
 * The memory tab: facts with their scope, category and validity, history, search, a
 * source opening its chat at the message, an inline edit and a confirmed forget. Runs
 * after the chats of run.mjs, whose turns memory has taken in by then.
 */
export async function memoryPanel(page, serverUrl, outDir) {
  const { old, current } = await seedMemory(serverUrl);
  const oldRow = page.locator(`[data-testid="memory-fact"][data-id="f${old}"]`);
  const currentRow = page.locator(`[data-testid="memory-fact"][data-id="f${current}"]`);

  // What holds now: the newer preference, the user's, in every project.
  await page.locator('[data-testid="insights-tab-memory"]').click();
  await currentRow.filter({ hasText: NEW_PREFERENCE }).waitFor({ timeout: 10_000 });
  const scope = await currentRow.getAttribute("data-scope");
  const category = await currentRow.getAttribute("data-category");
  if (scope !== "user" || category !== "preference") throw new Error(`f${current} listed as ${category} of scope ${scope}`);
  await page.locator('[data-testid="memory-group"][data-scope="user"]').filter({ hasText: "You, in every project" }).waitFor({ timeout: 5_000 });
  const since = (await currentRow.locator('[data-testid="memory-validity"]').textContent()) ?? "";
  if (!/^since \d{4}-\d{2}-\d{2}$/.test(since)) throw new Error(`f${current} validity: ${since}`);
  if (await oldRow.count()) throw new Error(`the superseded f${old} is listed with history off`);

  // With history, the old one too, marked superseded by the new one.
  await page.locator('[data-testid="memory-history"]').check();
  await oldRow.filter({ hasText: OLD_PREFERENCE }).waitFor({ timeout: 10_000 });
  if ((await oldRow.getAttribute("data-superseded")) !== "true") throw new Error(`f${old} is not marked superseded`);
  if ((await currentRow.getAttribute("data-superseded")) !== null) throw new Error(`f${current} is marked superseded`);
  const span = (await oldRow.locator('[data-testid="memory-validity"]').textContent()) ?? "";
  if (!/^\d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}, superseded by f\d+$/.test(span) || !span.endsWith(`superseded by f${current}`)) {
    throw new Error(`f${old} validity: ${span}`);
  }
  await page.screenshot({ path: join(outDir, "ui-memory.png") });

  // Search finds both facts, the old one marked as history.
  const box = page.getByRole("searchbox", { name: "Search memory" });
  await box.fill("spaces");
  const found = (id) => page.locator(`[data-testid="memory-item"][data-kind="fact"][data-id="f${id}"]`);
  await found(current).filter({ hasText: NEW_PREFERENCE }).waitFor({ timeout: 10_000 });
  await found(old).filter({ hasText: OLD_PREFERENCE }).waitFor({ timeout: 5_000 });
  if ((await found(old).getAttribute("data-superseded")) !== "true") throw new Error(`f${old} is not marked superseded in the search`);
  await page.screenshot({ path: join(outDir, "ui-memory-search.png") });

  // A turn of the first chat ("What is a Rust crate?") cites its message; the link
  // brings the chat tab back and shows that conversation at that message.
  await page.locator('[data-testid="talk-tab-budget"]').click();
  await box.fill("Rust crate");
  const source = page.locator('[data-testid="memory-item"][data-kind="turn"] [data-testid="memory-source"]').first();
  await source.waitFor({ timeout: 15_000 });
  const message = await source.getAttribute("data-message");
  if (!/^\d+$/.test(message ?? "")) throw new Error(`a chat turn's source names message ${message}`);
  await source.click();
  await page.locator('[data-testid="talk-tab-chat"][aria-selected="true"]').waitFor({ timeout: 5_000 });
  await page.locator(`[data-testid="chat-log"] [data-focused][data-message-id="${message}"]`).waitFor({ timeout: 10_000 });
  const shown = await page.evaluate(() => {
    const log = document.querySelector('[data-testid="chat-log"]')?.getBoundingClientRect();
    const marked = [...document.querySelectorAll('[data-testid="chat-log"] [data-focused]')].map((e) => e.getBoundingClientRect());
    return { marked: marked.length, inView: Boolean(log && marked[0] && marked[0].bottom > log.top && marked[0].top < log.bottom) };
  });
  if (shown.marked !== 1 || !shown.inView) throw new Error(`the opened message is not the one marked, in view: ${JSON.stringify(shown)}`);
  await page.screenshot({ path: join(outDir, "ui-memory-chat.png") });

  // Back to the list: the fact's text edited in place, on the server too.
  await box.fill("");
  await currentRow.waitFor({ timeout: 10_000 });
  await currentRow.locator('[data-testid="memory-edit"]').click();
  const input = currentRow.locator('[data-testid="memory-edit-input"]');
  await input.fill(EDITED);
  await input.press("Enter");
  await currentRow.locator('[data-testid="memory-fact-text"]').filter({ hasText: EDITED }).waitFor({ timeout: 10_000 });
  const edited = (await serverFacts(serverUrl)).find((f) => f.id === current);
  if (edited?.text !== EDITED) throw new Error(`the server has f${current} as ${JSON.stringify(edited?.text)}`);

  // Forgetting asks first; then the fact is gone, here and on the server.
  await oldRow.locator('[data-testid="memory-forget"]').click();
  if (!(await oldRow.count())) throw new Error(`f${old} went before the confirmation`);
  await oldRow.locator('[data-testid="memory-forget-confirm"]').click();
  await oldRow.waitFor({ state: "detached", timeout: 10_000 });
  if ((await serverFacts(serverUrl)).some((f) => f.id === old)) throw new Error(`the server still has f${old}`);
  await currentRow.filter({ hasText: EDITED }).waitFor({ timeout: 5_000 });

  await page.locator('[data-testid="memory-history"]').uncheck();
  await page.locator('[data-testid="insights-tab-git"]').click();
}
