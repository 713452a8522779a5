//! Config-as-code: integrations declared in `painchain.yaml` (or a
//! standalone connector's file, through `PUT /api/integrations/declared`)
//! are created or updated and marked `managedBy: config` (the API then
//! refuses to edit or delete them). Declared integrations that disappeared
//! from the file are deleted (their events stay), unless a newer config
//! generation (`config_generation`) declared them: an old replica
//! restarting mid-rollout undoes nothing.

use painchain_core::DEFAULT_TENANT;
use painchain_store::{DeclaredApply, DeclaredRow, Store};
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
/// Rows of a standalone connector's file: editable in the UI as before (the
/// connector's next start re-applies its file), never pruned by the
/// server's own file.
pub const CONNECTOR_MANAGED: &str = "connector-config";

/// Applies the declarations as one store transaction (see
/// [`Store::apply_declared`]): upsert by `(tenant, type, name)`, delete the
/// managed rows of the scope no longer declared, leave alone what a newer
/// `generation` declared. Returns the ids, in order. Errors name the entry
/// and every failing config path. The scope of deletions is every tenant
/// and type for the server's own file (`None, None, true`), the caller's
/// tenant and type for a standalone connector's file (which prunes only
/// when asked to).
pub async fn apply(
    store: &dyn Store,
    sbox: &SecretBox,
    declared: &[DeclaredIntegration],
    generation: i64,
    scope: (Option<&str>, Option<&str>, bool),
) -> Result<Vec<String>, String> {
    let mut rows = Vec::with_capacity(declared.len());
    let mut all_paths = Vec::with_capacity(declared.len());
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
        rows.push(DeclaredRow {
            tenant_id: tenant.to_string(),
            integration_type: d.integration_type.clone(),
            name: d.name.clone(),
            config: d.config.clone(),
            enabled: d.enabled,
        });
        all_paths.push(paths);
    }
    let seal = |r: &DeclaredRow, id: &str| {
        let k = rows
            .iter()
            .position(|x| std::ptr::eq(x, r))
            .unwrap_or_default();
        seal_config(sbox, &all_paths[k], &r.tenant_id, id, &r.config)
    };
    let out = store
        .apply_declared(&DeclaredApply {
            managed_by: if scope.0.is_none() {
                MANAGED
            } else {
                CONNECTOR_MANAGED
            },
            prune: scope.2,
            scope_tenant: scope.0,
            scope_type: scope.1,
            generation,
            rows: &rows,
            seal: &seal,
        })
        .await
        .map_err(|e| format!("cannot apply the declared integrations: {e}"))?;
    if out.stale {
        tracing::warn!(generation,
            "a newer config generation is applied already: this config's integrations are left as they are");
        return Ok(out.ids);
    }
    for (d, id) in declared.iter().zip(&out.ids) {
        if out.newer.contains(id) {
            tracing::warn!(integration = %id, name = %d.name, generation,
                "declared integration left as a newer config generation declared it");
        } else if out.created.contains(id) {
            tracing::info!(integration = %id, name = %d.name, "declared integration created");
        } else {
            tracing::info!(integration = %id, name = %d.name, "declared integration updated");
        }
    }
    for (_, id, name) in &out.deleted {
        tracing::info!(integration = %id, name = %name, "declared integration removed from the config file: deleted (its events stay)");
    }
    Ok(out.ids)
}

/// `PUT /api/integrations/declared?type=...` body: a standalone connector's
/// config file, applied by the same code as the server's own.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclaredBody {
    /// The file's generation (default 0); see `config_generation`.
    #[serde(default)]
    pub generation: i64,
    /// Delete this tenant's config-managed integrations of the type that
    /// the file no longer declares (default false: only create/update).
    #[serde(default)]
    pub prune: bool,
    pub integrations: Vec<DeclaredEntry>,
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclaredEntry {
    pub name: String,
    #[serde(rename = "type")]
    pub integration_type: String,
    pub config: Value,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, serde::Deserialize)]
pub struct DeclaredQuery {
    #[serde(rename = "type")]
    pub ty: String,
}

/// A standalone connector's config file (`painchain connector <type>
/// --config`), applied for the caller's tenant and one type, in one
/// transaction like the server's own `integrations`; returns the ids.
#[utoipa::path(
    put, path = "/api/integrations/declared", tag = "connectors",
    operation_id = "apply_declared_integrations",
    params(("type" = String, Query, description = "The connector type every entry must have")),
    request_body = DeclaredBody,
    responses(
        (status = 200, description = "`{ids: [...]}` in order"),
        (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 415, body = crate::error::ErrorBody),
    )
)]
pub async fn put_declared(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    axum::Extension(shared): axum::Extension<super::Shared>,
    crate::auth::Admin(caller): crate::auth::Admin,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<DeclaredQuery>,
    crate::extract::ApiJson(body): crate::extract::ApiJson<DeclaredBody>,
) -> crate::error::ApiResult<axum::Json<Value>> {
    use crate::error::ApiError;
    let sbox = shared.secrets()?;
    let mut list = Vec::with_capacity(body.integrations.len());
    for (k, e) in body.integrations.into_iter().enumerate() {
        if e.integration_type != q.ty {
            return Err(ApiError::invalid(
                format!("integrations[{k}].type"),
                format!("every entry must be of type `{}`", q.ty),
            ));
        }
        if e.name.trim().is_empty() {
            return Err(ApiError::invalid(
                format!("integrations[{k}].name"),
                "a declared integration needs a name",
            ));
        }
        list.push(DeclaredIntegration {
            name: e.name,
            integration_type: e.integration_type,
            config: e.config,
            enabled: e.enabled,
            tenant: Some(caller.tenant().to_string()),
        });
    }
    let ids = apply(
        &*state.store,
        sbox,
        &list,
        body.generation,
        (Some(caller.tenant()), Some(&q.ty), body.prune),
    )
    .await
    .map_err(|m| ApiError::BadRequest {
        code: "invalid_config",
        message: m,
        field: Some("integrations".into()),
    })?;
    for id in &ids {
        state.known_integrations.forget(caller.tenant(), id);
    }
    Ok(axum::Json(serde_json::json!({ "ids": ids })))
}
