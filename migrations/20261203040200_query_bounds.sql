-- Queries by mail answer from the oldest open items (查询-遗留问题, 查询-待办) and a project's
-- (查询-星河项目) at most a bounded number of rows (src/query/table.rs REPLY_ROWS): these
-- indexes give those rows in order, so a reply reads only the rows it shows instead of sorting
-- every open item (300,000 in one project of the skewed 1M-mail benchmark).
CREATE INDEX open_items_open_since ON open_items (status, opened_at);
CREATE INDEX open_items_project_since ON open_items (project, status, opened_at);
