// The HTTP API (docs/api.md): typed calls with the token, and errors that carry the
// server's message.

// Memory's answers are read field by field: its newer views may be missing from an older server.
import { parseMemoryItems, parsePatterns, parseProfile, parseSummaries } from "./memory";

export interface Project {
  id: number;
  name: string;
  root: string;
  is_git: boolean;
  created_at: string;
}

export type EntryKind = "file" | "dir" | "symlink";

export interface TreeEntry {
  name: string;
  path: string;
  kind: EntryKind;
  size?: number;
}

export interface Tree {
  path: string;
  entries: TreeEntry[];
  truncated: boolean;
}

/** What a path names: a regular file, or one Mira never reads (its content is null). */
export type FileKind = "file" | "fifo" | "socket" | "char_device" | "block_device";

export interface FileContent {
  path: string;
  kind: FileKind;
  size: number;
  modified: string | null;
  language: string | null;
  binary: boolean;
  too_large: boolean;
  content: string | null;
  /** SHA-256 (hex) of the text; a save names it as the version it replaces. */
  hash: string | null;
}

/** What a save wrote. */
export interface SavedFile {
  path: string;
  hash: string;
  size: number;
}

/** The file as it is on disk when a save was refused as stale (409). */
export interface DiskVersion {
  exists: boolean;
  hash: string | null;
  content: string | null;
}

export type SaveOutcome = { kind: "saved"; saved: SavedFile } | { kind: "stale"; message: string; disk: DiskVersion };

export interface CochangeSuggestion {
  file: string;
  shared_commits: number;
  commits_of_query: number;
  confidence: number;
  jaccard: number;
  last_cochange_at: number;
  score: number;
  evidence: string;
}

export interface Expert {
  name: string;
  email: string;
  score: number;
  commit_part: number;
  lines_part: number;
  recency_part: number;
  commits: number;
  lines_changed: number;
  last_commit_at: number;
  is_bot: boolean;
}

export interface LogEntry {
  sha: string;
  author_name: string;
  author_email: string;
  authored_at: number;
  committed_at: number;
  summary: string;
  is_merge: boolean;
  path: string | null;
  status: string | null;
  lines_added: number | null;
  lines_removed: number | null;
}

export interface BlameLine {
  line: number;
  commit: string;
  original_line: number;
  original_path: string;
  author_name: string;
  author_email: string;
  authored_at: number;
  summary: string;
}

export type RunStatus = "running" | "succeeded" | "failed" | "cancelled" | "timed_out" | "failed_to_start" | "interrupted";

export interface BuildRun {
  id: number;
  project_id: number;
  command: string[];
  command_line: string;
  dir: string;
  tool: string | null;
  status: RunStatus;
  exit_code: number | null;
  failure: string | null;
  /** Milliseconds since the epoch. */
  started_at: number;
  finished_at: number | null;
  duration_ms: number | null;
  commit: string | null;
  dirty: boolean | null;
  errors: number;
  warnings: number;
  infos: number;
  log_bytes: number;
  log_truncated: boolean;
}

export interface KnownFix {
  source: string;
  commit: string | null;
  commits: string[];
  files: string[];
  diff: string | null;
  fixing_run_id: number | null;
  resolved_at: number;
}

export interface BuildError {
  id: number;
  tool: string;
  severity: "error" | "warning" | "info";
  code: string | null;
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  occurrences: number;
  run_count: number;
  first_seen_at: number;
  last_seen_at: number;
  last_run_id: number;
  resolved_at: number | null;
  resolved_run_id: number | null;
  /** Passed again with no change in the work tree: not a fix. */
  resolved_unchanged: boolean;
  recurring: boolean;
  reopened: number;
  fingerprint: string;
  excerpt: { line: number; text: string }[];
  known_fixes: KnownFix[];
}

/** Per-file tags from the code index (GET .../code/files). */
export interface CodeFile {
  path: string;
  language: string | null;
  symbols: number;
  has_tests: boolean;
  error_lines: number[];
  skip_reason: string | null;
}

export interface CodeSymbol {
  qualified_name: string;
  name: string;
  kind: string;
  file: string;
  language: string;
  start_line: number;
  start_col: number;
  end_line: number;
  end_col: number;
  signature: string;
  doc: string | null;
  visibility: string;
  parent: string | null;
  is_test: boolean;
}

/** One call site: `symbol` is the other end, `file`/`line` the call. */
export interface CallRef {
  symbol: string;
  kind: string;
  file: string;
  line: number;
  col: number;
  resolution: "exact" | "probable" | "external" | "unresolved";
  is_test: boolean;
}

export interface Impacted {
  symbol: string;
  kind: string;
  depth: number;
  path: string[];
  file: string;
  line: number;
  resolution: string;
  is_test: boolean;
}

export interface ImpactResult {
  symbol: string;
  depth: number;
  tests: number;
  impacted: Impacted[];
}

export interface BudgetPeriod {
  key: string;
  limit_usd: number;
  spent_usd: number;
  reserved_usd: number;
  /** Headroom running processes hold in budget leases and have not used. */
  leased_usd: number;
  remaining_usd: number;
  calls: number;
  cache_hits: number;
  cache_misses: number;
  saved_usd: number;
}

export interface SpendRow {
  day: string;
  provider: string;
  model: string;
  tier: string | null;
  calls: number;
  cost_usd: number;
  input_tokens: number;
  output_tokens: number;
}

export interface BudgetReport {
  day: BudgetPeriod;
  month: BudgetPeriod;
  cache_hit_rate: number | null;
  month_without_cache_usd: number;
  month_projection_usd: number;
  by_day: SpendRow[];
  cache: { enabled: boolean; entries: number; bytes: number; max_bytes: number };
}

export type SearchMode = "hybrid" | "keyword" | "dense";
export type SearchCollection = "code" | "git" | "conversation";

/** The filters of a search; an empty string means no filter. */
export interface SearchParams {
  q: string;
  lang?: string;
  path?: string;
  kind?: string;
  limit?: number;
  mode?: SearchMode;
  collection?: SearchCollection;
}

/**
 * One search result: a symbol (or section, commit, message) with its best chunks merged.
 * For `git` the path is the commit sha, the symbol its author and the lines [0, 0].
 */
export interface SearchHit {
  path: string;
  symbol: string | null;
  kind: string;
  language: string | null;
  /** First and last line, 1-based and inclusive. */
  lines: [number, number];
  score: number;
  snippet: string;
  /** The line number of the snippet's first line. */
  snippet_line: number;
  /** Lines with a query term. */
  matched_lines: number[];
  concepts: string[];
}

export interface SearchResponse {
  query: string;
  collection: SearchCollection;
  /** What ran: `hybrid` only when a dense list took part. */
  mode: SearchMode;
  results: SearchHit[];
  /** Concepts the query named. */
  concepts: string[];
  embedder: string | null;
  dense_ready: number;
  chunks: number;
  /** Why a part of the query did not run. */
  notice: string | null;
  took_ms: number;
}

export interface SearchCollectionStatus {
  collection: string;
  chunks: number;
  dense: number;
}

export interface SearchStatus {
  running: boolean;
  collections: SearchCollectionStatus[];
  embedder: string | null;
  embedder_problem: string | null;
}

/** A conversation as `GET /api/conversations` lists it. */
/** A message as `GET /api/conversations/{id}` gives it. */
export interface StoredMessage {
  id: number;
  role: string;
  content: string;
  status?: string | null;
  error?: string | null;
  context?: unknown;
}

export interface ConversationSummary {
  id: number;
  title: string;
  project_id: number | null;
  created_at: string;
  updated_at: string;
  messages: number;
}

export type MemoryCategory = "preference" | "decision" | "constraint" | "fact" | "name";

/**
 * Where a memory item came from. In a live chat both are numbers as strings (the
 * conversation's and the message's ids); an imported transcript keeps its own ids.
 */
export interface MemorySource {
  conversation: string;
  message: string;
}

/** A fact memory holds; a contradicted one stays as history with `valid_to` and `superseded_by`. */
export interface MemoryFact {
  id: number;
  /** Null: the user's, recalled in every project. */
  project_id: number | null;
  subject: string;
  text: string;
  category: MemoryCategory;
  confidence: number;
  importance: number;
  origin: "told" | "extracted" | "imported";
  /** Milliseconds since the epoch. */
  valid_from: number;
  valid_to: number | null;
  superseded_by: number | null;
  created_at: number;
  updated_at: number;
  sources: MemorySource[];
}

/** What a memory item id names: `f12` a fact, `t34` a turn, `p3` a pattern, `s4` a summary. */
export type MemoryItemKind = "fact" | "turn" | "pattern" | "summary";

/** One recalled item: a fact (`f12`), a turn of a conversation (`t34`) or a summary of turns (`s4`). */
export interface MemoryItem {
  id: string;
  kind: MemoryItemKind;
  text: string;
  score: number;
  category?: MemoryCategory;
  /** Who said a turn: "user", "assistant", or a transcript's speaker. */
  speaker?: string;
  valid_from: number | null;
  valid_to: number | null;
  sources: MemorySource[];
}

/** One entry of the user's profile: a current preference or name, and the fact (`f12`) it comes from. */
export interface ProfileEntry {
  /** The fact's subject (`prefers: tabs`). */
  key: string;
  value: string;
  fact: string;
  updated_at: number | null;
}

/** A behaviour memory has seen again and again (`p3`); a habit from HABIT_EVIDENCE sightings on. */
export interface MemoryPattern {
  id: string;
  behaviour: string;
  evidence_count: number;
  first_seen: number | null;
  last_seen: number | null;
  /** Null: the user's, in every project. */
  project_id: number | null;
  /** The latest messages it was seen in (at most 10). */
  sources: MemorySource[];
}

/** A rolling summary (`s4`) of turns first_seq..last_seq of one conversation. */
export interface MemorySummary {
  id: string;
  conversation: string;
  first_seq: number | null;
  last_seq: number | null;
  text: string;
  /** "extractive" (sentences picked from the turns) or "model" (written by a provider model). */
  origin: string;
  project_id: number | null;
  created_at: number | null;
  /** When its first and its last turn were said. */
  from: number | null;
  to: number | null;
  sources: MemorySource[];
}

/** `GET /api/memory/profile`: the profile, and the patterns seen often enough to be habits. */
export interface MemoryProfile {
  profile: ProfileEntry[];
  habits: MemoryPattern[];
}

/** What remembering did with the statement; `old` are the facts it superseded. */
export type MemoryDecision =
  | { decision: "added" | "updated" | "unchanged"; id: number }
  | { decision: "superseded"; id: number; old: number[] };

export interface Remembered {
  decision: MemoryDecision;
  fact: MemoryFact;
}

/** Where a slash command comes from; the first of these to name it wins. */
export type CommandSource = "builtin" | "project" | "user" | "mcp";

/** A slash command as `GET /api/projects/{id}/commands` lists it. */
export interface SlashCommand {
  /** Without the slash: `git:pr` for `.claude/commands/git/pr.md`. */
  name: string;
  description: string;
  argument_hint: string | null;
  source: CommandSource;
  /** The file it is read from; null for built-ins and MCP prompts. */
  origin: string | null;
  /** What takes its name instead: "builtin", or the winning file's origin. */
  shadowed_by: string | null;
}

/** A command file that could not be read, and why. */
export interface CommandProblem {
  file: string;
  line: number | null;
  message: string;
}

export interface CommandList {
  commands: SlashCommand[];
  problems: CommandProblem[];
}

export type McpState = "starting" | "ready" | "failed" | "restarting" | "stopped";

export interface McpTool {
  name: string;
  /** What the agent's model calls it: `mcp__server__tool`. */
  qualified_name: string;
  description: string;
}

export interface McpServer {
  name: string;
  source: string;
  transport: "stdio" | "http";
  state: McpState;
  tools: McpTool[];
  resources: { uri: string; name: string }[];
  prompts: McpTool[];
  last_error: string | null;
  restarts: number;
}

/** The project's MCP servers; `problems` are configuration files or entries not loaded. */
export interface McpStatus {
  servers: McpServer[];
  problems: unknown[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** The text of an error, for a panel to show. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A rejected token is the app's to handle (it asks for a new one); other errors are the panel's. */
export function rethrowAuth(e: unknown): void {
  if (e instanceof ApiError && e.status === 401) throw e;
}

/** Turns a non-2xx response into an ApiError with the server's code and message. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let code = "http_error";
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const body: unknown = await response.json();
    const error = (body as { error?: { code?: unknown; message?: unknown } }).error;
    if (error && typeof error.code === "string" && typeof error.message === "string") {
      code = error.code;
      message = error.message;
    }
  } catch {
    // Not JSON: keep the status line.
  }
  return new ApiError(response.status, code, message);
}

/** Reads a 409 answer of a save: `{"error":{...},"current":{exists,hash,content}}`. */
export function staleFromBody(body: unknown): SaveOutcome | null {
  if (typeof body !== "object" || body === null) return null;
  const { error, current } = body as { error?: { message?: unknown }; current?: Record<string, unknown> };
  if (!current || typeof current.exists !== "boolean") return null;
  const text = (v: unknown) => (typeof v === "string" ? v : null);
  return {
    kind: "stale",
    message: text(error?.message) ?? "the file changed on disk",
    disk: { exists: current.exists, hash: text(current.hash), content: text(current.content) },
  };
}

export class Api {
  private readonly token: string;
  private readonly fetchFn: Fetch;

  constructor(token: string, fetchFn: Fetch = (input, init) => fetch(input, init)) {
    this.token = token;
    this.fetchFn = fetchFn;
  }

  budget(): Promise<BudgetReport> {
    return this.get<BudgetReport>("/api/budget");
  }

  private async get<T>(path: string, method = "GET", body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await this.fetchFn(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw await errorFromResponse(response);
    return (await response.json()) as T;
  }

  /** Starts indexing the project's code; progress arrives as WebSocket events. */
  async codeIndex(projectId: number): Promise<string> {
    return (await this.get<{ task: string }>(`/api/projects/${projectId}/code/index`, "POST")).task;
  }

  async codeFiles(projectId: number): Promise<CodeFile[]> {
    return (await this.get<{ files: CodeFile[] }>(`/api/projects/${projectId}/code/files`)).files;
  }

  /** The outline of a file, in source order. */
  async codeOutline(projectId: number, path: string): Promise<CodeSymbol[]> {
    return (await this.get<{ symbols: CodeSymbol[] }>(`/api/projects/${projectId}/code/symbols?path=${encodeURIComponent(path)}`))
      .symbols;
  }

  async codeCalls(projectId: number, direction: "callers" | "callees", symbol: string): Promise<CallRef[]> {
    type Answer = { matches: Record<string, unknown>[] };
    const answer = await this.get<Answer>(`/api/projects/${projectId}/code/${direction}?symbol=${encodeURIComponent(symbol)}`);
    const exact = answer.matches.find((m) => m.symbol === symbol) ?? answer.matches[0];
    return ((exact?.[direction] as CallRef[] | undefined) ?? []);
  }

  async codeImpact(projectId: number, symbol: string, depth = 3): Promise<ImpactResult | null> {
    const answer = await this.get<{ results: ImpactResult[] }>(
      `/api/projects/${projectId}/code/impact?symbol=${encodeURIComponent(symbol)}&depth=${depth}`,
    );
    return answer.results.find((r) => r.symbol === symbol) ?? answer.results[0] ?? null;
  }

  /** Starts a build or test command in the project; output arrives as WebSocket events. */
  async buildRun(projectId: number, command: string, dir = ""): Promise<number> {
    return (await this.get<{ run_id: number }>(`/api/projects/${projectId}/build/runs`, "POST", { command, dir })).run_id;
  }

  async buildCancel(projectId: number, runId: number): Promise<void> {
    await this.get<unknown>(`/api/projects/${projectId}/build/runs/${runId}/cancel`, "POST");
  }

  async buildRuns(projectId: number): Promise<BuildRun[]> {
    return (await this.get<{ runs: BuildRun[] }>(`/api/projects/${projectId}/build/runs?limit=30`)).runs;
  }

  async buildErrors(projectId: number): Promise<BuildError[]> {
    return (await this.get<{ errors: BuildError[] }>(`/api/projects/${projectId}/build/errors?limit=200`)).errors;
  }

  /** The raw output of a finished run. */
  async buildLog(projectId: number, runId: number): Promise<string> {
    const response = await this.fetchFn(`/api/projects/${projectId}/build/runs/${runId}/log`, {
      headers: { Authorization: `Bearer ${this.token}` },
    });
    if (!response.ok) throw await errorFromResponse(response);
    return response.text();
  }

  private gitPath(projectId: number, what: string, path: string): string {
    return `/api/projects/${projectId}/git/${what}?path=${encodeURIComponent(path)}`;
  }

  /** Starts indexing the project's git history; progress arrives as WebSocket events. */
  async gitIndex(projectId: number): Promise<string> {
    return (await this.get<{ task: string }>(`/api/projects/${projectId}/git/index`, "POST")).task;
  }

  async cochange(projectId: number, path: string): Promise<CochangeSuggestion[]> {
    return (await this.get<{ suggestions: CochangeSuggestion[] }>(this.gitPath(projectId, "cochange", path))).suggestions;
  }

  async experts(projectId: number, path: string): Promise<Expert[]> {
    return (await this.get<{ experts: Expert[] }>(this.gitPath(projectId, "experts", path))).experts;
  }

  /** The project's latest commits in the index; none when its history is not indexed. */
  async projectLog(projectId: number, limit = 1): Promise<LogEntry[]> {
    return (await this.get<{ commits: LogEntry[] }>(`/api/projects/${projectId}/git/log?limit=${limit}`)).commits;
  }

  async log(projectId: number, path: string): Promise<LogEntry[]> {
    return (await this.get<{ commits: LogEntry[] }>(this.gitPath(projectId, "log", path) + "&limit=30")).commits;
  }

  async blame(projectId: number, path: string): Promise<BlameLine[]> {
    return (await this.get<{ lines: BlameLine[] }>(this.gitPath(projectId, "blame", path))).lines;
  }

  /** Hybrid search; empty filters are left out of the query string. */
  search(projectId: number, params: SearchParams): Promise<SearchResponse> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && String(value).trim() !== "") query.set(key, String(value));
    }
    return this.get<SearchResponse>(`/api/projects/${projectId}/search?${query.toString()}`);
  }

  /** Brings the project's search index up to date in the background. */
  async searchIndex(projectId: number): Promise<string> {
    return (await this.get<{ task: string }>(`/api/projects/${projectId}/search/index`, "POST")).task;
  }

  searchStatus(projectId: number): Promise<SearchStatus> {
    return this.get<SearchStatus>(`/api/projects/${projectId}/search/status`);
  }

  /** The slash commands the chat completes: built-ins, command files, MCP prompts. */
  commands(projectId: number): Promise<CommandList> {
    return this.get<CommandList>(`/api/projects/${projectId}/commands`);
  }

  mcpServers(projectId: number): Promise<McpStatus> {
    return this.get<McpStatus>(`/api/projects/${projectId}/mcp`);
  }

  async projects(): Promise<Project[]> {
    return (await this.get<{ projects: Project[] }>("/api/projects")).projects;
  }

  tree(projectId: number, dir: string): Promise<Tree> {
    return this.get<Tree>(`/api/projects/${projectId}/tree?path=${encodeURIComponent(dir)}`);
  }

  file(projectId: number, path: string): Promise<FileContent> {
    return this.get<FileContent>(`/api/projects/${projectId}/file?path=${encodeURIComponent(path)}`);
  }

  /**
   * Saves `content` over the version whose hash is `baseHash` (null: a new file). A 409
   * is not thrown: it is the disk's version, for the user to choose between.
   */
  async saveFile(projectId: number, path: string, content: string, baseHash: string | null): Promise<SaveOutcome> {
    const response = await this.fetchFn(`/api/projects/${projectId}/file`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${this.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ path, content, base_hash: baseHash }),
    });
    if (response.status === 409) {
      const stale = staleFromBody(await response.json().catch(() => null));
      if (stale) return stale;
      throw new ApiError(409, "conflict", "the save was refused as stale, without the disk's version");
    }
    if (!response.ok) throw await errorFromResponse(response);
    return { kind: "saved", saved: (await response.json()) as SavedFile };
  }

  async addProject(path: string, name?: string): Promise<Project> {
    const body = name ? { path, name } : { path };
    return this.get<Project>("/api/projects", "POST", body);
  }

  async conversations(limit = 30): Promise<ConversationSummary[]> {
    return (await this.get<{ conversations: ConversationSummary[] }>(`/api/conversations?limit=${limit}`)).conversations;
  }

  /** A stored conversation's messages (each may carry the `context` it was answered with). */
  async conversation(id: number): Promise<StoredMessage[]> {
    return (await this.get<{ messages: StoredMessage[] }>(`/api/conversations/${id}`)).messages;
  }

  /** The user's facts and, given a project, that project's; superseded ones too with `history`. */
  async memory(projectId: number | null, history = false): Promise<MemoryFact[]> {
    const query = new URLSearchParams();
    if (projectId !== null) query.set("project_id", String(projectId));
    if (history) query.set("history", "true");
    const rest = query.toString();
    return (await this.get<{ facts: MemoryFact[] }>(rest ? `/api/memory?${rest}` : "/api/memory")).facts;
  }

  /** Recalls the facts and turns that bear on `q`, in the user's scope and the project's. */
  async memorySearch(q: string, projectId: number | null, limit = 20): Promise<MemoryItem[]> {
    const query = new URLSearchParams({ q });
    if (projectId !== null) query.set("project_id", String(projectId));
    query.set("limit", String(limit));
    return parseMemoryItems(await this.get<unknown>(`/api/memory/search?${query.toString()}`));
  }

  /** The user's profile and habits (the user's own, the same in every project). */
  async memoryProfile(): Promise<MemoryProfile> {
    return parseProfile(await this.get<unknown>("/api/memory/profile"));
  }

  /** The learned patterns of the user and, given a project, that project's; most evidence first. */
  async memoryPatterns(projectId: number | null): Promise<MemoryPattern[]> {
    const query = projectId === null ? "" : `?project_id=${projectId}`;
    return parsePatterns(await this.get<unknown>(`/api/memory/patterns${query}`));
  }

  /** Rolling summaries in scope, newest first; `conversation` narrows them to one. */
  async memorySummaries(projectId: number | null, conversation: string | null = null): Promise<MemorySummary[]> {
    const query = new URLSearchParams();
    if (projectId !== null) query.set("project_id", String(projectId));
    if (conversation !== null) query.set("conversation", conversation);
    const rest = query.toString();
    return parseSummaries(await this.get<unknown>(rest ? `/api/memory/summaries?${rest}` : "/api/memory/summaries"));
  }

  /** Tells memory a statement: the user's (projectId null) or one project's only. */
  remember(text: string, projectId: number | null): Promise<Remembered> {
    return this.get<Remembered>("/api/memory", "POST", { text, project_id: projectId });
  }

  /** Corrects a fact's text (`f12`); its sources and validity stay. */
  async memoryEdit(id: string, text: string): Promise<MemoryFact> {
    return (await this.get<{ fact: MemoryFact }>(`/api/memory/${encodeURIComponent(id)}`, "PATCH", { text })).fact;
  }

  /** Forgets a fact (`f12`), a turn (`t34`), a pattern (`p3`) or a summary (`s4`) for good. */
  async memoryForget(id: string): Promise<void> {
    await this.get<unknown>(`/api/memory/${encodeURIComponent(id)}`, "DELETE");
  }
}
