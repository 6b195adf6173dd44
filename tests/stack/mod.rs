//! Helpers for the tests against the real mail stack (scripts/mailstack): a fresh mail domain
//! with its own users per test, the bot as a child process, and a plain IMAP reader.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The stack's coordinates, from the env `scripts/mailstack env` prints.
#[derive(Debug, Clone)]
pub struct Stack {
    pub imap_port: u16,
    pub smtp_port: u16,
    pub password: String,
    pub script: PathBuf,
    pub dir: PathBuf,
}

/// The stack, or None with a loud message when its env is absent; in CI ([`in_ci`]) an absent
/// stack fails the test instead.
pub fn stack(test: &str) -> Option<Stack> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (Some(imap), Some(smtp), Some(pw), Some(script), Some(dir)) = (
        var("MAILSTACK_IMAP_PORT"),
        var("MAILSTACK_SMTP_PORT"),
        var("MAILSTACK_PASSWORD"),
        var("MAILSTACK_SCRIPT"),
        var("MAILSTACK_DIR"),
    ) else {
        // In CI (`.ci/run` sets CI=true) a missing stack is a failure: a skipped real-server
        // test reported as passed would let CI pass without ever talking to a server.
        assert!(
            !in_ci(),
            "{test}: the mail stack is not running (MAILSTACK_* unset) and CI is set: \
             the real-server tests must run in CI (scripts/test starts the stack)"
        );
        eprintln!(
            "\n!!! SKIPPED {test}: the mail stack is not running (MAILSTACK_* unset).\n!!! Run: scripts/mailstack start && eval \"$(scripts/mailstack env)\"\n"
        );
        return None;
    };
    Some(Stack {
        imap_port: imap.parse().expect("MAILSTACK_IMAP_PORT is a port"),
        smtp_port: smtp.parse().expect("MAILSTACK_SMTP_PORT is a port"),
        password: pw,
        script: script.into(),
        dir: dir.into(),
    })
}

/// Whether this runs in CI (`CI` set to anything but empty, `0` or `false`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// The stack is shared: tests that restart or stop parts of it must not overlap with others.
pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs `scripts/mailstack ARGS`.
pub fn mailstack(stack: &Stack, args: &[&str]) {
    let ok = Command::new(&stack.script)
        .args(args)
        .status()
        .expect("scripts/mailstack runs")
        .success();
    assert!(ok, "scripts/mailstack {args:?} failed");
}

/// One test's world: a mail domain of its own, the default people in it, the bot's config.
pub struct World {
    pub stack: Stack,
    pub domain: String,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    /// Bots started in this world; any still running when it is dropped (a test that panicked)
    /// are killed, so none outlives its test holding IMAP connections.
    bots: std::sync::Mutex<Vec<u32>>,
}

impl Drop for World {
    fn drop(&mut self) {
        let pids = self.bots.lock().map(|p| p.clone()).unwrap_or_default();
        for pid in pids {
            // Only a process still running this world's config: the pid of a bot that already
            // exited may have been given to something else.
            let ours = std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                String::from_utf8_lossy(&c).contains(&*self.config.to_string_lossy())
            });
            if ours {
                let _ = Command::new("kill")
                    .arg("-KILL")
                    .arg(pid.to_string())
                    .status();
            }
        }
    }
}

impl World {
    pub fn new(stack: Stack, extra_mailbox_keys: &str) -> World {
        let nonce = format!(
            "{}{:04}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock after 1970")
                .as_millis(),
            fastrand::u32(0..10000)
        );
        let domain = format!("t{nonce}.test");
        let dir = tempfile::tempdir().expect("temp dir");
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join("config/default.toml"))
            .expect("config/default.toml")
            .replace("@example.com", &format!("@{domain}"))
            .replace("zhangsan@163.com", &format!("zhangsan163@{domain}"));
        let users: Vec<String> = text
            .match_indices(&format!("@{domain}"))
            .map(|(i, _)| {
                let start = text[..i].rfind(['"', '<', ' ']).map_or(0, |s| s + 1);
                text[start..i + domain.len() + 1].to_string()
            })
            .collect();
        let mut args = vec!["adduser".to_string()];
        args.extend(users);
        mailstack(&stack, &args.iter().map(String::as_str).collect::<Vec<_>>());
        let config = text
            .replace(
                "url = \"maildir:./var/mail\"",
                &format!(
                    "url = \"imap://127.0.0.1:{}/INBOX\"\ntls = \"none\"\nreconnect_max_seconds = 2\npoll_seconds = 2\n{extra_mailbox_keys}",
                    stack.imap_port
                ),
            )
            .replace(
                "url = \"maildir:./var/sent\"",
                // A killed bot's claim on a mail lapses after 2 s here (10 minutes by default).
                &format!("url = \"smtp+plain://127.0.0.1:{}\"\nretry_max_seconds = 2\nclaim_seconds = 2", stack.smtp_port),
            )
            .replace(
                "url = \"sqlite:./var/supportbot.db\"",
                &format!("url = \"sqlite:{}\"", dir.path().join("supportbot.db").display()),
            );
        // These tests send hundreds of mails from one person to test exactly-once delivery; the
        // per-recipient reply cap (tests/flood.rs) would suppress most of the replies.
        let config = format!(
            "{config}\n[limits]\nreplies_per_recipient_hour = 1000000\nreplies_per_recipient_day = 1000000\n"
        );
        let path = dir.path().join("config.toml");
        std::fs::write(&path, config).expect("config written");
        World {
            stack,
            domain,
            dir,
            config: path,
            bots: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Waits until Dovecot knows this world's users (it re-reads its passwd-file lazily).
    pub async fn ready(self) -> World {
        let bot = self.addr("supportbot");
        until(
            Duration::from_secs(30),
            "Dovecot to know the new users",
            || async { read_folder(&self.stack, &bot, "INBOX").await.map(|_| ()) },
        )
        .await;
        self
    }

    /// `name@` this world's domain.
    pub fn addr(&self, name: &str) -> String {
        format!("{name}@{}", self.domain)
    }

    /// A golden fixture moved into this world's domain.
    pub fn fixture(&self, name: &str) -> Vec<u8> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/golden")
            .join(format!("{name}.eml"));
        let raw = std::fs::read_to_string(&path).expect("fixture");
        // SMTP carries CRLF lines; some fixtures are stored with LF.
        raw.replace("\r\n", "\n")
            .replace('\n', "\r\n")
            .replace("@example.com", &format!("@{}", self.domain))
            .into_bytes()
    }

    /// Sends `raw` by SMTP from `from` to the bot.
    pub async fn send(&self, from: &str, raw: &[u8]) {
        self.send_to(from, "supportbot", raw).await;
    }

    /// Sends `raw` by SMTP from `from` to `to` (user names in this world's domain); returns
    /// when the SMTP server has accepted it.
    pub async fn send_to(&self, from: &str, to: &str, raw: &[u8]) {
        use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor, address::Envelope};
        let smtp = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(self.stack.smtp_port)
            .build();
        let env = Envelope::new(
            Some(self.addr(from).parse().expect("address")),
            vec![self.addr(to).parse().expect("address")],
        )
        .expect("envelope");
        smtp.send_raw(&env, raw)
            .await
            .expect("the stack's SMTP accepts the mail");
    }

    /// Drops `raw` straight into the bot's Maildir (for when SMTP or Dovecot is down).
    pub fn drop_in(&self, raw: &[u8]) {
        let dir = self
            .stack
            .dir
            .join("mail")
            .join(&self.domain)
            .join("supportbot/Maildir");
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(dir.join(sub)).expect("Maildir");
        }
        let name = format!(
            "{}.{}.stack",
            Instant::now().elapsed().as_nanos(),
            fastrand::u64(..)
        );
        let tmp = dir.join("tmp").join(&name);
        std::fs::write(&tmp, raw).expect("mail written");
        chown_nobody(&self.stack.dir.join("mail").join(&self.domain));
        std::fs::rename(&tmp, dir.join("new").join(&name)).expect("mail delivered");
    }

    /// Starts `supportbot run`; its log goes to `bot.log` in the world's folder.
    pub fn spawn_bot(&self) -> Child {
        self.spawn_bot_with_env(&[])
    }

    /// [`World::spawn_bot`] with more environment variables (e.g. systemd's NOTIFY_SOCKET).
    pub fn spawn_bot_with_env(&self, env: &[(&str, &str)]) -> Child {
        let before = self.log().matches("supportbot running").count();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("bot.log"))
            .expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_supportbot"))
            .arg("--config")
            .arg(&self.config)
            .arg("run")
            .env("SUPPORTBOT_IMAP_PASSWORD", &self.stack.password)
            .env("SUPPORTBOT_LOG", "info,supportbot=debug,sqlx=warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("supportbot starts");
        if let Ok(mut bots) = self.bots.lock() {
            bots.push(child.id());
        }
        // Wait until it migrated its database: a concurrent first migration would collide.
        let start = Instant::now();
        while self.log().matches("supportbot running").count() <= before {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the bot did not start:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        child
    }

    /// The bot's log so far.
    pub fn log(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("bot.log")).unwrap_or_default();
        let ansi = regex::Regex::new("\x1b\\[[0-9;]*m").expect("valid regex");
        ansi.replace_all(&text, "").into_owned()
    }

    /// Runs a read-only supportbot command and parses its JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = Command::new(env!("CARGO_BIN_EXE_supportbot"))
            .arg("--config")
            .arg(&self.config)
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

    /// `report messages` rows.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        self.json(&["report", "messages", "--format", "json"])
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// `outbox` rows.
    /// The outbox rows caused by mail (replies), without what the schedules queue on their own
    /// (digests, calendar warnings): those depend on the day the test runs.
    pub fn outbox(&self) -> Vec<serde_json::Value> {
        self.json(&["outbox", "--format", "json"])
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|r| !r["message"].is_null())
            .collect()
    }

    /// Every mail in `user`'s `folder`.
    pub async fn folder(&self, user: &str, folder: &str) -> Vec<Vec<u8>> {
        read_folder(&self.stack, &self.addr(user), folder)
            .await
            .unwrap_or_default()
    }
}

fn chown_nobody(path: &Path) {
    let _ = Command::new("chown")
        .args(["-R", "nobody:nogroup"])
        .arg(path)
        .status();
}

async fn read_folder(stack: &Stack, user: &str, folder: &str) -> Option<Vec<Vec<u8>>> {
    use futures_util::TryStreamExt;
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", stack.imap_port))
        .await
        .ok()?;
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.ok()??;
    let mut s = client.login(user, &stack.password).await.ok()?;
    let mb = s.examine(folder).await.ok()?;
    if mb.exists == 0 {
        let _ = s.logout().await;
        return Some(Vec::new());
    }
    let fetched: Vec<_> = s
        .fetch("1:*", "BODY.PEEK[]")
        .await
        .ok()?
        .try_collect()
        .await
        .ok()?;
    let _ = s.logout().await;
    Some(
        fetched
            .iter()
            .filter_map(|f| f.body().map(<[u8]>::to_vec))
            .collect(),
    )
}

/// Waits until `f` gives Some, checking every 100 ms; panics with `what` after `limit`.
pub async fn until<T, F, Fut>(limit: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            start.elapsed() < limit,
            "gave up after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends a signal to a child by pid.
pub fn signal(child: &Child, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status();
}

/// Whether a raw mail has `header: value` (case-insensitive name, value contained).
pub fn has_header(raw: &[u8], name: &str, value: &str) -> bool {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    head.lines().any(|l| {
        l.split_once(':')
            .is_some_and(|(n, v)| n.trim().eq_ignore_ascii_case(name) && v.contains(value))
    })
}
