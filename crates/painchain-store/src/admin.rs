//! Teams, tokens, connector types, integrations (with their cursors and
//! statuses) and connector requests: the SQL, rows and binding both backends
//! share, written once.
//!
//! The SQL is the dialect both engines read: `$n` parameters (sqlx maps
//! `$n` to the n-th bound value on SQLite too), `ON CONFLICT`, `RETURNING`,
//! JSON bound as `serde_json::Value` (TEXT on SQLite, JSONB on PostgreSQL).
//! Lists are ordered in Rust, byte-wise, so the database's collation can't
//! make the two backends disagree.
//!
//! The functions that run the SQL come from [`admin_queries!`], expanded once
//! per backend: sqlx's binding needs a bound per bound type when generic,
//! and has no trait for `rows_affected`, while concrete types need none.
//! Each backend decides where they run (SQLite's write connection, a
//! PostgreSQL pool or transaction).

use painchain_core::{integration::Integration, team::Team, token::TokenInfo};
use serde_json::Value;
use sqlx::types::Json;

use crate::{
    codec::{from_nanos, opt_from_nanos, scope},
    common::is_unique_violation,
    ConnectorType, IntegrationStatus, Result, StoreError,
};

pub(crate) const TEAM_COLUMNS: &str = "id, tenant_id, name, tags, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct TeamRow {
    id: String,
    tenant_id: String,
    name: String,
    tags: Json<Vec<String>>,
    created_at: i64,
    updated_at: i64,
}

impl From<TeamRow> for Team {
    fn from(r: TeamRow) -> Self {
        Team {
            id: r.id,
            tenant_id: r.tenant_id,
            name: r.name,
            tags: r.tags.0,
            created_at: from_nanos(r.created_at),
            updated_at: from_nanos(r.updated_at),
        }
    }
}

pub(crate) fn team_conflict(e: sqlx::Error, name: &str) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Conflict(format!("a team named {name:?} already exists"))
    } else {
        e.into()
    }
}

pub(crate) fn teams(rows: Vec<TeamRow>) -> Vec<Team> {
    let mut teams: Vec<Team> = rows.into_iter().map(Team::from).collect();
    teams.sort_by(|a, b| a.name.cmp(&b.name));
    teams
}

pub(crate) const TOKEN_COLUMNS: &str =
    "id, tenant_id, name, scope, prefix, created_at, last_used_at, connector_type, expires_at";

#[derive(sqlx::FromRow)]
pub(crate) struct TokenRow {
    id: String,
    tenant_id: String,
    name: String,
    scope: String,
    prefix: String,
    created_at: i64,
    last_used_at: Option<i64>,
    connector_type: Option<String>,
    expires_at: Option<i64>,
}

impl TryFrom<TokenRow> for TokenInfo {
    type Error = StoreError;
    fn try_from(r: TokenRow) -> Result<Self> {
        Ok(TokenInfo {
            id: r.id,
            tenant_id: r.tenant_id,
            name: r.name,
            scope: scope(&r.scope)?,
            prefix: r.prefix,
            created_at: from_nanos(r.created_at),
            last_used_at: opt_from_nanos(r.last_used_at),
            connector: r.connector_type,
            expires_at: opt_from_nanos(r.expires_at),
        })
    }
}

pub(crate) fn tokens(rows: Vec<TokenRow>) -> Result<Vec<TokenInfo>> {
    let mut tokens = rows
        .into_iter()
        .map(TokenInfo::try_from)
        .collect::<Result<Vec<_>>>()?;
    tokens.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(tokens)
}

pub(crate) const CONNECTOR_TYPE_COLUMNS: &str = "id, display_name, color, logo, description, \
    config_schema, registered_at, last_heartbeat";

#[derive(sqlx::FromRow)]
pub(crate) struct ConnectorTypeRow {
    id: String,
    display_name: String,
    color: Option<String>,
    logo: Option<String>,
    description: Option<String>,
    config_schema: Value,
    registered_at: i64,
    last_heartbeat: Option<i64>,
}

pub(crate) fn connector_types(rows: Vec<ConnectorTypeRow>) -> Vec<ConnectorType> {
    let mut types: Vec<ConnectorType> = rows
        .into_iter()
        .map(|r| ConnectorType {
            id: r.id,
            display_name: r.display_name,
            color: r.color,
            logo: r.logo,
            description: r.description,
            config_schema: r.config_schema,
            registered_at: from_nanos(r.registered_at),
            last_heartbeat: opt_from_nanos(r.last_heartbeat),
        })
        .collect();
    types.sort_by(|a, b| a.id.cmp(&b.id));
    types
}

pub(crate) const INTEGRATION_COLUMNS: &str = "id, tenant_id, type, name, config, status, \
    enabled, managed_by, last_sync, registered_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct IntegrationRow {
    id: String,
    tenant_id: String,
    #[sqlx(rename = "type")]
    integration_type: String,
    name: String,
    config: Value,
    status: String,
    enabled: bool,
    managed_by: Option<String>,
    last_sync: Option<i64>,
    registered_at: i64,
    updated_at: i64,
}

pub(crate) fn integrations(rows: Vec<IntegrationRow>) -> Vec<Integration> {
    let mut list: Vec<Integration> = rows
        .into_iter()
        .map(|r| Integration {
            id: r.id,
            tenant_id: r.tenant_id,
            integration_type: r.integration_type,
            name: r.name,
            config: r.config,
            status: r.status,
            enabled: r.enabled,
            managed_by: r.managed_by,
            last_sync: opt_from_nanos(r.last_sync),
            registered_at: from_nanos(r.registered_at),
            updated_at: from_nanos(r.updated_at),
        })
        .collect();
    list.sort_by(|a, b| (a.registered_at, &a.id).cmp(&(b.registered_at, &b.id)));
    list
}

pub(crate) fn integration_conflict(e: sqlx::Error, id: &str) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Conflict(format!("integration {id} already exists"))
    } else {
        e.into()
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct StatusRow {
    state: String,
    last_sync_at: Option<i64>,
    last_error: Option<String>,
    events_collected: Option<i64>,
    details: Value,
    reported_at: Option<i64>,
}

impl From<StatusRow> for IntegrationStatus {
    fn from(r: StatusRow) -> Self {
        IntegrationStatus {
            state: r.state,
            last_sync_at: opt_from_nanos(r.last_sync_at),
            last_error: r.last_error,
            events_collected: r.events_collected,
            details: r.details,
            reported_at: opt_from_nanos(r.reported_at),
        }
    }
}

/// The functions running the shared SQL, for one backend: `$db` is
/// `sqlx::Sqlite` or `sqlx::Postgres`. Functions taking `db` run one
/// statement on whatever executor the backend passes (pool or connection);
/// those taking `c` run several and expect the caller to hold a transaction.
macro_rules! admin_queries {
    ($db:ty) => {
        use chrono::{DateTime, Utc};
        use painchain_core::{
            integration::{config_tags, Integration},
            team::Team,
            token::TokenInfo,
        };
        use serde_json::Value;
        use sqlx::{types::Json, Executor};

        use $crate::{
            admin::*,
            codec::nanos,
            common::TOUCH_INTERVAL,
            requests::{self, ConnectorRequest},
            ConnectorType, DeclaredApply, DeclaredOutcome, IntegrationEdit, IntegrationStatus,
            NewToken, Result, StoreError,
        };

        type Conn = <$db as sqlx::Database>::Connection;

        // ---- teams ----

        pub(crate) async fn list_teams<'e>(
            db: impl Executor<'e, Database = $db>,
            tenant: &str,
        ) -> Result<Vec<Team>> {
            let sql = format!("SELECT {TEAM_COLUMNS} FROM teams WHERE tenant_id = $1");
            let rows = sqlx::query_as(&sql).bind(tenant).fetch_all(db).await?;
            Ok(teams(rows))
        }

        /// `by` is a fixed column name (`id` or `name`), never user input.
        pub(crate) async fn get_team<'e>(
            db: impl Executor<'e, Database = $db>,
            tenant: &str,
            by: &str,
            value: &str,
        ) -> Result<Option<Team>> {
            let sql =
                format!("SELECT {TEAM_COLUMNS} FROM teams WHERE tenant_id = $1 AND {by} = $2");
            let row: Option<TeamRow> = sqlx::query_as(&sql)
                .bind(tenant)
                .bind(value)
                .fetch_optional(db)
                .await?;
            Ok(row.map(Team::from))
        }

        pub(crate) async fn create_team<'e>(
            db: impl Executor<'e, Database = $db>,
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
            let sql = format!("INSERT INTO teams ({TEAM_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $5)");
            sqlx::query(&sql)
                .bind(&team.id)
                .bind(tenant)
                .bind(name)
                .bind(Json(tags))
                .bind(nanos(now))
                .execute(db)
                .await
                .map_err(|e| team_conflict(e, name))?;
            Ok(team)
        }

        /// One statement, so it needs no transaction on either engine.
        pub(crate) async fn update_team<'e>(
            db: impl Executor<'e, Database = $db>,
            tenant: &str,
            id: &str,
            name: Option<&str>,
            tags: Option<&[String]>,
        ) -> Result<Team> {
            let sql = format!(
                "UPDATE teams SET name = COALESCE($1, name), tags = COALESCE($2, tags), \
                 updated_at = $3 WHERE tenant_id = $4 AND id = $5 RETURNING {TEAM_COLUMNS}"
            );
            let row: Option<TeamRow> = sqlx::query_as(&sql)
                .bind(name)
                .bind(tags.map(Json))
                .bind(nanos(Utc::now()))
                .bind(tenant)
                .bind(id)
                .fetch_optional(db)
                .await
                .map_err(|e| team_conflict(e, name.unwrap_or_default()))?;
            row.map(Team::from).ok_or(StoreError::NotFound)
        }

        pub(crate) async fn delete_team<'e>(
            db: impl Executor<'e, Database = $db>,
            tenant: &str,
            id: &str,
        ) -> Result<bool> {
            let res = sqlx::query("DELETE FROM teams WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(id)
                .execute(db)
                .await?;
            Ok(res.rows_affected() > 0)
        }

        // ---- tokens ----

        pub(crate) async fn create_token<'e>(
            db: impl Executor<'e, Database = $db>,
            t: &NewToken,
        ) -> Result<TokenInfo> {
            sqlx::query(
                "INSERT INTO tokens (id, tenant_id, name, scope, prefix, secret_hash, created_at, \
                 connector_type, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&t.id)
            .bind(&t.tenant_id)
            .bind(&t.name)
            .bind(t.scope.as_str())
            .bind(&t.prefix)
            .bind(&t.secret_hash)
            .bind(nanos(t.created_at))
            .bind(&t.connector)
            .bind(t.expires_at.map(nanos))
            .execute(db)
            .await
            .map_err(|e| {
                if $crate::common::is_unique_violation(&e) {
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
                connector: t.connector.clone(),
                expires_at: t.expires_at,
            })
        }

        pub(crate) async fn find_token<'e>(
            db: impl Executor<'e, Database = $db>,
            secret_hash: &str,
        ) -> Result<Option<TokenInfo>> {
            let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE secret_hash = $1");
            let row: Option<TokenRow> = sqlx::query_as(&sql)
                .bind(secret_hash)
                .fetch_optional(db)
                .await?;
            row.map(TokenInfo::try_from).transpose()
        }

        /// Records a use. Conditional: of several requests (or replicas)
        /// seeing the same stale value, the first writes and the others
        /// match no row.
        pub(crate) async fn touch_token<'e>(
            db: impl Executor<'e, Database = $db>,
            mut info: TokenInfo,
        ) -> Result<TokenInfo> {
            let now = Utc::now();
            sqlx::query(
                "UPDATE tokens SET last_used_at = $1 WHERE id = $2 \
                 AND (last_used_at IS NULL OR last_used_at < $3)",
            )
            .bind(nanos(now))
            .bind(&info.id)
            .bind(nanos(now - TOUCH_INTERVAL))
            .execute(db)
            .await?;
            info.last_used_at = Some(now);
            Ok(info)
        }

        pub(crate) async fn list_tokens<'e>(
            db: impl Executor<'e, Database = $db>,
            tenant: Option<&str>,
        ) -> Result<Vec<TokenInfo>> {
            let sql =
                format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE ($1 IS NULL OR tenant_id = $1)");
            tokens(sqlx::query_as(&sql).bind(tenant).fetch_all(db).await?)
        }

        pub(crate) async fn revoke_token<'e>(
            db: impl Executor<'e, Database = $db>,
            tenant: Option<&str>,
            id: &str,
        ) -> Result<bool> {
            let sql = "DELETE FROM tokens WHERE id = $1 AND ($2 IS NULL OR tenant_id = $2)";
            let res = sqlx::query(sql).bind(id).bind(tenant).execute(db).await?;
            Ok(res.rows_affected() > 0)
        }

        // ---- connector types ----

        pub(crate) async fn upsert_connector_type<'e>(
            db: impl Executor<'e, Database = $db>,
            t: &ConnectorType,
        ) -> Result<()> {
            let sql = format!(
                "INSERT INTO connector_types ({CONNECTOR_TYPE_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, \
                 color = excluded.color, logo = excluded.logo, description = excluded.description, \
                 config_schema = excluded.config_schema, registered_at = excluded.registered_at, \
                 last_heartbeat = excluded.last_heartbeat"
            );
            sqlx::query(&sql)
                .bind(&t.id)
                .bind(&t.display_name)
                .bind(&t.color)
                .bind(&t.logo)
                .bind(&t.description)
                .bind(&t.config_schema)
                .bind(nanos(t.registered_at))
                .bind(t.last_heartbeat.map(nanos))
                .execute(db)
                .await?;
            Ok(())
        }

        pub(crate) async fn list_connector_types<'e>(
            db: impl Executor<'e, Database = $db>,
            id: Option<&str>,
        ) -> Result<Vec<ConnectorType>> {
            let sql = format!(
                "SELECT {CONNECTOR_TYPE_COLUMNS} FROM connector_types WHERE ($1 IS NULL OR id = $1)"
            );
            let rows = sqlx::query_as(&sql).bind(id).fetch_all(db).await?;
            Ok(connector_types(rows))
        }

        pub(crate) async fn touch_connector_type<'e>(
            db: impl Executor<'e, Database = $db>,
            id: &str,
            at: DateTime<Utc>,
        ) -> Result<()> {
            let res = sqlx::query("UPDATE connector_types SET last_heartbeat = $1 WHERE id = $2")
                .bind(nanos(at))
                .bind(id)
                .execute(db)
                .await?;
            if res.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        }

        // ---- integrations ----

        async fn replace_integration_tags(c: &mut Conn, i: &Integration) -> Result<()> {
            replace_tags(c, &i.tenant_id, &i.id, &i.config).await
        }

        async fn replace_tags(c: &mut Conn, tenant: &str, id: &str, config: &Value) -> Result<()> {
            sqlx::query(
                "DELETE FROM integration_tags WHERE integration_id = $1 AND tenant_id = $2",
            )
            .bind(id)
            .bind(tenant)
            .execute(&mut *c)
            .await?;
            for tag in config_tags(config) {
                sqlx::query(
                    "INSERT INTO integration_tags (tenant_id, tag, integration_id) \
                     VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(tenant)
                .bind(tag)
                .bind(id)
                .execute(&mut *c)
                .await?;
            }
            Ok(())
        }

        /// In the caller's transaction.
        pub(crate) async fn create_integration(c: &mut Conn, i: &Integration) -> Result<()> {
            let sql = format!(
                "INSERT INTO integrations ({INTEGRATION_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            );
            sqlx::query(&sql)
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
                .execute(&mut *c)
                .await
                .map_err(|e| integration_conflict(e, &i.id))?;
            replace_integration_tags(c, i).await
        }

        /// In the caller's transaction.
        pub(crate) async fn update_integration(c: &mut Conn, i: &Integration) -> Result<()> {
            let res = sqlx::query(
                "UPDATE integrations SET type = $1, name = $2, config = $3, status = $4, \
                 enabled = $5, managed_by = $6, last_sync = $7, updated_at = $8 \
                 WHERE tenant_id = $9 AND id = $10",
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
            .execute(&mut *c)
            .await?;
            if res.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            replace_integration_tags(c, i).await
        }

        /// Changes only the fields `edit` sets, in one statement, and moves
        /// `updated_at` strictly forward: it is the row's version. With
        /// `if_version`, the row must still have that `updated_at`
        /// (optimistic concurrency): a lost race is `Conflict`, never a
        /// silent overwrite. In the caller's transaction.
        pub(crate) async fn edit_integration(
            c: &mut Conn,
            tenant: &str,
            id: &str,
            edit: &IntegrationEdit,
            if_version: Option<DateTime<Utc>>,
        ) -> Result<Integration> {
            let sql = format!(
                "UPDATE integrations SET name = COALESCE($1, name), \
                 config = COALESCE($2, config), enabled = COALESCE($3, enabled), \
                 updated_at = CASE WHEN updated_at >= $4 THEN updated_at + 1 ELSE $4 END \
                 WHERE tenant_id = $5 AND id = $6 AND ($7 IS NULL OR updated_at = $7) \
                 RETURNING {INTEGRATION_COLUMNS}"
            );
            let row: Option<IntegrationRow> = sqlx::query_as(&sql)
                .bind(&edit.name)
                .bind(&edit.config)
                .bind(edit.enabled)
                .bind(nanos(Utc::now()))
                .bind(tenant)
                .bind(id)
                .bind(if_version.map(nanos))
                .fetch_optional(&mut *c)
                .await?;
            let Some(i) = row.map(|r| integrations(vec![r]).remove(0)) else {
                let exists: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM integrations WHERE tenant_id = $1 AND id = $2",
                )
                .bind(tenant)
                .bind(id)
                .fetch_optional(&mut *c)
                .await?;
                return Err(match exists {
                    Some(_) => StoreError::Conflict(format!(
                        "integration {id} was changed by someone else since you loaded it \
                         (If-Match no longer matches): reload it and apply your change again"
                    )),
                    None => StoreError::NotFound,
                });
            };
            if edit.config.is_some() {
                replace_integration_tags(c, &i).await?;
            }
            Ok(i)
        }

        /// See `Store::apply_declared`; the caller holds the transaction
        /// and, on PostgreSQL, the advisory lock.
        pub(crate) async fn apply_declared(
            c: &mut Conn,
            a: &DeclaredApply<'_>,
        ) -> Result<DeclaredOutcome> {
            let now = nanos(Utc::now());
            let mut out = DeclaredOutcome::default();
            // A newer config was applied already (an old replica restarting
            // mid-rollout): this one changes nothing at all.
            let newest: Option<i64> = sqlx::query_scalar(
                "SELECT MAX(COALESCE(config_generation, 0)) FROM integrations \
                 WHERE managed_by = $3 AND ($1 IS NULL OR tenant_id = $1) \
                 AND ($2 IS NULL OR type = $2)",
            )
            .bind(a.scope_tenant)
            .bind(a.scope_type)
            .bind(a.managed_by)
            .fetch_one(&mut *c)
            .await?;
            if newest.is_some_and(|g| g > a.generation) {
                out.stale = true;
                return Ok(out);
            }
            for d in a.rows {
                // A managed row of that name first; else a hand-made one is
                // taken over (as before the unique index).
                let found: Option<(String, Option<String>, i64)> = sqlx::query_as(
                    "SELECT id, managed_by, COALESCE(config_generation, 0) FROM integrations \
                     WHERE tenant_id = $1 AND type = $2 AND name = $3 \
                     ORDER BY CASE WHEN managed_by IS NOT NULL THEN 0 ELSE 1 END, \
                     registered_at, id LIMIT 1",
                )
                .bind(&d.tenant_id)
                .bind(&d.integration_type)
                .bind(&d.name)
                .fetch_optional(&mut *c)
                .await?;
                let id = match found {
                    Some((id, Some(m), gen)) if m == a.managed_by && gen > a.generation => {
                        out.newer.push(id.clone());
                        id
                    }
                    Some((id, _, _)) => {
                        let config = (a.seal)(d, &id);
                        sqlx::query(
                            "UPDATE integrations SET config = $1, enabled = $2, \
                             managed_by = $7, config_generation = $3, \
                             updated_at = CASE WHEN updated_at >= $4 THEN updated_at + 1 ELSE $4 END \
                             WHERE tenant_id = $5 AND id = $6",
                        )
                        .bind(&config)
                        .bind(d.enabled)
                        .bind(a.generation)
                        .bind(now)
                        .bind(&d.tenant_id)
                        .bind(&id)
                        .bind(a.managed_by)
                        .execute(&mut *c)
                        .await?;
                        replace_tags(c, &d.tenant_id, &id, &config).await?;
                        id
                    }
                    None => {
                        let id = painchain_core::new_id();
                        let config = (a.seal)(d, &id);
                        let sql = format!(
                            "INSERT INTO integrations ({INTEGRATION_COLUMNS}, config_generation) \
                             VALUES ($1, $2, $3, $4, $5, 'active', $6, $9, NULL, $7, $7, $8)"
                        );
                        sqlx::query(&sql)
                            .bind(&id)
                            .bind(&d.tenant_id)
                            .bind(&d.integration_type)
                            .bind(&d.name)
                            .bind(&config)
                            .bind(d.enabled)
                            .bind(now)
                            .bind(a.generation)
                            .bind(a.managed_by)
                            .execute(&mut *c)
                            .await
                            .map_err(|e| integration_conflict(e, &id))?;
                        replace_tags(c, &d.tenant_id, &id, &config).await?;
                        out.created.push(id.clone());
                        id
                    }
                };
                out.ids.push(id);
            }
            if !a.prune {
                return Ok(out);
            }
            let managed: Vec<(String, String, String, i64)> = sqlx::query_as(
                "SELECT tenant_id, id, name, COALESCE(config_generation, 0) FROM integrations \
                 WHERE managed_by = $3 AND ($1 IS NULL OR tenant_id = $1) \
                 AND ($2 IS NULL OR type = $2)",
            )
            .bind(a.scope_tenant)
            .bind(a.scope_type)
            .bind(a.managed_by)
            .fetch_all(&mut *c)
            .await?;
            for (tenant, id, name, gen) in managed {
                if out.ids.contains(&id) {
                    continue;
                }
                if gen > a.generation {
                    out.newer.push(id);
                    continue;
                }
                delete_integration(c, &tenant, &id).await?;
                out.deleted.push((tenant, id, name));
            }
            Ok(out)
        }

        /// A connector's `{lastSync}`: moves forward only, touches nothing
        /// else (not the version: it is no edit). `false`: no such row.
        pub(crate) async fn advance_integration_sync<'e>(
            db: impl Executor<'e, Database = $db>,
            tenant: &str,
            id: &str,
            at: DateTime<Utc>,
        ) -> Result<bool> {
            let res = sqlx::query(
                "UPDATE integrations SET last_sync = CASE \
                 WHEN last_sync IS NULL OR last_sync < $1 THEN $1 ELSE last_sync END \
                 WHERE tenant_id = $2 AND id = $3",
            )
            .bind(nanos(at))
            .bind(tenant)
            .bind(id)
            .execute(db)
            .await?;
            Ok(res.rows_affected() > 0)
        }

        /// A sync seen by the server itself (an accepted webhook delivery):
        /// only `last_sync_at` moves (forward); the state, error and report
        /// time stay the connector's. A row nobody reported on yet is `ok`.
        pub(crate) async fn record_status_sync<'e>(
            db: impl Executor<'e, Database = $db>,
            tenant: &str,
            integration_id: &str,
            at: DateTime<Utc>,
        ) -> Result<()> {
            sqlx::query(
                "INSERT INTO integration_status (tenant_id, integration_id, state, last_sync_at) \
                 VALUES ($1, $2, 'ok', $3) \
                 ON CONFLICT (tenant_id, integration_id) DO UPDATE SET last_sync_at = CASE \
                 WHEN integration_status.last_sync_at IS NULL \
                 OR integration_status.last_sync_at < excluded.last_sync_at \
                 THEN excluded.last_sync_at ELSE integration_status.last_sync_at END",
            )
            .bind(tenant)
            .bind(integration_id)
            .bind(nanos(at))
            .execute(db)
            .await?;
            Ok(())
        }

        pub(crate) async fn list_integrations<'e>(
            db: impl Executor<'e, Database = $db>,
            tenant: Option<&str>,
            type_filter: Option<&str>,
            id: Option<&str>,
        ) -> Result<Vec<Integration>> {
            let sql = format!(
                "SELECT {INTEGRATION_COLUMNS} FROM integrations \
                 WHERE ($1 IS NULL OR tenant_id = $1) \
                 AND ($2 IS NULL OR type = $2) AND ($3 IS NULL OR id = $3)"
            );
            let rows = sqlx::query_as(&sql)
                .bind(tenant)
                .bind(type_filter)
                .bind(id)
                .fetch_all(db)
                .await?;
            Ok(integrations(rows))
        }

        /// In the caller's transaction.
        pub(crate) async fn delete_integration(
            c: &mut Conn,
            tenant: &str,
            id: &str,
        ) -> Result<bool> {
            for sql in [
                "DELETE FROM integration_tags WHERE tenant_id = $1 AND integration_id = $2",
                "DELETE FROM integration_cursors WHERE tenant_id = $1 AND integration_id = $2",
                "DELETE FROM integration_status WHERE tenant_id = $1 AND integration_id = $2",
            ] {
                sqlx::query(sql)
                    .bind(tenant)
                    .bind(id)
                    .execute(&mut *c)
                    .await?;
            }
            let res = sqlx::query("DELETE FROM integrations WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(id)
                .execute(&mut *c)
                .await?;
            Ok(res.rows_affected() > 0)
        }

        pub(crate) async fn get_cursor<'e>(
            db: impl Executor<'e, Database = $db>,
            tenant: &str,
            integration_id: &str,
        ) -> Result<Option<Value>> {
            Ok(sqlx::query_scalar(
                "SELECT cursor FROM integration_cursors \
                 WHERE tenant_id = $1 AND integration_id = $2",
            )
            .bind(tenant)
            .bind(integration_id)
            .fetch_optional(db)
            .await?)
        }

        pub(crate) async fn put_cursor<'e>(
            db: impl Executor<'e, Database = $db>,
            tenant: &str,
            integration_id: &str,
            cursor: &Value,
        ) -> Result<()> {
            sqlx::query(
                "INSERT INTO integration_cursors (tenant_id, integration_id, cursor, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, integration_id) \
                 DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
            )
            .bind(tenant)
            .bind(integration_id)
            .bind(cursor)
            .bind(nanos(Utc::now()))
            .execute(db)
            .await?;
            Ok(())
        }

        pub(crate) async fn get_status<'e>(
            db: impl Executor<'e, Database = $db>,
            tenant: &str,
            integration_id: &str,
        ) -> Result<Option<IntegrationStatus>> {
            let row: Option<StatusRow> = sqlx::query_as(
                "SELECT state, last_sync_at, last_error, events_collected, details, reported_at \
                 FROM integration_status WHERE tenant_id = $1 AND integration_id = $2",
            )
            .bind(tenant)
            .bind(integration_id)
            .fetch_optional(db)
            .await?;
            Ok(row.map(IntegrationStatus::from))
        }

        pub(crate) async fn put_status<'e>(
            db: impl Executor<'e, Database = $db>,
            tenant: &str,
            integration_id: &str,
            s: &IntegrationStatus,
        ) -> Result<()> {
            sqlx::query(
                "INSERT INTO integration_status (tenant_id, integration_id, state, last_sync_at, \
                 last_error, events_collected, details, reported_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (tenant_id, integration_id) DO UPDATE SET state = excluded.state, \
                 last_sync_at = CASE WHEN integration_status.last_sync_at IS NULL \
                 OR integration_status.last_sync_at < excluded.last_sync_at \
                 OR excluded.last_sync_at IS NULL \
                 THEN COALESCE(excluded.last_sync_at, integration_status.last_sync_at) \
                 ELSE integration_status.last_sync_at END, \
                 last_error = excluded.last_error, \
                 events_collected = excluded.events_collected, details = excluded.details, \
                 reported_at = excluded.reported_at",
            )
            .bind(tenant)
            .bind(integration_id)
            .bind(&s.state)
            .bind(s.last_sync_at.map(nanos))
            .bind(&s.last_error)
            .bind(s.events_collected)
            .bind(&s.details)
            .bind(s.reported_at.map(nanos))
            .execute(db)
            .await?;
            Ok(())
        }

        // ---- connector requests ----

        /// Drops requests older than [`requests::KEEP`], then queues `r`.
        pub(crate) async fn create_connector_request(
            c: &mut Conn,
            r: &ConnectorRequest,
        ) -> Result<()> {
            sqlx::query(requests::DELETE_OLD)
                .bind(nanos(Utc::now() - requests::KEEP))
                .execute(&mut *c)
                .await?;
            sqlx::query(requests::INSERT)
                .bind(&r.id)
                .bind(&r.tenant_id)
                .bind(&r.integration_type)
                .bind(&r.integration_id)
                .bind(r.kind.as_str())
                .bind(nanos(r.created_at))
                .execute(&mut *c)
                .await?;
            Ok(())
        }

        /// A cheap read, so idle control polls never take a write lock.
        pub(crate) async fn any_open_request<'e>(
            db: impl Executor<'e, Database = $db>,
            integration_type: &str,
            since: DateTime<Utc>,
        ) -> Result<bool> {
            let open = sqlx::query(requests::ANY_OPEN)
                .bind(integration_type)
                .bind(nanos(since))
                .fetch_optional(db)
                .await?;
            Ok(open.is_some())
        }

        pub(crate) async fn claim_connector_requests<'e>(
            db: impl Executor<'e, Database = $db>,
            tenant: Option<&str>,
            integration_type: &str,
            since: DateTime<Utc>,
        ) -> Result<Vec<ConnectorRequest>> {
            let rows: Vec<requests::Row> = sqlx::query_as(&requests::claim_sql())
                .bind(nanos(Utc::now()))
                .bind(integration_type)
                .bind(nanos(since))
                .bind(tenant)
                .fetch_all(db)
                .await?;
            Ok(rows.into_iter().map(Into::into).collect())
        }

        pub(crate) async fn answer_connector_request<'e>(
            db: impl Executor<'e, Database = $db>,
            tenant: &str,
            integration_type: &str,
            id: &str,
            answer: std::result::Result<(), String>,
        ) -> Result<bool> {
            let res = sqlx::query(requests::ANSWER)
                .bind(nanos(Utc::now()))
                .bind(answer.is_ok())
                .bind(answer.err())
                .bind(id)
                .bind(tenant)
                .bind(integration_type)
                .execute(db)
                .await?;
            Ok(res.rows_affected() > 0)
        }

        pub(crate) async fn get_connector_request<'e>(
            db: impl Executor<'e, Database = $db>,
            tenant: &str,
            id: &str,
        ) -> Result<Option<ConnectorRequest>> {
            let row: Option<requests::Row> = sqlx::query_as(&requests::get_sql())
                .bind(tenant)
                .bind(id)
                .fetch_optional(db)
                .await?;
            Ok(row.map(Into::into))
        }
    };
}
pub(crate) use admin_queries;
