//! Replies on a bot thread: the first line of the sender's own words is a command for the item
//! the thread belongs to (mail-formats.md "Thread commands").

use super::{
    Ctx, Decision, Effect, Facts, MailKind, OpenItemRef, Outcome, ThreadItem, complaint, fault,
    improvement, satisfaction, text,
};
use crate::mail::OutgoingKind;
use crate::parse::{Command, ProjectKey, first_line, parse_command};

const KIND: MailKind = MailKind::ThreadCommand;

/// Decides a reply on a thread.
pub fn decide(ctx: &Ctx<'_>, facts: &Facts) -> Decision {
    if facts.thread.is_none() {
        return Decision::ignored(KIND, Some("unknown_thread"));
    }
    let line = first_line(&ctx.mail.body).unwrap_or_default();
    let Some(cmd) = parse_command(&line, ctx.config.rules.rd_hours_per_day) else {
        // Conversation on a thread ("谢谢，收到"): nothing to do, nothing to answer.
        return Decision::ignored(KIND, None);
    };
    match (&facts.item, &cmd) {
        (Some(ThreadItem::OpenItem(_) | ThreadItem::Fault(_)), Command::Satisfaction(level)) => {
            match &facts.satisfaction {
                Some(s) => satisfaction::answer(ctx, s, *level),
                None => reject(
                    ctx,
                    "invalid_state",
                    "该问题尚未关闭；问题关闭后，系统会请负责的技服人员回访客户并回复满意度".into(),
                    facts.thread.as_ref().and_then(|t| t.project.as_deref()),
                ),
            }
        }
        (Some(ThreadItem::Fault(order)), _) => fault::command(ctx, order, &cmd),
        (Some(ThreadItem::Task(task)), _) => super::task::command(ctx, task, &cmd),
        (Some(ThreadItem::Improvement(item)), Command::RdTime(hours)) => {
            if ctx.sender.has(crate::directory::Role::Rd)
                || ctx.sender.has(crate::directory::Role::RdManager)
            {
                improvement::rd_time(ctx, item, *hours)
            } else {
                reject(
                    ctx,
                    "not_authorized",
                    "研发工时由研发人员登记（第二十二条）".into(),
                    Some(&item.project),
                )
            }
        }
        (Some(ThreadItem::OpenItem(item)), Command::Solved) => solved(ctx, item),
        // The ack of a 成功 report asks whether the engineer's one open item on the project is
        // solved; 「已解决」 on that ack closes it.
        (None, Command::Solved) if facts.thread.as_ref().is_some_and(|t| t.is_report()) => {
            let mine: Vec<&OpenItemRef> = facts
                .open_items
                .iter()
                .filter(|i| i.open && i.engineer == ctx.sender.name)
                .collect();
            match mine.as_slice() {
                [item] => solved(ctx, item),
                _ => reject(
                    ctx,
                    "invalid_state",
                    "本邮件线程没有您名下唯一未关闭的遗留问题；请在该遗留问题的邮件上回复「已解决」，或在下次成功汇报中写明它的编号（如 #12）".into(),
                    facts.thread.as_ref().and_then(|t| t.project.as_deref()),
                ),
            }
        }
        (Some(ThreadItem::Complaint(c)), Command::Withdraw) => {
            complaint::withdraw_one(ctx, c, facts)
        }
        (item, _) => {
            let project = match item {
                Some(ThreadItem::Improvement(i)) => Some(i.project.as_str()),
                Some(ThreadItem::OpenItem(i)) => Some(i.project.as_str()),
                _ => None,
            };
            reject(
                ctx,
                "invalid_state",
                format!("本邮件线程没有可以「{}」的事项", cmd.word()),
                project,
            )
        }
    }
}

/// 第十七条: the engineer closes an open item with 已解决 on its thread.
fn solved(ctx: &Ctx<'_>, item: &OpenItemRef) -> Decision {
    let manager = ctx.sender.has(crate::directory::Role::PresalesManager);
    if ctx.sender.name != item.engineer && !manager {
        return reject(
            ctx,
            "not_authorized",
            format!("遗留问题由汇报它的技服人员{}标记「已解决」", item.engineer),
            Some(&item.project),
        );
    }
    if !item.open {
        return reject(
            ctx,
            "invalid_state",
            "该遗留问题已经关闭".into(),
            Some(&item.project),
        );
    }
    let mut d = Decision::new(KIND, Outcome::Accepted);
    d.project = ProjectKey::new(&item.project);
    d.effects.push(Effect::CloseOpenItem {
        id: item.id,
        how: "已解决",
    });
    d.outgoing.push(ctx.reply(
        OutgoingKind::Ack,
        format!("已记录：遗留问题已解决 {}", item.project),
        text::open_item_closed(&item.project, "已解决"),
    ));
    d
}

fn reject(ctx: &Ctx<'_>, code: &str, problem: String, project: Option<&str>) -> Decision {
    let mut d = Decision::rejected(
        KIND,
        vec![code.to_string()],
        ctx.reply(
            OutgoingKind::Rejection,
            format!("未执行：{}", ctx.mail.subject.trim()),
            text::command_not_done(&problem),
        ),
    );
    d.project = project.and_then(ProjectKey::new);
    d
}

#[cfg(test)]
mod decide_tests;
