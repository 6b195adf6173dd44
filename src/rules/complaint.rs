//! 投诉 (第十三条–第十四条): who may complain, whom it counts against, the monthly and
//! permanent levels, and 撤销投诉.

use super::{
    ActiveComplaint, ComplaintEntry, Ctx, Decision, Effect, Facts, MailKind, NoticeKey, Outcome,
    text,
};
use crate::config::Config;
use crate::directory::Role;
use crate::mail::{Outgoing, OutgoingKind};
use crate::parse::{ComplaintFields, ProjectKey, SubjectKind, WorkflowSubject};

use super::model::window_start;
pub use super::model::{
    Crossing, PER_MONTH_LEVEL, PERMANENT_LEVEL, SCOPE_MONTH, SCOPE_PERMANENT, Tally,
};

const KIND: MailKind = MailKind::Workflow(SubjectKind::Complaint);

/// How many of the counted complaints a 第十四条 notice lists (the newest; the notice gives the
/// total). The engine reads no more than this many per month it can change.
pub const NOTICE_LISTS: usize = 20;
const WITHDRAWAL: MailKind = MailKind::Workflow(SubjectKind::ComplaintWithdrawal);

/// The engineers whose complaint counts a 投诉 or 撤销投诉 on the project can change: the one
/// named as 被投诉人, the project's first presales, and the targets of the complaints a
/// withdrawal may pick (`facts.project_complaints`, at most two). The engine loads counts and
/// notices for these only.
pub fn targets(config: &Config, fields: &ComplaintFields, facts: &Facts) -> Vec<String> {
    let named = fields
        .complained_about
        .as_deref()
        .and_then(|v| config.directory.lookup(v))
        .map(|p| p.name.clone());
    let first = facts
        .project
        .as_ref()
        .and_then(|p| p.first_presales.clone());
    let mut all: Vec<String> = named
        .into_iter()
        .chain(first)
        .chain(facts.project_complaints.iter().map(|c| c.target.clone()))
        .collect();
    all.sort();
    all.dedup();
    all
}

/// The notices a complaint mail's crossings can look up ([`crossings`] checks the level
/// `max(old, new)` of each scope, and a mail moves a count by one): for each target and each
/// month the mail can change, the month's level now and the next one, and the same for the
/// permanent level. The engine reads only these from the store.
pub fn notices_in_question(
    counts: &[(String, String, i64)],
    targets: &[String],
    months: &[String],
    window: u32,
) -> Vec<NoticeKey> {
    let mut keys = Vec::new();
    for target in targets {
        for month in months {
            let now = Tally::of(counts, target, month, window);
            for level in [now.levels_docked(), now.levels_docked() + 1] {
                keys.push((
                    target.clone(),
                    SCOPE_MONTH.to_string(),
                    month.clone(),
                    level,
                ));
            }
            for level in [now.permanent_levels(), now.permanent_levels() + 1] {
                keys.push((
                    target.clone(),
                    SCOPE_PERMANENT.to_string(),
                    "all".to_string(),
                    level,
                ));
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// 第十三条: a sales files a complaint about a project's engineer.
pub fn file(
    ctx: &Ctx<'_>,
    subject: &WorkflowSubject,
    fields: &ComplaintFields,
    facts: &Facts,
) -> Decision {
    let canonical = subject.canonical();
    let s = ctx.sender;
    let responsible = facts
        .project
        .as_ref()
        .filter(|p| p.initiated)
        .and_then(|p| p.responsible_sales.as_deref());
    let others_project = ctx.config.rules.complaint_requires_responsible_sales
        && responsible.is_some_and(|r| r != s.name);
    if !s.has(Role::Sales) || others_project {
        let why = match responsible {
            Some(r) if s.has(Role::Sales) => format!("投诉由该项目的责任销售（{r}）发出"),
            _ => "投诉由项目的责任销售发出".to_string(),
        };
        let reply = ctx.reply(
            OutgoingKind::Rejection,
            format!("已退回：{canonical}"),
            text::not_authorized(s, &why, "第十三条"),
        );
        return Decision::rejected(KIND, vec!["not_authorized".into()], reply);
    }
    let target = match fields.complained_about.as_deref() {
        Some(v) => ctx
            .config
            .directory
            .lookup(v)
            .map(|p| p.name.clone())
            .ok_or((
                "invalid_value:被投诉人",
                format!("「被投诉人」「{v}」不在人员名单中"),
            )),
        None => facts
            .project
            .as_ref()
            .and_then(|p| p.first_presales.clone())
            .ok_or((
                "missing_field:被投诉人",
                "该项目没有立项记录的第一售前，请写明「被投诉人」".to_string(),
            )),
    };
    let key = subject.project.as_deref().and_then(ProjectKey::new);
    let (key, target) = match (key, target) {
        (Some(key), Ok(target)) => (key, target),
        (key, target) => {
            let (code, problem) = match (key, target) {
                (_, Err(e)) => e,
                _ => ("missing_field:项目名称", "标题中缺少项目名称".to_string()),
            };
            // The complaint's fields from the one table, left blank to fill in.
            let lines: String = SubjectKind::Complaint
                .fields()
                .iter()
                .map(|n| format!("\n{n}: "))
                .collect();
            let template = format!(
                "标题：投诉-{}沟通问题{lines}",
                subject.project.as_deref().unwrap_or("项目名称")
            );
            let reply = ctx.reply(
                OutgoingKind::Rejection,
                format!("已退回：{canonical}"),
                text::rejection("投诉", &[problem], &template),
            );
            return Decision::rejected(KIND, vec![code.into()], reply);
        }
    };
    let month = super::month_of(ctx.config, ctx.mail);
    let window = ctx.config.rules.complaint_cumulative_window_months;
    let before = Tally::of(&facts.complaint_months, &target, &month, window);
    let after = Tally {
        month_count: before.month_count + 1,
        cumulative_count: before.cumulative_count + 1,
    };
    let mut d = Decision::new(KIND, Outcome::Accepted);
    d.project = Some(key.clone());
    d.effects.push(Effect::AddComplaint {
        project: key,
        complainant: s.name.clone(),
        target: target.clone(),
        month: month.clone(),
    });
    // 第十三条: to the manager, copying the director; forward to whoever was left out.
    let missing: Vec<String> = [Role::PresalesManager, Role::TechDirector]
        .iter()
        .flat_map(|r| ctx.config.directory.with_role(*r))
        .filter(|p| {
            !p.emails
                .iter()
                .any(|e| ctx.mail.recipients().any(|r| r.eq_ignore_ascii_case(e)))
        })
        .map(|p| p.address().to_string())
        .collect();
    d.outgoing.push(ctx.reply(
        OutgoingKind::Ack,
        format!("已记录：{canonical}"),
        text::complaint_ack(
            &target,
            !missing.is_empty(),
            fields.complained_about.is_none(),
            subject.project.as_deref().unwrap_or_default(),
        ),
    ));
    if !missing.is_empty() {
        d.outgoing.push(Outgoing {
            kind: OutgoingKind::Forward,
            to: missing,
            cc: Vec::new(),
            subject: format!("已转发：{}", ctx.mail.subject.trim()),
            body: text::forward(
                ctx.mail,
                &ctx.local_time(),
                &s.name,
                "第十三条：投诉须发给技术支持部经理并抄送技术总监",
            ),
        });
    }
    let mut counted = facts.target_complaints.clone();
    counted.push(ComplaintEntry {
        id: 0,
        project: subject.project.clone().unwrap_or_default(),
        complainant: s.name.clone(),
        target: target.clone(),
        month: month.clone(),
        filed_at: ctx.mail.date,
    });
    crossings(ctx, facts, &target, &month, before, after, &counted, &mut d);
    d
}

/// One notice per crossing (up or, after a withdrawal, down) — one mail even when the month level
/// and the permanent level are crossed together — never twice for the same level. `counted`:
/// the target's active complaints after this mail, oldest first.
#[allow(clippy::too_many_arguments)]
fn crossings(
    ctx: &Ctx<'_>,
    facts: &Facts,
    target: &str,
    month: &str,
    before: Tally,
    after: Tally,
    counted: &[ComplaintEntry],
    d: &mut Decision,
) {
    let steps = [
        (
            SCOPE_MONTH,
            month.to_string(),
            before.levels_docked(),
            after.levels_docked(),
        ),
        (
            SCOPE_PERMANENT,
            "all".to_string(),
            before.permanent_levels(),
            after.permanent_levels(),
        ),
    ];
    let mut crossed: Vec<Crossing> = Vec::new();
    let mut raised = true;
    for (scope, period, old, new) in steps {
        if old == new {
            continue;
        }
        raised = new > old;
        let level = old.max(new);
        let key: NoticeKey = (target.to_string(), scope.to_string(), period.clone(), level);
        if facts.notices.contains(&key) == raised {
            continue; // already sent (raised), or never sent so nothing to take back
        }
        d.effects.push(Effect::Notice { key, sent: raised });
        crossed.push((scope, period, level));
    }
    if crossed.is_empty() {
        return;
    }
    let permanent = crossed.iter().any(|c| c.0 == SCOPE_PERMANENT);
    let first = window_start(month, ctx.config.rules.complaint_cumulative_window_months);
    let mut listed: Vec<&ComplaintEntry> = counted
        .iter()
        .filter(|c| c.target == target && c.month.as_str() <= month)
        .filter(|c| {
            if permanent {
                first.as_deref().is_none_or(|f| c.month.as_str() >= f)
            } else {
                c.month == month
            }
        })
        .collect();
    // The newest NOTICE_LISTS of them: a busy engineer's window can hold hundreds, which nobody
    // reads in a mail (and which would be read from the store at every crossing).
    let total = if permanent {
        after.cumulative_count
    } else {
        after.month_count
    };
    listed.drain(..listed.len().saturating_sub(NOTICE_LISTS));
    let manager: Vec<String> = ctx
        .config
        .directory
        .with_role(Role::PresalesManager)
        .map(|p| p.name.clone())
        .collect();
    let to = ctx.address_of(target).into_iter().collect::<Vec<_>>();
    let cc = [Role::PresalesManager, Role::TechDirector]
        .iter()
        .flat_map(|r| ctx.addresses(*r))
        .filter(|a| !to.contains(a))
        .collect();
    let notice = text::Threshold {
        target,
        month,
        now: after,
        raised,
        crossed: &crossed,
        listed: &listed,
        total,
        manager: &manager.join("、"),
        timezone: ctx.config.timezone,
    };
    d.outgoing.push(Outgoing {
        kind: OutgoingKind::ComplaintThreshold,
        to,
        cc,
        subject: notice.subject(),
        body: notice.body(),
    });
}

/// 撤销投诉: the complainant withdraws their latest complaint on the project, or the presales
/// manager voids the latest one by anyone.
pub fn withdraw(ctx: &Ctx<'_>, subject: &WorkflowSubject, facts: &Facts) -> Decision {
    let canonical = subject.canonical();
    let s = ctx.sender;
    let manager = s.has(Role::PresalesManager);
    let pick: Option<&ActiveComplaint> = facts
        .project_complaints
        .iter()
        .find(|c| c.complainant == s.name || manager);
    let Some(c) = pick else {
        let (code, problem) = if facts.project_complaints.is_empty() {
            (
                "unknown_project",
                format!(
                    "项目「{}」没有可撤销的投诉",
                    subject.project.as_deref().unwrap_or_default()
                ),
            )
        } else {
            (
                "not_authorized",
                "投诉只能由投诉人本人或售前经理撤销".to_string(),
            )
        };
        let reply = ctx.reply(
            OutgoingKind::Rejection,
            format!("已退回：{canonical}"),
            text::rejection("撤销投诉", &[problem], &format!("标题：{canonical}")),
        );
        return Decision::rejected(WITHDRAWAL, vec![code.into()], reply);
    };
    end(ctx, c, facts, WITHDRAWAL, format!("已记录：{canonical}"))
}

/// 撤销 on a complaint's thread: by its sender or the presales manager.
pub fn withdraw_one(ctx: &Ctx<'_>, c: &ActiveComplaint, facts: &Facts) -> Decision {
    let s = ctx.sender;
    if c.complainant != s.name && !s.has(Role::PresalesManager) {
        let mut d = Decision::rejected(
            MailKind::ThreadCommand,
            vec!["not_authorized".into()],
            ctx.reply(
                OutgoingKind::Rejection,
                format!("已退回：{}", ctx.mail.subject.trim()),
                text::not_authorized(s, "投诉只能由投诉人本人或售前经理撤销", "第十三条"),
            ),
        );
        d.project = ProjectKey::new(&c.project);
        return d;
    }
    end(
        ctx,
        c,
        facts,
        MailKind::ThreadCommand,
        format!("已记录：撤销投诉-{}", c.project),
    )
}

/// Withdraws (or voids) `c`: the effect, the acknowledgement, and any level taken back.
fn end(
    ctx: &Ctx<'_>,
    c: &ActiveComplaint,
    facts: &Facts,
    kind: MailKind,
    subject: String,
) -> Decision {
    let s = ctx.sender;
    let mut d = Decision::new(kind, Outcome::Accepted);
    d.project = ProjectKey::new(&c.project);
    let voided = c.complainant != s.name;
    d.effects
        .push(Effect::WithdrawComplaint { id: c.id, voided });
    let mut ack = ctx.reply(OutgoingKind::Ack, subject, text::withdrawal_ack(c, voided));
    ack.cc = ctx
        .addresses(Role::PresalesManager)
        .into_iter()
        .filter(|a| !ack.to.contains(a))
        .collect();
    d.outgoing.push(ack);
    let window = ctx.config.rules.complaint_cumulative_window_months;
    let before = Tally::of(&facts.complaint_months, &c.target, &c.month, window);
    let after = Tally {
        month_count: before.month_count - 1,
        cumulative_count: before.cumulative_count - 1,
    };
    let counted: Vec<ComplaintEntry> = facts
        .target_complaints
        .iter()
        .filter(|e| e.id != c.id)
        .cloned()
        .collect();
    crossings(
        ctx, facts, &c.target, &c.month, before, after, &counted, &mut d,
    );
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notices_looked_up_are_the_levels_now_and_next_of_each_scope_only() {
        // 张三 has 5 complaints in 2026-12 (month level 2) and 9 since 2026-10 (permanent 2).
        let keys = notices_in_question(&rows(), &["张三".to_string()], &["2026-12".to_string()], 0);
        let k = |scope: &str, period: &str, level| {
            (
                "张三".to_string(),
                scope.to_string(),
                period.to_string(),
                level,
            )
        };
        assert_eq!(
            keys,
            vec![
                k(SCOPE_MONTH, "2026-12", 2),
                k(SCOPE_MONTH, "2026-12", 3),
                k(SCOPE_PERMANENT, "all", 2),
                k(SCOPE_PERMANENT, "all", 3),
            ]
        );
    }

    fn rows() -> Vec<(String, String, i64)> {
        [
            ("张三", "2026-10", 1),
            ("张三", "2026-11", 3),
            ("张三", "2026-12", 5),
            ("李四", "2026-11", 2),
        ]
        .iter()
        .map(|(t, m, n)| (t.to_string(), m.to_string(), *n))
        .collect()
    }

    #[test]
    fn cumulative_counts_everything_up_to_the_end_of_the_month() {
        let t = Tally::of(&rows(), "张三", "2026-11", 0);
        assert_eq!((t.month_count, t.cumulative_count), (3, 4));
        assert_eq!((t.levels_docked(), t.permanent_levels()), (1, 1));
    }

    #[test]
    fn a_window_of_one_month_counts_only_that_month() {
        assert_eq!(Tally::of(&rows(), "张三", "2026-11", 1).cumulative_count, 3);
        assert_eq!(window_start("2026-01", 2).as_deref(), Some("2025-12"));
    }

    #[test]
    fn second_complaint_in_a_month_docks_one_level() {
        let one = Tally {
            month_count: 1,
            cumulative_count: 1,
        };
        let two = Tally {
            month_count: 2,
            cumulative_count: 2,
        };
        assert_eq!((one.levels_docked(), two.levels_docked()), (0, 1));
    }

    #[test]
    fn fourth_complaint_lowers_pay_permanently() {
        let t = Tally {
            month_count: 1,
            cumulative_count: 4,
        };
        assert_eq!(t.permanent_levels(), 1);
        assert_eq!(
            Tally {
                month_count: 1,
                cumulative_count: 7
            }
            .permanent_levels(),
            1
        );
    }
}

#[cfg(test)]
mod decide_tests;
