//! `outbox`: mail queued in the transaction that caused it, marked sent only once delivered.

use super::{parse_ts, ts};
use crate::mail::Outgoing;
use crate::mail::outbound::{Attachment, Queued};
use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

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

/// Records a reply that `replay` without `--send` would have sent: status `not_sent`, which no
/// sender ever claims.
pub async fn record_not_sent(
    conn: &mut SqliteConnection,
    mail: &Outgoing,
    env: &Envelope<'_>,
) -> anyhow::Result<()> {
    insert(conn, mail, env, "not_sent").await?;
    Ok(())
}

/// Inserts a row with `status`; its id, or None when the Message-ID was queued before.
async fn insert(
    conn: &mut SqliteConnection,
    mail: &Outgoing,
    env: &Envelope<'_>,
    status: &str,
) -> anyhow::Result<Option<i64>> {
    let done = sqlx::query(
        "INSERT INTO outbox (message, kind, to_addrs, cc_addrs, subject, body, message_id,
                             in_reply_to, references_, created_at, status)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (message_id) DO NOTHING",
    )
    .bind(env.message)
    .bind(mail.kind.as_str())
    .bind(serde_json::to_string(&mail.to)?)
    .bind(serde_json::to_string(&mail.cc)?)
    .bind(env.subject)
    .bind(&mail.body)
    .bind(env.message_id)
    .bind(env.in_reply_to)
    .bind(env.references)
    .bind(ts(env.created_at))
    .bind(status)
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

/// What [`enqueue_reply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyQueued {
    /// Queued to be sent, and counted against each recipient.
    Pending,
    /// Recorded with status `suppressed`, never to be sent: these recipients were at the cap.
    Suppressed(Vec<String>),
    /// That Message-ID was queued before: nothing changed.
    Duplicate,
}

/// Queues a reply to incoming mail under the per-recipient cap: when any `to` address already
/// had `per_hour` replies in the hour before `env.created_at` (the handling time), or `per_day`
/// in the 24 hours before it, the row is recorded `suppressed`. Counted through the
/// `reply_log (recipient, queued_at)` index; suppressed replies are not counted.
pub async fn enqueue_reply(
    conn: &mut SqliteConnection,
    mail: &Outgoing,
    env: &Envelope<'_>,
    cap: ReplyCap,
) -> anyhow::Result<ReplyQueued> {
    let now = env.created_at;
    let mut recipients: Vec<String> = mail.to.iter().map(|a| a.trim().to_lowercase()).collect();
    recipients.sort();
    recipients.dedup();
    let mut over = Vec::new();
    for r in &recipients {
        let hour = replies_since(conn, r, now - chrono::Duration::hours(1), now).await?;
        let day = replies_since(conn, r, now - chrono::Duration::days(1), now).await?;
        if hour >= i64::from(cap.per_hour) || day >= i64::from(cap.per_day) {
            over.push(r.clone());
        }
    }
    let status = if over.is_empty() {
        "pending"
    } else {
        "suppressed"
    };
    let Some(id) = insert(conn, mail, env, status).await? else {
        return Ok(ReplyQueued::Duplicate);
    };
    if !over.is_empty() {
        return Ok(ReplyQueued::Suppressed(over));
    }
    for r in &recipients {
        sqlx::query("INSERT INTO reply_log (outbox, recipient, queued_at) VALUES (?, ?, ?)")
            .bind(id)
            .bind(r)
            .bind(ts(now))
            .execute(&mut *conn)
            .await?;
    }
    Ok(ReplyQueued::Pending)
}

/// Replies counted against `recipient` (lowercase) queued in `(since, until]`.
pub async fn replies_since(
    conn: &mut SqliteConnection,
    recipient: &str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM reply_log WHERE recipient = ? AND queued_at > ? AND queued_at <= ?",
    )
    .bind(recipient)
    .bind(ts(since))
    .bind(ts(until))
    .fetch_one(conn)
    .await?;
    Ok(n)
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

fn addrs(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// The outbox, optionally only rows with `status`.
pub async fn list(
    conn: &mut SqliteConnection,
    status: Option<&str>,
) -> anyhow::Result<Vec<OutboxRow>> {
    let rows = sqlx::query(
        "SELECT id, kind, to_addrs, cc_addrs, subject, status, message_id, in_reply_to, message
         FROM outbox WHERE ?1 IS NULL OR status = ?1 ORDER BY id",
    )
    .bind(status)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| OutboxRow {
            id: r.get("id"),
            kind: r.get("kind"),
            to: addrs(r.get("to_addrs")),
            cc: addrs(r.get("cc_addrs")),
            subject: r.get("subject"),
            status: r.get("status"),
            message_id: r.get("message_id"),
            in_reply_to: r.get("in_reply_to"),
            message: r.get("message"),
        })
        .collect())
}

fn queued(r: &sqlx::sqlite::SqliteRow) -> Queued {
    Queued {
        id: r.get("id"),
        to: addrs(r.get("to_addrs")),
        cc: addrs(r.get("cc_addrs")),
        subject: r.get("subject"),
        body: r.get("body"),
        message_id: r.get("message_id"),
        in_reply_to: r.get("in_reply_to"),
        references: r.get("references_"),
        created_at: parse_ts(r.get("created_at")),
        html: r.get("html"),
        attachments: Vec::new(),
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
    let rows = sqlx::query(
        "SELECT id, to_addrs, cc_addrs, subject, body, message_id, in_reply_to, references_,
                created_at, html
         FROM outbox WHERE status = 'pending' AND id > ? ORDER BY id LIMIT ?",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let queued = rows.iter().map(queued).collect();
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
    let rows = sqlx::query(
        "UPDATE outbox SET claim_token = ?1, claimed_until = ?2
         WHERE id IN (SELECT id FROM outbox
                      WHERE status = 'pending' AND id > ?3
                        AND (claimed_until IS NULL OR claimed_until <= ?4)
                      ORDER BY id LIMIT ?5)
         RETURNING id, to_addrs, cc_addrs, subject, body, message_id, in_reply_to, references_,
                   created_at, html",
    )
    .bind(c.token)
    .bind(claim_ts(c.until))
    .bind(after)
    .bind(claim_ts(c.now))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut queued: Vec<Queued> = rows.iter().map(queued).collect();
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
    sqlx::query(
        "UPDATE outbox SET claim_token = NULL, claimed_until = NULL
         WHERE claim_token = ? AND id IN (SELECT value FROM json_each(?))",
    )
    .bind(token)
    .bind(serde_json::to_string(ids)?)
    .execute(conn)
    .await?;
    Ok(())
}

/// The files attached to an outbox row, in order.
pub async fn attachments(conn: &mut SqliteConnection, id: i64) -> anyhow::Result<Vec<Attachment>> {
    let rows = sqlx::query(
        "SELECT filename, content_type, content FROM outbox_attachments
         WHERE outbox = ? ORDER BY position",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Attachment {
            filename: r.get("filename"),
            content_type: r.get("content_type"),
            content: r.get("content"),
        })
        .collect())
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
    let done = sqlx::query(
        "INSERT INTO outbox (message, kind, to_addrs, cc_addrs, subject, body, message_id, created_at,
                             html)
         VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (message_id) DO NOTHING",
    )
    .bind(s.mail.kind.as_str())
    .bind(serde_json::to_string(&s.mail.to)?)
    .bind(serde_json::to_string(&s.mail.cc)?)
    .bind(&s.mail.subject)
    .bind(&s.mail.body)
    .bind(s.message_id)
    .bind(ts(s.created_at))
    .bind(s.html)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    let id = done.last_insert_rowid();
    for (i, a) in s.attachments.iter().enumerate() {
        sqlx::query(
            "INSERT INTO outbox_attachments (outbox, position, filename, content_type, content)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(i as i64)
        .bind(&a.filename)
        .bind(&a.content_type)
        .bind(&a.content)
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
    sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1,
                           claim_token = NULL, claimed_until = NULL
         WHERE id IN (SELECT value FROM json_each(?))",
    )
    .bind(ts(at))
    .bind(serde_json::to_string(ids)?)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a mail undeliverable for good.
pub async fn mark_failed(conn: &mut SqliteConnection, id: i64, error: &str) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE outbox SET status = 'failed', last_error = ?, attempts = attempts + 1,
                           claim_token = NULL, claimed_until = NULL
         WHERE id = ?",
    )
    .bind(error)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The inbound mail row that caused outbox row `id`.
pub async fn cause(conn: &mut SqliteConnection, id: i64) -> anyhow::Result<Option<i64>> {
    let row = sqlx::query("SELECT message FROM outbox WHERE id = ?")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.and_then(|r| r.get("message")))
}
