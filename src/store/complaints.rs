//! `complaints` and `threshold_notices` (第十三条–第十四条).

use super::parse_ts;
use super::ts;
use crate::rules::{ActiveComplaint, ComplaintEntry, NoticeKey};
use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};
use std::collections::HashSet;

/// Active complaints counted per (target, month), everyone's (`report tally`).
pub async fn month_counts(
    conn: &mut SqliteConnection,
) -> anyhow::Result<Vec<(String, String, i64)>> {
    let rows = sqlx::query(
        "SELECT target, month, count(*) AS n FROM complaints WHERE status = 'active'
         GROUP BY target, month",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(month_count).collect())
}

/// Active complaints counted per (target, month), for `targets` only: what one complaint mail
/// can change. (All of them per mail made replay quadratic in the archive's complaints.)
pub async fn month_counts_of(
    conn: &mut SqliteConnection,
    targets: &[String],
) -> anyhow::Result<Vec<(String, String, i64)>> {
    let rows = sqlx::query(
        "SELECT target, month, count(*) AS n FROM complaints
         WHERE status = 'active' AND target IN (SELECT value FROM json_each(?))
         GROUP BY target, month",
    )
    .bind(serde_json::to_string(targets)?)
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(month_count).collect())
}

/// Active complaints against `targets`, oldest first: what a 第十四条 notice lists.
pub async fn active_of(
    conn: &mut SqliteConnection,
    targets: &[String],
) -> anyhow::Result<Vec<ComplaintEntry>> {
    let rows = sqlx::query(
        "SELECT id, project, complainant, target, month, filed_at FROM complaints
         WHERE status = 'active' AND target IN (SELECT value FROM json_each(?))
         ORDER BY filed_at, id",
    )
    .bind(serde_json::to_string(targets)?)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ComplaintEntry {
            id: r.get("id"),
            project: r.get("project"),
            complainant: r.get("complainant"),
            target: r.get("target"),
            month: r.get("month"),
            filed_at: parse_ts(r.get::<&str, _>("filed_at")),
        })
        .collect())
}

fn month_count(r: &sqlx::sqlite::SqliteRow) -> (String, String, i64) {
    (r.get("target"), r.get("month"), r.get("n"))
}

/// Active complaints on a project, newest first.
pub async fn active_on_project(
    conn: &mut SqliteConnection,
    project: &str,
) -> anyhow::Result<Vec<ActiveComplaint>> {
    let rows = sqlx::query(
        "SELECT id, project, complainant, target, month FROM complaints
         WHERE project = ? AND status = 'active' ORDER BY filed_at DESC, id DESC",
    )
    .bind(project)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ActiveComplaint {
            id: r.get("id"),
            project: r.get("project"),
            complainant: r.get("complainant"),
            target: r.get("target"),
            month: r.get("month"),
        })
        .collect())
}

/// The active complaint opened by message row `message` (its thread), if any.
pub async fn active_by_message(
    conn: &mut SqliteConnection,
    message: i64,
) -> anyhow::Result<Option<ActiveComplaint>> {
    let row = sqlx::query(
        "SELECT id, project, complainant, target, month FROM complaints WHERE message = ? AND status = 'active'",
    )
    .bind(message)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| ActiveComplaint {
        id: r.get("id"),
        project: r.get("project"),
        complainant: r.get("complainant"),
        target: r.get("target"),
        month: r.get("month"),
    }))
}

/// Notices in force for `targets`, read as one JSON row (an engineer's permanent-level notices
/// accumulate, and each row of a result costs a thread handoff).
pub async fn notices_of(
    conn: &mut SqliteConnection,
    targets: &[String],
) -> anyhow::Result<HashSet<NoticeKey>> {
    let json: String = sqlx::query_scalar(
        "SELECT json_group_array(json_array(engineer, scope, period, level)) FROM threshold_notices
         WHERE engineer IN (SELECT value FROM json_each(?)) AND active = 1",
    )
    .bind(serde_json::to_string(targets)?)
    .fetch_one(conn)
    .await?;
    let keys: Vec<NoticeKey> = serde_json::from_str(&json)?;
    Ok(keys.into_iter().collect())
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
    sqlx::query(
        "INSERT INTO complaints (message, project, complainant, target, month, filed_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(message)
    .bind(project)
    .bind(complainant)
    .bind(target)
    .bind(month)
    .bind(ts(at))
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
    sqlx::query(
        "UPDATE complaints SET status = ?, ended_by = ? WHERE id = ? AND status = 'active'",
    )
    .bind(if voided { "voided" } else { "withdrawn" })
    .bind(message)
    .bind(id)
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
    sqlx::query(
        "INSERT INTO threshold_notices (engineer, scope, period, level, active, message)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (engineer, scope, period, level) DO UPDATE SET active = ?5, message = ?6",
    )
    .bind(&key.0)
    .bind(&key.1)
    .bind(&key.2)
    .bind(key.3)
    .bind(sent)
    .bind(message)
    .execute(conn)
    .await?;
    Ok(())
}
