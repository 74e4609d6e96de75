import { useMemo } from "react";

import { parseUnifiedDiff } from "../lib/diff";

/** A unified diff as lines coloured by kind, with old and new line numbers. */
export function DiffView({ diff }: { diff: string }) {
  const files = useMemo(() => parseUnifiedDiff(diff), [diff]);
  if (files.length === 0) return <pre className="diff muted">{diff || "(empty diff)"}</pre>;
  return (
    <div className="diff" data-testid="diff">
      {files.map((f, i) => (
        <div key={i} className="diff-file">
          {files.length > 1 && <div className="diff-path">{f.newPath ?? f.oldPath}</div>}
          {f.hunks.map((h, j) => (
            <div key={j} className="diff-hunk">
              <div className="diff-line diff-header">{h.header}</div>
              {h.lines.map((l, k) => (
                <div key={k} className={`diff-line diff-${l.kind}`} data-kind={l.kind}>
                  <span className="diff-no">{l.oldLine ?? ""}</span>
                  <span className="diff-no">{l.newLine ?? ""}</span>
                  <span className="diff-sign">{l.kind === "add" ? "+" : l.kind === "del" ? "-" : " "}</span>
                  <span className="diff-text">{l.text}</span>
                </div>
              ))}
            </div>
          ))}
        </div>
      ))}
    </div>
  );
}
