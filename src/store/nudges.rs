//! What the nudges (queries.md §3) read: initiated projects with what is open on them and their
//! last report, and the nudges queued in a period for the daily digest.

use super::{parse_ts, ts};
use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

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
    let rows = sqlx::query(
        "SELECT p.key, p.name, p.first_presales, p.responsible_sales,
                json_extract(p.extras, '$.期望时间') AS expected,
                r.reported_at, r.engineer, r.contact, r.method,
                (SELECT min(t) FROM (
                    SELECT min(o.opened_at) AS t FROM open_items o
                     WHERE o.project = p.key AND o.status = 'open'
                    UNION ALL
                    SELECT min(f.filed_at) FROM fault_orders f
                     WHERE f.project = p.key
                       AND f.state NOT IN ('closed', 'rejected', 'converted'))) AS open_since
         FROM projects p
         LEFT JOIN reports r ON r.id = (SELECT id FROM reports WHERE project = p.key
                                        ORDER BY reported_at DESC, id DESC LIMIT 1)
         WHERE p.status = 'initiated' ORDER BY p.key",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let when = |c: &str| r.get::<Option<String>, _>(c).map(|t| parse_ts(&t));
            ProjectPulse {
                key: r.get("key"),
                name: r.get("name"),
                first_presales: r.get("first_presales"),
                responsible_sales: r.get("responsible_sales"),
                expected: r.get("expected"),
                last_report: when("reported_at"),
                last_engineer: r.get("engineer"),
                last_contact: r.get("contact"),
                last_method: r.get("method"),
                open_since: when("open_since"),
            }
        })
        .collect())
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
    let rows = sqlx::query(
        "SELECT d.schedule, d.queued_at, o.to_addrs, o.subject
         FROM due_events d JOIN outbox o ON o.message_id = d.message_id
         WHERE d.schedule IN ('report_nudge', 'approval_nudge') AND d.skipped = 0
           AND d.queued_at >= ? AND d.queued_at < ?
         ORDER BY d.queued_at, d.key",
    )
    .bind(ts(from))
    .bind(ts(to))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SentNudge {
            kind: r.get("schedule"),
            to: serde_json::from_str(r.get("to_addrs")).unwrap_or_default(),
            subject: r.get("subject"),
            queued_at: parse_ts(r.get("queued_at")),
        })
        .collect())
}
