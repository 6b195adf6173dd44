//! Mail larger than `max_message_bytes` (mail-formats.md "Limits on what is echoed"): never read
//! whole, from any inbox. Its size is checked before it is read; only its header block (at most
//! [`HEAD_BYTES`]) is parsed, so it can be recorded under its Message-ID and named to the
//! admins, and a mail without one is keyed by a hash of its bytes streamed in small pieces —
//! the same key [`Inbound::parse`] would give it — so it is listed once however often it comes.

use super::Inbound;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// How much of an oversized mail is read for its headers.
pub const HEAD_BYTES: usize = 64 * 1024;

/// The `reasons` entry (next to `unreadable`) of a mail over the limit.
pub const REASON: &str = "too_large";

/// A mail file read within the limit, or not read because it is over it.
#[derive(Debug)]
pub enum MailFile {
    /// The whole mail.
    Read(Vec<u8>),
    /// Over the limit: what its header block says (`readable == false`), and its size.
    TooLarge(Box<Inbound>, u64),
}

/// Reads the mail at `path` if its size (from the file's metadata, before any read) is at most
/// `max` bytes; otherwise reads only its header block and streams its hash.
pub fn read_file(path: &Path, max: u64, arrived: DateTime<Utc>) -> std::io::Result<MailFile> {
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size <= max {
        let mut raw = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        // A file that grew since: read no more than the limit allows, then judge by what came.
        file.by_ref()
            .take(max.saturating_add(1))
            .read_to_end(&mut raw)?;
        if raw.len() as u64 <= max {
            return Ok(MailFile::Read(raw));
        }
        file = std::fs::File::open(path)?;
    }
    let mut head = Vec::with_capacity(HEAD_BYTES);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; HEAD_BYTES];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = buf.get(..n).unwrap_or_default();
        hasher.update(chunk);
        let room = HEAD_BYTES.saturating_sub(head.len());
        head.extend_from_slice(chunk.get(..room.min(n)).unwrap_or_default());
        total += n as u64;
    }
    let key = format!("sha256:{}", hex::encode(hasher.finalize()));
    Ok(MailFile::TooLarge(
        Box::new(headers_only(&head, key, arrived)),
        total.max(size),
    ))
}

/// The same for a mail already in memory (cut out of an mbox): its header block only.
pub fn from_bytes(raw: &[u8], arrived: DateTime<Utc>) -> Inbound {
    let key = format!("sha256:{}", hex::encode(Sha256::digest(raw)));
    let head = raw.get(..HEAD_BYTES.min(raw.len())).unwrap_or_default();
    headers_only(head, key, arrived)
}

/// What the header block at the start of `head` says, as an unreadable mail keyed by its
/// Message-ID, else by `key`.
fn headers_only(head: &[u8], key: String, arrived: DateTime<Utc>) -> Inbound {
    let end = header_end(head);
    let mut block = head.get(..end).unwrap_or_default().to_vec();
    block.extend_from_slice(b"\r\n\r\n");
    let mut mail = Inbound::parse(&block, arrived);
    if mail.key.starts_with("sha256:") {
        mail.key = key;
    }
    mail.readable = false;
    mail.body.clear();
    mail
}

/// Where the header block of `head` ends: at its first empty line (CRLF or LF), else the end
/// of what was read (a header block longer than [`HEAD_BYTES`] is cut there).
fn header_end(head: &[u8]) -> usize {
    let mut start = 0;
    while let Some(p) = head
        .get(start..)
        .and_then(|h| h.iter().position(|&b| b == b'\n'))
    {
        let line = head.get(start..start + p).unwrap_or_default();
        if line.is_empty() || line == b"\r" {
            return start;
        }
        start += p + 1;
    }
    head.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn big_mail(id: Option<&str>, body_bytes: usize) -> Vec<u8> {
        let mut raw = String::from("From: 张三 <zhangsan@example.com>\nSubject: 大附件\n");
        if let Some(id) = id {
            raw += &format!("Message-ID: <{id}>\n");
        }
        raw += "\n";
        let mut raw = raw.into_bytes();
        raw.resize(raw.len() + body_bytes, b'x');
        raw
    }

    fn write(dir: &Path, raw: &[u8]) -> std::path::PathBuf {
        let path = dir.join("mail");
        let mut f = std::fs::File::create(&path).expect("create");
        f.write_all(raw).expect("write");
        path
    }

    #[test]
    fn a_mail_at_the_limit_is_read_whole() {
        let dir = tempfile::tempdir().expect("dir");
        let raw = big_mail(Some("a@x"), 100);
        let path = write(dir.path(), &raw);
        let got = read_file(&path, raw.len() as u64, Utc::now()).expect("read");
        assert!(matches!(got, MailFile::Read(r) if r == raw));
    }

    #[test]
    fn a_mail_over_the_limit_is_known_by_its_headers_only() {
        let dir = tempfile::tempdir().expect("dir");
        let raw = big_mail(Some("big@x"), 3 * HEAD_BYTES);
        let path = write(dir.path(), &raw);
        let Ok(MailFile::TooLarge(mail, size)) = read_file(&path, 1000, Utc::now()) else {
            panic!("not judged too large");
        };
        assert_eq!(size, raw.len() as u64);
        assert_eq!(mail.key, "big@x");
        assert_eq!(mail.subject, "大附件");
        assert_eq!(mail.from.as_deref(), Some("zhangsan@example.com"));
        assert!(!mail.readable);
        assert!(mail.body.is_empty());
    }

    #[test]
    fn an_oversized_mail_without_a_message_id_is_keyed_as_if_it_had_been_read() {
        let dir = tempfile::tempdir().expect("dir");
        let raw = big_mail(None, 2 * HEAD_BYTES + 17);
        let path = write(dir.path(), &raw);
        let Ok(MailFile::TooLarge(mail, _)) = read_file(&path, 1000, Utc::now()) else {
            panic!("not judged too large");
        };
        assert_eq!(mail.key, Inbound::parse(&raw, Utc::now()).key);
        assert_eq!(from_bytes(&raw, Utc::now()).key, mail.key);
    }
}
