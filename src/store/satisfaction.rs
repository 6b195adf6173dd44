//! 满意度回访 rows: made when an item closes, requested and reminded by the schedules, answered
//! on the item's thread.

use super::ts;
use crate::rules::satisfaction::{Level, SatisfactionRef};
use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// Opens the follow-up of a closed open item (第十七条): owner, contact and description from the
/// item and the report that opened it. Once per item.
pub async fn open_for_open_item(
    conn: &mut SqliteConnection,
    item: i64,
    closed_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let closed_at = ts(closed_at);
    sqlx::query!(
        "INSERT INTO satisfaction (item_kind, item_id, thread, project, owner, contact, description,
                                   closed_at)
         SELECT 'open_item', o.id, r.message, o.project, o.engineer, r.contact, o.description, ?
         FROM open_items o JOIN reports r ON r.id = o.report WHERE o.id = ?
         ON CONFLICT (item_kind, item_id) DO NOTHING",
        closed_at,
        item
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Opens the follow-up of a closed fault order (第四十六条): its proposer owns it.
pub async fn open_for_fault(
    conn: &mut SqliteConnection,
    order: i64,
    closed_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let closed_at = ts(closed_at);
    sqlx::query!(
        "INSERT INTO satisfaction (item_kind, item_id, thread, project, owner, contact, description,
                                   closed_at)
         SELECT 'fault_order', f.id, f.message, f.project, f.proposer, NULL, m.subject, ?
         FROM fault_orders f JOIN messages m ON m.id = f.message WHERE f.id = ?
         ON CONFLICT (item_kind, item_id) DO NOTHING",
        closed_at,
        order
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A `satisfaction` row's columns, decoded by sqlx (a corrupt time is an error).
struct Record {
    id: i64,
    thread: i64,
    project: String,
    owner: String,
    contact: Option<String>,
    description: String,
    closed_at: DateTime<Utc>,
    requested_at: Option<DateTime<Utc>>,
    answer: Option<String>,
}

impl Record {
    fn into_ref(self) -> anyhow::Result<SatisfactionRef> {
        let answer = self
            .answer
            .map(|a| {
                Level::from_name(&a)
                    .with_context(|| format!("satisfaction {}: unknown answer {a:?}", self.id))
            })
            .transpose()?;
        Ok(SatisfactionRef {
            id: self.id,
            thread: self.thread,
            project: self.project,
            owner: self.owner,
            contact: self.contact,
            description: self.description,
            closed_at: self.closed_at,
            requested_at: self.requested_at,
            answer,
        })
    }
}

/// The follow-up on the thread `thread`, if its item has closed.
pub async fn by_thread(
    conn: &mut SqliteConnection,
    thread: i64,
) -> anyhow::Result<Option<SatisfactionRef>> {
    let row = sqlx::query_as!(
        Record,
        r#"SELECT id, thread, project, owner, contact, description,
                  closed_at AS "closed_at: DateTime<Utc>",
                  requested_at AS "requested_at: DateTime<Utc>", answer
           FROM satisfaction WHERE thread = ? ORDER BY id DESC LIMIT 1"#,
        thread
    )
    .fetch_optional(conn)
    .await?;
    row.map(Record::into_ref).transpose()
}

/// Every follow-up not answered yet whose reminder is not recorded yet ([`settle`]), oldest closure
/// first (the schedules' work list).
pub async fn unanswered(conn: &mut SqliteConnection) -> anyhow::Result<Vec<SatisfactionRef>> {
    let rows = sqlx::query_as!(
        Record,
        r#"SELECT id, thread, project, owner, contact, description,
                  closed_at AS "closed_at: DateTime<Utc>",
                  requested_at AS "requested_at: DateTime<Utc>", answer
           FROM satisfaction INDEXED BY satisfaction_pending
           WHERE answered_at IS NULL AND settled = 0 ORDER BY closed_at, id"#
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(Record::into_ref).collect()
}

/// Marks settled the unanswered requests whose reminder's due event is recorded (queued, or
/// skipped after a gap): [`unanswered`] no longer reads them. Run by the tick after it records
/// the due events, in the same transaction; reads only the requests not settled yet.
pub async fn settle(conn: &mut SqliteConnection) -> anyhow::Result<u64> {
    Ok(sqlx::query!(
        "UPDATE satisfaction INDEXED BY satisfaction_pending SET settled = 1
         WHERE answered_at IS NULL AND settled = 0
           AND EXISTS (SELECT 1 FROM due_events d
                       WHERE d.key = 'satisfaction_reminder:' || satisfaction.id)"
    )
    .execute(conn)
    .await?
    .rows_affected())
}

/// Records that the request (or reminder) fell due at `at` and was queued.
pub async fn mark(
    conn: &mut SqliteConnection,
    id: i64,
    reminder: bool,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let at = ts(at);
    if reminder {
        sqlx::query!(
            "UPDATE satisfaction SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL",
            at,
            id
        )
        .execute(conn)
        .await?;
    } else {
        sqlx::query!(
            "UPDATE satisfaction SET requested_at = ? WHERE id = ? AND requested_at IS NULL",
            at,
            id
        )
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// The answer, from the owner or the presales manager.
pub async fn answer(
    conn: &mut SqliteConnection,
    id: i64,
    level: Level,
    note: Option<&str>,
    by: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let level = level.as_str();
    let at = ts(at);
    sqlx::query!(
        "UPDATE satisfaction SET answer = ?, note = ?, answered_by = ?, answered_at = ?
         WHERE id = ? AND answered_at IS NULL",
        level,
        note,
        by,
        at,
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One presales' line of `report satisfaction` (the seed's 客户满意度考核).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Line {
    /// The presales (name).
    pub name: String,
    /// Requests that fell due in the month.
    pub requests: i64,
    /// Answers received in the month.
    pub answers: i64,
    /// 满意.
    pub satisfied: i64,
    /// 基本满意.
    pub mostly_satisfied: i64,
    /// 不满意.
    pub dissatisfied: i64,
    /// (满意 + 基本满意) / answers, in percent; null with no answers.
    pub rate: Option<f64>,
}

/// The columns of a [`Line`] as people read them (`report satisfaction`, the monthly digest).
pub const COLUMNS: [&str; 7] = [
    "售前",
    "回访请求",
    "已回复",
    "满意",
    "基本满意",
    "不满意",
    "满意率",
];

impl Line {
    /// The line's cells under [`COLUMNS`].
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.requests.to_string(),
            self.answers.to_string(),
            self.satisfied.to_string(),
            self.mostly_satisfied.to_string(),
            self.dissatisfied.to_string(),
            self.rate
                .map_or_else(|| "—".to_string(), |r| format!("{r:.1}%")),
        ]
    }
}

/// Per presales: requests due and answers received in `[from, to)`.
pub async fn month(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<Line>> {
    let (from, to) = (ts(from), ts(to));
    let rows = sqlx::query!(
        r#"SELECT owner,
                count(CASE WHEN requested_at >= ?1 AND requested_at < ?2 THEN 1 END) AS "requests!: i64",
                count(CASE WHEN answered_at >= ?1 AND answered_at < ?2 THEN 1 END) AS "answers!: i64",
                count(CASE WHEN answered_at >= ?1 AND answered_at < ?2 AND answer = '满意'
                           THEN 1 END) AS "satisfied!: i64",
                count(CASE WHEN answered_at >= ?1 AND answered_at < ?2 AND answer = '基本满意'
                           THEN 1 END) AS "mostly!: i64",
                count(CASE WHEN answered_at >= ?1 AND answered_at < ?2 AND answer = '不满意'
                           THEN 1 END) AS "dissatisfied!: i64"
         FROM satisfaction
         WHERE (requested_at >= ?1 AND requested_at < ?2) OR (answered_at >= ?1 AND answered_at < ?2)
         GROUP BY owner ORDER BY owner"#,
        from,
        to
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Line {
            name: r.owner,
            requests: r.requests,
            answers: r.answers,
            satisfied: r.satisfied,
            mostly_satisfied: r.mostly,
            dissatisfied: r.dissatisfied,
            rate: (r.answers > 0).then(|| {
                // Two decimals: a percentage people read.
                ((r.satisfied + r.mostly) as f64 * 10_000.0 / r.answers as f64).round() / 100.0
            }),
        })
        .collect())
}

/// A follow-up the presales manager should see in the daily digest: an answer of 不满意 in the
/// period, or a request still unanswered after its reminder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attention {
    /// Project key.
    pub project: String,
    /// The item's thread (its #n).
    pub thread: i64,
    /// The owner.
    pub owner: String,
    /// What the item was about.
    pub description: String,
    /// 不满意, or None when it is an overdue request.
    pub dissatisfied_note: Option<Option<String>>,
    /// When it was answered, or reminded.
    pub at: DateTime<Utc>,
}

/// The daily digest's 满意度回访 rows: 不满意 answered in `[from, to)`, and requests reminded and
/// still unanswered (workflow.md: "then it shows as overdue in the daily digest").
pub async fn attention(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<Attention>> {
    let (from, to) = (ts(from), ts(to));
    let rows = sqlx::query!(
        r#"SELECT project, thread, owner, description, answer, note,
                  coalesce(answered_at, reminded_at) AS "at!: DateTime<Utc>"
           FROM satisfaction
           WHERE (answer = '不满意' AND answered_at >= ?1 AND answered_at < ?2)
              OR (answered_at IS NULL AND reminded_at IS NOT NULL)
           ORDER BY coalesce(answered_at, reminded_at), id"#,
        from,
        to
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Attention {
            project: r.project,
            thread: r.thread,
            owner: r.owner,
            description: r.description,
            dissatisfied_note: r.answer.map(|_| r.note),
            at: r.at,
        })
        .collect())
}
