//! The golden corpus: every `.eml` under tests/fixtures/golden, fed in file-name order into one
//! fresh database, must give exactly the outcome and the outgoing mail its `.expected.json` says.
//! Run once with LF and once with CRLF line endings (the parse must not depend on them).

mod common;

use serde_json::Value;
use std::collections::BTreeSet;
use supportbot::engine::Handled;
use supportbot::report;
use supportbot::store::{messages, outbox};

fn cases() -> Vec<(String, Vec<u8>, Value)> {
    let dir = common::root().join("tests/fixtures/golden");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("golden folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    // In the order of the leading number (01 … 99, 100 …), as the README says.
    names.sort_by_key(|n| (number_of(n), n.clone()));
    names
        .into_iter()
        .map(|n| {
            let raw = std::fs::read(dir.join(&n)).expect("read eml");
            let json = dir.join(n.replace(".eml", ".expected.json"));
            let expected: Value =
                serde_json::from_str(&std::fs::read_to_string(&json).expect("expected json"))
                    .expect("valid json");
            (n, raw, expected)
        })
        .collect()
}

/// The leading number of a fixture name (`81-…` → 81); names without one sort last.
fn number_of(name: &str) -> u32 {
    name.split('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(u32::MAX)
}

fn set(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn mail_set(rows: &[Value]) -> BTreeSet<String> {
    rows.iter()
        .map(|m| {
            format!(
                "{} to={:?} cc={:?}",
                m["kind"].as_str().unwrap_or(""),
                set(&m["to"]),
                set(&m["cc"])
            )
        })
        .collect()
}

fn to_crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 20);
    for (i, b) in raw.iter().enumerate() {
        if *b == b'\n' && (i == 0 || raw[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(*b);
    }
    out
}

async fn run_corpus(crlf: bool) {
    let (bot, _dir) = common::spawn_corpus_bot().await;
    let cases = cases();
    assert!(cases.len() >= 40, "the corpus holds at least 40 mails");
    let mut failures = Vec::new();
    for (name, raw, expected) in &cases {
        let raw = if crlf { to_crlf(raw) } else { raw.clone() };
        let handled = bot
            .handle(&raw, common::now())
            .await
            .expect("a mail never fails the engine");
        let want_dup = expected["duplicate"].as_bool().unwrap_or(false);
        let id = match handled {
            Handled::Duplicate => {
                if !want_dup {
                    failures.push(format!("{name}: handled as a duplicate"));
                }
                continue;
            }
            Handled::Recorded { id, .. } => id,
        };
        if want_dup {
            failures.push(format!(
                "{name}: expected a duplicate, was recorded as #{id}"
            ));
            continue;
        }
        let mut conn = bot.store.connection().await.expect("reader");
        let rows = report::messages_json(&mut conn).await.expect("messages");
        let got = rows
            .iter()
            .find(|r| r["id"] == id)
            .expect("recorded row")
            .clone();
        let pending = expected["pending_rules"].as_bool().unwrap_or(false);
        let mut check = |field: &str, ok: bool| {
            if !ok {
                failures.push(format!(
                    "{name}: {field}: expected {} got {}",
                    expected[field], got[field]
                ));
            }
        };
        check("kind", got["kind"] == expected["kind"]);
        if !pending {
            check("outcome", got["outcome"] == expected["outcome"]);
            check("reasons", set(&got["reasons"]) == set(&expected["reasons"]));
            check("flags", set(&got["flags"]) == set(&expected["flags"]));
            check("project", got["project"] == expected["project"]);
            let queued: Vec<Value> = outbox::list(&mut conn, None)
                .await
                .expect("outbox")
                .into_iter()
                .filter(|o| o.message == Some(id))
                .map(|o| serde_json::to_value(o).expect("json"))
                .collect();
            let want: Vec<Value> = expected["outbox"].as_array().cloned().unwrap_or_default();
            if mail_set(&queued) != mail_set(&want) || queued.len() != want.len() {
                failures.push(format!(
                    "{name}: outbox: expected {:?} got {:?}",
                    mail_set(&want),
                    mail_set(&queued)
                ));
            }
        }
    }
    let mut conn = bot.store.connection().await.expect("reader");
    let distinct = messages::list(&mut conn).await.expect("list").len();
    let dups = cases
        .iter()
        .filter(|c| c.2["duplicate"].as_bool().unwrap_or(false))
        .count();
    assert_eq!(
        distinct,
        cases.len() - dups,
        "each distinct mail is listed once"
    );
    assert!(
        failures.is_empty(),
        "{} golden mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn golden_corpus_gives_the_expected_outcomes() {
    run_corpus(false).await;
}

#[tokio::test]
async fn golden_corpus_gives_the_same_outcomes_with_crlf_line_endings() {
    run_corpus(true).await;
}
