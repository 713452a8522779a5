//! The connector side of the HTTP API, with the retry rules in one place:
//! network errors, 5xx and 429 are retried with exponential backoff and
//! jitter (honouring `Retry-After`) until the runtime stops; 409 is success;
//! other 4xx on an event are logged with its externalId, counted and skipped.

use std::{
    fmt,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use painchain_core::NewEvent;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;

use crate::{
    connector::{ConnectorMetadata, IntegrationSpec},
    retry::{parse_retry_after, Backoff},
    source::Stopped,
};

/// Header by which connectors identify themselves (and their type): the
/// server uses it for liveness and, with auth off, to decide who may see
/// secrets (see the server's integrations module).
pub const CONNECTOR_HEADER: &str = "x-painchain-connector";

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the server: {0}")]
    Network(String),
    #[error("server answered {status}: {message}")]
    Http { status: u16, message: String },
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
}

impl ClientError {
    /// Worth retrying: the server may answer differently later.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Network(_) => true,
            ClientError::Http { status, .. } => *status >= 500 || *status == 429,
            ClientError::Decode(_) => false,
        }
    }
}

/// What became of the events of one `deliver` call.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PostOutcome {
    pub created: u64,
    pub duplicates: u64,
    /// Refused by the server (4xx other than 409/429): logged and skipped.
    pub invalid: u64,
}

impl PostOutcome {
    fn add(&mut self, o: PostOutcome) {
        self.created += o.created;
        self.duplicates += o.duplicates;
        self.invalid += o.invalid;
    }
}

/// Pending requests for a connector type, from the cheap control endpoint.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Control {
    /// Changes whenever an integration of the type is created, changed,
    /// enabled/disabled or deleted: refetch the list.
    #[serde(default)]
    pub generation: String,
    /// Integrations someone asked to sync now.
    #[serde(default)]
    pub sync: Vec<String>,
    #[serde(default)]
    pub tests: Vec<TestRequest>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestRequest {
    pub id: String,
    pub integration_id: String,
    /// Set by servers that hand out every tenant's tests.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

/// The body of `POST /api/integrations/:id/status`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub state: String,
    pub last_sync_at: Option<String>,
    pub last_error: Option<String>,
    pub events_collected: i64,
    #[serde(skip_serializing_if = "Value::is_null")]
    pub details: Value,
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Arc<str>,
    token: Option<Arc<str>>,
    connector_type: Arc<str>,
    max_backoff: Duration,
    base_backoff: Duration,
    /// Cleared when the server has no batch endpoint (the seed's).
    batch_supported: Arc<AtomicBool>,
    /// Cleared when the server cannot store events with their cursor.
    atomic_supported: Arc<AtomicBool>,
    /// Serve every tenant's integrations (an all-tenants token).
    all_tenants: bool,
}

/// Never prints the token.
impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("connector_type", &self.connector_type)
            .finish()
    }
}

/// Events per batch request, and a body size cap below the server's limits.
const BATCH_MAX_EVENTS: usize = 200;
const BATCH_MAX_BYTES: usize = 512 * 1024;

impl Client {
    /// `server` is the base URL; both `http://host:8000` and the seed's
    /// `http://host:8000/api` forms work.
    pub fn new(server: &str, token: Option<String>, connector_type: &str) -> Self {
        let base = server.trim_end_matches('/');
        let base = base.strip_suffix("/api").unwrap_or(base);
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("painchain-sdk/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("reqwest client");
        Client {
            http,
            base: base.into(),
            token: token.filter(|t| !t.is_empty()).map(Into::into),
            connector_type: connector_type.into(),
            max_backoff: Duration::from_secs(60),
            base_backoff: Duration::from_millis(500),
            batch_supported: Arc::new(AtomicBool::new(true)),
            atomic_supported: Arc::new(AtomicBool::new(true)),
            all_tenants: false,
        }
    }

    /// Lists and controls every tenant's integrations of the type (needs
    /// a token valid in every tenant, or a server with auth off).
    pub fn for_all_tenants(mut self, all: bool) -> Self {
        self.all_tenants = all;
        self
    }

    fn scope_query(&self, r: RequestBuilder) -> RequestBuilder {
        if self.all_tenants {
            r.query(&[("allTenants", "true")])
        } else {
            r
        }
    }

    /// Tunes retry delays (tests use milliseconds).
    pub fn with_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.base_backoff = base;
        self.max_backoff = max;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn connector_type(&self) -> &str {
        &self.connector_type
    }

    pub fn backoff(&self) -> Backoff {
        Backoff::new(self.base_backoff, self.max_backoff)
    }

    fn req(&self, method: Method, path: &str, tenant: Option<&str>) -> RequestBuilder {
        let mut r = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .header(CONNECTOR_HEADER, &*self.connector_type);
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        if let Some(t) = tenant {
            r = r.header("x-tenant-id", t);
        }
        r
    }

    async fn send(&self, r: RequestBuilder) -> Result<Response, ClientError> {
        r.send()
            .await
            .map_err(|e| ClientError::Network(without_url(&e)))
    }

    async fn expect_ok(&self, resp: Response) -> Result<Response, ClientError> {
        if resp.status().is_success() {
            Ok(resp)
        } else {
            let status = resp.status().as_u16();
            Err(ClientError::Http {
                status,
                message: error_message(resp).await,
            })
        }
    }

    /// One attempt at registering the type; the runtime retries.
    pub async fn register(&self, meta: &ConnectorMetadata) -> Result<(), ClientError> {
        let r = self
            .req(Method::POST, "/api/integrations/types/register", None)
            .json(meta);
        let resp = self.send(r).await?;
        self.expect_ok(resp).await.map(|_| ())
    }

    /// The integrations of this connector's type. Filtered again here
    /// because the seed's server ignores `?type=`.
    pub async fn list_integrations(&self) -> Result<Vec<IntegrationSpec>, ClientError> {
        let r = self.scope_query(
            self.req(Method::GET, "/api/integrations", None)
                .query(&[("type", &*self.connector_type)]),
        );
        let resp = self.expect_ok(self.send(r).await?).await?;
        let all: Vec<IntegrationSpec> = resp
            .json()
            .await
            .map_err(|e| ClientError::Decode(e.to_string()))?;
        Ok(all
            .into_iter()
            .filter(|i| {
                i.integration_type.is_empty() || *i.integration_type == *self.connector_type
            })
            .collect())
    }

    /// Applies a connector's config file through the server
    /// (`PUT /api/integrations/declared`): one implementation of config as
    /// code, in one transaction per tenant, upserting by type and name.
    /// Returns the ids in order. Servers without that route (the seed's)
    /// get the old one-by-one create/update.
    pub async fn apply_declared_all(
        &self,
        list: &[crate::config_file::Declared],
    ) -> Result<Vec<String>, ClientError> {
        let mut ids = vec![String::new(); list.len()];
        let mut tenants: Vec<Option<&str>> = list.iter().map(|d| d.tenant.as_deref()).collect();
        tenants.sort();
        tenants.dedup();
        for tenant in tenants {
            let group: Vec<usize> = (0..list.len())
                .filter(|&k| list[k].tenant.as_deref() == tenant)
                .collect();
            let body = serde_json::json!({
                "integrations": group.iter().map(|&k| {
                    let d = &list[k];
                    serde_json::json!({
                        "type": d.integration_type,
                        "name": d.name,
                        "config": d.config,
                        "enabled": d.enabled,
                    })
                }).collect::<Vec<_>>(),
            });
            let r = self
                .req(Method::PUT, "/api/integrations/declared", tenant)
                .query(&[("type", &*self.connector_type)])
                .json(&body);
            let resp = self.send(r).await?;
            if matches!(
                resp.status(),
                StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
            ) {
                for &k in &group {
                    ids[k] = self.apply_declared(&list[k]).await?;
                }
                continue;
            }
            let v: Value = self
                .expect_ok(resp)
                .await?
                .json()
                .await
                .map_err(|e| ClientError::Decode(e.to_string()))?;
            let got: Vec<String> = v
                .get("ids")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|x| x.as_str().unwrap_or_default().to_string())
                        .collect()
                })
                .unwrap_or_default();
            for (&k, id) in group.iter().zip(got) {
                ids[k] = id;
            }
        }
        Ok(ids)
    }

    /// Creates or updates (by type and name) an integration declared in a
    /// connector's config file; returns its id. For servers without
    /// `PUT /api/integrations/declared` only.
    pub async fn apply_declared(
        &self,
        d: &crate::config_file::Declared,
    ) -> Result<String, ClientError> {
        let tenant = d.tenant.as_deref();
        let r = self
            .req(Method::GET, "/api/integrations", tenant)
            .query(&[("type", &d.integration_type)]);
        let resp = self.expect_ok(self.send(r).await?).await?;
        let list: Vec<IntegrationSpec> = resp
            .json()
            .await
            .map_err(|e| ClientError::Decode(e.to_string()))?;
        let existing = list.into_iter().find(|i| {
            i.name == d.name
                && (i.integration_type.is_empty() || i.integration_type == d.integration_type)
        });
        let (method, path) = match &existing {
            Some(i) => (
                Method::PUT,
                format!("/api/integrations/{}", urlencode(&i.id)),
            ),
            None => (Method::POST, "/api/integrations".to_string()),
        };
        let body = serde_json::json!({
            "type": d.integration_type,
            "name": d.name,
            "config": d.config,
            "enabled": d.enabled,
        });
        let body = match method {
            // PUT refuses read-only fields it doesn't know; send the editable ones.
            Method::PUT => {
                serde_json::json!({"name": d.name, "config": d.config, "enabled": d.enabled})
            }
            _ => body,
        };
        let resp = self
            .send(self.req(method, &path, tenant).json(&body))
            .await?;
        let v: Value = self
            .expect_ok(resp)
            .await?
            .json()
            .await
            .map_err(|e| ClientError::Decode(e.to_string()))?;
        Ok(v.get("id")
            .and_then(Value::as_str)
            .map(String::from)
            .or(existing.map(|i| i.id))
            .unwrap_or_default())
    }

    /// Pending sync/test requests and the integrations' generation.
    /// `Ok(None)` when the server has no such endpoint (then the runtime
    /// just refetches periodically).
    pub async fn control(&self) -> Result<Option<Control>, ClientError> {
        let path = format!(
            "/api/integrations/types/{}/heartbeat",
            urlencode(&self.connector_type)
        );
        let resp = self
            .send(self.scope_query(self.req(Method::POST, &path, None)))
            .await?;
        if matches!(
            resp.status(),
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
        ) {
            return Ok(None);
        }
        let resp = self.expect_ok(resp).await?;
        resp.json()
            .await
            .map(Some)
            .map_err(|e| ClientError::Decode(e.to_string()))
    }

    pub async fn answer_test(
        &self,
        test: &TestRequest,
        result: &Result<(), String>,
    ) -> Result<(), ClientError> {
        let test_id = &test.id;
        let path = format!(
            "/api/integrations/types/{}/tests/{}",
            urlencode(&self.connector_type),
            urlencode(test_id)
        );
        let body = match result {
            Ok(()) => serde_json::json!({"ok": true}),
            Err(e) => serde_json::json!({"ok": false, "error": e}),
        };
        let resp = self
            .send(
                self.req(Method::POST, &path, test.tenant_id.as_deref())
                    .json(&body),
            )
            .await?;
        self.expect_ok(resp).await.map(|_| ())
    }

    /// The saved cursor; `None` when there is none yet.
    pub async fn get_cursor(&self, i: &IntegrationSpec) -> Result<Option<Value>, ClientError> {
        let path = format!("/api/integrations/{}/cursor", urlencode(&i.id));
        let resp = self
            .send(self.req(Method::GET, &path, i.tenant_id.as_deref()))
            .await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let v: Value = self
            .expect_ok(resp)
            .await?
            .json()
            .await
            .map_err(|e| ClientError::Decode(e.to_string()))?;
        // The server wraps it as {"cursor": ...}; accept a bare value too.
        let c = match v {
            Value::Object(mut m) if m.contains_key("cursor") => {
                m.remove("cursor").unwrap_or(Value::Null)
            }
            other => other,
        };
        Ok(Some(c).filter(|c| !c.is_null()))
    }

    pub async fn put_cursor(&self, i: &IntegrationSpec, cursor: &Value) -> Result<(), ClientError> {
        let path = format!("/api/integrations/{}/cursor", urlencode(&i.id));
        let r = self
            .req(Method::PUT, &path, i.tenant_id.as_deref())
            .json(&serde_json::json!({ "cursor": cursor }));
        let resp = self.send(r).await?;
        self.expect_ok(resp).await.map(|_| ())
    }

    pub async fn post_status(
        &self,
        i: &IntegrationSpec,
        s: &StatusReport,
    ) -> Result<(), ClientError> {
        let path = format!("/api/integrations/{}/status", urlencode(&i.id));
        let r = self
            .req(Method::POST, &path, i.tenant_id.as_deref())
            .json(s);
        let resp = self.send(r).await?;
        self.expect_ok(resp).await.map(|_| ())
    }

    /// Sends `make()` until the server answers something other than 5xx/429
    /// or a network error; sleeps with backoff (honouring `Retry-After`) in
    /// between. Gives up only when `stop` turns true. 401/403 are retried
    /// too (slowly, capped by the max backoff): skipping events because a
    /// token was revoked would lose them.
    pub async fn send_retrying(
        &self,
        what: &str,
        make: &(dyn Fn() -> RequestBuilder + Send + Sync),
        stop: &mut watch::Receiver<bool>,
    ) -> Result<Response, Stopped> {
        let mut backoff = self.backoff();
        loop {
            if *stop.borrow() {
                return Err(Stopped);
            }
            let (delay, why) = match make().send().await {
                Ok(resp) => {
                    let st = resp.status();
                    let retry = st.is_server_error()
                        || st == StatusCode::TOO_MANY_REQUESTS
                        || st == StatusCode::UNAUTHORIZED
                        || st == StatusCode::FORBIDDEN;
                    if !retry {
                        return Ok(resp);
                    }
                    let ra = resp
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after);
                    let msg = error_message(resp).await;
                    (backoff.delay_honouring(ra), format!("{st}: {msg}"))
                }
                Err(e) => (backoff.next_delay(), without_url(&e)),
            };
            tracing::warn!(
                what,
                attempt = backoff.attempts(),
                retry_in_ms = delay.as_millis() as u64,
                error = %why,
                "request failed; retrying"
            );
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = stop.wait_for(|s| *s) => return Err(Stopped),
            }
        }
    }

    /// Posts events for one integration: one `POST /api/events` for a
    /// single event, `/api/events/batch` chunks for a backlog (falling back
    /// to single posts against servers without the batch endpoint).
    pub async fn post_events(
        &self,
        i: &IntegrationSpec,
        events: &[NewEvent],
        stop: &mut watch::Receiver<bool>,
    ) -> Result<PostOutcome, Stopped> {
        let mut out = PostOutcome::default();
        if events.len() == 1 || !self.batch_supported.load(Ordering::Relaxed) {
            for e in events {
                out.add(self.post_one(i, e, stop).await?);
            }
            return Ok(out);
        }
        for chunk in chunks(events) {
            if chunk.len() == 1 {
                out.add(self.post_one(i, &chunk[0], stop).await?);
            } else {
                out.add(self.post_batch(i, chunk, stop).await?);
            }
        }
        Ok(out)
    }

    async fn post_one(
        &self,
        i: &IntegrationSpec,
        e: &NewEvent,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<PostOutcome, Stopped> {
        let make = || {
            self.req(Method::POST, "/api/events", i.tenant_id.as_deref())
                .json(e)
        };
        let resp = self.send_retrying("post event", &make, stop).await?;
        let st = resp.status();
        Ok(if st.is_success() {
            PostOutcome {
                created: 1,
                ..Default::default()
            }
        } else if st == StatusCode::CONFLICT {
            PostOutcome {
                duplicates: 1,
                ..Default::default()
            }
        } else {
            let reason = error_message(resp).await;
            tracing::warn!(
                integration = %i.id,
                external_id = e.external_id.as_deref().unwrap_or("-"),
                status = st.as_u16(),
                reason = %reason,
                "server refused event; skipping it"
            );
            PostOutcome {
                invalid: 1,
                ..Default::default()
            }
        })
    }

    /// Posts events with the cursor they lead to, the last chunk and the
    /// cursor in one request (`POST /api/integrations/:id/events`) that the
    /// server stores in one transaction. Earlier chunks of a backlog go
    /// first as plain batches (their externalIds make them safe to repeat).
    /// Returns whether the cursor was saved: not when the server can't do
    /// this (the seed's) or refused the request as a whole; the events are
    /// then posted the plain way and the caller saves the cursor.
    pub async fn post_with_cursor(
        &self,
        i: &IntegrationSpec,
        events: &[NewEvent],
        cursor: &Value,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<(PostOutcome, bool), Stopped> {
        if !self.atomic_supported.load(Ordering::Relaxed) {
            return Ok((self.post_events(i, events, stop).await?, false));
        }
        let all = chunks(events);
        let (last, earlier) = match all.split_last() {
            Some((last, earlier)) => (*last, earlier),
            None => (events, &[][..]),
        };
        let mut out = PostOutcome::default();
        for chunk in earlier {
            out.add(self.post_events(i, chunk, stop).await?);
        }
        let path = format!("/api/integrations/{}/events", urlencode(&i.id));
        let body = serde_json::json!({ "events": last, "cursor": cursor });
        let make = || {
            self.req(Method::POST, &path, i.tenant_id.as_deref())
                .json(&body)
        };
        let resp = self.send_retrying("post events", &make, stop).await?;
        let st = resp.status();
        if st.is_success() {
            out.add(batch_outcome(i, last, resp).await);
            return Ok((out, true));
        }
        let text = resp.text().await.unwrap_or_default();
        let parsed: Option<Value> = serde_json::from_str(&text).ok();
        let code = parsed
            .as_ref()
            .and_then(|v| v.pointer("/error/code")?.as_str());
        if matches!(st, StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED)
            && code != Some("unknown_integration")
        {
            // No such route: a server without atomic delivery.
            self.atomic_supported.store(false, Ordering::Relaxed);
        }
        let msg = parsed
            .as_ref()
            .and_then(|v| v.pointer("/error/message")?.as_str())
            .unwrap_or(&text);
        tracing::warn!(integration = %i.id, status = st.as_u16(), reason = %msg, "events with cursor refused; posting them separately");
        out.add(self.post_events(i, last, stop).await?);
        Ok((out, false))
    }

    async fn post_batch(
        &self,
        i: &IntegrationSpec,
        events: &[NewEvent],
        stop: &mut watch::Receiver<bool>,
    ) -> Result<PostOutcome, Stopped> {
        let make = || {
            self.req(Method::POST, "/api/events/batch", i.tenant_id.as_deref())
                .json(events)
        };
        let resp = self.send_retrying("post batch", &make, stop).await?;
        let st = resp.status();
        if matches!(st, StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED) {
            // The seed's server: no batch endpoint. Remember and go single.
            self.batch_supported.store(false, Ordering::Relaxed);
        }
        if !st.is_success() {
            // 404/405/413/400 on the batch as a whole: send one by one so a
            // single bad event can't hold back the rest.
            let mut out = PostOutcome::default();
            for e in events {
                out.add(self.post_one(i, e, stop).await?);
            }
            return Ok(out);
        }
        Ok(batch_outcome(i, events, resp).await)
    }
}

/// Counts a batch answer's per-item results, logging the refused items.
async fn batch_outcome(i: &IntegrationSpec, events: &[NewEvent], resp: Response) -> PostOutcome {
    #[derive(Deserialize)]
    struct Item {
        index: usize,
        status: String,
        #[serde(default)]
        error: Option<Value>,
    }
    #[derive(Deserialize)]
    struct BatchResp {
        #[serde(default)]
        results: Vec<Item>,
    }
    let body: BatchResp = match resp.json().await {
        Ok(b) => b,
        Err(e) => {
            // Accepted (2xx) but unreadable: the events are stored.
            tracing::warn!(integration = %i.id, error = %e, "unreadable batch answer");
            return PostOutcome {
                created: events.len() as u64,
                ..Default::default()
            };
        }
    };
    let mut out = PostOutcome::default();
    for item in body.results {
        match item.status.as_str() {
            "created" => out.created += 1,
            "duplicate" => out.duplicates += 1,
            _ => {
                out.invalid += 1;
                let ext = events
                    .get(item.index)
                    .and_then(|e| e.external_id.as_deref())
                    .unwrap_or("-");
                let reason = item.error.map(|e| e.to_string()).unwrap_or_default();
                tracing::warn!(
                    integration = %i.id,
                    external_id = ext,
                    reason = %reason,
                    "server refused event in batch; skipping it"
                );
            }
        }
    }
    out
}

/// Splits a backlog into batches bounded by count and body size.
fn chunks(events: &[NewEvent]) -> Vec<&[NewEvent]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (idx, e) in events.iter().enumerate() {
        let size = serde_json::to_vec(e).map(|v| v.len()).unwrap_or(0);
        if idx > start && (idx - start >= BATCH_MAX_EVENTS || bytes + size > BATCH_MAX_BYTES) {
            out.push(&events[start..idx]);
            start = idx;
            bytes = 0;
        }
        bytes += size;
    }
    if start < events.len() {
        out.push(&events[start..]);
    }
    out
}

/// The server's error message (`{"error": {"message"}}`), or the raw body.
async fn error_message(resp: Response) -> String {
    let text = resp.text().await.unwrap_or_default();
    let parsed: Option<Value> = serde_json::from_str(&text).ok();
    let msg = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("message"))
            .or_else(|| v.get("error"))
            .and_then(|m| m.as_str().map(String::from))
    });
    let mut s = msg.unwrap_or(text);
    s.truncate(500);
    s
}

/// reqwest errors print the URL; ours carry no secrets, but keep messages
/// short and uniform.
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(src) = std::error::Error::source(e) {
        s = format!("{s}: {src}");
    }
    s
}

fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_seed_style_base_urls() {
        assert_eq!(
            Client::new("http://h:8000/api/", None, "git").base_url(),
            "http://h:8000"
        );
        assert_eq!(
            Client::new("http://h:8000", None, "git").base_url(),
            "http://h:8000"
        );
    }

    #[test]
    fn debug_hides_the_token() {
        let c = Client::new("http://h", Some("pc_supersecret".into()), "git");
        assert!(!format!("{c:?}").contains("supersecret"));
    }

    #[test]
    fn chunks_by_count() {
        let e = NewEvent::new("t", "c", "p", chrono::Utc::now());
        let v = vec![e; 450];
        let c = chunks(&v);
        assert_eq!(
            c.iter().map(|c| c.len()).collect::<Vec<_>>(),
            vec![200, 200, 50]
        );
    }
}
