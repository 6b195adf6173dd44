//! OAuth2 access tokens for SASL XOAUTH2 (Microsoft 365, Google Workspace): taken from a
//! command or a file the admin configures, so supportbot holds no client secret and does no
//! OAuth flow of its own.
//!
//! The command prints either the bare token, or JSON with `access_token` and `expires_in`
//! (seconds), as token helpers do. A token is re-used until a minute before it expires (a bare
//! token: for five minutes), and dropped at once when the server refuses it. An IMAP session
//! logged in with a token whose expiry is known is ended and opened again before it expires.

use anyhow::{Context, bail};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a bare token (no `expires_in`) is re-used before the command runs again.
const BARE_TOKEN_REUSE: Duration = Duration::from_secs(300);
/// A token is renewed this long before its announced expiry.
const MARGIN: Duration = Duration::from_secs(60);
/// The longest a token command may run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Where tokens come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `token_command`: run with `sh -c`.
    Command(String),
    /// `token_file`: read at each use.
    File(PathBuf),
}

/// A token source with its cached token.
#[derive(Debug, Clone)]
pub struct TokenSource {
    source: Source,
    cached: Arc<Mutex<Option<Cached>>>,
}

/// A token, how long it is re-used, and when it expires if the source said so.
#[derive(Debug, Clone)]
struct Cached {
    token: String,
    reuse_until: Instant,
    expires_at: Option<Instant>,
}

impl TokenSource {
    /// The source a config section names, if any.
    pub fn from_settings(command: Option<&str>, file: Option<&PathBuf>) -> Option<TokenSource> {
        let source = match (command, file) {
            (Some(c), _) => Source::Command(c.to_string()),
            (None, Some(f)) => Source::File(f.clone()),
            (None, None) => return None,
        };
        Some(TokenSource {
            source,
            cached: Arc::new(Mutex::new(None)),
        })
    }

    /// A valid-looking token: the cached one while fresh, else a new one from the source.
    pub async fn token(&self) -> anyhow::Result<String> {
        if let Ok(cached) = self.cached.lock()
            && let Some(c) = cached.as_ref()
            && Instant::now() < c.reuse_until
        {
            return Ok(c.token.clone());
        }
        let now = Instant::now();
        let (token, lifetime, expires_in) = match &self.source {
            Source::Command(c) => parse_output(&run(c).await?)?,
            Source::File(f) => {
                let text = tokio::fs::read_to_string(f)
                    .await
                    .with_context(|| format!("cannot read token_file {}", f.display()))?;
                // The file is rewritten by its owner: read it again at every use.
                let (token, _, expires_in) = parse_output(&text)?;
                (token, Duration::ZERO, expires_in)
            }
        };
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some(Cached {
                token: token.clone(),
                reuse_until: now + lifetime,
                expires_at: expires_in.map(|d| now + d),
            });
        }
        Ok(token)
    }

    /// When the last token fetched expires, if its source said (`expires_in`).
    pub fn expires_at(&self) -> Option<Instant> {
        self.cached
            .lock()
            .ok()
            .and_then(|c| c.as_ref().and_then(|c| c.expires_at))
    }

    /// The server refused the token: the next use fetches a new one.
    pub fn invalidate(&self) {
        if let Ok(mut cached) = self.cached.lock() {
            *cached = None;
        }
    }
}

async fn run(command: &str) -> anyhow::Result<String> {
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(COMMAND_TIMEOUT, child)
        .await
        .map_err(|_| anyhow::anyhow!("token_command ran longer than {COMMAND_TIMEOUT:?}"))?
        .context("cannot run token_command")?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!(
            "token_command exited {}: {}",
            out.status,
            err.lines().next().unwrap_or_default()
        );
    }
    String::from_utf8(out.stdout).context("token_command printed something that is not UTF-8")
}

/// The token, how long to re-use it and its announced lifetime, from what a command printed.
fn parse_output(text: &str) -> anyhow::Result<(String, Duration, Option<Duration>)> {
    let text = text.trim();
    if text.starts_with('{') {
        let v: serde_json::Value =
            serde_json::from_str(text).context("token output looks like JSON but is not")?;
        let Some(token) = v["access_token"].as_str().filter(|t| !t.is_empty()) else {
            bail!("token output has no access_token");
        };
        let expires_in = v["expires_in"].as_u64().map(Duration::from_secs);
        let lifetime = expires_in
            .map(|d| d.saturating_sub(MARGIN))
            .unwrap_or(BARE_TOKEN_REUSE);
        return Ok((token.to_string(), lifetime, expires_in));
    }
    if text.is_empty() || text.contains(char::is_whitespace) {
        bail!("token output is not one token (empty, or several words)");
    }
    Ok((text.to_string(), BARE_TOKEN_REUSE, None))
}

/// The SASL XOAUTH2 initial response (before base64): `user=…^Aauth=Bearer …^A^A`.
pub fn xoauth2(user: &str, token: &str) -> String {
    format!("user={user}\x01auth=Bearer {token}\x01\x01")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_token_and_a_json_token_are_both_understood() {
        let (t, d, e) = parse_output("ya29.abc\n").expect("bare");
        assert_eq!((t.as_str(), d, e), ("ya29.abc", BARE_TOKEN_REUSE, None));
        let (t, d, e) = parse_output(r#"{"access_token":"eyJ0","expires_in":3600}"#).expect("json");
        assert_eq!(
            (t.as_str(), d, e),
            (
                "eyJ0",
                Duration::from_secs(3540),
                Some(Duration::from_secs(3600))
            )
        );
        assert!(parse_output("").is_err());
        assert!(parse_output("error: login required").is_err());
        assert!(parse_output(r#"{"error":"invalid_grant"}"#).is_err());
    }

    #[tokio::test]
    async fn the_command_runs_again_once_the_server_refused_its_token() {
        let dir = tempfile::tempdir().expect("temp dir");
        let runs = dir.path().join("runs");
        let cmd = format!("echo run >> {0}; echo tok$(wc -l < {0})", runs.display());
        let src = TokenSource::from_settings(Some(&cmd), None).expect("a source");
        assert_eq!(src.token().await.expect("token"), "tok1");
        assert_eq!(src.token().await.expect("cached"), "tok1");
        src.invalidate();
        assert_eq!(src.token().await.expect("fresh"), "tok2");
        assert_eq!(src.expires_at(), None, "a bare token announces no expiry");
    }

    #[tokio::test]
    async fn a_token_with_expires_in_says_when_it_expires() {
        let cmd = r#"echo '{"access_token":"eyJ0","expires_in":3600}'"#;
        let src = TokenSource::from_settings(Some(cmd), None).expect("a source");
        let before = Instant::now();
        assert_eq!(src.token().await.expect("token"), "eyJ0");
        let at = src.expires_at().expect("announced");
        assert!(
            at >= before + Duration::from_secs(3600)
                && at <= Instant::now() + Duration::from_secs(3600)
        );
    }

    #[tokio::test]
    async fn a_failing_command_is_an_error_naming_its_first_line_of_stderr() {
        let src = TokenSource::from_settings(Some("echo no refresh token >&2; exit 3"), None)
            .expect("a source");
        let err = src.token().await.expect_err("fails");
        assert!(format!("{err:#}").contains("no refresh token"), "{err:#}");
    }
}
