-- The monthly digest's review and chart (src/digest/review.rs) count each month's report mails
-- per sender and active complaints per target. These indexes hold every column those counts
-- read, so a month is one range of an index (about 50,000 entries at 1M mails) and no row of
-- the tables themselves. The first holds report mails only (60 % of the archive); `kind` is in
-- it although always 'report' because SQLite reads a column the WHERE names from the table
-- unless the index holds it, partial or not.
CREATE INDEX messages_report_month ON messages (event_at, sender, outcome, kind)
    WHERE kind = 'report';
CREATE INDEX complaints_filed_month ON complaints (status, filed_at, target);
