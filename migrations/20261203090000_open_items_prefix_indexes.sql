-- Issue 13: two indexes of open_items were the first columns of a longer one, so every lookup
-- they served the longer one serves as well, while each insert, close and reassignment of an
-- item wrote all of them: `open_items_project (project, status)` is the start of
-- `open_items_project_since (project, status, opened_at)`, and `open_items_engineer (project,
-- engineer, status)` the start of `open_items_engineer_threads (project, engineer, status,
-- thread)`. tests/query_plans.rs plans every statement without them: none scans or sorts.
DROP INDEX open_items_project;
DROP INDEX open_items_engineer;
