-- Issue 13: a 客户沟通 report's ack says how many open items (第十七条) the sender has on the
-- project and lists the oldest 20 of them. The total is kept as a running count per
-- (project, engineer) instead of counted from `open_items` at every report, which on a busy
-- project would touch every open item the engineer ever left.
--
-- Kept by triggers rather than by the statements that open and close items, so that every
-- path that changes an item's status (a 问题遗留 report, 「已解决」, a 成功 report naming it,
-- anything added later) keeps it true in the same transaction, and no writer has to remember.
CREATE TABLE open_item_counts (
    project  TEXT    NOT NULL,
    engineer TEXT    NOT NULL,
    n        INTEGER NOT NULL CHECK (n >= 0),
    PRIMARY KEY (project, engineer)
) WITHOUT ROWID;

INSERT INTO open_item_counts (project, engineer, n)
    SELECT project, engineer, count(*) FROM open_items WHERE status = 'open'
    GROUP BY project, engineer;

CREATE TRIGGER open_item_counts_insert AFTER INSERT ON open_items
WHEN NEW.status = 'open'
BEGIN
    INSERT INTO open_item_counts (project, engineer, n) VALUES (NEW.project, NEW.engineer, 1)
    ON CONFLICT (project, engineer) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER open_item_counts_update AFTER UPDATE OF status, project, engineer ON open_items
WHEN OLD.status = 'open' OR NEW.status = 'open'
BEGIN
    UPDATE open_item_counts SET n = n - 1
    WHERE OLD.status = 'open' AND project = OLD.project AND engineer = OLD.engineer;
    INSERT INTO open_item_counts (project, engineer, n)
    SELECT NEW.project, NEW.engineer, 1 WHERE NEW.status = 'open'
    ON CONFLICT (project, engineer) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER open_item_counts_delete AFTER DELETE ON open_items
WHEN OLD.status = 'open'
BEGIN
    UPDATE open_item_counts SET n = n - 1
    WHERE project = OLD.project AND engineer = OLD.engineer;
END;
