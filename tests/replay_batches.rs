//! A replay batch holds the rows no later mail reads and writes them at its end, one statement
//! per table (src/store/batch.rs). What it writes must not depend on the batch size: the same
//! archive replayed in one batch and one mail per batch leaves the same rows, with the same ids.

mod common;

use std::path::{Path, PathBuf};
use supportbot::engine::{Engine, Replies};
use supportbot::jobs;

fn golden(dir: &Path) -> PathBuf {
    let files = dir.join("archive");
    std::fs::create_dir_all(&files).expect("dir");
    let src = common::root().join("tests/fixtures/golden");
    for e in std::fs::read_dir(&src).expect("golden") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "eml") {
            std::fs::copy(&p, files.join(p.file_name().expect("name"))).expect("copy");
        }
    }
    files
}

async fn replayed(files: &Path, batch: usize, replies: Replies) -> (Vec<String>, jobs::Tally) {
    let (bot, _dir) = common::spawn_corpus_bot().await;
    let t = jobs::replay_with(&bot, &[files.to_path_buf()], batch, replies, common::now())
        .await
        .expect("replay");
    (common::rows::dump(&bot).await, t)
}

#[tokio::test]
async fn the_golden_corpus_replayed_in_one_batch_leaves_the_rows_one_mail_per_batch_leaves() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = golden(dir.path());
    for replies in [Replies::RecordNotSent, Replies::Queue] {
        let (one_by_one, t1) = replayed(&files, 1, replies).await;
        let (together, t2) = replayed(&files, 1000, replies).await;
        assert_eq!(t1, t2);
        assert!(t1.recorded > 50 && t1.queued > 50, "{t1:?}");
        assert!(one_by_one.iter().any(|r| r.starts_with("reports: ")));
        assert!(one_by_one.iter().any(|r| r.starts_with("item_history: ")));
        assert!(one_by_one.iter().any(|r| r.starts_with("audit_log: ")));
        assert!(one_by_one.iter().any(|r| r.starts_with("kb: ")));
        common::rows::assert_same(&one_by_one, &together, &format!("{replies:?}"));
    }
}

fn mail(id: &str, date: &str, subject: &str, extra: &str, body: &str) -> String {
    format!(
        "From: zhangsan@example.com\r\nTo: support@example.com\r\nDate: {date}\r\n\
         Message-ID: <{id}>\r\nSubject: {subject}\r\n{extra}MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

/// The Message-ID the bot gives its first answer to the mail with Message-ID `id` and Date
/// header `date` (engine.rs `reply_message_id`): the Date in UTC, a sha256 of the key, then the
/// bot's domain.
fn answer_id(bot: &Engine, id: &str, date: &str) -> String {
    use sha2::{Digest, Sha256};
    let seed = hex::encode(&Sha256::digest(id.as_bytes())[..8]);
    let stamp = chrono::DateTime::parse_from_rfc2822(date)
        .expect("the fixture's Date is RFC 2822")
        .with_timezone(&chrono::Utc)
        .format("%Y%m%d%H%M%S");
    format!("<sb.{stamp}.{seed}.0@{}>", bot.config.bot_domain())
}

#[tokio::test]
async fn a_reply_to_the_bots_answer_in_the_same_batch_finds_the_thread_of_the_answered_mail() {
    let (bot, dir) = common::spawn_corpus_bot().await;
    let files = dir.path().join("archive");
    std::fs::create_dir_all(&files).expect("dir");
    let report =
        std::fs::read(common::root().join("tests/fixtures/golden/08-report-success-base64.eml"))
            .expect("fixture");
    let text = String::from_utf8_lossy(&report).into_owned();
    let key = text
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: <"))
        .map(|v| v.trim_end_matches('>').to_string())
        .expect("the fixture has a Message-ID");
    let date = text
        .lines()
        .find_map(|l| l.strip_prefix("Date: "))
        .map(|v| v.trim().to_string())
        .expect("the fixture has a Date");
    std::fs::write(files.join("1.eml"), &report).expect("write");
    // An answer to the bot's ack, found only by its In-Reply-To (no [SB-n] in the subject),
    // dated after the report so it comes later in the same batch.
    let reply = mail(
        "reply-to-ack@example.com",
        "Mon, 30 Nov 2026 10:00:00 +0800",
        "Re: 回执",
        &format!("In-Reply-To: {}\r\n", answer_id(&bot, &key, &date)),
        "收到，谢谢",
    );
    std::fs::write(files.join("2.eml"), reply).expect("write");
    // Without --send: the ack is recorded `not_sent`, held until the batch's end.
    let t = jobs::replay_with(&bot, &[files], 500, Replies::RecordNotSent, common::now())
        .await
        .expect("replay");
    assert_eq!(t.recorded, 2, "{t:?}");
    let mut conn = bot.store.connection().await.expect("reader");
    let (report_id, chain): (i64, Option<i64>) = sqlx::query_as(
        "SELECT (SELECT id FROM messages WHERE dedup_key = ?),
                (SELECT chain FROM messages WHERE dedup_key = 'reply-to-ack@example.com')",
    )
    .bind(&key)
    .fetch_one(&mut *conn)
    .await
    .expect("rows");
    assert_eq!(
        chain,
        Some(report_id),
        "the reply is on the report's thread"
    );
}

/// The mails of `files`' dedup keys as recorded, in id order.
async fn recorded_keys(bot: &Engine) -> Vec<String> {
    let mut conn = bot.store.connection().await.expect("reader");
    sqlx::query_scalar("SELECT dedup_key FROM messages ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .expect("rows")
}

#[tokio::test]
async fn a_mail_the_database_refuses_loses_only_itself_not_the_mails_after_it_in_its_batch() {
    let (bot, dir) = common::spawn_corpus_bot().await;
    let files = dir.path().join("archive");
    std::fs::create_dir_all(&files).expect("dir");
    // Seven mails a minute apart; the second is refused by the database (a trigger standing for
    // a constraint one mail breaks).
    for i in 1..=7 {
        let date = format!("Mon, 30 Nov 2026 10:0{i}:00 +0800");
        let subject = if i == 2 { "拒收" } else { "你好" };
        let body = mail(&format!("m{i}@example.com"), &date, subject, "", "正文");
        std::fs::write(files.join(format!("{i}.eml")), body).expect("write");
    }
    {
        let mut conn = bot.store.connection().await.expect("writer");
        sqlx::query(
            "CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN NEW.subject = '拒收'
             BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )
        .execute(&mut *conn)
        .await
        .expect("trigger");
    }
    // Batches of three: the first holds the refused mail and is done again one at a time;
    // the mail after it in that batch, and the batches after, are all recorded.
    let t = jobs::replay_with(&bot, &[files], 3, Replies::RecordNotSent, common::now())
        .await
        .expect("replay");
    assert_eq!((t.recorded, t.errors), (6, 1), "{t:?}");
    let expected: Vec<String> = [1, 3, 4, 5, 6, 7]
        .iter()
        .map(|i| format!("m{i}@example.com"))
        .collect();
    assert_eq!(recorded_keys(&bot).await, expected);
}

/// A complaint by 孙丽 (a sales of the golden corpus) about 星河项目, or her withdrawal of
/// her latest one, on day `day` of December 2026.
fn complaint_mail(n: usize, day: u32, withdraw: bool) -> String {
    let (subject, body) = if withdraw {
        ("撤销投诉-星河项目", "误会已澄清，撤销最近一次投诉。")
    } else {
        (
            "投诉－星河项目响应不及时",
            "情况说明: 客户报障，售前半天后才回复",
        )
    };
    format!(
        "From: =?UTF-8?B?5a2Z5Li9?= <sunli@example.com>\r\nTo: wangfang@example.com\r\n\
         Cc: supportbot@example.com\r\nDate: Wed, {day:02} Dec 2026 09:{n:02}:00 +0800\r\n\
         Message-ID: <dec-{n}@example.com>\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

#[tokio::test]
async fn complaints_withdrawn_between_others_in_one_batch_are_counted_as_one_by_one() {
    // The engine keeps a transaction's complaint counts and notices in memory
    // (store::complaints::Known): a withdrawal in the middle of a batch must count down what
    // the complaints after it see, as when each mail has its own transaction.
    let dir = tempfile::tempdir().expect("temp dir");
    let files = golden(dir.path());
    let plan = [
        false, false, true, false, false, false, true, false, true, false, false,
    ];
    for (n, withdraw) in plan.iter().enumerate() {
        let day = 1 + u32::try_from(n / 4).expect("small");
        let m = complaint_mail(n, day, *withdraw);
        std::fs::write(files.join(format!("dec-{n:02}.eml")), m).expect("write");
    }
    let (one_by_one, t1) = replayed(&files, 1, Replies::Queue).await;
    let (together, t2) = replayed(&files, 1000, Replies::Queue).await;
    assert_eq!(t1, t2);
    let notices = |rows: &[String]| {
        rows.iter()
            .filter(|r| r.starts_with("threshold_notices: "))
            .count()
    };
    assert!(notices(&one_by_one) > 0, "the complaints cross a level");
    common::rows::assert_same(&one_by_one, &together, "complaints and withdrawals");
}
