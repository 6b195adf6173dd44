-- Issue 13: the daily and weekly digests count the open items past their SLA and list the
-- overdue ones first. An item's resolution deadline (its opening time where none is stored yet,
-- as every reader takes it) with the status and engineer in one index: counting the overdue is a
-- range of this index, and the items not yet overdue are the range after "now" — the recent
-- ones, not the archive.
CREATE INDEX open_items_open_due ON open_items (status, coalesce(resolution_due, opened_at), engineer);
