import { useEffect, useRef } from "react";

import { monaco } from "../monacoSetup";
import type { Conflict } from "../stores/useEditorStore";

interface Props {
  conflict: Conflict;
  language: string;
  onKeepMine(): void;
  onTakeDisk(): void;
}

/**
 * A save was refused because the file changed on disk: the disk's version (left) beside
 * one's own (right), and the two ways out. Nothing is written until one is chosen.
 */
export function ConflictView({ conflict, language, onKeepMine, onTakeDisk }: Props) {
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!host.current) return;
    const diff = monaco.editor.createDiffEditor(host.current, {
      readOnly: true,
      originalEditable: false,
      automaticLayout: true,
      renderSideBySide: true,
      minimap: { enabled: false },
      theme: "vs-dark",
      fontSize: 13,
      scrollBeyondLastLine: false,
    });
    const original = monaco.editor.createModel(conflict.disk.content ?? "", language);
    const modified = monaco.editor.createModel(conflict.mine, language);
    diff.setModel({ original, modified });
    return () => {
      diff.dispose();
      original.dispose();
      modified.dispose();
    };
  }, [conflict, language]);

  const disk = !conflict.disk.exists
    ? "The file was deleted on disk."
    : conflict.disk.content === null
      ? "The file on disk is no longer text."
      : "Left: on disk now. Right: your version.";
  return (
    <div className="conflict" data-testid="conflict-view">
      <div className="conflict-bar">
        <span>
          <strong>{conflict.path} changed on disk since you opened it.</strong> Nothing was written. {disk}
        </span>
        <span className="conflict-actions">
          <button type="button" className="toggle" data-testid="conflict-keep-mine" onClick={onKeepMine}>
            Keep mine (overwrite)
          </button>
          <button type="button" className="toggle" data-testid="conflict-take-disk" onClick={onTakeDisk}>
            Take disk version
          </button>
        </span>
      </div>
      <div className="conflict-diff" data-testid="conflict-diff" ref={host} />
    </div>
  );
}
