//! One mail, one transaction: record it under its exactly-once key, load the facts the rules
//! need, decide, apply the state changes and queue the replies — all committed together.

use crate::alerts;
use crate::config::Config;
use crate::mail::{Inbound, outbound};
use crate::parse::{ParsedSubject, ProjectKey, SubjectClass, SubjectKind, parse_subject};
use crate::rules::{self, Decision, Effect, Facts, MailKind, ThreadItem};
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

/// Handles one mail inside the caller's transaction (replay batches many per transaction).
pub async fn handle_in(
    config: &Config,
    conn: &mut SqliteConnection,
    mail: &Inbound,
    now: DateTime<Utc>,
    replies: Replies,
) -> anyhow::Result<Handled> {
    let subject = parse_subject(&mail.subject);
    let facts = load_facts(config, conn, &subject, mail).await?;
    let mut d = rules::decide(config, mail, &subject, &facts);
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
    apply(config, conn, id, mail, actor, &d).await?;
    let answering = Answering {
        id,
        thread: thread.unwrap_or(id),
        mail,
    };
    queue(config, conn, answering, &d, now, replies).await?;
    if let Some(p) = query_parts {
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
            kind: d.kind.as_str(),
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
    subject: &ParsedSubject,
    mail: &Inbound,
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
        facts.item = load_item(conn, thread.message, &thread.kind).await?;
        facts.satisfaction = satisfaction::by_thread(conn, thread.message).await?;
        // 「已解决」 on a report's thread that opened no item (the ack of a 成功 report asks so):
        // the project's open items, to find the sender's one.
        if facts.item.is_none()
            && thread.kind == "report"
            && let Some(key) = thread.project.as_deref().and_then(ProjectKey::new)
        {
            facts.open_items = projects::get_with_open_items(conn, &key).await?.1;
        }
        if let Some(ThreadItem::Complaint(c)) = &facts.item {
            let targets = [c.target.clone()];
            facts.complaint_months = complaints::month_counts_of(conn, &targets).await?;
            facts.target_complaints = complaints::active_of(conn, &targets).await?;
            facts.notices = complaints::notices_of(conn, &targets).await?;
        }
    }
    let Some(key) = rules::project_of(subject) else {
        return Ok(facts);
    };
    let is_report =
        matches!(&subject.class, SubjectClass::Workflow(w) if w.kind == SubjectKind::Report);
    if is_report {
        (facts.project, facts.open_items) = projects::get_with_open_items(conn, &key).await?;
    } else {
        facts.project = projects::get(conn, &key).await?;
    }
    if let SubjectClass::Workflow(w) = &subject.class {
        match w.kind {
            SubjectKind::Complaint | SubjectKind::ComplaintWithdrawal => {
                facts.project_complaints =
                    complaints::active_on_project(conn, key.as_str()).await?;
                let targets = rules::complaint::targets(config, mail, &facts);
                facts.complaint_months = complaints::month_counts_of(conn, &targets).await?;
                facts.target_complaints = complaints::active_of(conn, &targets).await?;
                facts.notices = complaints::notices_of(conn, &targets).await?;
            }
            SubjectKind::ImprovementRequest => {
                facts.improvement_count = items::improvement_count(conn, key.as_str()).await?;
            }
            _ => {}
        }
    }
    Ok(facts)
}

/// The item a thread belongs to, by the kind of the mail that opened it.
async fn load_item(
    conn: &mut SqliteConnection,
    thread: i64,
    kind: &str,
) -> anyhow::Result<Option<ThreadItem>> {
    Ok(match kind {
        "fault_order" => items::fault_by_thread(conn, thread)
            .await?
            .map(ThreadItem::Fault),
        "improvement_request" => items::improvement_by_thread(conn, thread)
            .await?
            .map(ThreadItem::Improvement),
        "report" => items::open_item_by_thread(conn, thread)
            .await?
            .map(ThreadItem::OpenItem),
        "complaint" => complaints::active_by_message(conn, thread)
            .await?
            .map(ThreadItem::Complaint),
        "task_request" => crate::store::tasks::by_thread(conn, thread)
            .await?
            .map(ThreadItem::Task),
        _ => None,
    })
}

/// Applies the decision's state changes, with an audit or history line for each.
async fn apply(
    config: &Config,
    conn: &mut SqliteConnection,
    id: i64,
    mail: &Inbound,
    actor: &str,
    d: &Decision,
) -> anyhow::Result<()> {
    let at = mail.date;
    let mut report_id = None;
    for e in &d.effects {
        let (action, detail) = match e {
            Effect::InitiateProject(sheet) => {
                projects::initiate(conn, sheet, id, at).await?;
                (
                    "initiate_project",
                    json!({"project": sheet.key.as_str(), "first_presales": sheet.first_presales}),
                )
            }
            Effect::CreateUninitiated {
                key,
                name,
                responsible_sales,
            } => {
                projects::create_uninitiated(conn, key, name, responsible_sales.as_deref(), id, at)
                    .await?;
                ("create_uninitiated", json!({"project": key.as_str()}))
            }
            Effect::AddReport(row) => {
                report_id = Some(tracking::add_report(conn, id, row, at).await?);
                continue;
            }
            Effect::OpenItem {
                project,
                engineer,
                description,
                priority,
            } => {
                let report =
                    report_id.ok_or_else(|| anyhow::anyhow!("open item without its report"))?;
                let item = tracking::add_open_item(
                    conn,
                    report,
                    project.as_str(),
                    engineer,
                    description,
                    priority,
                    at,
                )
                .await?;
                crate::schedule::stamp_open_item(config, conn, item, priority, at).await?;
                let line = HistoryLine {
                    item_kind: "open_item",
                    item_id: item,
                    actor,
                    action: "open",
                    from: None,
                    to: Some("open"),
                    note: Some(priority),
                };
                items::history(conn, id, at, &line).await?;
                continue;
            }
            Effect::CloseOpenItem { id: item, how } => {
                items::close_open_item(conn, *item, id, at).await?;
                satisfaction::open_for_open_item(conn, *item, at).await?;
                let line = HistoryLine {
                    item_kind: "open_item",
                    item_id: *item,
                    actor,
                    action: "close",
                    from: Some("open"),
                    to: Some("closed"),
                    note: Some(how),
                };
                items::history(conn, id, at, &line).await?;
                continue;
            }
            Effect::AddComplaint {
                project,
                complainant,
                target,
                month,
            } => {
                complaints::add(conn, id, project.as_str(), complainant, target, month, at).await?;
                continue;
            }
            Effect::WithdrawComplaint {
                id: complaint,
                voided,
            } => {
                complaints::end(conn, *complaint, *voided, id).await?;
                (
                    "withdraw_complaint",
                    json!({"complaint": complaint, "voided": voided}),
                )
            }
            Effect::Notice { key, sent } => {
                complaints::set_notice(conn, key, *sent, id).await?;
                let action = if *sent {
                    "threshold_notice"
                } else {
                    "threshold_revoked"
                };
                (
                    action,
                    json!({"engineer": key.0, "scope": key.1, "period": key.2, "level": key.3}),
                )
            }
            Effect::FileImprovement { project, number } => {
                let item =
                    items::add_improvement(conn, id, project.as_str(), *number, actor, at).await?;
                let note = number.to_string();
                let line = HistoryLine {
                    item_kind: "improvement_request",
                    item_id: item,
                    actor,
                    action: "file",
                    from: None,
                    to: None,
                    note: Some(&note),
                };
                items::history(conn, id, at, &line).await?;
                continue;
            }
            Effect::AddRdTime { request, hours } => {
                items::add_rd_time(conn, *request, id, actor, *hours, at).await?;
                let note = format!("{hours}h");
                let line = HistoryLine {
                    item_kind: "improvement_request",
                    item_id: *request,
                    actor,
                    action: "rd_time",
                    from: None,
                    to: None,
                    note: Some(&note),
                };
                items::history(conn, id, at, &line).await?;
                continue;
            }
            Effect::RdCostNotice { project } => {
                items::add_rd_notice(conn, project, id).await?;
                ("rd_cost_notice", json!({"project": project}))
            }
            Effect::FileFault {
                project,
                priority,
                state,
                text,
                attachments,
            } => {
                let item =
                    items::add_fault(conn, id, project.as_str(), actor, priority, *state, at)
                        .await?;
                items::set_fault_text(conn, item, text, *attachments).await?;
                crate::schedule::stamp_fault_order(config, conn, item, priority, at).await?;
                let line = HistoryLine {
                    item_kind: "fault_order",
                    item_id: item,
                    actor,
                    action: "file",
                    from: None,
                    to: Some(state.as_str()),
                    note: Some(priority),
                };
                items::history(conn, id, at, &line).await?;
                continue;
            }
            Effect::MoveFault {
                id: item,
                from,
                to,
                lead,
                conversion_proposed,
                note,
            } => {
                items::move_fault(conn, *item, *to, lead.as_deref(), *conversion_proposed, at)
                    .await?;
                if *to == rules::FaultState::Closed {
                    satisfaction::open_for_fault(conn, *item, at).await?;
                }
                let action = if *conversion_proposed {
                    "propose_conversion"
                } else {
                    "move"
                };
                let line = HistoryLine {
                    item_kind: "fault_order",
                    item_id: *item,
                    actor,
                    action,
                    from: Some(from.as_str()),
                    to: Some(to.as_str()),
                    note: note.as_deref().or(lead.as_deref()),
                };
                items::history(conn, id, at, &line).await?;
                continue;
            }
            Effect::AnswerSatisfaction {
                id: follow_up,
                level,
                note,
            } => {
                satisfaction::answer(conn, *follow_up, *level, note.as_deref(), actor, at).await?;
                (
                    "satisfaction_answer",
                    json!({"satisfaction": follow_up, "answer": level.as_str(), "note": note}),
                )
            }
            Effect::FileTask(task) => {
                let item = crate::store::tasks::add(conn, id, actor, task, at).await?;
                let line = HistoryLine {
                    item_kind: "task",
                    item_id: item,
                    actor,
                    action: "file",
                    from: None,
                    to: Some("requested"),
                    note: Some(task.kind.as_str()),
                };
                items::history(conn, id, at, &line).await?;
                continue;
            }
            Effect::MoveTask {
                id: item,
                from,
                to,
                change,
            } => {
                crate::store::tasks::move_to(conn, *item, *to, change, at).await?;
                let engineers = change.engineers.as_ref().map(|e| e.join("、"));
                let line = HistoryLine {
                    item_kind: "task",
                    item_id: *item,
                    actor,
                    action: "move",
                    from: Some(from.as_str()),
                    to: Some(to.as_str()),
                    note: change.note.as_deref().or(engineers.as_deref()),
                };
                items::history(conn, id, at, &line).await?;
                continue;
            }
            Effect::FileBug { topic, missing } => {
                items::add_bug(conn, id, topic, actor, missing, at).await?;
                continue;
            }
        };
        store::audit(conn, at, id, action, detail).await?;
    }
    store::kb::index_effects(conn, id, &d.effects).await?;
    Ok(())
}

/// The mail being answered: its row, the thread its answers are tagged with, the mail itself.
struct Answering<'a> {
    id: i64,
    thread: i64,
    mail: &'a Inbound,
}

/// The Message-ID of the `i`-th mail answering `mail`: derived from its key, so it is the same
/// however often it is rebuilt.
fn reply_message_id(config: &Config, mail: &Inbound, i: usize) -> String {
    let seed = hex::encode(&Sha256::digest(mail.key.as_bytes())[..8]);
    format!("<sb.{seed}.{i}@{}>", config.bot_domain())
}

/// Queues the decision's mail: tagged `[SB-thread]`, threaded to the mail it answers, with a
/// Message-ID derived from that mail's key so it is the same however often it is rebuilt.
async fn queue(
    config: &Config,
    conn: &mut SqliteConnection,
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
            outbox::record_not_sent(conn, out, &env).await?;
            continue;
        }
        if !out.kind.is_capped_reply() {
            outbox::enqueue(conn, out, &env).await?;
            continue;
        }
        let cap = outbox::ReplyCap {
            per_hour: config.limits.replies_per_recipient_hour,
            per_day: config.limits.replies_per_recipient_day,
        };
        if let outbox::ReplyQueued::Suppressed(over) =
            outbox::enqueue_reply(conn, out, &env, cap).await?
        {
            for recipient in &over {
                tracing::warn!(
                    recipient,
                    kind = out.kind.as_str(),
                    "reply suppressed: cap reached"
                );
                alerts::reply_cap_reached(config, conn, id, recipient, now).await?;
            }
        }
    }
    Ok(())
}
