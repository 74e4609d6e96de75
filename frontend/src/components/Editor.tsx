import { useCallback, useEffect, useRef, useState } from "react";

import type { Api } from "../lib/api";
import { fileNotice } from "../lib/fileNotice";
import { monacoLanguage } from "../lib/languages";
import { monaco } from "../monacoSetup";
import { useBuildStore } from "../stores/useBuildStore";
import { useEditorStore } from "../stores/useEditorStore";
import { useGitStore } from "../stores/useGitStore";
import { useProjectStore } from "../stores/useProjectStore";
import { ConflictView } from "./ConflictView";

/**
 * Monaco on the open file: edits are saved with Ctrl+S / Cmd+S over the version that was
 * opened (a file changed on disk meanwhile opens the conflict view instead), build errors
 * show as markers and blame on demand.
 */
export function Editor({ api, onError }: { api: Api; onError(e: unknown): void }) {
  const file = useProjectStore((s) => s.openFile);
  const projectId = useProjectStore((s) => s.selectedId);
  const blame = useGitStore((s) => s.blame);
  const showBlame = useGitStore((s) => s.showBlame);
  const buildErrors = useBuildStore((s) => s.errors);
  const focus = useProjectStore((s) => s.focus);
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const decorations = useRef<monaco.editor.IEditorDecorationsCollection | null>(null);
  const notice = file ? fileNotice(file) : null;
  const showText = !!file && notice === null;
  const [cursorLine, setCursorLine] = useState<number | null>(null);
  const dirty = useEditorStore((s) => s.dirty);
  const saving = useEditorStore((s) => s.saving);
  const conflict = useEditorStore((s) => s.conflict);
  /** Monaco's version of the text last saved or opened; undoing back to it is clean again. */
  const savedVersion = useRef(0);

  useEffect(() => {
    if (!host.current) return;
    editor.current = monaco.editor.create(host.current, {
      automaticLayout: true,
      minimap: { enabled: false },
      theme: "vs-dark",
      fontSize: 13,
      scrollBeyondLastLine: false,
      // Build errors are squiggles (validation decorations): shown whatever the mode.
      renderValidationDecorations: "on",
    });
    // The selection goes with chat questions (grounding); the cursor line shows in the title.
    const selection = editor.current.onDidChangeCursorSelection((e) => {
      const sel = e.selection;
      setCursorLine(sel.positionLineNumber);
      useProjectStore.setState({ selection: sel.isEmpty() ? null : { start_line: sel.startLineNumber, end_line: sel.endLineNumber } });
    });
    return () => {
      selection.dispose();
      editor.current?.getModel()?.dispose();
      editor.current?.dispose();
      editor.current = null;
    };
  }, []);

  useEffect(() => {
    const instance = editor.current;
    if (!instance || !file || !showText) return;
    const previous = instance.getModel();
    const model = monaco.editor.createModel(file.content ?? "", monacoLanguage(file.language));
    instance.setModel(model);
    previous?.dispose();
    useEditorStore.getState().opened(file);
    savedVersion.current = model.getAlternativeVersionId();
    const changed = model.onDidChangeContent(() => {
      useEditorStore.getState().setDirty(model.getAlternativeVersionId() !== savedVersion.current);
    });
    return () => changed.dispose();
  }, [file, showText]);

  const save = useCallback(async () => {
    const model = editor.current?.getModel();
    if (!model || !showText || projectId === null) return;
    // The version being written: edits typed while the save is on the way stay unsaved.
    const version = model.getAlternativeVersionId();
    try {
      if (await useEditorStore.getState().save(api, projectId, model.getValue())) {
        savedVersion.current = version;
        useEditorStore.getState().setDirty(model.getAlternativeVersionId() !== version);
      }
    } catch (e) {
      onError(e);
    }
  }, [api, onError, projectId, showText]);

  useEffect(() => {
    // Ctrl+S / Cmd+S anywhere on the page, captured before Monaco and the browser's own
    // "save page" see it.
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.shiftKey || e.altKey || e.key.toLowerCase() !== "s") return;
      e.preventDefault();
      e.stopPropagation();
      void save();
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, [save]);

  const keepMine = async () => {
    const model = editor.current?.getModel();
    if (!model || projectId === null) return;
    const version = model.getAlternativeVersionId();
    try {
      if (await useEditorStore.getState().keepMine(api, projectId)) {
        savedVersion.current = version;
        useEditorStore.getState().setDirty(false);
      }
    } catch (e) {
      onError(e);
    }
  };

  const takeDisk = () => {
    const model = editor.current?.getModel();
    const text = useEditorStore.getState().takeDisk();
    if (!model || text === null) return;
    // An edit rather than a new model: Ctrl+Z brings one's own text back.
    model.pushEditOperations([], [{ range: model.getFullModelRange(), text }], () => null);
    savedVersion.current = model.getAlternativeVersionId();
    useEditorStore.getState().setDirty(false);
  };

  useEffect(() => {
    // Open build errors of this file as markers: squiggles, hover text, the overview ruler,
    // and F8 / Shift+F8 to go from one to the next.
    const model = editor.current?.getModel();
    if (!model || !file) return;
    const severity = { error: monaco.MarkerSeverity.Error, warning: monaco.MarkerSeverity.Warning, info: monaco.MarkerSeverity.Info };
    const markers = buildErrors
      .filter((e) => e.file === file.path && e.line !== null && e.line <= model.getLineCount())
      .map((e) => {
        const line = e.line ?? 1;
        const start = Math.min(e.column ?? 1, model.getLineMaxColumn(line));
        const end = e.column === null ? model.getLineMaxColumn(line) : Math.max(start + 1, model.getWordAtPosition({ lineNumber: line, column: start })?.endColumn ?? start + 1);
        return {
          severity: severity[e.severity],
          message: e.code ? `${e.message} [${e.code}]` : e.message,
          source: e.tool,
          startLineNumber: line,
          startColumn: start,
          endLineNumber: line,
          endColumn: end,
        };
      });
    monaco.editor.setModelMarkers(model, "mira-build", markers);
  }, [buildErrors, file, showText]);

  useEffect(() => {
    const instance = editor.current;
    if (!instance || !file || !focus || focus.path !== file.path) return;
    instance.revealLineInCenter(focus.line);
    instance.setPosition({ lineNumber: focus.line, column: focus.column });
    instance.focus();
  }, [focus, file]);

  useEffect(() => {
    const instance = editor.current;
    if (!instance) return;
    decorations.current?.clear();
    if (!showBlame || blame.length === 0) return;
    // One annotation at the start of each line: commit, author, date, like a gutter.
    decorations.current = instance.createDecorationsCollection(
      blame.map((b) => ({
        range: new monaco.Range(b.line, 1, b.line, 1),
        options: {
          showIfCollapsed: true,
          before: {
            content: `${b.commit.slice(0, 7)} ${b.author_name.slice(0, 14).padEnd(14)} ${new Date(b.authored_at * 1000).toISOString().slice(0, 10)} `,
            inlineClassName: "blame-inline",
          },
          hoverMessage: { value: `${b.commit.slice(0, 10)} ${b.author_name} <${b.author_email}>: ${b.summary}` },
        },
      })),
    );
  }, [blame, showBlame, file]);

  return (
    <div className="editor-wrap">
      <div className="editor-title">
        <span className="editor-name">
          {showText && dirty && (
            <span className="dirty-dot" data-testid="editor-dirty" title="Unsaved changes (Ctrl+S saves)" aria-label="unsaved changes">
              {"\u25cf"}
            </span>
          )}
          <span data-testid="editor-path">{file ? file.path : "No file open: pick one in the file browser"}</span>
        </span>
        {showText && cursorLine !== null && (
          <span className="muted small" data-testid="editor-cursor" data-line={cursorLine}>
            Ln {cursorLine}
          </span>
        )}
        {showText && projectId !== null && (
          <button
            type="button"
            className="toggle"
            data-testid="editor-save"
            disabled={!dirty || saving || !!conflict}
            title="Save (Ctrl+S)"
            onClick={() => void save()}
          >
            {saving ? "Saving..." : "Save"}
          </button>
        )}
        {showText && projectId !== null && (
          <button
            type="button"
            className={showBlame ? "toggle on" : "toggle"}
            data-testid="blame-toggle"
            onClick={() => useGitStore.getState().toggleBlame(api, projectId).catch(onError)}
          >
            Blame
          </button>
        )}
      </div>
      {file && notice !== null && <div className="editor-message">{notice}</div>}
      {showText && conflict && conflict.path === file?.path && (
        <ConflictView conflict={conflict} language={monacoLanguage(file.language)} onKeepMine={() => void keepMine()} onTakeDisk={takeDisk} />
      )}
      <div className="editor" data-testid="editor" ref={host} style={{ display: showText && !conflict ? "block" : "none" }} />
    </div>
  );
}
