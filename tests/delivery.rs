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
    // A killed sender's claim lapses after 2 s here (World's config; 10 minutes by default).
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
            std::thread::sleep(Duration::from_millis(2100));
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
}

/// The JSON of a read-only command on `config`.
fn json_on(config: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_supportbot"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("supportbot runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// What a run leaves in the database, for comparing a clean run with a crashed one.
fn state(
    config: &std::path::Path,
) -> (
    serde_json::Value,
    serde_json::Value,
    serde_json::Value,
    Vec<String>,
) {
    let mut outbox: Vec<String> = json_on(config, &["outbox", "--format", "json"])
        .as_array()
        .expect("array")
        .iter()
        .map(|r| format!("{} {} {}", r["message_id"], r["kind"], r["to"]))
        .collect();
    outbox.sort();
    (
        json_on(config, &["report", "messages", "--format", "json"]),
        json_on(
            config,
            &["report", "tally", "--month", "2026-11", "--format", "json"],
        ),
        json_on(config, &["report", "tracking", "--format", "json"]),
        outbox,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn processes_and_senders_killed_at_random_and_run_at_once_end_as_a_clean_run_with_each_mail_sent_once()
 {
    let Some(s) = stack::stack("processes_and_senders_killed_at_random…") else {
        return;
    };
    let _serial = stack::SERIAL.lock().await;
    let w = World::new(s, "").ready().await;
    let text = std::fs::read_to_string(&w.config).expect("config");
    let imap = text
        .lines()
        .find(|l| l.starts_with("url = \"imap://"))
        .expect("the IMAP url line")
        .to_string();
    let inbox = w.dir.path().join("mail");
    let chaos = text.replacen(&imap, &format!("url = \"maildir:{}\"", inbox.display()), 1);
    std::fs::write(&w.config, &chaos).expect("config");
    // The clean run: the same mails, one `process`, its own database and a Maildir out.
    let clean_dir = w.dir.path().join("clean");
    let smtp = chaos
        .lines()
        .find(|l| l.starts_with("url = \"smtp+plain://"))
        .expect("the SMTP url line")
        .to_string();
    let db = chaos
        .lines()
        .find(|l| l.starts_with("url = \"sqlite:"))
        .expect("the database line")
        .to_string();
    let clean_config = w.dir.path().join("clean.toml");
    std::fs::write(
        &clean_config,
        chaos
            .replacen(
                &format!("url = \"maildir:{}\"", inbox.display()),
                &format!("url = \"maildir:{}/mail\"", clean_dir.display()),
                1,
            )
            .replacen(
                &smtp,
                &format!("url = \"maildir:{}/sent\"", clean_dir.display()),
                1,
            )
            .replacen(
                &db,
                &format!("url = \"sqlite:{}/bot.db\"", clean_dir.display()),
                1,
            ),
    )
    .expect("clean config");

    let mut names: Vec<String> = std::fs::read_dir(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden"),
    )
    .expect("golden")
    .filter_map(|e| e.ok()?.file_name().into_string().ok())
    .filter_map(|n| n.strip_suffix(".eml").map(str::to_string))
    // World::fixture moves text fixtures into the world's domain.
    .filter(|n| {
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/golden")
                .join(format!("{n}.eml")),
        )
        .is_ok()
    })
    .collect();
    names.sort();
    const N: usize = 60;
    for (i, name) in names.iter().take(N).enumerate() {
        let raw = w.fixture(name);
        for dir in [inbox.join("new"), clean_dir.join("mail/new")] {
            std::fs::create_dir_all(&dir).expect("maildir");
            std::fs::write(dir.join(format!("1700000{i:03}.M1P1.test")), &raw).expect("mail");
        }
    }
    let status = Command::new(env!("CARGO_BIN_EXE_supportbot"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--config")
        .arg(&clean_config)
        .arg("process")
        .stderr(Stdio::null())
        .status()
        .expect("clean run");
    assert!(status.success(), "the clean run: {status}");

    let mut kills = 0;
    let mut rounds = 0;
    loop {
        let waiting = std::fs::read_dir(inbox.join("new")).map_or(0, |d| d.count());
        if waiting == 0 && pending(&w) == 0 {
            break;
        }
        rounds += 1;
        assert!(rounds < 100, "no end after 100 rounds; log:\n{}", w.log());
        let mut runs = vec![
            start(&w, &["process"]),
            start(&w, &["send"]),
            start(&w, &["send"]),
        ];
        std::thread::sleep(Duration::from_millis(fastrand::u64(20..400)));
        for run in &mut runs {
            // The first rounds kill whatever still runs; later ones at random.
            if (rounds <= 2 || fastrand::bool()) && run.try_wait().expect("try_wait").is_none() {
                run.kill().expect("SIGKILL");
                kills += 1;
            }
            run.wait().expect("reaped");
        }
        if fastrand::u8(..) < 64 {
            // Now and then the claims of the killed ones lapse before the next round.
            std::thread::sleep(Duration::from_millis(2100));
        }
    }
    println!("{rounds} rounds, {kills} kills");
    assert!(kills > 0, "the test killed nothing");

    assert_eq!(
        state(&w.config),
        state(&clean_config),
        "the same messages, tallies, tracking and outbox as a clean run"
    );
    // Each mail sent to someone in this world's domain reached them once, but for at most one
    // repeat per kill.
    let rows = w.json(&["outbox", "--status", "sent", "--format", "json"]);
    let mut ids: HashMap<String, Vec<String>> = HashMap::new();
    let suffix = format!("@{}", w.domain);
    for r in rows.as_array().expect("array") {
        let to = r["to"][0].as_str().unwrap_or_default();
        let addr = to.rsplit('<').next().unwrap_or(to).trim_end_matches('>');
        if let Some(user) = addr.strip_suffix(&suffix) {
            ids.entry(user.to_string())
                .or_default()
                .push(r["message_id"].as_str().unwrap_or_default().to_string());
        }
    }
    assert!(!ids.is_empty(), "mail was sent over SMTP");
    let seen = deliveries(&w, &ids).await;
    let extra: usize = seen.values().map(|n| n - 1).sum();
    println!("{} mails sent, {extra} extra deliveries", seen.len());
    assert!(
        extra <= kills,
        "{extra} extra deliveries for {kills} kills: {seen:?}"
    );
}
