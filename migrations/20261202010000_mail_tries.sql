-- How often the handling of one mail in one inbox failed (issue 11): after `[limits] max_tries`
-- the mail goes to the dead-letter place. Kept in the database so a restart does not reset the
-- count; the row is deleted when the mail is finally handled or dead-lettered.
CREATE TABLE mail_tries (
    inbox       TEXT    NOT NULL,   -- mailbox.url
    mail        TEXT    NOT NULL,   -- IMAP: "<uidvalidity>:<uid>"; Maildir: the file's base name
    tries       INTEGER NOT NULL,
    last_error  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (inbox, mail)
);
