//! SIGHUP: the config file is read again and, if it passes the checks `check-config` makes, the
//! workers use it from their next mail or step on. A config that fails is refused with one log
//! line and the running one kept.
//!
//! The directory, rules, schedules, calendar and SLAs change at once. The transport sections
//! (`[mailbox]`, `[smtp]`, `[database]`) and `[metrics]` are what the open connections, the
//! database and the listening socket were built from: a reload keeps the running ones and says
//! so; they change at the next restart.

use crate::config::Config;
use crate::engine::Engine;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::watch;

/// The config the workers read: the latest one accepted.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    rx: watch::Receiver<Arc<Config>>,
}

/// The side that reloads: owns the config file's path.
#[derive(Debug)]
pub struct Reloader {
    tx: watch::Sender<Arc<Config>>,
    path: Option<PathBuf>,
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reloaded {
    /// The new config is in use; the transport sections it changed (kept until a restart).
    Applied {
        /// `[mailbox]`, `[smtp]` or `[database]` when they differ from the running ones.
        kept: Vec<&'static str>,
    },
    /// The daemon was started without a config file to read again.
    NoFile,
}

impl LiveConfig {
    /// A holder starting with `config`, and its reloader reading `path`.
    pub fn new(config: Arc<Config>, path: Option<&Path>) -> (Reloader, LiveConfig) {
        let (tx, rx) = watch::channel(config);
        (
            Reloader {
                tx,
                path: path.map(Path::to_path_buf),
            },
            LiveConfig { rx },
        )
    }

    /// The config in use now.
    pub fn current(&self) -> Arc<Config> {
        self.rx.borrow().clone()
    }

    /// `base`'s database with the config in use now: what one mail or step runs on.
    pub fn engine(&self, base: &Engine) -> Engine {
        Engine {
            config: self.current(),
            store: base.store.clone(),
        }
    }
}

impl Reloader {
    /// Reads the config file again; on success the workers use it from their next step.
    /// On error nothing changes.
    pub fn reload(&self) -> anyhow::Result<Reloaded> {
        let Some(path) = &self.path else {
            return Ok(Reloaded::NoFile);
        };
        let new = Config::load(path)?;
        let old = self.tx.borrow().clone();
        let (merged, kept) = keep_transports(&old, new);
        self.tx.send_replace(Arc::new(merged));
        Ok(Reloaded::Applied { kept })
    }
}

/// `new` with the running transport sections; the names of those it would have changed.
fn keep_transports(old: &Config, mut new: Config) -> (Config, Vec<&'static str>) {
    let mut kept = Vec::new();
    if old.mailbox_url != new.mailbox_url
        || old.mailbox.user != new.mailbox.user
        || old.mailbox.tls != new.mailbox.tls
    {
        kept.push("[mailbox]");
    }
    if old.smtp_url != new.smtp_url || old.smtp.user != new.smtp.user || old.bot != new.bot {
        kept.push("[smtp]");
    }
    if old.database_path != new.database_path {
        kept.push("[database]");
    }
    if old.metrics != new.metrics {
        kept.push("[metrics]");
    }
    new.mailbox = old.mailbox.clone();
    new.mailbox_url = old.mailbox_url.clone();
    new.smtp = old.smtp.clone();
    new.smtp_url = old.smtp_url.clone();
    new.bot = old.bot.clone();
    new.bot_address = old.bot_address.clone();
    new.database_path = old.database_path.clone();
    new.metrics = old.metrics.clone();
    (new, kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_text() -> String {
        include_str!("../../config/default.toml").to_string()
    }

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("config.toml");
        std::fs::write(&path, text).expect("config written");
        path
    }

    #[test]
    fn a_person_added_to_the_file_is_known_after_a_reload() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = write(dir.path(), &default_text());
        let first = Arc::new(Config::load(&path).expect("valid"));
        let (reloader, live) = LiveConfig::new(first, Some(&path));
        assert!(
            live.current()
                .directory
                .by_email("new@example.com")
                .is_none()
        );
        let added = default_text()
            + "\n[[people]]\nname = \"新人\"\nemails = [\"new@example.com\"]\nroles = [\"presales\"]\n";
        write(dir.path(), &added);
        let done = reloader.reload().expect("the new config is accepted");
        assert_eq!(done, Reloaded::Applied { kept: vec![] });
        assert!(
            live.current()
                .directory
                .by_email("new@example.com")
                .is_some()
        );
    }

    #[test]
    fn a_broken_config_is_refused_and_the_running_one_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = write(dir.path(), &default_text());
        let first = Arc::new(Config::load(&path).expect("valid"));
        let (reloader, live) = LiveConfig::new(first.clone(), Some(&path));
        write(
            dir.path(),
            &default_text().replace("[rules]", "[rules]\nvauge = 1"),
        );
        let err = reloader.reload().expect_err("refused");
        assert!(format!("{err:#}").contains("vauge"), "{err:#}");
        assert!(Arc::ptr_eq(&live.current(), &first));
    }

    #[test]
    fn a_reload_keeps_the_running_database_and_says_so() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = write(dir.path(), &default_text());
        let first = Arc::new(Config::load(&path).expect("valid"));
        let (reloader, live) = LiveConfig::new(first.clone(), Some(&path));
        let moved = default_text().replace("sqlite:./var/supportbot.db", "sqlite:./elsewhere.db");
        assert_ne!(
            moved,
            default_text(),
            "the default config names the database"
        );
        write(dir.path(), &moved);
        let done = reloader.reload().expect("accepted");
        assert_eq!(
            done,
            Reloaded::Applied {
                kept: vec!["[database]"]
            }
        );
        assert_eq!(live.current().database_path, first.database_path);
    }
}
