//! What `replay` reads: `.eml` files, Maildir folders and mbox files, in Date order.

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use mail_parser::MessageParser;
use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};

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

/// Every mail under `paths`, sorted by Date (ties keep the order found).
pub fn collect(paths: &[PathBuf], now: DateTime<Utc>) -> anyhow::Result<Vec<Source>> {
    let mut found = Vec::new();
    for p in paths {
        walk(p, &mut found)?;
    }
    // Sorted in place, with one (Date, position) pair per mail beside it: the list is the only
    // thing replay holds for every mail, so it is not copied. The sort keeps found order on ties.
    found.sort_by_cached_key(|s| s.bytes().ok().map_or(now.timestamp(), |b| date_of(&b, now)));
    Ok(found)
}

fn date_of(raw: &[u8], now: DateTime<Utc>) -> i64 {
    MessageParser::new()
        .parse_headers(raw)
        .and_then(|m| m.date().filter(|d| d.is_valid()).map(|d| d.to_timestamp()))
        .unwrap_or(now.timestamp())
}

fn walk(path: &Path, out: &mut Vec<Source>) -> anyhow::Result<()> {
    let meta = fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.is_dir() {
        let is_maildir = path.join("cur").is_dir() || path.join("new").is_dir();
        let dirs: Vec<PathBuf> = if is_maildir {
            vec![path.join("cur"), path.join("new")]
        } else {
            vec![path.to_path_buf()]
        };
        for d in dirs.into_iter().filter(|d| d.is_dir()) {
            let mut entries: Vec<PathBuf> = fs::read_dir(&d)
                .with_context(|| format!("cannot read {}", d.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .collect();
            entries.sort();
            for e in entries {
                let hidden = e
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'));
                let data = e
                    .extension()
                    .is_some_and(|x| x == "json" || x == "md" || x == "py" || x == "toml");
                if hidden || data || (e.is_dir() && is_maildir) {
                    continue;
                }
                walk(&e, out)?;
            }
        }
        return Ok(());
    }
    if !meta.is_file() {
        bail!("{} is neither a file nor a folder", path.display());
    }
    if is_mbox(path)? {
        let file =
            fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        for m in mail_parser::mailbox::mbox::MessageIterator::new(BufReader::new(file)) {
            let m = m.with_context(|| format!("cannot read mbox {}", path.display()))?;
            out.push(Source::Mbox(m.unwrap_contents()));
        }
    } else {
        out.push(Source::File(path.to_path_buf()));
    }
    Ok(())
}

fn is_mbox(path: &Path) -> anyhow::Result<bool> {
    use std::io::Read;
    let mut head = [0u8; 5];
    let mut f = fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let n = f.read(&mut head).unwrap_or(0);
    Ok(n == 5 && &head == b"From ")
}
