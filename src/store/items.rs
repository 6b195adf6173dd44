//! Items opened by mail and moved by thread commands: improvement requests and their R&D time,
//! fault orders, bug feedback, open items, and the history of every move.

use super::ts;
use crate::rules::{FaultOrder, FaultState, ImprovementRef, OpenItemRef};
use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use sqlx::types::Json;

/// Improvement requests a project has (第二十一条 numbers them 1, 2, … and none is ever
/// deleted): its highest number, one step down the `(project, number)` index instead of
/// counting the project's requests.
pub async fn improvement_count(conn: &mut SqliteConnection, project: &str) -> anyhow::Result<i64> {
    let last = sqlx::query_scalar!(
        "SELECT number FROM improvement_requests WHERE project = ? ORDER BY number DESC LIMIT 1",
        project
    )
    .fetch_optional(conn)
    .await?;
    Ok(last.unwrap_or(0))
}

/// Files an improvement request under its number; returns its row id.
pub async fn add_improvement(
    conn: &mut SqliteConnection,
    message: i64,
    project: &str,
    number: i64,
    proposer: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let at = ts(at);
    Ok(sqlx::query!(
        "INSERT INTO improvement_requests (message, project, number, proposer, filed_at)
         VALUES (?, ?, ?, ?, ?)",
        message,
        project,
        number,
        proposer,
        at
    )
    .execute(conn)
    .await?
    .last_insert_rowid())
}

/// The improvement request opened by message `thread`, with its project's R&D time so far
/// (the running sum [`add_rd_time`] keeps).
pub async fn improvement_by_thread(
    conn: &mut SqliteConnection,
    thread: i64,
) -> anyhow::Result<Option<ImprovementRef>> {
    Ok(sqlx::query_as!(
        ImprovementRef,
        r#"SELECT i.id, i.message AS thread, i.project, i.number, i.proposer,
                  coalesce((SELECT h.hours FROM project_rd_hours h WHERE h.project = i.project),
                           0.0) AS "project_rd_hours!: f64",
                  EXISTS (SELECT 1 FROM rd_cost_notices n WHERE n.project = i.project)
                      AS "rd_notice_sent!: bool",
                  p.responsible_sales
           FROM improvement_requests i JOIN projects p ON p.key = i.project WHERE i.message = ?"#,
        thread
    )
    .fetch_optional(conn)
    .await?)
}

/// Records R&D time on a request, and adds it to its project's running sum.
pub async fn add_rd_time(
    conn: &mut SqliteConnection,
    request: i64,
    message: i64,
    person: &str,
    hours: f64,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let at = ts(at);
    sqlx::query!(
        "INSERT INTO rd_time (request, message, person, hours, at) VALUES (?, ?, ?, ?, ?)",
        request,
        message,
        person,
        hours,
        at
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO project_rd_hours (project, hours)
         SELECT project, ?2 FROM improvement_requests WHERE id = ?1
         ON CONFLICT (project) DO UPDATE SET hours = hours + ?2",
        request,
        hours
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records that a project's 第二十二条 notice went out.
pub async fn add_rd_notice(
    conn: &mut SqliteConnection,
    project: &str,
    message: i64,
) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT OR IGNORE INTO rd_cost_notices (project, message) VALUES (?, ?)",
        project,
        message
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A fault order as it is filed (第四十四条): what it said and its SLA deadlines come with it.
pub struct NewFault<'a> {
    /// The mail row that files it (its thread).
    pub message: i64,
    /// Project key.
    pub project: &'a str,
    /// Who filed it.
    pub proposer: &'a str,
    /// Its priority.
    pub priority: &'a str,
    /// The state it starts in.
    pub state: FaultState,
    /// When it was filed.
    pub filed_at: DateTime<Utc>,
    /// What it said when filed.
    pub text: &'a str,
    /// How many attachments it came with.
    pub attachments: i64,
    /// When a response is due.
    pub response_due: DateTime<Utc>,
    /// When its resolution is due.
    pub resolution_due: DateTime<Utc>,
}

/// Files a fault order, its text and deadlines included, in one statement; returns its row id.
pub async fn add_fault(conn: &mut SqliteConnection, f: &NewFault<'_>) -> anyhow::Result<i64> {
    let state = f.state.as_str();
    let (at, response_due, resolution_due) =
        (ts(f.filed_at), ts(f.response_due), ts(f.resolution_due));
    Ok(sqlx::query!(
        "INSERT INTO fault_orders (message, project, proposer, priority, state, filed_at,
                                   updated_at, filed_text, attachments, response_due,
                                   resolution_due)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10)",
        f.message,
        f.project,
        f.proposer,
        f.priority,
        state,
        at,
        f.text,
        f.attachments,
        response_due,
        resolution_due
    )
    .execute(conn)
    .await?
    .last_insert_rowid())
}

/// The fault order opened by message `thread`. A state the rules do not know is an error, not
/// a fresh order.
pub async fn fault_by_thread(
    conn: &mut SqliteConnection,
    thread: i64,
) -> anyhow::Result<Option<FaultOrder>> {
    let Some(r) = sqlx::query!(
        r#"SELECT id, message, project, proposer, priority, state, lead,
                  conversion_proposed AS "conversion_proposed: bool", filed_text, attachments
           FROM fault_orders WHERE message = ?"#,
        thread
    )
    .fetch_optional(conn)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(FaultOrder {
        state: FaultState::from_name(&r.state)
            .with_context(|| format!("fault order {}: unknown state {:?}", r.id, r.state))?,
        priority: r.priority,
        filed_text: r.filed_text,
        attachments: r.attachments,
        id: r.id,
        thread: r.message,
        project: r.project,
        proposer: r.proposer,
        lead: r.lead,
        conversion_proposed: r.conversion_proposed,
    }))
}

/// Moves a fault order.
pub async fn move_fault(
    conn: &mut SqliteConnection,
    id: i64,
    to: FaultState,
    lead: Option<&str>,
    conversion_proposed: bool,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let to = to.as_str();
    let at = ts(at);
    sqlx::query!(
        "UPDATE fault_orders SET state = ?, lead = ?, conversion_proposed = ?, updated_at = ?
         WHERE id = ?",
        to,
        lead,
        conversion_proposed,
        at,
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records internal bug feedback.
pub async fn add_bug(
    conn: &mut SqliteConnection,
    message: i64,
    topic: &str,
    reporter: &str,
    missing: &[String],
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let missing = Json(missing);
    let at = ts(at);
    sqlx::query!(
        "INSERT INTO bug_reports (message, topic, reporter, missing, filed_at)
         VALUES (?, ?, ?, ?, ?)",
        message,
        topic,
        reporter,
        missing,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Open items of a project, oldest first, from a JSON array of `{id, thread, engineer}` (see
/// `projects::get_with_open_items`): read that way because every row of a result crosses from
/// SQLite's thread to ours on its own.
pub fn open_items_from_json(project: &str, json: &str) -> anyhow::Result<Vec<OpenItemRef>> {
    #[derive(serde::Deserialize)]
    struct Open {
        id: i64,
        thread: i64,
        engineer: String,
    }
    let mut open: Vec<Open> = serde_json::from_str(json)?;
    open.sort_by_key(|o| o.id);
    Ok(open
        .into_iter()
        .map(|o| OpenItemRef {
            id: o.id,
            thread: o.thread,
            project: project.to_string(),
            engineer: o.engineer,
            open: true,
        })
        .collect())
}

/// The open item opened by the report whose message is `thread`.
pub async fn open_item_by_thread(
    conn: &mut SqliteConnection,
    thread: i64,
) -> anyhow::Result<Option<OpenItemRef>> {
    Ok(sqlx::query_as!(
        OpenItemRef,
        r#"SELECT o.id, r.message AS thread, o.project, o.engineer,
                  o.status = 'open' AS "open!: bool"
           FROM open_items o JOIN reports r ON r.id = o.report WHERE r.message = ?"#,
        thread
    )
    .fetch_optional(conn)
    .await?)
}

/// Closes an open item.
pub async fn close_open_item(
    conn: &mut SqliteConnection,
    id: i64,
    message: i64,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let at = ts(at);
    sqlx::query!(
        "UPDATE open_items SET status = 'closed', closed_at = ?, closed_by = ?
         WHERE id = ? AND status = 'open'",
        at,
        message,
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One line of an item's history.
#[derive(Debug, Clone)]
pub struct HistoryLine<'a> {
    /// fault_order, open_item, improvement_request.
    pub item_kind: &'a str,
    /// Row id of the item.
    pub item_id: i64,
    /// Who did it (name).
    pub actor: &'a str,
    /// What.
    pub action: &'a str,
    /// State before.
    pub from: Option<&'a str>,
    /// State after.
    pub to: Option<&'a str>,
    /// Reason or other note.
    pub note: Option<&'a str>,
}

/// Appends to an item's history.
pub async fn history(
    conn: &mut SqliteConnection,
    message: i64,
    at: DateTime<Utc>,
    h: &HistoryLine<'_>,
) -> anyhow::Result<()> {
    let at = ts(at);
    sqlx::query!(
        "INSERT INTO item_history (item_kind, item_id, message, at, actor, action, from_state,
                                   to_state, note)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        h.item_kind,
        h.item_id,
        message,
        at,
        h.actor,
        h.action,
        h.from,
        h.to,
        h.note
    )
    .execute(conn)
    .await?;
    Ok(())
}
