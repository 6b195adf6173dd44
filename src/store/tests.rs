//! The store reads back what it wrote, in the format existing databases hold, and a corrupt
//! stored value is an error with context, never a default (1970, an empty list, zero).

use super::{Store, daemon_health, outbox, parse_ts, satisfaction};
use chrono::{TimeZone, Utc};

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("t.db")).await.expect("open");
    (dir, store)
}

/// An outbox row as a sender reads it, with `created_at` and `to_addrs` as given.
async fn outbox_row(store: &Store, created_at: &str, to_addrs: &str) {
    let mut conn = store.connection().await.expect("connection");
    sqlx::query(
        "INSERT INTO outbox (kind, to_addrs, cc_addrs, subject, body, message_id, created_at)
         VALUES ('ack', ?, '[]', 's', 'b', '<1@x>', ?)",
    )
    .bind(to_addrs)
    .bind(created_at)
    .execute(&mut *conn)
    .await
    .expect("insert");
}

#[test]
fn a_stored_timestamp_that_is_not_rfc3339_is_an_error_naming_it() {
    let err = parse_ts("yesterday").expect_err("not a time");
    assert!(format!("{err:#}").contains("yesterday"), "{err:#}");
    assert_eq!(
        parse_ts("2026-12-01T08:00:00Z").expect("a time"),
        Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap()
    );
}

#[tokio::test]
async fn a_queued_mail_with_a_corrupt_date_is_an_error_not_a_mail_dated_1970() {
    let (_dir, store) = store().await;
    outbox_row(&store, "not a time", r#"["a@example.com"]"#).await;
    let mut conn = store.connection().await.expect("connection");
    let err = outbox::pending(&mut conn, 0, 10)
        .await
        .expect_err("corrupt created_at");
    assert!(format!("{err:#}").contains("not a time"), "{err:#}");
}

#[tokio::test]
async fn a_queued_mail_with_a_corrupt_address_list_is_an_error_not_a_mail_to_nobody() {
    let (_dir, store) = store().await;
    outbox_row(&store, "2026-12-01T08:00:00Z", "a@example.com").await;
    let mut conn = store.connection().await.expect("connection");
    assert!(outbox::pending(&mut conn, 0, 10).await.is_err());
    assert!(outbox::list(&mut conn, None).await.is_err());
}

#[tokio::test]
async fn a_queued_mail_reads_back_with_its_date_and_addresses() {
    let (_dir, store) = store().await;
    outbox_row(&store, "2026-12-01T08:00:00Z", r#"["a@example.com"]"#).await;
    let mut conn = store.connection().await.expect("connection");
    let queued = outbox::pending(&mut conn, 0, 10).await.expect("pending");
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].to, vec!["a@example.com".to_string()]);
    assert_eq!(
        queued[0].created_at,
        Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap()
    );
}

#[tokio::test]
async fn timestamps_are_stored_as_rfc3339_utc_seconds_with_z_as_existing_databases_hold_them() {
    let (_dir, store) = store().await;
    let mut conn = store.connection().await.expect("connection");
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
    daemon_health::start(&mut conn, 42, at)
        .await
        .expect("start");
    let stored: String = sqlx::query_scalar("SELECT started_at FROM daemon_health")
        .fetch_one(&mut *conn)
        .await
        .expect("stored");
    assert_eq!(stored, "2026-12-01T08:00:00Z");
    let health = daemon_health::get(&mut conn)
        .await
        .expect("get")
        .expect("row");
    assert_eq!((health.pid, health.started_at), (42, at));
}

#[tokio::test]
async fn a_corrupt_heartbeat_is_an_error_for_status_not_a_daemon_last_seen_in_1970() {
    let (_dir, store) = store().await;
    let mut conn = store.connection().await.expect("connection");
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
    daemon_health::start(&mut conn, 42, at)
        .await
        .expect("start");
    sqlx::query("UPDATE daemon_health SET heartbeat_at = 'garbage'")
        .execute(&mut *conn)
        .await
        .expect("corrupt");
    assert!(daemon_health::get(&mut conn).await.is_err());
}

#[tokio::test]
async fn a_satisfaction_follow_up_with_a_corrupt_closing_time_is_an_error() {
    let (_dir, store) = store().await;
    let mut conn = store.connection().await.expect("connection");
    sqlx::query(
        "INSERT INTO messages (dedup_key, subject, sender, kind, outcome, reasons, flags,
                               event_at, handled_at)
         VALUES ('k', 's', 'a@example.com', 'report', 'accepted', '[]', '[]',
                 '2026-12-01T08:00:00Z', '2026-12-01T08:00:00Z')",
    )
    .execute(&mut *conn)
    .await
    .expect("message");
    sqlx::query(
        "INSERT INTO satisfaction (item_kind, item_id, thread, project, owner, description,
                                   closed_at)
         VALUES ('open_item', 1, 1, 'p', '张三', 'd', '2026-13-45')",
    )
    .execute(&mut *conn)
    .await
    .expect("follow-up");
    assert!(satisfaction::unanswered(&mut conn).await.is_err());
    assert!(satisfaction::by_thread(&mut conn, 1).await.is_err());
}

/// A bulk job's connection checkpoints rarely and keeps temporary data (statement journals,
/// temporary b-trees) in memory; set back, it is as every other connection of the pool.
#[tokio::test]
async fn a_bulk_connection_keeps_temporary_data_in_memory_and_is_given_back_as_it_was() {
    let (_dir, store) = store().await;
    let mut conn = store.connection().await.expect("connection");
    async fn settings(conn: &mut sqlx::SqliteConnection) -> (i64, i64) {
        let temp: i64 = sqlx::query_scalar("PRAGMA temp_store")
            .fetch_one(&mut *conn)
            .await
            .expect("temp_store");
        let every: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(&mut *conn)
            .await
            .expect("wal_autocheckpoint");
        (temp, every)
    }
    let before = settings(&mut conn).await;
    assert_eq!(before, (0, 1000), "SQLite's defaults");
    super::bulk_writes(&mut conn, true).await.expect("bulk");
    assert_eq!(settings(&mut conn).await, (2, 10_000), "2 is MEMORY");
    super::bulk_writes(&mut conn, false).await.expect("back");
    assert_eq!(settings(&mut conn).await, before);
}

/// The reply cap across transactions on one connection ([`super::batch::Carried`]): 2 replies
/// an hour to one address, each queued and written in a transaction of its own.
mod reply_cap_carried {
    use super::super::batch::{Carried, Deferred};
    use super::super::outbox::{Envelope, ReplyCap, ReplyQueued};
    use super::store;
    use crate::mail::{Outgoing, OutgoingKind};
    use chrono::{DateTime, TimeZone, Utc};
    use sqlx::{Connection, SqliteConnection};

    const CAP: ReplyCap = ReplyCap {
        per_hour: 2,
        per_day: 10,
    };

    /// Queues reply `n` to a@example.com at `now` in a transaction started from `carried`
    /// (or fresh, as the one-mail path starts), commits; what the cap said and what it carries.
    async fn reply(
        conn: &mut SqliteConnection,
        carried: Option<Carried>,
        n: i64,
        now: DateTime<Utc>,
    ) -> (ReplyQueued, Carried) {
        let mut tx = conn.begin().await.expect("begin");
        sqlx::query(
            "INSERT INTO messages (id, dedup_key, subject, sender, kind, outcome, reasons, flags,
                                   event_at, handled_at)
             VALUES (?, ?, 's', 'a@example.com', 'ordinary', 'ignored', '[]', '[]', ?, ?)",
        )
        .bind(n)
        .bind(format!("<m{n}@x>"))
        .bind(super::super::ts(now))
        .bind(super::super::ts(now))
        .execute(&mut *tx)
        .await
        .expect("message");
        let mut later = match carried {
            Some(c) => Deferred::resume(&mut tx, c).await.expect("resume"),
            None => Deferred::default(),
        };
        let mail = Outgoing {
            kind: OutgoingKind::Rejection,
            to: vec!["A@example.com".into()],
            cc: vec![],
            subject: "s".into(),
            body: "b".into(),
        };
        let id = format!("<r{n}@bot>");
        let env = Envelope {
            message: n,
            subject: "s",
            message_id: &id,
            in_reply_to: None,
            references: None,
            created_at: now,
        };
        let queued = later
            .queue_reply(&mut tx, &mail, &env, CAP)
            .await
            .expect("queue");
        later.flush(&mut tx).await.expect("flush");
        let carried = later.carry(&mut tx).await.expect("carry");
        tx.commit().await.expect("commit");
        (queued, carried)
    }

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 8, minute, 0).unwrap()
    }

    #[tokio::test]
    async fn a_carried_cap_counts_the_lines_its_transactions_wrote() {
        let (_dir, store) = store().await;
        let mut conn = store.connection().await.expect("connection");
        let (first, c) = reply(&mut conn, None, 1, at(0)).await;
        assert_eq!(first, ReplyQueued::Pending);
        let (second, c) = reply(&mut conn, Some(c), 2, at(1)).await;
        assert_eq!(second, ReplyQueued::Pending, "one line written before");
        let (third, c) = reply(&mut conn, Some(c), 3, at(2)).await;
        assert_eq!(third, ReplyQueued::Suppressed(vec!["a@example.com".into()]));
        // An hour after the first, one of the two has left the hour.
        let (later, _) = reply(&mut conn, Some(c), 4, at(0) + chrono::Duration::hours(1)).await;
        assert_eq!(later, ReplyQueued::Pending);
    }

    #[tokio::test]
    async fn a_line_written_by_another_transaction_in_between_is_counted() {
        let (_dir, store) = store().await;
        let mut conn = store.connection().await.expect("connection");
        let (_, carried) = reply(&mut conn, None, 1, at(0)).await;
        // Another writer (the one-mail path, `replay --send`) answers the same address.
        let (other, _) = reply(&mut conn, None, 2, at(1)).await;
        assert_eq!(other, ReplyQueued::Pending);
        let (third, _) = reply(&mut conn, Some(carried), 3, at(2)).await;
        assert_eq!(
            third,
            ReplyQueued::Suppressed(vec!["a@example.com".into()]),
            "two written in the hour, one of them by the other writer"
        );
    }
}
