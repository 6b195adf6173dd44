//! Maildir in (`new/` → handled → `cur/…:2,S`) and out (`tmp/` → `new/`), as the Maildir
//! convention has it: a file appears in `new/` whole or not at all.

use super::SendError;
use crate::mail::outbound::Queued;
use anyhow::Context;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

fn create_dirs(root: &Path) -> anyhow::Result<()> {
    for sub in ["new", "cur", "tmp"] {
        let dir = root.join(sub);
        fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create Maildir folder {}", dir.display()))?;
    }
    Ok(())
}

/// The mailbox the bot reads.
#[derive(Debug, Clone)]
pub struct MaildirIn {
    root: PathBuf,
}

impl MaildirIn {
    /// Opens the Maildir at `root`, creating its folders if missing.
    pub fn create(root: &Path) -> anyhow::Result<MaildirIn> {
        create_dirs(root)?;
        Ok(MaildirIn {
            root: root.to_path_buf(),
        })
    }

    /// Mail not yet handled, in arrival (file name) order.
    pub fn new_mail(&self) -> anyhow::Result<Vec<PathBuf>> {
        let dir = self.root.join("new");
        let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .filter_map(Result::ok)
            .filter(|e| super::entry_kind(e) == super::EntryKind::File)
            .map(|e| e.path())
            .collect();
        paths.sort();
        Ok(paths)
    }

    /// Marks a handled mail seen: moves it to `cur/` with the `S` flag. Safe to repeat.
    pub fn mark_seen(&self, path: &Path) -> anyhow::Result<()> {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            anyhow::bail!("odd file name {}", path.display());
        };
        let base = name.split(":2,").next().unwrap_or(name);
        let target = self.root.join("cur").join(format!("{base}:2,S"));
        match fs::rename(path, &target) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && target.exists() => Ok(()),
            r => r.with_context(|| format!("cannot move {} to cur/", path.display())),
        }
    }
}

/// Files handled mails into `cur/` ([`MaildirIn::mark_seen`]) on a thread of its own, off the
/// writer's core: `process --batch` hands it a group's files once the group has committed, and
/// goes on with the next group. A mail whose group committed but which is not filed yet (a
/// kill) is found seen before by the next run, as when the writer filed it itself.
pub struct Filer {
    tx: Option<std::sync::mpsc::Sender<PathBuf>>,
    thread: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
}

impl Filer {
    /// Starts the thread, filing into `inbox`.
    pub fn start(inbox: MaildirIn) -> anyhow::Result<Filer> {
        let (tx, rx) = std::sync::mpsc::channel::<PathBuf>();
        let thread = std::thread::Builder::new()
            .name("process-filer".into())
            .spawn(move || {
                crate::cpu::leave_the_writers_core();
                // Every file is tried; the first failure is what the run reports.
                let mut first: Option<anyhow::Error> = None;
                for path in rx {
                    if let Err(e) = inbox.mark_seen(&path) {
                        tracing::error!(error = %format!("{e:#}"), "handled mail not filed; the next run finds it seen before");
                        first.get_or_insert(e);
                    }
                }
                first.map_or(Ok(()), Err)
            })
            .context("cannot start the Maildir filer")?;
        Ok(Filer {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Hands over a committed mail's file.
    pub fn file(&self, path: PathBuf) -> anyhow::Result<()> {
        self.tx
            .as_ref()
            .context("the Maildir filer has finished")?
            .send(path)
            .map_err(|_| anyhow::anyhow!("the Maildir filer stopped"))
    }

    /// Waits until every file handed over is filed; the first failure, if any.
    pub fn finish(mut self) -> anyhow::Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> anyhow::Result<()> {
        drop(self.tx.take());
        match self.thread.take() {
            Some(t) => t
                .join()
                .map_err(|_| anyhow::anyhow!("the Maildir filer panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for Filer {
    fn drop(&mut self) {
        // An early return still files what was committed.
        let _ = self.stop();
    }
}

impl MaildirIn {
    /// Where a mail that is not read is moved: the Maildir++ subfolder `.<folder>` (the IMAP
    /// `dead_letter_folder`, so a server serving this Maildir shows it as that folder), into its
    /// `new/` so a mail client shows it unread. Created if missing.
    pub fn dead_letter_dir(&self, folder: &str) -> PathBuf {
        self.root.join(format!(".{folder}"))
    }

    /// Moves a mail out of `new/` into [`MaildirIn::dead_letter_dir`]. Safe to repeat.
    pub fn dead_letter(&self, path: &Path, folder: &str) -> anyhow::Result<PathBuf> {
        let Some(name) = path.file_name() else {
            anyhow::bail!("odd file name {}", path.display());
        };
        let dir = self.dead_letter_dir(folder);
        create_dirs(&dir)?;
        let target = dir.join("new").join(name);
        match fs::rename(path, &target) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && target.exists() => Ok(target),
            r => r
                .map(|()| target.clone())
                .with_context(|| format!("cannot move {} to {}", path.display(), dir.display())),
        }
    }
}

/// The Maildir the bot "sends" to.
#[derive(Debug, Clone)]
pub struct MaildirOut {
    root: PathBuf,
}

impl MaildirOut {
    /// Opens the Maildir at `root`, creating its folders if missing.
    pub fn create(root: &Path) -> anyhow::Result<MaildirOut> {
        create_dirs(root)?;
        Ok(MaildirOut {
            root: root.to_path_buf(),
        })
    }

    /// Writes the mail to `tmp/` and renames it into `new/`. The file name comes from the outbox
    /// row, so delivering the same row twice leaves one file. Durable only after [`Self::flush`].
    pub fn deliver(&self, mail: &Queued, bytes: &[u8]) -> Result<(), SendError> {
        let name = format!("{}.sb{}.supportbot", mail.created_at.timestamp(), mail.id);
        let tmp = self.root.join("tmp").join(&name);
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            fs::rename(&tmp, self.root.join("new").join(&name))
        };
        write().map_err(|e| SendError::Transient(format!("{}: {e}", tmp.display())))
    }

    /// Makes every mail delivered so far durable: one `syncfs` for the batch instead of an
    /// fsync per file. The sender marks rows sent only after this returns.
    pub fn flush(&self) -> Result<(), SendError> {
        let dir = self.root.join("new");
        fs::File::open(&dir)
            .and_then(|d| rustix::fs::syncfs(&d).map_err(std::io::Error::from))
            .map_err(|e| SendError::Transient(format!("{}: {e}", dir.display())))
    }
}
