//! `GET /health` (the process answers) and `GET /ready` (the store answers).
//! Both are unauthenticated: load balancers and orchestrators call them.

use std::time::Duration;

use axum::{extract::State, http::StatusCode, response::IntoResponse, routing::get, Json, Router};
use serde_json::json;

use crate::{error::ApiError, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
}

#[utoipa::path(get, path = "/health", tag = "service", responses((status = 200, description = "{\"status\": \"ok\"}")))]
pub async fn health() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

#[utoipa::path(get, path = "/ready", tag = "service",
    responses((status = 200, description = "the store answers"), (status = 503, body = crate::error::ErrorBody)))]
pub async fn ready(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    if *state.shutdown.borrow() {
        return Err(ApiError::Unavailable("shutting down".into()));
    }
    match tokio::time::timeout(Duration::from_secs(3), state.store.ping()).await {
        Ok(Ok(())) => Ok((
            StatusCode::OK,
            Json(json!({"status": "ok", "store": state.store.backend()})),
        )),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check: store ping failed");
            Err(ApiError::Unavailable("the store is not reachable".into()))
        }
        Err(_) => Err(ApiError::Unavailable(
            "the store did not answer in time".into(),
        )),
    }
}
