//! Nudges before the regulation is broken (queries.md §3), driven by `run_due` at chosen
//! instants as `tick --now` does: each falls due at its moment and not a minute before, goes to
//! the person who must act, carries what they should send, and is queued once per due event —
//! across repeated ticks and a restart. `[nudges]` turns each off.

mod common;

use common::mail::{mail, report};
use common::schedule::{
    bj, fault_lifecycle, initiate_xinghe, tick, urgent_fault_order_on_monday,
    urgent_item_on_friday_evening,
};
use std::sync::Arc;
use supportbot::config::Config;
use supportbot::directory::{Directory, Person, Role};
use supportbot::engine::Engine;
use supportbot::mail::outbound::Queued;
use supportbot::store::outbox;

/// The queued mails of `kind`, with their bodies.
async fn of_kind(bot: &Engine, kind: &str) -> Vec<Queued> {
    let mut conn = bot.store.connection().await.expect("reader");
    let ids: Vec<i64> = outbox::list(&mut conn, None)
        .await
        .expect("outbox")
        .into_iter()
        .filter(|r| r.kind == kind)
        .map(|r| r.id)
        .collect();
    outbox::pending(&mut conn, 0, 10_000)
        .await
        .expect("pending")
        .into_iter()
        .filter(|q| ids.contains(&q.id))
        .collect()
}

async fn bot_with(change: impl FnOnce(&mut Config)) -> (Engine, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = common::config_in(dir.path());
    change(&mut config);
    let bot = Engine::open(Arc::new(config)).await.expect("engine opens");
    (bot, dir)
}

/// 立项 of 星河 with 期望时间 2026-12-10, 第一售前 张三.
fn initiation_expecting(date: &str) -> Vec<u8> {
    mail(
        "孙丽 <sunli@example.com>",
        "立项-星河项目",
        date,
        "init-xinghe-expected",
        "项目名称: 星河项目\r\n责任销售: 孙丽\r\n第一售前: 张三\r\n第二售前: 李四\r\n\
         支持类型: 产品测试\r\n支持内容: 星河银行数据库审计系统 POC 测试\r\n期望时间: 2026-12-10",
    )
}

#[tokio::test]
async fn an_open_item_half_way_to_its_response_deadline_nudges_the_first_presales_once() {
    // Urgent: response due 2 working hours later, Monday 10:00; half of it is gone Friday 18:00.
    let (bot, _dir) = urgent_item_on_friday_evening().await;
    tick(&bot, "2026-11-27T17:59:00").await;
    assert!(of_kind(&bot, "report_nudge").await.is_empty());
    tick(&bot, "2026-11-27T18:00:00").await;
    tick(&bot, "2026-11-28T12:00:00").await;
    let n = of_kind(&bot, "report_nudge").await;
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(n[0].to, vec!["zhangsan@example.com"]);
    assert!(n[0].body.contains("遗留问题"), "{}", n[0].body);
    assert!(
        n[0].body.contains("标题：客户沟通-星河项目-张三"),
        "{}",
        n[0].body
    );
}

#[tokio::test]
async fn a_follow_up_report_before_half_time_spares_the_nudge() {
    let (bot, _dir) = common::spawn_bot().await;
    initiate_xinghe(&bot).await;
    let r = report(
        "星河",
        "Mon, 30 Nov 2026 09:00:00 +0800",
        "r1",
        Some("一般"),
    );
    bot.handle(&r, common::now()).await.expect("report");
    let f = report("星河", "Mon, 30 Nov 2026 11:00:00 +0800", "r2", None);
    bot.handle(&f, common::now()).await.expect("follow-up");
    tick(&bot, "2026-11-30T14:00:00").await;
    assert!(of_kind(&bot, "report_nudge").await.is_empty());
}

#[tokio::test]
async fn the_expected_date_come_without_a_report_nudges_with_a_report_ready_to_send() {
    let (bot, _dir) = common::spawn_bot().await;
    bot.handle(
        &initiation_expecting("Tue, 1 Dec 2026 09:00:00 +0800"),
        common::now(),
    )
    .await
    .expect("立项");
    tick(&bot, "2026-12-09T23:59:00").await;
    assert!(of_kind(&bot, "report_nudge").await.is_empty());
    tick(&bot, "2026-12-10T00:00:00").await;
    let n = of_kind(&bot, "report_nudge").await;
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].to, vec!["zhangsan@example.com"]);
    assert!(n[0].subject.contains("星河项目"), "{}", n[0].subject);
    for line in [
        "标题：客户沟通-星河项目-张三",
        "沟通结果: 成功",
        "项目名称: 星河项目",
        "沟通的具体问题: （请填写",
        "期望时间（2026年12月10日）",
    ] {
        assert!(n[0].body.contains(line), "missing {line}: {}", n[0].body);
    }
}

#[tokio::test]
async fn a_report_before_the_expected_date_spares_the_nudge() {
    let (bot, _dir) = common::spawn_bot().await;
    bot.handle(
        &initiation_expecting("Tue, 1 Dec 2026 09:00:00 +0800"),
        common::now(),
    )
    .await
    .expect("立项");
    let r = report("星河", "Wed, 9 Dec 2026 10:00:00 +0800", "r1", None);
    bot.handle(&r, common::now()).await.expect("report");
    tick(&bot, "2026-12-10T09:00:00").await;
    assert!(of_kind(&bot, "report_nudge").await.is_empty());
}

#[tokio::test]
async fn a_project_with_an_open_item_quiet_for_the_configured_working_days_is_nudged_once_across_a_restart()
 {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = |d: &std::path::Path| {
        let mut c = common::config_in(d);
        c.nudges.report_quiet_working_days = 3;
        Arc::new(c)
    };
    let bot = Engine::open(config(dir.path())).await.expect("engine");
    initiate_xinghe(&bot).await;
    // 一般: the item's own half-time nudge falls on Monday 14:30; quiet for 3 working days
    // from Monday 10:00 is Thursday 10:00.
    let r = report("星河", "Mon, 2 Nov 2026 10:00:00 +0800", "r1", Some("一般"));
    bot.handle(&r, common::now()).await.expect("report");
    tick(&bot, "2026-11-02T15:00:00").await;
    let quiet = |rows: Vec<Queued>| {
        rows.into_iter()
            .filter(|r| r.body.contains("个工作日没有客户沟通报告"))
            .count()
    };
    assert_eq!(of_kind(&bot, "report_nudge").await.len(), 1, "half-time");
    tick(&bot, "2026-11-05T09:59:00").await;
    assert_eq!(quiet(of_kind(&bot, "report_nudge").await), 0);
    tick(&bot, "2026-11-05T10:00:00").await;
    tick(&bot, "2026-11-05T10:05:00").await;
    assert_eq!(quiet(of_kind(&bot, "report_nudge").await), 1);
    bot.store.close().await;
    drop(bot);
    let bot = Engine::open(config(dir.path())).await.expect("reopen");
    tick(&bot, "2026-11-05T11:00:00").await;
    let n = of_kind(&bot, "report_nudge").await;
    assert_eq!(quiet(n.clone()), 1, "once across a restart");
    assert!(n.iter().all(|r| r.to == vec!["zhangsan@example.com"]));
}

#[tokio::test]
async fn report_due_off_sends_no_report_nudge() {
    let (bot, _dir) = bot_with(|c| c.nudges.report_due = false).await;
    bot.handle(
        &initiation_expecting("Tue, 1 Dec 2026 09:00:00 +0800"),
        common::now(),
    )
    .await
    .expect("立项");
    tick(&bot, "2026-12-10T10:00:00").await;
    assert!(of_kind(&bot, "report_nudge").await.is_empty());
}

#[tokio::test]
async fn a_fault_order_waiting_on_the_presales_manager_past_half_its_sla_nudges_them_with_the_reply()
 {
    let (bot, _dir) = common::spawn_bot().await;
    // Urgent: 2 working hours from Monday 10:00; half gone at 11:00.
    urgent_fault_order_on_monday(&bot).await;
    tick(&bot, "2026-11-30T10:59:00").await;
    assert!(of_kind(&bot, "approval_nudge").await.is_empty());
    tick(&bot, "2026-11-30T11:00:00").await;
    tick(&bot, "2026-11-30T11:30:00").await;
    let n = of_kind(&bot, "approval_nudge").await;
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(n[0].to, vec!["wangfang@example.com"]);
    assert!(n[0].subject.starts_with("[SB-"), "{}", n[0].subject);
    assert!(n[0].body.contains("\n\n同意\n"), "{}", n[0].body);
    assert!(n[0].body.contains("驳回: 理由"), "{}", n[0].body);
}

/// The default directory and a second 售前经理, 刘洋.
fn two_presales_managers(c: &mut Config) {
    let mut people = c.directory.people().to_vec();
    people.push(Person {
        name: "刘洋".into(),
        emails: vec!["liuyang@example.com".into()],
        roles: vec![Role::PresalesManager],
    });
    c.directory = Directory::new(people).expect("directory");
}

#[tokio::test]
async fn a_step_any_of_two_managers_may_take_nudges_each_once_in_a_mail_of_their_own() {
    let (bot, _dir) = bot_with(two_presales_managers).await;
    urgent_fault_order_on_monday(&bot).await;
    tick(&bot, "2026-11-30T11:00:00").await;
    tick(&bot, "2026-11-30T11:30:00").await;
    let n = of_kind(&bot, "approval_nudge").await;
    let mut to: Vec<Vec<String>> = n.iter().map(|q| q.to.clone()).collect();
    to.sort();
    assert_eq!(
        to,
        [vec!["liuyang@example.com"], vec!["wangfang@example.com"]],
        "{n:?}"
    );
    assert!(n.iter().all(|q| q.body.contains("\n\n同意\n")), "{n:?}");
}

#[tokio::test]
async fn a_closure_waiting_on_the_proposer_nudges_the_proposer_alone() {
    let (bot, _dir) = bot_with(two_presales_managers).await;
    // 重要 (4 working hours), filed Monday 9 November 09:50; the lead asks to close at 11:05:
    // 张三, who filed it, owes 确认关闭 by 15:05, half of it gone at 13:05.
    for f in [
        "01-initiation.eml",
        "02-fault-order.eml",
        "03-manager-approves.eml",
        "04-rd-manager-assigns.eml",
        "05-lead-asks-to-close.eml",
    ] {
        bot.handle(&fault_lifecycle(f), common::now())
            .await
            .expect("mail");
    }
    tick(&bot, "2026-11-09T13:04:00").await;
    assert!(of_kind(&bot, "approval_nudge").await.is_empty());
    tick(&bot, "2026-11-09T13:05:00").await;
    let n = of_kind(&bot, "approval_nudge").await;
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(n[0].to, vec!["zhangsan@example.com"]);
    assert!(n[0].body.contains("\n\n确认关闭\n"), "{}", n[0].body);
}

#[tokio::test]
async fn a_task_waiting_for_dispatch_past_half_its_time_nudges_the_engineering_manager() {
    let (bot, _dir) = common::spawn_bot().await;
    let raw = std::fs::read(
        common::root().join("tests/fixtures/tasks/01-outlook-zhcn-construction-request-xinghe.eml"),
    )
    .expect("fixture");
    // Filed Monday 30 November 10:00; 派工 due a working day later, half gone at 14:30.
    bot.handle(&raw, bj("2026-11-30T10:00:00"))
        .await
        .expect("任务申请");
    tick(&bot, "2026-11-30T14:29:00").await;
    assert!(of_kind(&bot, "approval_nudge").await.is_empty());
    tick(&bot, "2026-11-30T14:30:00").await;
    let n = of_kind(&bot, "approval_nudge").await;
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(n[0].to, vec!["hejun@example.com"]);
    assert!(n[0].body.contains("派工: 工程师姓名"), "{}", n[0].body);
}

#[tokio::test]
async fn approval_waiting_off_sends_no_approval_nudge() {
    let (bot, _dir) = bot_with(|c| c.nudges.approval_waiting = false).await;
    urgent_fault_order_on_monday(&bot).await;
    tick(&bot, "2026-11-30T11:30:00").await;
    assert!(of_kind(&bot, "approval_nudge").await.is_empty());
}

#[tokio::test]
async fn the_daily_digest_lists_the_nudges_sent_the_day_before() {
    let (bot, _dir) = common::spawn_bot().await;
    urgent_fault_order_on_monday(&bot).await;
    tick(&bot, "2026-11-30T11:00:00").await;
    let nudge = of_kind(&bot, "approval_nudge").await;
    assert_eq!(nudge.len(), 1);
    tick(&bot, "2026-12-01T09:00:00").await;
    let daily = of_kind(&bot, "daily_digest").await;
    let d = daily
        .iter()
        .find(|q| q.subject.contains("2026年11月30日"))
        .expect("the daily digest of 30 November");
    assert!(d.body.contains("【提前提醒"), "{}", d.body);
    assert!(d.body.contains(&nudge[0].subject), "{}", d.body);
    assert!(d.body.contains("王芳"), "{}", d.body);
}
