//! `complaints` and `threshold_notices` (第十三条–第十四条).

use super::ts;
use crate::rules::{ActiveComplaint, ComplaintEntry, NoticeKey};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use sqlx::types::Json;
use std::collections::HashSet;

/// Active complaints counted per (target, month), everyone's (`report tally`), from the
/// running counts.
pub async fn month_counts(
    conn: &mut SqliteConnection,
) -> anyhow::Result<Vec<(String, String, i64)>> {
    let rows = sqlx::query!("SELECT target, month, n FROM complaint_counts WHERE n > 0")
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| (r.target, r.month, r.n)).collect())
}

/// Active complaints per (target, month) of `targets`, months from `first` on (`""`: all),
/// from the running counts (`complaint_counts`, kept by [`add`] and [`end`]): what one
/// complaint mail can change, read without counting the complaints themselves. One row per
/// target and month: the rows grow with the window's months, never with the complaints.
pub async fn month_counts_of(
    conn: &mut SqliteConnection,
    targets: &[String],
    first: &str,
) -> anyhow::Result<Vec<(String, String, i64)>> {
    let targets = Json(targets);
    let rows = sqlx::query!(
        r#"SELECT target, month, n FROM complaint_counts
           WHERE target IN (SELECT value FROM json_each(?)) AND month >= ? AND n > 0"#,
        targets,
        first
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.target, r.month, r.n)).collect())
}

/// Active complaints against `target` in months `first..=last` (`first` `""`: from the start),
/// oldest first: what a 第十四条 notice lists. Read only when a decision crosses a level.
pub async fn active_of(
    conn: &mut SqliteConnection,
    target: &str,
    first: &str,
    last: &str,
) -> anyhow::Result<Vec<ComplaintEntry>> {
    let mut rows = sqlx::query_as!(
        ComplaintEntry,
        r#"SELECT id, project, complainant, target, month, filed_at AS "filed_at: DateTime<Utc>"
           FROM complaints
           WHERE status = 'active' AND target = ? AND month >= ? AND month <= ?"#,
        target,
        first,
        last
    )
    .fetch_all(conn)
    .await?;
    // Sorted here: the index gives them by month, and the notice lists them as filed.
    rows.sort_by_key(|c| (c.filed_at, c.id));
    Ok(rows)
}

/// What 撤销投诉 on a project may pick, newest first, at most two rows: the latest active
/// complaint on the project by anyone (the presales manager voids it) and `sender`'s latest
/// (a complainant withdraws their own). Empty when the project has no active complaint.
pub async fn withdrawal_candidates(
    conn: &mut SqliteConnection,
    project: &str,
    sender: &str,
) -> anyhow::Result<Vec<ActiveComplaint>> {
    let latest = sqlx::query_as!(
        ActiveComplaint,
        "SELECT id, project, complainant, target, month FROM complaints
         WHERE project = ? AND status = 'active' ORDER BY filed_at DESC, id DESC LIMIT 1",
        project
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(latest) = latest else {
        return Ok(Vec::new());
    };
    if latest.complainant == sender {
        return Ok(vec![latest]);
    }
    let own = sqlx::query_as!(
        ActiveComplaint,
        "SELECT id, project, complainant, target, month FROM complaints
         WHERE project = ? AND status = 'active' AND complainant = ?
         ORDER BY filed_at DESC, id DESC LIMIT 1",
        project,
        sender
    )
    .fetch_optional(conn)
    .await?;
    Ok(std::iter::once(latest).chain(own).collect())
}

/// The active complaint opened by message row `message` (its thread), if any.
pub async fn active_by_message(
    conn: &mut SqliteConnection,
    message: i64,
) -> anyhow::Result<Option<ActiveComplaint>> {
    Ok(sqlx::query_as!(
        ActiveComplaint,
        "SELECT id, project, complainant, target, month FROM complaints
         WHERE message = ? AND status = 'active'",
        message
    )
    .fetch_optional(conn)
    .await?)
}

/// Notices in force for `targets` in `periods` (months, and `all` for the permanent level):
/// only the periods a mail's counts can cross. A handful of rows: the levels of one month and
/// the permanent ones (one per 4 complaints).
pub async fn notices_of(
    conn: &mut SqliteConnection,
    targets: &[String],
    periods: &[String],
) -> anyhow::Result<HashSet<NoticeKey>> {
    let targets = Json(targets);
    let periods = Json(periods);
    let rows = sqlx::query!(
        r#"SELECT engineer, scope, period, level FROM threshold_notices
           WHERE engineer IN (SELECT value FROM json_each(?1))
             AND period IN (SELECT value FROM json_each(?2)) AND active = 1"#,
        targets,
        periods
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.engineer, r.scope, r.period, r.level))
        .collect())
}

/// Counts a complaint.
pub async fn add(
    conn: &mut SqliteConnection,
    message: i64,
    project: &str,
    complainant: &str,
    target: &str,
    month: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let at = ts(at);
    sqlx::query!(
        "INSERT INTO complaints (message, project, complainant, target, month, filed_at)
         VALUES (?, ?, ?, ?, ?, ?)",
        message,
        project,
        complainant,
        target,
        month,
        at
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO complaint_counts (target, month, n) VALUES (?, ?, 1)
         ON CONFLICT (target, month) DO UPDATE SET n = n + 1",
        target,
        month
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Withdraws (or voids) a complaint.
pub async fn end(
    conn: &mut SqliteConnection,
    id: i64,
    voided: bool,
    message: i64,
) -> anyhow::Result<()> {
    let status = if voided { "voided" } else { "withdrawn" };
    let ended = sqlx::query!(
        "UPDATE complaints SET status = ?, ended_by = ? WHERE id = ? AND status = 'active'",
        status,
        message,
        id
    )
    .execute(&mut *conn)
    .await?;
    // Counted down only when this call ended it (an ended complaint is not counted).
    if ended.rows_affected() == 1 {
        sqlx::query!(
            "UPDATE complaint_counts SET n = n - 1
             WHERE (target, month) = (SELECT target, month FROM complaints WHERE id = ?)",
            id
        )
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// Records a notice as sent (or revoked).
pub async fn set_notice(
    conn: &mut SqliteConnection,
    key: &NoticeKey,
    sent: bool,
    message: i64,
) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO threshold_notices (engineer, scope, period, level, active, message)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (engineer, scope, period, level) DO UPDATE SET active = ?5, message = ?6",
        key.0,
        key.1,
        key.2,
        key.3,
        sent,
        message
    )
    .execute(conn)
    .await?;
    Ok(())
}
