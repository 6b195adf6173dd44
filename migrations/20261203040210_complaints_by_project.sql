-- A project's complaints newest first, stopping at the reply's LIMIT (查询-<项目>): the index
-- hands them over in id order, so no sort and no walk over other projects' complaints.
CREATE INDEX complaints_project_id ON complaints (project, id);
