//! `backup` / `restore` (issue 17): a copy taken while mail arrives restores to exactly the state
//! the source had at that point; `restore` is refused while the database is held or the file is
//! not a supportbot database; the daemon's daily copies are pruned.

mod common;

use common::mail::{initiation, mail, report};
use std::sync::Arc;
use supportbot::config::BackupConfig;
use supportbot::engine::Engine;
use supportbot::store::{outbox, tracking};
use supportbot::{backup, report as reports};

/// A month of mail: 立项, then reports, open items and complaints in turn.
fn traffic() -> Vec<Vec<u8>> {
    let mut mails = vec![initiation("Mon, 2 Nov 2026 09:00:00 +0800")];
    for n in 0..90 {
        let day = 3 + n % 25;
        let date = format!("{day} Nov 2026 {:02}:{:02}:00 +0800", 9 + n % 8, n % 60);
        mails.push(match n % 3 {
            0 => report("星河", &date, &format!("r{n}"), None),
            1 => report("星河", &date, &format!("r{n}"), Some("重要")),
            _ => mail(
                "孙丽 <sunli@example.com>",
                "投诉-星河项目沟通问题",
                &date,
                &format!("c{n}"),
                &format!("被投诉人: 张三\r\n情况说明: 第{n}次沟通后没有发汇报邮件"),
            ),
        });
    }
    mails
}

/// Everything the issue names: tallies, tracking tables, the outbox, and the mail recorded.
async fn state(bot: &Engine) -> serde_json::Value {
    let mut conn = bot.store.connection().await.expect("reader");
    let tally = reports::tally(&bot.config, &mut conn, "2026-11")
        .await
        .expect("tally");
    let tracking = tracking::tracking(&mut conn, None).await.expect("tracking");
    let outbox = outbox::list(&mut conn, None).await.expect("outbox");
    let messages = reports::messages_json(&mut conn).await.expect("messages");
    serde_json::json!({
        "tally": tally, "tracking": tracking, "outbox": outbox, "messages": messages
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_mail_arrives_restores_to_exactly_the_state_at_that_point() {
    let (source, dir) = common::spawn_bot().await;
    let mails = traffic();
    let feeder = {
        let source = source.clone();
        let mails = mails.clone();
        tokio::spawn(async move {
            for raw in &mails {
                source.handle(raw, common::now()).await.expect("handled");
                // Mail arrives one at a time, as it does: the copy is taken among them.
                tokio::time::sleep(std::time::Duration::from_millis(3)).await;
            }
        })
    };
    // Take the copy once some mail is in, while the rest keeps arriving.
    loop {
        let mut conn = source.store.connection().await.expect("reader");
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM messages")
            .fetch_one(&mut *conn)
            .await
            .expect("count");
        if n >= 20 {
            break;
        }
        drop(conn);
        tokio::task::yield_now().await;
    }
    let copy = dir.path().join("copy.db");
    backup::backup(&source.store, &copy).await.expect("backup");
    feeder.await.expect("feeder");

    // Restore into a fresh place and see what the copy holds.
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let config = common::config_in(elsewhere.path());
    backup::restore(&config.database_path, &copy)
        .await
        .expect("restore");
    let restored = Engine::open(Arc::new(config))
        .await
        .expect("restored opens");
    let mut conn = restored.store.connection().await.expect("reader");
    let taken: usize = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM messages")
        .fetch_one(&mut *conn)
        .await
        .expect("count")
        .try_into()
        .expect("a count");
    drop(conn);
    assert!(
        taken >= 20 && taken < mails.len(),
        "the copy was taken mid-traffic ({taken} of {})",
        mails.len()
    );

    // The same mails up to that point, handled cleanly, give the same state.
    let (clean, _clean_dir) = common::spawn_bot().await;
    for raw in &mails[..taken] {
        clean.handle(raw, common::now()).await.expect("handled");
    }
    assert_eq!(state(&restored).await, state(&clean).await);
}

#[tokio::test]
async fn restore_is_refused_while_the_daemon_holds_the_database() {
    let (bot, dir) = common::spawn_bot().await;
    let copy = dir.path().join("copy.db");
    backup::backup(&bot.store, &copy).await.expect("backup");
    let _held = supportbot::daemon::InstanceLock::acquire(&bot.config.database_path)
        .expect("the daemon's lock");
    let refused = backup::restore(&bot.config.database_path, &copy)
        .await
        .expect_err("refused");
    assert!(
        format!("{refused:#}").contains("already running"),
        "{refused:#}"
    );
}

#[tokio::test]
async fn restore_refuses_a_file_that_is_not_a_supportbot_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("supportbot.db");
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").expect("write");
    let text = dir.path().join("notes.db");
    std::fs::write(&text, b"these are not the tables you are looking for").expect("write");
    for file in [&empty, &text, &dir.path().join("missing.db")] {
        assert!(
            backup::restore(&db, file).await.is_err(),
            "{} refused",
            file.display()
        );
    }
    assert!(!db.exists(), "nothing was put in place");
}

#[tokio::test]
async fn a_backup_never_overwrites_a_file() {
    let (bot, dir) = common::spawn_bot().await;
    let copy = dir.path().join("copy.db");
    std::fs::write(&copy, b"precious").expect("write");
    assert!(backup::backup(&bot.store, &copy).await.is_err());
    assert_eq!(std::fs::read(&copy).expect("read"), b"precious");
}

#[tokio::test]
async fn the_daily_backup_is_written_once_a_day_and_old_ones_are_deleted() {
    let (bot, dir) = common::spawn_bot().await;
    let settings = BackupConfig {
        dir: dir.path().join("backups"),
        keep_days: 2,
    };
    std::fs::create_dir_all(&settings.dir).expect("dir");
    for old in ["2026-11-20", "2026-11-28", "2026-11-29"] {
        std::fs::write(settings.dir.join(format!("supportbot-{old}.db")), b"x").expect("write");
    }
    std::fs::write(settings.dir.join("notes.txt"), b"kept").expect("write");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
    let made = backup::daily(&bot.store, &settings, today)
        .await
        .expect("daily");
    assert!(made.is_some(), "today's copy is written");
    assert!(
        backup::daily(&bot.store, &settings, today)
            .await
            .expect("daily")
            .is_none(),
        "once a day"
    );
    let mut left: Vec<String> = std::fs::read_dir(&settings.dir)
        .expect("read")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "notes.txt",
            "supportbot-2026-11-29.db",
            "supportbot-2026-12-01.db"
        ]
    );
}

/// The binary, as an admin runs it: `backup` while `run` runs and mail arrives; `restore` refused
/// until `run` has stopped, then the restored database reads back.
#[test]
fn the_commands_back_up_a_running_daemon_and_restore_only_once_it_has_stopped() {
    let site = common::site::Site::new();
    let new = site.path("mail/new");
    std::fs::create_dir_all(&new).expect("maildir");
    std::fs::create_dir_all(site.path("mail/cur")).expect("maildir");
    std::fs::create_dir_all(site.path("mail/tmp")).expect("maildir");
    let mut daemon = std::process::Command::new(env!("CARGO_BIN_EXE_supportbot"))
        .current_dir(common::root())
        .arg("--config")
        .arg(&site.config)
        .args(["run", "--poll-seconds", "1"])
        .env("SUPPORTBOT_LOG", "warn")
        .spawn()
        .expect("run starts");
    for (n, raw) in traffic().iter().take(30).enumerate() {
        std::fs::write(new.join(format!("{n:03}.eml")), raw).expect("mail arrives");
    }
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let copy = site.path("copy.db");
    let copy_arg = copy.to_str().expect("utf-8 path");
    site.ok(&["backup", copy_arg]);
    let refused = site.bot(&["restore", copy_arg]);
    assert!(
        !refused.status.success(),
        "restore while run holds the database"
    );
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("already running"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let pid = i32::try_from(daemon.id()).expect("pid");
    sigterm(pid);
    daemon.wait().expect("run stops");
    site.ok(&["restore", copy_arg]);
    let messages = site.json(&["report", "messages", "--format", "json"]);
    assert!(
        messages.as_array().is_some_and(|m| !m.is_empty()),
        "the restored database holds the mail the copy held"
    );
}

/// SIGTERM to `pid`, as systemd stops the daemon (through the `kill` command: no unsafe code).
fn sigterm(pid: i32) {
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "SIGTERM delivered");
}
