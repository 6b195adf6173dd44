//! The 集成部 task flow end to end (tasks.md): the client-shape fixtures under
//! tests/fixtures/tasks, fed in file order into one fresh database, give the outcome and mail
//! their hand-written `.expected.json` says (with LF and with CRLF line endings); then the
//! reminders, escalations, digests and `report tasks` they lead to.

mod common;

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use supportbot::engine::{Engine, Handled};
use supportbot::report;
use supportbot::schedule::run_due;
use supportbot::store::outbox;

/// Beijing time.
fn bj(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{s}+08:00"))
        .expect("test time")
        .with_timezone(&Utc)
}

/// "Now" for handling: after every fixture's Date.
fn handled_at() -> DateTime<Utc> {
    bj("2026-12-31T12:00:00")
}

fn dir() -> std::path::PathBuf {
    common::root().join("tests/fixtures/tasks")
}

/// The fixtures in file order: (name, bytes, expectation).
fn cases() -> Vec<(String, Vec<u8>, Value)> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("tasks fixture folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let raw = std::fs::read(dir().join(&n)).expect("read eml");
            let json = std::fs::read_to_string(dir().join(n.replace(".eml", ".expected.json")))
                .expect("expected json");
            (n, raw, serde_json::from_str(&json).expect("valid json"))
        })
        .collect()
}

fn fixture(prefix: &str) -> Vec<u8> {
    cases()
        .into_iter()
        .find(|(n, _, _)| n.starts_with(prefix))
        .map(|(_, raw, _)| raw)
        .expect("fixture exists")
}

fn set(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn mails(rows: &[Value]) -> BTreeSet<String> {
    rows.iter()
        .map(|m| {
            let kind = m["kind"].as_str().unwrap_or("");
            format!("{kind} to={:?} cc={:?}", set(&m["to"]), set(&m["cc"]))
        })
        .collect()
}

fn to_crlf(raw: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
    text.replace('\n', "\r\n").into_bytes()
}

async fn run_fixtures(bot: &Engine, upto: &str, crlf: bool) -> Vec<String> {
    let mut failures = Vec::new();
    for (name, raw, want) in cases().into_iter().filter(|(n, _, _)| n.as_str() <= upto) {
        let raw = if crlf { to_crlf(&raw) } else { raw };
        let id = match bot.handle(&raw, handled_at()).await.expect("handled") {
            Handled::Recorded { id, .. } => id,
            Handled::Duplicate => {
                failures.push(format!("{name}: handled as a duplicate"));
                continue;
            }
        };
        let mut conn = bot.store.connection().await.expect("reader");
        let rows = report::messages_json(&mut conn).await.expect("messages");
        let got = rows.iter().find(|r| r["id"] == id).expect("row").clone();
        for field in ["kind", "outcome", "project"] {
            if got[field] != want[field] {
                failures.push(format!(
                    "{name}: {field}: expected {} got {}",
                    want[field], got[field]
                ));
            }
        }
        for field in ["reasons", "flags"] {
            if set(&got[field]) != set(&want[field]) {
                failures.push(format!(
                    "{name}: {field}: expected {} got {}",
                    want[field], got[field]
                ));
            }
        }
        let queued: Vec<Value> = outbox::list(&mut conn, None)
            .await
            .expect("outbox")
            .into_iter()
            .filter(|o| o.message == Some(id))
            .map(|o| serde_json::to_value(o).expect("json"))
            .collect();
        let expected = want["outbox"].as_array().cloned().unwrap_or_default();
        if mails(&queued) != mails(&expected) || queued.len() != expected.len() {
            failures.push(format!(
                "{name}: outbox: expected {:?} got {:?}",
                mails(&expected),
                mails(&queued)
            ));
        }
    }
    failures
}

async fn corpus(crlf: bool) {
    let (bot, _dir) = common::spawn_bot().await;
    assert!(cases().len() >= 12);
    let failures = run_fixtures(&bot, "99", crlf).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn every_task_fixture_gives_its_expected_outcome_and_mail() {
    corpus(false).await;
}

#[tokio::test]
async fn every_task_fixture_gives_the_same_outcome_with_crlf_line_endings() {
    corpus(true).await;
}

async fn lines(bot: &Engine) -> Vec<report::tasks::TaskLine> {
    let mut conn = bot.store.connection().await.expect("reader");
    report::tasks::lines(&bot.config, &mut conn, None, None, handled_at())
        .await
        .expect("tasks")
}

#[tokio::test]
async fn the_story_ends_completed_with_one_delay_of_seven_days_in_report_tasks() {
    let (bot, _dir) = common::spawn_bot().await;
    run_fixtures(&bot, "99", false).await;
    let l = lines(&bot).await;
    assert_eq!(l.len(), 2, "two tasks filed, two rejected: {l:?}");
    let json = serde_json::to_value(&l[0]).expect("json");
    assert_eq!(json["id"], 1);
    assert_eq!(json["kind"], "施工");
    assert_eq!(json["project"], "星河项目");
    assert_eq!(json["sales"], "孙丽");
    assert_eq!(json["engineers"], serde_json::json!(["罗斌", "高翔"]));
    assert_eq!(json["state"], "completed");
    assert_eq!(json["due"], "2026-12-25");
    assert_eq!(json["contract_no"], "HT-2026-201");
    assert_eq!(json["amount_yuan"], 300_000);
    assert_eq!(json["delays"], 1);
    assert_eq!(json["delay_days"], 7);
    assert_eq!(json["late"], false);
    assert_eq!(json["requested_at"], "2026-11-30T02:00:00Z");
    let design = serde_json::to_value(&l[1]).expect("json");
    assert_eq!(design["kind"], "设计");
    assert_eq!(design["state"], "requested");
    assert_eq!(design["amount_yuan"], 120_000);
    assert_eq!(design["owes"], serde_json::json!(["何军"]));
}

#[tokio::test]
async fn report_tasks_narrows_to_one_state_and_writes_csv_and_xlsx() {
    let (bot, _dir) = common::spawn_bot().await;
    run_fixtures(&bot, "99", false).await;
    let mut conn = bot.store.connection().await.expect("reader");
    let requested = report::tasks::lines(
        &bot.config,
        &mut conn,
        Some(supportbot::rules::task::TaskState::Requested),
        None,
        handled_at(),
    )
    .await
    .expect("tasks");
    assert_eq!(requested.len(), 1);
    let cells = report::tasks::cells(&bot.config, &requested).expect("cells");
    let csv = report::tasks::csv(&cells).expect("csv");
    assert!(csv.starts_with("编号,类型,项目"), "{csv}");
    assert!(csv.contains("SB-4,设计,星河項目"), "{csv}");
    let book = report::tasks::xlsx(&cells).expect("xlsx");
    assert!(book.starts_with(b"PK"), "an xlsx is a zip");
}

async fn of_kind(bot: &Engine, kind: &str) -> Vec<outbox::OutboxRow> {
    let mut conn = bot.store.connection().await.expect("reader");
    outbox::list(&mut conn, None)
        .await
        .expect("outbox")
        .into_iter()
        .filter(|r| r.kind == kind)
        .collect()
}

async fn tick(bot: &Engine, at: &str) {
    run_due(bot, bj(at)).await.expect("tick");
}

#[tokio::test]
async fn a_task_left_requested_reminds_the_engineering_manager_once_after_one_working_day() {
    // Filed Monday 30 November 10:00; one working day: Tuesday 1 December 10:00.
    let (bot, dir) = common::spawn_bot().await;
    bot.handle(&fixture("01-"), handled_at())
        .await
        .expect("mail");
    tick(&bot, "2026-12-01T09:59:00").await;
    assert!(of_kind(&bot, "task_reminder").await.is_empty());
    tick(&bot, "2026-12-01T10:00:00").await;
    tick(&bot, "2026-12-01T15:00:00").await;
    let r = of_kind(&bot, "task_reminder").await;
    assert_eq!(r.len(), 1, "once: {r:?}");
    assert_eq!(r[0].to, vec!["hejun@example.com"]);
    // A restart on the same database queues nothing again.
    let again = Engine::open(Arc::new(common::config_in(dir.path())))
        .await
        .expect("reopen");
    tick(&again, "2026-12-01T16:00:00").await;
    assert_eq!(of_kind(&again, "task_reminder").await.len(), 1);
    assert!(of_kind(&again, "task_escalation").await.is_empty());
}

#[tokio::test]
async fn an_unanswered_reminder_is_escalated_to_the_engineering_manager_one_working_day_later() {
    // Dispatched Tuesday 1 December 09:30; 开工 due two working days later (Thursday 09:30);
    // escalated Friday 4 December 09:30.
    let (bot, _dir) = common::spawn_bot().await;
    for f in ["01-", "06-"] {
        bot.handle(&fixture(f), handled_at()).await.expect("mail");
    }
    tick(&bot, "2026-12-03T09:29:00").await;
    assert!(of_kind(&bot, "task_reminder").await.is_empty());
    tick(&bot, "2026-12-03T09:30:00").await;
    let r = of_kind(&bot, "task_reminder").await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].to, vec!["luobin@example.com", "gaoxiang@example.com"]);
    assert!(of_kind(&bot, "task_escalation").await.is_empty());
    tick(&bot, "2026-12-04T09:30:00").await;
    tick(&bot, "2026-12-04T11:00:00").await;
    let e = of_kind(&bot, "task_escalation").await;
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].to, vec!["hejun@example.com"]);
    assert_eq!(e[0].cc, vec!["luobin@example.com", "gaoxiang@example.com"]);
}

#[tokio::test]
async fn a_task_in_progress_past_its_due_date_reminds_its_engineers() {
    // Started Wednesday 2 December; 期望完工 Friday 18 December.
    let (bot, _dir) = common::spawn_bot().await;
    for f in ["01-", "06-", "07-"] {
        bot.handle(&fixture(f), handled_at()).await.expect("mail");
    }
    tick(&bot, "2026-12-18T23:59:00").await;
    assert!(of_kind(&bot, "task_reminder").await.is_empty());
    tick(&bot, "2026-12-19T00:00:00").await;
    let r = of_kind(&bot, "task_reminder").await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].to, vec!["luobin@example.com", "gaoxiang@example.com"]);
}

#[tokio::test]
async fn a_delay_request_before_the_due_date_stops_the_lateness_reminder() {
    let (bot, _dir) = common::spawn_bot().await;
    for f in ["01-", "06-", "07-", "08-"] {
        bot.handle(&fixture(f), handled_at()).await.expect("mail");
    }
    tick(&bot, "2026-12-21T10:00:00").await;
    let r = of_kind(&bot, "task_reminder").await;
    assert!(
        r.is_empty(),
        "a pending 延期申请 is not late; nothing else is timed: {r:?}"
    );
}

#[tokio::test]
async fn the_engineering_manager_gets_a_daily_task_digest_by_state_and_lateness() {
    let (bot, _dir) = common::spawn_bot().await;
    for f in ["01-", "04-"] {
        bot.handle(&fixture(f), handled_at()).await.expect("mail");
    }
    tick(&bot, "2026-12-02T09:00:00").await;
    let mut conn = bot.store.connection().await.expect("reader");
    let digests: Vec<_> = outbox::pending(&mut conn, 0, 100)
        .await
        .expect("pending")
        .into_iter()
        .filter(|m| m.to == vec!["hejun@example.com"] && m.subject.contains("集成部任务日报"))
        .collect();
    assert_eq!(digests.len(), 1, "{digests:?}");
    let body = &digests[0].body;
    assert!(
        body.contains("按状态") && body.contains("逾期任务"),
        "{body}"
    );
    assert!(
        body.contains("任务申请-施工-星河项目"),
        "both tasks are overdue for 派工: {body}"
    );
}

#[tokio::test]
async fn the_monthly_task_digest_counts_completed_delayed_and_on_time_per_engineer() {
    let (bot, _dir) = common::spawn_bot().await;
    run_fixtures(&bot, "99", false).await;
    // December's digest: the first working day of January 2027.
    tick(&bot, "2027-01-04T09:00:00").await;
    let mut conn = bot.store.connection().await.expect("reader");
    let monthly: Vec<_> = outbox::pending(&mut conn, 0, 500)
        .await
        .expect("pending")
        .into_iter()
        .filter(|m| m.subject.contains("集成部任务月报：2026-12"))
        .collect();
    assert_eq!(monthly.len(), 1);
    assert_eq!(monthly[0].to, vec!["hejun@example.com"]);
    assert!(
        monthly[0].body.contains("当月完工任务：1"),
        "{}",
        monthly[0].body
    );
    // What the digest reads: the tasks completed in December, Beijing time.
    let rows = supportbot::store::tasks::completed_between(
        &mut conn,
        bj("2026-12-01T00:00:00"),
        bj("2027-01-01T00:00:00"),
    )
    .await
    .expect("rows");
    let per = supportbot::digest::tasks::per_engineer(&bot.config, &rows, &december());
    for name in ["罗斌", "高翔"] {
        let m = per[name];
        assert_eq!(
            (
                m.completed,
                m.on_time,
                m.delayed,
                m.delay_times,
                m.delay_days
            ),
            (1, 1, 1, 1, 7),
            "{name}"
        );
    }
}

/// 何军, the engineering manager.
const HEJUN: (&str, &str) = ("何军", "hejun@example.com");

/// The text of the reply queued to `address` for the query `subject` sent as Message-ID
/// `<id@test.example.com>`.
async fn answer(bot: &Engine, (name, address): (&str, &str), subject: &str, id: &str) -> String {
    let from = format!("{name} <{address}>");
    let raw = common::mail::mail(&from, subject, "Thu, 31 Dec 2026 09:00:00 +0800", id, "");
    bot.handle(&raw, handled_at()).await.expect("query");
    let mut conn = bot.store.connection().await.expect("reader");
    let rows = outbox::pending(&mut conn, 0, 500).await.expect("pending");
    let reply: Vec<_> = rows
        .into_iter()
        .filter(|m| m.to == vec![address] && m.subject.contains(subject))
        .collect();
    assert_eq!(reply.len(), 1, "one answer to {subject} for {name}");
    reply[0].body.clone()
}

#[tokio::test]
async fn the_open_tasks_reach_whoever_owes_them_in_their_todo_and_the_project_lists_all() {
    let (bot, _dir) = common::spawn_bot().await;
    // Two 任务申请 on 星河项目; 何军 dispatches the first (SB-1) to 罗斌 and 高翔; then 星河 is
    // 立项'd.
    for f in ["01-", "04-", "06-"] {
        bot.handle(&fixture(f), handled_at()).await.expect("mail");
    }
    let initiation = common::mail::initiation("Mon, 2 Nov 2026 09:00:00 +0800");
    bot.handle(&initiation, handled_at()).await.expect("立项");
    let manager = answer(&bot, HEJUN, "查询-待办", "todo-hejun").await;
    assert!(
        manager.contains("[SB-2]") && manager.contains("集成部任务"),
        "the second task waits for 派工: {manager}"
    );
    assert!(
        !manager.contains("[SB-1]"),
        "the dispatched task is the engineers' now: {manager}"
    );
    let engineer = answer(
        &bot,
        ("罗斌", "luobin@example.com"),
        "查询-待办",
        "todo-luobin",
    )
    .await;
    assert!(
        engineer.contains("[SB-1]") && !engineer.contains("[SB-2]"),
        "{engineer}"
    );
    let project = answer(&bot, HEJUN, "查询-任务-星河项目", "tasks-xinghe").await;
    assert!(
        project.contains("[SB-1]") && project.contains("[SB-2]"),
        "both tasks of 星河项目: {project}"
    );
}

#[tokio::test]
async fn the_tasks_of_a_project_never_initiated_answer_the_query_for_those_who_may_see_them() {
    let (bot, _dir) = common::spawn_bot().await;
    // 孙丽 applies twice on 星河项目, which is never 立项'd (the task flow does not need it).
    for f in ["01-", "04-"] {
        bot.handle(&fixture(f), handled_at()).await.expect("mail");
    }
    let manager = answer(&bot, HEJUN, "查询-任务-星河项目", "tasks-hejun").await;
    assert!(
        manager.contains("[SB-1]") && manager.contains("[SB-2]"),
        "{manager}"
    );
    let sales = answer(
        &bot,
        ("孙丽", "sunli@example.com"),
        "查询-任务-星河",
        "tasks-sunli",
    )
    .await;
    assert!(
        sales.contains("[SB-1]") && sales.contains("[SB-2]"),
        "the applicant sees her tasks: {sales}"
    );
    let presales = answer(
        &bot,
        ("张三", "zhangsan@example.com"),
        "查询-任务-星河",
        "tasks-zs",
    )
    .await;
    assert!(
        !presales.contains("[SB-1]") && presales.contains("工程技术部经理"),
        "a presales on no task is told who may ask: {presales}"
    );
    let unknown = answer(&bot, HEJUN, "查询-任务-海星项目", "tasks-none").await;
    assert!(unknown.contains("没有名为「海星项目」的项目"), "{unknown}");
}

/// `n` finished tasks (and their mails) on `project`, filed after every fixture: row ids from
/// 1001 on, the last the newest.
async fn finished_tasks(bot: &Engine, project: &str, n: i64) {
    let mut conn = bot.store.connection().await.expect("writer");
    sqlx::query(
        "WITH RECURSIVE s(i) AS (SELECT 1001 UNION ALL SELECT i + 1 FROM s WHERE i < 1000 + ?1)
         INSERT INTO messages (id, dedup_key, subject, sender, kind, outcome, reasons, flags,
                               event_at, handled_at)
         SELECT i, 't' || i || '@example.com', 's', 'sunli@example.com', 'task_request',
                'accepted', '[]', '[]', '2027-01-05T01:00:00Z', '2027-01-05T01:00:00Z' FROM s",
    )
    .bind(n)
    .execute(&mut *conn)
    .await
    .expect("mails");
    sqlx::query(
        "INSERT INTO tasks (message, kind, project, project_name, sales, state, content,
                            amount_yuan, requested_at, updated_at, completed_at)
         SELECT id, '施工', ?1, '星河项目', '孙丽', 'completed', '安装', 100000,
                event_at, event_at, event_at
         FROM messages WHERE id > 1000 ORDER BY id",
    )
    .bind(project)
    .execute(&mut *conn)
    .await
    .expect("tasks");
}

#[tokio::test]
async fn a_project_with_more_tasks_than_a_reply_holds_lists_the_open_ones_then_the_newest() {
    let (bot, _dir) = common::spawn_bot().await;
    // SB-1, requested long ago and still open; then 600 finished tasks on the same project.
    bot.handle(&fixture("01-"), handled_at())
        .await
        .expect("mail");
    let key: String = {
        let mut conn = bot.store.connection().await.expect("reader");
        sqlx::query_scalar("SELECT project FROM tasks WHERE message = 1")
            .fetch_one(&mut *conn)
            .await
            .expect("key")
    };
    finished_tasks(&bot, &key, 600).await;
    let reply = answer(&bot, HEJUN, "查询-任务-星河项目", "tasks-many").await;
    assert!(
        reply.contains("任务超过 500 项：此表列出未完工的 1 项和最近结束的 499 项"),
        "{reply}"
    );
    let rows: Vec<&str> = reply.lines().filter(|l| l.starts_with("[SB-")).collect();
    assert!(
        rows[0].starts_with("[SB-1]"),
        "the open one first: {rows:?}"
    );
    assert!(
        rows[1].starts_with("[SB-1600]"),
        "then the newest finished: {rows:?}"
    );
}

/// December 2026's monthly occurrence, due on the first working day of January.
fn december() -> supportbot::schedule::occurrences::Occurrence {
    supportbot::schedule::occurrences::Occurrence {
        what: supportbot::schedule::occurrences::What::Monthly,
        key: "k".into(),
        schedule: "s".into(),
        due_at: bj("2027-01-04T09:00:00"),
        from: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
        to: chrono::NaiveDate::from_ymd_opt(2027, 1, 1).expect("date"),
    }
}

#[tokio::test]
async fn the_monthly_task_digest_counts_a_task_by_the_local_day_it_was_completed() {
    let (bot, _dir) = common::spawn_bot().await;
    run_fixtures(&bot, "99", false).await;
    let mut conn = bot.store.connection().await.expect("writer");
    // (completed at, UTC; completed in December in Beijing?)
    for (at, in_december) in [
        ("2026-11-30T16:00:00Z", true), // 12-01 00:00 Beijing: the month's first second
        ("2026-11-30T15:59:59Z", false), // 11-30 23:59:59 Beijing
        ("2026-12-31T15:59:59Z", true), // 12-31 23:59:59 Beijing
        ("2026-12-31T16:00:00Z", false), // 2027-01-01 00:00 Beijing
    ] {
        sqlx::query("UPDATE tasks SET completed_at = ?1 WHERE state = 'completed'")
            .bind(at)
            .execute(&mut *conn)
            .await
            .expect("move the completion");
        let digest = supportbot::digest::tasks::build(
            &bot.config,
            &mut conn,
            &december(),
            bj("2027-01-04T09:00:00"),
        )
        .await
        .expect("digest")
        .expect("tasks and a manager: a digest");
        let n = usize::from(in_december);
        assert!(
            digest.mail.body.contains(&format!("当月完工任务：{n}")),
            "completed {at}: {}",
            digest.mail.body
        );
    }
}

#[test]
fn report_tasks_through_the_binary_gives_the_contract_fields_and_filters_by_state() {
    let site = common::site::Site::new();
    std::fs::create_dir_all(site.path("mail/new")).expect("maildir");
    for (i, prefix) in ["01-", "04-", "06-"].iter().enumerate() {
        let (name, _, _) = cases()
            .into_iter()
            .find(|(n, _, _)| n.starts_with(prefix))
            .expect("fixture");
        std::fs::copy(
            dir().join(name),
            site.path("mail/new")
                .join(format!("17000000{i:02}.M1P1.test")),
        )
        .expect("deliver");
    }
    site.ok(&["process"]);
    let all = site.json(&["report", "tasks", "--format", "json"]);
    let all = all.as_array().expect("array");
    assert_eq!(all.len(), 2, "{all:?}");
    for field in [
        "id",
        "kind",
        "project",
        "sales",
        "engineers",
        "state",
        "requested_at",
        "due",
        "contract_no",
        "amount_yuan",
        "delays",
    ] {
        assert!(all[0].get(field).is_some(), "report tasks lacks {field}");
    }
    let dispatched = site.json(&[
        "report",
        "tasks",
        "--state",
        "dispatched",
        "--format",
        "json",
    ]);
    let dispatched = dispatched.as_array().expect("array");
    assert_eq!(dispatched.len(), 1);
    assert_eq!(
        dispatched[0]["engineers"],
        serde_json::json!(["罗斌", "高翔"])
    );
    assert_eq!(dispatched[0]["owes"], serde_json::json!(["罗斌", "高翔"]));
    let table = site.ok(&["report", "tasks"]);
    assert!(
        table.contains("任务申请") || table.contains("星河"),
        "{table}"
    );
    let out = site.bot(&["report", "tasks", "--format", "xlsx"]);
    assert!(!out.status.success(), "xlsx without --output is refused");
}
