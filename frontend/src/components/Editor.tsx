import { useEffect, useRef } from "react";

import { monacoLanguage } from "../lib/languages";
import { monaco } from "../monacoSetup";
import { useProjectStore } from "../stores/useProjectStore";

function formatSize(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Monaco, read-only for now: the open file with its language. */
export function Editor() {
  const file = useProjectStore((s) => s.openFile);
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const showText = !!file && !file.binary && !file.too_large && file.content !== null;

  useEffect(() => {
    if (!host.current) return;
    editor.current = monaco.editor.create(host.current, {
      readOnly: true,
      automaticLayout: true,
      minimap: { enabled: false },
      theme: "vs-dark",
      fontSize: 13,
      scrollBeyondLastLine: false,
    });
    return () => {
      editor.current?.getModel()?.dispose();
      editor.current?.dispose();
      editor.current = null;
    };
  }, []);

  useEffect(() => {
    const instance = editor.current;
    if (!instance || !file || !showText) return;
    const previous = instance.getModel();
    instance.setModel(monaco.editor.createModel(file.content ?? "", monacoLanguage(file.language)));
    previous?.dispose();
  }, [file, showText]);

  return (
    <div className="editor-wrap">
      <div className="editor-title" data-testid="editor-path">
        {file ? file.path : "No file open: pick one in the file browser"}
      </div>
      {file && !showText && (
        <div className="editor-message">
          {file.binary ? "Binary file" : "File too large to show"} ({formatSize(file.size)}).
        </div>
      )}
      <div className="editor" data-testid="editor" ref={host} style={{ display: showText ? "block" : "none" }} />
    </div>
  );
}
