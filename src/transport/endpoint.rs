//! Server URLs (`imaps://host:993/INBOX`, `smtp://host:587`, …) parsed once at the edge, with
//! the rule that plaintext is for loopback only.

use std::net::IpAddr;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (`imaps://`, `smtps://`).
    Implicit,
    /// Plaintext greeting, then STARTTLS, which is required (`imap://`, `smtp://`).
    StartTls,
    /// No TLS at all: loopback hosts only (tests).
    Plain,
}

/// A parsed server URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or address (without IPv6 brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// The path without its leading `/` (the IMAP folder); may be empty.
    pub path: String,
    /// TLS mode.
    pub security: Security,
}

/// Why a URL is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EndpointError {
    /// Not of the expected form.
    #[error("{0:?} is not a server URL of the form scheme://host[:port][/path]")]
    Malformed(String),
    /// The scheme is not one this transport speaks.
    #[error("{url:?}: unknown scheme; expected one of {expected}")]
    Scheme {
        /// The URL.
        url: String,
        /// The schemes accepted.
        expected: &'static str,
    },
    /// Plaintext was asked for a host that is not loopback.
    #[error(
        "{0}: plaintext (no TLS) is allowed only to a loopback host (localhost, 127.0.0.1, ::1); use TLS"
    )]
    PlainNotLoopback(String),
}

impl Endpoint {
    /// Parses `url`; `schemes` maps each accepted scheme to its security and default port.
    pub fn parse(
        url: &str,
        schemes: &[(&str, Security, u16)],
        expected: &'static str,
    ) -> Result<Endpoint, EndpointError> {
        let malformed = || EndpointError::Malformed(url.to_string());
        let (scheme, rest) = url.split_once("://").ok_or_else(malformed)?;
        let &(_, security, default_port) = schemes
            .iter()
            .find(|(s, _, _)| s.eq_ignore_ascii_case(scheme))
            .ok_or_else(|| EndpointError::Scheme {
                url: url.to_string(),
                expected,
            })?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(malformed)?;
            (h, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() || host.contains('@') {
            return Err(malformed());
        }
        let port = match port {
            Some(p) => p.parse().map_err(|_| malformed())?,
            None => default_port,
        };
        Ok(Endpoint {
            host: host.to_string(),
            port,
            path: path.to_string(),
            security,
        })
    }

    /// Whether the host is this machine.
    pub fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// Turns the endpoint plaintext, refusing unless it is loopback.
    pub fn into_plain(mut self, url: &str) -> Result<Endpoint, EndpointError> {
        if !self.is_loopback() {
            return Err(EndpointError::PlainNotLoopback(url.to_string()));
        }
        self.security = Security::Plain;
        Ok(self)
    }
}

/// The shared rustls client settings: the Mozilla roots from webpki-roots, ring crypto.
pub fn tls_config() -> std::sync::Arc<tokio_rustls::rustls::ClientConfig> {
    use tokio_rustls::rustls;
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth());
    // NOTE: the ring provider supports the default protocol versions; this cannot fail, but a
    // panic is not an option either, so fall back to the plain builder.
    std::sync::Arc::new(config.unwrap_or_else(|_| {
        rustls::ClientConfig::builder()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMAP: &[(&str, Security, u16)] = &[
        ("imaps", Security::Implicit, 993),
        ("imap", Security::StartTls, 143),
    ];

    #[test]
    fn ports_default_by_scheme_and_the_path_is_the_folder() {
        let e = Endpoint::parse("imaps://mail.example.com/INBOX", IMAP, "imaps").unwrap();
        assert_eq!((e.port, e.path.as_str()), (993, "INBOX"));
        let e = Endpoint::parse("imap://[::1]:3143/Support", IMAP, "imaps").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.security),
            ("::1", 3143, Security::StartTls)
        );
    }

    #[test]
    fn plaintext_is_refused_for_a_remote_host() {
        let e = Endpoint::parse("imap://mail.example.com", IMAP, "imaps").unwrap();
        assert!(matches!(
            e.into_plain("u"),
            Err(EndpointError::PlainNotLoopback(_))
        ));
        let e = Endpoint::parse("imap://127.0.0.1:3143", IMAP, "imaps").unwrap();
        assert_eq!(e.into_plain("u").unwrap().security, Security::Plain);
    }

    #[test]
    fn unknown_schemes_and_bad_ports_are_refused() {
        assert!(Endpoint::parse("pop3://x", IMAP, "imaps").is_err());
        assert!(Endpoint::parse("imap://x:99999", IMAP, "imaps").is_err());
    }
}
