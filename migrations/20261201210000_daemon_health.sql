-- What `run` says about itself, for `supportbot status` and the metrics endpoint (one row):
-- its heartbeat, the last IMAP contact and IDLE state, the mail waiting at the last look, and
-- the last error. Written by the daemon only; a missing row means it never ran on this database.
CREATE TABLE daemon_health (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    pid              INTEGER NOT NULL,
    started_at       TEXT    NOT NULL,
    heartbeat_at     TEXT    NOT NULL,
    imap_contact_at  TEXT,
    imap_state       TEXT    NOT NULL DEFAULT 'starting',  -- starting idle polling disconnected maildir
    mail_waiting     INTEGER,
    last_error       TEXT,
    last_error_at    TEXT
);
