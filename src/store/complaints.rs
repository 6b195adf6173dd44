//! `complaints` and `threshold_notices` (第十三条–第十四条).

use super::ts;
use crate::rules::{ActiveComplaint, ComplaintEntry, NoticeKey};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use sqlx::types::Json;
use std::collections::HashSet;

/// Active complaints counted per (target, month), everyone's (`report tally`).
pub async fn month_counts(
    conn: &mut SqliteConnection,
) -> anyhow::Result<Vec<(String, String, i64)>> {
    let rows = sqlx::query!(
        r#"SELECT target, month, count(*) AS "n!: i64" FROM complaints WHERE status = 'active'
           GROUP BY target, month"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.target, r.month, r.n)).collect())
}

/// Active complaints counted per (target, month), for `targets` only: what one complaint mail
/// can change. (All of them per mail made replay quadratic in the archive's complaints.)
pub async fn month_counts_of(
    conn: &mut SqliteConnection,
    targets: &[String],
) -> anyhow::Result<Vec<(String, String, i64)>> {
    let targets = Json(targets);
    let rows = sqlx::query!(
        r#"SELECT target, month, count(*) AS "n!: i64" FROM complaints
           WHERE status = 'active' AND target IN (SELECT value FROM json_each(?))
           GROUP BY target, month"#,
        targets
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.target, r.month, r.n)).collect())
}

/// Active complaints against `targets`, oldest first: what a 第十四条 notice lists.
pub async fn active_of(
    conn: &mut SqliteConnection,
    targets: &[String],
) -> anyhow::Result<Vec<ComplaintEntry>> {
    let targets = Json(targets);
    Ok(sqlx::query_as!(
        ComplaintEntry,
        r#"SELECT id, project, complainant, target, month, filed_at AS "filed_at: DateTime<Utc>"
           FROM complaints
           WHERE status = 'active' AND target IN (SELECT value FROM json_each(?))
           ORDER BY filed_at, id"#,
        targets
    )
    .fetch_all(conn)
    .await?)
}

/// Active complaints on a project, newest first.
pub async fn active_on_project(
    conn: &mut SqliteConnection,
    project: &str,
) -> anyhow::Result<Vec<ActiveComplaint>> {
    Ok(sqlx::query_as!(
        ActiveComplaint,
        "SELECT id, project, complainant, target, month FROM complaints
         WHERE project = ? AND status = 'active' ORDER BY filed_at DESC, id DESC",
        project
    )
    .fetch_all(conn)
    .await?)
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

/// Notices in force for `targets`, read as one JSON row (an engineer's permanent-level notices
/// accumulate, and each row of a result costs a thread handoff).
pub async fn notices_of(
    conn: &mut SqliteConnection,
    targets: &[String],
) -> anyhow::Result<HashSet<NoticeKey>> {
    let targets = Json(targets);
    let keys = sqlx::query_scalar!(
        r#"SELECT json_group_array(json_array(engineer, scope, period, level))
                  AS "keys!: Json<Vec<NoticeKey>>"
           FROM threshold_notices
           WHERE engineer IN (SELECT value FROM json_each(?)) AND active = 1"#,
        targets
    )
    .fetch_one(conn)
    .await?;
    Ok(keys.0.into_iter().collect())
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
    sqlx::query!(
        "UPDATE complaints SET status = ?, ended_by = ? WHERE id = ? AND status = 'active'",
        status,
        message,
        id
    )
    .execute(conn)
    .await?;
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
