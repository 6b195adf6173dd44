//! One instance per database: an exclusive lock on a file next to it, held while running.

use anyhow::{Context, bail};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The held lock; released when dropped (or when the process dies, whatever kills it).
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
    /// The lock file.
    pub path: PathBuf,
}

impl InstanceLock {
    /// Takes the lock for the database at `db`, or says who holds it.
    pub fn acquire(db: &Path) -> anyhow::Result<InstanceLock> {
        let mut name = db.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                bail!(
                    "another supportbot (pid {}) is already running on {}; only one may ({} is locked)",
                    holder.trim(),
                    db.display(),
                    path.display()
                );
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        file.set_len(0)?;
        write!(file, "{}", std::process::id())?;
        Ok(InstanceLock { _file: file, path })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_instance_on_the_same_database_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("supportbot.db");
        let first = InstanceLock::acquire(&db).expect("first takes the lock");
        let second = InstanceLock::acquire(&db).expect_err("second is refused");
        assert!(second.to_string().contains("already running"), "{second}");
        drop(first);
        InstanceLock::acquire(&db).expect("free again once the first is gone");
    }
}
