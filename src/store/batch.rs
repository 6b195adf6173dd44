//! Rows that no later mail of the same transaction reads, held back and written together: one
//! statement per table for a whole replay batch instead of one per row.
//!
//! Every statement is a round trip to SQLite's own thread (BENCHMARKS.md, "What limits
//! replay"); a report alone wrote four rows in four statements. Each table's rows are bound
//! as one JSON array and read back with `jsonb_each`, so each flush is a single checked
//! `query!` whatever the number of rows, and the rows get their ids in the order they were
//! held. `jsonb_each`, not `json_each`: it hands each row's object over in SQLite's binary form,
//! which `->>` reads directly, where `json_each` renders it back to text for every `->>` to parse
//! again (500 outbox rows: 7.8 ms → 3.9 ms on the bundled SQLite 3.51).
//!
//! What is held: `reports` rows whose id nobody needs (no open item hangs on them), their
//! 知识库 lines, the replies (outbox rows: `pending`, `suppressed` past the per-recipient cap,
//! or `not_sent` for `replay` without `--send`) with their cap lines (`reply_log`, counted in
//! memory until written), item history lines and audit lines. The engine flushes (all of it,
//! or the tables concerned) before anything in the same transaction reads or writes those
//! tables directly: a reply looked up by the bot's Message-ID reads the outbox, a query
//! answer reads reports and the 知识库, an open item's report must have its id, a closed
//! item's 知识库 line reads its closing report. The caller flushes before its commit, so a
//! batch still commits whole or not at all.

use super::ts;
use crate::mail::Outgoing;
use crate::rules::ReportRow;
use crate::store::items::HistoryLine;
use crate::store::outbox::{self, Envelope, ReplyCap, ReplyQueued};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::SqliteConnection;
use std::collections::{HashMap, HashSet};

/// A table's held rows as the JSON array its flush binds, each row serialized as it is held
/// (its cells borrowed: no tree of `Value`s with a copy of every key and cell, serialized again
/// at the flush).
#[derive(Debug, Default)]
struct Rows {
    /// `[` and the rows so far, comma separated; the `]` is added by [`Rows::take`].
    text: Vec<u8>,
}

impl Rows {
    fn push(&mut self, row: &impl Serialize) -> anyhow::Result<()> {
        let before = self.text.len();
        self.text.push(if before == 0 { b'[' } else { b',' });
        if let Err(e) = serde_json::to_writer(&mut self.text, row) {
            self.text.truncate(before);
            return Err(e.into());
        }
        Ok(())
    }

    fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The array, to bind; nothing is held after. A flush that fails ends its transaction,
    /// and the rows with it.
    fn take(&mut self) -> anyhow::Result<String> {
        let mut text = std::mem::take(&mut self.text);
        text.push(b']');
        Ok(String::from_utf8(text)?)
    }
}

/// A held `reports` row (as `tracking::add_report` writes it).
#[derive(Serialize)]
struct ReportLine<'a> {
    message: i64,
    project: &'a str,
    engineer: &'a str,
    result: &'a str,
    contact: &'a str,
    method: &'a str,
    content: &'a str,
    leftover: Option<&'a str>,
    priority: &'a str,
    communicated_at: Option<&'a str>,
    reported_at: String,
}

/// A held `outbox` row (as `outbox::enqueue` writes it); the address lists as sqlx's `Json`
/// writes them: serde_json's text.
#[derive(Serialize)]
struct OutboxLine<'a> {
    message: i64,
    kind: &'a str,
    to: String,
    cc: String,
    subject: &'a str,
    body: &'a str,
    message_id: &'a str,
    in_reply_to: Option<&'a str>,
    references: Option<&'a str>,
    created_at: String,
    status: &'a str,
}

/// A held `reply_log` line, by its reply's Message-ID.
#[derive(Serialize)]
struct CapLine<'a> {
    message_id: &'a str,
    recipient: &'a str,
    queued_at: String,
}

/// A held `item_history` line.
#[derive(Serialize)]
struct HistoryRow<'a> {
    item_kind: &'a str,
    item_id: i64,
    message: i64,
    at: String,
    actor: &'a str,
    action: &'a str,
    from: Option<&'a str>,
    to: Option<&'a str>,
    note: Option<&'a str>,
}

/// A held `audit_log` line; the detail as its JSON text.
#[derive(Serialize)]
struct AuditLine<'a> {
    at: String,
    message: i64,
    action: &'a str,
    detail: String,
}

/// One recipient's written `reply_log` lines as a connection knows them: every line queued in
/// the 24 hours up to `until` (when they were read, or last counted), with those its
/// transactions wrote since (stored timestamps, compared as the statement compares them).
/// Counted again only up to a time no earlier than `until`.
#[derive(Debug, Clone)]
struct CapLines {
    until: String,
    lines: Vec<String>,
}

/// What a committed transaction's [`Deferred`] knew that the next one on the same connection
/// starts from ([`Deferred::resume`]): the admins' alerts it queued, and the cap lines it read
/// and wrote — kept only while nobody else has written a `reply_log` line (its last rowid is
/// the same), so a `process` in groups reads each recipient's lines once, not once a group.
#[derive(Debug, Default)]
pub struct Carried {
    alerted: HashSet<String>,
    cap: HashMap<String, CapLines>,
    last_line: Option<i64>,
}

/// Rows held until [`Deferred::flush`], each table's in the order they were held.
#[derive(Debug, Default)]
pub struct Deferred {
    reports: Rows,
    kb_reports: Vec<i64>,
    outbox: Rows,
    /// The Message-IDs of the held outbox rows.
    outbox_ids: HashSet<String>,
    /// The per-recipient cap's lines of held replies: the reply's Message-ID, the recipient
    /// (lowercase) and when it was queued.
    reply_log: Vec<(String, String, DateTime<Utc>)>,
    history: Rows,
    audit: Rows,
    /// Complaint counts and notices read or written in this transaction (not rows to write).
    pub known: super::complaints::Known,
    /// The admins' alerts queued in this transaction, by what they are about: an alert's
    /// Message-ID comes from that, so queuing one again would write nothing (a flood of
    /// suppressed replies to one address asks for the same alert with each).
    pub alerted: HashSet<String>,
    /// The per-recipient cap's written `reply_log` lines, by recipient, as far as read in this
    /// transaction or carried over from the one before ([`Carried`]).
    cap: HashMap<String, CapLines>,
}

impl Deferred {
    /// A transaction's held rows, starting from what the transaction before it on this
    /// connection carried: its cap lines only when no `reply_log` line was written since.
    pub async fn resume(conn: &mut SqliteConnection, c: Carried) -> anyhow::Result<Deferred> {
        let cap = match c.last_line {
            Some(_) if outbox::last_reply_line(conn).await? == c.last_line => c.cap,
            _ => HashMap::new(),
        };
        Ok(Deferred {
            alerted: c.alerted,
            cap,
            ..Deferred::default()
        })
    }

    /// What the next transaction may start from, once everything held is written (called
    /// before the commit; dropped with the transaction when that fails).
    pub async fn carry(self, conn: &mut SqliteConnection) -> anyhow::Result<Carried> {
        anyhow::ensure!(self.is_empty(), "rows still held");
        Ok(Carried {
            last_line: outbox::last_reply_line(conn).await?,
            alerted: self.alerted,
            cap: self.cap,
        })
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.reports.is_empty()
            && self.kb_reports.is_empty()
            && self.outbox.is_empty()
            && self.reply_log.is_empty()
            && self.history.is_empty()
            && self.audit.is_empty()
    }

    /// Holds the report row of mail row `message` (as `tracking::add_report` writes it).
    pub fn report(&mut self, message: i64, r: &ReportRow, at: DateTime<Utc>) -> anyhow::Result<()> {
        self.reports.push(&ReportLine {
            message,
            project: r.project.as_str(),
            engineer: &r.engineer,
            result: &r.result,
            contact: &r.contact,
            method: &r.method,
            content: &r.content,
            leftover: r.leftover.as_deref(),
            priority: &r.priority,
            communicated_at: r.communicated_at.as_deref(),
            reported_at: ts(at),
        })
    }

    /// Holds the 知识库 line of the report recorded from mail row `message` (written after
    /// the held reports, so a held report is found).
    pub fn kb_report(&mut self, message: i64) {
        self.kb_reports.push(message);
    }

    /// Holds a reply recorded `not_sent` (`replay` without `--send`), which no sender ever
    /// claims.
    pub fn not_sent(&mut self, mail: &Outgoing, env: &Envelope<'_>) -> anyhow::Result<()> {
        self.outbox_row(mail, env, "not_sent")
    }

    /// Holds an outbox row with `status` (`pending`, `suppressed`, `not_sent`), as
    /// `outbox::enqueue` writes it. Its id is given at the flush, in the order held; a
    /// Message-ID queued before is skipped there as it is by `enqueue` (the engine derives reply
    /// Message-IDs from the key of a mail recorded once, so that does not happen on its path).
    pub fn outbox_row(
        &mut self,
        mail: &Outgoing,
        env: &Envelope<'_>,
        status: &str,
    ) -> anyhow::Result<()> {
        self.outbox_ids.insert(env.message_id.to_string());
        self.outbox.push(&OutboxLine {
            message: env.message,
            kind: mail.kind.as_str(),
            to: serde_json::to_string(&mail.to)?,
            cc: serde_json::to_string(&mail.cc)?,
            subject: env.subject,
            body: &mail.body,
            message_id: env.message_id,
            in_reply_to: env.in_reply_to,
            references: env.references,
            created_at: ts(env.created_at),
            status,
        })
    }

    /// Queues a reply to incoming mail under the per-recipient cap: when any `to` address
    /// already had `per_hour` replies in the hour before `env.created_at` (the handling time),
    /// or `per_day` in the 24 hours before it, the row is recorded `suppressed`. Counted
    /// through the `reply_log` and the cap lines held here; suppressed replies are not
    /// counted. The row and its cap lines are held, written at the flush.
    pub async fn queue_reply(
        &mut self,
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
            let (hour, day) = self.written_replies(conn, r, now).await?;
            let hour = hour + self.replies_since(r, now - chrono::Duration::hours(1), now);
            let day = day + self.replies_since(r, now - chrono::Duration::days(1), now);
            if hour >= i64::from(cap.per_hour) || day >= i64::from(cap.per_day) {
                over.push(r.clone());
            }
        }
        if !over.is_empty() {
            self.outbox_row(mail, env, "suppressed")?;
            return Ok(ReplyQueued::Suppressed(over));
        }
        self.outbox_row(mail, env, "pending")?;
        for r in recipients {
            self.reply_log.push((env.message_id.to_string(), r, now));
        }
        Ok(ReplyQueued::Pending)
    }

    /// Written replies counted against `recipient` (lowercase) in the hour and in the 24 hours up
    /// to `now`, from its lines as this connection knows them ([`CapLines`]); read (once) when
    /// it does not know them, or knows them only up to a later time than `now`.
    async fn written_replies(
        &mut self,
        conn: &mut SqliteConnection,
        recipient: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<(i64, i64)> {
        let until = ts(now);
        let known = self.cap.get_mut(recipient).filter(|c| c.until <= until);
        let c = match known {
            Some(c) => {
                c.until.clone_from(&until);
                c
            }
            None => {
                let lines = outbox::reply_lines_in_day(conn, recipient, now).await?;
                let c = CapLines {
                    until: until.clone(),
                    lines,
                };
                self.cap
                    .entry(recipient.to_string())
                    .insert_entry(c)
                    .into_mut()
            }
        };
        let day_ago = ts(now - chrono::Duration::days(1));
        let hour_ago = ts(now - chrono::Duration::hours(1));
        // Never counted again: every later count is up to a time no earlier than `now`.
        c.lines.retain(|l| *l > day_ago);
        let day = c.lines.iter().filter(|l| **l <= until).count();
        let hour = c
            .lines
            .iter()
            .filter(|l| **l > hour_ago && **l <= until)
            .count();
        let n = |x: usize| i64::try_from(x).unwrap_or(i64::MAX);
        Ok((n(hour), n(day)))
    }

    /// Held replies counted against `recipient` (lowercase) in `(since, until]`: what the
    /// `reply_log` would show once they are written.
    fn replies_since(&self, recipient: &str, since: DateTime<Utc>, until: DateTime<Utc>) -> i64 {
        let held = self.reply_log.iter();
        let n = held.filter(|(_, r, at)| r == recipient && *at > since && *at <= until);
        i64::try_from(n.count()).unwrap_or(i64::MAX)
    }

    /// Holds an item history line (as `items::history` writes it).
    pub fn history(
        &mut self,
        message: i64,
        at: DateTime<Utc>,
        h: &HistoryLine<'_>,
    ) -> anyhow::Result<()> {
        self.history.push(&HistoryRow {
            item_kind: h.item_kind,
            item_id: h.item_id,
            message,
            at: ts(at),
            actor: h.actor,
            action: h.action,
            from: h.from,
            to: h.to,
            note: h.note,
        })
    }

    /// Holds an audit line (as `store::audit` writes it).
    pub fn audit(
        &mut self,
        at: DateTime<Utc>,
        message: i64,
        action: &str,
        detail: Value,
    ) -> anyhow::Result<()> {
        self.audit.push(&AuditLine {
            at: ts(at),
            message,
            action,
            detail: serde_json::to_string(&detail)?,
        })
    }

    /// Whether a held outbox row has one of these Message-IDs (with or without brackets).
    pub fn holds_reply_among<'a>(&self, ids: impl IntoIterator<Item = &'a String>) -> bool {
        !self.outbox_ids.is_empty()
            && ids.into_iter().any(|id| {
                self.outbox_ids
                    .contains(&format!("<{}>", id.trim_matches(['<', '>'])))
            })
    }

    /// Writes the held outbox rows and their reply-cap lines only (before a statement that
    /// reads or writes the outbox).
    pub async fn flush_outbox(&mut self, conn: &mut SqliteConnection) -> anyhow::Result<()> {
        if self.outbox.is_empty() {
            return Ok(());
        }
        let rows = self.outbox.take()?;
        // `WHERE true`: SQLite's grammar needs it between a SELECT and its ON CONFLICT.
        sqlx::query!(
            "INSERT INTO outbox (message, kind, to_addrs, cc_addrs, subject, body, message_id,
                                 in_reply_to, references_, created_at, status)
             SELECT value ->> 'message', value ->> 'kind', value ->> 'to', value ->> 'cc',
                    value ->> 'subject', value ->> 'body', value ->> 'message_id',
                    value ->> 'in_reply_to', value ->> 'references', value ->> 'created_at',
                    value ->> 'status'
             FROM jsonb_each(?) WHERE true ORDER BY key
             ON CONFLICT (message_id) DO NOTHING",
            rows
        )
        .execute(&mut *conn)
        .await?;
        self.outbox_ids.clear();
        if !self.reply_log.is_empty() {
            let mut lines = Rows::default();
            for (id, r, at) in &self.reply_log {
                lines.push(&CapLine {
                    message_id: id,
                    recipient: r,
                    queued_at: ts(*at),
                })?;
            }
            let lines = lines.take()?;
            sqlx::query!(
                "INSERT INTO reply_log (outbox, recipient, queued_at)
                 SELECT o.id, value ->> 'recipient', value ->> 'queued_at'
                 FROM jsonb_each(?) JOIN outbox o ON o.message_id = value ->> 'message_id'
                 ORDER BY key",
                lines
            )
            .execute(&mut *conn)
            .await?;
            // Written now: the recipients whose lines are known know these too.
            for (_, r, at) in self.reply_log.drain(..) {
                if let Some(c) = self.cap.get_mut(&r) {
                    c.lines.push(ts(at));
                }
            }
        }
        Ok(())
    }

    /// Writes everything held, one statement per table: reports before their 知识库 lines.
    pub async fn flush(&mut self, conn: &mut SqliteConnection) -> anyhow::Result<()> {
        self.flush_kb(conn).await?;
        self.flush_outbox(conn).await?;
        if !self.history.is_empty() {
            let rows = self.history.take()?;
            sqlx::query!(
                "INSERT INTO item_history (item_kind, item_id, message, at, actor, action,
                                           from_state, to_state, note)
                 SELECT value ->> 'item_kind', value ->> 'item_id', value ->> 'message',
                        value ->> 'at', value ->> 'actor', value ->> 'action', value ->> 'from',
                        value ->> 'to', value ->> 'note'
                 FROM jsonb_each(?) ORDER BY key",
                rows
            )
            .execute(&mut *conn)
            .await?;
        }
        if !self.audit.is_empty() {
            let rows = self.audit.take()?;
            sqlx::query!(
                "INSERT INTO audit_log (at, message, action, detail)
                 SELECT value ->> 'at', value ->> 'message', value ->> 'action', value ->> 'detail'
                 FROM jsonb_each(?) ORDER BY key",
                rows
            )
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// Writes the held reports, then their 知识库 lines (before a statement that writes the
    /// 知识库 or reads a held report).
    pub async fn flush_kb(&mut self, conn: &mut SqliteConnection) -> anyhow::Result<()> {
        self.flush_reports(conn).await?;
        super::kb::index_reports(conn, &self.kb_reports).await?;
        self.kb_reports.clear();
        Ok(())
    }

    /// Writes the held reports only (before a report written now, which needs its id: reports
    /// keep their order).
    pub async fn flush_reports(&mut self, conn: &mut SqliteConnection) -> anyhow::Result<()> {
        if !self.reports.is_empty() {
            let rows = self.reports.take()?;
            sqlx::query!(
                "INSERT INTO reports (message, project, engineer, result, contact, method, content,
                                      leftover, priority, communicated_at, reported_at)
                 SELECT value ->> 'message', value ->> 'project', value ->> 'engineer',
                        value ->> 'result', value ->> 'contact', value ->> 'method',
                        value ->> 'content', value ->> 'leftover', value ->> 'priority',
                        value ->> 'communicated_at', value ->> 'reported_at'
                 FROM jsonb_each(?) ORDER BY key",
                rows
            )
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Rows, Serialize};

    #[derive(Serialize)]
    struct Line<'a> {
        n: i64,
        text: &'a str,
        note: Option<&'a str>,
    }

    #[test]
    fn held_rows_are_one_json_array_in_the_order_held_and_none_after_it_is_taken() {
        let mut rows = Rows::default();
        assert!(rows.is_empty());
        for (n, text, note) in [(1, "第一\n\"行\"", None), (2, "\\", Some("\u{1}"))] {
            rows.push(&Line { n, text, note }).expect("push");
        }
        assert!(!rows.is_empty());
        let text = rows.take().expect("text");
        assert!(rows.is_empty());
        let back: serde_json::Value = serde_json::from_str(&text).expect("one JSON array");
        assert_eq!(
            back,
            serde_json::json!([
                {"n": 1, "text": "第一\n\"行\"", "note": null},
                {"n": 2, "text": "\\", "note": "\u{1}"},
            ])
        );
        rows.push(&Line {
            n: 3,
            text: "",
            note: None,
        })
        .expect("push");
        assert_eq!(
            rows.take().expect("text"),
            r#"[{"n":3,"text":"","note":null}]"#
        );
    }
}
