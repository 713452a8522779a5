//! The multi-tenant store: PostgreSQL, possibly shared by several server
//! replicas. Event inserts go through the group-commit task (one transaction,
//! multi-row `UNNEST` statements, per batch); other calls use the pool.

mod admin;
mod events;
mod notify;
mod write;

#[cfg(all(test, feature = "testing"))]
pub(crate) use events::bind;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use painchain_core::{
    filter::Page,
    integration::Integration,
    team::{Project, Team},
    token::TokenInfo,
    Event, EventFilter, GroupBy, NewEvent,
};
use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    PgPool,
};

use crate::{
    requests::ConnectorRequest, writer::Writer, ConnectorType, DeclaredApply, DeclaredOutcome,
    EventPage, GroupCount, HistogramBucket, InsertOutcome, IntegrationEdit, IntegrationStatus,
    NewToken, RemoteEvents, Result, Store, StoreError,
};

/// `pg_advisory_xact_lock` key of config-as-code applies ("painchai").
const DECLARED_LOCK: i64 = 0x7061_696e_6368_6169;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Pool size: the writer holds one connection per batch, readers share the
/// rest. PostgreSQL gains nothing from more connections than it has cores
/// to serve them, and several replicas share its connection limit.
const MAX_CONNECTIONS: u32 = 16;

/// Concurrent group-commit writers: while one waits for its commit (the
/// server's fsync), the other sends its statements.
const WRITERS: usize = 2;

pub struct PgStore {
    pool: PgPool,
    writer: Writer,
    /// Random id of this store in the notices of new events, so
    /// [`Store::subscribe_remote`] can skip its own.
    origin: String,
}

impl PgStore {
    /// Connects and applies pending migrations. Safe when several processes
    /// start at once: sqlx serialises migrations with an advisory lock.
    pub async fn connect(url: &str) -> Result<Self> {
        let opts: PgConnectOptions = url.parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(
                opts.application_name("painchain")
                    // Plan every query with its actual values: a cached
                    // generic plan cannot tell a rare tag or word from a
                    // common one, and the two need opposite plans.
                    .options([("plan_cache_mode", "force_custom_plan")]),
            )
            .await?;
        MIGRATOR.run(&pool).await?;
        let origin = painchain_core::new_id();
        let writer = Writer::spawn(
            (0..WRITERS)
                .map(|_| write::PgWriter::new(pool.clone(), origin.clone()))
                .collect(),
        );
        Ok(PgStore {
            pool,
            writer,
            origin,
        })
    }
}

impl PgStore {
    #[cfg(test)]
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Errors a retry can cure: deadlock, serialization failure.
pub(crate) fn is_transient(e: &StoreError) -> bool {
    matches!(e, StoreError::Database(sqlx::Error::Database(db))
        if matches!(db.code().as_deref(), Some("40P01" | "40001")))
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn close(&self) {
        self.writer.shutdown().await;
        self.pool.close().await;
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn subscribe_remote(&self) -> Option<BoxStream<'static, RemoteEvents>> {
        Some(notify::subscribe(self.pool.clone(), self.origin.clone()).await)
    }

    async fn insert_event(&self, tenant: &str, event: NewEvent) -> Result<InsertOutcome> {
        self.writer
            .insert(tenant, vec![event], None)
            .await?
            .pop()
            .ok_or_else(|| StoreError::Corrupt("no outcome for the insert".into()))
    }

    async fn insert_events(
        &self,
        tenant: &str,
        events: Vec<NewEvent>,
    ) -> Result<Vec<InsertOutcome>> {
        self.writer.insert(tenant, events, None).await
    }

    async fn insert_events_with_cursor(
        &self,
        tenant: &str,
        events: Vec<NewEvent>,
        integration_id: &str,
        cursor: serde_json::Value,
    ) -> Result<Vec<InsertOutcome>> {
        self.writer
            .insert(tenant, events, Some((integration_id.to_string(), cursor)))
            .await
    }

    async fn get_event(&self, tenant: &str, id: &str) -> Result<Option<Event>> {
        events::get_event(&self.pool, tenant, id).await
    }

    async fn list_events(
        &self,
        tenant: &str,
        filter: &EventFilter,
        page: &Page,
    ) -> Result<EventPage> {
        events::list_events(&self.pool, tenant, filter, page).await
    }

    async fn count_events(&self, tenant: &str, filter: &EventFilter) -> Result<i64> {
        events::count_events(&self.pool, tenant, filter).await
    }

    async fn histogram(
        &self,
        tenant: &str,
        filter: &EventFilter,
        bucket_nanos: i64,
        group_by: GroupBy,
    ) -> Result<Vec<HistogramBucket>> {
        events::histogram(&self.pool, tenant, filter, bucket_nanos, group_by).await
    }

    async fn group_counts(
        &self,
        tenant: &str,
        filter: &EventFilter,
        group_by: GroupBy,
    ) -> Result<Vec<GroupCount>> {
        events::group_counts(&self.pool, tenant, filter, group_by).await
    }

    async fn time_span(
        &self,
        tenant: &str,
        filter: &EventFilter,
    ) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>> {
        events::time_span(&self.pool, tenant, filter).await
    }

    async fn list_projects(&self, tenant: &str) -> Result<Vec<Project>> {
        events::list_projects(&self.pool, tenant).await
    }

    async fn delete_events_before(&self, cutoff: DateTime<Utc>, batch: u32) -> Result<u64> {
        write::delete_before(&self.pool, cutoff, batch).await
    }

    async fn delete_integration_events(&self, tenant: &str, integration_id: &str) -> Result<u64> {
        write::delete_integration_events(&self.pool, tenant, integration_id).await
    }

    async fn list_teams(&self, tenant: &str) -> Result<Vec<Team>> {
        admin::list_teams(&self.pool, tenant).await
    }

    async fn get_team(&self, tenant: &str, id: &str) -> Result<Option<Team>> {
        admin::get_team(&self.pool, tenant, "id", id).await
    }

    async fn get_team_by_name(&self, tenant: &str, name: &str) -> Result<Option<Team>> {
        admin::get_team(&self.pool, tenant, "name", name).await
    }

    async fn create_team(&self, tenant: &str, name: &str, tags: &[String]) -> Result<Team> {
        admin::create_team(&self.pool, tenant, name, tags).await
    }

    async fn update_team(
        &self,
        tenant: &str,
        id: &str,
        name: Option<&str>,
        tags: Option<&[String]>,
    ) -> Result<Team> {
        admin::update_team(&self.pool, tenant, id, name, tags).await
    }

    async fn delete_team(&self, tenant: &str, id: &str) -> Result<bool> {
        admin::delete_team(&self.pool, tenant, id).await
    }

    async fn create_token(&self, token: &NewToken) -> Result<TokenInfo> {
        admin::create_token(&self.pool, token).await
    }

    async fn find_token(&self, secret_hash: &str) -> Result<Option<TokenInfo>> {
        let Some(info) = admin::find_token(&self.pool, secret_hash).await? else {
            return Ok(None);
        };
        if !crate::common::needs_touch(&info) {
            return Ok(Some(info));
        }
        admin::touch_token(&self.pool, info).await.map(Some)
    }

    async fn list_tokens(&self, tenant: Option<&str>) -> Result<Vec<TokenInfo>> {
        admin::list_tokens(&self.pool, tenant).await
    }

    async fn revoke_token(&self, tenant: Option<&str>, id: &str) -> Result<bool> {
        admin::revoke_token(&self.pool, tenant, id).await
    }

    async fn upsert_connector_type(&self, t: &ConnectorType) -> Result<()> {
        admin::upsert_connector_type(&self.pool, t).await
    }

    async fn list_connector_types(&self) -> Result<Vec<ConnectorType>> {
        admin::list_connector_types(&self.pool, None).await
    }

    async fn get_connector_type(&self, id: &str) -> Result<Option<ConnectorType>> {
        Ok(admin::list_connector_types(&self.pool, Some(id))
            .await?
            .pop())
    }

    async fn touch_connector_type(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
        admin::touch_connector_type(&self.pool, id, at).await
    }

    async fn create_integration(&self, i: &Integration) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let out = admin::create_integration(&mut tx, i).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn update_integration(&self, i: &Integration) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let out = admin::update_integration(&mut tx, i).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn edit_integration(
        &self,
        tenant: &str,
        id: &str,
        edit: &IntegrationEdit,
        if_version: Option<DateTime<Utc>>,
    ) -> Result<Integration> {
        let mut tx = self.pool.begin().await?;
        let out = admin::edit_integration(&mut tx, tenant, id, edit, if_version).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn apply_declared(&self, apply: &DeclaredApply<'_>) -> Result<DeclaredOutcome> {
        let mut tx = self.pool.begin().await?;
        // Every replica applies its config at startup: one at a time.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(DECLARED_LOCK)
            .execute(&mut *tx)
            .await?;
        let out = admin::apply_declared(&mut tx, apply).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn advance_integration_sync(
        &self,
        tenant: &str,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        admin::advance_integration_sync(&self.pool, tenant, id, at).await
    }

    async fn record_integration_sync(
        &self,
        tenant: &str,
        integration_id: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        admin::record_status_sync(&self.pool, tenant, integration_id, at).await
    }

    async fn get_integration(&self, tenant: &str, id: &str) -> Result<Option<Integration>> {
        Ok(
            admin::list_integrations(&self.pool, Some(tenant), None, Some(id))
                .await?
                .pop(),
        )
    }

    async fn get_integration_any_tenant(&self, id: &str) -> Result<Option<Integration>> {
        Ok(admin::list_integrations(&self.pool, None, None, Some(id))
            .await?
            .pop())
    }

    async fn list_integrations(
        &self,
        tenant: Option<&str>,
        type_filter: Option<&str>,
    ) -> Result<Vec<Integration>> {
        admin::list_integrations(&self.pool, tenant, type_filter, None).await
    }

    async fn delete_integration(&self, tenant: &str, id: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let out = admin::delete_integration(&mut tx, tenant, id).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn get_cursor(
        &self,
        tenant: &str,
        integration_id: &str,
    ) -> Result<Option<serde_json::Value>> {
        admin::get_cursor(&self.pool, tenant, integration_id).await
    }

    async fn put_cursor(
        &self,
        tenant: &str,
        integration_id: &str,
        cursor: &serde_json::Value,
    ) -> Result<()> {
        admin::put_cursor(&self.pool, tenant, integration_id, cursor).await
    }

    async fn get_integration_status(
        &self,
        tenant: &str,
        integration_id: &str,
    ) -> Result<Option<IntegrationStatus>> {
        admin::get_status(&self.pool, tenant, integration_id).await
    }

    async fn put_integration_status(
        &self,
        tenant: &str,
        integration_id: &str,
        status: &IntegrationStatus,
    ) -> Result<()> {
        admin::put_status(&self.pool, tenant, integration_id, status).await
    }

    async fn create_connector_request(&self, r: &ConnectorRequest) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        admin::create_connector_request(&mut conn, r).await
    }

    async fn claim_connector_requests(
        &self,
        tenant: Option<&str>,
        integration_type: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<ConnectorRequest>> {
        if !admin::any_open_request(&self.pool, integration_type, since).await? {
            return Ok(Vec::new());
        }
        admin::claim_connector_requests(&self.pool, tenant, integration_type, since).await
    }

    async fn answer_connector_request(
        &self,
        tenant: &str,
        integration_type: &str,
        id: &str,
        answer: std::result::Result<(), String>,
    ) -> Result<bool> {
        admin::answer_connector_request(&self.pool, tenant, integration_type, id, answer).await
    }

    async fn get_connector_request(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<ConnectorRequest>> {
        admin::get_connector_request(&self.pool, tenant, id).await
    }
}
