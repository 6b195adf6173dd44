//! `tasks`: the 集成部 task flow's rows (tasks.md), one small function per query.

use super::ts;
use crate::rules::task::{NewTask, Task, TaskChange, TaskKind, TaskState};
use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::SqliteConnection;
use sqlx::types::Json;

/// A `tasks` row's columns the rules read, decoded by sqlx (a corrupt date or JSON list is an
/// error, not a missing value).
struct Record {
    id: i64,
    message: i64,
    kind: String,
    project_name: String,
    sales: String,
    engineers: Json<Vec<String>>,
    state: TaskState,
    due: Option<NaiveDate>,
    requested_due: Option<NaiveDate>,
}

impl Record {
    fn task(self) -> anyhow::Result<Task> {
        Ok(Task {
            id: self.id,
            thread: self.message,
            kind: TaskKind::from_name(&self.kind)
                .with_context(|| format!("task {}: unknown kind {:?}", self.id, self.kind))?,
            project: self.project_name,
            sales: self.sales,
            engineers: self.engineers.0,
            state: self.state,
            due: self.due,
            requested_due: self.requested_due,
        })
    }
}

/// Files a task from the 任务申请 mail `message`; returns its row id.
pub async fn add(
    conn: &mut SqliteConnection,
    message: i64,
    sales: &str,
    t: &NewTask,
    at: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let kind = t.kind.as_str();
    let project = t.project.as_str();
    let at = ts(at);
    Ok(sqlx::query!(
        "INSERT INTO tasks (message, kind, project, project_name, sales, state, content,
                            amount_yuan, contract_no, site, contact, start_wanted, due,
                            requested_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'requested', ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
        message,
        kind,
        project,
        t.project_name,
        sales,
        t.content,
        t.amount_yuan,
        t.contract_no,
        t.site,
        t.contact,
        t.start_wanted,
        t.due,
        at,
    )
    .execute(conn)
    .await?
    .last_insert_rowid())
}

/// The task opened by message `thread`.
pub async fn by_thread(conn: &mut SqliteConnection, thread: i64) -> anyhow::Result<Option<Task>> {
    let row = sqlx::query_as!(
        Record,
        r#"SELECT id, message, kind, project_name, sales,
                  engineers AS "engineers: Json<Vec<String>>", state AS "state: TaskState",
                  due AS "due: NaiveDate", requested_due AS "requested_due: NaiveDate"
           FROM tasks WHERE message = ?"#,
        thread
    )
    .fetch_optional(conn)
    .await?;
    row.map(Record::task).transpose()
}

/// Moves a task and records what the move changes.
pub async fn move_to(
    conn: &mut SqliteConnection,
    id: i64,
    to: TaskState,
    c: &TaskChange,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let engineers = c.engineers.as_ref().map(Json);
    let (granted_due, granted_days) = c.delay_granted.map_or((None, 0), |(d, n)| (Some(d), n));
    let at = ts(at);
    sqlx::query!(
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
        to,
        engineers,
        c.started_on,
        c.requested_due,
        granted_due,
        granted_days,
        at,
        id
    )
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

/// A row of `tasks` as the readers below read it.
struct ListRow {
    id: i64,
    message: i64,
    kind: String,
    project_name: String,
    sales: String,
    engineers: Json<Vec<String>>,
    state: TaskState,
    due: Option<NaiveDate>,
    requested_due: Option<NaiveDate>,
    content: String,
    contract_no: Option<String>,
    amount_yuan: i64,
    delays: i64,
    delay_days: i64,
    requested_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

impl ListRow {
    fn row(self) -> anyhow::Result<TaskRow> {
        let task = Record {
            id: self.id,
            message: self.message,
            kind: self.kind,
            project_name: self.project_name,
            sales: self.sales,
            engineers: self.engineers,
            state: self.state,
            due: self.due,
            requested_due: self.requested_due,
        }
        .task()?;
        Ok(TaskRow {
            task,
            content: self.content,
            contract_no: self.contract_no,
            amount_yuan: self.amount_yuan,
            delays: self.delays,
            delay_days: self.delay_days,
            requested_at: self.requested_at,
            updated_at: self.updated_at,
            completed_at: self.completed_at,
        })
    }
}

/// Tasks, oldest first; `state` and `project` (key) narrow them.
pub async fn list(
    conn: &mut SqliteConnection,
    state: Option<TaskState>,
    project: Option<&str>,
) -> anyhow::Result<Vec<TaskRow>> {
    sqlx::query_as!(
        ListRow,
        r#"SELECT id, message, kind, project_name, sales,
                  engineers AS "engineers: Json<Vec<String>>", state AS "state: TaskState",
                  due AS "due: NaiveDate", requested_due AS "requested_due: NaiveDate",
                  content, contract_no, amount_yuan, delays, delay_days,
                  requested_at AS "requested_at: DateTime<Utc>",
                  updated_at AS "updated_at: DateTime<Utc>",
                  completed_at AS "completed_at: DateTime<Utc>"
           FROM tasks WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR project = ?2)
           ORDER BY requested_at, id"#,
        state,
        project
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(ListRow::row)
    .collect()
}

/// The tasks not over yet (neither 完工 nor 驳回), oldest first, from the index on the state:
/// what the schedule tick times, 查询-待办 and the daily task digest list ([`list`] reads every
/// task ever to filter).
pub async fn open(conn: &mut SqliteConnection) -> anyhow::Result<Vec<TaskRow>> {
    sqlx::query_as!(
        ListRow,
        r#"SELECT id, message, kind, project_name, sales,
                  engineers AS "engineers: Json<Vec<String>>", state AS "state: TaskState",
                  due AS "due: NaiveDate", requested_due AS "requested_due: NaiveDate",
                  content, contract_no, amount_yuan, delays, delay_days,
                  requested_at AS "requested_at: DateTime<Utc>",
                  updated_at AS "updated_at: DateTime<Utc>",
                  completed_at AS "completed_at: DateTime<Utc>"
           FROM tasks
           WHERE state IN ('requested', 'dispatched', 'in_progress', 'delay_requested',
                           'completion_requested')
           ORDER BY requested_at, id"#
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(ListRow::row)
    .collect()
}

/// One project's (key) tasks not over yet, oldest first, by the index on (project, state).
pub async fn open_of_project(
    conn: &mut SqliteConnection,
    project: &str,
) -> anyhow::Result<Vec<TaskRow>> {
    sqlx::query_as!(
        ListRow,
        r#"SELECT id, message, kind, project_name, sales,
                  engineers AS "engineers: Json<Vec<String>>", state AS "state: TaskState",
                  due AS "due: NaiveDate", requested_due AS "requested_due: NaiveDate",
                  content, contract_no, amount_yuan, delays, delay_days,
                  requested_at AS "requested_at: DateTime<Utc>",
                  updated_at AS "updated_at: DateTime<Utc>",
                  completed_at AS "completed_at: DateTime<Utc>"
           FROM tasks INDEXED BY tasks_project_state
           WHERE project = ?1
             AND state IN ('requested', 'dispatched', 'in_progress', 'delay_requested',
                           'completion_requested')
           ORDER BY requested_at, id"#,
        project
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(ListRow::row)
    .collect()
}

/// One project's (key) latest `limit` tasks in any state, newest first, walked down the index
/// on the project.
pub async fn latest_of_project(
    conn: &mut SqliteConnection,
    project: &str,
    limit: i64,
) -> anyhow::Result<Vec<TaskRow>> {
    sqlx::query_as!(
        ListRow,
        r#"SELECT id, message, kind, project_name, sales,
                  engineers AS "engineers: Json<Vec<String>>", state AS "state: TaskState",
                  due AS "due: NaiveDate", requested_due AS "requested_due: NaiveDate",
                  content, contract_no, amount_yuan, delays, delay_days,
                  requested_at AS "requested_at: DateTime<Utc>",
                  updated_at AS "updated_at: DateTime<Utc>",
                  completed_at AS "completed_at: DateTime<Utc>"
           FROM tasks INDEXED BY tasks_project
           WHERE project = ?1 ORDER BY id DESC LIMIT (SELECT ?2)"#,
        project,
        limit
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(ListRow::row)
    .collect()
}

/// The tasks completed (确认完工) at or after `from` and before `to`, oldest first, from the
/// partial index on completion: what the monthly task digest counts.
pub async fn completed_between(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<TaskRow>> {
    let (from, to) = (ts(from), ts(to));
    sqlx::query_as!(
        ListRow,
        r#"SELECT id, message, kind, project_name, sales,
                  engineers AS "engineers: Json<Vec<String>>", state AS "state: TaskState",
                  due AS "due: NaiveDate", requested_due AS "requested_due: NaiveDate",
                  content, contract_no, amount_yuan, delays, delay_days,
                  requested_at AS "requested_at: DateTime<Utc>",
                  updated_at AS "updated_at: DateTime<Utc>",
                  completed_at AS "completed_at: DateTime<Utc>"
           FROM tasks INDEXED BY tasks_completed
           WHERE state = 'completed' AND completed_at >= ?1 AND completed_at < ?2
           ORDER BY completed_at, id"#,
        from,
        to
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(ListRow::row)
    .collect()
}

/// Whether any task was ever filed (the task digests go out once the flow is in use).
pub async fn any(conn: &mut SqliteConnection) -> anyhow::Result<bool> {
    // The largest row id: one step down the table's b-tree, where EXISTS plans as a scan.
    Ok(
        sqlx::query_scalar!(r#"SELECT max(id) IS NOT NULL AS "any!: bool" FROM tasks"#)
            .fetch_one(conn)
            .await?,
    )
}
