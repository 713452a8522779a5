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

/// The user-editable fields of an integration; `None` leaves a field as it
/// is, so an edit of one field never rewrites another (two people toggling
/// `enabled` and saving the config don't undo each other).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntegrationEdit {
    pub name: Option<String>,
    /// The config as stored (secrets already sealed).
    pub config: Option<serde_json::Value>,
    pub enabled: Option<bool>,
}

/// One integration declared in a config file (config as code).
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredRow {
    pub tenant_id: String,
    pub integration_type: String,
    pub name: String,
    /// The clear config; [`DeclaredApply::seal`] turns it into the stored one.
    pub config: serde_json::Value,
    pub enabled: bool,
}

/// What one config file declares, applied as a whole (see
/// [`Store::apply_declared`](crate::Store::apply_declared)).
pub struct DeclaredApply<'a> {
    /// Who declares these rows (`managedBy`): `config` for the server's own
    /// file, `connector-config` for a standalone connector's. An apply only
    /// ever prunes rows of its own owner.
    pub managed_by: &'a str,
    /// Whether declared rows no longer in `rows` are deleted, only within
    /// this tenant (`None`: all) and type (`None`: all).
    pub prune: bool,
    pub scope_tenant: Option<&'a str>,
    pub scope_type: Option<&'a str>,
    /// The config's generation: rows last declared by a higher one are
    /// neither changed nor deleted by this apply.
    pub generation: i64,
    pub rows: &'a [DeclaredRow],
    /// Stored form of a row's clear config for its id (secrets sealed).
    #[allow(clippy::type_complexity)]
    pub seal: &'a (dyn Fn(&DeclaredRow, &str) -> serde_json::Value + Send + Sync),
}

/// The outcome of [`Store::apply_declared`](crate::Store::apply_declared).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeclaredOutcome {
    /// The id of each row, in order.
    pub ids: Vec<String>,
    /// Ids created by this apply.
    pub created: Vec<String>,
    /// `(tenant, id, name)` of the rows deleted (no longer declared).
    pub deleted: Vec<(String, String, String)>,
    /// Ids left alone: a newer config generation declared them.
    pub newer: Vec<String>,
    /// A newer generation was applied already: nothing was changed.
    pub stale: bool,
}

/// Events committed by another process sharing the database (see
/// [`Store::subscribe_remote`](crate::Store::subscribe_remote)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEvents {
    pub tenant: String,
    /// Ids of the new events, in insertion order.
    pub ids: Vec<String>,
}
