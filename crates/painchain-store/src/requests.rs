//! Requests for running connectors ("sync now", "test the connection"),
//! queued by any replica and claimed by a connector's control poll on any
//! replica. The SQL runs through `crate::admin`, shared by both backends.

use chrono::{DateTime, Utc};

use crate::codec::{from_nanos, opt_from_nanos};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    Sync,
    Test,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Sync => "sync",
            RequestKind::Test => "test",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorRequest {
    pub id: String,
    pub tenant_id: String,
    pub integration_type: String,
    pub integration_id: String,
    pub kind: RequestKind,
    pub created_at: DateTime<Utc>,
    /// When a connector took it from its control poll.
    pub claimed_at: Option<DateTime<Utc>>,
    /// A test's result: `Err` holds the connector's words.
    pub answer: Option<Result<(), String>>,
}

/// Requests are short-lived; older ones are deleted when new ones come.
pub(crate) const KEEP: chrono::Duration = chrono::Duration::hours(1);

pub(crate) const DELETE_OLD: &str = "DELETE FROM connector_requests WHERE created_at < $1";

pub(crate) const INSERT: &str = "\
INSERT INTO connector_requests (id, tenant_id, integration_type, integration_id, kind, created_at)
VALUES ($1, $2, $3, $4, $5, $6)";

/// A cheap read first, so idle control polls never take a write lock.
pub(crate) const ANY_OPEN: &str = "\
SELECT 1 FROM connector_requests
WHERE integration_type = $1 AND claimed_at IS NULL AND created_at >= $2 LIMIT 1";

const COLUMNS: &str =
    "id, tenant_id, integration_type, integration_id, kind, created_at, claimed_at, ok, error";

pub(crate) fn claim_sql() -> String {
    format!(
        "UPDATE connector_requests SET claimed_at = $1 \
         WHERE integration_type = $2 AND claimed_at IS NULL AND created_at >= $3 \
         AND ($4 IS NULL OR tenant_id = $4) RETURNING {COLUMNS}"
    )
}

pub(crate) const ANSWER: &str = "\
UPDATE connector_requests SET answered_at = $1, ok = $2, error = $3
WHERE id = $4 AND tenant_id = $5 AND integration_type = $6 AND kind = 'test'
  AND claimed_at IS NOT NULL AND answered_at IS NULL";

pub(crate) fn get_sql() -> String {
    format!("SELECT {COLUMNS} FROM connector_requests WHERE tenant_id = $1 AND id = $2")
}

#[derive(sqlx::FromRow)]
pub(crate) struct Row {
    id: String,
    tenant_id: String,
    integration_type: String,
    integration_id: String,
    kind: String,
    created_at: i64,
    claimed_at: Option<i64>,
    ok: Option<bool>,
    error: Option<String>,
}

impl From<Row> for ConnectorRequest {
    fn from(r: Row) -> Self {
        ConnectorRequest {
            id: r.id,
            tenant_id: r.tenant_id,
            integration_type: r.integration_type,
            integration_id: r.integration_id,
            kind: if r.kind == "test" {
                RequestKind::Test
            } else {
                RequestKind::Sync
            },
            created_at: from_nanos(r.created_at),
            claimed_at: opt_from_nanos(r.claimed_at),
            answer: r.ok.map(|ok| {
                if ok {
                    Ok(())
                } else {
                    Err(r.error.unwrap_or_default())
                }
            }),
        }
    }
}
