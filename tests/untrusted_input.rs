//! Every byte of mail is untrusted: reading and deciding never panic, and a malformed mail is
//! recorded and skipped without blocking the mail after it.

mod common;

use proptest::prelude::*;
use supportbot::engine::Handled;
use supportbot::mail::Inbound;
use supportbot::parse::parse_subject;
use supportbot::rules::{Facts, Outcome, decide};

fn fixtures() -> Vec<Vec<u8>> {
    let dir = common::root().join("tests/fixtures/golden");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("golden folder")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| std::fs::read(p).expect("read"))
        .collect()
}

fn read_and_decide(raw: &[u8]) -> Outcome {
    let config = common::config_in(std::path::Path::new("/nonexistent"));
    let mail = Inbound::parse(raw, common::now());
    let subject = parse_subject(&mail.subject);
    decide(&config, &mail, &subject, &Facts::default()).outcome
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..2048)) {
        read_and_decide(&raw);
    }

    #[test]
    fn truncated_or_corrupted_real_mail_never_panics(
        pick in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..16),
    ) {
        let all = fixtures();
        let mut raw = all[pick.index(all.len())].clone();
        raw.truncate(cut.index(raw.len() + 1));
        for (at, byte) in flips {
            if !raw.is_empty() {
                let i = at.index(raw.len());
                raw[i] = byte;
            }
        }
        read_and_decide(&raw);
    }
}

#[tokio::test]
async fn a_malformed_mail_between_two_good_ones_blocks_neither() {
    let (bot, _dir) = common::spawn_bot().await;
    let good = |name: &str| {
        std::fs::read(common::root().join("tests/fixtures/golden").join(name)).expect("fixture")
    };
    let bad: &[u8] = b"\xff\xfe\x00Content-Type: multipart/mixed; boundary=\"x\r\n\r\n--x\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%%";
    let first = bot
        .handle(&good("01-initiation-xinghe.eml"), common::now())
        .await
        .expect("first");
    let middle = bot
        .handle(bad, common::now())
        .await
        .expect("malformed mail is recorded, not an error");
    let last = bot
        .handle(&good("08-report-success-base64.eml"), common::now())
        .await
        .expect("last");
    for h in [&first, &last] {
        assert!(
            matches!(
                h,
                Handled::Recorded {
                    outcome: "accepted",
                    ..
                }
            ),
            "{h:?}"
        );
    }
    assert!(
        matches!(
            middle,
            Handled::Recorded {
                outcome: "ignored",
                ..
            }
        ),
        "{middle:?}"
    );
    // and it is recorded once: the same bytes again are a duplicate
    assert_eq!(
        bot.handle(bad, common::now()).await.expect("again"),
        Handled::Duplicate
    );
}

#[tokio::test]
async fn an_empty_file_is_recorded_as_unreadable() {
    let (bot, _dir) = common::spawn_bot().await;
    let h = bot.handle(b"", common::now()).await.expect("handled");
    assert!(
        matches!(
            h,
            Handled::Recorded {
                outcome: "ignored",
                ..
            }
        ),
        "{h:?}"
    );
    let mut conn = bot.store.connection().await.expect("reader");
    let rows = supportbot::report::messages_json(&mut conn)
        .await
        .expect("messages");
    assert_eq!(rows[0]["reasons"], serde_json::json!(["unreadable"]));
}
