//! The engineering manager's 集成部 digests (tasks.md «Time»): daily, the tasks by state and
//! lateness; monthly, tasks completed, delayed (times and days) and on time, per engineer. They
//! ride on the daily and monthly schedules as their own mails, so the presales digests stay as
//! they are.

use super::build::Prepared;
use super::{Digest, Table};
use crate::config::Config;
use crate::directory::Role;
use crate::mail::{Outgoing, OutgoingKind};
use crate::report::tasks::is_late;
use crate::rules::task::{TaskState, owes};
use crate::schedule::occurrences::{Occurrence, What};
use crate::schedule::tasks::step_due;
use crate::store::tasks::{self, TaskRow};
use anyhow::Context;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::SqliteConnection;
use std::collections::BTreeMap;

/// The task digest riding on a daily or monthly occurrence, under its own key and schedule.
pub fn occurrence(o: Occurrence) -> Option<Occurrence> {
    matches!(o.what, What::Daily | What::Monthly).then(|| Occurrence {
        key: format!("tasks:{}", o.key),
        schedule: format!("tasks:{}", o.schedule),
        ..o
    })
}

/// The mail of a task digest; `None` when there are no tasks or no engineering manager.
pub async fn build(
    config: &Config,
    conn: &mut SqliteConnection,
    o: &Occurrence,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Prepared>> {
    let to: Vec<String> = config
        .directory
        .with_role(Role::EngineeringManager)
        .map(|p| p.address().to_string())
        .collect();
    if to.is_empty() || !tasks::any(conn).await? {
        return Ok(None);
    }
    let (kind, digest) = match o.what {
        What::Monthly => {
            let (from, to) = (midnight(config, o.from)?, midnight(config, o.to)?);
            let rows = tasks::completed_between(conn, from, to).await?;
            (OutgoingKind::MonthlyDigest, monthly(config, &rows, o))
        }
        _ => {
            let rows = tasks::open(conn).await?;
            (OutgoingKind::DailyDigest, daily(config, &rows, now))
        }
    };
    Ok(Some(Prepared {
        mail: Outgoing {
            kind,
            to,
            cc: Vec::new(),
            subject: digest.title.clone(),
            body: digest.text(),
        },
        html: Some(digest.html()),
        attachments: Vec::new(),
    }))
}

/// When the local day `d` begins (its first hour when a clock change skips midnight).
fn midnight(config: &Config, d: NaiveDate) -> anyhow::Result<DateTime<Utc>> {
    let cal = &config.calendar;
    cal.at(d, NaiveTime::MIN)
        .or_else(|| cal.at(d, NaiveTime::from_hms_opt(1, 0, 0)?))
        .with_context(|| format!("{d} has no start in {}", config.timezone))
}

/// Tasks by state, and every open task whose step or 期望完工 has run out (`rows`: the open
/// tasks, [`tasks::open`]; others are left out).
pub fn daily(config: &Config, rows: &[TaskRow], now: DateTime<Utc>) -> Digest {
    let overdue = |r: &TaskRow| step_due(config, r).is_some_and(|d| d <= now);
    let by_state = TaskState::ALL
        .iter()
        .filter(|s| !matches!(s, TaskState::Completed | TaskState::Rejected))
        .map(|s| {
            let of: Vec<&TaskRow> = rows.iter().filter(|r| r.task.state == *s).collect();
            vec![
                s.name_zh().to_string(),
                of.len().to_string(),
                of.iter().filter(|r| overdue(r)).count().to_string(),
            ]
        })
        .collect();
    let late: Vec<Vec<String>> = rows
        .iter()
        .filter(|r| overdue(r))
        .map(|r| {
            vec![
                format!("SB-{}", r.task.thread),
                r.task.title(),
                r.task.state.name_zh().to_string(),
                owes(config, &r.task).join("、"),
                step_due(config, r).map_or(String::new(), |d| {
                    d.with_timezone(&config.timezone)
                        .format("%Y-%m-%d %H:%M")
                        .to_string()
                }),
                r.task.due.map_or(String::new(), |d| d.to_string()),
            ]
        })
        .collect();
    let open = rows
        .iter()
        .filter(|r| !matches!(r.task.state, TaskState::Completed | TaskState::Rejected))
        .count();
    let today = now.with_timezone(&config.timezone).format("%Y-%m-%d");
    Digest {
        title: format!("集成部任务日报：{today}"),
        intro: "集成部（技术支持、施工）任务：各状态的任务数，以及时限已到仍未处理的任务。".into(),
        figures: vec![
            ("进行中的任务".into(), open.to_string()),
            ("逾期".into(), late.len().to_string()),
        ],
        tables: vec![
            Table::new("按状态", &["状态", "任务数", "其中逾期"], by_state),
            Table::new(
                "逾期任务",
                &["编号", "任务", "状态", "待办", "时限", "期望完工"],
                late,
            ),
        ],
    }
}

/// One engineer's month: completed, on time, delayed tasks, delay times and days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineerMonth {
    /// Tasks completed in the month.
    pub completed: usize,
    /// Of those, completed by their 期望完工 (as approved).
    pub on_time: usize,
    /// Of those, with at least one approved 延期.
    pub delayed: usize,
    /// Approved 延期 on them.
    pub delay_times: i64,
    /// Days those 延期 added.
    pub delay_days: i64,
}

/// Per engineer, the tasks completed in the occurrence's period.
pub fn per_engineer(
    config: &Config,
    rows: &[TaskRow],
    o: &Occurrence,
) -> BTreeMap<String, EngineerMonth> {
    let mut out: BTreeMap<String, EngineerMonth> = BTreeMap::new();
    for r in rows {
        let Some(done) = r
            .completed_at
            .filter(|_| r.task.state == TaskState::Completed)
        else {
            continue;
        };
        let day = done.with_timezone(&config.timezone).date_naive();
        if day < o.from || day >= o.to {
            continue;
        }
        for e in &r.task.engineers {
            let m = out.entry(e.clone()).or_default();
            m.completed += 1;
            m.on_time += usize::from(!is_late(config, r, done));
            m.delayed += usize::from(r.delays > 0);
            m.delay_times += r.delays;
            m.delay_days += r.delay_days;
        }
    }
    out
}

/// The month before: per engineer, completed, on time, delayed (`rows`: at least the tasks
/// completed in it, [`tasks::completed_between`]; others are left out).
pub fn monthly(config: &Config, rows: &[TaskRow], o: &Occurrence) -> Digest {
    let month = o.from.format("%Y-%m").to_string();
    let per = per_engineer(config, rows, o);
    let table = per
        .iter()
        .map(|(name, m)| {
            vec![
                name.clone(),
                m.completed.to_string(),
                m.on_time.to_string(),
                m.delayed.to_string(),
                m.delay_times.to_string(),
                m.delay_days.to_string(),
            ]
        })
        .collect();
    let completed = rows
        .iter()
        .filter(|r| {
            r.completed_at.is_some_and(|d| {
                let d = d.with_timezone(&config.timezone).date_naive();
                d >= o.from && d < o.to
            })
        })
        .count();
    Digest {
        title: format!("集成部任务月报：{month}"),
        intro: format!(
            "{month} 完工的集成部任务：每位工程师的完工、按期完工与延期（次数、天数）。"
        ),
        figures: vec![("当月完工任务".into(), completed.to_string())],
        tables: vec![Table::new(
            "按工程师",
            &[
                "工程师",
                "完工",
                "按期完工",
                "延期任务",
                "延期次数",
                "延期天数",
            ],
            table,
        )],
    }
}
