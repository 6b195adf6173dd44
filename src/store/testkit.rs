//! Test set-up for the modules that read the store: the rows an accepted report leaves (its mail
//! and its 项目跟踪表 row), written straight into SQLite. One place, so the fixtures of the
//! digests, reports and query data say only what differs.

use sqlx::SqliteConnection;

/// An accepted report as a fixture needs it; [`Default`] fills what a test does not care about.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Report<'a> {
    /// The mail's row id (the report's `message`, and its thread).
    pub id: i64,
    /// Project key.
    pub project: &'a str,
    /// Event time, RFC 3339 UTC: the mail's `event_at` and the report's `reported_at`.
    pub at: &'a str,
    /// 技服人员.
    pub engineer: &'a str,
    /// 成功 / 问题遗留.
    pub result: &'a str,
    /// 沟通人.
    pub contact: &'a str,
    /// 沟通的具体问题.
    pub content: &'a str,
    /// 遗留的问题描述.
    pub leftover: Option<&'a str>,
}

impl Default for Report<'_> {
    fn default() -> Self {
        Report {
            id: 1,
            project: "星河",
            at: "2026-11-02T01:00:00Z",
            engineer: "张三",
            result: "成功",
            contact: "王工",
            content: "x",
            leftover: None,
        }
    }
}

/// Writes the 立项 mail `id` at `at` (what a project row points at).
pub(crate) async fn initiation(conn: &mut SqliteConnection, id: i64, at: &str) {
    sqlx::query(
        "INSERT INTO messages (id, dedup_key, subject, sender, kind, outcome, reasons, flags,
                               event_at, handled_at)
         VALUES (?1, 'i' || ?1 || '@example.com', 's', 'a@example.com', 'initiation', 'accepted',
                 '[]', '[]', ?2, ?2)",
    )
    .bind(id)
    .bind(at)
    .execute(conn)
    .await
    .expect("initiation");
}

/// Writes `r`'s mail (Message-ID `m<id>@example.com`) and its report row; returns the report's
/// row id.
pub(crate) async fn report(conn: &mut SqliteConnection, r: Report<'_>) -> i64 {
    sqlx::query(
        "INSERT INTO messages (id, dedup_key, subject, sender, kind, outcome, reasons, flags,
                               project, event_at, handled_at)
         VALUES (?1, 'm' || ?1 || '@example.com', 's', 'a@example.com', 'report', 'accepted',
                 '[]', '[]', ?2, ?3, ?3)",
    )
    .bind(r.id)
    .bind(r.project)
    .bind(r.at)
    .execute(&mut *conn)
    .await
    .expect("report mail");
    sqlx::query(
        "INSERT INTO reports (message, project, engineer, result, contact, method, content,
                              leftover, priority, reported_at)
         VALUES (?, ?, ?, ?, ?, '电话', ?, ?, '一般', ?)",
    )
    .bind(r.id)
    .bind(r.project)
    .bind(r.engineer)
    .bind(r.result)
    .bind(r.contact)
    .bind(r.content)
    .bind(r.leftover)
    .bind(r.at)
    .execute(conn)
    .await
    .expect("report")
    .last_insert_rowid()
}
