//! What the nudges (queries.md §3) read: initiated projects with what is open on them and their
//! last report, and the nudges queued in a period for the daily digest.

use super::ts;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use sqlx::types::Json;

/// An initiated project as the report nudges see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectPulse {
    /// Project key.
    pub key: String,
    /// Name as written in the 立项.
    pub name: String,
    /// 第一售前 (name), if the 立项 named one.
    pub first_presales: Option<String>,
    /// 责任销售 (name).
    pub responsible_sales: Option<String>,
    /// 期望时间 as written in the 立项, if any.
    pub expected: Option<String>,
    /// The latest accepted report on the project.
    pub last_report: Option<DateTime<Utc>>,
    /// The engineer of that report.
    pub last_engineer: Option<String>,
    /// 沟通人 of that report.
    pub last_contact: Option<String>,
    /// 沟通方式 of that report.
    pub last_method: Option<String>,
    /// Since when something has been open on it: the oldest open item or active fault order.
    pub open_since: Option<DateTime<Utc>>,
}

/// Every initiated project, by key.
pub async fn project_pulses(conn: &mut SqliteConnection) -> anyhow::Result<Vec<ProjectPulse>> {
    Ok(sqlx::query_as!(
        ProjectPulse,
        r#"SELECT p.key AS "key!", p.name,
                  p.first_presales, p.responsible_sales,
                  json_extract(p.extras, '$.期望时间') AS "expected: String",
                  r.reported_at AS "last_report: DateTime<Utc>",
                  r.engineer AS "last_engineer?", r.contact AS "last_contact?",
                  r.method AS "last_method?",
                  (SELECT min(t) FROM (
                      SELECT min(o.opened_at) AS t FROM open_items o
                       WHERE o.project = p.key AND o.status = 'open'
                      UNION ALL
                      SELECT min(f.filed_at) FROM fault_orders f
                       WHERE f.project = p.key
                         AND f.state NOT IN ('closed', 'rejected', 'converted')))
                    AS "open_since: DateTime<Utc>"
           FROM projects p
           LEFT JOIN reports r ON r.id = (SELECT id FROM reports WHERE project = p.key
                                          ORDER BY reported_at DESC, id DESC LIMIT 1)
           WHERE p.status = 'initiated' ORDER BY p.key"#
    )
    .fetch_all(conn)
    .await?)
}

/// A nudge queued, as the daily digest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentNudge {
    /// `report_nudge` or `approval_nudge`.
    pub kind: String,
    /// Recipients' addresses.
    pub to: Vec<String>,
    /// The nudge's subject.
    pub subject: String,
    /// When it was queued.
    pub queued_at: DateTime<Utc>,
}

/// Nudges queued in `[from, to)`, oldest first.
pub async fn queued_between(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<SentNudge>> {
    let (from, to) = (ts(from), ts(to));
    let rows = sqlx::query!(
        r#"SELECT d.schedule, d.queued_at AS "queued_at!: DateTime<Utc>",
                  o.to_addrs AS "to_addrs: Json<Vec<String>>", o.subject
           FROM due_events d JOIN outbox o ON o.message_id = d.message_id
           WHERE d.schedule IN ('report_nudge', 'approval_nudge') AND d.skipped = 0
             AND d.queued_at >= ? AND d.queued_at < ?
           ORDER BY d.queued_at, d.key"#,
        from,
        to
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SentNudge {
            kind: r.schedule,
            to: r.to_addrs.0,
            subject: r.subject,
            queued_at: r.queued_at,
        })
        .collect())
}
