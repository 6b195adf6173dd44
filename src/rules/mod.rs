//! The regulation as pure functions: `(facts, mail) → Decision`. No I/O and no clock: the engine
//! loads the [`Facts`] a mail needs inside its transaction, calls [`decide`], and applies the result.

mod bug;
pub mod complaint;
pub mod deadlines;
mod decision;
mod facts;
pub mod fault;
mod improvement;
mod initiation;
pub mod model;
mod thread;
pub use decision::{Decision, Effect};
pub use facts::*;
pub use model::{ProjectSheet, ReportRow};
pub use report::{OWN_OPEN_LISTED, threads_named};
pub use text::fault_state_name;
mod report;
pub mod satisfaction;
pub mod task;
pub mod text;

use crate::config::Config;
use crate::directory::{Person, Role};
use crate::mail::{Inbound, Outgoing, OutgoingKind};
use crate::parse::fields::name;
use crate::parse::{
    ComplaintFields, FaultOrderFields, Fields, InitiationFields, ParsedSubject, ProjectKey,
    ReportFields, SubjectClass, SubjectKind, TaskRequestFields, first_line, parse_command,
    parse_fields,
};
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
    /// 查询-… (queries.md §1): answered by [`crate::query`], changes no state.
    Query,
    /// 帮助 / help / 使用说明 (queries.md §1).
    Help,
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
            MailKind::Query => "query",
            MailKind::Help => "help",
        }
    }

    /// Reads a stored name (`messages.kind`, [`MailKind::as_str`]); `None` for anything else.
    pub fn from_name(s: &str) -> Option<MailKind> {
        const OTHERS: [MailKind; 6] = [
            MailKind::ThreadCommand,
            MailKind::NearMiss,
            MailKind::Ordinary,
            MailKind::AutoReply,
            MailKind::Query,
            MailKind::Help,
        ];
        SubjectKind::ALL
            .into_iter()
            .map(MailKind::Workflow)
            .chain(OTHERS)
            .find(|k| k.as_str() == s)
    }
}

// A mail kind is stored as its name (`messages.kind`, TEXT, the names `report messages` shows)
// and read back typed: a name no kind has is a decode error, never a guess. `MailKind` holds a
// `SubjectKind`, so sqlx's derive (one name per unit variant) does not fit; these three impls
// are the derive written out over `as_str` / `from_name`.
impl sqlx::Type<sqlx::Sqlite> for MailKind {
    fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
        <str as sqlx::Type<sqlx::Sqlite>>::type_info()
    }

    fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
        <str as sqlx::Type<sqlx::Sqlite>>::compatible(ty)
    }
}

impl<'q> sqlx::Encode<'q, sqlx::Sqlite> for MailKind {
    fn encode_by_ref(
        &self,
        buf: &mut <sqlx::Sqlite as sqlx::Database>::ArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <&str as sqlx::Encode<'q, sqlx::Sqlite>>::encode(self.as_str(), buf)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Sqlite> for MailKind {
    fn decode(value: sqlx::sqlite::SqliteValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let name = <&str as sqlx::Decode<'r, sqlx::Sqlite>>::decode(value)?;
        MailKind::from_name(name).ok_or_else(|| format!("unknown mail kind {name:?}").into())
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

/// What a rule sees besides the facts: the config and the sender.
pub struct Ctx<'a> {
    /// The config (directory, rule settings, time zone).
    pub config: &'a Config,
    /// The mail.
    pub mail: &'a Inbound,
    /// The sender, known to the directory.
    pub sender: &'a Person,
    /// The body's fields as written, read once by [`read_body`]; rejection templates echo them.
    /// Rules read their kind's typed fields, which they receive as an argument.
    pub fields: &'a Fields,
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

/// The kind a mail has by its headers, subject and own words, whoever sent it.
///
/// A reply is still a workflow mail (mail-formats.md): on a bot thread, a mail whose subject is a
/// workflow subject is a thread command only when its first own line is a command; when its own
/// text carries the kind's fields (a new report written above the quote) it is that kind, and
/// so is a sender's reply to their own rejected mail (a corrected resubmission). Anything else on
/// a thread is conversation there.
pub fn kind_of(
    config: &Config,
    mail: &Inbound,
    subject: &ParsedSubject,
    fields: &Fields,
    thread: Option<&ThreadRef>,
) -> MailKind {
    if mail.auto_signal.is_some() || subject.class == SubjectClass::AutoReply {
        return MailKind::AutoReply;
    }
    if let Some(q) = crate::parse::query::Query::from_stripped(&subject.stripped) {
        return match q {
            crate::parse::query::Query::Help => MailKind::Help,
            _ => MailKind::Query,
        };
    }
    let resubmission =
        thread.is_some_and(|t| t.outcome == "rejected" && Some(&t.sender) == mail.from.as_ref());
    let on_thread = subject.tag.is_some() || (subject.is_reply && thread.is_some());
    let command = || {
        first_line(&mail.body)
            .and_then(|line| parse_command(&line, config.rules.rd_hours_per_day))
            .is_some()
    };
    match &subject.class {
        SubjectClass::Workflow(w) if on_thread => {
            if command() {
                MailKind::ThreadCommand
            } else if resubmission || carries_fields(w.kind, fields) {
                MailKind::Workflow(w.kind)
            } else {
                MailKind::ThreadCommand
            }
        }
        SubjectClass::NearMiss { .. } if on_thread && (command() || !resubmission) => {
            MailKind::ThreadCommand
        }
        SubjectClass::Workflow(w) => MailKind::Workflow(w.kind),
        SubjectClass::NearMiss { .. } => MailKind::NearMiss,
        SubjectClass::Ordinary if subject.tag.is_some() => MailKind::ThreadCommand,
        SubjectClass::Ordinary | SubjectClass::AutoReply => MailKind::Ordinary,
    }
}

/// Whether the sender's own words carry enough of `kind`'s fields to be a mail of that kind.
fn carries_fields(kind: SubjectKind, fields: &Fields) -> bool {
    let Some(needed) = kind.fields_needed() else {
        return false;
    };
    let names: HashSet<&str> = fields.iter().map(|(name, _)| name).collect();
    kind.fields().iter().filter(|f| names.contains(*f)).count() >= needed
}

/// The kind an ordinary subject's body is clearly trying to be: two or more fields only that
/// kind has (mail-formats.md, near-miss rule).
fn kind_by_body(fields: &Fields) -> Option<SubjectKind> {
    let names: HashSet<&str> = fields.iter().map(|(name, _)| name).collect();
    SubjectKind::ALL
        .into_iter()
        .map(|k| (k, k.own_fields().filter(|f| names.contains(f)).count()))
        .filter(|(_, n)| *n >= 2)
        .max_by_key(|(_, n)| *n)
        .map(|(k, _)| k)
}

/// The body's fields, read once at the edge (none for a mail that could not be read, whose body
/// the rules never look at).
pub fn read_body(config: &Config, mail: &Inbound) -> Fields {
    if mail.readable {
        parse_fields(&mail.body, &config.fields)
    } else {
        Fields::default()
    }
}

/// Decides what one mail means, reading its body with [`read_body`]. Pure: everything it needs
/// is in its arguments.
pub fn decide(config: &Config, mail: &Inbound, subject: &ParsedSubject, facts: &Facts) -> Decision {
    decide_read(config, mail, subject, &read_body(config, mail), facts)
}

/// Decides what one mail means, given its body's fields as [`read_body`] read them (the engine
/// reads them once and also loads facts from them).
pub fn decide_read(
    config: &Config,
    mail: &Inbound,
    subject: &ParsedSubject,
    fields: &Fields,
    facts: &Facts,
) -> Decision {
    let mut d = decide_mail(config, mail, subject, fields, facts);
    if mail.date_replaced {
        // workflow.md §5: an implausible Date was replaced by the Received time.
        d.flags.push("date_replaced".into());
    }
    d
}

fn decide_mail(
    config: &Config,
    mail: &Inbound,
    subject: &ParsedSubject,
    fields: &Fields,
    facts: &Facts,
) -> Decision {
    if !mail.readable {
        return Decision::ignored(MailKind::Ordinary, Some("unreadable"));
    }
    let kind = kind_of(config, mail, subject, fields, facts.thread.as_ref());
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
        fields,
    };
    let mut d = match (kind, &subject.class) {
        (MailKind::Workflow(k), SubjectClass::Workflow(w)) => match k {
            SubjectKind::Report => report::decide(&ctx, w, &ReportFields::read(fields), facts),
            SubjectKind::Initiation => {
                initiation::decide(&ctx, w, &InitiationFields::read(fields), facts)
            }
            SubjectKind::Complaint => {
                complaint::file(&ctx, w, &ComplaintFields::read(fields), facts)
            }
            SubjectKind::ComplaintWithdrawal => complaint::withdraw(&ctx, w, facts),
            SubjectKind::ImprovementRequest => improvement::file(&ctx, w, facts),
            SubjectKind::FaultOrder => fault::file(&ctx, w, &FaultOrderFields::read(fields), facts),
            SubjectKind::BugFeedback => bug::file(&ctx, w),
            SubjectKind::TaskRequest => task::file(&ctx, w, &TaskRequestFields::read(fields)),
        },
        (MailKind::NearMiss, SubjectClass::NearMiss { kind: k, hint }) => {
            let mut d = Decision::new(kind, Outcome::Rejected);
            d.outgoing.push(ctx.reply(
                OutgoingKind::NearMissHint,
                format!("格式提示：{}", mail.subject.trim()),
                text::near_miss(&mail.subject, *k, &with_sender_name(hint, sender)),
            ));
            d
        }
        (MailKind::ThreadCommand, _) => thread::decide(&ctx, facts),
        // Answered by the engine with `crate::query::answer`: the answer reads the store.
        (MailKind::Query | MailKind::Help, _) => Decision::new(kind, Outcome::Accepted),
        (MailKind::Ordinary, _) => match kind_by_body(fields) {
            Some(k) => {
                let project = fields
                    .get(name::PROJECT)
                    .map(str::trim)
                    .filter(|p| !p.is_empty());
                let mut hint = crate::parse::WorkflowSubject::empty(k);
                hint.project = project.map(String::from);
                let hint = with_sender_name(&hint.canonical(), sender);
                let mut d = Decision::new(MailKind::NearMiss, Outcome::Rejected);
                d.outgoing.push(ctx.reply(
                    OutgoingKind::NearMissHint,
                    format!("格式提示：{}", mail.subject.trim()),
                    text::near_miss(&mail.subject, k, &hint),
                ));
                d
            }
            None => Decision::ignored(kind, None),
        },
        _ => Decision::ignored(kind, None),
    };
    if d.project.is_none() {
        d.project = subject_project(subject);
    }
    d
}

/// A report hint names the sender, whom the bot knows, instead of the placeholder 技服人员名字.
fn with_sender_name(hint: &str, sender: &Person) -> String {
    match hint.strip_suffix("-技服人员名字") {
        Some(head) if sender.has(Role::Presales) || sender.has(Role::PresalesManager) => {
            format!("{head}-{}", sender.name)
        }
        _ => hint.to_owned(),
    }
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
mod testkit;
#[cfg(test)]
mod tests;
