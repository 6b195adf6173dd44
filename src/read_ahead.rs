//! Readers: mail read from disk and parsed (headers, subject, body fields) on a thread of its
//! own, ahead of the writer that handles it — [`ReadAhead`] for `replay`'s sorted list,
//! [`FilesAhead`] for the files of a Maildir that `process --batch` handles in groups.
//!
//! Reading and parsing depend on the mail and the config only; what the rules decide depends
//! on the database, so that stays with the writer, in order. A reader runs on another core
//! than the writer where the machine has one ([`crate::cpu::leave_the_writers_core`]): the two
//! hand each other groups of mails, not statements, so the cross-core wakeup that made the
//! writer keep to one core (`cpu.rs`) is paid once a group. What is in flight is bounded, in
//! mails and in bytes of body text, so an archive of large mails holds at most
//! [`BYTES_AHEAD`] of them read ahead, and one more.

use crate::config::Config;
use crate::engine::ReadMail;
use crate::mail::Inbound;
use crate::mail::oversize::{self, MailFile};
use crate::transport::replay::{Sorted, Source};
use anyhow::Context;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// A group is handed over when it holds this many mails.
const GROUP_MAILS: usize = 32;
/// Groups waiting for the writer; the reader stops when this many are.
const GROUPS_AHEAD: usize = 4;
/// Body text read ahead and not yet handled, in KiB: the reader waits past it. A mail larger
/// than all of it waits until nothing else is ahead.
pub const BYTES_AHEAD: u32 = 16 << 10;

/// One mail of the list, as the reader found it.
pub enum Got {
    /// It could not be read (logged by the reader).
    Unreadable,
    /// Read and parsed.
    Mail(Box<ReadMail>),
    /// Over `max_message_bytes`: its header block and its size.
    TooLarge(Box<Inbound>, u64),
}

/// A mail and where it came from: a batch that fails is done again from its sources.
pub struct Item {
    /// Where it came from.
    pub source: Source,
    /// What was read.
    pub got: Got,
}

/// What the writer receives next.
pub enum Next {
    /// A mail of the current batch.
    Mail(Item),
    /// The current batch is complete.
    EndOfBatch,
}

/// What a reader sends: a group with its share of [`BYTES_AHEAD`] (one permit for the group, so
/// room is given back once a group, not once a mail), a batch's end, or why it stopped.
enum Message<T> {
    Items(Vec<T>, Option<OwnedSemaphorePermit>),
    EndOfBatch,
    Failed(anyhow::Error),
}

/// The writer's end: mails in list order, in batches of the size given to [`ReadAhead::start`].
pub struct ReadAhead {
    rx: mpsc::Receiver<Message<Item>>,
    group: std::vec::IntoIter<Item>,
    /// The current group's room, given back when the writer takes the next group.
    room: Option<OwnedSemaphorePermit>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Starts a reader thread off the writer's core, with a runtime of its own, running `work`
/// with the sending end of the channel returned.
fn spawn<T, F, Fut>(
    name: &str,
    work: F,
) -> anyhow::Result<(mpsc::Receiver<Message<T>>, std::thread::JoinHandle<()>)>
where
    T: Send + 'static,
    F: FnOnce(mpsc::Sender<Message<T>>) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    let (tx, rx) = mpsc::channel(GROUPS_AHEAD);
    let thread = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            crate::cpu::leave_the_writers_core();
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(work(tx)),
                Err(e) => {
                    let e = anyhow::Error::new(e).context("cannot start a mail reader");
                    let _ = tx.blocking_send(Message::Failed(e));
                }
            }
        })
        .context("cannot start a mail reader")?;
    Ok((rx, thread))
}

/// Stops a reader: one waiting to hand over a group, or waiting for room, sees the channel
/// closed (the groups in it are dropped, their room given back) and ends.
fn stop<T>(rx: &mut mpsc::Receiver<Message<T>>, thread: &mut Option<std::thread::JoinHandle<()>>) {
    rx.close();
    while rx.try_recv().is_ok() {}
    if let Some(t) = thread.take() {
        let _ = t.join();
    }
}

/// The group a reader is filling, the room its mails take, and the room left ahead of the
/// writer.
struct Groups<T> {
    group: Vec<T>,
    taken: Option<OwnedSemaphorePermit>,
    room: Arc<Semaphore>,
}

impl<T> Groups<T> {
    fn new() -> Groups<T> {
        Groups {
            group: Vec::with_capacity(GROUP_MAILS),
            taken: None,
            room: Arc::new(Semaphore::new(BYTES_AHEAD as usize)),
        }
    }

    /// Adds a mail of `body` bytes of text; a full group goes to the writer. When there is no
    /// room for the mail, the group so far goes to the writer first and the reader waits for
    /// room. False when the writer is gone.
    async fn push(&mut self, item: T, body: usize, tx: &mpsc::Sender<Message<T>>) -> bool {
        let kib = u32::try_from(body / 1024)
            .unwrap_or(u32::MAX)
            .min(BYTES_AHEAD);
        let permit = match self.room.clone().try_acquire_many_owned(kib) {
            Ok(permit) => permit,
            Err(_) => {
                if !self.send(tx).await {
                    return false;
                }
                match self.room.clone().acquire_many_owned(kib).await {
                    Ok(permit) => permit,
                    Err(_) => return false,
                }
            }
        };
        match &mut self.taken {
            Some(taken) => taken.merge(permit),
            None => self.taken = Some(permit),
        }
        self.group.push(item);
        self.group.len() < GROUP_MAILS || self.send(tx).await
    }

    /// Hands the group so far to the writer. False when the writer is gone.
    async fn send(&mut self, tx: &mpsc::Sender<Message<T>>) -> bool {
        if self.group.is_empty() {
            return true;
        }
        let full = std::mem::replace(&mut self.group, Vec::with_capacity(GROUP_MAILS));
        tx.send(Message::Items(full, self.taken.take()))
            .await
            .is_ok()
    }
}

impl ReadAhead {
    /// Starts the reader on `list`, `batch` mails to a batch.
    pub fn start(
        list: Sorted,
        batch: usize,
        config: Arc<Config>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<ReadAhead> {
        let (rx, thread) = spawn("replay-reader", move |tx| async move {
            read(list, batch, &config, now, &tx).await;
        })?;
        Ok(ReadAhead {
            rx,
            group: Vec::new().into_iter(),
            room: None,
            thread: Some(thread),
        })
    }

    /// The next mail or batch end; None when the list is done.
    pub async fn next(&mut self) -> anyhow::Result<Option<Next>> {
        loop {
            if let Some(item) = self.group.next() {
                return Ok(Some(Next::Mail(item)));
            }
            match self.rx.recv().await {
                Some(Message::Items(items, room)) => {
                    (self.group, self.room) = (items.into_iter(), room)
                }
                Some(Message::EndOfBatch) => return Ok(Some(Next::EndOfBatch)),
                Some(Message::Failed(e)) => return Err(e),
                None => return Ok(None),
            }
        }
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        stop(&mut self.rx, &mut self.thread);
    }
}

/// The reader's loop: every batch of the list, read and parsed in groups.
async fn read(
    mut list: Sorted,
    batch: usize,
    config: &Config,
    now: DateTime<Utc>,
    tx: &mpsc::Sender<Message<Item>>,
) {
    let max = config.mailbox.max_message_bytes;
    let mut groups = Groups::new();
    loop {
        let sources = match list.next_batch(batch).await {
            Ok(s) => s,
            Err(e) => {
                let _ = tx.send(Message::Failed(e)).await;
                return;
            }
        };
        if sources.is_empty() {
            return;
        }
        for source in sources {
            let got = match read_source(&source, max, now) {
                None => Got::Unreadable,
                Some(MailFile::Read(raw)) => Got::Mail(ReadMail::parse(config, raw, now)),
                Some(MailFile::TooLarge(mail, size)) => Got::TooLarge(mail, size),
            };
            let body = match &got {
                Got::Mail(m) => m.mail.body.len(),
                _ => 0,
            };
            if !groups.push(Item { source, got }, body, tx).await {
                return;
            }
        }
        if !groups.send(tx).await || tx.send(Message::EndOfBatch).await.is_err() {
            return;
        }
    }
}

/// `process --batch`'s reader for a Maildir: the files waiting, in the order listed, each with
/// the clock read when it was read (as the writer would read it) and the mail when it was read
/// whole. A file that was not (gone, over the size limit, unreadable) is read again by the
/// writer's one-mail path, which has the bookkeeping for each case.
pub struct FilesAhead {
    rx: mpsc::Receiver<Message<FileRead>>,
    group: std::vec::IntoIter<FileRead>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct FileRead {
    now: DateTime<Utc>,
    mail: Option<Box<ReadMail>>,
}

impl FilesAhead {
    /// Starts the reader on `files`.
    pub fn start(
        files: Vec<PathBuf>,
        config: Arc<Config>,
        clock: impl Fn() -> DateTime<Utc> + Send + 'static,
    ) -> anyhow::Result<FilesAhead> {
        let (rx, thread) = spawn("process-reader", move |tx| async move {
            read_files(files, &config, clock, &tx).await;
        })?;
        Ok(FilesAhead {
            rx,
            group: Vec::new().into_iter(),
            thread: Some(thread),
        })
    }

    /// The next file's clock and mail, in the order given. A group's room ahead is given back
    /// as the writer takes it: the writer holds a transaction's mails until its commit, and the
    /// reader must not wait for them.
    pub async fn next(&mut self) -> anyhow::Result<(DateTime<Utc>, Option<Box<ReadMail>>)> {
        loop {
            if let Some(f) = self.group.next() {
                return Ok((f.now, f.mail));
            }
            match self.rx.recv().await {
                Some(Message::Items(items, _room)) => self.group = items.into_iter(),
                Some(Message::EndOfBatch) => {}
                Some(Message::Failed(e)) => return Err(e),
                None => anyhow::bail!("the mail reader stopped before the last file"),
            }
        }
    }
}

impl Drop for FilesAhead {
    fn drop(&mut self) {
        stop(&mut self.rx, &mut self.thread);
    }
}

async fn read_files(
    files: Vec<PathBuf>,
    config: &Config,
    clock: impl Fn() -> DateTime<Utc>,
    tx: &mpsc::Sender<Message<FileRead>>,
) {
    let max = config.mailbox.max_message_bytes;
    let mut groups = Groups::new();
    for path in files {
        let now = clock();
        let mail = match oversize::read_file(&path, max, now) {
            Ok(MailFile::Read(raw)) => Some(ReadMail::parse(config, raw, now)),
            _ => None,
        };
        let body = mail.as_ref().map_or(0, |m| m.mail.body.len());
        if !groups.push(FileRead { now, mail }, body, tx).await {
            return;
        }
    }
    groups.send(tx).await;
}

/// The mail of `source`, unless it is over `max` bytes (a file's size is looked at before it
/// is read); None when it cannot be read.
pub fn read_source(source: &Source, max: u64, now: DateTime<Utc>) -> Option<MailFile> {
    let read = match source {
        Source::File(p) => oversize::read_file(p, max, now)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display())),
        Source::Mbox(b) if b.len() as u64 > max => Ok(MailFile::TooLarge(
            Box::new(oversize::from_bytes(b, now)),
            b.len() as u64,
        )),
        Source::Mbox(_) => source.bytes().map(MailFile::Read),
    };
    read.map_err(|e| tracing::error!(error = %format!("{e:#}"), "cannot read mail; skipped"))
        .ok()
}
