import { useEffect, useRef, useState } from "react";

import type { Api, BuildError, BuildRun } from "../lib/api";
import { groupByFile, useBuildStore } from "../stores/useBuildStore";
import { useProjectStore } from "../stores/useProjectStore";

interface Props {
  api: Api;
  onError(e: unknown): void;
}

type Tab = "problems" | "output" | "runs";

function seconds(ms: number | null): string {
  return ms === null ? "" : `${(ms / 1000).toFixed(1)} s`;
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

function statusLabel(run: BuildRun): string {
  return run.status.replace(/_/g, " ");
}

function ErrorItem({ error, onOpen }: { error: BuildError; onOpen(e: BuildError): void }) {
  const [showFix, setShowFix] = useState(false);
  const fix = error.known_fixes[0];
  return (
    <li className={`problem problem-${error.severity}`} data-testid="build-error" data-error-id={error.id}>
      <button type="button" className="link problem-main" onClick={() => onOpen(error)} title="Open at this line">
        <span className={`sev sev-${error.severity}`}>{error.severity}</span>
        <span className="problem-msg">{error.message}</span>
        {error.code && <span className="muted small"> {error.code}</span>}
        {error.line !== null && (
          <span className="muted small">
            {" "}
            [{error.line}
            {error.column !== null ? `:${error.column}` : ""}]
          </span>
        )}
      </button>
      <span className="problem-badges">
        {error.recurring && (
          <span className="badge badge-warn" data-testid="recurring" title={`Came back ${error.reopened} time(s) after a fix`}>
            recurring
          </span>
        )}
        {error.run_count > 1 && <span className="badge" title="Runs that reported it">{error.run_count} runs</span>}
        {fix && (
          <button type="button" className="badge badge-fix" data-testid="known-fix" onClick={() => setShowFix(!showFix)}>
            known fix
          </button>
        )}
      </span>
      {showFix && fix && (
        <div className="known-fix" data-testid="known-fix-detail">
          <div className="muted small">
            {fix.commit ? `Fixed before by commit ${fix.commit.slice(0, 10)}` : "Fixed before by a change in the work tree"}
            {fix.files.length > 0 ? ` (${fix.files.join(", ")})` : ""}
          </div>
          {fix.diff && <pre className="diff">{fix.diff}</pre>}
        </div>
      )}
    </li>
  );
}

/** Build and test runs: a command to run, its live output, and the errors it left, by file. */
export function BuildPanel({ api, onError }: Props) {
  const projectId = useProjectStore((s) => s.selectedId);
  const { runs, errors, activeRunId, output, command, error } = useBuildStore();
  const [tab, setTab] = useState<Tab>("problems");
  const outputRef = useRef<HTMLPreElement>(null);
  const active = runs.find((r) => r.id === activeRunId) ?? null;
  const running = runs.find((r) => r.status === "running") ?? null;
  const text = activeRunId === null ? "" : (output[activeRunId] ?? "");

  useEffect(() => {
    if (projectId !== null) useBuildStore.getState().load(api, projectId).catch(onError);
  }, [api, projectId, onError]);

  useEffect(() => {
    // Follow the output as it arrives, like a terminal.
    const el = outputRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [text, tab]);

  if (projectId === null) return <div className="panel-body pad muted">No project.</div>;

  const start = () => {
    setTab("output");
    useBuildStore.getState().run(api, projectId).catch(onError);
  };
  const openError = (e: BuildError) => {
    if (!e.file) return;
    useProjectStore.getState().reveal(api, { path: e.file, line: e.line ?? 1, column: e.column ?? 1 }).catch(onError);
  };
  const groups = groupByFile(errors);

  return (
    <div className="panel-body build-panel" data-testid="build-panel">
      <form
        className="build-form"
        onSubmit={(ev) => {
          ev.preventDefault();
          start();
        }}
      >
        <input
          aria-label="Build command"
          data-testid="build-command"
          placeholder="cargo test, npm run lint, pytest ..."
          value={command}
          onChange={(ev) => useBuildStore.getState().setCommand(ev.target.value)}
        />
        <button type="submit" data-testid="build-run" disabled={running !== null}>
          Run
        </button>
        {running && (
          <button
            type="button"
            data-testid="build-cancel"
            onClick={() => useBuildStore.getState().cancel(api, projectId, running.id).catch(onError)}
          >
            Stop
          </button>
        )}
      </form>
      <div className="tabs" role="tablist">
        {(["problems", "output", "runs"] as Tab[]).map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            className={tab === t ? "tab on" : "tab"}
            data-testid={`build-tab-${t}`}
            onClick={() => setTab(t)}
          >
            {t === "problems" ? `Problems (${errors.length})` : t === "output" ? "Output" : "Runs"}
          </button>
        ))}
        {active && (
          <span className="muted small run-status" data-testid="build-status" data-status={active.status}>
            run {active.id}: {statusLabel(active)} {seconds(active.duration_ms)} ({count(active.errors, "error")},{" "}
            {count(active.warnings, "warning")})
          </span>
        )}
      </div>
      {error && <div className="pad status-error">{error}</div>}
      {tab === "problems" && (
        <div className="scroll" data-testid="build-problems">
          {groups.length === 0 && (
            <div className="pad muted" data-testid="build-empty">
              No open errors. Run a build or test command above: errors it reports are listed here by file and marked in the editor.
            </div>
          )}
          {groups.map((g) => (
            <div key={g.file} className="problem-group" data-file={g.file}>
              <h3>
                {g.file} <span className="muted small">{g.errors.length}</span>
              </h3>
              <ul className="problems">
                {g.errors.map((e) => (
                  <ErrorItem key={e.id} error={e} onOpen={openError} />
                ))}
              </ul>
            </div>
          ))}
        </div>
      )}
      {tab === "output" && (
        <pre className="build-output scroll" data-testid="build-output" ref={outputRef}>
          {activeRunId === null
            ? "No run yet. Type a build or test command above (cargo build, npm test, pytest, go vet ./...) and press Run: its output streams here and its errors are listed under Problems."
            : text}
        </pre>
      )}
      {tab === "runs" && (
        <ul className="scroll runs" data-testid="build-runs">
          {runs.map((r) => (
            <li key={r.id}>
              <button
                type="button"
                className="link"
                onClick={() => {
                  setTab("output");
                  useBuildStore.getState().showRun(api, projectId, r.id).catch(onError);
                }}
              >
                #{r.id} {r.command_line}
              </button>{" "}
              <span className={`badge status-${r.status}`}>{statusLabel(r)}</span>{" "}
              <span className="muted small">
                {new Date(r.started_at).toLocaleString()} {seconds(r.duration_ms)} {r.errors} err {r.warnings} warn
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
