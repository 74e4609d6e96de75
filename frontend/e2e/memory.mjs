// Browser test, memory: two preferences told through the API with the test's token (the
// second supersedes the first), then the memory tab lists them (the old one only with
// history on, marked superseded), search finds both, a chat turn found by search opens
// its conversation at that message, one fact is edited in place and the other
// forgotten. Then a transcript imported with `mira memory import` beside the running
// server teaches a habit and a summary, which the Profile, Habits and Summaries sections
// show, and a summary is forgotten. Imported by run.mjs.

import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

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

export const TRANSCRIPT_ID = "e2e-habits";

/**
 * Twelve exchanges about a parser and a cache: four of the user's asks are for tests (a
 * pattern needs three sightings to be a habit), and 24 messages fill a summary window of
 * 12 turns whether a turn is one message or an exchange.
 */
const EXCHANGES = [
  ["I am working on the config parser in src/parser.rs today.", "Sure, what should change in the parser?"],
  ["It should accept trailing commas in lists.", "Done: the list rule now skips a comma before the closing bracket."],
  ["Please add unit tests for the parser.", "Added tests for lists with and without a trailing comma."],
  ["Next, the cache in src/cache.rs evicts entries too early.", "The eviction compared bytes against a limit in kilobytes; fixed."],
  ["Can you write tests for the cache too?", "Added tests that fill the cache to its limit and check what is evicted."],
  ["What happens when the input file is empty?", "The parser returned an error; it now returns an empty config."],
  ["Add a test for the empty input case.", "Added a test that parses an empty string into an empty config."],
  ["Rename load_config to read_config everywhere.", "Renamed it in the four files that call it."],
  ["Could you also write tests for read_config with a missing file?", "Added a test that expects the missing-file error."],
  ["Update the README to mention trailing commas.", "The README now has a section on list syntax."],
  ["Run the whole suite and tell me what fails.", "Everything passes."],
  ["Thanks, that is all for the parser today.", "Glad to help."],
];

export function habitsTranscript() {
  const messages = EXCHANGES.flatMap(([user, assistant], i) => [
    { id: `m${2 * i + 1}`, speaker: "user", text: user },
    { id: `m${2 * i + 2}`, speaker: "assistant", text: assistant },
  ]);
  return { conversation_id: TRANSCRIPT_ID, sessions: [{ id: "s1", started_at: "2026-12-01T10:00:00Z", messages }] };
}

/**
 * Imports the transcript as a user would, with `mira memory import`, in the running
 * server's environment (its data dir, so the same database; SQLite's WAL lets both
 * write). Asynchronous on purpose: the stand-in model server lives in this process and
 * must stay able to answer should the import ask a model to summarise.
 */
async function importTranscript(mira) {
  const file = join(mira.scratch, `${TRANSCRIPT_ID}.json`);
  writeFileSync(file, JSON.stringify(habitsTranscript(), null, 2));
  let stdout;
  try {
    ({ stdout } = await promisify(execFile)(mira.bin, ["memory", "import", file, "--json"], { cwd: mira.cwd, env: mira.env, timeout: 120_000 }));
  } catch (e) {
    throw new Error(`mira memory import ${file} failed: ${e.message}\nstdout:\n${e.stdout ?? ""}\nstderr:\n${e.stderr ?? ""}`, { cause: e });
  }
  const report = JSON.parse(stdout);
  const messages = habitsTranscript().sessions[0].messages.length;
  if (report.conversations !== 1 || report.turns !== messages) throw new Error(`the import stored ${JSON.stringify(report)}, not ${messages} turns`);
  return report;
}

/** Asks the server until `check` returns a value (the server state the UI should then show). */
async function serverHas(what, ask, check, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const answer = await ask();
    const found = check(answer);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`the server has no ${what}: ${JSON.stringify(answer)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const isTestsHabit = (p) => typeof p.behaviour === "string" && p.behaviour.includes("tests") && p.evidence_count >= 3;

/**
 * Profile, Habits and Summaries: after the import, the server lists a habit of asking
 * for tests and a summary of the transcript; the sections show them with their
 * evidence, a profile entry leads to its fact and a habit to its row, and a summary is
 * forgotten here and on the server. `mira` is { bin, env, cwd, scratch }: the binary, the
 * server's environment and directory, and where to write the transcript.
 */
export async function memoryViews(page, serverUrl, outDir, mira) {
  await importTranscript(mira);
  const pattern = await serverHas("habit of asking for tests", () => callApi(serverUrl, "GET", "/api/memory/patterns"), (a) => a.patterns?.find(isTestsHabit));
  const summariesPath = `/api/memory/summaries?conversation=${TRANSCRIPT_ID}`;
  await serverHas(`summary of ${TRANSCRIPT_ID}`, () => callApi(serverUrl, "GET", summariesPath), (a) => a.summaries?.find((x) => x.conversation === TRANSCRIPT_ID));
  const profile = await callApi(serverUrl, "GET", "/api/memory/profile");
  if (!profile.habits?.some((p) => p.id === pattern.id)) throw new Error(`the profile's habits leave out ${pattern.id}: ${JSON.stringify(profile.habits)}`);

  // Habits: the pattern with how often it was seen and the messages it was seen in.
  await page.locator('[data-testid="insights-tab-memory"]').click();
  await page.locator('[data-testid="memory-section-habits"]').click();
  const habit = page.locator(`[data-testid="memory-pattern"][data-id="${pattern.id}"]`);
  await habit.waitFor({ timeout: 10_000 });
  const behaviour = (await habit.locator('[data-testid="memory-pattern-behaviour"]').textContent()) ?? "";
  if (!behaviour.includes("tests")) throw new Error(`${pattern.id} shows the behaviour ${JSON.stringify(behaviour)}`);
  const count = Number(await habit.getAttribute("data-count"));
  if (!(count >= 3)) throw new Error(`the habit shows data-count ${count}`);
  const seen = (await habit.locator('[data-testid="memory-pattern-count"]').textContent()) ?? "";
  if (seen !== `seen ${count} times`) throw new Error(`the habit says ${JSON.stringify(seen)} for ${count}`);
  // Imported messages are named by the transcript's ids: shown, with no chat to open.
  const cited = await habit.locator('[data-testid="memory-source-imported"], [data-testid="memory-source"]').count();
  if (cited === 0) throw new Error("the habit cites no message");
  await page.screenshot({ path: join(outDir, "ui-memory-habits.png") });

  // Profile: each entry as the server has it; an entry's fact and a habit open their rows.
  await page.locator('[data-testid="memory-section-profile"]').click();
  const habitLink = page.locator(`[data-testid="memory-profile-habit"][data-id="${pattern.id}"]`);
  await habitLink.waitFor({ timeout: 10_000 });
  const entries = page.locator('[data-testid="memory-profile-entry"]');
  if ((await entries.count()) !== profile.profile.length) throw new Error(`the profile shows ${await entries.count()} entries; the server has ${profile.profile.length}`);
  const entry = profile.profile.find((e) => /^f\d+$/.test(e.fact ?? ""));
  await page.screenshot({ path: join(outDir, "ui-memory-profile.png") });
  if (entry) {
    await page.locator(`[data-testid="memory-profile-entry"][data-fact="${entry.fact}"] [data-testid="memory-profile-fact"]`).click();
    await page.locator('[data-testid="memory-section-facts"][aria-selected="true"]').waitFor({ timeout: 5_000 });
    await page.locator(`[data-testid="memory-fact"][data-id="${entry.fact}"][data-focused="true"]`).waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="memory-section-profile"]').click();
  }
  await habitLink.getByRole("button").click();
  await page.locator(`[data-testid="memory-pattern"][data-id="${pattern.id}"][data-focused="true"]`).waitFor({ timeout: 10_000 });

  // Summaries: which turns of the transcript, then one forgotten after the confirmation.
  await page.locator('[data-testid="memory-section-summaries"]').click();
  const summary = page.locator(`[data-testid="memory-summary"][data-conversation="${TRANSCRIPT_ID}"]`).first();
  await summary.waitFor({ timeout: 10_000 });
  const turns = (await summary.locator('[data-testid="memory-summary-turns"]').textContent()) ?? "";
  if (!/^turns? \d+(-\d+)? of conversation e2e-habits$/.test(turns)) throw new Error(`the summary covers ${JSON.stringify(turns)}`);
  const id = await summary.getAttribute("data-id");
  if (!/^s\d+$/.test(id ?? "")) throw new Error(`a summary with id ${id}`);
  await page.screenshot({ path: join(outDir, "ui-memory-summaries.png") });
  const row = page.locator(`[data-testid="memory-summary"][data-id="${id}"]`);
  await row.locator('[data-testid="memory-forget"]').click();
  if (!(await row.count())) throw new Error(`${id} went before the confirmation`);
  await row.locator('[data-testid="memory-forget-confirm"]').click();
  await row.waitFor({ state: "detached", timeout: 10_000 });
  const left = await callApi(serverUrl, "GET", summariesPath);
  if (left.summaries.some((x) => x.id === id)) throw new Error(`the server still lists ${id}`);
  await page.locator('[data-testid="insights-tab-git"]').click();
}
