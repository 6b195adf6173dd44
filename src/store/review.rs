//! What the monthly review (queries.md §4) reads besides the report mails and the 第十四条
//! tally: open items per engineer, activity per project, and the month's report mails and
//! complaints counted per person, all in a period.

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

/// Report mails of `[from, to)` counted per sender (address): (sender, accepted, rejected).
/// The counts of [`super::schedule::report_mails`]'s rows, without reading them one by one.
pub async fn report_counts(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<(String, i64, i64)>> {
    let (from, to) = (ts(from), ts(to));
    let rows = sqlx::query!(
        r#"SELECT sender,
                  coalesce(sum(outcome = 'accepted'), 0) AS "accepted!: i64",
                  coalesce(sum(outcome = 'rejected'), 0) AS "rejected!: i64"
           FROM messages
           WHERE kind = 'report' AND outcome IN ('accepted', 'rejected')
             AND event_at >= ?1 AND event_at < ?2
           GROUP BY sender ORDER BY sender"#,
        from,
        to
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.sender, r.accepted, r.rejected))
        .collect())
}

/// Active complaints filed in `[from, to)` counted per target (name): the counts of
/// [`super::schedule::complaints_filed`]'s rows.
pub async fn complaint_counts(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<(String, i64)>> {
    let (from, to) = (ts(from), ts(to));
    let rows = sqlx::query!(
        r#"SELECT target, count(*) AS "n!: i64" FROM complaints
           WHERE status = 'active' AND filed_at >= ?1 AND filed_at < ?2
           GROUP BY target ORDER BY target"#,
        from,
        to
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.target, r.n)).collect())
}

#[cfg(test)]
mod tests {
    use super::{complaint_counts, report_counts};
    use crate::store::{Store, schedule};
    use chrono::{DateTime, TimeZone, Utc};
    use std::collections::BTreeMap;

    fn at(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, month, day, hour, 0, 0)
            .single()
            .unwrap_or_default()
    }

    /// Two months (May and June, as the digest's UTC bounds of Beijing months: 16:00 the day
    /// before) of report mails from four senders over three projects — accepted, rejected,
    /// ignored, some that are not reports, some on the bounds — and complaints against three
    /// people, some withdrawn or voided.
    async fn fixture() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("t.db")).await.expect("open");
        let mut conn = store.connection().await.expect("connection");
        let senders = [
            "zhangsan@example.com",
            "lisi@example.com",
            "wangwu@example.com",
            "stranger@example.org",
        ];
        let outcomes = ["accepted", "accepted", "rejected", "ignored", "accepted"];
        let kinds = [
            "report",
            "report",
            "report",
            "ordinary",
            "report",
            "complaint",
        ];
        let targets = ["张三", "李四", "王五"];
        let statuses = ["active", "active", "withdrawn", "active", "voided"];
        let start = at(4, 30, 16);
        for i in 0..400_i64 {
            // Every 7 hours and 13 minutes from 30 April 16:00 UTC, over the two months and
            // a little past them; the first mail is on May's lower bound.
            let t = start + chrono::Duration::minutes(i * 433);
            let when = crate::store::ts(t);
            let idx = |n: usize| usize::try_from(i).unwrap_or(0) % n;
            sqlx::query(
                "INSERT INTO messages (id, dedup_key, subject, sender, kind, outcome, reasons,
                                       flags, project, event_at, handled_at)
                 VALUES (?1, 'm' || ?1, 's', ?2, ?3, ?4, '[]', '[]', ?5, ?6, ?6)",
            )
            .bind(i + 1)
            .bind(senders[idx(4)])
            .bind(kinds[idx(6)])
            .bind(outcomes[idx(5)])
            .bind(format!("p{}", i % 3))
            .bind(&when)
            .execute(&mut *conn)
            .await
            .expect("message");
            if i % 3 == 0 {
                sqlx::query(
                    "INSERT INTO complaints (message, project, complainant, target, month,
                                             status, filed_at)
                     VALUES (?1, ?2, '孙丽', ?3, substr(?4, 1, 7), ?5, ?4)",
                )
                .bind(i + 1)
                .bind(format!("p{}", i % 3))
                .bind(targets[idx(7) % 3])
                .bind(&when)
                .bind(statuses[idx(5)])
                .execute(&mut *conn)
                .await
                .expect("complaint");
            }
        }
        drop(conn);
        (dir, store)
    }

    #[tokio::test]
    async fn a_months_counts_per_person_are_the_counts_of_its_report_mails_and_complaints() {
        let (_dir, store) = fixture().await;
        let mut conn = store.connection().await.expect("connection");
        for (from, to) in [
            (at(4, 30, 16), at(5, 31, 16)),
            (at(5, 31, 16), at(6, 30, 16)),
        ] {
            // Straight from the rows, one by one.
            let mut reports: BTreeMap<String, (i64, i64)> = BTreeMap::new();
            for m in schedule::report_mails(&mut conn, from, to)
                .await
                .expect("mails")
            {
                let e = reports.entry(m.sender).or_default();
                if m.outcome == "accepted" {
                    e.0 += 1;
                } else {
                    e.1 += 1;
                }
            }
            let mut complaints: BTreeMap<String, i64> = BTreeMap::new();
            for (target, _, _) in schedule::complaints_filed(&mut conn, from, to)
                .await
                .expect("complaints")
            {
                *complaints.entry(target).or_default() += 1;
            }
            assert!(
                reports.len() >= 3 && complaints.len() == 3,
                "a fixture that tests"
            );

            let counted: BTreeMap<String, (i64, i64)> = report_counts(&mut conn, from, to)
                .await
                .expect("report counts")
                .into_iter()
                .map(|(s, a, r)| (s, (a, r)))
                .collect();
            assert_eq!(counted, reports, "report mails of {from}..{to}");
            let counted: BTreeMap<String, i64> = complaint_counts(&mut conn, from, to)
                .await
                .expect("complaint counts")
                .into_iter()
                .collect();
            assert_eq!(counted, complaints, "complaints of {from}..{to}");
        }
    }
}
