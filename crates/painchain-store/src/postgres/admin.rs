//! Teams, tokens, connector types and integrations on PostgreSQL.

use chrono::{DateTime, Utc};
use painchain_core::{
    integration::{config_tags, Integration},
    team::Team,
    token::TokenInfo,
};
use serde_json::Value;
use sqlx::{postgres::PgRow, PgConnection, PgPool, Row as _};

use crate::{
    codec::{from_nanos, nanos, opt_from_nanos, scope, strings},
    common::{is_unique_violation, needs_touch, TOUCH_INTERVAL},
    ConnectorType, IntegrationStatus, NewToken, Result, StoreError,
};

fn json_list(v: &[String]) -> Value {
    Value::from(v.to_vec())
}

// ---- teams ----

const TEAM_COLUMNS: &str = "id, tenant_id, name, tags, created_at, updated_at";

fn decode_team(r: &PgRow) -> Result<Team> {
    Ok(Team {
        id: r.try_get(0)?,
        tenant_id: r.try_get(1)?,
        name: r.try_get(2)?,
        tags: strings("team tags", r.try_get::<Value, _>(3)?)?,
        created_at: from_nanos(r.try_get(4)?),
        updated_at: from_nanos(r.try_get(5)?),
    })
}

fn team_conflict(e: sqlx::Error, name: &str) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Conflict(format!("a team named {name:?} already exists"))
    } else {
        e.into()
    }
}

pub(crate) async fn list_teams(pool: &PgPool, tenant: &str) -> Result<Vec<Team>> {
    let sql = format!(
        "SELECT {TEAM_COLUMNS} FROM teams WHERE tenant_id = $1 ORDER BY name COLLATE \"C\""
    );
    let rows = sqlx::query(&sql).bind(tenant).fetch_all(pool).await?;
    rows.iter().map(decode_team).collect()
}

/// `by` is a fixed column name (`id` or `name`), never user input.
pub(crate) async fn get_team(
    pool: &PgPool,
    tenant: &str,
    by: &str,
    value: &str,
) -> Result<Option<Team>> {
    let sql = format!("SELECT {TEAM_COLUMNS} FROM teams WHERE tenant_id = $1 AND {by} = $2");
    let row = sqlx::query(&sql)
        .bind(tenant)
        .bind(value)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(decode_team).transpose()
}

pub(crate) async fn create_team(
    pool: &PgPool,
    tenant: &str,
    name: &str,
    tags: &[String],
) -> Result<Team> {
    let now = Utc::now();
    let team = Team {
        id: painchain_core::new_id(),
        tenant_id: tenant.to_string(),
        name: name.to_string(),
        tags: tags.to_vec(),
        created_at: now,
        updated_at: now,
    };
    sqlx::query(&format!(
        "INSERT INTO teams ({TEAM_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $5)"
    ))
    .bind(&team.id)
    .bind(tenant)
    .bind(name)
    .bind(json_list(tags))
    .bind(nanos(now))
    .execute(pool)
    .await
    .map_err(|e| team_conflict(e, name))?;
    Ok(team)
}

pub(crate) async fn update_team(
    pool: &PgPool,
    tenant: &str,
    id: &str,
    name: Option<&str>,
    tags: Option<&[String]>,
) -> Result<Team> {
    let mut tx = pool.begin().await?;
    let sql =
        format!("SELECT {TEAM_COLUMNS} FROM teams WHERE tenant_id = $1 AND id = $2 FOR UPDATE");
    let row = sqlx::query(&sql)
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let mut team = row
        .as_ref()
        .map(decode_team)
        .transpose()?
        .ok_or(StoreError::NotFound)?;
    if let Some(name) = name {
        team.name = name.to_string();
    }
    if let Some(tags) = tags {
        team.tags = tags.to_vec();
    }
    team.updated_at = Utc::now();
    sqlx::query(
        "UPDATE teams SET name = $1, tags = $2, updated_at = $3 WHERE tenant_id = $4 AND id = $5",
    )
    .bind(&team.name)
    .bind(json_list(&team.tags))
    .bind(nanos(team.updated_at))
    .bind(tenant)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(|e| team_conflict(e, &team.name))?;
    tx.commit().await?;
    Ok(team)
}

pub(crate) async fn delete_team(pool: &PgPool, tenant: &str, id: &str) -> Result<bool> {
    let res = sqlx::query("DELETE FROM teams WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(res.rows_affected() > 0)
}

// ---- tokens ----

const TOKEN_COLUMNS: &str = "id, tenant_id, name, scope, prefix, created_at, last_used_at";

fn decode_token(r: &PgRow) -> Result<TokenInfo> {
    let s: String = r.try_get(3)?;
    Ok(TokenInfo {
        id: r.try_get(0)?,
        tenant_id: r.try_get(1)?,
        name: r.try_get(2)?,
        scope: scope(&s)?,
        prefix: r.try_get(4)?,
        created_at: from_nanos(r.try_get(5)?),
        last_used_at: opt_from_nanos(r.try_get(6)?),
    })
}

pub(crate) async fn create_token(pool: &PgPool, t: &NewToken) -> Result<TokenInfo> {
    sqlx::query(
        "INSERT INTO tokens (id, tenant_id, name, scope, prefix, secret_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&t.id)
    .bind(&t.tenant_id)
    .bind(&t.name)
    .bind(t.scope.as_str())
    .bind(&t.prefix)
    .bind(&t.secret_hash)
    .bind(nanos(t.created_at))
    .execute(pool)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict("token already exists".into())
        } else {
            e.into()
        }
    })?;
    Ok(TokenInfo {
        id: t.id.clone(),
        tenant_id: t.tenant_id.clone(),
        name: t.name.clone(),
        scope: t.scope,
        prefix: t.prefix.clone(),
        created_at: t.created_at,
        last_used_at: None,
    })
}

pub(crate) async fn find_token(pool: &PgPool, secret_hash: &str) -> Result<Option<TokenInfo>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE secret_hash = $1");
    let row = sqlx::query(&sql)
        .bind(secret_hash)
        .fetch_optional(pool)
        .await?;
    let Some(mut info) = row.as_ref().map(decode_token).transpose()? else {
        return Ok(None);
    };
    if needs_touch(&info) {
        // Conditional: of several replicas seeing the same stale value, the
        // first writes and the others match no row.
        let now = Utc::now();
        sqlx::query(
            "UPDATE tokens SET last_used_at = $1 WHERE id = $2 \
             AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(nanos(now))
        .bind(&info.id)
        .bind(nanos(now - TOUCH_INTERVAL))
        .execute(pool)
        .await?;
        info.last_used_at = Some(now);
    }
    Ok(Some(info))
}

pub(crate) async fn list_tokens(pool: &PgPool, tenant: Option<&str>) -> Result<Vec<TokenInfo>> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens WHERE ($1::text IS NULL OR tenant_id = $1) \
         ORDER BY created_at, id"
    );
    let rows = sqlx::query(&sql).bind(tenant).fetch_all(pool).await?;
    rows.iter().map(decode_token).collect()
}

pub(crate) async fn revoke_token(pool: &PgPool, tenant: Option<&str>, id: &str) -> Result<bool> {
    let res =
        sqlx::query("DELETE FROM tokens WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2)")
            .bind(id)
            .bind(tenant)
            .execute(pool)
            .await?;
    Ok(res.rows_affected() > 0)
}

// ---- connector types ----

pub(crate) async fn upsert_connector_type(pool: &PgPool, t: &ConnectorType) -> Result<()> {
    sqlx::query(
        "INSERT INTO connector_types (id, display_name, color, logo, description, config_schema, \
         registered_at, last_heartbeat) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name, \
         color = EXCLUDED.color, logo = EXCLUDED.logo, description = EXCLUDED.description, \
         config_schema = EXCLUDED.config_schema, registered_at = EXCLUDED.registered_at, \
         last_heartbeat = EXCLUDED.last_heartbeat",
    )
    .bind(&t.id)
    .bind(&t.display_name)
    .bind(&t.color)
    .bind(&t.logo)
    .bind(&t.description)
    .bind(&t.config_schema)
    .bind(nanos(t.registered_at))
    .bind(t.last_heartbeat.map(nanos))
    .execute(pool)
    .await?;
    Ok(())
}

pub(crate) async fn list_connector_types(
    pool: &PgPool,
    id: Option<&str>,
) -> Result<Vec<ConnectorType>> {
    let rows = sqlx::query(
        "SELECT id, display_name, color, logo, description, config_schema, registered_at, \
         last_heartbeat FROM connector_types WHERE ($1::text IS NULL OR id = $1) \
         ORDER BY id COLLATE \"C\"",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ConnectorType {
                id: r.try_get(0)?,
                display_name: r.try_get(1)?,
                color: r.try_get(2)?,
                logo: r.try_get(3)?,
                description: r.try_get(4)?,
                config_schema: r.try_get(5)?,
                registered_at: from_nanos(r.try_get(6)?),
                last_heartbeat: opt_from_nanos(r.try_get(7)?),
            })
        })
        .collect()
}

pub(crate) async fn touch_connector_type(pool: &PgPool, id: &str, at: DateTime<Utc>) -> Result<()> {
    let res = sqlx::query("UPDATE connector_types SET last_heartbeat = $1 WHERE id = $2")
        .bind(nanos(at))
        .bind(id)
        .execute(pool)
        .await?;
    if res.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

// ---- integrations ----

const INTEGRATION_COLUMNS: &str = "id, tenant_id, type, name, config, status, enabled, \
    managed_by, last_sync, registered_at, updated_at";

fn decode_integration(r: &PgRow) -> Result<Integration> {
    Ok(Integration {
        id: r.try_get(0)?,
        tenant_id: r.try_get(1)?,
        integration_type: r.try_get(2)?,
        name: r.try_get(3)?,
        config: r.try_get(4)?,
        status: r.try_get(5)?,
        enabled: r.try_get(6)?,
        managed_by: r.try_get(7)?,
        last_sync: opt_from_nanos(r.try_get(8)?),
        registered_at: from_nanos(r.try_get(9)?),
        updated_at: from_nanos(r.try_get(10)?),
    })
}

async fn replace_integration_tags(c: &mut PgConnection, i: &Integration) -> Result<()> {
    sqlx::query("DELETE FROM integration_tags WHERE integration_id = $1 AND tenant_id = $2")
        .bind(&i.id)
        .bind(&i.tenant_id)
        .execute(&mut *c)
        .await?;
    let tags = config_tags(&i.config);
    if !tags.is_empty() {
        sqlx::query(
            "INSERT INTO integration_tags (tenant_id, tag, integration_id) \
             SELECT $1, t, $2 FROM UNNEST($3::text[]) AS t ON CONFLICT DO NOTHING",
        )
        .bind(&i.tenant_id)
        .bind(&i.id)
        .bind(tags)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

pub(crate) async fn create_integration(pool: &PgPool, i: &Integration) -> Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query(&format!(
        "INSERT INTO integrations ({INTEGRATION_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&i.id)
    .bind(&i.tenant_id)
    .bind(&i.integration_type)
    .bind(&i.name)
    .bind(&i.config)
    .bind(&i.status)
    .bind(i.enabled)
    .bind(&i.managed_by)
    .bind(i.last_sync.map(nanos))
    .bind(nanos(i.registered_at))
    .bind(nanos(i.updated_at))
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(format!("integration {} already exists", i.id))
        } else {
            e.into()
        }
    })?;
    replace_integration_tags(&mut tx, i).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn update_integration(pool: &PgPool, i: &Integration) -> Result<()> {
    let mut tx = pool.begin().await?;
    let res = sqlx::query(
        "UPDATE integrations SET type = $1, name = $2, config = $3, status = $4, enabled = $5, \
         managed_by = $6, last_sync = $7, updated_at = $8 WHERE tenant_id = $9 AND id = $10",
    )
    .bind(&i.integration_type)
    .bind(&i.name)
    .bind(&i.config)
    .bind(&i.status)
    .bind(i.enabled)
    .bind(&i.managed_by)
    .bind(i.last_sync.map(nanos))
    .bind(nanos(i.updated_at))
    .bind(&i.tenant_id)
    .bind(&i.id)
    .execute(&mut *tx)
    .await?;
    if res.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    replace_integration_tags(&mut tx, i).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn list_integrations(
    pool: &PgPool,
    tenant: Option<&str>,
    type_filter: Option<&str>,
    id: Option<&str>,
) -> Result<Vec<Integration>> {
    let sql = format!(
        "SELECT {INTEGRATION_COLUMNS} FROM integrations WHERE ($1::text IS NULL OR tenant_id = $1) \
         AND ($2::text IS NULL OR type = $2) AND ($3::text IS NULL OR id = $3) \
         ORDER BY registered_at, id COLLATE \"C\""
    );
    let rows = sqlx::query(&sql)
        .bind(tenant)
        .bind(type_filter)
        .bind(id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(decode_integration).collect()
}

pub(crate) async fn delete_integration(pool: &PgPool, tenant: &str, id: &str) -> Result<bool> {
    let mut tx = pool.begin().await?;
    for sql in [
        "DELETE FROM integration_tags WHERE tenant_id = $1 AND integration_id = $2",
        "DELETE FROM integration_cursors WHERE tenant_id = $1 AND integration_id = $2",
        "DELETE FROM integration_status WHERE tenant_id = $1 AND integration_id = $2",
    ] {
        sqlx::query(sql)
            .bind(tenant)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let res = sqlx::query("DELETE FROM integrations WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(res.rows_affected() > 0)
}

pub(crate) async fn get_cursor(
    pool: &PgPool,
    tenant: &str,
    integration_id: &str,
) -> Result<Option<Value>> {
    Ok(sqlx::query_scalar(
        "SELECT cursor FROM integration_cursors WHERE tenant_id = $1 AND integration_id = $2",
    )
    .bind(tenant)
    .bind(integration_id)
    .fetch_optional(pool)
    .await?)
}

pub(crate) async fn put_cursor(
    pool: impl sqlx::PgExecutor<'_>,
    tenant: &str,
    integration_id: &str,
    cursor: &Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO integration_cursors (tenant_id, integration_id, cursor, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, integration_id) \
         DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = EXCLUDED.updated_at",
    )
    .bind(tenant)
    .bind(integration_id)
    .bind(cursor)
    .bind(nanos(Utc::now()))
    .execute(pool)
    .await?;
    Ok(())
}

pub(crate) async fn get_status(
    pool: &PgPool,
    tenant: &str,
    integration_id: &str,
) -> Result<Option<IntegrationStatus>> {
    let row = sqlx::query(
        "SELECT state, last_sync_at, last_error, events_collected, details, reported_at \
         FROM integration_status WHERE tenant_id = $1 AND integration_id = $2",
    )
    .bind(tenant)
    .bind(integration_id)
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(IntegrationStatus {
            state: r.try_get(0)?,
            last_sync_at: opt_from_nanos(r.try_get(1)?),
            last_error: r.try_get(2)?,
            events_collected: r.try_get(3)?,
            details: r.try_get(4)?,
            reported_at: opt_from_nanos(r.try_get(5)?),
        })
    })
    .transpose()
}

pub(crate) async fn put_status(
    pool: &PgPool,
    tenant: &str,
    integration_id: &str,
    s: &IntegrationStatus,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO integration_status (tenant_id, integration_id, state, last_sync_at, \
         last_error, events_collected, details, reported_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (tenant_id, integration_id) DO UPDATE SET state = EXCLUDED.state, \
         last_sync_at = EXCLUDED.last_sync_at, last_error = EXCLUDED.last_error, \
         events_collected = EXCLUDED.events_collected, details = EXCLUDED.details, \
         reported_at = EXCLUDED.reported_at",
    )
    .bind(tenant)
    .bind(integration_id)
    .bind(&s.state)
    .bind(s.last_sync_at.map(nanos))
    .bind(&s.last_error)
    .bind(s.events_collected)
    .bind(&s.details)
    .bind(s.reported_at.map(nanos))
    .execute(pool)
    .await?;
    Ok(())
}
