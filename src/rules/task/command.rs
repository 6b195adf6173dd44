//! Thread commands on a task (tasks.md «Thread commands»): [`transition`] says who may make a
//! move and where it leads; this reads the command's argument, rejects what is not allowed
//! with who may do what now, and acknowledges every change to the sales person and the
//! assigned engineers, copying the engineering manager.

use super::{Actor, SIGNATURE, Task, TaskState, commands_in, names_of, next_actor, transition};
use crate::directory::Role;
use crate::mail::{Outgoing, OutgoingKind};
use crate::parse::values::day;
use crate::parse::{Command, ProjectKey};
use crate::rules::{Ctx, Decision, Effect, MailKind, Outcome, text};
use chrono::NaiveDate;

/// What a move changes besides the state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskChange {
    /// 派工: the engineers now assigned.
    pub engineers: Option<Vec<String>>,
    /// 开工: the day work started.
    pub started_on: Option<NaiveDate>,
    /// 延期申请: the 期望完工 asked for (cleared when decided).
    pub requested_due: Option<NaiveDate>,
    /// 同意 on a 延期申请: the new 期望完工 and the days it adds.
    pub delay_granted: Option<(NaiveDate, i64)>,
    /// 驳回 / 未完工 reason, 延期 reason, 完工说明.
    pub note: Option<String>,
}

/// Who the sender is on this task.
fn actors(ctx: &Ctx<'_>, task: &Task) -> Vec<Actor> {
    let me = &ctx.sender.name;
    let mut v = Vec::new();
    if ctx.sender.has(Role::EngineeringManager) {
        v.push(Actor::EngineeringManager);
    }
    if task.engineers.contains(me) {
        v.push(Actor::AssignedEngineer);
    }
    if &task.sales == me {
        v.push(Actor::Sales);
    }
    v
}

/// A command on a task's thread.
pub fn command(ctx: &Ctx<'_>, task: &Task, cmd: &Command) -> Decision {
    let Some((entitled, to)) = transition(task.state, cmd) else {
        let problem = format!(
            "任务「{}」当前状态为「{}」，不能「{}」。现在可以：{}",
            task.title(),
            task.state.name_zh(),
            cmd.word(),
            commands_in(task.state)
        );
        return reject(ctx, task, "invalid_state", problem);
    };
    let mine = actors(ctx, task);
    if !entitled.iter().any(|a| mine.contains(a)) {
        let who: Vec<String> = entitled
            .iter()
            .map(|a| {
                let names = names_of(ctx.config, task, *a).join("、");
                format!("{}（{names}）", a.name_zh())
            })
            .collect();
        let problem = format!(
            "任务「{}」处于「{}」，「{}」只能由{}执行",
            task.title(),
            task.state.name_zh(),
            cmd.word(),
            who.join("或")
        );
        return reject(ctx, task, "not_authorized", problem);
    }
    let mut change = TaskChange::default();
    let mut what = String::new();
    match cmd {
        Command::Dispatch(names) => {
            let mut engineers = Vec::new();
            for n in names {
                match ctx
                    .config
                    .directory
                    .lookup(n)
                    .filter(|p| p.has(Role::Engineer))
                {
                    Some(p) => engineers.push(p.name.clone()),
                    None => {
                        let problem =
                            format!("「派工」须写工程师的名字，「{n}」不是人员名单中的工程师");
                        return reject(ctx, task, "invalid_value:派工", problem);
                    }
                }
            }
            what = format!(
                "已派工给：{}。请工程师开工时回复「开工」。",
                engineers.join("、")
            );
            change.engineers = Some(engineers);
        }
        Command::Start(date) => {
            let on = match date {
                None => ctx
                    .mail
                    .date
                    .with_timezone(&ctx.config.timezone)
                    .date_naive(),
                Some(d) => match day(d) {
                    Some(d) => d,
                    None => {
                        let problem =
                            format!("「开工」后的「{d}」读不出日期；请写如 开工: 2026-12-03");
                        return reject(ctx, task, "invalid_value:开工", problem);
                    }
                },
            };
            what = format!("已开工（{on}），在建。");
            change.started_on = Some(on);
        }
        Command::DelayRequest(arg) => {
            let (date, reason) = arg
                .split_once([',', '，', ';', '；', ' ', '、'])
                .map_or((arg.as_str(), ""), |(d, r)| (d.trim(), r.trim()));
            let Some(until) = day(date).filter(|d| task.due.is_none_or(|due| *d > due)) else {
                let problem = format!(
                    "「延期申请」须写一个晚于当前期望完工（{}）的日期和理由，如 延期申请: 2026-12-20, 设备未到货",
                    task.due.map_or("未写".into(), |d| d.to_string())
                );
                return reject(ctx, task, "invalid_value:延期申请", problem);
            };
            if reason.is_empty() {
                let problem = "「延期申请」须写明理由，如 延期申请: 2026-12-20, 设备未到货".into();
                return reject(ctx, task, "missing_field:延期理由", problem);
            }
            what = format!(
                "申请延期至 {until}，理由：{reason}。请工程技术部经理回复「同意」或「驳回: 理由」。"
            );
            change.requested_due = Some(until);
            change.note = Some(reason.to_string());
        }
        Command::Approve => {
            let Some(until) = task.requested_due else {
                let problem = "该延期申请没有记录新的期望完工日期，请工程师重新提交".into();
                return reject(ctx, task, "invalid_state", problem);
            };
            let days = task.due.map_or(0, |due| (until - due).num_days().max(0));
            what = format!("同意延期，期望完工改为 {until}。");
            change.delay_granted = Some((until, days));
        }
        Command::Reject(why) | Command::NotCompleted(why) => {
            what = match (task.state, cmd) {
                (TaskState::Requested, _) => format!("任务申请被驳回，不派工。理由：{why}"),
                (TaskState::DelayRequested, _) => {
                    format!("延期申请被驳回，期望完工不变。理由：{why}")
                }
                _ => format!("完工申请未通过，任务回到在建。理由：{why}"),
            };
            change.note = Some(why.clone()).filter(|w| !w.is_empty());
        }
        Command::CompletionRequest(note) => {
            what = format!(
                "申请完工{}。请工程技术部经理（或提出申请的销售）回复「确认完工」或「未完工: 理由」。",
                note.as_deref()
                    .map_or(String::new(), |n| format!("，完工说明：{n}"))
            );
            change.note = note.clone();
        }
        Command::ConfirmCompletion => what = "已确认完工。".into(),
        _ => {}
    }
    let mut d = Decision::new(MailKind::ThreadCommand, Outcome::Accepted);
    d.project = ProjectKey::new(&task.project);
    let engineers = change.engineers.as_ref().unwrap_or(&task.engineers);
    let mut recipients: Vec<String> = Vec::new();
    for name in std::iter::once(&task.sales).chain(engineers) {
        if let Some(a) = ctx.address_of(name)
            && !recipients.contains(&a)
        {
            recipients.push(a);
        }
    }
    let mut cc: Vec<String> = ctx
        .addresses(Role::EngineeringManager)
        .into_iter()
        .filter(|a| !recipients.contains(a))
        .collect();
    let from = ctx.mail.from.clone().unwrap_or_default();
    if !recipients.contains(&from) && !cc.contains(&from) {
        cc.push(from);
    }
    let next = next_actor(to).map_or("无（任务已结束）".to_string(), |a| {
        a.name_zh().to_string()
    });
    d.outgoing.push(Outgoing {
        kind: OutgoingKind::TaskAck,
        to: recipients,
        cc,
        subject: format!("通知：{} {}", task.title(), to.name_zh()),
        body: format!(
            "{}（{}）：{what}\n\n任务：{}\n状态：{} → {}\n下一步：{next}{SIGNATURE}",
            ctx.sender.name,
            cmd.word(),
            task.title(),
            task.state.name_zh(),
            to.name_zh(),
        ),
    });
    d.effects.push(Effect::MoveTask {
        id: task.id,
        from: task.state,
        to,
        change,
    });
    d
}

fn reject(ctx: &Ctx<'_>, task: &Task, code: &str, problem: String) -> Decision {
    let mut d = Decision::rejected(
        MailKind::ThreadCommand,
        vec![code.to_string()],
        ctx.reply(
            OutgoingKind::Rejection,
            format!("已退回：{}", task.title()),
            text::rejection(
                "任务指令",
                &[problem],
                &format!(
                    "在本邮件线程回复一行指令。当前状态「{}」可用：{}",
                    task.state.name_zh(),
                    commands_in(task.state)
                ),
            ),
        ),
    );
    d.project = ProjectKey::new(&task.project);
    d
}
