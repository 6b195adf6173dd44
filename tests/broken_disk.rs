//! A database that cannot be written (a full disk, a read-only mount, an empty or damaged
//! file) stops the command with exit 1 and one line, leaves the mail where it was, and never
//! poisons what comes after: once the disk has room again, every mail is handled once.
//! The full and read-only disks are real: a small tmpfs (mounting needs root, as in CI).

mod common;

use common::site::Site;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn golden() -> Vec<PathBuf> {
    files(&common::root().join("tests/fixtures/golden"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect()
}

fn deliver(site: &Site, mails: &[PathBuf], from: usize) {
    std::fs::create_dir_all(site.path("mail/new")).expect("maildir");
    for (i, src) in mails.iter().enumerate() {
        let name = format!("17000{:05}.M1P1.test", from + i);
        std::fs::copy(src, site.path("mail/new").join(name)).expect("deliver");
    }
}

/// A tmpfs of `size` at `dir`, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).expect("mount point");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var("CI").is_err(),
                "cannot mount a tmpfs (needs root); CI must run this test"
            );
            eprintln!("\n!!! SKIPPED: cannot mount a tmpfs here (needs root)\n");
            return None;
        }
        Some(Tmpfs(dir.to_path_buf()))
    }

    fn remount(&self, opts: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount {opts}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A site whose database is at `db/bot.db`.
fn site_with_db_in_db_folder() -> Site {
    let site = Site::new();
    let text = std::fs::read_to_string(&site.config).expect("config");
    let root = site.dir.path().display().to_string();
    std::fs::write(
        &site.config,
        text.replace(
            &format!("sqlite:{root}/bot.db"),
            &format!("sqlite:{root}/db/bot.db"),
        ),
    )
    .expect("config");
    site
}

/// Fills the file system of `dir` up to its last `room` bytes.
fn fill(dir: &Path, room: u64) {
    use std::io::Write;
    let mut f = std::fs::File::create(dir.join("filler")).expect("filler");
    let block = vec![0u8; 64 * 1024];
    while f.write_all(&block).is_ok() {}
    let small = [0u8; 512];
    while f.write_all(&small).is_ok() {}
    let len = f.metadata().expect("filler size").len();
    f.set_len(len.saturating_sub(room)).expect("room left");
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The last line of stderr: the one a cron mail or a terminal shows.
fn last_line(out: &Output) -> String {
    stderr(out).lines().last().unwrap_or_default().to_string()
}

fn message_ids(site: &Site) -> Vec<String> {
    let mut ids: Vec<String> = site
        .json(&["report", "messages", "--format", "json"])
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["message_id"].to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn with_the_disk_full_process_stops_at_the_first_failed_write_exits_1_and_loses_nothing() {
    let site = site_with_db_in_db_folder();
    let Some(_fs) = Tmpfs::mount(&site.path("db"), "16m") else {
        return;
    };
    let mails = golden();
    let (first, rest) = mails.split_at(5);
    deliver(&site, first, 0);
    site.ok(&["process"]);
    // Room for the database to open and take some mails, not all: the disk fills mid-run.
    fill(&site.path("db"), 256 * 1024);
    deliver(&site, rest, first.len());

    let out = site.bot(&["process"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let line = last_line(&out);
    assert!(
        line.starts_with("supportbot: database write failed") && line.contains("full"),
        "{line}"
    );
    assert!(
        !stderr(&out).contains("transaction depth"),
        "{}",
        stderr(&out)
    );
    let left = files(&site.path("mail/new")).len();
    assert!(left > 0, "the mail whose write failed stays in new/");
    assert!(
        left < rest.len(),
        "the disk filled only after some mails were handled ({left} of {} left)",
        rest.len()
    );

    // Room again: the same command handles the rest, each mail once.
    std::fs::remove_file(site.path("db/filler")).expect("room again");
    site.ok(&["process"]);
    assert!(files(&site.path("mail/new")).is_empty());

    let clean = Site::new();
    deliver(&clean, &mails, 0);
    clean.ok(&["process"]);
    assert_eq!(message_ids(&site), message_ids(&clean));
}

#[test]
fn on_a_read_only_file_system_every_command_says_so_in_one_line_and_exits_1() {
    let site = site_with_db_in_db_folder();
    let Some(fs) = Tmpfs::mount(&site.path("db"), "8m") else {
        return;
    };
    let mails = golden();
    deliver(&site, &mails[..3], 0);
    site.ok(&["process"]);
    deliver(&site, &mails[3..6], 3);
    fs.remount("ro");
    for args in [&["process"][..], &["send"][..], &["tick"][..]] {
        let out = site.bot(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let line = last_line(&out);
        assert!(
            line.starts_with("supportbot: ") && line.contains("not writable"),
            "{args:?}: {line}"
        );
    }
    assert_eq!(files(&site.path("mail/new")).len(), 3, "nothing moved");
    fs.remount("rw");
    site.ok(&["process"]);
    assert!(files(&site.path("mail/new")).is_empty());
}

#[test]
fn an_empty_database_file_is_an_error_not_a_fresh_start() {
    let site = site_with_db_in_db_folder();
    std::fs::create_dir_all(site.path("db")).expect("dir");
    std::fs::write(site.path("db/bot.db"), b"").expect("empty file");
    let out = site.bot(&["process"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        last_line(&out).contains("empty file (0 bytes)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::metadata(site.path("db/bot.db"))
            .expect("still there")
            .len(),
        0,
        "left as it was"
    );
}

#[test]
fn a_damaged_database_stops_every_command_with_one_line() {
    let site = site_with_db_in_db_folder();
    let mails = golden();
    deliver(&site, &mails[..40], 0);
    site.ok(&["process"]);
    // Scribble over the middle pages (not the header): only a check of the pages notices.
    let path = site.path("db/bot.db");
    let mut bytes = std::fs::read(&path).expect("db");
    assert!(bytes.len() > 8 * 4096, "{} bytes", bytes.len());
    let page = 4096;
    let end = bytes.len() - 2 * page;
    for b in &mut bytes[3 * page..end] {
        *b = 0x5a;
    }
    std::fs::write(&path, bytes).expect("damaged");
    for command in [&["process"][..], &["status"]] {
        let out = site.bot(command);
        assert_eq!(out.status.code(), Some(1), "{command:?}: {}", stderr(&out));
        let line = last_line(&out);
        assert!(
            line.starts_with("supportbot: ")
                && (line.contains("damaged") || line.contains("malformed")),
            "{command:?}: {line}"
        );
    }
    let out = site.bot(&["report", "messages", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let line = last_line(&out);
    assert!(
        line.starts_with("supportbot: ")
            && (line.contains("damaged") || line.contains("malformed")),
        "{line}"
    );
}

#[test]
fn with_the_disk_full_the_daemon_tells_the_admins_retries_and_carries_on_once_there_is_room() {
    let site = site_with_db_in_db_folder();
    let text = std::fs::read_to_string(&site.config).expect("config");
    let root = site.dir.path().display().to_string();
    std::fs::write(
        &site.config,
        text.replacen(
            &format!("url = \"maildir:{root}/mail\""),
            &format!("url = \"maildir:{root}/mail\"\nreconnect_max_seconds = 1"),
            1,
        ),
    )
    .expect("config");
    let Some(_fs) = Tmpfs::mount(&site.path("db"), "16m") else {
        return;
    };
    let mails = golden();
    deliver(&site, &mails[..5], 0);
    site.ok(&["process"]);
    fill(&site.path("db"), 256 * 1024);
    deliver(&site, &mails[5..], 5);
    let log = std::fs::File::create(site.path("run.log")).expect("log");
    let mut bot = Running(
        Command::new(env!("CARGO_BIN_EXE_supportbot"))
            .current_dir(common::root())
            .arg("--config")
            .arg(&site.config)
            .args(["run", "--poll-seconds", "1"])
            .env("SUPPORTBOT_LOG", "info,sqlx=warn")
            .stderr(log)
            .spawn()
            .expect("run starts"),
    );
    let wait_for = |what: &str, done: &dyn Fn() -> bool| {
        let start = std::time::Instant::now();
        while !done() {
            if start.elapsed() > std::time::Duration::from_secs(60) {
                panic!(
                    "{what}; log:\n{}",
                    std::fs::read_to_string(site.path("run.log")).unwrap_or_default()
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    let alerted = || {
        files(&site.path("sent/new"))
            .iter()
            .any(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("<sb.alert.db.")))
    };
    wait_for("the admins were not told", &alerted);
    assert!(
        !files(&site.path("mail/new")).is_empty(),
        "mail waits in new/"
    );
    std::fs::remove_file(site.path("db/filler")).expect("room again");
    wait_for("the mail was not handled once there was room", &|| {
        files(&site.path("mail/new")).is_empty()
    });
    Command::new("kill")
        .args(["-TERM", &bot.0.id().to_string()])
        .status()
        .expect("kill");
    let status = bot.0.wait().expect("reaped");
    assert!(status.success(), "{status}");
    let log = std::fs::read_to_string(site.path("run.log")).unwrap_or_default();
    assert!(log.contains("retrying"), "{log}");
    assert_eq!(
        log.matches("admins told the database is failing").count(),
        1,
        "once per outage: {log}"
    );
}

/// A child killed when dropped (a failed assertion must not leave it running on the tmpfs).
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[test]
fn immutable_wal_and_shm_files_are_a_one_line_error_not_a_crash() {
    let site = site_with_db_in_db_folder();
    let Some(_fs) = Tmpfs::mount(&site.path("db"), "8m") else {
        return;
    };
    let mails = golden();
    deliver(&site, &mails[..3], 0);
    site.ok(&["process"]);
    deliver(&site, &mails[3..6], 3);
    for suffix in ["-wal", "-shm"] {
        let file = site.path(&format!("db/bot.db{suffix}"));
        std::fs::write(&file, b"").expect("file");
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(&file)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "chattr +i {}", file.display());
    }
    let out = site.bot(&["process"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "exit 1, not a signal: {}",
        stderr(&out)
    );
    let line = last_line(&out);
    assert!(
        line.starts_with("supportbot: ") && line.contains("not writable") && line.contains("-wal"),
        "{line}"
    );
    assert_eq!(files(&site.path("mail/new")).len(), 3, "nothing moved");
}

/// The page size and the first page of index `name` in the database at `path`.
async fn index_page(path: &Path, name: &str) -> (u64, u64) {
    use sqlx::Connection as _;
    let url = format!("sqlite:{}", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open");
    let size: i64 = sqlx::query_scalar("PRAGMA page_size")
        .fetch_one(&mut conn)
        .await
        .expect("page size");
    let root: i64 = sqlx::query_scalar("SELECT rootpage FROM sqlite_master WHERE name = ?")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .expect("index");
    conn.close().await.expect("close");
    (size as u64, root as u64)
}

#[tokio::test]
async fn a_damaged_index_stops_a_writing_command_by_quick_check_and_a_report_reads_around_it() {
    let site = site_with_db_in_db_folder();
    let mails = golden();
    deliver(&site, &mails[..40], 0);
    site.ok(&["process"]);
    let tally = site.bot(&["report", "tally", "--month", "2026-11", "--format", "json"]);
    assert_eq!(tally.status.code(), Some(0), "{}", stderr(&tally));
    // Scribble over the index of mails by date: opening and migrating never read it.
    let path = site.path("db/bot.db");
    let (size, root) = index_page(&path, "messages_event_at").await;
    let mut bytes = std::fs::read(&path).expect("db");
    let at = ((root - 1) * size) as usize;
    bytes[at..at + size as usize].fill(0x5a);
    std::fs::write(&path, bytes).expect("damaged");
    // A command that writes checks every page before it touches anything.
    deliver(&site, &mails[40..41], 0);
    let out = site.bot(&["process"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let line = last_line(&out);
    assert!(
        line.starts_with("supportbot: ")
            && line.contains("is damaged (PRAGMA quick_check")
            && line.contains("restore it from a backup"),
        "{line}"
    );
    // A report skips that check (it reads the whole file) and answers from the pages it reads.
    let after = site.bot(&["report", "tally", "--month", "2026-11", "--format", "json"]);
    assert_eq!(after.status.code(), Some(0), "{}", stderr(&after));
    assert_eq!(after.stdout, tally.stdout);
}

#[test]
fn a_report_that_fills_the_disk_says_so_in_one_line_and_leaves_the_file_that_was_there() {
    let site = Site::new();
    let mails = golden();
    deliver(&site, &mails, 0);
    site.ok(&["process"]);
    let Some(_fs) = Tmpfs::mount(&site.path("out"), "1m") else {
        return;
    };
    let whole = site.path("whole");
    let runs = [
        ("tracking", "xlsx"),
        ("tracking", "json"),
        ("tracking", "csv"),
        ("tasks", "xlsx"),
    ];
    for (report, format) in runs {
        // What the command writes when there is room: more than the room left below.
        let want = whole.join(format!("{report}.{format}"));
        std::fs::create_dir_all(&whole).expect("dir");
        let w = want.display().to_string();
        site.ok(&["report", report, "--format", format, "--output", &w]);
        let size = std::fs::metadata(&want).expect("written").len();
        assert!(
            size > 2048,
            "{report} {format}: {size} bytes is too little to fill the disk"
        );

        let target = site.path(&format!("out/{report}.{format}"));
        std::fs::write(&target, b"yesterday's table").expect("old file");
        fill(&site.path("out"), 1024);
        let t = target.display().to_string();
        let out = site.bot(&["report", report, "--format", format, "--output", &t]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{report} {format}: {}",
            stderr(&out)
        );
        let err = stderr(&out);
        assert_eq!(
            err.lines().count(),
            1,
            "{report} {format}: one line, not {err:?}"
        );
        assert!(
            err.starts_with("supportbot: cannot write") && err.contains(&t),
            "{report} {format}: {err}"
        );
        assert_eq!(
            err.matches("No space left").count(),
            1,
            "{report} {format}: said once: {err}"
        );
        assert_eq!(
            std::fs::read(&target).expect("old file"),
            b"yesterday's table",
            "{report} {format}"
        );
        // No half-written file is left beside it.
        std::fs::remove_file(site.path("out/filler")).expect("room again");
        assert_eq!(
            files(&site.path("out")),
            vec![target.clone()],
            "{report} {format}"
        );
        std::fs::remove_file(&target).expect("next format");
    }
}
