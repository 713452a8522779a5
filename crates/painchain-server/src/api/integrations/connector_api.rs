//! What connector processes call besides events: the control poll
//! (heartbeat → pending sync/test requests and the integrations'
//! generation), test answers, status reports and cursors.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Extension, Json,
};
use chrono::Utc;
use painchain_store::IntegrationStatus;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use utoipa::ToSchema;

use super::{doc, Shared};
use crate::{
    auth::{Ingest, Read},
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiJson, ApiQuery, JsonValue},
    state::AppState,
};

async fn touch(state: &AppState, shared: &Shared, ty: &str) {
    if shared.heartbeats.should_touch(ty) {
        if let Err(e) = state.store.touch_connector_type(ty, Utc::now()).await {
            tracing::debug!(r#type = ty, error = %e, "cannot record heartbeat");
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatQuery {
    /// Every tenant's integrations and requests (an all-tenants token).
    #[serde(default)]
    pub all_tenants: bool,
}

/// `POST /api/integrations/types/:type/heartbeat`: marks the type live and
/// answers `{generation, sync: [ids], tests: [{id, integrationId,
/// tenantId}]}`. The generation changes whenever an integration of the type
/// is created, edited, enabled/disabled or deleted, so connectors refetch
/// at once.
#[utoipa::path(
    post, path = "/api/integrations/types/{type}/heartbeat", tag = "connectors",
    params(("type" = String, Path), HeartbeatQuery),
    responses((status = 200, body = doc::Heartbeat), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn heartbeat(
    State(state): State<AppState>,
    Extension(shared): Extension<Shared>,
    Ingest(caller): Ingest,
    Path(ty): Path<String>,
    ApiQuery(q): ApiQuery<HeartbeatQuery>,
) -> ApiResult<Json<Value>> {
    let scope = caller.tenant_scope(q.all_tenants)?;
    touch(&state, &shared, &ty).await;
    let rows = state.store.list_integrations(scope, Some(&ty)).await?;
    let mut h = Sha256::new();
    let mut keys: Vec<String> = rows
        .iter()
        .map(|i| format!("{}|{}|{}|{}", i.id, i.name, i.enabled, i.config))
        .collect();
    keys.sort();
    for k in keys {
        h.update(k.as_bytes());
        h.update(b"\n");
    }
    let generation = hex::encode(&h.finalize()[..12]);
    let claimed = super::control::claim(&*state.store, scope, &ty).await?;
    let tests: Vec<Value> = claimed
        .tests
        .into_iter()
        .map(|(id, tenant, integration)| {
            json!({"id": id, "integrationId": integration, "tenantId": tenant})
        })
        .collect();
    Ok(Json(
        json!({"generation": generation, "sync": claimed.sync, "tests": tests}),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TestAnswer {
    pub ok: bool,
    #[serde(default)]
    pub error: Option<String>,
}

/// A connector's answer to a connection test it claimed from the heartbeat.
#[utoipa::path(
    post, path = "/api/integrations/types/{type}/tests/{testId}", tag = "connectors",
    params(("type" = String, Path), ("testId" = String, Path, description = "From the heartbeat's `tests`")),
    request_body = TestAnswer,
    responses(
        (status = 204, description = "Delivered to the waiting `POST /api/integrations/{id}/test`"),
        (status = 404, body = ErrorBody, description = "No such pending test (it may have timed out)"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    )
)]
pub async fn answer_test(
    State(state): State<AppState>,
    Ingest(caller): Ingest,
    Path((ty, test)): Path<(String, String)>,
    ApiJson(body): ApiJson<TestAnswer>,
) -> ApiResult<Response> {
    let r = if body.ok {
        Ok(())
    } else {
        Err(body
            .error
            .unwrap_or_else(|| "connection test failed".into()))
    };
    if state
        .store
        .answer_connector_request(caller.tenant(), &ty, &test, r)
        .await?
    {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::NotFound(format!(
            "no pending connection test `{test}` (it may have timed out)"
        )))
    }
}

async fn ensure(
    state: &AppState,
    tenant: &str,
    id: &str,
) -> ApiResult<painchain_core::integration::Integration> {
    state
        .store
        .get_integration(tenant, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no integration `{id}`")))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusBody {
    /// `ok`, `error` or `syncing`.
    pub state: String,
    /// RFC 3339.
    #[serde(default)]
    pub last_sync_at: Option<String>,
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub events_collected: Option<i64>,
    #[serde(default)]
    pub details: Option<Value>,
}

/// The connector's status report for one integration.
#[utoipa::path(
    post, path = "/api/integrations/{id}/status", tag = "connectors",
    params(("id" = String, Path)),
    request_body = StatusBody,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn post_status(
    State(state): State<AppState>,
    Extension(shared): Extension<Shared>,
    Ingest(caller): Ingest,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StatusBody>,
) -> ApiResult<Response> {
    let i = ensure(&state, caller.tenant(), &id).await?;
    if !matches!(body.state.as_str(), "ok" | "error" | "syncing") {
        return Err(ApiError::invalid(
            "state",
            "state must be ok, error or syncing",
        ));
    }
    let last_sync_at = match &body.last_sync_at {
        Some(s) => Some(painchain_core::time::parse(s).ok_or_else(|| {
            ApiError::invalid("lastSyncAt", "lastSyncAt must be an RFC 3339 date-time")
        })?),
        None => None,
    };
    let mut last_error = body.last_error;
    if let Some(e) = &mut last_error {
        if e.len() > 2000 {
            let mut cut = 2000;
            while !e.is_char_boundary(cut) {
                cut -= 1;
            }
            e.truncate(cut);
        }
    }
    let s = IntegrationStatus {
        state: body.state,
        last_sync_at,
        last_error,
        events_collected: body.events_collected,
        details: body.details.unwrap_or(Value::Null),
        reported_at: Some(Utc::now()),
    };
    state
        .store
        .put_integration_status(caller.tenant(), &id, &s)
        .await?;
    touch(&state, &shared, &i.integration_type).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The status shown with the integration.
#[utoipa::path(
    get, path = "/api/integrations/{id}/status", tag = "integrations",
    operation_id = "get_integration_status",
    params(("id" = String, Path)),
    responses((status = 200, body = doc::ConnectorStatus), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn get_status(
    State(state): State<AppState>,
    Read(caller): Read,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let i = ensure(&state, caller.tenant(), &id).await?;
    let s = state
        .store
        .get_integration_status(caller.tenant(), &id)
        .await?;
    Ok(Json(super::connector_status(&i, s.as_ref())))
}

/// `{"cursor": <value or null>}`.
#[utoipa::path(
    get, path = "/api/integrations/{id}/cursor", tag = "connectors",
    params(("id" = String, Path)),
    responses((status = 200, body = doc::Cursor), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn get_cursor(
    State(state): State<AppState>,
    Ingest(caller): Ingest,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    ensure(&state, caller.tenant(), &id).await?;
    let c = state.store.get_cursor(caller.tenant(), &id).await?;
    Ok(Json(json!({"cursor": c})))
}

/// Body `{"cursor": <any JSON>}` (a body without that key is the cursor).
#[utoipa::path(
    put, path = "/api/integrations/{id}/cursor", tag = "connectors",
    params(("id" = String, Path)),
    request_body = doc::Cursor,
    responses((status = 200, body = doc::Cursor), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn put_cursor(
    State(state): State<AppState>,
    Ingest(caller): Ingest,
    Path(id): Path<String>,
    JsonValue(body): JsonValue,
) -> ApiResult<Json<Value>> {
    ensure(&state, caller.tenant(), &id).await?;
    let cursor = match body {
        Value::Object(mut m) if m.contains_key("cursor") => {
            m.remove("cursor").unwrap_or(Value::Null)
        }
        other => other,
    };
    state
        .store
        .put_cursor(caller.tenant(), &id, &cursor)
        .await?;
    Ok(Json(json!({"cursor": cursor})))
}
