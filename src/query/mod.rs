//! Asking the bot by mail (queries.md §1): `帮助`, `查询-星河项目`, `查询-我的跟踪表`, … .
//!
//! A query subject is read once into a [`Query`]; who may ask what is decided from the directory
//! by [`access`]; [`render`] turns the figures into the reply (plain text + inline-styled HTML,
//! long tables attached as .xlsx) without I/O; [`answer`] is the one step that reads the store,
//! inside the mail's transaction, so an answer is computed when the mail is handled and a query
//! changes no workflow state.

pub mod access;
pub mod answer;
pub mod render;
pub mod table;
pub mod xlsx;

pub use answer::answer;

pub use crate::parse::query::Query;

use crate::rules::MailKind;

/// The HTML part and attachments of a query reply, which the engine sets on the reply's outbox
/// row once it is queued ([`crate::store::query_data::set_parts`]).
#[derive(Debug, Clone)]
pub struct Parts {
    /// HTML alternative.
    pub html: String,
    /// Files attached.
    pub attachments: Vec<crate::mail::outbound::Attachment>,
}

/// The engine's step for a query or help mail the rules accepted (a known sender, not an
/// auto-reply): answers it now, sets the decision's outcome, reasons and project, and adds the
/// reply (to the sender only) to its outgoing mail. None for any other mail.
pub async fn fill(
    config: &crate::config::Config,
    conn: &mut sqlx::SqliteConnection,
    mail: &crate::mail::Inbound,
    d: &mut crate::rules::Decision,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Option<Parts>> {
    if !matches!(d.kind, MailKind::Query | MailKind::Help)
        || d.outcome != crate::rules::Outcome::Accepted
    {
        return Ok(None);
    }
    let (Some(query), Some(from)) = (Query::parse(&mail.subject), mail.from.as_deref()) else {
        return Ok(None);
    };
    let Some(sender) = config.directory.by_email(from) else {
        return Ok(None);
    };
    let a = answer(config, conn, sender, &query, &mail.subject, now).await?;
    d.outcome = a.outcome;
    d.reasons = a.reasons;
    d.project = a.project;
    d.outgoing.push(crate::mail::Outgoing {
        kind: a.kind,
        to: vec![from.to_owned()],
        cc: Vec::new(),
        subject: a.reply.subject,
        body: a.reply.text,
    });
    Ok(Some(Parts {
        html: a.reply.html,
        attachments: a.reply.attachments,
    }))
}
