//! `/health` for a standalone connector process (container probes).

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
};

use axum::{extract::State, http::StatusCode, routing::get, Json, Router};
use serde_json::json;

/// What the probe reports; updated by the runtime.
#[derive(Debug, Default)]
pub struct HealthState {
    pub connector_type: String,
    pub registered: AtomicBool,
    pub integrations: AtomicUsize,
    pub stopping: AtomicBool,
}

async fn health(State(s): State<Arc<HealthState>>) -> (StatusCode, Json<serde_json::Value>) {
    let registered = s.registered.load(Ordering::Relaxed);
    let stopping = s.stopping.load(Ordering::Relaxed);
    // 503 until registered so orchestrators don't route/mark ready too early,
    // and while stopping.
    let code = if registered && !stopping {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let status = if stopping {
        "stopping"
    } else if registered {
        "ok"
    } else {
        "starting"
    };
    (
        code,
        Json(json!({
            "status": status,
            "type": s.connector_type,
            "registered": registered,
            "integrations": s.integrations.load(Ordering::Relaxed),
        })),
    )
}

/// Binds `addr` and serves `/health` until the process ends. Returns the
/// bound address (port 0 picks a free one).
pub async fn serve(addr: SocketAddr, state: Arc<HealthState>) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = Router::new()
        .route("/health", get(health))
        .with_state(state);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "health endpoint stopped");
        }
    });
    Ok(bound)
}
