-- 查询-待办 lists the sender's open items oldest first. It walked every open item in opening
-- order to keep the sender's: quick for an engineer with many, but for anyone with none (a sales,
-- a manager, the 工程技术部) the walk went through every open item, 45 ms at 43,000 of them. This
-- index holds each engineer's open items in opening order.
CREATE INDEX open_items_engineer_open ON open_items (engineer, opened_at) WHERE status = 'open';
