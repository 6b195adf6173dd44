//! What every command checks at start: the migration of a new database runs once however many
//! commands start at once, and the config's errors name the file, the line and the key.

mod common;

use common::site::Site;
use std::process::{Command, Stdio};

#[test]
fn commands_started_at_once_on_a_new_database_migrate_it_once_and_all_succeed() {
    for round in 0..5 {
        let site = Site::new();
        let children: Vec<_> = [
            &["send"][..],
            &["tick"],
            &["send"],
            &["outbox"],
            &["process"],
        ]
        .iter()
        .map(|args| {
            Command::new(env!("CARGO_BIN_EXE_supportbot"))
                .current_dir(common::root())
                .arg("--config")
                .arg(&site.config)
                .args(*args)
                .env("SUPPORTBOT_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("starts")
        })
        .collect();
        for child in children {
            let out = child.wait_with_output().expect("waited");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "round {round}: {err}");
            assert!(!err.contains("already exists"), "round {round}: {err}");
        }
    }
}

/// Runs `check-config` on the site's config after `edit`; returns (exit code, stderr).
fn check_config_with(edit: impl Fn(String) -> String) -> (Option<i32>, String, String) {
    let site = Site::new();
    let text = std::fs::read_to_string(&site.config).expect("config");
    let edited = edit(text.clone());
    assert_ne!(edited, text, "the edit changed nothing");
    std::fs::write(&site.config, edited).expect("config");
    let out = site.bot(&["check-config"]);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).trim().to_string(),
        site.config.display().to_string(),
    )
}

/// The 1-based line of the first line of `text` containing `needle` after `after`.
fn line_of(edit: impl Fn(String) -> String, after: &str, needle: &str) -> usize {
    let text =
        edit(std::fs::read_to_string(common::root().join("config/default.toml")).expect("config"));
    let start = text.find(after).expect("anchor");
    text[..start].matches('\n').count()
        + text[start..]
            .lines()
            .position(|l| l.contains(needle))
            .expect("needle")
        + 1
}

#[test]
fn a_person_without_emails_is_named_with_the_file_and_the_line() {
    let edit = |t: String| {
        t.replacen(
            "emails = [\"zhangsan@example.com\", \"zhangsan@163.com\"]\n",
            "",
            1,
        )
    };
    let (code, err, file) = check_config_with(edit);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains(&file), "{err}");
    assert!(err.contains("张三") && err.contains("emails"), "{err}");
    assert!(err.contains("line "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_value_of_the_wrong_type_is_named_with_its_line_and_key() {
    let edit = |t: String| {
        t.replacen(
            "from = \"技术支持流程",
            "timeout_seconds = \"soon\"\nfrom = \"技术支持流程",
            1,
        )
    };
    let (code, err, file) = check_config_with(edit);
    assert_eq!(code, Some(1), "{err}");
    let line = line_of(edit, "[smtp]", "timeout_seconds");
    assert!(err.contains(&file), "{err}");
    assert!(
        err.contains(&format!("line {line}, [smtp] timeout_seconds")),
        "line {line}: {err}"
    );
}

#[test]
fn check_config_refuses_the_smtp_urls_process_would_refuse() {
    let site = Site::new();
    let text = std::fs::read_to_string(&site.config).expect("config");
    let sent = text
        .lines()
        .find(|l| l.contains("/sent\""))
        .expect("the sent Maildir line")
        .to_string();
    for (url, why) in [
        ("smtp://mail.example.com:notaport", "port"),
        ("smtp+plain://mail.example.com:25", "loopback"),
    ] {
        std::fs::write(
            &site.config,
            text.replacen(&sent, &format!("url = \"{url}\""), 1),
        )
        .expect("config");
        let out = site.bot(&["check-config"]);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(1), "{url}: {err}");
        assert!(err.contains("[smtp] url"), "{url}: {err}");
        assert!(err.to_lowercase().contains(why), "{url}: {err}");
    }
}

#[test]
fn check_config_refuses_settings_that_parse_but_cannot_work() {
    for (what, edit, expect) in [
        (
            "a synonym that is a field name",
            Box::new(|t: String| {
                t.replacen(
                    "\"沟通人\" = [\"客户联系人\"",
                    "\"沟通人\" = [\"沟通结果\", \"客户联系人\"",
                    1,
                )
            }) as Box<dyn Fn(String) -> String>,
            "沟通结果",
        ),
        (
            "an empty trusted_authserv_id",
            Box::new(|t: String| {
                t.replacen(
                    "user = \"supportbot@example.com\"",
                    "user = \"supportbot@example.com\"\ntrusted_authserv_id = \" \"",
                    1,
                )
            }),
            "trusted_authserv_id",
        ),
        (
            "the bot's own address as a person's",
            Box::new(|t: String| {
                t.replacen(
                    "emails = [\"lisi@example.com\"]",
                    "emails = [\"lisi@example.com\", \"supportbot@example.com\"]",
                    1,
                )
            }),
            "李四",
        ),
    ] {
        let (code, err, file) = check_config_with(edit);
        assert_eq!(code, Some(1), "{what}: {err}");
        assert!(err.contains(expect), "{what}: {err}");
        assert!(
            err.contains(&file) && err.contains("line "),
            "{what}: {err}"
        );
    }
}

#[test]
fn the_log_to_a_pipe_is_plain_text_with_a_line_per_mail() {
    let site = Site::new();
    site.deliver(&common::mail::initiation("Tue, 1 Dec 2026 10:00:00 +0800"));
    let out = Command::new(env!("CARGO_BIN_EXE_supportbot"))
        .current_dir(common::root())
        .arg("--config")
        .arg(&site.config)
        .arg("process")
        .env("SUPPORTBOT_LOG", "info")
        .env_remove("NO_COLOR")
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    // journald and log files show escapes as text: none when standard error is not a terminal.
    assert!(!err.contains('\x1b'), "{err:?}");
    let line = err
        .lines()
        .find(|l| l.contains("init-xinghe@test.example.com"))
        .unwrap_or_default();
    assert!(line.contains(" INFO "), "{err}");
}
