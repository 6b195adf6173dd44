//! 满意度回访 (workflow.md "Satisfaction follow-up"): the request once per closure after the
//! configured working days, across restarts; the answer in every form staff write it, from the
//! owner or the presales manager only; 不满意 told to the presales manager at once; the reminder;
//! `report satisfaction`. The replies are hand-written in real clients' shapes
//! (tests/fixtures/satisfaction/).

mod common;

use chrono::{DateTime, Utc};
use common::mail::{initiation, mail, report};
use std::sync::Arc;
use supportbot::engine::{Engine, Handled};
use supportbot::schedule::run_due;
use supportbot::store::{messages, outbox};

fn bj(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{s}+08:00"))
        .expect("test time")
        .with_timezone(&Utc)
}

async fn handle(bot: &Engine, raw: &[u8]) -> i64 {
    match bot.handle(raw, common::now()).await.expect("handled") {
        Handled::Recorded { id, .. } => id,
        Handled::Duplicate => panic!("not a duplicate"),
    }
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        common::root()
            .join("tests/fixtures/satisfaction")
            .join(name),
    )
    .expect("fixture")
}

fn solved(from: &str, thread: i64, date: &str, id: &str) -> Vec<u8> {
    mail(
        from,
        &format!("Re: [SB-{thread}] 已记录：客户沟通-星河项目"),
        date,
        id,
        "已解决",
    )
}

async fn rows(bot: &Engine, kind: &str) -> Vec<outbox::OutboxRow> {
    let mut conn = bot.store.connection().await.expect("reader");
    outbox::list(&mut conn, None)
        .await
        .expect("outbox")
        .into_iter()
        .filter(|r| r.kind == kind)
        .collect()
}

async fn outcome(bot: &Engine, id: i64) -> (String, String, Vec<String>) {
    let mut conn = bot.store.connection().await.expect("reader");
    let m = messages::list(&mut conn)
        .await
        .expect("messages")
        .into_iter()
        .find(|m| m.id == id)
        .expect("recorded");
    (m.kind, m.outcome, m.reasons)
}

/// 星河: 张三's item (thread 2) closed on Wed 18 Nov 10:00; 李四's (thread 4) on Thu 19 Nov.
async fn two_closed_items() -> (Engine, tempfile::TempDir) {
    let (bot, dir) = common::spawn_bot().await;
    handle(&bot, &initiation("Mon, 2 Nov 2026 09:00:00 +0800")).await;
    let zs = report(
        "星河",
        "Mon, 16 Nov 2026 10:00:00 +0800",
        "zs-left",
        Some("重要"),
    );
    assert_eq!(handle(&bot, &zs).await, 2);
    handle(
        &bot,
        &solved(
            "张三 <zhangsan@example.com>",
            2,
            "Wed, 18 Nov 2026 10:00:00 +0800",
            "zs-ok",
        ),
    )
    .await;
    let ls = String::from_utf8(report(
        "星河",
        "Wed, 18 Nov 2026 11:00:00 +0800",
        "ls-left",
        Some("一般"),
    ))
    .expect("utf-8")
    .replace("zhangsan@example.com", "lisi@example.com")
    .replace("星河项目-张三", "星河项目-李四");
    assert_eq!(handle(&bot, ls.as_bytes()).await, 4);
    handle(
        &bot,
        &solved(
            "李四 <lisi@example.com>",
            4,
            "Thu, 19 Nov 2026 10:00:00 +0800",
            "ls-ok",
        ),
    )
    .await;
    (bot, dir)
}

#[tokio::test]
async fn the_owner_is_asked_once_three_working_days_after_closure_across_restarts() {
    let (bot, dir) = two_closed_items().await;
    run_due(&bot, bj("2026-11-23T09:59:00"))
        .await
        .expect("tick");
    assert!(
        rows(&bot, "satisfaction_request").await.is_empty(),
        "not a minute early"
    );
    run_due(&bot, bj("2026-11-23T10:00:00"))
        .await
        .expect("tick");
    let asked = rows(&bot, "satisfaction_request").await;
    assert_eq!(
        asked.len(),
        1,
        "张三's item: closed Wed 10:00, asked Mon 10:00"
    );
    assert_eq!(asked[0].to, ["zhangsan@example.com"]);
    assert!(
        asked[0].subject.starts_with("[SB-2] "),
        "{}",
        asked[0].subject
    );
    bot.store.close().await;
    let bot = Engine::open(Arc::new(common::config_in(dir.path())))
        .await
        .expect("restart");
    run_due(&bot, bj("2026-11-23T10:05:00"))
        .await
        .expect("tick");
    assert_eq!(
        rows(&bot, "satisfaction_request").await.len(),
        1,
        "never twice"
    );
    run_due(&bot, bj("2026-11-24T10:00:00"))
        .await
        .expect("tick");
    let asked = rows(&bot, "satisfaction_request").await;
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[1].to, ["lisi@example.com"]);
}

#[tokio::test]
async fn answers_are_taken_from_the_owner_in_client_shapes_and_dissatisfaction_reaches_the_manager()
{
    let (bot, _dir) = two_closed_items().await;
    run_due(&bot, bj("2026-11-24T10:00:00"))
        .await
        .expect("tick");

    // 李四 answers on 张三's item: not hers to answer.
    let other = handle(&bot, &fixture("03-iphone-by-someone-else.eml")).await;
    let (kind, result, reasons) = outcome(&bot, other).await;
    assert_eq!(
        (kind.as_str(), result.as_str()),
        ("thread_command", "rejected")
    );
    assert_eq!(reasons, ["not_authorized"]);

    // 张三, Outlook, 不满意 with a 说明 line above the quoted request.
    let unhappy = handle(&bot, &fixture("01-outlook-zhcn-dissatisfied.eml")).await;
    assert_eq!(outcome(&bot, unhappy).await.1, "accepted");
    let alert = rows(&bot, "dissatisfaction_alert").await;
    assert_eq!(alert.len(), 1, "the presales manager is told at once");
    assert_eq!(alert[0].to, ["wangfang@example.com"]);
    assert_eq!(alert[0].cc, ["zhangsan@example.com"]);
    let mut conn = bot.store.connection().await.expect("reader");
    let body: String =
        sqlx::query_scalar("SELECT body FROM outbox WHERE kind = 'dissatisfaction_alert'")
            .fetch_one(&mut *conn)
            .await
            .expect("alert body");
    assert!(
        body.contains("客户要求导出审计日志为 Excel") && body.contains("导出 Excel 要等 10 分钟"),
        "the alert carries the item and the customer's words: {body}"
    );
    drop(conn);

    // 李四, Foxmail GBK, 基本满意 on her own item.
    let fine = handle(&bot, &fixture("02-foxmail-gbk-mostly-satisfied.eml")).await;
    assert_eq!(outcome(&bot, fine).await.1, "accepted");

    let mut conn = bot.store.connection().await.expect("reader");
    let v = supportbot::report::satisfaction(&bot.config, &mut conn, "2026-11")
        .await
        .expect("report");
    assert_eq!(
        v["presales"],
        serde_json::json!([
            {"name": "张三", "requests": 1, "answers": 1, "satisfied": 0, "mostly_satisfied": 0,
             "dissatisfied": 1, "rate": 0.0},
            {"name": "李四", "requests": 1, "answers": 1, "satisfied": 0, "mostly_satisfied": 1,
             "dissatisfied": 0, "rate": 100.0}
        ])
    );
}

#[tokio::test]
async fn an_unanswered_request_is_reminded_once_five_working_days_later() {
    let (bot, _dir) = two_closed_items().await;
    run_due(&bot, bj("2026-11-23T10:00:00"))
        .await
        .expect("tick");
    run_due(&bot, bj("2026-11-30T09:59:00"))
        .await
        .expect("tick");
    assert!(rows(&bot, "satisfaction_reminder").await.is_empty());
    {
        let mut conn = bot.store.connection().await.expect("reader");
        let waiting = supportbot::store::satisfaction::unanswered(&mut conn)
            .await
            .expect("work list");
        assert_eq!(
            waiting.len(),
            2,
            "asked, not yet reminded: still the tick's"
        );
    }
    run_due(&bot, bj("2026-11-30T10:00:00"))
        .await
        .expect("tick");
    run_due(&bot, bj("2026-12-01T10:00:00"))
        .await
        .expect("tick");
    let reminded = rows(&bot, "satisfaction_reminder").await;
    assert_eq!(
        reminded.len(),
        2,
        "张三's on 30 Nov, 李四's on 1 Dec, once each"
    );
    assert!(reminded.iter().all(|r| r.subject.starts_with("[SB-")));
    // Both reminded and still unanswered: the tick has nothing more to do for them and no
    // longer reads them.
    let mut conn = bot.store.connection().await.expect("reader");
    let left = supportbot::store::satisfaction::unanswered(&mut conn)
        .await
        .expect("work list");
    assert!(left.is_empty(), "{left:?}");
}

/// Each 满意度回访's `settled` as stored.
async fn settled(bot: &Engine) -> Vec<(i64, bool)> {
    let mut conn = bot.store.connection().await.expect("reader");
    sqlx::query_as("SELECT id, settled FROM satisfaction ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .expect("settled")
}

#[tokio::test]
async fn the_settled_backfill_derives_from_due_events_what_the_ticks_stored() {
    let (bot, _dir) = two_closed_items().await;
    let fill = common::migration_statement(
        "20261203100200_satisfaction_settled.sql",
        "UPDATE satisfaction SET settled",
    );
    // Asked; 张三's reminded on 30 Nov; 李四's on 1 Dec.
    for (at, stored) in [
        ("2026-11-23T10:00:00", [false, false]),
        ("2026-11-30T10:00:00", [true, false]),
        ("2026-12-01T10:00:00", [true, true]),
    ] {
        run_due(&bot, bj(at)).await.expect("tick");
        let live = settled(&bot).await;
        let flags: Vec<bool> = live.iter().map(|(_, s)| *s).collect();
        assert_eq!(flags, stored, "after {at}");
        // A database from before the column: every request unsettled, then the backfill.
        let mut conn = bot.store.connection().await.expect("writer");
        sqlx::query("UPDATE satisfaction SET settled = 0")
            .execute(&mut *conn)
            .await
            .expect("emptied");
        sqlx::raw_sql(sqlx::AssertSqlSafe(fill.clone()))
            .execute(&mut *conn)
            .await
            .expect("backfilled");
        drop(conn);
        assert_eq!(settled(&bot).await, live, "backfilled after {at}");
    }
    run_due(&bot, bj("2026-12-02T10:00:00"))
        .await
        .expect("tick");
    assert_eq!(rows(&bot, "satisfaction_reminder").await.len(), 2);
}

#[tokio::test]
async fn an_answer_before_the_item_is_closed_is_refused_with_the_reason() {
    let (bot, _dir) = common::spawn_bot().await;
    handle(&bot, &initiation("Mon, 2 Nov 2026 09:00:00 +0800")).await;
    let left = report(
        "星河",
        "Mon, 16 Nov 2026 10:00:00 +0800",
        "left",
        Some("重要"),
    );
    let thread = handle(&bot, &left).await;
    let early = handle(
        &bot,
        &mail(
            "张三 <zhangsan@example.com>",
            &format!("Re: [SB-{thread}] 已记录：客户沟通-星河项目-张三"),
            "Tue, 17 Nov 2026 10:00:00 +0800",
            "early",
            "满意度: 满意",
        ),
    )
    .await;
    let (_, result, reasons) = outcome(&bot, early).await;
    assert_eq!(
        (result.as_str(), reasons),
        ("rejected", vec!["invalid_state".to_string()])
    );
}

/// The mail queued of `kind`, newest first.
async fn bodies(bot: &Engine, kind: &str) -> Vec<String> {
    let mut conn = bot.store.connection().await.expect("reader");
    sqlx::query_scalar("SELECT body FROM outbox WHERE kind = ? ORDER BY id DESC")
        .bind(kind)
        .fetch_all(&mut *conn)
        .await
        .expect("bodies")
}

#[tokio::test]
async fn the_daily_digest_lists_dissatisfaction_and_overdue_requests_and_the_monthly_gives_the_rate()
 {
    let (bot, _dir) = two_closed_items().await;
    run_due(&bot, bj("2026-11-23T10:00:00"))
        .await
        .expect("tick");
    handle(&bot, &fixture("01-outlook-zhcn-dissatisfied.eml")).await;
    // The daily digest of the 24th covers the 23rd, when the customer said 不满意.
    run_due(&bot, bj("2026-11-24T10:00:00"))
        .await
        .expect("tick");
    let daily = bodies(&bot, "daily_digest").await;
    assert!(
        daily[0].contains("客户不满意") && daily[0].contains("导出 Excel 要等 10 分钟"),
        "{}",
        daily[0]
    );
    // 李四 never answers: reminded on Tuesday 1 December, listed as overdue from then on.
    run_due(&bot, bj("2026-12-01T10:00:00"))
        .await
        .expect("tick");
    run_due(&bot, bj("2026-12-02T09:00:00"))
        .await
        .expect("tick");
    let daily = bodies(&bot, "daily_digest").await;
    assert!(
        daily[0].contains("提醒后仍未回复") && daily[0].contains("李四"),
        "the overdue request is listed: {}",
        daily[0]
    );
    let monthly = bodies(&bot, "monthly_digest").await;
    let november = monthly.first().expect("November's monthly digest");
    assert!(
        november.contains("满意度回访（客户满意度考核）") && november.contains("0.0%"),
        "张三's rate of November is in the monthly digest: {november}"
    );
}
