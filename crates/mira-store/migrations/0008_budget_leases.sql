-- Budget leases: headroom a running process has taken from the daily and monthly
-- limits, so that its calls reserve their estimates in memory instead of writing a
-- reservation each. A lease is granted in a BEGIN IMMEDIATE transaction that checks
-- settled spend, open reservations and every live lease (of any process) against both
-- limits; the cost of each settlement written comes off `amount_usd` in the same
-- transaction. The holder renews `expires_at` while it runs and gives back what it does
-- not use when idle, on flush and at shutdown; the limit check ignores a lease once
-- `expires_at` has passed, so a process that died holds nothing for long. Owned by
-- mira-llm.
CREATE TABLE budget_leases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    day TEXT NOT NULL,                 -- YYYY-MM-DD (UTC) the lease counts against
    month TEXT NOT NULL,               -- YYYY-MM (UTC)
    amount_usd REAL NOT NULL,          -- held now: granted, less the settled cost written
    pid INTEGER NOT NULL,              -- the holder, for whoever looks
    created_at INTEGER NOT NULL,       -- milliseconds since the epoch
    expires_at INTEGER NOT NULL        -- milliseconds since the epoch
);
