//! 任务申请 (seed: 「未提交任务申请的工程技术部不派工」): what it must carry, and the ①/② rules.

use super::{SIGNATURE, TaskKind, wan};
use crate::directory::Role;
use crate::mail::{Outgoing, OutgoingKind};
use crate::parse::fields::name;
use crate::parse::values::{day, yuan};
use crate::parse::{ProjectKey, SubjectKind, TaskRequestFields, WorkflowSubject};
use crate::rules::{Ctx, Decision, Effect, MailKind, Outcome, text};
use chrono::NaiveDate;

const KIND: MailKind = MailKind::Workflow(SubjectKind::TaskRequest);

/// The rule quoted when a 施工 contract lacks its number (seed ②).
pub const CONTRACT_RULE: &str = "5万以上的合同必须关联合同号，否则不予派工";

/// A task as filed, for the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    /// 设计 or 施工.
    pub kind: TaskKind,
    /// Project key.
    pub project: ProjectKey,
    /// Project name as the subject wrote it.
    pub project_name: String,
    /// 任务内容.
    pub content: String,
    /// 工程金额 + 设备金额, in yuan.
    pub amount_yuan: i64,
    /// 合同号.
    pub contract_no: Option<String>,
    /// 地点.
    pub site: Option<String>,
    /// 联系人.
    pub contact: Option<String>,
    /// 期望开工.
    pub start_wanted: Option<NaiveDate>,
    /// 期望完工: the task is late after this day.
    pub due: Option<NaiveDate>,
}

/// Files a 任务申请 from a sales person, or rejects it naming every problem and quoting the rule.
pub fn file(ctx: &Ctx<'_>, subject: &WorkflowSubject, f: &TaskRequestFields) -> Decision {
    let canonical = subject.canonical();
    let cfg = &ctx.config.tasks;
    let mut reasons: Vec<String> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let mut problem = |reason: String, text: String| {
        reasons.push(reason);
        problems.push(text);
    };
    if !ctx.sender.has(Role::Sales) && !ctx.sender.has(Role::SalesHead) {
        problem(
            "not_authorized".into(),
            "任务申请由任务人（销售人员）提出（集成部管理流程：任务申请）".into(),
        );
    }
    let kind = subject
        .topic
        .as_deref()
        .and_then(TaskKind::from_name)
        .unwrap_or(TaskKind::Design);
    if let Some(written) = f.task_type.as_deref()
        && TaskKind::from_name(written) != Some(kind)
    {
        problem(
            "invalid_value:任务类型".into(),
            format!(
                "「任务类型」写的是「{written}」，与标题的「{}」不一致",
                kind.as_str()
            ),
        );
    }
    if f.content.is_none() {
        let examples = match kind {
            TaskKind::Design => "技术方案、标书制作、现场查勘等",
            TaskKind::Construction => "安装、调试、工程维修、工程施工等",
        };
        problem(
            "missing_field:任务内容".into(),
            format!("缺少「任务内容」（{}：{examples}）", kind.as_str()),
        );
    }
    let mut amount = |name: &str, value: Option<&str>| match value {
        None => None,
        Some(v) => {
            let read = yuan(v);
            if read.is_none() {
                problem(
                    format!("invalid_value:{name}"),
                    format!("「{name}」写的「{v}」读不出金额；请写如 5万、50000 或 5.5 万元"),
                );
            }
            read
        }
    };
    let project_yuan = amount(name::WORKS_AMOUNT, f.works_amount.as_deref());
    let equipment_yuan = amount(name::EQUIPMENT_AMOUNT, f.equipment_amount.as_deref());
    let mut date = |name: &str, value: Option<&str>| match value {
        None => None,
        Some(v) => {
            let read = day(v);
            if read.is_none() {
                problem(
                    format!("invalid_value:{name}"),
                    format!("「{name}」写的「{v}」读不出日期；请写如 2026-12-10"),
                );
            }
            read
        }
    };
    let start_wanted = date(name::START_WANTED, f.start_wanted.as_deref());
    let due = date(name::FINISH_WANTED, f.finish_wanted.as_deref());
    let written = f.works_amount.is_some() || f.equipment_amount.is_some();
    if !written {
        problem(
            "missing_field:工程金额".into(),
            "缺少「工程金额」或「设备金额」（万元或元，如 5万、50000）".into(),
        );
    }
    let total = project_yuan.unwrap_or(0) + equipment_yuan.unwrap_or(0);
    let contract_no = f.contract_no.clone();
    let at_least = |y: Option<i64>, w: f64| y.is_some_and(|y| y as f64 >= w * 10_000.0);
    match kind {
        // 第①条: 超过5万的工程项目或超过10万的设备安装调试项目 may ask for technical support.
        TaskKind::Design
            if written
                && (project_yuan.is_some() || equipment_yuan.is_some())
                && !at_least(project_yuan, cfg.design_min_project_wan)
                && !at_least(equipment_yuan, cfg.design_min_equipment_wan) =>
        {
            problem(
                "below_threshold".into(),
                format!(
                    "超过{}的工程项目或超过{}的设备安装调试项目需要技术支持的，销售人员可以提交技术支持任务申请单（集成部管理流程①）；本申请工程金额 {}、设备金额 {}，均未达到",
                    wan_of(cfg.design_min_project_wan),
                    wan_of(cfg.design_min_equipment_wan),
                    project_yuan.map_or("未写".into(), wan),
                    equipment_yuan.map_or("未写".into(), wan),
                ),
            );
        }
        // 第②条: 5万以上的合同必须关联合同号，否则不予派工.
        TaskKind::Construction
            if contract_no.is_none()
                && total as f64 >= cfg.construction_contract_wan * 10_000.0 =>
        {
            problem(
                "missing_field:合同号".into(),
                format!(
                    "「{CONTRACT_RULE}」（集成部管理流程②）；本申请金额 {}，缺少「合同号」",
                    wan(total)
                ),
            );
        }
        _ => {}
    }
    let key = subject.project.as_deref().and_then(ProjectKey::new);
    if key.is_none() {
        problem(
            "missing_field:项目名称".into(),
            "标题中的项目名称读不出来；请写如 任务申请-施工-星河项目".into(),
        );
    }
    if !reasons.is_empty() {
        let reply = ctx.reply(
            OutgoingKind::Rejection,
            format!("已退回：{canonical}"),
            text::rejection("任务申请", &problems, &template(kind, subject, ctx.fields)),
        );
        let mut d = Decision::rejected(KIND, reasons, reply);
        d.project = key;
        return d;
    }
    let Some(project) = key else {
        return Decision::ignored(KIND, None);
    };
    let task = NewTask {
        kind,
        project: project.clone(),
        project_name: subject.project.clone().unwrap_or_default(),
        content: f.content.clone().unwrap_or_default(),
        amount_yuan: total,
        contract_no,
        site: f.site.clone(),
        contact: f.contact.clone(),
        start_wanted,
        due,
    };
    let mut d = Decision::new(KIND, Outcome::Accepted);
    d.project = Some(project);
    let from = ctx.mail.from.clone().unwrap_or_default();
    d.outgoing.push(Outgoing {
        kind: OutgoingKind::TaskAck,
        to: vec![from.clone()],
        cc: ctx
            .addresses(Role::EngineeringManager)
            .into_iter()
            .filter(|a| *a != from)
            .collect(),
        subject: format!("已记录：{canonical}"),
        body: format!(
            "任务申请已记录，待工程技术部经理派工。\n\n任务：{canonical}\n任务内容：{}\n金额：{}\n合同号：{}\n期望完工：{}\n\n工程技术部经理请在本邮件线程回复：派工: 工程师姓名[, 姓名…] 或 驳回: 理由。{SIGNATURE}",
            task.content,
            wan(task.amount_yuan),
            task.contract_no.as_deref().unwrap_or("（无）"),
            task.due.map_or("（未写）".into(), |d| d.to_string()),
        ),
    });
    d.effects.push(Effect::FileTask(task));
    d
}

fn wan_of(w: f64) -> String {
    wan((w * 10_000.0).round() as i64)
}

/// The form to resend, with what the sender wrote filled in.
fn template(kind: TaskKind, subject: &WorkflowSubject, fields: &crate::parse::Fields) -> String {
    let get = |name: &str| fields.get(name).map(str::trim).unwrap_or_default();
    let project = subject.project.as_deref().unwrap_or("项目名称");
    let mut s = format!(
        "标题：任务申请-{}-{project}\n任务类型: {}\n",
        kind.as_str(),
        kind.as_str()
    );
    // The kind's fields from the one table; 任务类型 and 项目名称 are in the subject.
    for field in SubjectKind::TaskRequest
        .fields()
        .iter()
        .filter(|n| ![name::TASK_TYPE, name::PROJECT].contains(n))
    {
        s += &format!("{field}: {}\n", get(field));
    }
    s += &format!("联系人: {}\n", get(name::CONTACT));
    s
}
