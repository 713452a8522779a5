use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A team is a named set of tags; filtering by `team=` expands to them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Team {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub tags: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTime<Utc>,
}

/// A project, created implicitly by the events that name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// Stable id derived from (connector, name).
    pub id: String,
    pub name: String,
    /// The connector that first reported it (seed field).
    pub connector: String,
    /// Every connector that reported events for it.
    pub connectors: Vec<String>,
    pub tags: Vec<String>,
    pub event_count: i64,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_event_at: Option<DateTime<Utc>>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
}
