//! One inbox, whatever serves it: list the mail waiting, fetch one (never more than
//! `max_message_bytes` of it), file it as processed, file it as a dead letter. The Maildir and
//! IMAP adapters sit behind it, so [`crate::ingest`] is one code path for both.

use crate::mail::Inbound;
use crate::mail::oversize::{self, MailFile};
use crate::store::imap_state::Position;
use crate::transport::imap::ImapIn;
use crate::transport::maildir::MaildirIn;
use chrono::{DateTime, Utc};
use std::path::PathBuf;

/// An inbox, borrowed from whoever keeps its connection (the daemon keeps an IMAP session
/// between steps for IDLE).
#[derive(Debug)]
pub enum Inbox<'a> {
    /// A Maildir: `new/` is what waits.
    Maildir(&'a MaildirIn),
    /// An IMAP folder: everything after the last committed UID waits.
    Imap(&'a mut ImapIn),
}

/// Which mail, in the inbox's own terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailRef {
    /// A file in the Maildir's `new/`.
    File(PathBuf),
    /// An IMAP UID in the selected folder.
    Uid(u32),
}

/// One mail waiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// Which.
    pub mail: MailRef,
    /// Its size in bytes as an IMAP server lists it, looked at before fetching. A Maildir file
    /// has none: [`Inbox::fetch`] measures it when it reads it (a stat of every file while
    /// listing was more than half of a 10,000-mail `process`'s listing, on the writer's thread
    /// before its first mail, for a figure nothing read).
    pub size: Option<u64>,
}

/// What [`Inbox::fetch`] found.
#[derive(Debug)]
pub enum Fetched {
    /// The whole mail, within the limit.
    Whole(Vec<u8>),
    /// Over `max_message_bytes`: only its header block was read; and its size.
    TooLarge(Box<Inbound>, u64),
    /// Gone since it was listed (another reader took it): nothing to do.
    Gone,
    /// This one mail cannot be read (a Maildir file without read permission); it stays.
    Unreadable(String),
}

impl Inbox<'_> {
    /// Whether the inbox's position is kept in the database (IMAP's last committed UID).
    pub fn keeps_position(&self) -> bool {
        matches!(self, Inbox::Imap(_))
    }

    /// The position to commit with `w`'s transaction, for an inbox that keeps one.
    pub fn position(&self, w: &Waiting) -> Option<Position> {
        match (self, &w.mail) {
            (Inbox::Imap(imap), MailRef::Uid(uid)) => Some(Position {
                uid_validity: imap.uid_validity,
                last_uid: *uid,
            }),
            _ => None,
        }
    }

    /// A stable name of `w` within this inbox, under which its failed tries are counted.
    pub fn mail_key(&self, w: &Waiting) -> String {
        match (self, &w.mail) {
            (Inbox::Imap(imap), MailRef::Uid(uid)) => format!("{}:{uid}", imap.uid_validity),
            (_, MailRef::Uid(uid)) => uid.to_string(),
            (_, MailRef::File(path)) => {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                let name = name.unwrap_or_else(|| path.display().to_string());
                // The flags after `:2,` change as the mail moves; the base name does not.
                name.split(":2,").next().unwrap_or(&name).to_string()
            }
        }
    }

    /// The mail waiting, oldest first. An IMAP inbox starts after `stored` (the committed
    /// position) and first files as processed the mail at or below it that a crash between a
    /// commit and the move left in the folder; a changed UIDVALIDITY re-scans the folder
    /// (Message-IDs keep that exactly-once). A Maildir lists `new/`.
    pub async fn list(
        &mut self,
        stored: Option<Position>,
        processed_folder: &str,
    ) -> anyhow::Result<Vec<Waiting>> {
        match self {
            Inbox::Maildir(m) => Ok(m
                .new_mail()?
                .into_iter()
                .map(|path| Waiting {
                    size: None,
                    mail: MailRef::File(path),
                })
                .collect()),
            Inbox::Imap(imap) => {
                let last = match stored {
                    Some(p) if p.uid_validity == imap.uid_validity => p.last_uid,
                    Some(p) => {
                        tracing::warn!(
                            old = p.uid_validity,
                            new = imap.uid_validity,
                            "UIDVALIDITY changed: re-scanning the folder (Message-IDs keep it exactly-once)"
                        );
                        0
                    }
                    None => 0,
                };
                if last > 0 {
                    for uid in imap.uids(1, Some(last)).await? {
                        imap.file(uid, processed_folder).await?;
                    }
                }
                Ok(imap
                    .waiting(last)
                    .await?
                    .into_iter()
                    .map(|w| Waiting {
                        mail: MailRef::Uid(w.uid),
                        size: Some(w.size),
                    })
                    .collect())
            }
        }
    }

    /// The mail `w`: whole when within `max` bytes, else only its header block. A Maildir file
    /// is measured before it is read; an IMAP mail by the size the server listed.
    pub async fn fetch(
        &mut self,
        w: &Waiting,
        max: u64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Fetched> {
        match (self, &w.mail) {
            (Inbox::Maildir(_), MailRef::File(path)) => {
                Ok(match oversize::read_file(path, max, now) {
                    Ok(MailFile::Read(raw)) => Fetched::Whole(raw),
                    Ok(MailFile::TooLarge(mail, size)) => Fetched::TooLarge(mail, size),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Fetched::Gone,
                    Err(e) => Fetched::Unreadable(format!("{}: {e}", path.display())),
                })
            }
            (Inbox::Imap(imap), MailRef::Uid(uid)) => {
                let size = w.size.unwrap_or(0);
                let too_large = size > max;
                Ok(match imap.fetch(*uid, too_large).await? {
                    None => Fetched::Gone,
                    Some(head) if too_large => {
                        Fetched::TooLarge(Box::new(Inbound::parse(&head, now)), size)
                    }
                    Some(raw) => Fetched::Whole(raw),
                })
            }
            (_, other) => anyhow::bail!("{other:?} is not a mail of this inbox"),
        }
    }

    /// Files a handled mail away (Maildir: `cur/` flagged seen; IMAP: `\Seen` and moved to
    /// `processed_folder`). Safe to repeat.
    pub async fn file_processed(
        &mut self,
        w: &Waiting,
        processed_folder: &str,
    ) -> anyhow::Result<()> {
        match (self, &w.mail) {
            (Inbox::Maildir(m), MailRef::File(path)) => m.mark_seen(path),
            (Inbox::Imap(imap), MailRef::Uid(uid)) => Ok(imap.file(*uid, processed_folder).await?),
            (_, other) => anyhow::bail!("{other:?} is not a mail of this inbox"),
        }
    }

    /// Moves a mail that is not handled to the dead-letter place named `folder` (IMAP: that
    /// folder; Maildir: the Maildir++ subfolder `.<folder>`). Safe to repeat.
    pub async fn file_dead_letter(&mut self, w: &Waiting, folder: &str) -> anyhow::Result<()> {
        match (self, &w.mail) {
            (Inbox::Maildir(m), MailRef::File(path)) => m.dead_letter(path, folder).map(|_| ()),
            (Inbox::Imap(imap), MailRef::Uid(uid)) => Ok(imap.file(*uid, folder).await?),
            (_, other) => anyhow::bail!("{other:?} is not a mail of this inbox"),
        }
    }

    /// Where a dead letter goes, in the words the admins' alert uses.
    pub fn dead_letter_place(&self, folder: &str) -> String {
        match self {
            Inbox::Maildir(m) => {
                format!("已移入 {}", m.dead_letter_dir(folder).join("new").display())
            }
            Inbox::Imap(_) => format!("已移入文件夹「{folder}」"),
        }
    }
}
