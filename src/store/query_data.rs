//! What the mail queries read (queries.md §1) beyond [`super::queries`], and the HTML part and
//! attachments of a query reply, set on its outbox row in the mail's transaction.

use super::queries::ProjectRow;
use crate::mail::outbound::Attachment;
use serde::Serialize;
use sqlx::SqliteConnection;

/// Sets the HTML part and attachments of the outbox row with `message_id` (a reply the engine
/// just queued); nothing when there is no such row.
pub async fn set_parts(
    conn: &mut SqliteConnection,
    message_id: &str,
    html: &str,
    attachments: &[Attachment],
) -> anyhow::Result<()> {
    let id: Option<i64> = sqlx::query_scalar!(
        "UPDATE outbox SET html = ? WHERE message_id = ? RETURNING id",
        html,
        message_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        return Ok(());
    };
    for (i, a) in attachments.iter().enumerate() {
        let position = i64::try_from(i)?;
        sqlx::query!(
            "INSERT OR REPLACE INTO outbox_attachments (outbox, position, filename, content_type,
                                                         content)
             VALUES (?, ?, ?, ?, ?)",
            id,
            position,
            a.filename,
            a.content_type,
            a.content
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Every project, by name (to find the closest names to an unknown one).
pub async fn projects(conn: &mut SqliteConnection) -> anyhow::Result<Vec<ProjectRow>> {
    Ok(sqlx::query_as!(
        ProjectRow,
        r#"SELECT key AS "key!", name, status, responsible_sales, first_presales, second_presales,
                  support_type, support_content, created_at, initiated_at
           FROM projects ORDER BY name"#
    )
    .fetch_all(conn)
    .await?)
}

/// Whether the 「技术支持可能暂停」 notice (第十一条) went out for the project.
pub async fn support_may_stop(conn: &mut SqliteConnection, key: &str) -> anyhow::Result<bool> {
    let key = format!("support_may_stop:{key}");
    let n: i64 = sqlx::query_scalar!("SELECT count(*) FROM due_events WHERE key = ?", key)
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// An open item still open, with what the SLA says of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OpenLine {
    /// Thread (n of [SB-n]).
    pub thread: i64,
    /// Project key.
    pub project: String,
    /// The project's name.
    pub project_name: String,
    /// 第一售前 of the project.
    pub first_presales: Option<String>,
    /// Engineer who reported it.
    pub engineer: String,
    /// 遗留的问题描述.
    pub description: String,
    /// 紧急 / 重要 / 一般.
    pub priority: String,
    /// RFC 3339 UTC.
    pub opened_at: String,
    /// SLA response deadline.
    pub response_due: Option<String>,
    /// SLA resolution deadline.
    pub resolution_due: Option<String>,
}

/// Whose open items a query lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose<'a> {
    /// Everyone's.
    All,
    /// One project's (key).
    Project(&'a str),
    /// Those someone reported or is 第一售前 of (a presales' own).
    Presales(&'a str),
    /// Those someone reported (what they owe: 查询-待办).
    Engineer(&'a str),
}

/// Open items still open, oldest first, at most `limit` (the index on `opened_at` gives them in
/// order, so only those are read).
pub async fn open_items(
    conn: &mut SqliteConnection,
    whose: Whose<'_>,
    limit: i64,
) -> anyhow::Result<Vec<OpenLine>> {
    match whose {
        Whose::Project(key) => open_items_of_project(conn, key, limit).await,
        Whose::Engineer(name) => open_items_of_engineer(conn, name, limit).await,
        Whose::Presales(name) => open_items_of_presales(conn, name, limit).await,
        Whose::All => open_items_walked(conn, None, limit).await,
    }
}

async fn open_items_of_project(
    conn: &mut SqliteConnection,
    key: &str,
    limit: i64,
) -> anyhow::Result<Vec<OpenLine>> {
    Ok(sqlx::query_as!(
        OpenLine,
        r#"SELECT o.thread AS "thread!", o.project, p.name AS project_name,
                  p.first_presales, o.engineer, o.description, o.priority, o.opened_at,
                  o.response_due, o.resolution_due
           FROM open_items o JOIN projects p ON p.key = o.project
           WHERE o.project = ? AND o.status = 'open'
           ORDER BY o.opened_at, o.id LIMIT (SELECT ?)"#,
        key,
        limit
    )
    .fetch_all(conn)
    .await?)
}

/// By the engineer's own open items in opening order: an engineer with none reads nothing.
async fn open_items_of_engineer(
    conn: &mut SqliteConnection,
    name: &str,
    limit: i64,
) -> anyhow::Result<Vec<OpenLine>> {
    Ok(sqlx::query_as!(
        OpenLine,
        r#"SELECT o.thread AS "thread!", o.project, p.name AS project_name,
                  p.first_presales, o.engineer, o.description, o.priority, o.opened_at,
                  o.response_due, o.resolution_due
           FROM open_items o INDEXED BY open_items_engineer_open
           JOIN projects p ON p.key = o.project
           WHERE o.engineer = ?1 AND o.status = 'open'
           ORDER BY o.opened_at, o.id LIMIT (SELECT ?2)"#,
        name,
        limit
    )
    .fetch_all(conn)
    .await?)
}

/// Up to this many open items on a presales' projects, [`open_items_of_presales`] reads them
/// all and sorts them; past it, it walks every open item in opening order, which soon finds
/// `limit` of theirs.
const PRESALES_SORTED_UP_TO: i64 = 5000;

/// A presales' open items: those they reported and those on projects they are 第一售前 of. Walking
/// every open item in opening order until `limit` of theirs is quick for one with many, but for
/// one with few (a presales new to the department) it is every open item: 0.1 s at 300,000.
/// So their projects' open items are counted first, up to [`PRESALES_SORTED_UP_TO`].
async fn open_items_of_presales(
    conn: &mut SqliteConnection,
    name: &str,
    limit: i64,
) -> anyhow::Result<Vec<OpenLine>> {
    let bound = PRESALES_SORTED_UP_TO;
    let on_theirs = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!: i64" FROM (
               SELECT 1 FROM projects p
               JOIN open_items o INDEXED BY open_items_project_since
                 ON o.project = p.key AND o.status = 'open'
               WHERE p.first_presales = ?1 LIMIT (SELECT ?2))"#,
        name,
        bound
    )
    .fetch_one(&mut *conn)
    .await?;
    if on_theirs >= bound {
        return open_items_walked(conn, Some(name), limit).await;
    }
    open_items_of_presales_sorted(conn, name, limit).await
}

/// The first `limit` of the presales' own open items (by the engineer index) and every open item
/// on their projects, sorted: few rows when their projects have few open items.
async fn open_items_of_presales_sorted(
    conn: &mut SqliteConnection,
    name: &str,
    limit: i64,
) -> anyhow::Result<Vec<OpenLine>> {
    Ok(sqlx::query_as!(
        OpenLine,
        r#"SELECT o.thread AS "thread!", o.project, p.name AS project_name, p.first_presales,
                  o.engineer, o.description, o.priority, o.opened_at, o.response_due,
                  o.resolution_due
           FROM open_items o JOIN projects p ON p.key = o.project
           WHERE o.id IN (
               SELECT id FROM (
                   SELECT id FROM open_items INDEXED BY open_items_engineer_open
                   WHERE engineer = ?1 AND status = 'open'
                   ORDER BY opened_at, id LIMIT (SELECT ?2))
               UNION ALL
               SELECT o2.id FROM projects p2
               JOIN open_items o2 INDEXED BY open_items_project_since
                 ON o2.project = p2.key AND o2.status = 'open'
               WHERE p2.first_presales = ?1)
           ORDER BY o.opened_at, o.id LIMIT (SELECT ?2)"#,
        name,
        limit
    )
    .fetch_all(conn)
    .await?)
}

/// Every open item in opening order, kept when `presales` (if any) reported it or is the
/// project's 第一售前, until `limit`: quick for one with many items, a walk of every open item
/// for one with few.
async fn open_items_walked(
    conn: &mut SqliteConnection,
    presales: Option<&str>,
    limit: i64,
) -> anyhow::Result<Vec<OpenLine>> {
    Ok(sqlx::query_as!(
        OpenLine,
        r#"SELECT o.thread AS "thread!", o.project, p.name AS project_name, p.first_presales,
                  o.engineer, o.description, o.priority, o.opened_at, o.response_due,
                  o.resolution_due
           FROM open_items o JOIN projects p ON p.key = o.project
           WHERE o.status = 'open'
             AND (?1 IS NULL OR o.engineer = ?1 OR p.first_presales = ?1)
           ORDER BY o.opened_at, o.id LIMIT (SELECT ?2)"#,
        presales,
        limit
    )
    .fetch_all(conn)
    .await?)
}

/// The newest `limit` rows of `owner`'s 项目跟踪表 (第十六条), in report order (date, then
/// report). Read from the newest report backwards, stopping at `limit`: a whole table can hold
/// hundreds of thousands of rows ([`super::tracking::tracking`] reads all of them).
pub async fn tracking_latest(
    conn: &mut SqliteConnection,
    owner: &str,
    limit: i64,
) -> anyhow::Result<Vec<super::tracking::TrackingRow>> {
    struct Row {
        id: i64,
        row: super::tracking::TrackingRow,
    }
    // NOTE: CROSS JOIN fixes the join order (SQLite's documented rule): reports newest first
    // by rowid, so the LIMIT ends the walk; otherwise the planner starts from the owner's
    // projects and sorts every row of the table.
    let rows = sqlx::query!(
        r#"SELECT r.id, p.first_presales AS "owner!", p.key AS "project!", p.name AS project_name,
                  m.event_at AS date, r.engineer, r.result, r.content, m.dedup_key AS message_id,
                  r.contact, r.method, r.leftover
           FROM reports r CROSS JOIN projects p CROSS JOIN messages m
           WHERE p.key = r.project AND m.id = r.message AND p.first_presales = ?
           ORDER BY r.id DESC LIMIT (SELECT ?)"#,
        owner,
        limit
    )
    .fetch_all(conn)
    .await?;
    let mut rows: Vec<Row> = rows
        .into_iter()
        .map(|r| Row {
            id: r.id,
            row: super::tracking::TrackingRow {
                owner: r.owner,
                project: r.project,
                project_name: r.project_name,
                date: r.date,
                engineer: r.engineer,
                result: r.result,
                content: r.content,
                message_id: r.message_id,
                contact: r.contact,
                method: r.method,
                leftover: r.leftover,
            },
        })
        .collect();
    rows.sort_by(|a, b| (&a.row.date, a.id).cmp(&(&b.row.date, b.id)));
    Ok(rows.into_iter().map(|r| r.row).collect())
}

/// The project's newest `limit` accepted reports, oldest of them first.
pub async fn reports_latest(
    conn: &mut SqliteConnection,
    key: &str,
    limit: i64,
) -> anyhow::Result<Vec<super::queries::ReportLine>> {
    let mut rows = sqlx::query_as!(
        super::queries::ReportLine,
        "SELECT m.event_at AS date, r.engineer, r.result, r.content, r.message AS thread
         FROM reports r JOIN messages m ON m.id = r.message WHERE r.project = ?
         ORDER BY r.reported_at DESC, r.id DESC LIMIT (SELECT ?)",
        key,
        limit
    )
    .fetch_all(conn)
    .await?;
    rows.reverse();
    rows.sort_by(|a, b| a.date.cmp(&b.date));
    Ok(rows)
}

/// The project's newest `limit` complaints, oldest of them first.
pub async fn complaints_latest(
    conn: &mut SqliteConnection,
    key: &str,
    limit: i64,
) -> anyhow::Result<Vec<super::queries::ComplaintLine>> {
    // NOTE: the index on (project, id) hands the project's complaints over newest first, so
    // the walk stops at the LIMIT without a sort or a look at other projects' complaints.
    let mut rows = sqlx::query_as!(
        super::queries::ComplaintLine,
        "SELECT filed_at, complainant, target, month, status FROM complaints
         WHERE project = ? ORDER BY id DESC LIMIT (SELECT ?)",
        key,
        limit
    )
    .fetch_all(conn)
    .await?;
    rows.reverse();
    Ok(rows)
}

/// Fault orders not yet finished (someone owes a step), oldest first.
pub async fn active_faults(
    conn: &mut SqliteConnection,
) -> anyhow::Result<Vec<super::queries::FaultLine>> {
    Ok(sqlx::query_as!(
        super::queries::FaultLine,
        r#"SELECT message AS thread, project, proposer, priority, state, lead,
                  conversion_proposed AS "conversion_proposed: bool", filed_at, updated_at,
                  response_due, resolution_due
           FROM fault_orders
           WHERE state IN ('pending_approval', 'with_rd_manager', 'assigned', 'closure_requested')
           ORDER BY id"#
    )
    .fetch_all(conn)
    .await?)
}

/// The project's fault orders not yet finished, oldest first, by the index on (project, state).
pub async fn active_faults_of(
    conn: &mut SqliteConnection,
    key: &str,
) -> anyhow::Result<Vec<super::queries::FaultLine>> {
    Ok(sqlx::query_as!(
        super::queries::FaultLine,
        r#"SELECT message AS thread, project, proposer, priority, state, lead,
                  conversion_proposed AS "conversion_proposed: bool", filed_at, updated_at,
                  response_due, resolution_due
           FROM fault_orders INDEXED BY fault_orders_project_state
           WHERE project = ?1
             AND state IN ('pending_approval', 'with_rd_manager', 'assigned', 'closure_requested')
           ORDER BY id"#,
        key
    )
    .fetch_all(conn)
    .await?)
}

/// The project's latest `limit` fault orders in any state, newest first, walked down the index
/// on the project.
pub async fn faults_latest(
    conn: &mut SqliteConnection,
    key: &str,
    limit: i64,
) -> anyhow::Result<Vec<super::queries::FaultLine>> {
    Ok(sqlx::query_as!(
        super::queries::FaultLine,
        r#"SELECT message AS thread, project, proposer, priority, state, lead,
                  conversion_proposed AS "conversion_proposed: bool", filed_at, updated_at,
                  response_due, resolution_due
           FROM fault_orders INDEXED BY fault_orders_project
           WHERE project = ?1 ORDER BY id DESC LIMIT (SELECT ?2)"#,
        key,
        limit
    )
    .fetch_all(conn)
    .await?)
}

/// Projects reported on but not initiated whose 责任销售 is `sales` (第十一条: 立项 to file).
pub async fn uninitiated_of(
    conn: &mut SqliteConnection,
    sales: &str,
) -> anyhow::Result<Vec<ProjectRow>> {
    Ok(sqlx::query_as!(
        ProjectRow,
        r#"SELECT key AS "key!", name, status, responsible_sales, first_presales, second_presales,
                  support_type, support_content, created_at, initiated_at
           FROM projects WHERE status = 'uninitiated' AND responsible_sales = ?
           ORDER BY created_at"#,
        sales
    )
    .fetch_all(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::{Whose, open_items, tracking_latest};
    use crate::store::Store;

    /// A store with projects `p0` (张三's) and `p1` (李四's) and `n` reports alternating
    /// between them, each leaving an open item; report `i` is dated `i` minutes after
    /// midnight, and item `i` opened in reverse order (the last one first).
    async fn archive(n: i64) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("t.db")).await.expect("open");
        let mut conn = store.connection().await.expect("connection");
        sqlx::raw_sql(
            "INSERT INTO messages (id, dedup_key, subject, sender, kind, outcome, reasons, flags,
                                   event_at, handled_at)
             VALUES (1000, 'init', '立项', 'a', 'initiation', 'accepted', '[]', '[]',
                     '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
             INSERT INTO projects (key, name, status, first_presales, created_at, message)
             VALUES ('p0', '零号项目', 'initiated', '张三', '2026-01-01T00:00:00Z', 1000),
                    ('p1', '一号项目', 'initiated', '李四', '2026-01-01T00:00:00Z', 1000);",
        )
        .execute(&mut *conn)
        .await
        .expect("projects");
        for i in 0..n {
            let at = format!("2026-01-02T{:02}:{:02}:00Z", i / 60, i % 60);
            let opened = format!("2026-01-03T{:02}:{:02}:00Z", (n - i) / 60, (n - i) % 60);
            let project = format!("p{}", i % 2);
            let content = format!("第{i}次");
            let report = crate::store::testkit::Report {
                id: i,
                project: &project,
                at: &at,
                result: "问题遗留",
                content: &content,
                ..Default::default()
            };
            let report = crate::store::testkit::report(&mut conn, report).await;
            sqlx::query(
                "INSERT INTO open_items (report, project, engineer, description, priority, opened_at)
                 VALUES (?, ?, ?, '遗留', '一般', ?)",
            )
            .bind(report)
            .bind(&project)
            .bind(if i % 2 == 0 { "张三" } else { "李四" })
            .bind(&opened)
            .execute(&mut *conn)
            .await
            .expect("item");
        }
        drop(conn);
        (dir, store)
    }

    #[tokio::test]
    async fn a_tracking_reply_reads_the_newest_rows_of_the_table_in_report_order() {
        let (_dir, store) = archive(10).await;
        let mut conn = store.connection().await.expect("connection");
        let rows = tracking_latest(&mut conn, "张三", 3).await.expect("rows");
        let contents: Vec<&str> = rows.iter().map(|r| r.content.as_str()).collect();
        assert_eq!(contents, ["第4次", "第6次", "第8次"]);
        assert!(rows.iter().all(|r| r.owner == "张三" && r.project == "p0"));
    }

    #[tokio::test]
    async fn open_items_are_read_oldest_first_up_to_the_bound_for_whom_they_concern() {
        let (_dir, store) = archive(10).await;
        let mut conn = store.connection().await.expect("connection");
        let oldest = |items: Vec<super::OpenLine>| -> Vec<String> {
            items.into_iter().map(|o| o.opened_at).collect()
        };
        let all = oldest(open_items(&mut conn, Whose::All, 3).await.expect("all"));
        assert_eq!(
            all,
            [
                "2026-01-03T00:01:00Z",
                "2026-01-03T00:02:00Z",
                "2026-01-03T00:03:00Z"
            ]
        );
        let own = open_items(&mut conn, Whose::Engineer("张三"), 100)
            .await
            .expect("own");
        assert_eq!(own.len(), 5);
        assert!(own.iter().all(|o| o.engineer == "张三"));
        // 李四's own: those 李四 reported, and those on p1, whose 第一售前 李四 is.
        let presales = open_items(&mut conn, Whose::Presales("李四"), 100)
            .await
            .expect("presales");
        assert!(presales.iter().all(|o| o.project == "p1") && presales.len() == 5);
        // Both ways of reading a presales' items give the same rows: 王五 reported two items on
        // p0 (张三's project), so they are his and still 张三's.
        sqlx::query("UPDATE open_items SET engineer = '王五' WHERE id IN (1, 3)")
            .execute(&mut *conn)
            .await
            .expect("王五's");
        for (name, n) in [("张三", 5), ("王五", 2), ("李四", 5), ("赵六", 0)] {
            for limit in [1, 3, 100] {
                let sorted = super::open_items_of_presales_sorted(&mut conn, name, limit)
                    .await
                    .expect("sorted");
                let walked = super::open_items_walked(&mut conn, Some(name), limit)
                    .await
                    .expect("walked");
                assert_eq!(sorted.len(), n.min(limit as usize), "{name} {limit}");
                assert_eq!(sorted, walked, "{name} {limit}");
            }
        }
        let project = open_items(&mut conn, Whose::Project("p0"), 2)
            .await
            .expect("project");
        assert_eq!(
            oldest(project),
            ["2026-01-03T00:02:00Z", "2026-01-03T00:04:00Z"]
        );
    }
}
