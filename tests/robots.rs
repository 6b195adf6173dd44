//! workflow.md §5 against robots and implausible dates: the bot never talks to a robot, a robot
//! that marks nothing is stopped by the loop breaker, and a mail dated 1900 is dated by its
//! Received header.

mod common;

use common::mail::mail;
use supportbot::engine::{Engine, Handled};
use supportbot::store::{messages, outbox};

const VAGUE: &str = "沟通结果: 成功\r\n项目名称: 星河项目\r\n沟通人: 客户王工\r\n沟通方式: 电话\r\n\
                     沟通的具体问题: 解决了技术问题";

async fn handle(bot: &Engine, raw: &[u8]) -> i64 {
    match bot.handle(raw, common::now()).await.expect("handled") {
        Handled::Recorded { id, .. } => id,
        Handled::Duplicate => panic!("not a duplicate"),
    }
}

async fn replies_to(bot: &Engine, id: i64) -> usize {
    let mut conn = bot.store.connection().await.expect("connection");
    outbox::list(&mut conn, None)
        .await
        .expect("outbox")
        .iter()
        .filter(|o| o.message == Some(id))
        .count()
}

async fn flags(bot: &Engine, id: i64) -> Vec<String> {
    let mut conn = bot.store.connection().await.expect("connection");
    messages::list(&mut conn)
        .await
        .expect("messages")
        .into_iter()
        .find(|m| m.id == id)
        .map(|m| m.flags)
        .unwrap_or_default()
}

/// An out-of-office robot that marks nothing, answering the bot's last mail to it.
fn robot_answer(to_thread: i64, n: usize) -> Vec<u8> {
    mail(
        "张三 <zhangsan@example.com>",
        &format!("Re: [SB-{to_thread}] 已退回：客户沟通-星河项目-张三"),
        "Mon, 16 Nov 2026 10:00:00 +0800",
        &format!("robot-{n}"),
        "您好，我正在休假，11月30日返回，急事请联系李四。",
    )
}

#[tokio::test]
async fn a_robot_that_marks_nothing_gets_one_answer_per_thread_per_day() {
    let (bot, _dir) = common::spawn_bot().await;
    handle(
        &bot,
        &common::mail::initiation("Mon, 2 Nov 2026 09:30:00 +0800"),
    )
    .await;
    let vague = mail(
        "张三 <zhangsan@example.com>",
        "客户沟通-星河项目-张三",
        "Mon, 16 Nov 2026 09:00:00 +0800",
        "vague",
        VAGUE,
    );
    let first = handle(&bot, &vague).await;
    assert_eq!(
        replies_to(&bot, first).await,
        1,
        "the vague report is answered"
    );

    // Round one: the robot's answer looks like a corrected resubmission and gets one answer.
    let mut last = handle(&bot, &robot_answer(first, 1)).await;
    assert_eq!(
        replies_to(&bot, last).await,
        1,
        "one answer on the thread today"
    );
    // Every later round, each on the tag of the bot's latest rejection, is recorded, unanswered.
    for n in 2..6 {
        last = handle(&bot, &robot_answer(last, n)).await;
        assert_eq!(replies_to(&bot, last).await, 0, "round {n} is not answered");
        assert!(
            flags(&bot, last)
                .await
                .contains(&"loop_suspected".to_string())
        );
    }
}

#[tokio::test]
async fn a_robot_marked_by_a_vendor_or_list_header_is_never_answered() {
    let (bot, _dir) = common::spawn_bot().await;
    handle(
        &bot,
        &common::mail::initiation("Mon, 2 Nov 2026 09:30:00 +0800"),
    )
    .await;
    for (n, header) in [
        "X-Autoreply: yes",
        "X-Autorespond: vacation",
        "List-Id: <all.example.com>",
    ]
    .iter()
    .enumerate()
    {
        let mut raw = format!("{header}\r\n").into_bytes();
        raw.extend(mail(
            "张三 <zhangsan@example.com>",
            "客户沟通-星河项目-张三",
            "Mon, 16 Nov 2026 09:00:00 +0800",
            &format!("marked-{n}"),
            VAGUE,
        ));
        let id = handle(&bot, &raw).await;
        assert_eq!(replies_to(&bot, id).await, 0, "{header}");
    }
}

#[tokio::test]
async fn a_complaint_dated_1900_counts_in_the_month_it_was_received() {
    let (bot, _dir) = common::spawn_bot().await;
    handle(
        &bot,
        &common::mail::initiation("Mon, 2 Nov 2026 09:30:00 +0800"),
    )
    .await;
    let mut raw =
        b"Received: from mx.example.com by mail.example.com; Tue, 17 Nov 2026 10:00:00 +0800\r\n"
            .to_vec();
    raw.extend(mail(
        "孙丽 <sunli@example.com>",
        "投诉-星河项目沟通问题",
        "Mon, 1 Jan 1900 00:00:00 +0000",
        "complaint-1900",
        "被投诉人: 张三\r\n情况说明: 现场沟通后没有发汇报邮件",
    ));
    let id = handle(&bot, &raw).await;
    assert!(flags(&bot, id).await.contains(&"date_replaced".to_string()));
    let mut conn = bot.store.connection().await.expect("connection");
    let month: String = sqlx::query_scalar("SELECT month FROM complaints")
        .fetch_one(&mut *conn)
        .await
        .expect("one complaint");
    assert_eq!(month, "2026-11");
}
