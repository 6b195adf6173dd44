//! What `replay` reads: `.eml` files, Maildir folders and mbox files, in Date order.
//!
//! The list of mails is sorted on disk, not in memory: it goes into a private temporary SQLite
//! database (SQLite deletes it when the connection closes), and replay reads it back a batch at
//! a time. An archive of a million mails would otherwise need ~100 MB for its paths alone.

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use mail_parser::{HeaderName, MessageParser};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use std::fs;
use std::io::BufReader;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// Where one mail to replay lives.
#[derive(Debug, Clone)]
pub enum Source {
    /// A file holding one mail (`.eml`, or a file of a Maildir).
    File(PathBuf),
    /// A mail cut out of an mbox file.
    Mbox(Vec<u8>),
}

impl Source {
    /// The mail's bytes.
    pub fn bytes(&self) -> anyhow::Result<Vec<u8>> {
        match self {
            Source::File(p) => fs::read(p).with_context(|| format!("cannot read {}", p.display())),
            Source::Mbox(b) => Ok(b.clone()),
        }
    }
}

/// Every mail under some paths, in Date order; ties in path order, then order within an mbox.
pub struct Sorted {
    conn: SqliteConnection,
    len: u64,
    /// The key of the last mail handed out.
    after: Option<(i64, Vec<u8>, i64)>,
}

/// Rows written to the list per INSERT.
const ROWS_PER_INSERT: usize = 200;

impl Sorted {
    /// Walks `paths` and sorts what it finds by Date (`now` for a mail without a usable one).
    pub async fn collect(paths: &[PathBuf], now: DateTime<Utc>) -> anyhow::Result<Sorted> {
        let mut conn = SqliteConnectOptions::new()
            .filename("")
            .connect()
            .await
            .context("cannot open replay's temporary list")?;
        // Plain `sqlx::query` for the list's queries: `mails` lives in this private in-memory
        // database, not in migrations/, so the query! macros have no schema to check it against.
        sqlx::query(
            "CREATE TABLE mails (date INTEGER NOT NULL, path BLOB NOT NULL, seq INTEGER NOT NULL,
                                 bytes BLOB, PRIMARY KEY (date, path, seq)) WITHOUT ROWID",
        )
        .execute(&mut conn)
        .await?;
        let mut list = Sorted {
            conn,
            len: 0,
            after: None,
        };
        let mut tx = list.conn.begin().await?;
        let mut rows = Rows {
            pending: Vec::with_capacity(ROWS_PER_INSERT),
            written: 0,
            now,
        };
        // Folders are read entry by entry, never listed whole: a Maildir of a million files
        // costs no memory here.
        let mut todo: Vec<Todo> = paths.iter().rev().cloned().map(Todo::Path).collect();
        while let Some(t) = todo.pop() {
            match t {
                Todo::Path(path) => {
                    let meta = fs::metadata(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    if meta.is_dir() {
                        let is_maildir = path.join("cur").is_dir() || path.join("new").is_dir();
                        let dirs = if is_maildir {
                            vec![path.join("new"), path.join("cur")]
                        } else {
                            vec![path]
                        };
                        for d in dirs.into_iter().filter(|d| d.is_dir()) {
                            let entries = fs::read_dir(&d)
                                .with_context(|| format!("cannot read {}", d.display()))?;
                            todo.push(Todo::Entries(entries, is_maildir));
                        }
                    } else if meta.is_file() {
                        rows.file(&mut tx, &path).await?;
                    } else {
                        bail!("{} is neither a file nor a folder", path.display());
                    }
                }
                Todo::Entries(mut entries, in_maildir) => {
                    let Some(entry) = entries.next() else {
                        continue;
                    };
                    todo.push(Todo::Entries(entries, in_maildir));
                    let Ok(entry) = entry else { continue };
                    let e = entry.path();
                    let hidden = e
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with('.'));
                    let data = e
                        .extension()
                        .is_some_and(|x| x == "json" || x == "md" || x == "py" || x == "toml");
                    if hidden || data {
                        continue;
                    }
                    // No stat of every mail while the writer waits for the list.
                    if super::entry_kind(&entry) == super::EntryKind::Folder {
                        // A Maildir's own subfolders (other mailboxes) are not its mail.
                        if !in_maildir {
                            todo.push(Todo::Path(e));
                        }
                    } else {
                        rows.file(&mut tx, &e).await?;
                    }
                }
            }
        }
        rows.flush(&mut tx).await?;
        tx.commit().await?;
        list.len = rows.written;
        Ok(list)
    }

    /// How many mails were found.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether none were.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The next `n` mails in order; empty at the end.
    pub async fn next_batch(&mut self, n: usize) -> anyhow::Result<Vec<Source>> {
        let limit = i64::try_from(n.max(1)).unwrap_or(i64::MAX);
        // Keyset paging: each batch starts after the last key handed out.
        let (date, path, seq) = self
            .after
            .clone()
            .unwrap_or((i64::MIN, Vec::new(), i64::MIN));
        let rows: Vec<Listed> = sqlx::query_as(
            "SELECT date, path, seq, bytes FROM mails WHERE (date, path, seq) > (?, ?, ?)
             ORDER BY date, path, seq LIMIT (SELECT ?)",
        )
        .bind(date)
        .bind(path)
        .bind(seq)
        .bind(limit)
        .fetch_all(&mut self.conn)
        .await?;
        if let Some(last) = rows.last() {
            self.after = Some((last.date, last.path.clone(), last.seq));
        }
        Ok(rows
            .into_iter()
            .map(|r| match r.bytes {
                Some(b) => Source::Mbox(b),
                None => Source::File(PathBuf::from(std::ffi::OsStr::from_bytes(&r.path))),
            })
            .collect())
    }
}

/// The first bytes of a file, enough for its header block: a 200 MB file is not read whole to
/// be sorted by its Date.
fn read_head(f: fs::File) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let limit = crate::mail::oversize::HEAD_BYTES as u64;
    // Sized from the file's length, so a small mail is read in one call.
    let size = f.metadata().map_or(0, |m| m.len()).min(limit);
    let mut head = Vec::with_capacity(usize::try_from(size).unwrap_or(0) + 1);
    f.take(limit).read_to_end(&mut head)?;
    Ok(head)
}

/// Listing reads one header of every mail: its Date. The other headers are skipped over, not
/// parsed (addresses, encoded words, a relay's Received lines): replay lists the whole archive
/// on the writer's thread before the first mail is handled.
static DATE_ONLY: LazyLock<MessageParser> = LazyLock::new(|| {
    MessageParser::new()
        .header_date(HeaderName::Date)
        .default_header_ignore()
});

/// The Date of the mail whose header block is `raw`, in seconds; `now` without a usable one.
fn date_of(raw: &[u8], now: DateTime<Utc>) -> i64 {
    date_by(&DATE_ONLY, raw).unwrap_or(now.timestamp())
}

fn date_by(parser: &MessageParser, raw: &[u8]) -> Option<i64> {
    let m = parser.parse_headers(raw)?;
    m.date().filter(|d| d.is_valid()).map(|d| d.to_timestamp())
}

/// What is left to look at while listing.
enum Todo {
    /// A path given or found: a file, a Maildir or a folder.
    Path(PathBuf),
    /// A folder being read; whether it is part of a Maildir.
    Entries(fs::ReadDir, bool),
}

/// One mail in the list: its Date, its file, its place in an mbox (0 otherwise), and its bytes
/// when it was cut out of an mbox. Also a row read back from the list, decoded by sqlx (a value
/// of the wrong type is an error, not a panic).
#[derive(sqlx::FromRow)]
struct Listed {
    date: i64,
    path: Vec<u8>,
    seq: i64,
    bytes: Option<Vec<u8>>,
}

/// Rows on their way into the list.
struct Rows {
    pending: Vec<Listed>,
    written: u64,
    now: DateTime<Utc>,
}

impl Rows {
    /// Lists one file: itself, or each mail of an mbox with its bytes.
    async fn file(&mut self, conn: &mut SqliteConnection, path: &Path) -> anyhow::Result<()> {
        let key = path.as_os_str().as_bytes().to_vec();
        // One open for both questions: is it an mbox, and what is its Date. A file that opens
        // but cannot be read is listed at `now`; reading it again fails for that mail alone.
        let f = fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let head = read_head(f).unwrap_or_default();
        if !head.starts_with(b"From ") {
            let date = date_of(&head, self.now);
            let row = Listed {
                date,
                path: key,
                seq: 0,
                bytes: None,
            };
            return self.push(conn, row).await;
        }
        let f = fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mails = mail_parser::mailbox::mbox::MessageIterator::new(BufReader::new(f));
        for (i, m) in mails.enumerate() {
            let bytes = m
                .with_context(|| format!("cannot read mbox {}", path.display()))?
                .unwrap_contents();
            let row = Listed {
                date: date_of(&bytes, self.now),
                path: key.clone(),
                seq: i64::try_from(i).unwrap_or(i64::MAX),
                bytes: Some(bytes),
            };
            self.push(conn, row).await?;
        }
        Ok(())
    }

    async fn push(&mut self, conn: &mut SqliteConnection, row: Listed) -> anyhow::Result<()> {
        self.pending.push(row);
        if self.pending.len() >= ROWS_PER_INSERT {
            self.flush(conn).await?;
        }
        Ok(())
    }

    /// Writes the pending rows in one statement.
    async fn flush(&mut self, conn: &mut SqliteConnection) -> anyhow::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut q =
            sqlx::QueryBuilder::new("INSERT OR IGNORE INTO mails (date, path, seq, bytes) ");
        q.push_values(self.pending.drain(..), |mut b, r| {
            b.push_bind(r.date)
                .push_bind(r.path)
                .push_bind(r.seq)
                .push_bind(r.bytes);
        });
        self.written += q.build().execute(conn).await?.rows_affected();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{DATE_ONLY, date_by};
    use mail_parser::MessageParser;
    use proptest::prelude::*;
    use std::path::Path;

    /// The Date listing reads, against what parsing every header finds.
    fn same_date(raw: &[u8]) -> Result<(), TestCaseError> {
        let whole = date_by(&MessageParser::new(), raw);
        prop_assert_eq!(
            date_by(&DATE_ONLY, raw),
            whole,
            "{:?}",
            String::from_utf8_lossy(raw)
        );
        Ok(())
    }

    /// Header lines of every kind the parsers tell apart, malformed ones among them.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("Date: Tue, 20 Oct 2026 09:00:00 +0800".to_string()),
            Just("Date: 20 Oct 2026 9:00 GMT".to_string()),
            Just("Date: not a date".to_string()),
            Just("Date:\r\n Mon, 30 Nov 2026 10:00:00 +0800".to_string()),
            Just("From: =?UTF-8?B?5byg5LiJ?= <zhangsan@example.com>".to_string()),
            Just("To: \"a, b\" <a@x>, (comment) c@y,\r\n\td@z".to_string()),
            Just("Subject: =?gb2312?B?v827p7nYz7U=?= Date: 1 Jan 2020".to_string()),
            Just("Received: from a (b [1.2.3.4]) by c; Tue, 1 Dec 2026 08:00:00 +0000".to_string()),
            Just("Message-ID: <x@y>".to_string()),
            Just("Content-Type: text/plain; charset=\"utf-8\"; x=\"Date: 1 Jan 2020\"".to_string()),
            Just("X-Other: (unclosed comment Date: 2 Jan 2020".to_string()),
            Just("From: <unclosed@x".to_string()),
            Just("No colon here".to_string()),
            "[ -~]{0,40}".prop_map(|s| format!("X-Any: {s}")),
            "[ -~]{0,40}",
        ]
    }

    proptest! {
        #[test]
        fn listing_finds_the_date_parsing_every_header_finds(
            lines in proptest::collection::vec(line(), 0..8),
            ends in prop_oneof![Just("\r\n"), Just("\n")],
            body in "[ -~]{0,20}",
        ) {
            let raw = format!("{}{ends}{ends}{body}", lines.join(ends));
            same_date(raw.as_bytes())?;
        }

        #[test]
        fn listing_finds_the_same_date_in_any_bytes(raw in proptest::collection::vec(any::<u8>(), 0..400)) {
            same_date(&raw)?;
        }
    }

    #[test]
    fn listing_finds_the_same_date_in_the_public_samples_and_the_golden_corpus() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let shared = root.join("../shared/corpora/mail-parser");
        let dirs = [
            root.join("tests/fixtures/golden"),
            shared.join("malformed"),
            shared.join("thirdparty"),
        ];
        let mut seen = 0;
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let raw = std::fs::read(e.path()).expect("sample");
                same_date(&raw).expect("the same Date");
                seen += 1;
            }
        }
        assert!(seen > 50, "{seen} samples");
    }
}
