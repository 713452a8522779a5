//! Requests for running connectors — "sync now" and "test the connection" —
//! kept in the store until the type's connector claims them from its control
//! poll (`POST /api/integrations/types/:type/heartbeat`, every ~2 s). In the
//! store, so a request made on one replica reaches a connector polling
//! another, and a test's answer reaches the replica waiting for it.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use chrono::Utc;
use painchain_store::{ConnectorRequest, RequestKind, Store, StoreError};

/// A test not answered within this fails with `test_timeout`.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(10);
/// A sync request not claimed within this is dropped (the connector's own
/// schedule has run by then anyway).
const SYNC_TTL: Duration = Duration::from_secs(60);
/// How often a waiting test looks for its answer.
const ANSWER_POLL: Duration = Duration::from_millis(100);

fn request(tenant: &str, ty: &str, integration: &str, kind: RequestKind) -> ConnectorRequest {
    ConnectorRequest {
        id: painchain_core::new_id(),
        tenant_id: tenant.into(),
        integration_type: ty.into(),
        integration_id: integration.into(),
        kind,
        created_at: Utc::now(),
        claimed_at: None,
        answer: None,
    }
}

pub async fn request_sync(
    store: &dyn Store,
    tenant: &str,
    ty: &str,
    integration: &str,
) -> Result<(), StoreError> {
    store
        .create_connector_request(&request(tenant, ty, integration, RequestKind::Sync))
        .await
}

/// How a connection test ended, short of the connector's answer.
pub enum TestOutcome {
    Answered(Result<(), String>),
    /// No connector claimed it in time.
    NotClaimed,
    /// Claimed, but not answered in time.
    NoAnswer,
}

/// Queues a test and waits (up to [`TEST_TIMEOUT`]) for its answer.
pub async fn run_test(
    store: &dyn Store,
    tenant: &str,
    ty: &str,
    integration: &str,
) -> Result<TestOutcome, StoreError> {
    let r = request(tenant, ty, integration, RequestKind::Test);
    store.create_connector_request(&r).await?;
    let deadline = Instant::now() + TEST_TIMEOUT;
    loop {
        tokio::time::sleep(ANSWER_POLL).await;
        let now = store.get_connector_request(tenant, &r.id).await?;
        match now {
            Some(ConnectorRequest {
                answer: Some(a), ..
            }) => return Ok(TestOutcome::Answered(a)),
            Some(r) if Instant::now() >= deadline => {
                return Ok(if r.claimed_at.is_some() {
                    TestOutcome::NoAnswer
                } else {
                    TestOutcome::NotClaimed
                })
            }
            // Deleted (an hour old: can't happen within the wait), or waiting.
            None => return Ok(TestOutcome::NotClaimed),
            Some(_) => {}
        }
    }
}

/// What a control poll hands a connector.
#[derive(Default)]
pub struct Claimed {
    pub sync: Vec<String>,
    /// `(test id, tenant, integration)`.
    pub tests: Vec<(String, String, String)>,
}

/// Claims the pending requests of a type (one tenant's, or all tenants').
pub async fn claim(
    store: &dyn Store,
    tenant: Option<&str>,
    ty: &str,
) -> Result<Claimed, StoreError> {
    let now = Utc::now();
    let since = now - chrono::Duration::from_std(SYNC_TTL).unwrap_or_default();
    let test_since = now - chrono::Duration::from_std(TEST_TIMEOUT).unwrap_or_default();
    let mut out = Claimed::default();
    for r in store.claim_connector_requests(tenant, ty, since).await? {
        match r.kind {
            RequestKind::Sync if !out.sync.contains(&r.integration_id) => {
                out.sync.push(r.integration_id)
            }
            RequestKind::Sync => {}
            // Nobody waits for an older test any more.
            RequestKind::Test if r.created_at >= test_since => {
                out.tests.push((r.id, r.tenant_id, r.integration_id))
            }
            RequestKind::Test => {}
        }
    }
    Ok(out)
}

/// Last heartbeat written to the store per type, so connectors polling every
/// 2 s cost a write only every few seconds.
#[derive(Default)]
pub struct Heartbeats(Mutex<HashMap<String, Instant>>);

impl Heartbeats {
    /// Whether to write a heartbeat for `ty` now (at most every 5 s).
    pub fn should_touch(&self, ty: &str) -> bool {
        let mut t = self.0.lock().unwrap();
        match t.get(ty) {
            Some(at) if at.elapsed() < Duration::from_secs(5) => false,
            _ => {
                t.insert(ty.to_string(), Instant::now());
                true
            }
        }
    }
}
