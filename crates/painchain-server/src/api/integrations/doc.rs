//! Response shapes of the integrations API, for the OpenAPI document only:
//! the handlers build these bodies with `json!` (see `row_json`,
//! `connector_status`, `types::type_json`), so keep both in step. Request
//! bodies are documented by the handlers' own `Deserialize` types.

#![allow(dead_code)]

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::ErrorDetail;

/// A registered connector type.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorTypeRow {
    pub id: String,
    pub display_name: String,
    pub color: Option<String>,
    /// The registered `data:image/...;base64,...` URI, or `""` (the seed's key).
    pub logo: String,
    /// `/api/integrations/types/{type}/logo` when there is a logo.
    pub logo_url: Option<String>,
    pub description: Option<String>,
    /// As registered: the seed's `{fields: [...]}` form or a JSON Schema.
    pub config_schema: Value,
    #[schema(format = DateTime)]
    pub registered_at: String,
    #[schema(format = DateTime)]
    pub last_heartbeat: Option<String>,
    /// Its connector polled the server in the last 30 s.
    pub live: bool,
    /// The normalized JSON Schema (`GET /types/{type}` only).
    pub json_schema: Option<Value>,
}

/// `POST /api/integrations/types/register` answer (the seed's).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TypeRegistered {
    pub id: String,
    pub display_name: String,
    pub registered: bool,
}

/// `GET /api/integrations/types/{type}/schema`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TypeSchema {
    pub id: String,
    pub display_name: String,
    /// As registered.
    pub config_schema: Value,
    /// Normalized to JSON Schema.
    pub json_schema: Value,
}

/// The connector's control poll answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Heartbeat {
    /// Changes whenever an integration of the type is created, edited,
    /// enabled/disabled or deleted: refetch `GET /api/integrations?type=`.
    pub generation: String,
    /// Integration ids to collect now (`POST /api/integrations/{id}/sync`).
    pub sync: Vec<String>,
    /// Connection tests to run and answer.
    pub tests: Vec<PendingTest>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PendingTest {
    pub id: String,
    pub integration_id: String,
}

/// Status as shown with an integration.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorStatus {
    /// `pending` (never reported), `ok`, `error`, `syncing`, `stale` (no
    /// report within max(3 polling intervals, 60 s)) or `disabled`.
    pub state: String,
    /// The connector's last reported state.
    pub reported_state: Option<String>,
    #[schema(format = DateTime)]
    pub last_sync_at: Option<String>,
    pub last_error: Option<String>,
    pub events_collected: Option<i64>,
    pub details: Value,
    #[schema(format = DateTime)]
    pub reported_at: Option<String>,
    pub stale: bool,
}

/// An integration row: the seed's keys plus ours.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationRow {
    pub id: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub name: String,
    /// Secrets (`format: password`, `x-secret`, keys such as `token`,
    /// `secret`, `password`) appear as `"••••1234"` unless the caller may
    /// see them (ingest/admin tokens; with auth off, non-browser loopback).
    pub config: Value,
    /// The seed's status: `active`, `inactive` (disabled) or `error`.
    pub status: String,
    pub enabled: bool,
    /// `"config"` for integrations declared in the config file (read-only here).
    pub managed_by: Option<String>,
    #[schema(format = DateTime)]
    pub last_sync: Option<String>,
    #[schema(format = DateTime)]
    pub registered_at: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    pub tenant_id: String,
    pub connector_status: ConnectorStatus,
}

/// `POST /api/integrations` answer: the row plus the seed's keys.
#[derive(Serialize, ToSchema)]
pub struct IntegrationCreated {
    #[serde(flatten)]
    pub row: IntegrationRow,
    pub tenant_id: String,
    #[schema(format = DateTime)]
    pub registered_at: String,
}

/// `400 invalid_config`: every failing path of the config.
#[derive(Serialize, ToSchema)]
pub struct InvalidConfigBody {
    pub error: InvalidConfigDetail,
}

#[derive(Serialize, ToSchema)]
pub struct InvalidConfigDetail {
    /// `invalid_config`.
    pub code: String,
    pub message: String,
    /// The first failing path.
    pub field: Option<String>,
    pub errors: Vec<ConfigProblem>,
}

#[derive(Serialize, ToSchema)]
pub struct ConfigProblem {
    /// Dotted path from the request body: `config.token`, `config.repos[0].name`.
    pub path: String,
    pub message: String,
}

/// `POST /api/integrations/{id}/sync` answer.
#[derive(Serialize, ToSchema)]
pub struct SyncQueued {
    pub queued: bool,
    /// A connector of the type is polling (it picks the request up within seconds).
    pub live: bool,
    pub message: String,
}

/// `POST /api/integrations/{id}/test` answer.
#[derive(Serialize, ToSchema)]
pub struct TestResult {
    pub ok: bool,
    pub message: Option<String>,
    /// `test_failed`, `no_live_connector` or `test_timeout` when not ok.
    pub error: Option<ErrorDetail>,
}

/// A connector's checkpoint, stored as given.
#[derive(Serialize, ToSchema)]
pub struct Cursor {
    /// Any JSON value; `null` before the first `PUT`.
    pub cursor: Value,
}
