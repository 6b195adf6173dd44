//! `reports` and `open_items`: the 项目跟踪表 (第十六条) and 遗留问题 (第十七条).

use super::ts;
use crate::rules::ReportRow;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// Records an accepted report; returns its row id.
pub async fn add_report(
    conn: &mut SqliteConnection,
    message: i64,
    r: &ReportRow,
    at: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let id = sqlx::query(
        "INSERT INTO reports (message, project, engineer, result, contact, method, content, leftover,
                              priority, communicated_at, reported_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(message)
    .bind(r.project.as_str())
    .bind(&r.engineer)
    .bind(&r.result)
    .bind(&r.contact)
    .bind(&r.method)
    .bind(&r.content)
    .bind(&r.leftover)
    .bind(&r.priority)
    .bind(&r.communicated_at)
    .bind(ts(at))
    .execute(conn)
    .await?
    .last_insert_rowid();
    Ok(id)
}

/// Opens an item for a 问题遗留 report; returns its row id.
pub async fn add_open_item(
    conn: &mut SqliteConnection,
    report: i64,
    project: &str,
    engineer: &str,
    description: &str,
    priority: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO open_items (report, project, engineer, description, priority, opened_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(report)
    .bind(project)
    .bind(engineer)
    .bind(description)
    .bind(priority)
    .bind(ts(at))
    .execute(conn)
    .await?
    .last_insert_rowid())
}

/// One row of a 项目跟踪表 (interface.md `report tracking`).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct TrackingRow {
    /// The 第一售前 whose table it is.
    pub owner: String,
    /// Project name.
    pub project: String,
    /// Date of the report (event time, RFC 3339 UTC).
    pub date: String,
    /// Engineer who reported.
    pub engineer: String,
    /// 成功 / 问题遗留.
    pub result: String,
    /// 沟通的具体问题.
    pub content: String,
    /// The report's Message-ID.
    pub message_id: String,
}

/// Every presales' tracking table, or one person's: reports on projects whose 第一售前 they are.
pub async fn tracking(
    conn: &mut SqliteConnection,
    owner: Option<&str>,
) -> anyhow::Result<Vec<TrackingRow>> {
    Ok(sqlx::query_as(
        "SELECT p.first_presales AS owner, p.name AS project, m.event_at AS date, r.engineer,
                r.result, r.content, m.dedup_key AS message_id
         FROM reports r JOIN projects p ON p.key = r.project JOIN messages m ON m.id = r.message
         WHERE p.first_presales IS NOT NULL AND (?1 IS NULL OR p.first_presales = ?1)
         ORDER BY p.first_presales, m.event_at, r.id",
    )
    .bind(owner)
    .fetch_all(conn)
    .await?)
}

/// Every presales' tracking-table rows reported in `[from, to)` (the monthly digest's month).
pub async fn tracking_between(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<TrackingRow>> {
    Ok(sqlx::query_as(
        "SELECT p.first_presales AS owner, p.name AS project, m.event_at AS date, r.engineer,
                r.result, r.content, m.dedup_key AS message_id
         FROM messages m JOIN reports r ON r.message = m.id JOIN projects p ON p.key = r.project
         WHERE m.event_at >= ? AND m.event_at < ? AND p.first_presales IS NOT NULL
         ORDER BY p.first_presales, m.event_at, r.id",
    )
    .bind(ts(from))
    .bind(ts(to))
    .fetch_all(conn)
    .await?)
}
