//! Bounded tries hold for the IMAP inbox too (issue 11): a mail whose handling fails is tried
//! `[limits] max_tries` times, then moved to the dead-letter folder with one alert to the
//! admins, the mail after it is handled, and `process` exits 1. Needs the mail stack
//! (`scripts/mailstack`); skipped, loudly, without it.

mod stack;

use stack::World;
use std::process::{Command, Output};

/// Every report insert fails, with an error that is not a failing database.
const POISON: &str = "CREATE TRIGGER poison BEFORE INSERT ON reports \
                      BEGIN SELECT RAISE(ABORT, 'poisoned for the test'); END";

fn process(w: &World) -> Output {
    Command::new(env!("CARGO_BIN_EXE_supportbot"))
        .arg("--config")
        .arg(&w.config)
        .arg("process")
        .env("SUPPORTBOT_IMAP_PASSWORD", &w.stack.password)
        .env("SUPPORTBOT_LOG", "warn")
        .output()
        .expect("supportbot runs")
}

fn mail(w: &World, subject: &str, id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: 张三 <{}>\r\nTo: {}\r\nSubject: {subject}\r\nDate: Thu, 03 Dec 2026 10:00:00 +0800\r\n\
         Message-ID: <{id}@{}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n",
        w.addr("zhangsan"),
        w.addr("supportbot"),
        w.domain,
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_imap_mail_whose_handling_fails_is_dead_lettered_after_max_tries_and_process_exits_1() {
    let Some(s) = stack::stack("an_imap_mail_whose_handling_fails…") else {
        return;
    };
    let _serial = stack::SERIAL.lock().await;
    let w = World::new(s, "").ready().await;
    let first = process(&w);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    {
        let db = w.dir.path().join("supportbot.db");
        let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", db.display()))
            .await
            .expect("database");
        sqlx::query(POISON).execute(&pool).await.expect("trigger");
        pool.close().await;
    }
    let report = mail(
        &w,
        "客户沟通-星河项目-张三",
        "poisoned",
        "沟通结果: 成功\r\n项目名称: 星河项目\r\n沟通人: 客户王工\r\n沟通方式: 电话\r\n\
         沟通的具体问题: 确认客户防火墙放行 3389 端口并配置审计策略\r\n责任销售: 孙丽",
    );
    w.send("zhangsan", &report).await;
    w.send("zhangsan", &mail(&w, "周末聚餐", "fine", "大家好"))
        .await;
    stack::until(
        std::time::Duration::from_secs(30),
        "both mails in the INBOX",
        || async { (w.folder("supportbot", "INBOX").await.len() == 2).then_some(()) },
    )
    .await;

    let out = process(&w);

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("1 dead-lettered"), "{stderr}");
    assert_eq!(w.folder("supportbot", "DeadLetter").await.len(), 1);
    assert_eq!(w.folder("supportbot", "Processed").await.len(), 1);
    let alerts: Vec<_> = w
        .outbox()
        .into_iter()
        .filter(|r| r["kind"] == "dead_letter")
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
}
