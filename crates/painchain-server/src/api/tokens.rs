//! API tokens (`/api/tokens`, admin only). The secret is returned once, at
//! creation; the store keeps only its SHA-256.
//!
//! Tokens belong to the caller's tenant. Only an admin of the `default`
//! tenant (the operator) — or anyone when auth is off — may create a token
//! for another tenant (`tenant` in the body); that is how a multi-tenant
//! operator hands out the first token of a new tenant.
//!
//! Connector tokens (`connector: "<type>"`) are the only callers that see
//! integration secrets in clear (of their type), so only the operator may
//! make them: a tenant admin minting one would read its secrets back.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::{delete, get},
    Json, Router,
};
use painchain_core::{
    token::{Scope, TokenInfo},
    DEFAULT_TENANT,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    auth::{new_token_with, valid_tenant, Admin, TokenSpec},
    error::{ApiError, ApiResult, ErrorBody},
    extract::ApiJson,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tokens", get(list_tokens).post(create_token))
        .route("/api/tokens/{id}", delete(revoke_token))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
    pub name: String,
    /// `read`, `ingest` or `admin`; optional (and `ingest`) for a connector token.
    #[serde(default)]
    pub scope: Option<String>,
    /// Another tenant (operator only); default: the caller's.
    pub tenant: Option<String>,
    /// A connector token bound to this connector type (operator only): it
    /// sees the secrets of the type's integrations and may register the type.
    #[serde(default)]
    pub connector: Option<String>,
    /// RFC 3339 instant after which the token is refused; default: never.
    #[serde(default)]
    pub expires_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: TokenInfo,
    /// The secret: shown only in this answer.
    pub token: String,
}

#[utoipa::path(get, path = "/api/tokens", tag = "tokens", responses((status = 200, body = Vec<TokenInfo>), (status = 403, body = ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    Admin(caller): Admin,
) -> ApiResult<Json<Vec<TokenInfo>>> {
    Ok(Json(state.store.list_tokens(Some(caller.tenant())).await?))
}

#[utoipa::path(post, path = "/api/tokens", tag = "tokens", request_body = TokenRequest,
    responses((status = 201, body = CreatedToken), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiJson(body): ApiJson<TokenRequest>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let name = body.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::invalid("name", "`name` must be 1-200 bytes"));
    }
    let connector = body
        .connector
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let scope = match (body.scope.as_deref().map(str::trim), connector) {
        (None, Some(_)) | (Some("ingest"), Some(_)) => Scope::Ingest,
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "scope",
                "a connector token's scope is `ingest` (leave `scope` out)",
            ))
        }
        (None, None) => return Err(ApiError::invalid("scope", "`scope` is required")),
        (Some(s), None) => Scope::parse(s).ok_or_else(|| {
            ApiError::invalid(
                "scope",
                format!("`scope` must be read, ingest or admin, got {s:?}"),
            )
        })?,
    };
    if let Some(c) = connector {
        if c != painchain_core::token::ANY_CONNECTOR
            && !crate::api::integrations::types::valid_type_id(c)
        {
            return Err(ApiError::invalid(
                "connector",
                "`connector` must be a connector type id (letters, digits, -_.)",
            ));
        }
        if !caller.is_operator(state.config.auth.enabled) {
            return Err(ApiError::Forbidden(
                "only the operator (an admin of the default tenant) can create connector tokens: they read integration secrets".into(),
            ));
        }
    }
    let expires_at = match body.expires_at.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => {
            let at = chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|_| {
                    ApiError::invalid(
                        "expiresAt",
                        "`expiresAt` must be an RFC 3339 instant such as 2026-06-01T00:00:00Z",
                    )
                })?
                .with_timezone(&chrono::Utc);
            if at <= chrono::Utc::now() {
                return Err(ApiError::invalid("expiresAt", "`expiresAt` is in the past"));
            }
            Some(at)
        }
    };
    let tenant = match body
        .tenant
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => caller.tenant().to_string(),
        Some(t) => {
            if !valid_tenant(t) {
                return Err(ApiError::invalid(
                    "tenant",
                    "`tenant` must be 1-128 characters of letters, digits and -_.:@",
                ));
            }
            let operator = !state.config.auth.enabled || caller.tenant() == DEFAULT_TENANT;
            if t != caller.tenant() && !operator {
                return Err(ApiError::Forbidden(
                    "only an admin of the default tenant can create tokens for other tenants"
                        .into(),
                ));
            }
            t.to_string()
        }
    };
    let spec = TokenSpec {
        scope,
        connector: connector.map(str::to_string),
        expires_at,
    };
    let (row, secret) = new_token_with(&tenant, name, &spec);
    let info = state.store.create_token(&row).await?;
    state.tokens.forget_unknown();
    tracing::info!(id = %info.id, tenant = %info.tenant_id, scope = scope.as_str(), "token created");
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            info,
            token: secret,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "tokens", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if state.store.revoke_token(Some(caller.tenant()), &id).await? {
        state.tokens.forget_id(&id);
        tracing::info!(%id, "token revoked");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no token with id {id:?}")))
    }
}
