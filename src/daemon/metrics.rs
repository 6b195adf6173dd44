//! `[metrics] listen`: `GET /metrics` answers the figures of `supportbot status` in Prometheus
//! text format (hyper's HTTP/1 server; the figures are read fresh from the database each time).

use super::{LiveConfig, Shutdown};
use crate::engine::Engine;
use chrono::Utc;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::time::Duration;
use tokio::net::TcpListener;

/// The content type of the OpenMetrics text `prometheus-client` writes.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Serves scrapes on `listener` until shutdown.
pub async fn serve(
    listener: TcpListener,
    base: Engine,
    live: LiveConfig,
    mut shutdown: Shutdown,
) -> anyhow::Result<()> {
    loop {
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics: cannot accept a connection");
                    if !shutdown.sleep(Duration::from_millis(200)).await {
                        return Ok(());
                    }
                    continue;
                }
            },
            _ = shutdown.recv() => return Ok(()),
        };
        let engine = live.engine(&base);
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let engine = engine.clone();
                async move { Ok::<_, Infallible>(respond(&engine, &req).await) }
            });
            let conn = http1::Builder::new()
                .keep_alive(false)
                .serve_connection(TokioIo::new(tcp), service);
            // A scraper that stalls does not keep a task forever.
            match tokio::time::timeout(Duration::from_secs(30), conn).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::debug!(error = %e, "metrics: connection ended badly"),
                Err(_) => tracing::debug!("metrics: connection timed out"),
            }
        });
    }
}

async fn respond(engine: &Engine, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    if req.method() != Method::GET || req.uri().path() != "/metrics" {
        return plain(
            StatusCode::NOT_FOUND,
            "not found; the figures are at /metrics\n",
        );
    }
    let figures = crate::status::gather(&engine.config, &engine.store, Utc::now())
        .await
        .and_then(|s| crate::status::prometheus(&s));
    match figures {
        Ok(text) => Response::builder()
            .header(hyper::header::CONTENT_TYPE, CONTENT_TYPE)
            .body(Full::new(Bytes::from(text)))
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "response\n")),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "metrics: figures not read");
            plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "the figures cannot be read now\n",
            )
        }
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r
}
