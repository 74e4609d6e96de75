-- Semantic and concept search: the chunks put in the vector store (their text is kept
-- here for snippets and highlighting), the files they came from, and the concept index.
-- Owned by mira-search.

-- One row per file whose chunks are in the `code` collection, with the content hash the
-- chunks were made from, so a re-index reads only files whose hash changed.
CREATE TABLE search_files (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,       -- '' when the chunks were made from text the code
                                      -- index had not seen yet (redone next run)
    indexed_at INTEGER NOT NULL,      -- seconds since the epoch
    PRIMARY KEY (project_id, path)
);

-- A chunk is a point in a collection (`code`, `git`, `conversation`) under the same id.
-- Its id is derived from (project, collection, path, key), so it stays the same across
-- re-index; `content_hash` is of the text that is embedded, and `embedded_hash` says
-- which text the stored dense vector was made from (NULL: none yet).
CREATE TABLE search_chunks (
    id INTEGER PRIMARY KEY,           -- the point id (63 bits of a hash)
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    collection TEXT NOT NULL CHECK (collection IN ('code', 'git', 'conversation')),
    path TEXT NOT NULL,               -- file path; commit sha for git; conversation id
    chunk_key TEXT NOT NULL,          -- symbol qualified name and part, or a block key
    language TEXT,
    kind TEXT NOT NULL,               -- function, method, class, ..., file, doc, commit, message
    symbol TEXT,                      -- qualified name of the symbol the chunk belongs to
    start_line INTEGER NOT NULL,      -- 1-based, inclusive
    end_line INTEGER NOT NULL,
    part INTEGER NOT NULL DEFAULT 1,  -- 1-based part of a long symbol
    parts INTEGER NOT NULL DEFAULT 1,
    text TEXT NOT NULL,               -- the source lines of the chunk
    concepts TEXT NOT NULL DEFAULT '', -- comma-separated concept names (as in the point)
    content_hash TEXT NOT NULL,
    embedded_hash TEXT,
    UNIQUE (project_id, collection, path, chunk_key)
);
CREATE INDEX search_chunks_by_path ON search_chunks (project_id, collection, path);
-- The background embedder finds what still needs a dense vector without a scan.
CREATE INDEX search_chunks_pending ON search_chunks (project_id, collection)
    WHERE embedded_hash IS NULL OR embedded_hash <> content_hash;

-- Concepts per symbol ("database", "authentication", ...), derived without an LLM from
-- identifiers, doc comments, imports and the packages a symbol uses; `source` says which
-- (an LLM-derived concept uses 'llm').
CREATE TABLE concept_index (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    symbol TEXT NOT NULL,             -- qualified name
    concept TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('package', 'identifier', 'doc', 'llm')),
    evidence TEXT NOT NULL,           -- the package, word or phrase that matched
    confidence REAL NOT NULL,
    UNIQUE (project_id, path, symbol, concept)
);
CREATE INDEX concept_index_by_concept ON concept_index (project_id, concept);

-- The rules concepts are derived by. Mira's built-in rules are seeded by mira-search at
-- start (builtin = 1, refreshed on upgrade); rows a user adds (builtin = 0) are never
-- touched by Mira.
CREATE TABLE concept_rules (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('package', 'identifier')),
    pattern TEXT NOT NULL,            -- a package name, or a lowercase identifier word
    concept TEXT NOT NULL,
    builtin INTEGER NOT NULL CHECK (builtin IN (0, 1)),
    UNIQUE (kind, pattern, concept)
);

-- Words that name a concept in a query ("db", "sql", "persistence" for database).
CREATE TABLE concept_synonyms (
    concept TEXT NOT NULL,
    term TEXT NOT NULL,
    builtin INTEGER NOT NULL CHECK (builtin IN (0, 1)),
    PRIMARY KEY (term, concept)
);
