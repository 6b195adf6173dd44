//! All SQL lives here: one small function per query. Functions that take a
//! `&mut SqliteConnection` run inside the caller's transaction (the engine's one per mail).

pub mod batch;
pub mod complaints;
pub mod daemon_health;
pub mod health;
pub mod imap_state;
pub mod items;
pub mod kb;
pub mod messages;
pub mod nudges;
pub mod outbox;
pub mod projects;
pub mod queries;
pub mod query_data;
pub mod review;
pub mod satisfaction;
pub mod schedule;
pub mod tasks;
pub mod tracking;
pub mod tries;

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};
use std::path::Path;
use std::time::Duration;

/// The SQLite database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating it and its folder if need be), checks and migrates the database at
    /// `path`. A database that exists but is empty (0 bytes), not writable or damaged
    /// (`PRAGMA quick_check`) is an error, never a fresh start or a crash later on.
    pub async fn open(path: &Path) -> anyhow::Result<Store> {
        Store::open_checking(path, true).await
    }

    /// [`Store::open`] for a command that only reads (`report`, `status`, `outbox`, `kb search`):
    /// no `PRAGMA quick_check`, which reads every page of the file (~1 s at a million mails, more
    /// than `report tracking` itself takes). It writes nothing that could spread damage, and a
    /// damaged page it does read stops it with SQLite's "database disk image is malformed".
    pub async fn open_for_reading(path: &Path) -> anyhow::Result<Store> {
        Store::open_checking(path, false).await
    }

    async fn open_checking(path: &Path, check_pages: bool) -> anyhow::Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create database folder {}", dir.display()))?;
        }
        // One process at a time creates, checks and migrates: two starting at once on a new
        // database would both run the first migration (`table messages already exists`), or
        // one would find the file the other just created still empty.
        let _opening = health::MigrationLock::acquire(path)?;
        health::before_open(path)?;
        health::create_if_missing(path).await?;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // 8 MiB of page cache per connection (SQLite's default is 2 MiB): the indexes a mail
            // touches stay in memory longer as the archive grows, and with at most 4
            // connections the daemon's memory stays bounded.
            .pragma("cache_size", "-8192");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            // A connection left inside a transaction (a write failed and SQLite had already
            // rolled back, so sqlx's rollback failed) is closed, never handed out again.
            .after_release(|conn, _| Box::pin(async move { Ok(health::usable(conn).await) }))
            .connect_with(options.clone())
            .await
            .with_context(|| format!("cannot open database {}", path.display()))?;
        if check_pages {
            health::quick_check(&options, path).await?;
        }
        sqlx::migrate!()
            .run(&pool)
            .await
            .with_context(|| format!("cannot migrate database {}", path.display()))?;
        Ok(Store { pool })
    }

    /// A write transaction on a connection from the pool (see [`begin_on`]).
    pub async fn begin(&self) -> anyhow::Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with(BEGIN_WRITE).await?)
    }

    /// A connection from the pool: for reads, or kept by a loop that runs many write
    /// transactions on it ([`begin_on`]) so its page cache stays warm.
    pub async fn connection(&self) -> anyhow::Result<sqlx::pool::PoolConnection<Sqlite>> {
        Ok(self.pool.acquire().await?)
    }

    /// Closes the pool, checkpointing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `BEGIN IMMEDIATE`: a write transaction takes the write lock at once, so two writers never
/// deadlock upgrading from a read.
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// A write transaction on a connection the caller keeps for many (replay's batches, process's
/// mails): SQLite empties a connection's page cache whenever another connection has written,
/// so transactions taking turns on the pool's connections would each start cold.
pub async fn begin_on(conn: &mut SqliteConnection) -> anyhow::Result<Transaction<'_, Sqlite>> {
    Ok(sqlx::Connection::begin_with(conn, BEGIN_WRITE).await?)
}

/// Sets how `conn` writes while a bulk job (`replay`, `process` in groups) holds it, or back to
/// the defaults; a bulk job sets it back before its connection goes back to the pool.
///
/// - Its write-ahead log is checkpointed every 10,000 pages (~40 MB) instead of every 1,000,
///   SQLite's default. A checkpoint rewrites every page the transactions since the last one
///   touched and syncs the file (a 100,000-mail replay: 12.1 s → 10.9 s; a 10,000-mail
///   `process` made 43 fsyncs).
/// - Its temporary data (statement journals, the b-trees of a UNION or a sort) is kept in
///   memory instead of in temporary files: a 10,000-mail replay wrote 21,000 pages to such files
///   and a `process` of the same mails 50,000, more than to the database and its log (100,000
///   mails: 0.95× the time). Only while bulk: what a report gathers in a temporary b-tree can
///   be hundreds of thousands of rows, and should spill to a file rather than stay in memory.
pub async fn bulk_writes(conn: &mut SqliteConnection, bulk: bool) -> anyhow::Result<()> {
    // A PRAGMA is no statement `query!` can check, and takes no bound value: plain sqlx::query.
    let pragmas: [&str; 2] = if bulk {
        [
            "PRAGMA wal_autocheckpoint = 10000",
            "PRAGMA temp_store = MEMORY",
        ]
    } else {
        [
            "PRAGMA wal_autocheckpoint = 1000",
            "PRAGMA temp_store = DEFAULT",
        ]
    };
    for pragma in pragmas {
        sqlx::query(pragma).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Timestamps are stored as RFC 3339 UTC text to the second with a `Z` (`2026-12-01T08:00:00Z`),
/// which sorts in time order. Written through this function, not sqlx's `DateTime` encoding
/// (`+00:00`, fractions of a second): the stored text of existing databases is compared as text
/// in queries. Read back through sqlx's chrono decoding (`"col: DateTime<Utc>"` in `query!`),
/// which fails on a corrupt value instead of inventing a time.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Reads back a stored timestamp that reached the caller as text; a corrupt value is an error
/// naming it, never 1970.
pub fn parse_ts(s: &str) -> anyhow::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| format!("stored timestamp {s:?} is not RFC 3339"))
}

/// Appends an audit line: what changed, by which mail.
pub async fn audit(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
    message: i64,
    action: &str,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    let at = ts(at);
    let detail = sqlx::types::Json(detail);
    sqlx::query!(
        "INSERT INTO audit_log (at, message, action, detail) VALUES (?, ?, ?, ?)",
        at,
        message,
        action,
        detail
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A nullable column shown in a table cell: NULL means nothing was recorded (no R&D lead yet, no
/// contract number, no note), which people read as an empty cell. Corrupt values never reach
/// this: they fail to decode where the row is read.
pub fn cell_or_blank(value: Option<String>) -> String {
    value.unwrap_or_default()
}
