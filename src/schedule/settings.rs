//! `[sla]` and `[schedules]`: the SLA per priority (workflow.md §3) and when reminders and
//! digests fall due (§4). Parsed once into [`Sla`] and [`Schedules`].

use crate::calendar::{Calendar, WorkingSpan};
use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, NaiveTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

/// One priority's SLA as written: `{ response = "2h", resolution = "1d" }`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SlaEntry {
    /// Working time until a first follow-up is due (第七条).
    pub response: String,
    /// Working time until the item should be solved (第十七条).
    pub resolution: String,
}

/// `[sla]`: priority (紧急 / 重要 / 一般) → SLA. Defaults of workflow.md §3.
pub type SlaConfig = BTreeMap<String, SlaEntry>;

/// The defaults: 紧急 2h / 1d, 重要 4h / 3d, 一般 1d / 5d.
pub fn default_sla() -> SlaConfig {
    [
        ("紧急", "2h", "1d"),
        ("重要", "4h", "3d"),
        ("一般", "1d", "5d"),
    ]
    .into_iter()
    .map(|(p, r, s)| {
        let e = SlaEntry {
            response: r.into(),
            resolution: s.into(),
        };
        (p.to_string(), e)
    })
    .collect()
}

/// The priority an item without a known priority is held to.
pub const DEFAULT_PRIORITY: &str = "一般";

/// The parsed SLAs.
#[derive(Debug, Clone)]
pub struct Sla {
    by_priority: BTreeMap<String, (WorkingSpan, WorkingSpan)>,
}

/// An item's two deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// First follow-up due (reminder to the engineer).
    pub response: DateTime<Utc>,
    /// Solution due (escalation to the presales manager).
    pub resolution: DateTime<Utc>,
}

impl Sla {
    /// Parses `[sla]` (entries merged over the defaults).
    pub fn parse(c: &SlaConfig) -> anyhow::Result<Sla> {
        let mut merged = default_sla();
        merged.extend(c.clone());
        let mut by_priority = BTreeMap::new();
        for (p, e) in merged {
            let span = |s: &str, what: &str| {
                WorkingSpan::parse(s).with_context(|| format!("sla.{p}.{what}"))
            };
            by_priority.insert(
                p.clone(),
                (
                    span(&e.response, "response")?,
                    span(&e.resolution, "resolution")?,
                ),
            );
        }
        Ok(Sla { by_priority })
    }

    /// The deadlines of an item of `priority` opened at `opened` (unknown priorities: 一般).
    pub fn deadlines(&self, cal: &Calendar, priority: &str, opened: DateTime<Utc>) -> Deadlines {
        let (r, s) = self
            .by_priority
            .get(priority)
            .or_else(|| self.by_priority.get(DEFAULT_PRIORITY))
            .copied()
            .unwrap_or((WorkingSpan::Days(1), WorkingSpan::Days(5)));
        Deadlines {
            response: r.after(cal, opened),
            resolution: s.after(cal, opened),
        }
    }
}

/// `[schedules]` as written. Times are `HH:MM` local; `""` turns a digest off.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulesConfig {
    /// 第十一条: working days after which an uninitiated project's sales is reminded.
    pub remind_uninitiated_after: u32,
    /// 第十一条: working days after which support may stop.
    pub stop_support_after: u32,
    /// Every working day, to the presales manager.
    pub daily_digest: String,
    /// First working day of each week, to the tech director.
    pub weekly_digest: String,
    /// First working day of each month, to the presales manager and the tech director.
    pub monthly_digest: String,
    /// First working day of each week, to each presales.
    pub personal_digest: String,
    /// First working day of each week from December on, while next year's calendar is missing.
    pub calendar_warning: String,
    /// 满意度回访: working days after an item closes until its owner is asked to call the customer.
    pub satisfaction_after: u32,
    /// 满意度回访: working days after the request until the one reminder.
    pub satisfaction_remind_after: u32,
}

impl Default for SchedulesConfig {
    fn default() -> Self {
        Self {
            remind_uninitiated_after: 2,
            stop_support_after: 5,
            daily_digest: "09:00".into(),
            weekly_digest: "09:00".into(),
            monthly_digest: "09:00".into(),
            personal_digest: "09:30".into(),
            calendar_warning: "09:00".into(),
            satisfaction_after: 3,
            satisfaction_remind_after: 5,
        }
    }
}

/// The parsed schedules: `None` is a digest turned off.
#[derive(Debug, Clone)]
pub struct Schedules {
    /// Working days (第十一条).
    pub remind_uninitiated_after: u32,
    /// Working days (第十一条).
    pub stop_support_after: u32,
    /// Local time on each working day.
    pub daily: Option<NaiveTime>,
    /// Local time on the week's first working day.
    pub weekly: Option<NaiveTime>,
    /// Local time on the month's first working day.
    pub monthly: Option<NaiveTime>,
    /// Local time on the week's first working day.
    pub personal: Option<NaiveTime>,
    /// Local time on the week's first working day.
    pub calendar_warning: Option<NaiveTime>,
    /// Working days from closure to the 满意度回访 request.
    pub satisfaction_after: u32,
    /// Working days from the request to its reminder.
    pub satisfaction_remind_after: u32,
}

impl Schedules {
    /// Parses `[schedules]`.
    pub fn parse(c: &SchedulesConfig) -> anyhow::Result<Schedules> {
        let time = |s: &str, key: &str| -> anyhow::Result<Option<NaiveTime>> {
            if s.trim().is_empty() {
                return Ok(None);
            }
            NaiveTime::parse_from_str(s.trim(), "%H:%M")
                .map(Some)
                .map_err(|_| anyhow!("schedules.{key} {s:?}: expected HH:MM, or \"\" for off"))
        };
        if c.stop_support_after < c.remind_uninitiated_after {
            bail!("schedules.stop_support_after must not come before remind_uninitiated_after");
        }
        Ok(Schedules {
            remind_uninitiated_after: c.remind_uninitiated_after,
            stop_support_after: c.stop_support_after,
            daily: time(&c.daily_digest, "daily_digest")?,
            weekly: time(&c.weekly_digest, "weekly_digest")?,
            monthly: time(&c.monthly_digest, "monthly_digest")?,
            personal: time(&c.personal_digest, "personal_digest")?,
            calendar_warning: time(&c.calendar_warning, "calendar_warning")?,
            satisfaction_after: c.satisfaction_after,
            satisfaction_remind_after: c.satisfaction_remind_after,
        })
    }
}
