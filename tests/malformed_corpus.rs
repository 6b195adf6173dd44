//! Hostile input from outside the repository: the public malformed and third-party MIME samples in
//! `../shared/corpora/mail-parser/{malformed,thirdparty}/*.eml` (Dovecot's test files as shipped
//! by mail-parser), read at test time and never copied into the repository. Each goes through
//! the real binary's `process` (from a Maildir's new/) and, in a second fresh database, `replay`:
//! no panic, exit 0, nothing left in new/, each listed once in `report messages`, no mail to an
//! address outside the directory, and a valid 立项 + report placed after them is still accepted.
//!
//! Without the corpus the tests fail when `CI` is set and otherwise print a loud SKIPPED line.

mod common;

use common::site::Site;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use supportbot::config::Config;

/// The samples, sorted, or None (after saying so) when the corpus is not there.
fn samples() -> Option<Vec<PathBuf>> {
    let root = common::root().join("../shared/corpora/mail-parser");
    let mut found = Vec::new();
    for sub in ["malformed", "thirdparty"] {
        if let Ok(dir) = std::fs::read_dir(root.join(sub)) {
            found.extend(
                dir.filter_map(|e| Some(e.ok()?.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "eml")),
            );
        }
    }
    found.sort();
    if found.is_empty() {
        let what = format!(
            "no samples in {}/{{malformed,thirdparty}}/*.eml",
            root.display()
        );
        if std::env::var_os("CI").is_some() {
            panic!("the malformed-mail corpus is missing under CI: {what}");
        }
        eprintln!("\n**********\nSKIPPED malformed-mail corpus test: {what}\n**********\n");
        return None;
    }
    Some(found)
}

/// The valid mails placed after the samples: 立项 of 星河, then 张三's 成功 report on it.
const VALID: [&str; 2] = ["01-initiation-xinghe.eml", "08-report-success-base64.eml"];

fn golden(name: &str) -> PathBuf {
    common::root().join("tests/fixtures/golden").join(name)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default()
}

fn directory() -> Config {
    let text = std::fs::read_to_string(common::root().join("config/default.toml")).expect("config");
    Config::from_toml(&text).expect("default config is valid")
}

/// Shared checks on a site after the samples and the valid mails went in.
fn check_site(site: &Site, samples: usize, how: &str) {
    let rows = site.json(&["report", "messages", "--format", "json"]);
    let rows = rows.as_array().expect("messages array");
    assert_eq!(
        rows.len(),
        samples + VALID.len(),
        "{how}: every sample and valid mail is listed, once: {rows:#?}"
    );
    let ids: BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r["message_id"].as_str())
        .collect();
    assert_eq!(ids.len(), rows.len(), "{how}: no message listed twice");

    let report = rows
        .iter()
        .find(|r| r["subject"] == "客户沟通-星河项目-张三")
        .unwrap_or_else(|| panic!("{how}: the valid report is listed"));
    assert_eq!(
        (&report["kind"], &report["outcome"]),
        (&Value::from("report"), &Value::from("accepted")),
        "{how}: the report after the samples is still handled: {report}"
    );

    let config = directory();
    let outbox = site.json(&["outbox", "--format", "json"]);
    for mail in outbox.as_array().expect("outbox array") {
        for field in ["to", "cc"] {
            for address in mail[field].as_array().into_iter().flatten() {
                let address = address.as_str().unwrap_or_default();
                assert!(
                    config.directory.by_email(address).is_some(),
                    "{how}: mail to {address}, who is not in the directory: {mail}"
                );
            }
        }
    }
}

#[test]
fn process_takes_every_public_malformed_sample_and_still_accepts_the_report_after_them() {
    let Some(samples) = samples() else { return };
    let site = Site::new();
    let new = site.path("mail/new");
    std::fs::create_dir_all(&new).expect("maildir");
    for (i, sample) in samples.iter().enumerate() {
        let name = format!("1700000000.M{i:03}P1.sample");
        std::fs::copy(sample, new.join(name)).expect("deliver sample");
    }
    for (i, valid) in VALID.iter().enumerate() {
        let name = format!("1800000000.M{i:03}P1.valid");
        std::fs::copy(golden(valid), new.join(name)).expect("deliver valid mail");
    }

    let out = site.bot(&["process"]);
    assert!(
        out.status.success(),
        "process exits 0 on the samples: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        files(&new).is_empty(),
        "nothing is left in new/: {:?}",
        files(&new)
    );
    check_site(&site, samples.len(), "process");
}

#[test]
fn replay_takes_every_public_malformed_sample_and_still_accepts_the_report_after_them() {
    let Some(samples) = samples() else { return };
    let site = Site::new();
    let archive = site.path("archive");
    std::fs::create_dir_all(&archive).expect("archive folder");
    for (i, sample) in samples.iter().enumerate() {
        std::fs::copy(sample, archive.join(format!("sample-{i:03}.eml"))).expect("copy sample");
    }
    for valid in VALID {
        std::fs::copy(golden(valid), archive.join(format!("zz-{valid}"))).expect("copy valid");
    }
    let archive = archive.display().to_string();
    let out = site.bot(&["replay", &archive]);
    assert!(
        out.status.success(),
        "replay exits 0 on the samples: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    check_site(&site, samples.len(), "replay");
}
