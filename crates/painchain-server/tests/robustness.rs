//! The server under hostile clients and concurrent writers: slowloris
//! (half-sent requests), load shedding, large bodies, shutdown with a
//! half-sent request, and lost updates of integrations.

#[macro_use]
mod common;

use std::time::{Duration, Instant};

use common::*;
use painchain_server::testing::Backend;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

both_backends!(
    declared_route_upserts_and_old_generations_change_nothing,
    lost_updates_webhook_sync_vs_connector_status,
    lost_updates_enable_toggle_vs_config_save,
    if_match_refuses_stale_edits,
);

fn tight(c: &mut painchain_server::Config) {
    c.limits.max_connections = 16;
    c.limits.header_read_timeout = Duration::from_secs(1);
    c.limits.body_read_timeout = Duration::from_secs(1);
}

/// A connection that sent part of a request head and stalls.
async fn half_sent(addr: std::net::SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /api/events HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    s
}

/// Waits until the peer closes `s` (EOF or reset); `false` on `within`.
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slowloris_connections_are_closed_and_health_answers() {
    let h = H::start_with(Backend::Sqlite, tight).await.unwrap();
    // Twice the connection limit, all half-sent.
    let mut conns = Vec::new();
    for _ in 0..32 {
        conns.push(half_sent(h.s.addr).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Health answers on a fresh connection while every slot is taken.
    let started = Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(3), h.get("/health"))
        .await
        .expect("/health answers under the attack");
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Anything else is shed at once: 503 JSON with Retry-After, no hang.
    let r = tokio::time::timeout(Duration::from_secs(3), h.get("/api/events"))
        .await
        .expect("an over-limit request is answered");
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.error().0, "unavailable");
    assert!(r.headers.get("retry-after").is_some());
    assert!(started.elapsed() < Duration::from_secs(2));
    // The half-sent ones are closed after the header timeout.
    for c in &mut conns {
        assert!(
            closed_within(c, Duration::from_secs(5)).await,
            "a half-sent request is closed after the header read timeout"
        );
    }
    // And the slots are free again.
    let r = h.get("/api/events").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stalled_body_times_out() {
    let h = H::start_with(Backend::Sqlite, tight).await.unwrap();
    let mut s = TcpStream::connect(h.s.addr).await.unwrap();
    s.write_all(
        b"POST /api/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"title\":",
    )
    .await
    .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the stalled request is ended");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 4"), "a 4xx answer: {text}");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn over_the_request_limit_is_503_not_a_hang() {
    let h = H::start_with(Backend::Sqlite, |c| {
        c.limits.max_concurrent_requests = 1;
        c.limits.body_read_timeout = Duration::from_secs(10);
    })
    .await
    .unwrap();
    // Holds the only request slot: its body never completes.
    let mut s = TcpStream::connect(h.s.addr).await.unwrap();
    s.write_all(
        b"POST /api/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let r = h.get("/api/events").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.error().0, "unavailable");
    assert_eq!(r.headers["retry-after"], "1");
    assert!(started.elapsed() < Duration::from_secs(1));
    // Health is not counted.
    assert_eq!(h.get("/health").await.status, StatusCode::OK);
    drop(s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn large_bodies_wait_for_a_permit() {
    let h = H::start_with(Backend::Sqlite, |c| {
        c.limits.large_body_bytes = 1000;
        c.limits.max_large_bodies = 1;
        c.limits.body_read_timeout = Duration::from_secs(10);
    })
    .await
    .unwrap();
    let batch: Vec<_> = (0..20)
        .map(|i| ev(&format!("e{i}"), "ci", "p", &ts(i)))
        .collect();
    let body = serde_json::to_vec(&batch).unwrap();
    assert!(body.len() > 1000);
    // The first large request holds the permit while its body trickles.
    let mut s = TcpStream::connect(h.s.addr).await.unwrap();
    let head = format!(
        "POST /api/events/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A second one waits for it...
    let c = h.c.clone();
    let url = h.s.url("/api/events/batch");
    let batch2: Vec<_> = (0..20)
        .map(|i| ev(&format!("f{i}"), "ci", "p", &ts(i)))
        .collect();
    let second = tokio::spawn(async move { c.post(url).json(&batch2).send().await });
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        !second.is_finished(),
        "a second large body waits while the first holds the only permit"
    );
    // ...small requests don't.
    assert_eq!(h.get("/api/events").await.status, StatusCode::OK);
    s.write_all(&body[10..]).await.unwrap();
    let r = tokio::time::timeout(Duration::from_secs(5), second)
        .await
        .expect("the second proceeds once the first is done")
        .unwrap()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutdown_does_not_wait_for_a_half_sent_request() {
    let h = H::start_with(Backend::Sqlite, tight).await.unwrap();
    let _c = half_sent(h.s.addr).await;
    let mut body = TcpStream::connect(h.s.addr).await.unwrap();
    body.write_all(
        b"POST /api/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), h.s.stop())
        .await
        .expect("shutdown ends within the read timeouts, not the 30 s grace");
    assert!(started.elapsed() < Duration::from_secs(5));
}

// ---- lost updates ----

/// PostgreSQL needs an explicit secret key (shared by replicas).
async fn start(b: Backend) -> Option<H> {
    std::env::set_var(
        "PAINCHAIN_SECRET_KEY",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    );
    H::start(b).await
}

async fn github_integration(h: &H) -> String {
    h.integration("default", "gh1").await;
    "gh1".into()
}

/// A webhook's sync and a connector's report, in either order, keep the
/// later sync time and the reported error.
async fn lost_updates_webhook_sync_vs_connector_status(b: Backend) {
    let Some(h) = start(b).await else { return };
    let id = github_integration(&h).await;
    let store = &h.s.store;
    let later = chrono::Utc::now();
    let earlier = later - chrono::Duration::minutes(5);
    // The webhook saw a delivery now.
    store
        .record_integration_sync("default", &id, later)
        .await
        .unwrap();
    // The connector then reports an error with its older sync time.
    let report = painchain_store::IntegrationStatus {
        state: "error".into(),
        last_sync_at: Some(earlier),
        last_error: Some("rate limited".into()),
        events_collected: Some(3),
        details: json!(null),
        reported_at: Some(later),
    };
    store
        .put_integration_status("default", &id, &report)
        .await
        .unwrap();
    let s = store
        .get_integration_status("default", &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.last_sync_at, Some(later), "lastSync never goes backwards");
    assert_eq!(s.last_error.as_deref(), Some("rate limited"));
    // Another webhook delivery must not erase the reported error.
    store
        .record_integration_sync("default", &id, earlier)
        .await
        .unwrap();
    let s = store
        .get_integration_status("default", &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.state, "error");
    assert_eq!(s.last_error.as_deref(), Some("rate limited"));
    assert_eq!(s.last_sync_at, Some(later));
    // `{lastSync}` from a connector: forward only.
    let r = h
        .put(
            &format!("/api/integrations/{id}"),
            &json!({"lastSync": painchain_core::time::format(later)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = h
        .put(
            &format!("/api/integrations/{id}"),
            &json!({"lastSync": painchain_core::time::format(earlier)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let i = store
        .get_integration("default", &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(i.last_sync, Some(later));
}

/// `{enabled}` and a config save racing: neither undoes the other, and a
/// `{lastSync}` doesn't either.
async fn lost_updates_enable_toggle_vs_config_save(b: Backend) {
    let Some(h) = start(b).await else { return };
    let id = github_integration(&h).await;
    let path = format!("/api/integrations/{id}");
    for round in 0..10 {
        let name = format!("renamed-{round}");
        let enabled = round % 2 == 0;
        let (toggle, rename, sync) = (
            json!({"enabled": enabled}),
            json!({"name": name}),
            json!({"lastSync": painchain_core::time::format(chrono::Utc::now())}),
        );
        let (a, b, c) = tokio::join!(
            h.put(&path, &toggle),
            h.put(&path, &rename),
            h.put(&path, &sync),
        );
        for r in [&a, &b, &c] {
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        let i =
            h.s.store
                .get_integration("default", &id)
                .await
                .unwrap()
                .unwrap();
        assert_eq!(i.enabled, enabled, "round {round}: the toggle was lost");
        assert_eq!(i.name, name, "round {round}: the rename was lost");
        assert!(i.last_sync.is_some(), "round {round}: lastSync was lost");
    }
}

/// `If-Match` with a stale version is `409 conflict`, with a message for
/// people; the current one applies; absent keeps today's behaviour.
async fn if_match_refuses_stale_edits(b: Backend) {
    let Some(h) = start(b).await else { return };
    let id = github_integration(&h).await;
    let path = format!("/api/integrations/{id}");
    let r = h.get(&path).await;
    let etag = r.headers["etag"].to_str().unwrap().to_string();
    let updated_at = r.body["updatedAt"].as_str().unwrap().to_string();
    // Someone else saves first.
    let r = h
        .raw(
            h.as_default()
                .rb(Method::PUT, &path)
                .header("if-match", &etag)
                .json(&json!({"name": "theirs"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let newer = r.headers["etag"].to_str().unwrap().to_string();
    assert_ne!(newer, etag, "an edit moves the version");
    // My save with the old version is refused, by ETag or by updatedAt.
    for stale in [&etag, &updated_at] {
        let r = h
            .raw(
                h.as_default()
                    .rb(Method::PATCH, &path)
                    .header("if-match", stale)
                    .json(&json!({"enabled": false})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let (code, field) = r.error();
        assert_eq!(code, "conflict");
        assert_eq!(field.as_deref(), Some("If-Match"));
        assert!(r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("changed by someone else"));
    }
    let i =
        h.s.store
            .get_integration("default", &id)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(i.name, "theirs");
    assert!(i.enabled, "the stale edit was not applied");
    // A `{lastSync}` is no edit: the version stays.
    let r = h
        .put(
            &path,
            &json!({"lastSync": painchain_core::time::format(chrono::Utc::now())}),
        )
        .await;
    assert_eq!(r.headers["etag"].to_str().unwrap(), newer);
    // With the current version it applies.
    let r = h
        .raw(
            h.as_default()
                .rb(Method::PATCH, &path)
                .header("if-match", &newer)
                .json(&json!({"enabled": false})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A malformed If-Match names the header.
    let r = h
        .raw(
            h.as_default()
                .rb(Method::PATCH, &path)
                .header("if-match", "yesterday")
                .json(&json!({"enabled": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
}

// ---- config as code ----

fn declared_body(names: &[&str], generation: i64, prune: bool) -> serde_json::Value {
    json!({
        "generation": generation,
        "prune": prune,
        "integrations": names.iter().map(|n| json!({
            "type": "github", "name": n,
            "config": {"name": n, "tags": [], "token": "t0ken", "repositories": []},
        })).collect::<Vec<_>>(),
    })
}

/// The standalone connector's route: same names → same rows (cursor kept);
/// an old generation after a new one changes nothing.
async fn declared_route_upserts_and_old_generations_change_nothing(b: Backend) {
    let Some(h) = start(b).await else { return };
    let path = "/api/integrations/declared?type=github";
    let r = h.put(path, &declared_body(&["a", "b"], 1, true)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ids = r.body["ids"].clone();
    let a = ids[0].as_str().unwrap().to_string();
    h.s.store
        .put_cursor("default", &a, &json!({"sha": "abc"}))
        .await
        .unwrap();
    let r = h.put(path, &declared_body(&["a", "b"], 1, true)).await;
    assert_eq!(r.body["ids"], ids, "upsert by name keeps the rows");
    // Generation 2 drops b.
    let r = h.put(path, &declared_body(&["a"], 2, true)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // An old replica re-applying generation 1: nothing deleted or re-added.
    let r = h.put(path, &declared_body(&["b"], 1, true)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rows =
        h.s.store
            .list_integrations(Some("default"), Some("github"))
            .await
            .unwrap();
    let names: Vec<&str> = rows.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["a"]);
    assert_eq!(
        h.s.store.get_cursor("default", &a).await.unwrap(),
        Some(json!({"sha": "abc"}))
    );
    // Entries of another type are refused, naming the entry.
    let mut bad = declared_body(&["x"], 2, false);
    bad["integrations"][0]["type"] = json!("git");
    let r = h.put(path, &bad).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.error().1.as_deref(), Some("integrations[0].type"));
}

/// Two PostgreSQL replicas applying the same declarations at once keep
/// one row per name and every cursor.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_apply_the_same_config_at_once() {
    let Some(h) = start(Backend::Postgres).await else {
        return;
    };
    let Some(replica) = h.s.start_replica().await else {
        return;
    };
    let path = "/api/integrations/declared?type=github";
    let names: Vec<String> = (0..6).map(|k| format!("repo{k}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let body = declared_body(&refs, 0, true);
    let first = h.put(path, &body).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    for id in first.body["ids"].as_array().unwrap() {
        let id = id.as_str().unwrap();
        h.s.store
            .put_cursor("default", id, &json!({"at": id}))
            .await
            .unwrap();
    }
    let c = reqwest::Client::new();
    for _ in 0..5 {
        let (x, y) = tokio::join!(
            c.put(h.s.url(path)).json(&body).send(),
            c.put(replica.url(path)).json(&body).send(),
        );
        assert_eq!(x.unwrap().status(), StatusCode::OK);
        assert_eq!(y.unwrap().status(), StatusCode::OK);
    }
    let rows =
        h.s.store
            .list_integrations(Some("default"), None)
            .await
            .unwrap();
    assert_eq!(rows.len(), 6, "one row per declared name");
    for id in first.body["ids"].as_array().unwrap() {
        let id = id.as_str().unwrap();
        assert_eq!(
            h.s.store.get_cursor("default", id).await.unwrap(),
            Some(json!({"at": id})),
            "cursors survive"
        );
    }
    replica.stop().await;
}
