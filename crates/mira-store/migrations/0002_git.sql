-- Git intelligence: commits with per-file changes, the index state per project,
-- co-change patterns, blame cache and expertise. Owned by mira-git.

CREATE TABLE git_commits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    sha TEXT NOT NULL,
    parents TEXT NOT NULL,            -- space-separated shas, first parent first
    author_name TEXT NOT NULL,        -- .mailmap applied
    author_email TEXT NOT NULL,
    committer_name TEXT NOT NULL,
    committer_email TEXT NOT NULL,
    authored_at INTEGER NOT NULL,     -- seconds since the epoch
    committed_at INTEGER NOT NULL,
    message TEXT NOT NULL,
    files_changed INTEGER NOT NULL,
    lines_added INTEGER NOT NULL,
    lines_removed INTEGER NOT NULL,
    is_merge INTEGER NOT NULL CHECK (is_merge IN (0, 1)),
    is_bulk INTEGER NOT NULL CHECK (is_bulk IN (0, 1)),  -- too many files: kept out of coupling
    UNIQUE (project_id, sha)
);
CREATE INDEX git_commits_by_time ON git_commits (project_id, committed_at);

CREATE TABLE git_file_changes (
    commit_id INTEGER NOT NULL REFERENCES git_commits(id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    old_path TEXT,
    status TEXT NOT NULL CHECK (status IN ('A', 'M', 'D', 'R', 'C')),
    lines_added INTEGER,              -- NULL for binary files
    lines_removed INTEGER,
    PRIMARY KEY (commit_id, path)
);
CREATE INDEX git_file_changes_by_path ON git_file_changes (project_id, path);

CREATE TABLE git_index_state (
    project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    head_sha TEXT NOT NULL,
    indexed_at INTEGER NOT NULL,
    decay_epoch INTEGER NOT NULL      -- reference time of the recency weights below
);

-- Commits per file (merge and bulk commits left out), under the file's name at HEAD.
CREATE TABLE git_file_stats (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    commits INTEGER NOT NULL,
    PRIMARY KEY (project_id, path)
) WITHOUT ROWID;

-- Every pair of files changed in the same commit. Counts are additive, so new commits
-- update them in place; minimum support and confidence are applied when reading.
CREATE TABLE file_cochange_patterns (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    file_a TEXT NOT NULL,
    file_b TEXT NOT NULL,             -- file_a < file_b
    shared_commits INTEGER NOT NULL,
    commits_a INTEGER NOT NULL,
    commits_b INTEGER NOT NULL,
    confidence_a_to_b REAL NOT NULL,  -- P(b changes | a changes)
    confidence_b_to_a REAL NOT NULL,
    jaccard REAL NOT NULL,
    last_cochange_at INTEGER NOT NULL,
    recency_weight REAL NOT NULL,     -- sum of 2^((t - decay_epoch) / half-life); the score now is this / 2^((now - decay_epoch) / half-life)
    PRIMARY KEY (project_id, file_a, file_b)
) WITHOUT ROWID;
CREATE INDEX file_cochange_by_b ON file_cochange_patterns (project_id, file_b);

-- Raw activity per author and scope; shares and the 0-100 score
-- (40% commits + 30% lines + 30% recency) are taken among a scope's authors when read.
CREATE TABLE author_expertise (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    scope TEXT NOT NULL,              -- a file path, a directory path ending in '/', or '' for the project
    author_email TEXT NOT NULL,
    author_name TEXT NOT NULL,
    commits INTEGER NOT NULL,
    lines_changed INTEGER NOT NULL,
    recency_weight REAL NOT NULL,     -- as in file_cochange_patterns, with the expertise half-life
    last_commit_at INTEGER NOT NULL,
    is_bot INTEGER NOT NULL CHECK (is_bot IN (0, 1)),
    PRIMARY KEY (project_id, scope, author_email)
) WITHOUT ROWID;

-- Blame, cached per file: valid while the file's content hash and HEAD are unchanged.
CREATE TABLE blame_files (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,       -- SHA-256 of the file as blamed
    head_sha TEXT NOT NULL,
    blamed_at INTEGER NOT NULL,
    PRIMARY KEY (project_id, path)
);

CREATE TABLE blame_annotations (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    line INTEGER NOT NULL,            -- 1-based line in the file now
    commit_sha TEXT NOT NULL,         -- all zeros for lines not committed yet
    original_line INTEGER NOT NULL,   -- line number in that commit
    original_path TEXT NOT NULL,      -- path in that commit (differs after a rename)
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL,
    authored_at INTEGER NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (project_id, path, line)
) WITHOUT ROWID;

-- Past fixes for error patterns: which commits fixed an error like this one. Filled by
-- `mira fixes` (ranked from commit messages and the files an error names) and, once
-- build integration exists, from failing runs followed by passing ones.
CREATE TABLE historical_fixes (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    error_fingerprint TEXT NOT NULL,  -- SHA-256 prefix of the normalised error
    error_pattern TEXT NOT NULL,      -- the normalised error text
    commit_sha TEXT NOT NULL,
    score REAL NOT NULL,
    files TEXT NOT NULL,              -- JSON array of the files that link error and commit
    source TEXT NOT NULL CHECK (source IN ('history', 'build')),
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (project_id, error_fingerprint, commit_sha)
);
