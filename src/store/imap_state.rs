//! `imap_state`: the last UID committed per mailbox folder, under its UIDVALIDITY.

use super::ts;
use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// Where the reader is in one folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The folder's UIDVALIDITY when `last_uid` was written.
    pub uid_validity: u32,
    /// Every mail with a UID up to this one is committed.
    pub last_uid: u32,
}

/// The stored position of `mailbox`, if any.
pub async fn get(conn: &mut SqliteConnection, mailbox: &str) -> anyhow::Result<Option<Position>> {
    let row = sqlx::query!(
        "SELECT uid_validity, last_uid FROM imap_state WHERE mailbox = ?",
        mailbox
    )
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        let uid = |n: i64| {
            u32::try_from(n).with_context(|| format!("imap_state {mailbox}: UID {n} out of range"))
        };
        Ok(Position {
            uid_validity: uid(r.uid_validity)?,
            last_uid: uid(r.last_uid)?,
        })
    })
    .transpose()
}

/// Records the position; never moves `last_uid` back under the same UIDVALIDITY.
pub async fn set(
    conn: &mut SqliteConnection,
    mailbox: &str,
    pos: Position,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let (uid_validity, last_uid) = (i64::from(pos.uid_validity), i64::from(pos.last_uid));
    let at = ts(at);
    sqlx::query!(
        "INSERT INTO imap_state (mailbox, uid_validity, last_uid, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (mailbox) DO UPDATE SET
           last_uid = CASE WHEN uid_validity = ?2 THEN max(last_uid, ?3) ELSE ?3 END,
           uid_validity = ?2, updated_at = ?4",
        mailbox,
        uid_validity,
        last_uid,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}
