//! `supportbot run`: the ingest, sender and schedule workers, each a one-step function in a
//! loop, all handed the same [`Shutdown`]. SIGINT or SIGTERM fires it; each worker finishes the
//! mail or send it is on, and the daemon exits 0. One instance per database ([`InstanceLock`]).

mod health;
mod metrics;
mod reload;
mod workers;

pub use crate::lock::InstanceLock;
pub use crate::shutdown::{Backoff, Shutdown, Trigger};
pub use health::HealthLog;
pub use reload::{LiveConfig, Reloaded, Reloader};

use crate::config::MailboxUrl;
use crate::engine::Engine;
use crate::transport::{Outbound, imap};
use anyhow::Context;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::Notify;

/// Runs the daemon until SIGINT or SIGTERM; `poll_seconds` paces a Maildir inbox.
pub async fn run(engine: &Engine, poll_seconds: u64) -> anyhow::Result<()> {
    run_with_reload(engine, poll_seconds, None).await
}

/// [`run`], and on SIGHUP the config file `config_path` is read again ([`Reloader`]).
pub async fn run_with_reload(
    engine: &Engine,
    poll_seconds: u64,
    config_path: Option<&Path>,
) -> anyhow::Result<()> {
    let config = engine.config.clone();
    let lock = InstanceLock::acquire(&config.database_path)?;
    let out = Outbound::from_config(&config)?;
    if let MailboxUrl::Imap(_) = &config.mailbox_url {
        imap::endpoint(&config)?;
    }
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let (reloader, live) = LiveConfig::new(config.clone(), config_path);
    let health = HealthLog::new(engine.store.clone());
    health.start().await;
    let (trigger, shutdown) = Shutdown::new();
    let wake = Arc::new(Notify::new());
    let poll = Duration::from_secs(poll_seconds.max(1));
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(workers::ingest(
        engine.clone(),
        live.clone(),
        health.clone(),
        poll,
        shutdown.clone(),
        wake.clone(),
    ));
    tasks.spawn(workers::sender(
        engine.clone(),
        live.clone(),
        health.clone(),
        out,
        poll,
        shutdown.clone(),
        wake.clone(),
    ));
    tasks.spawn(workers::schedule(
        engine.clone(),
        live.clone(),
        health.clone(),
        shutdown.clone(),
        wake,
    ));
    tasks.spawn(health::heartbeat(health, shutdown.clone()));
    if let Some(m) = &config.metrics {
        let listener = tokio::net::TcpListener::bind(m.listen)
            .await
            .with_context(|| format!("metrics.listen {}: cannot listen", m.listen))?;
        tracing::info!(listen = %m.listen, "metrics served at /metrics");
        tasks.spawn(metrics::serve(listener, engine.clone(), live, shutdown));
    }
    tracing::info!(
        lock = %lock.path.display(),
        "supportbot running; SIGINT or SIGTERM stops it, SIGHUP reloads the config"
    );
    health::notify_ready();
    let failure = loop {
        tokio::select! {
            _ = term.recv() => {
                tracing::info!("SIGTERM: finishing the current work");
                break None;
            }
            _ = int.recv() => {
                tracing::info!("SIGINT: finishing the current work");
                break None;
            }
            _ = hup.recv() => reload(&reloader),
            Some(done) = tasks.join_next() => break Some(done),
        }
    };
    trigger.fire();
    let mut result = match failure {
        Some(done) => flatten(done).and(Err(anyhow::anyhow!("a worker stopped on its own"))),
        None => Ok(()),
    };
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = flatten(done) {
            result = Err(e);
        }
    }
    tracing::info!("supportbot stopped");
    drop(lock);
    result
}

/// SIGHUP: one log line either way.
fn reload(reloader: &Reloader) {
    match reloader.reload() {
        Ok(Reloaded::Applied { kept }) if kept.is_empty() => {
            tracing::info!("SIGHUP: config reloaded; in use from the next mail")
        }
        Ok(Reloaded::Applied { kept }) => tracing::warn!(
            unchanged = %kept.join(" "),
            "SIGHUP: config reloaded; in use from the next mail, but these sections change only at a restart"
        ),
        Ok(Reloaded::NoFile) => tracing::warn!("SIGHUP: no config file to reload"),
        Err(e) => tracing::error!(
            error = %format!("{e:#}"),
            "SIGHUP: config not reloaded; the running one is kept"
        ),
    }
}

fn flatten(r: Result<anyhow::Result<()>, tokio::task::JoinError>) -> anyhow::Result<()> {
    match r {
        Ok(r) => r,
        Err(e) => Err(anyhow::anyhow!("a worker panicked: {e}")),
    }
}
