//! Persistence behind one trait. `SqliteStore` (embedded, free tier) and
//! `PgStore` (multi-tenant tier, several replicas) implement [`Store`]; the
//! conformance suite in `tests/conformance.rs` runs against both.
//!
//! Every method takes the tenant explicitly: no query can cross tenants.
//!
//! - Open: [`SqliteStore::open`] (creates the file and its directory, WAL,
//!   migrations) or [`PgStore::connect`] (migrations under an advisory lock).
//! - Writes of events are group-committed (`writer.rs`): `insert_event`
//!   returns once its transaction is durable; `insert_events` is atomic.
//! - Reads are planned once for both SQL dialects (`read.rs`); totals, group
//!   counts and histograms come from rollup tables when the filter allows
//!   (`rollup.rs`).
//! - Tests of other crates: feature `testing` ([`testing::PgTestDb`],
//!   [`testing::TempSqlite`]).

mod admin;
mod batch;
mod codec;
mod common;
mod error;
mod event_reads;
mod fts;
pub mod model;
#[cfg(all(test, feature = "testing"))]
mod plan_tests;
mod postgres;
mod query;
mod read;
mod requests;
mod rollup;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;
mod writer;

pub use error::StoreError;
pub use model::*;
pub use postgres::PgStore;
pub use requests::{ConnectorRequest, RequestKind};
pub use sqlite::SqliteStore;

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

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Checks the database answers (for `/ready`).
    async fn ping(&self) -> Result<()>;
    /// Flushes pending writes and closes connections.
    async fn close(&self);
    /// Backend name for logs: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Notices of events committed by OTHER processes sharing the database
    /// (never this store's own inserts), for the live stream of several
    /// replicas. Listening has started when this returns. `None` when no
    /// other process writes (SQLite). Best effort: notices sent while the
    /// listener reconnects are lost. The stream ends when the store closes.
    async fn subscribe_remote(&self) -> Option<BoxStream<'static, RemoteEvents>> {
        None
    }

    // ---- events ----
    /// Stores one event durably, or reports the existing one with the same
    /// `(tenant, integrationId, externalId)`. Returns only once committed.
    async fn insert_event(&self, tenant: &str, event: NewEvent) -> Result<InsertOutcome>;
    /// Stores several events in one transaction; outcomes in input order.
    async fn insert_events(
        &self,
        tenant: &str,
        events: Vec<NewEvent>,
    ) -> Result<Vec<InsertOutcome>>;
    /// Like `insert_events`, and saves `cursor` as the integration's cursor
    /// in the same transaction: a connector's cursor never moves without
    /// its events, nor its events land without the cursor.
    async fn insert_events_with_cursor(
        &self,
        tenant: &str,
        events: Vec<NewEvent>,
        integration_id: &str,
        cursor: serde_json::Value,
    ) -> Result<Vec<InsertOutcome>>;
    async fn get_event(&self, tenant: &str, id: &str) -> Result<Option<Event>>;
    /// Newest first (`timestamp DESC, id DESC`), keyset-paginated.
    async fn list_events(
        &self,
        tenant: &str,
        filter: &EventFilter,
        page: &Page,
    ) -> Result<EventPage>;
    async fn count_events(&self, tenant: &str, filter: &EventFilter) -> Result<i64>;
    /// Counts per `(bucket start, group)`; `bucket_nanos` > 0.
    async fn histogram(
        &self,
        tenant: &str,
        filter: &EventFilter,
        bucket_nanos: i64,
        group_by: GroupBy,
    ) -> Result<Vec<HistogramBucket>>;
    /// Counts per group (project or connector) over the whole filter.
    async fn group_counts(
        &self,
        tenant: &str,
        filter: &EventFilter,
        group_by: GroupBy,
    ) -> Result<Vec<GroupCount>>;
    /// Time span of the matching events, for automatic histogram intervals.
    async fn time_span(
        &self,
        tenant: &str,
        filter: &EventFilter,
    ) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>>;
    async fn list_projects(&self, tenant: &str) -> Result<Vec<Project>>;
    /// Deletes up to `batch` events older than `cutoff`, across tenants;
    /// returns how many went. Called repeatedly by the retention task.
    async fn delete_events_before(&self, cutoff: DateTime<Utc>, batch: u32) -> Result<u64>;
    /// Deletes every event of one integration (`DELETE ...?purge=true`).
    async fn delete_integration_events(&self, tenant: &str, integration_id: &str) -> Result<u64>;

    // ---- teams ----
    async fn list_teams(&self, tenant: &str) -> Result<Vec<Team>>;
    async fn get_team(&self, tenant: &str, id: &str) -> Result<Option<Team>>;
    async fn get_team_by_name(&self, tenant: &str, name: &str) -> Result<Option<Team>>;
    /// `Conflict` when the name is taken in the tenant.
    async fn create_team(&self, tenant: &str, name: &str, tags: &[String]) -> Result<Team>;
    /// `NotFound` / `Conflict` as appropriate.
    async fn update_team(
        &self,
        tenant: &str,
        id: &str,
        name: Option<&str>,
        tags: Option<&[String]>,
    ) -> Result<Team>;
    async fn delete_team(&self, tenant: &str, id: &str) -> Result<bool>;

    // ---- tokens ----
    async fn create_token(&self, token: &NewToken) -> Result<TokenInfo>;
    /// Looks a token up by the SHA-256 hex of its secret; updates last use.
    async fn find_token(&self, secret_hash: &str) -> Result<Option<TokenInfo>>;
    /// `None` tenant lists every tenant's tokens (admin CLI).
    async fn list_tokens(&self, tenant: Option<&str>) -> Result<Vec<TokenInfo>>;
    async fn revoke_token(&self, tenant: Option<&str>, id: &str) -> Result<bool>;

    // ---- connector types ----
    async fn upsert_connector_type(&self, t: &ConnectorType) -> Result<()>;
    async fn list_connector_types(&self) -> Result<Vec<ConnectorType>>;
    async fn get_connector_type(&self, id: &str) -> Result<Option<ConnectorType>>;
    async fn touch_connector_type(&self, id: &str, at: DateTime<Utc>) -> Result<()>;

    // ---- integrations ----
    /// `config` is stored as given (the server encrypts secrets before).
    async fn create_integration(&self, i: &Integration) -> Result<()>;
    async fn update_integration(&self, i: &Integration) -> Result<()>;
    /// Changes only the fields `edit` sets and returns the row. Its
    /// `updated_at` is its version: it moves strictly forward on every edit,
    /// and with `if_version` the edit applies only if the row still has
    /// that version (`Conflict` otherwise). `NotFound` when missing.
    async fn edit_integration(
        &self,
        tenant: &str,
        id: &str,
        edit: &IntegrationEdit,
        if_version: Option<DateTime<Utc>>,
    ) -> Result<Integration>;
    /// Config as code, in one transaction (under an advisory lock on
    /// PostgreSQL, SQLite's writer lock): upserts each row by `(tenant,
    /// type, name)` as `managedBy: config` (an existing row keeps its id and
    /// cursor), then deletes the config-managed rows of the scope that are
    /// no longer declared. Rows last declared by a newer generation are
    /// left alone, so an old replica restarting mid-rollout undoes nothing.
    async fn apply_declared(&self, apply: &DeclaredApply<'_>) -> Result<DeclaredOutcome>;
    /// `last_sync = MAX(last_sync, at)`, nothing else; `false` when missing.
    async fn advance_integration_sync(
        &self,
        tenant: &str,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    /// A sync the server saw itself (webhook): the status's `lastSyncAt`
    /// moves forward to `at`; state and error stay what the connector said.
    async fn record_integration_sync(
        &self,
        tenant: &str,
        integration_id: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;
    async fn get_integration(&self, tenant: &str, id: &str) -> Result<Option<Integration>>;
    /// Looks an integration up by id alone (ids are unique across tenants),
    /// for callers that learn the tenant from the row: webhook deliveries,
    /// authenticated by the integration's own secret rather than a token.
    async fn get_integration_any_tenant(&self, id: &str) -> Result<Option<Integration>>;
    /// `None` tenant lists every tenant's (connector processes serving all).
    async fn list_integrations(
        &self,
        tenant: Option<&str>,
        type_filter: Option<&str>,
    ) -> Result<Vec<Integration>>;
    async fn delete_integration(&self, tenant: &str, id: &str) -> Result<bool>;
    async fn get_cursor(
        &self,
        tenant: &str,
        integration_id: &str,
    ) -> Result<Option<serde_json::Value>>;
    async fn put_cursor(
        &self,
        tenant: &str,
        integration_id: &str,
        cursor: &serde_json::Value,
    ) -> Result<()>;
    async fn get_integration_status(
        &self,
        tenant: &str,
        integration_id: &str,
    ) -> Result<Option<IntegrationStatus>>;
    /// Replaces the connector's report, except that `last_sync_at` never
    /// moves backwards (a webhook may have seen a later sync).
    async fn put_integration_status(
        &self,
        tenant: &str,
        integration_id: &str,
        status: &IntegrationStatus,
    ) -> Result<()>;

    // ---- requests for connectors ----
    /// Queues a request (and forgets those older than an hour).
    async fn create_connector_request(&self, r: &ConnectorRequest) -> Result<()>;
    /// Hands out, once, the unclaimed requests of a type created since
    /// `since`: of one tenant, or of all (`None`).
    async fn claim_connector_requests(
        &self,
        tenant: Option<&str>,
        integration_type: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<ConnectorRequest>>;
    /// Records a claimed test's result; `false` when there is no such
    /// claimed, unanswered test.
    async fn answer_connector_request(
        &self,
        tenant: &str,
        integration_type: &str,
        id: &str,
        answer: std::result::Result<(), String>,
    ) -> Result<bool>;
    async fn get_connector_request(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<ConnectorRequest>>;
}
