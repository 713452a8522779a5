//! `POST /api/webhooks/github/{integrationId}`: GitHub webhook deliveries.
//!
//! GitHub cannot send a bearer token, so the `X-Hub-Signature-256` HMAC of
//! the raw body, keyed with the integration's `webhook.secret`, is the
//! authentication; the tenant is the integration's. The connector crate
//! does the pure part (signature check in constant time, parsing, the same
//! mapping and filters as polling); events are stored through
//! [`events::ingest`](super::events::ingest), like `POST /api/events/batch`.
//!
//! Answers: `201`/`200 {created, duplicates, ...}` (`200` when everything
//! was already stored: a redelivery, or the poller got there first),
//! `202 {ignored: true, reason}` for event types and actions that are not
//! collected (and `ping`), `401` for a missing or wrong signature, `400`
//! for a malformed body, `404` when the id names no GitHub integration.
//! An accepted delivery (`201`/`200`) moves the integration's
//! `lastSyncAt` (shown as `lastSync`).

use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, Path, State},
    http::{header::CONTENT_TYPE, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Extension, Json, Router,
};
use chrono::Utc;
use painchain_connector_github::{
    metadata as github_metadata, process_webhook, GithubConfig, Outcome, WebhookError,
};
use painchain_core::{integration::Integration, NewEvent};
use painchain_store::{ConnectorType, InsertOutcome};
use serde_json::{json, Value};

use super::{
    events::ingest,
    integrations::{present_config, type_schema, Shared},
};
use crate::{
    error::{ApiError, ApiResult, ErrorBody, ErrorDetail},
    state::AppState,
};

pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";
pub const EVENT_HEADER: &str = "x-github-event";
pub const DELIVERY_HEADER: &str = "x-github-delivery";

/// The webhook routes; `integrations` gives access to the secret key.
pub fn router(integrations: Shared) -> Router<AppState> {
    Router::new()
        .route("/api/webhooks/github/{id}", post(github))
        .layer(Extension(integrations))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn error(status: StatusCode, code: &'static str, message: String, field: Option<&str>) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code,
            message,
            field: field.map(str::to_string),
        },
    };
    (status, Json(body)).into_response()
}

/// The connector's refusal in the API's error shape.
fn refusal(e: &WebhookError, headers: &HeaderMap) -> Response {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let (code, field) = match e {
        WebhookError::MissingSignature => ("missing_signature", Some("X-Hub-Signature-256")),
        WebhookError::MalformedSignature | WebhookError::SignatureMismatch => {
            ("invalid_signature", Some("X-Hub-Signature-256"))
        }
        WebhookError::NoSecret => ("no_webhook_secret", Some("webhook.secret")),
        WebhookError::MissingEvent => ("missing_header", Some("X-GitHub-Event")),
        WebhookError::MalformedJson(_) => {
            let form = header(headers, CONTENT_TYPE.as_str())
                .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
            if form {
                return error(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "set the webhook's content type to application/json in GitHub's webhook settings"
                        .into(),
                    Some("Content-Type"),
                );
            }
            ("malformed_json", Some("body"))
        }
        WebhookError::InvalidPayload(_) => ("invalid_payload", Some("body")),
    };
    error(status, code, e.to_string(), field)
}

/// `202`: a verified delivery that stores nothing.
fn ignored(reason: String, event: Option<&str>, delivery: Option<&str>) -> Response {
    let body = json!({
        "ignored": true,
        "reason": reason,
        "event": event,
        "delivery": delivery,
        "created": 0,
        "duplicates": 0,
    });
    (StatusCode::ACCEPTED, Json(body)).into_response()
}

/// The integration's config with its secrets in clear.
async fn clear_config(state: &AppState, shared: &Shared, i: &Integration) -> ApiResult<Value> {
    let sbox = shared.secrets()?;
    let t = match state.store.get_connector_type(&i.integration_type).await? {
        Some(t) => t,
        // Not registered (yet): the connector's own schema says where the
        // secrets are.
        None => {
            let m = github_metadata();
            ConnectorType {
                id: m.id,
                display_name: m.display_name,
                color: None,
                logo: None,
                description: None,
                config_schema: m.config_schema,
                registered_at: i.registered_at,
                last_heartbeat: None,
            }
        }
    };
    let (_, paths) = type_schema(Some(&t));
    Ok(present_config(sbox, &paths, i, true))
}

/// An accepted delivery is a sync: `lastSyncAt` of the integration's status
/// (shown as `lastSync` and `connectorStatus.lastSyncAt`) moves to now. The
/// connector's reported state, error and heartbeat time are kept (so
/// `stale` still means "no connector heartbeat"); an integration no
/// connector has reported on yet becomes `ok`. Best effort: the events are
/// stored already, so a failure here is only logged.
async fn record_sync(state: &AppState, i: &Integration) {
    // One narrow statement: a concurrent connector report is neither undone
    // (its error stays) nor able to move `lastSyncAt` backwards.
    let result = state
        .store
        .record_integration_sync(&i.tenant_id, &i.id, Utc::now())
        .await;
    if let Err(e) = result {
        tracing::warn!(integration = %i.id, error = %e, "cannot record the webhook sync time");
    }
}

/// Checks a mapped event against the same rules as `POST /api/events`.
fn validate(state: &AppState, e: &NewEvent) -> Result<NewEvent, String> {
    let v = serde_json::to_value(e).map_err(|e| e.to_string())?;
    NewEvent::from_json(&v, &state.limits).map_err(|v| format!("{}: {}", v.field, v.message))
}

/// Receives one GitHub delivery for an integration. No bearer token: the
/// `X-Hub-Signature-256` HMAC of the raw body, keyed with the integration's
/// `webhook.secret`, authenticates it; the tenant is the integration's.
#[utoipa::path(
    post, path = "/api/webhooks/github/{integrationId}", tag = "webhooks",
    security(()),
    params(
        ("integrationId" = String, Path, description = "A `github` integration's id"),
        ("X-Hub-Signature-256" = String, Header, description = "`sha256=<hex HMAC-SHA256 of the raw body>`"),
        ("X-GitHub-Event" = String, Header, description = "`pull_request`, `push`, `create`, `delete`, `release`, `workflow_run`, `deployment`, `deployment_status`, `ping`, ..."),
        ("X-GitHub-Delivery" = Option<String>, Header, description = "Delivery id (kept in `data.deliveryId`)"),
    ),
    request_body(content = Object, content_type = "application/json", description = "The webhook payload, as GitHub sends it"),
    responses(
        (status = 201, description = "`{created, duplicates, invalid, event, delivery, results: [{id, externalId, status}]}`"),
        (status = 200, description = "Same shape; everything was already stored (a redelivery, or polling got there first)"),
        (status = 202, description = "`{ignored: true, reason}`: ping, an ignored event type or action, a repository the integration does not follow, a disabled integration"),
        (status = 400, body = ErrorBody, description = "Malformed JSON or no `X-GitHub-Event`"),
        (status = 401, body = ErrorBody, description = "Missing or wrong signature, or no `webhook.secret` configured"),
        (status = 404, body = ErrorBody, description = "No `github` integration with this id"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    )
)]
pub async fn github(
    State(state): State<AppState>,
    Extension(shared): Extension<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let body = body.map_err(|rej| {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge("the delivery is larger than the body limit".into())
        } else {
            ApiError::bad_request("invalid_body", rej.body_text())
        }
    })?;
    let not_found = || ApiError::NotFound(format!("no GitHub integration `{id}`"));
    let i = state
        .store
        .get_integration_any_tenant(&id)
        .await?
        .filter(|i| i.integration_type == painchain_connector_github::metadata::ID)
        .ok_or_else(not_found)?;
    let config = clear_config(&state, &shared, &i).await?;
    let config = GithubConfig::from_value(&config).map_err(|e| {
        tracing::error!(integration = %i.id, error = %e, "GitHub integration config unreadable; refusing webhook deliveries");
        ApiError::Unavailable(format!(
            "the config of integration `{id}` cannot be read; fix it in the integration's settings"
        ))
    })?;
    let event = header(&headers, EVENT_HEADER);
    let delivery = header(&headers, DELIVERY_HEADER);
    let outcome = match process_webhook(
        &config,
        Some(&i.id),
        header(&headers, SIGNATURE_HEADER),
        event,
        delivery,
        &body,
    ) {
        Ok(o) => o,
        Err(e) => {
            tracing::debug!(integration = %i.id, delivery, error = %e, "webhook delivery refused");
            return Ok(refusal(&e, &headers));
        }
    };
    drop(body);
    let events = match outcome {
        Outcome::Ignored(reason) => {
            tracing::debug!(integration = %i.id, event, delivery, %reason, "webhook delivery ignored");
            return Ok(ignored(reason, event, delivery));
        }
        Outcome::Events(_) if !i.enabled => {
            return Ok(ignored(
                "the integration is disabled".into(),
                event,
                delivery,
            ))
        }
        Outcome::Events(events) => events,
    };

    let mut valid = Vec::with_capacity(events.len());
    let mut invalid = Vec::new();
    for e in &events {
        match validate(&state, e) {
            Ok(v) => valid.push(v),
            Err(why) => {
                tracing::warn!(integration = %i.id, delivery, external_id = ?e.external_id, error = %why, "mapped webhook event is invalid; skipped");
                invalid.push(json!({"externalId": e.external_id, "error": why}));
            }
        }
    }
    let external_ids: Vec<Option<String>> = valid.iter().map(|e| e.external_id.clone()).collect();
    let outcomes = ingest(&state, &i.tenant_id, valid, None).await?;
    let mut created = 0;
    let mut duplicates = 0;
    let results: Vec<Value> = outcomes
        .into_iter()
        .zip(external_ids)
        .map(|(o, ext)| match o {
            InsertOutcome::Created { id, .. } => {
                created += 1;
                json!({"id": id, "externalId": ext, "status": "created"})
            }
            InsertOutcome::Duplicate { id } => {
                duplicates += 1;
                json!({"id": id, "externalId": ext, "status": "duplicate"})
            }
        })
        .collect();
    tracing::debug!(integration = %i.id, tenant = %i.tenant_id, event, delivery, created, duplicates, "webhook delivery stored");
    record_sync(&state, &i).await;
    let status = if created > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = json!({
        "created": created,
        "duplicates": duplicates,
        "invalid": invalid.len(),
        "event": event,
        "delivery": delivery,
        "results": results,
        "errors": invalid,
    });
    Ok((status, Json(body)).into_response())
}
