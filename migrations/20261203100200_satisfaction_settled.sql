-- Issue 13: the tick read every 满意度回访 never answered — and a customer who never answers is
-- the common case, so that set only grows — built its request and reminder mails and asked
-- `due_events` about both, every minute. `settled` is set once the reminder's due event is
-- recorded (queued or skipped): after that the tick has nothing more to do for the request, and
-- it leaves this partial index, which is what the tick reads.
ALTER TABLE satisfaction ADD COLUMN settled INTEGER NOT NULL DEFAULT 0;

UPDATE satisfaction SET settled = 1
WHERE EXISTS (SELECT 1 FROM due_events d WHERE d.key = 'satisfaction_reminder:' || satisfaction.id);

CREATE INDEX satisfaction_pending ON satisfaction (closed_at, id)
    WHERE answered_at IS NULL AND settled = 0;
