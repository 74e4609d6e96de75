-- Sub-agents: an operation the agent delegated to (the `task` tool) records its parent
-- and the agent definition it ran, so the UI can show it nested under the parent.
ALTER TABLE operations ADD COLUMN parent_id INTEGER REFERENCES operations(id) ON DELETE CASCADE;
ALTER TABLE operations ADD COLUMN agent TEXT;
CREATE INDEX operations_by_parent ON operations(parent_id) WHERE parent_id IS NOT NULL;
