//! `process --batch N` commits up to N mails in one transaction and files them away after the
//! commit (src/ingest.rs `ingest_grouped`). What it leaves must not depend on N: the same
//! Maildir processed one mail per transaction and in groups leaves the same rows, ids included,
//! with a mail the database refuses and bytes that are not a mail among them; and mails whose
//! group committed but which were never filed away are seen before on the next run.

mod common;

use std::path::Path;
use std::sync::Arc;
use supportbot::engine::Engine;
use supportbot::jobs;
use supportbot::transport::maildir::MaildirIn;

/// Refuses the one report whose 沟通的具体问题 names the poison: a failure of that mail, not of
/// the database, in whichever group it falls.
const POISON: &str = "CREATE TRIGGER poison BEFORE INSERT ON reports \
                      WHEN NEW.content LIKE '%毒药%' \
                      BEGIN SELECT RAISE(ABORT, 'poisoned for the test'); END";

const POISONED: &str = "From: =?UTF-8?B?5byg5LiJ?= <zhangsan@example.com>\r\n\
To: supportbot@example.com\r\n\
Subject: =?UTF-8?B?5a6i5oi35rKf6YCaLeaYn+ays+mhueebri3lvKDkuIk=?=\r\n\
Date: Tue, 20 Oct 2026 09:00:00 +0800\r\n\
Message-ID: <poisoned-report@example.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\n\
沟通结果: 成功\r\n项目名称: 星河项目\r\n沟通人: 客户王工\r\n沟通方式: 电话\r\n\
沟通的具体问题: 毒药服务器上解决远程桌面网络参数设置，确认客户防火墙放行 3389 端口\r\n沟通时间: 2026-10-20 08:30\r\n";

/// A bot for the golden corpus (reply caps lifted, as in tests/replay_batches.rs) whose
/// database refuses the poisoned report.
async fn poisoned_bot(dir: &Path) -> Engine {
    let mut config = common::config_in(dir);
    config.limits.replies_per_recipient_hour = u32::MAX;
    config.limits.replies_per_recipient_day = u32::MAX;
    // Every golden mail is under 4 KB; the one written over this is dead-lettered unread.
    config.mailbox.max_message_bytes = 16 * 1024;
    let engine = Engine::open(Arc::new(config)).await.expect("engine opens");
    let mut conn = engine.store.connection().await.expect("connection");
    sqlx::query(POISON)
        .execute(&mut *conn)
        .await
        .expect("trigger");
    engine
}

/// A Maildir under `dir` holding the golden corpus in file-name order, with the poisoned
/// report and a mail over the size limit in the middle of it.
fn maildir(dir: &Path) -> MaildirIn {
    let inbox = MaildirIn::create(&dir.join("mail")).expect("maildir");
    let new = dir.join("mail/new");
    let src = common::root().join("tests/fixtures/golden");
    for e in std::fs::read_dir(&src).expect("golden") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "eml") {
            std::fs::copy(&p, new.join(p.file_name().expect("name"))).expect("copy");
        }
    }
    std::fs::write(new.join("30a-poisoned.eml"), POISONED).expect("poisoned");
    let large = format!(
        "From: zhangsan@example.com\r\nSubject: large\r\nMessage-ID: <large@example.com>\r\n\r\n{}",
        "x".repeat(32 * 1024)
    );
    std::fs::write(new.join("30b-large.eml"), large).expect("large");
    inbox
}

/// The Maildir processed `group` mails per transaction: its counts and every row.
async fn processed(group: usize) -> (jobs::Tally, Vec<String>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let bot = poisoned_bot(dir.path()).await;
    let inbox = maildir(dir.path());
    let t = jobs::process_maildir_grouped(&bot, &inbox, group, common::now())
        .await
        .expect("process");
    assert!(
        inbox.new_mail().expect("list").is_empty(),
        "group {group}: every mail filed away"
    );
    // The dead-letter alert names the Maildir's folder, which is another temp dir each run.
    let here = dir.path().display().to_string();
    let rows = common::rows::dump(&bot).await;
    let rows = rows.into_iter().map(|r| r.replace(&here, "DIR")).collect();
    (t, rows, dir)
}

#[tokio::test]
async fn a_maildir_processed_in_groups_leaves_the_rows_one_mail_per_transaction_leaves() {
    let (t1, one_by_one, _d1) = processed(1).await;
    assert!(t1.recorded > 50 && t1.queued > 50, "{t1:?}");
    assert_eq!(
        t1.dead_lettered, 2,
        "the poisoned report and the large mail: {t1:?}"
    );
    for id in ["poisoned-report@example.com", "large@example.com"] {
        assert!(
            one_by_one
                .iter()
                .any(|r| r.starts_with("messages: ") && r.contains(id)),
            "{id} is recorded as a dead letter"
        );
    }
    for group in [7, 500] {
        let (t, together, _d) = processed(group).await;
        assert_eq!(t, t1, "group {group}");
        common::rows::assert_same(&one_by_one, &together, &format!("group {group}"));
    }
}

/// [`processed`], with one mail in the middle of the Maildir failed once in an earlier run: it
/// takes the one-mail path, in a group or not.
async fn processed_after_a_failed_try(group: usize) -> (jobs::Tally, Vec<String>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let bot = poisoned_bot(dir.path()).await;
    let inbox = maildir(dir.path());
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("mail/new"))
        .expect("new")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let failed = &names[names.len() / 2];
    {
        let mut conn = bot.store.connection().await.expect("connection");
        let key = bot.config.mailbox.url.as_str();
        supportbot::store::tries::bump(&mut conn, key, failed, "earlier run", common::now())
            .await
            .expect("a failed try");
    }
    let t = jobs::process_maildir_grouped(&bot, &inbox, group, common::now())
        .await
        .expect("process");
    let here = dir.path().display().to_string();
    let rows = common::rows::dump(&bot).await;
    (
        t,
        rows.into_iter().map(|r| r.replace(&here, "DIR")).collect(),
    )
}

#[tokio::test]
async fn a_mail_tried_before_in_the_middle_of_a_group_leaves_the_mails_after_it_as_they_are() {
    // In groups, a reader thread reads every file ahead, in order (src/read_ahead.rs); the
    // writer takes the one it skips too, or every mail after it would be another's.
    let (t1, one_by_one) = processed_after_a_failed_try(1).await;
    assert!(t1.recorded > 50, "{t1:?}");
    for group in [7, 500] {
        let (t, together) = processed_after_a_failed_try(group).await;
        assert_eq!(t, t1, "group {group}");
        common::rows::assert_same(&one_by_one, &together, &format!("group {group}"));
    }
}

#[tokio::test]
async fn mails_left_in_new_after_their_group_committed_are_seen_before_and_counted_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bot = poisoned_bot(dir.path()).await;
    let inbox = maildir(dir.path());
    let first = jobs::process_maildir_grouped(&bot, &inbox, 500, common::now())
        .await
        .expect("process");
    let rows = common::rows::dump(&bot).await;
    // The process committed its groups and died before filing them: put every handled mail
    // back into new/ under its old name.
    let cur = dir.path().join("mail/cur");
    let mut back = 0;
    for e in std::fs::read_dir(&cur).expect("cur") {
        let p = e.expect("entry").path();
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        let base = name.split(":2,").next().unwrap_or(&name).to_string();
        std::fs::rename(&p, dir.path().join("mail/new").join(base)).expect("back to new");
        back += 1;
    }
    // Dead letters went to the dead-letter folder, not cur/; one golden mail is a duplicate of
    // another and was filed too.
    assert_eq!(
        back,
        first.recorded - first.dead_lettered + first.duplicates,
        "{first:?}"
    );
    let again = jobs::process_maildir_grouped(&bot, &inbox, 500, common::now())
        .await
        .expect("process again");
    assert_eq!((again.recorded, again.duplicates), (0, back), "{again:?}");
    assert!(inbox.new_mail().expect("list").is_empty(), "filed away now");
    assert_eq!(
        common::rows::dump(&bot).await,
        rows,
        "nothing written twice"
    );
}

/// A bot whose per-recipient cap is 2 replies an hour and 3 a day.
async fn capped_bot(dir: &Path) -> Engine {
    let mut config = common::config_in(dir);
    config.limits.replies_per_recipient_hour = 2;
    config.limits.replies_per_recipient_day = 3;
    Engine::open(Arc::new(config)).await.expect("engine opens")
}

/// Eight reports by 张三 too vague to record, minutes apart: each earns a rejection, which the
/// cap counts.
fn vague_reports(dir: &Path) -> MaildirIn {
    let inbox = MaildirIn::create(&dir.join("mail")).expect("maildir");
    for i in 0..8 {
        let mail = POISONED
            .replace("poisoned-report@", &format!("vague-{i}@"))
            .replace(
                "沟通的具体问题: 毒药服务器上解决远程桌面网络参数设置，确认客户防火墙放行 3389 端口",
                "沟通的具体问题: 解决了技术问题",
            );
        std::fs::write(dir.join(format!("mail/new/{i}.eml")), mail).expect("write");
    }
    inbox
}

#[tokio::test]
async fn the_reply_cap_counts_the_replies_of_the_same_group_as_it_counts_committed_ones() {
    let mut runs = Vec::new();
    // Groups of 3: the counts a group read are carried into the next (ingest::Step).
    for group in [1, 3, 500] {
        let dir = tempfile::tempdir().expect("temp dir");
        let bot = capped_bot(dir.path()).await;
        let inbox = vague_reports(dir.path());
        let t = jobs::process_maildir_grouped(&bot, &inbox, group, common::now())
            .await
            .expect("process");
        assert_eq!(t.recorded, 8, "{t:?}");
        let rows = common::rows::dump(&bot).await;
        let status = |s: &str| {
            rows.iter()
                .filter(|r| r.starts_with("outbox: ") && r.contains("'rejection'") && r.contains(s))
                .count()
        };
        // All eight are handled at the same `now`: two fit the hour, the rest are suppressed.
        assert_eq!(
            (status("'pending'"), status("'suppressed'")),
            (2, 6),
            "group {group}"
        );
        assert_eq!(
            rows.iter().filter(|r| r.starts_with("reply_log: ")).count(),
            2,
            "group {group}: only the replies sent are counted"
        );
        assert!(
            rows.iter().any(|r| r.contains("回复已达上限")),
            "group {group}: the admins are told"
        );
        runs.push(rows);
    }
    assert_eq!(runs[0], runs[1], "the same rows, ids included");
    assert_eq!(runs[0], runs[2], "the same rows, ids included");
}

/// A bot on the golden corpus whose inbox and sent mail are Maildirs in `dir` (`process` as the
/// embedded default runs it), caps lifted.
async fn sending_bot(dir: &Path) -> Engine {
    let mut config = common::config_in(dir);
    config.limits.replies_per_recipient_hour = u32::MAX;
    config.limits.replies_per_recipient_day = u32::MAX;
    config.mailbox_url = supportbot::config::MailboxUrl::Maildir(dir.join("mail"));
    config.smtp_url = supportbot::config::SmtpUrl::Maildir(dir.join("sent"));
    Engine::open(Arc::new(config)).await.expect("engine opens")
}

/// The Message-IDs of the files in the sent Maildir's new/.
fn sent_ids(dir: &Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(dir.join("sent/new"))
        .map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            let raw = std::fs::read(&p).expect("sent file");
            let m = mail_parser::MessageParser::default()
                .parse(&raw)
                .expect("a mail");
            m.message_id().expect("Message-ID").to_string()
        })
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn process_in_groups_writes_each_reply_once_beside_the_groups_and_marks_it_sent() {
    let mut runs = Vec::new();
    for group in [1, 7] {
        let dir = tempfile::tempdir().expect("temp dir");
        let bot = sending_bot(dir.path()).await;
        let inbox = maildir(dir.path());
        let out = supportbot::transport::Outbound::from_config(&bot.config).expect("outbound");
        let run = jobs::process_and_send(&bot, &out, group)
            .await
            .expect("process");
        assert!(inbox.new_mail().expect("list").is_empty(), "group {group}");
        let rows = common::rows::dump(&bot).await;
        let outbox = |status: &str| {
            rows.iter()
                .filter(|r| r.starts_with("outbox: ") && r.contains(&format!("'{status}'")))
                .count()
        };
        assert_eq!(outbox("pending"), 0, "group {group}: nothing left pending");
        let ids = sent_ids(dir.path());
        let mut unique = ids.clone();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "group {group}: one file per reply");
        assert_eq!(
            ids.len(),
            outbox("sent"),
            "group {group}: a file per row sent"
        );
        assert_eq!(run.sent.sent, ids.len(), "group {group}: {run:?}");
        assert!(run.tally.queued > 50, "group {group}: {run:?}");
        match group {
            // One mail per transaction: everything is sent after the step, as before.
            1 => assert_eq!(run.beside, 0, "{run:?}"),
            // In groups the replies committed so far are claimed after each group and
            // written beside the next (what the writing thread has not finished by the next
            // group waits for the one after, or for the step's end).
            _ => assert!(run.beside > 0, "group {group}: {run:?}"),
        }
        runs.push((run.tally, ids.len()));
    }
    assert_eq!(runs[0], runs[1], "the same mails handled and sent");
}
