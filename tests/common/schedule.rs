//! Bots driven at chosen instants, as `tick --now` drives them (tests/schedules.rs,
//! tests/nudges.rs, tests/digest_browser.rs): Beijing times, a tick, and the 星河 story the
//! schedule tests start from.

#![allow(dead_code)]

use super::mail::{initiation, report};
use chrono::{DateTime, Utc};
use supportbot::engine::Engine;
use supportbot::schedule::run_due;

/// Beijing time, `2026-11-30T10:00:00`.
pub fn bj(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{s}+08:00"))
        .expect("test time")
        .with_timezone(&Utc)
}

/// `run_due` at Beijing time `at`.
pub async fn tick(bot: &Engine, at: &str) {
    run_due(bot, bj(at)).await.expect("tick");
}

/// 星河 initiated by 孙丽 on Monday 2 November 09:00 (第一售前 张三, 第二售前 李四), on `bot`.
pub async fn initiate_xinghe(bot: &Engine) {
    bot.handle(&initiation("Mon, 2 Nov 2026 09:00:00 +0800"), super::now())
        .await
        .expect("立项");
}

/// 星河 initiated; 张三 reports an urgent open item on Friday 27 November 17:00.
pub async fn urgent_item_on_friday_evening() -> (Engine, tempfile::TempDir) {
    let (bot, dir) = super::spawn_bot().await;
    initiate_xinghe(&bot).await;
    let r = report(
        "星河",
        "Fri, 27 Nov 2026 17:00:00 +0800",
        "r1",
        Some("紧急"),
    );
    bot.handle(&r, super::now()).await.expect("report");
    (bot, dir)
}

/// A mail of the fault-order thread fixture (tests/fixtures/threads/fault-lifecycle): 星河's
/// 立项, a 重要 order filed Monday 9 November 09:50 by 张三, then each step of its life.
pub fn fault_lifecycle(name: &str) -> Vec<u8> {
    std::fs::read(
        super::root()
            .join("tests/fixtures/threads/fault-lifecycle")
            .join(name),
    )
    .expect("fixture")
}

/// 星河 initiated; 张三 files an urgent fault order on Monday 30 November 10:00, waiting for
/// the presales manager's 同意 (2 working hours: half of it gone at 11:00).
pub async fn urgent_fault_order_on_monday(bot: &Engine) {
    initiate_xinghe(bot).await;
    bot.handle(
        &super::mail::fault_order("Mon, 30 Nov 2026 10:00:00 +0800"),
        super::now(),
    )
    .await
    .expect("故障处理");
}
