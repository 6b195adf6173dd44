//! Asking the bot by mail, end to end (queries.md §1–§2): mail in the Maildir inbox → `process`
//! → the reply in the sent Maildir, read as a mail client reads it (mail-parser: threading
//! headers, the text and HTML parts, the .xlsx opened with calamine); who may see what; queries
//! change no workflow state and count toward the per-recipient cap; `kb search --format json`.

mod common;

use calamine::{Reader, Xlsx};
use common::mail::{initiation, mail};
use common::site::Site;
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::Value;
use std::path::PathBuf;

/// A site whose per-recipient cap is `per_hour` (the story sends 张三 many acks).
fn site(per_hour: u32) -> Site {
    let site = Site::new();
    let mut text = std::fs::read_to_string(&site.config).expect("config");
    text += &format!(
        "\n[limits]\nreplies_per_recipient_hour = {per_hour}\nreplies_per_recipient_day = {}\n",
        per_hour.max(100)
    );
    std::fs::write(&site.config, text).expect("config");
    site
}

/// Puts `raw` in the inbox as a new Maildir file.
fn deliver(site: &Site, raw: &[u8]) {
    site.deliver(raw);
}

/// A 客户沟通 report by 张三 on 星河 with `content` (成功), on November `day`.
fn report(day: u32, id: &str, content: &str) -> Vec<u8> {
    common::mail::report_on_day(day, id, content)
}

/// A query mail: `subject` from `from`, Message-ID `<id@test.example.com>`.
fn ask(from: &str, subject: &str, id: &str) -> Vec<u8> {
    mail(from, subject, "Tue, 1 Dec 2026 09:00:00 +0800", id, "")
}

const ZHANGSAN: &str = "张三 <zhangsan@example.com>";
const WANGWU: &str = "王五 <wangwu@example.com>";
const WANGFANG: &str = "王芳 <wangfang@example.com>";
const SUNLI: &str = "孙丽 <sunli@example.com>";

/// 星河 initiated, 22 reports by 张三 (one about exporting audit logs), all processed.
fn story(site: &Site) {
    deliver(site, &initiation("Mon, 2 Nov 2026 09:00:00 +0800"));
    deliver(
        site,
        &report(
            3,
            "kb-source",
            "客户要求把审计日志导出为 Excel 并按月归档，已演示导出步骤",
        ),
    );
    for i in 0..21 {
        deliver(
            site,
            &report(
                4 + i % 20,
                &format!("routine-{i}"),
                &format!("例行巡检第 {i} 次，数据库审计策略运行正常"),
            ),
        );
    }
    site.ok(&["process"]);
}

/// A mail as a client reads it.
struct Read {
    subject: String,
    to: Vec<String>,
    in_reply_to: Option<String>,
    references: Vec<String>,
    text: String,
    html: String,
    /// (file name, bytes)
    attachments: Vec<(String, Vec<u8>)>,
}

fn sent_files(site: &Site) -> Vec<PathBuf> {
    std::fs::read_dir(site.path("sent/new"))
        .map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default()
}

/// The reply in the sent Maildir that answers `<id@test.example.com>`.
fn reply_to(site: &Site, id: &str) -> Read {
    let want = format!("{id}@test.example.com");
    let found: Vec<Read> = sent_files(site)
        .into_iter()
        .filter_map(|p| {
            let raw = std::fs::read(p).ok()?;
            let m = MessageParser::default().parse(&raw)?;
            (m.in_reply_to().as_text() == Some(want.as_str())).then(|| Read {
                subject: m.subject().unwrap_or_default().to_string(),
                to: m
                    .to()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.address())
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default(),
                in_reply_to: m.in_reply_to().as_text().map(String::from),
                references: m
                    .references()
                    .as_text_list()
                    .map(|l| l.iter().map(|s| s.to_string()).collect())
                    .unwrap_or_default(),
                text: m.body_text(0).unwrap_or_default().to_string(),
                html: m.body_html(0).unwrap_or_default().to_string(),
                attachments: m
                    .attachments()
                    .map(|a| {
                        (
                            a.attachment_name().unwrap_or_default().to_string(),
                            a.contents().to_vec(),
                        )
                    })
                    .collect(),
            })
        })
        .collect();
    assert_eq!(found.len(), 1, "exactly one reply to {id}");
    found.into_iter().next().expect("one reply")
}

/// `report messages` row of the mail `<id@test.example.com>`.
fn message(site: &Site, id: &str) -> Value {
    let want = format!("{id}@test.example.com");
    site.json(&["report", "messages", "--format", "json"])
        .as_array()
        .expect("array")
        .iter()
        .find(|m| m["message_id"].as_str() == Some(want.as_str()))
        .cloned()
        .expect("recorded")
}

/// The rows of the first sheet of an .xlsx.
fn sheet(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx opens");
    let range = wb
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("sheet reads");
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[test]
fn a_project_query_is_answered_threaded_to_the_sender_only_with_html_text_and_the_long_table_attached()
 {
    let site = site(1000);
    story(&site);
    deliver(&site, &ask(ZHANGSAN, "查询-星河项目", "q-project"));
    site.ok(&["process"]);

    let r = reply_to(&site, "q-project");
    assert_eq!(r.to, ["zhangsan@example.com"], "to the sender only");
    assert_eq!(r.in_reply_to.as_deref(), Some("q-project@test.example.com"));
    assert!(
        r.references
            .iter()
            .any(|x| x == "q-project@test.example.com")
    );
    assert!(r.subject.contains("查询-星河项目"), "{}", r.subject);
    assert!(r.text.contains("第一售前：张三") && r.text.contains("正常（已立项）"));
    assert!(r.html.contains("<table") && r.html.contains("style=\""));
    assert!(r.html.contains("共 22 行"), "the cut is said");
    assert_eq!(r.attachments.len(), 1);
    assert!(r.attachments[0].0.ends_with(".xlsx"));
    let rows = sheet(&r.attachments[0].1);
    assert_eq!(rows.len(), 23, "header and all 22 reports");
    assert_eq!(rows[0][1], "技服人员");

    let m = message(&site, "q-project");
    assert_eq!(
        (m["kind"].as_str(), m["outcome"].as_str()),
        (Some("query"), Some("accepted"))
    );
    let outbox = site.json(&["outbox", "--format", "json"]);
    assert!(
        outbox
            .as_array()
            .expect("array")
            .iter()
            .any(|o| o["kind"] == "query_reply" && o["status"] == "sent")
    );
}

#[test]
fn a_presales_not_on_the_project_or_asking_for_anothers_table_is_not_authorized() {
    let site = site(1000);
    story(&site);
    deliver(&site, &ask(WANGWU, "查询-星河项目", "q-other-project"));
    deliver(
        &site,
        &ask(
            "李四 <lisi@example.com>",
            "查询-跟踪表-张三",
            "q-other-table",
        ),
    );
    deliver(&site, &ask(SUNLI, "查询-投诉统计", "q-sales-tally"));
    site.ok(&["process"]);
    for id in ["q-other-project", "q-other-table", "q-sales-tally"] {
        let m = message(&site, id);
        assert_eq!(m["outcome"], "rejected", "{id}");
        assert_eq!(m["reasons"], serde_json::json!(["not_authorized"]), "{id}");
        let r = reply_to(&site, id);
        assert!(
            r.text.contains("只有") && r.text.contains("可以查询"),
            "{id}: {}",
            r.text
        );
        assert!(
            !r.text.contains("例行巡检"),
            "{id} shows nothing of the table"
        );
        assert!(r.attachments.is_empty());
    }
}

#[test]
fn a_manager_gets_a_presales_tracking_table_as_xlsx_and_the_presales_their_own() {
    let site = site(1000);
    story(&site);
    deliver(&site, &ask(WANGFANG, "查询-跟踪表-张三", "q-manager-table"));
    deliver(&site, &ask(ZHANGSAN, "查询-我的跟踪表", "q-my-table"));
    site.ok(&["process"]);
    for id in ["q-manager-table", "q-my-table"] {
        assert_eq!(message(&site, id)["outcome"], "accepted", "{id}");
        let r = reply_to(&site, id);
        assert_eq!(r.attachments.len(), 1, "{id}");
        assert_eq!(r.attachments[0].0, "项目跟踪表-张三.xlsx");
        let rows = sheet(&r.attachments[0].1);
        assert_eq!(rows.len(), 23, "{id}: header and 22 rows");
        assert_eq!(rows[1][0], "星河项目");
        assert_eq!(
            r.text.matches("例行巡检").count(),
            20,
            "{id}: the last 20 inline"
        );
    }
}

#[test]
fn an_unknown_project_gets_the_closest_names() {
    let site = site(1000);
    story(&site);
    deliver(&site, &ask(ZHANGSAN, "查询-星和项目", "q-typo"));
    site.ok(&["process"]);
    let m = message(&site, "q-typo");
    assert_eq!(m["outcome"], "rejected");
    assert_eq!(m["reasons"], serde_json::json!(["unknown_project"]));
    assert!(reply_to(&site, "q-typo").text.contains("查询-星河项目"));
}

#[test]
fn help_lists_every_format_command_and_query() {
    let site = site(1000);
    deliver(&site, &ask(SUNLI, "帮助", "q-help"));
    site.ok(&["process"]);
    let m = message(&site, "q-help");
    assert_eq!(
        (m["kind"].as_str(), m["outcome"].as_str()),
        (Some("help"), Some("accepted"))
    );
    let r = reply_to(&site, "q-help");
    for s in [
        "立项-星河项目",
        "客户沟通-星河项目-张三",
        "已解决",
        "查询-知识库-审计日志 导出",
        "查询-待办",
    ] {
        assert!(r.text.contains(s) && r.html.contains(s), "{s}");
    }
    let outbox = site.json(&["outbox", "--format", "json"]);
    assert_eq!(outbox[0]["kind"], "help_reply");
}

#[test]
fn the_knowledge_base_finds_all_words_highlighted_with_the_source_tag_by_mail_and_cli() {
    let site = site(1000);
    story(&site);
    // 导出 has two characters: below the trigram's three, still found.
    deliver(&site, &ask(SUNLI, "查询-知识库-审计日志 导出", "q-kb"));
    deliver(
        &site,
        &ask(SUNLI, "查询-知识库-审计日志 不存在的词", "q-kb-none"),
    );
    site.ok(&["process"]);
    let r = reply_to(&site, "q-kb");
    // Adjacent matches merge into one bold run: 「<b>审计日志导出</b>」, then 「<b>导出</b>」 alone.
    assert!(
        r.html.contains("<b>审计日志导出</b>") && r.html.contains("<b>导出</b>步骤"),
        "{}",
        r.html
    );
    assert!(!r.text.contains("例行巡检"), "only entries with every word");
    let hits = site.json(&["kb", "search", "审计日志", "导出", "--format", "json"]);
    let hits = hits.as_array().expect("array");
    assert_eq!(hits.len(), 1);
    let h = &hits[0];
    for field in [
        "source",
        "project",
        "date",
        "engineer",
        "text",
        "message_id",
        "score",
    ] {
        assert!(!h[field].is_null(), "{field}");
    }
    assert_eq!(h["source"], "report");
    assert_eq!(h["engineer"], "张三");
    assert_eq!(h["message_id"], "kb-source@test.example.com");
    let tag = h["tag"].as_str().expect("tag");
    assert!(r.text.contains(&format!("[{tag}]")), "{tag} in {}", r.text);
    assert!(
        reply_to(&site, "q-kb-none")
            .text
            .contains("没有同时包含这些词的记录")
    );

    // Best first: the entry holding 审计 most densely ranks above the routine ones.
    let ranked = site.json(&["kb", "search", "审计策略", "--format", "json"]);
    let ranked = ranked.as_array().expect("array");
    assert_eq!(ranked.len(), 10, "top 10 of 21");
    let scores: Vec<f64> = ranked.iter().filter_map(|h| h["score"].as_f64()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[test]
fn queries_change_no_workflow_state_and_count_toward_the_reply_cap() {
    let site = site(1000);
    story(&site);
    let tracking = site.json(&["report", "tracking", "--format", "json"]);
    let tally = site.json(&["report", "tally", "--month", "2026-12", "--format", "json"]);
    for (i, s) in [
        "查询-星河项目",
        "查询-遗留问题",
        "查询-待办",
        "查询-投诉统计",
        "查询-我的跟踪表",
    ]
    .iter()
    .enumerate()
    {
        deliver(&site, &ask(ZHANGSAN, s, &format!("q-state-{i}")));
    }
    site.ok(&["process"]);
    assert_eq!(
        site.json(&["report", "tracking", "--format", "json"]),
        tracking
    );
    assert_eq!(
        site.json(&["report", "tally", "--month", "2026-12", "--format", "json"]),
        tally
    );
    for i in 0..5 {
        assert_eq!(
            message(&site, &format!("q-state-{i}"))["outcome"],
            "accepted"
        );
    }

    // The cap: 王芳 may get 2 replies an hour; the third query is recorded, its reply suppressed.
    let capped = self::site(2);
    for i in 0..3 {
        deliver(
            &capped,
            &ask(WANGFANG, "查询-遗留问题", &format!("q-cap-{i}")),
        );
    }
    capped.ok(&["process"]);
    let outbox = capped.json(&["outbox", "--format", "json"]);
    let statuses: Vec<&str> = outbox
        .as_array()
        .expect("array")
        .iter()
        .filter(|o| o["kind"] == "query_reply")
        .filter_map(|o| o["status"].as_str())
        .collect();
    assert_eq!(statuses, ["sent", "sent", "suppressed"]);
}

#[test]
fn a_query_delivered_again_is_seen_before_and_answered_once() {
    let site = site(1000);
    story(&site);
    deliver(&site, &ask(ZHANGSAN, "查询-星河项目", "q-again"));
    site.ok(&["process"]);
    let first = reply_to(&site, "q-again");
    // The same mail again, as an IMAP server may deliver it after a lost acknowledgement; a
    // report in between changes what a new answer would say.
    deliver(&site, &report(25, "between", "第二次投递之前的报告"));
    deliver(&site, &ask(ZHANGSAN, "查询-星河项目", "q-again"));
    let out = site.bot(&["process"]);
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("processed 1 new, 1 seen before"), "{said}");
    let again = reply_to(&site, "q-again");
    assert_eq!(again.text, first.text, "the one reply is the first answer");
    assert_eq!(message(&site, "q-again")["outcome"], "accepted");
}

#[test]
fn todo_lists_what_the_sender_owes_and_open_items_show_their_sla() {
    let site = site(1000);
    deliver(&site, &initiation("Mon, 2 Nov 2026 09:00:00 +0800"));
    deliver(
        &site,
        &common::mail::report(
            "星河",
            "Tue, 3 Nov 2026 10:00:00 +0800",
            "left",
            Some("一般"),
        ),
    );
    site.ok(&["process"]);
    deliver(&site, &ask(ZHANGSAN, "查询-待办", "q-todo"));
    deliver(&site, &ask(WANGFANG, "查询-遗留问题", "q-open"));
    deliver(&site, &ask(WANGWU, "查询-遗留问题", "q-open-none"));
    site.ok(&["process"]);
    let todo = reply_to(&site, "q-todo");
    assert!(
        todo.text.contains("遗留问题") && todo.text.contains("已解决"),
        "{}",
        todo.text
    );
    let open = reply_to(&site, "q-open");
    assert!(
        open.text.contains("客户要求导出审计日志为 Excel"),
        "{}",
        open.text
    );
    assert!(open.text.contains("工作日"), "age in working time");
    assert!(
        open.html.contains("⚠"),
        "a month-old 一般 item is past its SLA: {}",
        open.html
    );
    assert!(!reply_to(&site, "q-open-none").text.contains("客户要求导出"));
}

#[tokio::test]
async fn a_closed_open_item_enters_the_knowledge_base_when_it_is_closed_not_before() {
    let (bot, _dir) = common::spawn_bot().await;
    let now = common::now();
    bot.handle(&initiation("Mon, 2 Nov 2026 09:00:00 +0800"), now)
        .await
        .expect("handled");
    bot.handle(
        &common::mail::report(
            "星河",
            "Tue, 3 Nov 2026 10:00:00 +0800",
            "left",
            Some("一般"),
        ),
        now,
    )
    .await
    .expect("handled");
    let words = vec!["导出审计日志".to_string()];
    let search = || async {
        let mut conn = bot.store.connection().await.expect("reader");
        supportbot::store::kb::search(&mut conn, &words, 10)
            .await
            .expect("search")
    };
    assert!(search().await.is_empty(), "an open item is not solved yet");
    bot.handle(
        &mail(
            ZHANGSAN,
            "Re: [SB-2] 已记录：客户沟通-星河项目-张三",
            "Wed, 4 Nov 2026 10:00:00 +0800",
            "solved",
            "已解决",
        ),
        now,
    )
    .await
    .expect("handled");
    let hits = search().await;
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].source, "open_item");
    assert_eq!(hits[0].tag, "SB-2", "the item's thread");
    assert!(hits[0].text.contains("客户要求导出审计日志为 Excel"));

    // The migration's backfill writes what the live path wrote (a database from before).
    let everything = vec!["审计".to_string()];
    let mut conn = bot.store.connection().await.expect("reader");
    let live = supportbot::store::kb::search(&mut conn, &everything, 10)
        .await
        .expect("search");
    assert_eq!(live.len(), 2, "the report and the closed item: {live:?}");
    let migration =
        std::fs::read_to_string(common::root().join("migrations/20261202020000_kb.sql"))
            .expect("migration");
    let backfill = migration
        .split("-- Backfill")
        .nth(1)
        .expect("a backfill part")
        .to_string();
    sqlx::raw_sql(sqlx::AssertSqlSafe("DELETE FROM kb".to_string()))
        .execute(&mut *conn)
        .await
        .expect("emptied");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("-- Backfill{backfill}")))
        .execute(&mut *conn)
        .await
        .expect("backfilled");
    let again = supportbot::store::kb::search(&mut conn, &everything, 10)
        .await
        .expect("search");
    assert_eq!(again, live);
}

#[tokio::test]
async fn a_project_with_more_fault_orders_than_a_reply_holds_lists_the_open_ones_then_the_newest() {
    let (bot, _dir) = common::spawn_bot().await;
    let now = common::now();
    bot.handle(&initiation("Mon, 2 Nov 2026 09:00:00 +0800"), now)
        .await
        .expect("立项");
    // SB-2: filed on 9 November and still waiting for approval; then 600 closed orders.
    bot.handle(
        &common::mail::fault_order("Mon, 9 Nov 2026 10:00:00 +0800"),
        now,
    )
    .await
    .expect("故障处理");
    let mut conn = bot.store.connection().await.expect("writer");
    let key: String = sqlx::query_scalar("SELECT project FROM fault_orders WHERE message = 2")
        .fetch_one(&mut *conn)
        .await
        .expect("the order");
    sqlx::query(
        "WITH RECURSIVE s(i) AS (SELECT 1001 UNION ALL SELECT i + 1 FROM s WHERE i < 1600)
         INSERT INTO messages (id, dedup_key, subject, sender, kind, outcome, reasons, flags,
                               event_at, handled_at)
         SELECT i, 'f' || i || '@example.com', 's', 'zhangsan@example.com', 'fault_order',
                'accepted', '[]', '[]', '2026-11-20T01:00:00Z', '2026-11-20T01:00:00Z' FROM s",
    )
    .execute(&mut *conn)
    .await
    .expect("mails");
    sqlx::query(
        "INSERT INTO fault_orders (message, project, proposer, priority, state, filed_at,
                                   updated_at)
         SELECT id, ?1, '张三', '一般', 'closed', event_at, event_at
         FROM messages WHERE id > 1000 ORDER BY id",
    )
    .bind(&key)
    .execute(&mut *conn)
    .await
    .expect("orders");
    drop(conn);
    let ask = mail(
        WANGFANG,
        "查询-星河",
        "Tue, 1 Dec 2026 09:00:00 +0800",
        "q-faults",
        "",
    );
    bot.handle(&ask, now).await.expect("query");
    let mut conn = bot.store.connection().await.expect("reader");
    let replies: Vec<_> = supportbot::store::outbox::pending(&mut conn, 0, 100)
        .await
        .expect("pending")
        .into_iter()
        .filter(|m| m.to == vec!["wangfang@example.com"] && m.subject.contains("查询-星河"))
        .collect();
    assert_eq!(replies.len(), 1);
    let text = &replies[0].body;
    assert!(
        text.contains("故障处理工作单超过 500 张：此表列出未结束的 1 张和最近结束的 499 张"),
        "{text}"
    );
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("[SB-")).collect();
    assert!(
        rows[0].starts_with("[SB-2]"),
        "the open one first: {rows:?}"
    );
    assert!(
        rows[1].starts_with("[SB-1600]"),
        "then the newest finished: {rows:?}"
    );
}
