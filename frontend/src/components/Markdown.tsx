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

function inline(nodes: Inline[]): ReactNode[] {
  return nodes.map((n, i) => {
    switch (n.kind) {
      case "text":
        return n.text;
      case "code":
        return <code key={i}>{n.text}</code>;
      case "strong":
        return <strong key={i}>{inline(n.children)}</strong>;
      case "em":
        return <em key={i}>{inline(n.children)}</em>;
      case "link":
        return (
          <a key={i} href={n.href} target="_blank" rel="noreferrer noopener">
            {inline(n.children)}
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

function block(b: Block, i: number): ReactNode {
  switch (b.kind) {
    case "code":
      return <CodeBlock key={i} language={b.language} text={b.text} open={b.open} />;
    case "heading":
      return (
        <p key={i} className={`md-h md-h${b.level}`}>
          {inline(b.children)}
        </p>
      );
    case "list": {
      const items = b.items.map((item, j) => <li key={j}>{inline(item)}</li>);
      return b.ordered ? <ol key={i}>{items}</ol> : <ul key={i}>{items}</ul>;
    }
    case "paragraph":
      return <p key={i}>{inline(b.children)}</p>;
  }
}

export function Markdown({ text }: { text: string }) {
  return <div className="md">{parseMarkdown(text).map(block)}</div>;
}
