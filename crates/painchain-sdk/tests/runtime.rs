//! The runtime against a fake PainChain server on 127.0.0.1: retry and
//! backoff honouring Retry-After, 409 as success, 4xx skipped, cursors
//! advanced only after acceptance, one failing integration not blocking
//! another, sync-now, graceful stop.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use async_trait::async_trait;
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use painchain_sdk::{
    Batch, Connector, ConnectorMetadata, IntegrationSpec, NewEvent, PollingSource, Runtime,
    RuntimeConfig, Source,
};
use serde_json::{json, Value};

#[derive(Default)]
struct Fake {
    integrations: Vec<Value>,
    /// Scripted answers for `POST /api/events`: (status, Retry-After).
    script: VecDeque<(u16, Option<&'static str>)>,
    /// Stored externalIds, in order.
    stored: Vec<String>,
    /// Every request, as "METHOD path [externalId]".
    log: Vec<(Instant, String)>,
    cursors: std::collections::HashMap<String, Value>,
    registered: u32,
    statuses: Vec<Value>,
    generation: u32,
    sync: Vec<String>,
    batch_calls: u32,
    /// Slows `POST /api/events` down (a post in flight at shutdown).
    delay: Duration,
    /// Serves `POST /api/integrations/:id/events` (events + cursor in one
    /// request); without it the route is missing, as on the seed's server.
    atomic: bool,
    /// Added (with a generation bump) right after the first listing: an
    /// integration created while the connector starts.
    created_after_first_list: Option<Value>,
}

type S = Arc<Mutex<Fake>>;

fn log(s: &S, line: String) {
    s.lock().unwrap().log.push((Instant::now(), line));
}

async fn register(State(s): State<S>, Json(_): Json<Value>) -> Json<Value> {
    s.lock().unwrap().registered += 1;
    Json(json!({"registered": true}))
}

async fn list(State(s): State<S>) -> Json<Value> {
    let mut f = s.lock().unwrap();
    let listed = Value::Array(f.integrations.clone());
    if let Some(i) = f.created_after_first_list.take() {
        f.integrations.push(i);
        f.generation += 1;
    }
    Json(listed)
}

async fn heartbeat(State(s): State<S>) -> Json<Value> {
    let mut f = s.lock().unwrap();
    let sync = std::mem::take(&mut f.sync);
    Json(json!({"generation": f.generation.to_string(), "sync": sync, "tests": []}))
}

async fn get_cursor(State(s): State<S>, Path(id): Path<String>) -> Json<Value> {
    Json(json!({"cursor": s.lock().unwrap().cursors.get(&id).cloned()}))
}

async fn put_cursor(
    State(s): State<S>,
    Path(id): Path<String>,
    Json(b): Json<Value>,
) -> StatusCode {
    log(&s, format!("PUT cursor {id} {}", b["cursor"]));
    s.lock().unwrap().cursors.insert(id, b["cursor"].clone());
    StatusCode::OK
}

async fn status(State(s): State<S>, Path(_id): Path<String>, Json(b): Json<Value>) -> StatusCode {
    s.lock().unwrap().statuses.push(b);
    StatusCode::NO_CONTENT
}

fn store_one(f: &mut Fake, ext: &str) -> u16 {
    if f.stored.iter().any(|e| e == ext) {
        409
    } else {
        f.stored.push(ext.to_string());
        201
    }
}

async fn post_event(State(s): State<S>, headers: HeaderMap, Json(e): Json<Value>) -> Response {
    let ext = e["externalId"].as_str().unwrap_or("").to_string();
    assert_eq!(headers.get("x-painchain-connector").unwrap(), "fake");
    log(&s, format!("POST event {ext}"));
    let delay = s.lock().unwrap().delay;
    tokio::time::sleep(delay).await;
    let mut f = s.lock().unwrap();
    if let Some((code, ra)) = f.script.pop_front() {
        if code != 201 {
            let mut r = (
                StatusCode::from_u16(code).unwrap(),
                Json(json!({"error": {"message": format!("scripted {code}")}})),
            )
                .into_response();
            if let Some(ra) = ra {
                r.headers_mut().insert("retry-after", ra.parse().unwrap());
            }
            return r;
        }
    }
    let code = store_one(&mut f, &ext);
    (
        StatusCode::from_u16(code).unwrap(),
        Json(json!({"event_id": ext})),
    )
        .into_response()
}

async fn post_batch(State(s): State<S>, Json(items): Json<Vec<Value>>) -> Json<Value> {
    log(&s, format!("POST batch {}", items.len()));
    let mut f = s.lock().unwrap();
    f.batch_calls += 1;
    let results: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let ext = e["externalId"].as_str().unwrap_or("");
            let st = if store_one(&mut f, ext) == 201 {
                "created"
            } else {
                "duplicate"
            };
            json!({"index": i, "status": st})
        })
        .collect();
    Json(json!({"results": results}))
}

async fn post_with_cursor(
    State(s): State<S>,
    Path(id): Path<String>,
    Json(b): Json<Value>,
) -> Response {
    if !s.lock().unwrap().atomic {
        return StatusCode::NOT_FOUND.into_response();
    }
    let items = b["events"].as_array().unwrap();
    log(
        &s,
        format!("POST events {id} {} cursor {}", items.len(), b["cursor"]),
    );
    let mut f = s.lock().unwrap();
    let results: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, e)| {
            assert!(e["integrationId"] == id, "events of this integration only");
            let st = match store_one(&mut f, e["externalId"].as_str().unwrap()) {
                201 => "created",
                _ => "duplicate",
            };
            json!({"index": i, "status": st})
        })
        .collect();
    f.cursors.insert(id, b["cursor"].clone());
    Json(json!({"results": results})).into_response()
}

async fn fake_server(f: Fake) -> (String, S) {
    let s: S = Arc::new(Mutex::new(f));
    let app = Router::new()
        .route("/api/integrations/types/register", post(register))
        .route("/api/integrations", get(list))
        .route("/api/integrations/types/{ty}/heartbeat", post(heartbeat))
        .route(
            "/api/integrations/{id}/cursor",
            get(get_cursor).put(put_cursor),
        )
        .route("/api/integrations/{id}/status", post(status))
        .route("/api/integrations/{id}/events", post(post_with_cursor))
        .route("/api/events", post(post_event))
        .route("/api/events/batch", post(post_batch))
        .with_state(s.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (format!("http://{addr}/api"), s)
}

/// A connector whose integrations produce `config.count` events
/// (`<id>-0`, `<id>-1`, ...), `config.perPoll` at a time, cursor = next
/// index. `config.fail: true` makes every poll fail.
struct FakeConnector;

struct Counter {
    id: String,
    count: u64,
    per_poll: u64,
    fail: bool,
    /// Every poll finds one new event, forever.
    growing: bool,
}

#[async_trait]
impl PollingSource for Counter {
    async fn poll(&mut self, cursor: Option<Value>) -> anyhow::Result<Batch> {
        if self.fail {
            anyhow::bail!("upstream says no");
        }
        let from = cursor.and_then(|c| c.as_u64()).unwrap_or(0);
        if self.growing {
            self.count = from + 1;
        }
        let to = (from + self.per_poll).min(self.count);
        let events = (from..to)
            .map(|i| {
                let mut e = NewEvent::new(format!("e{i}"), "fake", "p", chrono::Utc::now());
                e.external_id = Some(format!("{}-{i}", self.id));
                e
            })
            .collect();
        Ok(Batch {
            events,
            next_cursor: Some(json!(to)),
            more: to < self.count,
        })
    }
}

#[async_trait]
impl Connector for FakeConnector {
    fn metadata(&self) -> ConnectorMetadata {
        ConnectorMetadata {
            id: "fake".into(),
            display_name: "Fake".into(),
            color: None,
            logo: None,
            description: None,
            config_schema: json!({"fields": []}),
        }
    }
    async fn test_connection(&self, _: &IntegrationSpec) -> Result<(), String> {
        Ok(())
    }
    fn source(&self, i: &IntegrationSpec) -> anyhow::Result<Source> {
        Ok(Source::polling(Counter {
            id: i.id.clone(),
            count: i.config["count"].as_u64().unwrap_or(0),
            per_poll: i.config["perPoll"].as_u64().unwrap_or(1),
            fail: i.config["fail"].as_bool().unwrap_or(false),
            growing: i.config["growing"].as_bool().unwrap_or(false),
        }))
    }
}

fn integration(id: &str, config: Value) -> Value {
    json!({"id": id, "type": "fake", "name": id, "config": config})
}

fn cfg(server: &str) -> RuntimeConfig {
    let mut c = RuntimeConfig::new(server, Some("pc_secret_token".into()));
    c.control_every = Duration::from_millis(100);
    c.refresh_every = Duration::from_secs(2);
    c.status_every = Duration::from_millis(300);
    c.backoff_base = Duration::from_millis(20);
    c.backoff_max = Duration::from_secs(5);
    c.register_timeout = Duration::from_secs(5);
    c
}

/// Runs the runtime until `done` holds (or 20 s), then stops it.
async fn run_until(server: &str, s: &S, done: impl Fn(&Fake) -> bool) {
    run_until_then(server, s, done, |_| {}).await
}

/// Like `run_until`, calling `on_done` just before stopping.
async fn run_until_then(
    server: &str,
    s: &S,
    done: impl Fn(&Fake) -> bool,
    on_done: impl FnOnce(&mut Fake),
) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let rt = Runtime::new(Arc::new(FakeConnector), cfg(server));
    let h = tokio::spawn(rt.run(async {
        let _ = rx.await;
    }));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(&s.lock().unwrap()) {
        assert!(
            Instant::now() < deadline,
            "timed out; log: {:?}",
            s.lock().unwrap().log
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    on_done(&mut s.lock().unwrap());
    let _ = tx.send(());
    tokio::time::timeout(Duration::from_secs(15), h)
        .await
        .expect("runtime stops")
        .unwrap()
        .unwrap();
}

fn cursor_of(f: &Fake, id: &str) -> Option<u64> {
    f.cursors.get(id).and_then(|c| c.as_u64())
}

#[tokio::test]
async fn events_and_their_cursor_travel_in_one_request() {
    let (url, s) = fake_server(Fake {
        integrations: vec![integration("a", json!({"count": 250, "perPoll": 250}))],
        atomic: true,
        ..Default::default()
    })
    .await;
    run_until(&url, &s, |f| cursor_of(f, "a") == Some(250)).await;
    let f = s.lock().unwrap();
    assert_eq!(f.stored.len(), 250);
    let lines: Vec<&str> = f.log.iter().map(|(_, l)| l.as_str()).collect();
    // The backlog's first chunk as a plain batch, the last with the cursor.
    assert_eq!(lines, ["POST batch 200", "POST events a 50 cursor 250"]);
}

#[tokio::test]
async fn retries_honouring_retry_after_and_advances_cursor_only_after_acceptance() {
    let (url, s) = fake_server(Fake {
        integrations: vec![integration("a", json!({"count": 1}))],
        script: VecDeque::from([(503, Some("1")), (429, Some("1"))]),
        ..Default::default()
    })
    .await;
    run_until(&url, &s, |f| cursor_of(f, "a") == Some(1)).await;
    let f = s.lock().unwrap();
    assert_eq!(f.stored, vec!["a-0"]);
    let posts: Vec<&(Instant, String)> = f
        .log
        .iter()
        .filter(|(_, l)| l.starts_with("POST event"))
        .collect();
    assert_eq!(posts.len(), 3, "two refusals then success: {:?}", f.log);
    // Retry-After: 1 s each, although our own backoff would be ~20-40 ms.
    assert!(posts[1].0 - posts[0].0 >= Duration::from_millis(950));
    assert!(posts[2].0 - posts[1].0 >= Duration::from_millis(950));
    // The cursor moved once, after the accepted post.
    let put = f
        .log
        .iter()
        .position(|(_, l)| l.starts_with("PUT cursor a"))
        .unwrap();
    let accepted = f
        .log
        .iter()
        .rposition(|(_, l)| l.starts_with("POST event"))
        .unwrap();
    assert!(put > accepted);
    assert_eq!(f.registered, 1);
    assert!(
        f.statuses
            .iter()
            .any(|s| s["state"] == "ok" && s["eventsCollected"] == 1),
        "{:?}",
        f.statuses
    );
}

#[tokio::test]
async fn conflict_is_success_and_other_4xx_are_skipped() {
    let (url, s) = fake_server(Fake {
        integrations: vec![integration("a", json!({"count": 3}))],
        // The first event is refused for good; then retries must not loop.
        script: VecDeque::from([(400, None)]),
        stored: vec!["a-1".into()], // already there → 409
        ..Default::default()
    })
    .await;
    run_until(&url, &s, |f| cursor_of(f, "a") == Some(3)).await;
    let f = s.lock().unwrap();
    let posted: Vec<&String> = f
        .log
        .iter()
        .map(|(_, l)| l)
        .filter(|l| l.starts_with("POST event"))
        .collect();
    assert_eq!(posted.len(), 3, "each event posted once: {posted:?}");
    assert_eq!(f.stored, vec!["a-1", "a-2"]);
    let last = f.statuses.last().unwrap();
    assert_eq!(last["details"]["skipped"], 1);
    assert_eq!(last["details"]["duplicates"], 1);
}

#[tokio::test]
async fn a_failing_integration_does_not_block_others_and_backlogs_are_batched() {
    let (url, s) = fake_server(Fake {
        integrations: vec![
            integration("bad", json!({"fail": true})),
            integration("good", json!({"count": 250, "perPoll": 250})),
        ],
        ..Default::default()
    })
    .await;
    run_until(&url, &s, |f| cursor_of(f, "good") == Some(250)).await;
    let f = s.lock().unwrap();
    assert_eq!(f.stored.len(), 250);
    assert!(f.batch_calls >= 2, "250 events go in batches of ≤ 200");
    assert!(cursor_of(&f, "bad").is_none());
    assert!(f.statuses.iter().any(|s| s["state"] == "error"
        && s["lastError"]
            .as_str()
            .unwrap()
            .contains("upstream says no")));
}

#[tokio::test]
async fn resumes_from_the_saved_cursor_and_follows_changes() {
    let (url, s) = fake_server(Fake {
        integrations: vec![integration(
            "a",
            json!({"count": 5, "perPoll": 5, "polling": {"interval": 3600}}),
        )],
        ..Default::default()
    })
    .await;
    s.lock().unwrap().cursors.insert("a".into(), json!(3));
    let s2 = s.clone();
    // While running: a new integration appears (generation bump) and must
    // start within a second or so, despite the hour-long interval.
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(800)).await;
        let mut f = s2.lock().unwrap();
        f.integrations.push(integration(
            "b",
            json!({"count": 1, "polling": {"interval": 3600}}),
        ));
        f.generation += 1;
    });
    run_until(&url, &s, |f| {
        cursor_of(f, "b") == Some(1) && cursor_of(f, "a") == Some(5)
    })
    .await;
    let f = s.lock().unwrap();
    assert_eq!(
        f.stored,
        vec!["a-3", "a-4", "b-0"],
        "nothing before the cursor re-sent"
    );
}

#[tokio::test]
async fn an_integration_created_during_start_up_is_not_missed() {
    let (url, s) = fake_server(Fake {
        created_after_first_list: Some(integration("late", json!({"count": 1}))),
        ..Default::default()
    })
    .await;
    let mut c = cfg(&url);
    // Only the control poll can notice it in time.
    c.refresh_every = Duration::from_secs(3600);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let h = tokio::spawn(Runtime::new(Arc::new(FakeConnector), c).run(async {
        let _ = rx.await;
    }));
    let deadline = Instant::now() + Duration::from_secs(10);
    while cursor_of(&s.lock().unwrap(), "late") != Some(1) {
        assert!(Instant::now() < deadline, "the late integration never ran");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tx.send(()).unwrap();
    h.await.unwrap().unwrap();
    assert_eq!(s.lock().unwrap().stored, vec!["late-0"]);
}

#[tokio::test]
async fn registration_gives_up_with_a_clear_error() {
    let mut c = cfg("http://127.0.0.1:9"); // nothing listens there
    c.register_timeout = Duration::from_secs(1);
    let err = Runtime::new(Arc::new(FakeConnector), c)
        .run(std::future::pending())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("could not register connector type `fake`"),
        "{err}"
    );
    assert!(!err.contains("pc_secret_token"));
}

#[tokio::test]
async fn sync_now_wakes_a_source_and_disabled_integrations_do_not_run() {
    let (url, s) = fake_server(Fake {
        integrations: vec![
            integration("a", json!({"growing": true, "polling": {"interval": 3600}})),
            json!({"id": "off", "type": "fake", "name": "off", "enabled": false, "config": {"count": 5}}),
        ],
        ..Default::default()
    })
    .await;
    let s2 = s.clone();
    tokio::spawn(async move {
        // After the first poll, ask for two more syncs, one at a time.
        for n in 1..=2 {
            loop {
                if s2.lock().unwrap().stored.len() >= n {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            s2.lock().unwrap().sync.push("a".into());
        }
    });
    run_until(&url, &s, |f| cursor_of(f, "a") == Some(3)).await;
    let f = s.lock().unwrap();
    assert_eq!(f.stored, vec!["a-0", "a-1", "a-2"]);
    assert!(cursor_of(&f, "off").is_none());
}

#[tokio::test]
async fn graceful_stop_finishes_the_current_post_and_saves_the_cursor() {
    let (url, s) = fake_server(Fake {
        integrations: vec![integration("a", json!({"count": 1}))],
        delay: Duration::from_millis(1500),
        ..Default::default()
    })
    .await;
    // Stop as soon as the (slow) post is in flight.
    run_until(&url, &s, |f| {
        f.log.iter().any(|(_, l)| l.starts_with("POST event"))
    })
    .await;
    let f = s.lock().unwrap();
    assert_eq!(f.stored, vec!["a-0"], "the post in flight completed");
    assert_eq!(cursor_of(&f, "a"), Some(1), "and its cursor was saved");
}
