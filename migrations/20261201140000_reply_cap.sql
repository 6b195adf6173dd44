-- Replies to incoming mail are capped per recipient (workflow.md §5 "Floods anyone"): a reply
-- past the cap is kept with status 'suppressed' and never sent. SQLite cannot change a CHECK in
-- place, so outbox is rebuilt with the wider status list ('not_sent' is interface.md's status for
-- mail that replay records without --send). outbox_attachments is rebuilt with it so that its
-- foreign key follows the rename and no row ever points at a dropped table.
CREATE TABLE outbox_new (
    id          INTEGER PRIMARY KEY,
    message     INTEGER REFERENCES messages (id),
    kind        TEXT    NOT NULL,
    to_addrs    TEXT    NOT NULL,          -- JSON array
    cc_addrs    TEXT    NOT NULL,          -- JSON array
    subject     TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    message_id  TEXT    NOT NULL UNIQUE,   -- <…@domain>, stable across resends
    in_reply_to TEXT,
    references_ TEXT,
    status      TEXT    NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'failed', 'suppressed', 'not_sent')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  TEXT    NOT NULL,
    sent_at     TEXT,
    html        TEXT,
    claim_token   TEXT,                    -- 20261201130000_outbox_claims
    claimed_until TEXT
);
INSERT INTO outbox_new (id, message, kind, to_addrs, cc_addrs, subject, body, message_id,
                        in_reply_to, references_, status, attempts, last_error, created_at,
                        sent_at, html, claim_token, claimed_until)
SELECT id, message, kind, to_addrs, cc_addrs, subject, body, message_id, in_reply_to,
       references_, status, attempts, last_error, created_at, sent_at, html, claim_token,
       claimed_until
FROM outbox;

CREATE TABLE outbox_attachments_new (
    outbox       INTEGER NOT NULL REFERENCES outbox_new (id),
    position     INTEGER NOT NULL,
    filename     TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    content      BLOB    NOT NULL,
    PRIMARY KEY (outbox, position)
);
INSERT INTO outbox_attachments_new SELECT outbox, position, filename, content_type, content
FROM outbox_attachments;

DROP TABLE outbox_attachments;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
ALTER TABLE outbox_attachments_new RENAME TO outbox_attachments;
CREATE INDEX outbox_status ON outbox (status, id);

-- One row per recipient of each capped reply that was queued to be sent: the cap counts these
-- by (recipient, handling time) through the index, never by scanning the outbox.
CREATE TABLE reply_log (
    outbox     INTEGER NOT NULL REFERENCES outbox (id),
    recipient  TEXT    NOT NULL,           -- lowercase address
    queued_at  TEXT    NOT NULL,           -- the handling time `now` of the mail answered
    PRIMARY KEY (outbox, recipient)
);
CREATE INDEX reply_log_recipient ON reply_log (recipient, queued_at);
