-- The LLM layer: cached answers, the cost of every call with daily and monthly sums,
-- and chat conversations. Owned by mira-llm.

-- Answers keyed by the SHA-256 of the normalised request (provider, model, messages,
-- tools and every parameter that changes the output).
CREATE TABLE llm_cache (
    key TEXT PRIMARY KEY,              -- hex SHA-256
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    response TEXT NOT NULL,            -- JSON of the whole answer (text, tool calls, usage, finish)
    bytes INTEGER NOT NULL,            -- size of `response`, for the size bound
    cost_usd REAL NOT NULL DEFAULT 0,  -- what the call cost when it was made: each hit saves this
    created_at INTEGER NOT NULL,       -- milliseconds since the epoch
    expires_at INTEGER NOT NULL,
    last_hit_at INTEGER NOT NULL,      -- eviction drops the least recently used first
    hits INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX llm_cache_by_last_hit ON llm_cache (last_hit_at);
CREATE INDEX llm_cache_by_expiry ON llm_cache (expires_at);

-- One row per model call (or cache hit). A call first reserves its estimated cost
-- (status 'reserved'), then settles with what it really cost; reserved rows count
-- against the limits, so concurrent calls cannot together pass them.
CREATE TABLE budget_tracking (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,               -- milliseconds since the epoch
    day TEXT NOT NULL,                 -- YYYY-MM-DD (UTC)
    month TEXT NOT NULL,               -- YYYY-MM (UTC)
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    tier TEXT,                         -- fast, voice, thinker; NULL for an explicit model
    operation TEXT NOT NULL,           -- what the call was for (chat, summary, ...)
    status TEXT NOT NULL CHECK (status IN ('reserved', 'settled', 'failed')),
    reserved_usd REAL NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cached_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens INTEGER NOT NULL DEFAULT 0,
    cache_hit INTEGER NOT NULL DEFAULT 0 CHECK (cache_hit IN (0, 1)),
    cacheable INTEGER NOT NULL DEFAULT 1 CHECK (cacheable IN (0, 1)),  -- 0 when the cache was bypassed
    saved_usd REAL NOT NULL DEFAULT 0, -- for a cache hit: what the call would have cost
    latency_ms INTEGER,
    error TEXT
);
CREATE INDEX budget_tracking_by_day ON budget_tracking (day, status);
CREATE INDEX budget_tracking_by_month ON budget_tracking (month, status);

-- Settled sums per day and per month ('day' or 'month' in `period`), kept in the same
-- transaction as the settlement.
CREATE TABLE budget_summary (
    period TEXT NOT NULL CHECK (period IN ('day', 'month')),
    key TEXT NOT NULL,                 -- YYYY-MM-DD or YYYY-MM
    calls INTEGER NOT NULL DEFAULT 0,
    cache_hits INTEGER NOT NULL DEFAULT 0,
    cache_misses INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    saved_usd REAL NOT NULL DEFAULT 0,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (period, key)
);

CREATE TABLE conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    project_id INTEGER REFERENCES projects(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX conversations_by_update ON conversations (updated_at);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content TEXT NOT NULL,
    tool_calls TEXT,                   -- JSON array for assistant messages that called tools
    tool_call_id TEXT,
    status TEXT NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'cancelled', 'failed')),
    provider TEXT,
    model TEXT,
    tier TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cost_usd REAL,
    cache_hit INTEGER,
    error TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, id);
