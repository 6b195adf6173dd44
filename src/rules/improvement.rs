//! 产品改进申请单 (第十九条–第二十二条): numbered per project; the first two from the project's
//! presales, the third and later only from the presales manager; R&D time adds up per project.

use super::{Ctx, Decision, Effect, Facts, ImprovementRef, MailKind, Outcome, text};
use crate::directory::Role;
use crate::mail::{Outgoing, OutgoingKind};
use crate::parse::{ProjectKey, SubjectKind, WorkflowSubject};

/// 第二十一条: how many requests a project's presales may send before the manager must.
pub const PRESALES_LIMIT: i64 = 2;

const KIND: MailKind = MailKind::Workflow(SubjectKind::ImprovementRequest);

/// Files a request, or says why it is not valid.
pub fn file(ctx: &Ctx<'_>, subject: &WorkflowSubject, facts: &Facts) -> Decision {
    let canonical = subject.canonical();
    let s = ctx.sender;
    let reject = |code: &str, problem: String| {
        let reply = ctx.reply(
            OutgoingKind::Rejection,
            format!("已退回：{canonical}"),
            text::rejection("产品改进申请", &[problem], &format!("标题：{canonical}")),
        );
        Decision::rejected(KIND, vec![code.to_string()], reply)
    };
    let Some(project) = facts.project.as_ref().filter(|p| p.initiated) else {
        return reject(
            "unknown_project",
            "该项目尚未立项；研发配合须在立项之后（第十九条、第九条）".into(),
        );
    };
    let manager = s.has(Role::PresalesManager);
    let own = [&project.first_presales, &project.second_presales]
        .iter()
        .any(|p| p.as_deref() == Some(s.name.as_str()));
    if !manager && !own {
        return reject(
            "not_authorized",
            "产品改进申请单由该项目的售前（前两次）或售前经理（第三次起）发出（第二十一条）".into(),
        );
    }
    if !manager && facts.improvement_count >= PRESALES_LIMIT {
        // Replying cannot fix this: it goes through the 售前经理, who is copied.
        let managers: Vec<String> = ctx
            .config
            .directory
            .with_role(Role::PresalesManager)
            .map(|p| p.name.clone())
            .collect();
        let mut reply = ctx.reply(
            OutgoingKind::Rejection,
            format!("未登记：{canonical}"),
            text::improvement_through_manager(
                &s.name,
                &project.name,
                facts.improvement_count,
                &managers.join("、"),
            ),
        );
        reply.cc = ctx
            .addresses(Role::PresalesManager)
            .into_iter()
            .filter(|a| !reply.to.iter().any(|t| t.eq_ignore_ascii_case(a)))
            .collect();
        return Decision::rejected(KIND, vec!["limit_exceeded".to_string()], reply);
    }
    let number = facts.improvement_count + 1;
    let mut d = Decision::new(KIND, Outcome::Accepted);
    d.project = Some(project.key.clone());
    d.effects.push(Effect::FileImprovement {
        project: project.key.clone(),
        number,
    });
    let mut ack = ctx.reply(
        OutgoingKind::Ack,
        format!("已记录：{canonical}（第 {number} 号）"),
        text::improvement_ack(&project.name, number),
    );
    ack.cc = ctx.addresses(Role::RdManager);
    d.outgoing.push(ack);
    d
}

/// 第二十二条: R&D reports time on a request's thread; crossing the threshold tells the sales once.
pub fn rd_time(ctx: &Ctx<'_>, item: &ImprovementRef, hours: f64) -> Decision {
    let mut d = Decision::new(MailKind::ThreadCommand, Outcome::Accepted);
    d.project = ProjectKey::new(&item.project);
    d.effects.push(Effect::AddRdTime {
        request: item.id,
        hours,
    });
    let rules = &ctx.config.rules;
    let threshold = rules.rd_cost_threshold_days * rules.rd_hours_per_day;
    let total = item.project_rd_hours + hours;
    d.outgoing.push(ctx.reply(
        OutgoingKind::Ack,
        format!("已记录：研发工时 {}", item.project),
        text::rd_time_ack(item.number, hours, total, rules.rd_hours_per_day),
    ));
    if total > threshold && !item.rd_notice_sent {
        d.effects.push(Effect::RdCostNotice {
            project: item.project.clone(),
        });
        let mut to: Vec<String> = item
            .responsible_sales
            .as_deref()
            .and_then(|n| ctx.address_of(n))
            .into_iter()
            .collect();
        for a in ctx.addresses(Role::SalesHead) {
            if !to.contains(&a) {
                to.push(a);
            }
        }
        let (subject, body) = text::rd_cost_notice(&item.project, total, rules.rd_hours_per_day);
        d.outgoing.push(Outgoing {
            kind: OutgoingKind::RdCostNotice,
            to,
            cc: Vec::new(),
            subject,
            body,
        });
    }
    d
}
