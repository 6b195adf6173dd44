-- Time (issue 4): SLA deadlines on open items, the due events already queued (so no reminder or
-- digest is queued twice, across restarts and a clock that jumps back), and rich outgoing mail.

-- 第七条 / 第十七条: working-time deadlines, computed from the calendar when the item opens.
ALTER TABLE open_items ADD COLUMN response_due TEXT;
ALTER TABLE open_items ADD COLUMN resolution_due TEXT;

-- One row per reminder or digest ever queued. `key` names the event (kind, period or item);
-- `schedule` groups the occurrences of one digest so an older one is never queued after a newer.
CREATE TABLE due_events (
    key        TEXT PRIMARY KEY,
    schedule   TEXT NOT NULL,
    due_at     TEXT NOT NULL,             -- RFC 3339 UTC
    queued_at  TEXT NOT NULL,             -- RFC 3339 UTC: the tick's "now"
    message_id TEXT NOT NULL              -- the outbox row's Message-ID
);
CREATE INDEX due_events_schedule ON due_events (schedule, due_at);

-- Digests: an HTML alternative and attachments, stored so a resend renders the same bytes.
ALTER TABLE outbox ADD COLUMN html TEXT;
CREATE TABLE outbox_attachments (
    outbox       INTEGER NOT NULL REFERENCES outbox (id),
    position     INTEGER NOT NULL,
    filename     TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    content      BLOB    NOT NULL,
    PRIMARY KEY (outbox, position)
);
