//! One mail, one transaction: record it under its exactly-once key, load the facts the rules
//! need, decide, apply the state changes and queue the replies — all committed together.

use crate::alerts;
use crate::config::Config;
use crate::mail::{Inbound, outbound};
use crate::parse::{
    ComplaintFields, Fields, ParsedSubject, ProjectKey, SubjectClass, SubjectKind, parse_subject,
};
use crate::rules::{self, Decision, Effect, Facts, MailKind, ThreadItem};
use crate::store::batch::Deferred;
use crate::store::items::HistoryLine;
use crate::store::{
    self, Store, complaints, items, messages, outbox, projects, satisfaction, tracking,
};
use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;
use std::sync::Arc;

/// What became of one mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Recorded now.
    Recorded {
        /// Row id (the n of `[SB-n]`).
        id: i64,
        /// `report messages` kind.
        kind: &'static str,
        /// accepted / rejected / ignored.
        outcome: &'static str,
        /// Mails queued.
        queued: usize,
    },
    /// Seen before (same Message-ID or same bytes): nothing changed.
    Duplicate,
}

/// What becomes of the replies a mail causes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replies {
    /// Queued to be sent (`pending`, or `suppressed` past the per-recipient cap).
    Queue,
    /// Recorded with status `not_sent` and never sent: `replay` without `--send` imports an
    /// archive, and a year of old mail must not mail a year of acks (interface.md).
    RecordNotSent,
}

/// The workflow engine over a store.
#[derive(Debug, Clone)]
pub struct Engine {
    /// The config.
    pub config: Arc<Config>,
    /// The database.
    pub store: Store,
}

impl Engine {
    /// Opens the database of `config` and builds the engine.
    pub async fn open(config: Arc<Config>) -> anyhow::Result<Engine> {
        let store = Store::open(&config.database_path).await?;
        Ok(Engine { config, store })
    }

    /// [`Engine::open`] for a command that only reads ([`Store::open_for_reading`]).
    pub async fn open_for_reading(config: Arc<Config>) -> anyhow::Result<Engine> {
        let store = Store::open_for_reading(&config.database_path).await?;
        Ok(Engine { config, store })
    }

    /// Handles one mail in its own transaction.
    pub async fn handle(&self, raw: &[u8], now: DateTime<Utc>) -> anyhow::Result<Handled> {
        let mut conn = self.store.connection().await?;
        self.handle_on(&mut conn, raw, now).await
    }

    /// [`Engine::handle`] on a connection the caller keeps for many mails ([`store::begin_on`]).
    pub async fn handle_on(
        &self,
        conn: &mut SqliteConnection,
        raw: &[u8],
        now: DateTime<Utc>,
    ) -> anyhow::Result<Handled> {
        let mail = Inbound::parse(raw, now);
        let mut tx = store::begin_on(conn).await?;
        let handled = handle_in(&self.config, &mut tx, &mail, now, Replies::Queue).await?;
        tx.commit().await?;
        log(&mail.key, &handled);
        Ok(handled)
    }
}

/// Logs the one info line per mail handled.
pub fn log(message_id: &str, handled: &Handled) {
    match handled {
        Handled::Recorded {
            id,
            kind,
            outcome,
            queued,
        } => tracing::info!(message_id, id, kind, outcome, queued, "mail handled"),
        Handled::Duplicate => {
            tracing::info!(message_id, outcome = "duplicate", "mail handled")
        }
    }
}

/// Handles one mail inside the caller's transaction, every row written before it returns.
pub async fn handle_in(
    config: &Config,
    conn: &mut SqliteConnection,
    mail: &Inbound,
    now: DateTime<Utc>,
    replies: Replies,
) -> anyhow::Result<Handled> {
    let mut later = Deferred::default();
    let subject = parse_subject(&mail.subject);
    let fields = rules::read_body(config, mail);
    let parts = (mail, &subject, &fields);
    let handled = handle_parts(config, conn, parts, (now, replies), &mut later).await?;
    later.flush(conn).await?;
    Ok(handled)
}

/// A mail with what is read from it alone, its subject and its body's fields: what depends on
/// the mail and the config only, so a reader thread does it ahead of the writer
/// ([`crate::read_ahead`]). What the rules decide depends on the database and stays with it.
#[derive(Debug)]
pub struct ReadMail {
    /// The mail.
    pub mail: Inbound,
    subject: ParsedSubject,
    fields: Fields,
}

impl ReadMail {
    /// Parses the mail in `raw` (arrived `now`) and reads its subject and body; `raw` is freed
    /// before the body's fields are read. The body is read once, here: facts are loaded from
    /// its fields and the rules decide on them.
    pub fn parse(config: &Config, raw: Vec<u8>, now: DateTime<Utc>) -> Box<ReadMail> {
        let mail = Inbound::parse(&raw, now);
        drop(raw);
        let subject = parse_subject(&mail.subject);
        let fields = rules::read_body(config, &mail);
        Box::new(ReadMail {
            mail,
            subject,
            fields,
        })
    }
}

/// [`handle_in`] for one mail of a batch (`replay`, `process --batch`): the rows no later mail
/// reads are held in `later` ([`store::batch`]) and written with the batch's; the caller
/// flushes it before its commit.
pub async fn handle_read_in_batch(
    config: &Config,
    conn: &mut SqliteConnection,
    read: &ReadMail,
    now: DateTime<Utc>,
    replies: Replies,
    later: &mut Deferred,
) -> anyhow::Result<Handled> {
    let parts = (&read.mail, &read.subject, &read.fields);
    handle_parts(config, conn, parts, (now, replies), later).await
}

async fn handle_parts(
    config: &Config,
    conn: &mut SqliteConnection,
    (mail, subject, fields): (&Inbound, &ParsedSubject, &Fields),
    (now, replies): (DateTime<Utc>, Replies),
    later: &mut Deferred,
) -> anyhow::Result<Handled> {
    if subject.tag.is_none()
        && subject.is_reply
        && later.holds_reply_among(mail.references.iter().chain(&mail.in_reply_to))
    {
        // The thread is looked up by Message-ID, the bot's replies' too: the one it answers
        // must be written.
        later.flush_outbox(conn).await?;
    }
    let mut facts = load_facts(config, conn, (subject, mail, fields), later).await?;
    let mut d = decide_with_listing(config, conn, (mail, subject, fields), &mut facts).await?;
    if matches!(d.kind, MailKind::Query | MailKind::Help) {
        // A query's answer reads reports, histories and the 知识库, and its parts are set on
        // its reply's outbox row: nothing of them may be held.
        later.flush(conn).await?;
        if messages::recorded(conn, &mail.key).await? {
            // Seen before: [`record`] would find it so, after the answer was built for nothing.
            return Ok(Handled::Duplicate);
        }
    }
    let query_parts = crate::query::fill(config, conn, mail, &mut d, now).await?;
    let chain = facts.thread.as_ref().map(|t| t.chain);
    if let Some(chain) = chain
        && d.outcome == rules::Outcome::Rejected
        && !d.outgoing.is_empty()
        && messages::rejected_on_chain_since(conn, chain, now - chrono::Duration::days(1)).await?
    {
        // workflow.md §5, the loop breaker: a robot that marks nothing answers every rejection
        // on the thread; one answer per thread per day, the rest recorded and not answered.
        d.outgoing.clear();
        d.flags.push("loop_suspected".into());
    }
    let mut references: Vec<String> = mail.references.clone();
    for id in &mail.in_reply_to {
        if !references.contains(id) {
            references.push(id.clone());
        }
    }
    // A thread command lives on the thread of the item it acts on: tagged with it, and found
    // through it when someone answers the bot's reply to the command.
    let thread = (d.kind == MailKind::ThreadCommand)
        .then(|| facts.thread.as_ref().map(|t| t.message))
        .flatten();
    let Some(id) = record(conn, mail, &d, &references, thread, chain, now).await? else {
        return Ok(Handled::Duplicate);
    };
    let actor = mail
        .from
        .as_deref()
        .and_then(|a| config.directory.by_email(a))
        .map_or("", |p| p.name.as_str());
    apply(conn, later, id, mail, actor, &d).await?;
    let answering = Answering {
        id,
        thread: thread.unwrap_or(id),
        mail,
    };
    queue(config, conn, later, answering, &d, now, replies).await?;
    if let Some(p) = query_parts {
        later.flush_outbox(conn).await?;
        let reply = reply_message_id(config, mail, 0);
        store::query_data::set_parts(conn, &reply, &p.html, &p.attachments).await?;
    }
    Ok(Handled::Recorded {
        id,
        kind: d.kind.as_str(),
        outcome: d.outcome.as_str(),
        queued: d.outgoing.len(),
    })
}

/// Records the mail under its exactly-once key with the decision's kind, outcome, reasons and
/// flags; None when it was recorded before.
async fn record(
    conn: &mut SqliteConnection,
    mail: &Inbound,
    d: &Decision,
    references: &[String],
    thread: Option<i64>,
    chain: Option<i64>,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<i64>> {
    messages::insert(
        conn,
        &messages::NewMessage {
            key: &mail.key,
            subject: &mail.subject,
            sender: mail.from.as_deref().unwrap_or_default(),
            kind: d.kind,
            outcome: d.outcome.as_str(),
            reasons: &d.reasons,
            flags: &d.flags,
            project: d.project.as_ref().map(|p| p.as_str()),
            event_at: mail.date,
            handled_at: now,
            references,
            thread,
            chain,
        },
    )
    .await
}

/// Records a mail over `max_message_bytes` that was not read ([`crate::mail::oversize`]):
/// `unreadable` and `too_large`, kind `ordinary`, outcome `ignored`, no reply; the admins are
/// told once (the alert's Message-ID is derived from the mail's key). Inside the caller's
/// transaction.
pub async fn record_too_large(
    config: &Config,
    conn: &mut SqliteConnection,
    mail: &Inbound,
    size: u64,
    where_to: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Handled> {
    let mut mail = mail.clone();
    mail.readable = false;
    let mut d = rules::decide(config, &mail, &parse_subject(""), &Facts::default());
    d.reasons.push(crate::mail::oversize::REASON.to_string());
    let Some(id) = record(conn, &mail, &d, &[], None, None, now).await? else {
        return Ok(Handled::Duplicate);
    };
    let max = config.mailbox.max_message_bytes;
    let alert = alerts::Alert {
        kind: crate::mail::OutgoingKind::DeadLetter,
        about: mail.key.clone(),
        subject: "超大邮件未处理".into(),
        body: format!(
            "一封邮件有 {size} 字节，超过上限 max_message_bytes = {max}，未读取、未处理，{where_to}。\n\n\
             Message-ID: {}\n发件人: {}\n主题: {}\n",
            mail.key,
            mail.from.as_deref().unwrap_or("(无)"),
            outbound::cut(&mail.subject, outbound::SUBJECT_ECHO_CHARS),
        ),
    };
    alerts::queue(config, conn, id, alert, now).await?;
    Ok(Handled::Recorded {
        id,
        kind: d.kind.as_str(),
        outcome: d.outcome.as_str(),
        queued: 0,
    })
}

/// Loads only what the mail's kind needs.
async fn load_facts(
    config: &Config,
    conn: &mut SqliteConnection,
    (subject, mail, fields): (&ParsedSubject, &Inbound, &Fields),
    later: &mut Deferred,
) -> anyhow::Result<Facts> {
    let mut facts = Facts::default();
    if let Some(n) = subject.tag.and_then(|n| i64::try_from(n).ok()) {
        facts.thread = messages::thread_by_id(conn, n).await?;
    } else if subject.is_reply {
        let ids: Vec<String> = mail
            .references
            .iter()
            .chain(&mail.in_reply_to)
            .cloned()
            .collect();
        facts.thread = messages::thread_by_ids(conn, &ids).await?;
    }
    if let Some(thread) = &facts.thread {
        facts.item = load_item(conn, thread.message, Some(thread.mail_kind())).await?;
        facts.satisfaction = satisfaction::by_thread(conn, thread.message).await?;
        // 「已解决」 on a report's thread that opened no item (the ack of a 成功 report asks so):
        // the sender's open items of the project, to find their one — two are enough to tell
        // one from several.
        if facts.item.is_none()
            && thread.is_report()
            && let Some(key) = thread.project.as_deref().and_then(ProjectKey::new)
        {
            let me = sender_name(config, mail).unwrap_or_default();
            let open = projects::get_with_open_items(conn, &key, me, &[], 2)
                .await?
                .1;
            (facts.open_items, facts.own_open_items) = (open.items, open.own_open);
        }
        if let Some(ThreadItem::Complaint(c)) = &facts.item {
            let targets = [c.target.clone()];
            load_complaint_counts(config, (conn, later), mail, &targets, &mut facts).await?;
        }
    }
    let Some(key) = rules::project_of(subject) else {
        return Ok(facts);
    };
    let is_report =
        matches!(&subject.class, SubjectClass::Workflow(w) if w.kind == SubjectKind::Report);
    if is_report {
        let me = sender_name(config, mail).unwrap_or_default();
        let named = rules::threads_named(mail);
        // The ack lists the sender's oldest OWN_OPEN_LISTED still open after the report, which
        // closes at most the items it names: that many more keep the list full.
        let own = rules::OWN_OPEN_LISTED.saturating_add(named.len());
        let (project, open) = projects::get_with_open_items(conn, &key, me, &named, own).await?;
        (facts.project, facts.open_items, facts.own_open_items) =
            (project, open.items, open.own_open);
    } else {
        facts.project = projects::get(conn, &key).await?;
    }
    if let SubjectClass::Workflow(w) = &subject.class {
        match w.kind {
            SubjectKind::Complaint | SubjectKind::ComplaintWithdrawal => {
                if w.kind == SubjectKind::ComplaintWithdrawal {
                    // The one complaint it can withdraw (or void), not the project's list.
                    let sender = sender_name(config, mail).unwrap_or_default();
                    facts.project_complaints =
                        complaints::withdrawal_candidates(conn, key.as_str(), sender).await?;
                }
                let targets =
                    rules::complaint::targets(config, &ComplaintFields::read(fields), &facts);
                load_complaint_counts(config, (conn, later), mail, &targets, &mut facts).await?;
            }
            SubjectKind::ImprovementRequest => {
                facts.improvement_count = items::improvement_count(conn, key.as_str()).await?;
            }
            _ => {}
        }
    }
    Ok(facts)
}

/// The sender's name in the directory, if it is there.
fn sender_name<'a>(config: &'a Config, mail: &Inbound) -> Option<&'a str> {
    mail.from
        .as_deref()
        .and_then(|a| config.directory.by_email(a))
        .map(|p| p.name.as_str())
}

/// The months a complaint mail can change counts of: its own (a new complaint), the withdrawal
/// candidates' and the thread's complaint's.
fn complaint_periods(config: &Config, mail: &Inbound, facts: &Facts) -> Vec<String> {
    let thread = match &facts.item {
        Some(ThreadItem::Complaint(c)) => Some(c.month.clone()),
        _ => None,
    };
    let mut months: Vec<String> = std::iter::once(rules::month_of(config, mail))
        .chain(facts.project_complaints.iter().map(|c| c.month.clone()))
        .chain(thread)
        .collect();
    months.sort();
    months.dedup();
    months
}

/// 第十四条 facts of a complaint mail: the running counts of `targets` for the window of the
/// months it can change, and which notices of the levels it can cross are in force.
/// The complaints a notice lists are loaded later, and only when a level is crossed
/// ([`decide_with_listing`]).
/// The running counts and notices a complaint mail can change, through what the transaction
/// already knows of them ([`complaints::Known`]).
async fn load_complaint_counts(
    config: &Config,
    (conn, later): (&mut SqliteConnection, &mut Deferred),
    mail: &Inbound,
    targets: &[String],
    facts: &mut Facts,
) -> anyhow::Result<()> {
    let months = complaint_periods(config, mail, facts);
    let window = config.rules.complaint_cumulative_window_months;
    // The counting window of the earliest month it can change (`""`: from the start).
    let first = months
        .first()
        .and_then(|m| rules::model::window_start(m, window))
        .unwrap_or_default();
    let known = &mut later.known;
    facts.complaint_months = complaints::month_counts_known(conn, known, targets, &first).await?;
    let keys =
        rules::complaint::notices_in_question(&facts.complaint_months, targets, &months, window);
    facts.notices = complaints::notices_known(conn, known, &keys).await?;
    Ok(())
}

/// Decides, and when the decision crosses a 第十四条 level, loads the complaints the notice
/// lists (the target's, in the counting window) and decides again — deciding is pure, so the
/// second decision differs from the first only in the notice's list. Every other mail never
/// reads the complaints themselves.
async fn decide_with_listing(
    config: &Config,
    conn: &mut SqliteConnection,
    (mail, subject, fields): (&Inbound, &ParsedSubject, &Fields),
    facts: &mut Facts,
) -> anyhow::Result<Decision> {
    let d = rules::decide_read(config, mail, subject, fields, facts);
    let mut targets: Vec<&str> = d
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notice { key, .. } => Some(key.0.as_str()),
            _ => None,
        })
        .collect();
    if targets.is_empty() {
        return Ok(d);
    }
    targets.sort_unstable();
    targets.dedup();
    // What a notice can list: for each month the mail can change, the target's newest
    // complaints of that month and of the counting window ending with it (the rules list at
    // most NOTICE_LISTS of either).
    let window = config.rules.complaint_cumulative_window_months;
    let limit = i64::try_from(rules::complaint::NOTICE_LISTS).unwrap_or(i64::MAX);
    let months = complaint_periods(config, mail, facts);
    let mut listed: Vec<rules::ComplaintEntry> = Vec::new();
    for target in targets {
        for month in &months {
            let first = rules::model::window_start(month, window).unwrap_or_default();
            listed.extend(complaints::listable(conn, target, &first, month, limit).await?);
        }
    }
    listed.sort_by_key(|c| (c.filed_at, c.id));
    listed.dedup_by_key(|c| c.id);
    facts.target_complaints = listed;
    Ok(rules::decide_read(config, mail, subject, fields, facts))
}

/// The item a thread belongs to, by the kind of the mail that opened it.
async fn load_item(
    conn: &mut SqliteConnection,
    thread: i64,
    kind: Option<MailKind>,
) -> anyhow::Result<Option<ThreadItem>> {
    let Some(MailKind::Workflow(kind)) = kind else {
        return Ok(None);
    };
    Ok(match kind {
        SubjectKind::FaultOrder => items::fault_by_thread(conn, thread)
            .await?
            .map(ThreadItem::Fault),
        SubjectKind::ImprovementRequest => items::improvement_by_thread(conn, thread)
            .await?
            .map(ThreadItem::Improvement),
        SubjectKind::Report => items::open_item_by_thread(conn, thread)
            .await?
            .map(ThreadItem::OpenItem),
        SubjectKind::Complaint => complaints::active_by_message(conn, thread)
            .await?
            .map(ThreadItem::Complaint),
        SubjectKind::TaskRequest => crate::store::tasks::by_thread(conn, thread)
            .await?
            .map(ThreadItem::Task),
        SubjectKind::Initiation | SubjectKind::ComplaintWithdrawal | SubjectKind::BugFeedback => {
            None
        }
    })
}

/// The mail whose decision is being applied: its row, its date (when each change happened) and
/// who sent it (the actor of history lines).
struct Applying<'a> {
    message: i64,
    at: DateTime<Utc>,
    actor: &'a str,
    /// Rows held until the batch's end.
    later: &'a mut Deferred,
}

/// An audit line: action and detail.
type Audit = Option<(&'static str, serde_json::Value)>;

/// Applies the decision's state changes in order, one function per effect. Each writes its own
/// item history line where the item has a history; the audit lines are written here, for the
/// effects that return one.
async fn apply(
    conn: &mut SqliteConnection,
    later: &mut Deferred,
    id: i64,
    mail: &Inbound,
    actor: &str,
    d: &Decision,
) -> anyhow::Result<()> {
    let mut a = Applying {
        message: id,
        at: mail.date,
        actor,
        later,
    };
    // The report row an open item hangs on: the AddReport before it in the same decision.
    let mut report = None;
    for (i, e) in d.effects.iter().enumerate() {
        let audit = match e {
            Effect::InitiateProject(sheet) => initiate_project(&mut a, conn, sheet).await?,
            Effect::CreateUninitiated {
                key,
                name,
                responsible_sales,
            } => create_uninitiated(&mut a, conn, key, name, responsible_sales.as_deref()).await?,
            Effect::AddReport(row) => {
                let opens_item = d.effects[i..]
                    .iter()
                    .any(|e| matches!(e, Effect::OpenItem { .. }));
                if opens_item {
                    // The open item needs the report's id: written now, after the reports
                    // held (so reports keep their order).
                    a.later.flush_reports(conn).await?;
                    report = Some(tracking::add_report(conn, a.message, row, a.at).await?);
                } else {
                    a.later.report(a.message, row, a.at)?;
                }
                None
            }
            Effect::OpenItem {
                project,
                engineer,
                description,
                priority,
                due,
            } => {
                let report =
                    report.ok_or_else(|| anyhow::anyhow!("open item without its report"))?;
                let item = (project, engineer.as_str(), description.as_str());
                open_item(&mut a, conn, report, item, priority, *due).await?
            }
            Effect::CloseOpenItem { id: item, how } => {
                close_open_item(&mut a, conn, *item, how).await?
            }
            Effect::AddComplaint {
                project,
                complainant,
                target,
                month,
            } => {
                let project = project.as_str();
                complaints::add(conn, a.message, project, complainant, target, month, a.at).await?;
                a.later.known.counted(target, month);
                None
            }
            Effect::WithdrawComplaint {
                id: complaint,
                voided,
            } => withdraw_complaint(&mut a, conn, *complaint, *voided).await?,
            Effect::Notice { key, sent } => notice(&mut a, conn, key, *sent).await?,
            Effect::FileImprovement { project, number } => {
                file_improvement(&mut a, conn, project, *number).await?
            }
            Effect::AddRdTime { request, hours } => {
                add_rd_time(&mut a, conn, *request, *hours).await?
            }
            Effect::RdCostNotice { project } => {
                items::add_rd_notice(conn, project, a.message).await?;
                Some(("rd_cost_notice", json!({"project": project})))
            }
            Effect::FileFault {
                project,
                priority,
                state,
                text,
                attachments,
                due,
            } => {
                let filed = (text.as_str(), *attachments);
                file_fault(&mut a, conn, project, priority, *state, filed, *due).await?
            }
            Effect::MoveFault {
                id: item,
                from,
                to,
                lead,
                conversion_proposed,
                note,
            } => {
                let step = FaultStep {
                    from: *from,
                    to: *to,
                    lead: lead.as_deref(),
                    conversion_proposed: *conversion_proposed,
                    note: note.as_deref(),
                };
                move_fault(&mut a, conn, *item, step).await?
            }
            Effect::AnswerSatisfaction {
                id: follow_up,
                level,
                note,
            } => {
                let note = note.as_deref();
                satisfaction::answer(conn, *follow_up, *level, note, a.actor, a.at).await?;
                Some((
                    "satisfaction_answer",
                    json!({"satisfaction": follow_up, "answer": level.as_str(), "note": note}),
                ))
            }
            Effect::FileTask(task) => file_task(&mut a, conn, task).await?,
            Effect::MoveTask {
                id: item,
                from,
                to,
                change,
            } => move_task(&mut a, conn, *item, (*from, *to), change).await?,
            Effect::FileBug { topic, missing } => {
                items::add_bug(conn, a.message, topic, a.actor, missing, a.at).await?;
                None
            }
        };
        if let Some((action, detail)) = audit {
            a.later.audit(a.at, a.message, action, detail)?;
        }
    }
    // The 知识库 (store::kb::index_effects): a report's line is held with its report; a closed
    // item's or order's line reads rows and is written now, after what is held.
    for e in &d.effects {
        match e {
            Effect::AddReport(_) => a.later.kb_report(id),
            Effect::CloseOpenItem { .. }
            | Effect::MoveFault {
                to: rules::FaultState::Closed,
                ..
            } => {
                // Its line may read this mail's report: the held reports and lines first.
                a.later.flush_kb(conn).await?;
                store::kb::index_effects(conn, id, std::slice::from_ref(e)).await?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// One line of an item's history, by the mail's sender at the mail's date (held: nothing reads
/// it back in the same transaction).
async fn history(
    a: &mut Applying<'_>,
    _conn: &mut SqliteConnection,
    line: HistoryLine<'_>,
) -> anyhow::Result<()> {
    a.later.history(a.message, a.at, &line)
}

async fn initiate_project(
    a: &mut Applying<'_>,
    conn: &mut SqliteConnection,
    sheet: &rules::ProjectSheet,
) -> anyhow::Result<Audit> {
    projects::initiate(conn, sheet, a.message, a.at).await?;
    Ok(Some((
        "initiate_project",
        json!({"project": sheet.key.as_str(), "first_presales": sheet.first_presales}),
    )))
}

async fn create_uninitiated(
    a: &mut Applying<'_>,
    conn: &mut SqliteConnection,
    key: &ProjectKey,
    name: &str,
    responsible_sales: Option<&str>,
) -> anyhow::Result<Audit> {
    projects::create_uninitiated(conn, key, name, responsible_sales, a.message, a.at).await?;
    Ok(Some((
        "create_uninitiated",
        json!({"project": key.as_str()}),
    )))
}

/// 第十七条: the open item, its SLA deadlines ([`rules::deadlines`]) and its first history line.
async fn open_item(
    a: &mut Applying<'_>,
    conn: &mut SqliteConnection,
    report: i64,
    (project, engineer, description): (&ProjectKey, &str, &str),
    priority: &str,
    due: rules::deadlines::Deadlines,
) -> anyhow::Result<Audit> {
    let item = tracking::add_open_item(
        conn,
        &tracking::NewOpenItem {
            report,
            thread: a.message,
            project: project.as_str(),
            engineer,
            description,
            priority,
            opened_at: a.at,
            response_due: due.response,
            resolution_due: due.resolution,
        },
    )
    .await?;
    let line = HistoryLine {
        item_kind: "open_item",
        item_id: item,
        actor: a.actor,
        action: "open",
        from: None,
        to: Some("open"),
        note: Some(priority),
    };
    history(a, conn, line).await?;
    Ok(None)
}

async fn close_open_item(
    a: &mut Applying<'_>,
    conn: &mut SqliteConnection,
    item: i64,
    how: &str,
) -> anyhow::Result<Audit> {
    items::close_open_item(conn, item, a.message, a.at).await?;
    satisfaction::open_for_open_item(conn, item, a.at).await?;
    let line = HistoryLine {
        item_kind: "open_item",
        item_id: item,
        actor: a.actor,
        action: "close",
        from: Some("open"),
        to: Some("closed"),
        note: Some(how),
    };
    history(a, conn, line).await?;
    Ok(None)
}

async fn withdraw_complaint(
    a: &mut Applying<'_>,
    conn: &mut SqliteConnection,
    complaint: i64,
    voided: bool,
) -> anyhow::Result<Audit> {
    complaints::end(conn, complaint, voided, a.message).await?;
    a.later.known.ended();
    Ok(Some((
        "withdraw_complaint",
        json!({"complaint": complaint, "voided": voided}),
    )))
}

async fn notice(
    a: &mut Applying<'_>,
    conn: &mut SqliteConnection,
    key: &rules::NoticeKey,
    sent: bool,
) -> anyhow::Result<Audit> {
    complaints::set_notice(conn, key, sent, a.message).await?;
    a.later.known.noticed(key, sent);
    let action = if sent {
        "threshold_notice"
    } else {
        "threshold_revoked"
    };
    Ok(Some((
        action,
        json!({"engineer": key.0, "scope": key.1, "period": key.2, "level": key.3}),
    )))
}

async fn file_improvement(
    a: &mut Applying<'_>,
    conn: &mut SqliteConnection,
    project: &ProjectKey,
    number: i64,
) -> anyhow::Result<Audit> {
    let item =
        items::add_improvement(conn, a.message, project.as_str(), number, a.actor, a.at).await?;
    let note = number.to_string();
    let line = HistoryLine {
        item_kind: "improvement_request",
        item_id: item,
        actor: a.actor,
        action: "file",
        from: None,
        to: None,
        note: Some(&note),
    };
    history(a, conn, line).await?;
    Ok(None)
}

async fn add_rd_time(
    a: &mut Applying<'_>,
    conn: &mut SqliteConnection,
    request: i64,
    hours: f64,
) -> anyhow::Result<Audit> {
    items::add_rd_time(conn, request, a.message, a.actor, hours, a.at).await?;
    let note = format!("{hours}h");
    let line = HistoryLine {
        item_kind: "improvement_request",
        item_id: request,
        actor: a.actor,
        action: "rd_time",
        from: None,
        to: None,
        note: Some(&note),
    };
    history(a, conn, line).await?;
    Ok(None)
}

/// 第四十四条: the order, what it said, its SLA deadlines ([`rules::deadlines`]) and its first
/// history line.
async fn file_fault(
    a: &mut Applying<'_>,
    conn: &mut SqliteConnection,
    project: &ProjectKey,
    priority: &str,
    state: rules::FaultState,
    (text, attachments): (&str, i64),
    due: rules::deadlines::Deadlines,
) -> anyhow::Result<Audit> {
    let item = items::add_fault(
        conn,
        &items::NewFault {
            message: a.message,
            project: project.as_str(),
            proposer: a.actor,
            priority,
            state,
            filed_at: a.at,
            text,
            attachments,
            response_due: due.response,
            resolution_due: due.resolution,
        },
    )
    .await?;
    let line = HistoryLine {
        item_kind: "fault_order",
        item_id: item,
        actor: a.actor,
        action: "file",
        from: None,
        to: Some(state.as_str()),
        note: Some(priority),
    };
    history(a, conn, line).await?;
    Ok(None)
}

/// A fault order's move as [`Effect::MoveFault`] carries it.
struct FaultStep<'a> {
    from: rules::FaultState,
    to: rules::FaultState,
    lead: Option<&'a str>,
    conversion_proposed: bool,
    note: Option<&'a str>,
}

async fn move_fault(
    a: &mut Applying<'_>,
    conn: &mut SqliteConnection,
    item: i64,
    step: FaultStep<'_>,
) -> anyhow::Result<Audit> {
    items::move_fault(
        conn,
        item,
        step.to,
        step.lead,
        step.conversion_proposed,
        a.at,
    )
    .await?;
    if step.to == rules::FaultState::Closed {
        satisfaction::open_for_fault(conn, item, a.at).await?;
    }
    let action = if step.conversion_proposed {
        "propose_conversion"
    } else {
        "move"
    };
    let line = HistoryLine {
        item_kind: "fault_order",
        item_id: item,
        actor: a.actor,
        action,
        from: Some(step.from.as_str()),
        to: Some(step.to.as_str()),
        note: step.note.or(step.lead),
    };
    history(a, conn, line).await?;
    Ok(None)
}

async fn file_task(
    a: &mut Applying<'_>,
    conn: &mut SqliteConnection,
    task: &rules::task::NewTask,
) -> anyhow::Result<Audit> {
    let item = store::tasks::add(conn, a.message, a.actor, task, a.at).await?;
    let line = HistoryLine {
        item_kind: "task",
        item_id: item,
        actor: a.actor,
        action: "file",
        from: None,
        to: Some("requested"),
        note: Some(task.kind.as_str()),
    };
    history(a, conn, line).await?;
    Ok(None)
}

async fn move_task(
    a: &mut Applying<'_>,
    conn: &mut SqliteConnection,
    item: i64,
    (from, to): (rules::task::TaskState, rules::task::TaskState),
    change: &rules::task::TaskChange,
) -> anyhow::Result<Audit> {
    store::tasks::move_to(conn, item, to, change, a.at).await?;
    let engineers = change.engineers.as_ref().map(|e| e.join("、"));
    let line = HistoryLine {
        item_kind: "task",
        item_id: item,
        actor: a.actor,
        action: "move",
        from: Some(from.as_str()),
        to: Some(to.as_str()),
        note: change.note.as_deref().or(engineers.as_deref()),
    };
    history(a, conn, line).await?;
    Ok(None)
}

/// The mail being answered: its row, the thread its answers are tagged with, the mail itself.
struct Answering<'a> {
    id: i64,
    thread: i64,
    mail: &'a Inbound,
}

/// The Message-ID of the `i`-th mail answering `mail`: derived from its event time and its key,
/// so it is the same however often it is rebuilt (as long as the event time is: a mail with no
/// Date or Received header takes its arrival). The time comes first so that new IDs sort after
/// older ones: the outbox's unique index then grows at its end instead of at random pages (a
/// replay of 100,000 mails writes 26 % fewer pages; BENCHMARKS.md, ninth round).
fn reply_message_id(config: &Config, mail: &Inbound, i: usize) -> String {
    let seed = hex::encode(&Sha256::digest(mail.key.as_bytes())[..8]);
    let stamp = mail.date.format("%Y%m%d%H%M%S");
    format!("<sb.{stamp}.{seed}.{i}@{}>", config.bot_domain())
}

/// Queues the decision's mail: tagged `[SB-thread]`, threaded to the mail it answers, with a
/// Message-ID derived from that mail's key so it is the same however often it is rebuilt.
async fn queue(
    config: &Config,
    conn: &mut SqliteConnection,
    later: &mut Deferred,
    answering: Answering<'_>,
    d: &Decision,
    now: DateTime<Utc>,
    replies: Replies,
) -> anyhow::Result<()> {
    let Answering { id, thread, mail } = answering;
    let answered = (!mail.key.starts_with("sha256:")).then(|| format!("<{}>", mail.key));
    let mut refs: Vec<String> = mail.references.iter().map(|r| format!("<{r}>")).collect();
    refs.extend(answered.clone());
    let refs = outbound::last_references(&refs);
    let references = (!refs.is_empty()).then(|| refs.join(" "));
    for (i, out) in d.outgoing.iter().enumerate() {
        let message_id = reply_message_id(config, mail, i);
        let subject = format!(
            "[SB-{thread}] {}",
            outbound::cut(&out.subject, outbound::SUBJECT_ECHO_CHARS)
        );
        let env = outbox::Envelope {
            message: id,
            subject: &subject,
            message_id: &message_id,
            in_reply_to: answered.as_deref(),
            references: references.as_deref(),
            created_at: now,
        };
        if replies == Replies::RecordNotSent {
            // Held: a reply that is never sent is read back only by a reply to it, which
            // flushes first.
            later.not_sent(out, &env)?;
            continue;
        }
        if !out.kind.is_capped_reply() {
            // Held, as every reply is: read back only by a reply to it, which flushes first.
            later.outbox_row(out, &env, "pending")?;
            continue;
        }
        let cap = outbox::ReplyCap {
            per_hour: config.limits.replies_per_recipient_hour,
            per_day: config.limits.replies_per_recipient_day,
        };
        if let outbox::ReplyQueued::Suppressed(over) =
            later.queue_reply(conn, out, &env, cap).await?
        {
            for recipient in &over {
                tracing::warn!(
                    recipient,
                    kind = out.kind.as_str(),
                    "reply suppressed: cap reached"
                );
                let about = alerts::reply_cap_about(config, recipient, now);
                if later.alerted.contains(&about) {
                    // Queued earlier in this transaction: the same Message-ID, nothing to write.
                    continue;
                }
                // The alert is written now, after the replies held before it.
                later.flush_outbox(conn).await?;
                alerts::reply_cap_reached(config, conn, id, recipient, now).await?;
                later.alerted.insert(about);
            }
        }
    }
    Ok(())
}
