//! Keeping a batch job on one core.
//!
//! `process` and `replay` are one writer: each SQL statement is handed to the SQLite
//! connection's own thread (sqlx runs every SQLite connection on a dedicated thread) and
//! awaited. When both threads share a core the handoff is a plain context switch; when they sit
//! on two, every statement costs a cross-CPU wakeup. Measured on this project's 2-core machines:
//! 47 µs a round trip across cores, 7.5 µs on one (BENCHMARKS.md). The daemon is not pinned:
//! it waits on the network, and the scheduler may place it where it likes.

/// Restricts the calling thread, and every thread it starts afterwards, to the core it is
/// running on now. Call before the async runtime and the database are started. Failing to pin
/// (a container that forbids it, a non-Linux build) only costs speed, so it is logged, not
/// returned.
#[cfg(target_os = "linux")]
pub fn keep_to_one_core() {
    let cpu = rustix::thread::sched_getcpu();
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    match rustix::thread::sched_setaffinity(None, &set) {
        Ok(()) => tracing::debug!(cpu, "kept to one core"),
        Err(e) => tracing::debug!(error = %e, "cannot keep to one core; running unpinned"),
    }
}

/// Elsewhere the job runs unpinned.
#[cfg(not(target_os = "linux"))]
pub fn keep_to_one_core() {}
