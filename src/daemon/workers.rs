//! The daemon's workers: loops around one-step functions, with backoff and shutdown. Errors are
//! logged with their cause chain and retried; only shutdown ends a worker.

use super::{Backoff, HealthLog, LiveConfig, Shutdown};
use crate::config::MailboxUrl;
use crate::engine::Engine;
use crate::ingest;
use crate::jobs;
use crate::transport::Outbound;
use crate::transport::imap::{self, ImapIn, Woken};
use crate::transport::inbox::Inbox;
use crate::transport::maildir::MaildirIn;
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Reads the mailbox: IMAP (IDLE or polling, reconnecting with backoff) or the Maildir (poll).
pub async fn ingest(
    engine: Engine,
    live: LiveConfig,
    health: HealthLog,
    poll: Duration,
    mut shutdown: Shutdown,
    wake: Arc<Notify>,
) -> anyhow::Result<()> {
    let config = engine.config.clone();
    let max = Duration::from_secs(config.mailbox.reconnect_max_seconds.max(1));
    let mut backoff = Backoff::new(max);
    // Whether the admins were told the database is failing (once per outage).
    let mut told = false;
    loop {
        let step = match &config.mailbox_url {
            MailboxUrl::Maildir(path) => {
                maildir_step(
                    &live.engine(&engine),
                    &health,
                    path,
                    poll,
                    &mut shutdown,
                    &wake,
                )
                .await
            }
            MailboxUrl::Imap(_) => {
                imap_session(&engine, &live, &health, &mut shutdown, &wake, &mut backoff).await
            }
        };
        match step {
            Ok(()) if shutdown.is_shutdown() => return Ok(()),
            Ok(()) => {
                backoff.reset();
                told = false;
            }
            Err(e) => {
                if crate::store::health::is_failing(&e) && !told {
                    told = true;
                    tracing::error!(error = %format!("{e:#}"), "database failing; mail stays in the mailbox; retrying with backoff");
                    if let Ok(out) = Outbound::from_config(&config) {
                        crate::alerts::send_database_failing(
                            &config,
                            &out,
                            &format!("{e:#}"),
                            Utc::now(),
                        )
                        .await;
                    }
                }
                let delay = backoff.next_delay();
                health.disconnected().await;
                health.error(&format!("mailbox: {e:#}")).await;
                tracing::warn!(
                    error = %format!("{e:#}"),
                    attempt = backoff.attempts(),
                    retry_in_ms = delay.as_millis() as u64,
                    "mailbox unavailable; retrying"
                );
                if !shutdown.sleep(delay).await {
                    return Ok(());
                }
            }
        }
    }
}

async fn maildir_step(
    engine: &Engine,
    health: &HealthLog,
    path: &std::path::Path,
    poll: Duration,
    shutdown: &mut Shutdown,
    wake: &Notify,
) -> anyhow::Result<()> {
    let maildir = MaildirIn::create(path)?;
    let stop = shutdown.clone();
    let t =
        ingest::ingest_once(engine, &mut Inbox::Maildir(&maildir), || stop.is_shutdown()).await?;
    health.contact("maildir", None).await;
    if t.queued > 0 {
        wake.notify_one();
    }
    shutdown.sleep(poll).await;
    Ok(())
}

/// One IMAP connection, from login to shutdown or the first error.
async fn imap_session(
    engine: &Engine,
    live: &LiveConfig,
    health: &HealthLog,
    shutdown: &mut Shutdown,
    wake: &Notify,
    backoff: &mut Backoff,
) -> anyhow::Result<()> {
    let config = &engine.config;
    let ep = imap::endpoint(config)?;
    let mut conn = tokio::time::timeout(Duration::from_secs(60), ImapIn::connect(config, &ep))
        .await
        .map_err(|_| anyhow::anyhow!("IMAP connect to {}:{} timed out", ep.host, ep.port))??;
    tracing::info!(
        host = %ep.host, port = ep.port, folder = %conn.folder, idle = conn.has_idle(),
        "IMAP connected"
    );
    backoff.reset();
    let idle_for = Duration::from_secs(config.mailbox.idle_restart_minutes.clamp(1, 28) * 60);
    let poll_for = Duration::from_secs(config.mailbox.poll_seconds.max(1));
    loop {
        let stop = shutdown.clone();
        // The config of the moment: a SIGHUP during IDLE applies to the mail that woke it.
        let now = live.engine(engine);
        let t =
            ingest::ingest_once(&now, &mut Inbox::Imap(&mut conn), || stop.is_shutdown()).await?;
        if t.queued > 0 {
            wake.notify_one();
        }
        if shutdown.is_shutdown() {
            break;
        }
        let state = if conn.has_idle() { "idle" } else { "polling" };
        health.contact(state, None).await;
        // OAuth2: a session must end before its token does; the loop logs in again at once.
        let renew = conn.renew_in();
        if renew == Some(Duration::ZERO) {
            tracing::info!("OAuth2 token about to expire: logging in again with a new one");
            break;
        }
        let (idle_for, poll_for) = match renew {
            Some(r) => (idle_for.min(r), poll_for.min(r)),
            None => (idle_for, poll_for),
        };
        if conn.wait(idle_for, poll_for, shutdown).await? == Woken::Shutdown {
            break;
        }
    }
    conn.logout().await;
    Ok(())
}

/// Sends the outbox: at once when the ingest queued mail, every `poll` anyway, and after a
/// deferral (4xx, no connection) with capped exponential backoff.
pub async fn sender(
    engine: Engine,
    live: LiveConfig,
    health: HealthLog,
    out: Outbound,
    poll: Duration,
    mut shutdown: Shutdown,
    wake: Arc<Notify>,
) -> anyhow::Result<()> {
    let max = Duration::from_secs(engine.config.smtp.retry_max_seconds.max(1));
    let mut backoff = Backoff::new(max);
    while !shutdown.is_shutdown() {
        let stop = shutdown.clone();
        let step = jobs::send_pending_until(&live.engine(&engine), &out, Utc::now(), || {
            stop.is_shutdown()
        })
        .await;
        let retry = match step {
            Ok(s) if s.deferred == 0 => {
                backoff.reset();
                None
            }
            Ok(_) => Some("the server deferred a mail".to_string()),
            Err(e) => Some(format!("{e:#}")),
        };
        if let Some(why) = retry {
            let delay = backoff.next_delay();
            health.error(&format!("outbox: {why}")).await;
            tracing::warn!(
                reason = %why, attempt = backoff.attempts(), retry_in_ms = delay.as_millis() as u64,
                "outbox kept pending; retrying"
            );
            if !shutdown.sleep(delay).await {
                break;
            }
            continue;
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(poll.max(Duration::from_secs(30))) => {}
            _ = shutdown.recv() => break,
        }
    }
    Ok(())
}

/// The schedules (reminders, digests): the same step as `tick`, at start and once a minute.
/// Due events are keyed in the database, so a restart or a second run queues nothing twice.
pub async fn schedule(
    base: Engine,
    live: LiveConfig,
    health: HealthLog,
    mut shutdown: Shutdown,
    wake: Arc<Notify>,
) -> anyhow::Result<()> {
    loop {
        let engine = live.engine(&base);
        match crate::schedule::run_due(&engine, Utc::now()).await {
            Ok(done) if done.queued > 0 => wake.notify_one(),
            Ok(_) => {}
            Err(e) => {
                health.error(&format!("schedules: {e:#}")).await;
                tracing::error!(error = %format!("{e:#}"), "schedules not run; trying again in a minute")
            }
        }
        if let Some(settings) = &engine.config.backup {
            let today = engine.config.calendar.date_of(Utc::now());
            match crate::backup::daily(&engine.store, settings, today).await {
                Ok(Some(path)) => tracing::info!(file = %path.display(), "daily backup written"),
                Ok(None) => {}
                Err(e) => {
                    health.error(&format!("backup: {e:#}")).await;
                    tracing::error!(error = %format!("{e:#}"), "daily backup failed; trying again in a minute")
                }
            }
        }
        if !shutdown.sleep(Duration::from_secs(60)).await {
            break;
        }
    }
    Ok(())
}
