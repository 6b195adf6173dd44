-- Issue 13: a report's ack lists the sender's oldest open items with their threads. The thread
-- of an item is its report's message, which the list read by joining `reports` by rowid for
-- every item: `reports` rows carry the report's text, so on a large database each was a page
-- the cache no longer held (sqlx's log of even replays: 28.7 µs a call at 10,000 mails, 40.7 at
-- 100,000, 63.1 at 300,000). The thread is copied onto the item, where it never changes (a
-- report's message is fixed), and the list is read from a covering index.
ALTER TABLE open_items ADD COLUMN thread INTEGER REFERENCES messages (id);

UPDATE open_items SET thread = (SELECT r.message FROM reports r WHERE r.id = open_items.report);

-- The engine writes the thread with the item; any other writer that leaves it out gets it here.
CREATE TRIGGER open_items_thread AFTER INSERT ON open_items
WHEN NEW.thread IS NULL
BEGIN
    UPDATE open_items SET thread = (SELECT r.message FROM reports r WHERE r.id = NEW.report)
    WHERE id = NEW.id;
END;

-- A sender's open items on a project, oldest first, with their threads, without the table.
-- Threads are in the order items are opened: an item is opened in the transaction that records
-- its report's message.
CREATE INDEX open_items_engineer_threads ON open_items (project, engineer, status, thread);
