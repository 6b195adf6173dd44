-- Issue 13: the schedule tick read every open item each run to find the few whose reminder
-- (第七条, response deadline) or escalation (第十七条, resolution deadline) had come, built both
-- mails for each and asked `due_events` about every one: 30 s and 450 MB a tick with 300,000
-- open items. `next_due` is the next deadline the tick still has to settle for the item: its
-- response deadline, then its resolution deadline, then none. A tick reads only the items whose
-- `next_due` has come (this partial index), and moves it on in the same transaction that records
-- their due events.
ALTER TABLE open_items ADD COLUMN next_due TEXT;

-- Items opened before deadlines were stored (`response_due IS NULL`) get theirs at the next tick,
-- next_due with them. The rest: what `due_events` says was settled.
UPDATE open_items SET next_due = CASE
    WHEN EXISTS (SELECT 1 FROM due_events d WHERE d.key = 'open_item_escalation:' || open_items.id)
        THEN NULL
    WHEN EXISTS (SELECT 1 FROM due_events d WHERE d.key = 'open_item_reminder:' || open_items.id)
        THEN coalesce(resolution_due, opened_at)
    ELSE coalesce(response_due, opened_at)
END
WHERE status = 'open';

CREATE INDEX open_items_next_due ON open_items (next_due)
    WHERE status = 'open' AND next_due IS NOT NULL;

-- The tick's first step looks for items without deadlines; normally there are none, and this
-- index says so without a scan of the table.
CREATE INDEX open_items_without_deadlines ON open_items (id) WHERE response_due IS NULL;
