//! The byte stream under an IMAP session: plain TCP (loopback tests) or TLS over TCP, whether
//! TLS came first (`imaps://`) or after STARTTLS (`imap://`).

use super::ImapError;
use crate::transport::endpoint::{Endpoint, Security, tls_config};
use async_imap::Client;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;

/// TCP, with or without TLS.
#[derive(Debug)]
pub enum Stream {
    /// Plaintext: only ever to a loopback host.
    Plain(TcpStream),
    /// TLS.
    Tls(Box<TlsStream<TcpStream>>),
}

/// Connects and reads the greeting; for `imap://` also upgrades with STARTTLS (required).
pub async fn connect(ep: &Endpoint) -> Result<Client<Stream>, ImapError> {
    let tcp = TcpStream::connect((ep.host.as_str(), ep.port)).await?;
    let _ = tcp.set_nodelay(true);
    let stream = match ep.security {
        Security::Implicit => tls(ep, tcp).await?,
        Security::Plain => Stream::Plain(tcp),
        Security::StartTls => {
            let mut client = Client::new(Stream::Plain(tcp));
            greeting(&mut client).await?;
            client
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|e| ImapError::StartTls(e.to_string()))?;
            let Stream::Plain(tcp) = client.into_inner() else {
                return Err(ImapError::StartTls("already TLS".into()));
            };
            // NOTE: no greeting follows STARTTLS; the session goes on with the next command.
            return Ok(Client::new(tls(ep, tcp).await?));
        }
    };
    let mut client = Client::new(stream);
    greeting(&mut client).await?;
    Ok(client)
}

async fn greeting(client: &mut Client<Stream>) -> Result<(), ImapError> {
    match client.read_response().await? {
        Some(_) => Ok(()),
        None => Err(ImapError::Closed("before its greeting")),
    }
}

async fn tls(ep: &Endpoint, tcp: TcpStream) -> Result<Stream, ImapError> {
    let name = ServerName::try_from(ep.host.clone())
        .map_err(|e| ImapError::Tls(format!("{}: {e}", ep.host)))?;
    let tls = TlsConnector::from(tls_config())
        .connect(name, tcp)
        .await
        .map_err(|e| ImapError::Tls(e.to_string()))?;
    Ok(Stream::Tls(Box::new(tls)))
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
