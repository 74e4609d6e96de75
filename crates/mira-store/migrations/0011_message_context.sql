-- The context a grounded answer was given (the context oracle's answer as JSON: files,
-- items with citations, tokens, level, dropped sources), so a reloaded conversation can
-- show what each answer read. NULL for answers given without project context.
ALTER TABLE messages ADD COLUMN context TEXT;
