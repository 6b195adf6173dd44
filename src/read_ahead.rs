//! Replay's reader: the mails of a [`Sorted`] list read from disk and parsed (headers, subject,
//! body fields) on a thread of their own, ahead of the writer that handles them.
//!
//! Reading and parsing depend on the mail and the config only; what the rules decide depends
//! on the database, so that stays with the writer, in order. The reader runs on another core
//! than the writer where the machine has one ([`crate::cpu::leave_the_writers_core`]): the two
//! hand each other groups of mails, not statements, so the cross-core wakeup that made replay
//! keep to one core (`cpu.rs`) is paid once a group. What is in flight is bounded, in mails and
//! in bytes of body text, so an archive of large mails holds at most [`BYTES_AHEAD`] of them
//! read ahead, and one more.

use crate::config::Config;
use crate::engine::ReadMail;
use crate::mail::Inbound;
use crate::mail::oversize::{self, MailFile};
use crate::transport::replay::{Sorted, Source};
use anyhow::Context;
use chrono::{DateTime, Utc};
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
    /// Its share of [`BYTES_AHEAD`], given back when the item is dropped.
    _room: OwnedSemaphorePermit,
}

/// What the writer receives next.
pub enum Next {
    /// A mail of the current batch.
    Mail(Item),
    /// The current batch is complete.
    EndOfBatch,
}

enum Message {
    Items(Vec<Item>),
    EndOfBatch,
    Failed(anyhow::Error),
}

/// The writer's end: mails in list order, in batches of the size given to [`ReadAhead::start`].
pub struct ReadAhead {
    rx: mpsc::Receiver<Message>,
    group: std::vec::IntoIter<Item>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ReadAhead {
    /// Starts the reader on `list`, `batch` mails to a batch.
    pub fn start(
        list: Sorted,
        batch: usize,
        config: Arc<Config>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<ReadAhead> {
        let (tx, rx) = mpsc::channel(GROUPS_AHEAD);
        let thread = std::thread::Builder::new()
            .name("replay-reader".into())
            .spawn(move || {
                crate::cpu::leave_the_writers_core();
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let e = anyhow::Error::new(e).context("cannot start replay's reader");
                        let _ = tx.blocking_send(Message::Failed(e));
                        return;
                    }
                };
                rt.block_on(read(list, batch, &config, now, &tx));
            })
            .context("cannot start replay's reader")?;
        Ok(ReadAhead {
            rx,
            group: Vec::new().into_iter(),
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
                Some(Message::Items(items)) => self.group = items.into_iter(),
                Some(Message::EndOfBatch) => return Ok(Some(Next::EndOfBatch)),
                Some(Message::Failed(e)) => return Err(e),
                None => return Ok(None),
            }
        }
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        // A reader waiting to hand over a group sees the channel closed and stops.
        self.rx.close();
        while self.rx.try_recv().is_ok() {}
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The reader's loop: every batch of the list, read and parsed in groups.
async fn read(
    mut list: Sorted,
    batch: usize,
    config: &Config,
    now: DateTime<Utc>,
    tx: &mpsc::Sender<Message>,
) {
    let max = config.mailbox.max_message_bytes;
    let room = Arc::new(Semaphore::new(BYTES_AHEAD as usize));
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
        let mut group = Vec::with_capacity(GROUP_MAILS);
        for source in sources {
            let got = match read_source(&source, max, now) {
                None => Got::Unreadable,
                Some(MailFile::Read(raw)) => {
                    let mail = Inbound::parse(&raw, now);
                    drop(raw);
                    Got::Mail(Box::new(ReadMail::new(config, mail)))
                }
                Some(MailFile::TooLarge(mail, size)) => Got::TooLarge(mail, size),
            };
            let kib = match &got {
                Got::Mail(m) => u32::try_from(m.mail.body.len() / 1024).unwrap_or(u32::MAX),
                _ => 0,
            };
            let wanted = kib.min(BYTES_AHEAD);
            let Ok(permit) = room.clone().try_acquire_many_owned(wanted) else {
                // Full: what is ahead goes to the writer, and the reader waits for room.
                if !group.is_empty() {
                    let full = std::mem::replace(&mut group, Vec::with_capacity(GROUP_MAILS));
                    if tx.send(Message::Items(full)).await.is_err() {
                        return;
                    }
                }
                let Ok(permit) = room.clone().acquire_many_owned(wanted).await else {
                    return;
                };
                group.push(Item {
                    source,
                    got,
                    _room: permit,
                });
                continue;
            };
            group.push(Item {
                source,
                got,
                _room: permit,
            });
            if group.len() >= GROUP_MAILS {
                let full = std::mem::replace(&mut group, Vec::with_capacity(GROUP_MAILS));
                if tx.send(Message::Items(full)).await.is_err() {
                    return;
                }
            }
        }
        if !group.is_empty() && tx.send(Message::Items(group)).await.is_err() {
            return;
        }
        if tx.send(Message::EndOfBatch).await.is_err() {
            return;
        }
    }
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
