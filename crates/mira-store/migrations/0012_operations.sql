-- Agent operations (mira-agent): a task run as a loop of model calls with tools, its
-- events, the file changes it proposed (artifacts) and the checkpoints taken before
-- each change, so any change can be reviewed and rewound byte-exact.

CREATE TABLE operations (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    task TEXT NOT NULL,
    mode TEXT NOT NULL,               -- ask | auto
    status TEXT NOT NULL,             -- running | complete | cancelled | failed | step_limit
    provider TEXT,                    -- of the last model call
    model TEXT,
    steps INTEGER NOT NULL DEFAULT 0,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    summary TEXT,                     -- the model's final words
    created_at INTEGER NOT NULL,      -- milliseconds since the epoch
    finished_at INTEGER,
    error TEXT
);
CREATE INDEX operations_by_project ON operations(project_id, id);

-- Every event of an operation in order (the model's text is stored once per step).
CREATE TABLE operation_events (
    operation_id INTEGER NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,            -- the event as JSON
    duration_ms INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (operation_id, seq)
);

-- Taken before each file change: the previous bytes of the file (by hash), or NULL
-- when it did not exist. Ids are hex like a git sha, so a prefix names one.
CREATE TABLE checkpoints (
    id TEXT PRIMARY KEY,
    operation_id INTEGER NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX checkpoints_by_operation ON checkpoints(operation_id, seq);

CREATE TABLE checkpoint_files (
    checkpoint_id TEXT NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
    path TEXT NOT NULL,               -- relative to the project root, with `/`
    sha256 TEXT,                      -- NULL: the file did not exist
    PRIMARY KEY (checkpoint_id, path)
);

-- File contents by hash, shared by every checkpoint that saw the same bytes.
CREATE TABLE checkpoint_blobs (
    sha256 TEXT PRIMARY KEY,
    bytes BLOB NOT NULL
);

-- A proposed file change: a unified diff, pending until applied or rejected (ask
-- mode), or applied at once (auto mode).
CREATE TABLE artifacts (
    id INTEGER PRIMARY KEY,
    operation_id INTEGER NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
    checkpoint_id TEXT NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    diff TEXT NOT NULL,
    status TEXT NOT NULL,             -- pending | applied | rejected
    created_at INTEGER NOT NULL,
    decided_at INTEGER
);
CREATE INDEX artifacts_by_operation ON artifacts(operation_id, id);
