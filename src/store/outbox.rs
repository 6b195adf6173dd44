//! `outbox`: mail queued in the transaction that caused it, marked sent only once delivered.

use super::ts;
use crate::mail::Outgoing;
use crate::mail::outbound::{Attachment, Queued};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use sqlx::types::Json;

/// Threading and identity of a queued mail, decided by the engine.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    /// The mail that caused it.
    pub message: i64,
    /// Full subject with tag.
    pub subject: &'a str,
    /// Stable Message-ID with brackets.
    pub message_id: &'a str,
    /// With brackets.
    pub in_reply_to: Option<&'a str>,
    /// With brackets, space separated.
    pub references: Option<&'a str>,
    /// Its Date.
    pub created_at: DateTime<Utc>,
}

/// Queues a mail; a second call with the same Message-ID queues nothing.
pub async fn enqueue(
    conn: &mut SqliteConnection,
    mail: &Outgoing,
    env: &Envelope<'_>,
) -> anyhow::Result<()> {
    insert(conn, mail, env, "pending").await?;
    Ok(())
}

/// Inserts a row with `status`; its id, or None when the Message-ID was queued before.
async fn insert(
    conn: &mut SqliteConnection,
    mail: &Outgoing,
    env: &Envelope<'_>,
    status: &str,
) -> anyhow::Result<Option<i64>> {
    let kind = mail.kind.as_str();
    let to = Json(&mail.to);
    let cc = Json(&mail.cc);
    let created_at = ts(env.created_at);
    let done = sqlx::query!(
        "INSERT INTO outbox (message, kind, to_addrs, cc_addrs, subject, body, message_id,
                             in_reply_to, references_, created_at, status)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (message_id) DO NOTHING",
        env.message,
        kind,
        to,
        cc,
        env.subject,
        mail.body,
        env.message_id,
        env.in_reply_to,
        env.references,
        created_at,
        status
    )
    .execute(conn)
    .await?;
    Ok((done.rows_affected() > 0).then(|| done.last_insert_rowid()))
}

/// The per-recipient cap on replies to incoming mail (`[limits]`).
#[derive(Debug, Clone, Copy)]
pub struct ReplyCap {
    /// Replies one address may get in any hour.
    pub per_hour: u32,
    /// Replies one address may get in any 24 hours.
    pub per_day: u32,
}

/// What queueing a reply under the cap did (`batch::Deferred::queue_reply`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyQueued {
    /// Queued to be sent, and counted against each recipient.
    Pending,
    /// Recorded with status `suppressed`, never to be sent: these recipients were at the cap.
    Suppressed(Vec<String>),
}

/// When the replies counted against `recipient` (lowercase) in the 24 hours up to `until` were
/// queued (stored timestamps), through the `reply_log (recipient, queued_at)` index: at most the
/// cap's `per_day` lines, as a line is only written under it.
pub async fn reply_lines_in_day(
    conn: &mut SqliteConnection,
    recipient: &str,
    until: DateTime<Utc>,
) -> anyhow::Result<Vec<String>> {
    let day_ago = ts(until - chrono::Duration::days(1));
    let until = ts(until);
    Ok(sqlx::query_scalar!(
        "SELECT queued_at FROM reply_log WHERE recipient = ? AND queued_at > ? AND queued_at <= ?",
        recipient,
        day_ago,
        until
    )
    .fetch_all(conn)
    .await?)
}

/// The `reply_log`'s last line (its rowid), or None when it has none: whether anyone wrote a
/// line since it was last read.
pub async fn last_reply_line(conn: &mut SqliteConnection) -> anyhow::Result<Option<i64>> {
    Ok(
        sqlx::query_scalar!(r#"SELECT max(rowid) AS "last?: i64" FROM reply_log"#)
            .fetch_one(conn)
            .await?,
    )
}

/// A row of `outbox` (interface.md `outbox`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutboxRow {
    /// Row id.
    pub id: i64,
    /// ack, rejection, …
    pub kind: String,
    /// Addresses.
    pub to: Vec<String>,
    /// Addresses.
    pub cc: Vec<String>,
    /// Subject with tag.
    pub subject: String,
    /// pending / sent / failed / suppressed.
    pub status: String,
    /// Stable Message-ID.
    pub message_id: String,
    /// The mail it answers.
    pub in_reply_to: Option<String>,
    /// Which inbound mail caused it (row id).
    pub message: Option<i64>,
}

/// The outbox, optionally only rows with `status`.
pub async fn list(
    conn: &mut SqliteConnection,
    status: Option<&str>,
) -> anyhow::Result<Vec<OutboxRow>> {
    let rows = sqlx::query!(
        r#"SELECT id, kind, to_addrs AS "to_addrs: Json<Vec<String>>",
                  cc_addrs AS "cc_addrs: Json<Vec<String>>", subject, status, message_id,
                  in_reply_to, message
           FROM outbox WHERE ?1 IS NULL OR status = ?1 ORDER BY id"#,
        status
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| OutboxRow {
            id: r.id,
            kind: r.kind,
            to: r.to_addrs.0,
            cc: r.cc_addrs.0,
            subject: r.subject,
            status: r.status,
            message_id: r.message_id,
            in_reply_to: r.in_reply_to,
            message: r.message,
        })
        .collect())
}

/// The columns of a mail to send, decoded by sqlx: a corrupt address list or time is an error.
struct QueuedRecord {
    id: i64,
    to_addrs: Json<Vec<String>>,
    cc_addrs: Json<Vec<String>>,
    subject: String,
    body: String,
    message_id: String,
    in_reply_to: Option<String>,
    references_: Option<String>,
    created_at: DateTime<Utc>,
    html: Option<String>,
}

impl From<QueuedRecord> for Queued {
    fn from(r: QueuedRecord) -> Queued {
        Queued {
            id: r.id,
            to: r.to_addrs.0,
            cc: r.cc_addrs.0,
            subject: r.subject,
            body: r.body,
            message_id: r.message_id,
            in_reply_to: r.in_reply_to,
            references: r.references_,
            created_at: r.created_at,
            html: r.html,
            attachments: Vec::new(),
        }
    }
}

/// Fills in the attachments of the mails that have an HTML part (digests).
async fn with_attachments(
    conn: &mut SqliteConnection,
    mut queued: Vec<Queued>,
) -> anyhow::Result<Vec<Queued>> {
    for q in queued.iter_mut().filter(|q| q.html.is_some()) {
        q.attachments = attachments(conn, q.id).await?;
    }
    Ok(queued)
}

/// Up to `limit` pending mails, oldest first, with id above `after` (claimed or not: for
/// reading; a sender takes mail with [`claim`]).
pub async fn pending(
    conn: &mut SqliteConnection,
    after: i64,
    limit: i64,
) -> anyhow::Result<Vec<Queued>> {
    let rows = sqlx::query_as!(
        QueuedRecord,
        r#"SELECT id, to_addrs AS "to_addrs: Json<Vec<String>>",
                  cc_addrs AS "cc_addrs: Json<Vec<String>>", subject, body, message_id,
                  in_reply_to, references_, created_at AS "created_at: DateTime<Utc>", html
           FROM outbox WHERE status = 'pending' AND id > ? ORDER BY id LIMIT (SELECT ?)"#,
        after,
        limit
    )
    .fetch_all(&mut *conn)
    .await?;
    let queued = rows.into_iter().map(Queued::from).collect();
    with_attachments(conn, queued).await
}

/// A sender's hold on the mails it is about to deliver.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    /// Unique to one sender run.
    pub token: &'a str,
    /// When the claim is taken: claims that lapsed before this are free.
    pub now: DateTime<Utc>,
    /// When this claim lapses (a sender that died frees its mail then).
    pub until: DateTime<Utc>,
}

/// Claims up to `limit` pending mails with id above `after` whose claim is free or lapsed,
/// oldest first, and returns them. One statement on a connection outside any transaction, so
/// the claim is committed before the caller hands a mail to the transport: two senders at once
/// never hold the same mail.
pub async fn claim(
    conn: &mut SqliteConnection,
    after: i64,
    limit: i64,
    c: &Claim<'_>,
) -> anyhow::Result<Vec<Queued>> {
    let (until, now) = (claim_ts(c.until), claim_ts(c.now));
    let rows = sqlx::query_as!(
        QueuedRecord,
        r#"UPDATE outbox SET claim_token = ?1, claimed_until = ?2
           WHERE id IN (SELECT id FROM outbox
                        WHERE status = 'pending' AND id > ?3
                          AND (claimed_until IS NULL OR claimed_until <= ?4)
                        ORDER BY id LIMIT (SELECT ?5))
           RETURNING id AS "id!", to_addrs AS "to_addrs!: Json<Vec<String>>",
                     cc_addrs AS "cc_addrs!: Json<Vec<String>>", subject AS "subject!",
                     body AS "body!", message_id AS "message_id!", in_reply_to, references_,
                     created_at AS "created_at!: DateTime<Utc>", html"#,
        c.token,
        until,
        after,
        now,
        limit
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut queued: Vec<Queued> = rows.into_iter().map(Queued::from).collect();
    // RETURNING gives no order.
    queued.sort_by_key(|q| q.id);
    with_attachments(conn, queued).await
}

/// Claim times to the millisecond (`ts` keeps seconds: a claim taken at 12:00:00.9 for a second
/// would lapse 0.1 s later). One fixed format, so the text compares in time order.
fn claim_ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Frees the claims `token` holds on `ids` (a deferred mail, or mail claimed but not tried
/// before a stop), so the next sender takes them at once.
pub async fn release(conn: &mut SqliteConnection, ids: &[i64], token: &str) -> anyhow::Result<()> {
    let ids = Json(ids);
    sqlx::query!(
        "UPDATE outbox SET claim_token = NULL, claimed_until = NULL
         WHERE claim_token = ? AND id IN (SELECT value FROM json_each(?))",
        token,
        ids
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The files attached to an outbox row, in order.
pub async fn attachments(conn: &mut SqliteConnection, id: i64) -> anyhow::Result<Vec<Attachment>> {
    Ok(sqlx::query_as!(
        Attachment,
        "SELECT filename, content_type, content FROM outbox_attachments
         WHERE outbox = ? ORDER BY position",
        id
    )
    .fetch_all(conn)
    .await?)
}

/// A mail the schedules queue (reminders, digests): no inbound mail caused it.
#[derive(Debug, Clone)]
pub struct Scheduled<'a> {
    /// Kind, recipients, subject and plain text.
    pub mail: &'a Outgoing,
    /// Stable Message-ID with brackets, derived from the due event's key.
    pub message_id: &'a str,
    /// HTML alternative (digests).
    pub html: Option<&'a str>,
    /// Attached files.
    pub attachments: &'a [Attachment],
    /// Its Date: the tick's "now".
    pub created_at: DateTime<Utc>,
}

/// Queues a scheduled mail with its parts; returns false when that Message-ID was queued before.
pub async fn enqueue_scheduled(
    conn: &mut SqliteConnection,
    s: &Scheduled<'_>,
) -> anyhow::Result<bool> {
    let kind = s.mail.kind.as_str();
    let to = Json(&s.mail.to);
    let cc = Json(&s.mail.cc);
    let created_at = ts(s.created_at);
    let done = sqlx::query!(
        "INSERT INTO outbox (message, kind, to_addrs, cc_addrs, subject, body, message_id, created_at,
                             html)
         VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (message_id) DO NOTHING",
        kind,
        to,
        cc,
        s.mail.subject,
        s.mail.body,
        s.message_id,
        created_at,
        s.html
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    let id = done.last_insert_rowid();
    for (i, a) in s.attachments.iter().enumerate() {
        let position = i64::try_from(i)?;
        sqlx::query!(
            "INSERT INTO outbox_attachments (outbox, position, filename, content_type, content)
             VALUES (?, ?, ?, ?, ?)",
            id,
            position,
            a.filename,
            a.content_type,
            a.content
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(true)
}

/// Marks delivered mails sent, in one statement (one mail, or a Maildir batch after its flush).
pub async fn mark_sent(
    conn: &mut SqliteConnection,
    ids: &[i64],
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let at = ts(at);
    let ids = Json(ids);
    sqlx::query!(
        "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1,
                           claim_token = NULL, claimed_until = NULL
         WHERE id IN (SELECT value FROM json_each(?))",
        at,
        ids
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a mail undeliverable for good.
pub async fn mark_failed(conn: &mut SqliteConnection, id: i64, error: &str) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE outbox SET status = 'failed', last_error = ?, attempts = attempts + 1,
                           claim_token = NULL, claimed_until = NULL
         WHERE id = ?",
        error,
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The inbound mail row that caused outbox row `id`.
pub async fn cause(conn: &mut SqliteConnection, id: i64) -> anyhow::Result<Option<i64>> {
    let row = sqlx::query_scalar!("SELECT message FROM outbox WHERE id = ?", id)
        .fetch_optional(conn)
        .await?;
    Ok(row.flatten())
}
