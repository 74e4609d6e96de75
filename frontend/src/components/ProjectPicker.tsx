import { useState } from "react";

import type { Api } from "../lib/api";
import { useProjectStore } from "../stores/useProjectStore";

interface Props {
  api: Api;
  onError(e: unknown): void;
}

/** The open project, a switch between the registered ones, and a form to add one by path. */
export function ProjectPicker({ api, onError }: Props) {
  const projects = useProjectStore((s) => s.projects);
  const selectedId = useProjectStore((s) => s.selectedId);
  const [adding, setAdding] = useState(false);
  const [path, setPath] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  const add = async () => {
    if (!path.trim()) return;
    setProblem(null);
    try {
      await useProjectStore.getState().add(api, path);
      setAdding(false);
      setPath("");
    } catch (e) {
      // The server says why (no such directory, already registered): shown by the form.
      setProblem(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <>
      {projects.length > 0 ? (
        <select
          aria-label="Project"
          data-testid="project-select"
          value={selectedId ?? ""}
          onChange={(e) => useProjectStore.getState().select(api, Number(e.target.value)).catch(onError)}
        >
          {projects.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      ) : (
        <span className="muted">no project</span>
      )}
      {adding ? (
        <form
          className="add-project"
          onSubmit={(e) => {
            e.preventDefault();
            void add();
          }}
        >
          <input
            autoFocus
            aria-label="Project directory"
            data-testid="project-path"
            placeholder="/absolute/path/to/a/repository"
            value={path}
            onChange={(e) => setPath(e.target.value)}
          />
          <button type="submit" data-testid="project-add-submit" disabled={!path.trim()}>
            Add
          </button>
          <button type="button" onClick={() => setAdding(false)}>
            Cancel
          </button>
          {problem && (
            <span className="status-error small" data-testid="project-add-error">
              {problem}
            </span>
          )}
        </form>
      ) : (
        <button type="button" data-testid="project-add" title="Register another directory as a project" onClick={() => setAdding(true)}>
          Add project
        </button>
      )}
    </>
  );
}
