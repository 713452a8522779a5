//! Integrations (configured instances of a connector type) and the types
//! connectors register. The server stores configs with secrets encrypted;
//! these are the plain domain shapes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Integration {
    pub id: String,
    pub tenant_id: String,
    #[serde(rename = "type")]
    pub integration_type: String,
    pub name: String,
    #[schema(value_type = Object)]
    pub config: Value,
    /// Seed field: `active`, `inactive`, `error`.
    pub status: String,
    pub enabled: bool,
    /// `config` when declared in a config file (read-only through the API).
    pub managed_by: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_sync: Option<DateTime<Utc>>,
    #[schema(value_type = String, format = DateTime)]
    pub registered_at: DateTime<Utc>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTime<Utc>,
}

impl Integration {
    /// The integration's `config.tags`, which the `tag` filter also matches.
    pub fn tags(&self) -> Vec<String> {
        config_tags(&self.config)
    }
}

/// Reads `config.tags`, accepting an array or a JSON-encoded array string
/// (the seed's UI sends tags from a textarea).
pub fn config_tags(config: &Value) -> Vec<String> {
    match config.get("tags") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|t| t.as_str().map(String::from))
            .collect(),
        Some(Value::String(s)) => serde_json::from_str::<Vec<String>>(s).unwrap_or_default(),
        _ => Vec::new(),
    }
}
