//! `reports` and `open_items`: the 项目跟踪表 (第十六条) and 遗留问题 (第十七条).

use super::ts;
use crate::rules::ReportRow;
use chrono::{DateTime, Utc};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use sqlx::SqliteConnection;
use sqlx::types::Json;

/// Records an accepted report; returns its row id.
pub async fn add_report(
    conn: &mut SqliteConnection,
    message: i64,
    r: &ReportRow,
    at: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let project = r.project.as_str();
    let at = ts(at);
    let id = sqlx::query!(
        "INSERT INTO reports (message, project, engineer, result, contact, method, content, leftover,
                              priority, communicated_at, reported_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        message,
        project,
        r.engineer,
        r.result,
        r.contact,
        r.method,
        r.content,
        r.leftover,
        r.priority,
        r.communicated_at,
        at
    )
    .execute(conn)
    .await?
    .last_insert_rowid();
    Ok(id)
}

/// An open item as a 问题遗留 report opens it (第十七条): its SLA deadlines come with it.
pub struct NewOpenItem<'a> {
    /// The report row that opens it.
    pub report: i64,
    /// The mail row that report was recorded from (the item's thread).
    pub thread: i64,
    /// Project key.
    pub project: &'a str,
    /// Who reported it.
    pub engineer: &'a str,
    /// The 问题遗留 text.
    pub description: &'a str,
    /// Its priority.
    pub priority: &'a str,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// When a response is due.
    pub response_due: DateTime<Utc>,
    /// When its resolution is due.
    pub resolution_due: DateTime<Utc>,
}

/// Opens an item, deadlines included, in one statement; returns its row id.
pub async fn add_open_item(
    conn: &mut SqliteConnection,
    o: &NewOpenItem<'_>,
) -> anyhow::Result<i64> {
    let (at, response_due, resolution_due) =
        (ts(o.opened_at), ts(o.response_due), ts(o.resolution_due));
    Ok(sqlx::query!(
        "INSERT INTO open_items (report, thread, project, engineer, description, priority,
                                 opened_at, response_due, resolution_due)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        o.report,
        o.thread,
        o.project,
        o.engineer,
        o.description,
        o.priority,
        at,
        response_due,
        resolution_due
    )
    .execute(conn)
    .await?
    .last_insert_rowid())
}

/// One row of a 项目跟踪表 (interface.md `report tracking`).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct TrackingRow {
    /// The 第一售前 whose table it is.
    pub owner: String,
    /// Project key, as in `report messages` (interface.md).
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
    /// The project's name as its 立项 (or first report) wrote it, for people to read; last, so
    /// the CSV columns before it keep their places.
    pub project_name: String,
    /// 沟通人 (added after the others, so earlier CSV columns keep their places).
    pub contact: String,
    /// 沟通方式.
    pub method: String,
    /// 遗留的问题描述, when 问题遗留.
    pub leftover: Option<String>,
}

/// Every presales' tracking table, or one person's: reports on projects whose 第一售前 they are.
/// Everyone's is read one presales at a time, so no more than one table is in flight at once.
pub async fn tracking(
    conn: &mut SqliteConnection,
    owner: Option<&str>,
) -> anyhow::Result<Vec<TrackingRow>> {
    if let Some(owner) = owner {
        return table_of(conn, owner).await;
    }
    let owners = sqlx::query_scalar!(
        r#"SELECT DISTINCT first_presales AS "first_presales!" FROM projects
           WHERE first_presales IS NOT NULL ORDER BY first_presales"#
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut rows = Vec::new();
    for owner in &owners {
        rows.extend(table_of(conn, owner).await?);
    }
    Ok(rows)
}

/// A tracking row as SQLite's `json_array` hands it over: project key, date, engineer, result,
/// content, message_id, report id, project name, contact, method, leftover.
#[derive(serde::Deserialize)]
struct Row(
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
);

impl Row {
    /// Puts rows in report order: by date, then report. `json_group_array` promises no order.
    fn order(rows: &mut [Row]) {
        rows.sort_by(|a, b| a.key().cmp(&b.key()));
    }

    /// Where the row stands in report order: its date, then its report.
    fn key(&self) -> (&str, i64) {
        (&self.1, self.6)
    }

    fn into_row(self, owner: &str) -> TrackingRow {
        TrackingRow {
            owner: owner.to_string(),
            project: self.0,
            project_name: self.7,
            date: self.1,
            engineer: self.2,
            result: self.3,
            content: self.4,
            message_id: self.5,
            contact: self.8,
            method: self.9,
            leftover: self.10,
        }
    }
}

/// One presales' table, in report order. Read as one JSON row: sqlx hands every row of a result
/// over from SQLite's thread on its own, and a table can hold hundreds of thousands of rows
/// (200,000 rows of a 1,000,000-mail archive: 1.0 s row by row, 0.48 s as JSON).
async fn table_of(conn: &mut SqliteConnection, owner: &str) -> anyhow::Result<Vec<TrackingRow>> {
    let Json(mut rows) = sqlx::query_scalar!(
        r#"SELECT json_group_array(json_array(p.key, m.event_at, r.engineer, r.result, r.content,
                                              m.dedup_key, r.id, p.name, r.contact, r.method,
                                              r.leftover)) AS "rows!: Json<Vec<Row>>"
           FROM projects p JOIN reports r ON r.project = p.key JOIN messages m ON m.id = r.message
           WHERE p.first_presales = ?"#,
        owner
    )
    .fetch_one(conn)
    .await?;
    Row::order(&mut rows);
    Ok(rows.into_iter().map(|r| r.into_row(owner)).collect())
}

/// Whose tables `report tracking` writes: `person` alone, or every 第一售前 of a project, by name.
pub async fn owners(
    conn: &mut SqliteConnection,
    person: Option<&str>,
) -> anyhow::Result<Vec<String>> {
    if let Some(p) = person {
        return Ok(vec![p.to_string()]);
    }
    Ok(sqlx::query_scalar!(
        r#"SELECT DISTINCT first_presales AS "first_presales!" FROM projects
           WHERE first_presales IS NOT NULL ORDER BY first_presales"#
    )
    .fetch_all(conn)
    .await?)
}

/// One presales' table as a stream, in report order (date, then report), for `report tracking`:
/// its memory does not grow with the table. The rows come from SQLite a day at a time, each day
/// as one JSON row put in order here: handed over one by one, sqlx's per-row cost (a row copied
/// and sent to this thread) was as large as SQLite's reading (perf on the skewed 1M benchmark,
/// 600,000 rows). No index can give the order (a presales' reports
/// span their projects, and the 第一售前 is on the project, not the report), so SQLite sorts
/// for the GROUP BY; its sorter spills to temporary files past the page cache (temp_store is
/// left at its default, a file), so its memory is bounded too, and a day is the most held here.
/// A day's prefix of the stored RFC 3339 text groups rows that the text's order keeps
/// together, so days in order and each day in order is the table in order.
pub fn rows_of<'c>(
    conn: &'c mut SqliteConnection,
    owner: &'c str,
) -> BoxStream<'c, anyhow::Result<TrackingRow>> {
    sqlx::query_scalar!(
        r#"SELECT json_group_array(json_array(p.key, m.event_at, r.engineer, r.result, r.content,
                                              m.dedup_key, r.id, p.name, r.contact, r.method,
                                              r.leftover)) AS "rows!: Json<Vec<Row>>"
           FROM projects p JOIN reports r ON r.project = p.key JOIN messages m ON m.id = r.message
           WHERE p.first_presales = ?
           GROUP BY substr(m.event_at, 1, 10)
           ORDER BY substr(m.event_at, 1, 10)"#,
        owner
    )
    .fetch(conn)
    .map_err(anyhow::Error::from)
    .map_ok(move |Json(mut day)| {
        Row::order(&mut day);
        futures_util::stream::iter(day.into_iter().map(move |r| Ok(r.into_row(owner))))
    })
    .try_flatten()
    .boxed()
}

/// Every presales' tracking-table rows reported in `[from, to)` (the monthly digest's month),
/// by presales, then in report order. Read as one JSON row and ordered here, as [`table_of`]
/// is: a month of a 1,000,000-mail archive is about 52,000 rows, and handing them over one by
/// one was most of the digest's read.
pub async fn tracking_between(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<TrackingRow>> {
    let (from, to) = (ts(from), ts(to));
    let Json(mut rows) = sqlx::query_scalar!(
        r#"SELECT json_group_array(json_array(p.first_presales,
                  json_array(p.key, m.event_at, r.engineer, r.result, r.content, m.dedup_key,
                             r.id, p.name, r.contact, r.method, r.leftover)))
                  AS "rows!: Json<Vec<(String, Row)>>"
           FROM messages m JOIN reports r ON r.message = m.id JOIN projects p ON p.key = r.project
           WHERE m.event_at >= ? AND m.event_at < ? AND p.first_presales IS NOT NULL"#,
        from,
        to
    )
    .fetch_one(conn)
    .await?;
    rows.sort_by(|(a, x), (b, y)| (a, x.key()).cmp(&(b, y.key())));
    Ok(rows
        .into_iter()
        .map(|(owner, r)| r.into_row(&owner))
        .collect())
}
