-- What an LLM says each symbol is for (`mira analyze`). Owned by mira-search, which also
-- writes the concepts of each row into `concept_index` with source 'llm'.

-- One row per analysed symbol, keyed by file and qualified name (element ids are not
-- kept across re-index, names are). `content_hash` is of the text sent for it, so a
-- symbol whose text did not change is not sent again.
CREATE TABLE semantic_nodes (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    symbol TEXT NOT NULL,             -- qualified name
    kind TEXT NOT NULL,               -- function, method, struct, class, ...
    purpose TEXT NOT NULL,            -- one sentence
    concepts TEXT NOT NULL,           -- JSON array of lowercase words
    domain TEXT NOT NULL,
    model TEXT NOT NULL,              -- provider:model that answered
    content_hash TEXT NOT NULL,
    analysed_at INTEGER NOT NULL,     -- seconds since the epoch
    PRIMARY KEY (project_id, path, symbol)
);
