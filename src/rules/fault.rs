//! 故障处理工作单 (第四十三条–第四十七条): what it must carry, and who may move it where
//! (the machine itself is [`state`]).

pub mod state;

use super::{Ctx, Decision, Effect, Facts, FaultOrder, FaultState, MailKind, Outcome, text};
use crate::directory::Role;
use crate::mail::{Outgoing, OutgoingKind};
use crate::parse::{Command, FaultOrderFields, ProjectKey, SubjectKind, WorkflowSubject};
use state::{Actor, Move, next_actor, transition};

const KIND: MailKind = MailKind::Workflow(SubjectKind::FaultOrder);

/// 第四十四条: files a fault order, or names what to add.
pub fn file(
    ctx: &Ctx<'_>,
    subject: &WorkflowSubject,
    f: &FaultOrderFields,
    facts: &Facts,
) -> Decision {
    let canonical = subject.canonical();
    let s = ctx.sender;
    let mut reasons = Vec::new();
    let mut problems = Vec::new();
    if !s.has(Role::Presales) && !s.has(Role::PresalesManager) {
        reasons.push("not_authorized".to_string());
        problems.push("故障处理工作单由售前提交（第四十四条）".to_string());
    }
    if !facts.project.as_ref().is_some_and(|p| p.initiated) {
        reasons.push("unknown_project".into());
        problems.push("该项目尚未立项；研发配合须在立项之后（第十九条、第九条）".into());
    }
    for (name, value) in f.required() {
        if value.is_none() {
            reasons.push(format!("missing_field:{name}"));
            problems.push(format!("缺少「{name}」，以利研发排查（第四十四条）"));
        }
    }
    if f.log.is_none() && ctx.mail.attachments == 0 {
        reasons.push("missing_field:日志".into());
        problems.push("缺少「日志」：请写出日志或作为附件发送（第四十四条）".into());
    }
    let tries = f.tries.as_deref().and_then(|t| {
        let t = crate::parse::nfkc(t);
        t.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u32>()
            .ok()
    });
    let severe = f.severe.as_deref().is_some_and(|v| {
        ["是", "严重", "yes", "y", "true"].contains(&crate::parse::nfkc(v).to_lowercase().as_str())
    });
    if !severe && tries.is_none_or(|n| n < 3) {
        let field = if f.tries.is_some() {
            "invalid_value:尝试次数"
        } else {
            "missing_field:尝试次数"
        };
        reasons.push(field.into());
        problems.push("须是三次均无法解决的问题（尝试次数: 3 或以上）或明显严重的bug（严重: 是）（第四十四条）；一般bug请走内部bug反馈流程".into());
    }
    if !reasons.is_empty() {
        let template = text::fault_template(subject, ctx.fields);
        let reply = ctx.reply(
            OutgoingKind::Rejection,
            format!("已退回：{canonical}"),
            text::rejection("故障处理工作单", &problems, &template),
        );
        return Decision::rejected(KIND, reasons, reply);
    }
    let key = subject.project.as_deref().and_then(ProjectKey::new);
    let priority = f
        .priority
        .as_deref()
        .filter(|p| super::report::PRIORITIES.contains(p))
        .unwrap_or("一般")
        .to_string();
    let manager = s.has(Role::PresalesManager);
    let state = if manager {
        FaultState::WithRdManager
    } else {
        FaultState::PendingApproval
    };
    let mut d = Decision::new(KIND, Outcome::Accepted);
    d.project = key.clone();
    let filed_text = text::fault_fields(ctx.fields);
    let attachments = i64::try_from(ctx.mail.attachments).unwrap_or(i64::MAX);
    if let Some(project) = key {
        d.effects.push(Effect::FileFault {
            project,
            due: super::deadlines::of(ctx.config, &priority, ctx.mail.date),
            priority: priority.clone(),
            state,
            text: filed_text.clone(),
            attachments,
        });
    }
    // Whoever must act next is in To: the 售前经理 to approve, or the 研发经理 to assign.
    let to = if manager {
        ctx.addresses(Role::RdManager)
    } else {
        ctx.addresses(Role::PresalesManager)
    };
    let from = ctx.mail.from.clone().unwrap_or_default();
    let cc = if to.iter().any(|a| a.eq_ignore_ascii_case(&from)) {
        Vec::new()
    } else {
        vec![from]
    };
    let manager_name = names(ctx, Role::PresalesManager);
    let rd_manager_name = names(ctx, Role::RdManager);
    d.outgoing.push(Outgoing {
        kind: OutgoingKind::Ack,
        to,
        cc,
        subject: format!("已记录：{canonical}"),
        body: text::fault_filed(
            state,
            &s.name,
            &text::project_name(subject.project.as_deref().unwrap_or_default()),
            &manager_name,
            &rd_manager_name,
            &filed_text,
            attachments,
        ),
    });
    d
}

/// The names of everyone with `role`, 「、」-joined.
fn names(ctx: &Ctx<'_>, role: Role) -> String {
    ctx.config
        .directory
        .with_role(role)
        .map(|p| p.name.clone())
        .collect::<Vec<_>>()
        .join("、")
}

/// The people a fault order's mail goes to, by name.
fn addresses(ctx: &Ctx<'_>, names: &[Option<&str>]) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for a in names.iter().flatten().filter_map(|n| ctx.address_of(n)) {
        if !v.contains(&a) {
            v.push(a);
        }
    }
    v
}

/// One legal move of a fault order, once the sender may make it.
struct Step<'a> {
    to: FaultState,
    lead: Option<String>,
    conversion_proposed: bool,
    note: Option<String>,
    /// Who must hear of it (besides the sender and, for 同意, the R&D manager).
    told: Option<&'a str>,
}

/// A thread command on a fault order. Only the entitled person moves it ([`state::transition`]),
/// only from the right state; anything else is rejected to the sender and changes nothing.
pub fn command(ctx: &Ctx<'_>, order: &FaultOrder, cmd: &Command) -> Decision {
    use FaultState::*;
    let me = ctx.sender.name.as_str();
    let Some(Move {
        by,
        to,
        conversion_proposed,
    }) = transition(order.state, order.conversion_proposed, cmd)
    else {
        return refuse(ctx, order, cmd, "invalid_state");
    };
    let allowed = match by {
        Actor::PresalesManager => ctx.sender.has(Role::PresalesManager),
        Actor::RdManager => ctx.sender.has(Role::RdManager),
        Actor::Lead => order.lead.as_deref() == Some(me),
        Actor::Proposer => me == order.proposer,
    };
    let proposer = Some(order.proposer.as_str());
    let lead = match cmd {
        Command::Assign(name) => {
            let Some(p) = ctx
                .config
                .directory
                .lookup(name)
                .filter(|p| p.has(Role::Rd))
            else {
                return reject(
                    ctx,
                    order,
                    "invalid_value:分配",
                    text::fault_assign_unknown(name),
                );
            };
            Some(p.name.clone())
        }
        _ if matches!(order.state, Assigned | ClosureRequested) => order.lead.clone(),
        _ => None,
    };
    let note = match cmd {
        Command::Reject(why) => Some(why.clone()),
        _ => None,
    };
    // The proposer hears of every move others make; the lead of the proposer's.
    let told = if by == Actor::Proposer {
        order.lead.as_deref()
    } else {
        proposer
    };
    let step = Step {
        to,
        lead,
        conversion_proposed,
        note,
        told,
    };
    if !allowed {
        return refuse(ctx, order, cmd, "not_authorized");
    }
    let lead = order.lead.as_deref();
    let mut d = Decision::new(MailKind::ThreadCommand, Outcome::Accepted);
    d.project = ProjectKey::new(&order.project);
    d.effects.push(Effect::MoveFault {
        id: order.id,
        from: order.state,
        to: step.to,
        lead: step.lead.clone(),
        conversion_proposed: step.conversion_proposed,
        note: step.note.clone(),
    });
    let newly_assigned = step
        .lead
        .as_deref()
        .filter(|_| order.state == WithRdManager);
    // Whoever must act next is in To; everyone else who must hear of it is copied.
    let to_addrs: Vec<String> = match step.to {
        WithRdManager => ctx.addresses(Role::RdManager),
        Assigned if newly_assigned.is_some() => addresses(ctx, &[newly_assigned]),
        Assigned if step.conversion_proposed => addresses(ctx, &[proposer]),
        Assigned => addresses(ctx, &[lead]),
        ClosureRequested => addresses(ctx, &[proposer]),
        _ => addresses(ctx, &[step.told]),
    };
    let from = ctx.mail.from.clone().unwrap_or_default();
    let mut cc: Vec<String> = addresses(ctx, &[step.told]);
    cc.push(from);
    if step.to == Closed {
        // Both managers hear that an order closed.
        cc.extend(ctx.addresses(Role::PresalesManager));
        cc.extend(ctx.addresses(Role::RdManager));
    }
    let mut copied: Vec<String> = Vec::new();
    for a in cc {
        let known = |v: &[String]| v.iter().any(|x| x.eq_ignore_ascii_case(&a));
        if !known(&to_addrs) && !known(&copied) {
            copied.push(a);
        }
    }
    d.outgoing.push(Outgoing {
        kind: OutgoingKind::Ack,
        cc: copied,
        to: to_addrs,
        subject: format!(
            "通知：{}的故障处理工作单{}",
            text::project_name(&order.project),
            text::fault_state_name(step.to)
        ),
        body: text::fault_moved(
            order,
            step.to,
            me,
            step.conversion_proposed,
            step.note.as_deref(),
            step.lead.as_deref(),
        ),
    });
    d
}

fn reject(ctx: &Ctx<'_>, order: &FaultOrder, code: &str, body: String) -> Decision {
    let mut d = Decision::rejected(
        MailKind::ThreadCommand,
        vec![code.to_string()],
        ctx.reply(
            OutgoingKind::Rejection,
            format!(
                "未执行：{}的故障处理工作单",
                text::project_name(&order.project)
            ),
            body,
        ),
    );
    d.project = ProjectKey::new(&order.project);
    d
}

/// Who acts next on `order` in its state ([`state::next_actor`]), by name, and the article
/// that says so.
fn next_step(ctx: &Ctx<'_>, order: &FaultOrder) -> Option<text::NextStep> {
    let actor = next_actor(order.state, order.conversion_proposed)?;
    let name =
        state::names_of(ctx.config, &order.proposer, order.lead.as_deref(), actor).join("、");
    let (role, action, article) = match (actor, order.state) {
        (Actor::PresalesManager, _) => ("售前经理", "回复「同意」或「驳回: 理由」", "第四十四条"),
        (Actor::RdManager, _) => (
            "研发经理",
            "回复「分配: 研发负责人姓名」或「驳回: 理由」",
            "第四十五条",
        ),
        (Actor::Proposer, FaultState::Assigned) => {
            ("故障提出人", "回复「同意」转定制", "第四十七条")
        }
        (Actor::Lead, _) => ("研发负责人", "解决后回复「申请关闭」", "第四十六条"),
        (Actor::Proposer, _) => ("故障提出人", "回复「确认关闭」或「未解决」", "第四十六条"),
    };
    Some(text::NextStep {
        role,
        name,
        action,
        article,
    })
}

/// A command the sender may not give, or not now: who may, and the state; nothing to fix.
fn refuse(ctx: &Ctx<'_>, order: &FaultOrder, cmd: &Command, code: &str) -> Decision {
    let next = next_step(ctx, order);
    let wrong_person = code == "not_authorized";
    let mut d = Decision::rejected(
        MailKind::ThreadCommand,
        vec![code.to_string()],
        ctx.reply(
            OutgoingKind::Rejection,
            format!(
                "未执行：{}的故障处理工作单",
                text::project_name(&order.project)
            ),
            text::command_refused(
                "该故障处理工作单",
                cmd.word(),
                text::fault_state_name(order.state),
                next.as_ref(),
                !wrong_person,
            ),
        ),
    );
    d.project = ProjectKey::new(&order.project);
    d
}
