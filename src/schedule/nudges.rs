//! Nudges before the regulation is broken (queries.md §3), decided purely from the rows, the
//! config and "now", as the reminders are — but due *before* a deadline, not at it:
//!
//! - **report due** (`report_nudge`, to the 第一售前, else the engineer of the project's last
//!   report or of the open item): a 立项's 期望时间 has come with no report yet; a project with an
//!   open item or an active fault order has had no report for `report_quiet_working_days`; an
//!   open item's response time (第七条) is half gone with no report since it opened. The mail
//!   carries the report to send, subject and fields filled, only the content left.
//! - **approval waiting** (`approval_nudge`): a fault order or a 集成部 task waits on one
//!   person's decision and half its time limit is gone → that person, with the exact reply; a
//!   step any holder of a role may take → each holder, a mail each (`approval_nudges`).
//!
//! Each nudge is keyed by its due event (the project and the moment the quiet spell began, the
//! item, the order or task and the moment it entered its state), so `run_due`'s `due_events`
//! send it once, across ticks and restarts. Working time comes from the calendar only.

use super::reminders::{Due, address_of, due as nudge};
use crate::config::Config;
use crate::mail::{Outgoing, OutgoingKind};
use crate::rules::task::TaskState;
use crate::rules::text::{datetime_cn, notices, project_name, working_duration};
use crate::store::nudges::ProjectPulse;
use crate::store::queries::FaultLine;
use crate::store::schedule::OpenItemRow;
use crate::store::tasks::TaskRow;
use chrono::{DateTime, NaiveTime, Utc};

/// The instant half of the working time between `since` and `deadline` is gone.
fn halfway(config: &Config, since: DateTime<Utc>, deadline: DateTime<Utc>) -> DateTime<Utc> {
    let cal = &config.calendar;
    cal.add_working_hours(since, cal.working_time_between(since, deadline) / 2)
}

struct ReportDue<'a> {
    key: String,
    due_at: DateTime<Utc>,
    project: &'a str,
    engineer: &'a str,
    why: String,
    contact: Option<&'a str>,
    method: Option<&'a str>,
}

fn report_nudge(config: &Config, r: ReportDue<'_>) -> Option<Due> {
    let to = address_of(config, r.engineer)?;
    let (subject, body) = notices::report_nudge(r.project, r.engineer, &r.why, r.contact, r.method);
    let mail = Outgoing {
        kind: OutgoingKind::ReportNudge,
        to: vec![to],
        cc: Vec::new(),
        subject,
        body,
    };
    Some(nudge(r.key, OutgoingKind::ReportNudge, r.due_at, mail))
}

/// Report nudges due by `now` (off when `[nudges] report_due = false`).
pub fn report_due(
    config: &Config,
    projects: &[ProjectPulse],
    items: &[OpenItemRow],
    now: DateTime<Utc>,
) -> Vec<Due> {
    if !config.nudges.report_due {
        return Vec::new();
    }
    let cal = &config.calendar;
    let tz = config.timezone;
    let mut out = Vec::new();
    for p in projects {
        let Some(engineer) = p.first_presales.as_deref().or(p.last_engineer.as_deref()) else {
            continue;
        };
        let base = |key: String, due_at, why| ReportDue {
            key,
            due_at,
            project: &p.name,
            engineer,
            why,
            contact: p.last_contact.as_deref(),
            method: p.last_method.as_deref(),
        };
        // 期望时间 come, no report yet: from the start of that day.
        if p.last_report.is_none()
            && let Some(day) = p.expected.as_deref().and_then(crate::parse::values::day)
            && let Some(due_at) = cal.at(day, NaiveTime::MIN)
            && due_at <= now
        {
            let why = format!(
                "{}立项的期望时间（{}）已到，还没有收到这个项目的客户沟通报告。",
                project_name(&p.name),
                crate::rules::text::date_cn(day)
            );
            out.extend(report_nudge(
                config,
                base(format!("report_nudge:expected:{}", p.key), due_at, why),
            ));
        }
        // Something open and quiet for N working days: counted from the last report, or from
        // when the thing opened if that is later. A new report starts a new quiet spell.
        if let Some(open) = p.open_since {
            let since = p.last_report.map_or(open, |r| r.max(open));
            let n = config.nudges.report_quiet_working_days;
            let due_at = cal.add_working_days(since, n);
            if due_at <= now {
                let why = format!(
                    "{}有未关闭的遗留问题或故障处理工作单，自{}起已有{n}个工作日没有客户沟通报告。",
                    project_name(&p.name),
                    datetime_cn(since, tz)
                );
                let key = format!("report_nudge:quiet:{}:{}", p.key, crate::store::ts(since));
                out.extend(report_nudge(config, base(key, due_at, why)));
            }
        }
    }
    // An open item's response time half gone, no report since it opened: before 第七条's
    // reminder, which takes over once the deadline itself passes.
    for i in items.iter().filter(|i| !i.followed_up) {
        let due_at = halfway(config, i.opened_at, i.response_due);
        if due_at > now || i.response_due <= now {
            continue;
        }
        let pulse = projects.iter().find(|p| p.name == i.project);
        let engineer = pulse
            .and_then(|p| p.first_presales.as_deref())
            .unwrap_or(&i.engineer);
        let left = cal.working_time_between(now, i.response_due);
        let why = format!(
            "{}的遗留问题 #{}（优先级：{}）：{}\n响应时限为{}，只剩{}，还没有跟进报告（第七条）。",
            project_name(&i.project),
            i.thread,
            i.priority,
            i.description,
            datetime_cn(i.response_due, tz),
            working_duration(left, cal.day_length())
        );
        out.extend(report_nudge(
            config,
            ReportDue {
                key: format!("report_nudge:item:{}", i.id),
                due_at,
                project: &i.project,
                engineer,
                why,
                contact: None,
                method: None,
            },
        ));
    }
    out
}

/// The reply a fault order waits for in its state, and the article; `None` when it waits on
/// nobody's decision (the R&D lead working on it, or ended).
fn fault_reply(f: &FaultLine) -> Option<(&'static str, &'static str)> {
    let state = crate::rules::FaultState::from_name(&f.state)?;
    crate::rules::fault::state::awaited_reply(state, f.conversion_proposed)
}

/// The approval nudges of one waiting step: one mail to each person who may give the awaited
/// reply, each under its own due event.
///
/// A step owed by a named person (the proposer who must confirm a closure or agree to 转定制)
/// names one person: only they are nudged. A step owed by a role (售前经理, 研发经理,
/// 工程技术部经理) names every holder in the directory: the transition table accepts the reply
/// from any of them, so a manager expects each to be told, in a mail of their own (「等待您的
/// 答复」 is true of each), rather than only the first listed, who may be away. Once one of
/// them answers the step is over and the others' nudges are no longer due.
///
/// The first person keeps the event's `key` as it was when one mail went to all the holders,
/// so a nudge queued before is not queued again; the others' keys add their name.
fn approval_nudges(
    config: &Config,
    owed_by: &[String],
    key: &str,
    due_at: DateTime<Utc>,
    (tag, title, what, reply): (i64, &str, &str, &str),
) -> Vec<Due> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for name in owed_by {
        let Some(address) = address_of(config, name) else {
            continue;
        };
        if seen.contains(&address) {
            continue;
        }
        let key = if seen.is_empty() {
            key.to_string()
        } else {
            format!("{key}:{name}")
        };
        seen.push(address.clone());
        let (subject, body) = notices::approval_nudge(tag, title, what, reply);
        let mail = Outgoing {
            kind: OutgoingKind::ApprovalNudge,
            to: vec![address],
            cc: Vec::new(),
            subject,
            body,
        };
        out.push(nudge(key, OutgoingKind::ApprovalNudge, due_at, mail));
    }
    out
}

/// Approval nudges due by `now` (off when `[nudges] approval_waiting = false`): fault orders by
/// their priority's SLA response time counted from the moment they entered their state, 集成部
/// tasks waiting for 派工 by `[tasks] dispatch_within_days`.
pub fn approval_waiting(
    config: &Config,
    faults: &[FaultLine],
    tasks: &[TaskRow],
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Due>> {
    if !config.nudges.approval_waiting {
        return Ok(Vec::new());
    }
    let cal = &config.calendar;
    let tz = config.timezone;
    let mut out = Vec::new();
    for f in faults {
        let Some((reply, article)) = fault_reply(f) else {
            continue;
        };
        let since = crate::store::parse_ts(&f.updated_at)?;
        let deadline = config.sla.deadlines(cal, &f.priority, since).response;
        let due_at = halfway(config, since, deadline);
        if due_at > now || deadline <= now {
            continue;
        }
        let state = crate::rules::FaultState::from_name(&f.state).map_or(f.state.clone(), |s| {
            crate::rules::fault_state_name(s).to_string()
        });
        let what = format!(
            "{}的故障处理工作单 #{}（{}）自{}起「{}」，等待您的答复；时限{}（{article}）",
            project_name(&f.project),
            f.thread,
            f.priority,
            datetime_cn(since, tz),
            state,
            datetime_cn(deadline, tz)
        );
        let title = format!("{}的故障处理工作单 #{}", project_name(&f.project), f.thread);
        let key = format!(
            "approval_nudge:fault:{}:{}:{}",
            f.thread,
            f.state,
            crate::store::ts(since)
        );
        out.extend(approval_nudges(
            config,
            &f.owes(config),
            &key,
            due_at,
            (f.thread, &title, &what, reply),
        ));
    }
    for row in tasks
        .iter()
        .filter(|r| r.task.state == TaskState::Requested)
    {
        let task = &row.task;
        let Some(deadline) = super::tasks::step_due(config, row) else {
            continue;
        };
        let due_at = halfway(config, row.updated_at, deadline);
        if due_at > now || deadline <= now {
            continue;
        }
        let what = format!(
            "任务申请「{}」自{}起等待派工；时限{}（tasks.md）",
            task.title(),
            datetime_cn(row.updated_at, tz),
            datetime_cn(deadline, tz)
        );
        let reply = "派工: 工程师姓名[, 姓名…]\n（或：驳回: 理由）";
        let title = format!("任务申请「{}」待派工", task.title());
        let key = format!(
            "approval_nudge:task:{}:{}:{}",
            task.thread,
            task.state.as_str(),
            crate::store::ts(row.updated_at)
        );
        out.extend(approval_nudges(
            config,
            &crate::rules::task::owes(config, task),
            &key,
            due_at,
            (task.thread, &title, &what, reply),
        ));
    }
    Ok(out)
}
