//! `mail_tries`: how often handling one mail failed, per inbox, so the bound on tries holds
//! across restarts. Written outside the mail's own transaction (that one was rolled back).

use super::ts;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use std::collections::HashMap;

/// The failed tries counted so far for every mail of `inbox` that has any.
pub async fn load(
    conn: &mut SqliteConnection,
    inbox: &str,
) -> anyhow::Result<HashMap<String, u32>> {
    let rows = sqlx::query!("SELECT mail, tries FROM mail_tries WHERE inbox = ?", inbox)
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.mail, u32::try_from(r.tries.max(0)).unwrap_or(u32::MAX)))
        .collect())
}

/// Counts one more failed try of `mail` and returns the count.
pub async fn bump(
    conn: &mut SqliteConnection,
    inbox: &str,
    mail: &str,
    error: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<u32> {
    let now = ts(now);
    let tries: i64 = sqlx::query_scalar!(
        "INSERT INTO mail_tries (inbox, mail, tries, last_error, updated_at) VALUES (?1, ?2, 1, ?3, ?4)
         ON CONFLICT (inbox, mail) DO UPDATE SET
           tries = tries + 1, last_error = ?3, updated_at = ?4
         RETURNING tries",
        inbox,
        mail,
        error,
        now
    )
    .fetch_one(conn)
    .await?;
    Ok(u32::try_from(tries.max(0)).unwrap_or(u32::MAX))
}

/// Forgets the tries of `mail` (it is handled or dead-lettered), in the caller's transaction.
pub async fn clear(conn: &mut SqliteConnection, inbox: &str, mail: &str) -> anyhow::Result<()> {
    sqlx::query!(
        "DELETE FROM mail_tries WHERE inbox = ? AND mail = ?",
        inbox,
        mail
    )
    .execute(conn)
    .await?;
    Ok(())
}
