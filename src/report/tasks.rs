//! `report tasks` (tasks.md «Interface»): the 集成部 tasks as JSON, a table, CSV or a workbook.

use crate::config::Config;
use crate::rules::task::{TaskState, owes, wan};
use crate::store::tasks::{self, TaskRow};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqliteConnection;

/// One task of `report tasks --format json` (the field names are a contract).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TaskLine {
    /// The n of the task's `[SB-n]` thread.
    pub id: i64,
    /// `设计` or `施工`.
    pub kind: &'static str,
    /// The project as the 任务申请 named it.
    pub project: String,
    /// The sales person who applied.
    pub sales: String,
    /// Engineers dispatched.
    pub engineers: Vec<String>,
    /// `requested` … `completed`, `rejected`.
    pub state: &'static str,
    /// When the 任务申请 was sent (RFC 3339 UTC).
    pub requested_at: String,
    /// 期望完工 as approved (YYYY-MM-DD).
    pub due: Option<String>,
    /// 合同号.
    pub contract_no: Option<String>,
    /// 工程金额 + 设备金额, in yuan.
    pub amount_yuan: i64,
    /// Approved 延期.
    pub delays: i64,
    /// Days the approved 延期 added.
    pub delay_days: i64,
    /// Who owes the next step (names).
    pub owes: Vec<String>,
    /// Past 期望完工 and not completed, or completed after it.
    pub late: bool,
}

/// Whether a task is past its 期望完工 (by `now` if open, by its completion if completed).
pub fn is_late(config: &Config, row: &TaskRow, now: DateTime<Utc>) -> bool {
    let Some(due) = row.task.due else {
        return false;
    };
    let at = match row.task.state {
        TaskState::Rejected => return false,
        TaskState::Completed => row.completed_at.unwrap_or(now),
        _ => now,
    };
    at.with_timezone(&config.timezone).date_naive() > due
}

/// The tasks, oldest first, optionally in one state.
pub async fn lines(
    config: &Config,
    conn: &mut SqliteConnection,
    state: Option<TaskState>,
    project: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<TaskLine>> {
    let rows = tasks::list(conn, state, project).await?;
    Ok(rows
        .iter()
        .map(|r| TaskLine {
            id: r.task.thread,
            kind: r.task.kind.as_str(),
            project: r.task.project.clone(),
            sales: r.task.sales.clone(),
            engineers: r.task.engineers.clone(),
            state: r.task.state.as_str(),
            requested_at: crate::store::ts(r.requested_at),
            due: r.task.due.map(|d| d.to_string()),
            contract_no: r.contract_no.clone(),
            amount_yuan: r.amount_yuan,
            delays: r.delays,
            delay_days: r.delay_days,
            owes: owes(config, &r.task),
            late: is_late(config, r, now),
        })
        .collect())
}

/// Column headings of the table, CSV and workbook.
pub const COLUMNS: [&str; 12] = [
    "编号",
    "类型",
    "项目",
    "销售",
    "工程师",
    "状态",
    "待办",
    "申请时间",
    "期望完工",
    "合同号",
    "金额",
    "延期",
];

/// The lines as cells, in the order of [`COLUMNS`].
pub fn cells(config: &Config, lines: &[TaskLine]) -> anyhow::Result<Vec<Vec<String>>> {
    lines
        .iter()
        .map(|l| {
            let state = TaskState::from_name(l.state).map_or(l.state, TaskState::name_zh);
            Ok(vec![
                format!("SB-{}", l.id),
                l.kind.to_string(),
                l.project.clone(),
                l.sales.clone(),
                l.engineers.join("、"),
                if l.late {
                    format!("{state}（逾期）")
                } else {
                    state.to_string()
                },
                l.owes.join("、"),
                crate::digest::xlsx::local(config.timezone, &l.requested_at)?,
                crate::store::cell_or_blank(l.due.clone()),
                crate::store::cell_or_blank(l.contract_no.clone()),
                wan(l.amount_yuan),
                if l.delays > 0 {
                    format!("{} 次 / {} 天", l.delays, l.delay_days)
                } else {
                    String::new()
                },
            ])
        })
        .collect()
}

/// The cells as CSV with a heading row.
pub fn csv(cells: &[Vec<String>]) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    for r in cells {
        w.write_record(r)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// The cells as a one-sheet workbook.
pub fn xlsx(cells: &[Vec<String>]) -> anyhow::Result<Vec<u8>> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new()
        .set_bold()
        .set_background_color("#EAEEF2");
    let ws = wb.add_worksheet();
    ws.set_name("集成部任务")?;
    for (c, h) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(0, u16::try_from(c)?, *h, &bold)?;
    }
    for (r, row) in cells.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(u32::try_from(r + 1)?, u16::try_from(c)?, v)?;
        }
    }
    Ok(wb.save_to_buffer()?)
}
