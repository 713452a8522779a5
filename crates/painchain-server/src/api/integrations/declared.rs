//! Config-as-code: integrations declared in `painchain.yaml` are created or
//! updated at startup and marked `managedBy: config` (the API then refuses
//! to edit or delete them). Declared integrations that disappeared from
//! the file are deleted (their events stay).

use chrono::Utc;
use painchain_core::{integration::Integration, DEFAULT_TENANT};
use painchain_store::Store;
use serde_json::Value;

use super::{schema, seal_config, type_schema, SecretBox};

/// One entry of the file (parsed and env-substituted by the caller).
#[derive(Debug, Clone)]
pub struct DeclaredIntegration {
    pub name: String,
    pub integration_type: String,
    pub config: Value,
    pub enabled: bool,
    pub tenant: Option<String>,
}

pub const MANAGED: &str = "config";

/// Applies the declarations; returns the ids, in order. Errors name the
/// entry and every failing config path.
pub async fn apply(
    store: &dyn Store,
    sbox: &SecretBox,
    declared: &[DeclaredIntegration],
) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    for d in declared {
        let tenant = d.tenant.as_deref().unwrap_or(DEFAULT_TENANT);
        let what = format!("integration `{}` (type {})", d.name, d.integration_type);
        let t = store
            .get_connector_type(&d.integration_type)
            .await
            .map_err(|e| format!("{what}: {e}"))?;
        if t.is_none() {
            tracing::warn!(
                r#type = %d.integration_type,
                "declared integration of a type no connector registered yet: checking name and tags only"
            );
        }
        let (schema_v, paths) = type_schema(t.as_ref());
        let problems = schema::validate(&schema_v, &d.config, &|p| paths.matches_dotted(p));
        if !problems.is_empty() {
            let list: Vec<String> = problems
                .iter()
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect();
            return Err(format!("{what}: invalid config: {}", list.join("; ")));
        }
        let existing = store
            .list_integrations(Some(tenant), Some(&d.integration_type))
            .await
            .map_err(|e| format!("{what}: {e}"))?
            .into_iter()
            .find(|i| i.name == d.name);
        let now = Utc::now();
        let id = match existing {
            Some(mut i) => {
                i.config = seal_config(sbox, &paths, tenant, &i.id, &d.config);
                i.enabled = d.enabled;
                i.managed_by = Some(MANAGED.into());
                i.updated_at = now;
                store
                    .update_integration(&i)
                    .await
                    .map_err(|e| format!("{what}: {e}"))?;
                tracing::info!(integration = %i.id, name = %d.name, "declared integration updated");
                i.id
            }
            None => {
                let id = painchain_core::new_id();
                let i = Integration {
                    id: id.clone(),
                    tenant_id: tenant.to_string(),
                    integration_type: d.integration_type.clone(),
                    name: d.name.clone(),
                    config: seal_config(sbox, &paths, tenant, &id, &d.config),
                    status: "active".into(),
                    enabled: d.enabled,
                    managed_by: Some(MANAGED.into()),
                    last_sync: None,
                    registered_at: now,
                    updated_at: now,
                };
                store
                    .create_integration(&i)
                    .await
                    .map_err(|e| format!("{what}: {e}"))?;
                tracing::info!(integration = %id, name = %d.name, "declared integration created");
                id
            }
        };
        ids.push(id);
    }
    // Rows the file no longer declares.
    let all = store
        .list_integrations(None, None)
        .await
        .map_err(|e| e.to_string())?;
    for i in all {
        if i.managed_by.as_deref() == Some(MANAGED) && !ids.contains(&i.id) {
            store
                .delete_integration(&i.tenant_id, &i.id)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(integration = %i.id, name = %i.name, "declared integration removed from the config file: deleted (its events stay)");
        }
    }
    Ok(ids)
}
