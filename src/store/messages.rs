//! `messages`: one row per distinct mail received — the exactly-once key.

use super::ts;
use crate::rules::ThreadRef;
use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

/// A mail as recorded.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// Message-ID or content hash.
    pub key: &'a str,
    /// Decoded subject.
    pub subject: &'a str,
    /// Sender address.
    pub sender: &'a str,
    /// `report messages` kind.
    pub kind: &'a str,
    /// accepted / rejected / ignored.
    pub outcome: &'a str,
    /// Reason codes.
    pub reasons: &'a [String],
    /// Flags.
    pub flags: &'a [String],
    /// Project key.
    pub project: Option<&'a str>,
    /// Event time.
    pub event_at: DateTime<Utc>,
    /// Handling time.
    pub handled_at: DateTime<Utc>,
    /// Message-IDs it answers.
    pub references: &'a [String],
    /// For a thread command: the mail that opened the thread it acts on.
    pub thread: Option<i64>,
    /// For any reply on a bot thread: the first mail of its reply chain (the loop breaker's
    /// thread, workflow.md §5).
    pub chain: Option<i64>,
}

/// A recorded mail, for `report messages`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    /// Row id (the n of `[SB-n]`).
    pub id: i64,
    /// Message-ID or content hash.
    pub dedup_key: String,
    /// Subject.
    pub subject: String,
    /// Sender.
    pub sender: String,
    /// Kind.
    pub kind: String,
    /// Outcome.
    pub outcome: String,
    /// JSON array.
    pub reasons: String,
    /// JSON array.
    pub flags: String,
    /// Project key.
    pub project: Option<String>,
    /// Event time.
    pub event_at: String,
}

/// Records a mail; returns its row id, or `None` when a mail with the same key is already
/// recorded (the exactly-once check and the insert are one statement).
pub async fn insert(
    conn: &mut SqliteConnection,
    m: &NewMessage<'_>,
) -> anyhow::Result<Option<i64>> {
    let done = sqlx::query(
        "INSERT INTO messages (dedup_key, subject, sender, kind, outcome, reasons, flags, project,
                               event_at, handled_at, references_, thread, chain)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (dedup_key) DO NOTHING",
    )
    .bind(m.key)
    .bind(m.subject)
    .bind(m.sender)
    .bind(m.kind)
    .bind(m.outcome)
    .bind(serde_json::to_string(m.reasons)?)
    .bind(serde_json::to_string(m.flags)?)
    .bind(m.project)
    .bind(ts(m.event_at))
    .bind(ts(m.handled_at))
    .bind(m.references.join(" "))
    .bind(m.thread)
    .bind(m.chain)
    .execute(conn)
    .await?;
    Ok((done.rows_affected() == 1).then(|| done.last_insert_rowid()))
}

/// The thread opened by message row `id` (the n of an `[SB-n]` tag).
pub async fn thread_by_id(
    conn: &mut SqliteConnection,
    id: i64,
) -> anyhow::Result<Option<ThreadRef>> {
    let row = sqlx::query("SELECT r.id, r.sender, r.outcome, r.kind, r.project, coalesce(r.chain, r.id) AS chain FROM messages m JOIN messages r ON r.id = coalesce(m.thread, m.id)
         WHERE m.id = ?")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(thread_ref))
}

/// The thread a reply belongs to by its In-Reply-To/References: a mail the bot sent, or a
/// workflow mail it recorded.
pub async fn thread_by_ids(
    conn: &mut SqliteConnection,
    ids: &[String],
) -> anyhow::Result<Option<ThreadRef>> {
    for id in ids.iter().rev() {
        let bracketed = format!("<{}>", id.trim_matches(['<', '>']));
        let row = sqlx::query(
            "SELECT r.id, r.sender, r.outcome, r.kind, r.project, coalesce(r.chain, r.id) AS chain FROM outbox o JOIN messages m ON m.id = o.message
             JOIN messages r ON r.id = coalesce(m.thread, m.id) WHERE o.message_id = ?
             UNION ALL
             SELECT r.id, r.sender, r.outcome, r.kind, r.project, coalesce(r.chain, r.id) AS chain FROM messages m JOIN messages r ON r.id = coalesce(m.thread, m.id)
             WHERE m.dedup_key = ? AND m.kind <> 'ordinary'
             LIMIT 1",
        )
        .bind(&bracketed)
        .bind(id.trim_matches(['<', '>']))
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(row) = row {
            return Ok(Some(thread_ref(row)));
        }
    }
    Ok(None)
}

fn thread_ref(row: sqlx::sqlite::SqliteRow) -> ThreadRef {
    ThreadRef {
        message: row.get("id"),
        sender: row.get("sender"),
        outcome: row.get("outcome"),
        kind: row.get("kind"),
        project: row.get("project"),
        chain: row.get("chain"),
    }
}

/// Whether a mail of reply chain `chain` handled since `since` was answered as not valid
/// (rejected): the loop breaker's one answer per thread per day (workflow.md §5).
pub async fn rejected_on_chain_since(
    conn: &mut SqliteConnection,
    chain: i64,
    since: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM messages WHERE chain = ? AND handled_at >= ? AND outcome = 'rejected'
         LIMIT 1",
    )
    .bind(chain)
    .bind(ts(since))
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// Every recorded mail, in the order handled.
pub async fn list(conn: &mut SqliteConnection) -> anyhow::Result<Vec<MessageRow>> {
    Ok(sqlx::query_as(
        "SELECT id, dedup_key, subject, sender, kind, outcome, reasons, flags, project, event_at
         FROM messages ORDER BY id",
    )
    .fetch_all(conn)
    .await?)
}
