// The HTTP API (docs/api.md): typed calls with the token, and errors that carry the
// server's message.

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

export interface FileContent {
  path: string;
  size: number;
  modified: string | null;
  language: string | null;
  binary: boolean;
  too_large: boolean;
  content: string | null;
}

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

export class Api {
  private readonly token: string;
  private readonly fetchFn: Fetch;

  constructor(token: string, fetchFn: Fetch = (input, init) => fetch(input, init)) {
    this.token = token;
    this.fetchFn = fetchFn;
  }

  private async get<T>(path: string, method = "GET"): Promise<T> {
    const response = await this.fetchFn(path, { method, headers: { Authorization: `Bearer ${this.token}` } });
    if (!response.ok) throw await errorFromResponse(response);
    return (await response.json()) as T;
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

  async log(projectId: number, path: string): Promise<LogEntry[]> {
    return (await this.get<{ commits: LogEntry[] }>(this.gitPath(projectId, "log", path) + "&limit=30")).commits;
  }

  async blame(projectId: number, path: string): Promise<BlameLine[]> {
    return (await this.get<{ lines: BlameLine[] }>(this.gitPath(projectId, "blame", path))).lines;
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
}
