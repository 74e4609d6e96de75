-- The user's profile follows their facts: every current preference or name of the user
-- (not of a project) is one entry, keyed by its subject. Triggers keep it so in the
-- same transaction as any change of a fact (learned, edited, superseded, forgotten,
-- imported), so no code path can leave it stale.

INSERT OR REPLACE INTO user_profile (user_id, key, value, fact_id, updated_at)
SELECT user_id, subject, text, id, updated_at FROM memory_facts
WHERE project_id IS NULL AND valid_to IS NULL AND category IN ('preference', 'name')
ORDER BY id;

CREATE TRIGGER memory_facts_profile_insert AFTER INSERT ON memory_facts
WHEN NEW.project_id IS NULL AND NEW.valid_to IS NULL AND NEW.category IN ('preference', 'name')
BEGIN
    INSERT INTO user_profile (user_id, key, value, fact_id, updated_at)
    VALUES (NEW.user_id, NEW.subject, NEW.text, NEW.id, NEW.updated_at)
    ON CONFLICT (user_id, key) DO UPDATE
        SET value = excluded.value, fact_id = excluded.fact_id, updated_at = excluded.updated_at;
END;

-- An edit, a close (superseded) or a move: the old entry goes, the new one (if the
-- fact still qualifies) comes. A superseding fact inserted first keeps its entry,
-- since the entry no longer names the closed fact.
CREATE TRIGGER memory_facts_profile_update AFTER UPDATE ON memory_facts
BEGIN
    DELETE FROM user_profile WHERE fact_id = OLD.id;
    INSERT INTO user_profile (user_id, key, value, fact_id, updated_at)
    SELECT NEW.user_id, NEW.subject, NEW.text, NEW.id, NEW.updated_at
    WHERE NEW.project_id IS NULL AND NEW.valid_to IS NULL AND NEW.category IN ('preference', 'name')
    ON CONFLICT (user_id, key) DO UPDATE
        SET value = excluded.value, fact_id = excluded.fact_id, updated_at = excluded.updated_at;
END;

-- BEFORE: the foreign key's ON DELETE SET NULL would otherwise clear fact_id first.
CREATE TRIGGER memory_facts_profile_delete BEFORE DELETE ON memory_facts
BEGIN
    DELETE FROM user_profile WHERE fact_id = OLD.id;
END;
