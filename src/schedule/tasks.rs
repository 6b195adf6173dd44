//! 集成部 task reminders (tasks.md «Time»), decided purely from the rows, the config and "now":
//! a task `requested` for more than `dispatch_within_days` working days, `dispatched` for more
//! than `start_within_days` without 开工, or `in_progress` past its 期望完工 without 延期申请 →
//! one reminder to whoever owes the step (asked of
//! [`next_actor`](crate::rules::task::next_actor)), escalated to the engineering manager
//! `escalate_after_days` working days later. Keyed by task, state and the moment it entered the
//! state, so each is queued once, across ticks and restarts.

use super::reminders::Due;
use crate::config::Config;
use crate::directory::Role;
use crate::mail::{Outgoing, OutgoingKind};
use crate::rules::task::{TaskState, owes};
use crate::store::tasks::TaskRow;
use chrono::{DateTime, NaiveTime, Utc};

/// When the step a task owes in its state runs out; `None` when nothing is timed.
pub fn step_due(config: &Config, row: &TaskRow) -> Option<DateTime<Utc>> {
    let cal = &config.calendar;
    let t = &config.tasks;
    match row.task.state {
        TaskState::Requested => Some(cal.add_working_days(row.updated_at, t.dispatch_within_days)),
        TaskState::Dispatched => Some(cal.add_working_days(row.updated_at, t.start_within_days)),
        // Past 期望完工: from the start of the day after it.
        TaskState::InProgress => {
            let after = row.task.due?.succ_opt()?;
            Some(cal.at(after, NaiveTime::MIN)?.max(row.updated_at))
        }
        _ => None,
    }
}

fn addresses(config: &Config, names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter_map(|n| config.directory.by_name(n))
        .map(|p| p.address().to_string())
        .collect()
}

fn local(config: &Config, t: DateTime<Utc>) -> String {
    t.with_timezone(&config.timezone)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The reminders and escalations due by `now`.
pub fn due(config: &Config, rows: &[TaskRow], now: DateTime<Utc>) -> Vec<Due> {
    let managers: Vec<String> = config
        .directory
        .with_role(Role::EngineeringManager)
        .map(|p| p.address().to_string())
        .collect();
    let mut out = Vec::new();
    for row in rows {
        let Some(due_at) = step_due(config, row).filter(|d| *d <= now) else {
            continue;
        };
        let task = &row.task;
        let owners = addresses(config, &owes(config, task));
        let event = format!(
            "{}:{}:{}",
            task.thread,
            task.state.as_str(),
            crate::store::ts(row.updated_at)
        );
        let what = format!(
            "任务「{}」（[SB-{}]）自 {} 起处于「{}」，时限 {} 已到。",
            task.title(),
            task.thread,
            local(config, row.updated_at),
            task.state.name_zh(),
            local(config, due_at)
        );
        let step = crate::rules::task::commands_in(task.state);
        if !owners.is_empty() {
            out.push(Due {
                marks: None,
                key: format!("task_reminder:{event}"),
                schedule: OutgoingKind::TaskReminder.as_str().into(),
                due_at,
                mail: Outgoing {
                    kind: OutgoingKind::TaskReminder,
                    to: owners.clone(),
                    cc: Vec::new(),
                    subject: format!("提醒：{} 待处理", task.title()),
                    body: format!(
                        "{what}\n下一步由您处理，请在该任务的邮件线程回复：{step}\n\
                         一个工作日内仍未处理的，将告知工程技术部经理。\n"
                    ),
                },
            });
        }
        let escalate_at = config
            .calendar
            .add_working_days(due_at, config.tasks.escalate_after_days);
        if escalate_at <= now && !managers.is_empty() {
            let names = owes(config, task).join("、");
            out.push(Due {
                marks: None,
                key: format!("task_escalation:{event}"),
                schedule: OutgoingKind::TaskEscalation.as_str().into(),
                due_at: escalate_at,
                mail: Outgoing {
                    kind: OutgoingKind::TaskEscalation,
                    to: managers.clone(),
                    cc: owners
                        .into_iter()
                        .filter(|a| !managers.contains(a))
                        .collect(),
                    subject: format!("升级：{} 逾期未处理", task.title()),
                    body: format!(
                        "{what}\n已提醒 {names}，至 {} 仍未处理。\n",
                        local(config, escalate_at)
                    ),
                },
            });
        }
    }
    out
}
