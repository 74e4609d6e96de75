// Unified diffs (what an agent's artifact carries) read into files, hunks and lines with
// their old and new line numbers, for drawing with coloured +/- lines. Pure: no markup.

export type DiffLineKind = "add" | "del" | "context" | "note";

export interface DiffLine {
  kind: DiffLineKind;
  /** The line without its +, - or space prefix. */
  text: string;
  oldLine: number | null;
  newLine: number | null;
}

export interface DiffHunk {
  header: string;
  oldStart: number;
  newStart: number;
  lines: DiffLine[];
}

export interface DiffFile {
  oldPath: string | null;
  newPath: string | null;
  hunks: DiffHunk[];
  added: number;
  removed: number;
}

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@(.*)$/;

function stripPath(raw: string): string | null {
  const path = raw.split("\t")[0].trim();
  if (path === "/dev/null") return null;
  return path.replace(/^[ab]\//, "");
}

/** Parses a unified diff (one or more files; `diff --git` headers optional). */
export function parseUnifiedDiff(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  let file: DiffFile | null = null;
  let hunk: DiffHunk | null = null;
  let oldLine = 0;
  let newLine = 0;
  const newFile = (): DiffFile => {
    const f: DiffFile = { oldPath: null, newPath: null, hunks: [], added: 0, removed: 0 };
    files.push(f);
    hunk = null;
    return f;
  };
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  if (lines.at(-1) === "") lines.pop();
  for (const line of lines) {
    if (line.startsWith("diff --git ")) {
      file = newFile();
      continue;
    }
    if (line.startsWith("--- ") && (hunk === null || !hunkOpen(hunk))) {
      if (!file || file.hunks.length > 0 || file.oldPath !== null) file = newFile();
      file.oldPath = stripPath(line.slice(4));
      continue;
    }
    if (line.startsWith("+++ ") && file && file.hunks.length === 0 && hunk === null) {
      file.newPath = stripPath(line.slice(4));
      continue;
    }
    const header = HUNK.exec(line);
    if (header) {
      file ??= newFile();
      oldLine = Number(header[1]);
      newLine = Number(header[2]);
      hunk = { header: line, oldStart: oldLine, newStart: newLine, lines: [] };
      file.hunks.push(hunk);
      continue;
    }
    if (!hunk || !file) continue;
    const h: DiffHunk = hunk;
    if (line.startsWith("+")) {
      h.lines.push({ kind: "add", text: line.slice(1), oldLine: null, newLine: newLine++ });
      file.added++;
    } else if (line.startsWith("-")) {
      h.lines.push({ kind: "del", text: line.slice(1), oldLine: oldLine++, newLine: null });
      file.removed++;
    } else if (line.startsWith("\\")) {
      h.lines.push({ kind: "note", text: line, oldLine: null, newLine: null });
    } else {
      h.lines.push({ kind: "context", text: line.startsWith(" ") ? line.slice(1) : line, oldLine: oldLine++, newLine: newLine++ });
    }
  }
  return files;
}

/** Whether a hunk still expects lines, judged by its header's counts. */
function hunkOpen(h: DiffHunk): boolean {
  const m = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(h.header);
  if (!m) return false;
  const oldCount = m[1] === undefined ? 1 : Number(m[1]);
  const newCount = m[2] === undefined ? 1 : Number(m[2]);
  const olds = h.lines.filter((l) => l.kind === "del" || l.kind === "context").length;
  const news = h.lines.filter((l) => l.kind === "add" || l.kind === "context").length;
  return olds < oldCount || news < newCount;
}

/** "+3 -1" for a file or a whole diff. */
export function diffStat(files: DiffFile[]): string {
  const added = files.reduce((n, f) => n + f.added, 0);
  const removed = files.reduce((n, f) => n + f.removed, 0);
  return `+${added} -${removed}`;
}
