//! `projects`: 立项 (第九条) and the uninitiated projects reports create (第十一条).

use super::{items, ts};
use crate::parse::ProjectKey;
use crate::rules::{OpenItemRef, Project, ProjectSheet};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use sqlx::types::Json;

/// The project with this key.
pub async fn get(conn: &mut SqliteConnection, key: &ProjectKey) -> anyhow::Result<Option<Project>> {
    let k = key.as_str();
    let row = sqlx::query!(
        r#"SELECT name, status = 'initiated' AS "initiated!: bool", responsible_sales,
                  first_presales, second_presales
           FROM projects WHERE key = ?"#,
        k
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| Project {
        key: key.clone(),
        name: r.name,
        initiated: r.initiated,
        responsible_sales: r.responsible_sales,
        first_presales: r.first_presales,
        second_presales: r.second_presales,
    }))
}

/// What a report can act on of its project's open items (第十七条).
#[derive(Debug, Default)]
pub struct ReportOpenItems {
    /// The sender's oldest open items (at most the `own` bound asked for) and every open item
    /// whose thread the mail names, oldest first.
    pub items: Vec<OpenItemRef>,
    /// How many open items the sender has on the project in all (the running count).
    pub own_open: i64,
}

/// A project row with the open items a report can act on, as JSON, and the sender's count.
struct ProjectWithItems {
    name: String,
    initiated: bool,
    responsible_sales: Option<String>,
    first_presales: Option<String>,
    second_presales: Option<String>,
    open_items: String,
    own_open: i64,
}

/// The project with this key and those of its open items (第十七条) a report can act on, in one
/// statement: `engineer`'s `own` oldest (the ack lists them; 「已解决」 on a report's thread
/// closes the sender's only one) with how many they have in all, and those whose threads are
/// `named` (a 成功 report closes the items it names, [`crate::rules::threads_named`]). Never
/// the project's whole list nor the sender's, which grow to hundreds on a busy project: each
/// part is found by an index, and the total is the running count `open_item_counts` (kept by
/// triggers in the transaction that opens or closes an item).
pub async fn get_with_open_items(
    conn: &mut SqliteConnection,
    key: &ProjectKey,
    engineer: &str,
    named: &[i64],
    own: usize,
) -> anyhow::Result<(Option<Project>, ReportOpenItems)> {
    let k = key.as_str();
    let own = i64::try_from(own).unwrap_or(i64::MAX);
    // The sender's oldest come from the (project, engineer, status, thread) index, which holds all
    // the list needs (the thread is copied onto the item: joining `reports` for it read a cold
    // page per item on a large database), in thread order, which is the order items were opened,
    // so LIMIT stops the walk. The bound is behind a subquery: with a bare `LIMIT ?4` SQLite plans
    // with the value bound, and the statement was prepared again at every call (replay of 10k
    // mails: 132 µs a call instead of 19; the same statement run on the bundled SQLite with the
    // bound hidden takes 30 µs). The named items are found from the reports' message index (a
    // report's thread is its message) and then by their report: CROSS JOIN fixes that order, and
    // INDEXED BY keeps the planner from searching the project's open items by (project, status)
    // for each named report, which it chose without it.
    //
    // A report that names no item (most of them) takes the statement without the named part:
    // its UNION and json_each cost 24 µs a call even with nothing named (6 µs without them, on
    // the database of a 10,000-mail replay).
    let row = if named.is_empty() {
        sqlx::query_as!(
            ProjectWithItems,
            r#"SELECT name, status = 'initiated' AS "initiated!: bool", responsible_sales,
                      first_presales, second_presales,
                      (SELECT json_group_array(json_object('id', id, 'thread', thread,
                                                           'engineer', engineer))
                       FROM (SELECT o.id, o.thread, o.engineer
                             FROM open_items o
                             WHERE o.project = p.key AND o.engineer = ?2 AND o.status = 'open'
                             ORDER BY o.thread, o.id LIMIT (SELECT ?3)))
                      AS "open_items!: String",
                      coalesce((SELECT c.n FROM open_item_counts c
                                WHERE c.project = p.key AND c.engineer = ?2), 0) AS "own_open!: i64"
               FROM projects p WHERE key = ?1"#,
            k,
            engineer,
            own
        )
        .fetch_optional(conn)
        .await?
    } else {
        let named = Json(named);
        sqlx::query_as!(
            ProjectWithItems,
            r#"SELECT name, status = 'initiated' AS "initiated!: bool", responsible_sales,
                  first_presales, second_presales,
                  (SELECT json_group_array(json_object('id', id, 'thread', thread,
                                                       'engineer', engineer))
                   FROM (SELECT * FROM (SELECT o.id, o.thread, o.engineer
                                        FROM open_items o
                                        WHERE o.project = p.key AND o.engineer = ?2
                                          AND o.status = 'open'
                                        ORDER BY o.thread, o.id LIMIT (SELECT ?4))
                         UNION
                         SELECT o.id, r.message AS thread, o.engineer
                         FROM reports r CROSS JOIN open_items o INDEXED BY open_items_report
                         WHERE r.message IN (SELECT value FROM json_each(?3))
                           AND o.report = r.id AND o.project = p.key AND o.status = 'open'))
                  AS "open_items!: String",
                  coalesce((SELECT c.n FROM open_item_counts c
                            WHERE c.project = p.key AND c.engineer = ?2), 0) AS "own_open!: i64"
           FROM projects p WHERE key = ?1"#,
            k,
            engineer,
            named,
            own
        )
        .fetch_optional(conn)
        .await?
    };
    let Some(r) = row else {
        return Ok((None, ReportOpenItems::default()));
    };
    let items = items::open_items_from_json(k, &r.open_items)?;
    let project = Project {
        key: key.clone(),
        name: r.name,
        initiated: r.initiated,
        responsible_sales: r.responsible_sales,
        first_presales: r.first_presales,
        second_presales: r.second_presales,
    };
    Ok((
        Some(project),
        ReportOpenItems {
            items,
            own_open: r.own_open,
        },
    ))
}

/// 第十一条: a report names a project with no 立项.
pub async fn create_uninitiated(
    conn: &mut SqliteConnection,
    key: &ProjectKey,
    name: &str,
    responsible_sales: Option<&str>,
    message: i64,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let key = key.as_str();
    let at = ts(at);
    sqlx::query!(
        "INSERT INTO projects (key, name, status, responsible_sales, created_at, message)
         VALUES (?, ?, 'uninitiated', ?, ?, ?)",
        key,
        name,
        responsible_sales,
        at,
        message
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// 立项: creates the project, or fills in / updates one that exists.
pub async fn initiate(
    conn: &mut SqliteConnection,
    sheet: &ProjectSheet,
    message: i64,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let extras: serde_json::Map<String, serde_json::Value> = sheet
        .extras
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into()))
        .collect();
    let key = sheet.key.as_str();
    let extras = Json(extras);
    let at = ts(at);
    sqlx::query!(
        "INSERT INTO projects (key, name, status, responsible_sales, first_presales, second_presales,
                               support_type, support_content, extras, created_at, initiated_at, message)
         VALUES (?1, ?2, 'initiated', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)
         ON CONFLICT (key) DO UPDATE SET
             status = 'initiated', responsible_sales = ?3, first_presales = ?4, second_presales = ?5,
             support_type = ?6, support_content = ?7, extras = ?8,
             initiated_at = coalesce(initiated_at, ?9), message = ?10",
        key,
        sheet.name,
        sheet.responsible_sales,
        sheet.first_presales,
        sheet.second_presales,
        sheet.support_type,
        sheet.support_content,
        extras,
        at,
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

    /// A connection to a new store with the project 星河 (foreign keys off on it, so reports need
    /// no mail rows), and a time.
    async fn xinghe() -> (
        tempfile::TempDir,
        sqlx::pool::PoolConnection<sqlx::Sqlite>,
        ProjectKey,
        DateTime<Utc>,
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("t.db")).await.expect("open");
        let mut conn = store.connection().await.expect("connection");
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut *conn)
            .await
            .expect("pragma");
        let key = ProjectKey::new("星河").expect("key");
        let at = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        create_uninitiated(&mut conn, &key, "星河", None, 1, at)
            .await
            .expect("project");
        (dir, conn, key, at)
    }

    /// A 问题遗留 report of `engineer` on 星河 (its message and id are `thread`) and its item.
    async fn item(conn: &mut SqliteConnection, thread: i64, engineer: &str, status: &str) {
        sqlx::query(
            "INSERT INTO reports (id, message, project, engineer, result, contact, method,
                                  content, priority, reported_at)
             VALUES (?1, ?1, '星河', ?2, '问题遗留', '王工', '电话', 'x', '一般', '2026-11-02')",
        )
        .bind(thread)
        .bind(engineer)
        .execute(&mut *conn)
        .await
        .expect("report");
        sqlx::query(
            "INSERT INTO open_items (report, project, engineer, description, priority, opened_at,
                                     status)
             VALUES (?1, '星河', ?2, 'x', '一般', '2026-11-02', ?3)",
        )
        .bind(thread)
        .bind(engineer)
        .bind(status)
        .execute(&mut *conn)
        .await
        .expect("item");
    }

    #[tokio::test]
    async fn a_report_loads_the_senders_open_items_and_the_ones_it_names_only() {
        let (_dir, mut conn, key, _) = xinghe().await;
        // Reports 10..=15 (their message = their thread), each with an open item; 12 closed.
        for (thread, engineer) in [
            (10, "张三"),
            (11, "李四"),
            (12, "李四"),
            (13, "李四"),
            (14, "张三"),
            (15, "王五"),
        ] {
            let status = if thread == 12 { "closed" } else { "open" };
            item(&mut conn, thread, engineer, status).await;
        }
        let (project, open) = get_with_open_items(&mut conn, &key, "张三", &[11, 12, 99], 20)
            .await
            .expect("read");
        assert!(project.is_some());
        let threads: Vec<i64> = open.items.iter().map(|o| o.thread).collect();
        assert_eq!(
            threads,
            vec![10, 11, 14],
            "own (10, 14) and named open (11)"
        );
        assert_eq!(open.own_open, 2);
        let (_, none) = get_with_open_items(&mut conn, &key, "赵六", &[], 20)
            .await
            .expect("read");
        assert!(none.items.is_empty());
        assert_eq!(none.own_open, 0);
    }

    #[tokio::test]
    async fn an_open_item_carries_its_reports_thread_however_it_was_written() {
        let (_dir, mut conn, key, at) = xinghe().await;
        // Two reports whose row ids (7, 8) are not their messages (70, 80).
        for (id, message) in [(7, 70), (8, 80)] {
            sqlx::query(
                "INSERT INTO reports (id, message, project, engineer, result, contact, method,
                                      content, priority, reported_at)
                 VALUES (?, ?, '星河', '张三', '问题遗留', '王工', '电话', 'x', '一般', '2026-11-02')",
            )
            .bind(id)
            .bind(message)
            .execute(&mut *conn)
            .await
            .expect("report");
        }
        // The first as a writer that leaves the thread out, the second as the engine writes it.
        sqlx::query(
            "INSERT INTO open_items (report, project, engineer, description, priority, opened_at)
             VALUES (7, '星河', '张三', 'x', '一般', '2026-11-02')",
        )
        .execute(&mut *conn)
        .await
        .expect("item without its thread");
        let item = crate::store::tracking::NewOpenItem {
            report: 8,
            thread: 80,
            project: "星河",
            engineer: "张三",
            description: "y",
            priority: "一般",
            opened_at: at,
            response_due: at,
            resolution_due: at,
        };
        crate::store::tracking::add_open_item(&mut conn, &item)
            .await
            .expect("item");
        let (_, open) = get_with_open_items(&mut conn, &key, "张三", &[], 20)
            .await
            .expect("read");
        let threads: Vec<i64> = open.items.iter().map(|o| o.thread).collect();
        assert_eq!(threads, vec![70, 80]);
    }

    #[tokio::test]
    async fn a_report_loads_the_senders_oldest_open_items_up_to_the_bound_and_counts_them_all() {
        let (_dir, mut conn, key, at) = xinghe().await;
        // 张三 leaves 25 open items (threads 101..=125, item ids 1..=25); 李四 one.
        for (thread, engineer) in (101..=125).map(|t| (t, "张三")).chain([(200, "李四")]) {
            item(&mut conn, thread, engineer, "open").await;
        }
        let (_, open) = get_with_open_items(&mut conn, &key, "张三", &[124], 20)
            .await
            .expect("read");
        let threads: Vec<i64> = open.items.iter().map(|o| o.thread).collect();
        let mut expected: Vec<i64> = (101..=120).collect();
        expected.push(124);
        assert_eq!(threads, expected, "the oldest 20 and the one named");
        assert_eq!(open.own_open, 25);
        // Closing one (however it is closed) counts it out in the same transaction.
        items::close_open_item(&mut conn, 3, 2, at)
            .await
            .expect("close");
        items::close_open_item(&mut conn, 3, 2, at)
            .await
            .expect("closing twice");
        let (_, open) = get_with_open_items(&mut conn, &key, "张三", &[], 20)
            .await
            .expect("read");
        assert_eq!(open.own_open, 24);
        assert_eq!(open.items.len(), 20);
        assert_eq!(open.items.last().map(|o| o.thread), Some(121));
        let (_, theirs) = get_with_open_items(&mut conn, &key, "李四", &[], 20)
            .await
            .expect("read");
        assert_eq!(theirs.own_open, 1);
    }
}
