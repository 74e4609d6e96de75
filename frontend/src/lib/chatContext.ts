// The context a grounded answer was given (the `context` chat event): the files in play,
// the items the model may cite as [1], [2], ... and what it cost in tokens. Read
// leniently: a field of the wrong type is left out rather than refusing the whole list.

export interface ContextFile {
  path: string;
  score: number;
  reasons: string[];
}

export interface ContextItem {
  source: string;
  /** null for items that are not in a file (a commit, a build run). */
  path: string | null;
  /** First and last line, 1-based, when the item is a range of a file. */
  lines: [number, number] | null;
  text: string;
  tokens: number;
  citation: string;
}

export interface DroppedSource {
  source: string;
  reason: string;
}

export interface ChatContext {
  files: ContextFile[];
  items: ContextItem[];
  tokens: number;
  config: string;
  dropped_sources: DroppedSource[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown, or = ""): string => (typeof v === "string" ? v : or);
const num = (v: unknown, or = 0): number => (typeof v === "number" && Number.isFinite(v) ? v : or);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function parseLines(v: unknown): [number, number] | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  const start = num(v[0], NaN);
  const end = num(v[1], start);
  if (!Number.isInteger(start) || start < 1) return null;
  return [start, Number.isInteger(end) && end >= start ? end : start];
}

function parseItem(v: unknown): ContextItem | null {
  if (!isObject(v)) return null;
  const path = typeof v.path === "string" && v.path !== "" ? v.path : null;
  const lines = parseLines(v.lines);
  const fallback = path ? (lines ? `${path}:${lines[0]}-${lines[1]}` : path) : str(v.source, "context");
  return { source: str(v.source, "unknown"), path, lines, text: str(v.text), tokens: num(v.tokens), citation: str(v.citation) || fallback };
}

/** Reads a `context` object; null when it is not one. */
export function parseChatContext(v: unknown): ChatContext | null {
  if (!isObject(v)) return null;
  const files = list(v.files).flatMap((f): ContextFile[] =>
    isObject(f) && typeof f.path === "string" ? [{ path: f.path, score: num(f.score), reasons: list(f.reasons).filter((r) => typeof r === "string") }] : [],
  );
  const items = list(v.items).map(parseItem).filter((i): i is ContextItem => i !== null);
  const dropped = list(v.dropped_sources).flatMap((d): DroppedSource[] =>
    isObject(d) && typeof d.source === "string" ? [{ source: d.source, reason: str(d.reason) }] : [],
  );
  const tokens = num(v.tokens, items.reduce((sum, i) => sum + i.tokens, 0));
  return { files, items, tokens, config: str(v.config), dropped_sources: dropped };
}

/** The heading of the list: "Context (3 sources, 812 tokens)". */
export function contextSummary(context: ChatContext): string {
  const n = context.items.length;
  return `Context (${n} ${n === 1 ? "source" : "sources"}, ${context.tokens} ${context.tokens === 1 ? "token" : "tokens"})`;
}

/** Where clicking an item goes: its file at its first line, or nowhere. */
export function itemTarget(item: ContextItem): { path: string; line: number } | null {
  return item.path ? { path: item.path, line: item.lines?.[0] ?? 1 } : null;
}

/** The item a marker [n] cites (1-based), if there is one. */
export function citedItem(context: ChatContext | undefined, n: number): ContextItem | null {
  if (!context || !Number.isInteger(n) || n < 1) return null;
  return context.items[n - 1] ?? null;
}
