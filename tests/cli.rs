//! End to end through the `supportbot` binary on a temporary Maildir: the commands of
//! interface.md, their JSON, exactly-once across re-runs, and one-line errors.

mod common;

use common::site::Site;
use std::path::{Path, PathBuf};

fn deliver(site: &Site, fixture: &str, name: &str) {
    let src = common::root().join("tests/fixtures/golden").join(fixture);
    std::fs::create_dir_all(site.path("mail/new")).expect("maildir");
    std::fs::copy(src, site.path("mail/new").join(name)).expect("deliver");
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

const STORY: [&str; 5] = [
    "01-initiation-xinghe.eml",
    "09-report-second-presales-external.eml",
    "44-complaint-director-only-forward.eml",
    "45-complaint-second-in-month.eml",
    "64-ordinary-mail.eml",
];

fn deliver_story(site: &Site) {
    for (i, f) in STORY.iter().enumerate() {
        deliver(site, f, &format!("17000000{i:02}.M1P1.test"));
    }
}

#[test]
fn process_answers_each_mail_once_and_writes_the_replies_to_the_sent_maildir() {
    let site = Site::new();
    deliver_story(&site);
    site.ok(&["process"]);

    assert!(
        files(&site.path("mail/new")).is_empty(),
        "handled mail leaves new/"
    );
    assert_eq!(files(&site.path("mail/cur")).len(), STORY.len());
    let outbox = site.json(&["outbox", "--format", "json"]);
    let rows = outbox.as_array().expect("array");
    let sent = files(&site.path("sent/new"));
    assert_eq!(sent.len(), rows.len(), "one file per outbox row");
    assert!(rows.iter().all(|r| r["status"] == "sent"));
    let kinds: Vec<&str> = rows.iter().filter_map(|r| r["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "ack",
            "ack",
            "second_presales_notice",
            "ack",
            "forward",
            "ack",
            "complaint_threshold"
        ]
    );

    // Every reply is threaded, tagged and marked as automatic (RFC 3834).
    let raw = std::fs::read(&sent[0]).expect("read reply");
    let msg = mail_parser::MessageParser::default()
        .parse(&raw)
        .expect("reply parses");
    assert_eq!(
        msg.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-replied")
    );
    assert!(msg.subject().unwrap_or_default().starts_with("[SB-1] "));
    assert_eq!(
        msg.in_reply_to().as_text(),
        Some("init-xinghe.20261008@example.com")
    );
    assert!(msg.body_text(0).unwrap_or_default().contains("立项已登记"));

    // Running again, or re-delivering the same mail, changes nothing.
    let before = site.json(&["report", "messages", "--format", "json"]);
    deliver(&site, STORY[3], "1700000099.M9P9.redelivered");
    site.ok(&["process"]);
    site.ok(&[
        "replay",
        site.path("mail/cur").to_str().expect("utf-8 path"),
    ]);
    assert_eq!(
        site.json(&["report", "messages", "--format", "json"]),
        before
    );
    assert_eq!(files(&site.path("sent/new")).len(), sent.len());
}

#[test]
fn report_messages_and_tally_give_the_contract_fields() {
    let site = Site::new();
    deliver_story(&site);
    site.ok(&["process"]);

    let messages = site.json(&["report", "messages", "--format", "json"]);
    let first = &messages[0];
    for field in [
        "message_id",
        "subject",
        "from",
        "kind",
        "outcome",
        "reasons",
        "project",
    ] {
        assert!(first.get(field).is_some(), "report messages lacks {field}");
    }
    assert_eq!(first["kind"], "initiation");
    assert_eq!(first["project"], "星河");

    let tally = site.json(&["report", "tally", "--month", "2026-11", "--format", "json"]);
    assert_eq!(tally["month"], "2026-11");
    let zhang = &tally["engineers"][0];
    assert_eq!(zhang["name"], "张三");
    assert_eq!(
        (
            zhang["month_count"].as_i64(),
            zhang["levels_docked"].as_i64()
        ),
        (Some(2), Some(1))
    );

    let tracking = site.json(&["report", "tracking", "--person", "张三", "--format", "json"]);
    assert_eq!(
        tracking.as_array().map(Vec::len),
        Some(1),
        "李四's report lands in 张三's table"
    );
    assert_eq!(tracking[0]["engineer"], "李四");
    let csv = site.ok(&["report", "tracking", "--format", "csv"]);
    assert!(csv.starts_with("owner,project,date,engineer,result,content,message_id"));
}

#[test]
fn replay_reads_an_mbox_in_date_order() {
    let site = Site::new();
    // The complaint is first in the file but dated after the 立项 it depends on.
    let mut mbox = Vec::new();
    for f in [STORY[3], STORY[0]] {
        mbox.extend_from_slice(b"From someone@example.com Mon Nov  2 09:30:00 2026\n");
        mbox.extend(
            std::fs::read(common::root().join("tests/fixtures/golden").join(f)).expect("fixture"),
        );
        mbox.push(b'\n');
    }
    std::fs::write(site.path("archive.mbox"), mbox).expect("write mbox");
    site.ok(&["replay", site.path("archive.mbox").to_str().expect("utf-8")]);
    let messages = site.json(&["report", "messages", "--format", "json"]);
    assert_eq!(messages[0]["kind"], "initiation");
    assert_eq!(
        messages[1]["outcome"], "accepted",
        "the complaint finds the project's 第一售前"
    );
    assert!(
        files(&site.path("sent/new")).is_empty(),
        "replay sends nothing without --send"
    );
}

#[test]
fn bad_config_or_path_exits_non_zero_with_one_line() {
    let site = Site::new();
    std::fs::write(&site.config, "[mailbox]\nurl = \"pop3://x\"\n").expect("write");
    let out = site.bot(&["process"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");

    let site = Site::new();
    let out = site.bot(&["replay", "/no/such/archive"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/archive"));
    // A command line clap refuses is one line too, naming what was wrong.
    for args in [
        &["report", "tally", "--month", "November"][..],
        &["report", "tally", "--format", "yaml"][..],
    ] {
        let out = site.bot(args);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(err.contains(args[3]), "names the bad value: {err}");
    }
}

#[test]
fn check_config_prints_the_directory_it_understood() {
    let site = Site::new();
    let out = site.ok(&["check-config"]);
    assert!(out.contains("presales_manager  王芳"), "{out}");
    assert!(out.contains("Asia/Shanghai"));
}
