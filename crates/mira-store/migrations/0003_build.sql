-- Build system integration: runs of build and test commands with their raw logs, the
-- errors they reported (deduplicated across runs), and what fixed them. Owned by
-- mira-build.

CREATE TABLE build_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    command TEXT NOT NULL,             -- JSON array: the program and its arguments
    command_line TEXT NOT NULL,        -- the same, shell-quoted; runs of one command line in one dir resolve each other's errors
    dir TEXT NOT NULL DEFAULT '',      -- where it ran, relative to the project root ('' = the root)
    tool TEXT,                         -- detected from the command, else from the output
    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'failed_to_start', 'interrupted')),
    exit_code INTEGER,
    failure TEXT,                      -- why it could not start or did not finish
    started_at INTEGER NOT NULL,       -- milliseconds since the epoch
    finished_at INTEGER,
    duration_ms INTEGER,
    commit_sha TEXT,                   -- HEAD when the run started (NULL outside git)
    dirty INTEGER CHECK (dirty IN (0, 1)),
    errors INTEGER NOT NULL DEFAULT 0,
    warnings INTEGER NOT NULL DEFAULT 0,
    infos INTEGER NOT NULL DEFAULT 0,
    log_bytes INTEGER NOT NULL DEFAULT 0,   -- bytes of output, including any cut from the stored log
    log_truncated INTEGER NOT NULL DEFAULT 0 CHECK (log_truncated IN (0, 1))
);
CREATE INDEX build_runs_by_project ON build_runs (project_id, id);
CREATE INDEX build_runs_by_command ON build_runs (project_id, command_line, dir, id);

-- The output as the terminal showed it (stdout and stderr interleaved).
CREATE TABLE build_logs (
    run_id INTEGER PRIMARY KEY REFERENCES build_runs(id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    content BLOB NOT NULL
);

-- One row per distinct error: a hash of tool, code, normalised message and file.
CREATE TABLE build_errors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    error_hash TEXT NOT NULL,
    tool TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
    code TEXT,
    message TEXT NOT NULL,             -- as last reported
    normalized TEXT NOT NULL,          -- the message with quoted names, paths and numbers replaced
    fingerprint TEXT NOT NULL,         -- mira_git::fixes::fingerprint of the error text, shared with historical_fixes
    file TEXT,
    line INTEGER,                      -- where it was last reported
    column INTEGER,
    occurrences INTEGER NOT NULL,      -- every report, over all runs
    run_count INTEGER NOT NULL,        -- runs that reported it
    first_seen_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    first_run_id INTEGER NOT NULL REFERENCES build_runs(id) ON DELETE CASCADE,
    last_run_id INTEGER NOT NULL REFERENCES build_runs(id) ON DELETE CASCADE,
    resolved_run_id INTEGER REFERENCES build_runs(id) ON DELETE SET NULL,   -- NULL while it is still reported
    resolved_at INTEGER,
    reopened INTEGER NOT NULL DEFAULT 0,   -- times it came back after being resolved: recurring when > 0
    UNIQUE (project_id, error_hash)
);
CREATE INDEX build_errors_open ON build_errors (project_id, resolved_at, last_seen_at);

-- Each report of an error in a run, with the whole diagnostic (notes, related places).
CREATE TABLE build_error_occurrences (
    run_id INTEGER NOT NULL REFERENCES build_runs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,              -- order in the run's output
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    error_id INTEGER NOT NULL REFERENCES build_errors(id) ON DELETE CASCADE,
    line INTEGER,
    column INTEGER,
    diagnostic TEXT NOT NULL,          -- JSON, the parser's shape
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX build_error_occurrences_by_error ON build_error_occurrences (error_id, run_id);

-- Contents of the files that had errors, as they were at a run, to show what changed
-- when an error goes away. Stored once per content hash.
CREATE TABLE build_file_contents (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    content_hash TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (project_id, content_hash)
) WITHOUT ROWID;

CREATE TABLE build_file_snapshots (
    run_id INTEGER NOT NULL REFERENCES build_runs(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    content_hash TEXT NOT NULL,
    PRIMARY KEY (run_id, path)
) WITHOUT ROWID;

-- An error that a later run of the same command no longer reported, and what changed in
-- between: the commits, the files, and the diff of the error's file.
CREATE TABLE error_resolutions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    error_id INTEGER NOT NULL REFERENCES build_errors(id) ON DELETE CASCADE,
    failing_run_id INTEGER NOT NULL REFERENCES build_runs(id) ON DELETE CASCADE,
    fixing_run_id INTEGER NOT NULL REFERENCES build_runs(id) ON DELETE CASCADE,
    from_commit TEXT,
    to_commit TEXT,
    commits TEXT NOT NULL,             -- JSON array of the commits between the two runs, oldest first
    files TEXT NOT NULL,               -- JSON array of the files that changed between them
    diff TEXT,                         -- unified diff of the error's file from the failing run to the fixing one
    resolved_at INTEGER NOT NULL,
    UNIQUE (error_id, fixing_run_id)
);
CREATE INDEX error_resolutions_by_error ON error_resolutions (error_id);
