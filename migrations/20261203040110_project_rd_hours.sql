-- Issue 13: 第二十二条 compares a project's R&D hours with its threshold on every 研发工时 mail.
-- Kept as a running sum per project, updated in the mail's transaction by
-- store::items::add_rd_time, instead of summing every rd_time row of the project. Backfilled.
CREATE TABLE project_rd_hours (
    project TEXT NOT NULL PRIMARY KEY,
    hours   REAL NOT NULL
) WITHOUT ROWID;
INSERT INTO project_rd_hours (project, hours)
    SELECT j.project, sum(t.hours) FROM rd_time t JOIN improvement_requests j ON j.id = t.request
    GROUP BY j.project;
