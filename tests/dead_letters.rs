//! A mail whose handling fails, from any inbox, is tried `[limits] max_tries` times (counted in
//! the database, so a restart does not reset the count), then moved to the dead-letter place,
//! and the admins are told once; `process` then exits non-zero with a one-line summary
//! (issue 11). Handling is made to fail by a trigger that refuses every accepted report: the
//! failure is the mail's, not the database's (tests/broken_disk.rs is about that one).

mod common;

use common::site::Site;
use std::path::Path;
use std::sync::Arc;
use supportbot::engine::Engine;
use supportbot::report;
use supportbot::transport::maildir::MaildirIn;

const DATE: &str = "Thu, 03 Dec 2026 10:00:00 +0800";

/// Every report insert fails, with an error that is not a failing database.
const POISON: &str = "CREATE TRIGGER poison BEFORE INSERT ON reports \
                      BEGIN SELECT RAISE(ABORT, 'poisoned for the test'); END";

async fn poisoned_bot(dir: &Path) -> Engine {
    poisoned(common::config_in(dir)).await
}

/// A bot on `config` whose database refuses every accepted report.
async fn poisoned(config: supportbot::config::Config) -> Engine {
    let engine = Engine::open(Arc::new(config)).await.expect("engine opens");
    let mut conn = engine.store.connection().await.expect("connection");
    sqlx::query(POISON)
        .execute(&mut *conn)
        .await
        .expect("trigger");
    engine
}

async fn tries_rows(engine: &Engine) -> Vec<(String, i64)> {
    let mut conn = engine.store.connection().await.expect("connection");
    sqlx::query_as("SELECT mail, tries FROM mail_tries ORDER BY mail")
        .fetch_all(&mut *conn)
        .await
        .expect("mail_tries")
}

async fn dead_letter_alerts(engine: &Engine) -> Vec<String> {
    let mut conn = engine.store.connection().await.expect("connection");
    let rows: Vec<(String,)> = sqlx::query_as("SELECT body FROM outbox WHERE kind = 'dead_letter'")
        .fetch_all(&mut *conn)
        .await
        .expect("outbox");
    rows.into_iter().map(|(b,)| b).collect()
}

/// `tries` failed tries of the Maildir file `name`, counted by an earlier run.
async fn earlier_tries(engine: &Engine, name: &str, tries: i64) {
    let mut conn = engine.store.connection().await.expect("connection");
    sqlx::query(
        "INSERT INTO mail_tries (inbox, mail, tries, last_error, updated_at)
         VALUES (?, ?, ?, 'earlier', '2026-12-04T00:00:00Z')",
    )
    .bind(&engine.config.mailbox.url)
    .bind(name)
    .bind(tries)
    .execute(&mut *conn)
    .await
    .expect("earlier tries");
}

/// The Maildir under `dir` with one report by 张三 (Message-ID `id`) in `new/` as `file`.
fn maildir_with_report(dir: &Path, file: &str, id: &str) -> MaildirIn {
    let inbox = MaildirIn::create(&dir.join("mail")).expect("maildir");
    std::fs::write(
        dir.join("mail/new").join(file),
        common::mail::report("星河", DATE, id, None),
    )
    .expect("write");
    inbox
}

fn ordinary(id: &str) -> Vec<u8> {
    common::mail::mail(
        "张三 <zhangsan@example.com>",
        "周末聚餐",
        DATE,
        id,
        "大家好",
    )
}

#[tokio::test]
async fn a_maildir_mail_whose_handling_fails_three_times_is_dead_lettered_and_admins_told_once() {
    let dir = tempfile::tempdir().expect("dir");
    let engine = poisoned_bot(dir.path()).await;
    let inbox = MaildirIn::create(&dir.path().join("mail")).expect("maildir");
    let new = dir.path().join("mail/new");
    std::fs::write(
        new.join("1.report"),
        common::mail::report("星河", DATE, "poisoned", None),
    )
    .expect("write");
    std::fs::write(new.join("2.ordinary"), ordinary("fine")).expect("write");

    let t = supportbot::jobs::process_maildir(&engine, &inbox, common::now())
        .await
        .expect("process");

    assert_eq!((t.dead_lettered, t.errors, t.recorded), (1, 0, 2), "{t:?}");
    assert!(t.failed() > 0);
    assert!(dir.path().join("mail/.DeadLetter/new/1.report").exists());
    assert!(!new.join("1.report").exists());
    assert!(
        !new.join("2.ordinary").exists(),
        "the mail after it is handled"
    );
    let alerts = dead_letter_alerts(&engine).await;
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].contains("after 3 tries"), "{}", alerts[0]);
    assert!(
        tries_rows(&engine).await.is_empty(),
        "forgotten once dead-lettered"
    );

    // Delivered again, it is the same mail: listed once, the admins not told again.
    std::fs::copy(
        dir.path().join("mail/.DeadLetter/new/1.report"),
        new.join("3.report"),
    )
    .expect("copy");
    let again = supportbot::jobs::process_maildir(&engine, &inbox, common::now())
        .await
        .expect("process");
    assert_eq!(again.duplicates, 1, "{again:?}");
    assert_eq!(dead_letter_alerts(&engine).await.len(), 1);
    let mut conn = engine.store.connection().await.expect("connection");
    let listed: Vec<_> = report::messages_json(&mut conn)
        .await
        .expect("messages")
        .into_iter()
        .filter(|m| m["message_id"] == "poisoned@test.example.com")
        .collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["outcome"], "ignored");
}

#[tokio::test]
async fn tries_counted_before_a_restart_count_toward_the_bound() {
    let dir = tempfile::tempdir().expect("dir");
    let engine = poisoned_bot(dir.path()).await;
    let inbox = maildir_with_report(dir.path(), "1.report:2,", "poisoned");
    // Two failed tries by a run that was then killed (the base name is the key).
    earlier_tries(&engine, "1.report", 2).await;

    let t = supportbot::jobs::process_maildir(&engine, &inbox, common::now())
        .await
        .expect("process");

    assert_eq!(t.dead_lettered, 1);
    let alerts = dead_letter_alerts(&engine).await;
    assert_eq!(alerts.len(), 1);
    assert!(
        alerts[0].contains("after 3 tries"),
        "one more try, not three: {}",
        alerts[0]
    );
}

#[tokio::test]
async fn a_mail_that_fails_once_and_then_succeeds_is_handled_and_its_tries_forgotten() {
    let dir = tempfile::tempdir().expect("dir");
    let engine = Engine::open(Arc::new(common::config_in(dir.path())))
        .await
        .expect("engine opens");
    let inbox = maildir_with_report(dir.path(), "1.report", "flaky");
    earlier_tries(&engine, "1.report", 1).await;
    let t = supportbot::jobs::process_maildir(&engine, &inbox, common::now())
        .await
        .expect("process");
    assert_eq!((t.recorded, t.dead_lettered, t.failed()), (1, 0, 0));
    assert!(tries_rows(&engine).await.is_empty());
    assert!(dead_letter_alerts(&engine).await.is_empty());
}

#[tokio::test]
async fn process_exits_non_zero_with_one_line_when_a_mail_was_dead_lettered() {
    let site = Site::new();
    site.ok(&["process"]); // creates the database and the Maildir
    poisoned(supportbot::config::Config::load(&site.config).expect("config")).await;
    std::fs::write(
        site.path("mail/new/1.report"),
        common::mail::report("星河", DATE, "poisoned", None),
    )
    .expect("write");

    let out = site.bot(&["process"]);

    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("processed"))
        .collect();
    assert_eq!(summary.len(), 1, "{stderr}");
    assert!(summary[0].contains("1 dead-lettered"), "{stderr}");
    assert!(site.path("mail/.DeadLetter/new/1.report").exists());

    // Nothing left to fail: the next run succeeds.
    site.ok(&["process"]);
}
