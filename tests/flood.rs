//! Nobody is flooded (workflow.md §5 "Floods anyone"): replies to incoming mail are capped per
//! recipient, counted by the handling time; past the cap they are recorded `suppressed` and the
//! admins are told once per recipient per day. Notices owed under the regulation are not capped.

mod common;

use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use supportbot::config::Config;
use supportbot::engine::Engine;
use supportbot::report;

/// The default config (its admin is admin@example.com) with `[limits]` of `hour` and `day`.
async fn bot_with_cap(hour: u32, day: u32) -> (Engine, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = std::fs::read_to_string(common::root().join("config/default.toml"))
        .expect("config/default.toml");
    text += &format!(
        "\n[limits]\nreplies_per_recipient_hour = {hour}\nreplies_per_recipient_day = {day}\n"
    );
    let mut config = Config::from_toml(&text).expect("config with limits is valid");
    config.database_path = dir.path().join("supportbot.db");
    let engine = Engine::open(Arc::new(config)).await.expect("engine opens");
    (engine, dir)
}

/// A vague report by 张三 (rejected, 第十五条): each one earns him a rejection.
fn vague_report(n: usize) -> Vec<u8> {
    common::mail::mail(
        "张三 <zhangsan@example.com>",
        "客户沟通-星河项目-张三",
        "Thu, 03 Dec 2026 10:00:00 +0800",
        &format!("vague-{n}"),
        "沟通结果: 成功\r\n项目名称: 星河项目\r\n沟通人: 客户王工\r\n沟通方式: 电话\r\n\
         沟通的具体问题: 解决了技术问题\r\n责任销售: 孙丽\r\n",
    )
}

async fn outbox(
    engine: &Engine,
    status: Option<&str>,
) -> Vec<supportbot::store::outbox::OutboxRow> {
    let mut conn = engine.store.connection().await.expect("connection");
    report::outbox(&mut conn, status).await.expect("outbox")
}

fn to_zhangsan(rows: &[supportbot::store::outbox::OutboxRow]) -> usize {
    rows.iter()
        .filter(|r| r.kind == "rejection" && r.to.iter().any(|a| a == "zhangsan@example.com"))
        .count()
}

async fn send_reports(engine: &Engine, from: usize, count: usize, now: DateTime<Utc>) {
    for n in from..from + count {
        engine.handle(&vague_report(n), now).await.expect("handled");
    }
}

#[tokio::test]
async fn replies_past_the_hourly_cap_are_suppressed_and_the_admins_are_told_once() {
    let (engine, _dir) = bot_with_cap(3, 100).await;
    send_reports(&engine, 0, 8, common::now()).await;
    assert_eq!(to_zhangsan(&outbox(&engine, Some("pending")).await), 3);
    assert_eq!(to_zhangsan(&outbox(&engine, Some("suppressed")).await), 5);
    let alerts: Vec<_> = outbox(&engine, None)
        .await
        .into_iter()
        .filter(|r| r.kind == "admin_alert")
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].to, vec!["admin@example.com".to_string()]);
    assert!(alerts[0].subject.contains("zhangsan@example.com"));
}

#[tokio::test]
async fn an_hour_after_the_cap_was_reached_replies_are_sent_again() {
    let (engine, _dir) = bot_with_cap(2, 100).await;
    let t0 = common::now();
    send_reports(&engine, 0, 3, t0).await;
    send_reports(&engine, 3, 1, t0 + Duration::minutes(59)).await;
    assert_eq!(to_zhangsan(&outbox(&engine, Some("pending")).await), 2);
    send_reports(&engine, 4, 3, t0 + Duration::minutes(61)).await;
    assert_eq!(to_zhangsan(&outbox(&engine, Some("pending")).await), 4);
    assert_eq!(to_zhangsan(&outbox(&engine, Some("suppressed")).await), 3);
}

#[tokio::test]
async fn the_daily_cap_holds_across_hours_and_the_alert_comes_once_a_day() {
    let (engine, _dir) = bot_with_cap(100, 3).await;
    let t0 = common::now();
    for h in 0..6 {
        send_reports(&engine, h, 1, t0 + Duration::hours(h as i64 * 2)).await;
    }
    assert_eq!(to_zhangsan(&outbox(&engine, Some("pending")).await), 3);
    assert_eq!(to_zhangsan(&outbox(&engine, Some("suppressed")).await), 3);
    // Two days later the window is empty again, and a new day's alert may come.
    send_reports(&engine, 10, 4, t0 + Duration::days(2)).await;
    assert_eq!(to_zhangsan(&outbox(&engine, Some("pending")).await), 6);
    let alerts = outbox(&engine, None)
        .await
        .into_iter()
        .filter(|r| r.kind == "admin_alert")
        .count();
    assert_eq!(alerts, 2);
}

#[tokio::test]
async fn the_cap_is_counted_per_recipient() {
    let (engine, _dir) = bot_with_cap(2, 100).await;
    let now = common::now();
    send_reports(&engine, 0, 3, now).await;
    let from_lisi = common::mail::mail(
        "李四 <lisi@example.com>",
        "客户沟通-星河项目-李四",
        "Thu, 03 Dec 2026 10:00:00 +0800",
        "lisi-vague",
        "沟通结果: 成功\r\n项目名称: 星河项目\r\n沟通人: 客户王工\r\n沟通方式: 电话\r\n\
         沟通的具体问题: 解决了技术问题\r\n责任销售: 孙丽\r\n",
    );
    engine.handle(&from_lisi, now).await.expect("handled");
    let pending = outbox(&engine, Some("pending")).await;
    assert!(
        pending
            .iter()
            .any(|r| r.kind == "rejection" && r.to == vec!["lisi@example.com".to_string()]),
        "{pending:?}"
    );
}

#[tokio::test]
async fn counting_replies_uses_the_recipient_index_not_a_scan() {
    let (engine, _dir) = bot_with_cap(20, 100).await;
    let mut conn = engine.store.connection().await.expect("connection");
    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "EXPLAIN QUERY PLAN SELECT count(*) FROM reply_log
         WHERE recipient = ? AND queued_at > ? AND queued_at <= ?",
    )
    .bind("a@example.com")
    .bind("2026-12-01T00:00:00Z")
    .bind("2026-12-02T00:00:00Z")
    .fetch_all(&mut *conn)
    .await
    .expect("plan");
    let detail: Vec<&str> = plan.iter().map(|p| p.3.as_str()).collect();
    assert!(
        detail
            .iter()
            .any(|d| d.contains("USING COVERING INDEX reply_log_recipient")),
        "{detail:?}"
    );
    assert!(!detail.iter().any(|d| d.starts_with("SCAN")), "{detail:?}");
}
