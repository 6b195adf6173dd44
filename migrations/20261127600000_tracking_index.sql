-- `report tracking --person` and the personal digest read one presales' projects: without this
-- index SQLite walked every report and looked its project up (0.55 s for 200,000 rows of a
-- 1,000,000-mail archive; 0.33 s with it).
CREATE INDEX projects_first_presales ON projects (first_presales);
