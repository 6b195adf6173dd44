-- 知识库 (queries.md §2): solved problems, searched without word segmentation. FTS5's `trigram`
-- tokenizer (SQLite ≥ 3.34, bundled by libsqlite3-sys) indexes every 3-character window, so
-- Chinese needs no dictionary; terms of 1–2 characters are matched with LIKE on the same table.
-- One row per accepted report (沟通的具体问题), closed open item (遗留的问题描述 + the report that
-- closed it) and closed fault order (what was filed: 环境, 现象, … + the closing note), written in
-- the transaction of the mail that made it (store::kb::index_effects).
CREATE VIRTUAL TABLE kb USING fts5(
    text,
    source   UNINDEXED,   -- report / open_item / fault_order
    project  UNINDEXED,   -- project key
    date     UNINDEXED,   -- RFC 3339 UTC: the report's date, or when the item was closed
    engineer UNINDEXED,   -- who reported it, or filed the order
    thread   UNINDEXED,   -- messages.id of the source: the n of its [SB-n] tag
    tokenize = 'trigram'
);

-- Backfill for databases that existed before: what the live path would have indexed.
INSERT INTO kb (text, source, project, date, engineer, thread)
SELECT r.content, 'report', r.project, m.event_at, r.engineer, r.message
FROM reports r JOIN messages m ON m.id = r.message
WHERE trim(r.content) <> ''
ORDER BY r.id;

INSERT INTO kb (text, source, project, date, engineer, thread)
SELECT o.description || coalesce(char(10) || c.content, ''), 'open_item', o.project,
       coalesce(o.closed_at, o.opened_at), o.engineer, r.message
FROM open_items o JOIN reports r ON r.id = o.report
LEFT JOIN reports c ON c.message = o.closed_by
WHERE o.status = 'closed'
ORDER BY o.id;

INSERT INTO kb (text, source, project, date, engineer, thread)
SELECT f.filed_text || coalesce(char(10) || (
           SELECT h.note FROM item_history h
           WHERE h.item_kind = 'fault_order' AND h.item_id = f.id AND h.to_state = 'closed'
           ORDER BY h.id DESC LIMIT 1), ''),
       'fault_order', f.project, f.updated_at, f.proposer, f.message
FROM fault_orders f
WHERE f.state = 'closed'
ORDER BY f.id;
