//! `daemon_health`: what `run` says about itself (heartbeat, IMAP contact, last error), and the
//! outbox counts `status` shows next to it.

use super::ts;
use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
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
    let pid = i64::from(pid);
    let at = ts(at);
    sqlx::query!(
        "INSERT INTO daemon_health (id, pid, started_at, heartbeat_at) VALUES (1, ?1, ?2, ?2)
         ON CONFLICT (id) DO UPDATE SET pid = ?1, started_at = ?2, heartbeat_at = ?2,
           imap_contact_at = NULL, imap_state = 'starting', mail_waiting = NULL",
        pid,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The daemon is alive at `at`.
pub async fn heartbeat(conn: &mut SqliteConnection, at: DateTime<Utc>) -> anyhow::Result<()> {
    let at = ts(at);
    sqlx::query!("UPDATE daemon_health SET heartbeat_at = ? WHERE id = 1", at)
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
    let at = ts(at);
    let waiting = waiting.map(|w| i64::try_from(w).unwrap_or(i64::MAX));
    sqlx::query!(
        "UPDATE daemon_health SET imap_contact_at = ?1, heartbeat_at = ?1, imap_state = ?2,
           mail_waiting = coalesce(?3, mail_waiting) WHERE id = 1",
        at,
        state,
        waiting
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The mail in the inbox not yet handled, as the reader just counted it.
pub async fn waiting(conn: &mut SqliteConnection, n: u64) -> anyhow::Result<()> {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    sqlx::query!("UPDATE daemon_health SET mail_waiting = ? WHERE id = 1", n)
        .execute(conn)
        .await?;
    Ok(())
}

/// The mailbox is out of reach.
pub async fn disconnected(conn: &mut SqliteConnection) -> anyhow::Result<()> {
    sqlx::query!("UPDATE daemon_health SET imap_state = 'disconnected' WHERE id = 1")
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
    let at = ts(at);
    sqlx::query!(
        "UPDATE daemon_health SET last_error = ?, last_error_at = ? WHERE id = 1",
        what,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The stored row, if the daemon ever ran on this database. A value out of range or a corrupt
/// time is an error, not a zero or 1970.
pub async fn get(conn: &mut SqliteConnection) -> anyhow::Result<Option<Health>> {
    let Some(r) = sqlx::query!(
        r#"SELECT pid, started_at AS "started_at: DateTime<Utc>",
                  heartbeat_at AS "heartbeat_at: DateTime<Utc>",
                  imap_contact_at AS "imap_contact_at: DateTime<Utc>", imap_state, mail_waiting,
                  last_error, last_error_at AS "last_error_at: DateTime<Utc>"
           FROM daemon_health WHERE id = 1"#
    )
    .fetch_optional(conn)
    .await
    .context("cannot read daemon_health")?
    else {
        return Ok(None);
    };
    Ok(Some(Health {
        pid: u32::try_from(r.pid).with_context(|| format!("daemon_health: pid {}", r.pid))?,
        started_at: r.started_at,
        heartbeat_at: r.heartbeat_at,
        imap_contact_at: r.imap_contact_at,
        imap_state: r.imap_state,
        mail_waiting: r
            .mail_waiting
            .map(|w| u64::try_from(w).with_context(|| format!("daemon_health: mail_waiting {w}")))
            .transpose()?,
        last_error: r.last_error,
        last_error_at: r.last_error_at,
    }))
}

/// Outbox rows by status.
pub async fn outbox_counts(conn: &mut SqliteConnection) -> anyhow::Result<BTreeMap<String, u64>> {
    let rows = sqlx::query!(r#"SELECT status, count(*) AS "n!: i64" FROM outbox GROUP BY status"#)
        .fetch_all(conn)
        .await?;
    rows.into_iter()
        .map(|r| Ok((r.status, u64::try_from(r.n)?)))
        .collect()
}
