-- Where the IMAP reader is in each mailbox folder: the last UID whose mail was committed, under
-- the folder's UIDVALIDITY. Written in the same transaction as the mail it covers, so a restart
-- fetches exactly what comes after; a new UIDVALIDITY re-scans and leans on the Message-ID dedup.
CREATE TABLE imap_state (
    mailbox      TEXT    PRIMARY KEY,      -- the mailbox url, e.g. imaps://host:993/INBOX
    uid_validity INTEGER NOT NULL,
    last_uid     INTEGER NOT NULL,
    updated_at   TEXT    NOT NULL
);
