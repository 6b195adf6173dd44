//! The regulation's workflow items and thread commands (issue 3), one test per article.
//!
//! Each test plays one scenario of tests/fixtures/threads/<scenario>/ — real `.eml` files made by
//! `make_threads.py` — in file-name order into a fresh bot, and checks what the regulation says:
//! outcome and reasons, who was written to, and the item's state in the store. A mail's row id
//! is its position in the folder (01 → 1), which is also the n of an `[SB-n]` tag.

mod common;

use std::collections::BTreeSet;
use supportbot::engine::{Engine, Handled};
use supportbot::report;
use supportbot::rules::{FaultOrder, FaultState, OpenItemRef};
use supportbot::store::{items, outbox};

/// One mail as the engine recorded it.
#[derive(Debug, Clone, Copy)]
struct Recorded {
    id: i64,
    kind: &'static str,
    outcome: &'static str,
}

/// A mail the bot queued, with people's names in place of addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sent {
    kind: String,
    to: BTreeSet<String>,
    cc: BTreeSet<String>,
    body: String,
}

impl Sent {
    /// Everyone it reaches, To and Cc.
    fn reaches(&self) -> BTreeSet<String> {
        self.to.union(&self.cc).cloned().collect()
    }
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A fresh bot and the mails of one scenario, fed one at a time.
struct Bot {
    engine: Engine,
    _dir: tempfile::TempDir,
    mails: Vec<(String, Vec<u8>)>,
    next: usize,
}

impl Bot {
    async fn scenario(folder: &str) -> Bot {
        let dir = common::root().join("tests/fixtures/threads").join(folder);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("scenario folder {}: {e}", dir.display()))
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".eml"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "scenario {folder} has mails");
        let mails = files
            .into_iter()
            .map(|n| {
                let raw = std::fs::read(dir.join(&n)).expect("read eml");
                (n, raw)
            })
            .collect();
        let (engine, dir) = common::spawn_bot().await;
        Bot {
            engine,
            _dir: dir,
            mails,
            next: 0,
        }
    }

    /// Feeds the next mail of the scenario.
    async fn feed(&mut self) -> Recorded {
        let (name, raw) = self.mails.get(self.next).expect("a mail left to feed");
        self.next += 1;
        match self.engine.handle(raw, common::now()).await {
            Ok(Handled::Recorded {
                id, kind, outcome, ..
            }) => {
                assert_eq!(id as usize, self.next, "{name} is row {}", self.next);
                Recorded { id, kind, outcome }
            }
            Ok(Handled::Duplicate) => panic!("{name} was taken for a duplicate"),
            Err(e) => panic!("{name} failed the engine: {e:#}"),
        }
    }

    /// Feeds every mail up to and including number `n` (1-based); returns the last.
    async fn feed_to(&mut self, n: usize) -> Recorded {
        let mut last = None;
        while self.next < n {
            last = Some(self.feed().await);
        }
        last.expect("at least one mail fed")
    }

    /// Feeds every remaining mail but the last.
    async fn feed_all_but_last(&mut self) {
        let n = self.mails.len() - 1;
        self.feed_to(n).await;
    }

    async fn conn(&self) -> sqlx::pool::PoolConnection<sqlx::Sqlite> {
        self.engine.store.connection().await.expect("reader")
    }

    fn name_of(&self, address: &str) -> String {
        self.engine
            .config
            .directory
            .by_email(address)
            .map_or_else(|| address.to_string(), |p| p.name.clone())
    }

    /// The `report messages` row of mail `id`.
    async fn message(&self, id: i64) -> serde_json::Value {
        let rows = report::messages_json(&mut *self.conn().await)
            .await
            .expect("messages");
        rows.into_iter()
            .find(|r| r["id"] == id)
            .expect("recorded row")
    }

    async fn reasons(&self, id: i64) -> BTreeSet<String> {
        strings(&self.message(id).await["reasons"])
    }

    async fn flags(&self, id: i64) -> BTreeSet<String> {
        strings(&self.message(id).await["flags"])
    }

    /// What mail `id` made the bot send, in queue order.
    async fn sent(&self, id: i64) -> Vec<Sent> {
        let mut conn = self.conn().await;
        let rows = outbox::list(&mut conn, None).await.expect("outbox");
        let mut out = Vec::new();
        for row in rows.into_iter().filter(|o| o.message == Some(id)) {
            let body: String = sqlx::query_scalar("SELECT body FROM outbox WHERE id = ?")
                .bind(row.id)
                .fetch_one(&mut *conn)
                .await
                .expect("outbox body");
            out.push(Sent {
                kind: row.kind,
                to: row.to.iter().map(|a| self.name_of(a)).collect(),
                cc: row.cc.iter().map(|a| self.name_of(a)).collect(),
                body,
            });
        }
        out
    }

    /// The only mail `id` made the bot send.
    async fn sent_one(&self, id: i64) -> Sent {
        let mut sent = self.sent(id).await;
        assert_eq!(sent.len(), 1, "mail {id} sends exactly one mail: {sent:?}");
        sent.remove(0)
    }

    /// Everyone the mails caused by `id` reach.
    async fn told(&self, id: i64) -> BTreeSet<String> {
        self.sent(id).await.iter().flat_map(Sent::reaches).collect()
    }

    async fn fault(&self, thread: i64) -> FaultOrder {
        items::fault_by_thread(&mut *self.conn().await, thread)
            .await
            .expect("query")
            .unwrap_or_else(|| panic!("a fault order on thread {thread}"))
    }

    async fn open_item(&self, thread: i64) -> OpenItemRef {
        items::open_item_by_thread(&mut *self.conn().await, thread)
            .await
            .expect("query")
            .unwrap_or_else(|| panic!("an open item on thread {thread}"))
    }

    async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&mut *self.conn().await)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn history(&self, item_kind: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM item_history WHERE item_kind = ?")
            .bind(item_kind)
            .fetch_one(&mut *self.conn().await)
            .await
            .expect("history")
    }

    /// (message, number) of every improvement request of `project`, by number.
    async fn improvement_numbers(&self, project: &str) -> Vec<(i64, i64)> {
        sqlx::query_as(
            "SELECT message, number FROM improvement_requests WHERE project = ? ORDER BY number",
        )
        .bind(project)
        .fetch_all(&mut *self.conn().await)
        .await
        .expect("improvement requests")
    }

    /// `report tally` month count of `name` in 2026-11 (0 when not listed).
    async fn complaints_this_month(&self, name: &str) -> i64 {
        report::tally(&self.engine.config, &mut *self.conn().await, "2026-11")
            .await
            .expect("tally")
            .into_iter()
            .find(|l| l.name == name)
            .map_or(0, |l| l.month_count)
    }
}

fn strings(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn accepted(r: Recorded, kind: &str) {
    assert_eq!((r.kind, r.outcome), (kind, "accepted"), "mail {}", r.id);
}

// ---------------------------------------------------------------------------------------------
// 第十九条–第二十一条: 产品改进申请单

#[tokio::test]
async fn improvement_requests_are_numbered_per_project_and_a_presales_third_is_refused() {
    let mut bot = Bot::scenario("improvement-numbering").await;
    accepted(bot.feed().await, "initiation");
    let first = bot.feed().await;
    accepted(first, "improvement_request");
    let ack = bot.sent_one(first.id).await;
    assert_eq!((ack.kind.as_str(), ack.to), ("ack", names(&["张三"])));
    accepted(bot.feed().await, "improvement_request");

    let third = bot.feed().await;
    assert_eq!(
        (third.kind, third.outcome),
        ("improvement_request", "rejected")
    );
    assert_eq!(bot.reasons(third.id).await, names(&["limit_exceeded"]));
    let refusal = bot.sent_one(third.id).await;
    assert_eq!(
        (refusal.kind.as_str(), &refusal.to),
        ("rejection", &names(&["张三"]))
    );
    assert!(
        refusal.body.contains("第二十一条"),
        "the refusal cites 第二十一条: {}",
        refusal.body
    );

    let by_manager = bot.feed().await;
    accepted(by_manager, "improvement_request");
    assert_eq!(
        bot.improvement_numbers("星河").await,
        vec![(2, 1), (3, 2), (5, 3)],
        "the refused third took no number; the manager's request is number 3"
    );

    accepted(bot.feed().await, "initiation");
    accepted(bot.feed().await, "improvement_request");
    assert_eq!(
        bot.improvement_numbers("蓝海").await,
        vec![(7, 1)],
        "another project counts from 1"
    );
}

#[tokio::test]
async fn the_presales_manager_files_the_third_improvement_request() {
    let mut bot = Bot::scenario("improvement-manager-third").await;
    bot.feed_all_but_last().await;
    let third = bot.feed().await;
    accepted(third, "improvement_request");
    assert_eq!(
        bot.improvement_numbers("星河").await,
        vec![(2, 1), (3, 2), (4, 3)]
    );
    let ack = bot.sent_one(third.id).await;
    assert_eq!((ack.kind.as_str(), ack.to), ("ack", names(&["王芳"])));
    assert!(
        ack.body.contains("第3号"),
        "the ack gives the number: {}",
        ack.body
    );
}

#[tokio::test]
async fn an_improvement_request_from_a_presales_not_on_the_project_is_not_authorized() {
    let mut bot = Bot::scenario("improvement-presales-not-on-project").await;
    let r = bot.feed_to(2).await;
    assert_eq!((r.kind, r.outcome), ("improvement_request", "rejected"));
    assert_eq!(bot.reasons(r.id).await, names(&["not_authorized"]));
    let refusal = bot.sent_one(r.id).await;
    assert_eq!(
        (refusal.kind.as_str(), refusal.to),
        ("rejection", names(&["王五"]))
    );
    assert!(bot.improvement_numbers("星河").await.is_empty());
}

#[tokio::test]
async fn an_improvement_request_for_a_project_with_no_initiation_is_refused() {
    let mut bot = Bot::scenario("improvement-no-initiation").await;
    let r = bot.feed().await;
    assert_eq!((r.kind, r.outcome), ("improvement_request", "rejected"));
    assert_eq!(bot.reasons(r.id).await, names(&["unknown_project"]));
    let refusal = bot.sent_one(r.id).await;
    assert_eq!(
        (refusal.kind.as_str(), refusal.to),
        ("rejection", names(&["张三"]))
    );
    assert_eq!(
        bot.count("SELECT count(*) FROM improvement_requests").await,
        0
    );
}

// ---------------------------------------------------------------------------------------------
// 第二十二条: R&D time

#[tokio::test]
async fn rd_time_over_a_working_week_tells_the_sales_once() {
    let mut bot = Bot::scenario("rd-time-over-a-week").await;
    bot.feed_to(3).await;

    // 3 days on request no. 1, by the [SB-2] tag: 24 h, under a working week.
    let tagged = bot.feed().await;
    accepted(tagged, "thread_command");
    let sent = bot.sent(tagged.id).await;
    assert_eq!(
        sent.iter().map(|s| s.kind.as_str()).collect::<Vec<_>>(),
        vec!["ack"]
    );
    assert_eq!(sent[0].to, names(&["冯磊"]));

    // 3 more days on request no. 2, by In-Reply-To: 48 h > 40 h → one notice.
    let crossing = bot.feed().await;
    accepted(crossing, "thread_command");
    let sent = bot.sent(crossing.id).await;
    let notices: Vec<&Sent> = sent.iter().filter(|s| s.kind == "rd_cost_notice").collect();
    assert_eq!(notices.len(), 1, "one rd_cost_notice: {sent:?}");
    assert_eq!(
        notices[0].to,
        names(&["孙丽", "吴敏"]),
        "to the 责任销售 and the sales head"
    );
    assert!(
        sent.iter()
            .any(|s| s.kind == "ack" && s.to == names(&["冯磊"]))
    );

    // 4 more hours: recorded, no second notice.
    let more = bot.feed().await;
    accepted(more, "thread_command");
    let sent = bot.sent(more.id).await;
    assert!(
        sent.iter().all(|s| s.kind != "rd_cost_notice"),
        "no second notice: {sent:?}"
    );
    assert_eq!(
        bot.count("SELECT CAST(sum(hours) AS INTEGER) FROM rd_time")
            .await,
        52
    );
    assert_eq!(
        bot.count("SELECT count(*) FROM outbox WHERE kind = 'rd_cost_notice'")
            .await,
        1
    );
}

#[tokio::test]
async fn rd_time_from_a_presales_is_not_authorized() {
    let mut bot = Bot::scenario("rd-time-from-presales").await;
    let r = bot.feed_to(3).await;
    assert_eq!((r.kind, r.outcome), ("thread_command", "rejected"));
    assert_eq!(bot.reasons(r.id).await, names(&["not_authorized"]));
    let refusal = bot.sent_one(r.id).await;
    assert_eq!(
        (refusal.kind.as_str(), refusal.to),
        ("rejection", names(&["张三"]))
    );
    assert_eq!(bot.count("SELECT count(*) FROM rd_time").await, 0);
}

// ---------------------------------------------------------------------------------------------
// 第四十四条: what a fault order must carry

#[tokio::test]
async fn a_fault_order_names_each_missing_environment_steps_symptom_and_log() {
    let mut bot = Bot::scenario("fault-missing-fields").await;
    let r = bot.feed_to(2).await;
    assert_eq!((r.kind, r.outcome), ("fault_order", "rejected"));
    assert_eq!(
        bot.reasons(r.id).await,
        names(&[
            "missing_field:环境",
            "missing_field:操作过程",
            "missing_field:现象",
            "missing_field:日志",
        ])
    );
    let refusal = bot.sent_one(r.id).await;
    assert_eq!(
        (refusal.kind.as_str(), &refusal.to),
        ("rejection", &names(&["张三"]))
    );
    for field in ["「环境」", "「操作过程」", "「现象」", "「日志」"] {
        assert!(
            refusal.body.contains(field),
            "the rejection names {field}: {}",
            refusal.body
        );
    }
    assert_eq!(bot.count("SELECT count(*) FROM fault_orders").await, 0);
}

#[tokio::test]
async fn a_fault_order_tried_only_twice_and_not_severe_is_refused() {
    let mut bot = Bot::scenario("fault-two-tries").await;
    let r = bot.feed_to(2).await;
    assert_eq!((r.kind, r.outcome), ("fault_order", "rejected"));
    assert_eq!(bot.reasons(r.id).await, names(&["invalid_value:尝试次数"]));
    let refusal = bot.sent_one(r.id).await;
    assert_eq!(refusal.kind, "rejection");
    assert!(refusal.body.contains("严重"), "{}", refusal.body);
    assert_eq!(bot.count("SELECT count(*) FROM fault_orders").await, 0);
}

#[tokio::test]
async fn a_fault_order_with_its_log_attached_instead_of_written_is_accepted() {
    let mut bot = Bot::scenario("fault-log-attached").await;
    let r = bot.feed_to(2).await;
    accepted(r, "fault_order");
    assert!(bot.reasons(r.id).await.is_empty());
    let order = bot.fault(r.id).await;
    assert_eq!(order.state, FaultState::PendingApproval);
    assert_eq!(order.proposer, "张三");
    assert_eq!(
        bot.told(r.id).await,
        names(&["张三", "王芳"]),
        "the proposer and the presales manager who must approve"
    );
}

// ---------------------------------------------------------------------------------------------
// 第四十四条–第四十七条: the fault order's state machine

#[tokio::test]
async fn a_fault_order_is_approved_assigned_sent_back_and_closed_by_the_entitled_people() {
    let mut bot = Bot::scenario("fault-lifecycle").await;
    accepted(bot.feed().await, "initiation");
    let filed = bot.feed().await;
    accepted(filed, "fault_order");
    let thread = filed.id;
    assert_eq!(bot.fault(thread).await.state, FaultState::PendingApproval);
    assert_eq!(bot.told(filed.id).await, names(&["张三", "王芳"]));

    // Each following mail: (new state, lead, everyone who must hear of it).
    let steps: [(FaultState, Option<&str>, &[&str]); 6] = [
        // 王芳 同意 → the R&D manager's turn
        (FaultState::WithRdManager, None, &["王芳", "张三", "郑浩"]),
        // 郑浩 分配：冯磊 → the lead's turn
        (
            FaultState::Assigned,
            Some("冯磊"),
            &["郑浩", "张三", "冯磊"],
        ),
        // 冯磊 申请关闭 → the proposer's turn
        (
            FaultState::ClosureRequested,
            Some("冯磊"),
            &["冯磊", "张三"],
        ),
        // 张三 未解决 → back to the lead
        (FaultState::Assigned, Some("冯磊"), &["张三", "冯磊"]),
        // 冯磊 申请关闭 again
        (
            FaultState::ClosureRequested,
            Some("冯磊"),
            &["冯磊", "张三"],
        ),
        // 张三 确认关闭 → closed; both managers are told (issue 19)
        (
            FaultState::Closed,
            Some("冯磊"),
            &["张三", "冯磊", "王芳", "郑浩"],
        ),
    ];
    for (state, lead, concerned) in steps {
        let r = bot.feed().await;
        accepted(r, "thread_command");
        let order = bot.fault(thread).await;
        assert_eq!(order.state, state, "after mail {}", r.id);
        assert_eq!(order.lead.as_deref(), lead, "after mail {}", r.id);
        let sent = bot.sent(r.id).await;
        assert!(
            !sent.is_empty() && sent.iter().all(|s| s.kind == "ack"),
            "mail {} is acknowledged: {sent:?}",
            r.id
        );
        assert_eq!(
            bot.told(r.id).await,
            names(concerned),
            "after mail {}",
            r.id
        );
    }

    assert_eq!(bot.history("fault_order").await, 7, "filing + six moves");
    let moves: Vec<String> = sqlx::query_scalar(
        "SELECT to_state FROM item_history WHERE item_kind = 'fault_order' ORDER BY id",
    )
    .fetch_all(&mut *bot.conn().await)
    .await
    .expect("history");
    assert_eq!(
        moves,
        [
            "pending_approval",
            "with_rd_manager",
            "assigned",
            "closure_requested",
            "assigned",
            "closure_requested",
            "closed"
        ]
    );
}

#[tokio::test]
async fn the_rd_manager_rejects_a_fault_order_and_the_proposer_is_told_why() {
    let mut bot = Bot::scenario("fault-rd-manager-rejects").await;
    bot.feed_all_but_last().await;
    let r = bot.feed().await;
    accepted(r, "thread_command");
    assert_eq!(bot.fault(2).await.state, FaultState::Rejected);
    let sent = bot.sent(r.id).await;
    let to_proposer: Vec<&Sent> = sent.iter().filter(|s| s.to.contains("张三")).collect();
    assert_eq!(to_proposer.len(), 1, "the proposer is written to: {sent:?}");
    assert!(
        to_proposer[0].body.contains("KB-1021 调大 HA 心跳超时"),
        "with the reason: {}",
        to_proposer[0].body
    );
    let note: Option<String> = sqlx::query_scalar(
        "SELECT note FROM item_history WHERE item_kind = 'fault_order' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&mut *bot.conn().await)
    .await
    .expect("history");
    assert!(
        note.is_some_and(|n| n.contains("KB-1021")),
        "the reason is kept"
    );
}

#[tokio::test]
async fn a_fault_order_is_converted_to_custom_work_when_the_proposer_agrees() {
    let mut bot = Bot::scenario("fault-converted").await;
    bot.feed_to(4).await;
    assert_eq!(bot.fault(2).await.state, FaultState::Assigned);

    let proposed = bot.feed().await;
    accepted(proposed, "thread_command");
    let order = bot.fault(2).await;
    assert_eq!(
        (order.state, order.conversion_proposed),
        (FaultState::Assigned, true),
        "转定制 by the lead waits for the proposer"
    );
    assert!(bot.told(proposed.id).await.contains("张三"));

    let agreed = bot.feed().await;
    accepted(agreed, "thread_command");
    assert_eq!(bot.fault(2).await.state, FaultState::Converted);
    assert!(bot.told(agreed.id).await.contains("冯磊"));
    assert_eq!(bot.history("fault_order").await, 5);
}

/// Plays a scenario whose last mail is a command the sender may not give, or not now: it is
/// rejected with `reason` to the sender alone and the order and its history stay as they were.
async fn the_last_command_changes_nothing(folder: &str, reason: &str, sender: &str) {
    let mut bot = Bot::scenario(folder).await;
    bot.feed_all_but_last().await;
    let before = bot.fault(2).await;
    let history = bot.history("fault_order").await;

    let r = bot.feed().await;
    assert_eq!((r.kind, r.outcome), ("thread_command", "rejected"));
    assert_eq!(bot.reasons(r.id).await, names(&[reason]));
    let refusal = bot.sent_one(r.id).await;
    assert_eq!(
        (refusal.kind.as_str(), &refusal.to, refusal.cc.len()),
        ("rejection", &names(&[sender]), 0),
        "one rejection, to the sender only"
    );
    assert_eq!(bot.fault(2).await, before, "the order did not move");
    assert_eq!(bot.history("fault_order").await, history, "no history line");
}

#[tokio::test]
async fn a_presales_cannot_approve_a_fault_order() {
    the_last_command_changes_nothing("fault-presales-approves", "not_authorized", "张三").await;
}

#[tokio::test]
async fn the_rd_manager_cannot_approve_in_place_of_the_presales_manager() {
    the_last_command_changes_nothing("fault-rd-manager-approves-early", "not_authorized", "郑浩")
        .await;
}

#[tokio::test]
async fn a_fault_order_is_assigned_only_to_an_rd_person() {
    the_last_command_changes_nothing("fault-assign-non-rd", "invalid_value:分配", "郑浩").await;
}

#[tokio::test]
async fn only_the_rd_lead_asks_to_close_a_fault_order() {
    the_last_command_changes_nothing("fault-closure-by-non-lead", "not_authorized", "张三").await;
}

#[tokio::test]
async fn only_the_proposer_confirms_closure() {
    the_last_command_changes_nothing("fault-confirm-by-non-proposer", "not_authorized", "冯磊")
        .await;
}

#[tokio::test]
async fn closure_cannot_be_confirmed_while_the_order_is_still_assigned() {
    the_last_command_changes_nothing("fault-confirm-while-assigned", "invalid_state", "张三").await;
}

#[tokio::test]
async fn a_closed_fault_order_takes_no_more_commands() {
    the_last_command_changes_nothing("fault-command-on-closed", "invalid_state", "张三").await;
}

/// Issue 3 §1: "A reply to any mail the bot sent … is matched to its item". 郑浩 answers the
/// bot's acknowledgement of 王芳's 同意 (tagged `[SB-3]`, In-Reply-To its Message-ID).
#[tokio::test]
async fn a_reply_to_the_bots_acknowledgement_of_a_move_reaches_the_same_order() {
    let mut bot = Bot::scenario("fault-reply-to-bot-ack").await;
    bot.feed_to(3).await;
    assert_eq!(bot.fault(2).await.state, FaultState::WithRdManager);
    let r = bot.feed().await;
    accepted(r, "thread_command");
    let order = bot.fault(2).await;
    assert_eq!(
        (order.state, order.lead.as_deref()),
        (FaultState::Assigned, Some("冯磊"))
    );
}

// ---------------------------------------------------------------------------------------------
// 第十七条: open items

#[tokio::test]
async fn an_open_item_closes_only_when_named_and_the_ack_asks_its_engineer_about_it() {
    let mut bot = Bot::scenario("open-item-closed-only-when-named").await;
    let left = bot.feed_to(2).await;
    accepted(left, "report");
    assert!(bot.open_item(left.id).await.open, "问题遗留 opens an item");

    accepted(bot.feed().await, "report");
    assert!(
        bot.open_item(left.id).await.open,
        "another engineer's 成功 report never closes 张三's item"
    );

    let unnamed = bot.feed().await;
    accepted(unnamed, "report");
    assert!(
        bot.open_item(left.id).await.open,
        "a 成功 report that names no item closes nothing"
    );
    let ack = bot.sent_one(unnamed.id).await;
    assert!(
        ack.body
            .contains("该项目还有遗留问题 #2 未关闭，已解决请回复「已解决」"),
        "the ack asks about the engineer's one open item: {}",
        ack.body
    );

    accepted(bot.feed().await, "thread_command");
    assert!(
        !bot.open_item(left.id).await.open,
        "「已解决」 on that ack closed it"
    );
    assert_eq!(bot.history("open_item").await, 2, "opened and closed");
}

#[tokio::test]
async fn with_two_open_items_a_success_report_closes_only_the_one_it_names() {
    let mut bot = Bot::scenario("open-item-named-by-number").await;
    bot.feed_to(3).await;
    assert!(bot.open_item(2).await.open && bot.open_item(3).await.open);

    accepted(bot.feed().await, "report");
    assert!(
        bot.open_item(2).await.open && bot.open_item(3).await.open,
        "a 成功 report naming no item closes neither of two"
    );

    accepted(bot.feed().await, "report");
    assert!(!bot.open_item(3).await.open, "#3 is closed");
    assert!(bot.open_item(2).await.open, "the other stays open");
}

#[tokio::test]
async fn the_engineer_closes_an_open_item_with_solved_on_its_thread_and_nobody_else_can() {
    let mut bot = Bot::scenario("open-item-solved-on-thread").await;
    bot.feed_to(2).await;

    let by_other = bot.feed().await;
    assert_eq!(
        (by_other.kind, by_other.outcome),
        ("thread_command", "rejected")
    );
    assert_eq!(bot.reasons(by_other.id).await, names(&["not_authorized"]));
    let refusal = bot.sent_one(by_other.id).await;
    assert_eq!(
        (refusal.kind.as_str(), refusal.to),
        ("rejection", names(&["李四"]))
    );
    assert!(bot.open_item(2).await.open, "李四 changed nothing");

    let by_engineer = bot.feed().await;
    accepted(by_engineer, "thread_command");
    assert!(!bot.open_item(2).await.open, "张三's 已解决 closed it");
    let ack = bot.sent_one(by_engineer.id).await;
    assert_eq!((ack.kind.as_str(), ack.to), ("ack", names(&["张三"])));
    assert_eq!(bot.history("open_item").await, 2, "opened and closed");
}

// ---------------------------------------------------------------------------------------------
// 第八条: internal bug feedback

#[tokio::test]
async fn bug_feedback_missing_the_test_group_and_a_presales_is_forwarded_to_them() {
    let mut bot = Bot::scenario("bug-feedback-missing-recipients").await;
    let r = bot.feed().await;
    accepted(r, "bug_feedback");
    let mut sent = bot.sent(r.id).await;
    sent.sort_by(|a, b| a.kind.cmp(&b.kind));
    assert_eq!(
        sent.iter()
            .map(|s| (s.kind.as_str(), s.to.clone()))
            .collect::<Vec<_>>(),
        vec![
            ("forward", names(&["陈静", "王五"])),
            ("missing_recipients", names(&["冯磊"])),
        ]
    );
    let listing = &sent[1].body;
    assert!(
        listing.contains("陈静") && listing.contains("王五") && !listing.contains("李四"),
        "lists exactly who was left out: {listing}"
    );
    assert_eq!(
        bot.count("SELECT count(*) FROM bug_reports").await,
        1,
        "recorded"
    );
}

#[tokio::test]
async fn bug_feedback_to_the_test_group_copying_every_presales_sends_nothing() {
    let mut bot = Bot::scenario("bug-feedback-complete").await;
    let r = bot.feed().await;
    accepted(r, "bug_feedback");
    assert_eq!(bot.sent(r.id).await, Vec::<Sent>::new());
    assert_eq!(
        bot.count("SELECT count(*) FROM bug_reports WHERE missing = '[]'")
            .await,
        1
    );
}

// ---------------------------------------------------------------------------------------------
// 第四条: reports by a presales not assigned to the project

#[tokio::test]
async fn a_report_from_a_presales_not_assigned_to_the_project_is_accepted_and_flagged() {
    let mut bot = Bot::scenario("report-not-assigned").await;
    let by_wangwu = bot.feed_to(2).await;
    accepted(by_wangwu, "report");
    assert_eq!(bot.flags(by_wangwu.id).await, names(&["not_assigned"]));

    let by_first = bot.feed().await;
    accepted(by_first, "report");
    assert!(
        bot.flags(by_first.id).await.is_empty(),
        "the 第一售前 is not flagged"
    );
}

// ---------------------------------------------------------------------------------------------
// Threads

#[tokio::test]
async fn a_reply_that_is_not_a_command_is_conversation_and_changes_nothing() {
    let mut bot = Bot::scenario("thread-conversation").await;
    bot.feed_to(2).await;
    let before = bot.fault(2).await;
    let r = bot.feed().await;
    assert_eq!((r.kind, r.outcome), ("thread_command", "ignored"));
    assert!(bot.sent(r.id).await.is_empty(), "nothing is answered");
    assert_eq!(bot.fault(2).await, before);
    assert_eq!(bot.history("fault_order").await, 1);
}

#[tokio::test]
async fn a_reply_tagged_with_a_thread_the_bot_never_opened_is_an_unknown_thread() {
    let mut bot = Bot::scenario("thread-unknown-tag").await;
    let r = bot.feed().await;
    assert_eq!((r.kind, r.outcome), ("thread_command", "ignored"));
    assert_eq!(bot.reasons(r.id).await, names(&["unknown_thread"]));
    assert!(bot.sent(r.id).await.is_empty());
}

#[tokio::test]
async fn the_complainant_withdraws_a_complaint_with_cancel_on_its_thread() {
    let mut bot = Bot::scenario("complaint-withdrawn-on-thread").await;
    let complaint = bot.feed_to(2).await;
    accepted(complaint, "complaint");
    assert_eq!(bot.complaints_this_month("张三").await, 1);

    let by_other = bot.feed().await;
    assert_eq!(
        (by_other.kind, by_other.outcome),
        ("thread_command", "rejected")
    );
    assert_eq!(bot.reasons(by_other.id).await, names(&["not_authorized"]));
    assert_eq!(bot.sent_one(by_other.id).await.to, names(&["周涛"]));
    assert_eq!(
        bot.complaints_this_month("张三").await,
        1,
        "周涛 cannot withdraw 孙丽's complaint"
    );

    let withdrawn = bot.feed().await;
    accepted(withdrawn, "thread_command");
    assert_eq!(
        bot.complaints_this_month("张三").await,
        0,
        "the tally drops"
    );
    assert_eq!(
        bot.count("SELECT count(*) FROM complaints WHERE status = 'withdrawn'")
            .await,
        1
    );
}
