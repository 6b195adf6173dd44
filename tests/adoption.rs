//! Adopting the bot in a running department (issue 17): `replay` of an archive without `--send`
//! records the replies it would have sent as `not_sent`, and no later `send`, `process` or `run`
//! delivers them; with `--send` they go.

mod common;

use common::site::Site;
use std::path::Path;

/// An archive folder of the first 40 golden mails (a month of a department's mail).
fn archive(site: &Site) -> String {
    let dir = site.path("archive");
    std::fs::create_dir_all(&dir).expect("archive folder");
    let golden = common::root().join("tests/fixtures/golden");
    let mut names: Vec<String> = std::fs::read_dir(&golden)
        .expect("golden")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    names.sort();
    for n in names.iter().take(40) {
        std::fs::copy(golden.join(n), dir.join(n)).expect("copy");
    }
    dir.to_str().expect("utf-8 path").to_string()
}

fn sent_files(site: &Site) -> usize {
    let new = site.path("sent/new");
    if !Path::new(&new).exists() {
        return 0;
    }
    std::fs::read_dir(new).expect("sent").count()
}

fn statuses(site: &Site) -> Vec<String> {
    site.json(&["outbox", "--format", "json"])
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["status"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn an_imported_archive_mails_nobody_then_or_later() {
    let site = Site::new();
    let dir = archive(&site);
    site.ok(&["replay", &dir]);
    let all = statuses(&site);
    assert!(!all.is_empty(), "the archive caused replies");
    assert!(
        all.iter().all(|s| s == "not_sent"),
        "every reply recorded not_sent: {all:?}"
    );
    let listed = site.json(&["outbox", "--status", "not_sent", "--format", "json"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(all.len()));

    site.ok(&["send"]);
    site.ok(&["process"]);
    // The daemon for a moment, as when the department starts it after the import.
    let mut daemon = std::process::Command::new(env!("CARGO_BIN_EXE_supportbot"))
        .current_dir(common::root())
        .arg("--config")
        .arg(&site.config)
        .args(["run", "--poll-seconds", "1"])
        .env("SUPPORTBOT_LOG", "warn")
        .spawn()
        .expect("run starts");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(stopped.success());
    daemon.wait().expect("run stops");

    let after: Vec<String> = statuses(&site)
        .into_iter()
        .filter(|s| s != "not_sent")
        .collect();
    let digests_only = site
        .json(&["outbox", "--format", "json"])
        .as_array()
        .expect("array")
        .iter()
        .filter(|r| r["status"] != "not_sent")
        .all(|r| {
            r["kind"]
                .as_str()
                .is_some_and(|k| k.ends_with("_digest") || k == "calendar_warning")
        });
    assert!(
        digests_only,
        "nothing about the archive's mails was sent, only what is due today: {after:?}"
    );
    let mut conn_rows = site.json(&["outbox", "--status", "not_sent", "--format", "json"]);
    assert_eq!(
        conn_rows.as_array_mut().map(|a| a.len()),
        Some(all.len()),
        "still not_sent after send, process and run"
    );
    let sent_now = sent_files(&site);
    assert_eq!(
        sent_now,
        after.iter().filter(|s| *s == "sent").count(),
        "the only files delivered are today's scheduled mail"
    );
}

#[test]
fn replay_with_send_queues_and_sends_the_replies() {
    let site = Site::new();
    let dir = archive(&site);
    site.ok(&["replay", &dir, "--send"]);
    let all = statuses(&site);
    assert!(!all.is_empty());
    assert!(all.iter().all(|s| s == "sent"), "{all:?}");
    assert_eq!(sent_files(&site), all.len());
}
