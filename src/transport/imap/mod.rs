//! IMAP in (async-imap over tokio): log in, select the folder, list what came after the last
//! committed UID, fetch one mail at a time (`BODY.PEEK[]`, so nothing is `\Seen` before the
//! commit), file it away after the commit, and wait for more with IDLE where offered.

mod stream;

use crate::config::Config;
use crate::transport::endpoint::{Endpoint, EndpointError, Security};
use crate::transport::oauth::TokenSource;
use async_imap::Session;
use async_imap::extensions::idle::IdleResponse;
use async_imap::types::UnsolicitedResponse;
use futures_util::TryStreamExt;
use std::time::Duration;
pub use stream::Stream;

/// The env var holding the IMAP password.
pub const PASSWORD_ENV: &str = "SUPPORTBOT_IMAP_PASSWORD";

/// What went wrong talking IMAP. Every variant means: drop the connection, back off, reconnect.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// The URL or TLS setting cannot be used.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// Network trouble.
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    /// The server answered NO/BAD or something unreadable.
    #[error("IMAP: {0}")]
    Protocol(#[from] async_imap::error::Error),
    /// The login was refused.
    #[error("login as {user} refused: {reason}")]
    Login {
        /// Who.
        user: String,
        /// The server's words.
        reason: String,
    },
    /// STARTTLS was refused or failed; `imap://` never goes on in plaintext.
    #[error("STARTTLS failed (imap:// requires it): {0}")]
    StartTls(String),
    /// The TLS handshake failed.
    #[error("TLS: {0}")]
    Tls(String),
    /// The server closed the connection.
    #[error("the server closed the connection {0}")]
    Closed(&'static str),
    /// The folder has no UIDVALIDITY (RFC 3501 requires one).
    #[error("folder {0} has no UIDVALIDITY")]
    NoUidValidity(String),
}

/// One mail waiting in the folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    /// Its UID.
    pub uid: u32,
    /// Its size in bytes (RFC822.SIZE).
    pub size: u64,
}

/// Why [`ImapIn::wait`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woken {
    /// The server said something changed, or the IDLE or poll period ended: look again.
    Look,
    /// Shutdown was asked for.
    Shutdown,
}

/// A logged-in session on the workflow folder, with the server's capabilities cached.
#[derive(Debug)]
pub struct ImapIn {
    session: Option<Session<Stream>>,
    /// The folder read (the URL's path, default INBOX).
    pub folder: String,
    /// The folder's UIDVALIDITY.
    pub uid_validity: u32,
    idle: bool,
    mv: bool,
    uidplus: bool,
    /// OAuth2: when the login's token expires, if known; the session is renewed before.
    token_expires: Option<std::time::Instant>,
    /// When the login happened (a session is kept at least a minute, whatever the token says).
    logged_in: std::time::Instant,
}

/// Parses `mailbox.url` with the `tls` setting: plaintext only on loopback.
pub fn endpoint(config: &Config) -> Result<Endpoint, EndpointError> {
    let url = &config.mailbox.url;
    let ep = Endpoint::parse(
        url,
        &[
            ("imaps", Security::Implicit, 993),
            ("imap", Security::StartTls, 143),
        ],
        "imaps:// or imap:// (STARTTLS)",
    )?;
    match config.mailbox.tls.as_deref() {
        Some(t) if t.eq_ignore_ascii_case("none") => ep.into_plain(url),
        _ => Ok(ep),
    }
}

impl ImapIn {
    /// Connects, logs in (password from [`PASSWORD_ENV`]), selects the folder and makes sure
    /// the processed and dead-letter folders exist.
    #[tracing::instrument(skip_all, fields(host = %ep.host, port = ep.port))]
    pub async fn connect(config: &Config, ep: &Endpoint) -> Result<ImapIn, ImapError> {
        let client = stream::connect(ep).await?;
        let user = config.mailbox.user.clone();
        let oauth = TokenSource::from_settings(
            config.mailbox.token_command.as_deref(),
            config.mailbox.token_file.as_ref(),
        );
        let mut token_expires = None;
        let mut session = match oauth {
            // OAuth2 (Microsoft 365, Google Workspace): SASL XOAUTH2 with a token fetched for
            // this login, so every reconnect (after a refusal, or a session the server ended at
            // the token's expiry) runs the token command again.
            Some(source) => {
                let token = source.token().await.map_err(|e| ImapError::Login {
                    user: user.clone(),
                    reason: format!("no OAuth2 token: {e:#}"),
                })?;
                token_expires = source.expires_at();
                client
                    .authenticate("XOAUTH2", XOauth2::new(&user, &token))
                    .await
                    .map_err(|(e, _)| ImapError::Login {
                        user: user.clone(),
                        reason: format!("XOAUTH2: {e}"),
                    })?
            }
            None => {
                let password = std::env::var(PASSWORD_ENV).unwrap_or_default();
                client
                    .login(&user, &password)
                    .await
                    .map_err(|(e, _)| ImapError::Login {
                        user: user.clone(),
                        reason: e.to_string(),
                    })?
            }
        };
        let caps = session.capabilities().await?;
        let folder = if ep.path.is_empty() {
            "INBOX".to_string()
        } else {
            ep.path.clone()
        };
        for f in [
            &config.mailbox.processed_folder,
            &config.mailbox.dead_letter_folder,
        ] {
            // NOTE: CREATE of a folder that exists answers NO; that is the expected case.
            let _ = session.create(f).await;
        }
        let mailbox = session.select(&folder).await?;
        let uid_validity = mailbox
            .uid_validity
            .ok_or_else(|| ImapError::NoUidValidity(folder.clone()))?;
        Ok(ImapIn {
            session: Some(session),
            folder,
            uid_validity,
            idle: caps.has_str("IDLE"),
            mv: caps.has_str("MOVE"),
            uidplus: caps.has_str("UIDPLUS"),
            token_expires,
            logged_in: std::time::Instant::now(),
        })
    }

    /// OAuth2: how long this session may still wait before it must log in again with a new
    /// token (a minute before the token expires); None without a known expiry.
    pub fn renew_in(&self) -> Option<Duration> {
        let minute = Duration::from_secs(60);
        self.token_expires.map(|t| {
            let left = t
                .saturating_duration_since(std::time::Instant::now())
                .saturating_sub(minute);
            // NOTE: a helper announcing a token of a minute or less must not make a login loop.
            left.max(minute.saturating_sub(self.logged_in.elapsed()))
        })
    }

    /// Whether the server offers IDLE (RFC 2177).
    pub fn has_idle(&self) -> bool {
        self.idle
    }

    fn session(&mut self) -> Result<&mut Session<Stream>, ImapError> {
        self.session
            .as_mut()
            .ok_or(ImapError::Closed("during IDLE"))
    }

    /// UIDs in the folder within `from..=to` (`to` None: up to the newest), ascending.
    pub async fn uids(&mut self, from: u32, to: Option<u32>) -> Result<Vec<u32>, ImapError> {
        let range = match to {
            Some(t) => format!("UID {from}:{t}"),
            None => format!("UID {from}:*"),
        };
        let found = self.session()?.uid_search(range).await?;
        // NOTE: `n:*` always matches the newest mail, even when its UID is below n.
        let mut uids: Vec<u32> = found
            .into_iter()
            .filter(|u| *u >= from && to.is_none_or(|t| *u <= t))
            .collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// Mail with a UID above `last`, oldest first, with sizes.
    pub async fn waiting(&mut self, last: u32) -> Result<Vec<Waiting>, ImapError> {
        let uids = self.uids(last.saturating_add(1), None).await?;
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let set: Vec<String> = uids.iter().map(u32::to_string).collect();
        let fetches: Vec<_> = self
            .session()?
            .uid_fetch(set.join(","), "(UID RFC822.SIZE)")
            .await?
            .try_collect()
            .await?;
        let mut out: Vec<Waiting> = fetches
            .iter()
            .filter_map(|f| {
                Some(Waiting {
                    uid: f.uid?,
                    size: u64::from(f.size.unwrap_or(0)),
                })
            })
            .filter(|w| w.uid > last)
            .collect();
        out.sort_by_key(|w| w.uid);
        out.dedup_by_key(|w| w.uid);
        Ok(out)
    }

    /// The mail's bytes (`BODY.PEEK[]`), or only its header (`BODY.PEEK[HEADER]`); None when it
    /// vanished meanwhile.
    pub async fn fetch(
        &mut self,
        uid: u32,
        header_only: bool,
    ) -> Result<Option<Vec<u8>>, ImapError> {
        let what = if header_only {
            "(UID BODY.PEEK[HEADER])"
        } else {
            "(UID BODY.PEEK[])"
        };
        let fetches: Vec<_> = self
            .session()?
            .uid_fetch(uid.to_string(), what)
            .await?
            .try_collect()
            .await?;
        Ok(fetches
            .iter()
            .filter(|f| f.uid == Some(uid))
            .find_map(|f| if header_only { f.header() } else { f.body() })
            .map(<[u8]>::to_vec))
    }

    /// Flags the mail `\Seen` and moves it to `folder`: MOVE where offered, else COPY,
    /// `\Deleted` and UID EXPUNGE. Safe to repeat: a mail already gone is no error.
    pub async fn file(&mut self, uid: u32, folder: &str) -> Result<(), ImapError> {
        let (mv, uidplus) = (self.mv, self.uidplus);
        let s = self.session()?;
        let set = uid.to_string();
        let _: Vec<_> = s
            .uid_store(&set, "+FLAGS.SILENT (\\Seen)")
            .await?
            .try_collect()
            .await?;
        if mv {
            s.uid_mv(&set, folder).await?;
            return Ok(());
        }
        s.uid_copy(&set, folder).await?;
        let _: Vec<_> = s
            .uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
            .await?
            .try_collect()
            .await?;
        if uidplus {
            let _: Vec<_> = s.uid_expunge(&set).await?.try_collect().await?;
        } else {
            // NOTE: without UIDPLUS only a plain EXPUNGE exists; it also removes mail someone
            // else flagged \Deleted in this folder, which in a bot's own folder is nobody.
            let _: Vec<_> = s.expunge().await?.try_collect().await?;
        }
        Ok(())
    }

    /// Waits for new mail: IDLE (re-issued after `idle_for`) where offered, else `poll_for`.
    pub async fn wait(
        &mut self,
        idle_for: Duration,
        poll_for: Duration,
        shutdown: &mut crate::shutdown::Shutdown,
    ) -> Result<Woken, ImapError> {
        if self.drain_news()? {
            return Ok(Woken::Look);
        }
        if !self.idle {
            return Ok(tokio::select! {
                _ = tokio::time::sleep(poll_for) => Woken::Look,
                _ = shutdown.recv() => Woken::Shutdown,
            });
        }
        let session = self
            .session
            .take()
            .ok_or(ImapError::Closed("during IDLE"))?;
        let news = session.unsolicited_responses.clone();
        let mut handle = session.idle();
        handle.init().await?;
        // NOTE: an EXISTS the server sent just before its "+ idling" lands in the unsolicited
        // queue, not in the IDLE stream; without this look it would wait a whole IDLE period.
        if std::iter::from_fn(|| news.try_recv().ok()).any(|r| {
            matches!(
                r,
                UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_)
            )
        }) {
            self.session = Some(handle.done().await?);
            return Ok(Woken::Look);
        }
        let (fut, _stop) = handle.wait_with_timeout(idle_for);
        let woken = tokio::select! {
            r = fut => match r? {
                // NOTE: async-imap reports a connection that ended during IDLE as an interrupt;
                // we never interrupt it ourselves, so this is the server going away.
                IdleResponse::ManualInterrupt => return Err(ImapError::Closed("during IDLE")),
                IdleResponse::Timeout | IdleResponse::NewData(_) => Woken::Look,
            },
            _ = shutdown.recv() => Woken::Shutdown,
        };
        self.session = Some(handle.done().await?);
        Ok(woken)
    }

    /// Empties the queue of unsolicited responses; true if one says the folder grew.
    fn drain_news(&mut self) -> Result<bool, ImapError> {
        let s = self.session()?;
        let mut news = false;
        while let Ok(r) = s.unsolicited_responses.try_recv() {
            news |= matches!(
                r,
                UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_)
            );
        }
        Ok(news)
    }

    /// Logs out politely.
    pub async fn logout(mut self) {
        if let Some(mut s) = self.session.take() {
            let _ = s.logout().await;
        }
    }
}

/// SASL XOAUTH2 for `AUTHENTICATE`: the initial response, then an empty answer to the error
/// challenge a server sends when it refuses the token (it then ends with NO).
struct XOauth2 {
    response: Option<String>,
}

impl XOauth2 {
    fn new(user: &str, token: &str) -> XOauth2 {
        XOauth2 {
            response: Some(crate::transport::oauth::xoauth2(user, token)),
        }
    }
}

impl async_imap::Authenticator for XOauth2 {
    type Response = String;

    fn process(&mut self, _challenge: &[u8]) -> String {
        self.response.take().unwrap_or_default()
    }
}
