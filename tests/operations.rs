//! Operations against the real mail stack (scripts/mailstack): config reload on SIGHUP, the
//! `status` command and the metrics endpoint while `run` runs.

mod stack;

use stack::{World, signal, until};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(180);

/// Waits until the bot logged `needle` at least `n` times.
async fn logged(w: &World, needle: &str, n: usize) {
    until(LONG, needle, || async {
        (w.log().matches(needle).count() >= n).then_some(())
    })
    .await;
}

/// The initiation fixture with its own Message-ID, so each copy is a new mail.
fn initiation(w: &World, n: usize) -> (Vec<u8>, String) {
    let raw = String::from_utf8(w.fixture("01-initiation-xinghe")).expect("UTF-8 fixture");
    let id = format!("init-xinghe.{n}.reload");
    let raw = raw.replace("init-xinghe.20261008", &id);
    (raw.into_bytes(), id)
}

/// The `report messages` row of the mail whose Message-ID contains `id`, once recorded.
async fn recorded(w: &World, id: &str) -> serde_json::Value {
    until(LONG, id, || async {
        w.messages()
            .into_iter()
            .find(|m| m["message_id"].as_str().is_some_and(|m| m.contains(id)))
    })
    .await
}

fn reasons(row: &serde_json::Value) -> Vec<String> {
    row["reasons"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// SIGTERM, then waits for the exit and asserts it was 0.
async fn stop(w: &World, mut bot: std::process::Child) {
    signal(&bot, "TERM");
    let status = until(Duration::from_secs(30), "the bot to exit", || {
        let r = bot.try_wait().expect("wait on the bot");
        async move { r }
    })
    .await;
    assert!(status.success(), "exit {status}; log:\n{}", w.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_added_to_the_config_is_acted_on_after_sighup_and_a_broken_config_is_refused() {
    let Some(s) = stack::stack("a_person_added_to_the_config_is_acted_on_after_sighup…") else {
        return;
    };
    let _serial = stack::SERIAL.lock().await;
    let w = World::new(s, "").ready().await;
    let good = std::fs::read_to_string(&w.config).expect("config");
    let sunli = format!("\"{}\"", w.addr("sunli"));
    assert!(good.contains(&sunli), "孙丽 is in the directory");
    // Before: 孙丽 is not in the directory yet.
    let without = good.replace(&sunli, &format!("\"{}\"", w.addr("sunli.gone")));
    std::fs::write(&w.config, &without).expect("config written");
    let bot = w.spawn_bot();
    logged(&w, "IMAP connected", 1).await;

    let (first, first_id) = initiation(&w, 1);
    w.send("sunli", &first).await;
    let row = recorded(&w, &first_id).await;
    assert!(
        reasons(&row).iter().any(|r| r == "unknown_sender"),
        "before the reload 孙丽 is unknown: {row}"
    );

    // She joins: the file gains her address, SIGHUP, and her next mail is acted on.
    std::fs::write(&w.config, &good).expect("config written");
    signal(&bot, "HUP");
    logged(&w, "config reloaded", 1).await;
    let (second, second_id) = initiation(&w, 2);
    w.send("sunli", &second).await;
    let row = recorded(&w, &second_id).await;
    assert_eq!(row["outcome"], "accepted", "after the reload: {row}");

    // A broken file: refused with one line, the process keeps running on the config it had.
    std::fs::write(&w.config, good.replace("[rules]", "[rules]\nvauge = 1")).expect("written");
    signal(&bot, "HUP");
    logged(&w, "config not reloaded", 1).await;
    assert_eq!(w.log().matches("config not reloaded").count(), 1);
    let mut bot = bot;
    assert!(
        bot.try_wait().expect("wait on the bot").is_none(),
        "the bot still runs"
    );
    // The report commands read the file too: put the good one back (no SIGHUP, the bot does not
    // look at it) before asking them.
    std::fs::write(&w.config, &good).expect("config written");
    let (third, third_id) = initiation(&w, 3);
    w.send("sunli", &third).await;
    let row = recorded(&w, &third_id).await;
    assert!(
        !reasons(&row).iter().any(|r| r == "unknown_sender"),
        "the kept config still knows 孙丽: {row}"
    );

    // Nothing lost or handled twice across the reloads: three mails, three rows.
    let rows = w.messages();
    let ours = rows
        .iter()
        .filter(|m| {
            m["message_id"]
                .as_str()
                .is_some_and(|m| m.contains(".reload"))
        })
        .count();
    assert_eq!(ours, 3, "{rows:#?}");
    stop(&w, bot).await;
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("address").port()
}

/// `GET path` over plain HTTP/1.1; the whole response as text.
async fn http_get(port: u16, path: &str) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    tcp.write_all(req.as_bytes()).await.ok()?;
    let mut out = Vec::new();
    tcp.read_to_end(&mut out).await.ok()?;
    String::from_utf8(out).ok()
}

/// The next systemd notification the bot sent to `sock`, within `limit`.
fn notification(sock: &std::os::unix::net::UnixDatagram) -> Option<String> {
    let mut buf = [0u8; 4096];
    let n = sock.recv(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf[..n]).into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn status_and_the_metrics_endpoint_show_a_running_daemon_in_idle_with_its_outbox_and_last_error()
 {
    let Some(s) = stack::stack("status_and_the_metrics_endpoint_show_a_running_daemon…") else {
        return;
    };
    let _serial = stack::SERIAL.lock().await;
    let w = World::new(s, "").ready().await;
    // Replies cannot go out (nothing listens on the SMTP port): they stay pending and the
    // sender's error is the last error.
    let metrics = free_port();
    let dead_smtp = free_port();
    let text = std::fs::read_to_string(&w.config).expect("config");
    let text = text.replace(
        &format!("smtp+plain://127.0.0.1:{}", w.stack.smtp_port),
        &format!("smtp+plain://127.0.0.1:{dead_smtp}"),
    ) + &format!("\n[metrics]\nlisten = \"127.0.0.1:{metrics}\"\n");
    std::fs::write(&w.config, text).expect("config written");

    // systemd's side of Type=notify: a datagram socket named in NOTIFY_SOCKET.
    let sock_path = w.dir.path().join("notify.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).expect("notify socket");
    sock.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let sock_env = sock_path.to_string_lossy().into_owned();
    let bot = w.spawn_bot_with_env(&[("NOTIFY_SOCKET", &sock_env), ("WATCHDOG_USEC", "1000000")]);
    let mut seen = Vec::new();
    while !(seen.iter().any(|n: &String| n.contains("READY=1"))
        && seen.iter().any(|n| n.contains("WATCHDOG=1")))
    {
        let n =
            notification(&sock).unwrap_or_else(|| panic!("no READY=1 and WATCHDOG=1: {seen:?}"));
        seen.push(n);
    }

    logged(&w, "IMAP connected", 1).await;
    let (mail, id) = initiation(&w, 1);
    w.send("sunli", &mail).await;
    recorded(&w, &id).await;

    let status = until(
        LONG,
        "status: in IDLE, the ack pending, an outbox error",
        || async {
            let s = w.json(&["status", "--format", "json"]);
            (s["imap_state"] == "idle"
                && s["outbox"]["pending"].as_u64() >= Some(1)
                && s["last_error"]
                    .as_str()
                    .is_some_and(|e| e.contains("outbox")))
            .then_some(s)
        },
    )
    .await;
    assert_eq!(status["running"], true, "{status:#}");
    assert_eq!(
        status["pid"].as_u64(),
        Some(u64::from(bot.id())),
        "{status:#}"
    );
    assert!(status["imap_last_contact"].is_string(), "{status:#}");
    assert!(status["heartbeat_at"].is_string(), "{status:#}");
    assert!(status["next_digest"]["at"].is_string(), "{status:#}");
    assert!(status["database_bytes"].as_u64() > Some(0), "{status:#}");

    // The figures move (an IDLE wake-up counts the inbox again): wait for the settled ones.
    let wanted = [
        "supportbot_up 1",
        "supportbot_mailbox_state{state=\"idle\"} 1",
        "supportbot_mail_waiting 0",
    ];
    let scrape = until(LONG, "a scrape of the settled figures", || async {
        http_get(metrics, "/metrics")
            .await
            .filter(|t| t.starts_with("HTTP/1.1 200") && wanted.iter().all(|l| t.contains(l)))
    })
    .await;
    assert!(
        scrape.lines().any(
            |l| l.starts_with("supportbot_outbox_mails{status=\"pending\"} ") && !l.ends_with(" 0")
        ),
        "{scrape}"
    );
    let other = http_get(metrics, "/").await.expect("the endpoint answers");
    assert!(other.starts_with("HTTP/1.1 404"), "{other}");

    stop(&w, bot).await;
    let after = w.json(&["status", "--format", "json"]);
    assert_eq!(after["running"], false, "{after:#}");
    assert_eq!(after["imap_state"], "stopped", "{after:#}");
    assert!(
        http_get(metrics, "/metrics").await.is_none(),
        "no endpoint once stopped"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oauth2_mailbox_logs_in_with_xoauth2_and_runs_the_token_command_again_after_a_refusal() {
    let Some(s) = stack::stack("an_oauth2_mailbox_logs_in_with_xoauth2…") else {
        return;
    };
    let _serial = stack::SERIAL.lock().await;
    // The admin's token helper: counts its runs, prints whatever token the file holds.
    let helper = tempfile::tempdir().expect("temp dir");
    let token_file = helper.path().join("token");
    let runs = helper.path().join("runs");
    let command = format!(
        "echo run >> {}; cat {}",
        runs.display(),
        token_file.display()
    );
    let keys = format!("token_command = {:?}", command);
    let w = World::new(s, &keys).ready().await;
    let bot_addr = w.addr("supportbot");
    let good = format!("good-{}", w.domain);
    // First the helper hands out a token the server does not know (expired, revoked).
    std::fs::write(&token_file, "stale-token\n").expect("token written");
    let bot = w.spawn_bot();
    logged(&w, "XOAUTH2", 1).await;
    assert!(!w.log().contains("IMAP connected"), "{}", w.log());

    // The token becomes valid: the next reconnect runs the helper again and gets in.
    stack::mailstack(&w.stack, &["addtoken", &good, &bot_addr]);
    std::fs::write(&token_file, format!("{good}\n")).expect("token written");
    logged(&w, "IMAP connected", 1).await;
    let helper_runs = std::fs::read_to_string(&runs)
        .unwrap_or_default()
        .lines()
        .count();
    assert!(helper_runs >= 2, "the helper ran {helper_runs} times");
    let dovecot = std::fs::read_to_string(w.stack.dir.join("dovecot.log")).unwrap_or_default();
    assert!(
        dovecot.contains(&format!("user=<{bot_addr}>, method=XOAUTH2")),
        "Dovecot saw an XOAUTH2 login"
    );

    // And the mailbox works as with a password.
    let (mail, id) = initiation(&w, 1);
    w.send("sunli", &mail).await;
    let row = recorded(&w, &id).await;
    assert_eq!(row["outcome"], "accepted", "{row}");
    stop(&w, bot).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oauth2_smtp_login_refused_keeps_the_reply_pending_and_a_new_token_sends_it() {
    let Some(s) = stack::stack("an_oauth2_smtp_login_refused_keeps_the_reply_pending…") else {
        return;
    };
    let _serial = stack::SERIAL.lock().await;
    let helper = tempfile::tempdir().expect("temp dir");
    let token_file = helper.path().join("token");
    let runs = helper.path().join("runs");
    let command = format!(
        "echo run >> {}; cat {}",
        runs.display(),
        token_file.display()
    );
    let w = World::new(s, "").ready().await;
    let text = std::fs::read_to_string(&w.config).expect("config");
    assert!(
        text.contains("retry_max_seconds = 2"),
        "World's [smtp] keys"
    );
    let text = text.replacen(
        "retry_max_seconds = 2",
        &format!("retry_max_seconds = 2\ntoken_command = {command:?}"),
        1,
    );
    std::fs::write(&w.config, text).expect("config written");
    std::fs::write(&token_file, "stale-token\n").expect("token written");
    let bot = w.spawn_bot();
    logged(&w, "IMAP connected", 1).await;

    let (mail, id) = initiation(&w, 1);
    w.send("sunli", &mail).await;
    recorded(&w, &id).await;
    logged(&w, "OAuth2 token refused", 1).await;
    let pending = w.outbox();
    assert!(
        !pending.is_empty() && pending.iter().all(|r| r["status"] == "pending"),
        "a refused token is not the mail's fault: {pending:#?}"
    );

    let good = format!("smtp-{}", w.domain);
    stack::mailstack(&w.stack, &["addtoken", &good, &w.addr("supportbot")]);
    std::fs::write(&token_file, format!("{good}\n")).expect("token written");
    until(LONG, "the ack in the sender's inbox", || async {
        w.folder("sunli", "INBOX")
            .await
            .into_iter()
            .find(|m| stack::has_header(m, "In-Reply-To", &id))
    })
    .await;
    let helper_runs = std::fs::read_to_string(&runs)
        .unwrap_or_default()
        .lines()
        .count();
    assert!(helper_runs >= 2, "the helper ran {helper_runs} times");
    assert!(
        w.outbox().iter().all(|r| r["status"] != "failed"),
        "{:#?}",
        w.outbox()
    );
    stop(&w, bot).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_imap_session_logs_in_again_with_a_new_token_before_the_old_one_expires() {
    let Some(s) = stack::stack("an_imap_session_logs_in_again_with_a_new_token…") else {
        return;
    };
    let _serial = stack::SERIAL.lock().await;
    let helper = tempfile::tempdir().expect("temp dir");
    let runs = helper.path().join("runs");
    let token = format!("renew-{}", fastrand::u64(..));
    // A token announced to expire in 61 s: the session must be renewed within about a minute.
    let command = format!(
        r#"echo run >> {}; echo '{{"access_token":"{token}","expires_in":61}}'"#,
        runs.display()
    );
    let w = World::new(s, &format!("token_command = {command:?}"))
        .ready()
        .await;
    stack::mailstack(&w.stack, &["addtoken", &token, &w.addr("supportbot")]);
    let bot = w.spawn_bot();
    logged(&w, "IMAP connected", 1).await;
    logged(&w, "logging in again with a new one", 1).await;
    logged(&w, "IMAP connected", 2).await;
    let helper_runs = std::fs::read_to_string(&runs)
        .unwrap_or_default()
        .lines()
        .count();
    assert!(helper_runs >= 2, "the helper ran {helper_runs} times");
    assert!(
        !w.log().contains("mailbox unavailable"),
        "renewed before any failure:\n{}",
        w.log()
    );
    stop(&w, bot).await;
}
