//! `due_events`, SLA deadlines on `open_items`, and what reminders and digests read.

use super::ts;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use sqlx::types::Json;

/// Whether the due event `key` was queued before.
pub async fn due_exists(conn: &mut SqliteConnection, key: &str) -> anyhow::Result<bool> {
    let row = sqlx::query_scalar!("SELECT 1 AS one FROM due_events WHERE key = ?", key)
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}

/// The latest occurrence of `schedule` ever queued (a digest never goes back in time).
pub async fn last_due(
    conn: &mut SqliteConnection,
    schedule: &str,
) -> anyhow::Result<Option<DateTime<Utc>>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT max(due_at) AS "due?: DateTime<Utc>" FROM due_events WHERE schedule = ?"#,
        schedule
    )
    .fetch_one(conn)
    .await?)
}

/// Records a due event as skipped: it fell due too long ago to be worth sending (a gap in the
/// daemon's running, or an imported archive). No mail; never queued later.
pub async fn record_skipped(
    conn: &mut SqliteConnection,
    key: &str,
    schedule: &str,
    due_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let (due_at, at) = (ts(due_at), ts(at));
    sqlx::query!(
        "INSERT INTO due_events (key, schedule, due_at, queued_at, message_id, skipped)
         VALUES (?, ?, ?, ?, '', 1)",
        key,
        schedule,
        due_at,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records as skipped, in one statement per 10,000, every due event of `events` (key, schedule,
/// due at) not recorded before; returns how many were new. What [`record_skipped`] does one by
/// one, for the reminders a tick finds long past after a gap or an imported archive (one per
/// open item: a round trip each was most of a minute on the 1M benchmark).
pub async fn record_all_skipped(
    conn: &mut SqliteConnection,
    events: &[(&str, &str, DateTime<Utc>)],
    at: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let at = ts(at);
    let mut recorded = 0;
    for chunk in events.chunks(10_000) {
        let rows: Vec<(&str, &str, String)> = chunk
            .iter()
            .map(|(key, schedule, due_at)| (*key, *schedule, ts(*due_at)))
            .collect();
        let rows = serde_json::to_string(&rows)?;
        recorded += sqlx::query!(
            "INSERT OR IGNORE INTO due_events (key, schedule, due_at, queued_at, message_id,
                                               skipped)
             SELECT value ->> 0, value ->> 1, value ->> 2, ?2, '', 1 FROM json_each(?1)",
            rows,
            at
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(recorded)
}

/// The event time of the first mail the bot recorded, if any.
pub async fn first_mail_at(conn: &mut SqliteConnection) -> anyhow::Result<Option<DateTime<Utc>>> {
    Ok(
        sqlx::query_scalar!(r#"SELECT min(event_at) AS "at?: DateTime<Utc>" FROM messages"#)
            .fetch_one(conn)
            .await?,
    )
}

/// Records a due event as queued.
pub async fn record_due(
    conn: &mut SqliteConnection,
    key: &str,
    schedule: &str,
    due_at: DateTime<Utc>,
    queued_at: DateTime<Utc>,
    message_id: &str,
) -> anyhow::Result<()> {
    let (due_at, queued_at) = (ts(due_at), ts(queued_at));
    sqlx::query!(
        "INSERT INTO due_events (key, schedule, due_at, queued_at, message_id)
         VALUES (?, ?, ?, ?, ?)",
        key,
        schedule,
        due_at,
        queued_at,
        message_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores an open item's SLA deadlines (第七条, 第十七条); the response deadline is the next the tick
/// settles.
pub async fn set_open_item_deadlines(
    conn: &mut SqliteConnection,
    id: i64,
    response_due: DateTime<Utc>,
    resolution_due: DateTime<Utc>,
) -> anyhow::Result<()> {
    let (response_due, resolution_due) = (ts(response_due), ts(resolution_due));
    sqlx::query!(
        "UPDATE open_items SET response_due = ?1, resolution_due = ?2, next_due = ?1 WHERE id = ?3",
        response_due,
        resolution_due,
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Open items that have no deadlines yet (opened before deadlines were stored): (id, priority,
/// opened_at).
pub async fn items_without_deadlines(
    conn: &mut SqliteConnection,
) -> anyhow::Result<Vec<(i64, String, DateTime<Utc>)>> {
    let rows = sqlx::query!(
        r#"SELECT id, priority, opened_at AS "opened_at: DateTime<Utc>" FROM open_items
           WHERE response_due IS NULL ORDER BY id"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.priority, r.opened_at))
        .collect())
}

/// An open 遗留问题 with its deadlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenItemRow {
    /// Row id.
    pub id: i64,
    /// Its thread: the report that opened it (the n of `[SB-n]` and of 「#n」).
    pub thread: i64,
    /// Project name.
    pub project: String,
    /// Engineer (name) who reported it.
    pub engineer: String,
    /// 遗留的问题描述.
    pub description: String,
    /// 紧急 / 重要 / 一般.
    pub priority: String,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// First follow-up due.
    pub response_due: DateTime<Utc>,
    /// Solution due.
    pub resolution_due: DateTime<Utc>,
    /// A later accepted report on the project exists (第七条 follow-up).
    pub followed_up: bool,
}

impl OpenItemRow {
    /// Past an SLA deadline at `now`: the resolution's, or the response's with no follow-up
    /// (第七条, 第十七条). The statements of [`open_item_counts`] and
    /// [`open_items_overdue_first`] say the same in SQL.
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.resolution_due <= now || (self.response_due <= now && !self.followed_up)
    }
}

/// How many items are open and how many of them are overdue at `now`; `engineer` narrows to one
/// person's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenCounts {
    /// Items open.
    pub open: i64,
    /// Of them, past an SLA deadline at `now` ([`OpenItemRow::overdue`]).
    pub overdue: i64,
}

/// [`OpenCounts`] from the index `open_items_open_due`: the items past their resolution deadline
/// are a range of it, and only the items after that range (not yet due: the recent ones) are
/// read to find those past their response deadline with no follow-up.
pub async fn open_item_counts(
    conn: &mut SqliteConnection,
    engineer: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<OpenCounts> {
    let now = ts(now);
    let row = sqlx::query!(
        r#"SELECT
             (SELECT count(*) FROM open_items o
              WHERE o.status = 'open' AND (?1 IS NULL OR o.engineer = ?1)) AS "open!: i64",
             (SELECT count(*) FROM open_items o
              WHERE o.status = 'open' AND coalesce(o.resolution_due, o.opened_at) <= ?2
                AND (?1 IS NULL OR o.engineer = ?1))
           + (SELECT count(*) FROM open_items o
              WHERE o.status = 'open' AND coalesce(o.resolution_due, o.opened_at) > ?2
                AND (?1 IS NULL OR o.engineer = ?1)
                AND coalesce(o.response_due, o.opened_at) <= ?2
                AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.project = o.project
                                AND r.reported_at > o.opened_at)) AS "overdue!: i64""#,
        engineer,
        now
    )
    .fetch_one(conn)
    .await?;
    Ok(OpenCounts {
        open: row.open,
        overdue: row.overdue,
    })
}

/// At most `limit` open items, the overdue first (queries.md §4), each part oldest first;
/// `engineer` narrows to one person's. The overdue are read from the oldest on and are the oldest
/// (a deadline is a fixed working time after opening); the rest are the range of
/// `open_items_open_due` after `now`.
pub async fn open_items_overdue_first(
    conn: &mut SqliteConnection,
    engineer: Option<&str>,
    now: DateTime<Utc>,
    limit: i64,
) -> anyhow::Result<Vec<OpenItemRow>> {
    let at = ts(now);
    let mut items = sqlx::query_as!(
        OpenItemRow,
        r#"SELECT o.id, o.thread AS "thread!: i64",
                  p.name AS project, o.engineer, o.description, o.priority,
                  o.opened_at AS "opened_at: DateTime<Utc>",
                  coalesce(o.response_due, o.opened_at) AS "response_due!: DateTime<Utc>",
                  coalesce(o.resolution_due, o.opened_at) AS "resolution_due!: DateTime<Utc>",
                  EXISTS (SELECT 1 FROM reports r WHERE r.project = o.project
                          AND r.reported_at > o.opened_at) AS "followed_up!: bool"
           FROM open_items o INDEXED BY open_items_open_since JOIN projects p ON p.key = o.project
           WHERE o.status = 'open' AND (?1 IS NULL OR o.engineer = ?1)
             AND (coalesce(o.resolution_due, o.opened_at) <= ?2
                  OR (coalesce(o.response_due, o.opened_at) <= ?2
                      AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.project = o.project
                                      AND r.reported_at > o.opened_at)))
           ORDER BY o.opened_at, o.id LIMIT (SELECT ?3)"#,
        engineer,
        at,
        limit
    )
    .fetch_all(&mut *conn)
    .await?;
    let room = limit.saturating_sub(items.len() as i64);
    if room > 0 {
        items.extend(
            sqlx::query_as!(
                OpenItemRow,
                r#"SELECT o.id, o.thread AS "thread!: i64",
                          p.name AS project, o.engineer, o.description, o.priority,
                          o.opened_at AS "opened_at: DateTime<Utc>",
                          coalesce(o.response_due, o.opened_at) AS "response_due!: DateTime<Utc>",
                          coalesce(o.resolution_due, o.opened_at)
                              AS "resolution_due!: DateTime<Utc>",
                          EXISTS (SELECT 1 FROM reports r WHERE r.project = o.project
                                  AND r.reported_at > o.opened_at) AS "followed_up!: bool"
                   FROM open_items o INDEXED BY open_items_open_due
                        JOIN projects p ON p.key = o.project
                   WHERE o.status = 'open' AND coalesce(o.resolution_due, o.opened_at) > ?2
                     AND (?1 IS NULL OR o.engineer = ?1)
                     AND NOT (coalesce(o.response_due, o.opened_at) <= ?2
                              AND NOT EXISTS (SELECT 1 FROM reports r
                                              WHERE r.project = o.project
                                                AND r.reported_at > o.opened_at))
                   ORDER BY o.opened_at, o.id LIMIT (SELECT ?3)"#,
                engineer,
                at,
                room
            )
            .fetch_all(&mut *conn)
            .await?,
        );
    }
    Ok(items)
}

/// The open items whose next deadline for the tick (`next_due`: the response deadline, then the
/// resolution deadline) has come by `now`, oldest first: those a reminder or an escalation may be
/// due for. Read from the partial index of items with a deadline still to settle, so the tick's
/// work follows what fell due, not how many items are open.
pub async fn open_items_due(
    conn: &mut SqliteConnection,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<OpenItemRow>> {
    let now = ts(now);
    Ok(sqlx::query_as!(
        OpenItemRow,
        r#"SELECT o.id, o.thread AS "thread!: i64",
                  p.name AS project, o.engineer, o.description, o.priority,
                  o.opened_at AS "opened_at: DateTime<Utc>",
                  coalesce(o.response_due, o.opened_at) AS "response_due!: DateTime<Utc>",
                  coalesce(o.resolution_due, o.opened_at) AS "resolution_due!: DateTime<Utc>",
                  EXISTS (SELECT 1 FROM reports r WHERE r.project = o.project
                          AND r.reported_at > o.opened_at) AS "followed_up!: bool"
           FROM open_items o INDEXED BY open_items_next_due JOIN projects p ON p.key = o.project
           WHERE o.status = 'open' AND o.next_due IS NOT NULL AND o.next_due <= ?1
           ORDER BY o.opened_at, o.id"#,
        now
    )
    .fetch_all(conn)
    .await?)
}

/// Moves on `next_due` of the items [`open_items_due`] gave at `now`, once their due events are
/// recorded (or found not needed: followed up in time) in the same transaction: to the resolution
/// deadline while that is still ahead, else to none. Returns how many moved.
pub async fn settle_open_items_due(
    conn: &mut SqliteConnection,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let now = ts(now);
    Ok(sqlx::query!(
        "UPDATE open_items INDEXED BY open_items_next_due
         SET next_due = CASE WHEN coalesce(resolution_due, opened_at) <= ?1 THEN NULL
                             ELSE coalesce(resolution_due, opened_at) END
         WHERE status = 'open' AND next_due IS NOT NULL AND next_due <= ?1",
        now
    )
    .execute(conn)
    .await?
    .rows_affected())
}

/// The open items still before their response deadline at `now`, oldest first: the ones a
/// report-due nudge may be for (queries.md §3). Items before their response deadline are before
/// their resolution deadline, so this is the range of `open_items_open_due` after `now`: the
/// recent items, not the archive.
pub async fn open_items_awaiting_response(
    conn: &mut SqliteConnection,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<OpenItemRow>> {
    let now = ts(now);
    Ok(sqlx::query_as!(
        OpenItemRow,
        r#"SELECT o.id, o.thread AS "thread!: i64",
                  p.name AS project, o.engineer, o.description, o.priority,
                  o.opened_at AS "opened_at: DateTime<Utc>",
                  coalesce(o.response_due, o.opened_at) AS "response_due!: DateTime<Utc>",
                  coalesce(o.resolution_due, o.opened_at) AS "resolution_due!: DateTime<Utc>",
                  EXISTS (SELECT 1 FROM reports r WHERE r.project = o.project
                          AND r.reported_at > o.opened_at) AS "followed_up!: bool"
           FROM open_items o INDEXED BY open_items_open_due JOIN projects p ON p.key = o.project
           WHERE o.status = 'open' AND coalesce(o.resolution_due, o.opened_at) > ?1
             AND coalesce(o.response_due, o.opened_at) > ?1
           ORDER BY o.opened_at, o.id"#,
        now
    )
    .fetch_all(conn)
    .await?)
}

/// A project a report created without 立项 (第十一条).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UninitiatedRow {
    /// Project key.
    pub key: String,
    /// Name as first written.
    pub name: String,
    /// 责任销售 named in the report (name), if any.
    pub responsible_sales: Option<String>,
    /// Address of the engineer whose report created it.
    pub engineer: String,
    /// When that report was sent.
    pub created_at: DateTime<Utc>,
    /// `support_may_stop` was queued for it.
    pub support_stopped: bool,
}

/// Every project still without 立项, oldest first.
pub async fn uninitiated(conn: &mut SqliteConnection) -> anyhow::Result<Vec<UninitiatedRow>> {
    Ok(sqlx::query_as!(
        UninitiatedRow,
        r#"SELECT p.key AS "key!", p.name, p.responsible_sales, m.sender AS engineer,
                  p.created_at AS "created_at: DateTime<Utc>",
                  EXISTS (SELECT 1 FROM due_events d
                          WHERE d.key = 'support_may_stop:' || p.key) AS "support_stopped!: bool"
           FROM projects p JOIN messages m ON m.id = p.message
           WHERE p.status = 'uninitiated' ORDER BY p.created_at, p.key"#
    )
    .fetch_all(conn)
    .await?)
}

/// A mail of kind `report` received in a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportMail {
    /// Sender address.
    pub sender: String,
    /// accepted / rejected / ignored.
    pub outcome: String,
    /// Reason codes.
    pub reasons: Vec<String>,
    /// Flags (`not_assigned`, `late`).
    pub flags: Vec<String>,
    /// Project key, if the subject named one.
    pub project: Option<String>,
}

/// Report mails whose event time is in `[from, to)` that were accepted or rejected (ignored
/// mail, such as the bot's own or an unauthenticated sender's, is not a report).
pub async fn report_mails(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<ReportMail>> {
    let (from, to) = (ts(from), ts(to));
    let rows = sqlx::query!(
        r#"SELECT sender, outcome, reasons AS "reasons: Json<Vec<String>>",
                  flags AS "flags: Json<Vec<String>>", project FROM messages
           WHERE kind = 'report' AND outcome IN ('accepted', 'rejected')
             AND event_at >= ? AND event_at < ? ORDER BY event_at, id"#,
        from,
        to
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ReportMail {
            sender: r.sender,
            outcome: r.outcome,
            reasons: r.reasons.0,
            flags: r.flags.0,
            project: r.project,
        })
        .collect())
}

/// Mail ignored as `unauthenticated` in `[from, to)`: (sender, subject, event time).
pub async fn unauthenticated(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<(String, String, String)>> {
    let (from, to) = (ts(from), ts(to));
    let rows = sqlx::query!(
        r#"SELECT sender, subject, event_at FROM messages
           WHERE event_at >= ? AND event_at < ? AND reasons LIKE '%"unauthenticated"%'
           ORDER BY event_at, id"#,
        from,
        to
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.sender, r.subject, r.event_at))
        .collect())
}

/// Active complaints filed in `[from, to)`: (target, project, complainant).
pub async fn complaints_filed(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<(String, String, String)>> {
    let (from, to) = (ts(from), ts(to));
    let rows = sqlx::query!(
        "SELECT target, project, complainant FROM complaints
         WHERE status = 'active' AND filed_at >= ? AND filed_at < ? ORDER BY filed_at, id",
        from,
        to
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.target, r.project, r.complainant))
        .collect())
}
