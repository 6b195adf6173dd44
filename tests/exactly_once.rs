//! A killed process loses nothing and counts nothing twice: the mail's record, its state
//! change and its replies commit together; transport steps after the commit are safe to repeat.

mod common;

use supportbot::engine::Handled;
use supportbot::jobs;
use supportbot::report;
use supportbot::transport::Outbound;
use supportbot::transport::maildir::{MaildirIn, MaildirOut};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(common::root().join("tests/fixtures/golden").join(name)).expect("fixture")
}

#[tokio::test]
async fn killed_between_commit_and_moving_the_file_counts_the_complaint_once() {
    let (bot, dir) = common::spawn_bot().await;
    let inbox = MaildirIn::create(&dir.path().join("mail")).expect("maildir");
    bot.handle(&fixture("01-initiation-xinghe.eml"), common::now())
        .await
        .expect("立项");
    let complaint = fixture("44-complaint-director-only-forward.eml");
    std::fs::write(dir.path().join("mail/new/1.M1.x"), &complaint).expect("deliver");
    // The process committed this mail and died before moving it out of new/.
    bot.handle(&complaint, common::now())
        .await
        .expect("first attempt");

    let t = jobs::process_maildir(&bot, &inbox, common::now())
        .await
        .expect("restart");
    assert_eq!((t.recorded, t.duplicates), (0, 1));
    assert!(
        inbox.new_mail().expect("list").is_empty(),
        "moved to cur/ now"
    );
    let mut conn = bot.store.connection().await.expect("reader");
    let tally = report::tally(&bot.config, &mut conn, "2026-11")
        .await
        .expect("tally");
    assert_eq!(tally[0].month_count, 1);
    let queued = supportbot::store::outbox::list(&mut conn, None)
        .await
        .expect("outbox");
    assert_eq!(
        queued.len(),
        3,
        "ack + forward for the complaint, ack for the 立项: once each"
    );
}

#[tokio::test]
async fn a_mail_sent_again_after_a_crash_is_the_same_file_with_the_same_message_id() {
    let (bot, dir) = common::spawn_bot().await;
    bot.handle(&fixture("01-initiation-xinghe.eml"), common::now())
        .await
        .expect("立项");
    let out = Outbound::Maildir(MaildirOut::create(&dir.path().join("sent")).expect("maildir"));
    let first = jobs::send_pending(&bot, &out, common::now())
        .await
        .expect("send");
    assert_eq!(first.sent, 1);
    let sent_dir = dir.path().join("sent/new");
    let before: Vec<_> = std::fs::read_dir(&sent_dir)
        .expect("sent")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    let bytes = std::fs::read(&before[0]).expect("read");

    // The process delivered the file and died before marking the row sent.
    let mut tx = bot.store.begin().await.expect("tx");
    sqlx::query("UPDATE outbox SET status = 'pending'")
        .execute(&mut *tx)
        .await
        .expect("reset");
    tx.commit().await.expect("commit");
    let again = jobs::send_pending(&bot, &out, common::now())
        .await
        .expect("send again");
    assert_eq!(again.sent, 1);
    let after: Vec<_> = std::fs::read_dir(&sent_dir)
        .expect("sent")
        .filter_map(Result::ok)
        .collect();
    assert_eq!(after.len(), 1, "the same file, not a second one");
    assert_eq!(
        std::fs::read(&before[0]).expect("read"),
        bytes,
        "byte for byte the same mail"
    );
}

#[tokio::test]
async fn the_same_content_without_a_message_id_is_recorded_once() {
    let (bot, _dir) = common::spawn_bot().await;
    let raw = fixture("30-report-no-message-id.eml");
    assert!(matches!(
        bot.handle(&raw, common::now()).await.expect("first"),
        Handled::Recorded { .. }
    ));
    assert_eq!(
        bot.handle(&raw, common::now()).await.expect("again"),
        Handled::Duplicate
    );
}

#[tokio::test]
async fn a_replay_batch_the_database_refuses_is_done_again_one_mail_at_a_time() {
    let (bot, dir) = common::spawn_bot().await;
    let files = dir.path().join("export");
    std::fs::create_dir_all(&files).expect("dir");
    for f in [
        "01-initiation-xinghe.eml",
        "08-report-success-base64.eml",
        "44-complaint-director-only-forward.eml",
    ] {
        std::fs::write(files.join(f), fixture(f)).expect("copy");
    }
    // The database refuses the report (a stand-in for any database error inside a batch).
    let mut tx = bot.store.begin().await.expect("tx");
    sqlx::query(
        "CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN NEW.dedup_key LIKE '%rep-zs-1014%'
         BEGIN SELECT RAISE(ABORT, 'refused'); END",
    )
    .execute(&mut *tx)
    .await
    .expect("trigger");
    tx.commit().await.expect("commit");

    let t = jobs::replay(&bot, &[files], 10, common::now())
        .await
        .expect("replay");
    assert_eq!((t.recorded, t.errors), (2, 1), "{t:?}");
    let mut conn = bot.store.connection().await.expect("reader");
    let kinds: Vec<String> = supportbot::store::messages::list(&mut conn)
        .await
        .expect("messages")
        .into_iter()
        .map(|m| m.kind)
        .collect();
    assert_eq!(kinds, ["initiation", "complaint"], "the others, once each");
}
