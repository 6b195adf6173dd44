//! What `process` and `run` would refuse about the transports, for `check-config` to refuse too
//! (issue 12 point 9). Here, not in `config`: the config is below the transports that read it.

use crate::config::check::at;
use crate::config::{Config, MailboxUrl, SmtpUrl};
use anyhow::anyhow;

/// Builds the SMTP and IMAP endpoints as `process` and `run` do; the error names the config
/// file's line and key.
pub fn transports(config: &Config, text: &str) -> anyhow::Result<()> {
    if let SmtpUrl::Smtp(url) = &config.smtp_url {
        super::smtp::SmtpOut::from_config(config, url)
            .map_err(|e| anyhow!("{}: {e:#}", at(text, "smtp", "url")))?;
    }
    if let MailboxUrl::Imap(_) = &config.mailbox_url {
        super::imap::endpoint(config)
            .map_err(|e| anyhow!("{}: {e}", at(text, "mailbox", "url")))?;
    }
    Ok(())
}
