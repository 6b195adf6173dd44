//! `supportbot status`: is the daemon working? Read from the database (the `daemon_health` row
//! `run` keeps, the outbox) and the lock file, so it works while `run` runs. The same figures
//! in Prometheus text format for `[metrics] listen`.

use crate::config::{Config, MailboxUrl};
use crate::lock::InstanceLock;
use crate::schedule::occurrences;
use crate::store::{Store, daemon_health as health};
use chrono::{DateTime, Days, NaiveTime, Utc};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use serde::Serialize;

/// What `status` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Whether a `run` (or `process`) holds the database's lock now.
    pub running: bool,
    /// The pid in the lock file while it is held.
    pub pid: Option<u32>,
    /// When the daemon last started.
    pub started_at: Option<DateTime<Utc>>,
    /// The daemon's last sign of life.
    pub heartbeat_at: Option<DateTime<Utc>>,
    /// The last time the mailbox answered.
    pub imap_last_contact: Option<DateTime<Utc>>,
    /// `idle`, `polling`, `disconnected`, `maildir`, `starting`, or `stopped` when no daemon runs.
    pub imap_state: String,
    /// Mail in the inbox not yet handled (IMAP: at the daemon's last look; Maildir: now).
    pub mail_waiting: Option<u64>,
    /// Outgoing mail by status.
    pub outbox: OutboxCounts,
    /// The last error a worker of the daemon logged.
    pub last_error: Option<String>,
    /// When.
    pub last_error_at: Option<DateTime<Utc>>,
    /// The next digest to fall due.
    pub next_digest: Option<NextDigest>,
    /// The database file and its write-ahead log, in bytes.
    pub database_bytes: u64,
}

/// Outbox rows by status.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OutboxCounts {
    /// Waiting to be sent (or retried).
    pub pending: u64,
    /// Refused by the server for good.
    pub failed: u64,
    /// Over the per-recipient cap; never sent.
    pub suppressed: u64,
    /// Delivered.
    pub sent: u64,
}

/// A digest and when it falls due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextDigest {
    /// `daily_digest`, `weekly_digest`, `monthly_digest` or `personal_digest`.
    pub kind: &'static str,
    /// When.
    pub at: DateTime<Utc>,
}

/// Gathers the figures at `now`.
pub async fn gather(config: &Config, store: &Store, now: DateTime<Utc>) -> anyhow::Result<Status> {
    let mut conn = store.connection().await?;
    let row = health::get(&mut conn).await?;
    let counts = health::outbox_counts(&mut conn).await?;
    drop(conn);
    let pid = InstanceLock::holder(&config.database_path)?;
    let running = pid.is_some();
    let count = |s: &str| counts.get(s).copied().unwrap_or(0);
    let mail_waiting = match &config.mailbox_url {
        MailboxUrl::Maildir(path) => Some(files_in(&path.join("new"))),
        MailboxUrl::Imap(_) => row.as_ref().and_then(|r| r.mail_waiting),
    };
    let imap_state = match (&row, running) {
        (Some(r), true) => r.imap_state.clone(),
        _ => "stopped".to_string(),
    };
    Ok(Status {
        running,
        pid,
        started_at: row.as_ref().map(|r| r.started_at),
        heartbeat_at: row.as_ref().map(|r| r.heartbeat_at),
        imap_last_contact: row.as_ref().and_then(|r| r.imap_contact_at),
        imap_state,
        mail_waiting,
        outbox: OutboxCounts {
            pending: count("pending"),
            failed: count("failed"),
            suppressed: count("suppressed"),
            sent: count("sent"),
        },
        last_error: row.as_ref().and_then(|r| r.last_error.clone()),
        last_error_at: row.as_ref().and_then(|r| r.last_error_at),
        next_digest: next_digest(config, now),
        database_bytes: database_bytes(&config.database_path),
    })
}

fn files_in(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).count() as u64)
        .unwrap_or(0)
}

fn database_bytes(db: &std::path::Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    [db.to_path_buf(), wal.into()]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// The first digest due after `now`, within the next 62 days (the schedules' own rules: each
/// schedule's latest occurrence at the end of each coming day).
pub fn next_digest(config: &Config, now: DateTime<Utc>) -> Option<NextDigest> {
    let cal = &config.calendar;
    let s = &config.schedules;
    let end = NaiveTime::from_hms_opt(23, 59, 59)?;
    let today = cal.date_of(now);
    for n in 0..62 {
        let Some(probe) = today
            .checked_add_days(Days::new(n))
            .and_then(|d| cal.at(d, end))
        else {
            continue;
        };
        let candidates = [
            ("daily_digest", occurrences::daily(cal, s, probe)),
            ("weekly_digest", occurrences::weekly(cal, s, probe)),
            ("monthly_digest", occurrences::monthly(cal, s, probe)),
            ("personal_digest", occurrences::personal(cal, s, probe, "")),
        ];
        let first = candidates
            .into_iter()
            .filter_map(|(kind, o)| o.map(|o| (kind, o.due_at)))
            .filter(|(_, at)| *at > now)
            .min_by_key(|(_, at)| *at);
        if let Some((kind, at)) = first {
            return Some(NextDigest { kind, at });
        }
    }
    None
}

/// `status` for people: one figure a line.
pub fn table(s: &Status) -> String {
    let t = |t: Option<DateTime<Utc>>| t.map_or("-".to_string(), |t| t.to_rfc3339());
    let mut out = String::new();
    let running = match s.pid {
        Some(pid) => format!("yes (pid {pid})"),
        None => "no".into(),
    };
    let lines = [
        ("running", running),
        ("started", t(s.started_at)),
        ("heartbeat", t(s.heartbeat_at)),
        ("mailbox state", s.imap_state.clone()),
        ("last mailbox contact", t(s.imap_last_contact)),
        (
            "mail waiting",
            s.mail_waiting.map_or("-".into(), |n| n.to_string()),
        ),
        (
            "outbox",
            format!(
                "{} pending, {} failed, {} suppressed, {} sent",
                s.outbox.pending, s.outbox.failed, s.outbox.suppressed, s.outbox.sent
            ),
        ),
        (
            "last error",
            match (&s.last_error, s.last_error_at) {
                (Some(e), at) => format!("{} {e}", t(at)),
                _ => "-".into(),
            },
        ),
        (
            "next digest",
            s.next_digest.as_ref().map_or("-".into(), |d| {
                format!("{} at {}", d.kind, d.at.to_rfc3339())
            }),
        ),
        ("database size", format!("{} bytes", s.database_bytes)),
    ];
    for (k, v) in lines {
        out.push_str(&format!("{k:<22}{v}\n"));
    }
    out
}

/// The figures in the Prometheus (OpenMetrics) text format.
pub fn prometheus(s: &Status) -> anyhow::Result<String> {
    let mut reg = Registry::with_prefix("supportbot");
    let secs = |t: Option<DateTime<Utc>>| t.map_or(0, |t| t.timestamp());
    let gauge = |reg: &mut Registry, name: &str, help: &str, v: i64| {
        let g: Gauge = Gauge::default();
        g.set(v);
        reg.register(name, help, g);
    };
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    gauge(
        &mut reg,
        "up",
        "1 while run holds the database's lock",
        i64::from(s.running),
    );
    gauge(
        &mut reg,
        "heartbeat_timestamp_seconds",
        "the daemon's last heartbeat (Unix time; 0: never)",
        secs(s.heartbeat_at),
    );
    gauge(
        &mut reg,
        "mailbox_last_contact_timestamp_seconds",
        "the last time the mailbox answered (Unix time; 0: never)",
        secs(s.imap_last_contact),
    );
    let state: Family<Vec<(String, String)>, Gauge> = Family::default();
    for st in [
        "idle",
        "polling",
        "disconnected",
        "maildir",
        "starting",
        "stopped",
    ] {
        state
            .get_or_create(&vec![("state".into(), st.into())])
            .set(i64::from(s.imap_state == st));
    }
    reg.register("mailbox_state", "1 for the mailbox reader's state", state);
    gauge(
        &mut reg,
        "mail_waiting",
        "mail in the inbox not yet handled",
        n(s.mail_waiting.unwrap_or(0)),
    );
    let outbox: Family<Vec<(String, String)>, Gauge> = Family::default();
    for (st, v) in [
        ("pending", s.outbox.pending),
        ("failed", s.outbox.failed),
        ("suppressed", s.outbox.suppressed),
        ("sent", s.outbox.sent),
    ] {
        outbox
            .get_or_create(&vec![("status".into(), st.into())])
            .set(n(v));
    }
    reg.register("outbox_mails", "outgoing mail by status", outbox);
    gauge(
        &mut reg,
        "last_error_timestamp_seconds",
        "when a worker last logged an error (Unix time; 0: never)",
        secs(s.last_error_at),
    );
    gauge(
        &mut reg,
        "next_digest_timestamp_seconds",
        "when the next digest falls due (Unix time; 0: none scheduled)",
        secs(s.next_digest.as_ref().map(|d| d.at)),
    );
    gauge(
        &mut reg,
        "database_bytes",
        "the database file and its write-ahead log",
        n(s.database_bytes),
    );
    let mut text = String::new();
    encode(&mut text, &reg)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_toml(include_str!("../config/default.toml")).expect("default config")
    }

    #[test]
    fn the_next_digest_is_the_coming_morning_on_a_working_day() {
        // Tuesday 2026-12-01, 10:00 in Shanghai: today's 09:00 digest is past.
        let now = DateTime::parse_from_rfc3339("2026-12-01T10:00:00+08:00")
            .expect("time")
            .with_timezone(&Utc);
        let next = next_digest(&config(), now).expect("a digest is scheduled");
        assert_eq!(next.kind, "daily_digest");
        assert_eq!(
            next.at,
            DateTime::parse_from_rfc3339("2026-12-02T09:00:00+08:00").expect("time")
        );
    }

    #[test]
    fn before_nine_on_a_working_day_the_next_digest_is_today() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T08:59:00+08:00")
            .expect("time")
            .with_timezone(&Utc);
        let next = next_digest(&config(), now).expect("a digest is scheduled");
        assert_eq!(
            next.at,
            DateTime::parse_from_rfc3339("2026-12-01T09:00:00+08:00").expect("time")
        );
    }

    #[test]
    fn the_metrics_text_carries_the_outbox_counts_by_status() {
        let s = Status {
            running: true,
            pid: Some(7),
            started_at: None,
            heartbeat_at: None,
            imap_last_contact: None,
            imap_state: "idle".into(),
            mail_waiting: Some(3),
            outbox: OutboxCounts {
                pending: 2,
                failed: 1,
                suppressed: 0,
                sent: 5,
            },
            last_error: None,
            last_error_at: None,
            next_digest: None,
            database_bytes: 4096,
        };
        let text = prometheus(&s).expect("encoded");
        assert!(
            text.contains("supportbot_outbox_mails{status=\"pending\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("supportbot_mailbox_state{state=\"idle\"} 1"),
            "{text}"
        );
        assert!(text.contains("supportbot_mail_waiting 3"), "{text}");
        assert!(text.contains("supportbot_up 1"), "{text}");
    }
}
