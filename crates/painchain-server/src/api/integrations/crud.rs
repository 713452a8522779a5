//! `GET/POST /api/integrations`, `GET/PUT/DELETE /api/integrations/:id`,
//! `POST /:id/sync`, `POST /:id/test`.

use std::collections::HashMap;

use axum::{
    extract::{Path, State},
    http::{
        header::{ETAG, IF_MATCH},
        HeaderMap, HeaderValue, StatusCode,
    },
    response::{IntoResponse, Response},
    Extension, Json,
};
use chrono::Utc;
use painchain_core::{integration::Integration, token::Scope};
use painchain_store::{ConnectorType, IntegrationEdit};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    control::{self, TestOutcome, TEST_TIMEOUT},
    invalid_config, may_see_secrets, present_config, row_json, schema, seal_config, secrets,
    type_schema,
    types::is_live,
    Peer, SecretAccess, Shared,
};
use utoipa::ToSchema;

use super::doc;
use crate::{
    auth::{Admin, Caller, Ingest, Read},
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiJson, ApiQuery},
    state::AppState,
};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    #[serde(rename = "type")]
    pub ty: Option<String>,
    /// Every tenant's (an all-tenants token: connectors serving them all).
    #[serde(default)]
    pub all_tenants: bool,
}

async fn load(state: &AppState, tenant: &str, id: &str) -> ApiResult<Integration> {
    state
        .store
        .get_integration(tenant, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no integration `{id}`")))
}

/// Renders rows, looking each type's schema up once.
async fn render(
    state: &AppState,
    shared: &Shared,
    rows: &[Integration],
    access: &SecretAccess,
) -> ApiResult<Vec<Value>> {
    let sbox = shared.secrets()?;
    let mut types: HashMap<String, Option<ConnectorType>> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for i in rows {
        if !types.contains_key(&i.integration_type) {
            let t = state.store.get_connector_type(&i.integration_type).await?;
            types.insert(i.integration_type.clone(), t);
        }
        let (_, paths) = type_schema(types[&i.integration_type].as_ref());
        let config = present_config(sbox, &paths, i, access.clear_for(&i.integration_type));
        let status = state
            .store
            .get_integration_status(&i.tenant_id, &i.id)
            .await?;
        out.push(row_json(i, config, status.as_ref()));
    }
    Ok(out)
}

fn clear_for(
    state: &AppState,
    shared: &Shared,
    caller: &Caller,
    headers: &HeaderMap,
    peer: &Peer,
) -> SecretAccess {
    may_see_secrets(state, shared, caller, headers, peer.0)
}

/// Creating and changing integrations: admins, and connector tokens for
/// integrations of their own type (a standalone connector applying its
/// YAML file, which needs that same token to read the secrets back).
fn may_manage(caller: &Caller, ty: &str) -> ApiResult<()> {
    if caller.scope.allows(Scope::Admin) || caller.connector_for(ty) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "this token has scope `{}`; this call needs `admin` (or a connector token of type `{ty}`)",
            caller.scope.as_str()
        )))
    }
}

/// The tenant's integrations, a bare array (as the seed's clients expect).
#[utoipa::path(
    get, path = "/api/integrations", tag = "integrations",
    operation_id = "list_integrations",
    params(("type" = Option<String>, Query, description = "Only this connector type"),
           ("allTenants" = Option<bool>, Query, description = "Every tenant's integrations (needs an all-tenants token)")),
    responses((status = 200, body = Vec<doc::IntegrationRow>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(shared): Extension<Shared>,
    Read(caller): Read,
    headers: HeaderMap,
    peer: Peer,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<Value>>> {
    let ty = q.ty.as_deref().filter(|t| !t.is_empty());
    let scope = caller.tenant_scope(q.all_tenants)?;
    let rows = state.store.list_integrations(scope, ty).await?;
    let access = clear_for(&state, &shared, &caller, &headers, &peer);
    Ok(Json(render(&state, &shared, &rows, &access).await?))
}

#[utoipa::path(
    get, path = "/api/integrations/{id}", tag = "integrations",
    operation_id = "get_integration",
    params(("id" = String, Path)),
    responses((status = 200, body = doc::IntegrationRow), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn get_one(
    State(state): State<AppState>,
    Extension(shared): Extension<Shared>,
    Read(caller): Read,
    headers: HeaderMap,
    peer: Peer,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let i = load(&state, caller.tenant(), &id).await?;
    let access = clear_for(&state, &shared, &caller, &headers, &peer);
    let mut rows = render(&state, &shared, std::slice::from_ref(&i), &access).await?;
    // The version to send back as `If-Match` with an edit.
    Ok(([(ETAG, etag(&i))], Json(rows.remove(0))).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateBody {
    #[serde(rename = "type")]
    pub ty: String,
    /// Default: `config.name`.
    #[serde(default)]
    pub name: Option<String>,
    /// Validated against the type's schema; `name` and `tags` are required.
    pub config: Value,
    /// Default `true`.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Validates a clear config against its type; `Err` lists the problems.
pub fn check_config(t: &ConnectorType, config: &Value) -> Result<(), Vec<schema::Problem>> {
    let (schema, paths) = type_schema(Some(t));
    let problems = schema::validate(&schema, config, &|p| paths.matches_dotted(p));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

async fn known_type(state: &AppState, ty: &str) -> ApiResult<ConnectorType> {
    if let Some(t) = state.store.get_connector_type(ty).await? {
        return Ok(t);
    }
    let known: Vec<String> = state
        .store
        .list_connector_types()
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    Err(ApiError::invalid(
        "type",
        format!(
            "unknown integration type `{ty}`: no connector has registered it (registered: {}). Start the connector first.",
            if known.is_empty() { "none".to_string() } else { known.join(", ") }
        ),
    ))
}

/// `201 {id, tenant_id, registered_at}` (the seed's answer) plus the row.
#[utoipa::path(
    post, path = "/api/integrations", tag = "integrations",
    operation_id = "create_integration",
    request_body = CreateBody,
    responses(
        (status = 201, body = doc::IntegrationCreated),
        (status = 400, body = doc::InvalidConfigBody, description = "`invalid_config` listing each failing path, or an unknown `type` (`invalid_parameter`)"),
        (status = 503, body = ErrorBody, description = "No secret key configured (PostgreSQL needs `PAINCHAIN_SECRET_KEY`)"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(shared): Extension<Shared>,
    Ingest(caller): Ingest,
    ApiJson(body): ApiJson<CreateBody>,
) -> ApiResult<Response> {
    may_manage(&caller, &body.ty)?;
    let t = known_type(&state, &body.ty).await?;
    if !body.config.is_object() {
        return Err(ApiError::invalid("config", "config must be an object"));
    }
    if let Err(p) = check_config(&t, &body.config) {
        return Ok(invalid_config(&p));
    }
    let name = body
        .name
        .filter(|n| !n.trim().is_empty())
        .or_else(|| {
            body.config
                .get("name")
                .and_then(Value::as_str)
                .map(String::from)
        })
        .unwrap_or_default();
    let sbox = shared.secrets()?;
    let (_, paths) = type_schema(Some(&t));
    let now = Utc::now();
    let id = painchain_core::new_id();
    let i = Integration {
        id: id.clone(),
        tenant_id: caller.tenant().to_string(),
        integration_type: t.id.clone(),
        name,
        config: seal_config(sbox, &paths, caller.tenant(), &id, &body.config),
        status: "active".into(),
        enabled: body.enabled.unwrap_or(true),
        managed_by: None,
        last_sync: None,
        registered_at: now,
        updated_at: now,
    };
    state.store.create_integration(&i).await?;
    tracing::info!(integration = %id, r#type = %t.id, tenant = caller.tenant(), "integration created");
    let mut row = row_json(&i, present_config(sbox, &paths, &i, false), None);
    row["tenant_id"] = json!(i.tenant_id);
    row["registered_at"] = json!(painchain_core::time::format(now));
    Ok((StatusCode::CREATED, Json(row)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateBody {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub config: Option<Value>,
    #[serde(default)]
    pub enabled: Option<bool>,
    /// What the seed's connectors send after a poll (RFC 3339).
    #[serde(default)]
    pub last_sync: Option<String>,
    /// The seed's status string; accepted and ignored (status comes from
    /// connector reports).
    #[serde(default)]
    pub status: Option<String>,
    /// Read-only: accepted (so a row from a GET can be sent back) and ignored.
    #[serde(default, rename = "type")]
    pub ty: Option<Value>,
    /// Read-only: accepted and ignored.
    #[serde(default)]
    pub id: Option<Value>,
}

/// The row's version as an entity tag: `"<updatedAt in ns>"`.
pub fn etag(i: &Integration) -> HeaderValue {
    let n = i.updated_at.timestamp_nanos_opt().unwrap_or_default();
    HeaderValue::from_str(&format!("\"{n}\"")).expect("digits are a valid header")
}

/// `If-Match`: the `ETag` of a GET/PUT (`"<ns>"`, also bare or weak) or the
/// row's `updatedAt` (RFC 3339). Absent: no check (the seed's clients).
fn if_match(headers: &HeaderMap) -> ApiResult<Option<chrono::DateTime<Utc>>> {
    let Some(v) = headers.get(IF_MATCH) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::invalid(
            "If-Match",
            "If-Match must be the integration's ETag or its updatedAt",
        )
    };
    let s = v.to_str().map_err(|_| bad())?.trim();
    let s = s.strip_prefix("W/").unwrap_or(s).trim_matches('"');
    if let Ok(n) = s.parse::<i64>() {
        return Ok(Some(chrono::DateTime::from_timestamp_nanos(n)));
    }
    painchain_core::time::parse(s).map(Some).ok_or_else(bad)
}

/// `409 conflict`: the row changed since the caller read it.
fn version_conflict(now: &Integration) -> Response {
    let body = json!({"error": {
        "code": "conflict",
        "message": format!(
            "integration `{}` was changed by someone else since you loaded it: reload it, then apply your change again",
            now.name
        ),
        "field": "If-Match",
    }, "current": {"updatedAt": painchain_core::time::format(now.updated_at)}});
    let mut res = (StatusCode::CONFLICT, Json(body)).into_response();
    res.headers_mut().insert(ETAG, etag(now));
    res
}

fn managed_refusal(i: &Integration) -> Response {
    let body = json!({"error": {
        "code": "managed_by_config",
        "message": format!(
            "integration `{}` is declared in the config file (managedBy: config): change it there and restart PainChain",
            i.name
        ),
    }});
    (StatusCode::CONFLICT, Json(body)).into_response()
}

/// Partial update. `{lastSync}` alone needs an ingest token (connectors);
/// anything else needs admin, and is refused for config-managed rows.
/// Secrets sent back masked (`••••1234`) keep their stored value.
#[utoipa::path(
    put, path = "/api/integrations/{id}", tag = "integrations",
    operation_id = "update_integration",
    params(("id" = String, Path)),
    request_body = UpdateBody,
    responses(
        (status = 200, body = doc::IntegrationRow),
        (status = 400, body = doc::InvalidConfigBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`managed_by_config`: declared in the config file; `conflict`: `If-Match` no longer matches (changed by someone else)"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Extension(shared): Extension<Shared>,
    Ingest(caller): Ingest,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UpdateBody>,
) -> ApiResult<Response> {
    let i = load(&state, caller.tenant(), &id).await?;
    let if_version = if_match(&headers)?;
    if let Some(v) = if_version {
        if v != i.updated_at {
            return Ok(version_conflict(&i));
        }
    }
    let edits = body.name.is_some() || body.config.is_some() || body.enabled.is_some();
    if edits && may_manage(&caller, &i.integration_type).is_err() {
        return Err(ApiError::Forbidden(
            "changing an integration needs an admin token (ingest tokens may only send {lastSync})"
                .into(),
        ));
    }
    if edits && i.managed_by.as_deref() == Some("config") {
        return Ok(managed_refusal(&i));
    }
    let sbox = shared.secrets()?;
    let t = state.store.get_connector_type(&i.integration_type).await?;
    let (_, paths) = type_schema(t.as_ref());
    let last_sync = match &body.last_sync {
        Some(ls) => Some(painchain_core::time::parse(ls).ok_or_else(|| {
            ApiError::invalid("lastSync", "lastSync must be an RFC 3339 date-time")
        })?),
        None => None,
    };
    let mut edit = IntegrationEdit {
        name: body.name.filter(|n| !n.trim().is_empty()),
        config: None,
        enabled: body.enabled,
    };
    if let Some(mut config) = body.config {
        if !config.is_object() {
            return Err(ApiError::invalid("config", "config must be an object"));
        }
        // Masked secrets mean "unchanged": put the stored clear value back.
        let old = present_config(sbox, &paths, &i, true);
        let mut missing = None;
        paths.map(&mut config, &mut |path, v| {
            if secrets::is_mask(v) {
                let pointer = format!("/{}", path.join("/"));
                match old.pointer(&pointer) {
                    Some(o) if !o.is_null() => *v = o.clone(),
                    _ => missing = Some(format!("config.{}", path.join("."))),
                }
            }
        });
        if let Some(m) = missing {
            return Err(ApiError::invalid(
                m.clone(),
                format!("{m}: send the secret itself, not its masked form"),
            ));
        }
        if let Some(t) = &t {
            if let Err(p) = check_config(t, &config) {
                return Ok(invalid_config(&p));
            }
        }
        edit.config = Some(seal_config(sbox, &paths, &i.tenant_id, &i.id, &config));
    }
    // Narrow writes only: `{lastSync}` moves one column forward, an edit
    // changes the fields it names; neither rewrites what the other (or a
    // concurrent request) wrote.
    if let Some(at) = last_sync {
        state
            .store
            .advance_integration_sync(caller.tenant(), &id, at)
            .await?;
    }
    let i = if edit != IntegrationEdit::default() {
        match state
            .store
            .edit_integration(caller.tenant(), &id, &edit, if_version)
            .await
        {
            Ok(i) => i,
            Err(painchain_store::StoreError::Conflict(_)) => {
                let now = load(&state, caller.tenant(), &id).await?;
                return Ok(version_conflict(&now));
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        load(&state, caller.tenant(), &id).await?
    };
    let status = state
        .store
        .get_integration_status(&i.tenant_id, &i.id)
        .await?;
    let clear = state.config.auth.enabled && caller.connector_for(&i.integration_type);
    let mut res = Json(row_json(
        &i,
        present_config(sbox, &paths, &i, clear),
        status.as_ref(),
    ))
    .into_response();
    res.headers_mut().insert(ETAG, etag(&i));
    Ok(res)
}

/// Partial update, as `PUT`.
// Its own handler so the OpenAPI document has unique operation ids.
#[utoipa::path(
    patch, path = "/api/integrations/{id}", tag = "integrations",
    operation_id = "patch_integration",
    params(("id" = String, Path)),
    request_body = UpdateBody,
    responses(
        (status = 200, body = doc::IntegrationRow),
        (status = 400, body = doc::InvalidConfigBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`managed_by_config`: declared in the config file"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    )
)]
pub async fn patch(
    state: State<AppState>,
    shared: Extension<Shared>,
    caller: Ingest,
    id: Path<String>,
    headers: HeaderMap,
    body: ApiJson<UpdateBody>,
) -> ApiResult<Response> {
    update(state, shared, caller, id, headers, body).await
}

#[derive(Debug, Deserialize)]
pub struct DeleteQuery {
    #[serde(default)]
    pub purge: Option<bool>,
}

/// `204`. The integration's events stay unless `?purge=true`; its
/// connector stops collecting within seconds (next control poll). Events
/// naming its id are refused from then on (`404 unknown_integration`).
#[utoipa::path(
    delete, path = "/api/integrations/{id}", tag = "integrations",
    operation_id = "delete_integration",
    params(("id" = String, Path), ("purge" = Option<bool>, Query, description = "Delete its events too")),
    responses(
        (status = 204),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`managed_by_config`: declared in the config file"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> ApiResult<Response> {
    let i = load(&state, caller.tenant(), &id).await?;
    if i.managed_by.as_deref() == Some("config") {
        return Ok(managed_refusal(&i));
    }
    if q.purge.unwrap_or(false) {
        let n = state
            .store
            .delete_integration_events(caller.tenant(), &id)
            .await?;
        tracing::info!(integration = %id, events = n, "purged events");
    }
    state.store.delete_integration(caller.tenant(), &id).await?;
    state.known_integrations.forget(caller.tenant(), &id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Asks the type's connector to collect now (picked up within ~2 s).
#[utoipa::path(
    post, path = "/api/integrations/{id}/sync", tag = "integrations",
    operation_id = "sync_integration",
    params(("id" = String, Path)),
    responses(
        (status = 202, body = doc::SyncQueued),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The integration is disabled"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    )
)]
pub async fn sync_now(
    State(state): State<AppState>,
    Ingest(caller): Ingest,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let i = load(&state, caller.tenant(), &id).await?;
    if !i.enabled {
        return Err(ApiError::Conflict(format!(
            "integration `{}` is disabled; enable it first",
            i.name
        )));
    }
    let live = state
        .store
        .get_connector_type(&i.integration_type)
        .await?
        .is_some_and(|t| is_live(&t));
    control::request_sync(&*state.store, caller.tenant(), &i.integration_type, &id).await?;
    let message = if live {
        "sync requested; the connector picks it up within seconds".to_string()
    } else {
        format!(
            "sync queued, but no live `{}` connector is polling: start one to collect",
            i.integration_type
        )
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"queued": true, "live": live, "message": message})),
    )
        .into_response())
}

/// Asks the type's live connector to test the connection and waits for its
/// answer (a few seconds at most).
#[utoipa::path(
    post, path = "/api/integrations/{id}/test", tag = "integrations",
    operation_id = "test_integration",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = doc::TestResult, description = "`ok: true`, or `ok: false` with the connector's error in words"),
        (status = 404, body = ErrorBody),
        (status = 503, body = doc::TestResult, description = "`no_live_connector`"),
        (status = 504, body = doc::TestResult, description = "`test_timeout`"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    )
)]
pub async fn test(
    State(state): State<AppState>,
    Ingest(caller): Ingest,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let i = load(&state, caller.tenant(), &id).await?;
    let t = state.store.get_connector_type(&i.integration_type).await?;
    if !t.as_ref().is_some_and(is_live) {
        let body = json!({"ok": false, "error": {
            "code": "no_live_connector",
            "message": format!(
                "no live `{}` connector: none has polled the server in the last 30 s. Start it (painchain connector {} ...) and retry.",
                i.integration_type, i.integration_type
            ),
        }});
        return Ok((StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response());
    }
    let outcome =
        control::run_test(&*state.store, caller.tenant(), &i.integration_type, &id).await?;
    let (code, message) =
        match outcome {
            TestOutcome::Answered(Ok(())) => {
                return Ok(Json(json!({"ok": true, "message": "connection ok"})).into_response())
            }
            TestOutcome::Answered(Err(e)) => return Ok(Json(
                json!({"ok": false, "message": e, "error": {"code": "test_failed", "message": e}}),
            )
            .into_response()),
            TestOutcome::NotClaimed => (
                "test_timeout",
                format!(
                    "no `{}` connector picked the test up within {}s",
                    i.integration_type,
                    TEST_TIMEOUT.as_secs()
                ),
            ),
            TestOutcome::NoAnswer => (
                "test_timeout",
                format!(
                    "the `{}` connector did not answer within {}s",
                    i.integration_type,
                    TEST_TIMEOUT.as_secs()
                ),
            ),
        };
    let body = json!({"ok": false, "error": {"code": code, "message": message}});
    Ok((StatusCode::GATEWAY_TIMEOUT, Json(body)).into_response())
}
