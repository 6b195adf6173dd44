-- The monthly task digest counts the tasks completed in the month before: by this index it reads
-- that month's, not every task ever completed. completed_at is RFC 3339 UTC to the second, so
-- text order is time order.
CREATE INDEX tasks_completed ON tasks (completed_at) WHERE state = 'completed';
