//! What the rules see of the store: the project, complaints, threads and items a mail may
//! concern, loaded by the engine inside the mail's transaction.

use crate::parse::ProjectKey;
use std::collections::HashSet;

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

/// One active complaint against an engineer, as a 第十四条 notice lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintEntry {
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
    /// When it was filed (the mail's date).
    pub filed_at: chrono::DateTime<chrono::Utc>,
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
    /// Its kind (stored by name, read back typed).
    pub kind: super::MailKind,
    /// Its project key, if it named one.
    pub project: Option<String>,
    /// The first mail of the reply chain it is on (itself when it starts one).
    pub chain: i64,
}

impl ThreadRef {
    /// The kind of the mail that opened the thread.
    pub fn mail_kind(&self) -> super::MailKind {
        self.kind
    }

    /// Opened by a 客户沟通 report.
    pub fn is_report(&self) -> bool {
        self.kind == super::MailKind::Workflow(crate::parse::SubjectKind::Report)
    }
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

pub use super::fault::state::FaultState;

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
    /// 紧急 / 重要 / 一般.
    pub priority: String,
    /// Its fields as filed (第四十四条), one 「名称: 内容」 a line.
    pub filed_text: String,
    /// Files attached to the original mail.
    pub attachments: i64,
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
    /// 集成部任务.
    Task(super::task::Task),
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
    /// Active complaints against the engineers in `complaint_months`, oldest first (第十四条
    /// notices list them). The engine loads them only when a first decision crosses a level,
    /// then decides again.
    pub target_complaints: Vec<ComplaintEntry>,
    /// Active complaints on the subject's project a 撤销投诉 may pick, newest first: the engine
    /// loads the latest by anyone and the sender's latest (the rule picks the same one as from
    /// the whole list).
    pub project_complaints: Vec<ActiveComplaint>,
    /// Complaint-threshold notices in force: (engineer, scope, period, level), for the periods
    /// the mail can change (its months and `all`).
    pub notices: HashSet<NoticeKey>,
    /// The thread this mail replies on, if any.
    pub thread: Option<ThreadRef>,
    /// The item that thread belongs to.
    pub item: Option<ThreadItem>,
    /// Improvement requests the subject's project has so far (第二十一条).
    pub improvement_count: i64,
    /// Open items of the subject's project a report can act on (第十七条): the sender's oldest
    /// (at most [`super::OWN_OPEN_LISTED`] and as many more as the mail names items)
    /// and those the mail names.
    pub open_items: Vec<OpenItemRef>,
    /// How many open items the sender has on the subject's project in all; `open_items` may
    /// hold fewer of theirs.
    pub own_open_items: i64,
    /// The 满意度回访 of the thread's item, once it has closed.
    pub satisfaction: Option<super::satisfaction::SatisfactionRef>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::SubjectKind;
    use crate::rules::MailKind;

    fn opened_by(kind: MailKind) -> ThreadRef {
        ThreadRef {
            message: 1,
            sender: "a@example.com".into(),
            outcome: "accepted".into(),
            kind,
            project: None,
            chain: 1,
        }
    }

    fn every_kind() -> Vec<MailKind> {
        let others = [
            MailKind::ThreadCommand,
            MailKind::NearMiss,
            MailKind::Ordinary,
            MailKind::AutoReply,
            MailKind::Query,
            MailKind::Help,
        ];
        SubjectKind::ALL
            .map(MailKind::Workflow)
            .into_iter()
            .chain(others)
            .collect()
    }

    #[tokio::test]
    async fn a_stored_mail_kind_reads_back_as_the_same_kind_and_an_unknown_name_is_an_error() {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("in-memory sqlite");
        for k in every_kind() {
            let back: MailKind = sqlx::query_scalar("SELECT ?")
                .bind(k)
                .fetch_one(&mut db)
                .await
                .expect("a kind's own name decodes");
            assert_eq!(back, k);
        }
        let unknown = sqlx::query_scalar::<_, MailKind>("SELECT 'Report'")
            .fetch_one(&mut db)
            .await;
        assert!(unknown.is_err(), "a name no kind has must not decode");
    }

    #[test]
    fn only_a_thread_opened_by_a_report_is_a_report_thread() {
        assert!(opened_by(MailKind::Workflow(SubjectKind::Report)).is_report());
        assert!(!opened_by(MailKind::Workflow(SubjectKind::FaultOrder)).is_report());
        assert!(
            every_kind()
                .iter()
                .filter(|k| opened_by(**k).is_report())
                .count()
                == 1
        );
    }
}
