//! The ingest step, one code path for every [`Inbox`] (Maildir or IMAP): each mail waiting in
//! its own transaction (its state changes, its replies and the inbox position commit together),
//! then filed as processed. A mail over `max_message_bytes` or not a mail at all, or one whose
//! handling fails `[limits] max_tries` times (counted in the database, so a restart does not
//! reset it), is recorded, the admins are told once, and it goes to the dead-letter place; it
//! never blocks the mail after it. A failing database is not the mail's fault: the step stops
//! and the mail stays where it was.

use crate::alerts;
use crate::engine::{self, Engine, Handled, ReadMail};
use crate::mail::Inbound;
use crate::read_ahead::FilesAhead;
use crate::store::batch::Deferred;
use crate::store::{imap_state, tries};
use crate::transport::imap::ImapIn;
use crate::transport::inbox::{Fetched, Inbox, MailRef, Waiting};
use crate::transport::maildir::{Filer, MaildirIn};
use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection};
use std::collections::HashMap;
use std::future::Future;

/// Counts of what a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    /// Mails recorded now (a dead letter is recorded too).
    pub recorded: usize,
    /// Mails seen before.
    pub duplicates: usize,
    /// Mails that could not be handled and stay where they were (logged).
    pub errors: usize,
    /// Replies queued.
    pub queued: usize,
    /// Mails moved to the dead-letter place (over the size limit, not a mail, or failing
    /// `max_tries` times).
    pub dead_lettered: usize,
}

impl Tally {
    /// Adds another run's counts.
    pub fn merge(&mut self, o: Tally) {
        self.recorded += o.recorded;
        self.duplicates += o.duplicates;
        self.errors += o.errors;
        self.queued += o.queued;
        self.dead_lettered += o.dead_lettered;
    }

    /// Counts one mail handled.
    pub fn add(&mut self, h: &Handled) {
        match h {
            Handled::Recorded { queued, .. } => {
                self.recorded += 1;
                self.queued += queued;
            }
            Handled::Duplicate => self.duplicates += 1,
        }
    }

    /// Mails that failed: dead-lettered or left with an error (`process` exits non-zero).
    pub fn failed(&self) -> usize {
        self.errors + self.dead_lettered
    }
}

/// What a step in groups does between two groups, on its connection and outside any
/// transaction, once the group before has committed: `process` writes the replies committed so
/// far into the sent Maildir beside the next group ([`crate::jobs::SendBeside`]).
pub trait BetweenGroups {
    /// Runs after each group.
    fn after_group(
        &mut self,
        conn: &mut SqliteConnection,
    ) -> impl Future<Output = anyhow::Result<()>>;
}

/// Nothing between groups.
impl BetweenGroups for () {
    async fn after_group(&mut self, _: &mut SqliteConnection) -> anyhow::Result<()> {
        Ok(())
    }
}

/// Processes every mail waiting in `inbox`, reading the clock for each mail; stops between
/// mails when `stop()` says so.
pub async fn ingest_once(
    engine: &Engine,
    inbox: &mut Inbox<'_>,
    stop: impl Fn() -> bool,
) -> anyhow::Result<Tally> {
    ingest_with_clock(engine, inbox, Utc::now, stop).await
}

/// [`ingest_once`] with the clock given (tests pin it): one transaction per mail.
pub async fn ingest_with_clock(
    engine: &Engine,
    inbox: &mut Inbox<'_>,
    clock: impl Fn() -> DateTime<Utc> + Clone + Send + 'static,
    stop: impl Fn() -> bool,
) -> anyhow::Result<Tally> {
    ingest_grouped(engine, inbox, clock, stop, 1).await
}

/// [`ingest_with_clock`], committing up to `group` mails in one transaction (`process
/// --batch`). Each mail is still handled alone by the engine, in arrival order; the group's
/// rows commit together and only then are its mails filed away, so a crash before the commit
/// leaves every mail of the group waiting (done again, nothing counted twice) and a crash after
/// it leaves mails the database has seen (filed as seen before). A mail that is not plainly
/// readable (gone, unreadable, over the size limit, not a mail, failed before) commits the group
/// before it and takes the one-mail path; a group whose handling fails is rolled back whole and
/// its mails done again one per transaction, so one bad mail loses only itself and a failing
/// database stops the step at the first mail it cannot write, as with `group` 1. `group` 1 is the
/// daemon's contract: every mail commits before the next is read. In groups, a Maildir's files
/// are read and parsed ahead by a reader thread ([`FilesAhead`]), each with the clock read when
/// it was read.
pub async fn ingest_grouped(
    engine: &Engine,
    inbox: &mut Inbox<'_>,
    clock: impl Fn() -> DateTime<Utc> + Clone + Send + 'static,
    stop: impl Fn() -> bool,
    group: usize,
) -> anyhow::Result<Tally> {
    ingest_grouped_with(engine, inbox, (clock, stop), group, &mut ()).await
}

/// [`ingest_grouped`] with `between` run after each group on the step's connection. A
/// Maildir's handled files are filed by a [`Filer`] thread once their group has committed.
pub async fn ingest_grouped_with(
    engine: &Engine,
    inbox: &mut Inbox<'_>,
    (clock, stop): (
        impl Fn() -> DateTime<Utc> + Clone + Send + 'static,
        impl Fn() -> bool,
    ),
    group: usize,
    between: &mut impl BetweenGroups,
) -> anyhow::Result<Tally> {
    let config = &engine.config;
    let key = config.mailbox.url.as_str();
    let (stored, tried) = {
        let mut conn = engine.store.connection().await?;
        let stored = match inbox.keeps_position() {
            true => imap_state::get(&mut conn, key).await?,
            false => None,
        };
        (stored, tries::load(&mut conn, key).await?)
    };
    let waiting = inbox.list(stored, &config.mailbox.processed_folder).await?;
    let found = waiting.len() as u64;
    let mut left = found;
    record_waiting(engine, found).await;
    let mut step = Step {
        engine,
        key,
        tried,
        tally: Tally::default(),
        conn: None,
        bulk: group > 1,
        filer: match (&*inbox, group > 1) {
            (Inbox::Maildir(m), true) => Some(Filer::start((*m).clone())?),
            _ => None,
        },
        carried: Default::default(),
    };
    // Groups only (the daemon's one-mail step reads each mail itself). The reader gives one item
    // per waiting mail, in order: only when every one is a file.
    let files: Option<Vec<_>> = (group > 1)
        .then(|| {
            waiting
                .iter()
                .map(|w| match &w.mail {
                    MailRef::File(path) => Some(path.clone()),
                    MailRef::Uid(_) => None,
                })
                .collect()
        })
        .flatten();
    let mut ahead = match files {
        Some(files) if !files.is_empty() => {
            Some(FilesAhead::start(files, config.clone(), clock.clone())?)
        }
        _ => None,
    };
    for chunk in waiting.chunks(group.max(1)) {
        if stop() {
            break;
        }
        match (chunk, &mut ahead) {
            ([w], None) => step.one(inbox, w, clock()).await?,
            (_, ahead) => step.group(inbox, chunk, &clock, ahead.as_mut()).await?,
        }
        left -= chunk.len() as u64;
        if let Some(conn) = step.conn.as_mut() {
            between.after_group(conn).await?;
        }
    }
    drop(ahead);
    if let Some(filer) = step.filer.take() {
        filer.finish()?;
    }
    if let (true, Some(conn)) = (step.bulk, step.conn.as_mut()) {
        crate::store::bulk_writes(conn, false).await?;
    }
    if left != found {
        record_waiting(engine, left).await;
    }
    Ok(step.tally)
}

/// `process`: the configured inbox (a Maildir, or an IMAP folder: connect, handle everything
/// waiting, log out), `group` mails per transaction ([`ingest_grouped`]).
pub async fn process(engine: &Engine, group: usize) -> anyhow::Result<Tally> {
    process_with(engine, group, &mut ()).await
}

/// [`process`] with `between` run after each group of a Maildir ([`ingest_grouped_with`]; IMAP
/// runs none).
pub async fn process_with(
    engine: &Engine,
    group: usize,
    between: &mut impl BetweenGroups,
) -> anyhow::Result<Tally> {
    match &engine.config.mailbox_url {
        crate::config::MailboxUrl::Maildir(path) => {
            let maildir = MaildirIn::create(path)?;
            let inbox = &mut Inbox::Maildir(&maildir);
            let clock = (Utc::now, || false);
            ingest_grouped_with(engine, inbox, clock, group, between).await
        }
        crate::config::MailboxUrl::Imap(_) => process_imap(engine, group).await,
    }
}

/// `process` on IMAP: connect, handle everything waiting, log out.
pub async fn process_imap(engine: &Engine, group: usize) -> anyhow::Result<Tally> {
    let ep = crate::transport::imap::endpoint(&engine.config)?;
    let mut imap = ImapIn::connect(&engine.config, &ep).await?;
    let inbox = &mut Inbox::Imap(&mut imap);
    let tally = ingest_grouped(engine, inbox, Utc::now, || false, group).await;
    imap.logout().await;
    tally
}

/// The mail waiting, for `supportbot status` (a figure: a failed write is only logged).
async fn record_waiting(engine: &Engine, n: u64) {
    let write = async {
        let mut conn = engine.store.connection().await?;
        crate::store::daemon_health::waiting(&mut conn, n).await
    };
    if let Err(e) = write.await {
        tracing::debug!(error = %format!("{e:#}"), "mail waiting not recorded");
    }
}

/// Why a mail is not handled but dead-lettered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dead {
    /// Over `max_message_bytes` (its size): recorded `too_large`, never read.
    TooLarge(u64),
    /// The bytes do not parse as a mail.
    NotAMail,
    /// Handling failed this many times; the last error.
    Failed(u32, String),
}

impl std::fmt::Display for Dead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dead::TooLarge(size) => write!(f, "too_large: {size} bytes"),
            Dead::NotAMail => write!(f, "not_a_mail: the bytes do not parse as a mail"),
            Dead::Failed(n, e) => write!(f, "not_handled after {n} tries: {e}"),
        }
    }
}

/// Why a mail read within the limit is not handled but dead-lettered, if it is.
pub fn unreadable_reason(mail: &Inbound) -> Option<Dead> {
    (!mail.readable).then_some(Dead::NotAMail)
}

/// The state of one ingest run.
struct Step<'e> {
    engine: &'e Engine,
    /// The inbox's name in the database (`mailbox.url`).
    key: &'e str,
    /// Failed tries stored from earlier runs, by mail key.
    tried: HashMap<String, u32>,
    tally: Tally,
    /// The connection every mail's transaction runs on ([`crate::store::begin_on`]): SQLite
    /// empties a connection's page cache whenever another one has written, so transactions
    /// taking turns on the pool's connections would each start cold. Given back to the pool
    /// after a failed transaction (the pool closes one left inside a transaction).
    conn: Option<PoolConnection<Sqlite>>,
    /// Mails are committed in groups: a bulk job, whose connection writes as bulk jobs do
    /// ([`crate::store::bulk_writes`]).
    bulk: bool,
    /// A Maildir's groups are filed by this thread once committed (the one-mail path files
    /// its mail itself).
    filer: Option<Filer>,
    /// What the last group committed knew ([`Deferred::carry`]): the admins' alerts it queued
    /// (a later group does not queue them again) and the reply cap's lines it read. Taken by
    /// each group and given back only after its commit, so a group rolled back forgets it.
    carried: crate::store::batch::Carried,
}

/// A mail of a group: which, the mail, and the clock when it was read.
type Held<'w> = (&'w Waiting, Box<ReadMail>, DateTime<Utc>);

impl Step<'_> {
    /// The step's connection, taken from the pool when it has none. A connection given back
    /// after a failed transaction keeps a bulk step's settings: `process` in groups
    /// is a command that ends, and the daemon's one-mail step is never bulk.
    async fn ensure_connection(&mut self) -> anyhow::Result<()> {
        if self.conn.is_none() {
            let mut conn = self.engine.store.connection().await?;
            if self.bulk {
                crate::store::bulk_writes(&mut conn, true).await?;
            }
            self.conn = Some(conn);
        }
        Ok(())
    }

    /// The mails of `chunk` in arrival order, the plainly readable ones committed together
    /// ([`ingest_grouped`]); read by `ahead` when there is one (every file waiting is, in
    /// order), else here.
    async fn group(
        &mut self,
        inbox: &mut Inbox<'_>,
        chunk: &[Waiting],
        clock: &impl Fn() -> DateTime<Utc>,
        mut ahead: Option<&mut FilesAhead>,
    ) -> anyhow::Result<()> {
        let config = &self.engine.config;
        let max = config.mailbox.max_message_bytes;
        let mut held: Vec<Held<'_>> = Vec::with_capacity(chunk.len());
        for w in chunk {
            let tried = self.tried.contains_key(&inbox.mail_key(w));
            let (now, read) = match ahead.as_deref_mut() {
                Some(ahead) => ahead.next().await?,
                None => {
                    let now = clock();
                    let read = match tried {
                        true => None,
                        false => match inbox.fetch(w, max, now).await? {
                            Fetched::Whole(raw) => Some(ReadMail::parse(config, raw, now)),
                            _ => None,
                        },
                    };
                    (now, read)
                }
            };
            if !tried
                && let Some(read) = read
                && unreadable_reason(&read.mail).is_none()
            {
                held.push((w, read, now));
                continue;
            }
            // Everything else is rare and has its own bookkeeping: the mails before it first.
            self.commit_group(inbox, &mut held).await?;
            self.one(inbox, w, now).await?;
        }
        self.commit_group(inbox, &mut held).await
    }

    /// Commits the mails `held` in one transaction and files them away; if that fails, does
    /// them again one per transaction. Leaves `held` empty.
    async fn commit_group(
        &mut self,
        inbox: &mut Inbox<'_>,
        held: &mut Vec<Held<'_>>,
    ) -> anyhow::Result<()> {
        let batch = std::mem::take(held);
        if batch.is_empty() {
            return Ok(());
        }
        let handled = self.commit_all(inbox, &batch).await;
        let handled = match handled {
            Ok(handled) => handled,
            Err(e) => {
                // A mail that fails, or a database that does (a full disk may still take a
                // smaller transaction): one at a time, which stops at the first failed write.
                self.conn = None;
                tracing::warn!(error = %format!("{e:#}"), mails = batch.len(), "group rolled back; handling its mails one at a time");
                for (w, _, now) in &batch {
                    self.one(inbox, w, *now).await?;
                }
                return Ok(());
            }
        };
        let folder = &self.engine.config.mailbox.processed_folder;
        for ((w, read, _), h) in batch.iter().zip(&handled) {
            engine::log(&read.mail.key, h);
            self.tally.add(h);
            match (&self.filer, &w.mail) {
                (Some(filer), MailRef::File(path)) => filer.file(path.clone())?,
                _ => inbox.file_processed(w, folder).await?,
            }
        }
        Ok(())
    }

    /// One transaction for `batch`: the engine's work on each mail (the rows no later mail
    /// reads held to its end, as replay does) and the inbox position after the last.
    async fn commit_all(
        &mut self,
        inbox: &Inbox<'_>,
        batch: &[Held<'_>],
    ) -> anyhow::Result<Vec<Handled>> {
        let config = &self.engine.config;
        self.ensure_connection().await?;
        let conn = self.conn.as_mut().context("the step has no connection")?;
        let mut tx = crate::store::begin_on(conn).await?;
        let carried = std::mem::take(&mut self.carried);
        let mut later = Deferred::resume(&mut tx, carried).await?;
        let mut handled = Vec::with_capacity(batch.len());
        for (_, read, now) in batch {
            let replies = engine::Replies::Queue;
            let h = engine::handle_read_in_batch(config, &mut tx, read, *now, replies, &mut later);
            handled.push(h.await?);
        }
        later.flush(&mut tx).await?;
        let carried = later.carry(&mut tx).await?;
        if let Some((w, _, now)) = batch.last()
            && let Some(pos) = inbox.position(w)
        {
            imap_state::set(&mut tx, self.key, pos, *now).await?;
        }
        tx.commit().await?;
        self.carried = carried;
        Ok(handled)
    }

    /// One mail: handled and filed, or dead-lettered and filed, or left with an error.
    async fn one(
        &mut self,
        inbox: &mut Inbox<'_>,
        w: &Waiting,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let config = &self.engine.config;
        let mail_key = inbox.mail_key(w);
        let (mut mail, dead) = match inbox
            .fetch(w, config.mailbox.max_message_bytes, now)
            .await?
        {
            Fetched::Gone => {
                tracing::warn!(mail = %mail_key, "mail gone before it was read; skipped");
                return Ok(());
            }
            Fetched::Unreadable(e) => {
                tracing::error!(mail = %mail_key, error = %e, "cannot read mail; left where it is");
                self.tally.errors += 1;
                return Ok(());
            }
            Fetched::TooLarge(mail, size) => (*mail, Dead::TooLarge(size)),
            Fetched::Whole(raw) => {
                let mail = Inbound::parse(&raw, now);
                match unreadable_reason(&mail) {
                    Some(dead) => (mail, dead),
                    None => match self.handle(inbox, w, &mail_key, &mail, now).await? {
                        None => return Ok(()),
                        Some(dead) => (mail, dead),
                    },
                }
            }
        };
        mail.readable = false;
        tracing::error!(message_id = %mail.key, mail = %mail_key, reason = %dead, "mail dead-lettered");
        let folder = &config.mailbox.dead_letter_folder;
        let place = inbox.dead_letter_place(folder);
        match self
            .commit(inbox, w, &mail_key, &mail, Some((&dead, &place)), now)
            .await
        {
            Ok(h) => {
                self.tally.add(&h);
                self.tally.dead_lettered += 1;
            }
            Err(e) if crate::store::health::is_failing(&e) => {
                return Err(e.context(format!(
                    "database write failed; mail {mail_key} stays in the inbox and nothing after it was handled"
                )));
            }
            // Not even the record of the dead letter can be written: it is moved aside all the
            // same, so it cannot block the inbox; the log is all that names it.
            Err(e) => {
                tracing::error!(message_id = %mail.key, mail = %mail_key, error = %format!("{e:#}"), "dead letter not recorded; moved aside unrecorded");
                self.tally.errors += 1;
            }
        }
        inbox.file_dead_letter(w, folder).await
    }

    /// Tries to handle a readable mail until it is handled (None) or has failed `max_tries`
    /// times in all (Some: dead-letter it). A failing database stops the step.
    async fn handle(
        &mut self,
        inbox: &mut Inbox<'_>,
        w: &Waiting,
        mail_key: &str,
        mail: &Inbound,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<Dead>> {
        let config = &self.engine.config;
        let max_tries = config.limits.max_tries.max(1);
        loop {
            let before = self.tried.get(mail_key).copied().unwrap_or(0);
            if before >= max_tries {
                // Tried as often as allowed in earlier runs (a crash came before it was moved).
                return Ok(Some(Dead::Failed(
                    before,
                    "see the earlier runs' log".into(),
                )));
            }
            let e = match self.commit(inbox, w, mail_key, mail, None, now).await {
                Ok(h) => {
                    self.tally.add(&h);
                    inbox
                        .file_processed(w, &config.mailbox.processed_folder)
                        .await?;
                    return Ok(None);
                }
                Err(e) if crate::store::health::is_failing(&e) => {
                    return Err(e.context(format!(
                        "database write failed; mail {mail_key} stays in the inbox and nothing after it was handled"
                    )));
                }
                Err(e) => e,
            };
            let error = format!("{e:#}");
            let n = {
                let mut conn = self.engine.store.connection().await?;
                tries::bump(&mut conn, self.key, mail_key, &error, now).await?
            };
            self.tried.insert(mail_key.to_string(), n);
            tracing::warn!(message_id = %mail.key, mail = %mail_key, tries = n, max_tries, error, "mail not handled");
            if n >= max_tries {
                return Ok(Some(Dead::Failed(n, error)));
            }
        }
    }

    /// One transaction: the engine's work on the mail (or, for a dead letter, its record and the
    /// admins' alert), the inbox position, and forgetting its failed tries.
    async fn commit(
        &mut self,
        inbox: &Inbox<'_>,
        w: &Waiting,
        mail_key: &str,
        mail: &Inbound,
        dead: Option<(&Dead, &str)>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Handled> {
        let done = self.commit_on(inbox, w, mail_key, mail, dead, now).await;
        if done.is_err() {
            self.conn = None;
        }
        done
    }

    /// [`Step::commit`] on the step's connection.
    async fn commit_on(
        &mut self,
        inbox: &Inbox<'_>,
        w: &Waiting,
        mail_key: &str,
        mail: &Inbound,
        dead: Option<(&Dead, &str)>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Handled> {
        let config = &self.engine.config;
        self.ensure_connection().await?;
        let conn = self.conn.as_mut().context("the step has no connection")?;
        let mut tx = crate::store::begin_on(conn).await?;
        let h = match dead {
            Some((Dead::TooLarge(size), place)) => {
                engine::record_too_large(config, &mut tx, mail, *size, place, now).await?
            }
            _ => engine::handle_in(config, &mut tx, mail, now, engine::Replies::Queue).await?,
        };
        if let (Some((reason, place)), Handled::Recorded { id, .. }) = (dead, &h)
            && !matches!(reason, Dead::TooLarge(_))
        {
            let alert = alerts::dead_letter(mail, &reason.to_string(), place);
            alerts::queue(config, &mut tx, *id, alert, now).await?;
        }
        if let Some(pos) = inbox.position(w) {
            imap_state::set(&mut tx, self.key, pos, now).await?;
        }
        if self.tried.remove(mail_key).is_some() {
            tries::clear(&mut tx, self.key, mail_key).await?;
        }
        tx.commit().await?;
        engine::log(&mail.key, &h);
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_that_are_not_a_mail_are_dead_lettered_and_a_mail_is_not() {
        let now = Utc::now();
        let ok = Inbound::parse(b"From: a@b.c\r\nSubject: x\r\n\r\nhi", now);
        assert_eq!(unreadable_reason(&ok), None);
        let mut bad = ok.clone();
        bad.readable = false;
        assert_eq!(unreadable_reason(&bad), Some(Dead::NotAMail));
    }

    #[test]
    fn a_failed_tally_counts_dead_letters_and_errors() {
        let t = Tally {
            errors: 1,
            dead_lettered: 2,
            ..Tally::default()
        };
        assert_eq!(t.failed(), 3);
        assert_eq!(Tally::default().failed(), 0);
    }
}
