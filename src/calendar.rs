//! The working calendar (workflow.md §3): the department's time zone, working hours, public
//! holidays and 调休 make-up working days. Every deadline and reminder is computed here, in
//! working time, with chrono doing the date arithmetic.

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// `[calendar]`: working hours and the yearly holiday files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CalendarConfig {
    /// Year files (`config/calendar/cn-2026.toml`), relative to the working directory like every
    /// other path in the config.
    pub files: Vec<PathBuf>,
    /// Start of the working day, `HH:MM`.
    pub work_start: String,
    /// End of the working day, `HH:MM`.
    pub work_end: String,
}

impl Default for CalendarConfig {
    fn default() -> Self {
        Self {
            files: Vec::new(),
            work_start: "09:00".into(),
            work_end: "18:00".into(),
        }
    }
}

/// One year file: the State Council's arrangement for `year`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearFile {
    /// The year the file covers.
    pub year: i32,
    /// Public holidays (days off, weekdays among them).
    pub holidays: Vec<NaiveDate>,
    /// 调休: weekend days that are working days.
    #[serde(default)]
    pub workdays: Vec<NaiveDate>,
}

/// The working calendar: which instants are working time.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: Tz,
    start: NaiveTime,
    end: NaiveTime,
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
    years: BTreeSet<i32>,
}

/// How far ahead a search for working time goes before giving up (a calendar of only holidays).
const MAX_DAYS: i64 = 3_660;

impl Calendar {
    /// A calendar of Monday–Friday `start`–`end` in `tz`, with no holidays yet.
    pub fn new(tz: Tz, start: NaiveTime, end: NaiveTime) -> anyhow::Result<Calendar> {
        if end <= start {
            bail!("working hours {start}–{end}: the end must come after the start");
        }
        Ok(Calendar {
            tz,
            start,
            end,
            holidays: BTreeSet::new(),
            workdays: BTreeSet::new(),
            years: BTreeSet::new(),
        })
    }

    /// Builds the calendar `[calendar]` describes, reading its year files.
    pub fn from_config(tz: Tz, c: &CalendarConfig) -> anyhow::Result<Calendar> {
        let time = |s: &str, key: &str| {
            NaiveTime::parse_from_str(s, "%H:%M")
                .map_err(|_| anyhow!("calendar.{key} {s:?}: expected HH:MM"))
        };
        let mut cal = Calendar::new(
            tz,
            time(&c.work_start, "work_start")?,
            time(&c.work_end, "work_end")?,
        )?;
        for path in &c.files {
            cal.add_year(read_year(path)?)
                .with_context(|| format!("calendar file {}", path.display()))?;
        }
        Ok(cal)
    }

    /// Adds a year's holidays and 调休 days; fails on a date outside the year or listed as both.
    pub fn add_year(&mut self, y: YearFile) -> anyhow::Result<()> {
        for d in y.holidays.iter().chain(&y.workdays) {
            if d.year() != y.year {
                bail!("{d} is not in year {}", y.year);
            }
        }
        if let Some(d) = y.holidays.iter().find(|d| y.workdays.contains(d)) {
            bail!("{d} is listed both as a holiday and as a working day");
        }
        if !self.years.insert(y.year) {
            bail!("year {} is listed twice", y.year);
        }
        self.holidays.extend(y.holidays);
        self.workdays.extend(y.workdays);
        Ok(())
    }

    /// The department's time zone.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// Whether a year file covers `year` (from December on, a missing next year is warned about).
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// Length of one working day (a "working day" of an SLA is this much working time).
    pub fn day_length(&self) -> Duration {
        self.end - self.start
    }

    /// 调休 days work, holidays do not, otherwise Monday–Friday.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.workdays.contains(&d) {
            return true;
        }
        !self.holidays.contains(&d) && !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The instant `time` on local date `d` (the earlier one if a DST change makes two).
    pub fn at(&self, d: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
        self.tz
            .from_local_datetime(&d.and_time(time))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The local date of an instant.
    pub fn date_of(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    /// The working window of a day, if it is a working day.
    fn window(&self, d: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.is_working_day(d) {
            return None;
        }
        Some((self.at(d, self.start)?, self.at(d, self.end)?))
    }

    /// The first working day on or after `d`.
    pub fn working_day_on_or_after(&self, d: NaiveDate) -> NaiveDate {
        d.iter_days()
            .take(MAX_DAYS as usize)
            .find(|&d| self.is_working_day(d))
            .unwrap_or(d)
    }

    /// The earliest instant at which `span` of working time has passed since `t`.
    pub fn add_working_hours(&self, t: DateTime<Utc>, span: Duration) -> DateTime<Utc> {
        let mut left = span.max(Duration::zero());
        if left.is_zero() {
            return t;
        }
        for d in self.date_of(t).iter_days().take(MAX_DAYS as usize) {
            let Some((open, close)) = self.window(d) else {
                continue;
            };
            let from = open.max(t);
            if from >= close {
                continue;
            }
            if close - from >= left {
                return from + left;
            }
            left -= close - from;
        }
        t + Duration::days(MAX_DAYS)
    }

    /// `n` working days after `t`: `n` times a working day's length of working time.
    pub fn add_working_days(&self, t: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        self.add_working_hours(t, self.day_length() * n as i32)
    }

    /// The working time between two instants (zero when `b` is not after `a`).
    pub fn working_time_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
        if b <= a {
            return Duration::zero();
        }
        let last = self.date_of(b);
        let mut total = Duration::zero();
        for d in self.date_of(a).iter_days().take_while(|d| *d <= last) {
            if let Some((open, close)) = self.window(d) {
                let (from, to) = (open.max(a), close.min(b));
                if to > from {
                    total += to - from;
                }
            }
        }
        total
    }
}

/// Reads one year file.
pub fn read_year(path: &Path) -> anyhow::Result<YearFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read calendar file {}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow!("calendar file {}: {}", path.display(), e.message()))
}

/// A span of working time as written in config: `30m`, `2h`, `1d` (working days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkingSpan {
    /// Working hours and minutes.
    Time(Duration),
    /// Working days.
    Days(u32),
}

impl WorkingSpan {
    /// Parses `30m`, `2h`, `1d`.
    pub fn parse(s: &str) -> anyhow::Result<WorkingSpan> {
        let s = s.trim();
        let cut = s.char_indices().last().map_or(0, |(i, _)| i);
        let (n, unit) = s.split_at(cut);
        let n: u32 = n
            .trim()
            .parse()
            .map_err(|_| anyhow!("{s:?}: expected a number and a unit, e.g. 30m, 2h, 1d"))?;
        match unit {
            "m" => Ok(WorkingSpan::Time(Duration::minutes(n.into()))),
            "h" => Ok(WorkingSpan::Time(Duration::hours(n.into()))),
            "d" => Ok(WorkingSpan::Days(n)),
            _ => bail!("{s:?}: the unit is m, h or d"),
        }
    }

    /// The instant this span of working time after `t`.
    pub fn after(self, cal: &Calendar, t: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            WorkingSpan::Time(d) => cal.add_working_hours(t, d),
            WorkingSpan::Days(n) => cal.add_working_days(t, n),
        }
    }
}

#[cfg(test)]
#[path = "calendar_tests.rs"]
mod tests;
