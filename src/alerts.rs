//! Mail to the `admin` people about the transport: a mail dead-lettered, a reply that will never
//! go. Queued in the outbox like any other mail, with a Message-ID derived from what it is about,
//! so queueing it twice (after a crash) queues it once.

use crate::config::Config;
use crate::directory::Role;
use crate::mail::{Outgoing, OutgoingKind};
use crate::store::outbox;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;

/// Prefix of every alert's Message-ID: an alert about an alert is never sent.
pub const ALERT_ID_PREFIX: &str = "<sb.alert.";

/// One alert to the admins.
#[derive(Debug, Clone)]
pub struct Alert {
    /// `dead_letter` or `delivery_failed`.
    pub kind: OutgoingKind,
    /// What it is about, stably (a Message-ID, an outbox row): the dedup key.
    pub about: String,
    /// Subject without tag.
    pub subject: String,
    /// Body, Chinese.
    pub body: String,
}

/// Queues `alert` to every admin, tagged with the mail row `message` it concerns. False when
/// there is no admin to tell.
pub async fn queue(
    config: &Config,
    conn: &mut SqliteConnection,
    message: i64,
    alert: Alert,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let Alert {
        kind,
        about,
        subject,
        body,
    } = alert;
    let about = about.as_str();
    let to: Vec<String> = config
        .directory
        .with_role(Role::Admin)
        .map(|p| p.address().to_string())
        .collect();
    if to.is_empty() {
        tracing::warn!(about, "no admin in [[people]] to tell");
        return Ok(false);
    }
    let seed = hex::encode(&Sha256::digest(format!("{}:{about}", kind.as_str()))[..8]);
    let message_id = format!("{ALERT_ID_PREFIX}{seed}@{}>", config.bot_domain());
    let mail = Outgoing {
        kind,
        to,
        cc: Vec::new(),
        subject: subject.clone(),
        body,
    };
    let subject = format!("[SB-{message}] {subject}");
    outbox::enqueue(
        conn,
        &mail,
        &outbox::Envelope {
            message,
            subject: &subject,
            message_id: &message_id,
            in_reply_to: None,
            references: None,
            created_at: now,
        },
    )
    .await?;
    Ok(true)
}

/// Tells the admins the database is failing, straight through the transport: the outbox is in
/// the database that cannot be written. Best effort: a failure is logged, not returned.
pub async fn send_database_failing(
    config: &Config,
    out: &crate::transport::Outbound,
    error: &str,
    now: DateTime<Utc>,
) {
    let to: Vec<String> = config
        .directory
        .with_role(Role::Admin)
        .map(|p| p.address().to_string())
        .collect();
    if to.is_empty() {
        tracing::warn!("no admin in [[people]] to tell that the database is failing");
        return;
    }
    let mail = crate::mail::outbound::Queued {
        id: 0,
        to,
        cc: Vec::new(),
        subject: "supportbot 数据库无法写入，邮件处理已暂停".into(),
        body: format!(
            "supportbot 无法写入数据库（磁盘已满、只读或损坏），新邮件留在收件箱中未处理，\n程序会按退避间隔自动重试。请尽快处理（例如清理磁盘空间），恢复后无需其他操作。\n\n数据库: {}\n错误: {error}\n",
            config.database_path.display()
        ),
        message_id: format!(
            "{ALERT_ID_PREFIX}db.{}@{}>",
            now.timestamp(),
            config.bot_domain()
        ),
        in_reply_to: None,
        references: None,
        created_at: now,
        html: None,
        attachments: Vec::new(),
    };
    let sent = match mail.render(&config.bot) {
        Ok(bytes) => out.deliver(&mail, &bytes).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
    .and_then(|()| out.flush().map_err(|e| e.to_string()));
    match sent {
        Ok(()) => {
            tracing::info!(message_id = %mail.message_id, "admins told the database is failing")
        }
        Err(e) => tracing::error!(error = %e, "cannot tell the admins the database is failing"),
    }
}

/// What [`reply_cap_reached`]'s alert is about: the recipient and the department's day of
/// `now` (its Message-ID comes from it).
pub fn reply_cap_about(config: &Config, recipient: &str, now: DateTime<Utc>) -> String {
    let day = now.with_timezone(&config.timezone).date_naive();
    format!("reply_cap:{recipient}:{day}")
}

/// Queues the admins' alert that replies to `recipient` are being suppressed: one per recipient
/// per day (the department's day of `now`), however many replies are suppressed that day.
pub async fn reply_cap_reached(
    config: &Config,
    conn: &mut SqliteConnection,
    message: i64,
    recipient: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let limits = &config.limits;
    let alert = Alert {
        kind: OutgoingKind::AdminAlert,
        about: reply_cap_about(config, recipient, now),
        subject: format!("回复已达上限：{recipient}"),
        body: format!(
            "发给 {recipient} 的自动回复已达上限（每小时 {} 封、每天 {} 封，见配置 [limits]），\
             之后的回复只记录为 suppressed，不再发送。\n\n\
             可能是对方的程序在自动发信，或有人在大量发送不合格式的邮件。\n\
             查看：supportbot outbox --status suppressed\n\
             本提醒每个收件人每天只发一次。\n",
            limits.replies_per_recipient_hour, limits.replies_per_recipient_day,
        ),
    };
    queue(config, conn, message, alert, now).await
}

/// The admins' alert about a mail moved to the dead-letter place (`place`, in the words of
/// [`crate::transport::inbox::Inbox::dead_letter_place`]) because of `reason`.
pub fn dead_letter(mail: &crate::mail::Inbound, reason: &str, place: &str) -> Alert {
    Alert {
        kind: OutgoingKind::DeadLetter,
        about: mail.key.clone(),
        subject: "无法处理的邮件已移入死信文件夹".into(),
        body: format!(
            "一封邮件无法处理，{place}，请人工查看。\n\nMessage-ID: {}\n发件人: {}\n主题: {}\n原因: {reason}\n",
            mail.key,
            mail.from.as_deref().unwrap_or("(无)"),
            crate::mail::outbound::cut(&mail.subject, crate::mail::outbound::SUBJECT_ECHO_CHARS),
        ),
    }
}
