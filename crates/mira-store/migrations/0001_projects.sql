-- Projects: local directories Mira knows. Every table that holds per-project data
-- references projects(id) ON DELETE CASCADE, so removing a project removes its rows.
CREATE TABLE projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    root_path TEXT NOT NULL UNIQUE,
    is_git INTEGER NOT NULL DEFAULT 0 CHECK (is_git IN (0, 1)),
    created_at TEXT NOT NULL
);
