-- Every 客户沟通 report looks up its project's open items (第十七条); without this index that
-- lookup scanned the whole table, and replay slowed down as the archive grew.
CREATE INDEX open_items_project ON open_items (project, status);
