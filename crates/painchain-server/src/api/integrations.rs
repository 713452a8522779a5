//! Connector types, integrations and the connector-facing control plane.
//!
//! - `types`: `POST /api/integrations/types/register` and the type reads
//!   (schema in the seed's `fields` form or JSON Schema, logos).
//! - `crud`: `GET/POST /api/integrations`, `GET/PUT/DELETE /api/integrations/:id`,
//!   `POST /:id/sync`, `POST /:id/test`.
//! - `connector_api`: what connector processes call: status, cursor,
//!   heartbeat (control poll), test answers.
//! - `declared`: config-as-code integrations applied at startup.
//!
//! Secrets inside configs are encrypted at rest ([`secrets`]) and shown in
//! clear only to callers that may see them ([`may_see_secrets`]).

pub mod connector_api;
pub mod control;
pub mod crud;
pub mod declared;
pub mod doc;
pub mod schema;
pub mod secrets;
pub mod types;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{request::Parts, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Extension, Json, Router,
};
use chrono::Utc;
use painchain_core::integration::Integration;
use painchain_store::{ConnectorType, IntegrationStatus, Store};
use serde_json::{json, Value};

use crate::{auth::Caller, error::ApiError, state::AppState};

pub use secrets::SecretBox;

/// Header by which connector processes identify themselves (same constant
/// as the SDK's).
pub const CONNECTOR_HEADER: &str = "x-painchain-connector";

/// A type is "live" when its connector polled within this window.
pub const LIVE_WINDOW: Duration = Duration::from_secs(30);

/// Who may see secrets when auth is off (`PAINCHAIN_UNAUTHENTICATED_SECRETS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnauthSecrets {
    /// Non-browser requests from loopback (local connectors, in-process
    /// connectors, a seed connector on the same host). The default.
    Loopback,
    /// Any non-browser request (seed connectors in other containers on a
    /// trusted network with auth off).
    Network,
    Never,
}

/// State shared by this module's handlers (mounted as an `Extension`, so
/// the server's `AppState` needs no field for it).
pub struct Integrations {
    pub secrets: Result<SecretBox, String>,
    pub heartbeats: control::Heartbeats,
    pub unauth_secrets: UnauthSecrets,
}

pub type Shared = Arc<Integrations>;

impl Integrations {
    pub fn load(config: &crate::Config) -> Self {
        let env = |k: &str| std::env::var(k).ok();
        let secrets = if config.database_url.is_some()
            && env("PAINCHAIN_SECRET_KEY").is_none()
            && env("PAINCHAIN_SECRET_KEY_FILE").is_none()
        {
            // Replicas sharing a database must share the key: a key
            // generated per replica would make secrets unreadable on the
            // others, so none is invented here.
            Err("integration secrets need a key shared by every replica: set PAINCHAIN_SECRET_KEY (e.g. `openssl rand -hex 32`) or PAINCHAIN_SECRET_KEY_FILE".to_string())
        } else {
            SecretBox::load(&env, &config.data_dir)
        };
        match &secrets {
            Ok(b) => tracing::info!(key = %b.source, "integration secrets encrypted with key from"),
            Err(e) => {
                tracing::error!(error = %e, "no key for integration secrets: integrations API unavailable")
            }
        }
        let unauth_secrets = match env("PAINCHAIN_UNAUTHENTICATED_SECRETS")
            .as_deref()
            .map(str::trim)
        {
            Some("network") => UnauthSecrets::Network,
            Some("never") => UnauthSecrets::Never,
            _ => UnauthSecrets::Loopback,
        };
        Self::with(secrets, unauth_secrets)
    }

    pub fn with(secrets: Result<SecretBox, String>, unauth_secrets: UnauthSecrets) -> Self {
        Integrations {
            secrets,
            heartbeats: control::Heartbeats::default(),
            unauth_secrets,
        }
    }

    pub fn secrets(&self) -> Result<&SecretBox, ApiError> {
        self.secrets
            .as_ref()
            .map_err(|e| ApiError::Unavailable(e.clone()))
    }
}

pub fn router(state: &AppState) -> Router<AppState> {
    router_with(Arc::new(Integrations::load(&state.config)))
}

pub fn router_with(shared: Shared) -> Router<AppState> {
    Router::new()
        .route("/api/integrations/types", get(types::list))
        .route("/api/integrations/types/register", post(types::register))
        .route("/api/integrations/types/{ty}", get(types::get_one))
        .route("/api/integrations/types/{ty}/schema", get(types::schema))
        .route("/api/integrations/types/{ty}/logo", get(types::logo))
        .route(
            "/api/integrations/types/{ty}/heartbeat",
            post(connector_api::heartbeat),
        )
        .route(
            "/api/integrations/types/{ty}/tests/{test}",
            post(connector_api::answer_test),
        )
        .route("/api/integrations", get(crud::list).post(crud::create))
        .route(
            "/api/integrations/declared",
            axum::routing::put(declared::put_declared),
        )
        .route(
            "/api/integrations/{id}",
            get(crud::get_one)
                .put(crud::update)
                .patch(crud::patch)
                .delete(crud::delete),
        )
        .route("/api/integrations/{id}/sync", post(crud::sync_now))
        .route("/api/integrations/{id}/test", post(crud::test))
        .route(
            "/api/integrations/{id}/status",
            get(connector_api::get_status).post(connector_api::post_status),
        )
        .route(
            "/api/integrations/{id}/cursor",
            get(connector_api::get_cursor).put(connector_api::put_cursor),
        )
        .layer(Extension(shared))
}

/// The TCP peer, when the server was started with connect info.
pub struct Peer(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

/// Which integrations' secrets a request may read in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretAccess {
    /// Masks only (`••••1234`).
    Masked,
    /// Every type's (auth off, non-browser, per `PAINCHAIN_UNAUTHENTICATED_SECRETS`).
    All,
    /// A connector token's: integrations of its type (`*`: any).
    Connector(Arc<str>),
}

impl SecretAccess {
    pub fn clear_for(&self, ty: &str) -> bool {
        match self {
            SecretAccess::Masked => false,
            SecretAccess::All => true,
            SecretAccess::Connector(c) => painchain_core::token::connector_serves(c, ty),
        }
    }
}

/// Whether this request may read secrets in clear, and of which types.
///
/// Auth on: only connector tokens (`painchain token create --connector
/// <type>`), and only for integrations of their type. Admin, ingest and
/// read tokens see `••••1234`: a CI job's ingest token or a tenant admin's
/// browser session never holds the third-party credentials. Auth off there
/// is no identity, so: never to a browser (a request with `Origin` or
/// `Sec-Fetch-Mode`: the UI has no use for them), and otherwise per
/// `PAINCHAIN_UNAUTHENTICATED_SECRETS` (default: only from loopback, which
/// covers in-process and local connectors).
pub fn may_see_secrets(
    state: &AppState,
    shared: &Integrations,
    caller: &Caller,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> SecretAccess {
    if state.config.auth.enabled {
        return match &caller.connector {
            Some(c) => SecretAccess::Connector(c.clone()),
            None => SecretAccess::Masked,
        };
    }
    let browser = headers.contains_key("origin") || headers.contains_key("sec-fetch-mode");
    let all = !browser
        && match shared.unauth_secrets {
            UnauthSecrets::Never => false,
            UnauthSecrets::Network => true,
            UnauthSecrets::Loopback => peer.is_some_and(|p| p.ip().is_loopback()),
        };
    if all {
        SecretAccess::All
    } else {
        SecretAccess::Masked
    }
}

/// The normalized JSON Schema of a type, and its secret paths.
pub fn type_schema(t: Option<&ConnectorType>) -> (Value, secrets::SecretPaths) {
    let schema = t
        .and_then(|t| schema::normalize(&t.config_schema).ok())
        .unwrap_or_else(|| json!({"type": "object"}));
    let paths = secrets::SecretPaths::new(&schema::secret_pointers(&schema));
    (schema, paths)
}

/// Decrypts (or masks) the secrets of a stored config for output.
pub fn present_config(
    sbox: &SecretBox,
    paths: &secrets::SecretPaths,
    i: &Integration,
    clear: bool,
) -> Value {
    let mut config = i.config.clone();
    paths.map(&mut config, &mut |_, v| {
        let plain = if secrets::is_encrypted(v) {
            match sbox.decrypt(&i.tenant_id, &i.id, v.as_str().unwrap_or_default()) {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(integration = %i.id, error = %e, "cannot decrypt a config secret");
                    Value::Null
                }
            }
        } else {
            v.clone()
        };
        *v = if clear { plain } else { secrets::mask(&plain) };
    });
    config
}

/// Encrypts the secrets of a clear config for storage.
pub fn seal_config(
    sbox: &SecretBox,
    paths: &secrets::SecretPaths,
    tenant: &str,
    id: &str,
    config: &Value,
) -> Value {
    let mut c = config.clone();
    paths.map(&mut c, &mut |_, v| {
        *v = Value::String(sbox.encrypt(tenant, id, v));
    });
    c
}

/// The poll interval a connector uses for a config (for `stale`).
fn interval_of(config: &Value) -> Duration {
    let secs = config
        .get("polling")
        .and_then(|p| p.get("interval"))
        .and_then(|v| {
            v.as_f64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(60.0);
    Duration::from_secs_f64(secs)
}

/// Status as shown with an integration: the connector's last report, or
/// `disabled` / `pending` (never reported) / `stale` (no heartbeat within 3
/// intervals, at least 60 s since connectors heartbeat every 15 s).
pub fn connector_status(i: &Integration, s: Option<&IntegrationStatus>) -> Value {
    let now = Utc::now();
    let threshold = (interval_of(&i.config) * 3).max(Duration::from_secs(60));
    let reported = s.and_then(|s| s.reported_at);
    let stale = reported.is_some_and(|r| (now - r).to_std().unwrap_or_default() > threshold);
    let state = if !i.enabled {
        "disabled".to_string()
    } else if s.is_none() {
        "pending".to_string()
    } else if stale {
        "stale".to_string()
    } else {
        s.map(|s| s.state.clone()).unwrap_or_default()
    };
    json!({
        "state": state,
        "reportedState": s.map(|s| s.state.clone()),
        "lastSyncAt": s.and_then(|s| s.last_sync_at).map(painchain_core::time::format),
        "lastError": s.and_then(|s| s.last_error.clone()),
        "eventsCollected": s.and_then(|s| s.events_collected),
        "details": s.map(|s| s.details.clone()).unwrap_or(Value::Null),
        "reportedAt": reported.map(painchain_core::time::format),
        "stale": stale,
    })
}

/// The JSON row of an integration: the seed's keys (`id, type, name,
/// config, status, lastSync, registeredAt, tenantId`, plus `createdAt`
/// and `updatedAt` from the guide) and ours.
pub fn row_json(i: &Integration, config: Value, status: Option<&IntegrationStatus>) -> Value {
    let cs = connector_status(i, status);
    let seed_status = if !i.enabled {
        "inactive"
    } else if cs["state"] == "error" {
        "error"
    } else {
        "active"
    };
    let last_sync = match (i.last_sync, status.and_then(|s| s.last_sync_at)) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    json!({
        "id": i.id,
        "type": i.integration_type,
        "name": i.name,
        "config": config,
        "status": seed_status,
        "enabled": i.enabled,
        "managedBy": i.managed_by,
        "lastSync": last_sync.map(painchain_core::time::format),
        "registeredAt": painchain_core::time::format(i.registered_at),
        "createdAt": painchain_core::time::format(i.registered_at),
        "updatedAt": painchain_core::time::format(i.updated_at),
        "tenantId": i.tenant_id,
        "connectorStatus": cs,
    })
}

/// `400` listing every failing config path.
pub fn invalid_config(problems: &[schema::Problem]) -> Response {
    let list: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p.path, p.message))
        .collect();
    let body = json!({
        "error": {
            "code": "invalid_config",
            "message": format!("the config is invalid: {}", list.join("; ")),
            "field": problems.first().map(|p| p.path.clone()),
            "errors": problems,
        }
    });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// Integrations known to exist, for the events API's `integrationId`
/// check: one per server (in [`AppState`]), so positive answers are cached
/// for [`KNOWN_TTL`] and ingest stays one query per event.
///
/// A delete on this replica is seen at once ([`forget`](Self::forget)),
/// also by a check that was already reading the row when the delete
/// happened (the generation guard); a delete on another replica sharing the
/// database is seen within [`KNOWN_TTL`].
#[derive(Default)]
pub struct KnownIntegrations {
    inner: std::sync::Mutex<Known>,
}

#[derive(Default)]
struct Known {
    at: std::collections::HashMap<(String, String), std::time::Instant>,
    /// Bumped by every `forget`: a check started before it must not cache.
    generation: u64,
}

/// How long a positive `integrationId` check is trusted.
pub const KNOWN_TTL: Duration = Duration::from_secs(30);
const KNOWN_MAX: usize = 10_000;

impl KnownIntegrations {
    /// Whether `id` names an integration of `tenant`.
    pub async fn exists(
        &self,
        store: &dyn Store,
        tenant: &str,
        id: &str,
    ) -> Result<bool, ApiError> {
        let key = (tenant.to_string(), id.to_string());
        let generation = {
            let k = self.inner.lock().unwrap();
            if k.at.get(&key).is_some_and(|at| at.elapsed() < KNOWN_TTL) {
                return Ok(true);
            }
            k.generation
        };
        if store.get_integration(tenant, id).await?.is_none() {
            return Ok(false);
        }
        let mut k = self.inner.lock().unwrap();
        if k.generation == generation {
            if k.at.len() >= KNOWN_MAX {
                k.at.retain(|_, at| at.elapsed() < KNOWN_TTL);
                if k.at.len() >= KNOWN_MAX {
                    k.at.clear();
                }
            }
            k.at.insert(key, std::time::Instant::now());
        }
        Ok(true)
    }

    /// `Ok` when `id` names an integration of `tenant`, else the events
    /// API's `404 unknown_integration` naming `field`.
    pub async fn check(
        &self,
        store: &dyn Store,
        tenant: &str,
        id: &str,
        field: &str,
    ) -> Result<(), ApiError> {
        if self.exists(store, tenant, id).await? {
            Ok(())
        } else {
            Err(unknown_integration(id, field))
        }
    }

    /// Forgets a deleted integration at once on this replica.
    pub fn forget(&self, tenant: &str, id: &str) {
        let mut k = self.inner.lock().unwrap();
        k.generation += 1;
        k.at.remove(&(tenant.to_string(), id.to_string()));
    }
}

/// `404 unknown_integration` for an event whose `integrationId` (at
/// `field`) names no integration of the tenant.
pub fn unknown_integration(id: &str, field: &str) -> ApiError {
    ApiError::NotFoundField {
        code: "unknown_integration",
        message: format!(
            "`{field}`: `{id}` is not an integration of this tenant (create it with POST /api/integrations first, or leave integrationId out)"
        ),
        field: field.to_string(),
    }
}

/// Checks that an event's `integrationId` names an integration of the
/// tenant (`404 unknown_integration` otherwise), with the server's cache.
pub async fn check_integration(state: &AppState, tenant: &str, id: &str) -> Result<(), ApiError> {
    state
        .known_integrations
        .check(&*state.store, tenant, id, "integrationId")
        .await
}
