//! `tasks`: the 集成部 task flow's rows (tasks.md), one small function per query.

use super::{parse_ts, ts};
use crate::rules::task::{NewTask, Task, TaskChange, TaskKind, TaskState};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

fn day(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
}

fn names(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// Files a task from the 任务申请 mail `message`; returns its row id.
pub async fn add(
    conn: &mut SqliteConnection,
    message: i64,
    sales: &str,
    t: &NewTask,
    at: DateTime<Utc>,
) -> anyhow::Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO tasks (message, kind, project, project_name, sales, state, content,
                            amount_yuan, contract_no, site, contact, start_wanted, due,
                            requested_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'requested', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(message)
    .bind(t.kind.as_str())
    .bind(t.project.as_str())
    .bind(&t.project_name)
    .bind(sales)
    .bind(&t.content)
    .bind(t.amount_yuan)
    .bind(&t.contract_no)
    .bind(&t.site)
    .bind(&t.contact)
    .bind(t.start_wanted.map(|d| d.to_string()))
    .bind(t.due.map(|d| d.to_string()))
    .bind(ts(at))
    .bind(ts(at))
    .execute(conn)
    .await?
    .last_insert_rowid())
}

/// The task of a row holding its columns (a stored state the schema allows always reads).
fn task_from(r: &SqliteRow) -> anyhow::Result<Task> {
    Ok(Task {
        id: r.try_get("id")?,
        thread: r.try_get("message")?,
        kind: TaskKind::from_name(r.try_get("kind")?).unwrap_or(TaskKind::Design),
        project: r.try_get("project_name")?,
        sales: r.try_get("sales")?,
        engineers: names(r.try_get("engineers")?),
        state: r.try_get("state")?,
        due: day(r.try_get("due")?),
        requested_due: day(r.try_get("requested_due")?),
    })
}

/// The task opened by message `thread`.
pub async fn by_thread(conn: &mut SqliteConnection, thread: i64) -> anyhow::Result<Option<Task>> {
    let row = sqlx::query(
        "SELECT id, message, kind, project_name, sales, engineers, state, due, requested_due
         FROM tasks WHERE message = ?",
    )
    .bind(thread)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(task_from).transpose()
}

/// Moves a task and records what the move changes.
pub async fn move_to(
    conn: &mut SqliteConnection,
    id: i64,
    to: TaskState,
    c: &TaskChange,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let engineers = c
        .engineers
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    let (granted_due, granted_days) = c.delay_granted.map_or((None, 0), |(d, n)| (Some(d), n));
    sqlx::query(
        "UPDATE tasks SET state = ?1,
                engineers = coalesce(?2, engineers),
                started_on = coalesce(?3, started_on),
                requested_due = CASE WHEN ?1 = 'delay_requested' THEN ?4 ELSE NULL END,
                due = coalesce(?5, due),
                delays = delays + (?5 IS NOT NULL),
                delay_days = delay_days + ?6,
                completed_at = CASE WHEN ?1 = 'completed' THEN ?7 ELSE completed_at END,
                updated_at = ?7
         WHERE id = ?8",
    )
    .bind(to)
    .bind(engineers)
    .bind(c.started_on.map(|d| d.to_string()))
    .bind(c.requested_due.map(|d| d.to_string()))
    .bind(granted_due.map(|d| d.to_string()))
    .bind(granted_days)
    .bind(ts(at))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A task as reports, digests and reminders read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    /// The task as the rules see it (state, people, due).
    pub task: Task,
    /// 任务内容.
    pub content: String,
    /// 合同号.
    pub contract_no: Option<String>,
    /// 工程金额 + 设备金额.
    pub amount_yuan: i64,
    /// Approved 延期 so far.
    pub delays: i64,
    /// Days those 延期 added.
    pub delay_days: i64,
    /// When the 任务申请 was sent.
    pub requested_at: DateTime<Utc>,
    /// When the task entered its state.
    pub updated_at: DateTime<Utc>,
    /// When 确认完工 was sent.
    pub completed_at: Option<DateTime<Utc>>,
}

/// Tasks, oldest first; `state` and `project` (key) narrow them.
pub async fn list(
    conn: &mut SqliteConnection,
    state: Option<TaskState>,
    project: Option<&str>,
) -> anyhow::Result<Vec<TaskRow>> {
    let rows = sqlx::query(
        "SELECT id, message, kind, project_name, sales, engineers, state, due, requested_due,
                content, contract_no, amount_yuan, delays, delay_days, requested_at, updated_at,
                completed_at
         FROM tasks WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR project = ?2)
         ORDER BY requested_at, id",
    )
    .bind(state)
    .bind(project)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TaskRow {
                task: task_from(r)?,
                content: r.try_get("content")?,
                contract_no: r.try_get("contract_no")?,
                amount_yuan: r.try_get("amount_yuan")?,
                delays: r.try_get("delays")?,
                delay_days: r.try_get("delay_days")?,
                requested_at: parse_ts(r.try_get("requested_at")?),
                updated_at: parse_ts(r.try_get("updated_at")?),
                completed_at: r
                    .try_get::<Option<String>, _>("completed_at")?
                    .map(|t| parse_ts(&t)),
            })
        })
        .collect()
}
