//! What a connector implements: its metadata, a connection test, and one
//! [`Source`] per integration.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::source::Source;

/// The body of `POST /api/integrations/types/register` (the seed's
/// `metadata.json`). `config_schema` is either the seed's
/// `{fields: [...]}` form or a JSON Schema; the server accepts both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorMetadata {
    pub id: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// `data:image/...;base64,...`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub config_schema: Value,
}

/// An integration as `GET /api/integrations?type=` returns it. Lenient on
/// purpose (every field but `id` and `config` defaults) so the SDK also
/// works against the seed's server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationSpec {
    pub id: String,
    #[serde(rename = "type", default)]
    pub integration_type: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub config: Value,
    /// Sent back as `x-tenant-id` when posting (the seed guide's rule).
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

impl IntegrationSpec {
    /// What decides whether a running task must be restarted: a change of
    /// config, name or enabled flag (not `lastSync`, status, ...).
    pub fn fingerprint(&self) -> String {
        serde_json::json!([
            self.integration_type,
            self.name,
            self.config,
            self.enabled,
            self.tenant_id
        ])
        .to_string()
    }
}

/// Default poll interval when the config names none (the seed's 60 s).
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(60);

/// Reads `config.polling.interval` (seconds, number or numeric string),
/// falling back to `default`. Clamped to at least one second so a typo can't
/// turn a connector into a busy loop.
pub fn poll_interval(config: &Value, default: Duration) -> Duration {
    let v = config.get("polling").and_then(|p| p.get("interval"));
    let secs = match v {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match secs {
        Some(s) if s.is_finite() && s > 0.0 => Duration::from_secs_f64(s.max(1.0)),
        _ => default,
    }
}

/// One connector type. Implementations are cheap, shared (`Arc`) and
/// stateless: per-integration state lives in the [`Source`].
#[async_trait]
pub trait Connector: Send + Sync + 'static {
    /// Registered with the server on start.
    fn metadata(&self) -> ConnectorMetadata;

    /// Default `polling.interval` for this connector's integrations.
    fn default_interval(&self) -> Duration {
        DEFAULT_POLL_INTERVAL
    }

    /// Checks beyond the JSON Schema the server already enforced (e.g. a
    /// path exists). An error is reported as the integration's status.
    fn validate(&self, _config: &Value) -> Result<(), String> {
        Ok(())
    }

    /// Answers `POST /api/integrations/:id/test`: can we reach the system
    /// with these credentials? The error is shown to people as is.
    async fn test_connection(&self, integration: &IntegrationSpec) -> Result<(), String>;

    /// Builds the collector of one integration.
    fn source(&self, integration: &IntegrationSpec) -> anyhow::Result<Source>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_polling_interval() {
        let d = Duration::from_secs(60);
        assert_eq!(poll_interval(&json!({}), d), d);
        assert_eq!(
            poll_interval(&json!({"polling": {"interval": 5}}), d),
            Duration::from_secs(5)
        );
        assert_eq!(
            poll_interval(&json!({"polling": {"interval": "10"}}), d),
            Duration::from_secs(10)
        );
        assert_eq!(
            poll_interval(&json!({"polling": {"interval": 0.01}}), d),
            Duration::from_secs(1)
        );
        assert_eq!(poll_interval(&json!({"polling": {"interval": -3}}), d), d);
    }

    #[test]
    fn integration_spec_is_lenient() {
        let s: IntegrationSpec = serde_json::from_value(json!({"id": "x", "config": {}})).unwrap();
        assert!(s.enabled);
        assert_eq!(s.tenant_id, None);
    }
}
