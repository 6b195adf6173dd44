//! A sender claims a queued mail before handing it to the transport: two senders never hold
//! the same mail, and the claim of a sender that died is taken over once it has lapsed.

mod common;

use chrono::Duration;
use supportbot::jobs;
use supportbot::store::outbox::{self, Claim};
use supportbot::transport::Outbound;
use supportbot::transport::maildir::MaildirOut;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(common::root().join("tests/fixtures/golden").join(name)).expect("fixture")
}

/// A bot with replies queued (the 立项's ack and a complaint's ack and forward).
async fn bot_with_queue() -> (supportbot::engine::Engine, tempfile::TempDir) {
    let (bot, dir) = common::spawn_bot().await;
    for f in [
        "01-initiation-xinghe.eml",
        "44-complaint-director-only-forward.eml",
    ] {
        bot.handle(&fixture(f), common::now())
            .await
            .expect("handled");
    }
    (bot, dir)
}

#[tokio::test]
async fn a_mail_claimed_by_one_sender_is_not_claimed_by_another_until_the_claim_lapses() {
    let (bot, _dir) = bot_with_queue().await;
    let now = common::now();
    let mut conn = bot.store.connection().await.expect("conn");
    let queued = outbox::pending(&mut conn, 0, 100)
        .await
        .expect("pending")
        .len();
    assert!(queued >= 3, "{queued}");
    let a = Claim {
        token: "a",
        now,
        until: now + Duration::seconds(60),
    };
    let first = outbox::claim(&mut conn, 0, 1, &a).await.expect("claim");
    assert_eq!(first.len(), 1);
    let b = Claim {
        token: "b",
        now,
        until: now + Duration::seconds(60),
    };
    let rest = outbox::claim(&mut conn, 0, 100, &b).await.expect("claim");
    assert_eq!(rest.len(), queued - 1, "all but the one a holds");
    assert!(rest.iter().all(|q| q.id != first[0].id));
    let c = Claim {
        token: "c",
        now: now + Duration::seconds(30),
        until: now + Duration::seconds(90),
    };
    assert!(
        outbox::claim(&mut conn, 0, 100, &c)
            .await
            .expect("claim")
            .is_empty(),
        "every claim still holds"
    );
    // a and b died: their claims lapse, and the next sender takes every mail over.
    let d = Claim {
        token: "d",
        now: now + Duration::seconds(61),
        until: now + Duration::seconds(121),
    };
    let taken = outbox::claim(&mut conn, 0, 100, &d).await.expect("claim");
    assert_eq!(taken.len(), queued);
}

#[tokio::test]
async fn a_sent_or_released_mail_is_claimed_again_only_when_released() {
    let (bot, _dir) = bot_with_queue().await;
    let now = common::now();
    let mut conn = bot.store.connection().await.expect("conn");
    let a = Claim {
        token: "a",
        now,
        until: now + Duration::seconds(600),
    };
    let held = outbox::claim(&mut conn, 0, 2, &a).await.expect("claim");
    assert_eq!(held.len(), 2);
    outbox::mark_sent(&mut conn, &[held[0].id], now)
        .await
        .expect("sent");
    outbox::release(&mut conn, &[held[1].id], "someone else")
        .await
        .expect("release");
    let b = Claim { token: "b", ..a };
    let ids: Vec<i64> = outbox::claim(&mut conn, 0, 100, &b)
        .await
        .expect("claim")
        .iter()
        .map(|q| q.id)
        .collect();
    assert!(!ids.contains(&held[0].id), "sent is never claimed");
    assert!(
        !ids.contains(&held[1].id),
        "only its holder releases a claim"
    );
    outbox::release(&mut conn, &[held[1].id], "a")
        .await
        .expect("release");
    let c = Claim { token: "c", ..a };
    let again = outbox::claim(&mut conn, 0, 100, &c).await.expect("claim");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, held[1].id);
}

#[tokio::test]
async fn a_sender_leaves_mail_another_sender_holds_and_sends_it_once_that_claim_lapsed() {
    let (bot, dir) = bot_with_queue().await;
    let out = Outbound::Maildir(MaildirOut::create(&dir.path().join("sent")).expect("maildir"));
    let mut conn = bot.store.connection().await.expect("conn");
    let queued = outbox::pending(&mut conn, 0, 100)
        .await
        .expect("pending")
        .len();
    // A sender that is still running (its claim lapses in 10 minutes) holds every mail.
    let t = chrono::Utc::now();
    let alive = Claim {
        token: "alive",
        now: t,
        until: t + Duration::seconds(600),
    };
    outbox::claim(&mut conn, 0, 100, &alive)
        .await
        .expect("claim");
    let s = jobs::send_pending(&bot, &out, common::now())
        .await
        .expect("send");
    assert_eq!(s.sent, 0, "nothing it holds is sent by another");
    // It died long ago: its claims lapsed.
    sqlx::query("UPDATE outbox SET claimed_until = '2000-01-01T00:00:00Z'")
        .execute(&mut *conn)
        .await
        .expect("lapse");
    let s = jobs::send_pending(&bot, &out, common::now())
        .await
        .expect("send");
    assert_eq!(s.sent, queued);
    assert!(
        outbox::pending(&mut conn, 0, 100)
            .await
            .expect("pending")
            .is_empty()
    );
}
