//! Input safety (issue #10): requests that once aborted the process, panicked
//! a handler or made PostgreSQL answer 500 are clear 4xx answers now, on
//! both stores.

#[macro_use]
mod common;

use common::{ev, ts, H};
use painchain_core::{time, NewEvent};
use painchain_server::testing::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};

both_backends!(
    timeline_crash_inputs_are_refused,
    duration_and_date_parameters_are_bounded,
    out_of_range_and_zoneless_timestamps_are_refused,
    stored_extreme_events_keep_the_timeline_working,
    nul_is_refused_at_the_edge_everywhere,
    integration_deliveries_keep_null_integration_ids_inside,
    null_integration_dedup_is_per_connector,
    event_urls_must_be_http,
);

fn assert_400(r: &common::Resp, field: &str, what: &str) {
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}: {}", r.body);
    assert_eq!(r.error().1.as_deref(), Some(field), "{what}: {}", r.body);
}

async fn timeline_crash_inputs_are_refused(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    assert_eq!(
        h.post("/api/events", &ev("a", "git", "p", &ts(0)))
            .await
            .status,
        StatusCode::CREATED
    );
    // Each of these aborted or panicked the server.
    for q in [
        "interval=9223372036854775807",
        "interval=36028797018963968",
        "interval=-1",
        "interval=1&startDate=1900-01-01T00:00:00Z&endDate=2199-01-01T00:00:00Z",
        "interval=9999999999999999999999",
    ] {
        let r = h.get(&format!("/api/timeline?{q}")).await;
        assert_400(&r, "interval", q);
    }
    // The range at the very end of i64 nanoseconds is beyond what is
    // accepted now: a 400 naming the date, not an overflow.
    let r = h
        .get("/api/timeline?startDate=2262-04-11T23:00:00Z&endDate=2262-04-11T23:47:16Z")
        .await;
    assert_400(&r, "startDate", "2262");
    // The widest accepted range works, and the bucket count is capped.
    let r = h
        .get("/api/timeline?startDate=1900-01-01T00:00:00Z&endDate=2199-12-31T23:59:59Z")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let n = r.body["buckets"].as_array().unwrap().len();
    assert!((1..=2000).contains(&n), "{n} buckets");
    assert_eq!(r.body["total"], 1);
    let r = h
        .get("/api/timeline?interval=3650d&startDate=1900-01-01&endDate=2199-12-31")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["interval"], 3650 * 86_400);
    // The server is still there.
    assert_eq!(h.get("/health").await.status, StatusCode::OK);
}

async fn duration_and_date_parameters_are_bounded(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    for path in ["/api/events", "/api/timeline", "/api/events/stream"] {
        for (q, field) in [
            ("since=100000000d", "since"),
            ("since=9223372036854775807s", "since"),
            ("since=36501d", "since"),
            ("startDate=9999-12-31T23:59:59Z", "startDate"),
            ("endDate=0001-01-01T00:00:00Z", "endDate"),
            ("startDate=+275760-09-13T00:00:00Z", "startDate"),
        ] {
            let r = h.get(&format!("{path}?{q}")).await;
            assert_400(&r, field, &format!("{path}?{q}"));
        }
    }
    let r = h.get("/api/events?since=36500d").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = h.get("/api/timeline?since=36500d").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn out_of_range_and_zoneless_timestamps_are_refused(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    for t in [
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
        "2262-04-11T23:47:16.854775807Z",
        "1899-12-31T23:59:59Z",
        "2024-01-01",
        "2024-01-01T00:00:00",
    ] {
        let r = h.post("/api/events", &ev("x", "git", "p", t)).await;
        assert_400(&r, "timestamp", t);
        assert_eq!(r.error().0, "invalid_timestamp");
        let r = h
            .post("/api/events/batch", &json!([ev("x", "git", "p", t)]))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["invalid"], 1, "{t}: {}", r.body);
        assert_eq!(r.body["results"][0]["error"]["field"], "[0].timestamp");
    }
    // Nothing was clamped into the store.
    let r = h.get("/api/events").await;
    assert!(r.arr().is_empty(), "{}", r.body);
    for t in ["1900-01-01T00:00:00Z", "2199-12-31T23:59:59.999999999Z"] {
        let r = h.post("/api/events", &ev("edge", "git", "p", t)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{t}: {}", r.body);
    }
    let r = h.get("/api/timeline").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["total"], 2);
}

async fn stored_extreme_events_keep_the_timeline_working(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    // As if stored before the range check: the clamped ends of i64.
    let tenant = "default";
    for n in [i64::MIN, i64::MAX] {
        h.s.store
            .insert_event(
                tenant,
                NewEvent::new("poison", "git", "p", time::from_nanos(n)),
            )
            .await
            .unwrap();
    }
    h.s.store
        .insert_event(
            tenant,
            NewEvent::new("ok", "github", "q", chrono::Utc::now()),
        )
        .await
        .unwrap();
    // "All time" in the UI: unbounded, automatic interval.
    for q in ["", "?stackBy=project", "?groupBy=connector", "?project=p"] {
        let r = h.get(&format!("/api/timeline{q}")).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
        let buckets = r.body["buckets"].as_array().unwrap();
        assert!(buckets.len() <= 2000);
        let sum: i64 = buckets.iter().map(|b| b["total"].as_i64().unwrap()).sum();
        assert_eq!(sum, r.body["total"].as_i64().unwrap(), "{q}: {}", r.body);
    }
    // An interval too fine for that span is a 400, not an allocation.
    let r = h.get("/api/timeline?interval=1").await;
    assert_400(&r, "interval", "interval=1 over 585 years");
    // A start in range with the poison event after it.
    let r = h.get("/api/timeline?startDate=2000-01-01").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["total"], 2);
    let r = h.get("/api/timeline?endDate=2000-01-01").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["total"], 1);
    let r = h.get("/api/events?limit=10").await;
    assert_eq!(r.arr().len(), 3);
    // Pages past the extreme events: their cursors round-trip.
    let r = h.get("/api/events?limit=1").await;
    let next = r.headers["x-next-cursor"].to_str().unwrap().to_string();
    let r = h.get(&format!("/api/events?limit=5&cursor={next}")).await;
    assert_eq!(r.arr().len(), 2, "{}", r.body);
    assert_eq!(h.get("/health").await.status, StatusCode::OK);
}

async fn nul_is_refused_at_the_edge_everywhere(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    h.integration("default", "int-1").await;
    let team = h
        .post("/api/teams", &json!({"name": "core", "tags": ["a"]}))
        .await;
    assert_eq!(team.status, StatusCode::CREATED, "{}", team.body);
    let team_id = team.body["id"].as_str().unwrap().to_string();

    // Bodies: the field is the JSON path of the NUL.
    let team_path = format!("/api/teams/{team_id}");
    let bodies: Vec<(&str, &str, Value, &str)> = vec![
        (
            "POST",
            "/api/teams",
            json!({"name": "a\u{0}b", "tags": []}),
            "name",
        ),
        (
            "POST",
            "/api/teams",
            json!({"name": "ok", "tags": ["x", "\u{0}"]}),
            "tags[1]",
        ),
        ("PUT", &team_path, json!({"name": "c\u{0}"}), "name"),
        (
            "POST",
            "/api/tokens",
            json!({"name": "t\u{0}", "scope": "read"}),
            "name",
        ),
        (
            "POST",
            "/api/integrations",
            json!({"type": "github", "name": "n\u{0}", "config": {"name": "x", "tags": []}}),
            "name",
        ),
        (
            "POST",
            "/api/integrations",
            json!({"type": "github", "config": {"name": "x", "tags": [], "owner\u{0}": 1}}),
            "config.owner\u{0}",
        ),
        (
            "PUT",
            "/api/integrations/int-1/cursor",
            json!({"cursor": {"page": "\u{0}"}}),
            "cursor.page",
        ),
        (
            "POST",
            "/api/integrations/int-1/status",
            json!({"state": "error", "lastError": "boom\u{0}"}),
            "lastError",
        ),
        (
            "POST",
            "/api/integrations/int-1/status",
            json!({"state": "ok", "details": {"k": ["\u{0}"]}}),
            "details.k[0]",
        ),
        (
            "POST",
            "/api/integrations/types/register",
            json!({"id": "ci\u{0}", "displayName": "CI", "configSchema": {"fields": []}}),
            "id",
        ),
        (
            "POST",
            "/api/integrations/types/register",
            json!({"id": "ci", "displayName": "C\u{0}I", "configSchema": {"fields": []}}),
            "displayName",
        ),
        (
            "POST",
            "/api/integrations/int-1/events",
            json!({"events": [], "cursor": "\u{0}"}),
            "cursor",
        ),
        (
            "POST",
            "/api/events",
            json!({"title": "t", "connector": "c", "project": "p", "timestamp": ts(0), "x": "\u{0}"}),
            "x",
        ),
    ];
    for (method, path, body, field) in bodies {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = h.as_default().send(m, path, Some(&body)).await;
        assert_400(&r, field, &format!("{method} {path} {body}"));
    }
    // A batch is validated item by item: the NUL item is refused, naming
    // its field, and the others are stored as usual.
    let r = h
        .post(
            "/api/events/batch",
            &json!([ev("ok", "c", "p", &ts(0)), {"title": "\u{0}"}]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["results"][1]["status"], "invalid", "{}", r.body);
    assert_eq!(r.body["results"][1]["error"]["field"], "[1].title");
    assert_eq!(r.body["created"], 1);

    // Query strings and path parameters.
    let cursor = base64_url(&format!("{}|ab\u{0}c", i64::MAX));
    for (path, field) in [
        ("/api/events?project=a%00b", "project"),
        ("/api/events?ref=commit:a%00", "ref"),
        ("/api/events?team=t%00", "team"),
        ("/api/events?tag=%00", "tag"),
        ("/api/events?q=%00", "q"),
        ("/api/events?connector=x&connector=y%00", "connector"),
        ("/api/timeline?integrationId=%00", "integrationId"),
        ("/api/events/stream?kind=%00", "kind"),
        ("/api/events?cursor=%00", "cursor"),
        ("/api/integrations?type=git%00hub", "type"),
        ("/api/events/a%00b", "id"),
        ("/api/teams/a%00b", "id"),
        ("/api/integrations/a%00b", "id"),
        ("/api/integrations/a%00b/status", "id"),
        ("/api/integrations/types/a%00b", "type"),
    ] {
        let r = h.get(path).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.body);
        let got = r.error().1.unwrap_or_default();
        // Path parameters are named as the route names them.
        assert!(
            got == field
                || (field == "id" && !got.is_empty())
                || (field == "type" && !got.is_empty()),
            "{path}: field {got:?}, body {}",
            r.body
        );
    }
    // A cursor whose decoded contents carry NUL.
    let r = h.get(&format!("/api/events?cursor={cursor}")).await;
    assert_400(&r, "cursor", "cursor contents");
    // Unauthenticated, and the delete/patch verbs too.
    let r = h
        .raw(
            h.c.post(h.s.url("/api/webhooks/github/a%00b"))
                .header("content-type", "application/json")
                .header("x-github-event", "ping")
                .body("{}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.error().1.is_some());
    let r = h.delete("/api/teams/a%00").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    // Nothing above reached the database as a 500, and it still answers.
    let r = h.get("/api/teams").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.arr().len(), 1);
}

fn base64_url(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

async fn integration_deliveries_keep_null_integration_ids_inside(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    h.integration("default", "int-1").await;
    let mut a = ev("a", "github", "p", &ts(1));
    a["integrationId"] = Value::Null;
    a["externalId"] = json!("x-1");
    let mut c = ev("c", "github", "p", &ts(2));
    c["integrationId"] = json!("");
    c["externalId"] = json!("x-2");
    let r = h
        .post("/api/integrations/int-1/events", &json!({"events": [a, c]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["created"], 2, "{}", r.body);
    let r = h.get("/api/events?integrationId=int-1").await;
    assert_eq!(r.arr().len(), 2, "{}", r.body);
    for e in r.arr() {
        assert_eq!(e["integrationId"], "int-1");
    }
    // Purging the integration takes them along.
    assert_eq!(
        h.delete("/api/integrations/int-1?purge=true").await.status,
        StatusCode::NO_CONTENT
    );
    assert!(h.get("/api/events").await.arr().is_empty());
}

async fn null_integration_dedup_is_per_connector(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    let mut ci = ev("build", "ci", "p", &ts(1));
    ci["externalId"] = json!("build-1");
    let mut jenkins = ci.clone();
    jenkins["connector"] = json!("jenkins");
    assert_eq!(h.post("/api/events", &ci).await.status, StatusCode::CREATED);
    let r = h.post("/api/events", &jenkins).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        h.post("/api/events", &ci).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        h.post("/api/events", &jenkins).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(h.get("/api/events").await.arr().len(), 2);
}

async fn event_urls_must_be_http(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    for url in [
        "javascript:alert(1)",
        "data:text/html,<b>",
        "file:///etc/passwd",
    ] {
        let mut e = ev("x", "git", "p", &ts(0));
        e["url"] = json!(url);
        let r = h.post("/api/events", &e).await;
        assert_400(&r, "url", url);
    }
    let mut e = ev("x", "git", "p", &ts(0));
    e["url"] = json!("https://ci.example.com/build/1");
    assert_eq!(h.post("/api/events", &e).await.status, StatusCode::CREATED);
}
