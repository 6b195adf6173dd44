//! `messages`: one row per distinct mail received — the exactly-once key.

use super::ts;
use crate::rules::{MailKind, ThreadRef};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use sqlx::types::Json;

/// A mail as recorded.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// Message-ID or content hash.
    pub key: &'a str,
    /// Decoded subject.
    pub subject: &'a str,
    /// Sender address.
    pub sender: &'a str,
    /// Its kind (stored by its `report messages` name).
    pub kind: MailKind,
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
#[derive(Debug, Clone)]
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
    /// Reason codes.
    pub reasons: Vec<String>,
    /// Flags.
    pub flags: Vec<String>,
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
    let reasons = Json(m.reasons);
    let flags = Json(m.flags);
    let (event_at, handled_at) = (ts(m.event_at), ts(m.handled_at));
    let references = m.references.join(" ");
    let done = sqlx::query!(
        "INSERT INTO messages (dedup_key, subject, sender, kind, outcome, reasons, flags, project,
                               event_at, handled_at, references_, thread, chain)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (dedup_key) DO NOTHING",
        m.key,
        m.subject,
        m.sender,
        m.kind,
        m.outcome,
        reasons,
        flags,
        m.project,
        event_at,
        handled_at,
        references,
        m.thread,
        m.chain
    )
    .execute(conn)
    .await?;
    Ok((done.rows_affected() == 1).then(|| done.last_insert_rowid()))
}

/// Whether a mail with exactly-once key `key` is recorded: a query's answer is only computed
/// for a mail not seen before (an IMAP redelivery of a 查询 would otherwise build the whole
/// answer again before [`insert`] finds the key taken).
pub async fn recorded(conn: &mut SqliteConnection, key: &str) -> anyhow::Result<bool> {
    let found = sqlx::query_scalar!("SELECT 1 AS one FROM messages WHERE dedup_key = ?", key)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// The thread opened by message row `id` (the n of an `[SB-n]` tag).
pub async fn thread_by_id(
    conn: &mut SqliteConnection,
    id: i64,
) -> anyhow::Result<Option<ThreadRef>> {
    Ok(sqlx::query_as!(
        ThreadRef,
        r#"SELECT r.id AS message, r.sender, r.outcome, r.kind AS "kind: MailKind", r.project,
                  coalesce(r.chain, r.id) AS "chain!: i64"
           FROM messages m JOIN messages r ON r.id = coalesce(m.thread, m.id)
           WHERE m.id = ?"#,
        id
    )
    .fetch_optional(conn)
    .await?)
}

/// The thread a reply belongs to by its In-Reply-To/References: a mail the bot sent, or a
/// workflow mail it recorded.
pub async fn thread_by_ids(
    conn: &mut SqliteConnection,
    ids: &[String],
) -> anyhow::Result<Option<ThreadRef>> {
    for id in ids.iter().rev() {
        let dedup_key = id.trim_matches(['<', '>']);
        let bracketed = format!("<{dedup_key}>");
        let row = sqlx::query_as!(
            ThreadRef,
            r#"SELECT r.id AS "message!: i64", r.sender AS "sender!", r.outcome AS "outcome!",
                      r.kind AS "kind!: MailKind", r.project AS "project?",
                      coalesce(r.chain, r.id) AS "chain!: i64"
               FROM outbox o JOIN messages m ON m.id = o.message
               JOIN messages r ON r.id = coalesce(m.thread, m.id) WHERE o.message_id = ?
               UNION ALL
               SELECT r.id, r.sender, r.outcome, r.kind, r.project, coalesce(r.chain, r.id)
               FROM messages m JOIN messages r ON r.id = coalesce(m.thread, m.id)
               WHERE m.dedup_key = ? AND m.kind <> 'ordinary'
               LIMIT 1"#,
            bracketed,
            dedup_key
        )
        .fetch_optional(&mut *conn)
        .await?;
        if row.is_some() {
            return Ok(row);
        }
    }
    Ok(None)
}

/// Whether a mail of reply chain `chain` handled since `since` was answered as not valid
/// (rejected): the loop breaker's one answer per thread per day (workflow.md §5).
pub async fn rejected_on_chain_since(
    conn: &mut SqliteConnection,
    chain: i64,
    since: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let since = ts(since);
    let found = sqlx::query_scalar!(
        "SELECT 1 AS one FROM messages
         WHERE chain = ? AND handled_at >= ? AND outcome = 'rejected' LIMIT 1",
        chain,
        since
    )
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// Every recorded mail, in the order handled.
pub async fn list(conn: &mut SqliteConnection) -> anyhow::Result<Vec<MessageRow>> {
    let rows = sqlx::query!(
        r#"SELECT id, dedup_key, subject, sender, kind, outcome,
                  reasons AS "reasons: Json<Vec<String>>", flags AS "flags: Json<Vec<String>>",
                  project, event_at
           FROM messages ORDER BY id"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MessageRow {
            id: r.id,
            dedup_key: r.dedup_key,
            subject: r.subject,
            sender: r.sender,
            kind: r.kind,
            outcome: r.outcome,
            reasons: r.reasons.0,
            flags: r.flags.0,
            project: r.project,
            event_at: r.event_at,
        })
        .collect())
}
