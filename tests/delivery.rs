//! Each queued mail is delivered once over a real SMTP server on loopback (scripts/mailstack),
//! however many senders run at once, and a sender killed with SIGKILL repeats at most the one
//! mail it had in flight.

mod stack;

use stack::{World, has_header, until};
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use supportbot::config::Config;
use supportbot::engine::Engine;
use supportbot::mail::{Outgoing, OutgoingKind};
use supportbot::store::outbox;

const LONG: Duration = Duration::from_secs(120);
const RECIPIENTS: [&str; 4] = ["zhangsan", "lisi", "wangwu", "sunli"];

/// Queues `n` notices straight into the world's outbox (not replies: no per-recipient cap
/// applies), spread over [`RECIPIENTS`]; returns their Message-IDs per recipient.
async fn queue(w: &World, n: usize) -> HashMap<String, Vec<String>> {
    let config = Config::load(&w.config).expect("the world's config");
    let engine = Engine::open(Arc::new(config)).await.expect("database");
    let mut conn = engine.store.connection().await.expect("conn");
    let mut ids: HashMap<String, Vec<String>> = HashMap::new();
    for i in 0..n {
        let user = RECIPIENTS[i % RECIPIENTS.len()];
        let mail = Outgoing {
            kind: OutgoingKind::OpenItemReminder,
            to: vec![w.addr(user)],
            cc: vec![],
            subject: format!("遗留问题提醒 {i}"),
            body: format!("第 {i} 封提醒。\n"),
        };
        let message_id = format!("<claim-{i}@{}>", w.domain);
        let s = outbox::Scheduled {
            mail: &mail,
            message_id: &message_id,
            html: None,
            attachments: &[],
            created_at: chrono::Utc::now(),
        };
        assert!(
            outbox::enqueue_scheduled(&mut conn, &s)
                .await
                .expect("queued")
        );
        ids.entry(user.to_string()).or_default().push(message_id);
    }
    drop(conn);
    engine.store.close().await;
    ids
}

/// Starts `supportbot ARGS` on the world's config, its log appended to `bot.log`.
fn start(w: &World, args: &[&str]) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(w.dir.path().join("bot.log"))
        .expect("log file");
    Command::new(env!("CARGO_BIN_EXE_supportbot"))
        .arg("--config")
        .arg(&w.config)
        .args(args)
        .env("SUPPORTBOT_IMAP_PASSWORD", &w.stack.password)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("supportbot starts")
}

/// How many times each queued Message-ID reached its recipient's INBOX, once every one has.
async fn deliveries(w: &World, ids: &HashMap<String, Vec<String>>) -> HashMap<String, usize> {
    until(LONG, "every queued mail delivered", || async {
        let mut seen = HashMap::new();
        for (user, want) in ids {
            let inbox = w.folder(user, "INBOX").await;
            for id in want {
                let n = inbox
                    .iter()
                    .filter(|m| has_header(m, "Message-ID", id))
                    .count();
                seen.insert(id.clone(), n);
            }
        }
        seen.values().all(|&n| n > 0).then_some(seen)
    })
    .await
}

fn pending(w: &World) -> usize {
    w.json(&["outbox", "--status", "pending", "--format", "json"])
        .as_array()
        .map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread")]
async fn two_sends_and_a_process_at_once_over_smtp_deliver_every_mail_once() {
    let Some(s) = stack::stack("two_sends_and_a_process_at_once…") else {
        return;
    };
    let _serial = stack::SERIAL.lock().await;
    let w = World::new(s, "").ready().await;
    let ids = queue(&w, 30).await;
    let mut runs = vec![
        start(&w, &["send"]),
        start(&w, &["send"]),
        start(&w, &["process"]),
    ];
    for r in &mut runs {
        let status = r.wait().expect("waited");
        assert!(status.success(), "{status}; log:\n{}", w.log());
    }
    assert_eq!(pending(&w), 0, "everything went out; log:\n{}", w.log());
    let seen = deliveries(&w, &ids).await;
    // Late duplicates would arrive right behind the first copies.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let seen_again = deliveries(&w, &ids).await;
    assert_eq!(seen, seen_again);
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert_eq!(seen.len(), 30);
}

#[tokio::test(flavor = "multi_thread")]
async fn send_killed_with_sigkill_again_and_again_repeats_at_most_one_mail_per_kill() {
    let Some(s) = stack::stack("send_killed_with_sigkill…") else {
        return;
    };
    let _serial = stack::SERIAL.lock().await;
    let w = World::new(s, "").ready().await;
    // A killed sender's claim lapses after a second here (10 minutes by default).
    let text = std::fs::read_to_string(&w.config).expect("config");
    std::fs::write(
        &w.config,
        text.replacen(
            "retry_max_seconds = 2",
            "retry_max_seconds = 2\nclaim_seconds = 1",
            1,
        ),
    )
    .expect("config written");
    const N: usize = 40;
    let ids = queue(&w, N).await;
    let mut kills = 0;
    for _ in 0..200 {
        if pending(&w) == 0 {
            break;
        }
        let mut a = start(&w, &["send"]);
        let mut b = start(&w, &["send"]);
        std::thread::sleep(Duration::from_millis(fastrand::u64(50..400)));
        for child in [&mut a, &mut b] {
            if child.try_wait().expect("try_wait").is_none() {
                child.kill().expect("SIGKILL");
                kills += 1;
            }
            child.wait().expect("reaped");
        }
        // Let the claims of the killed ones lapse now and then.
        if fastrand::bool() {
            std::thread::sleep(Duration::from_millis(1100));
        }
    }
    assert_eq!(pending(&w), 0, "everything went out in the end");
    let seen = deliveries(&w, &ids).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let seen = {
        let again = deliveries(&w, &ids).await;
        assert_eq!(seen, again);
        again
    };
    let extra: usize = seen.values().map(|n| n - 1).sum();
    println!("{kills} kills, {extra} extra deliveries of {N} mails");
    assert!(kills > 0, "the test killed nothing");
    assert!(
        extra <= kills,
        "{extra} extra deliveries for {kills} kills: {seen:?}"
    );
    assert!(seen.values().all(|&n| n <= 3), "{seen:?}");
}
