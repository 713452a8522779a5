//! `POST /api/webhooks/github/:integrationId` through the real HTTP server
//! (127.0.0.1:0), against SQLite and PostgreSQL (`PAINCHAIN_TEST_DATABASE_URL`;
//! skipped with a notice when unset), with the GitHub connector's real
//! webhook fixtures. Signatures are computed here, independently of the
//! connector's own HMAC code.

#[macro_use]
mod common;

use std::{path::PathBuf, time::Duration};

use common::*;
use painchain_core::token::Scope;
use painchain_server::testing::Backend;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

both_backends!(
    signatures_are_the_authentication,
    malformed_and_incomplete_deliveries,
    unknown_or_foreign_integrations_are_404,
    ignored_events_are_202,
    replayed_delivery_is_stored_once,
    events_land_in_the_integrations_tenant_with_its_tags,
    every_collected_fixture_maps_and_stores,
    webhook_events_reach_the_live_stream,
    disabled_integration_and_missing_secret,
    no_token_needed_when_auth_is_on,
    accepted_deliveries_update_last_sync,
    nul_in_a_signed_delivery_is_not_a_500,
);

const SECRET: &str = "It's a Secret to Everybody";
const TENANT: &str = "acme";

// ---------------------------------------------------------------- helpers

/// PostgreSQL needs an explicit key (replicas share it); the same value in
/// every test of this process, so setting it concurrently is harmless.
fn set_secret_key() {
    std::env::set_var(
        "PAINCHAIN_SECRET_KEY",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    );
}

fn fixture(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../painchain-connector-github/tests/fixtures/github/webhooks")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// HMAC-SHA256 (RFC 2104) written out, so the test does not trust the
/// code under test to sign.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize()
        .into()
}

fn sign(secret: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(hmac_sha256(secret.as_bytes(), body))
    )
}

#[test]
fn hmac_matches_rfc_4231_case_2() {
    assert_eq!(
        hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

/// A server with the `github` type registered and one integration in
/// tenant `acme` (webhook secret [`SECRET`], tags `backend`).
struct Gh {
    h: H,
    id: String,
    _dir: tempfile::TempDir,
}

async fn start(b: Backend) -> Option<Gh> {
    start_with(b, |_| {}).await
}

async fn start_with(b: Backend, f: impl FnOnce(&mut painchain_server::Config)) -> Option<Gh> {
    // The secret key lives in the data dir: a temporary one for both backends.
    set_secret_key();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut h = H::start_with(b, |c| {
        c.data_dir = data;
        f(c)
    })
    .await?;
    h.tenant = Some(TENANT.into());
    register(&h).await;
    let id = create(
        &h,
        &config(&["Codertocat/Hello-World", "github-slack/app", "octo-org/*"]),
    )
    .await;
    Some(Gh { h, id, _dir: dir })
}

async fn register(h: &H) {
    let meta = serde_json::to_value(painchain_connector_github::metadata()).unwrap();
    let r = h.post("/api/integrations/types/register", &meta).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

fn config(repos: &[&str]) -> Value {
    json!({
        "name": "ACME GitHub",
        "tags": ["backend"],
        "token": "ghp_not_used_here",
        "repositories": repos,
        "polling": {"enabled": false},
        "webhook": {"secret": SECRET},
    })
}

async fn create(h: &H, config: &Value) -> String {
    let r = h
        .post(
            "/api/integrations",
            &json!({"type": "github", "name": config["name"], "config": config}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

enum Sig<'a> {
    Good,
    None,
    Raw(&'a str),
    Secret(&'a str),
}

/// Posts a delivery the way GitHub does: no token, no tenant header.
async fn deliver(
    h: &H,
    id: &str,
    event: Option<&str>,
    delivery: &str,
    body: &[u8],
    sig: Sig<'_>,
) -> Resp {
    let mut rb =
        h.c.post(h.s.url(&format!("/api/webhooks/github/{id}")))
            .header("content-type", "application/json")
            .header("user-agent", "GitHub-Hookshot/044aadd")
            .header("x-github-delivery", delivery)
            .header("x-github-hook-id", "292430182")
            .body(body.to_vec());
    if let Some(e) = event {
        rb = rb.header("x-github-event", e);
    }
    let sig = match sig {
        Sig::Good => Some(sign(SECRET, body)),
        Sig::None => None,
        Sig::Raw(s) => Some(s.to_string()),
        Sig::Secret(s) => Some(sign(s, body)),
    };
    if let Some(s) = sig {
        rb = rb.header("x-hub-signature-256", s);
    }
    h.raw(rb).await
}

async fn deliver_fixture(g: &Gh, rel: &str, event: &str, delivery: &str) -> Resp {
    deliver(&g.h, &g.id, Some(event), delivery, &fixture(rel), Sig::Good).await
}

async fn events_of(h: &H, query: &str) -> Vec<Value> {
    let r = h.get(&format!("/api/events?limit=1000&{query}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.arr().clone()
}

fn external_ids(events: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = events
        .iter()
        .map(|e| e["externalId"].as_str().unwrap_or_default().to_string())
        .collect();
    ids.sort();
    ids
}

// ---------------------------------------------------------------- tests

async fn signatures_are_the_authentication(b: Backend) {
    let Some(g) = start(b).await else { return };
    let h = &g.h;
    let body = fixture("pull_request/opened.json");

    // Missing, wrong secret, malformed, tampered body: 401, nothing stored.
    let r = deliver(h, &g.id, Some("pull_request"), "d-1", &body, Sig::None).await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(
        r.error(),
        (
            "missing_signature".into(),
            Some("X-Hub-Signature-256".into())
        )
    );

    let r = deliver(
        h,
        &g.id,
        Some("pull_request"),
        "d-1",
        &body,
        Sig::Secret("wrong"),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.error().0, "invalid_signature");

    for bad in ["sha256=zz", "sha1=0123", "", "sha256=", &"0".repeat(64)] {
        let r = deliver(h, &g.id, Some("pull_request"), "d-1", &body, Sig::Raw(bad)).await;
        assert_eq!(r.status, 401, "{bad:?}: {}", r.body);
        assert!(r.error().0.ends_with("_signature"), "{bad:?}: {}", r.body);
    }

    let mut tampered = body.clone();
    let at = tampered.iter().position(|&c| c == b'2').unwrap();
    tampered[at] = b'3';
    let good_for_original = sign(SECRET, &body);
    let r = deliver(
        h,
        &g.id,
        Some("pull_request"),
        "d-1",
        &tampered,
        Sig::Raw(&good_for_original),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.error().0, "invalid_signature");

    // An upper-case hex digest is the same signature.
    let upper = format!("sha256={}", sign(SECRET, &body)[7..].to_uppercase());
    assert!(
        events_of(h, "").await.is_empty(),
        "nothing stored before a valid delivery"
    );

    // The good one.
    let r = deliver(h, &g.id, Some("pull_request"), "d-1", &body, Sig::Good).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["created"], 1);
    assert_eq!(r.body["duplicates"], 0);
    assert_eq!(r.body["event"], "pull_request");
    assert_eq!(r.body["delivery"], "d-1");
    assert_eq!(
        r.body["results"][0]["externalId"],
        "pr:Codertocat/Hello-World#2:opened"
    );
    let r = deliver(
        h,
        &g.id,
        Some("pull_request"),
        "d-1b",
        &body,
        Sig::Raw(&upper),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["duplicates"], 1);

    // The secret is encrypted at rest; the route decrypted it.
    let row =
        h.s.store
            .get_integration(TENANT, &g.id)
            .await
            .unwrap()
            .unwrap();
    let stored = row.config["webhook"]["secret"].as_str().unwrap();
    assert!(stored.starts_with("pcenc:"), "{stored}");
    assert!(!row.config.to_string().contains(SECRET));
}

async fn malformed_and_incomplete_deliveries(b: Backend) {
    let Some(g) = start(b).await else { return };
    let h = &g.h;

    // Signed but not JSON: 400.
    let r = deliver(h, &g.id, Some("push"), "m-1", b"{\"ref\": ", Sig::Good).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.error(), ("malformed_json".into(), Some("body".into())));
    let r = deliver(h, &g.id, Some("push"), "m-2", b"[1, 2]", Sig::Good).await;
    assert_eq!(r.status, 400, "{}", r.body);

    // Unsigned garbage is a 401 first: nothing is parsed before the check.
    let r = deliver(h, &g.id, Some("push"), "m-3", b"{not json", Sig::None).await;
    assert_eq!(r.status, 401, "{}", r.body);

    // Valid JSON, but not a push.
    let r = deliver(h, &g.id, Some("push"), "m-4", b"{}", Sig::Good).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.error().0, "invalid_payload");

    // No X-GitHub-Event.
    let body = fixture("push/branch.commits.json");
    let r = deliver(h, &g.id, None, "m-5", &body, Sig::Good).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        r.error(),
        ("missing_header".into(), Some("X-GitHub-Event".into()))
    );

    // A form-encoded webhook: told to switch to JSON.
    let form = b"payload=%7B%7D";
    let rb =
        h.c.post(h.s.url(&format!("/api/webhooks/github/{}", g.id)))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-github-event", "push")
            .header("x-hub-signature-256", sign(SECRET, form))
            .body(form.to_vec());
    let r = h.raw(rb).await;
    assert_eq!(r.status, 415, "{}", r.body);
    assert_eq!(r.error().1.as_deref(), Some("Content-Type"));

    // Over the body limit (1 MiB by default): 413 in the error shape.
    let big = vec![b' '; 1024 * 1024 + 10];
    let r = deliver(h, &g.id, Some("push"), "m-6", &big, Sig::Good).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.error().0, "too_large");

    // Only POST.
    let r = h
        .raw(h.c.get(h.s.url(&format!("/api/webhooks/github/{}", g.id))))
        .await;
    assert_eq!(r.status, 405, "{}", r.body);

    assert!(events_of(h, "").await.is_empty());
}

async fn unknown_or_foreign_integrations_are_404(b: Backend) {
    let Some(g) = start(b).await else { return };
    let h = &g.h;
    let body = fixture("pull_request/opened.json");

    let r = deliver(
        h,
        "no-such-integration",
        Some("pull_request"),
        "u-1",
        &body,
        Sig::Good,
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.error().0, "not_found");

    // An integration of another type is not a GitHub webhook target.
    let other = json!({
        "id": "other", "displayName": "Other",
        "configSchema": {"type": "object", "properties": {"name": {"type": "string"}}}
    });
    assert_eq!(
        h.post("/api/integrations/types/register", &other)
            .await
            .status,
        200
    );
    let r = h
        .post(
            "/api/integrations",
            &json!({"type": "other", "name": "o", "config": {"name": "o", "tags": [], "webhook": {"secret": SECRET}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let other_id = r.body["id"].as_str().unwrap();
    let r = deliver(h, other_id, Some("pull_request"), "u-2", &body, Sig::Good).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.error().0, "not_found");

    // Deleted: 404 too.
    assert_eq!(
        h.delete(&format!("/api/integrations/{}", g.id))
            .await
            .status,
        204
    );
    let r = deliver(h, &g.id, Some("pull_request"), "u-3", &body, Sig::Good).await;
    assert_eq!(r.status, 404, "{}", r.body);
}

async fn ignored_events_are_202(b: Backend) {
    let Some(g) = start(b).await else { return };
    let h = &g.h;
    let ping = json!({
        "zen": "Design for failure.",
        "hook_id": 292430182,
        "hook": {"type": "Repository", "id": 292430182, "events": ["*"]},
        "repository": {"full_name": "Codertocat/Hello-World"}
    })
    .to_string();
    let r = deliver(h, &g.id, Some("ping"), "p-1", ping.as_bytes(), Sig::Good).await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.body["ignored"], true);
    assert!(r.body["reason"].is_string(), "{}", r.body);
    // A ping is still authenticated.
    let r = deliver(
        h,
        &g.id,
        Some("ping"),
        "p-2",
        ping.as_bytes(),
        Sig::Secret("nope"),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.body);

    for (rel, event) in [
        ("check_run/completed.success.json", "check_run"),
        ("check_suite/requested.json", "check_suite"),
        ("workflow_job/completed.failure.json", "workflow_job"),
        ("status/success.json", "status"),
        ("pull_request/synchronize.json", "pull_request"),
        ("release/created.json", "release"),
        // An event type nobody maps.
        ("pull_request/opened.json", "issues"),
        // A repository this integration does not follow.
        ("pull_request/opened.real-repo.json", "pull_request"),
    ] {
        let r = deliver_fixture(&g, rel, event, "i-1").await;
        assert_eq!(r.status, 202, "{rel} as {event}: {}", r.body);
        assert_eq!(r.body["ignored"], true, "{rel}");
    }
    assert!(events_of(h, "").await.is_empty());
}

async fn replayed_delivery_is_stored_once(b: Backend) {
    let Some(g) = start(b).await else { return };
    let h = &g.h;
    let rel = "pull_request/closed.merged.json";
    let first = deliver_fixture(
        &g,
        rel,
        "pull_request",
        "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["created"], 1);

    // GitHub's "Redeliver" sends the same delivery id and body again;
    // concurrently too, for good measure.
    let again = futures::future::join_all((0..4).map(|_| {
        deliver_fixture(
            &g,
            rel,
            "pull_request",
            "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        )
    }))
    .await;
    for r in again {
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["created"], 0);
        assert_eq!(r.body["duplicates"], 1);
        assert_eq!(r.body["results"][0]["id"], first.body["results"][0]["id"]);
        assert_eq!(r.body["results"][0]["status"], "duplicate");
    }
    // A new delivery id for the same change is still the same event.
    let r = deliver_fixture(&g, rel, "pull_request", "another-delivery").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["duplicates"], 1);

    let stored = events_of(h, &format!("integrationId={}", g.id)).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["externalId"], "pr:github-slack/app#36:merged");
    assert_eq!(stored[0]["kind"], "change.merged");
    assert_eq!(
        stored[0]["data"]["deliveryId"],
        "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    );
}

async fn events_land_in_the_integrations_tenant_with_its_tags(b: Backend) {
    let Some(g) = start(b).await else { return };
    let h = &g.h;
    let r = deliver_fixture(&g, "pull_request/opened.json", "pull_request", "t-1").await;
    assert_eq!(r.status, 201, "{}", r.body);

    // The delivery carried no tenant header: the integration's tenant got it.
    assert!(h.with(None, None).get("/api/events").await.arr().is_empty());
    assert!(h
        .with(Some("globex"), None)
        .get("/api/events")
        .await
        .arr()
        .is_empty());
    let evs = events_of(h, "").await;
    assert_eq!(evs.len(), 1);
    let e = &evs[0];
    assert_eq!(e["tenantId"], TENANT);
    assert_eq!(e["integrationId"], g.id.as_str());
    assert_eq!(e["connector"], "github");
    assert_eq!(e["project"], "Codertocat/Hello-World");
    assert_eq!(e["externalId"], "pr:Codertocat/Hello-World#2:opened");
    assert!(
        e["tags"].as_array().unwrap().contains(&json!("backend")),
        "{e}"
    );
    assert!(e["refs"]
        .as_array()
        .unwrap()
        .contains(&json!({"type": "pull_request", "value": "Codertocat/Hello-World#2"})));

    // The filters a person would use.
    assert_eq!(events_of(h, "tag=backend").await.len(), 1);
    assert_eq!(events_of(h, "tag=frontend").await.len(), 0);
    assert_eq!(
        events_of(h, &format!("integrationId={}", g.id)).await.len(),
        1
    );
    assert_eq!(
        events_of(h, "connector=github&kind=change.opened")
            .await
            .len(),
        1
    );
    let one = h
        .get(&format!("/api/events/{}", e["id"].as_str().unwrap()))
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["title"], e["title"]);

    // Per-repository tags from a second integration's `{owner, repo, tags}`.
    let mut cfg = config(&[]);
    cfg["repositories"] =
        json!([{"owner": "Codertocat", "repo": "Hello-World", "tags": ["frontend"]}]);
    let id2 = create(h, &cfg).await;
    let body = fixture("pull_request/opened.json");
    let r = deliver(h, &id2, Some("pull_request"), "t-2", &body, Sig::Good).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let evs = events_of(h, &format!("integrationId={id2}")).await;
    assert_eq!(
        evs.len(),
        1,
        "same externalId, other integration: its own event"
    );
    let tags = evs[0]["tags"].as_array().unwrap();
    assert!(
        tags.contains(&json!("backend")) && tags.contains(&json!("frontend")),
        "{tags:?}"
    );
}

async fn every_collected_fixture_maps_and_stores(b: Backend) {
    let Some(g) = start(b).await else { return };
    let h = &g.h;
    let index: Value = serde_json::from_slice(&fixture("index.json")).unwrap();
    let mut created = 0;
    let mut accepted = 0;
    for (n, d) in index["deliveries"].as_array().unwrap().iter().enumerate() {
        let rel = d["file"].as_str().unwrap();
        let event = d["headers"]["X-GitHub-Event"].as_str().unwrap();
        let r = deliver_fixture(&g, rel, event, &format!("all-{n}")).await;
        match r.status.as_u16() {
            200 | 201 => {
                created += r.body["created"].as_u64().unwrap();
                assert_eq!(r.body["invalid"], 0, "{rel}: {}", r.body);
            }
            202 => accepted += 1,
            s => panic!("{rel} ({event}): {s} {}", r.body),
        }
    }
    assert!(created >= 12, "only {created} events from the fixtures");
    assert!(accepted >= 8, "only {accepted} ignored fixtures");
    let stored = events_of(h, "").await;
    assert_eq!(stored.len() as u64, created);
    let ids = external_ids(&stored);
    let mut dedup = ids.clone();
    dedup.dedup();
    assert_eq!(ids, dedup, "externalIds are unique");
    for kind in [
        "change.opened",
        "change.merged",
        "branch.pushed",
        "tag.created",
        "release.published",
        "pipelinerun.finished",
        "service.deployed",
    ] {
        assert!(
            stored.iter().any(|e| e["kind"] == kind),
            "no {kind} among {ids:?}"
        );
    }
    // Replaying the whole set stores nothing new.
    for (n, d) in index["deliveries"].as_array().unwrap().iter().enumerate() {
        let rel = d["file"].as_str().unwrap();
        let event = d["headers"]["X-GitHub-Event"].as_str().unwrap();
        let r = deliver_fixture(&g, rel, event, &format!("all-{n}")).await;
        assert!(
            r.status == 200 || r.status == 202,
            "{rel}: {} {}",
            r.status,
            r.body
        );
        assert_eq!(r.body["created"], 0, "{rel}");
    }
    assert_eq!(events_of(h, "").await.len() as u64, created);
}

async fn webhook_events_reach_the_live_stream(b: Backend) {
    let Some(g) = start(b).await else { return };
    let h = &g.h;
    let res = h
        .as_default()
        .rb(Method::GET, "/api/events/stream")
        .send()
        .await
        .unwrap();
    let mut sse = SseReader::new(res);
    // The stream's opening comment: subscribed from here on.
    tokio::time::timeout(Duration::from_secs(5), sse.next_message())
        .await
        .expect("stream opened");
    let r = deliver_fixture(
        &g,
        "deployment_status/success.json",
        "deployment_status",
        "s-1",
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let got = sse
        .next_event(Duration::from_secs(5))
        .await
        .expect("live event");
    assert_eq!(got["integrationId"], g.id.as_str());
    assert_eq!(got["kind"], "service.deployed");
    assert_eq!(got["id"], r.body["results"][0]["id"]);
    // A duplicate is not broadcast again.
    let r = deliver_fixture(
        &g,
        "deployment_status/success.json",
        "deployment_status",
        "s-1",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(sse.next_event(Duration::from_millis(500)).await.is_none());
}

async fn disabled_integration_and_missing_secret(b: Backend) {
    let Some(g) = start(b).await else { return };
    let h = &g.h;

    // No webhook.secret: every delivery is refused (401), even a ping.
    let mut cfg = config(&["Codertocat/Hello-World"]);
    cfg.as_object_mut().unwrap().remove("webhook");
    let no_secret = create(h, &cfg).await;
    let body = fixture("pull_request/opened.json");
    let r = deliver(h, &no_secret, Some("pull_request"), "x-1", &body, Sig::Good).await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(
        r.error(),
        ("no_webhook_secret".into(), Some("webhook.secret".into()))
    );

    // webhook.enabled: false: verified, then 202.
    let mut cfg = config(&["Codertocat/Hello-World"]);
    cfg["webhook"]["enabled"] = json!(false);
    let off = create(h, &cfg).await;
    let r = deliver(h, &off, Some("pull_request"), "x-2", &body, Sig::Good).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let r = deliver(
        h,
        &off,
        Some("pull_request"),
        "x-3",
        &body,
        Sig::Secret("bad"),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.body);

    // A disabled integration: verified, then 202, nothing stored.
    let r = h
        .put(
            &format!("/api/integrations/{}", g.id),
            &json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = deliver(h, &g.id, Some("pull_request"), "x-4", &body, Sig::Good).await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert!(
        r.body["reason"].as_str().unwrap().contains("disabled"),
        "{}",
        r.body
    );
    let r = deliver(h, &g.id, Some("pull_request"), "x-5", &body, Sig::None).await;
    assert_eq!(r.status, 401, "{}", r.body);

    assert!(events_of(h, "").await.is_empty());
}

async fn no_token_needed_when_auth_is_on(b: Backend) {
    set_secret_key();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let Some(mut h) = H::start_with(b, |c| {
        c.data_dir = data;
        c.auth.enabled = true;
    })
    .await
    else {
        return;
    };
    let (_, admin) = painchain_server::auth::create_token_in_store(
        h.s.store.as_ref(),
        TENANT,
        "root",
        Scope::Admin,
    )
    .await
    .unwrap();
    // Registering the (global) type is for its connector, not a tenant admin.
    let (_, connector) = painchain_server::auth::create_token_in_store_with(
        h.s.store.as_ref(),
        TENANT,
        "github connector",
        &painchain_server::auth::TokenSpec {
            scope: Scope::Ingest,
            connector: Some("github".into()),
            expires_at: None,
        },
    )
    .await
    .unwrap();
    h.token = Some(connector);
    register(&h).await;
    h.token = Some(admin.clone());
    let id = create(&h, &config(&["Codertocat/Hello-World"])).await;

    // GitHub sends no token: the signature is enough.
    let body = fixture("pull_request/opened.json");
    let r = deliver(&h, &id, Some("pull_request"), "a-1", &body, Sig::Good).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = deliver(&h, &id, Some("pull_request"), "a-2", &body, Sig::None).await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.error().0, "missing_signature");
    // A token does not replace the signature.
    let rb =
        h.c.post(h.s.url(&format!("/api/webhooks/github/{id}")))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .header("x-github-event", "pull_request")
            .body(body.clone());
    assert_eq!(h.raw(rb).await.status, 401);

    let evs = events_of(&h, "").await;
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0]["tenantId"], TENANT);
}

/// An accepted delivery is a sync: `lastSync` / `connectorStatus.lastSyncAt`
/// move, the connector's own report (state, error, heartbeat) is kept.
async fn accepted_deliveries_update_last_sync(b: Backend) {
    let Some(g) = start(b).await else { return };
    let h = &g.h;
    let row = || async { h.get(&format!("/api/integrations/{}", g.id)).await.body };
    let r0 = row().await;
    assert!(r0["lastSync"].is_null(), "{r0}");
    assert_eq!(r0["connectorStatus"]["state"], "pending");

    // Ignored and refused deliveries are no sync.
    let ping =
        json!({"zen": "z", "hook_id": 1, "repository": {"full_name": "Codertocat/Hello-World"}});
    let r = deliver(
        h,
        &g.id,
        Some("ping"),
        "p-1",
        ping.to_string().as_bytes(),
        Sig::Good,
    )
    .await;
    assert_eq!(r.status, 202);
    let r = deliver(
        h,
        &g.id,
        Some("pull_request"),
        "bad",
        &fixture("pull_request/opened.json"),
        Sig::Secret("nope"),
    )
    .await;
    assert_eq!(r.status, 401);
    assert!(row().await["lastSync"].is_null());

    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let r = deliver_fixture(&g, "pull_request/opened.json", "pull_request", "d-1").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r1 = row().await;
    let synced = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("{v}")))
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    assert!(synced(&r1["lastSync"]) >= before, "{r1}");
    assert_eq!(r1["connectorStatus"]["lastSyncAt"], r1["lastSync"]);
    assert_eq!(r1["connectorStatus"]["state"], "ok", "{r1}");
    assert!(
        r1["connectorStatus"]["reportedAt"].is_null(),
        "not a heartbeat"
    );
    assert_eq!(r1["status"], "active");

    // A connector's report wins for state/error; a redelivery (200) is
    // still a sync and keeps that report.
    let r = h
        .post(
            &format!("/api/integrations/{}/status", g.id),
            &json!({"state": "error", "lastError": "401: Bad credentials", "eventsCollected": 7}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let reported = row().await["connectorStatus"]["reportedAt"].clone();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let r = deliver_fixture(&g, "pull_request/opened.json", "pull_request", "d-2").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r2 = row().await;
    let cs = &r2["connectorStatus"];
    assert_eq!(cs["state"], "error", "{r2}");
    assert_eq!(cs["lastError"], "401: Bad credentials");
    assert_eq!(cs["eventsCollected"], 7);
    assert_eq!(cs["reportedAt"], reported);
    assert!(synced(&r2["lastSync"]) > synced(&r1["lastSync"]), "{r2}");
}

#[tokio::test]
async fn openapi_documents_the_route() {
    let Some(h) = H::start(Backend::Sqlite).await else {
        return;
    };
    let doc = h.get("/api/openapi.json").await;
    assert_eq!(doc.status, 200);
    let op = &doc.body["paths"]["/api/webhooks/github/{integrationId}"]["post"];
    assert!(op.is_object(), "{}", doc.body["paths"]);
    assert_eq!(op["security"], json!([{}]), "no token needed: {op}");
    assert!(op["responses"]["202"].is_object());
}

/// A signed delivery whose payload carries NUL (`\u0000`): the body is
/// parsed by the webhook itself (its signature covers the raw bytes), so the
/// mapped event is refused per item by validation, never stored (PostgreSQL
/// would answer 500).
async fn nul_in_a_signed_delivery_is_not_a_500(b: Backend) {
    let Some(g) = start(b).await else { return };
    let mut payload: Value =
        serde_json::from_slice(&fixture("pull_request/closed.merged.json")).unwrap();
    payload["pull_request"]["title"] = json!("fix\u{0}it");
    let body = serde_json::to_vec(&payload).unwrap();
    let r = deliver(&g.h, &g.id, Some("pull_request"), "nul-1", &body, Sig::Good).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(r.body["created"], 0, "{}", r.body);
    assert_eq!(r.body["invalid"], 1, "{}", r.body);
    assert!(events_of(&g.h, "").await.is_empty());
}
