//! End to end for the GitHub connector with real processes: `painchain
//! serve`, the github connector (a standalone `painchain connector github`
//! process, and in-process in `serve`), and a fake GitHub API on loopback
//! (wiremock) serving the connector's real fixtures. The same pull request
//! arrives by webhook and by polling, in both orders, and is stored once
//! (same integrationId + externalId).
//!
//! Every wait is bounded; child processes are killed when dropped.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use painchain_connector_github::webhook::sign;
use serde_json::{json, Value};
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

mod common;
use common::{free_port, Proc};

const SECRET: &str = "e2e-webhook-secret";
const TOKEN: &str = "ghp_e2e_fake_token_0123456789";
const REPO: &str = "github-slack/app";
const MERGED: &str = "pr:github-slack/app#36:merged";
const OPENED: &str = "pr:github-slack/app#36:opened";

// ---------------------------------------------------------------- processes

fn serve(data: &Path, port: u16, connectors: &str) -> Proc {
    Proc::spawn(
        "serve",
        &[
            "serve",
            "--no-auth",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
            data.to_str().unwrap(),
        ],
        &[("PAINCHAIN_CONNECTORS", connectors)],
    )
}

fn standalone_connector(base: &str) -> Proc {
    Proc::spawn(
        "connector github",
        &[
            "connector",
            "github",
            "--server",
            base,
            "--health-addr",
            &format!("127.0.0.1:{}", free_port()),
            "--register-timeout",
            "30",
        ],
        &[],
    )
}

// ---------------------------------------------------------------- fixtures

fn fixture(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../painchain-connector-github/tests/fixtures/github")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn fixture_json(rel: &str) -> Value {
    serde_json::from_slice(&fixture(rel)).unwrap()
}

/// The webhook fixture of PR github-slack/app#36 being merged, verbatim.
fn merged_delivery() -> Vec<u8> {
    fixture("webhooks/pull_request/closed.merged.json")
}

/// The same PR as the REST pulls list serves it (no `merged`/`merged_by`,
/// only `merged_at`).
fn pull_list_item() -> Value {
    let mut pr = fixture_json("webhooks/pull_request/closed.merged.json")["pull_request"].clone();
    let o = pr.as_object_mut().unwrap();
    o.remove("merged");
    o.remove("merged_by");
    pr
}

/// The `opened` delivery of the same PR, built from the fixture (the PR
/// as it was then: open, not merged).
fn opened_delivery() -> Vec<u8> {
    let hook = fixture_json("webhooks/pull_request/closed.merged.json");
    let mut pr = hook["pull_request"].clone();
    pr["state"] = json!("open");
    pr["merged"] = json!(false);
    pr["merged_at"] = Value::Null;
    pr["merged_by"] = Value::Null;
    pr["closed_at"] = Value::Null;
    pr["merge_commit_sha"] = Value::Null;
    serde_json::to_vec(&json!({
        "action": "opened",
        "number": 36,
        "pull_request": pr,
        "repository": hook["repository"],
        "sender": hook["sender"],
    }))
    .unwrap()
}

/// A fake GitHub API for one repository: the PR in the pulls list, every
/// other list empty, and what the connection test reads.
async fn fake_github() -> MockServer {
    let gh = MockServer::start().await;
    let repo_path = |s: &str| format!("/repos/{REPO}/{s}");
    let ok = |body: Value| ResponseTemplate::new(200).set_body_json(body);
    Mock::given(method("GET"))
        .and(path(repo_path("pulls")))
        .respond_with(ok(json!([pull_list_item()])))
        .mount(&gh)
        .await;
    for (p, body) in [
        ("events", json!([])),
        (
            "actions/runs",
            json!({"total_count": 0, "workflow_runs": []}),
        ),
        ("releases", json!([])),
        ("tags", json!([])),
        ("deployments", json!([])),
    ] {
        Mock::given(method("GET"))
            .and(path(repo_path(p)))
            .respond_with(ok(body))
            .mount(&gh)
            .await;
    }
    let hook = fixture_json("webhooks/pull_request/closed.merged.json");
    Mock::given(method("GET"))
        .and(path(format!("/repos/{REPO}")))
        .respond_with(ok(hook["repository"].clone()))
        .mount(&gh)
        .await;
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(ok(json!({"login": "octocat", "id": 1})))
        .mount(&gh)
        .await;
    gh
}

// ---------------------------------------------------------------- API client

struct Api {
    base: String,
    c: reqwest::Client,
}

impl Api {
    fn new(port: u16) -> Api {
        Api {
            base: format!("http://127.0.0.1:{port}"),
            c: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }

    async fn get(&self, path: &str) -> Option<Value> {
        let r = self
            .c
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .ok()?;
        r.json().await.ok()
    }

    async fn send(&self, m: reqwest::Method, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .c
            .request(m, format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn wait_up(&self, p: &Proc) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.get("/health").await.is_none() {
            assert!(
                Instant::now() < deadline,
                "server did not start\n{}",
                p.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the `github` type is registered (the connector is up).
    async fn wait_type(&self, procs: &[&Proc]) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let types = self.get("/api/integrations/types").await;
            let found = types
                .as_ref()
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|t| t["id"] == "github"));
            if found {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "github type never registered\n{}",
                logs(procs)
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn create_integration(&self, gh: &MockServer, polling: bool) -> String {
        let (status, body) = self
            .send(
                reqwest::Method::POST,
                "/api/integrations",
                &json!({"type": "github", "name": "e2e GitHub", "config": {
                    "name": "e2e GitHub",
                    "tags": ["e2e"],
                    "token": TOKEN,
                    "repositories": [REPO],
                    "apiUrl": gh.uri(),
                    "since": "2000-01-01T00:00:00Z",
                    "polling": {"enabled": polling, "interval": 10},
                    "webhook": {"secret": SECRET},
                }}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    /// Posts a delivery as GitHub does (no token, no tenant).
    async fn deliver(&self, id: &str, event: &str, delivery: &str, body: &[u8]) -> (u16, Value) {
        let r = self
            .c
            .post(format!("{}/api/webhooks/github/{id}", self.base))
            .header("content-type", "application/json")
            .header("x-github-event", event)
            .header("x-github-delivery", delivery)
            .header("x-hub-signature-256", sign(SECRET.as_bytes(), body))
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn events(&self, integration: &str) -> Vec<Value> {
        self.get(&format!(
            "/api/events?integrationId={integration}&limit=1000"
        ))
        .await
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
    }

    /// Waits until the integration's events are exactly `want` (by
    /// externalId); fails at once on a duplicate externalId.
    async fn expect_ids(&self, integration: &str, want: &[&str], procs: &[&Proc]) -> Vec<Value> {
        let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        want.sort();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let evs = self.events(integration).await;
            let mut ids: Vec<String> = evs
                .iter()
                .map(|e| e["externalId"].as_str().unwrap_or("").to_string())
                .collect();
            ids.sort();
            let mut uniq = ids.clone();
            uniq.dedup();
            assert_eq!(uniq, ids, "an externalId stored twice\n{}", logs(procs));
            if ids == want {
                return evs;
            }
            assert!(
                Instant::now() < deadline,
                "events {ids:?}, expected {want:?}\n{}",
                logs(procs)
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until the connector reported a successful poll.
    async fn wait_synced(&self, integration: &str, procs: &[&Proc]) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let row = self
                .get(&format!("/api/integrations/{integration}"))
                .await
                .unwrap_or(Value::Null);
            if row["connectorStatus"]["state"] == "ok" && row["lastSync"].is_string() {
                return row;
            }
            assert!(
                Instant::now() < deadline,
                "integration never synced: {row}\n{}",
                logs(procs)
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

fn logs(procs: &[&Proc]) -> String {
    procs.iter().map(|p| p.log()).collect::<Vec<_>>().join("\n")
}

fn by_id<'a>(evs: &'a [Value], ext: &str) -> &'a Value {
    evs.iter()
        .find(|e| e["externalId"] == ext)
        .unwrap_or_else(|| panic!("no {ext} in {evs:?}"))
}

/// Requests the fake got for the pulls list, with the token they carried.
async fn pull_requests_seen(gh: &MockServer) -> Vec<Option<String>> {
    gh.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == format!("/repos/{REPO}/pulls"))
        .map(|r| {
            r.headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .collect()
}

// ---------------------------------------------------------------- tests

/// Webhook first, then a standalone connector polls the same PR; then
/// the `opened` webhook arrives after polling stored it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_then_standalone_poller_store_the_pr_once() {
    let dir = tempfile::tempdir().unwrap();
    let gh = fake_github().await;
    let port = free_port();
    let server = serve(&dir.path().join("data"), port, "none");
    let api = Api::new(port);
    api.wait_up(&server).await;

    // The connector registers the type; the integration polls every 10 s.
    let conn = standalone_connector(&api.base);
    api.wait_type(&[&server, &conn]).await;
    // Stop the connector while the webhook arrives, so the order is
    // certain: the webhook's copy of the merge is stored first.
    drop(conn);
    let id = api.create_integration(&gh, true).await;

    let (st, body) = api
        .deliver(&id, "pull_request", "delivery-merged-1", &merged_delivery())
        .await;
    assert_eq!(st, 201, "{body}");
    assert_eq!(body["created"], 1);
    assert_eq!(body["results"][0]["externalId"], MERGED);

    // Now the poller: it reports the PR as opened and merged; the merge is
    // already there.
    let conn = standalone_connector(&api.base);
    let procs = [&server, &conn];
    let evs = api.expect_ids(&id, &[OPENED, MERGED], &procs).await;
    let merged = by_id(&evs, MERGED);
    assert_eq!(
        merged["data"]["deliveryId"], "delivery-merged-1",
        "the webhook's copy stayed: {merged}"
    );
    assert_eq!(merged["integrationId"], id.as_str());
    assert!(merged["tags"].as_array().unwrap().contains(&json!("e2e")));
    let opened = by_id(&evs, OPENED);
    assert!(
        opened["data"].get("deliveryId").is_none(),
        "opened came by polling: {opened}"
    );
    let row = api.wait_synced(&id, &procs).await;
    assert_eq!(row["connectorStatus"]["lastError"], Value::Null, "{row}");

    // The connector used the decrypted token against the fake.
    let seen = pull_requests_seen(&gh).await;
    assert!(!seen.is_empty(), "the fake GitHub was never polled");
    assert!(
        seen.iter()
            .all(|a| a.as_deref() == Some(&format!("Bearer {TOKEN}"))),
        "{seen:?}"
    );

    // Webhook after polling: the opened delivery is a duplicate, and so is
    // a redelivery of the merge.
    let (st, body) = api
        .deliver(&id, "pull_request", "delivery-opened-1", &opened_delivery())
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["duplicates"], 1);
    assert_eq!(body["results"][0]["externalId"], OPENED);
    assert_eq!(body["results"][0]["id"], opened["id"]);
    let (st, body) = api
        .deliver(&id, "pull_request", "delivery-merged-1", &merged_delivery())
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["duplicates"], 1);

    // Another poll (sync now) changes nothing either.
    let before = pull_requests_seen(&gh).await.len();
    let deadline = Instant::now() + Duration::from_secs(30);
    while pull_requests_seen(&gh).await.len() == before {
        let (st, body) = api
            .send(
                reqwest::Method::POST,
                &format!("/api/integrations/{id}/sync"),
                &json!({}),
            )
            .await;
        assert!(st < 300, "{st} {body}");
        assert!(
            Instant::now() < deadline,
            "no poll after sync\n{}",
            logs(&procs)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    api.expect_ids(&id, &[OPENED, MERGED], &procs).await;
    assert_eq!(
        api.get("/api/events")
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

/// In-process connector of `painchain serve`: polling first, then the
/// webhooks for the same PR are duplicates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_poller_then_webhooks_store_the_pr_once() {
    let dir = tempfile::tempdir().unwrap();
    let gh = fake_github().await;
    let port = free_port();
    let server = serve(&dir.path().join("data"), port, "github");
    let api = Api::new(port);
    api.wait_up(&server).await;
    api.wait_type(&[&server]).await;
    let id = api.create_integration(&gh, true).await;

    let evs = api.expect_ids(&id, &[OPENED, MERGED], &[&server]).await;
    for e in &evs {
        assert!(e["data"].get("deliveryId").is_none(), "polled: {e}");
    }
    api.wait_synced(&id, &[&server]).await;

    // The connection test goes through the in-process connector to the fake.
    let (st, t) = api
        .send(
            reqwest::Method::POST,
            &format!("/api/integrations/{id}/test"),
            &json!({}),
        )
        .await;
    assert_eq!(st, 200, "{t}");
    assert_eq!(t["ok"], true, "{t}\n{}", server.log());

    for (event, delivery, body, ext) in [
        ("pull_request", "d-merged", merged_delivery(), MERGED),
        ("pull_request", "d-opened", opened_delivery(), OPENED),
    ] {
        let (st, res) = api.deliver(&id, event, delivery, &body).await;
        assert_eq!(st, 200, "{ext}: {res}");
        assert_eq!(res["created"], 0, "{ext}: {res}");
        assert_eq!(res["duplicates"], 1, "{ext}: {res}");
        assert_eq!(res["results"][0]["id"], by_id(&evs, ext)["id"]);
    }
    // A ping from GitHub's "Add webhook" is accepted and stores nothing.
    let ping = br#"{"zen":"Keep it logically awesome.","hook_id":1}"#;
    let (st, res) = api.deliver(&id, "ping", "d-ping", ping).await;
    assert_eq!(st, 202, "{res}");
    api.expect_ids(&id, &[OPENED, MERGED], &[&server]).await;
}
