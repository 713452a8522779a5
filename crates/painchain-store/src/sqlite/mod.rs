//! The embedded store: one SQLite file in WAL mode.
//!
//! Writes go through a single connection (SQLite allows one writer at a time
//! anyway): event inserts via the group-commit task, everything else via the
//! same connection behind an async mutex, so in-process writers queue in
//! FIFO order instead of spinning on SQLITE_BUSY. Reads use a separate pool
//! of read-only connections, which WAL lets run alongside the writer.

mod admin;
mod checkpoint;
mod events;
mod write;

#[cfg(all(test, feature = "testing"))]
pub(crate) use events::bind;

use std::{path::Path, sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use painchain_core::{
    filter::Page,
    integration::Integration,
    team::{Project, Team},
    token::TokenInfo,
    Event, EventFilter, GroupBy, NewEvent,
};
use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    ConnectOptions, Connection, SqliteConnection, SqlitePool,
};
use tokio::sync::{Mutex, MutexGuard};

use crate::{
    requests::ConnectorRequest, writer::Writer, ConnectorType, DeclaredApply, DeclaredOutcome,
    EventPage, GroupCount, HistogramBucket, InsertOutcome, IntegrationEdit, IntegrationStatus,
    NewToken, Result, Store, StoreError,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a connection waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Readers: two cores, so a handful of connections is plenty.
const READ_CONNECTIONS: u32 = 4;

/// The single write connection; `None` once the store is closed.
type WriteConn = Arc<Mutex<Option<SqliteConnection>>>;

pub struct SqliteStore {
    read: SqlitePool,
    write: WriteConn,
    writer: Writer,
    checkpointer: Mutex<Option<checkpoint::Checkpointer>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        }
        let base = SqliteConnectOptions::new()
            .filename(path)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            .pragma("temp_store", "memory")
            .pragma("mmap_size", "268435456");
        let mut conn = base
            .clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk before `insert_event` returns.
            .synchronous(SqliteSynchronous::Full)
            .pragma("cache_size", "-65536")
            .pragma("journal_size_limit", "67108864")
            // Checkpoints run in the background (see checkpoint.rs).
            .pragma("wal_autocheckpoint", "0")
            .connect()
            .await?;
        MIGRATOR.run(&mut conn).await?;
        // Fresh statistics let the planner pick the selective index.
        sqlx::query("PRAGMA optimize=0x10002")
            .execute(&mut conn)
            .await?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let checkpointer = checkpoint::Checkpointer::start(
            base.clone().synchronous(SqliteSynchronous::Full),
            wal.into(),
            checkpoint::TRUNCATE_ABOVE,
        )
        .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(READ_CONNECTIONS)
            .min_connections(1)
            .connect_with(
                base.read_only(true)
                    .pragma("cache_size", "-32768")
                    .optimize_on_close(false, None),
            )
            .await?;
        let write: WriteConn = Arc::new(Mutex::new(Some(conn)));
        let writer = Writer::spawn_on_own_thread(
            "painchain-sqlite-writer",
            vec![write::SqliteWriter::new(write.clone(), path)],
        )
        .map_err(sqlx::Error::Io)?;
        Ok(SqliteStore {
            read,
            write,
            writer,
            checkpointer: Mutex::new(Some(checkpointer)),
        })
    }

    #[cfg(test)]
    pub(crate) fn read_pool(&self) -> &SqlitePool {
        &self.read
    }

    /// The write connection, or `Closed`.
    async fn writer_conn(&self) -> Result<WriteGuard<'_>> {
        let guard = self.write.lock().await;
        if guard.is_none() {
            return Err(StoreError::Closed);
        }
        Ok(WriteGuard(guard))
    }
}

pub(crate) struct WriteGuard<'a>(MutexGuard<'a, Option<SqliteConnection>>);

impl std::ops::Deref for WriteGuard<'_> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        self.0.as_ref().expect("checked in writer_conn")
    }
}

impl std::ops::DerefMut for WriteGuard<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.0.as_mut().expect("checked in writer_conn")
    }
}

/// Runs `body` inside `BEGIN IMMEDIATE ... COMMIT` on the write connection:
/// IMMEDIATE takes the write lock up front, so a read-then-write transaction
/// can never fail half-way with SQLITE_BUSY.
macro_rules! immediate_tx {
    ($conn:expr, |$c:ident| $body:expr) => {{
        let $c: &mut sqlx::SqliteConnection = &mut *$conn;
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *$c).await?;
        let res: $crate::Result<_> = async { $body }.await;
        match res {
            Ok(v) => match sqlx::query("COMMIT").execute(&mut *$c).await {
                Ok(_) => Ok(v),
                Err(e) => {
                    let _ = sqlx::query("ROLLBACK").execute(&mut *$c).await;
                    Err($crate::StoreError::from(e))
                }
            },
            Err(e) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut *$c).await;
                Err(e)
            }
        }
    }};
}
pub(crate) use immediate_tx;

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    async fn close(&self) {
        self.writer.shutdown().await;
        if let Some(c) = self.checkpointer.lock().await.take() {
            c.stop().await;
        }
        self.read.close().await;
        if let Some(conn) = self.write.lock().await.take() {
            if let Err(e) = conn.close().await {
                tracing::warn!(error = %e, "closing the SQLite write connection");
            }
        }
    }

    fn backend(&self) -> &'static str {
        "sqlite"
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
        events::get_event(&self.read, tenant, id).await
    }

    async fn list_events(
        &self,
        tenant: &str,
        filter: &EventFilter,
        page: &Page,
    ) -> Result<EventPage> {
        events::list_events(&self.read, tenant, filter, page).await
    }

    async fn count_events(&self, tenant: &str, filter: &EventFilter) -> Result<i64> {
        events::count_events(&self.read, tenant, filter).await
    }

    async fn histogram(
        &self,
        tenant: &str,
        filter: &EventFilter,
        bucket_nanos: i64,
        group_by: GroupBy,
    ) -> Result<Vec<HistogramBucket>> {
        events::histogram(&self.read, tenant, filter, bucket_nanos, group_by).await
    }

    async fn group_counts(
        &self,
        tenant: &str,
        filter: &EventFilter,
        group_by: GroupBy,
    ) -> Result<Vec<GroupCount>> {
        events::group_counts(&self.read, tenant, filter, group_by).await
    }

    async fn time_span(
        &self,
        tenant: &str,
        filter: &EventFilter,
    ) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>> {
        events::time_span(&self.read, tenant, filter).await
    }

    async fn list_projects(&self, tenant: &str) -> Result<Vec<Project>> {
        events::list_projects(&self.read, tenant).await
    }

    async fn delete_events_before(&self, cutoff: DateTime<Utc>, batch: u32) -> Result<u64> {
        let mut conn = self.writer_conn().await?;
        write::delete_before(&mut conn, cutoff, batch).await
    }

    async fn delete_integration_events(&self, tenant: &str, integration_id: &str) -> Result<u64> {
        let mut conn = self.writer_conn().await?;
        write::delete_integration_events(&mut conn, tenant, integration_id).await
    }

    async fn list_teams(&self, tenant: &str) -> Result<Vec<Team>> {
        admin::list_teams(&self.read, tenant).await
    }

    async fn get_team(&self, tenant: &str, id: &str) -> Result<Option<Team>> {
        admin::get_team(&self.read, tenant, "id", id).await
    }

    async fn get_team_by_name(&self, tenant: &str, name: &str) -> Result<Option<Team>> {
        admin::get_team(&self.read, tenant, "name", name).await
    }

    async fn create_team(&self, tenant: &str, name: &str, tags: &[String]) -> Result<Team> {
        let mut conn = self.writer_conn().await?;
        admin::create_team(&mut *conn, tenant, name, tags).await
    }

    async fn update_team(
        &self,
        tenant: &str,
        id: &str,
        name: Option<&str>,
        tags: Option<&[String]>,
    ) -> Result<Team> {
        let mut conn = self.writer_conn().await?;
        admin::update_team(&mut *conn, tenant, id, name, tags).await
    }

    async fn delete_team(&self, tenant: &str, id: &str) -> Result<bool> {
        let mut conn = self.writer_conn().await?;
        admin::delete_team(&mut *conn, tenant, id).await
    }

    async fn create_token(&self, token: &NewToken) -> Result<TokenInfo> {
        let mut conn = self.writer_conn().await?;
        admin::create_token(&mut *conn, token).await
    }

    async fn find_token(&self, secret_hash: &str) -> Result<Option<TokenInfo>> {
        let Some(info) = admin::find_token(&self.read, secret_hash).await? else {
            return Ok(None);
        };
        if !crate::common::needs_touch(&info) {
            return Ok(Some(info));
        }
        let mut conn = self.writer_conn().await?;
        admin::touch_token(&mut *conn, info).await.map(Some)
    }

    async fn list_tokens(&self, tenant: Option<&str>) -> Result<Vec<TokenInfo>> {
        admin::list_tokens(&self.read, tenant).await
    }

    async fn revoke_token(&self, tenant: Option<&str>, id: &str) -> Result<bool> {
        let mut conn = self.writer_conn().await?;
        admin::revoke_token(&mut *conn, tenant, id).await
    }

    async fn upsert_connector_type(&self, t: &ConnectorType) -> Result<()> {
        let mut conn = self.writer_conn().await?;
        admin::upsert_connector_type(&mut *conn, t).await
    }

    async fn list_connector_types(&self) -> Result<Vec<ConnectorType>> {
        admin::list_connector_types(&self.read, None).await
    }

    async fn get_connector_type(&self, id: &str) -> Result<Option<ConnectorType>> {
        Ok(admin::list_connector_types(&self.read, Some(id))
            .await?
            .pop())
    }

    async fn touch_connector_type(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
        let mut conn = self.writer_conn().await?;
        admin::touch_connector_type(&mut *conn, id, at).await
    }

    async fn create_integration(&self, i: &Integration) -> Result<()> {
        let mut conn = self.writer_conn().await?;
        immediate_tx!(conn, |c| admin::create_integration(c, i).await)
    }

    async fn update_integration(&self, i: &Integration) -> Result<()> {
        let mut conn = self.writer_conn().await?;
        immediate_tx!(conn, |c| admin::update_integration(c, i).await)
    }

    async fn edit_integration(
        &self,
        tenant: &str,
        id: &str,
        edit: &IntegrationEdit,
        if_version: Option<DateTime<Utc>>,
    ) -> Result<Integration> {
        let mut conn = self.writer_conn().await?;
        immediate_tx!(conn, |c| admin::edit_integration(
            c, tenant, id, edit, if_version
        )
        .await)
    }

    async fn apply_declared(&self, apply: &DeclaredApply<'_>) -> Result<DeclaredOutcome> {
        let mut conn = self.writer_conn().await?;
        immediate_tx!(conn, |c| admin::apply_declared(c, apply).await)
    }

    async fn advance_integration_sync(
        &self,
        tenant: &str,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let mut conn = self.writer_conn().await?;
        admin::advance_integration_sync(&mut *conn, tenant, id, at).await
    }

    async fn record_integration_sync(
        &self,
        tenant: &str,
        integration_id: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut conn = self.writer_conn().await?;
        admin::record_status_sync(&mut *conn, tenant, integration_id, at).await
    }

    async fn get_integration(&self, tenant: &str, id: &str) -> Result<Option<Integration>> {
        Ok(
            admin::list_integrations(&self.read, Some(tenant), None, Some(id))
                .await?
                .pop(),
        )
    }

    async fn get_integration_any_tenant(&self, id: &str) -> Result<Option<Integration>> {
        Ok(admin::list_integrations(&self.read, None, None, Some(id))
            .await?
            .pop())
    }

    async fn list_integrations(
        &self,
        tenant: Option<&str>,
        type_filter: Option<&str>,
    ) -> Result<Vec<Integration>> {
        admin::list_integrations(&self.read, tenant, type_filter, None).await
    }

    async fn delete_integration(&self, tenant: &str, id: &str) -> Result<bool> {
        let mut conn = self.writer_conn().await?;
        immediate_tx!(conn, |c| admin::delete_integration(c, tenant, id).await)
    }

    async fn get_cursor(
        &self,
        tenant: &str,
        integration_id: &str,
    ) -> Result<Option<serde_json::Value>> {
        admin::get_cursor(&self.read, tenant, integration_id).await
    }

    async fn put_cursor(
        &self,
        tenant: &str,
        integration_id: &str,
        cursor: &serde_json::Value,
    ) -> Result<()> {
        let mut conn = self.writer_conn().await?;
        admin::put_cursor(&mut *conn, tenant, integration_id, cursor).await
    }

    async fn get_integration_status(
        &self,
        tenant: &str,
        integration_id: &str,
    ) -> Result<Option<IntegrationStatus>> {
        admin::get_status(&self.read, tenant, integration_id).await
    }

    async fn put_integration_status(
        &self,
        tenant: &str,
        integration_id: &str,
        status: &IntegrationStatus,
    ) -> Result<()> {
        let mut conn = self.writer_conn().await?;
        admin::put_status(&mut *conn, tenant, integration_id, status).await
    }

    async fn create_connector_request(&self, r: &ConnectorRequest) -> Result<()> {
        let mut conn = self.writer_conn().await?;
        admin::create_connector_request(&mut conn, r).await
    }

    async fn claim_connector_requests(
        &self,
        tenant: Option<&str>,
        integration_type: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<ConnectorRequest>> {
        if !admin::any_open_request(&self.read, integration_type, since).await? {
            return Ok(Vec::new());
        }
        let mut conn = self.writer_conn().await?;
        admin::claim_connector_requests(&mut *conn, tenant, integration_type, since).await
    }

    async fn answer_connector_request(
        &self,
        tenant: &str,
        integration_type: &str,
        id: &str,
        answer: std::result::Result<(), String>,
    ) -> Result<bool> {
        let mut conn = self.writer_conn().await?;
        admin::answer_connector_request(&mut *conn, tenant, integration_type, id, answer).await
    }

    async fn get_connector_request(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<ConnectorRequest>> {
        admin::get_connector_request(&self.read, tenant, id).await
    }
}
