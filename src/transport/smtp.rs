//! SMTP out (lettre over tokio and rustls): `smtps://` (implicit TLS), `smtp://` (STARTTLS
//! required) and `smtp+plain://` (loopback only). One connection per mail; the bytes are the
//! outbox row's rendering, so a resend after a crash is the same mail with the same Message-ID.

use super::SendError;
use super::endpoint::{Endpoint, Security};
use crate::config::Config;
use crate::mail::outbound::Queued;
use crate::transport::oauth::TokenSource;
use anyhow::Context;
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

/// The env var holding the SMTP password.
pub const PASSWORD_ENV: &str = "SUPPORTBOT_SMTP_PASSWORD";

/// The SMTP submission server the bot sends through.
#[derive(Clone)]
pub struct SmtpOut {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// OAuth2: the transport without credentials, the login, and the token source; each mail
    /// is sent with the token of the moment (SASL XOAUTH2).
    oauth: Option<(AsyncSmtpTransportBuilder, String, TokenSource)>,
    from: Address,
    /// Where it sends to, for logs.
    pub endpoint: Endpoint,
}

impl std::fmt::Debug for SmtpOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpOut")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl SmtpOut {
    /// Builds the transport `smtp.url` names; the password comes from [`PASSWORD_ENV`].
    pub fn from_config(config: &Config, url: &str) -> anyhow::Result<SmtpOut> {
        let endpoint = Endpoint::parse(
            url,
            &[
                ("smtps", Security::Implicit, 465),
                ("smtp", Security::StartTls, 587),
                ("smtp+plain", Security::Plain, 25),
            ],
            "smtps://, smtp:// (STARTTLS), smtp+plain:// (loopback)",
        )?;
        let endpoint = match endpoint.security {
            Security::Plain => endpoint.clone().into_plain(url)?,
            _ => endpoint,
        };
        let builder = match endpoint.security {
            Security::Implicit => AsyncSmtpTransport::<Tokio1Executor>::relay(&endpoint.host)?,
            Security::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&endpoint.host)?
            }
            Security::Plain => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&endpoint.host)
            }
        };
        let mut builder = builder
            .port(endpoint.port)
            .timeout(Some(Duration::from_secs(
                config.smtp.timeout_seconds.max(1),
            )))
            .hello_name(ClientId::Domain(config.bot_domain().to_string()));
        let user = config
            .smtp
            .user
            .clone()
            .unwrap_or_else(|| config.bot_address.clone());
        let oauth = TokenSource::from_settings(
            config.smtp.token_command.as_deref(),
            config.smtp.token_file.as_ref(),
        )
        .map(|source| (builder.clone(), user.clone(), source));
        if oauth.is_none()
            && let Ok(password) = std::env::var(PASSWORD_ENV)
        {
            builder = builder.credentials(Credentials::new(user, password));
        }
        let from: Address = config
            .bot_address
            .parse()
            .with_context(|| format!("smtp.from {:?} is not an address", config.bot_address))?;
        Ok(SmtpOut {
            transport: builder.build(),
            oauth,
            from,
            endpoint,
        })
    }

    /// Sends one rendered mail to its To and Cc addresses.
    #[tracing::instrument(skip_all, fields(message_id = %mail.message_id))]
    pub async fn deliver(&self, mail: &Queued, bytes: &[u8]) -> Result<(), SendError> {
        let mut to = Vec::new();
        for a in mail.to.iter().chain(&mail.cc) {
            let address = bare(a)
                .parse::<Address>()
                .map_err(|_| SendError::Permanent(format!("bad recipient address {a:?}")))?;
            to.push(address);
        }
        let envelope = Envelope::new(Some(self.from.clone()), to)
            .map_err(|e| SendError::Permanent(format!("no envelope: {e}")))?;
        let oauth_transport;
        let transport = match &self.oauth {
            Some((builder, user, source)) => {
                let token = source.token().await.map_err(|e| {
                    SendError::Transient(format!("no OAuth2 token for SMTP: {e:#}"))
                })?;
                oauth_transport = builder
                    .clone()
                    .credentials(Credentials::new(user.clone(), token))
                    .authentication(vec![Mechanism::Xoauth2])
                    .build();
                &oauth_transport
            }
            None => &self.transport,
        };
        match transport.send_raw(&envelope, bytes).await {
            Ok(_) => Ok(()),
            // NOTE: a refused XOAUTH2 token (535, or the error challenge lettre does not
            // expect) is the token's fault, not the mail's: fetch a new token, keep it pending.
            Err(e) if self.oauth.is_some() && refused_login(&e) => {
                if let Some((_, _, source)) = &self.oauth {
                    source.invalidate();
                }
                Err(SendError::Transient(format!(
                    "OAuth2 token refused; a new one is fetched for the next try: {}",
                    chain(&e)
                )))
            }
            Err(e) if e.is_permanent() => Err(SendError::Permanent(chain(&e))),
            // NOTE: everything that is not a 5xx (a 4xx, a refused or dropped connection, a
            // timeout, a TLS handshake that failed) is worth trying again later.
            Err(e) => Err(SendError::Transient(chain(&e))),
        }
    }
}

/// Whether the server refused the login (535, 534, 530) or the XOAUTH2 exchange broke.
fn refused_login(e: &lettre::transport::smtp::Error) -> bool {
    let code = e.status().map(|c| c.to_string());
    matches!(code.as_deref(), Some("535" | "534" | "530" | "454"))
        || chain(e).contains("does not expect a challenge")
}

/// The address inside `Name <addr>`, or the whole string.
fn bare(a: &str) -> &str {
    match (a.rfind('<'), a.rfind('>')) {
        (Some(l), Some(r)) if l < r => a[l + 1..r].trim(),
        _ => a.trim(),
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::bare;

    #[test]
    fn a_named_address_is_reduced_to_its_address() {
        assert_eq!(bare("张三 <zhangsan@example.com>"), "zhangsan@example.com");
        assert_eq!(bare(" lisi@example.com "), "lisi@example.com");
    }
}
