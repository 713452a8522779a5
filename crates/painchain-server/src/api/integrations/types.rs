//! Connector types: registration (idempotent upsert) and reads.

use axum::{
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use chrono::Utc;
use painchain_store::ConnectorType;
use serde::Deserialize;
use serde_json::{json, Value};

use utoipa::ToSchema;

use super::{doc, schema, LIVE_WINDOW};
use crate::{
    auth::{Caller, Ingest, Read},
    error::{ApiError, ApiResult, ErrorBody},
    extract::ApiJson,
    state::AppState,
};

/// Decoded logos larger than this are refused (they are inlined in lists).
pub const MAX_LOGO_BYTES: usize = 128 * 1024;

/// The body of `POST /api/integrations/types/register` (the seed's
/// `metadata.json`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TypeRegistration {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub color: Option<String>,
    #[serde(default)]
    pub logo: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The seed's `{fields: [{key, label, type, required, ...}]}` or a JSON
    /// Schema with `type: object`.
    #[serde(default)]
    pub config_schema: Option<Value>,
}

pub fn valid_type_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// A logo data URI split into (MIME type, bytes), if acceptable: only
/// `image/*`, base64, at most [`MAX_LOGO_BYTES`]. (The seed served any MIME
/// type from its own origin: a stored XSS.)
pub fn parse_logo(logo: &str) -> Result<(String, Vec<u8>), String> {
    let rest = logo
        .strip_prefix("data:")
        .ok_or("logo must be a data URI such as data:image/png;base64,...")?;
    let (meta, data) = rest
        .split_once(',')
        .ok_or("logo: malformed data URI (no comma)")?;
    let mut parts = meta.split(';');
    let mime = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let is_base64 = parts.any(|p| p.trim().eq_ignore_ascii_case("base64"));
    let sub = mime.strip_prefix("image/").ok_or_else(|| {
        format!("logo must be an image (image/png, image/svg+xml, ...), got `{mime}`")
    })?;
    if sub.is_empty()
        || !sub
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return Err(format!("logo: invalid image type `{mime}`"));
    }
    if !is_base64 {
        return Err("logo must be base64-encoded (data:image/...;base64,...)".into());
    }
    if data.len() > MAX_LOGO_BYTES * 4 / 3 + 8 {
        return Err(format!("logo is larger than {} KiB", MAX_LOGO_BYTES / 1024));
    }
    let bytes = STANDARD
        .decode(data.trim())
        .map_err(|e| format!("logo: invalid base64: {e}"))?;
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(format!("logo is larger than {} KiB", MAX_LOGO_BYTES / 1024));
    }
    Ok((mime, bytes))
}

/// Validates a registration into the stored row.
pub fn to_connector_type(r: &TypeRegistration) -> Result<ConnectorType, ApiError> {
    if !valid_type_id(&r.id) {
        return Err(ApiError::invalid(
            "id",
            "id must be 1-64 lowercase letters, digits, - or _ (e.g. `github`)",
        ));
    }
    let schema = r.config_schema.clone().ok_or_else(|| {
        ApiError::invalid(
            "configSchema",
            "configSchema is required ({fields: [...]} or a JSON Schema)",
        )
    })?;
    schema::normalize(&schema).map_err(|m| ApiError::invalid("configSchema", m))?;
    let logo = r.logo.clone().filter(|l| !l.trim().is_empty());
    if let Some(l) = &logo {
        parse_logo(l).map_err(|m| ApiError::invalid("logo", m))?;
    }
    let short = |v: &Option<String>, field: &str, max: usize| -> Result<Option<String>, ApiError> {
        match v {
            Some(s) if s.len() > max => Err(ApiError::invalid(
                field,
                format!("{field} is longer than {max} bytes"),
            )),
            other => Ok(other.clone().filter(|s| !s.is_empty())),
        }
    };
    let now = Utc::now();
    Ok(ConnectorType {
        id: r.id.clone(),
        display_name: short(&r.display_name, "displayName", 200)?.unwrap_or_else(|| r.id.clone()),
        color: short(&r.color, "color", 64)?,
        logo,
        description: short(&r.description, "description", 4000)?,
        config_schema: schema,
        registered_at: now,
        last_heartbeat: Some(now),
    })
}

/// Secret fields stay secret: a re-registration that would drop the
/// secrecy (`x-secret`, `format: password`, `writeOnly`) of a field the
/// stored schema declares secret — or drop the field — is refused, since
/// every tenant's next value of it would be stored and shown in clear.
pub fn check_secrets_kept(old: &ConnectorType, new: &ConnectorType) -> Result<(), ApiError> {
    let pointers = |t: &ConnectorType| {
        schema::normalize(&t.config_schema)
            .map(|s| schema::secret_pointers(&s))
            .unwrap_or_default()
    };
    let kept = pointers(new);
    let lost: Vec<String> = pointers(old)
        .into_iter()
        .filter(|p| !kept.contains(p))
        .collect();
    if lost.is_empty() {
        return Ok(());
    }
    Err(ApiError::invalid(
        "configSchema",
        format!(
            "connector type `{}` declares {} secret; a registration cannot make a secret field non-secret or remove it",
            new.id,
            lost.join(", ")
        ),
    ))
}

/// Registers (or re-registers) a type, keeping its first registration time.
pub async fn upsert_type(
    store: &dyn painchain_store::Store,
    r: &TypeRegistration,
) -> Result<ConnectorType, ApiError> {
    let mut t = to_connector_type(r)?;
    if let Some(old) = store.get_connector_type(&t.id).await? {
        check_secrets_kept(&old, &t)?;
        t.registered_at = old.registered_at;
    }
    store.upsert_connector_type(&t).await?;
    Ok(t)
}

/// Registers (or re-registers: an idempotent upsert) a connector type.
#[utoipa::path(
    post, path = "/api/integrations/types/register", tag = "integrations",
    operation_id = "register_integration_type",
    request_body(content = TypeRegistration, description = "The seed's `metadata.json`"),
    responses(
        (status = 200, body = doc::TypeRegistered),
        (status = 400, body = ErrorBody, description = "Bad `id`, `configSchema` or `logo` (only `image/*` data URIs, ≤ 128 KiB)"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    Ingest(caller): Ingest,
    ApiJson(body): ApiJson<TypeRegistration>,
) -> ApiResult<Json<Value>> {
    // Types are global (every tenant's integrations use them): registering
    // is for connectors and the operator, never for one tenant's tokens.
    if !may_register(&caller, state.config.auth.enabled, &body.id) {
        return Err(ApiError::Forbidden(format!(
            "registering connector type `{}` needs a connector token bound to it (painchain token create --connector {}) or an all-tenants token",
            body.id, body.id
        )));
    }
    let t = upsert_type(&*state.store, &body).await?;
    tracing::info!(r#type = %t.id, "connector type registered");
    Ok(Json(
        json!({"id": t.id, "displayName": t.display_name, "registered": true}),
    ))
}

/// Auth off (one trust domain), all-tenants tokens, the operator (admin of
/// the default tenant) and connector tokens bound to `ty`.
pub fn may_register(caller: &Caller, auth_enabled: bool, ty: &str) -> bool {
    !auth_enabled
        || caller.all_tenants
        || caller.connector_for(ty)
        || (caller.is_operator(auth_enabled)
            && caller.connector.is_none()
            && caller.scope.allows(painchain_core::token::Scope::Admin))
}

pub fn is_live(t: &ConnectorType) -> bool {
    t.last_heartbeat
        .is_some_and(|h| (Utc::now() - h).to_std().unwrap_or_default() < LIVE_WINDOW)
}

fn type_json(t: &ConnectorType, full: bool) -> Value {
    let mut v = json!({
        "id": t.id,
        "displayName": t.display_name,
        "color": t.color,
        "logo": t.logo.clone().unwrap_or_default(),
        "logoUrl": t.logo.as_ref().map(|_| format!("/api/integrations/types/{}/logo", t.id)),
        "description": t.description,
        "configSchema": t.config_schema,
        "registeredAt": painchain_core::time::format(t.registered_at),
        "lastHeartbeat": t.last_heartbeat.map(painchain_core::time::format),
        "live": is_live(t),
    });
    if full {
        v["jsonSchema"] = schema::normalize(&t.config_schema).unwrap_or(Value::Null);
    }
    v
}

async fn find(state: &AppState, ty: &str) -> ApiResult<ConnectorType> {
    state
        .store
        .get_connector_type(ty)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no connector type `{ty}` is registered")))
}

/// Every registered connector type, with its last heartbeat and liveness.
#[utoipa::path(
    get, path = "/api/integrations/types", tag = "integrations",
    operation_id = "list_integration_types",
    responses((status = 200, body = Vec<doc::ConnectorTypeRow>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn list(
    State(state): State<AppState>,
    Read(_caller): Read,
) -> ApiResult<Json<Vec<Value>>> {
    let types = state.store.list_connector_types().await?;
    Ok(Json(types.iter().map(|t| type_json(t, false)).collect()))
}

/// One connector type, with its normalized `jsonSchema`.
#[utoipa::path(
    get, path = "/api/integrations/types/{type}", tag = "integrations",
    operation_id = "get_integration_type",
    params(("type" = String, Path, description = "Type id, e.g. `github`")),
    responses((status = 200, body = doc::ConnectorTypeRow), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn get_one(
    State(state): State<AppState>,
    Read(_caller): Read,
    Path(ty): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(type_json(&find(&state, &ty).await?, true)))
}

/// A type's config schema: as registered and normalized to JSON Schema.
#[utoipa::path(
    get, path = "/api/integrations/types/{type}/schema", tag = "integrations",
    operation_id = "get_integration_type_schema",
    params(("type" = String, Path)),
    responses((status = 200, body = doc::TypeSchema), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn schema(
    State(state): State<AppState>,
    Read(_caller): Read,
    Path(ty): Path<String>,
) -> ApiResult<Json<Value>> {
    let t = find(&state, &ty).await?;
    Ok(Json(json!({
        "id": t.id,
        "displayName": t.display_name,
        "configSchema": t.config_schema,
        "jsonSchema": schema::normalize(&t.config_schema).unwrap_or(Value::Null),
    })))
}

/// The logo bytes with their image type. `nosniff` and a sandboxing CSP so
/// even an SVG opened directly can't run script on our origin.
#[utoipa::path(
    get, path = "/api/integrations/types/{type}/logo", tag = "integrations",
    operation_id = "get_integration_type_logo",
    security(()),
    params(("type" = String, Path)),
    responses(
        (status = 200, description = "The image bytes, with the registered `image/*` content type (no token needed: `<img>` can't send one)"),
        (status = 404, body = ErrorBody, description = "Unknown type, or no logo"),
    )
)]
pub async fn logo(State(state): State<AppState>, Path(ty): Path<String>) -> ApiResult<Response> {
    let t = find(&state, &ty).await?;
    let Some((mime, bytes)) = t.logo.as_deref().and_then(|l| parse_logo(l).ok()) else {
        return Err(ApiError::NotFound(format!(
            "connector type `{ty}` has no logo"
        )));
    };
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&mime)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logos() {
        assert!(parse_logo("data:image/png;base64,iVBORw0KGgo=").is_ok());
        assert!(parse_logo("data:text/html;base64,PHNjcmlwdD4=")
            .unwrap_err()
            .contains("image"));
        assert!(parse_logo("data:image/svg+xml,<svg/>")
            .unwrap_err()
            .contains("base64"));
        assert!(parse_logo("https://x/logo.png").is_err());
        let big = format!(
            "data:image/png;base64,{}",
            STANDARD.encode(vec![0u8; MAX_LOGO_BYTES + 1])
        );
        assert!(parse_logo(&big).unwrap_err().contains("KiB"));
    }

    #[test]
    fn type_ids() {
        assert!(valid_type_id("github") && valid_type_id("my-conn_2"));
        assert!(!valid_type_id("GitHub") && !valid_type_id("") && !valid_type_id("a/b"));
    }
}
