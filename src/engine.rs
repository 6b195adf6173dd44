//! One mail, one transaction: record it under its exactly-once key, load the facts the rules
//! need, decide, apply the state changes and queue the replies — all committed together.

use crate::config::Config;
use crate::mail::Inbound;
use crate::parse::{ParsedSubject, SubjectClass, SubjectKind, parse_subject};
use crate::rules::{self, Decision, Effect, Facts, MailKind};
use crate::store::{self, Store, complaints, messages, outbox, projects, tracking};
use chrono::{DateTime, Utc};
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
        let mail = Inbound::parse(raw, now);
        let mut tx = self.store.begin().await?;
        let handled = handle_in(&self.config, &mut tx, &mail, now).await?;
        tx.commit().await?;
        log(&mail, &handled);
        Ok(handled)
    }
}

/// Logs the one info line per mail handled.
pub fn log(mail: &Inbound, handled: &Handled) {
    match handled {
        Handled::Recorded {
            id,
            kind,
            outcome,
            queued,
        } => tracing::info!(
            message_id = %mail.key, id, kind, outcome, queued, "mail handled"
        ),
        Handled::Duplicate => {
            tracing::info!(message_id = %mail.key, outcome = "duplicate", "mail handled")
        }
    }
}

/// Handles one mail inside the caller's transaction (replay batches many per transaction).
pub async fn handle_in(
    config: &Config,
    conn: &mut SqliteConnection,
    mail: &Inbound,
    now: DateTime<Utc>,
) -> anyhow::Result<Handled> {
    if messages::exists(conn, &mail.key).await? {
        return Ok(Handled::Duplicate);
    }
    let subject = parse_subject(&mail.subject);
    let facts = load_facts(conn, &subject, mail).await?;
    let d = rules::decide(config, mail, &subject, &facts);
    let project = d.project.as_ref().map(|p| p.as_str());
    let mut references: Vec<String> = mail.references.clone();
    for id in &mail.in_reply_to {
        if !references.contains(id) {
            references.push(id.clone());
        }
    }
    let id = messages::insert(
        conn,
        &messages::NewMessage {
            key: &mail.key,
            subject: &mail.subject,
            sender: mail.from.as_deref().unwrap_or_default(),
            kind: d.kind.as_str(),
            outcome: d.outcome.as_str(),
            reasons: &d.reasons,
            flags: &d.flags,
            project,
            event_at: mail.date,
            handled_at: now,
            references: &references,
        },
    )
    .await?;
    apply(config, conn, id, mail, &d).await?;
    queue(config, conn, id, mail, &d, now).await?;
    Ok(Handled::Recorded {
        id,
        kind: d.kind.as_str(),
        outcome: d.outcome.as_str(),
        queued: d.outgoing.len(),
    })
}

/// Loads only what the mail's kind needs.
async fn load_facts(
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
    let Some(key) = rules::project_of(subject) else {
        return Ok(facts);
    };
    facts.project = projects::get(conn, &key).await?;
    if let SubjectClass::Workflow(w) = &subject.class
        && matches!(
            w.kind,
            SubjectKind::Complaint | SubjectKind::ComplaintWithdrawal
        )
    {
        facts.complaint_months = complaints::month_counts(conn).await?;
        facts.notices = complaints::notices(conn).await?;
        facts.project_complaints = complaints::active_on_project(conn, key.as_str()).await?;
    }
    Ok(facts)
}

/// Applies the decision's state changes, with an audit line for each.
async fn apply(
    config: &Config,
    conn: &mut SqliteConnection,
    id: i64,
    mail: &Inbound,
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
                    serde_json::json!({"project": sheet.key.as_str(), "first_presales": sheet.first_presales}),
                )
            }
            Effect::CreateUninitiated {
                key,
                name,
                responsible_sales,
            } => {
                projects::create_uninitiated(conn, key, name, responsible_sales.as_deref(), id, at)
                    .await?;
                (
                    "create_uninitiated",
                    serde_json::json!({"project": key.as_str()}),
                )
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
                (
                    "open_item",
                    serde_json::json!({"project": project.as_str(), "priority": priority}),
                )
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
                    serde_json::json!({"complaint": complaint, "voided": voided}),
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
                    serde_json::json!({"engineer": key.0, "scope": key.1, "period": key.2, "level": key.3}),
                )
            }
        };
        store::audit(conn, at, id, action, detail).await?;
    }
    Ok(())
}

/// Queues the decision's mail: tagged `[SB-id]`, threaded to the mail it answers, with a
/// Message-ID derived from that mail's key so it is the same however often it is rebuilt.
async fn queue(
    config: &Config,
    conn: &mut SqliteConnection,
    id: i64,
    mail: &Inbound,
    d: &Decision,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let seed = hex::encode(&Sha256::digest(mail.key.as_bytes())[..8]);
    let answered = (!mail.key.starts_with("sha256:")).then(|| format!("<{}>", mail.key));
    let mut refs: Vec<String> = mail.references.iter().map(|r| format!("<{r}>")).collect();
    refs.extend(answered.clone());
    let references = (!refs.is_empty()).then(|| refs.join(" "));
    for (i, out) in d.outgoing.iter().enumerate() {
        let message_id = format!("<sb.{seed}.{i}@{}>", config.bot_domain());
        let subject = format!("[SB-{id}] {}", out.subject);
        outbox::enqueue(
            conn,
            out,
            &outbox::Envelope {
                message: id,
                subject: &subject,
                message_id: &message_id,
                in_reply_to: answered.as_deref(),
                references: references.as_deref(),
                created_at: now,
            },
        )
        .await?;
    }
    debug_assert!(d.kind != MailKind::AutoReply || d.outgoing.is_empty());
    Ok(())
}
