//! The one table of body fields (mail-formats.md «Bodies»): the canonical name of every field,
//! which kinds of workflow mail carry it, and the typed fields each rule reads.
//!
//! A body is read once, at the edge, into [`Fields`] (every `字段: 值` line as written, by
//! canonical name; staff may write the synonyms of config `[synonyms]`). Each rule then receives
//! its kind's typed struct ([`ReportFields`], [`InitiationFields`], …) built from those
//! `Fields`; rejection templates list the kind's names from [`SubjectKind::fields`], which reads
//! this table. A value in a typed struct is trimmed, and a field left empty counts as absent.

use std::sync::LazyLock;

use super::body::Fields;
use super::subject::SubjectKind;

/// Canonical field names, so code names a field by one spelling.
pub mod name {
    /// 沟通结果 (第十五条): 成功 or 问题遗留.
    pub const RESULT: &str = "沟通结果";
    /// 项目名称.
    pub const PROJECT: &str = "项目名称";
    /// 沟通人: whom the engineer spoke to (a task's 联系人 is a synonym).
    pub const CONTACT: &str = "沟通人";
    /// 沟通方式: phone, visit, …
    pub const METHOD: &str = "沟通方式";
    /// 沟通的具体问题: what was done, as a concrete sentence.
    pub const CONTENT: &str = "沟通的具体问题";
    /// 遗留的问题描述: the open issue when the result is 问题遗留.
    pub const LEFTOVER: &str = "遗留的问题描述";
    /// 沟通时间: when the contact took place.
    pub const CONTACT_TIME: &str = "沟通时间";
    /// 责任销售.
    pub const RESPONSIBLE_SALES: &str = "责任销售";
    /// 优先级.
    pub const PRIORITY: &str = "优先级";
    /// 第一售前.
    pub const FIRST_PRESALES: &str = "第一售前";
    /// 第二售前.
    pub const SECOND_PRESALES: &str = "第二售前";
    /// 支持类型.
    pub const SUPPORT_TYPE: &str = "支持类型";
    /// 支持内容.
    pub const SUPPORT_CONTENT: &str = "支持内容";
    /// 期望时间.
    pub const EXPECTED_TIME: &str = "期望时间";
    /// 合同号.
    pub const CONTRACT_NO: &str = "合同号";
    /// 合同金额.
    pub const CONTRACT_AMOUNT: &str = "合同金额";
    /// 被投诉人.
    pub const COMPLAINED_ABOUT: &str = "被投诉人";
    /// 情况说明.
    pub const ACCOUNT: &str = "情况说明";
    /// 环境.
    pub const ENVIRONMENT: &str = "环境";
    /// 操作过程.
    pub const STEPS: &str = "操作过程";
    /// 现象.
    pub const SYMPTOM: &str = "现象";
    /// 日志.
    pub const LOG: &str = "日志";
    /// 尝试次数.
    pub const TRIES: &str = "尝试次数";
    /// 严重.
    pub const SEVERE: &str = "严重";
    /// 任务类型: 设计 or 施工.
    pub const TASK_TYPE: &str = "任务类型";
    /// 任务内容.
    pub const TASK_CONTENT: &str = "任务内容";
    /// 工程金额.
    pub const WORKS_AMOUNT: &str = "工程金额";
    /// 设备金额.
    pub const EQUIPMENT_AMOUNT: &str = "设备金额";
    /// 地点.
    pub const SITE: &str = "地点";
    /// 期望开工.
    pub const START_WANTED: &str = "期望开工";
    /// 期望完工.
    pub const FINISH_WANTED: &str = "期望完工";
}

use name::*;

/// The table: each kind's body fields, in the order templates list them.
const TABLE: [(SubjectKind, &[&str]); 5] = [
    // 第十五条: the report
    (
        SubjectKind::Report,
        &[
            RESULT,
            PROJECT,
            CONTACT,
            METHOD,
            CONTENT,
            LEFTOVER,
            CONTACT_TIME,
            RESPONSIBLE_SALES,
            PRIORITY,
        ],
    ),
    // 第九条: 立项
    (
        SubjectKind::Initiation,
        &[
            PROJECT,
            RESPONSIBLE_SALES,
            FIRST_PRESALES,
            SECOND_PRESALES,
            SUPPORT_TYPE,
            SUPPORT_CONTENT,
            EXPECTED_TIME,
            CONTRACT_NO,
            CONTRACT_AMOUNT,
        ],
    ),
    // 第十三条: 投诉
    (SubjectKind::Complaint, &[COMPLAINED_ABOUT, ACCOUNT]),
    // 第四十四条: 故障处理
    (
        SubjectKind::FaultOrder,
        &[ENVIRONMENT, STEPS, SYMPTOM, LOG, TRIES, SEVERE, PRIORITY],
    ),
    // 集成部任务申请 (tasks.md); 联系人 is read through 沟通人's synonyms.
    (
        SubjectKind::TaskRequest,
        &[
            TASK_TYPE,
            PROJECT,
            TASK_CONTENT,
            WORKS_AMOUNT,
            EQUIPMENT_AMOUNT,
            CONTRACT_NO,
            SITE,
            START_WANTED,
            FINISH_WANTED,
        ],
    ),
];

/// The body fields of `kind` (canonical names, in template order); none for a kind without a body.
pub fn of_kind(kind: SubjectKind) -> &'static [&'static str] {
    TABLE
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(&[], |(_, names)| names)
}

/// The table read by kind. (These methods live beside the table, not in `subject.rs`, so the
/// subject parser does not import the field table that imports it.)
impl SubjectKind {
    /// The body fields of this kind (canonical names, from the one table in [`super::fields`]).
    /// A reply whose own text carries enough of them is a new mail of this kind, not a thread
    /// command.
    pub fn fields(self) -> &'static [&'static str] {
        of_kind(self)
    }

    /// The fields only this kind has (not 项目名称, 优先级 or 责任销售, which several share): two
    /// of them in a body with no readable workflow subject make the mail a near-miss of the kind.
    pub fn own_fields(self) -> impl Iterator<Item = &'static str> {
        self.fields()
            .iter()
            .copied()
            .filter(|f| ![name::PROJECT, name::PRIORITY, name::RESPONSIBLE_SALES].contains(f))
    }

    /// How many of its fields a body must carry to be read as this kind: 2, or 1 for a kind with
    /// only two fields (投诉: 被投诉人, 情况说明); None for a kind with no fields of its own.
    pub fn fields_needed(self) -> Option<usize> {
        match self.fields().len() {
            0 => None,
            n => Some(n.min(3) - 1),
        }
    }
}

/// Every field name a workflow body may carry, each once, in table order. Config `[synonyms]`
/// may only extend these.
pub static FIELD_NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut all: Vec<&'static str> = Vec::new();
    for name in TABLE.iter().flat_map(|(_, names)| names.iter()) {
        if !all.contains(name) {
            all.push(name);
        }
    }
    all
});

/// The value of field `name`, trimmed; None when absent or left empty.
fn value(fields: &Fields, name: &str) -> Option<String> {
    fields
        .get(name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
}

/// A 客户沟通 report's fields (第十五条).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFields {
    /// 沟通结果, as written.
    pub result: Option<String>,
    /// 项目名称.
    pub project: Option<String>,
    /// 沟通人.
    pub contact: Option<String>,
    /// 沟通方式.
    pub method: Option<String>,
    /// 沟通的具体问题.
    pub content: Option<String>,
    /// 遗留的问题描述.
    pub leftover: Option<String>,
    /// 沟通时间, as written.
    pub contact_time: Option<String>,
    /// 责任销售: who should file the 立项 of a project that has none (第十一条).
    pub responsible_sales: Option<String>,
    /// 优先级, as written.
    pub priority: Option<String>,
}

impl ReportFields {
    /// Reads a report's fields from a body's fields.
    pub fn read(fields: &Fields) -> Self {
        ReportFields {
            result: value(fields, RESULT),
            project: value(fields, PROJECT),
            contact: value(fields, CONTACT),
            method: value(fields, METHOD),
            content: value(fields, CONTENT),
            leftover: value(fields, LEFTOVER),
            contact_time: value(fields, CONTACT_TIME),
            responsible_sales: value(fields, RESPONSIBLE_SALES),
            priority: value(fields, PRIORITY),
        }
    }

    /// 第十五条: the fields every report must carry, with their values, in the order a
    /// rejection names the missing ones.
    pub fn required(&self) -> [(&'static str, Option<&str>); 5] {
        [
            (RESULT, self.result.as_deref()),
            (PROJECT, self.project.as_deref()),
            (CONTACT, self.contact.as_deref()),
            (METHOD, self.method.as_deref()),
            (CONTENT, self.content.as_deref()),
        ]
    }
}

/// A 立项's fields (第九条, 《技术支持立项单》).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitiationFields {
    /// 项目名称.
    pub project: Option<String>,
    /// 责任销售; the sender when absent.
    pub responsible_sales: Option<String>,
    /// 第一售前.
    pub first_presales: Option<String>,
    /// 第二售前.
    pub second_presales: Option<String>,
    /// 支持类型.
    pub support_type: Option<String>,
    /// 支持内容.
    pub support_content: Option<String>,
    /// 期望时间.
    pub expected_time: Option<String>,
    /// 合同号.
    pub contract_no: Option<String>,
    /// 合同金额.
    pub contract_amount: Option<String>,
}

impl InitiationFields {
    /// Reads a 立项's fields from a body's fields.
    pub fn read(fields: &Fields) -> Self {
        InitiationFields {
            project: value(fields, PROJECT),
            responsible_sales: value(fields, RESPONSIBLE_SALES),
            first_presales: value(fields, FIRST_PRESALES),
            second_presales: value(fields, SECOND_PRESALES),
            support_type: value(fields, SUPPORT_TYPE),
            support_content: value(fields, SUPPORT_CONTENT),
            expected_time: value(fields, EXPECTED_TIME),
            contract_no: value(fields, CONTRACT_NO),
            contract_amount: value(fields, CONTRACT_AMOUNT),
        }
    }

    /// The optional fields that were filled (期望时间, 合同号, 合同金额), as `(name, value)`.
    pub fn extras(&self) -> Vec<(String, String)> {
        [
            (EXPECTED_TIME, &self.expected_time),
            (CONTRACT_NO, &self.contract_no),
            (CONTRACT_AMOUNT, &self.contract_amount),
        ]
        .into_iter()
        .filter_map(|(name, v)| v.as_ref().map(|v| (name.to_string(), v.clone())))
        .collect()
    }
}

/// A 投诉's fields (第十三条).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComplaintFields {
    /// 被投诉人; the project's 第一售前 when absent.
    pub complained_about: Option<String>,
    /// 情况说明.
    pub account: Option<String>,
}

impl ComplaintFields {
    /// Reads a complaint's fields from a body's fields.
    pub fn read(fields: &Fields) -> Self {
        ComplaintFields {
            complained_about: value(fields, COMPLAINED_ABOUT),
            account: value(fields, ACCOUNT),
        }
    }
}

/// A 故障处理工作单's fields (第四十四条).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultOrderFields {
    /// 环境.
    pub environment: Option<String>,
    /// 操作过程.
    pub steps: Option<String>,
    /// 现象.
    pub symptom: Option<String>,
    /// 日志 (may come as an attachment instead).
    pub log: Option<String>,
    /// 尝试次数, as written.
    pub tries: Option<String>,
    /// 严重, as written.
    pub severe: Option<String>,
    /// 优先级, as written.
    pub priority: Option<String>,
}

impl FaultOrderFields {
    /// Reads a fault order's fields from a body's fields.
    pub fn read(fields: &Fields) -> Self {
        FaultOrderFields {
            environment: value(fields, ENVIRONMENT),
            steps: value(fields, STEPS),
            symptom: value(fields, SYMPTOM),
            log: value(fields, LOG),
            tries: value(fields, TRIES),
            severe: value(fields, SEVERE),
            priority: value(fields, PRIORITY),
        }
    }

    /// 第四十四条: the fields every order must carry so R&D can look into it, with their values.
    pub fn required(&self) -> [(&'static str, Option<&str>); 3] {
        [
            (ENVIRONMENT, self.environment.as_deref()),
            (STEPS, self.steps.as_deref()),
            (SYMPTOM, self.symptom.as_deref()),
        ]
    }
}

/// A 集成部任务申请's fields (tasks.md).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskRequestFields {
    /// 任务类型, as written.
    pub task_type: Option<String>,
    /// 项目名称.
    pub project: Option<String>,
    /// 任务内容.
    pub content: Option<String>,
    /// 工程金额, as written.
    pub works_amount: Option<String>,
    /// 设备金额, as written.
    pub equipment_amount: Option<String>,
    /// 合同号.
    pub contract_no: Option<String>,
    /// 地点.
    pub site: Option<String>,
    /// 联系人 (read as 沟通人, of which it is a synonym).
    pub contact: Option<String>,
    /// 期望开工, as written.
    pub start_wanted: Option<String>,
    /// 期望完工, as written.
    pub finish_wanted: Option<String>,
}

impl TaskRequestFields {
    /// Reads a task request's fields from a body's fields.
    pub fn read(fields: &Fields) -> Self {
        TaskRequestFields {
            task_type: value(fields, TASK_TYPE),
            project: value(fields, PROJECT),
            content: value(fields, TASK_CONTENT),
            works_amount: value(fields, WORKS_AMOUNT),
            equipment_amount: value(fields, EQUIPMENT_AMOUNT),
            contract_no: value(fields, CONTRACT_NO),
            site: value(fields, SITE),
            contact: value(fields, CONTACT),
            start_wanted: value(fields, START_WANTED),
            finish_wanted: value(fields, FINISH_WANTED),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{FieldSchema, parse_fields};

    fn read(body: &str) -> Fields {
        parse_fields(body, &FieldSchema::default().with_names(&FIELD_NAMES))
    }

    #[test]
    fn every_field_name_is_listed_once_in_table_order() {
        // The list README.md's «[synonyms]» gives, in its order.
        let documented = "沟通结果 项目名称 沟通人 沟通方式 沟通的具体问题 遗留的问题描述 沟通时间 责任销售 \
            优先级 第一售前 第二售前 支持类型 支持内容 期望时间 合同号 合同金额 被投诉人 情况说明 环境 \
            操作过程 现象 日志 尝试次数 严重 任务类型 任务内容 工程金额 设备金额 地点 期望开工 期望完工";
        assert_eq!(
            *FIELD_NAMES,
            documented.split_whitespace().collect::<Vec<_>>()
        );
        assert_eq!(of_kind(SubjectKind::Complaint), [COMPLAINED_ABOUT, ACCOUNT]);
        assert!(of_kind(SubjectKind::BugFeedback).is_empty());
    }

    #[test]
    fn every_field_a_typed_struct_reads_is_in_the_table() {
        let body: String = FIELD_NAMES.iter().map(|n| format!("{n}: x\n")).collect();
        let fields = read(&body);
        let report = ReportFields::read(&fields);
        assert!(report.required().iter().all(|(_, v)| *v == Some("x")));
        let fault = FaultOrderFields::read(&fields);
        assert!(fault.required().iter().all(|(_, v)| *v == Some("x")));
        let initiation = InitiationFields::read(&fields);
        assert_eq!(initiation.extras().len(), 3);
        assert_eq!(initiation.first_presales.as_deref(), Some("x"));
        let task = TaskRequestFields::read(&fields);
        assert_eq!(task.finish_wanted.as_deref(), Some("x"));
        assert_eq!(task.contact.as_deref(), Some("x"));
        let complaint = ComplaintFields::read(&fields);
        assert_eq!(complaint.account.as_deref(), Some("x"));
    }

    #[test]
    fn a_field_left_empty_reads_as_absent_and_values_are_trimmed() {
        let fields = read("沟通结果:   \n沟通人:  客户王工  \n");
        let report = ReportFields::read(&fields);
        assert_eq!(report.result, None);
        assert_eq!(report.contact.as_deref(), Some("客户王工"));
        assert_eq!(report.method, None);
    }
}
