-- Code intelligence: the files of a project with their content hash, the symbols they
-- define (code_elements), their imports, and the call graph. Owned by mira-code.

-- Every file the indexer looked at. A skipped file (vendored, generated, minified,
-- binary, too large) has a skip_reason and no symbols.
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    path TEXT NOT NULL,               -- relative to the project root, '/'-separated
    language TEXT,                    -- rust, python, typescript, tsx, javascript, go
    module TEXT,                      -- the module's qualified name
    content_hash TEXT NOT NULL,       -- sha256 of the bytes; '' for skipped files
    size_bytes INTEGER NOT NULL,
    line_count INTEGER NOT NULL,
    error_lines TEXT NOT NULL DEFAULT '',  -- comma-separated lines with syntax errors
    has_tests INTEGER NOT NULL DEFAULT 0 CHECK (has_tests IN (0, 1)),
    -- Counts of the file's rows, kept so a summary need not scan the big tables.
    symbols INTEGER NOT NULL DEFAULT 0,
    edges_exact INTEGER NOT NULL DEFAULT 0,
    edges_probable INTEGER NOT NULL DEFAULT 0,
    edges_external INTEGER NOT NULL DEFAULT 0,
    edges_unresolved INTEGER NOT NULL DEFAULT 0,
    skip_reason TEXT,
    indexed_at INTEGER NOT NULL,      -- seconds since the epoch
    UNIQUE (project_id, path)
);

CREATE TABLE code_elements (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    parent_id INTEGER REFERENCES code_elements(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,               -- module, class, struct, enum, trait, interface, impl,
                                      -- function, method, constant, type_alias, field
    name TEXT NOT NULL,
    qualified_name TEXT NOT NULL,     -- crate::a::Type::method, pkg.mod.Class.method, ...
    start_line INTEGER NOT NULL,      -- 1-based
    start_col INTEGER NOT NULL,       -- 0-based, bytes
    end_line INTEGER NOT NULL,
    end_col INTEGER NOT NULL,
    signature TEXT NOT NULL,
    doc TEXT,
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'restricted', 'private')),
    bases TEXT NOT NULL DEFAULT '',   -- newline-separated, as written
    type_ref TEXT,                    -- return type of a function, declared type of a field
    is_test INTEGER NOT NULL CHECK (is_test IN (0, 1))
);
CREATE INDEX code_elements_by_file ON code_elements (file_id);
-- Deleting a file's elements cascades to their children: find them without a scan.
CREATE INDEX code_elements_by_parent ON code_elements (parent_id);
CREATE INDEX code_elements_by_name ON code_elements (project_id, name);
CREATE INDEX code_elements_by_qualified_name ON code_elements (project_id, qualified_name);

CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    module TEXT NOT NULL,             -- as written (relative forms kept)
    name TEXT,                        -- the item imported; NULL when the module itself is
    alias TEXT NOT NULL,              -- the local name bound
    line INTEGER NOT NULL,
    reexport INTEGER NOT NULL CHECK (reexport IN (0, 1)),
    scope TEXT NOT NULL               -- the module the binding belongs to
);
CREATE INDEX imports_by_file ON imports (file_id);

-- One row per call site. The callee is a qualified name (exact, probable), an external
-- path (external), or the call as written (unresolved); edges belong to the file of the
-- call site and are replaced when that file, or a definition it depends on, changes.
CREATE TABLE call_graph (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    caller TEXT NOT NULL,
    callee TEXT NOT NULL,
    callee_name TEXT NOT NULL,        -- the simple name called
    callee_kind TEXT,                 -- kind of the definition, NULL when not in the project
    resolution TEXT NOT NULL CHECK (resolution IN ('exact', 'probable', 'external', 'unresolved')),
    line INTEGER NOT NULL,
    col INTEGER NOT NULL
);
CREATE INDEX call_graph_by_callee ON call_graph (project_id, callee);
CREATE INDEX call_graph_by_caller ON call_graph (project_id, caller);
CREATE INDEX call_graph_by_name ON call_graph (project_id, callee_name);
CREATE INDEX call_graph_by_file ON call_graph (file_id);

-- The file watcher's audit trail: every change it saw, and whether re-indexing the
-- batch it came in changed the index (a save of identical bytes is seen, not re-parsed).
CREATE TABLE local_changes (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('created', 'modified', 'removed', 'renamed')),
    detected_at INTEGER NOT NULL,     -- milliseconds since the epoch
    reindexed INTEGER NOT NULL CHECK (reindexed IN (0, 1))
);
CREATE INDEX local_changes_by_time ON local_changes (project_id, detected_at);
