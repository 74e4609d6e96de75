// A small Markdown reader for chat answers: fenced code (with its language), headings,
// lists, paragraphs, and inline code, bold, italics, links and citation markers ([1],
// [2, 3]: the numbered context items of a grounded answer). It returns a tree that React
// renders as elements, so model output never becomes HTML.

export type Inline =
  | { kind: "text"; text: string }
  | { kind: "code"; text: string }
  | { kind: "strong"; children: Inline[] }
  | { kind: "em"; children: Inline[] }
  | { kind: "link"; href: string; children: Inline[] }
  | { kind: "cite"; refs: number[] };

export type Block =
  | { kind: "code"; language: string; text: string; open: boolean }
  | { kind: "heading"; level: number; children: Inline[] }
  | { kind: "list"; ordered: boolean; items: Inline[][] }
  | { kind: "paragraph"; children: Inline[] };

const FENCE = /^\s*(```|~~~)\s*([\w+#.-]*)\s*$/;
const HEADING = /^(#{1,6})\s+(.*)$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d+[.)]\s+(.*)$/;

/** Parses a whole (possibly still streaming) answer; an unclosed fence is `open`. */
export function parseMarkdown(text: string): Block[] {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) blocks.push({ kind: "paragraph", children: parseInline(paragraph.join("\n")) });
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = FENCE.exec(line);
    if (fence) {
      flush();
      const body: string[] = [];
      let j = i + 1;
      while (j < lines.length && !(lines[j].trim().startsWith(fence[1]) && lines[j].trim().replace(/[`~]/g, "") === "")) {
        body.push(lines[j]);
        j++;
      }
      blocks.push({ kind: "code", language: fence[2].toLowerCase(), text: body.join("\n"), open: j >= lines.length });
      i = j;
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flush();
      blocks.push({ kind: "heading", level: heading[1].length, children: parseInline(heading[2]) });
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      flush();
      const ordered = numbered !== null;
      const item = parseInline((bullet ?? numbered)![1]);
      const last = blocks[blocks.length - 1];
      if (last?.kind === "list" && last.ordered === ordered) last.items.push(item);
      else blocks.push({ kind: "list", ordered, items: [item] });
      continue;
    }
    if (line.trim() === "") {
      flush();
      continue;
    }
    paragraph.push(line);
  }
  flush();
  return blocks;
}

/**
 * Inline spans: `code` first (nothing inside it is markup), then links, bold, italics,
 * and citation markers: `[n]` or `[n, m]` not followed by `(` (that is a link).
 */
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  const pattern = /`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)|\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|_([^_\s][^_]*)_|\[(\d{1,4}(?:\s*,\s*\d{1,4})*)\](?!\()/g;
  let last = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    if (m.index > last) out.push({ kind: "text", text: text.slice(last, m.index) });
    if (m[1] !== undefined) out.push({ kind: "code", text: m[1] });
    else if (m[2] !== undefined) out.push({ kind: "link", href: safeHref(m[3]), children: parseInline(m[2]) });
    else if (m[4] !== undefined || m[5] !== undefined) out.push({ kind: "strong", children: parseInline(m[4] ?? m[5]) });
    else if (m[8] !== undefined) out.push({ kind: "cite", refs: m[8].split(",").map((n) => Number(n.trim())) });
    else out.push({ kind: "em", children: parseInline(m[6] ?? m[7]) });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ kind: "text", text: text.slice(last) });
  return out;
}

/** Only web links: a model's `javascript:` URL must not become a clickable script. */
export function safeHref(href: string): string {
  return /^https?:\/\//i.test(href) ? href : "#";
}
