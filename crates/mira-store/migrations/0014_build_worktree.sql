-- A digest of the work tree each build run started from (HEAD, the changes to tracked
-- files and the untracked files git does not ignore), so an error that goes away while
-- nothing changed is told apart from one a change fixed: an environment change or a
-- flaky failure is not a fix to learn from.
ALTER TABLE build_runs ADD COLUMN worktree TEXT;
ALTER TABLE error_resolutions ADD COLUMN unchanged INTEGER NOT NULL DEFAULT 0;
