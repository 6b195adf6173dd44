//! The IMAP ingest step: everything after the last committed UID, one mail per transaction
//! (the mail's state changes, its replies and the new UID commit together), then `\Seen` and a
//! move to the processed folder. A mail that cannot be read goes to the dead-letter folder and
//! the admins are told; it never blocks the mail after it.

use crate::alerts::{self, Alert};
use crate::engine::{self, Engine, Handled};
use crate::jobs::Tally;
use crate::mail::{Inbound, OutgoingKind};
use crate::store::imap_state::{self, Position};
use crate::transport::imap::{ImapIn, Waiting};
use chrono::Utc;

/// Processes every mail waiting in the folder; stops between mails when `stop()` says so.
pub async fn ingest_once(
    engine: &Engine,
    imap: &mut ImapIn,
    stop: impl Fn() -> bool,
) -> anyhow::Result<Tally> {
    let key = engine.config.mailbox.url.clone();
    let stored = {
        let mut conn = engine.store.connection().await?;
        imap_state::get(&mut conn, &key).await?
    };
    let last = match stored {
        Some(p) if p.uid_validity == imap.uid_validity => p.last_uid,
        Some(p) => {
            tracing::warn!(
                old = p.uid_validity,
                new = imap.uid_validity,
                "UIDVALIDITY changed: re-scanning the folder (Message-IDs keep it exactly-once)"
            );
            0
        }
        None => 0,
    };
    // A crash between a commit and the move leaves committed mail in the folder: file it now.
    if last > 0 {
        for uid in imap.uids(1, Some(last)).await? {
            imap.file(uid, &engine.config.mailbox.processed_folder)
                .await?;
        }
    }
    let mut tally = Tally::default();
    let waiting = imap.waiting(last).await?;
    let found = waiting.len() as u64;
    let mut left = found;
    record_waiting(engine, found).await;
    for w in waiting {
        if stop() {
            break;
        }
        ingest_one(engine, imap, &key, w, &mut tally).await?;
        left -= 1;
    }
    if left != found {
        record_waiting(engine, left).await;
    }
    Ok(tally)
}

/// The mail waiting, for `supportbot status` (a figure: a failed write is only logged).
async fn record_waiting(engine: &Engine, n: u64) {
    let write = async {
        let mut conn = engine.store.connection().await?;
        crate::store::daemon_health::waiting(&mut conn, n).await
    };
    if let Err(e) = write.await {
        tracing::debug!(error = %format!("{e:#}"), "mail waiting not recorded");
    }
}

/// `process` on IMAP: connect, handle everything waiting, log out.
pub async fn process_imap(engine: &Engine) -> anyhow::Result<Tally> {
    let ep = crate::transport::imap::endpoint(&engine.config)?;
    let mut imap = ImapIn::connect(&engine.config, &ep).await?;
    let tally = ingest_once(engine, &mut imap, || false).await;
    imap.logout().await;
    tally
}

/// Why a mail is not read but dead-lettered, if it is.
pub fn unreadable_reason(size: u64, max: u64, mail: Option<&Inbound>) -> Option<String> {
    if size > max {
        return Some(format!("too_large: {size} bytes (limit {max})"));
    }
    match mail {
        Some(m) if !m.readable => Some("not_a_mail: the bytes do not parse as a mail".into()),
        None => Some("vanished: the server returned no bytes".into()),
        Some(_) => None,
    }
}

async fn ingest_one(
    engine: &Engine,
    imap: &mut ImapIn,
    key: &str,
    w: Waiting,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let config = &engine.config;
    let now = Utc::now();
    let too_large = w.size > config.mailbox.max_message_bytes;
    let raw = imap.fetch(w.uid, too_large).await?;
    let mail = raw.as_deref().map(|r| Inbound::parse(r, now));
    let pos = Position {
        uid_validity: imap.uid_validity,
        last_uid: w.uid,
    };
    let reason = unreadable_reason(w.size, config.mailbox.max_message_bytes, mail.as_ref());
    let (mail, reason) = match (mail, reason) {
        (Some(mail), None) => match commit(engine, key, pos, &mail, None, w.size).await {
            Ok(h) => {
                tally_add(tally, &h);
                imap.file(w.uid, &config.mailbox.processed_folder).await?;
                return Ok(());
            }
            // A failing database fails every mail alike: stop, the mail stays unflagged.
            Err(e) if crate::store::health::is_failing(&e) => {
                return Err(e.context(format!(
                    "database write failed; IMAP UID {} stays in the folder unflagged",
                    w.uid
                )));
            }
            Err(e) => (mail, format!("not_handled: {e:#}")),
        },
        (mail, Some(reason)) => (mail.unwrap_or_else(|| Inbound::parse(b"", now)), reason),
        (None, None) => return Ok(()),
    };
    let mut mail = mail;
    mail.readable = false;
    tracing::error!(message_id = %mail.key, uid = w.uid, reason, "mail dead-lettered");
    let h = commit(engine, key, pos, &mail, Some(&reason), w.size).await?;
    tally_add(tally, &h);
    tally.errors += 1;
    imap.file(w.uid, &config.mailbox.dead_letter_folder).await?;
    Ok(())
}

fn tally_add(tally: &mut Tally, h: &Handled) {
    match h {
        Handled::Recorded { queued, .. } => {
            tally.recorded += 1;
            tally.queued += queued;
        }
        Handled::Duplicate => tally.duplicates += 1,
    }
}

/// One transaction: the engine's work on the mail, the admins' alert when it is dead-lettered,
/// and the folder position. A mail over `max_message_bytes` (`size`) is recorded `too_large`
/// as from every other inbox ([`engine::record_too_large`]).
async fn commit(
    engine: &Engine,
    key: &str,
    pos: Position,
    mail: &Inbound,
    dead: Option<&str>,
    size: u64,
) -> anyhow::Result<Handled> {
    let config = &engine.config;
    let now = Utc::now();
    let mut tx = engine.store.begin().await?;
    if let Some(size) = dead.filter(|r| r.starts_with("too_large")).map(|_| size) {
        let where_to = format!("已移入文件夹「{}」", config.mailbox.dead_letter_folder);
        let h = engine::record_too_large(config, &mut tx, mail, size, &where_to, now).await?;
        imap_state::set(&mut tx, key, pos, now).await?;
        tx.commit().await?;
        engine::log(&mail.key, &h);
        return Ok(h);
    }
    let h = engine::handle_in(config, &mut tx, mail, now, engine::Replies::Queue).await?;
    if let (Some(reason), Handled::Recorded { id, .. }) = (dead, &h) {
        let alert = Alert {
            kind: OutgoingKind::DeadLetter,
            about: mail.key.clone(),
            subject: "无法处理的邮件已移入死信文件夹".into(),
            body: format!(
                "一封邮件无法处理，已移入文件夹「{}」，请人工查看。\n\nMessage-ID: {}\n发件人: {}\n主题: {}\n原因: {reason}\n",
                config.mailbox.dead_letter_folder,
                mail.key,
                mail.from.as_deref().unwrap_or("(无)"),
                mail.subject,
            ),
        };
        alerts::queue(config, &mut tx, *id, alert, now).await?;
    }
    imap_state::set(&mut tx, key, pos, now).await?;
    tx.commit().await?;
    engine::log(&mail.key, &h);
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oversized_or_unparseable_mail_is_dead_lettered_and_a_normal_one_is_not() {
        let now = Utc::now();
        let ok = Inbound::parse(b"From: a@b.c\r\nSubject: x\r\n\r\nhi", now);
        assert_eq!(unreadable_reason(10, 100, Some(&ok)), None);
        assert!(unreadable_reason(101, 100, Some(&ok)).is_some_and(|r| r.starts_with("too_large")));
        assert!(unreadable_reason(10, 100, None).is_some());
    }
}
