//! Test helpers: a bot on a fresh temporary database with the default config's people.

#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use supportbot::config::Config;
use supportbot::engine::Engine;

pub mod browser;
pub mod mail;
pub mod rows;
pub mod schedule;
pub mod site;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixed "now" after every fixture's date.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 5, 0, 0, 0)
        .single()
        .expect("valid date")
}

/// The default config with its paths moved under `dir`.
pub fn config_in(dir: &Path) -> Config {
    let text =
        std::fs::read_to_string(root().join("config/default.toml")).expect("config/default.toml");
    let mut config = Config::from_toml(&text).expect("default config is valid");
    config.database_path = dir.join("supportbot.db");
    config
}

/// A bot for a corpus of months of mail handled at one `now`: the per-recipient reply cap
/// (`[limits]`, which counts by handling time) is lifted, since the corpus is about what each mail
/// is, and tests/flood.rs is about the cap.
pub async fn spawn_corpus_bot() -> (Engine, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = config_in(dir.path());
    config.limits.replies_per_recipient_hour = u32::MAX;
    config.limits.replies_per_recipient_day = u32::MAX;
    let engine = Engine::open(Arc::new(config)).await.expect("engine opens");
    (engine, dir)
}

/// A bot on a fresh database in a new temporary folder.
pub async fn spawn_bot() -> (Engine, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(Arc::new(config_in(dir.path())))
        .await
        .expect("engine opens");
    (engine, dir)
}

/// The statement of `migrations/<file>` that starts with `start` (comments skipped): a
/// migration's backfill, run again on a database the live code wrote, to check it derives what
/// the live code stored.
pub fn migration_statement(file: &str, start: &str) -> String {
    let path = root().join("migrations").join(file);
    let text = std::fs::read_to_string(&path).expect("migration");
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    let found: Vec<&str> = code
        .split(';')
        .map(str::trim)
        .filter(|s| s.starts_with(start))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one statement of {file} starts with {start}"
    );
    found[0].to_string()
}
