//! Operations against the real mail stack (scripts/mailstack): config reload on SIGHUP, the
//! `status` command and the metrics endpoint while `run` runs.

mod stack;

use stack::{World, signal, until};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(180);

/// Waits until the bot logged `needle` at least `n` times.
async fn logged(w: &World, needle: &str, n: usize) {
    until(LONG, needle, || async {
        (w.log().matches(needle).count() >= n).then_some(())
    })
    .await;
}

/// The initiation fixture with its own Message-ID, so each copy is a new mail.
fn initiation(w: &World, n: usize) -> (Vec<u8>, String) {
    let raw = String::from_utf8(w.fixture("01-initiation-xinghe")).expect("UTF-8 fixture");
    let id = format!("init-xinghe.{n}.reload");
    let raw = raw.replace("init-xinghe.20261008", &id);
    (raw.into_bytes(), id)
}

/// The `report messages` row of the mail whose Message-ID contains `id`, once recorded.
async fn recorded(w: &World, id: &str) -> serde_json::Value {
    until(LONG, id, || async {
        w.messages()
            .into_iter()
            .find(|m| m["message_id"].as_str().is_some_and(|m| m.contains(id)))
    })
    .await
}

fn reasons(row: &serde_json::Value) -> Vec<String> {
    row["reasons"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// SIGTERM, then waits for the exit and asserts it was 0.
async fn stop(w: &World, mut bot: std::process::Child) {
    signal(&bot, "TERM");
    let status = until(Duration::from_secs(30), "the bot to exit", || {
        let r = bot.try_wait().expect("wait on the bot");
        async move { r }
    })
    .await;
    assert!(status.success(), "exit {status}; log:\n{}", w.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_added_to_the_config_is_acted_on_after_sighup_and_a_broken_config_is_refused() {
    let Some(s) = stack::stack("a_person_added_to_the_config_is_acted_on_after_sighup…") else {
        return;
    };
    let _serial = stack::SERIAL.lock().await;
    let w = World::new(s, "").ready().await;
    let good = std::fs::read_to_string(&w.config).expect("config");
    let sunli = format!("\"{}\"", w.addr("sunli"));
    assert!(good.contains(&sunli), "孙丽 is in the directory");
    // Before: 孙丽 is not in the directory yet.
    let without = good.replace(&sunli, &format!("\"{}\"", w.addr("sunli.gone")));
    std::fs::write(&w.config, &without).expect("config written");
    let bot = w.spawn_bot();
    logged(&w, "IMAP connected", 1).await;

    let (first, first_id) = initiation(&w, 1);
    w.send("sunli", &first).await;
    let row = recorded(&w, &first_id).await;
    assert!(
        reasons(&row).iter().any(|r| r == "unknown_sender"),
        "before the reload 孙丽 is unknown: {row}"
    );

    // She joins: the file gains her address, SIGHUP, and her next mail is acted on.
    std::fs::write(&w.config, &good).expect("config written");
    signal(&bot, "HUP");
    logged(&w, "config reloaded", 1).await;
    let (second, second_id) = initiation(&w, 2);
    w.send("sunli", &second).await;
    let row = recorded(&w, &second_id).await;
    assert_eq!(row["outcome"], "accepted", "after the reload: {row}");

    // A broken file: refused with one line, the process keeps running on the config it had.
    std::fs::write(&w.config, good.replace("[rules]", "[rules]\nvauge = 1")).expect("written");
    signal(&bot, "HUP");
    logged(&w, "config not reloaded", 1).await;
    assert_eq!(w.log().matches("config not reloaded").count(), 1);
    let mut bot = bot;
    assert!(
        bot.try_wait().expect("wait on the bot").is_none(),
        "the bot still runs"
    );
    // The report commands read the file too: put the good one back (no SIGHUP, the bot does not
    // look at it) before asking them.
    std::fs::write(&w.config, &good).expect("config written");
    let (third, third_id) = initiation(&w, 3);
    w.send("sunli", &third).await;
    let row = recorded(&w, &third_id).await;
    assert!(
        !reasons(&row).iter().any(|r| r == "unknown_sender"),
        "the kept config still knows 孙丽: {row}"
    );

    // Nothing lost or handled twice across the reloads: three mails, three rows.
    let rows = w.messages();
    let ours = rows
        .iter()
        .filter(|m| {
            m["message_id"]
                .as_str()
                .is_some_and(|m| m.contains(".reload"))
        })
        .count();
    assert_eq!(ours, 3, "{rows:#?}");
    stop(&w, bot).await;
}
