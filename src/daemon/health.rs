//! What `run` records about itself for `supportbot status` and the metrics endpoint, and the
//! systemd notifications (READY=1, WATCHDOG=1).
//!
//! Recording never stops a worker: when the database cannot take the write, the figure is
//! stale and the log says so at debug level (the worker's own error is logged anyway).

use crate::store::{Store, daemon_health as health};
use chrono::Utc;
use std::time::Duration;

/// The workers' handle on the `daemon_health` row.
#[derive(Debug, Clone)]
pub struct HealthLog {
    store: Store,
}

impl HealthLog {
    /// A handle writing to `store`.
    pub fn new(store: Store) -> HealthLog {
        HealthLog { store }
    }

    /// This process starts: its pid, and the previous run's connection figures cleared.
    pub async fn start(&self) {
        let pid = std::process::id();
        let store = &self.store;
        done("start", async {
            health::start(&mut *store.connection().await?, pid, Utc::now()).await
        })
        .await;
    }

    /// Alive; true when the database took the write.
    pub async fn heartbeat(&self) -> bool {
        let store = &self.store;
        done("heartbeat", async {
            health::heartbeat(&mut *store.connection().await?, Utc::now()).await
        })
        .await
    }

    /// The mailbox answered: in IDLE, polling, or a Maildir; the mail it holds unhandled.
    pub async fn contact(&self, state: &'static str, waiting: Option<u64>) {
        let store = &self.store;
        done("contact", async {
            health::contact(&mut *store.connection().await?, state, waiting, Utc::now()).await
        })
        .await;
    }

    /// The mailbox is out of reach.
    pub async fn disconnected(&self) {
        let store = &self.store;
        done("disconnected", async {
            health::disconnected(&mut *store.connection().await?).await
        })
        .await;
    }

    /// A worker's error (its first 500 characters).
    pub async fn error(&self, what: &str) {
        let line: String = what.chars().take(500).collect();
        let store = &self.store;
        done("error", async {
            health::error(&mut *store.connection().await?, &line, Utc::now()).await
        })
        .await;
    }
}

/// Waits for one health write, at most 10 s; true when it was recorded.
async fn done(what: &str, write: impl std::future::Future<Output = anyhow::Result<()>>) -> bool {
    match tokio::time::timeout(Duration::from_secs(10), write).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::debug!(what, error = %format!("{e:#}"), "health not recorded");
            false
        }
        Err(_) => {
            tracing::debug!(what, "health not recorded: the database did not answer");
            false
        }
    }
}

/// Tells systemd (when it started us with `Type=notify`) that start-up is done.
pub fn notify_ready() {
    if let Err(e) = sd_notify::notify(&[sd_notify::NotifyState::Ready]) {
        tracing::warn!(error = %e, "cannot tell systemd the daemon is ready");
    }
}

/// How often the heartbeat runs: half the systemd watchdog period, or every 30 s.
pub fn heartbeat_every() -> Duration {
    sd_notify::watchdog_enabled()
        .map(|p| (p / 2).max(Duration::from_millis(100)))
        .unwrap_or(Duration::from_secs(30))
}

/// The heartbeat: records it, and pings the systemd watchdog only when the database took it,
/// so a daemon whose runtime or database hangs stops pinging and systemd restarts it.
pub async fn heartbeat(log: HealthLog, mut shutdown: super::Shutdown) -> anyhow::Result<()> {
    let every = heartbeat_every();
    loop {
        if log.heartbeat().await
            && let Err(e) = sd_notify::notify(&[sd_notify::NotifyState::Watchdog])
        {
            tracing::debug!(error = %e, "cannot ping the systemd watchdog");
        }
        if !shutdown.sleep(every).await {
            return Ok(());
        }
    }
}
