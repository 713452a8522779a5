//! The `/api` routes, one module per resource. Each module exposes
//! `router()` with full paths; [`router`] merges them.
//!
//! Integrations, connector types and webhooks live in `integrations.rs` and
//! `webhooks.rs` (added by their own change) and are mounted with one
//! `.merge(...)` line each below.

use axum::{
    http::{Method, Uri},
    Router,
};

use crate::{error::ApiError, state::AppState};

pub mod annotations;
pub mod events;
pub mod integrations;
pub mod investigate;
pub mod projects;
pub mod service;
pub mod stream;
pub mod teams;
pub mod timeline;
pub mod tokens;
pub mod webhooks;

/// Every `/api/...` route (plus `/health` and `/ready`).
pub fn router(state: &AppState) -> Router<AppState> {
    // One integrations state (secret key, control plane) for both routers.
    let integrations = std::sync::Arc::new(integrations::Integrations::load(&state.config));
    Router::new()
        .merge(events::router(state))
        .merge(stream::router())
        .merge(timeline::router())
        .merge(investigate::router())
        .merge(annotations::router())
        .merge(projects::router())
        .merge(teams::router())
        .merge(tokens::router())
        .merge(service::router())
        .merge(integrations::router_with(integrations.clone()))
        .merge(webhooks::router(integrations))
}

/// Unknown paths under `/api` are JSON 404s, never the UI's index.html.
pub async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {method} {}", uri.path()))
}
