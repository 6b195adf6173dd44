-- 查询-项目 and 查询-任务 listed every fault order and every 集成部 task ever filed on the
-- project: 20,000 and 10,000 rows on one busy project, 0.2-0.3 s and a reply no one reads to the
-- end. They now list the ones still open (these indexes find them among the project's) and the
-- latest others, newest first by the indexes on the project alone.
CREATE INDEX fault_orders_project_state ON fault_orders (project, state);
CREATE INDEX tasks_project_state ON tasks (project, state);
