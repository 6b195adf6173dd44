//! Mail the bot sends: what the rules ask for ([`Outgoing`]) and its RFC 5322 form (via lettre).

use chrono::{DateTime, Utc};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment as AttachmentPart, Mailbox, Message, MultiPart, SinglePart};
use sha2::{Digest, Sha256};

macro_rules! outgoing_kinds {
    ($($variant:ident => $name:literal,)*) => {
        /// The kind of an outgoing mail (interface.md `outbox.kind`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum OutgoingKind { $(#[doc = $name] $variant,)* }

        impl OutgoingKind {
            /// The JSON name.
            pub fn as_str(self) -> &'static str {
                match self { $(OutgoingKind::$variant => $name,)* }
            }

            /// Reads a JSON name back.
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $($name => Some(OutgoingKind::$variant),)* _ => None }
            }
        }
    };
}

outgoing_kinds! {
    Ack => "ack",
    Rejection => "rejection",
    NearMissHint => "near_miss_hint",
    Forward => "forward",
    InitiationRequest => "initiation_request",
    UninitiatedReminder => "uninitiated_reminder",
    SupportMayStop => "support_may_stop",
    SecondPresalesNotice => "second_presales_notice",
    OpenItemReminder => "open_item_reminder",
    OpenItemEscalation => "open_item_escalation",
    ComplaintThreshold => "complaint_threshold",
    RdCostNotice => "rd_cost_notice",
    FaultReminder => "fault_reminder",
    TaskAck => "task_ack",
    TaskReminder => "task_reminder",
    TaskEscalation => "task_escalation",
    DailyDigest => "daily_digest",
    WeeklyDigest => "weekly_digest",
    MonthlyDigest => "monthly_digest",
    PersonalDigest => "personal_digest",
    MissingRecipients => "missing_recipients",
    CalendarWarning => "calendar_warning",
    DeadLetter => "dead_letter",
    DeliveryFailed => "delivery_failed",
    AdminAlert => "admin_alert",
    SatisfactionRequest => "satisfaction_request",
    SatisfactionReminder => "satisfaction_reminder",
    DissatisfactionAlert => "dissatisfaction_alert",
    QueryReply => "query_reply",
    HelpReply => "help_reply",
    ReportNudge => "report_nudge",
    ApprovalNudge => "approval_nudge",
}

impl OutgoingKind {
    /// Whether this is a reply to the incoming mail's sender, which the per-recipient cap
    /// (`[limits]`, workflow.md §5 "Floods anyone") counts and may suppress.
    ///
    /// Capped: `ack`, `rejection`, `near_miss_hint`, `missing_recipients`, `query_reply`,
    /// `help_reply` (queries.md §1) — the answers anyone
    /// on the directory can make the bot send by mailing it. Not capped: notices owed under the
    /// regulation to someone other than the sender (`forward`, `initiation_request`,
    /// `second_presales_notice`, `complaint_threshold`, `rd_cost_notice`, `support_may_stop`),
    /// `task_ack` (tasks.md: owed to the sales, the engineers and the engineering manager),
    /// `dissatisfaction_alert` (to the presales manager), reminders, nudges, escalations, 满意度回访
    /// requests and digests (the schedules send them, not incoming mail), and
    /// mail to the admins (`calendar_warning`, `dead_letter`, `delivery_failed`, `admin_alert`). The match has no
    /// catch-all so that a new kind cannot be added without deciding.
    pub fn is_capped_reply(self) -> bool {
        use OutgoingKind as K;
        match self {
            K::Ack
            | K::Rejection
            | K::NearMissHint
            | K::MissingRecipients
            | K::QueryReply
            | K::HelpReply => true,
            K::Forward
            | K::InitiationRequest
            | K::UninitiatedReminder
            | K::SupportMayStop
            | K::SecondPresalesNotice
            | K::OpenItemReminder
            | K::OpenItemEscalation
            | K::ComplaintThreshold
            | K::RdCostNotice
            | K::FaultReminder
            | K::DailyDigest
            | K::WeeklyDigest
            | K::MonthlyDigest
            | K::PersonalDigest
            | K::CalendarWarning
            | K::DeadLetter
            | K::DeliveryFailed
            | K::AdminAlert
            | K::SatisfactionRequest
            | K::SatisfactionReminder
            | K::DissatisfactionAlert
            | K::TaskAck
            | K::TaskReminder
            | K::TaskEscalation
            | K::ReportNudge
            | K::ApprovalNudge => false,
        }
    }
}

/// A subject echoed into a reply's subject is cut to this many characters (mail-formats.md
/// "Limits on what is echoed").
pub const SUBJECT_ECHO_CHARS: usize = 200;
/// A field value echoed into a template is cut to this many characters.
pub const FIELD_ECHO_CHARS: usize = 2_000;
/// A reply's References keeps this many of the last IDs of the chain.
pub const REFERENCES_ECHO_IDS: usize = 20;

/// `text` cut to at most `max` characters (not bytes); a cut one ends in `…`.
pub fn cut(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => text.into(),
        Some(_) => {
            let keep: String = text.chars().take(max.saturating_sub(1)).collect();
            format!("{keep}…").into()
        }
    }
}

/// The Message-ID of a scheduled mail (a digest or reminder) due under `key`: the same key
/// always gives the same id, so a re-run tick cannot send it under a new one.
pub fn due_message_id(bot_domain: &str, key: &str) -> String {
    let h = hex::encode(&Sha256::digest(key.as_bytes())[..10]);
    format!("<sb.due.{h}@{bot_domain}>")
}

/// The last [`REFERENCES_ECHO_IDS`] of a References chain (the newest are last, RFC 5322
/// §3.6.4), so a reply keeps its place in the thread however long the chain it answers.
pub fn last_references<T>(chain: &[T]) -> &[T] {
    &chain[chain.len().saturating_sub(REFERENCES_ECHO_IDS)..]
}

/// A mail the rules want sent; the engine adds the tag, Message-ID and threading headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// What it is for.
    pub kind: OutgoingKind,
    /// Addresses it goes to.
    pub to: Vec<String>,
    /// Addresses copied.
    pub cc: Vec<String>,
    /// Subject without the `[SB-n]` tag.
    pub subject: String,
    /// Plain-text body, Chinese.
    pub body: String,
}

/// An outgoing mail as queued: everything needed to render the same bytes again after a crash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// Outbox row id.
    pub id: i64,
    /// Addresses it goes to.
    pub to: Vec<String>,
    /// Addresses copied.
    pub cc: Vec<String>,
    /// Full subject, tag included.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Stable Message-ID, with angle brackets.
    pub message_id: String,
    /// The mail it answers, with angle brackets.
    pub in_reply_to: Option<String>,
    /// References chain, space separated, with angle brackets.
    pub references: Option<String>,
    /// When it was queued: its Date header.
    pub created_at: DateTime<Utc>,
    /// HTML alternative of `body` (digests).
    pub html: Option<String>,
    /// Files attached (the monthly digest's workbook).
    pub attachments: Vec<Attachment>,
}

/// A file attached to an outgoing mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// File name shown to the reader.
    pub filename: String,
    /// MIME type.
    pub content_type: String,
    /// The bytes.
    pub content: Vec<u8>,
}

/// Why a queued mail cannot be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// An address lettre will not accept.
    #[error("bad address {0:?}")]
    Address(String),
    /// An attachment's MIME type lettre will not accept.
    #[error("bad content type {0:?}")]
    ContentType(String),
    /// The message builder refused.
    #[error("cannot build the mail: {0}")]
    Build(#[from] lettre::error::Error),
}

impl Queued {
    /// The RFC 5322 bytes: same row, same bytes (Date and Message-ID come from the row).
    pub fn render(&self, from: &Mailbox) -> Result<Vec<u8>, RenderError> {
        let mailbox = |a: &String| {
            a.parse::<Mailbox>()
                .map_err(|_| RenderError::Address(a.clone()))
        };
        let mut b = Message::builder()
            .from(from.clone())
            .subject(self.subject.clone())
            .message_id(Some(self.message_id.clone()))
            .date(self.created_at.into())
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-replied".into(),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("X-Auto-Response-Suppress"),
                "All".into(),
            ));
        for a in &self.to {
            b = b.to(mailbox(a)?);
        }
        for a in &self.cc {
            b = b.cc(mailbox(a)?);
        }
        if let Some(r) = &self.in_reply_to {
            b = b.in_reply_to(r.clone());
        }
        if let Some(r) = &self.references {
            b = b.references(r.clone());
        }
        let msg = match self.multipart()? {
            Some(parts) => b.multipart(parts)?,
            None => b.header(ContentType::TEXT_PLAIN).body(self.body.clone())?,
        };
        Ok(msg.formatted())
    }

    /// Text + HTML (+ attachments), with boundaries derived from the Message-ID so the bytes
    /// are the same on every render.
    fn multipart(&self) -> Result<Option<MultiPart>, RenderError> {
        if self.html.is_none() && self.attachments.is_empty() {
            return Ok(None);
        }
        let seed = hex::encode(&Sha256::digest(self.message_id.as_bytes())[..12]);
        let text = SinglePart::plain(self.body.clone());
        // An image beside an HTML part is shown inline: its file name is its Content-ID, which
        // the HTML names as `cid:NAME` (Outlook shows no SVG and no data: URI).
        let inline = |a: &&Attachment| self.html.is_some() && a.content_type.starts_with("image/");
        let body = match &self.html {
            Some(html) => {
                let html = SinglePart::html(html.clone());
                let images: Vec<&Attachment> = self.attachments.iter().filter(inline).collect();
                let alt = MultiPart::alternative()
                    .boundary(format!("sb-alt-{seed}"))
                    .singlepart(text);
                if images.is_empty() {
                    alt.singlepart(html)
                } else {
                    let mut related = MultiPart::related()
                        .boundary(format!("sb-rel-{seed}"))
                        .singlepart(html);
                    for a in images {
                        let ct = ContentType::parse(&a.content_type)
                            .map_err(|_| RenderError::ContentType(a.content_type.clone()))?;
                        related = related.singlepart(
                            AttachmentPart::new_inline(a.filename.clone())
                                .body(a.content.clone(), ct),
                        );
                    }
                    alt.multipart(related)
                }
            }
            None => MultiPart::mixed()
                .boundary(format!("sb-txt-{seed}"))
                .singlepart(text),
        };
        let files: Vec<&Attachment> = self.attachments.iter().filter(|a| !inline(a)).collect();
        if files.is_empty() {
            return Ok(Some(body));
        }
        let mut mixed = MultiPart::mixed()
            .boundary(format!("sb-mix-{seed}"))
            .multipart(body);
        for a in files {
            let ct = ContentType::parse(&a.content_type)
                .map_err(|_| RenderError::ContentType(a.content_type.clone()))?;
            mixed = mixed
                .singlepart(AttachmentPart::new(a.filename.clone()).body(a.content.clone(), ct));
        }
        Ok(Some(mixed))
    }
}

#[cfg(test)]
mod cap_tests {
    use super::OutgoingKind as K;
    use super::{cut, last_references};

    #[test]
    fn an_echo_is_cut_in_characters_and_marked() {
        assert_eq!(cut("短", 200), "短");
        let long = "字".repeat(50_000);
        let c = cut(&long, 200);
        assert_eq!(c.chars().count(), 200);
        assert!(c.ends_with('…'));
        assert_eq!(cut(&"a".repeat(200), 200).len(), 200);
        assert_eq!(cut("abc", 0), "…");
    }

    #[test]
    fn a_references_chain_keeps_its_last_twenty_ids() {
        let chain: Vec<usize> = (0..100_000).collect();
        assert_eq!(last_references(&chain), &chain[99_980..]);
        assert_eq!(last_references(&chain[..3]), &chain[..3]);
    }

    #[test]
    fn only_answers_to_the_sender_are_capped_not_notices_digests_or_alerts() {
        for k in [K::Ack, K::Rejection, K::NearMissHint, K::MissingRecipients] {
            assert!(k.is_capped_reply(), "{k:?}");
        }
        for k in [
            K::Forward,
            K::InitiationRequest,
            K::SecondPresalesNotice,
            K::ComplaintThreshold,
            K::OpenItemReminder,
            K::DailyDigest,
            K::MonthlyDigest,
            K::DeadLetter,
            K::AdminAlert,
        ] {
            assert!(!k.is_capped_reply(), "{k:?}");
        }
    }
}
