-- 集成部任务 (《集成部（技术支持、施工）管理流程》, tasks.md): a sales person's 任务申请 and its
-- state machine 任务申请 → 派工 → 在建 → 延期（延期申请）→ 完工（完工申请）. Its thread is the row id
-- of the 任务申请 mail. The project need not be 立项'd: the flow is the 集成部's own.
CREATE TABLE tasks (
    id            INTEGER PRIMARY KEY,
    message       INTEGER NOT NULL UNIQUE REFERENCES messages (id),
    kind          TEXT    NOT NULL CHECK (kind IN ('设计', '施工')),
    project       TEXT    NOT NULL,         -- project key
    project_name  TEXT    NOT NULL,         -- as the subject wrote it
    sales         TEXT    NOT NULL,         -- name of the applicant
    engineers     TEXT    NOT NULL DEFAULT '[]', -- JSON array of names, set by 派工
    state         TEXT    NOT NULL CHECK (state IN ('requested', 'dispatched', 'in_progress',
                           'delay_requested', 'completion_requested', 'completed', 'rejected')),
    content       TEXT    NOT NULL,
    amount_yuan   INTEGER NOT NULL,         -- 工程金额 + 设备金额
    contract_no   TEXT,
    site          TEXT,
    contact       TEXT,
    start_wanted  TEXT,                     -- YYYY-MM-DD
    due           TEXT,                     -- 期望完工, YYYY-MM-DD, moved by an approved 延期
    requested_due TEXT,                     -- the 期望完工 a pending 延期申请 asks for
    delays        INTEGER NOT NULL DEFAULT 0,
    delay_days    INTEGER NOT NULL DEFAULT 0,
    started_on    TEXT,                     -- YYYY-MM-DD
    completed_at  TEXT,                     -- RFC 3339 UTC
    requested_at  TEXT    NOT NULL,         -- RFC 3339 UTC
    updated_at    TEXT    NOT NULL          -- RFC 3339 UTC: when it entered its state
);
CREATE INDEX tasks_state ON tasks (state);
CREATE INDEX tasks_project ON tasks (project);
