//! `supportbot run`: the ingest, sender and schedule workers, each a one-step function in a
//! loop, all handed the same [`Shutdown`]. SIGINT or SIGTERM fires it; each worker finishes the
//! mail or send it is on, and the daemon exits 0. One instance per database ([`InstanceLock`]).

mod lock;
mod shutdown;
mod workers;

pub use lock::InstanceLock;
pub use shutdown::{Backoff, Shutdown, Trigger};

use crate::config::MailboxUrl;
use crate::engine::Engine;
use crate::transport::{Outbound, imap};
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::Notify;

/// Runs the daemon until SIGINT or SIGTERM; `poll_seconds` paces a Maildir inbox.
pub async fn run(engine: &Engine, poll_seconds: u64) -> anyhow::Result<()> {
    let config = engine.config.clone();
    let lock = InstanceLock::acquire(&config.database_path)?;
    let out = Outbound::from_config(&config)?;
    if let MailboxUrl::Imap(_) = &config.mailbox_url {
        imap::endpoint(&config)?;
    }
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let (trigger, shutdown) = Shutdown::new();
    let wake = Arc::new(Notify::new());
    let poll = Duration::from_secs(poll_seconds.max(1));
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(workers::ingest(
        engine.clone(),
        poll,
        shutdown.clone(),
        wake.clone(),
    ));
    tasks.spawn(workers::sender(
        engine.clone(),
        out,
        poll,
        shutdown.clone(),
        wake.clone(),
    ));
    tasks.spawn(workers::schedule(engine.clone(), shutdown, wake));
    tracing::info!(lock = %lock.path.display(), "supportbot running; SIGINT or SIGTERM stops it");
    let mut failure = None;
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: finishing the current work"),
        _ = int.recv() => tracing::info!("SIGINT: finishing the current work"),
        Some(done) = tasks.join_next() => failure = Some(done),
    }
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

fn flatten(r: Result<anyhow::Result<()>, tokio::task::JoinError>) -> anyhow::Result<()> {
    match r {
        Ok(r) => r,
        Err(e) => Err(anyhow::anyhow!("a worker panicked: {e}")),
    }
}
