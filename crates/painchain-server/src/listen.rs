//! The accept loop: HTTP/1.1 connections served by hyper with a header read
//! timeout and a cap on open connections, so slow or half-sent requests
//! (slowloris) can neither hold sockets forever nor exhaust file
//! descriptors.
//!
//! `axum::serve` has neither knob, hence this loop. Per connection:
//! - within `limits.max_connections`: served normally, keep-alive on;
//! - over it, up to [`SHED_CONNECTIONS`] more: served once, with a short
//!   header timeout and no keep-alive: `/health` and `/ready` answer, any
//!   other request gets `503` with `Retry-After` (load shedding, not a hang);
//! - beyond that: closed at once.
//!
//! The peer address goes into each request as axum's `ConnectInfo`.

use std::{convert::Infallible, io, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    body::Body,
    extract::{ConnectInfo, Request},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Router,
};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{watch, OwnedSemaphorePermit, Semaphore},
};
use tower::ServiceExt;

/// Connections accepted beyond `max_connections` only to be answered `503`
/// (or `/health`) and closed.
pub const SHED_CONNECTIONS: usize = 64;
/// Header read timeout of a shed connection.
const SHED_HEADER_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy)]
pub struct ListenLimits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
}

/// The `503` of load shedding: JSON error body plus `Retry-After`. Built
/// here rather than from `ApiError`, which logs every 5xx: under a flood
/// that log would be the next thing to fall over.
pub fn overloaded(message: &str) -> Response {
    let body = serde_json::json!({"error": {"code": "unavailable", "message": message}});
    let mut res = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    res
}

/// Accepts until `down` turns true, then stops accepting and waits for the
/// open connections to finish (the caller bounds that wait).
pub async fn run(
    listener: TcpListener,
    app: Router,
    limits: ListenLimits,
    mut down: watch::Receiver<bool>,
) -> io::Result<()> {
    let graceful = GracefulShutdown::new();
    let normal = Arc::new(Semaphore::new(limits.max_connections));
    let shed = Arc::new(Semaphore::new(SHED_CONNECTIONS));
    let stop = async move {
        let _ = down.wait_for(|d| *d).await;
    };
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning; the
                    // connection cap keeps this rare.
                    if !is_connection_error(&e) {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        if let Ok(permit) = normal.clone().try_acquire_owned() {
            let mut b = http1::Builder::new();
            b.timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            spawn_conn(&graceful, b, stream, peer, app.clone(), false, permit);
        } else if let Ok(permit) = shed.clone().try_acquire_owned() {
            tracing::debug!(%peer, "connection limit reached: shedding");
            let mut b = http1::Builder::new();
            b.timer(TokioTimer::new())
                .header_read_timeout(SHED_HEADER_TIMEOUT)
                .keep_alive(false);
            spawn_conn(&graceful, b, stream, peer, app.clone(), true, permit);
        } else {
            drop(stream);
        }
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

fn spawn_conn(
    graceful: &GracefulShutdown,
    builder: http1::Builder,
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    shedding: bool,
    permit: OwnedSemaphorePermit,
) {
    let svc = service_fn(move |mut req: Request<Incoming>| {
        let app = app.clone();
        async move {
            if shedding && !matches!(req.uri().path(), "/health" | "/ready") {
                return Ok::<_, Infallible>(overloaded("too many open connections; retry shortly"));
            }
            req.extensions_mut().insert(ConnectInfo(peer));
            let req = req.map(Body::new);
            app.oneshot(req).await
        }
    });
    let conn = builder.serve_connection(TokioIo::new(stream), svc);
    let conn = graceful.watch(conn);
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(%peer, error = %e, "connection ended with an error");
        }
        drop(permit);
    });
}

/// Errors of one accepted-then-reset connection, not of the listener.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
