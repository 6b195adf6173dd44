//! Working time, for any instant and span: adding then measuring gives the span back, the
//! result is the earliest such instant, and a 调休 Saturday counts while a holiday does not.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use supportbot::calendar::{Calendar, CalendarConfig};

fn cal() -> Calendar {
    let c = CalendarConfig {
        files: vec![
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/calendar/cn-2026.toml"),
        ],
        ..CalendarConfig::default()
    };
    Calendar::from_config(chrono_tz::Asia::Shanghai, &c).expect("shipped calendar")
}

/// Any minute of 2026.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let start = Utc
        .with_ymd_and_hms(2025, 12, 31, 16, 0, 0)
        .single()
        .expect("start of 2026 in Beijing");
    (0i64..365 * 24 * 60).prop_map(move |m| start + Duration::minutes(m))
}

proptest! {
    #[test]
    fn adding_then_measuring_gives_back_the_span(t in instant(), minutes in 0i64..60 * 9 * 15) {
        let cal = cal();
        let span = Duration::minutes(minutes);
        let end = cal.add_working_hours(t, span);
        prop_assert_eq!(cal.working_time_between(t, end), span);
    }

    #[test]
    fn the_deadline_is_the_earliest_instant_with_that_much_working_time(
        t in instant(), minutes in 1i64..60 * 9 * 15
    ) {
        let cal = cal();
        let end = cal.add_working_hours(t, Duration::minutes(minutes));
        prop_assert!(cal.working_time_between(t, end - Duration::minutes(1)) < Duration::minutes(minutes));
    }

    #[test]
    fn working_time_adds_up_over_a_split(t in instant(), a in 0i64..20_000, b in 0i64..20_000) {
        let cal = cal();
        let (m, e) = (t + Duration::minutes(a), t + Duration::minutes(a + b));
        prop_assert_eq!(
            cal.working_time_between(t, m) + cal.working_time_between(m, e),
            cal.working_time_between(t, e)
        );
    }

    #[test]
    fn working_days_are_whole_working_days_of_time(t in instant(), n in 0u32..20) {
        let cal = cal();
        let end = cal.add_working_days(t, n);
        prop_assert_eq!(cal.working_time_between(t, end), cal.day_length() * n as i32);
    }
}

fn whole_day(cal: &Calendar, d: NaiveDate) -> Duration {
    let start = cal.at(d, chrono::NaiveTime::MIN).expect("midnight");
    cal.working_time_between(start, start + Duration::days(1))
}

#[test]
fn a_tiaoxiu_saturday_counts_a_full_working_day() {
    let cal = cal();
    for d in ["2026-02-14", "2026-02-28", "2026-05-09", "2026-10-10"] {
        let d: NaiveDate = d.parse().expect("date");
        assert_eq!(whole_day(&cal, d), Duration::hours(9), "{d}");
    }
    let plain_saturday: NaiveDate = "2026-11-28".parse().expect("date");
    assert_eq!(whole_day(&cal, plain_saturday), Duration::zero());
}

#[test]
fn a_holiday_monday_counts_nothing() {
    let cal = cal();
    for d in ["2026-02-16", "2026-02-23", "2026-04-06", "2026-05-04"] {
        let d: NaiveDate = d.parse().expect("date");
        assert_eq!(whole_day(&cal, d), Duration::zero(), "{d}");
    }
    let plain_monday: NaiveDate = "2026-11-30".parse().expect("date");
    assert_eq!(whole_day(&cal, plain_monday), Duration::hours(9));
}
