-- Workflow items opened by mail and moved by thread commands (第八条, 第十七条,
-- 第十九条–第二十二条, 第四十三条–第四十七条). An item's thread is the row id of the mail that
-- opened it: the n of the [SB-n] tag on everything the bot sends about it.

-- 产品改进申请单: numbered per project in arrival order (第二十一条).
CREATE TABLE improvement_requests (
    id       INTEGER PRIMARY KEY,
    message  INTEGER NOT NULL UNIQUE REFERENCES messages (id),
    project  TEXT    NOT NULL REFERENCES projects (key),
    number   INTEGER NOT NULL,
    proposer TEXT    NOT NULL,
    filed_at TEXT    NOT NULL,
    UNIQUE (project, number)
);

-- 研发工时 reported on a request's thread (第二十二条).
CREATE TABLE rd_time (
    id      INTEGER PRIMARY KEY,
    request INTEGER NOT NULL REFERENCES improvement_requests (id),
    message INTEGER NOT NULL REFERENCES messages (id),
    person  TEXT    NOT NULL,
    hours   REAL    NOT NULL,
    at      TEXT    NOT NULL
);

-- One 第二十二条 notice per project.
CREATE TABLE rd_cost_notices (
    project TEXT    PRIMARY KEY REFERENCES projects (key),
    message INTEGER NOT NULL REFERENCES messages (id)
);

-- 故障处理工作单 and its state machine (第四十四条–第四十七条).
CREATE TABLE fault_orders (
    id                  INTEGER PRIMARY KEY,
    message             INTEGER NOT NULL UNIQUE REFERENCES messages (id),
    project             TEXT    NOT NULL REFERENCES projects (key),
    proposer            TEXT    NOT NULL,
    priority            TEXT    NOT NULL,
    state               TEXT    NOT NULL CHECK (state IN ('pending_approval', 'with_rd_manager', 'assigned',
                                 'closure_requested', 'closed', 'rejected', 'converted')),
    lead                TEXT,
    conversion_proposed INTEGER NOT NULL DEFAULT 0,
    filed_at            TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL
);
CREATE INDEX fault_orders_state ON fault_orders (state);

-- 内部bug反馈表 (第八条).
CREATE TABLE bug_reports (
    id       INTEGER PRIMARY KEY,
    message  INTEGER NOT NULL UNIQUE REFERENCES messages (id),
    topic    TEXT    NOT NULL,
    reporter TEXT    NOT NULL,
    missing  TEXT    NOT NULL,             -- JSON: names not among To/Cc
    filed_at TEXT    NOT NULL
);

-- Every transition of every item, with the mail that made it.
CREATE TABLE item_history (
    id         INTEGER PRIMARY KEY,
    item_kind  TEXT    NOT NULL,           -- fault_order, open_item, improvement_request
    item_id    INTEGER NOT NULL,
    message    INTEGER NOT NULL REFERENCES messages (id),
    at         TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    from_state TEXT,
    to_state   TEXT,
    note       TEXT
);
CREATE INDEX item_history_item ON item_history (item_kind, item_id);

ALTER TABLE open_items ADD COLUMN closed_by INTEGER REFERENCES messages (id);

-- A thread command belongs to the thread of the item it acts on: replies to the bot's answer
-- to it must find that item, so it is tagged and resolved by the thread's opening mail.
ALTER TABLE messages ADD COLUMN thread INTEGER REFERENCES messages (id);
