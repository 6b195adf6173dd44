//! `complaints` and `threshold_notices` (第十三条–第十四条).

use super::ts;
use crate::rules::{ActiveComplaint, ComplaintEntry, NoticeKey};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use sqlx::types::Json;
use std::collections::{BTreeMap, HashMap, HashSet};

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

/// What one transaction has read or written of the running counts and the notices: a batch's
/// complaints about the same engineers (a replay, `process --batch`) read them from the store
/// once, not once a mail. Kept by the engine beside the writes ([`Known::counted`],
/// [`Known::ended`], [`Known::noticed`]) and dropped with the transaction; nothing else writes
/// these tables inside one.
#[derive(Debug, Default)]
pub struct Known {
    /// Per target: the first month read from the store, and its counts from that month on.
    counts: HashMap<String, (String, BTreeMap<String, i64>)>,
    /// Notices looked up or written, and whether each is in force.
    notices: HashMap<NoticeKey, bool>,
}

impl Known {
    /// A complaint about `target` in `month` was counted.
    pub fn counted(&mut self, target: &str, month: &str) {
        if let Some((first, months)) = self.counts.get_mut(target)
            && month >= first.as_str()
        {
            *months.entry(month.to_string()).or_insert(0) += 1;
        }
    }

    /// A complaint was withdrawn or voided: its target and month are the store's to say, so
    /// every count is read again.
    pub fn ended(&mut self) {
        self.counts.clear();
    }

    /// A notice was recorded as sent or revoked.
    pub fn noticed(&mut self, key: &NoticeKey, sent: bool) {
        self.notices.insert(key.clone(), sent);
    }
}

/// [`month_counts_of`], read from the store only for targets `known` has not read from `first`
/// on.
pub async fn month_counts_known(
    conn: &mut SqliteConnection,
    known: &mut Known,
    targets: &[String],
    first: &str,
) -> anyhow::Result<Vec<(String, String, i64)>> {
    let missing: Vec<String> = targets
        .iter()
        .filter(|t| known.counts.get(*t).is_none_or(|(f, _)| f.as_str() > first))
        .cloned()
        .collect();
    if !missing.is_empty() {
        let mut read: HashMap<String, BTreeMap<String, i64>> = HashMap::new();
        for (t, m, n) in month_counts_of(conn, &missing, first).await? {
            read.entry(t).or_default().insert(m, n);
        }
        for t in missing {
            let months = read.remove(&t).unwrap_or_default();
            known.counts.insert(t, (first.to_string(), months));
        }
    }
    let mut rows = Vec::new();
    for t in targets {
        if let Some((_, months)) = known.counts.get(t) {
            let from = months.range(first.to_string()..);
            rows.extend(
                from.filter(|(_, n)| **n > 0)
                    .map(|(m, n)| (t.clone(), m.clone(), *n)),
            );
        }
    }
    Ok(rows)
}

/// [`notices_in_force`], read from the store only for keys `known` has not looked up.
pub async fn notices_known(
    conn: &mut SqliteConnection,
    known: &mut Known,
    keys: &[NoticeKey],
) -> anyhow::Result<HashSet<NoticeKey>> {
    let missing: Vec<NoticeKey> = keys
        .iter()
        .filter(|k| !known.notices.contains_key(*k))
        .cloned()
        .collect();
    if !missing.is_empty() {
        let in_force = notices_in_force(conn, &missing).await?;
        for k in missing {
            let sent = in_force.contains(&k);
            known.notices.insert(k, sent);
        }
    }
    Ok(keys
        .iter()
        .filter(|k| known.notices.get(*k).copied().unwrap_or(false))
        .cloned()
        .collect())
}

/// What a 第十四条 notice against `target` for month `last` can list: the newest `limit` active
/// complaints of its counting window `first..=last` (`first` `""`: from the start) and the
/// newest `limit` of `last` alone, each once, oldest first. Read only when a decision crosses a
/// level, in one statement for both lists (they were two, and the window's walk already went
/// through the month's complaints).
pub async fn listable(
    conn: &mut SqliteConnection,
    target: &str,
    first: &str,
    last: &str,
    limit: i64,
) -> anyhow::Result<Vec<ComplaintEntry>> {
    let rows = match months_between(first, last) {
        // Each month's newest `limit` hold both lists: the window's are the newest of them all,
        // the month's are its own month's.
        Some(months) => newest_of_months(conn, target, &months, limit).await?,
        None => newest_up_to_and_of(conn, target, first, last, limit).await?,
    };
    Ok(window_and_month(
        rows,
        last,
        usize::try_from(limit).unwrap_or(0),
    ))
}

/// Of complaints in a window ending with month `last`, those among the newest `limit` of all or
/// among the newest `limit` of `last`, oldest first, each once.
fn window_and_month(
    mut rows: Vec<ComplaintEntry>,
    last: &str,
    limit: usize,
) -> Vec<ComplaintEntry> {
    rows.sort_by_key(|r| std::cmp::Reverse((r.filed_at, r.id)));
    rows.dedup_by_key(|r| r.id);
    let mut of_last = 0;
    let mut kept: Vec<ComplaintEntry> = rows
        .into_iter()
        .enumerate()
        .filter(|(i, r)| {
            if r.month == last {
                of_last += 1;
            }
            *i < limit || (r.month == last && of_last <= limit)
        })
        .map(|(_, r)| r)
        .collect();
    kept.reverse();
    kept
}

/// The months `first..=last` (`YYYY-MM`), when both are months and the window is at most ten
/// years (a config's counting window is a few months); None otherwise.
fn months_between(first: &str, last: &str) -> Option<Vec<String>> {
    let day = |m: &str| chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok();
    let (mut at, end) = (day(first)?, day(last)?);
    let mut months = Vec::new();
    while at <= end {
        if months.len() >= 120 {
            return None;
        }
        months.push(at.format("%Y-%m").to_string());
        at = at.checked_add_months(chrono::Months::new(1))?;
    }
    Some(months)
}

/// The newest `limit` of each month's active complaints against `target`: each month walked
/// newest first by the index on (target, status, month, filed_at, id), so the work is bounded by
/// the months and the LIMIT, never by the target's history. CROSS JOIN keeps the months outside.
async fn newest_of_months(
    conn: &mut SqliteConnection,
    target: &str,
    months: &[String],
    limit: i64,
) -> anyhow::Result<Vec<ComplaintEntry>> {
    let months = Json(months);
    // One JSON row: up to 20 rows a month, each handed over by sqlx on its own, cost more than
    // the walk (sqlx's log of a skewed 10k replay: 52 µs a call; the statement alone 9 µs).
    let Json(rows) = sqlx::query_scalar!(
        r#"SELECT json_group_array(json_array(c.id, c.project, c.complainant, c.target, c.month,
                                              c.filed_at))
                  AS "rows!: Json<Vec<(i64, String, String, String, String, String)>>"
           FROM json_each(?2) m CROSS JOIN complaints c
           WHERE c.id IN (SELECT id FROM complaints INDEXED BY complaints_target_month_newest
                          WHERE target = ?1 AND status = 'active' AND month = m.value
                          ORDER BY filed_at DESC, id DESC LIMIT (SELECT ?3))"#,
        target,
        months,
        limit
    )
    .fetch_one(conn)
    .await?;
    entries(rows)
}

/// The newest `limit` active complaints against `target` in months up to `last` (from `first`,
/// when it is not a month [`months_between`] can list), and the newest `limit` of `last`: one
/// statement, so one round trip, for what took two ([`listable`] keeps each once).
async fn newest_up_to_and_of(
    conn: &mut SqliteConnection,
    target: &str,
    first: &str,
    last: &str,
    limit: i64,
) -> anyhow::Result<Vec<ComplaintEntry>> {
    // NOTE: `+month` keeps SQLite on the index by (target, status, filed_at): it walks the
    // target's complaints newest first and stops at the LIMIT; the month's own are walked by
    // the index on (target, status, month, filed_at, id). The LIMIT's value is behind a
    // subquery: a bare `LIMIT ?` has SQLite plan with the value bound and prepare the statement
    // again at every call (src/store/projects.rs `get_with_open_items`). One JSON row, as
    // [`newest_of_months`]; UNION ALL, not UNION: the duplicates go in Rust, without a temporary
    // b-tree.
    let Json(rows) = sqlx::query_scalar!(
        r#"SELECT json_group_array(json_array(id, project, complainant, target, month, filed_at))
                  AS "rows!: Json<Vec<(i64, String, String, String, String, String)>>"
           FROM (SELECT * FROM (SELECT id, project, complainant, target, month, filed_at
                                FROM complaints
                                WHERE target = ?1 AND status = 'active' AND +month >= ?2
                                  AND +month <= ?3
                                ORDER BY filed_at DESC, id DESC LIMIT (SELECT ?4))
                 UNION ALL
                 SELECT * FROM (SELECT id, project, complainant, target, month, filed_at
                                FROM complaints INDEXED BY complaints_target_month_newest
                                WHERE target = ?1 AND status = 'active' AND month = ?3
                                ORDER BY filed_at DESC, id DESC LIMIT (SELECT ?4)))"#,
        target,
        first,
        last,
        limit
    )
    .fetch_one(conn)
    .await?;
    entries(rows)
}

/// Complaint rows read as JSON arrays (id, project, complainant, target, month, filed_at).
fn entries(
    rows: Vec<(i64, String, String, String, String, String)>,
) -> anyhow::Result<Vec<ComplaintEntry>> {
    rows.into_iter()
        .map(|(id, project, complainant, target, month, filed_at)| {
            Ok(ComplaintEntry {
                id,
                project,
                complainant,
                target,
                month,
                filed_at: super::parse_ts(&filed_at)?,
            })
        })
        .collect()
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

/// Which of `keys` are notices in force: the levels a complaint mail can cross
/// ([`crate::rules::complaint::notices_in_question`]), each found by the primary key — an
/// engineer's notices of earlier levels, which pile up with every complaint, are not read.
pub async fn notices_in_force(
    conn: &mut SqliteConnection,
    keys: &[NoticeKey],
) -> anyhow::Result<HashSet<NoticeKey>> {
    if keys.is_empty() {
        return Ok(HashSet::new());
    }
    let keys = Json(keys);
    // NOTE: CROSS JOIN keeps the key list outside (SQLite's documented join-order rule), so
    // each key is one lookup of the primary key. `jsonb_each`: each key reaches the four `->>`
    // in binary form, not as text parsed four times (src/store/batch.rs).
    let rows = sqlx::query!(
        r#"SELECT n.engineer AS "engineer!", n.scope AS "scope!", n.period AS "period!",
                  n.level AS "level!"
           FROM jsonb_each(?1) k CROSS JOIN threshold_notices n
           WHERE n.engineer = k.value ->> 0 AND n.scope = k.value ->> 1
             AND n.period = k.value ->> 2 AND n.level = k.value ->> 3 AND n.active = 1"#,
        keys
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use chrono::TimeZone;
    use std::path::Path;

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("t.db")).await.expect("open");
        (dir, store)
    }

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0).unwrap()
    }

    /// Three complaints on project p: 孙丽 and 李娜 against 张三 in November, then 孙丽
    /// against 李四 in October (filed last). Foreign keys off: no mails behind them.
    async fn three(conn: &mut SqliteConnection) {
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut *conn)
            .await
            .expect("pragma");
        let rows = [
            (1, "孙丽", "张三", "2026-11", 1),
            (2, "李娜", "张三", "2026-11", 2),
            (3, "孙丽", "李四", "2026-10", 3),
        ];
        for (message, from, target, month, day) in rows {
            add(conn, message, "p", from, target, month, at(day))
                .await
                .expect("add");
        }
    }

    fn sorted(mut rows: Vec<(String, String, i64)>) -> Vec<(String, String, i64)> {
        rows.sort();
        rows
    }

    fn row(t: &str, m: &str, n: i64) -> (String, String, i64) {
        (t.to_string(), m.to_string(), n)
    }

    #[tokio::test]
    async fn the_running_counts_follow_every_complaint_added_and_ended_once() {
        let (_dir, store) = store().await;
        let mut conn = store.connection().await.expect("connection");
        three(&mut conn).await;
        let targets = ["张三".to_string(), "李四".to_string()];
        assert_eq!(
            sorted(
                month_counts_of(&mut conn, &targets, "")
                    .await
                    .expect("counts")
            ),
            vec![row("张三", "2026-11", 2), row("李四", "2026-10", 1)]
        );
        let first: i64 = sqlx::query_scalar("SELECT id FROM complaints WHERE message = 1")
            .fetch_one(&mut *conn)
            .await
            .expect("id");
        end(&mut conn, first, false, 10).await.expect("withdrawn");
        end(&mut conn, first, true, 11)
            .await
            .expect("ended already: no change");
        assert_eq!(
            sorted(
                month_counts_of(&mut conn, &targets, "")
                    .await
                    .expect("counts")
            ),
            vec![row("张三", "2026-11", 1), row("李四", "2026-10", 1)]
        );
        // The window's first month leaves earlier months out; everyone's counts agree.
        assert_eq!(
            month_counts_of(&mut conn, &targets, "2026-11")
                .await
                .expect("counts"),
            vec![row("张三", "2026-11", 1)]
        );
        let counted: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT target, month, count(*) FROM complaints WHERE status = 'active'
             GROUP BY target, month",
        )
        .fetch_all(&mut *conn)
        .await
        .expect("count");
        assert_eq!(
            sorted(month_counts(&mut conn).await.expect("all")),
            sorted(counted)
        );
    }

    #[tokio::test]
    async fn the_migration_counts_the_active_complaints_a_database_already_holds() {
        use sqlx::Connection;
        use sqlx::migrate::Migrator;
        const COUNTS: i64 = 20261203040100;
        let dir = tempfile::tempdir().expect("temp dir");
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.path().join("old.db"))
            .create_if_missing(true)
            .foreign_keys(false);
        let mut conn = SqliteConnection::connect_with(&options)
            .await
            .expect("connect");
        let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut before = Migrator::new(migrations.as_path())
            .await
            .expect("migrations");
        // The migrations as a database made before the counts had them (the field is public,
        // if semver-exempt, in sqlx 0.9).
        before.migrations = before
            .migrations
            .iter()
            .filter(|m| m.version < COUNTS)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        before.run(&mut conn).await.expect("old schema");
        for (message, target, month, status) in [
            (1, "张三", "2026-11", "active"),
            (2, "张三", "2026-11", "active"),
            (3, "张三", "2026-11", "withdrawn"),
            (4, "李四", "2026-10", "voided"),
            (5, "李四", "2026-09", "active"),
        ] {
            sqlx::query(
                "INSERT INTO complaints (message, project, complainant, target, month, filed_at,
                                         status)
                 VALUES (?, 'p', '孙丽', ?, ?, '2026-11-01T00:00:00Z', ?)",
            )
            .bind(message)
            .bind(target)
            .bind(month)
            .bind(status)
            .execute(&mut conn)
            .await
            .expect("old complaint");
        }
        let all = Migrator::new(migrations.as_path())
            .await
            .expect("migrations");
        all.run(&mut conn).await.expect("migrated");
        assert_eq!(
            sorted(month_counts(&mut conn).await.expect("counts")),
            vec![row("张三", "2026-11", 2), row("李四", "2026-09", 1)]
        );
    }

    #[tokio::test]
    async fn a_withdrawal_sees_the_latest_complaint_on_the_project_and_the_senders_latest() {
        let (_dir, store) = store().await;
        let mut conn = store.connection().await.expect("connection");
        three(&mut conn).await;
        let ids =
            |v: Vec<ActiveComplaint>| v.into_iter().map(|c| c.complainant).collect::<Vec<_>>();
        let for_lina = withdrawal_candidates(&mut conn, "p", "李娜")
            .await
            .expect("read");
        assert_eq!(ids(for_lina), vec!["孙丽", "李娜"]);
        let for_sunli = withdrawal_candidates(&mut conn, "p", "孙丽")
            .await
            .expect("read");
        assert_eq!(ids(for_sunli.clone()), vec!["孙丽"]);
        assert_eq!(
            for_sunli[0].target, "李四",
            "the latest filed, not the latest month"
        );
        let stranger = withdrawal_candidates(&mut conn, "p", "王五")
            .await
            .expect("read");
        assert_eq!(ids(stranger), vec!["孙丽"]);
        let none = withdrawal_candidates(&mut conn, "q", "孙丽")
            .await
            .expect("read");
        assert!(none.is_empty());
    }

    /// 40 complaints against 张三 through 2025, then the window's: 10-05 and 10-20, 11-02, and
    /// one of November filed before both October ones (its mail's Date is in November); a
    /// withdrawn one in the window is not listed.
    async fn history_and_window(conn: &mut SqliteConnection) {
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut *conn)
            .await
            .expect("pragma");
        let day = |m: u32, d: u32| Utc.with_ymd_and_hms(2026, m, d, 9, 0, 0).unwrap();
        for i in 0..40u32 {
            let month = format!("2025-{:02}", i % 12 + 1);
            let filed = Utc
                .with_ymd_and_hms(2025, i % 12 + 1, i % 28 + 1, 9, 0, 0)
                .unwrap();
            add(conn, i64::from(i) + 100, "p", "孙丽", "张三", &month, filed)
                .await
                .expect("add");
        }
        let window = [
            (1, "2026-11", day(10, 1)),
            (2, "2026-10", day(10, 5)),
            (3, "2026-10", day(10, 20)),
            (4, "2026-11", day(11, 2)),
            (5, "2026-11", day(11, 3)),
        ];
        for (message, month, filed) in window {
            add(conn, message, "p", "李娜", "张三", month, filed)
                .await
                .expect("add");
        }
        sqlx::query("UPDATE complaints SET status = 'withdrawn' WHERE message = 5")
            .execute(&mut *conn)
            .await
            .expect("withdraw");
    }

    fn messages_of(rows: &[ComplaintEntry], conn_ids: &[(i64, i64)]) -> Vec<i64> {
        rows.iter()
            .map(|r| {
                conn_ids
                    .iter()
                    .find(|(id, _)| *id == r.id)
                    .map_or(-1, |(_, m)| *m)
            })
            .collect()
    }

    #[tokio::test]
    async fn a_notice_lists_the_newest_of_its_window_and_of_its_month_whatever_the_history() {
        let (_dir, store) = store().await;
        let mut conn = store.connection().await.expect("conn");
        history_and_window(&mut conn).await;
        let ids: Vec<(i64, i64)> = sqlx::query_as("SELECT id, message FROM complaints")
            .fetch_all(&mut *conn)
            .await
            .expect("ids");
        // The two newest of September–November by when they were filed, across months (10-20,
        // 11-02), and November's two (10-01, 11-02): each once, oldest first.
        let two = listable(&mut conn, "张三", "2026-09", "2026-11", 2)
            .await
            .expect("read");
        assert_eq!(messages_of(&two, &ids), vec![1, 3, 4]);
        // November alone: the one filed in October first, the withdrawn one left out.
        let november = listable(&mut conn, "张三", "2026-11", "2026-11", 5)
            .await
            .expect("read");
        assert_eq!(messages_of(&november, &ids), vec![1, 4]);
        // A whole window longer than the list: the newest five, no month of 2025 among them.
        let five = listable(&mut conn, "张三", "2025-12", "2026-11", 5)
            .await
            .expect("read");
        assert_eq!(five.len(), 5);
        assert_eq!(messages_of(&five[1..], &ids), vec![1, 2, 3, 4]);
        assert_eq!(five[0].month, "2025-12");
        // From the start (no first month): the same, through the other statement.
        let from_start = listable(&mut conn, "张三", "", "2026-11", 5)
            .await
            .expect("read");
        assert_eq!(from_start, five);
        let two_from_start = listable(&mut conn, "张三", "", "2026-11", 2)
            .await
            .expect("read");
        assert_eq!(two_from_start, two);
    }
}
