//! 立项 (第九条–第十条): a sales files the project and names its 第一/第二售前.

use super::{Ctx, Decision, Effect, Facts, MailKind, Outcome, text};
use crate::directory::Role;
use crate::mail::OutgoingKind;
use crate::parse::fields::name;
use crate::parse::{InitiationFields, ProjectKey, SubjectKind, WorkflowSubject};

/// workflow.md §2: the support types a 立项 may name.
pub const SUPPORT_TYPES: [&str; 6] = [
    "售前交流",
    "客户培训",
    "技术文档",
    "产品测试",
    "产品实施",
    "售后服务",
];

pub use super::model::ProjectSheet;

const KIND: MailKind = MailKind::Workflow(SubjectKind::Initiation);

/// Checks a 立项 and creates (or updates) the project, or says what to fix.
pub fn decide(
    ctx: &Ctx<'_>,
    subject: &WorkflowSubject,
    form: &InitiationFields,
    facts: &Facts,
) -> Decision {
    let canonical = subject.canonical();
    let s = ctx.sender;
    if ![Role::Sales, Role::SalesHead, Role::PresalesManager]
        .iter()
        .any(|r| s.has(*r))
    {
        let reply = ctx.reply(
            OutgoingKind::Rejection,
            format!("已退回：{canonical}"),
            text::not_authorized(s, "立项由销售填写《技术支持立项单》发出", "第九条"),
        );
        return Decision::rejected(KIND, vec!["not_authorized".into()], reply);
    }
    let dir = &ctx.config.directory;
    let mut reasons = Vec::new();
    let mut problems = Vec::new();
    let key = subject.project.as_deref().and_then(ProjectKey::new);
    if let (Some(k), Some(named)) = (&key, form.project.as_deref())
        && ProjectKey::new(named).as_ref() != Some(k)
    {
        reasons.push("project_mismatch".to_string());
        problems.push(format!("标题中的项目与正文「项目名称」「{named}」不一致"));
    }
    let sales = match form.responsible_sales.as_deref() {
        None => Some(s),
        Some(v) => {
            let p = dir.lookup(v);
            if p.is_none() {
                reasons.push("invalid_value:责任销售".into());
                problems.push(format!("「责任销售」「{v}」不在人员名单中"));
            }
            p
        }
    };
    let mut presales = |field: &str, value: Option<&str>, required: bool| match value {
        None if required => {
            reasons.push(format!("missing_field:{field}"));
            problems.push(format!("缺少「{field}」：立项须确立责任售前（第九条）"));
            None
        }
        None => None,
        Some(v) => {
            let p = dir
                .lookup(v)
                .filter(|p| p.has(Role::Presales) || p.has(Role::PresalesManager));
            if p.is_none() {
                reasons.push(format!("invalid_value:{field}"));
                problems.push(format!("「{field}」「{v}」不是人员名单中的售前"));
            }
            p
        }
    };
    let first = presales(name::FIRST_PRESALES, form.first_presales.as_deref(), true);
    let second = presales(
        name::SECOND_PRESALES,
        form.second_presales.as_deref(),
        false,
    );
    if let (Some(f), Some(sec)) = (first, second)
        && f.name == sec.name
    {
        reasons.push("invalid_value:第二售前".into());
        problems.push("「第二售前」不能与「第一售前」是同一人".into());
    }
    match form.support_type.as_deref() {
        None => {
            reasons.push("missing_field:支持类型".into());
            problems.push(format!("缺少「支持类型」（{}）", SUPPORT_TYPES.join("/")));
        }
        Some(t) if !SUPPORT_TYPES.contains(&t) => {
            reasons.push("invalid_value:支持类型".into());
            problems.push(format!(
                "「支持类型」「{t}」应为：{}",
                SUPPORT_TYPES.join("/")
            ));
        }
        Some(_) => {}
    }
    if form.support_content.is_none() {
        reasons.push("missing_field:支持内容".into());
        problems.push("缺少「支持内容」：立项时须详细填写技术支持内容要求（第九条）".into());
    }
    let (Some(key), Some(sales), Some(first), true) = (key, sales, first, reasons.is_empty())
    else {
        let template = text::initiation_template(subject, ctx.fields);
        let reply = ctx.reply(
            OutgoingKind::Rejection,
            format!("已退回：{canonical}"),
            text::rejection("立项", &problems, &template),
        );
        return Decision::rejected(KIND, reasons, reply);
    };
    let sheet = ProjectSheet {
        key: key.clone(),
        name: subject.project.clone().unwrap_or_else(|| key.to_string()),
        responsible_sales: sales.name.clone(),
        first_presales: first.name.clone(),
        second_presales: second.map(|p| p.name.clone()),
        support_type: form.support_type.clone().unwrap_or_default(),
        support_content: form.support_content.clone().unwrap_or_default(),
        extras: form.extras(),
    };
    let mut d = Decision::new(KIND, Outcome::Accepted);
    d.project = Some(key);
    let mut ack = ctx.reply(
        OutgoingKind::Ack,
        format!("已记录：{canonical}"),
        text::initiation_ack(&sheet, facts.project.is_some()),
    );
    ack.cc = [Some(first), second]
        .into_iter()
        .flatten()
        .filter(|p| p.name != s.name)
        .map(|p| p.address().to_string())
        .collect();
    d.outgoing.push(ack);
    d.effects.push(Effect::InitiateProject(sheet));
    d
}

#[cfg(test)]
mod decide_tests;
