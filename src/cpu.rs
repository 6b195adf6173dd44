//! Keeping a batch job on one core.
//!
//! `process` and `replay` are one writer: each SQL statement is handed to the SQLite
//! connection's own thread (sqlx runs every SQLite connection on a dedicated thread) and
//! awaited. When both threads share a core the handoff is a plain context switch; when they sit
//! on two, every statement costs a cross-CPU wakeup. Measured on this project's 2-core machines:
//! 47 µs a round trip across cores, 7.5 µs on one (BENCHMARKS.md). The daemon is not pinned:
//! it waits on the network, and the scheduler may place it where it likes. Replay's reader
//! ([`crate::read_ahead`]) hands the writer groups of mails, not statements: it moves back onto
//! the other cores.

/// Restricts the calling thread, and every thread it starts afterwards, to the core it is
/// running on now. Call before the async runtime and the database are started. Failing to pin
/// (a container that forbids it, a non-Linux build) only costs speed, so it is logged, not
/// returned.
#[cfg(target_os = "linux")]
pub fn keep_to_one_core() {
    let cpu = rustix::thread::sched_getcpu();
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    let before = rustix::thread::sched_getaffinity(None);
    match rustix::thread::sched_setaffinity(None, &set) {
        Ok(()) => {
            tracing::debug!(cpu, "kept to one core");
            if let Ok(before) = before {
                let _ = PINNED.set((before, cpu));
            }
        }
        Err(e) => tracing::debug!(error = %e, "cannot keep to one core; running unpinned"),
    }
}

/// The cores the process had before [`keep_to_one_core`], and the one it kept.
#[cfg(target_os = "linux")]
static PINNED: std::sync::OnceLock<(rustix::thread::CpuSet, usize)> = std::sync::OnceLock::new();

/// Moves the calling thread off the writer's core, onto the others the process had: a thread
/// that works beside the writer without handing it statements (replay's reader,
/// [`crate::read_ahead`]). Where the writer was not pinned, or there is no other core, the
/// thread stays where it is.
#[cfg(target_os = "linux")]
pub fn leave_the_writers_core() {
    let Some((before, cpu)) = PINNED.get() else {
        return;
    };
    let mut set = *before;
    set.unset(*cpu);
    if set.count() == 0 {
        return;
    }
    if let Err(e) = rustix::thread::sched_setaffinity(None, &set) {
        tracing::debug!(error = %e, "cannot move off the writer's core");
    }
}

/// Elsewhere the job runs unpinned.
#[cfg(not(target_os = "linux"))]
pub fn keep_to_one_core() {}

/// Elsewhere nothing was pinned.
#[cfg(not(target_os = "linux"))]
pub fn leave_the_writers_core() {}
