-- Dense vectors of memory's facts and rolling summaries (mira-memory's dense.rs), kept
-- in SQLite beside their rows rather than in the vector store: memory is written by
-- command-line runs while a server holds the embedded vector store open, and a vector
-- must go in the same transaction as its item. The triggers drop a vector with its
-- item (a forget is one step) and when a fact's text changes (it is embedded again).
CREATE TABLE memory_vectors (
    kind TEXT NOT NULL CHECK (kind IN ('fact', 'summary')),
    item_id INTEGER NOT NULL,
    model TEXT NOT NULL,               -- the embedder that made it: `local:all-MiniLM-L6-v2`
    vector BLOB NOT NULL,              -- little-endian f32, unit length
    PRIMARY KEY (kind, item_id)
);

CREATE TRIGGER memory_vectors_fact_delete AFTER DELETE ON memory_facts
BEGIN
    DELETE FROM memory_vectors WHERE kind = 'fact' AND item_id = OLD.id;
END;

CREATE TRIGGER memory_vectors_fact_edit AFTER UPDATE OF text ON memory_facts
WHEN NEW.text <> OLD.text
BEGIN
    DELETE FROM memory_vectors WHERE kind = 'fact' AND item_id = OLD.id;
END;

CREATE TRIGGER memory_vectors_summary_delete AFTER DELETE ON rolling_summaries
BEGIN
    DELETE FROM memory_vectors WHERE kind = 'summary' AND item_id = OLD.id;
END;
