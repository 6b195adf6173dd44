-- interface.md: `run` after a gap sends only the latest missed occurrence of each digest, and only
-- when it fell due within the last 24 hours; an older one is recorded as skipped (no outbox row),
-- so it is never sent later either.
ALTER TABLE due_events ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
