//! A temporary installation for driving the `supportbot` binary: the default config with its
//! Maildirs and database moved into a temporary folder.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A config and the folder it points into.
pub struct Site {
    /// The folder (removed when dropped).
    pub dir: tempfile::TempDir,
    /// The config file inside it.
    pub config: PathBuf,
}

impl Site {
    /// A fresh site.
    pub fn new() -> Site {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().display().to_string();
        let text = std::fs::read_to_string(super::root().join("config/default.toml"))
            .expect("default config")
            .replace("maildir:./var/mail", &format!("maildir:{root}/mail"))
            .replace("maildir:./var/sent", &format!("maildir:{root}/sent"))
            .replace(
                "sqlite:./var/supportbot.db",
                &format!("sqlite:{root}/bot.db"),
            );
        let config = dir.path().join("config.toml");
        std::fs::write(&config, text).expect("write config");
        Site { dir, config }
    }

    /// A fresh site whose per-recipient reply cap (`[limits]`) is lifted, for stories that send
    /// one person more replies than the cap allows (tests/flood.rs is about the cap).
    pub fn uncapped() -> Site {
        let site = Site::new();
        let mut text = std::fs::read_to_string(&site.config).expect("config");
        text +=
            "\n[limits]\nreplies_per_recipient_hour = 100000\nreplies_per_recipient_day = 100000\n";
        std::fs::write(&site.config, text).expect("config");
        site
    }

    /// Puts `raw` in the inbox Maildir as a new mail, after every mail already there.
    pub fn deliver(&self, raw: &[u8]) {
        let new = self.path("mail/new");
        std::fs::create_dir_all(&new).expect("maildir");
        let n = std::fs::read_dir(&new).map_or(0, |d| d.count())
            + std::fs::read_dir(self.path("mail/cur")).map_or(0, |d| d.count());
        std::fs::write(new.join(format!("17000{n:05}.M1P1.test")), raw).expect("deliver");
    }

    /// Every mail in the sent Maildir, as bytes.
    pub fn sent(&self) -> Vec<Vec<u8>> {
        std::fs::read_dir(self.path("sent/new"))
            .map(|d| {
                d.filter_map(|e| std::fs::read(e.ok()?.path()).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A path inside the site.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Runs the binary from the repository root (the calendar files are relative to it).
    pub fn bot(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_supportbot"))
            .current_dir(super::root())
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env("SUPPORTBOT_LOG", "warn")
            .output()
            .expect("run supportbot")
    }

    /// Runs the binary, asserts success, returns its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.bot(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Runs the binary and parses its JSON output.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).expect("valid JSON")
    }
}
