-- Personal memory (mira-memory): what Mira learns about the user and the project, each
-- item with the messages it came from. Scope: a row with project_id NULL belongs to
-- the user and is recalled in every project; a row with a project is recalled only in
-- that project. `user_id` is the local user ('local') until the server knows others.

-- Turns of conversations as memory sees them: live chat messages (conversation = the
-- chat's id, message = the message's id) and imported transcripts (their own ids).
-- The text is stored with secrets and e-mail addresses already removed.
CREATE TABLE memory_turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL DEFAULT 'local',
    project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
    conversation TEXT NOT NULL,
    session TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL,
    speaker TEXT NOT NULL,
    text TEXT NOT NULL,
    at INTEGER NOT NULL,               -- milliseconds since the epoch
    seq INTEGER NOT NULL,              -- order within the conversation
    extracted INTEGER NOT NULL DEFAULT 0 CHECK (extracted IN (0, 1)),
    UNIQUE (conversation, message)
);
CREATE INDEX memory_turns_by_conversation ON memory_turns (conversation, seq);
CREATE INDEX memory_turns_by_scope ON memory_turns (user_id, project_id);
CREATE INDEX memory_turns_pending ON memory_turns (extracted) WHERE extracted = 0;

-- What a turn is found by: the speaker's name, the text, the turns before and after it
-- in the same session (an answer is often only understood with its question, and a
-- question with its answer) and the day it was said ("8 May 2023").
CREATE VIRTUAL TABLE memory_turns_fts USING fts5(
    speaker, text, before, after, day,
    content='', contentless_delete=1,
    tokenize='porter unicode61 remove_diacritics 2'
);

-- Facts, preferences, decisions, constraints and names. A contradicted fact is never
-- deleted: it gets valid_to and superseded_by, so what held before still has an answer.
CREATE TABLE memory_facts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL DEFAULT 'local',
    project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
    subject TEXT NOT NULL,             -- what the fact is about, normalised ('uses: test runner')
    text TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('preference', 'decision', 'constraint', 'fact', 'name')),
    confidence REAL NOT NULL,
    importance REAL NOT NULL DEFAULT 0.5,
    origin TEXT NOT NULL CHECK (origin IN ('told', 'extracted', 'imported')),
    valid_from INTEGER NOT NULL,
    valid_to INTEGER,
    superseded_by INTEGER REFERENCES memory_facts(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX memory_facts_by_scope ON memory_facts (user_id, project_id, valid_to);
CREATE INDEX memory_facts_by_subject ON memory_facts (subject);

CREATE VIRTUAL TABLE memory_facts_fts USING fts5(
    subject, text,
    content='', contentless_delete=1,
    tokenize='porter unicode61 remove_diacritics 2'
);

-- Provenance: the messages an item came from (few and precise). A fact told on the
-- command line has none.
CREATE TABLE memory_fact_sources (
    fact_id INTEGER NOT NULL REFERENCES memory_facts(id) ON DELETE CASCADE,
    conversation TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (fact_id, conversation, message)
);

-- A rolling summary of a conversation's turns first_seq..last_seq, one per window of
-- turns; recall cites the turns of its window.
CREATE TABLE rolling_summaries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL DEFAULT 'local',
    project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
    conversation TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (conversation, first_seq)
);

-- The user's standing profile: one value per key (coding preferences, stack,
-- communication style), each from the fact that set it.
CREATE TABLE user_profile (
    user_id TEXT NOT NULL DEFAULT 'local',
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    fact_id INTEGER REFERENCES memory_facts(id) ON DELETE SET NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Behaviour seen again and again, with how often.
CREATE TABLE learned_patterns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL DEFAULT 'local',
    project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
    behaviour TEXT NOT NULL,
    evidence_count INTEGER NOT NULL DEFAULT 1,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    UNIQUE (user_id, project_id, behaviour)
);
