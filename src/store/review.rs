//! What the monthly review (queries.md §4) reads besides the report mails and the 第十四条
//! tally: open items per engineer and activity per project in a period.

use super::ts;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

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
    let (from, to) = (ts(from), ts(to));
    let rows = sqlx::query!(
        r#"SELECT engineer,
                  coalesce(sum(opened_at >= ?1 AND opened_at < ?2), 0) AS "opened!: i64",
                  coalesce(sum(status = 'closed' AND closed_at >= ?1 AND closed_at < ?2), 0)
                    AS "closed!: i64",
                  coalesce(sum(status = 'closed' AND closed_at >= ?1 AND closed_at < ?2
                      AND resolution_due IS NOT NULL AND closed_at <= resolution_due), 0)
                    AS "in_time!: i64"
           FROM open_items
           WHERE (opened_at >= ?1 AND opened_at < ?2) OR (closed_at >= ?1 AND closed_at < ?2)
           GROUP BY engineer ORDER BY engineer"#,
        from,
        to
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.engineer,
                ItemCounts {
                    opened: r.opened,
                    closed: r.closed,
                    closed_in_time: r.in_time,
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
    let (from, to) = (ts(from), ts(to));
    let rows = sqlx::query!(
        r#"SELECT p.name,
                  (SELECT count(*) FROM reports r WHERE r.project = p.key
                    AND r.reported_at >= ?1 AND r.reported_at < ?2) AS "reports!: i64",
                  (SELECT count(*) FROM open_items o WHERE o.project = p.key
                    AND o.opened_at >= ?1 AND o.opened_at < ?2) AS "items!: i64",
                  (SELECT count(*) FROM fault_orders f WHERE f.project = p.key
                    AND f.filed_at >= ?1 AND f.filed_at < ?2) AS "faults!: i64"
           FROM projects p ORDER BY p.key"#,
        from,
        to
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.name,
                ProjectCounts {
                    reports: r.reports,
                    open_items: r.items,
                    fault_orders: r.faults,
                },
            )
        })
        .collect())
}
