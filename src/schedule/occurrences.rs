//! When digests and the calendar warning fall due: for each schedule, only its latest
//! occurrence at or before "now" (after an outage, one digest — not one per missed period).
//! Pure: the calendar, the settings and "now" in, occurrences out.

use crate::calendar::Calendar;
use crate::schedule::settings::Schedules;
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveTime, Utc};

/// What falls due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// Each working day, to the presales manager.
    Daily,
    /// Weekly, to the tech director.
    Weekly,
    /// Monthly, to the presales manager and tech director.
    Monthly,
    /// Weekly, to this presales.
    Personal(String),
    /// Weekly, to the admins: the calendar lacks this year.
    CalendarWarning(i32),
}

/// One occurrence of a digest (or of the calendar warning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// What falls due.
    pub what: What,
    /// The due event's key: never queued twice.
    pub key: String,
    /// The schedule it belongs to: an occurrence older than one queued is never queued.
    pub schedule: String,
    /// When it fell due.
    pub due_at: DateTime<Utc>,
    /// The period it reports on, local dates `[from, to)`.
    pub from: NaiveDate,
    /// End of the period (exclusive).
    pub to: NaiveDate,
}

/// How far back the search for the latest occurrence goes.
const LOOKBACK_DAYS: u64 = 400;

/// The latest working day `d` with `time` on it at or before `now` among `candidates` (newest
/// first).
fn latest(
    cal: &Calendar,
    time: NaiveTime,
    now: DateTime<Utc>,
    candidates: impl Iterator<Item = NaiveDate>,
) -> Option<(NaiveDate, DateTime<Utc>)> {
    candidates
        .filter_map(|d| Some((d, cal.at(d, time)?)))
        .find(|(_, t)| *t <= now)
}

fn days_back(cal: &Calendar, now: DateTime<Utc>) -> impl Iterator<Item = NaiveDate> {
    let today = cal.date_of(now);
    (0..LOOKBACK_DAYS).filter_map(move |n| today.checked_sub_days(chrono::Days::new(n)))
}

/// First working day of the week (Monday-based) holding `d`.
fn week_start(cal: &Calendar, d: NaiveDate) -> Option<NaiveDate> {
    let monday = d.week(chrono::Weekday::Mon).first_day();
    let first = cal.working_day_on_or_after(monday);
    (first.iso_week() == monday.iso_week()).then_some(first)
}

/// First working day of the month holding `d`.
fn month_start(cal: &Calendar, d: NaiveDate) -> Option<NaiveDate> {
    let first = d.with_day(1)?;
    let w = cal.working_day_on_or_after(first);
    (w.month() == first.month()).then_some(w)
}

/// The latest daily digest: covers the days since the previous working day's digest.
pub fn daily(cal: &Calendar, s: &Schedules, now: DateTime<Utc>) -> Option<Occurrence> {
    let time = s.daily?;
    let (d, due_at) = latest(
        cal,
        time,
        now,
        days_back(cal, now).filter(|d| cal.is_working_day(*d)),
    )?;
    let from = (1..LOOKBACK_DAYS)
        .filter_map(|n| d.checked_sub_days(chrono::Days::new(n)))
        .find(|p| cal.is_working_day(*p))
        .unwrap_or(d - Duration::days(1));
    Some(Occurrence {
        what: What::Daily,
        key: format!("daily_digest:{d}"),
        schedule: "daily_digest".into(),
        due_at,
        from,
        to: d,
    })
}

/// The latest weekly occurrence at `time` (weekly and personal digests, calendar warning):
/// the first working day of a week; covers the week before.
fn weekly_at(
    cal: &Calendar,
    time: NaiveTime,
    now: DateTime<Utc>,
) -> Option<(NaiveDate, DateTime<Utc>)> {
    let starts = days_back(cal, now).filter(|d| week_start(cal, *d) == Some(*d));
    latest(cal, time, now, starts)
}

fn week_occurrence(
    what: What,
    prefix: &str,
    schedule: String,
    d: NaiveDate,
    due_at: DateTime<Utc>,
) -> Occurrence {
    let monday = d.week(chrono::Weekday::Mon).first_day();
    let w = d.iso_week();
    Occurrence {
        what,
        key: format!("{prefix}:{}-W{:02}", w.year(), w.week()),
        schedule,
        due_at,
        from: monday - Duration::days(7),
        to: monday,
    }
}

/// The latest weekly digest (to the tech director).
pub fn weekly(cal: &Calendar, s: &Schedules, now: DateTime<Utc>) -> Option<Occurrence> {
    let (d, due_at) = weekly_at(cal, s.weekly?, now)?;
    Some(week_occurrence(
        What::Weekly,
        "weekly_digest",
        "weekly_digest".into(),
        d,
        due_at,
    ))
}

/// The latest personal digest of `person`.
pub fn personal(
    cal: &Calendar,
    s: &Schedules,
    now: DateTime<Utc>,
    person: &str,
) -> Option<Occurrence> {
    let (d, due_at) = weekly_at(cal, s.personal?, now)?;
    let mut o = week_occurrence(
        What::Personal(person.into()),
        "personal_digest",
        format!("personal_digest:{person}"),
        d,
        due_at,
    );
    o.key = format!("{}:{person}", o.key);
    Some(o)
}

/// The latest monthly digest: the first working day of a month; covers the month before.
pub fn monthly(cal: &Calendar, s: &Schedules, now: DateTime<Utc>) -> Option<Occurrence> {
    let time = s.monthly?;
    let starts = days_back(cal, now).filter(|d| month_start(cal, *d) == Some(*d));
    let (d, due_at) = latest(cal, time, now, starts)?;
    let to = d.with_day(1)?;
    Some(Occurrence {
        what: What::Monthly,
        key: format!("monthly_digest:{}", to.format("%Y-%m")),
        schedule: "monthly_digest".into(),
        due_at,
        from: to.checked_sub_months(Months::new(1))?,
        to,
    })
}

/// The year whose calendar is missing and should be: next year from December on, or this year.
pub fn missing_year(cal: &Calendar, now: DateTime<Utc>) -> Option<i32> {
    let today = cal.date_of(now);
    let y = today.year();
    if !cal.covers(y) {
        Some(y)
    } else if today.month() == 12 && !cal.covers(y + 1) {
        Some(y + 1)
    } else {
        None
    }
}

/// This week's warning that the calendar lacks a year (from December on, weekly).
pub fn calendar_warning(cal: &Calendar, s: &Schedules, now: DateTime<Utc>) -> Option<Occurrence> {
    let year = missing_year(cal, now)?;
    let time = s.calendar_warning?;
    let (d, mut due_at) = weekly_at(cal, time, now)?;
    let today = cal.date_of(now);
    if today.month() == 12 && d.month() != 12 {
        // The week began in November: the first warning is due on December's first working day.
        let first = cal.working_day_on_or_after(today.with_day(1)?);
        due_at = cal.at(first, time).filter(|t| *t <= now)?;
    }
    let prefix = format!("calendar_warning:{year}");
    Some(week_occurrence(
        What::CalendarWarning(year),
        &prefix,
        prefix.clone(),
        d,
        due_at,
    ))
}
