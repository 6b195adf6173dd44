//! Transports: the Maildir in and out of the embedded default, IMAP in and SMTP out, and the
//! sources `replay` reads.
//! Everything after a transport is the same code path.

pub mod check;
pub mod endpoint;
pub mod imap;
pub mod inbox;
pub mod maildir;
pub mod oauth;
pub mod replay;
pub mod smtp;

use crate::config::{Config, SmtpUrl};
use crate::mail::outbound::Queued;

/// What an entry of a folder of mail is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    File,
    Folder,
    Other,
}

/// What `entry` is, told by the entry itself where the file system says (no stat of every file
/// of a large folder); a link, or an entry whose type the file system does not give, is looked
/// at through to what it names (a link to nothing is [`EntryKind::Other`]).
pub(crate) fn entry_kind(entry: &std::fs::DirEntry) -> EntryKind {
    let kind = |t: std::fs::FileType| {
        if t.is_file() {
            EntryKind::File
        } else if t.is_dir() {
            EntryKind::Folder
        } else {
            EntryKind::Other
        }
    };
    match entry.file_type() {
        Ok(t) if t.is_file() || t.is_dir() => kind(t),
        _ => std::fs::metadata(entry.path()).map_or(EntryKind::Other, |m| kind(m.file_type())),
    }
}

/// Why a mail could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later (connection refused, 4xx, disk full).
    #[error("temporary: {0}")]
    Transient(String),
    /// Will never go (bad address, 5xx).
    #[error("permanent: {0}")]
    Permanent(String),
}

impl From<crate::mail::outbound::RenderError> for SendError {
    /// A mail that cannot be rendered never will be.
    fn from(e: crate::mail::outbound::RenderError) -> Self {
        SendError::Permanent(e.to_string())
    }
}

/// Where outgoing mail goes.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// Each mail a file in a Maildir's `new/`.
    Maildir(maildir::MaildirOut),
    /// An SMTP submission server.
    Smtp(Box<smtp::SmtpOut>),
}

impl Outbound {
    /// The transport `smtp.url` names.
    pub fn from_config(config: &Config) -> anyhow::Result<Outbound> {
        match &config.smtp_url {
            SmtpUrl::Maildir(path) => Ok(Outbound::Maildir(maildir::MaildirOut::create(path)?)),
            SmtpUrl::Smtp(url) => Ok(Outbound::Smtp(Box::new(smtp::SmtpOut::from_config(
                config, url,
            )?))),
        }
    }

    /// Delivers one rendered mail.
    pub async fn deliver(&self, mail: &Queued, bytes: &[u8]) -> Result<(), SendError> {
        match self {
            Outbound::Maildir(m) => m.deliver(mail, bytes),
            Outbound::Smtp(s) => s.deliver(mail, bytes).await,
        }
    }

    /// Whether delivered mail must be flushed before it counts as sent (true for a Maildir:
    /// rows are then marked sent a batch at a time; SMTP acceptance is final per mail).
    pub fn batches(&self) -> bool {
        matches!(self, Outbound::Maildir(_))
    }

    /// Makes what was delivered so far durable.
    pub fn flush(&self) -> Result<(), SendError> {
        match self {
            Outbound::Maildir(m) => m.flush(),
            Outbound::Smtp(_) => Ok(()),
        }
    }
}
