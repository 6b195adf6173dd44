//! `projects`: 立项 (第九条) and the uninitiated projects reports create (第十一条).

use super::{items, ts};
use crate::parse::ProjectKey;
use crate::rules::{OpenItemRef, Project, ProjectSheet};
use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

/// The project with this key.
pub async fn get(conn: &mut SqliteConnection, key: &ProjectKey) -> anyhow::Result<Option<Project>> {
    let row = sqlx::query(
        "SELECT key, name, status, responsible_sales, first_presales, second_presales
         FROM projects WHERE key = ?",
    )
    .bind(key.as_str())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| project_from(&r, key)))
}

/// The project with this key and its open items (第十七条), in one statement: a 客户沟通 report,
/// most of the mail, needs both, and each statement is a round trip to SQLite's thread.
pub async fn get_with_open_items(
    conn: &mut SqliteConnection,
    key: &ProjectKey,
) -> anyhow::Result<(Option<Project>, Vec<OpenItemRef>)> {
    let row = sqlx::query(
        "SELECT key, name, status, responsible_sales, first_presales, second_presales,
                (SELECT json_group_array(json_object('id', o.id, 'thread', r.message,
                                                     'engineer', o.engineer))
                 FROM open_items o JOIN reports r ON r.id = o.report
                 WHERE o.project = p.key AND o.status = 'open') AS open_items
         FROM projects p WHERE key = ?",
    )
    .bind(key.as_str())
    .fetch_optional(conn)
    .await?;
    let Some(r) = row else {
        return Ok((None, Vec::new()));
    };
    let open = items::open_items_from_json(key.as_str(), r.get("open_items"))?;
    Ok((Some(project_from(&r, key)), open))
}

fn project_from(r: &sqlx::sqlite::SqliteRow, key: &ProjectKey) -> Project {
    Project {
        key: key.clone(),
        name: r.get("name"),
        initiated: r.get::<String, _>("status") == "initiated",
        responsible_sales: r.get("responsible_sales"),
        first_presales: r.get("first_presales"),
        second_presales: r.get("second_presales"),
    }
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
    sqlx::query(
        "INSERT INTO projects (key, name, status, responsible_sales, created_at, message)
         VALUES (?, ?, 'uninitiated', ?, ?, ?)",
    )
    .bind(key.as_str())
    .bind(name)
    .bind(responsible_sales)
    .bind(ts(at))
    .bind(message)
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
    sqlx::query(
        "INSERT INTO projects (key, name, status, responsible_sales, first_presales, second_presales,
                               support_type, support_content, extras, created_at, initiated_at, message)
         VALUES (?1, ?2, 'initiated', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)
         ON CONFLICT (key) DO UPDATE SET
             status = 'initiated', responsible_sales = ?3, first_presales = ?4, second_presales = ?5,
             support_type = ?6, support_content = ?7, extras = ?8,
             initiated_at = coalesce(initiated_at, ?9), message = ?10",
    )
    .bind(sheet.key.as_str())
    .bind(&sheet.name)
    .bind(&sheet.responsible_sales)
    .bind(&sheet.first_presales)
    .bind(&sheet.second_presales)
    .bind(&sheet.support_type)
    .bind(&sheet.support_content)
    .bind(serde_json::Value::Object(extras).to_string())
    .bind(ts(at))
    .bind(message)
    .execute(conn)
    .await?;
    Ok(())
}
