use super::*;

/// The shipped 2026 calendar, 09:00–18:00 in Asia/Shanghai.
pub(crate) fn cn2026() -> Calendar {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/calendar/cn-2026.toml");
    let c = CalendarConfig {
        files: vec![path],
        ..CalendarConfig::default()
    };
    Calendar::from_config(chrono_tz::Asia::Shanghai, &c).expect("shipped calendar loads")
}

/// Beijing time.
fn bj(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{s}+08:00"))
        .expect("test time")
        .with_timezone(&Utc)
}

#[test]
fn two_hours_from_friday_afternoon_end_on_monday_morning() {
    let cal = cn2026();
    assert_eq!(
        cal.add_working_hours(bj("2026-11-27T17:00:00"), Duration::hours(2)),
        bj("2026-11-30T10:00:00")
    );
    assert_eq!(
        cal.working_time_between(bj("2026-11-27T17:00:00"), bj("2026-11-30T10:00:00")),
        Duration::hours(2)
    );
}

#[test]
fn the_national_day_week_is_skipped() {
    assert_eq!(
        cn2026().add_working_hours(bj("2026-09-30T17:00:00"), Duration::hours(2)),
        bj("2026-10-08T10:00:00")
    );
}

#[test]
fn a_tiaoxiu_saturday_is_a_working_day() {
    let cal = cn2026();
    assert!(cal.is_working_day(NaiveDate::from_ymd_opt(2026, 10, 10).expect("date")));
    assert_eq!(
        cal.add_working_hours(bj("2026-10-09T17:00:00"), Duration::hours(2)),
        bj("2026-10-10T10:00:00")
    );
}

#[test]
fn spring_festival_runs_from_the_tiaoxiu_saturday_to_the_tuesday_after() {
    let cal = cn2026();
    assert_eq!(
        cal.add_working_hours(bj("2026-02-13T17:00:00"), Duration::hours(2)),
        bj("2026-02-14T10:00:00")
    );
    assert_eq!(
        cal.add_working_hours(bj("2026-02-14T17:00:00"), Duration::hours(2)),
        bj("2026-02-24T10:00:00")
    );
}

#[test]
fn a_holiday_monday_is_not_a_working_day() {
    let cal = cn2026();
    assert!(!cal.is_working_day(NaiveDate::from_ymd_opt(2026, 5, 4).expect("date")));
    assert_eq!(
        cal.working_time_between(bj("2026-05-04T00:00:00"), bj("2026-05-05T00:00:00")),
        Duration::zero()
    );
    // Labour Day: from Thursday 30 April the next working day is Wednesday 6 May.
    assert_eq!(
        cal.add_working_days(bj("2026-04-30T10:00:00"), 1),
        bj("2026-05-06T10:00:00")
    );
}

#[test]
fn two_working_days_from_monday_are_wednesday_at_the_same_time() {
    assert_eq!(
        cn2026().add_working_days(bj("2026-11-02T10:00:00"), 2),
        bj("2026-11-04T10:00:00")
    );
}

#[test]
fn time_outside_working_hours_starts_counting_at_the_next_opening() {
    let cal = cn2026();
    assert_eq!(
        cal.add_working_hours(bj("2026-11-28T12:00:00"), Duration::hours(1)),
        bj("2026-11-30T10:00:00")
    );
    assert_eq!(
        cal.add_working_hours(bj("2026-11-30T20:00:00"), Duration::minutes(30)),
        bj("2026-12-01T09:30:00")
    );
}

#[test]
fn a_deadline_that_fills_a_day_ends_at_closing_time() {
    assert_eq!(
        cn2026().add_working_days(bj("2026-11-30T09:00:00"), 1),
        bj("2026-11-30T18:00:00")
    );
}

#[test]
fn a_year_file_with_a_date_of_another_year_is_refused() {
    let mut cal = cn2026();
    let bad = YearFile {
        year: 2027,
        holidays: vec![NaiveDate::from_ymd_opt(2026, 1, 1).expect("date")],
        workdays: vec![],
    };
    assert!(cal.add_year(bad).is_err());
    assert!(cal.covers(2026) && !cal.covers(2027));
}

#[test]
fn spans_parse_minutes_hours_and_days() {
    assert_eq!(
        WorkingSpan::parse("2h").expect("2h"),
        WorkingSpan::Time(Duration::hours(2))
    );
    assert_eq!(WorkingSpan::parse("5d").expect("5d"), WorkingSpan::Days(5));
    assert_eq!(
        WorkingSpan::parse("45m").expect("45m"),
        WorkingSpan::Time(Duration::minutes(45))
    );
    assert!(WorkingSpan::parse("2 weeks").is_err());
    assert!(WorkingSpan::parse("").is_err());
    assert!(WorkingSpan::parse("2天").is_err());
}
