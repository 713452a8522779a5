//! Teams, tokens, connector types and integrations on SQLite. Writes take the
//! write connection (passed in), reads the read-only pool.

use chrono::{DateTime, Utc};
use painchain_core::{
    integration::{config_tags, Integration},
    team::Team,
    token::TokenInfo,
};
use sqlx::{sqlite::SqliteRow, Row as _, SqliteConnection, SqlitePool};

use super::immediate_tx;
use crate::{
    codec::{from_nanos, nanos, opt_from_nanos, parse_value, scope, strings, to_json},
    common::is_unique_violation,
    ConnectorType, IntegrationStatus, NewToken, Result, StoreError,
};

pub(crate) use crate::common::needs_touch;

// ---- teams ----

const TEAM_COLUMNS: &str = "id, tenant_id, name, tags, created_at, updated_at";

fn decode_team(r: &SqliteRow) -> Result<Team> {
    let tags: String = r.try_get(3)?;
    Ok(Team {
        id: r.try_get(0)?,
        tenant_id: r.try_get(1)?,
        name: r.try_get(2)?,
        tags: strings("team tags", parse_value("team tags", &tags)?)?,
        created_at: from_nanos(r.try_get(4)?),
        updated_at: from_nanos(r.try_get(5)?),
    })
}

pub(crate) async fn list_teams(pool: &SqlitePool, tenant: &str) -> Result<Vec<Team>> {
    let sql = format!("SELECT {TEAM_COLUMNS} FROM teams WHERE tenant_id = ? ORDER BY name");
    let rows = sqlx::query(&sql).bind(tenant).fetch_all(pool).await?;
    rows.iter().map(decode_team).collect()
}

/// `by` is a fixed column name (`id` or `name`), never user input.
pub(crate) async fn get_team(
    pool: &SqlitePool,
    tenant: &str,
    by: &str,
    value: &str,
) -> Result<Option<Team>> {
    let sql = format!("SELECT {TEAM_COLUMNS} FROM teams WHERE tenant_id = ? AND {by} = ?");
    let row = sqlx::query(&sql)
        .bind(tenant)
        .bind(value)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(decode_team).transpose()
}

pub(crate) async fn create_team(
    c: &mut SqliteConnection,
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
        "INSERT INTO teams ({TEAM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
    ))
    .bind(&team.id)
    .bind(tenant)
    .bind(name)
    .bind(to_json(tags))
    .bind(nanos(now))
    .bind(nanos(now))
    .execute(c)
    .await
    .map_err(|e| team_conflict(e, name))?;
    Ok(team)
}

fn team_conflict(e: sqlx::Error, name: &str) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Conflict(format!("a team named {name:?} already exists"))
    } else {
        e.into()
    }
}

pub(crate) async fn update_team(
    conn: &mut SqliteConnection,
    tenant: &str,
    id: &str,
    name: Option<&str>,
    tags: Option<&[String]>,
) -> Result<Team> {
    immediate_tx!(conn, |c| {
        let sql = format!("SELECT {TEAM_COLUMNS} FROM teams WHERE tenant_id = ? AND id = ?");
        let row = sqlx::query(&sql)
            .bind(tenant)
            .bind(id)
            .fetch_optional(&mut *c)
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
            "UPDATE teams SET name = ?, tags = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
        )
        .bind(&team.name)
        .bind(to_json(&team.tags))
        .bind(nanos(team.updated_at))
        .bind(tenant)
        .bind(id)
        .execute(&mut *c)
        .await
        .map_err(|e| team_conflict(e, &team.name))?;
        Ok(team)
    })
}

pub(crate) async fn delete_team(c: &mut SqliteConnection, tenant: &str, id: &str) -> Result<bool> {
    let res = sqlx::query("DELETE FROM teams WHERE tenant_id = ? AND id = ?")
        .bind(tenant)
        .bind(id)
        .execute(c)
        .await?;
    Ok(res.rows_affected() > 0)
}

// ---- tokens ----

const TOKEN_COLUMNS: &str = "id, tenant_id, name, scope, prefix, created_at, last_used_at";

fn decode_token(r: &SqliteRow) -> Result<TokenInfo> {
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

pub(crate) async fn create_token(c: &mut SqliteConnection, t: &NewToken) -> Result<TokenInfo> {
    sqlx::query(
        "INSERT INTO tokens (id, tenant_id, name, scope, prefix, secret_hash, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&t.id)
    .bind(&t.tenant_id)
    .bind(&t.name)
    .bind(t.scope.as_str())
    .bind(&t.prefix)
    .bind(&t.secret_hash)
    .bind(nanos(t.created_at))
    .execute(c)
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

pub(crate) async fn find_token(pool: &SqlitePool, secret_hash: &str) -> Result<Option<TokenInfo>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE secret_hash = ?");
    let row = sqlx::query(&sql)
        .bind(secret_hash)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(decode_token).transpose()
}

/// Records a use; conditional, so concurrent requests write at most once.
pub(crate) async fn touch_token(
    c: &mut SqliteConnection,
    mut info: TokenInfo,
) -> Result<TokenInfo> {
    let now = Utc::now();
    sqlx::query("UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)")
        .bind(nanos(now))
        .bind(&info.id)
        .bind(nanos(now - crate::common::TOUCH_INTERVAL))
        .execute(c)
        .await?;
    info.last_used_at = Some(now);
    Ok(info)
}

pub(crate) async fn list_tokens(pool: &SqlitePool, tenant: Option<&str>) -> Result<Vec<TokenInfo>> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens WHERE (? IS NULL OR tenant_id = ?) ORDER BY created_at, id"
    );
    let rows = sqlx::query(&sql)
        .bind(tenant)
        .bind(tenant)
        .fetch_all(pool)
        .await?;
    rows.iter().map(decode_token).collect()
}

pub(crate) async fn revoke_token(
    c: &mut SqliteConnection,
    tenant: Option<&str>,
    id: &str,
) -> Result<bool> {
    let res = sqlx::query("DELETE FROM tokens WHERE id = ? AND (? IS NULL OR tenant_id = ?)")
        .bind(id)
        .bind(tenant)
        .bind(tenant)
        .execute(c)
        .await?;
    Ok(res.rows_affected() > 0)
}

// ---- connector types ----

pub(crate) async fn upsert_connector_type(
    c: &mut SqliteConnection,
    t: &ConnectorType,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO connector_types (id, display_name, color, logo, description, config_schema, \
         registered_at, last_heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, \
         color = excluded.color, logo = excluded.logo, description = excluded.description, \
         config_schema = excluded.config_schema, registered_at = excluded.registered_at, \
         last_heartbeat = excluded.last_heartbeat",
    )
    .bind(&t.id)
    .bind(&t.display_name)
    .bind(&t.color)
    .bind(&t.logo)
    .bind(&t.description)
    .bind(to_json(&t.config_schema))
    .bind(nanos(t.registered_at))
    .bind(t.last_heartbeat.map(nanos))
    .execute(c)
    .await?;
    Ok(())
}

pub(crate) async fn list_connector_types(
    pool: &SqlitePool,
    id: Option<&str>,
) -> Result<Vec<ConnectorType>> {
    let rows = sqlx::query(
        "SELECT id, display_name, color, logo, description, config_schema, registered_at, \
         last_heartbeat FROM connector_types WHERE (? IS NULL OR id = ?) ORDER BY id",
    )
    .bind(id)
    .bind(id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let schema: String = r.try_get(5)?;
            Ok(ConnectorType {
                id: r.try_get(0)?,
                display_name: r.try_get(1)?,
                color: r.try_get(2)?,
                logo: r.try_get(3)?,
                description: r.try_get(4)?,
                config_schema: parse_value("config_schema", &schema)?,
                registered_at: from_nanos(r.try_get(6)?),
                last_heartbeat: opt_from_nanos(r.try_get(7)?),
            })
        })
        .collect()
}

pub(crate) async fn touch_connector_type(
    c: &mut SqliteConnection,
    id: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let res = sqlx::query("UPDATE connector_types SET last_heartbeat = ? WHERE id = ?")
        .bind(nanos(at))
        .bind(id)
        .execute(c)
        .await?;
    if res.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

// ---- integrations ----

const INTEGRATION_COLUMNS: &str =
    "id, tenant_id, type, name, config, status, enabled, managed_by, last_sync, registered_at, updated_at";

fn decode_integration(r: &SqliteRow) -> Result<Integration> {
    let config: String = r.try_get(4)?;
    Ok(Integration {
        id: r.try_get(0)?,
        tenant_id: r.try_get(1)?,
        integration_type: r.try_get(2)?,
        name: r.try_get(3)?,
        config: parse_value("integration config", &config)?,
        status: r.try_get(5)?,
        enabled: r.try_get(6)?,
        managed_by: r.try_get(7)?,
        last_sync: opt_from_nanos(r.try_get(8)?),
        registered_at: from_nanos(r.try_get(9)?),
        updated_at: from_nanos(r.try_get(10)?),
    })
}

async fn replace_integration_tags(c: &mut SqliteConnection, i: &Integration) -> Result<()> {
    sqlx::query("DELETE FROM integration_tags WHERE integration_id = ? AND tenant_id = ?")
        .bind(&i.id)
        .bind(&i.tenant_id)
        .execute(&mut *c)
        .await?;
    for tag in config_tags(&i.config) {
        sqlx::query("INSERT OR IGNORE INTO integration_tags (tenant_id, tag, integration_id) VALUES (?, ?, ?)")
            .bind(&i.tenant_id)
            .bind(tag)
            .bind(&i.id)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

pub(crate) async fn create_integration(conn: &mut SqliteConnection, i: &Integration) -> Result<()> {
    immediate_tx!(conn, |c| {
        sqlx::query(&format!(
            "INSERT INTO integrations ({INTEGRATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(&i.id)
        .bind(&i.tenant_id)
        .bind(&i.integration_type)
        .bind(&i.name)
        .bind(to_json(&i.config))
        .bind(&i.status)
        .bind(i.enabled)
        .bind(&i.managed_by)
        .bind(i.last_sync.map(nanos))
        .bind(nanos(i.registered_at))
        .bind(nanos(i.updated_at))
        .execute(&mut *c)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!("integration {} already exists", i.id))
            } else {
                e.into()
            }
        })?;
        replace_integration_tags(c, i).await
    })
}

pub(crate) async fn update_integration(conn: &mut SqliteConnection, i: &Integration) -> Result<()> {
    immediate_tx!(conn, |c| {
        let res = sqlx::query(
            "UPDATE integrations SET type = ?, name = ?, config = ?, status = ?, enabled = ?, \
             managed_by = ?, last_sync = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
        )
        .bind(&i.integration_type)
        .bind(&i.name)
        .bind(to_json(&i.config))
        .bind(&i.status)
        .bind(i.enabled)
        .bind(&i.managed_by)
        .bind(i.last_sync.map(nanos))
        .bind(nanos(i.updated_at))
        .bind(&i.tenant_id)
        .bind(&i.id)
        .execute(&mut *c)
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        replace_integration_tags(c, i).await
    })
}

pub(crate) async fn list_integrations(
    pool: &SqlitePool,
    tenant: Option<&str>,
    type_filter: Option<&str>,
    id: Option<&str>,
) -> Result<Vec<Integration>> {
    let sql = format!(
        "SELECT {INTEGRATION_COLUMNS} FROM integrations WHERE (? IS NULL OR tenant_id = ?) \
         AND (? IS NULL OR type = ?) AND (? IS NULL OR id = ?) ORDER BY registered_at, id"
    );
    let rows = sqlx::query(&sql)
        .bind(tenant)
        .bind(tenant)
        .bind(type_filter)
        .bind(type_filter)
        .bind(id)
        .bind(id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(decode_integration).collect()
}

pub(crate) async fn delete_integration(
    conn: &mut SqliteConnection,
    tenant: &str,
    id: &str,
) -> Result<bool> {
    immediate_tx!(conn, |c| {
        for sql in [
            "DELETE FROM integration_tags WHERE tenant_id = ? AND integration_id = ?",
            "DELETE FROM integration_cursors WHERE tenant_id = ? AND integration_id = ?",
            "DELETE FROM integration_status WHERE tenant_id = ? AND integration_id = ?",
        ] {
            sqlx::query(sql)
                .bind(tenant)
                .bind(id)
                .execute(&mut *c)
                .await?;
        }
        let res = sqlx::query("DELETE FROM integrations WHERE tenant_id = ? AND id = ?")
            .bind(tenant)
            .bind(id)
            .execute(&mut *c)
            .await?;
        Ok(res.rows_affected() > 0)
    })
}

pub(crate) async fn get_cursor(
    pool: &SqlitePool,
    tenant: &str,
    integration_id: &str,
) -> Result<Option<serde_json::Value>> {
    let s: Option<String> = sqlx::query_scalar(
        "SELECT cursor FROM integration_cursors WHERE tenant_id = ? AND integration_id = ?",
    )
    .bind(tenant)
    .bind(integration_id)
    .fetch_optional(pool)
    .await?;
    s.map(|s| parse_value("cursor", &s)).transpose()
}

pub(crate) async fn put_cursor(
    c: &mut SqliteConnection,
    tenant: &str,
    integration_id: &str,
    cursor: &serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO integration_cursors (tenant_id, integration_id, cursor, updated_at) \
         VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, integration_id) \
         DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
    )
    .bind(tenant)
    .bind(integration_id)
    .bind(to_json(cursor))
    .bind(nanos(Utc::now()))
    .execute(c)
    .await?;
    Ok(())
}

pub(crate) async fn get_status(
    pool: &SqlitePool,
    tenant: &str,
    integration_id: &str,
) -> Result<Option<IntegrationStatus>> {
    let row = sqlx::query(
        "SELECT state, last_sync_at, last_error, events_collected, details, reported_at \
         FROM integration_status WHERE tenant_id = ? AND integration_id = ?",
    )
    .bind(tenant)
    .bind(integration_id)
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        let details: String = r.try_get(4)?;
        Ok(IntegrationStatus {
            state: r.try_get(0)?,
            last_sync_at: opt_from_nanos(r.try_get(1)?),
            last_error: r.try_get(2)?,
            events_collected: r.try_get(3)?,
            details: parse_value("status details", &details)?,
            reported_at: opt_from_nanos(r.try_get(5)?),
        })
    })
    .transpose()
}

pub(crate) async fn put_status(
    c: &mut SqliteConnection,
    tenant: &str,
    integration_id: &str,
    s: &IntegrationStatus,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO integration_status (tenant_id, integration_id, state, last_sync_at, \
         last_error, events_collected, details, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (tenant_id, integration_id) DO UPDATE SET state = excluded.state, \
         last_sync_at = excluded.last_sync_at, last_error = excluded.last_error, \
         events_collected = excluded.events_collected, details = excluded.details, \
         reported_at = excluded.reported_at",
    )
    .bind(tenant)
    .bind(integration_id)
    .bind(&s.state)
    .bind(s.last_sync_at.map(nanos))
    .bind(&s.last_error)
    .bind(s.events_collected)
    .bind(to_json(&s.details))
    .bind(s.reported_at.map(nanos))
    .execute(c)
    .await?;
    Ok(())
}
