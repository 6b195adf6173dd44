//! One inbound mail, read once from untrusted bytes into owned domain fields.
//! Never panics: a mail mail-parser cannot read at all comes back with `readable == false`.

use chrono::{DateTime, TimeZone, Utc};
use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use regex::Regex;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// workflow.md §5: a Date more than 7 days after the first Received header (or, without one, after
/// the bot first saw the mail) is not believed.
const MAX_DATE_AHEAD_SECS: i64 = 7 * 24 * 3600;
/// A Date more than a year before the first Received header is not believed either.
const MAX_DATE_BEHIND_SECS: i64 = 365 * 24 * 3600;
/// No mail this bot reads was written before 2000-01-01 00:00 UTC.
const EARLIEST_DATE: i64 = 946_684_800;

/// What the bot needs of one inbound mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The exactly-once key: the Message-ID, or `sha256:<hex>` of the bytes when it has none.
    pub key: String,
    /// Sender address, lowercase.
    pub from: Option<String>,
    /// To addresses, lowercase.
    pub to: Vec<String>,
    /// Cc addresses, lowercase.
    pub cc: Vec<String>,
    /// Decoded subject (RFC 2047, any charset), empty when absent.
    pub subject: String,
    /// Event time: Date, bounded by the first Received header (workflow.md §3, §5).
    pub date: DateTime<Utc>,
    /// The Date header was not believed and `date` is the Received (or arrival) time instead.
    pub date_replaced: bool,
    /// Message-IDs this mail answers (In-Reply-To, then References), without brackets.
    pub in_reply_to: Vec<String>,
    /// References header, without brackets.
    pub references: Vec<String>,
    /// The text of the body (from the HTML part when there is no plain text).
    pub body: String,
    /// Number of attachments.
    pub attachments: usize,
    /// Why the headers say this is an auto-reply or a bounce, if they do.
    pub auto_signal: Option<String>,
    /// False when the bytes could not be read as a mail at all.
    pub readable: bool,
    /// `Authentication-Results` values, topmost first (judged by [`super::auth::verdict`]).
    pub auth_results: Vec<String>,
}

impl Inbound {
    /// Reads `raw`; `arrived` is used when the mail carries no usable date.
    pub fn parse(raw: &[u8], arrived: DateTime<Utc>) -> Inbound {
        let hash = format!("sha256:{}", hex::encode(Sha256::digest(raw)));
        let Some(msg) = MessageParser::default().parse(raw) else {
            return Inbound::unreadable(hash, arrived);
        };
        let key = msg
            .message_id()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(String::from)
            .unwrap_or(hash);
        let from = msg
            .from()
            .and_then(Address::first)
            .and_then(|a| a.address())
            .map(|a| a.trim().to_ascii_lowercase());
        let received = msg
            .received()
            .and_then(|r| r.date())
            .filter(|d| d.is_valid())
            .map(|d| d.to_timestamp());
        let dated = msg
            .date()
            .filter(|d| d.is_valid())
            .map(|d| d.to_timestamp());
        let (date, date_replaced) = event_time(dated, received, arrived);
        let body = body_text(&msg);
        Inbound {
            key,
            from,
            to: addresses(msg.to()),
            cc: addresses(msg.cc()),
            subject: msg.subject().unwrap_or_default().to_string(),
            date,
            date_replaced,
            in_reply_to: ids(msg.in_reply_to()),
            references: ids(msg.references()),
            body,
            attachments: msg.attachment_count(),
            auto_signal: auto_signal(&msg),
            readable: true,
            auth_results: super::auth::results_headers(raw),
        }
    }

    fn unreadable(key: String, arrived: DateTime<Utc>) -> Inbound {
        Inbound {
            key,
            from: None,
            to: Vec::new(),
            cc: Vec::new(),
            subject: String::new(),
            date: arrived,
            date_replaced: false,
            in_reply_to: Vec::new(),
            references: Vec::new(),
            body: String::new(),
            attachments: 0,
            auto_signal: None,
            readable: false,
            auth_results: Vec::new(),
        }
    }

    /// Every address the mail was sent to (To and Cc).
    pub fn recipients(&self) -> impl Iterator<Item = &str> {
        self.to.iter().chain(&self.cc).map(String::as_str)
    }
}

/// The event time (workflow.md §5): the Date header unless it is implausible — more than 7 days
/// after the first Received header or more than a year before it, or before 2000 — then that
/// Received time. Without a Received header (an archive given to `replay`) only a Date before 2000
/// or more than 7 days after `arrived` is replaced, by `arrived`: an old archive keeps its dates.
/// The flag says whether a Date header was replaced.
fn event_time(
    dated: Option<i64>,
    received: Option<i64>,
    arrived: DateTime<Utc>,
) -> (DateTime<Utc>, bool) {
    let at = |s: i64| Utc.timestamp_opt(s, 0).single();
    let anchor = received.unwrap_or_else(|| arrived.timestamp());
    match dated {
        Some(d) => {
            let implausible = d < EARLIEST_DATE
                || d > anchor.saturating_add(MAX_DATE_AHEAD_SECS)
                || (received.is_some() && d < anchor.saturating_sub(MAX_DATE_BEHIND_SECS));
            match (implausible, at(d)) {
                (false, Some(date)) => (date, false),
                _ => (at(anchor).unwrap_or(arrived), true),
            }
        }
        None => (received.and_then(at).unwrap_or(arrived), false),
    }
}

/// The text of the body: every inline text part in order (Apple Mail and phone clients split a
/// plain-text mail around an inline picture into text / image / text parts), each `format=flowed`
/// part unwrapped first; an HTML-only part is read as text.
fn body_text(msg: &Message<'_>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut budget = MAX_BODY_TEXT;
    for i in 0..msg.text_body_count() {
        if budget == 0 {
            break;
        }
        let part = u32::try_from(i).ok().and_then(|i| msg.text_part(i));
        let text = match part.map(|p| &p.body) {
            Some(PartType::Html(html)) => html_text(head(html, budget.saturating_mul(4))),
            Some(PartType::Text(text)) => {
                let text = head(text, budget);
                match flowed(part) {
                    Some(delsp) => super::flowed::unflow(text, delsp),
                    None => text.to_owned(),
                }
            }
            _ => continue,
        };
        let text = head(&text, budget).to_owned();
        budget -= text.len();
        parts.push(text);
    }
    parts.join("\n")
}

/// The most body text read for fields and commands, in bytes: every workflow mail's fields fit
/// many times over. A huge body (a pasted log, issue 12) is read only this far, so a 30 MB mail
/// is not copied whole by each step that reads it.
const MAX_BODY_TEXT: usize = 1 << 20;

/// The first `max` bytes of `text`, cut at a character boundary.
fn head(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `Some(delsp)` when the part is `format=flowed` (RFC 3676).
fn flowed(part: Option<&mail_parser::MessagePart<'_>>) -> Option<bool> {
    part.and_then(|p| p.content_type())
        .filter(|ct| {
            ct.attribute("format")
                .is_some_and(|f| f.trim().eq_ignore_ascii_case("flowed"))
        })
        .map(|ct| {
            ct.attribute("delsp")
                .is_some_and(|d| d.trim().eq_ignore_ascii_case("yes"))
        })
}

/// Block elements whose end is a line end. 企业微信邮箱, QQ Mail and Gmail write one `<div>` per
/// line, which mail-parser's HTML reader runs together (it breaks lines at `<br>` and `</p>`).
static BLOCK_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)</(?:div|li|tr|h[1-6]|table|blockquote|pre|section|article)\s*>")
        .expect("constant pattern is a valid regex")
});

/// The text of an HTML part: every block element ends a line, then mail-parser's reader.
fn html_text(html: &str) -> String {
    let lined = BLOCK_END.replace_all(html, "$0<br>");
    mail_parser::decoders::html::html_to_text(&lined)
}

fn addresses(a: Option<&Address<'_>>) -> Vec<String> {
    a.map(|a| {
        a.iter()
            .filter_map(|x| x.address())
            .map(|x| x.trim().to_ascii_lowercase())
            .collect()
    })
    .unwrap_or_default()
}

fn ids(v: &HeaderValue<'_>) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![t.trim().to_string()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.trim().to_string()).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect()
}

/// RFC 3834 and the usual vendor headers that mark mail no one typed (workflow.md §5).
fn auto_signal(msg: &mail_parser::Message<'_>) -> Option<String> {
    let raw = |name: &str| msg.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    if let Some(v) = raw("Auto-Submitted")
        && !v.is_empty()
        && !v.starts_with("no")
    {
        return Some(format!("Auto-Submitted: {v}"));
    }
    // workflow.md §5: vendor and list markers of mail no one typed.
    for name in [
        "X-Auto-Response-Suppress",
        "X-Autoreply",
        "X-Autorespond",
        "X-Auto-Reply",
        "List-Id",
        "List-Unsubscribe",
    ] {
        if msg.header_raw(name).is_some() {
            return Some(name.into());
        }
    }
    if let Some(v) = raw("Precedence")
        && ["bulk", "junk", "list", "auto_reply"].contains(&v.as_str())
    {
        return Some(format!("Precedence: {v}"));
    }
    if let Some(v) = raw("Return-Path")
        && v.trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace())
            .is_empty()
    {
        return Some("empty Return-Path (bounce)".into());
    }
    let from = msg
        .from()
        .and_then(Address::first)
        .and_then(|a| a.address())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let local = from.split('@').next().unwrap_or_default();
    if local == "mailer-daemon" || local == "postmaster" {
        return Some(format!("bounce from {from}"));
    }
    let is_report = msg.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    is_report.then(|| "multipart/report (delivery status)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0)
            .single()
            .expect("valid date")
    }

    #[test]
    fn a_mail_without_message_id_is_keyed_by_its_content() {
        let a = Inbound::parse(b"From: a@b.c\r\nSubject: x\r\n\r\nhello", now());
        let b = Inbound::parse(b"From: a@b.c\r\nSubject: x\r\n\r\nhello!", now());
        assert!(a.key.starts_with("sha256:"));
        assert_ne!(a.key, b.key);
    }

    #[test]
    fn gbk_encoded_subject_decodes() {
        // 「客户沟通」 in GBK
        let raw = b"From: a@b.c\r\nSubject: =?GBK?B?v827p7m1zag=?=\r\n\r\nx";
        assert_eq!(Inbound::parse(raw, now()).subject, "客户沟通");
    }

    #[test]
    fn a_date_far_from_the_first_received_header_is_not_believed() {
        let raw = b"Received: from x by y; Wed, 25 Nov 2026 10:00:00 +0800\r\n\
            Date: Mon, 1 Jan 2001 00:00:00 +0000\r\nFrom: a@b.c\r\n\r\nx";
        let m = Inbound::parse(raw, now());
        assert_eq!(m.date.to_rfc3339(), "2026-11-25T02:00:00+00:00");
        assert!(m.date_replaced);
    }

    fn dated(date: &str, received: Option<&str>) -> Inbound {
        let received =
            received.map_or(String::new(), |r| format!("Received: from x by y; {r}\r\n"));
        let raw = format!("{received}Date: {date}\r\nFrom: a@b.c\r\n\r\nx");
        Inbound::parse(raw.as_bytes(), now())
    }

    #[test]
    fn a_date_in_1900_is_replaced_by_the_received_time_and_flagged() {
        let m = dated(
            "Mon, 1 Jan 1900 00:00:00 +0000",
            Some("Wed, 25 Nov 2026 10:00:00 +0800"),
        );
        assert_eq!(m.date.to_rfc3339(), "2026-11-25T02:00:00+00:00");
        assert!(m.date_replaced);
    }

    #[test]
    fn a_date_a_few_days_off_the_received_time_is_believed() {
        let m = dated(
            "Mon, 20 Nov 2026 10:00:00 +0800",
            Some("Wed, 25 Nov 2026 10:00:00 +0800"),
        );
        assert_eq!(m.date.to_rfc3339(), "2026-11-20T02:00:00+00:00");
        assert!(!m.date_replaced);
    }

    #[test]
    fn an_old_archive_without_received_headers_keeps_its_dates() {
        let m = dated("Mon, 3 Mar 2025 10:00:00 +0800", None);
        assert_eq!(m.date.to_rfc3339(), "2025-03-03T02:00:00+00:00");
        assert!(!m.date_replaced);
        let m = dated("Mon, 1 Jan 1900 00:00:00 +0000", None);
        assert_eq!(m.date, now());
        assert!(m.date_replaced);
        let m = dated("Fri, 1 Jan 2027 00:00:00 +0000", None);
        assert_eq!(m.date, now(), "more than 7 days after the bot saw it");
    }

    #[test]
    fn robot_and_list_markers_are_auto_replies() {
        for header in [
            "X-Autoreply: yes",
            "X-Autorespond: 1",
            "X-Auto-Reply: true",
            "List-Id: <staff.example.com>",
            "List-Unsubscribe: <mailto:leave@example.com>",
        ] {
            let raw = format!("From: a@b.c\r\n{header}\r\nSubject: x\r\n\r\nx");
            assert!(
                Inbound::parse(raw.as_bytes(), now()).auto_signal.is_some(),
                "{header}"
            );
        }
    }

    #[test]
    fn every_inline_text_part_is_read_in_order() {
        let raw = b"From: a@b.c\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
            --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nfirst part\r\n\
            --b\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\n\
            Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n\
            --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsecond part\r\n--b--\r\n";
        let m = Inbound::parse(raw, now());
        assert!(m.body.contains("second part"), "{:?}", m.body);
        assert_eq!(m.attachments, 1);
    }

    #[test]
    fn an_html_body_written_one_div_a_line_keeps_its_lines() {
        let raw = "From: a@b.c\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
            Content-Type: text/html; charset=utf-8\r\n\r\n\
            <div>沟通结果: 成功</div><div>沟通人: 王工</div><DIV><br></DIV><div>谢谢</div>";
        let body = Inbound::parse(raw.as_bytes(), now()).body;
        let lines: Vec<&str> = body.lines().map(str::trim).collect();
        assert_eq!(lines[..2], ["沟通结果: 成功", "沟通人: 王工"], "{body:?}");
        assert!(lines.contains(&"谢谢"));
    }

    #[test]
    fn a_huge_body_is_read_only_to_its_first_mebibyte_at_a_character_boundary() {
        let mut raw =
            b"From: a@b.c\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
            \xe6\xb2\x9f\xe9\x80\x9a\xe7\xbb\x93\xe6\x9e\x9c: ok\r\n"
                .to_vec();
        raw.extend("日志".repeat(1_000_000).as_bytes());
        let body = Inbound::parse(&raw, now()).body;
        assert!(body.starts_with("沟通结果: ok"));
        assert!(body.len() <= MAX_BODY_TEXT, "{}", body.len());
    }

    #[test]
    fn a_flowed_part_is_unwrapped() {
        let raw = b"From: a@b.c\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
            Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\r\n\r\n\
            value: one \r\ntwo\r\n";
        assert_eq!(Inbound::parse(raw, now()).body.trim_end(), "value: onetwo");
    }

    #[test]
    fn auto_submitted_no_is_a_person() {
        let raw = b"From: a@b.c\r\nAuto-Submitted: no\r\n\r\nx";
        assert_eq!(Inbound::parse(raw, now()).auto_signal, None);
        let raw = b"From: a@b.c\r\nAuto-Submitted: auto-replied\r\n\r\nx";
        assert!(Inbound::parse(raw, now()).auto_signal.is_some());
    }
}
