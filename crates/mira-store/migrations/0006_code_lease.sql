-- Who is indexing a project's code right now. An index run (the server's watcher, its
-- API, a CLI `mira index`, in any process) takes the row in a BEGIN IMMEDIATE
-- transaction before reading the stored files and proves it still holds it inside its
-- write transaction; a second run waits for it, then finds the first one's result.
-- The holder renews expires_at while it works, so the row of a process that died is
-- taken over once it expires. Owned by mira-code.
CREATE TABLE code_index_leases (
    project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    token TEXT NOT NULL,              -- one per run: pid, time and a counter
    pid INTEGER NOT NULL,             -- the holder's process, for the message a waiter shows
    acquired_at INTEGER NOT NULL,     -- milliseconds since the epoch
    expires_at INTEGER NOT NULL       -- milliseconds since the epoch
);
