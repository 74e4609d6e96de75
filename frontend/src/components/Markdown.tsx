import { useEffect, useState, type ReactNode } from "react";

import { parseMarkdown, type Block, type Inline } from "../lib/markdown";
import { monaco } from "../monacoSetup";

/** Markdown names for languages, as Monaco knows them. */
const ALIASES: Record<string, string> = {
  rs: "rust",
  py: "python",
  ts: "typescript",
  tsx: "typescript",
  js: "javascript",
  jsx: "javascript",
  sh: "shell",
  bash: "shell",
  zsh: "shell",
  yml: "yaml",
  toml: "ini",
  "c++": "cpp",
  c: "cpp",
};

/** What citation markers [n] point at: the item a marker matches, and a click. */
export interface Citations {
  /** The item's citation ("src/lib.rs:10-42") and file, or null when n matches no item. */
  item(n: number): { citation: string; path: string | null } | null;
  open(n: number): void;
}

/** [1] or [2, 3]: numbers that match an item with a file open it; others say what they cite. */
function Cite({ refs, citations }: { refs: number[]; citations?: Citations }) {
  const known = refs.map((n) => ({ n, item: citations?.item(n) ?? null }));
  if (!citations || known.every((k) => k.item === null)) return <>{`[${refs.join(", ")}]`}</>;
  return (
    <span className="md-cite">
      [
      {known.map(({ n, item }, j) => (
        <span key={n}>
          {j > 0 && ", "}
          {item === null ? (
            String(n)
          ) : item.path === null ? (
            <span title={item.citation} data-testid="chat-cite" data-n={n}>
              {n}
            </span>
          ) : (
            <a
              href={`#cite-${n}`}
              title={item.citation}
              data-testid="chat-cite"
              data-n={n}
              data-path={item.path}
              onClick={(e) => {
                e.preventDefault();
                citations.open(n);
              }}
            >
              {n}
            </a>
          )}
        </span>
      ))}
      ]
    </span>
  );
}

function inline(nodes: Inline[], citations?: Citations): ReactNode[] {
  return nodes.map((n, i) => {
    switch (n.kind) {
      case "text":
        return n.text;
      case "code":
        return <code key={i}>{n.text}</code>;
      case "strong":
        return <strong key={i}>{inline(n.children, citations)}</strong>;
      case "em":
        return <em key={i}>{inline(n.children, citations)}</em>;
      case "cite":
        return <Cite key={i} refs={n.refs} citations={citations} />;
      case "link":
        return (
          <a key={i} href={n.href} target="_blank" rel="noreferrer noopener">
            {inline(n.children, citations)}
          </a>
        );
    }
  });
}

/** A fenced block, highlighted by Monaco's tokenizer once the fence is closed. */
function CodeBlock({ language, text, open }: { language: string; text: string; open: boolean }) {
  const [html, setHtml] = useState<string | null>(null);
  const lang = ALIASES[language] ?? language;
  useEffect(() => {
    if (open || !lang) return;
    let live = true;
    // colorize escapes the text and wraps tokens in spans: no model output becomes markup.
    monaco.editor.colorize(text, lang, { tabSize: 4 }).then(
      (h) => live && setHtml(h),
      () => live && setHtml(null),
    );
    return () => {
      live = false;
    };
  }, [text, lang, open]);
  return (
    <pre className="md-code" data-language={lang || undefined} data-testid="chat-code">
      {language && <span className="md-lang">{language}</span>}
      {html !== null && !open ? <code dangerouslySetInnerHTML={{ __html: html }} /> : <code>{text}</code>}
    </pre>
  );
}

function block(b: Block, i: number, citations?: Citations): ReactNode {
  switch (b.kind) {
    case "code":
      return <CodeBlock key={i} language={b.language} text={b.text} open={b.open} />;
    case "heading":
      return (
        <p key={i} className={`md-h md-h${b.level}`}>
          {inline(b.children, citations)}
        </p>
      );
    case "list": {
      const items = b.items.map((item, j) => <li key={j}>{inline(item, citations)}</li>);
      return b.ordered ? <ol key={i}>{items}</ol> : <ul key={i}>{items}</ul>;
    }
    case "paragraph":
      return <p key={i}>{inline(b.children, citations)}</p>;
  }
}

/** An answer as elements; `citations` makes its [n] markers open what they cite. */
export function Markdown({ text, citations }: { text: string; citations?: Citations }) {
  return <div className="md">{parseMarkdown(text).map((b, i) => block(b, i, citations))}</div>;
}
