//! Shapes that only the store's callers need (query results, token rows).

use chrono::{DateTime, Utc};
use painchain_core::{token::Scope, Cursor, Event};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    Created {
        id: String,
        stored_at: DateTime<Utc>,
    },
    /// An event with the same `(tenant, integrationId, externalId)` exists.
    Duplicate { id: String },
}

impl InsertOutcome {
    pub fn id(&self) -> &str {
        match self {
            InsertOutcome::Created { id, .. } | InsertOutcome::Duplicate { id } => id,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct EventPage {
    pub events: Vec<Event>,
    /// Set when more events follow this page.
    pub next: Option<Cursor>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistogramBucket {
    /// Start of the bucket, nanoseconds since the epoch.
    pub start_nanos: i64,
    pub group: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupCount {
    pub group: String,
    pub count: i64,
}

#[derive(Debug, Clone)]
pub struct NewToken {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub scope: Scope,
    pub prefix: String,
    /// SHA-256 hex of the whole token string.
    pub secret_hash: String,
    pub created_at: DateTime<Utc>,
    /// A connector token's type (`*`: any).
    pub connector: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A type a connector registered (`POST /api/integrations/types/register`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorType {
    pub id: String,
    pub display_name: String,
    pub color: Option<String>,
    /// `data:image/...;base64,...` as registered.
    pub logo: Option<String>,
    pub description: Option<String>,
    /// As registered (either the seed's `{fields}` or JSON Schema).
    pub config_schema: serde_json::Value,
    pub registered_at: DateTime<Utc>,
    pub last_heartbeat: Option<DateTime<Utc>>,
}

/// What a connector last reported about one integration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationStatus {
    /// `ok`, `error`, `syncing`.
    pub state: String,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub events_collected: Option<i64>,
    /// Free-form details (rate limit state, ...).
    #[serde(default)]
    pub details: serde_json::Value,
    pub reported_at: Option<DateTime<Utc>>,
}

/// Events committed by another process sharing the database (see
/// [`Store::subscribe_remote`](crate::Store::subscribe_remote)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEvents {
    pub tenant: String,
    /// Ids of the new events, in insertion order.
    pub ids: Vec<String>,
}
