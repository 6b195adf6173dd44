//! What the monthly review (queries.md §4) reads besides the report mails and the 第十四条
//! tally: open items per engineer and activity per project in a period.

use super::ts;
use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

/// One engineer's open items in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemCounts {
    /// Opened in the period.
    pub opened: i64,
    /// Closed in the period.
    pub closed: i64,
    /// Of those, closed by their resolution deadline (第七条).
    pub closed_in_time: i64,
}

/// Open items opened and closed in `[from, to)`, by engineer (name).
pub async fn items_by_engineer(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<(String, ItemCounts)>> {
    let rows = sqlx::query(
        "SELECT engineer,
                sum(opened_at >= ?1 AND opened_at < ?2) AS opened,
                sum(status = 'closed' AND closed_at >= ?1 AND closed_at < ?2) AS closed,
                sum(status = 'closed' AND closed_at >= ?1 AND closed_at < ?2
                    AND resolution_due IS NOT NULL AND closed_at <= resolution_due) AS in_time
         FROM open_items
         WHERE (opened_at >= ?1 AND opened_at < ?2) OR (closed_at >= ?1 AND closed_at < ?2)
         GROUP BY engineer ORDER BY engineer",
    )
    .bind(ts(from))
    .bind(ts(to))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.get("engineer"),
                ItemCounts {
                    opened: r.get::<Option<i64>, _>("opened").unwrap_or(0),
                    closed: r.get::<Option<i64>, _>("closed").unwrap_or(0),
                    closed_in_time: r.get::<Option<i64>, _>("in_time").unwrap_or(0),
                },
            )
        })
        .collect())
}

/// One project's activity in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectCounts {
    /// Accepted reports.
    pub reports: i64,
    /// Open items opened.
    pub open_items: i64,
    /// Fault orders filed.
    pub fault_orders: i64,
}

/// Reports, open items and fault orders of `[from, to)`, by project name.
pub async fn by_project(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<(String, ProjectCounts)>> {
    let rows = sqlx::query(
        "SELECT p.name,
                (SELECT count(*) FROM reports r WHERE r.project = p.key
                  AND r.reported_at >= ?1 AND r.reported_at < ?2) AS reports,
                (SELECT count(*) FROM open_items o WHERE o.project = p.key
                  AND o.opened_at >= ?1 AND o.opened_at < ?2) AS items,
                (SELECT count(*) FROM fault_orders f WHERE f.project = p.key
                  AND f.filed_at >= ?1 AND f.filed_at < ?2) AS faults
         FROM projects p ORDER BY p.key",
    )
    .bind(ts(from))
    .bind(ts(to))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.get("name"),
                ProjectCounts {
                    reports: r.get("reports"),
                    open_items: r.get("items"),
                    fault_orders: r.get("faults"),
                },
            )
        })
        .collect())
}
