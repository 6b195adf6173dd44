//! What the rules answer: the kind and outcome of a mail, the state changes to apply and the
//! mail to send.

use super::{FaultState, MailKind, NoticeKey, Outcome, ProjectSheet, ReportRow};
use crate::mail::Outgoing;
use crate::parse::ProjectKey;

/// A state change the engine applies in the mail's transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// 立项: create or update the project and mark it initiated.
    InitiateProject(ProjectSheet),
    /// 第十一条: a report names a project with no 立项.
    CreateUninitiated {
        /// Key.
        key: ProjectKey,
        /// Name as written.
        name: String,
        /// 责任销售 named in the report, if any.
        responsible_sales: Option<String>,
    },
    /// 第十六条: a row of the 第一售前's 项目跟踪表.
    AddReport(ReportRow),
    /// 第十七条: 问题遗留 opens an item on the project.
    OpenItem {
        /// Project key.
        project: ProjectKey,
        /// The engineer who reported it.
        engineer: String,
        /// 遗留的问题描述.
        description: String,
        /// 紧急 / 重要 / 一般.
        priority: String,
        /// Its SLA deadlines (第七条), counted from the mail's event time.
        due: super::deadlines::Deadlines,
    },
    /// 第十三条: a complaint counted against `target`.
    AddComplaint {
        /// Project key.
        project: ProjectKey,
        /// Sales who filed it.
        complainant: String,
        /// Engineer complained about.
        target: String,
        /// `YYYY-MM`.
        month: String,
    },
    /// 撤销投诉: withdrawn by its sender, or voided by the presales manager.
    WithdrawComplaint {
        /// Complaint row id.
        id: i64,
        /// True when voided by the manager rather than withdrawn by its sender.
        voided: bool,
    },
    /// 第十七条: an open item closed.
    CloseOpenItem {
        /// Row id.
        id: i64,
        /// By what: `report` or `已解决`.
        how: &'static str,
    },
    /// 第二十一条: an improvement request takes its number.
    FileImprovement {
        /// Project key.
        project: ProjectKey,
        /// Number within the project.
        number: i64,
    },
    /// 第二十二条: R&D time on a request.
    AddRdTime {
        /// Request row id.
        request: i64,
        /// Hours.
        hours: f64,
    },
    /// 第二十二条: the one notice per project.
    RdCostNotice {
        /// Project key.
        project: String,
    },
    /// 第四十四条: a fault order filed.
    FileFault {
        /// Project key.
        project: ProjectKey,
        /// 紧急 / 重要 / 一般.
        priority: String,
        /// First state.
        state: FaultState,
        /// The order's fields as filed (第四十四条), one 「名称: 内容」 a line.
        text: String,
        /// Files attached to the original mail.
        attachments: i64,
        /// Its SLA deadlines, counted from the mail's event time.
        due: super::deadlines::Deadlines,
    },
    /// 第四十五条–第四十七条: a fault order moves.
    MoveFault {
        /// Row id.
        id: i64,
        /// From.
        from: FaultState,
        /// To.
        to: FaultState,
        /// The lead after the move.
        lead: Option<String>,
        /// 转定制 proposed and awaiting the proposer.
        conversion_proposed: bool,
        /// 驳回 reason or other note.
        note: Option<String>,
    },
    /// 第八条: internal bug feedback recorded, with who was left out.
    FileBug {
        /// Product or module.
        topic: String,
        /// Names missing from To/Cc.
        missing: Vec<String>,
    },
    /// 满意度回访: the customer's answer on the item's thread.
    AnswerSatisfaction {
        /// The follow-up's row id.
        id: i64,
        /// 满意 / 基本满意 / 不满意.
        level: super::satisfaction::Level,
        /// The 说明 line, as written.
        note: Option<String>,
    },
    /// 集成部任务申请 accepted: the task is filed, waiting for 派工.
    FileTask(super::task::request::NewTask),
    /// A task moves (tasks.md «Thread commands»).
    MoveTask {
        /// Row id.
        id: i64,
        /// From.
        from: super::task::TaskState,
        /// To.
        to: super::task::TaskState,
        /// What else changes.
        change: super::task::TaskChange,
    },
    /// A complaint-threshold notice sent (or revoked when `sent` is false).
    Notice {
        /// (engineer, scope, period, level)
        key: NoticeKey,
        /// Sent now (true) or revoked by a withdrawal (false).
        sent: bool,
    },
}

/// The rules' answer for one mail.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// What the mail is.
    pub kind: MailKind,
    /// What became of it.
    pub outcome: Outcome,
    /// Why (interface.md reason codes).
    pub reasons: Vec<String>,
    /// Accepted, but worth a manager's look (`not_assigned`).
    pub flags: Vec<String>,
    /// The project it concerns.
    pub project: Option<ProjectKey>,
    /// State changes.
    pub effects: Vec<Effect>,
    /// Mail to send.
    pub outgoing: Vec<Outgoing>,
}

impl Decision {
    pub(crate) fn new(kind: MailKind, outcome: Outcome) -> Self {
        Decision {
            kind,
            outcome,
            reasons: Vec::new(),
            flags: Vec::new(),
            project: None,
            effects: Vec::new(),
            outgoing: Vec::new(),
        }
    }

    /// Ignored, with an optional reason.
    pub(crate) fn ignored(kind: MailKind, reason: Option<&str>) -> Self {
        let mut d = Decision::new(kind, Outcome::Ignored);
        d.reasons.extend(reason.map(String::from));
        d
    }

    /// A rejection to the sender naming every problem.
    pub(crate) fn rejected(kind: MailKind, reasons: Vec<String>, reply: Outgoing) -> Self {
        let mut d = Decision::new(kind, Outcome::Rejected);
        d.reasons = reasons;
        d.outgoing.push(reply);
        d
    }
}
