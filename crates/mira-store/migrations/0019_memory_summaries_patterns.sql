-- Rolling summaries and learned patterns become items of their own: findable, cited,
-- listed and forgotten like facts (mira-memory's summaries.rs and patterns.rs).

-- Who wrote a summary (a provider model, or the extractive summariser that picks the
-- window's most telling sentences) and the times of its first and last turn, so a
-- summary is dated even after its turns are forgotten.
ALTER TABLE rolling_summaries ADD COLUMN origin TEXT NOT NULL DEFAULT 'extractive'
    CHECK (origin IN ('extractive', 'model'));
ALTER TABLE rolling_summaries ADD COLUMN from_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rolling_summaries ADD COLUMN to_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX rolling_summaries_by_scope ON rolling_summaries (user_id, project_id);

CREATE VIRTUAL TABLE rolling_summaries_fts USING fts5(
    text, day,
    content='', contentless_delete=1,
    tokenize='porter unicode61 remove_diacritics 2'
);

-- Provenance: the turns a summary's sentences came from (an extractive summary cites the
-- turns it quoted; a model's, the turns of its window it names).
CREATE TABLE rolling_summary_sources (
    summary_id INTEGER NOT NULL REFERENCES rolling_summaries(id) ON DELETE CASCADE,
    conversation TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (summary_id, conversation, message)
);

-- Provenance of a learned pattern: the latest messages it was seen in (a bounded
-- number; evidence_count keeps the whole count).
CREATE TABLE learned_pattern_sources (
    pattern_id INTEGER NOT NULL REFERENCES learned_patterns(id) ON DELETE CASCADE,
    conversation TEXT NOT NULL,
    message TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (pattern_id, conversation, message)
);
