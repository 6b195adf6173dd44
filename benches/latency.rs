//! The end-to-end latency benchmark (issue 6) against the real mail stack of `scripts/mailstack`
//! (Dovecot IMAP + LMTP behind a loopback SMTP server), with `supportbot run` as the daemon.
//!
//! N reports (default 100, `SUPPORTBOT_BENCH_LATENCY_N`) are sent one at a time by SMTP; each is
//! timed from the SMTP server's acceptance to the bot's threaded reply appearing in the sender's
//! IMAP inbox (a second session polls it with STATUS every 5 ms). In the same run, interleaved
//! with them, the floor: a bare IMAP client idling on its own inbox, timed from the SMTP
//! acceptance of a mail to it until its IDLE wakes. Prints median and p99 of both, and the
//! daemon's resident memory when it has nothing to do, before and after the reports.
//!
//! Run: `scripts/mailstack start && eval "$(scripts/mailstack env)" && cargo bench --bench latency`

#[path = "../tests/stack/mod.rs"]
mod stack;

use async_imap::extensions::idle::IdleResponse;
use stack::{World, has_header, signal, until};
use std::time::{Duration, Instant};

type Session = async_imap::Session<tokio::net::TcpStream>;

const LONG: Duration = Duration::from_secs(120);

fn main() {
    let Some(s) = stack::stack("the latency benchmark") else {
        return;
    };
    let n: usize = std::env::var("SUPPORTBOT_BENCH_LATENCY_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(s, n));
}

async fn run(s: stack::Stack, n: usize) {
    let w = World::new(s, "");
    stack::mailstack(&w.stack, &["adduser", &w.addr("floor")]);
    let w = w.ready().await;
    let mut bot = w.spawn_bot();
    until(LONG, "the bot's IMAP connection", || async {
        w.log().contains("IMAP connected").then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_fresh = rss_kib(bot.id());

    // The project is initiated first, so every report is accepted and acknowledged.
    let initiation = w.fixture("01-initiation-xinghe");
    w.send("sunli", &initiation).await;
    until(LONG, "the initiation's ack", || async {
        w.folder("sunli", "INBOX")
            .await
            .iter()
            .any(|m| has_header(m, "Subject", "[SB-"))
            .then_some(())
    })
    .await;

    let mut floor_client = login(&w, "floor").await;
    let mut sender = login(&w, "zhangsan").await;
    let report = w.fixture("08-report-success-base64");
    let mut floor = Vec::with_capacity(n);
    let mut bot_times = Vec::with_capacity(n);
    for i in 0..n {
        let (f, c) = floor_wake(&w, floor_client, i).await;
        floor_client = c;
        floor.push(f);
        bot_times.push(answered(&w, &mut sender, &report, i).await);
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_after = rss_kib(bot.id());
    signal(&bot, "TERM");
    let _ = bot.wait();

    let (fm, fp) = (percentile(&mut floor, 50.0), percentile(&mut floor, 99.0));
    let (bm, bp) = (
        percentile(&mut bot_times, 50.0),
        percentile(&mut bot_times, 99.0),
    );
    println!("latency benchmark: {n} reports, one at a time, 2 cores");
    println!(
        "floor (SMTP accepted → bare IMAP client's IDLE wake)       median {:>6.0} ms   p99 {:>6.0} ms",
        ms(fm),
        ms(fp)
    );
    println!(
        "bot   (SMTP accepted → threaded reply in sender's inbox)   median {:>6.0} ms   p99 {:>6.0} ms",
        ms(bm),
        ms(bp)
    );
    println!(
        "bot median − floor median = {:+.0} ms (target ≤ +150 ms); bot p99 {:.2} s (target ≤ 1.5 s)",
        ms(bm) - ms(fm),
        bp.as_secs_f64()
    );
    println!(
        "daemon RSS when idle: {:.1} MiB after start, {:.1} MiB after the reports (target ≤ 30 MB)",
        rss_fresh as f64 / 1024.0,
        rss_after as f64 / 1024.0
    );
}

/// One floor sample: IDLE on `floor`'s inbox, send it a mail, time acceptance → wake.
async fn floor_wake(w: &World, mut session: Session, i: usize) -> (Duration, Session) {
    session.select("INBOX").await.expect("SELECT");
    let mut idle = session.idle();
    idle.init().await.expect("IDLE starts");
    let mail = format!(
        "From: zhangsan@{d}\r\nTo: floor@{d}\r\nSubject: floor {i}\r\nMessage-ID: <floor.{i}@{d}>\r\n\r\nping\r\n",
        d = w.domain
    );
    w.send_to("zhangsan", "floor", mail.as_bytes()).await;
    let accepted = Instant::now();
    let (wait, _stop) = idle.wait_with_timeout(LONG);
    let woke = wait.await.expect("IDLE answers");
    let took = accepted.elapsed();
    assert!(
        matches!(woke, IdleResponse::NewData(_)),
        "IDLE woke without news: {woke:?}"
    );
    (took, idle.done().await.expect("IDLE ends"))
}

/// One bot sample: send report `i`, time acceptance → its threaded reply in the sender's inbox.
async fn answered(w: &World, sender: &mut Session, template: &[u8], i: usize) -> Duration {
    let before = messages(sender).await;
    let id = format!("lat.{i}.{}@{}", fastrand::u64(..), w.domain);
    let text = String::from_utf8_lossy(template);
    let mail: String = text
        .split_inclusive("\r\n")
        .map(|l| {
            if l.to_ascii_lowercase().starts_with("message-id:") {
                format!("Message-ID: <{id}>\r\n")
            } else {
                l.to_string()
            }
        })
        .collect();
    w.send("zhangsan", mail.as_bytes()).await;
    let accepted = Instant::now();
    let mut seen = before;
    loop {
        let now = messages(sender).await;
        if now > seen {
            let took = accepted.elapsed();
            let inbox = w.folder("zhangsan", "INBOX").await;
            if inbox.iter().any(|m| has_header(m, "In-Reply-To", &id)) {
                return took;
            }
            seen = now;
        }
        assert!(accepted.elapsed() < LONG, "no reply to report {i}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Messages in INBOX by STATUS; the session has no mailbox selected, so the count is fresh.
async fn messages(s: &mut Session) -> u32 {
    s.status("INBOX", "(MESSAGES)")
        .await
        .expect("STATUS")
        .exists
}

/// A session for `user` with no mailbox selected (`floor_wake` selects its own).
async fn login(w: &World, user: &str) -> Session {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", w.stack.imap_port))
        .await
        .expect("IMAP connects");
    let mut client = async_imap::Client::new(tcp);
    client
        .read_response()
        .await
        .expect("greeting")
        .expect("greeting");
    client
        .login(w.addr(user), &w.stack.password)
        .await
        .map_err(|(e, _)| e)
        .expect("login")
}

/// Resident set of a process now, KiB (Linux /proc).
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
