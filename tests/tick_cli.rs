//! `tick --now` and `report tracking --format xlsx` through the binary (interface.md).

mod common;

use calamine::{Reader, Xlsx};
use common::site::Site;

fn outbox_kinds(site: &Site) -> Vec<String> {
    site.json(&["outbox", "--format", "json"])
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["kind"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn tick_at_a_given_time_queues_the_digests_due_then_once() {
    let site = Site::new();
    // Monday's weekly and personal digests at 08:59 on Tuesday (a day late at most: still sent),
    // then Tuesday's daily and monthly digests and the calendar warning at 10:00.
    site.ok(&["tick", "--now", "2026-12-01T08:59:00+08:00"]);
    site.ok(&["tick", "--now", "2026-12-01T10:00:00+08:00"]);
    let kinds = outbox_kinds(&site);
    // No mail ever came in, so no monthly digest: November ended before the bot's first mail.
    assert!(!kinds.iter().any(|x| x == "monthly_digest"), "{kinds:?}");
    for k in [
        "daily_digest",
        "weekly_digest",
        "personal_digest",
        "calendar_warning",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
    }
    site.ok(&["tick", "--now", "2026-12-01T10:00:00+08:00"]);
    assert_eq!(outbox_kinds(&site).len(), kinds.len());
}

#[test]
fn tick_with_a_time_that_is_not_rfc3339_fails_with_one_line() {
    let out = Site::new().bot(&["tick", "--now", "tomorrow"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("RFC 3339"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn the_tracking_workbook_is_written_with_a_sheet_per_presales() {
    let site = Site::new();
    let mail_dir = site.dir.path().join("mail/new");
    std::fs::create_dir_all(&mail_dir).expect("maildir");
    std::fs::create_dir_all(site.dir.path().join("mail/cur")).expect("maildir");
    std::fs::create_dir_all(site.dir.path().join("mail/tmp")).expect("maildir");
    let init = common::mail::initiation("Mon, 2 Nov 2026 09:00:00 +0800");
    let rep = common::mail::report("星河", "Tue, 3 Nov 2026 10:00:00 +0800", "x1", None);
    std::fs::write(mail_dir.join("1.a.host"), init).expect("mail");
    std::fs::write(mail_dir.join("2.b.host"), rep).expect("mail");
    site.ok(&["process"]);
    let out = site.dir.path().join("tracking.xlsx");
    let out_s = out.display().to_string();
    site.ok(&["report", "tracking", "--format", "xlsx", "--output", &out_s]);
    let mut wb: Xlsx<_> = calamine::open_workbook(&out).expect("opens");
    assert_eq!(wb.sheet_names(), vec!["张三", "李四", "王五"]);
    let rows = wb.worksheet_range("张三").expect("sheet");
    let cells: Vec<String> = rows
        .rows()
        .nth(1)
        .expect("a row")
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(cells[0], "星河项目");
    assert_eq!(cells[2], "张三");
    let no_output = site.bot(&["report", "tracking", "--format", "xlsx"]);
    assert!(!no_output.status.success());
}

#[test]
fn tick_after_a_month_long_gap_sends_nothing_stale_and_never_later() {
    let site = Site::new();
    site.ok(&["tick", "--now", "2026-10-12T10:00:00+08:00"]);
    let before = outbox_kinds(&site).len();
    // Stopped until Saturday 14 November: every digest due meanwhile is days or weeks old.
    site.ok(&["tick", "--now", "2026-11-14T12:00:00+08:00"]);
    assert_eq!(outbox_kinds(&site).len(), before, "nothing about the gap");
    // And the skipped occurrences stay skipped: Monday brings only Monday's digests.
    site.ok(&["tick", "--now", "2026-11-16T10:00:00+08:00"]);
    let kinds = outbox_kinds(&site);
    let new: Vec<&String> = kinds[before..].iter().collect();
    assert!(
        new.iter()
            .all(|k| ["daily_digest", "weekly_digest", "personal_digest"].contains(&k.as_str())),
        "{new:?}"
    );
}
