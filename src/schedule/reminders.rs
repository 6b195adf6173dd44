//! Reminders, decided purely from the rows, the config and "now": 第十一条 (uninitiated
//! projects), 第七条 / 第十七条 (open items by SLA) and fault orders (第四十三条–第四十七条).

use crate::config::Config;
use crate::directory::Role;
use crate::mail::{Outgoing, OutgoingKind};
use crate::rules::text::notices;
use crate::store::schedule::{OpenItemRow, UninitiatedRow};
use chrono::{DateTime, Utc};

/// A reminder due now, under its never-twice key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The due event's key.
    pub key: String,
    /// Its schedule (the kind, for reminders).
    pub schedule: String,
    /// When it fell due.
    pub due_at: DateTime<Utc>,
    /// The mail.
    pub mail: Outgoing,
    /// A row to update when it is queued.
    pub marks: Option<Mark>,
}

/// What queuing a reminder records besides the due event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// The 满意度回访 with this id was requested.
    SatisfactionRequested(i64),
    /// The 满意度回访 with this id was reminded.
    SatisfactionReminded(i64),
}

fn local(config: &Config, t: DateTime<Utc>) -> String {
    crate::rules::text::datetime_cn(t, config.timezone)
}

pub(super) fn address_of(config: &Config, name: &str) -> Option<String> {
    config
        .directory
        .by_name(name)
        .map(|p| p.address().to_string())
}

fn role(config: &Config, role: Role) -> Vec<String> {
    config
        .directory
        .with_role(role)
        .map(|p| p.address().to_string())
        .collect()
}

pub(super) fn due(key: String, kind: OutgoingKind, due_at: DateTime<Utc>, mail: Outgoing) -> Due {
    Due {
        key,
        schedule: kind.as_str().into(),
        due_at,
        mail,
        marks: None,
    }
}

/// 第十一条: remind the sales after `remind_uninitiated_after` working days; after
/// `stop_support_after`, tell sales, engineer and manager that support may stop.
pub fn uninitiated(config: &Config, rows: &[UninitiatedRow], now: DateTime<Utc>) -> Vec<Due> {
    let cal = &config.calendar;
    let s = &config.schedules;
    let mut out = Vec::new();
    for p in rows {
        let sales = p
            .responsible_sales
            .as_deref()
            .and_then(|n| address_of(config, n));
        let remind_at = cal.add_working_days(p.created_at, s.remind_uninitiated_after);
        let stop_at = cal.add_working_days(p.created_at, s.stop_support_after);
        if stop_at <= now {
            let mut to: Vec<String> = sales.iter().cloned().collect();
            to.push(p.engineer.clone());
            let (subject, body) = notices::support_may_stop(
                &p.name,
                &local(config, p.created_at),
                s.stop_support_after,
            );
            let mail = Outgoing {
                kind: OutgoingKind::SupportMayStop,
                to,
                cc: role(config, Role::PresalesManager),
                subject,
                body,
            };
            let key = format!("support_may_stop:{}", p.key);
            out.push(due(key, OutgoingKind::SupportMayStop, stop_at, mail));
        } else if remind_at <= now {
            let (to, cc, ask) = match sales {
                Some(a) => (
                    vec![a],
                    vec![p.engineer.clone()],
                    "请责任销售尽快发送立项邮件",
                ),
                None => (
                    vec![p.engineer.clone()],
                    vec![],
                    "请转告责任销售尽快发送立项邮件",
                ),
            };
            let (subject, body) = notices::uninitiated_reminder(
                &p.name,
                &crate::rules::text::date_cn(
                    p.created_at.with_timezone(&config.timezone).date_naive(),
                ),
                ask,
                s.stop_support_after,
                &crate::rules::text::initiation_blank(&p.name, p.responsible_sales.as_deref()),
            );
            let mail = Outgoing {
                kind: OutgoingKind::UninitiatedReminder,
                to,
                cc,
                subject,
                body,
            };
            let key = format!("uninitiated_reminder:{}", p.key);
            out.push(due(key, OutgoingKind::UninitiatedReminder, remind_at, mail));
        }
    }
    out
}

/// A due event that fell due too long ago to be mailed (before the tick's `fresh_since`): only
/// recorded, as skipped. No mail is built for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missed {
    /// The due event's key.
    pub key: String,
    /// Its schedule (the kind).
    pub schedule: String,
    /// When it fell due.
    pub due_at: DateTime<Utc>,
}

impl Missed {
    fn of(key: String, kind: OutgoingKind, due_at: DateTime<Utc>) -> Missed {
        Missed {
            key,
            schedule: kind.as_str().into(),
            due_at,
        }
    }
}

/// 第七条 / 第十七条: the engineer is reminded when the response deadline passes with no
/// follow-up; the presales manager is told when the resolution deadline passes. The events due
/// before `fresh_since` come back apart as [`Missed`], without their mail: after a gap or an
/// imported archive they are one per item.
pub fn open_items(
    config: &Config,
    rows: &[OpenItemRow],
    now: DateTime<Utc>,
    fresh_since: DateTime<Utc>,
) -> (Vec<Due>, Vec<Missed>) {
    let (mut out, mut missed) = (Vec::new(), Vec::new());
    for i in rows {
        let engineer = address_of(config, &i.engineer);
        let what = || {
            notices::open_item_line(
                &i.project,
                i.thread,
                &i.priority,
                &local(config, i.opened_at),
                &i.description,
            )
        };
        if i.resolution_due <= now {
            let key = format!("open_item_escalation:{}", i.id);
            if i.resolution_due < fresh_since {
                missed.push(Missed::of(
                    key,
                    OutgoingKind::OpenItemEscalation,
                    i.resolution_due,
                ));
            } else {
                // The item's thread tag: a reply to the reminder acts on that item (workflow.md
                // §4).
                let (subject, body) = notices::open_item_escalation(
                    &i.project,
                    i.thread,
                    &what(),
                    &local(config, i.resolution_due),
                    &i.engineer,
                );
                let mail = Outgoing {
                    kind: OutgoingKind::OpenItemEscalation,
                    to: role(config, Role::PresalesManager),
                    cc: engineer.iter().cloned().collect(),
                    subject,
                    body,
                };
                out.push(due(
                    key,
                    OutgoingKind::OpenItemEscalation,
                    i.resolution_due,
                    mail,
                ));
            }
        }
        if i.response_due <= now
            && !i.followed_up
            && let Some(a) = engineer
        {
            let key = format!("open_item_reminder:{}", i.id);
            if i.response_due < fresh_since {
                missed.push(Missed::of(
                    key,
                    OutgoingKind::OpenItemReminder,
                    i.response_due,
                ));
                continue;
            }
            let (subject, body) = notices::open_item_reminder(
                &i.project,
                i.thread,
                &what(),
                &local(config, i.response_due),
                &local(config, i.resolution_due),
            );
            let mail = Outgoing {
                kind: OutgoingKind::OpenItemReminder,
                to: vec![a],
                cc: Vec::new(),
                subject,
                body,
            };
            out.push(due(
                key,
                OutgoingKind::OpenItemReminder,
                i.response_due,
                mail,
            ));
        }
    }
    (out, missed)
}

/// One step of a fault order (故障处理工作单) someone owes, as the fault-order store sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultStep {
    /// The order's id.
    pub id: i64,
    /// The project's name, for the subject.
    pub title: String,
    /// The state the order is in (`pending_approval`, `closure_requested`, …).
    pub state: String,
    /// Addresses of whoever owes the next step (the proposer while closure awaits
    /// confirmation, 第四十六条).
    pub owners: Vec<String>,
    /// When the state was entered.
    pub since: DateTime<Utc>,
    /// When the SLA for the order's priority runs out.
    pub due_at: DateTime<Utc>,
}

/// 第四十三条–第四十七条: whoever owes the next step is reminded once per state it enters.
pub fn faults(config: &Config, steps: &[FaultStep], now: DateTime<Utc>) -> Vec<Due> {
    steps
        .iter()
        .filter(|f| f.due_at <= now)
        .map(|f| {
            // The order's thread tag: a reply to the reminder acts on that order.
            let (subject, body) = notices::fault_reminder(
                f.id,
                &f.title,
                &local(config, f.since),
                &f.state,
                &local(config, f.due_at),
            );
            let mail = Outgoing {
                kind: OutgoingKind::FaultReminder,
                to: f.owners.clone(),
                cc: role(config, Role::PresalesManager)
                    .into_iter()
                    .filter(|a| !f.owners.contains(a))
                    .collect(),
                subject,
                body,
            };
            let key = format!(
                "fault_reminder:{}:{}:{}",
                f.id,
                f.state,
                crate::store::ts(f.since)
            );
            due(key, OutgoingKind::FaultReminder, f.due_at, mail)
        })
        .collect()
}

/// 满意度回访: the owner of a closed item is asked, `satisfaction_after` working days after the
/// closure, to contact the customer and reply on the item's thread; unanswered after
/// `satisfaction_remind_after` more working days, reminded once. The subject carries the item's
/// [SB-n] tag so the reply lands on its thread.
pub fn satisfaction(
    config: &Config,
    rows: &[crate::rules::satisfaction::SatisfactionRef],
    now: DateTime<Utc>,
) -> Vec<Due> {
    let s = &config.schedules;
    let mut out = Vec::new();
    for f in rows {
        let Some(owner) = address_of(config, &f.owner) else {
            continue;
        };
        let ask_at = config
            .calendar
            .add_working_days(f.closed_at, s.satisfaction_after);
        if ask_at > now {
            continue;
        }
        let what = notices::satisfaction_item(
            &f.project,
            f.thread,
            &config
                .calendar
                .date_of(f.closed_at)
                .format("%Y年%-m月%-d日")
                .to_string(),
            &f.description,
        );
        let (subject, body) = notices::satisfaction_request(
            &f.owner,
            &f.project,
            f.thread,
            &what,
            f.contact.as_deref(),
        );
        let request = Outgoing {
            kind: OutgoingKind::SatisfactionRequest,
            to: vec![owner.clone()],
            cc: Vec::new(),
            subject,
            body,
        };
        out.push(Due {
            marks: Some(Mark::SatisfactionRequested(f.id)),
            ..due(
                format!("satisfaction_request:{}", f.id),
                OutgoingKind::SatisfactionRequest,
                ask_at,
                request,
            )
        });
        let remind_at = config
            .calendar
            .add_working_days(ask_at, s.satisfaction_remind_after);
        if remind_at <= now {
            let (subject, body) = notices::satisfaction_reminder(
                &f.owner,
                &f.project,
                f.thread,
                &what,
                s.satisfaction_remind_after,
            );
            let reminder = Outgoing {
                kind: OutgoingKind::SatisfactionReminder,
                to: vec![owner],
                cc: Vec::new(),
                subject,
                body,
            };
            out.push(Due {
                marks: Some(Mark::SatisfactionReminded(f.id)),
                ..due(
                    format!("satisfaction_reminder:{}", f.id),
                    OutgoingKind::SatisfactionReminder,
                    remind_at,
                    reminder,
                )
            });
        }
    }
    out
}
