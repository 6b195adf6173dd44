//! Digests: what they hold, HTML and text carrying the same figures, byte-identical renders,
//! the monthly workbook read back, and rendered snapshots in `tests/fixtures/digests/`
//! (written once when missing — review them by eye — then compared).

mod common;

use calamine::{Reader, Xlsx};
use chrono::{DateTime, Utc};
use common::mail::{initiation, mail, report};
use supportbot::engine::Engine;
use supportbot::mail::outbound::Queued;
use supportbot::schedule::run_due;
use supportbot::store::outbox;

fn bj(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{s}+08:00"))
        .expect("test time")
        .with_timezone(&Utc)
}

/// November's story, then a tick on Tuesday 1 December 10:00 (the month's first working day).
async fn december_first() -> (Engine, tempfile::TempDir, Vec<(String, Queued)>) {
    let mails = [
        initiation("Mon, 2 Nov 2026 09:00:00 +0800"),
        report(
            "星河",
            "Fri, 27 Nov 2026 17:00:00 +0800",
            "r1",
            Some("紧急"),
        ),
        report("东方", "Mon, 30 Nov 2026 10:00:00 +0800", "r2", None),
        mail(
            "张三 <zhangsan@example.com>",
            "客户沟通-星河项目-张三",
            "Mon, 30 Nov 2026 11:00:00 +0800",
            "r3",
            "沟通结果: 成功\r\n项目名称: 星河项目\r\n沟通人: 客户王工\r\n沟通方式: 电话",
        ),
        // 问题遗留 too, so the digest lists more than one open item (第十七条).
        report(
            "星河",
            "Mon, 30 Nov 2026 15:00:00 +0800",
            "r4",
            Some("一般"),
        ),
    ];
    ticked_after(&mails, bj("2026-12-01T10:00:00")).await
}

/// `mails` handled, then a tick at `at`; what it queued, with each row's kind.
async fn ticked_after(
    mails: &[Vec<u8>],
    at: DateTime<Utc>,
) -> (Engine, tempfile::TempDir, Vec<(String, Queued)>) {
    let (bot, dir) = common::spawn_bot().await;
    for m in mails {
        bot.handle(m, common::now()).await.expect("mail");
    }
    // The daemon ticks every minute: the weekly and personal digests (Monday 09:00 / 09:30) had
    // gone out before `at`, since a digest more than 24 hours late is skipped.
    run_due(&bot, at - chrono::Duration::minutes(61))
        .await
        .expect("tick");
    run_due(&bot, at).await.expect("tick");
    let mut conn = bot.store.connection().await.expect("reader");
    let kinds = outbox::list(&mut conn, None).await.expect("list");
    let queued = outbox::pending(&mut conn, 0, 500).await.expect("pending");
    let pairs = queued
        .into_iter()
        .filter_map(|q| {
            let k = kinds.iter().find(|r| r.id == q.id)?.kind.clone();
            Some((k, q))
        })
        .collect();
    drop(conn);
    (bot, dir, pairs)
}

/// The newest `kind` queued to `to`.
fn one<'a>(all: &'a [(String, Queued)], kind: &str, to: &str) -> &'a Queued {
    all.iter()
        .filter(|(k, q)| k == kind && q.to.iter().any(|a| a == to))
        .map(|(_, q)| q)
        .max_by_key(|q| q.id)
        .unwrap_or_else(|| panic!("a {kind} to {to}"))
}

#[tokio::test]
async fn the_daily_digest_shows_yesterdays_reports_rejections_and_open_items() {
    let (_bot, _dir, all) = december_first().await;
    let d = one(&all, "daily_digest", "wangfang@example.com");
    assert!(d.subject.contains("2026年11月30日"), "{}", d.subject);
    assert!(d.body.contains("收到的报告：3"), "{}", d.body);
    assert!(d.body.contains("退回：1"), "{}", d.body);
    assert!(
        d.body.contains("缺少字段：沟通的具体问题（第十五条）"),
        "{}",
        d.body
    );
    assert!(d.body.contains("超解决时限"), "{}", d.body);
    assert!(
        d.body.contains("东方"),
        "uninitiated project listed: {}",
        d.body
    );
}

#[tokio::test]
async fn html_and_text_parts_carry_the_same_figures_and_cells() {
    let (_bot, _dir, all) = december_first().await;
    for (kind, q) in &all {
        let Some(html) = &q.html else { continue };
        let figures: Vec<(&str, &str)> = q
            .body
            .lines()
            .filter_map(|l| l.strip_prefix("  ")?.split_once('：'))
            .collect();
        assert!(!figures.is_empty(), "{kind} has figures");
        for (label, value) in figures {
            let cell = regex::Regex::new(&format!(
                ">{}</td><td style=\"[^\"]*\">{}</td>",
                regex::escape(label),
                regex::escape(value)
            ))
            .expect("regex");
            assert!(cell.is_match(html), "{kind}: {label}={value} not in HTML");
        }
        assert!(!html.contains("<script"), "{kind}: no scripts");
    }
}

#[tokio::test]
async fn a_digest_renders_to_the_same_multipart_bytes_every_time() {
    let (bot, _dir, all) = december_first().await;
    let m = one(&all, "monthly_digest", "zhaoqiang@example.com");
    let a = m.render(&bot.config.bot).expect("render");
    let b = m.render(&bot.config.bot).expect("render");
    assert_eq!(a, b);
    let text = String::from_utf8_lossy(&a);
    assert!(text.contains("multipart/mixed"));
    assert!(text.contains("multipart/alternative"));
    assert!(text.contains("text/html"));
    assert!(text.contains("spreadsheetml.sheet"));
    assert!(text.contains("multipart/related"), "the chart rides inline");
    assert!(text.contains("Content-ID: <chart.png>"), "the chart's cid");
}

#[tokio::test]
async fn the_monthly_workbook_opens_with_a_sheet_per_presales_holding_their_rows() {
    let (_bot, _dir, all) = december_first().await;
    let m = one(&all, "monthly_digest", "wangfang@example.com");
    assert_eq!(m.to.len(), 2, "manager and director");
    assert!(m.subject.contains("2026年11月"), "{}", m.subject);
    assert_eq!(m.attachments.len(), 2, "the chart and the workbook");
    assert!(m.attachments.iter().any(|a| a.content_type == "image/png"));
    assert!(
        m.html
            .as_deref()
            .unwrap_or_default()
            .contains("src=\"cid:chart.png\"")
    );
    let book = m
        .attachments
        .iter()
        .find(|a| a.filename.ends_with(".xlsx"))
        .expect("the workbook");
    let cursor = std::io::Cursor::new(book.content.clone());
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(cursor).expect("xlsx opens");
    assert_eq!(wb.sheet_names(), vec!["汇总", "张三", "李四", "王五"]);
    let summary: Vec<String> = wb
        .worksheet_range("汇总")
        .expect("summary sheet")
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    assert!(
        summary
            .iter()
            .any(|r| r.starts_with("张三|3 ▲3|1 ▲1|25% ▲25个百分点|2 ▲2")),
        "{summary:?}"
    );
    let sheet = wb.worksheet_range("张三").expect("张三's sheet");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 3, "header and two reports on 星河: {rows:?}");
    assert_eq!(rows[0][0], "项目");
    assert_eq!(rows[1][0], "星河项目");
    assert_eq!(rows[1][1], "2026-11-27 17:00");
    assert_eq!(rows[1][3], "问题遗留");
    assert_eq!(wb.worksheet_range("李四").expect("sheet").rows().count(), 1);
}

#[tokio::test]
async fn the_monthly_workbook_holds_the_rows_of_the_month_in_local_time() {
    // 23:30 and 00:30 Beijing time are both 30 November in UTC; only the first is November's.
    let (_bot, _dir, all) = ticked_after(
        &[
            initiation("Mon, 2 Nov 2026 09:00:00 +0800"),
            report("星河", "Mon, 30 Nov 2026 23:30:00 +0800", "nov", None),
            report("星河", "Tue, 1 Dec 2026 00:30:00 +0800", "dec", None),
        ],
        bj("2026-12-01T10:00:00"),
    )
    .await;
    let m = one(&all, "monthly_digest", "wangfang@example.com");
    let cursor = std::io::Cursor::new(m.attachments[0].content.clone());
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(cursor).expect("xlsx opens");
    let rows: Vec<Vec<String>> = wb
        .worksheet_range("张三")
        .expect("张三's sheet")
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 2, "header and November's report: {rows:?}");
    assert_eq!(rows[1][1], "2026-11-30 23:30");
}

#[tokio::test]
async fn each_presales_gets_their_own_table_and_open_items() {
    let (_bot, _dir, all) = december_first().await;
    let p = one(&all, "personal_digest", "zhangsan@example.com");
    assert!(p.body.contains("跟踪表记录：2"), "{}", p.body);
    assert!(p.body.contains("未关闭的遗留问题：2"), "{}", p.body);
    let lisi = one(&all, "personal_digest", "lisi@example.com");
    assert!(lisi.body.contains("跟踪表记录：0"), "{}", lisi.body);
}

fn snapshot(name: &str, actual: &str) {
    let path = common::root().join("tests/fixtures/digests").join(name);
    match std::fs::read_to_string(&path) {
        Ok(expected) => assert_eq!(actual, expected, "{name} differs from its snapshot"),
        Err(_) => {
            std::fs::write(&path, actual).expect("write snapshot");
            panic!("{name}: snapshot written; review it by eye, then run again");
        }
    }
}

#[tokio::test]
async fn digests_match_their_reviewed_snapshots() {
    let (_bot, _dir, all) = december_first().await;
    for (kind, to, name) in [
        ("daily_digest", "wangfang@example.com", "daily"),
        ("weekly_digest", "zhaoqiang@example.com", "weekly"),
        ("monthly_digest", "zhaoqiang@example.com", "monthly"),
        ("personal_digest", "zhangsan@example.com", "personal"),
    ] {
        let q = one(&all, kind, to);
        snapshot(
            &format!("{name}.txt"),
            &format!("Subject: {}\n\n{}", q.subject, q.body),
        );
        snapshot(
            &format!("{name}.html"),
            q.html.as_deref().unwrap_or_default(),
        );
    }
}

/// The plain-text part of the one daily digest queued.
async fn daily_body(bot: &Engine) -> String {
    let mut conn = bot.store.connection().await.expect("reader");
    let rows = outbox::list(&mut conn, None).await.expect("list");
    let daily = rows
        .iter()
        .find(|r| r.kind == "daily_digest")
        .expect("daily digest");
    let q = outbox::pending(&mut conn, daily.id - 1, 1)
        .await
        .expect("pending");
    q[0].body.clone()
}

#[tokio::test]
async fn the_daily_digest_lists_open_fault_orders_with_who_owes_the_next_step() {
    let (bot, _dir) = common::spawn_bot().await;
    for f in ["01-initiation.eml", "02-fault-order.eml"] {
        let path = common::root()
            .join("tests/fixtures/threads/fault-lifecycle")
            .join(f);
        bot.handle(&std::fs::read(path).expect("fixture"), common::now())
            .await
            .expect("mail");
    }
    run_due(&bot, bj("2026-11-10T10:00:00"))
        .await
        .expect("tick");
    let body = daily_body(&bot).await;
    assert!(body.contains("未完成的故障处理工作单：1"), "{body}");
    let line = body
        .lines()
        .find(|l| l.contains("待售前经理同意"))
        .expect("fault row");
    assert!(line.contains("王芳") && line.contains("星河"), "{line}");
}

#[tokio::test]
async fn mail_ignored_as_unauthenticated_is_reported_in_the_daily_digest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = common::config_in(dir.path());
    config.mailbox.trusted_authserv_id = Some("mx.example.com".into());
    let bot = Engine::open(std::sync::Arc::new(config))
        .await
        .expect("engine");
    // Claims to be 张三 but carries no Authentication-Results from our own server.
    let forged = report("星河", "Mon, 30 Nov 2026 11:00:00 +0800", "forged", None);
    bot.handle(&forged, common::now()).await.expect("mail");
    run_due(&bot, bj("2026-12-01T10:00:00"))
        .await
        .expect("tick");
    let body = daily_body(&bot).await;
    assert!(body.contains("未通过发件人认证的邮件：1"), "{body}");
    let line = body
        .lines()
        .find(|l| l.contains("zhangsan@example.com"))
        .expect("listed");
    assert!(line.contains("客户沟通-星河项目-张三"), "{line}");
}

#[tokio::test]
async fn a_digest_counts_only_reports_from_staff_never_the_bots_own_or_ignored_mail() {
    let own = mail(
        "技术支持流程 <supportbot@example.com>",
        "客户沟通-星河项目-张三",
        "Mon, 30 Nov 2026 12:00:00 +0800",
        "own",
        "沟通结果: 成功\r\n项目名称: 星河项目\r\n沟通人: 客户王工\r\n沟通方式: 电话",
    );
    let stranger = mail(
        "某人 <someone@elsewhere.example.net>",
        "客户沟通-星河项目-张三",
        "Mon, 30 Nov 2026 13:00:00 +0800",
        "stranger",
        "沟通结果: 成功\r\n项目名称: 星河项目\r\n沟通人: 客户王工\r\n沟通方式: 电话",
    );
    let (_bot, _dir, all) = ticked_after(
        &[
            initiation("Mon, 2 Nov 2026 09:00:00 +0800"),
            report("星河", "Mon, 30 Nov 2026 10:00:00 +0800", "ok", None),
            own,
            stranger,
        ],
        bj("2026-12-01T10:00:00"),
    )
    .await;
    let d = one(&all, "daily_digest", "wangfang@example.com");
    assert!(!d.body.contains("supportbot@"), "{}", d.body);
    assert!(!d.body.contains("someone@"), "{}", d.body);
    let figure = |label: &str| -> usize {
        d.body
            .lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{label}：")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{label} in {}", d.body))
    };
    assert_eq!(figure("收到的报告"), 1, "{}", d.body);
    assert_eq!(
        figure("收到的报告"),
        figure("接受") + figure("退回"),
        "{}",
        d.body
    );
}

#[tokio::test]
async fn no_monthly_digest_is_sent_for_a_month_that_ended_before_the_bots_first_mail() {
    let (_bot, _dir, all) = ticked_after(
        &[initiation("Mon, 2 Nov 2026 09:00:00 +0800")],
        bj("2026-11-02T10:00:00"),
    )
    .await;
    assert!(
        !all.iter().any(|(k, _)| k == "monthly_digest"),
        "October's digest queued: {:?}",
        all.iter().map(|(k, q)| (k, &q.subject)).collect::<Vec<_>>()
    );
    assert!(all.iter().any(|(k, _)| k == "daily_digest"));
}

#[tokio::test]
async fn overdue_rows_come_first_marked_red_with_a_warning_sign_or_an_exclamation_mark() {
    let (_bot, _dir, all) = december_first().await;
    let d = one(&all, "daily_digest", "wangfang@example.com");
    let late = d
        .body
        .find("! 星河项目")
        .expect("the overdue item marked with !");
    let on_time = d
        .body
        .find("\n星河项目    张三    一般")
        .expect("the item on time");
    assert!(late < on_time, "overdue first: {}", d.body);
    let html = d.html.as_deref().unwrap_or_default();
    assert!(html.contains("<tr style=\"color:#cf222e;font-weight:bold;\"><td style=\"border:1px solid #c8ced6;padding:4px 8px;text-align:left;vertical-align:top;\">⚠ 星河项目"), "{html}");
}

#[tokio::test]
async fn a_digest_tells_managers_how_to_ask_by_mail_never_a_command_line() {
    let (_bot, _dir, all) = december_first().await;
    for (kind, q) in &all {
        if !kind.ends_with("_digest") {
            continue;
        }
        assert!(q.body.contains("标题写「帮助」"), "{kind}: {}", q.body);
        assert!(!q.body.contains("supportbot "), "{kind}: {}", q.body);
        let html = q.html.as_deref().unwrap_or_default();
        assert!(html.contains("标题写「帮助」"), "{kind}");
        assert!(!html.contains("supportbot report"), "{kind}");
    }
}

#[tokio::test]
async fn a_fault_step_owed_past_its_time_and_a_project_past_its_reminder_are_marked_overdue() {
    let (bot, _dir) = common::spawn_bot().await;
    for f in ["01-initiation.eml", "02-fault-order.eml"] {
        let path = common::root()
            .join("tests/fixtures/threads/fault-lifecycle")
            .join(f);
        bot.handle(&std::fs::read(path).expect("fixture"), common::now())
            .await
            .expect("mail");
    }
    let r = report("东方", "Mon, 2 Nov 2026 10:00:00 +0800", "u1", None);
    bot.handle(&r, common::now()).await.expect("report");
    // A week later: the order has waited on 王芳 past its SLA; 东方 is past its 立项 reminder.
    run_due(&bot, bj("2026-11-10T10:00:00"))
        .await
        .expect("tick");
    let body = daily_body(&bot).await;
    let fault = body
        .lines()
        .find(|l| l.contains("待售前经理同意"))
        .expect("fault row");
    assert!(fault.starts_with("! "), "{fault}");
    let project = body
        .lines()
        .find(|l| l.contains("东方项目") && l.contains("孙丽"))
        .expect("uninitiated row");
    assert!(project.starts_with("! "), "{project}");
}
