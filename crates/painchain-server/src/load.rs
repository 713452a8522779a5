//! Load shedding and per-request resource bounds, as middleware:
//!
//! - a cap on requests being handled at once (`limits.max_concurrent_requests`):
//!   one over it gets `503` with `Retry-After` at once instead of queueing
//!   behind the others (`/health` and `/ready` are never counted, so they
//!   keep answering under load);
//! - a cap on large bodies handled at once (`limits.max_large_bodies` for
//!   bodies above `limits.large_body_bytes`): a batch is held in memory
//!   while parsed and stored, so sixteen 15 MB batches at once would need
//!   sixteen times that; extra large requests wait for a permit (up to
//!   [`LARGE_BODY_WAIT`]) before their body is read;
//! - an idle timeout between two pieces of a body (`limits.body_read_timeout`),
//!   so a client can't hold a request open by sending its body slowly.

use std::{sync::Arc, time::Duration};

use axum::{
    body::Body,
    extract::Request,
    http::{header::CONTENT_LENGTH, Method},
    middleware::Next,
    response::Response,
};
use tokio::sync::Semaphore;
use tower_http::timeout::TimeoutBody;

use crate::{config::LimitsConfig, listen::overloaded};

/// How long a large body waits for a permit before `503`.
pub const LARGE_BODY_WAIT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct Load {
    requests: Arc<Semaphore>,
    large_bodies: Arc<Semaphore>,
    large_body_bytes: u64,
    body_read_timeout: Duration,
}

impl Load {
    pub fn new(l: &LimitsConfig) -> Load {
        Load {
            requests: Arc::new(Semaphore::new(l.max_concurrent_requests)),
            large_bodies: Arc::new(Semaphore::new(l.max_large_bodies)),
            large_body_bytes: l.large_body_bytes as u64,
            body_read_timeout: l.body_read_timeout,
        }
    }

    /// The middleware (`axum::middleware::from_fn` with this captured).
    pub async fn handle(self, req: Request, next: Next) -> Response {
        if matches!(req.uri().path(), "/health" | "/ready") {
            return next.run(req).await;
        }
        let Ok(_request) = self.requests.clone().try_acquire_owned() else {
            return overloaded("too many requests in progress; retry shortly");
        };
        let _large = if self.is_large(&req) {
            match tokio::time::timeout(LARGE_BODY_WAIT, self.large_bodies.clone().acquire_owned())
                .await
            {
                Ok(Ok(p)) => Some(p),
                _ => return overloaded("too many large requests in progress; retry shortly"),
            }
        } else {
            None
        };
        let timeout = self.body_read_timeout;
        let req = req.map(|b| Body::new(TimeoutBody::new(timeout, b)));
        next.run(req).await
    }

    /// By `Content-Length`; a body of unknown length (chunked) on a method
    /// that carries one counts as large.
    fn is_large(&self, req: &Request) -> bool {
        match req.headers().get(CONTENT_LENGTH) {
            Some(v) => v
                .to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .is_none_or(|n| n > self.large_body_bytes),
            None => {
                matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH)
                    && req
                        .headers()
                        .get(axum::http::header::TRANSFER_ENCODING)
                        .is_some()
            }
        }
    }
}
