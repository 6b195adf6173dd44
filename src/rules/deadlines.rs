//! SLA deadlines (第七条, 第十七条, workflow.md §3) as a pure function of the config: the rules
//! compute them from the mail's event time and carry them on the effect that opens an item or
//! files a fault order; the schedules when they stamp items opened before deadlines were stored
//! and when they remind.
//! No I/O, no clock; the store only writes what this computes.

use crate::config::Config;
use chrono::{DateTime, Utc};

/// An item's two deadlines. The SLA table itself is config (`[sla]`, parsed with the rest of
/// the config in [`crate::schedule::settings`], which imports nothing above it).
pub use crate::schedule::settings::Deadlines;

/// The deadlines of an item of `priority` (an open item or a fault order) counted in working
/// time from `from` (unknown priorities: 一般).
pub fn of(config: &Config, priority: &str, from: DateTime<Utc>) -> Deadlines {
    config.sla.deadlines(&config.calendar, priority, from)
}
