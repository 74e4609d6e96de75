// What the search panel shows of an answer: snippet lines with the matches marked, a
// result's place, and how much of the index has dense vectors.

import type { SearchCollection, SearchHit, SearchStatus } from "./api";

export interface SnippetLine {
  number: number;
  text: string;
  matched: boolean;
}

/** The snippet's lines, numbered from `snippet_line`, those with a query term marked. */
export function snippetLines(hit: SearchHit): SnippetLine[] {
  const matched = new Set(hit.matched_lines);
  const lines = hit.snippet.replace(/\n+$/, "").split("\n");
  return lines.map((text, i) => ({ number: hit.snippet_line + i, text, matched: matched.has(hit.snippet_line + i) }));
}

/** Whether a result is a place in a file (git and conversation results are not). */
export function opensInEditor(collection: SearchCollection, hit: SearchHit): boolean {
  return collection === "code" && hit.lines[0] > 0;
}

/** `path:start-end`, or `path:line` for a one-line result. */
export function hitPlace(hit: SearchHit): string {
  const [start, end] = hit.lines;
  if (start <= 0) return hit.path;
  return start === end ? `${hit.path}:${start}` : `${hit.path}:${start}-${end}`;
}

/** The coverage line: "120 of 130 chunks embedded (local:all-MiniLM-L6-v2)". */
/** Nothing of this collection is indexed and no run is filling it: the panel offers one. */
export function isUnindexed(status: SearchStatus | null, collection: SearchCollection): boolean {
  if (!status || status.running) return false;
  const entry = status.collections.find((c) => c.collection === collection);
  return !entry || entry.chunks === 0;
}

export function coverageLine(status: SearchStatus | null, collection: SearchCollection): string | null {
  if (!status) return null;
  const entry = status.collections.find((c) => c.collection === collection);
  const running = status.running ? "; indexing..." : "";
  if (!entry || entry.chunks === 0) return status.running ? "Indexing for search..." : "Nothing indexed for search yet.";
  const count = `${entry.dense} of ${entry.chunks} chunks embedded`;
  if (!status.embedder) return `${count}; keyword search only${status.embedder_problem ? `: ${status.embedder_problem}` : ""}${running}`;
  // An embedder whose last run stopped (a budget limit): the rest is found by keyword.
  if (status.embedder_problem && entry.dense < entry.chunks)
    return `${count} (${status.embedder}); the rest by keyword: ${status.embedder_problem}${running}`;
  return `${count} (${status.embedder})${running}`;
}
