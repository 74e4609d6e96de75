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

  private async get<T>(path: string): Promise<T> {
    const response = await this.fetchFn(path, { headers: { Authorization: `Bearer ${this.token}` } });
    if (!response.ok) throw await errorFromResponse(response);
    return (await response.json()) as T;
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
