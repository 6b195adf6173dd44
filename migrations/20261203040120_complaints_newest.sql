-- A 第十四条 notice lists a target's newest complaints: walked newest first by this index and
-- stopped at the notice's LIMIT, whatever the number of complaints in the counting window.
CREATE INDEX complaints_target_newest ON complaints (target, status, filed_at, id);
