import type { Api, TreeEntry } from "../lib/api";
import { useProjectStore } from "../stores/useProjectStore";

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

function Entries({ dir, depth, api, onError }: { dir: string; depth: number } & Props) {
  const tree = useProjectStore((s) => s.trees[dir]);
  const expanded = useProjectStore((s) => s.expanded);
  const openPath = useProjectStore((s) => s.openFile?.path ?? null);
  const toggle = useProjectStore((s) => s.toggle);
  const open = useProjectStore((s) => s.open);
  if (!tree) return depth === 0 ? <div className="muted pad">Loading...</div> : null;

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
  return (
    <div className="panel-body scroll" aria-label="Files">
      <Entries dir="" depth={0} api={api} onError={onError} />
    </div>
  );
}
