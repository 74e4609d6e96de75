-- Embeddings of provider models, one row per text, so that re-indexing (after the
-- search index is rebuilt, or a second project with the same files) does not pay for
-- the same vectors twice. Owned by mira-llm (`embed_cache.rs`), written through the
-- gateway's writer in the same batches as the budget rows; bounded by
-- LLM_CACHE_MAX_BYTES like `llm_cache`, least recently used rows evicted first. No
-- expiry: a model's vector of a text does not change, and the key names the model.
CREATE TABLE embedding_cache (
    key TEXT PRIMARY KEY,              -- hex SHA-256 of (provider, model, dimensions, task, normalised text)
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    dimensions INTEGER,                -- the output dimensionality asked for (NULL: the model's own)
    vector BLOB NOT NULL,              -- little-endian f32, as the provider returned it
    bytes INTEGER NOT NULL,            -- size of `vector`, for the size bound
    input_tokens INTEGER NOT NULL,     -- this text's share of the call's tokens
    cost_usd REAL NOT NULL DEFAULT 0,  -- this text's share of the call's cost: each hit saves this
    created_at INTEGER NOT NULL,       -- milliseconds since the epoch
    last_hit_at INTEGER NOT NULL,      -- eviction drops the least recently used first
    hits INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX embedding_cache_by_last_hit ON embedding_cache (last_hit_at, created_at);
