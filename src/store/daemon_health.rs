//! `daemon_health`: what `run` says about itself (heartbeat, IMAP contact, last error), and the
//! outbox counts `status` shows next to it.

use super::{parse_ts, ts};
use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};
use std::collections::BTreeMap;

/// The daemon's row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// The process that wrote it.
    pub pid: u32,
    /// When that process started.
    pub started_at: DateTime<Utc>,
    /// Its last sign of life.
    pub heartbeat_at: DateTime<Utc>,
    /// The last time the IMAP server answered.
    pub imap_contact_at: Option<DateTime<Utc>>,
    /// `starting`, `idle`, `polling`, `disconnected` or `maildir`.
    pub imap_state: String,
    /// Mail in the inbox not yet handled, at the last look.
    pub mail_waiting: Option<u64>,
    /// The last error a worker logged.
    pub last_error: Option<String>,
    /// When.
    pub last_error_at: Option<DateTime<Utc>>,
}

/// A new run of the daemon: its pid and start; the previous run's IMAP figures are cleared, its
/// last error kept.
pub async fn start(conn: &mut SqliteConnection, pid: u32, at: DateTime<Utc>) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO daemon_health (id, pid, started_at, heartbeat_at) VALUES (1, ?1, ?2, ?2)
         ON CONFLICT (id) DO UPDATE SET pid = ?1, started_at = ?2, heartbeat_at = ?2,
           imap_contact_at = NULL, imap_state = 'starting', mail_waiting = NULL",
    )
    .bind(i64::from(pid))
    .bind(ts(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The daemon is alive at `at`.
pub async fn heartbeat(conn: &mut SqliteConnection, at: DateTime<Utc>) -> anyhow::Result<()> {
    sqlx::query("UPDATE daemon_health SET heartbeat_at = ? WHERE id = 1")
        .bind(ts(at))
        .execute(conn)
        .await?;
    Ok(())
}

/// The mailbox answered at `at`: its state now (`idle`, `polling`, `maildir`) and, when known,
/// the mail waiting in it.
pub async fn contact(
    conn: &mut SqliteConnection,
    state: &str,
    waiting: Option<u64>,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE daemon_health SET imap_contact_at = ?1, heartbeat_at = ?1, imap_state = ?2,
           mail_waiting = coalesce(?3, mail_waiting) WHERE id = 1",
    )
    .bind(ts(at))
    .bind(state)
    .bind(waiting.map(|w| i64::try_from(w).unwrap_or(i64::MAX)))
    .execute(conn)
    .await?;
    Ok(())
}

/// The mail in the inbox not yet handled, as the reader just counted it.
pub async fn waiting(conn: &mut SqliteConnection, n: u64) -> anyhow::Result<()> {
    sqlx::query("UPDATE daemon_health SET mail_waiting = ? WHERE id = 1")
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .execute(conn)
        .await?;
    Ok(())
}

/// The mailbox is out of reach.
pub async fn disconnected(conn: &mut SqliteConnection) -> anyhow::Result<()> {
    sqlx::query("UPDATE daemon_health SET imap_state = 'disconnected' WHERE id = 1")
        .execute(conn)
        .await?;
    Ok(())
}

/// A worker's error, one line.
pub async fn error(
    conn: &mut SqliteConnection,
    what: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE daemon_health SET last_error = ?, last_error_at = ? WHERE id = 1")
        .bind(what)
        .bind(ts(at))
        .execute(conn)
        .await?;
    Ok(())
}

/// The stored row, if the daemon ever ran on this database.
pub async fn get(conn: &mut SqliteConnection) -> anyhow::Result<Option<Health>> {
    let row = sqlx::query(
        "SELECT pid, started_at, heartbeat_at, imap_contact_at, imap_state, mail_waiting,
                last_error, last_error_at FROM daemon_health WHERE id = 1",
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| Health {
        pid: u32::try_from(r.get::<i64, _>("pid")).unwrap_or(0),
        started_at: parse_ts(&r.get::<String, _>("started_at")),
        heartbeat_at: parse_ts(&r.get::<String, _>("heartbeat_at")),
        imap_contact_at: r
            .get::<Option<String>, _>("imap_contact_at")
            .map(|t| parse_ts(&t)),
        imap_state: r.get("imap_state"),
        mail_waiting: r
            .get::<Option<i64>, _>("mail_waiting")
            .map(|w| u64::try_from(w).unwrap_or(0)),
        last_error: r.get("last_error"),
        last_error_at: r
            .get::<Option<String>, _>("last_error_at")
            .map(|t| parse_ts(&t)),
    }))
}

/// Outbox rows by status.
pub async fn outbox_counts(conn: &mut SqliteConnection) -> anyhow::Result<BTreeMap<String, u64>> {
    let rows = sqlx::query("SELECT status, count(*) AS n FROM outbox GROUP BY status")
        .fetch_all(conn)
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.get::<String, _>("status"),
                u64::try_from(r.get::<i64, _>("n")).unwrap_or(0),
            )
        })
        .collect())
}
