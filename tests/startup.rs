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
