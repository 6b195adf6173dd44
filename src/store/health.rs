//! The database's health: checks before it is used (an empty, read-only or damaged file is an
//! error), what counts as a failing database (stop, do not go on mail after mail), and
//! connections left unusable by a failed write.

use anyhow::{Context, bail};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The database cannot be written or read as a whole: disk full, read-only, I/O error,
/// damaged. Every later mail would fail the same way, so a command stops at the first one.
#[derive(Debug, thiserror::Error)]
#[error("the database failed: {0}")]
pub struct DatabaseFailed(pub String);

/// SQLite primary result codes that mean the database itself is failing, not one mail.
const FAILING: [(i64, &str); 8] = [
    (3, "permission denied"),
    (8, "read-only"),
    (10, "disk I/O error"),
    (11, "damaged"),
    (13, "disk is full"),
    (14, "cannot open"),
    (15, "lock protocol error"),
    (26, "not a database"),
];

/// Whether `e` (anywhere in its chain) is a failing database rather than a problem with one
/// mail (a constraint, a trigger): then nothing more can be written.
pub fn is_failing(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        if cause.downcast_ref::<DatabaseFailed>().is_some() {
            return true;
        }
        match cause.downcast_ref::<sqlx::Error>() {
            Some(sqlx::Error::Database(d)) => {
                let code = d.code().and_then(|c| c.parse::<i64>().ok()).unwrap_or(0);
                FAILING.iter().any(|(c, _)| *c == code & 0xff)
            }
            Some(sqlx::Error::Io(_))
            | Some(sqlx::Error::PoolTimedOut)
            | Some(sqlx::Error::PoolClosed)
            | Some(sqlx::Error::WorkerCrashed)
            | Some(sqlx::Error::InvalidSavePointStatement)
            | Some(sqlx::Error::BeginFailed) => true,
            _ => false,
        }
    })
}

/// Whether a connection can be used again: not stuck inside a transaction. The rollback a
/// dropped transaction queued runs first.
pub async fn usable(conn: &mut SqliteConnection) -> bool {
    conn.ping().await.is_ok() && !conn.is_in_transaction()
}

/// Refuses a database file that exists but is empty (SQLite would take it for a new database
/// and start afresh, losing everything) or that cannot be written (a read-only file, folder or
/// mount, or -wal/-shm files that cannot be written: SQLite could die of SIGBUS on them).
pub fn before_open(path: &Path) -> anyhow::Result<()> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(()); // a new database: created on open
    };
    if meta.len() == 0 {
        bail!(
            "database {} is an empty file (0 bytes), not a database: restore it from a backup, or remove it to start a new one",
            path.display()
        );
    }
    for file in [
        path.to_path_buf(),
        sibling(path, "-wal"),
        sibling(path, "-shm"),
    ] {
        if file != path && !file.exists() {
            continue;
        }
        OpenOptions::new()
            .read(true)
            .write(true)
            .open(&file)
            .with_context(|| format!("database file {} is not writable", file.display()))?;
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let probe = dir.join(format!(".supportbot-probe-{}", std::process::id()));
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&probe)
            .with_context(|| {
                format!(
                    "database folder {} is not writable (SQLite writes its -wal and -shm files there)",
                    dir.display()
                )
            })?;
        let _ = std::fs::remove_file(&probe);
    }
    Ok(())
}

/// Creates a new database whole: under a temporary name, then renamed into place once SQLite
/// has written its header, so a process killed while creating it never leaves the empty file
/// [`before_open`] refuses. Called under the [`MigrationLock`].
pub async fn create_if_missing(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let temp = sibling(path, ".creating");
    for stale in [temp.clone(), sibling(&temp, "-wal"), sibling(&temp, "-shm")] {
        let _ = std::fs::remove_file(stale);
    }
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&temp)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
    let conn = sqlx::ConnectOptions::connect(&options)
        .await
        .with_context(|| format!("cannot create database {}", temp.display()))?;
    conn.close()
        .await
        .with_context(|| format!("cannot create database {}", temp.display()))?;
    File::open(&temp)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot create database {}", temp.display()))?;
    std::fs::rename(&temp, path)
        .with_context(|| format!("cannot create database {}", path.display()))?;
    Ok(())
}

/// `PRAGMA quick_check`: damaged pages are an error at start, not a surprise later. It reads
/// every page (about a second at a million mails, more from a cold disk), on a connection of
/// its own opened with `options` and sqlx's statement log off: the check is slow by design, so
/// instead of sqlx's slow-statement warning one info line says how long it took.
pub async fn quick_check(options: &SqliteConnectOptions, path: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let cannot = || format!("cannot check database {}", path.display());
    let mut conn = options
        .clone()
        .disable_statement_logging()
        .connect()
        .await
        .with_context(cannot)?;
    // A PRAGMA: the query! macros cannot describe it.
    let rows: Vec<(String,)> = sqlx::query_as("PRAGMA quick_check")
        .fetch_all(&mut conn)
        .await
        .with_context(cannot)?;
    conn.close().await.with_context(cannot)?;
    tracing::info!(
        path = %path.display(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "database pages checked"
    );
    let problems: Vec<&str> = rows
        .iter()
        .map(|(r,)| r.as_str())
        .filter(|r| *r != "ok")
        .collect();
    if let Some(first) = problems.first() {
        // SQLite's first problem can span lines ("*** in database main ***" and the page);
        // the command's error stays one line.
        let first = first.split_whitespace().collect::<Vec<_>>().join(" ");
        return Err(DatabaseFailed(format!(
            "database {} is damaged (PRAGMA quick_check: {first}; {} problems): restore it from a backup",
            path.display(),
            problems.len()
        ))
        .into());
    }
    Ok(())
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Held while a process creates, checks and migrates the database: a second process starting
/// at once waits, then finds it created and migrated.
#[derive(Debug)]
pub struct MigrationLock {
    _file: Option<File>,
}

impl MigrationLock {
    /// Waits for the migration lock of the database at `path`. Where the lock file cannot be
    /// created (a read-only folder) there is nothing to migrate anyway: [`before_open`] says why.
    pub fn acquire(path: &Path) -> anyhow::Result<MigrationLock> {
        let lock = sibling(path, ".migrate.lock");
        let Ok(file) = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock)
        else {
            return Ok(MigrationLock { _file: None });
        };
        file.lock()
            .with_context(|| format!("cannot lock {}", lock.display()))?;
        Ok(MigrationLock { _file: Some(file) })
    }
}
