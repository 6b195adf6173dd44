-- The workflow engine's state. One row in `messages` per distinct mail received (the
-- exactly-once key), everything a mail changes written in the same transaction.

CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,
    dedup_key   TEXT    NOT NULL UNIQUE,   -- Message-ID, or sha256:<hex> of the bytes
    subject     TEXT    NOT NULL,
    sender      TEXT    NOT NULL,          -- address, lowercase ('' when unreadable)
    kind        TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    reasons     TEXT    NOT NULL,          -- JSON array of reason codes
    flags       TEXT    NOT NULL,          -- JSON array (not_assigned, …)
    project     TEXT,                      -- project key
    event_at    TEXT    NOT NULL,          -- RFC 3339 UTC: Date, bounded by Received
    handled_at  TEXT    NOT NULL,          -- RFC 3339 UTC: when the bot handled it
    references_ TEXT    NOT NULL DEFAULT '' -- Message-IDs it answers, space separated
);
CREATE INDEX messages_event_at ON messages (event_at);

-- 立项 (第九条); status 'uninitiated' when a report named it first (第十一条).
CREATE TABLE projects (
    key               TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('initiated', 'uninitiated')),
    responsible_sales TEXT,
    first_presales    TEXT,
    second_presales   TEXT,
    support_type      TEXT,
    support_content   TEXT,
    extras            TEXT NOT NULL DEFAULT '{}',   -- JSON: 期望时间, 合同号, 合同金额
    created_at        TEXT NOT NULL,
    initiated_at      TEXT,
    message           INTEGER NOT NULL REFERENCES messages (id)
);

-- 项目跟踪表 rows (第十六条): accepted reports. The owner is the project's 第一售前.
CREATE TABLE reports (
    id              INTEGER PRIMARY KEY,
    message         INTEGER NOT NULL UNIQUE REFERENCES messages (id),
    project         TEXT    NOT NULL REFERENCES projects (key),
    engineer        TEXT    NOT NULL,
    result          TEXT    NOT NULL,
    contact         TEXT    NOT NULL,
    method          TEXT    NOT NULL,
    content         TEXT    NOT NULL,
    leftover        TEXT,
    priority        TEXT    NOT NULL,
    communicated_at TEXT,
    reported_at     TEXT    NOT NULL
);
CREATE INDEX reports_project ON reports (project, reported_at);

-- 遗留问题 (第十七条).
CREATE TABLE open_items (
    id          INTEGER PRIMARY KEY,
    report      INTEGER NOT NULL REFERENCES reports (id),
    project     TEXT    NOT NULL REFERENCES projects (key),
    engineer    TEXT    NOT NULL,
    description TEXT    NOT NULL,
    priority    TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    opened_at   TEXT    NOT NULL,
    closed_at   TEXT
);

-- 投诉 (第十三条–第十四条).
CREATE TABLE complaints (
    id          INTEGER PRIMARY KEY,
    message     INTEGER NOT NULL UNIQUE REFERENCES messages (id),
    project     TEXT    NOT NULL,
    complainant TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    month       TEXT    NOT NULL,          -- YYYY-MM in the department's time zone
    status      TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn', 'voided')),
    filed_at    TEXT    NOT NULL,
    ended_by    INTEGER REFERENCES messages (id)
);
CREATE INDEX complaints_target ON complaints (status, target, month);
CREATE INDEX complaints_project ON complaints (project, status);

-- 第十四条 notices: one per (engineer, scope, period, level) ever in force.
CREATE TABLE threshold_notices (
    engineer TEXT    NOT NULL,
    scope    TEXT    NOT NULL CHECK (scope IN ('month', 'permanent')),
    period   TEXT    NOT NULL,
    level    INTEGER NOT NULL,
    active   INTEGER NOT NULL DEFAULT 1,
    message  INTEGER NOT NULL REFERENCES messages (id),
    PRIMARY KEY (engineer, scope, period, level)
);

-- Outgoing mail, queued in the transaction of the mail that caused it; the sender marks a row
-- sent only after the transport accepted it.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    message     INTEGER REFERENCES messages (id),
    kind        TEXT    NOT NULL,
    to_addrs    TEXT    NOT NULL,          -- JSON array
    cc_addrs    TEXT    NOT NULL,          -- JSON array
    subject     TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    message_id  TEXT    NOT NULL UNIQUE,   -- <…@domain>, stable across resends
    in_reply_to TEXT,
    references_ TEXT,
    status      TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  TEXT    NOT NULL,
    sent_at     TEXT
);
CREATE INDEX outbox_status ON outbox (status, id);

-- What changed and why, kept when a complaint is withdrawn or a project re-filed.
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      TEXT    NOT NULL,
    message INTEGER REFERENCES messages (id),
    action  TEXT    NOT NULL,
    detail  TEXT    NOT NULL               -- JSON
);
