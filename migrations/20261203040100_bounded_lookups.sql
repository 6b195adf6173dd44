-- Issue 13: no per-mail statement reads a set that grows with the archive.

-- 第十四条 counts kept as they change: active complaints per (target, month), updated in the
-- mail's transaction by the statements that add, withdraw or void a complaint
-- (store::complaints::add / end). A complaint reads only its targets' months instead of
-- counting every earlier complaint. Backfilled from what is there.
CREATE TABLE complaint_counts (
    target TEXT    NOT NULL,
    month  TEXT    NOT NULL,               -- YYYY-MM in the department's time zone
    n      INTEGER NOT NULL CHECK (n >= 0),
    PRIMARY KEY (target, month)
) WITHOUT ROWID;
INSERT INTO complaint_counts (target, month, n)
    SELECT target, month, count(*) FROM complaints WHERE status = 'active' GROUP BY target, month;

-- 撤销投诉 picks the latest active complaint on the project (the sender's own, or anyone's for
-- the presales manager) with LIMIT 1 on these.
CREATE INDEX complaints_project_latest ON complaints (project, status, filed_at, id);
CREATE INDEX complaints_complainant_latest
    ON complaints (project, status, complainant, filed_at, id);

-- A 客户沟通 report reads the sender's own open items of the project (the ack asks about them).
CREATE INDEX open_items_engineer ON open_items (project, engineer, status);

-- A complaint reads the notices in force for its months and the permanent level only; an
-- engineer's notices accumulate a month at a time.
CREATE INDEX threshold_notices_period ON threshold_notices (engineer, period);

-- 立项 of a project that exists updates its row, and SQLite checks the rows that reference it:
-- without this index that check scanned every fault order (found by tests/query_plans.rs).
CREATE INDEX fault_orders_project ON fault_orders (project);
