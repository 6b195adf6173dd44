//! supportbot against a real mail stack on loopback (Dovecot IMAP + LMTP, an SMTP server in
//! front of it; `scripts/mailstack`). Each test has a mail domain, users and mailboxes of its
//! own. Skipped, loudly, only when the stack's env is absent; CI always starts it.

mod stack;

use stack::{World, has_header, mailstack, signal, until};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(180);

fn recorded(w: &World) -> Vec<serde_json::Value> {
    w.messages()
}

fn id_of(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let line = text
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
        .expect("fixture has a Message-ID");
    line.split_once(':')
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

/// Waits until the bot logged `needle` at least `n` times.
async fn logged(w: &World, needle: &str, n: usize) {
    until(LONG, needle, || async {
        (w.log().matches(needle).count() >= n).then_some(())
    })
    .await;
}

/// SIGTERM, then waits for the exit; asserts exit 0 and returns how long it took.
async fn stop(w: &World, mut bot: std::process::Child) -> Duration {
    signal(&bot, "TERM");
    let start = Instant::now();
    let status = until(
        Duration::from_secs(30),
        "the bot to exit after SIGTERM",
        || {
            let r = bot.try_wait().expect("wait on the bot");
            async move { r }
        },
    )
    .await;
    assert!(
        status.success(),
        "the bot exited {status}; log:\n{}",
        w.log()
    );
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_sent_by_smtp_is_answered_in_the_senders_inbox_threaded_via_idle() {
    let Some(s) = stack::stack("a_report_sent_by_smtp_is_answered…") else {
        return;
    };
    let _serial = stack::SERIAL.lock().await;
    let w = World::new(s, "").ready().await;
    let bot = w.spawn_bot();
    logged(&w, "IMAP connected", 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await; // into IDLE
    let mail = w.fixture("01-initiation-xinghe");
    let asked = id_of(&mail);
    let start = Instant::now();
    w.send("sunli", &mail).await;
    let reply = until(LONG, "the ack in the sender's inbox", || async {
        w.folder("sunli", "INBOX")
            .await
            .into_iter()
            .find(|m| has_header(m, "In-Reply-To", &asked))
    })
    .await;
    let latency = start.elapsed();
    println!(
        "end-to-end latency (SMTP in → IMAP IDLE → engine → SMTP out → sender's IMAP inbox): {latency:?}"
    );
    assert!(
        has_header(&reply, "References", &asked),
        "threaded by References too"
    );
    assert!(has_header(&reply, "Subject", "[SB-"), "tagged");
    assert!(w.log().contains("idle=true"), "the bot used IDLE");
    let rows = recorded(&w);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["outcome"], "accepted");
    assert_eq!(
        w.folder("supportbot", "INBOX").await.len(),
        0,
        "moved out of the inbox"
    );
    assert_eq!(w.folder("supportbot", "Processed").await.len(), 1);
    stop(&w, bot).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dovecot_restarted_during_idle_the_bot_reconnects_and_handles_what_came_meanwhile_once() {
    let Some(s) = stack::stack("dovecot_restarted_during_idle…") else {
        return;
    };
    let _serial = stack::SERIAL.lock().await;
    let w = World::new(s, "").ready().await;
    let bot = w.spawn_bot();
    logged(&w, "IMAP connected", 1).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    mailstack(&w.stack, &["stop-imap"]);
    w.drop_in(&w.fixture("01-initiation-xinghe"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    mailstack(&w.stack, &["start-imap"]);
    logged(&w, "IMAP connected", 2).await;
    until(LONG, "the mail that came meanwhile", || async {
        (recorded(&w).len() == 1).then_some(())
    })
    .await;
    w.drop_in(&w.fixture("61-near-miss-no-engineer"));
    until(LONG, "a mail after the reconnect", || async {
        (recorded(&w).len() == 2).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(recorded(&w).len(), 2, "each mail once");
    assert!(
        w.log().contains("mailbox unavailable; retrying"),
        "the loss was logged"
    );
    stop(&w, bot).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_smtp_down_replies_stay_pending_and_go_out_once_it_is_back() {
    let Some(s) = stack::stack("with_smtp_down_replies_stay_pending…") else {
        return;
    };
    let _serial = stack::SERIAL.lock().await;
    let w = World::new(s, "").ready().await;
    mailstack(&w.stack, &["stop-smtp"]);
    let bot = w.spawn_bot();
    w.drop_in(&w.fixture("01-initiation-xinghe"));
    until(LONG, "the mail handled", || async {
        (recorded(&w).len() == 1).then_some(())
    })
    .await;
    logged(&w, "outbox kept pending", 2).await;
    let rows = w.outbox();
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r["status"] == "pending"),
        "{rows:?}"
    );
    mailstack(&w.stack, &["start-smtp"]);
    until(LONG, "the replies sent", || async {
        w.outbox()
            .iter()
            .all(|r| r["status"] == "sent")
            .then_some(())
    })
    .await;
    until(LONG, "the ack delivered", || async {
        (!w.folder("sunli", "INBOX").await.is_empty()).then_some(())
    })
    .await;
    stop(&w, bot).await;
}

/// A near-miss report (its reply goes back to the sender) with Message-ID number `i`.
fn numbered(w: &World, i: usize) -> Vec<u8> {
    let raw = String::from_utf8(w.fixture("61-near-miss-no-engineer")).expect("UTF-8 fixture");
    raw.replace("<nm-1.1126@", &format!("<nm-{i}.1126@"))
        .into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_at_random_while_200_mails_arrive_every_mail_is_handled_exactly_once() {
    let Some(s) = stack::stack("killed_at_random_while_200_mails_arrive…") else {
        return;
    };
    let _serial = stack::SERIAL.lock().await;
    let w = World::new(s, "").ready().await;
    const N: usize = 200;
    let mut bot = w.spawn_bot();
    let mut kills = 0;
    for i in 0..N {
        w.send("zhangsan", &numbered(&w, i)).await;
        if fastrand::u8(..) < 12 {
            tokio::time::sleep(Duration::from_millis(fastrand::u64(0..400))).await;
            bot.kill().expect("SIGKILL");
            bot.wait().expect("reaped");
            kills += 1;
            bot = w.spawn_bot();
        }
    }
    println!("killed the bot {kills} times while {N} mails arrived");
    let rows = until(LONG, "all 200 mails recorded", || async {
        let rows = recorded(&w);
        (rows.len() >= N).then_some(rows)
    })
    .await;
    let mut ids: Vec<String> = rows.iter().map(|r| r["message_id"].to_string()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((rows.len(), ids.len()), (N, N), "every mail exactly once");
    assert!(rows.iter().all(|r| r["kind"] == "near_miss"));
    let outbox = until(LONG, "all replies sent", || async {
        let o = w.outbox();
        o.iter().all(|r| r["status"] == "sent").then_some(o)
    })
    .await;
    assert_eq!(
        outbox.len(),
        N,
        "one reply per mail in state, none duplicated"
    );
    let want: Vec<String> = outbox
        .iter()
        .map(|r| r["message_id"].as_str().unwrap_or_default().to_string())
        .collect();
    let inbox = until(LONG, "every reply delivered", || async {
        let inbox = w.folder("zhangsan", "INBOX").await;
        want.iter()
            .all(|id| inbox.iter().any(|m| has_header(m, "Message-ID", id)))
            .then_some(inbox)
    })
    .await;
    println!(
        "{} replies delivered for {N} distinct ones (resends after a kill allowed)",
        inbox.len()
    );
    assert_eq!(
        w.folder("supportbot", "INBOX").await.len(),
        0,
        "nothing left behind"
    );
    stop(&w, bot).await;
}

/// Truncated MIME, undecodable encodings and a 20 MB attachment.
fn malformed(w: &World) -> Vec<u8> {
    let mut raw = format!(
        "From: =?GB2312?B?!!!notbase64?= <zhangsan@{d}>\r\nTo: supportbot@{d}\r\n\
         Subject: =?UTF-8?Q?=E5=AE=A2=E6=88=B7=?=\r\nMessage-ID: <malformed.1@{d}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         ####\r\n--b1\r\nContent-Type: application/octet-stream\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n",
        d = w.domain
    )
    .into_bytes();
    raw.extend_from_slice(b"\xff\xfe bad bytes in a header-less spot\r\n");
    let line = b"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\r\n";
    while raw.len() < 28 * 1024 * 1024 {
        raw.extend_from_slice(line);
    }
    raw.extend_from_slice(b"QUFBQUFBQUFB"); // truncated: no end of part, no closing boundary
    raw
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_mail_between_two_good_ones_is_dead_lettered_and_reported() {
    let Some(s) = stack::stack("a_malformed_mail_between_two_good_ones…") else {
        return;
    };
    let _serial = stack::SERIAL.lock().await;
    let w = World::new(s, "").ready().await;
    let bot = w.spawn_bot();
    w.send("zhangsan", &numbered(&w, 1)).await;
    w.send("zhangsan", &malformed(&w)).await;
    w.send("zhangsan", &numbered(&w, 2)).await;
    let rows = until(LONG, "three mails recorded", || async {
        let rows = recorded(&w);
        (rows.len() == 3).then_some(rows)
    })
    .await;
    let good = rows.iter().filter(|r| r["kind"] == "near_miss").count();
    assert_eq!(good, 2, "both good mails handled: {rows:?}");
    assert!(
        rows.iter()
            .any(|r| r["reasons"] == serde_json::json!(["unreadable", "too_large"])),
        "the 28 MB mail is over max_message_bytes: {rows:?}"
    );
    until(LONG, "the admin told", || async {
        let inbox = w.folder("admin", "INBOX").await;
        inbox
            .iter()
            .any(|m| has_header(m, "Subject", "[SB-"))
            .then_some(())
    })
    .await;
    assert_eq!(w.folder("supportbot", "DeadLetter").await.len(), 1);
    assert_eq!(w.folder("supportbot", "Processed").await.len(), 2);
    assert!(w.outbox().iter().any(|r| r["kind"] == "dead_letter"));
    stop(&w, bot).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_processing_exits_0_quickly_with_nothing_half_done() {
    let Some(s) = stack::stack("sigterm_during_processing…") else {
        return;
    };
    let _serial = stack::SERIAL.lock().await;
    let w = World::new(s, "").ready().await;
    const N: usize = 60;
    for i in 0..N {
        w.drop_in(&numbered(&w, i));
    }
    let bot = w.spawn_bot();
    until(LONG, "processing to start", || async {
        (!recorded(&w).is_empty()).then_some(())
    })
    .await;
    let took = stop(&w, bot).await;
    let done = recorded(&w).len();
    println!("SIGTERM after {done} of {N} mails; exited 0 in {took:?}");
    let outbox = w.outbox();
    assert_eq!(
        outbox.len(),
        done,
        "every recorded mail has its reply queued, no more"
    );
    let bot = w.spawn_bot();
    until(LONG, "the rest handled after a restart", || async {
        (recorded(&w).len() == N && w.outbox().iter().all(|r| r["status"] == "sent")).then_some(())
    })
    .await;
    assert_eq!(w.outbox().len(), N);
    stop(&w, bot).await;
}

#[test]
fn the_production_example_config_is_valid() {
    let path =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/production.example.toml");
    let config = supportbot::config::Config::load(&path).expect("valid");
    assert!(matches!(
        config.mailbox_url,
        supportbot::config::MailboxUrl::Imap(_)
    ));
    supportbot::transport::imap::endpoint(&config).expect("a usable IMAP URL");
}

/// Runs one test of this binary again, alone, with `CI` set and the stack's env removed.
fn rerun_without_stack(test: &str) -> std::process::Output {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["--exact", test, "--test-threads=1"])
        .env("CI", "true");
    for k in [
        "MAILSTACK_IMAP_PORT",
        "MAILSTACK_SMTP_PORT",
        "MAILSTACK_PASSWORD",
        "MAILSTACK_SCRIPT",
        "MAILSTACK_DIR",
    ] {
        cmd.env_remove(k);
    }
    cmd.output().expect("the test binary runs")
}

#[test]
fn in_ci_a_missing_mail_stack_fails_the_real_server_tests_instead_of_skipping_them() {
    // The child runs a real stack test with CI=true and no stack: it must fail, not pass.
    let out =
        rerun_without_stack("sigterm_during_processing_exits_0_quickly_with_nothing_half_done");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the stack test passed without a stack in CI:\n{text}"
    );
    assert!(text.contains("1 failed"), "{text}");
    assert!(text.contains("CI is set"), "{text}");
}
