//! Backups of the one SQLite file that holds the whole workflow state (tallies behind pay
//! decisions, tracking tables behind bonuses): `backup FILE` while `run` runs, `restore FILE`
//! only while nothing holds the database, and the daemon's daily copies (`[backup]`).

use crate::config::BackupConfig;
use crate::lock::InstanceLock;
use crate::store::Store;
use anyhow::{Context, bail};
use chrono::NaiveDate;
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use std::path::{Path, PathBuf};

/// Writes a consistent copy of the database to `to` (a new file). `VACUUM INTO` reads one
/// snapshot of the WAL database, so `run` goes on writing meanwhile; the copy is compact and
/// holds every committed transaction up to the moment it started.
pub async fn backup(store: &Store, to: &Path) -> anyhow::Result<()> {
    if to.exists() {
        bail!(
            "{} exists already; a backup never overwrites a file",
            to.display()
        );
    }
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create backup folder {}", dir.display()))?;
    }
    let target = to
        .to_str()
        .with_context(|| format!("backup path {} is not UTF-8", to.display()))?;
    let mut conn = store.connection().await?;
    // Plain `sqlx::query`: the query! macros cannot describe VACUUM (it returns no columns and
    // touches no table of the schema).
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut *conn)
        .await
        .with_context(|| format!("cannot write the backup {}", to.display()))?;
    Ok(())
}

/// Replaces the database at `db` with the backup `from`, after checking the backup is an intact
/// supportbot database. Refused while anything holds the instance lock (`run`, `process`).
pub async fn restore(db: &Path, from: &Path) -> anyhow::Result<()> {
    let _lock = InstanceLock::acquire(db).context("restore refused")?;
    check(from).await?;
    let mut staged = db.as_os_str().to_owned();
    staged.push(".restoring");
    let staged = PathBuf::from(staged);
    std::fs::copy(from, &staged)
        .with_context(|| format!("cannot copy {} to {}", from.display(), staged.display()))?;
    // The old database's write-ahead log belongs to it, not to the restored file.
    for suffix in ["-wal", "-shm"] {
        let mut side = db.as_os_str().to_owned();
        side.push(suffix);
        match std::fs::remove_file(PathBuf::from(&side)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {side:?}")),
        }
    }
    std::fs::rename(&staged, db)
        .with_context(|| format!("cannot move the restored copy to {}", db.display()))?;
    Ok(())
}

/// Opens `file` read-only: it must pass `PRAGMA quick_check` and hold supportbot's tables.
async fn check(file: &Path) -> anyhow::Result<()> {
    if std::fs::metadata(file)
        .with_context(|| format!("no backup at {}", file.display()))?
        .len()
        == 0
    {
        bail!("{} is empty: not a backup", file.display());
    }
    let options = SqliteConnectOptions::new().filename(file).read_only(true);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("{} is not an SQLite database", file.display()))?;
    // A PRAGMA: the query! macros cannot describe it.
    let verdict: String = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("{} is not an SQLite database", file.display()))?;
    if verdict != "ok" {
        bail!("{} is damaged: {verdict}", file.display());
    }
    let tables = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!: i64" FROM sqlite_master WHERE type = 'table'
           AND name IN ('messages', 'outbox', '_sqlx_migrations')"#
    )
    .fetch_one(&mut conn)
    .await?;
    if tables != 3 {
        bail!("{} is not a supportbot database", file.display());
    }
    conn.close().await?;
    Ok(())
}

/// The daemon's daily copy: `dir/supportbot-DAY.db` unless it exists, then copies older than
/// `keep_days` are deleted. Returns the copy made now, if any.
pub async fn daily(
    store: &Store,
    settings: &BackupConfig,
    today: NaiveDate,
) -> anyhow::Result<Option<PathBuf>> {
    let name = |d: NaiveDate| format!("supportbot-{}.db", d.format("%Y-%m-%d"));
    let path = settings.dir.join(name(today));
    let made = if path.exists() {
        None
    } else {
        backup(store, &path).await?;
        Some(path)
    };
    let oldest_kept = today
        .checked_sub_days(chrono::Days::new(u64::from(settings.keep_days)))
        .unwrap_or(today);
    for entry in std::fs::read_dir(&settings.dir)
        .with_context(|| format!("cannot read {}", settings.dir.display()))?
    {
        let entry = entry?;
        let file = entry.file_name();
        let Some(day) = file
            .to_str()
            .and_then(|f| f.strip_prefix("supportbot-"))
            .and_then(|f| f.strip_suffix(".db"))
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        else {
            continue;
        };
        if day < oldest_kept && day != today {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("cannot delete old backup {:?}", entry.path()))?;
            tracing::info!(file = ?entry.path(), "old backup deleted");
        }
    }
    Ok(made)
}
