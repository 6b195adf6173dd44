//! Mail written to hurt (issue 12): a mail over `max_message_bytes` from any inbox is recorded
//! `too_large` without being read, moved aside and reported once; what a reply echoes of the
//! sender's mail is cut (mail-formats.md "Limits on what is echoed").

mod common;

use std::path::Path;
use std::sync::Arc;
use supportbot::engine::Engine;
use supportbot::report;
use supportbot::transport::maildir::MaildirIn;

const MAX: u64 = 64 * 1024;

async fn bot_with_max(dir: &Path, max: u64) -> Engine {
    let mut config = common::config_in(dir);
    config.mailbox.max_message_bytes = max;
    Engine::open(Arc::new(config)).await.expect("engine opens")
}

/// A report by 张三 with `extra` bytes of body: over MAX when `extra` is.
fn big_report(id: &str, extra: usize) -> Vec<u8> {
    let mut raw = common::mail::report("星河", "Thu, 03 Dec 2026 10:00:00 +0800", id, None);
    raw.extend(std::iter::repeat_n(b'x', extra));
    raw.extend_from_slice(b"\r\n");
    raw
}

async fn messages(engine: &Engine) -> Vec<serde_json::Value> {
    let mut conn = engine.store.connection().await.expect("connection");
    report::messages_json(&mut conn).await.expect("messages")
}

async fn outbox_kinds(engine: &Engine, kind: &str) -> Vec<supportbot::store::outbox::OutboxRow> {
    let mut conn = engine.store.connection().await.expect("connection");
    report::outbox(&mut conn, None)
        .await
        .expect("outbox")
        .into_iter()
        .filter(|r| r.kind == kind)
        .collect()
}

fn is_too_large(m: &serde_json::Value) -> bool {
    m["reasons"] == serde_json::json!(["unreadable", "too_large"])
        && m["kind"] == "ordinary"
        && m["outcome"] == "ignored"
}

#[tokio::test]
async fn a_maildir_mail_over_the_limit_is_recorded_too_large_moved_aside_and_reported_once() {
    let dir = tempfile::tempdir().expect("dir");
    let engine = bot_with_max(dir.path(), MAX).await;
    let inbox = MaildirIn::create(&dir.path().join("mail")).expect("maildir");
    let big = big_report("big", 2 * MAX as usize);
    std::fs::write(dir.path().join("mail/new/1.big"), &big).expect("write");
    std::fs::write(dir.path().join("mail/new/2.small"), big_report("small", 10)).expect("write");
    let tally = supportbot::jobs::process_maildir(&engine, &inbox, common::now())
        .await
        .expect("process");
    assert_eq!((tally.recorded, tally.errors), (2, 0));

    let all = messages(&engine).await;
    let big_row: Vec<_> = all
        .iter()
        .filter(|m| m["message_id"] == "big@test.example.com")
        .collect();
    assert_eq!(big_row.len(), 1);
    assert!(is_too_large(big_row[0]), "{:?}", big_row[0]);
    assert!(
        all.iter()
            .any(|m| m["message_id"] == "small@test.example.com" && m["outcome"] == "accepted")
    );
    let dead = dir.path().join("mail/.DeadLetter/new/1.big");
    assert!(dead.exists(), "moved aside");
    assert!(!dir.path().join("mail/new/1.big").exists());
    let alerts = outbox_kinds(&engine, "dead_letter").await;
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].to.contains(&"admin@example.com".to_string()));

    // The same mail delivered again is the same mail: listed once, reported once.
    std::fs::copy(&dead, dir.path().join("mail/new/3.big")).expect("copy");
    let again = supportbot::jobs::process_maildir(&engine, &inbox, common::now())
        .await
        .expect("process");
    assert_eq!((again.recorded, again.duplicates), (0, 1));
    assert_eq!(messages(&engine).await.len(), 2);
    assert_eq!(outbox_kinds(&engine, "dead_letter").await.len(), 1);
    assert!(dir.path().join("mail/.DeadLetter/new/3.big").exists());
}

#[tokio::test]
async fn a_file_over_the_limit_given_to_replay_is_recorded_too_large_and_left_in_place() {
    let dir = tempfile::tempdir().expect("dir");
    let engine = bot_with_max(dir.path(), MAX).await;
    let file = dir.path().join("archive.eml");
    std::fs::write(&file, big_report("archived-big", 3 * MAX as usize)).expect("write");
    let tally = supportbot::jobs::replay(&engine, std::slice::from_ref(&file), 50, common::now())
        .await
        .expect("replay");
    assert_eq!((tally.recorded, tally.errors, tally.queued), (1, 0, 0));
    let all = messages(&engine).await;
    assert_eq!(all.len(), 1);
    assert!(is_too_large(&all[0]), "{:?}", all[0]);
    assert!(file.exists());
    assert_eq!(outbox_kinds(&engine, "dead_letter").await.len(), 1);
}

#[tokio::test]
async fn a_mail_without_a_message_id_over_the_limit_is_listed_once_however_often_replayed() {
    let dir = tempfile::tempdir().expect("dir");
    let engine = bot_with_max(dir.path(), MAX).await;
    let raw = format!(
        "From: 张三 <zhangsan@example.com>\r\nSubject: 大附件\r\n\r\n{}\r\n",
        "y".repeat(2 * MAX as usize)
    );
    let file = dir.path().join("no-id.eml");
    std::fs::write(&file, raw).expect("write");
    for _ in 0..2 {
        supportbot::jobs::replay(&engine, std::slice::from_ref(&file), 50, common::now())
            .await
            .expect("replay");
    }
    assert_eq!(messages(&engine).await.len(), 1);
    assert_eq!(outbox_kinds(&engine, "dead_letter").await.len(), 1);
}

/// A vague report by 张三 on project `project` whose mail says `references`.
fn vague_report(project: &str, references: &str, content: &str) -> Vec<u8> {
    format!(
        "From: 张三 <zhangsan@example.com>\r\nTo: supportbot@example.com\r\n\
         Subject: 客户沟通-{project}项目-张三\r\nDate: Thu, 03 Dec 2026 10:00:00 +0800\r\n\
         Message-ID: <echo@test.example.com>\r\nReferences: {references}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         沟通结果: 成功\r\n项目名称: {project}项目\r\n沟通人: 客户王工\r\n沟通方式: 电话\r\n\
         沟通的具体问题: {content}\r\n责任销售: 孙丽\r\n"
    )
    .into_bytes()
}

async fn the_rejection(engine: &Engine) -> supportbot::mail::outbound::Queued {
    let mut conn = engine.store.connection().await.expect("connection");
    let rows = supportbot::store::outbox::pending(&mut conn, 0, 10)
        .await
        .expect("pending");
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows.into_iter().next().expect("one reply")
}

#[tokio::test]
async fn a_huge_subject_is_cut_to_200_characters_in_the_reply_subject() {
    let (engine, _dir) = common::spawn_bot().await;
    let project = "星".repeat(30_000);
    engine
        .handle(
            &vague_report(&project, "<a@x>", "解决了技术问题"),
            common::now(),
        )
        .await
        .expect("handled");
    let reply = the_rejection(&engine).await;
    let after_tag = reply.subject.split_once("] ").map_or("", |(_, s)| s);
    assert_eq!(after_tag.chars().count(), 200, "{}", reply.subject);
    assert!(reply.subject.chars().count() < 220);
}

#[tokio::test]
async fn a_references_chain_of_100000_ids_is_cut_to_the_last_20() {
    let (engine, _dir) = common::spawn_bot().await;
    let chain: Vec<String> = (0..100_000).map(|i| format!("<r{i}@x>")).collect();
    engine
        .handle(
            &vague_report("星河", &chain.join(" "), "解决了技术问题"),
            common::now(),
        )
        .await
        .expect("handled");
    let reply = the_rejection(&engine).await;
    let refs: Vec<&str> = reply
        .references
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(refs.len(), 20);
    assert_eq!(refs.last(), Some(&"<echo@test.example.com>"));
    assert_eq!(refs.first(), Some(&"<r99981@x>"));
}

#[tokio::test]
async fn a_field_value_echoed_in_a_rejection_template_is_cut_to_2000_characters() {
    let (engine, _dir) = common::spawn_bot().await;
    let content = format!("解决了技术问题{}", "啊".repeat(50_000));
    // Vague as a whole is not what we test; make it fail another check: no 沟通方式 value.
    let raw = String::from_utf8(vague_report("星河", "<a@x>", &content))
        .expect("utf-8")
        .replace("沟通方式: 电话", "沟通方式: ");
    engine
        .handle(raw.as_bytes(), common::now())
        .await
        .expect("handled");
    let reply = the_rejection(&engine).await;
    let line = reply
        .body
        .lines()
        .find(|l| l.starts_with("沟通的具体问题: "))
        .expect("the field is echoed");
    let value = line.trim_start_matches("沟通的具体问题: ");
    assert_eq!(value.chars().count(), 2_000);
    assert!(reply.body.chars().count() < 5_000);
}
