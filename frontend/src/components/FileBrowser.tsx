import type { Api, CodeFile, TreeEntry } from "../lib/api";
import { useCodeStore } from "../stores/useCodeStore";
import { useProjectStore } from "../stores/useProjectStore";
import { EmptyState } from "./EmptyState";

interface Props {
  api: Api;
  onError(e: unknown): void;
}

function formatSize(bytes: number | undefined): string {
  if (bytes === undefined) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** What the code index knows of a file: language, symbols, tests, parse problems, or why it was skipped. */
function Tags({ tags }: { tags: CodeFile | undefined }) {
  if (!tags) return null;
  if (tags.skip_reason) {
    return (
      <span className="tags muted" data-testid="file-tags" title={`Not indexed: ${tags.skip_reason}`}>
        skipped
      </span>
    );
  }
  const problems = tags.error_lines.length;
  return (
    <span className="tags" data-testid="file-tags" title={`${tags.language ?? "text"}: ${tags.symbols} symbols`}>
      {tags.language && <span className="tag">{tags.language}</span>}
      <span className="tag">{tags.symbols}</span>
      {tags.has_tests && <span className="tag tag-test">test</span>}
      {problems > 0 && (
        <span className="tag tag-problem" title={`Does not parse at line(s) ${tags.error_lines.join(", ")}`}>
          !{problems}
        </span>
      )}
    </span>
  );
}

function Entries({ dir, depth, api, onError }: { dir: string; depth: number } & Props) {
  const tree = useProjectStore((s) => s.trees[dir]);
  const expanded = useProjectStore((s) => s.expanded);
  const openPath = useProjectStore((s) => s.openFile?.path ?? null);
  const toggle = useProjectStore((s) => s.toggle);
  const open = useProjectStore((s) => s.open);
  const tags = useCodeStore((s) => s.files);
  if (!tree) return depth === 0 ? <div className="muted pad">Loading...</div> : null;
  if (depth === 0 && tree.entries.length === 0) {
    return <EmptyState testid="files-empty" title="This project's directory is empty." detail="Files appear here as they are created." />;
  }

  const click = (entry: TreeEntry) => {
    const action = entry.kind === "dir" ? toggle(api, entry.path) : open(api, entry.path);
    action.catch(onError);
  };

  return (
    <ul className="tree" role={depth === 0 ? "tree" : "group"}>
      {tree.entries.map((entry) => (
        <li key={entry.path} role="treeitem" aria-expanded={entry.kind === "dir" ? !!expanded[entry.path] : undefined}>
          <button
            type="button"
            className={`tree-row ${openPath === entry.path ? "selected" : ""}`}
            style={{ paddingLeft: 8 + depth * 14 }}
            data-testid="tree-entry"
            data-path={entry.path}
            data-kind={entry.kind}
            title={entry.path}
            onClick={() => click(entry)}
          >
            <span className="tree-icon">{entry.kind === "dir" ? (expanded[entry.path] ? "\u25BE" : "\u25B8") : ""}</span>
            <span className="tree-name">{entry.name}</span>
            {entry.kind === "file" && <Tags tags={tags[entry.path]} />}
            {entry.kind === "file" && <span className="tree-size">{formatSize(entry.size)}</span>}
          </button>
          {entry.kind === "dir" && expanded[entry.path] && (
            <Entries dir={entry.path} depth={depth + 1} api={api} onError={onError} />
          )}
        </li>
      ))}
      {tree.truncated && <li className="muted pad">(more entries not shown)</li>}
    </ul>
  );
}

export function FileBrowser({ api, onError }: Props) {
  const hasProject = useProjectStore((s) => s.selectedId !== null);
  if (!hasProject) {
    return (
      <div className="panel-body">
        <EmptyState testid="files-empty" title="No project yet." detail="Add a directory with Add project at the top; its files show here." />
      </div>
    );
  }
  return (
    <div className="panel-body scroll" aria-label="Files">
      <Entries dir="" depth={0} api={api} onError={onError} />
    </div>
  );
}
