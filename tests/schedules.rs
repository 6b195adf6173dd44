//! `tick` / `run_due`: SLA deadlines, reminders at their threshold and not a minute before, and
//! due events queued once — across repeated ticks, restarts, a clock that jumps back and an
//! outage.

mod common;

use common::mail::{initiation, report};
use common::schedule::{bj, fault_lifecycle, tick, urgent_item_on_friday_evening};
use std::sync::Arc;
use supportbot::engine::Engine;
use supportbot::store::{outbox, schedule};

async fn rows(bot: &Engine) -> Vec<outbox::OutboxRow> {
    let mut conn = bot.store.connection().await.expect("reader");
    outbox::list(&mut conn, None).await.expect("outbox")
}

async fn of_kind(bot: &Engine, kind: &str) -> Vec<outbox::OutboxRow> {
    rows(bot)
        .await
        .into_iter()
        .filter(|r| r.kind == kind)
        .collect()
}

#[tokio::test]
async fn an_urgent_item_is_due_two_working_hours_and_one_working_day_later() {
    let (bot, _dir) = urgent_item_on_friday_evening().await;
    let mut conn = bot.store.connection().await.expect("reader");
    // Its first deadline for the tick is the response deadline: due by the resolution deadline.
    let items = schedule::open_items_due(&mut conn, bj("2026-11-30T17:00:00"))
        .await
        .expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].response_due, bj("2026-11-30T10:00:00"));
    assert_eq!(items[0].resolution_due, bj("2026-11-30T17:00:00"));
}

#[tokio::test]
async fn the_engineer_is_reminded_at_the_response_deadline_and_not_a_minute_before() {
    let (bot, _dir) = urgent_item_on_friday_evening().await;
    tick(&bot, "2026-11-30T09:59:00").await;
    assert!(of_kind(&bot, "open_item_reminder").await.is_empty());
    tick(&bot, "2026-11-30T10:00:00").await;
    let r = of_kind(&bot, "open_item_reminder").await;
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].to, vec!["zhangsan@example.com"]);
}

#[tokio::test]
async fn a_follow_up_report_spares_the_engineer_the_reminder() {
    let (bot, _dir) = urgent_item_on_friday_evening().await;
    let follow = report("星河", "Mon, 30 Nov 2026 09:30:00 +0800", "r2", None);
    bot.handle(&follow, common::now()).await.expect("follow-up");
    tick(&bot, "2026-11-30T10:00:00").await;
    assert!(of_kind(&bot, "open_item_reminder").await.is_empty());
}

#[tokio::test]
async fn a_tick_reads_an_item_again_only_when_its_next_deadline_comes() {
    let (bot, _dir) = urgent_item_on_friday_evening().await;
    let due = |at: &'static str| {
        let bot = &bot;
        async move {
            let mut conn = bot.store.connection().await.expect("reader");
            schedule::open_items_due(&mut conn, bj(at))
                .await
                .expect("due")
                .len()
        }
    };
    assert_eq!(due("2026-11-30T09:59:00").await, 0);
    tick(&bot, "2026-11-30T10:00:00").await;
    // Reminded: nothing more until the resolution deadline.
    assert_eq!(due("2026-11-30T16:59:00").await, 0);
    assert_eq!(due("2026-11-30T17:00:00").await, 1);
    tick(&bot, "2026-11-30T17:00:00").await;
    // Escalated: the tick never reads it again.
    assert_eq!(due("2027-06-30T17:00:00").await, 0);
    assert_eq!(of_kind(&bot, "open_item_reminder").await.len(), 1);
    assert_eq!(of_kind(&bot, "open_item_escalation").await.len(), 1);
}

/// Each open item's `next_due` as stored.
async fn next_dues(bot: &Engine) -> Vec<(i64, Option<String>)> {
    let mut conn = bot.store.connection().await.expect("reader");
    sqlx::query_as("SELECT id, next_due FROM open_items ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .expect("next_due")
}

/// A database from before `next_due`: the column empty, then the migration's backfill.
async fn backfill_next_due(bot: &Engine) {
    let fill = common::migration_statement(
        "20261203100100_open_items_next_due.sql",
        "UPDATE open_items SET next_due",
    );
    let mut conn = bot.store.connection().await.expect("writer");
    sqlx::query("UPDATE open_items SET next_due = NULL")
        .execute(&mut *conn)
        .await
        .expect("emptied");
    sqlx::raw_sql(sqlx::AssertSqlSafe(fill))
        .execute(&mut *conn)
        .await
        .expect("backfilled");
}

#[tokio::test]
async fn the_next_due_backfill_derives_from_due_events_what_the_ticks_stored() {
    let (bot, _dir) = urgent_item_on_friday_evening().await;
    // At each stage — opened, reminded, escalated — the backfill on a database from before the
    // column gives what the live code stored, and the ticks after it send nothing twice.
    for (at, stored) in [
        (None, Some("2026-11-30T02:00:00Z")), // the response deadline, 10:00 Beijing
        (Some("2026-11-30T10:00:00"), Some("2026-11-30T09:00:00Z")), // then the resolution's
        (Some("2026-11-30T17:00:00"), None),  // settled
    ] {
        if let Some(at) = at {
            tick(&bot, at).await;
        }
        let live = next_dues(&bot).await;
        assert_eq!(live, vec![(1, stored.map(String::from))], "after {at:?}");
        backfill_next_due(&bot).await;
        assert_eq!(next_dues(&bot).await, live, "backfilled after {at:?}");
    }
    for at in [
        "2026-11-30T17:01:00",
        "2026-12-01T09:00:00",
        "2026-12-01T17:00:00",
    ] {
        tick(&bot, at).await;
    }
    assert_eq!(of_kind(&bot, "open_item_reminder").await.len(), 1);
    assert_eq!(of_kind(&bot, "open_item_escalation").await.len(), 1);
}

#[tokio::test]
async fn an_item_followed_up_in_time_is_still_escalated_at_its_resolution_deadline() {
    let (bot, _dir) = urgent_item_on_friday_evening().await;
    let follow = report("星河", "Mon, 30 Nov 2026 09:30:00 +0800", "r2", None);
    bot.handle(&follow, common::now()).await.expect("follow-up");
    tick(&bot, "2026-11-30T10:00:00").await;
    assert!(of_kind(&bot, "open_item_reminder").await.is_empty());
    tick(&bot, "2026-11-30T17:00:00").await;
    assert_eq!(of_kind(&bot, "open_item_escalation").await.len(), 1);
    assert!(of_kind(&bot, "open_item_reminder").await.is_empty());
}

#[tokio::test]
async fn the_presales_manager_is_told_at_the_resolution_deadline() {
    let (bot, _dir) = urgent_item_on_friday_evening().await;
    tick(&bot, "2026-11-30T16:59:00").await;
    assert!(of_kind(&bot, "open_item_escalation").await.is_empty());
    tick(&bot, "2026-11-30T17:00:00").await;
    let e = of_kind(&bot, "open_item_escalation").await;
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].to, vec!["wangfang@example.com"]);
    assert_eq!(e[0].cc, vec!["zhangsan@example.com"]);
}

#[tokio::test]
async fn an_uninitiated_project_is_reminded_after_two_working_days_and_may_stop_after_five() {
    let (bot, _dir) = common::spawn_bot().await;
    let r = report("东方", "Fri, 13 Nov 2026 10:00:00 +0800", "u1", None);
    bot.handle(&r, common::now()).await.expect("report");
    tick(&bot, "2026-11-17T09:59:00").await;
    assert!(of_kind(&bot, "uninitiated_reminder").await.is_empty());
    tick(&bot, "2026-11-17T10:00:00").await;
    let reminder = of_kind(&bot, "uninitiated_reminder").await;
    assert_eq!(reminder.len(), 1);
    assert_eq!(reminder[0].to, vec!["sunli@example.com"]);
    assert_eq!(reminder[0].cc, vec!["zhangsan@example.com"]);
    tick(&bot, "2026-11-20T09:59:00").await;
    assert!(of_kind(&bot, "support_may_stop").await.is_empty());
    tick(&bot, "2026-11-20T10:00:00").await;
    let stop = of_kind(&bot, "support_may_stop").await;
    assert_eq!(stop.len(), 1);
    assert_eq!(stop[0].cc, vec!["wangfang@example.com"]);
}

#[tokio::test]
async fn a_project_initiated_in_time_is_not_reminded() {
    let (bot, _dir) = common::spawn_bot().await;
    let r = report("星河", "Fri, 13 Nov 2026 10:00:00 +0800", "u1", None);
    bot.handle(&r, common::now()).await.expect("report");
    bot.handle(
        &initiation("Mon, 16 Nov 2026 09:00:00 +0800"),
        common::now(),
    )
    .await
    .expect("立项");
    tick(&bot, "2026-11-30T10:00:00").await;
    assert!(of_kind(&bot, "uninitiated_reminder").await.is_empty());
    assert!(of_kind(&bot, "support_may_stop").await.is_empty());
}

#[tokio::test]
async fn repeated_ticks_a_restart_and_a_clock_back_queue_nothing_twice() {
    let (bot, dir) = urgent_item_on_friday_evening().await;
    tick(&bot, "2026-12-01T10:00:00").await;
    let first = rows(&bot).await.len();
    assert!(first > 0);
    tick(&bot, "2026-12-01T10:00:00").await;
    tick(&bot, "2026-12-01T10:05:00").await;
    bot.store.close().await;
    let bot = Engine::open(Arc::new(common::config_in(dir.path())))
        .await
        .expect("restart");
    tick(&bot, "2026-12-01T10:10:00").await;
    tick(&bot, "2026-11-30T10:00:00").await;
    tick(&bot, "2026-11-25T09:30:00").await;
    assert_eq!(rows(&bot).await.len(), first);
}

#[tokio::test]
async fn after_a_long_outage_only_digests_due_in_the_last_day_go_out_and_older_ones_are_skipped() {
    let (bot, _dir) = common::spawn_bot().await;
    tick(&bot, "2026-11-02T10:00:00").await;
    let daily = of_kind(&bot, "daily_digest").await;
    assert_eq!(daily.len(), 1);
    // Down from 2 to 20 November: 14 missed working days, 2 missed weeks.
    tick(&bot, "2026-11-20T10:00:00").await;
    let daily = of_kind(&bot, "daily_digest").await;
    assert_eq!(daily.len(), 2, "today's daily digest fell due an hour ago");
    assert!(
        daily[1].subject.contains("2026年11月19日"),
        "{}",
        daily[1].subject
    );
    assert_eq!(
        of_kind(&bot, "weekly_digest").await.len(),
        1,
        "Monday's weekly digest is four days old: skipped"
    );
    // No mail ever came in: October's monthly digest would report a month before the bot ran.
    assert_eq!(of_kind(&bot, "monthly_digest").await.len(), 0);
    assert_eq!(
        of_kind(&bot, "personal_digest").await.len(),
        3,
        "only the first week's, one per presales"
    );
    let mut conn = bot.store.connection().await.expect("reader");
    let skipped: i64 = sqlx::query_scalar("SELECT count(*) FROM due_events WHERE skipped = 1")
        .fetch_one(&mut *conn)
        .await
        .expect("count");
    assert_eq!(
        skipped, 5,
        "the weekly, November's monthly and three personal digests, recorded as skipped"
    );
    drop(conn);
    tick(&bot, "2026-11-20T10:05:00").await;
    assert_eq!(
        of_kind(&bot, "weekly_digest").await.len(),
        1,
        "a skipped digest is never sent later"
    );
}

#[tokio::test]
async fn an_item_closed_during_a_gap_is_never_reminded() {
    let (bot, _dir) = urgent_item_on_friday_evening().await;
    // 「已解决」 arrives while the daemon is stopped (handled by `process`), before the deadline
    // of Monday 10:00 is ever ticked.
    let solved = common::mail::mail(
        "张三 <zhangsan@example.com>",
        "Re: [SB-2] 已记录：客户沟通-星河项目-张三",
        "Mon, 30 Nov 2026 09:30:00 +0800",
        "solved-in-gap",
        "已解决",
    );
    bot.handle(&solved, common::now()).await.expect("已解决");
    tick(&bot, "2026-11-30T10:30:00").await;
    tick(&bot, "2026-12-01T18:30:00").await;
    assert!(of_kind(&bot, "open_item_reminder").await.is_empty());
    assert!(of_kind(&bot, "open_item_escalation").await.is_empty());
}

#[tokio::test]
async fn a_reminder_that_fell_due_more_than_a_day_ago_is_skipped_not_sent() {
    let (bot, _dir) = urgent_item_on_friday_evening().await;
    // The item's response deadline was Monday 30 November 10:00; the daemon was down until
    // Wednesday: the reminder is recorded as skipped, the digests list the item as overdue.
    tick(&bot, "2026-12-02T11:00:00").await;
    assert!(of_kind(&bot, "open_item_reminder").await.is_empty());
    let mut conn = bot.store.connection().await.expect("reader");
    let skipped: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM due_events WHERE skipped = 1 AND key LIKE 'open_item_reminder:%'",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("count");
    assert_eq!(skipped, 1);
}

#[tokio::test]
async fn both_deadlines_missed_in_a_gap_are_recorded_as_skipped_and_never_read_again() {
    let (bot, _dir) = urgent_item_on_friday_evening().await;
    // Response due Monday 10:00, resolution Monday 17:00; the daemon is back on Thursday.
    tick(&bot, "2026-12-03T11:00:00").await;
    assert!(of_kind(&bot, "open_item_reminder").await.is_empty());
    assert!(of_kind(&bot, "open_item_escalation").await.is_empty());
    let mut conn = bot.store.connection().await.expect("reader");
    let skipped: Vec<String> = sqlx::query_scalar(
        "SELECT key FROM due_events WHERE skipped = 1 AND key LIKE 'open_item_%' ORDER BY key",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("keys");
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(
        skipped[0].starts_with("open_item_escalation:"),
        "{skipped:?}"
    );
    assert!(skipped[1].starts_with("open_item_reminder:"), "{skipped:?}");
    let due = schedule::open_items_due(&mut conn, bj("2027-01-01T00:00:00"))
        .await
        .expect("due");
    assert!(due.is_empty(), "{due:?}");
}

#[tokio::test]
async fn a_month_long_gap_sends_no_stale_digest_at_all() {
    let (bot, _dir) = common::spawn_bot().await;
    tick(&bot, "2026-10-12T10:00:00").await;
    let before = rows(&bot).await.len();
    // Stopped from 12 October to Saturday 14 November: every digest is days or weeks old.
    tick(&bot, "2026-11-14T12:00:00").await;
    assert_eq!(
        rows(&bot).await.len(),
        before,
        "nothing about the gap is sent"
    );
}

#[tokio::test]
async fn a_digest_older_than_one_already_queued_is_never_queued() {
    let (bot, _dir) = common::spawn_bot().await;
    tick(&bot, "2026-11-20T10:00:00").await;
    tick(&bot, "2026-11-10T10:00:00").await;
    assert_eq!(of_kind(&bot, "daily_digest").await.len(), 1);
}

#[tokio::test]
async fn a_digest_is_not_due_a_minute_before_its_time_nor_on_a_holiday() {
    let (bot, _dir) = common::spawn_bot().await;
    tick(&bot, "2026-10-08T08:59:00").await; // the day after National Day week
    assert!(
        of_kind(&bot, "daily_digest").await.is_empty(),
        "the latest daily digest (30 September) is more than a day old: skipped, not sent"
    );
    tick(&bot, "2026-10-08T09:00:00").await;
    let daily = of_kind(&bot, "daily_digest").await;
    assert_eq!(daily.len(), 1);
    assert!(
        daily[0].subject.contains("2026年9月30日至2026年10月7日"),
        "the holiday week is one period: {}",
        daily[0].subject
    );
}

#[tokio::test]
async fn admins_are_warned_weekly_from_december_while_next_year_is_missing() {
    let (bot, _dir) = common::spawn_bot().await;
    tick(&bot, "2026-11-30T10:00:00").await;
    assert!(of_kind(&bot, "calendar_warning").await.is_empty());
    tick(&bot, "2026-12-01T08:59:00").await;
    assert!(of_kind(&bot, "calendar_warning").await.is_empty());
    tick(&bot, "2026-12-01T09:00:00").await;
    tick(&bot, "2026-12-04T09:00:00").await;
    let w = of_kind(&bot, "calendar_warning").await;
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].to, vec!["admin@example.com"]);
    tick(&bot, "2026-12-07T09:00:00").await;
    assert_eq!(of_kind(&bot, "calendar_warning").await.len(), 2);
}

#[tokio::test]
async fn no_warning_once_next_year_is_in_the_calendar() {
    let dir = tempfile::tempdir().expect("dir");
    let next = dir.path().join("cn-2027.toml");
    std::fs::write(&next, "year = 2027\nholidays = [\"2027-01-01\"]\n").expect("write");
    let mut config = common::config_in(dir.path());
    config
        .calendar
        .add_year(supportbot::calendar::read_year(&next).expect("read"))
        .expect("add 2027");
    let bot = Engine::open(Arc::new(config)).await.expect("engine");
    tick(&bot, "2026-12-07T09:00:00").await;
    assert!(of_kind(&bot, "calendar_warning").await.is_empty());
}

#[tokio::test]
async fn whoever_owes_a_fault_orders_next_step_is_reminded_when_its_sla_runs_out() {
    // 第四十四条: filed Monday 9 November 09:50, priority 重要 (response 4 working hours):
    // the presales manager owes the approval until 13:50.
    let (bot, _dir) = common::spawn_bot().await;
    for f in ["01-initiation.eml", "02-fault-order.eml"] {
        bot.handle(&fault_lifecycle(f), common::now())
            .await
            .expect("mail");
    }
    tick(&bot, "2026-11-09T13:49:00").await;
    assert!(of_kind(&bot, "fault_reminder").await.is_empty());
    tick(&bot, "2026-11-09T13:50:00").await;
    tick(&bot, "2026-11-09T16:00:00").await;
    let r = of_kind(&bot, "fault_reminder").await;
    assert_eq!(r.len(), 1, "once per state: {r:?}");
    assert_eq!(r[0].to, vec!["wangfang@example.com"]);

    // 同意 moves it to the R&D manager: a new step, a new reminder, to him.
    bot.handle(&fault_lifecycle("03-manager-approves.eml"), common::now())
        .await
        .expect("同意");
    // Approved at 10:15: the R&D manager's 4 working hours run out at 14:15.
    tick(&bot, "2026-11-10T10:00:00").await;
    let r = of_kind(&bot, "fault_reminder").await;
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(r[1].to, vec!["zhenghao@example.com"]);
}

#[tokio::test]
async fn a_fault_order_stores_its_sla_deadlines_when_filed() {
    // 重要: response 4 working hours, resolution 3 working days, from Monday 9 November 09:50.
    let (bot, _dir) = common::spawn_bot().await;
    for f in ["01-initiation.eml", "02-fault-order.eml"] {
        bot.handle(&fault_lifecycle(f), common::now())
            .await
            .expect("mail");
    }
    let mut conn = bot.store.connection().await.expect("reader");
    let faults = supportbot::store::queries::faults(&mut conn, None, None)
        .await
        .expect("faults");
    let due = |s: &Option<String>| {
        supportbot::store::parse_ts(s.as_deref().expect("stored")).expect("RFC 3339")
    };
    assert_eq!(due(&faults[0].response_due), bj("2026-11-09T13:50:00"));
    assert_eq!(due(&faults[0].resolution_due), bj("2026-11-12T09:50:00"));
}
