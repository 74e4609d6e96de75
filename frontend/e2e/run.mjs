// Browser test: the real `mira serve` on a fixture project, driven by Debian's Chromium
// through playwright-core. Opens the token URL, sees the tree, opens a file in Monaco,
// goes through the panels (git, build, symbols, search, chat, budget, memory) and saves
// screenshots. Prints "N passed, N failed" as its last line.

import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { agentReply, agentRun } from "./agent.mjs";
import { editorSaveAndConflict, writeEditedFixture } from "./editor.mjs";
import { groundedAnswer, groundedReply } from "./grounded.mjs";
import { memoryPanel, memoryViews } from "./memory.mjs";
import { slashCommands, writeSlashFixture } from "./slash.mjs";
import { streamReply } from "./standin.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const frontend = resolve(here, "..");
const targetDir = process.env.CARGO_TARGET_DIR ?? resolve(frontend, "../target");
const bin = process.env.MIRA_BIN ?? join(targetDir, "debug/mira");
const outDir = resolve(process.env.E2E_OUT_DIR ?? join(frontend, "test-results"));
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

function fixture(root) {
  const project = join(root, "project");
  mkdirSync(join(project, "src/lib"), { recursive: true });
  writeFileSync(join(project, "README.md"), "# Fixture project\n\nUsed by the browser test.\n");
  writeFileSync(
    join(project, "src/main.rs"),
    "//! Entry point of the fixture.\n\nfn fixture_marker() {}\n\nfn main() {\n    fixture_marker();\n    println!(\"hello\");\n}\n",
  );
  writeFileSync(join(project, "src/lib/util.py"), "def util():\n    return 42\n");
  // Fails to compile, for the build panel: gcc reports the undeclared name at 4:12.
  writeFileSync(join(project, "src/broken.c"), "#include <stdio.h>\n\nint main(void) {\n    return count + 1;\n}\n");
  // A short git history: main.rs and util.py change together twice.
  const git = (args, name, day) =>
    execFileSync("git", args, {
      cwd: project,
      env: {
        ...process.env,
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_AUTHOR_NAME: name,
        GIT_AUTHOR_EMAIL: `${name.toLowerCase()}@example.org`,
        GIT_COMMITTER_NAME: name,
        GIT_COMMITTER_EMAIL: `${name.toLowerCase()}@example.org`,
        GIT_AUTHOR_DATE: `@${1_700_000_000 + day * 86_400} +0000`,
        GIT_COMMITTER_DATE: `@${1_700_000_000 + day * 86_400} +0000`,
      },
    });
  git(["init", "-q", "-b", "main"], "Ann", 0);
  git(["add", "-A"], "Ann", 0);
  git(["commit", "-q", "-m", "initial"], "Ann", 0);
  writeFileSync(join(project, "src/lib/util.py"), "def util():\n    return 43\n");
  writeFileSync(join(project, "src/main.rs"), readFileSync(join(project, "src/main.rs"), "utf8").replace("hello", "hello, world"));
  git(["commit", "-q", "-am", "greet the world"], "Bob", 1);
  mkdirSync(join(project, "notes"));
  writeEditedFixture(project);
  writeSlashFixture(project);
  return project;
}

/**
 * A stand-in for an OpenAI-compatible model server (what Ollama or llama.cpp serve at
 * OPENAI_BASE_URL), speaking the Chat Completions streaming format on 127.0.0.1. It
 * answers with Markdown and a Rust code block; a question with "slow" in it streams
 * for about ten seconds, so the Stop button can stop it; grounded.mjs scripts an answer
 * with a citation.
 */
async function startModelServer() {
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"not found"}}');
      return;
    }
    const request = JSON.parse(body);
    // The grounded answer (grounded.mjs).
    const scripted = agentReply(request) ?? groundedReply(request);
    if (scripted) {
      await streamReply(res, scripted);
      return;
    }
    const question = request.messages.at(-1)?.content ?? "";
    const slow = question.includes("slow");
    const pieces = slow
      ? Array.from({ length: 300 }, (_, i) => `word${i} `)
      : ["Here is **hello world** in Rust:\n\n", "```rust\n", "fn main() {\n", '    println!("hello, world");\n', "}\n", "```\n", "Run it with `cargo run`."];
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (const piece of pieces) {
      if (res.destroyed) return;
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: piece } }] })}\n\n`);
      await new Promise((r) => setTimeout(r, slow ? 30 : 15));
    }
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`);
    res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 42, completion_tokens: pieces.length } })}\n\n`);
    res.end("data: [DONE]\n\n");
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${server.address().port}/v1` };
}

let modelUrl = "";

/**
 * The environment `mira serve` runs in, and any `mira` command that works on its data
 * beside it (memory.mjs imports a transcript with it).
 */
function serverEnv(data, port = 0) {
  return {
    PATH: process.env.PATH,
    HOME: data,
    MIRA_DATA_DIR: join(data, "mira"),
    MIRA_PORT: String(port),
    MIRA_HOST: "127.0.0.1",
    MIRA_UI_DIR: join(frontend, "dist"),
    MIRA_LOG: "warn",
    // Chat (the voice tier) is answered by the local model that test.sh pulled; the
    // thinker tier by the stand-in above, whose answers are known in advance.
    MIRA_MODELS_DIR: process.env.MIRA_TEST_MODELS_DIR ?? join(homedir(), ".cache/mira-models"),
    MODEL_VOICE: "local",
    OPENAI_BASE_URL: modelUrl,
    MODEL_FAST: "compat:e2e-model",
    MODEL_THINKER: "compat:e2e-model",
    LLM_PRICES: "e2e-model=2:8",
    // The stand-in model answers chats, not memory's extraction calls (Rust tests
    // cover those): without this, each chat turn would cost two calls.
    MEMORY_MODEL_EXTRACTION: "false",
  };
}

/** Starts `mira serve`; port 0 lets it pick a free one, and it prints the URL either way. */
function startServer(project, data, port = 0) {
  const child = spawn(bin, ["serve", "--project", project], {
    cwd: project,
    env: serverEnv(data, port),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const url = new Promise((resolveUrl, rejectUrl) => {
    let stdout = "";
    const timer = setTimeout(() => fail(`server printed no URL within 60 s; stderr:\n${stderr}`), 60_000);
    // Clears the timer too, so a failed start does not keep node alive for the full minute.
    function fail(message) {
      clearTimeout(timer);
      rejectUrl(new Error(message));
    }
    child.stdout.on("data", (d) => {
      stdout += d;
      const match = stdout.match(/http:\/\/127\.0\.0\.1:\d+\/#token=\S+/);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[0]);
      }
    });
    // "close" rather than "exit": it comes after stderr has been read to the end.
    child.on("close", (code, signal) => fail(`server exited (${signal ?? code}) before printing its URL; stderr:\n${stderr}`));
    // Spawning itself failed (no such binary): report it like any other start failure.
    child.on("error", (e) => fail(`cannot start ${bin}: ${e.message}`));
  });
  return { child, url, stderr: () => stderr };
}

async function stop(child) {
  // Already gone, or never started (no pid when the spawn failed).
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((r) => child.on("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (child.exitCode === null) child.kill("SIGKILL");
}

async function main() {
  const root = mkdtempSync(join(tmpdir(), "mira-e2e-"));
  const project = fixture(root);
  const model = await startModelServer();
  modelUrl = model.url;
  const server = startServer(project, root);
  let restarted;
  let browser;
  let page;
  try {
    const url = await server.url;
    const origin = new URL(url).origin;
    // A fresh profile for every run: nothing from an earlier run or the user's browser.
    browser = await chromium.launchPersistentContext(join(root, "chromium-profile"), {
      executablePath: chromiumPath,
      viewport: { width: 1400, height: 860 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    // Every tab of the context: nothing may leave this machine (no CDN, no telemetry).
    const foreign = [];
    browser.on("request", (request) => {
      const u = new URL(request.url());
      if (u.hostname !== "127.0.0.1" && u.protocol !== "data:" && u.protocol !== "blob:") foreign.push(request.url());
    });
    const consoleErrors = [];
    page.on("pageerror", (e) => consoleErrors.push(String(e)));

    await page.goto(url);
    await page.locator('[data-testid="connection-state"][data-state="open"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="tree-entry"][data-path="README.md"]').waitFor();
    await page.locator('[data-testid="tree-entry"][data-path="src"]').click();
    await page.locator('[data-testid="tree-entry"][data-path="src/main.rs"]').click();
    await page.locator('[data-testid="editor"] .view-lines').filter({ hasText: "fixture_marker" }).waitFor({ timeout: 30_000 });
    const editorPath = await page.locator('[data-testid="editor-path"]').textContent();
    if (editorPath !== "src/main.rs") throw new Error(`editor shows ${editorPath}`);

    // Find (Ctrl+F) works in the read-only editor, its icon font served by the server.
    await page.locator('[data-testid="editor"] .view-lines').click();
    await page.keyboard.press("Control+f");
    await page.locator('[data-testid="editor"] .find-widget.visible').waitFor({ timeout: 5_000 });
    const iconFonts = await page.evaluate(async () => (await document.fonts.load("16px codicon")).length);
    if (iconFonts === 0) throw new Error("the codicon font did not load");
    await page.keyboard.press("Escape");

    // Git insights: before any index the panel says so and offers the button that fills
    // it; after it, the co-change panel and blame show the history.
    const gitEmpty = page.locator('[data-testid="git-empty"]').filter({ hasText: "No history indexed yet" });
    await gitEmpty.waitFor({ timeout: 10_000 });
    await gitEmpty.locator('[data-testid="git-index"]').filter({ hasText: "Index git history" }).click();
    await page.locator('[data-testid="cochange-item"][data-file="src/lib/util.py"]').waitFor({ timeout: 30_000 });
    const evidence = await page.locator('[data-testid="cochange-item"]').first().textContent();
    if (!evidence?.includes("changed together in 2 of 2 commits")) throw new Error(`co-change evidence: ${evidence}`);
    await page.locator('[data-testid="blame-toggle"]').click();
    await page.locator(".blame-inline").filter({ hasText: "Bob" }).first().waitFor({ timeout: 15_000 });
    // The file open with its git insights and blame: the screenshot worth looking at.
    mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: join(outDir, "ui-file-git-blame.png") });

    // Build panel: run a failing compile, watch its output arrive, open the error at its
    // line, where Monaco marks it.
    await page.locator('[data-testid="build-command"]').fill("gcc -fsyntax-only src/broken.c");
    await page.locator('[data-testid="build-run"]').click();
    await page.locator('[data-testid="build-output"]').filter({ hasText: "undeclared" }).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="build-status"][data-status="failed"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="build-tab-problems"]').click();
    const problem = page.locator('[data-testid="build-error"]').filter({ hasText: "undeclared" });
    await problem.waitFor({ timeout: 10_000 });
    await problem.locator("button.problem-main").click();
    await page.locator('[data-testid="editor-path"]').filter({ hasText: "src/broken.c" }).waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="editor"] .squiggly-error').first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(outDir, "ui-build-errors.png") });

    // Code intelligence: index the code, see tags in the file browser and the outline of
    // the open file, and who calls a function.
    await page.locator('[data-testid="insights-tab-symbols"]').click();
    await page.locator('[data-testid="code-index"]').click();
    await page
      .locator('[data-testid="tree-entry"][data-path="src/main.rs"] [data-testid="file-tags"]')
      .filter({ hasText: "rust" })
      .waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="tree-entry"][data-path="src/main.rs"]').click();
    const marker = page.locator('[data-testid="outline-item"][data-symbol$="fixture_marker"]');
    await marker.waitFor({ timeout: 15_000 });
    await marker.click();
    await page.locator('[data-testid="callers"] li[data-symbol$="main"]').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(outDir, "ui-symbols.png") });

    // Semantic search: the code index brings the search index up to date; results come
    // as you type, and a result opens its file in the editor at its line. README.md is
    // opened first, so that the click visibly changes the editor.
    await page.locator('[data-testid="tree-entry"][data-path="README.md"]').click();
    await page.locator('[data-testid="editor-path"]').filter({ hasText: "README.md" }).waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="insights-tab-search"]').click();
    await page.getByRole("searchbox", { name: "Search code" }).fill("fixture_marker");
    // The panel searches again when the index reports new chunks, so this waits for both.
    const found = page.locator('[data-testid="search-result"][data-path="src/main.rs"][data-symbol$="fixture_marker"]');
    await found.waitFor({ timeout: 60_000 });
    const place = await found.locator(".search-place").textContent();
    if (!/^src\/main\.rs:\d+(-\d+)?$/.test(place ?? "")) throw new Error(`search result place: ${place}`);
    const symbol = await found.locator(".search-symbol").textContent();
    if (!symbol?.endsWith("fixture_marker")) throw new Error(`search result symbol: ${symbol}`);
    await found.locator(".snip-line[data-matched]").filter({ hasText: "fixture_marker" }).first().waitFor({ timeout: 5_000 });
    await page.locator('[data-testid="search-coverage"]').filter({ hasText: "chunks embedded" }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(outDir, "ui-search.png") });
    await found.getByRole("button").click();
    await page.locator('[data-testid="editor-path"]').filter({ hasText: "src/main.rs" }).waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="editor"] .view-lines').filter({ hasText: "fixture_marker" }).waitFor({ timeout: 10_000 });
    // Ctrl+Shift+F from another tab, with the editor focused, comes back to the search box.
    await page.locator('[data-testid="insights-tab-git"]').click();
    await page.locator('[data-testid="editor"] .view-lines').click();
    await page.keyboard.press("Control+Shift+F");
    await page.waitForFunction(() => document.activeElement?.getAttribute("data-testid") === "search-input", null, { timeout: 5_000 });
    await page.locator('[data-testid="insights-tab-git"]').click();

    await editorSaveAndConflict(page, project, outDir);
    // An untracked file in an indexed history: said so, not an empty heading.
    await page.locator('[data-testid="git-file-empty"]').filter({ hasText: "No commit touches this file" }).waitFor({ timeout: 10_000 });

    // Chat: the local model streams an answer (no key, no network), and the answer says
    // which model gave it and its tier.
    await page.locator('[data-testid="talk-tab-chat"]').click();
    await page.locator('[data-testid="chat-input"]').fill("What is a Rust crate? Answer in one sentence.");
    await page.locator('[data-testid="chat-send"]').click();
    await page.locator('[data-testid="chat-answer"][data-status="streaming"]').waitFor({ timeout: 30_000 });
    const local = page.locator('[data-testid="chat-answer"][data-status="complete"]').first();
    await local.waitFor({ timeout: 180_000 });
    const localText = (await local.locator(".md").textContent())?.trim() ?? "";
    if (localText.length < 2) throw new Error(`the local model answered ${JSON.stringify(localText)}`);
    const localMeta = await local.locator('[data-testid="chat-meta"]').textContent();
    if (!localMeta?.includes("voice") || !localMeta.includes("local SmolLM2")) throw new Error(`local answer meta: ${localMeta}`);

    // The thinker tier (the stand-in server) answers in Markdown with a code block,
    // highlighted, and the answer shows its cost.
    await page.locator('[data-testid="chat-tier"]').selectOption("thinker");
    await page.locator('[data-testid="chat-input"]').fill("Show me hello world in Rust");
    await page.locator('[data-testid="chat-send"]').click();
    const answer = page.locator('[data-testid="chat-answer"][data-status="complete"]').nth(1);
    await answer.waitFor({ timeout: 30_000 });
    await answer.locator('[data-testid="chat-code"][data-language="rust"] span[class^="mtk"]').first().waitFor({ timeout: 10_000 });
    // Monaco writes spaces as no-break spaces.
    const code = (await answer.locator('[data-testid="chat-code"]').textContent())?.replaceAll("\u00a0", " ");
    if (!code?.includes('println!("hello, world");')) throw new Error(`code block shows: ${code}`);
    const meta = await answer.locator('[data-testid="chat-meta"]').textContent();
    if (!meta?.includes("thinker") || !meta.includes("compat e2e-model") || !meta.includes("$")) throw new Error(`answer meta: ${meta}`);
    await page.screenshot({ path: join(outDir, "ui-chat.png") });

    // Stop: a long answer is stopped midway and marked so.
    await page.locator('[data-testid="chat-input"]').fill("a slow one please");
    await page.locator('[data-testid="chat-send"]').click();
    await page.locator('[data-testid="chat-answer"][data-status="streaming"]').filter({ hasText: "word3" }).waitFor({ timeout: 15_000 });
    await page.locator('[data-testid="chat-stop"]').click();
    await page.locator('[data-testid="chat-answer"][data-status="cancelled"]').waitFor({ timeout: 15_000 });

    // Budget: the limits with what was spent, the spend chart and the cache hit rate.
    await page.locator('[data-testid="talk-tab-budget"]').click();
    await page.locator('[data-testid="budget-day"]').filter({ hasText: "3 calls" }).waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="budget-chart"] rect').first().waitFor({ timeout: 10_000 });
    const cache = await page.locator('[data-testid="budget-cache"]').textContent();
    if (!cache?.includes("Cache hit rate")) throw new Error(`budget cache line: ${cache}`);
    await page.screenshot({ path: join(outDir, "ui-budget.png") });
    // At 1280x720 the legend is in view in the panel, not below its fold.
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.waitForTimeout(300);
    const legendFits = await page.evaluate(() => {
      const panel = document.querySelector('[data-testid="budget-panel"]')?.getBoundingClientRect();
      const items = [...document.querySelectorAll('[data-testid="budget-legend"] li')].map((li) => li.getBoundingClientRect());
      return { panel: panel && { top: panel.top, bottom: panel.bottom }, items: items.map((r) => ({ top: r.top, bottom: r.bottom })) };
    });
    if (legendFits.items.length === 0 || legendFits.items.some((r) => r.bottom > legendFits.panel.bottom || r.top < legendFits.panel.top)) {
      throw new Error(`the budget legend is not in view at 1280x720: ${JSON.stringify(legendFits)}`);
    }
    await page.screenshot({ path: join(outDir, "ui-budget-1280x720.png") });
    await page.setViewportSize({ width: 1400, height: 860 });
    await page.locator('[data-testid="talk-tab-chat"]').click();

    // Grounded chat: the answer's context list, and a citation opening its file at its line.
    await groundedAnswer(page, outDir);
    await agentRun(page, project, outDir);
    // Slash commands from .claude/commands, a built-in, and the MCP tab.
    await slashCommands(page, outDir);
    // Memory: facts told through the API, history, search, a source opening its chat,
    // an edit and a forget.
    await memoryPanel(page, url, outDir);
    // Profile, habits and summaries, from a transcript imported beside the running server.
    await memoryViews(page, url, outDir, { bin, env: serverEnv(root), cwd: project, scratch: root });

    const fragment = new URL(page.url()).hash;
    if (fragment.includes("token")) throw new Error(`the token is still in the address bar: ${fragment}`);
    if (!page.url().startsWith(origin)) throw new Error(`left the origin: ${page.url()}`);

    // A reload has no token in the URL any more: it comes from sessionStorage.
    await page.reload();
    await page.locator('[data-testid="connection-state"][data-state="open"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="tree-entry"][data-path="README.md"]').waitFor();

    // A project is added from the UI and switched to; the activity panel shows the
    // server's event for it. A path that is not a directory is refused with the reason.
    const other = join(root, "other");
    mkdirSync(other);
    writeFileSync(join(other, "other.md"), "# Other\n");
    await page.locator('[data-testid="project-add"]').click();
    await page.locator('[data-testid="project-path"]').fill(join(root, "no-such-dir"));
    await page.locator('[data-testid="project-add-submit"]').click();
    await page.locator('[data-testid="project-add-error"]').waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="project-path"]').fill(other);
    await page.locator('[data-testid="project-add-submit"]').click();
    await page.locator('[data-testid="tree-entry"][data-path="other.md"]').waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="activity-item"][data-kind="project.added"]').waitFor({ timeout: 10_000 });
    const picked = await page.locator('[data-testid="project-select"] option:checked').textContent();
    if (picked !== "other") throw new Error(`the project switcher shows ${picked} after adding "other"`);
    // And back to the first project by the switcher.
    await page.locator('[data-testid="project-select"]').selectOption({ label: "project" });
    await page.locator('[data-testid="tree-entry"][data-path="README.md"]').waitFor({ timeout: 10_000 });

    if (consoleErrors.length) throw new Error(`page errors: ${consoleErrors.join("; ")}`);

    mkdirSync(outDir, { recursive: true });
    const shot = join(outDir, "ui-shell.png");
    await page.screenshot({ path: shot });
    console.log(`screenshot: ${shot}`);

    // Without a token, and with one the server refuses, the UI says how to get one.
    // New tabs have their own sessionStorage, so they do not see the token above.
    for (const [address, expected] of [
      [`${origin}/`, "No access token."],
      [`${origin}/#token=not-a-token`, "not valid"],
    ]) {
      const tab = await browser.newPage();
      await tab.goto(address);
      const text = await tab.locator('[data-testid="no-token"]').textContent({ timeout: 15_000 });
      await tab.close();
      if (!text?.includes(expected) || !text.includes("mira token")) throw new Error(`${address} shows: ${text}`);
    }

    // On shutdown the server closes with 1001 (going away); the UI starts reconnecting.
    await stop(server.child);
    if (server.child.exitCode !== 0) throw new Error(`server exited with ${server.child.exitCode} on SIGTERM`);
    await page.locator('[data-testid="connection-state"][data-state="reconnecting"]').waitFor({ timeout: 10_000 });
    // The same server back on the same port (same data dir, so the same token): the UI
    // reconnects by itself.
    restarted = startServer(project, root, new URL(origin).port);
    await restarted.url;
    await page.locator('[data-testid="connection-state"][data-state="open"]').waitFor({ timeout: 30_000 });
    if (foreign.length) throw new Error(`requests left this machine: ${foreign.join(", ")}`);

    console.log(
      "ok - token URL opens the UI, tree shows, file opens in Monaco, git insights and blame show, " +
        "a build runs with live output and its error opens at its line with a marker, " +
        "code index tags files and shows an outline with callers, " +
        "Ctrl+S saves an edit, a file changed on disk opens the conflict view and is not overwritten, both choices work, " +
        "the git panel's empty state offers the index button, projects are added and switched in the UI, the budget legend fits at 1280x720, " +
        "search finds a function as you type and opens it in the editor, Ctrl+Shift+F focuses the search box, " +
        "chat streams an answer from the local model, and a Markdown answer with highlighted code, model and cost, Stop stops one, the budget panel shows spend, " +
        "a grounded answer lists its context and a citation opens the file at its line, " +
        "an agent's edit waits in Ask mode, Apply writes it and Rewind restores the original bytes, " +
        "the chat input completes a .claude/commands command, its prompt streams an answer, /help answers without a model, the MCP tab shows the reference server ready, " +
        "the memory tab lists a superseded preference as history, searches it, opens a chat turn's source at its message, edits and forgets facts, " +
        "an imported transcript's habit and summary show in their sections, the profile leads to its fact and habit, a summary is forgotten, " +
        "reload keeps the token, activity arrives, missing and refused tokens explained, reconnects after a restart",
    );
    console.log("1 passed, 0 failed");
  } catch (error) {
    if (page) {
      mkdirSync(outDir, { recursive: true });
      await page.screenshot({ path: join(outDir, "failure.png") }).catch(() => {});
      console.error(`failure screenshot: ${join(outDir, "failure.png")}`);
    }
    console.error(`not ok - ${error instanceof Error ? error.stack : error}`);
    console.error(`server stderr:\n${server.stderr()}`);
    if (restarted) console.error(`restarted server stderr:\n${restarted.stderr()}`);
    console.log("0 passed, 1 failed");
    process.exitCode = 1;
  } finally {
    await browser?.close();
    await stop(server.child);
    if (restarted) await stop(restarted.child);
    model.server.close();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
