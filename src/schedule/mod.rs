//! The schedules (workflow.md §3–§4): SLA deadlines, reminders and digests. [`run_due`] is the
//! one step `tick` and the daemon run: it queues every reminder and digest due by "now", each
//! under a key recorded in `due_events` in the same transaction, so nothing is queued twice —
//! across repeated ticks, restarts, or a clock that jumps back.

pub mod nudges;
pub mod occurrences;
pub mod reminders;
pub mod settings;
pub mod tasks;

use crate::config::Config;
use crate::digest::{self, Prepared};
use crate::directory::Role;
use crate::engine::Engine;
use crate::store::{outbox, schedule as store};
use chrono::{DateTime, Utc};
use occurrences::Occurrence;
use sqlx::SqliteConnection;

/// What one [`run_due`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DueOutcome {
    /// Mails queued now.
    pub queued: usize,
    /// Open items given SLA deadlines now (opened before deadlines were stored).
    pub deadlines_set: usize,
    /// Digests and reminders that fell due more than [`DIGEST_FRESH_FOR`] ago: recorded, never
    /// sent.
    pub skipped: usize,
}

/// How old a missed digest or reminder may be and still go out (interface.md: after a gap, only
/// the latest occurrence of each digest, and only when it fell due within the last 24 hours;
/// nothing about an imported archive is mailed).
pub const DIGEST_FRESH_FOR: chrono::Duration = chrono::Duration::hours(24);

/// Queues everything due by `now`, in one transaction.
#[tracing::instrument(skip_all, fields(now = %now))]
pub async fn run_due(engine: &Engine, now: DateTime<Utc>) -> anyhow::Result<DueOutcome> {
    let config = &engine.config;
    let mut tx = engine.store.begin().await?;
    let mut outcome = DueOutcome {
        deadlines_set: stamp_missing_deadlines(config, &mut tx).await?,
        ..DueOutcome::default()
    };
    let mut reminders = reminders::uninitiated(config, &store::uninitiated(&mut tx).await?, now);
    let fresh_since = now - DIGEST_FRESH_FOR;
    let (due, mut missed) = reminders::open_items(
        config,
        &store::open_items_due(&mut tx, now).await?,
        now,
        fresh_since,
    );
    reminders.extend(due);
    let open_faults = open_fault_orders(&mut tx).await?;
    reminders.extend(reminders::faults(
        config,
        &fault_steps(config, &open_faults)?,
        now,
    ));
    let follow_ups = crate::store::satisfaction::unanswered(&mut tx).await?;
    reminders.extend(reminders::satisfaction(config, &follow_ups, now));
    // The tasks not over yet, by the state index: tasks::due times three of their states and
    // the approval nudges one; the finished and rejected, most of them, are never read.
    let task_rows = crate::store::tasks::open(&mut tx).await?;
    reminders.extend(tasks::due(config, &task_rows, now));
    reminders.extend(nudges::report_due(
        config,
        &crate::store::nudges::project_pulses(&mut tx).await?,
        &store::open_items_awaiting_response(&mut tx, now).await?,
        now,
    ));
    let mut waiting = open_faults;
    waiting.sort_by_key(|f| f.thread);
    reminders.extend(nudges::approval_waiting(config, &waiting, &task_rows, now)?);
    // Fell due more than a day ago: the daemon was stopped, or the event came in with an imported
    // archive. Nothing about it is mailed now; the digests list what is still open and overdue.
    // Recorded as skipped, all in a few statements (an imported archive has one per item).
    let (stale, reminders): (Vec<_>, Vec<_>) =
        reminders.into_iter().partition(|r| r.due_at < fresh_since);
    missed.extend(stale.into_iter().map(|r| reminders::Missed {
        key: r.key,
        schedule: r.schedule,
        due_at: r.due_at,
    }));
    let missed: Vec<_> = missed
        .iter()
        .map(|m| (m.key.as_str(), m.schedule.as_str(), m.due_at))
        .collect();
    let skipped = store::record_all_skipped(&mut tx, &missed, now).await?;
    if skipped > 0 {
        tracing::info!(skipped, "missed reminders skipped");
    }
    outcome.skipped += usize::try_from(skipped)?;
    for r in reminders {
        let p = Prepared {
            mail: r.mail,
            html: None,
            attachments: Vec::new(),
        };
        if store::due_exists(&mut tx, &r.key).await? {
            continue;
        }
        queue(config, &mut tx, &r.key, &r.schedule, r.due_at, now, &p).await?;
        outcome.queued += 1;
        match r.marks {
            Some(reminders::Mark::SatisfactionRequested(id)) => {
                crate::store::satisfaction::mark(&mut tx, id, false, r.due_at).await?;
            }
            Some(reminders::Mark::SatisfactionReminded(id)) => {
                crate::store::satisfaction::mark(&mut tx, id, true, r.due_at).await?;
            }
            None => {}
        }
    }
    // Every reminder and escalation due by now is recorded above (or was before, or was not
    // needed): the items read for them move on to their next deadline, and the 满意度回访 whose
    // reminder is recorded are not read again.
    store::settle_open_items_due(&mut tx, now).await?;
    crate::store::satisfaction::settle(&mut tx).await?;
    for o in digest_occurrences(config, now) {
        if !is_new(&mut tx, &o).await? {
            continue;
        }
        if o.due_at < now - DIGEST_FRESH_FOR {
            // A digest about a period long past reads as noise after a gap; the next one is due
            // soon. Recorded, so it is never sent later either.
            store::record_skipped(&mut tx, &o.key, &o.schedule, o.due_at, now).await?;
            tracing::info!(key = %o.key, due_at = %o.due_at, "missed digest skipped");
            outcome.skipped += 1;
            continue;
        }
        let Some(p) = digest::build(config, &mut tx, &o, now).await? else {
            continue;
        };
        queue(config, &mut tx, &o.key, &o.schedule, o.due_at, now, &p).await?;
        outcome.queued += 1;
    }
    // The engineering manager's task digests ride on the daily and monthly schedules.
    for o in digest_occurrences(config, now)
        .into_iter()
        .filter_map(digest::tasks::occurrence)
    {
        if !is_new(&mut tx, &o).await? {
            continue;
        }
        let Some(p) = digest::tasks::build(config, &mut tx, &o, now).await? else {
            continue;
        };
        queue(config, &mut tx, &o.key, &o.schedule, o.due_at, now, &p).await?;
        outcome.queued += 1;
    }
    tx.commit().await?;
    tracing::info!(
        queued = outcome.queued,
        skipped = outcome.skipped,
        "schedules run"
    );
    Ok(outcome)
}

/// Every digest and warning whose latest occurrence is at or before `now`.
fn digest_occurrences(config: &Config, now: DateTime<Utc>) -> Vec<Occurrence> {
    let (cal, s) = (&config.calendar, &config.schedules);
    let mut out: Vec<Occurrence> = [
        occurrences::daily(cal, s, now),
        occurrences::weekly(cal, s, now),
        occurrences::monthly(cal, s, now),
    ]
    .into_iter()
    .flatten()
    .collect();
    for p in config.directory.with_role(Role::Presales) {
        out.extend(occurrences::personal(cal, s, now, &p.name));
    }
    out.extend(occurrences::calendar_warning(cal, s, now));
    out
}

/// Not queued before, and no later occurrence of its schedule was.
async fn is_new(conn: &mut SqliteConnection, o: &Occurrence) -> anyhow::Result<bool> {
    if store::due_exists(conn, &o.key).await? {
        return Ok(false);
    }
    Ok(store::last_due(conn, &o.schedule)
        .await?
        .is_none_or(|last| last < o.due_at))
}

async fn queue(
    config: &Config,
    conn: &mut SqliteConnection,
    key: &str,
    schedule: &str,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
    p: &Prepared,
) -> anyhow::Result<()> {
    let id = crate::mail::outbound::due_message_id(config.bot_domain(), key);
    let queued = outbox::enqueue_scheduled(
        conn,
        &outbox::Scheduled {
            mail: &p.mail,
            message_id: &id,
            html: p.html.as_deref(),
            attachments: &p.attachments,
            created_at: now,
        },
    )
    .await?;
    store::record_due(conn, key, schedule, due_at, now, &id).await?;
    tracing::info!(key, kind = p.mail.kind.as_str(), queued, "due event queued");
    Ok(())
}

/// Stamps SLA deadlines on open items opened before deadlines were stored.
async fn stamp_missing_deadlines(
    config: &Config,
    conn: &mut SqliteConnection,
) -> anyhow::Result<usize> {
    let items = store::items_without_deadlines(conn).await?;
    for (id, priority, opened) in &items {
        let due = crate::rules::deadlines::of(config, priority, *opened);
        store::set_open_item_deadlines(conn, *id, due.response, due.resolution).await?;
    }
    Ok(items.len())
}

/// The fault orders still open (someone owes a step), state by state, each state's in filing
/// order: the tick never reads the closed ones, which are most of them.
async fn open_fault_orders(
    conn: &mut SqliteConnection,
) -> anyhow::Result<Vec<crate::store::queries::FaultLine>> {
    let mut lines = Vec::new();
    for state in crate::rules::FaultState::ALL
        .into_iter()
        .filter(|s| s.is_open())
    {
        lines.extend(crate::store::queries::faults_in_state(conn, state.as_str()).await?);
    }
    Ok(lines)
}

/// Every step someone owes on an open fault order (`open`, [`open_fault_orders`]), with its SLA
/// response deadline counted from the moment the order entered its state
/// (第四十四条–第四十七条).
fn fault_steps(
    config: &Config,
    open: &[crate::store::queries::FaultLine],
) -> anyhow::Result<Vec<reminders::FaultStep>> {
    let mut steps = Vec::new();
    for f in open {
        let owners: Vec<String> = f
            .owes(config)
            .iter()
            .filter_map(|n| config.directory.by_name(n).map(|p| p.address().to_string()))
            .collect();
        if owners.is_empty() {
            continue;
        }
        let since = crate::store::parse_ts(&f.updated_at)?;
        let due_at = crate::rules::deadlines::of(config, &f.priority, since).response;
        let title = crate::rules::text::project_name(&f.project);
        let state = crate::rules::FaultState::from_name(&f.state).map_or(f.state.clone(), |s| {
            crate::rules::fault_state_name(s).to_string()
        });
        steps.push(reminders::FaultStep {
            id: f.thread,
            title,
            state,
            owners,
            since,
            due_at,
        });
    }
    Ok(steps)
}
