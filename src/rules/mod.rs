//! The regulation as pure functions: `(facts, mail) → Decision`. No I/O and no clock: the engine
//! loads the [`Facts`] a mail needs inside its transaction, calls [`decide`], and applies the result.

mod bug;
pub mod complaint;
mod fault;
mod improvement;
mod initiation;
mod thread;
pub use initiation::ProjectSheet;
pub use report::ReportRow;
pub use text::fault_state_name;
mod report;
mod text;

use crate::config::Config;
use crate::directory::{Person, Role};
use crate::mail::{Inbound, Outgoing, OutgoingKind};
use crate::parse::{ParsedSubject, ProjectKey, SubjectClass, SubjectKind};
use std::collections::HashSet;

/// What a mail is, by its subject (interface.md `report messages` `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    /// A workflow subject.
    Workflow(SubjectKind),
    /// A reply on a thread the bot runs.
    ThreadCommand,
    /// Clearly tries to be a workflow subject but cannot be read.
    NearMiss,
    /// Anything else.
    Ordinary,
    /// An auto-reply or bounce.
    AutoReply,
}

impl MailKind {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Workflow(k) => k.as_str(),
            MailKind::ThreadCommand => "thread_command",
            MailKind::NearMiss => "near_miss",
            MailKind::Ordinary => "ordinary",
            MailKind::AutoReply => "auto_reply",
        }
    }
}

/// What became of a mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Checked and recorded.
    Accepted,
    /// Checked and answered with what to fix.
    Rejected,
    /// Not acted on.
    Ignored,
}

impl Outcome {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Rejected => "rejected",
            Outcome::Ignored => "ignored",
        }
    }
}

/// A project as the store knows it (立项, 第九条–第十一条).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// The project key.
    pub key: ProjectKey,
    /// The name as first written.
    pub name: String,
    /// Whether a 立项 was filed (第十一条: reports can create it uninitiated).
    pub initiated: bool,
    /// 责任销售 (name).
    pub responsible_sales: Option<String>,
    /// 第一售前 (name).
    pub first_presales: Option<String>,
    /// 第二售前 (name).
    pub second_presales: Option<String>,
}

/// An active complaint on the subject's project (for 撤销投诉).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveComplaint {
    /// Row id.
    pub id: i64,
    /// Project key.
    pub project: String,
    /// Who filed it (name).
    pub complainant: String,
    /// Against whom (name).
    pub target: String,
    /// `YYYY-MM` in the department's time zone.
    pub month: String,
}

/// The thread a reply belongs to: the mail the `[SB-n]` tag or In-Reply-To points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRef {
    /// Row id of the mail that opened the thread.
    pub message: i64,
    /// Its sender's address.
    pub sender: String,
    /// Its outcome.
    pub outcome: String,
    /// Its kind.
    pub kind: String,
}

/// 遗留问题 (第十七条) as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenItemRef {
    /// Row id.
    pub id: i64,
    /// Its thread: the row id of the report that opened it.
    pub thread: i64,
    /// Project key.
    pub project: String,
    /// The engineer who reported it.
    pub engineer: String,
    /// Still open.
    pub open: bool,
}

/// States of a 故障处理工作单 (第四十四条–第四十七条).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultState {
    /// Waiting for the presales manager's 同意.
    PendingApproval,
    /// Waiting for the R&D manager: 分配 or 驳回.
    WithRdManager,
    /// With the R&D lead.
    Assigned,
    /// The lead asked to close; the proposer confirms or sends it back.
    ClosureRequested,
    /// Closed by the proposer.
    Closed,
    /// Rejected with advice (第四十五条).
    Rejected,
    /// Turned into custom development (第四十七条).
    Converted,
}

impl FaultState {
    /// Every state, for `report faults --state`.
    pub const ALL: [FaultState; 7] = [
        FaultState::PendingApproval,
        FaultState::WithRdManager,
        FaultState::Assigned,
        FaultState::ClosureRequested,
        FaultState::Closed,
        FaultState::Rejected,
        FaultState::Converted,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultState::PendingApproval => "pending_approval",
            FaultState::WithRdManager => "with_rd_manager",
            FaultState::Assigned => "assigned",
            FaultState::ClosureRequested => "closure_requested",
            FaultState::Closed => "closed",
            FaultState::Rejected => "rejected",
            FaultState::Converted => "converted",
        }
    }

    /// Reads a stored name.
    pub fn from_name(s: &str) -> Option<FaultState> {
        FaultState::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// A fault order as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultOrder {
    /// Row id.
    pub id: i64,
    /// Its thread.
    pub thread: i64,
    /// Project key.
    pub project: String,
    /// Who filed it (name).
    pub proposer: String,
    /// Where it stands.
    pub state: FaultState,
    /// R&D lead (name), once assigned.
    pub lead: Option<String>,
    /// The lead proposed 转定制 and waits for the proposer's agreement.
    pub conversion_proposed: bool,
}

/// An improvement request as the rules see it, with its project's R&D time so far.
#[derive(Debug, Clone, PartialEq)]
pub struct ImprovementRef {
    /// Row id.
    pub id: i64,
    /// Its thread.
    pub thread: i64,
    /// Project key.
    pub project: String,
    /// Number within the project.
    pub number: i64,
    /// Who filed it.
    pub proposer: String,
    /// R&D hours on all the project's requests so far.
    pub project_rd_hours: f64,
    /// The 第二十二条 notice was sent already.
    pub rd_notice_sent: bool,
    /// The project's 责任销售.
    pub responsible_sales: Option<String>,
}

/// The item a thread command acts on.
#[derive(Debug, Clone, PartialEq)]
pub enum ThreadItem {
    /// 故障处理工作单.
    Fault(FaultOrder),
    /// 产品改进申请单.
    Improvement(ImprovementRef),
    /// 遗留问题.
    OpenItem(OpenItemRef),
    /// An active 投诉.
    Complaint(ActiveComplaint),
}

/// A complaint-threshold notice already sent (第十四条), so none is sent twice.
pub type NoticeKey = (String, String, String, i64);

/// What the store knows that the rules may need for one mail.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The project the subject names, if it exists.
    pub project: Option<Project>,
    /// Active complaints counted per (target, month).
    pub complaint_months: Vec<(String, String, i64)>,
    /// Active complaints on the subject's project, newest first.
    pub project_complaints: Vec<ActiveComplaint>,
    /// Complaint-threshold notices in force: (engineer, scope, period, level).
    pub notices: HashSet<NoticeKey>,
    /// The thread this mail replies on, if any.
    pub thread: Option<ThreadRef>,
    /// The item that thread belongs to.
    pub item: Option<ThreadItem>,
    /// Improvement requests the subject's project has so far (第二十一条).
    pub improvement_count: i64,
    /// Open items of the subject's project (第十七条).
    pub open_items: Vec<OpenItemRef>,
}

/// A state change the engine applies in the mail's transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// 立项: create or update the project and mark it initiated.
    InitiateProject(initiation::ProjectSheet),
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
    AddReport(report::ReportRow),
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
    fn rejected(kind: MailKind, reasons: Vec<String>, reply: Outgoing) -> Self {
        let mut d = Decision::new(kind, Outcome::Rejected);
        d.reasons = reasons;
        d.outgoing.push(reply);
        d
    }
}

/// What a rule sees besides the facts: the config and the sender.
pub struct Ctx<'a> {
    /// The config (directory, rule settings, time zone).
    pub config: &'a Config,
    /// The mail.
    pub mail: &'a Inbound,
    /// The sender, known to the directory.
    pub sender: &'a Person,
}

impl Ctx<'_> {
    pub(crate) fn reply(&self, kind: OutgoingKind, subject: String, body: String) -> Outgoing {
        Outgoing {
            kind,
            to: vec![self.mail.from.clone().unwrap_or_default()],
            cc: Vec::new(),
            subject,
            body,
        }
    }

    /// The mail's date in the department's time zone, `YYYY-MM-DD HH:MM`.
    pub(crate) fn local_time(&self) -> String {
        self.mail
            .date
            .with_timezone(&self.config.timezone)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    /// Addresses of everyone with `role`.
    pub(crate) fn addresses(&self, role: Role) -> Vec<String> {
        self.config
            .directory
            .with_role(role)
            .map(|p| p.address().to_string())
            .collect()
    }

    /// The address of the person called `name`.
    pub(crate) fn address_of(&self, name: &str) -> Option<String> {
        self.config
            .directory
            .by_name(name)
            .map(|p| p.address().to_string())
    }
}

/// The kind a mail has by its headers and subject alone, whoever sent it.
pub fn kind_of(mail: &Inbound, subject: &ParsedSubject, thread: Option<&ThreadRef>) -> MailKind {
    if mail.auto_signal.is_some() || subject.class == SubjectClass::AutoReply {
        return MailKind::AutoReply;
    }
    let resubmission =
        thread.is_some_and(|t| t.outcome == "rejected" && Some(&t.sender) == mail.from.as_ref());
    let on_thread = subject.tag.is_some() || (subject.is_reply && thread.is_some());
    match &subject.class {
        SubjectClass::Workflow(_) | SubjectClass::NearMiss { .. } if on_thread && !resubmission => {
            MailKind::ThreadCommand
        }
        SubjectClass::Workflow(w) => MailKind::Workflow(w.kind),
        SubjectClass::NearMiss { .. } => MailKind::NearMiss,
        SubjectClass::Ordinary if subject.tag.is_some() => MailKind::ThreadCommand,
        SubjectClass::Ordinary | SubjectClass::AutoReply => MailKind::Ordinary,
    }
}

/// Decides what one mail means. Pure: everything it needs is in its arguments.
pub fn decide(config: &Config, mail: &Inbound, subject: &ParsedSubject, facts: &Facts) -> Decision {
    if !mail.readable {
        return Decision::ignored(MailKind::Ordinary, Some("unreadable"));
    }
    let kind = kind_of(mail, subject, facts.thread.as_ref());
    let from = mail.from.as_deref().unwrap_or_default();
    if let Some(trusted) = &config.mailbox.trusted_authserv_id
        && let crate::mail::auth::Verdict::Fail(_) =
            crate::mail::auth::verdict(&mail.auth_results, trusted, mail.from.as_deref())
    {
        return Decision::ignored(kind, Some("unauthenticated"));
    }
    if config.is_own_address(from) {
        return Decision::ignored(kind, Some("own_mail"));
    }
    if kind == MailKind::AutoReply {
        return Decision::ignored(kind, Some("auto_reply"));
    }
    let Some(sender) = config.directory.by_email(from) else {
        let mut d = Decision::ignored(kind, Some("unknown_sender"));
        d.project = subject_project(subject);
        return d;
    };
    let ctx = Ctx {
        config,
        mail,
        sender,
    };
    let mut d = match (kind, &subject.class) {
        (MailKind::Workflow(k), SubjectClass::Workflow(w)) => match k {
            SubjectKind::Report => report::decide(&ctx, w, facts),
            SubjectKind::Initiation => initiation::decide(&ctx, w, facts),
            SubjectKind::Complaint => complaint::file(&ctx, w, facts),
            SubjectKind::ComplaintWithdrawal => complaint::withdraw(&ctx, w, facts),
            SubjectKind::ImprovementRequest => improvement::file(&ctx, w, facts),
            SubjectKind::FaultOrder => fault::file(&ctx, w, facts),
            SubjectKind::BugFeedback => bug::file(&ctx, w),
        },
        (MailKind::NearMiss, SubjectClass::NearMiss { kind: k, hint }) => {
            let mut d = Decision::new(kind, Outcome::Rejected);
            d.outgoing.push(ctx.reply(
                OutgoingKind::NearMissHint,
                format!("格式提示：{}", mail.subject.trim()),
                text::near_miss(&mail.subject, *k, hint),
            ));
            d
        }
        (MailKind::ThreadCommand, _) => thread::decide(&ctx, facts),
        _ => Decision::ignored(kind, None),
    };
    if d.project.is_none() {
        d.project = subject_project(subject);
    }
    d
}

fn subject_project(subject: &ParsedSubject) -> Option<ProjectKey> {
    match &subject.class {
        SubjectClass::Workflow(w) => w.project.as_deref().and_then(ProjectKey::new),
        _ => None,
    }
}

/// The project key a subject names, for loading facts before [`decide`].
pub fn project_of(subject: &ParsedSubject) -> Option<ProjectKey> {
    subject_project(subject)
}

/// `YYYY-MM` of the mail's date in the department's time zone (第十四条 counts per month).
pub fn month_of(config: &Config, mail: &Inbound) -> String {
    mail.date
        .with_timezone(&config.timezone)
        .format("%Y-%m")
        .to_string()
}

#[cfg(test)]
mod tests;
