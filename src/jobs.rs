//! The work behind `process`, `replay` and `send`, as one-step functions the CLI (and tests)
//! call. Each mail is its own unit: one that fails is recorded and skipped, never blocking the
//! next.

use crate::alerts;
use crate::engine::{self, Engine, Handled, Replies};
use crate::mail::Inbound;
use crate::mail::outbound as outbox_row;
use crate::mail::oversize::MailFile;
use crate::read_ahead::{Got, Next, ReadAhead, read_source};
use crate::store::batch::Deferred;
use crate::store::{health, outbox};
use crate::transport::inbox::Inbox;
use crate::transport::maildir::MaildirIn;
use crate::transport::replay::{self, Source};
use crate::transport::{Outbound, SendError};
use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use std::path::PathBuf;

pub use crate::ingest::Tally;

/// `process` on a Maildir, with the clock pinned at `now`: [`crate::ingest`]'s one step.
pub async fn process_maildir(
    engine: &Engine,
    inbox: &MaildirIn,
    now: DateTime<Utc>,
) -> anyhow::Result<Tally> {
    crate::ingest::ingest_with_clock(engine, &mut Inbox::Maildir(inbox), move || now, || false)
        .await
}

/// [`process_maildir`], `group` mails per transaction ([`crate::ingest::ingest_grouped`]; what
/// `process --batch` does).
pub async fn process_maildir_grouped(
    engine: &Engine,
    inbox: &MaildirIn,
    group: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<Tally> {
    let inbox = &mut Inbox::Maildir(inbox);
    crate::ingest::ingest_grouped(engine, inbox, move || now, || false, group).await
}

/// `replay`: mails from files, Maildirs and mboxes in Date order, `batch` per transaction. If
/// a batch fails in the database, it is rolled back whole and done again one mail per
/// transaction, so one bad mail loses only itself.
pub async fn replay(
    engine: &Engine,
    paths: &[PathBuf],
    batch: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<Tally> {
    replay_with(engine, paths, batch, Replies::Queue, now).await
}

/// [`replay`], with the replies queued (`replay --send`) or only recorded as `not_sent`
/// (`replay` alone: importing an archive mails nobody).
pub async fn replay_with(
    engine: &Engine,
    paths: &[PathBuf],
    batch: usize,
    replies: Replies,
    now: DateTime<Utc>,
) -> anyhow::Result<Tally> {
    let listing = std::time::Instant::now();
    let sources = replay::Sorted::collect(paths, now).await?;
    let ms = listing.elapsed().as_millis();
    tracing::debug!(mails = sources.len(), ms, "replay: listed in Date order");
    let bar = indicatif::ProgressBar::new(sources.len());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} mails  {per_sec}  eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    // Every batch on the same connection (`store::begin_on`).
    let mut conn = engine.store.connection().await?;
    // A bulk import checkpoints the write-ahead log rarely and keeps temporary data in memory;
    // set back before the connection goes back to the pool.
    crate::store::bulk_writes(&mut conn, true).await?;
    let ahead = ReadAhead::start(sources, batch, engine.config.clone(), now)?;
    let replayed = replay_batches(engine, &mut conn, ahead, &bar, replies, now).await;
    bar.finish_and_clear();
    let tally = replayed?;
    crate::store::bulk_writes(&mut conn, false).await?;
    Ok(tally)
}

/// The batches the reader hands over, each in one transaction on `conn`.
async fn replay_batches(
    engine: &Engine,
    conn: &mut SqliteConnection,
    mut ahead: ReadAhead,
    bar: &indicatif::ProgressBar,
    replies: Replies,
    now: DateTime<Utc>,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    loop {
        let mut sources = Vec::new();
        // The outer error is the reader's (the list could not be read): replay stops.
        let done = replay_batch(engine, conn, &mut ahead, &mut sources, replies, now).await?;
        if sources.is_empty() {
            // The list is done (a batch is never empty).
            done?;
            break;
        }
        match done {
            Ok(t) => tally.merge(t),
            Err(e) if health::is_failing(&e) => {
                return Err(e.context(format!(
                    "database write failed; replay stopped after {} mails (the batch was rolled back; run it again)",
                    tally.recorded + tally.duplicates
                )));
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "batch rolled back; replaying it one mail at a time");
                for source in &sources {
                    replay_alone(engine, source, replies, now, &mut tally).await?;
                }
            }
        }
        bar.inc(sources.len() as u64);
    }
    Ok(tally)
}

/// One transaction for the whole batch; any database error rolls it all back. The rows no
/// later mail reads are written at its end, one statement per table ([`Deferred`]). Every
/// mail's source goes into `sources`, handled or not: a batch that fails is done again from
/// them, so after an error the rest of the batch is still taken from the reader. The outer
/// error is the reader's; the inner one the batch's.
async fn replay_batch(
    engine: &Engine,
    conn: &mut SqliteConnection,
    ahead: &mut ReadAhead,
    sources: &mut Vec<Source>,
    replies: Replies,
    now: DateTime<Utc>,
) -> anyhow::Result<anyhow::Result<Tally>> {
    let mut tx = match crate::store::begin_on(conn).await {
        Ok(tx) => tx,
        Err(e) => return Ok(Err(e)),
    };
    let mut tally = Tally::default();
    let mut done = Vec::new();
    let mut later = Deferred::default();
    let mut failed = None;
    while let Some(Next::Mail(item)) = ahead.next().await? {
        sources.push(item.source);
        if failed.is_some() {
            continue;
        }
        match handle_read(engine, &mut tx, item.got, (replies, now), &mut later).await {
            Ok(Some(h)) => done.push(h),
            Ok(None) => tally.errors += 1,
            Err(e) => failed = Some(e),
        }
    }
    if let Some(e) = failed {
        return Ok(Err(e));
    }
    let committed = async {
        later.flush(&mut tx).await?;
        tx.commit().await.map_err(anyhow::Error::from)
    };
    if let Err(e) = committed.await {
        return Ok(Err(e));
    }
    for (key, h) in &done {
        engine::log(key, h);
        tally.add(h);
    }
    Ok(Ok(tally))
}

/// One mail of a batch, as the reader found it; None when it could not be read.
async fn handle_read(
    engine: &Engine,
    tx: &mut SqliteConnection,
    got: Got,
    (replies, now): (Replies, DateTime<Utc>),
    later: &mut Deferred,
) -> anyhow::Result<Option<(String, Handled)>> {
    let config = &engine.config;
    Ok(Some(match got {
        Got::Unreadable => return Ok(None),
        Got::Mail(read) => {
            let h = engine::handle_read_in_batch(config, tx, &read, now, replies, later).await?;
            (read.mail.key, h)
        }
        Got::TooLarge(mail, size) => {
            // Its alert goes into the outbox now: the rows held before it go first.
            later.flush(tx).await?;
            let h =
                engine::record_too_large(config, tx, &mail, size, REPLAY_LEAVES_IT, now).await?;
            (mail.key, h)
        }
    }))
}

/// One mail in its own transaction (the fallback after a failed batch).
async fn replay_alone(
    engine: &Engine,
    source: &Source,
    replies: Replies,
    now: DateTime<Utc>,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let handled = match read_source(source, engine.config.mailbox.max_message_bytes, now) {
        None => {
            tally.errors += 1;
            return Ok(());
        }
        Some(MailFile::Read(raw)) => handle_alone(engine, &raw, replies, now).await,
        Some(MailFile::TooLarge(mail, size)) => too_large_alone(engine, &mail, size, now).await,
    };
    match handled {
        Ok(h) => tally.add(&h),
        Err(e) if health::is_failing(&e) => {
            return Err(e.context("database write failed; replay stopped"));
        }
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "mail not handled; skipped");
            tally.errors += 1;
        }
    }
    Ok(())
}

/// One replayed mail in its own transaction.
async fn handle_alone(
    engine: &Engine,
    raw: &[u8],
    replies: Replies,
    now: DateTime<Utc>,
) -> anyhow::Result<Handled> {
    let mail = Inbound::parse(raw, now);
    let mut tx = engine.store.begin().await?;
    let h = engine::handle_in(&engine.config, &mut tx, &mail, now, replies).await?;
    tx.commit().await?;
    engine::log(&mail.key, &h);
    Ok(h)
}

/// What the admins are told about where an oversized mail given to `replay` is: an archive is
/// never changed, so it stays where it is.
const REPLAY_LEAVES_IT: &str = "replay 不改动归档，原文件保留在原处";

async fn too_large_alone(
    engine: &Engine,
    mail: &Inbound,
    size: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<Handled> {
    let mut tx = engine.store.begin().await?;
    let h = engine::record_too_large(&engine.config, &mut tx, mail, size, REPLAY_LEAVES_IT, now)
        .await?;
    tx.commit().await?;
    engine::log(&mail.key, &h);
    Ok(h)
}

/// Counts of a `send` run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Sent {
    /// Delivered now.
    pub sent: usize,
    /// Marked failed for good.
    pub failed: usize,
    /// Left pending to try again.
    pub deferred: usize,
}

/// `send`: delivers every pending mail; a row is marked sent only after the transport took it.
pub async fn send_pending(
    engine: &Engine,
    out: &Outbound,
    now: DateTime<Utc>,
) -> anyhow::Result<Sent> {
    send_pending_until(engine, out, now, || false).await
}

/// Mails claimed at once: one for SMTP (a second sender can take the next one meanwhile, and
/// a kill holds back only the mail in flight), a batch for a Maildir (flushed together: one
/// `syncfs` each, which waits for the disk — 31 of them took ~0.9 s of a 10,000-mail `process`
/// with batches of 200).
fn claim_size(out: &Outbound) -> i64 {
    if out.batches() { MAILDIR_CLAIM } else { 1 }
}

/// Mails claimed at once for a Maildir ([`claim_size`], [`SendBeside`]).
const MAILDIR_CLAIM: i64 = 1_000;

/// A token no other sender run has: this process, and a random part for runs in one process.
fn claim_token() -> String {
    format!("{}-{:016x}", std::process::id(), fastrand::u64(..))
}

/// [`send_pending`] that stops between mails once `stop()` is true, and at the first mail the
/// transport defers (the server is down or busy: the rest would be deferred too).
///
/// Each mail is claimed in the database (committed) before it is handed to the transport and
/// marked sent right after the transport took it, so any number of senders at once (`send`,
/// `process`, `replay --send`, `run`) deliver each mail once, and a sender killed mid-way
/// repeats at most the mail in flight, once its claim has lapsed (`smtp.claim_seconds`).
pub async fn send_pending_until(
    engine: &Engine,
    out: &Outbound,
    now: DateTime<Utc>,
    stop: impl Fn() -> bool,
) -> anyhow::Result<Sent> {
    let token = claim_token();
    let lease = chrono::Duration::seconds(engine.config.smtp.claim_seconds.max(1) as i64);
    let mut done = Sent::default();
    let mut after = 0;
    loop {
        if stop() {
            break;
        }
        let batch = {
            let mut conn = engine.store.connection().await?;
            let at = Utc::now();
            let claim = outbox::Claim {
                token: &token,
                now: at,
                until: at + lease,
            };
            outbox::claim(&mut conn, after, claim_size(out), &claim).await?
        };
        let Some(last) = batch.last() else { break };
        after = last.id;
        let mut delivered = Vec::new();
        let mut untried = Vec::new();
        for mail in &batch {
            if !untried.is_empty() || stop() {
                untried.push(mail.id);
                continue;
            }
            if !send_one(engine, out, mail, now, &mut done, &mut delivered).await? {
                untried.push(mail.id);
            }
        }
        mark_delivered(engine, out, &delivered, now, &mut done, &token).await?;
        if !untried.is_empty() {
            let mut conn = engine.store.connection().await?;
            outbox::release(&mut conn, &untried, &token).await?;
            break;
        }
    }
    Ok(done)
}

/// `process`: the inbox handled `group` mails per transaction, then everything queued sent.
/// From a Maildir to a Maildir in groups, the replies are written beside the groups after
/// theirs ([`SendBeside`]); what is left then (and every reply otherwise) goes as
/// [`send_pending`] sends it.
pub async fn process_and_send(
    engine: &Engine,
    out: &Outbound,
    group: usize,
) -> anyhow::Result<Processed> {
    let maildirs = matches!(
        engine.config.mailbox_url,
        crate::config::MailboxUrl::Maildir(_)
    );
    let mut beside = match out {
        Outbound::Maildir(m) if maildirs && group > 1 => Some(SendBeside::start(engine, m)?),
        _ => None,
    };
    let tally = match beside.as_mut() {
        Some(b) => crate::ingest::process_with(engine, group, b).await,
        None => crate::ingest::process(engine, group).await,
    };
    // What was written beside is marked sent even when the step stopped early.
    let finished = match beside {
        Some(b) => b.finish(engine).await,
        None => Ok(0),
    };
    let tally = tally?;
    let beside = finished?;
    let mut sent = send_pending(engine, out, Utc::now()).await?;
    sent.sent += beside;
    Ok(Processed {
        tally,
        sent,
        beside,
    })
}

/// What [`process_and_send`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Processed {
    /// The mails.
    pub tally: Tally,
    /// The mail sent, beside the step and after it.
    pub sent: Sent,
    /// Of `sent.sent`, written beside the step ([`SendBeside`]).
    pub beside: usize,
}

/// Replies written into the sent Maildir beside `process --batch`: between two groups, on the
/// writer's connection, the mails claimed before and now written and flushed are marked sent
/// and the next pending ones claimed (as [`send_pending_until`] claims them: a token and a
/// lease); a thread off the writer's core renders and writes them while the writer handles the
/// next group. One batch is out at a time; the writer never waits for it but at the end. A
/// kill while a batch is out leaves its rows claimed and pending: once the claim lapses a later
/// sender writes them again under the same file names, so each is still one file. A mail the
/// thread could not write is released for [`send_pending`] after the step (which records a
/// failure and tells the admins).
pub struct SendBeside {
    token: String,
    lease: chrono::Duration,
    /// The last row claimed.
    after: i64,
    jobs: Option<std::sync::mpsc::Sender<Vec<outbox_row::Queued>>>,
    written: tokio::sync::mpsc::UnboundedReceiver<Written>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// A batch is with the writing thread.
    in_flight: bool,
    sent: usize,
}

/// A batch as the writing thread leaves it.
struct Written {
    /// Written into `new/`: (row, Message-ID).
    delivered: Vec<(i64, String)>,
    /// Not written (a render or write error, or after one): released.
    left: Vec<i64>,
    /// The `syncfs` after the batch.
    flushed: Result<(), SendError>,
}

impl SendBeside {
    /// Starts the writing thread, delivering into `sent`.
    fn start(
        engine: &Engine,
        sent: &crate::transport::maildir::MaildirOut,
    ) -> anyhow::Result<Self> {
        let (jobs, batches) = std::sync::mpsc::channel::<Vec<outbox_row::Queued>>();
        let (done, written) = tokio::sync::mpsc::unbounded_channel();
        let (config, sent) = (engine.config.clone(), sent.clone());
        let thread = std::thread::Builder::new()
            .name("process-sender".into())
            .spawn(move || {
                crate::cpu::leave_the_writers_core();
                for batch in batches {
                    let w = write_batch(&config.bot, &sent, batch);
                    if done.send(w).is_err() {
                        break;
                    }
                }
            })
            .context("cannot start the reply writer")?;
        Ok(SendBeside {
            token: claim_token(),
            lease: chrono::Duration::seconds(engine.config.smtp.claim_seconds.max(1) as i64),
            after: 0,
            jobs: Some(jobs),
            written,
            thread: Some(thread),
            in_flight: false,
            sent: 0,
        })
    }

    /// Marks a written batch sent (once flushed) and releases what was not written.
    async fn settle(&mut self, conn: &mut SqliteConnection, w: Written) -> anyhow::Result<()> {
        self.in_flight = false;
        self.sent += mark_flushed(conn, &w.delivered, w.flushed, &self.token, Utc::now()).await?;
        if !w.left.is_empty() {
            outbox::release(conn, &w.left, &self.token).await?;
        }
        Ok(())
    }

    /// Waits for the batch out, marks it, stops the thread; how many were sent.
    async fn finish(mut self, engine: &Engine) -> anyhow::Result<usize> {
        if self.in_flight {
            let w = self.written.recv().await;
            let w = w.context("the reply writer stopped")?;
            let mut conn = engine.store.connection().await?;
            self.settle(&mut conn, w).await?;
        }
        drop(self.jobs.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        Ok(self.sent)
    }
}

impl crate::ingest::BetweenGroups for SendBeside {
    async fn after_group(&mut self, conn: &mut SqliteConnection) -> anyhow::Result<()> {
        if self.in_flight {
            match self.written.try_recv() {
                Ok(w) => self.settle(conn, w).await?,
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => return Ok(()),
                Err(e) => anyhow::bail!("the reply writer stopped: {e}"),
            }
        }
        let at = Utc::now();
        let claim = outbox::Claim {
            token: &self.token,
            now: at,
            until: at + self.lease,
        };
        let batch = outbox::claim(conn, self.after, MAILDIR_CLAIM, &claim).await?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        self.after = last.id;
        let jobs = self
            .jobs
            .as_ref()
            .context("the reply writer has finished")?;
        jobs.send(batch)
            .map_err(|_| anyhow::anyhow!("the reply writer stopped"))?;
        self.in_flight = true;
        Ok(())
    }
}

/// Renders and writes `batch` into `sent` in order, stopping at the first mail that fails, and
/// flushes what was written.
fn write_batch(
    from: &lettre::message::Mailbox,
    sent: &crate::transport::maildir::MaildirOut,
    batch: Vec<outbox_row::Queued>,
) -> Written {
    let mut w = Written {
        delivered: Vec::with_capacity(batch.len()),
        left: Vec::new(),
        flushed: Ok(()),
    };
    for mail in batch {
        if !w.left.is_empty() {
            w.left.push(mail.id);
            continue;
        }
        let result = mail
            .render(from)
            .map_err(SendError::from)
            .and_then(|bytes| sent.deliver(&mail, &bytes));
        match result {
            Ok(()) => w.delivered.push((mail.id, mail.message_id)),
            Err(e) => {
                tracing::warn!(message_id = %mail.message_id, id = mail.id, error = %e, "reply not written beside the step; sent after it");
                w.left.push(mail.id);
            }
        }
    }
    if !w.delivered.is_empty() {
        w.flushed = sent.flush();
    }
    w
}

/// Marks a batch delivered to a Maildir sent, once it is flushed to disk, in one transaction.
async fn mark_delivered(
    engine: &Engine,
    out: &Outbound,
    delivered: &[(i64, String)],
    now: DateTime<Utc>,
    done: &mut Sent,
    token: &str,
) -> anyhow::Result<()> {
    if delivered.is_empty() {
        return Ok(());
    }
    let mut conn = engine.store.connection().await?;
    let marked = mark_flushed(&mut conn, delivered, out.flush(), token, now).await?;
    done.sent += marked;
    done.deferred += delivered.len() - marked;
    Ok(())
}

/// Marks the rows written into a Maildir sent (a "mail sent" line each) when their flush held;
/// otherwise releases their claim, so a later sender writes them again (under the same file
/// names). How many were marked.
async fn mark_flushed(
    conn: &mut SqliteConnection,
    delivered: &[(i64, String)],
    flushed: Result<(), SendError>,
    token: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    if delivered.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = delivered.iter().map(|(id, _)| *id).collect();
    if let Err(e) = flushed {
        tracing::warn!(error = %e, "sent mail not flushed; it stays pending");
        outbox::release(conn, &ids, token).await?;
        return Ok(0);
    }
    outbox::mark_sent(conn, &ids, now).await?;
    for (id, message_id) in delivered {
        tracing::info!(message_id = %message_id, id, outcome = "sent", "mail sent");
    }
    Ok(ids.len())
}

/// Delivers one claimed mail and records the result; false when it was deferred (its claim is
/// then released by the caller).
async fn send_one(
    engine: &Engine,
    out: &Outbound,
    mail: &outbox_row::Queued,
    now: DateTime<Utc>,
    done: &mut Sent,
    delivered: &mut Vec<(i64, String)>,
) -> anyhow::Result<bool> {
    let result = match mail.render(&engine.config.bot) {
        Ok(bytes) => out.deliver(mail, &bytes).await,
        Err(e) => Err(e.into()),
    };
    if result.is_ok() && out.batches() {
        delivered.push((mail.id, mail.message_id.clone()));
        return Ok(true);
    }
    let mut conn = engine.store.connection().await?;
    match result {
        Ok(()) => {
            // Right after the server's 250: a kill from here to the commit repeats this mail.
            outbox::mark_sent(&mut conn, &[mail.id], now).await?;
            tracing::info!(message_id = %mail.message_id, id = mail.id, outcome = "sent", "mail sent");
            done.sent += 1;
        }
        Err(SendError::Permanent(e)) => {
            outbox::mark_failed(&mut conn, mail.id, &e).await?;
            tracing::error!(message_id = %mail.message_id, id = mail.id, error = %e, "mail failed");
            done.failed += 1;
            drop(conn);
            alert_failed(engine, mail, &e, now).await?;
        }
        Err(SendError::Transient(e)) => {
            tracing::warn!(message_id = %mail.message_id, id = mail.id, error = %e, "mail deferred");
            done.deferred += 1;
            return Ok(false);
        }
    }
    Ok(true)
}

/// Tells the admins a mail will never go (never about an alert: that would loop).
async fn alert_failed(
    engine: &Engine,
    mail: &outbox_row::Queued,
    error: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    if mail.message_id.starts_with(alerts::ALERT_ID_PREFIX) {
        return Ok(());
    }
    let mut tx = engine.store.begin().await?;
    let Some(message) = outbox::cause(&mut tx, mail.id).await? else {
        return Ok(());
    };
    let alert = alerts::Alert {
        kind: crate::mail::OutgoingKind::DeliveryFailed,
        about: mail.message_id.clone(),
        subject: format!("邮件无法投递：{}", mail.subject),
        body: format!(
            "以下邮件被邮件服务器永久拒绝，不会再重试，请人工处理。\n\nMessage-ID: {}\n收件人: {}\n主题: {}\n服务器答复: {error}\n",
            mail.message_id,
            mail.to
                .iter()
                .chain(&mail.cc)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            mail.subject,
        ),
    };
    alerts::queue(&engine.config, &mut tx, message, alert, now).await?;
    tx.commit().await?;
    Ok(())
}
