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

/** What citation markers [n] point at: a title for those that match an item, and a click. */
export interface Citations {
  /** The item's citation ("src/lib.rs:10-42"), or null when n matches no item. */
  title(n: number): string | null;
  open(n: number): void;
}

function Cite({ refs, citations }: { refs: number[]; citations?: Citations }) {
  const known = refs.map((n) => ({ n, title: citations?.title(n) ?? null }));
  if (!citations || known.every((k) => k.title === null)) return <>{`[${refs.join(", ")}]`}</>;
  return (
    <span className="md-cite">
      [
      {known.map((k, j) => (
        <span key={k.n}>
          {j > 0 && ", "}
          {k.title === null ? (
            String(k.n)
          ) : (
            <a
              href={`#cite-${k.n}`}
              title={k.title}
              data-testid="chat-cite"
              data-n={k.n}
              onClick={(e) => {
                e.preventDefault();
                citations.open(k.n);
              }}
            >
              {k.n}
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
