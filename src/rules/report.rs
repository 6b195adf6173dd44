//! 客户沟通 reports (第十二条, 第十五条–第十七条; 第十一条 for projects with no 立项).

use super::{Ctx, Decision, Effect, Facts, MailKind, Outcome, text};
use crate::config::RulesConfig;
use crate::directory::Role;
use crate::mail::OutgoingKind;
use crate::parse::{ProjectKey, ReportFields, SubjectKind, WorkflowSubject, simplified};

/// 第十五条: the two results.
const SUCCESS: &str = "成功";
const OPEN: &str = "问题遗留";
/// workflow.md §3 priorities; 一般 when none is given.
pub const PRIORITIES: [&str; 3] = ["紧急", "重要", "一般"];
/// How many of the sender's open items a report's ack lists, oldest first, beside how many
/// there are (as a 第十四条 notice lists the newest 20 complaints): a busy engineer can leave
/// hundreds, which nobody reads in a mail and which the store would read at every report.
pub const OWN_OPEN_LISTED: usize = 20;

pub use super::model::ReportRow;

const KIND: MailKind = MailKind::Workflow(SubjectKind::Report);

/// Checks a report and records it, or says exactly what to fix.
pub fn decide(
    ctx: &Ctx<'_>,
    subject: &WorkflowSubject,
    f: &ReportFields,
    facts: &Facts,
) -> Decision {
    let canonical = subject.canonical();
    if !ctx.sender.has(Role::Presales) && !ctx.sender.has(Role::PresalesManager) {
        let reply = ctx.reply(
            OutgoingKind::Rejection,
            format!("已退回：{canonical}"),
            text::not_authorized(
                ctx.sender,
                "客户沟通汇报只由技术支持人员（售前）发送",
                "第十二条",
            ),
        );
        return Decision::rejected(KIND, vec!["not_authorized".into()], reply);
    }
    let mut reasons = Vec::new();
    let mut problems = Vec::new();
    // 第十五条: what a report must carry.
    for (name, value) in f.required() {
        if value.is_none() {
            reasons.push(format!("missing_field:{name}"));
            problems.push(format!("缺少「{name}」（第十五条）"));
        }
    }
    let written = f
        .result
        .as_deref()
        .map(|r| r.trim_end_matches(['。', '.', '！', '!']).trim());
    // Matched in Simplified characters (問題遺留 is 问题遗留); stored as the canonical value.
    let result = written.map(|r| match simplified(r).as_str() {
        SUCCESS => SUCCESS,
        OPEN => OPEN,
        _ => r,
    });
    if let Some(r) = result
        && r != SUCCESS
        && r != OPEN
    {
        reasons.push("invalid_value:沟通结果".into());
        problems.push(format!(
            "「沟通结果」只能是「成功」或「问题遗留」，现为「{r}」（第十五条）"
        ));
    }
    if result == Some(OPEN) && f.leftover.is_none() {
        reasons.push("missing_field:遗留的问题描述".into());
        problems
            .push("沟通结果为「问题遗留」时须写「遗留的问题描述」（第十五条、第十七条）".into());
    }
    let key = subject.project.as_deref().and_then(ProjectKey::new);
    if let (Some(k), Some(named)) = (&key, f.project.as_deref())
        && ProjectKey::new(named).as_ref() != Some(k)
    {
        reasons.push("project_mismatch".into());
        problems.push(format!(
            "标题中的项目「{}」与正文「项目名称」「{named}」不一致",
            subject.project.as_deref().unwrap_or_default()
        ));
    }
    let named_engineer = subject.engineer.as_deref().unwrap_or_default();
    let engineer = ctx.config.directory.by_name(named_engineer);
    if engineer.map(|p| &p.name) != Some(&ctx.sender.name) {
        reasons.push("sender_mismatch".into());
        problems.push(format!(
            "标题中的技服人员是「{named_engineer}」，而邮件由 {} 发出；汇报须由本人发送，标题写自己的名字（第十二条）",
            ctx.sender.name
        ));
    }
    if let Some(content) = f.content.as_deref()
        && is_vague(content, &ctx.config.rules)
    {
        reasons.push("vague_content".into());
        problems.push(format!(
                "「沟通的具体问题」过于笼统：「{content}」。第十五条：不得写“解决了技术问题”这样的笼统语句，须写成“解决vista下远程控制网络参数设置”这样的明确语句"
            ));
    }
    let Some(key) = key.filter(|_| reasons.is_empty()) else {
        if reasons.is_empty() {
            reasons.push("missing_field:项目名称".into());
            problems.push("标题中缺少项目名称（第十二条）".into());
        }
        let template = text::report_template(subject, &ctx.sender.name, ctx.fields);
        let reply = ctx.reply(
            OutgoingKind::Rejection,
            format!("已退回：{canonical}"),
            text::rejection("客户沟通汇报", &problems, &template),
        );
        return Decision::rejected(KIND, reasons, reply);
    };
    let result = result.unwrap_or(SUCCESS).to_string();
    let priority = f
        .priority
        .as_deref()
        .map(simplified)
        .and_then(|p| PRIORITIES.into_iter().find(|known| *known == p))
        .unwrap_or("一般")
        .to_string();
    let row = ReportRow {
        project: key.clone(),
        engineer: ctx.sender.name.clone(),
        result: result.clone(),
        contact: f.contact.clone().unwrap_or_default(),
        method: f.method.clone().unwrap_or_default(),
        content: f.content.clone().unwrap_or_default(),
        leftover: f.leftover.clone(),
        priority: priority.clone(),
        communicated_at: f.contact_time.clone(),
    };
    let mut d = Decision::new(KIND, Outcome::Accepted);
    d.project = Some(key.clone());
    let project_name = subject.project.clone().unwrap_or_else(|| key.to_string());
    let initiated = facts.project.as_ref().filter(|p| p.initiated);
    match initiated {
        None => {
            // 第十一条: no 立项 yet. Ask the 责任销售 (body, else what an earlier report named) to
            // file it, copying the engineer; with no known sales, ask the engineer to forward.
            d.reasons.push("unknown_project".into());
            let sales = f
                .responsible_sales
                .as_deref()
                .and_then(|s| ctx.config.directory.lookup(s))
                .or_else(|| {
                    let p = facts.project.as_ref()?;
                    ctx.config
                        .directory
                        .by_name(p.responsible_sales.as_deref()?)
                });
            if facts.project.is_none() {
                d.effects.push(Effect::CreateUninitiated {
                    key: key.clone(),
                    name: project_name.clone(),
                    responsible_sales: sales.map(|p| p.name.clone()),
                });
            }
            let mut mail = ctx.reply(
                OutgoingKind::InitiationRequest,
                format!("请补立项：{project_name}"),
                text::initiation_request(
                    &project_name,
                    &ctx.sender.name,
                    sales.map(|p| p.name.as_str()),
                ),
            );
            if let Some(s) = sales.filter(|s| s.name != ctx.sender.name) {
                mail.cc = std::mem::replace(&mut mail.to, vec![s.address().to_string()]);
            }
            d.outgoing.push(mail);
        }
        Some(project) => {
            let first = project.first_presales.as_deref();
            let second = project.second_presales.as_deref();
            let me = Some(ctx.sender.name.as_str());
            // 第十七条: a 成功 report closes the open items it names (#n or SB-n, n the item's
            // thread) — never one it does not name. An item of another engineer is closed only
            // when named, and that engineer is copied on the ack.
            let open: Vec<_> = facts.open_items.iter().filter(|i| i.open).collect();
            let threads = threads_named(ctx.mail);
            let named: Vec<_> = if result == SUCCESS {
                open.iter()
                    .filter(|i| threads.binary_search(&i.thread).is_ok())
                    .copied()
                    .collect()
            } else {
                Vec::new()
            };
            for item in &named {
                d.effects.push(Effect::CloseOpenItem {
                    id: item.id,
                    how: "report",
                });
            }
            let others: Vec<String> = named
                .iter()
                .filter(|i| i.engineer != ctx.sender.name)
                .filter_map(|i| ctx.address_of(&i.engineer))
                .collect();
            let closed: Vec<i64> = named.iter().map(|i| i.thread).collect();
            // The sender's items still open after this report: the ack asks about the oldest
            // OWN_OPEN_LISTED and says how many there are. The facts hold the sender's oldest
            // (at least that many more than this report can close) and their count.
            let mine = open.iter().filter(|i| i.engineer == ctx.sender.name);
            let own_before = usize::try_from(facts.own_open_items)
                .unwrap_or(0)
                .max(mine.clone().count());
            let closed_own = mine.clone().filter(|i| closed.contains(&i.thread)).count();
            let still_open: Vec<i64> = mine
                .filter(|i| !closed.contains(&i.thread))
                .map(|i| i.thread)
                .take(OWN_OPEN_LISTED)
                .collect();
            let still_open_total = own_before.saturating_sub(closed_own);
            if is_late(ctx, row.communicated_at.as_deref()) {
                d.flags.push("late".into());
            }
            if me != first && me != second {
                // 第四条: others need approval; recorded, and flagged for the digest.
                d.flags.push("not_assigned".into());
            }
            // 第十二条: the report goes to the project's 责任销售; forward it when it did not.
            let sales = project
                .responsible_sales
                .as_deref()
                .and_then(|n| ctx.config.directory.by_name(n))
                .filter(|p| {
                    p.name != ctx.sender.name
                        && !p
                            .emails
                            .iter()
                            .any(|e| ctx.mail.recipients().any(|r| r.eq_ignore_ascii_case(e)))
                });
            let mut body = text::report_ack(
                &row,
                first,
                &project.name,
                &closed,
                (&still_open, still_open_total),
            );
            let mut forward = None;
            if let Some(p) = sales {
                body = text::with_forward_note(&body, &p.name);
                forward = Some(crate::mail::Outgoing {
                    kind: OutgoingKind::Forward,
                    to: vec![p.address().to_string()],
                    cc: Vec::new(),
                    subject: format!("已转发：{}", ctx.mail.subject.trim()),
                    body: text::forward(
                        ctx.mail,
                        &ctx.local_time(),
                        &ctx.sender.name,
                        "第十二条：客户沟通汇报须发给项目的责任销售",
                    ),
                });
            }
            let mut ack = ctx.reply(OutgoingKind::Ack, format!("已记录：{canonical}"), body);
            ack.cc.extend(others);
            // 问题遗留: the 第一售前, who coordinates the project (第六条), hears of it too.
            if row.leftover.is_some()
                && first != me
                && let Some(a) = first.and_then(|f| ctx.address_of(f))
                && !ack.cc.contains(&a)
            {
                ack.cc.push(a);
            }
            d.outgoing.push(ack);
            d.outgoing.extend(forward);
            if me == second
                && let Some(first_addr) = first.and_then(|f| ctx.address_of(f))
            {
                // 第六条, 第十六条: the 第二售前 tells the 第一售前, copying the manager.
                let cc = ctx.addresses(Role::PresalesManager);
                d.outgoing.push(crate::mail::Outgoing {
                    kind: OutgoingKind::SecondPresalesNotice,
                    to: vec![first_addr.clone()],
                    cc: cc.into_iter().filter(|a| *a != first_addr).collect(),
                    subject: format!(
                        "通知：第二售前{}支持了{}",
                        row.engineer,
                        text::project_name(&project.name)
                    ),
                    body: text::second_presales_notice(
                        &row,
                        &text::date_cn(
                            ctx.mail
                                .date
                                .with_timezone(&ctx.config.timezone)
                                .date_naive(),
                        ),
                        first.unwrap_or_default(),
                        &project.name,
                    ),
                });
            }
        }
    }
    if result == OPEN {
        d.effects.push(Effect::AddReport(row.clone()));
        d.effects.push(Effect::OpenItem {
            project: key,
            engineer: ctx.sender.name.clone(),
            description: row.leftover.clone().unwrap_or_default(),
            due: super::deadlines::of(ctx.config, &priority, ctx.mail.date),
            priority,
        });
    } else {
        d.effects.push(Effect::AddReport(row));
    }
    d
}

/// 第十二条: the report came more than `late_report_after` working hours after its 沟通时间.
/// A 沟通时间 that cannot be read flags nothing.
fn is_late(ctx: &Ctx<'_>, communicated: Option<&str>) -> bool {
    let Some(when) = communicated.and_then(|c| read_local_time(ctx, c)) else {
        return false;
    };
    let limit = chrono::Duration::hours(i64::from(ctx.config.rules.late_report_after));
    ctx.config
        .calendar
        .working_time_between(when, ctx.mail.date)
        > limit
}

/// 沟通时间 as staff write it — `2026-11-25 14:30`, `2026/11/25 14:30`, `2026年11月25日 14:30`,
/// `11-25 14:30` (the mail's year), or a bare date (taken as the end of that working day) — in
/// the department's time zone.
fn read_local_time(ctx: &Ctx<'_>, text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
    let tz = ctx.config.timezone;
    let t = crate::parse::nfkc(text)
        .replace(['/', '.', '年', '月'], "-")
        .replace('日', " ");
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    let year = ctx.mail.date.with_timezone(&tz).format("%Y").to_string();
    let full = if t.matches('-').count() == 1 {
        format!("{year}-{t}")
    } else {
        t
    };
    let naive = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H点%M分",
        "%Y-%m-%d %H点",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(&full, f).ok())
    .or_else(|| {
        let day = NaiveDate::parse_from_str(full.trim(), "%Y-%m-%d").ok()?;
        Some(day.and_time(NaiveTime::from_hms_opt(18, 0, 0)?))
    })?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// The threads of the items a report names (第十七条): `#12`, `SB-12`, `[SB-12]`, `＃12` in
/// its subject or body, sorted. The engine loads those items by these numbers (and the
/// sender's own), never the project's whole list.
pub fn threads_named(mail: &crate::mail::Inbound) -> Vec<i64> {
    named_in(&format!("{} {}", mail.subject, mail.body))
}

/// The numbers `text` names as items: each marker followed by a whole number (no leading
/// zero; `#123` names 123, not 12).
fn named_in(text: &str) -> Vec<i64> {
    let mut named: Vec<i64> = ["#", "SB-", "sb-", "＃"]
        .iter()
        .flat_map(|prefix| text.match_indices(prefix))
        .filter_map(|(at, m)| {
            let rest = &text[at + m.len()..];
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            let digits = &rest[..end];
            (!digits.starts_with('0'))
                .then(|| digits.parse().ok())
                .flatten()
        })
        .collect();
    named.sort_unstable();
    named.dedup();
    named
}

/// 第十五条: content is vague when, with the vague phrases and generic words taken out, fewer
/// than `min_concrete_chars` letters or digits are left.
pub fn is_vague(content: &str, rules: &RulesConfig) -> bool {
    let mut s: String = crate::parse::nfkc(content).to_lowercase();
    let mut cut: Vec<&String> = rules
        .vague_phrases
        .iter()
        .chain(&rules.generic_words)
        .collect();
    cut.sort_by_cached_key(|p| std::cmp::Reverse(p.chars().count()));
    // Longest first, one after the other; a phrase not in the text is only searched for
    // (`replace` builds a new string either way: 5 % of replay's main thread was these copies).
    for p in cut.into_iter().filter(|p| !p.is_empty()) {
        if s.contains(p.as_str()) {
            s = s.replace(p.as_str(), " ");
        }
    }
    s.chars().filter(|c| c.is_alphanumeric()).count() < rules.min_concrete_chars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_names_an_item_only_when_whole_and_after_a_marker() {
        assert_eq!(
            named_in("已解决 #12，SB-7 与 [SB-30] ＃5 sb-9"),
            vec![5, 7, 9, 12, 30]
        );
        assert_eq!(named_in("#123 不是 #12"), vec![12, 123]);
        assert!(named_in("#012 12 SB- # x#").is_empty());
        assert!(named_in("#99999999999999999999999").is_empty());
    }

    #[test]
    fn solved_a_technical_problem_is_vague() {
        let rules = RulesConfig::default();
        assert!(is_vague("解决了技术问题", &rules));
        assert!(is_vague("已解决。", &rules));
        assert!(is_vague("沟通了问题", &rules));
    }

    #[test]
    fn a_named_setting_is_concrete() {
        let rules = RulesConfig::default();
        assert!(!is_vague("解决 vista 下远程控制网络参数设置", &rules));
        assert!(!is_vague("确认客户防火墙放行 3389 端口", &rules));
    }
}

#[cfg(test)]
mod decide_tests;
