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

/// The lock file of the database at `db`.
fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl InstanceLock {
    /// The pid of the process holding the lock of the database at `db`, if one does (`status`).
    /// Takes nothing: a shared lock tried and at once let go, the file left as it was.
    pub fn holder(db: &Path) -> anyhow::Result<Option<u32>> {
        let path = lock_path(db);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot open {}", path.display())),
        };
        match file.try_lock_shared() {
            Ok(()) => Ok(None),
            Err(std::fs::TryLockError::WouldBlock) => {
                let pid = std::fs::read_to_string(&path).unwrap_or_default();
                Ok(Some(pid.trim().parse().unwrap_or(0)))
            }
            Err(std::fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot test the lock {}", path.display()))
            }
        }
    }

    /// Takes the lock for the database at `db`, or says who holds it.
    pub fn acquire(db: &Path) -> anyhow::Result<InstanceLock> {
        let path = lock_path(db);
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

    #[test]
    fn the_holder_is_the_pid_of_the_running_instance_and_none_once_it_is_gone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("supportbot.db");
        assert_eq!(InstanceLock::holder(&db).expect("no file yet"), None);
        let held = InstanceLock::acquire(&db).expect("lock taken");
        assert_eq!(
            InstanceLock::holder(&db).expect("readable"),
            Some(std::process::id())
        );
        drop(held);
        assert_eq!(InstanceLock::holder(&db).expect("readable"), None);
        InstanceLock::acquire(&db).expect("holder let go of its test lock");
    }
}
