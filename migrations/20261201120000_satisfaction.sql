-- 满意度回访 (workflow.md "Satisfaction follow-up"; the seed's 问题跟踪与评估 and 客户满意度考核):
-- one row per closed open item or closed fault order, made in the closing mail's transaction.
CREATE TABLE satisfaction (
    id           INTEGER PRIMARY KEY,
    item_kind    TEXT    NOT NULL CHECK (item_kind IN ('open_item', 'fault_order')),
    item_id      INTEGER NOT NULL,
    thread       INTEGER NOT NULL REFERENCES messages (id),  -- the item's [SB-n] thread
    project      TEXT    NOT NULL,
    owner        TEXT    NOT NULL,     -- the engineer who owned the item (name)
    contact      TEXT,                 -- 沟通人 of the report that opened it
    description  TEXT    NOT NULL,     -- what the item was about
    closed_at    TEXT    NOT NULL,     -- RFC 3339 UTC
    requested_at TEXT,                 -- when the request fell due and was queued
    reminded_at  TEXT,
    answer       TEXT CHECK (answer IN ('满意', '基本满意', '不满意')),
    note         TEXT,                 -- the 说明 line, as written
    answered_by  TEXT,
    answered_at  TEXT,
    UNIQUE (item_kind, item_id)
);
CREATE INDEX satisfaction_thread ON satisfaction (thread);
CREATE INDEX satisfaction_open ON satisfaction (answered_at, closed_at);
CREATE INDEX satisfaction_owner ON satisfaction (owner, requested_at);
