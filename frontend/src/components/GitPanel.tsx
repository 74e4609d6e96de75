import type { Api } from "../lib/api";
import { useGitStore } from "../stores/useGitStore";
import { useProjectStore } from "../stores/useProjectStore";
import { EmptyState } from "./EmptyState";

interface Props {
  api: Api;
  onError(e: unknown): void;
}

function day(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** Git insights for the open file: files that change with it, its experts, its history. */
export function GitPanel({ api, onError }: Props) {
  const projectId = useProjectStore((s) => s.selectedId);
  const file = useProjectStore((s) => s.openFile);
  const { cochange, experts, history, loading, error, projectIndexed } = useGitStore();
  const isGit = useProjectStore((s) => s.projects.find((p) => p.id === s.selectedId)?.is_git ?? true);

  const indexHistory = () => {
    if (projectId !== null) api.gitIndex(projectId).catch(onError);
  };
  const open = (path: string) => {
    useProjectStore.getState().open(api, path).catch(onError);
  };

  if (!isGit) {
    return (
      <div className="panel-body" data-testid="git-panel">
        <EmptyState
          testid="git-empty"
          title="Not a git repository."
          detail="Co-change, experts, history and blame come from a project's git history; run git init and commit to get them."
        />
      </div>
    );
  }
  if (!file) {
    return (
      <div className="panel-body" data-testid="git-panel">
        <EmptyState testid="git-empty" title="No file open." detail="Open a file to see what changes with it, who knows it and its history." />
      </div>
    );
  }
  const indexed = history.length > 0;
  const notIndexed = !indexed && !loading && !error && projectIndexed === false;
  return (
    <div className="panel-body scroll git-panel" aria-label="Git insights" data-testid="git-panel">
      {notIndexed ? (
        <EmptyState
          testid="git-empty"
          title="No history indexed yet."
          detail="Indexing reads the project's commits once (then only new ones) for co-change, experts, history and blame."
          action={{ label: "Index git history", testid: "git-index", onClick: indexHistory }}
        />
      ) : (
        <div className="git-actions">
          <button type="button" data-testid="git-index" onClick={indexHistory}>
            {projectIndexed ? "Re-index history" : "Index git history"}
          </button>
          {loading && <span className="muted">loading...</span>}
        </div>
      )}
      {error && <div className="pad status-error">{error}</div>}
      {!indexed && !loading && !error && projectIndexed && (
        <EmptyState
          testid="git-file-empty"
          title="No commit touches this file."
          detail="It is new or untracked, or its commits are not indexed yet (Re-index history reads new ones)."
        />
      )}
      {indexed && (
        <>
          <h3>Changes with {file.path}</h3>
          {cochange.length === 0 && <div className="pad muted">No file changes with it often enough.</div>}
          <ul className="git-list" data-testid="cochange-list">
            {cochange.map((s) => (
              <li key={s.file} data-testid="cochange-item" data-file={s.file}>
                <button type="button" className="link" onClick={() => open(s.file)}>
                  {s.file}
                </button>
                <span className="badge">{percent(s.confidence)}</span>
                <div className="muted small">{s.evidence}</div>
              </li>
            ))}
          </ul>
          <h3>Experts</h3>
          {experts.length === 0 && (
            <div className="pad muted small" data-testid="experts-empty">
              Only bulk commits (many files at once), merges or bots changed this file, and those count toward no one&apos;s expertise.
            </div>
          )}
          <ul className="git-list" data-testid="experts-list">
            {experts.map((e) => (
              <li key={e.email} title={`${e.email}: commits ${percent(e.commit_part)}, lines ${percent(e.lines_part)}, recency ${percent(e.recency_part)}`}>
                <div className="expert-row">
                  <span className="expert-name">{e.name}</span>
                  <span className="muted small">{e.score.toFixed(0)}</span>
                </div>
                <div className="bar" aria-hidden="true">
                  {/* The three parts of the score, side by side: they add up to it. */}
                  <span className="bar-commits" style={{ width: `${40 * e.commit_part}%` }} />
                  <span className="bar-lines" style={{ width: `${30 * e.lines_part}%` }} />
                  <span className="bar-recency" style={{ width: `${30 * e.recency_part}%` }} />
                </div>
              </li>
            ))}
          </ul>
          <h3>History</h3>
          <ul className="git-list" data-testid="history-list">
            {history.map((c) => (
              <li key={c.sha} title={c.sha}>
                <code>{c.sha.slice(0, 8)}</code> <span className="muted small">{day(c.authored_at)}</span> {c.summary}
                <div className="muted small">
                  {c.author_name}
                  {c.status === "R" && c.path ? ` (as ${c.path})` : ""}
                  {c.lines_added !== null ? ` +${c.lines_added} -${c.lines_removed}` : ""}
                </div>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
