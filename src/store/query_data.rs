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
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
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

/// Open items still open, oldest first; of one project (key) when given.
pub async fn open_items(
    conn: &mut SqliteConnection,
    project: Option<&str>,
) -> anyhow::Result<Vec<OpenLine>> {
    Ok(sqlx::query_as!(
        OpenLine,
        r#"SELECT r.message AS thread, o.project, p.name AS project_name, p.first_presales,
                  o.engineer, o.description, o.priority, o.opened_at, o.response_due,
                  o.resolution_due
           FROM open_items o JOIN reports r ON r.id = o.report JOIN projects p ON p.key = o.project
           WHERE o.status = 'open' AND (?1 IS NULL OR o.project = ?1)
           ORDER BY o.opened_at, o.id"#,
        project
    )
    .fetch_all(conn)
    .await?)
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
