//! Integration tests through the real HTTP server (127.0.0.1:0), each run
//! against SQLite and PostgreSQL (`PAINCHAIN_TEST_DATABASE_URL`; skipped with
//! a notice when unset).

#[macro_use]
mod common;

use std::{collections::HashSet, time::Duration};

use common::*;
use painchain_core::{integration::Integration, token::Scope};
use painchain_server::testing::Backend;
use reqwest::Method;
use serde_json::{json, Value};

both_backends!(
    validation_errors,
    body_and_data_limits,
    duplicates_under_concurrency,
    events_without_external_id_are_always_new,
    batch_results,
    pagination_across_concurrent_inserts,
    filters,
    bad_query_parameters_name_the_parameter,
    timeline_totals_groups_buckets,
    projects_accumulate,
    teams_crud_and_team_filter,
    tenant_isolation,
    token_scopes_and_tenants,
    live_stream_filters,
    seed_client_compatibility,
    service_routes_ui_and_docs,
    retention_deletes_old_events,
);

// ---------------------------------------------------------------- validation

async fn validation_errors(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    let good = ev("ok", "github", "acme/api", &ts(0));

    for field in ["title", "connector", "project", "timestamp"] {
        let mut e = good.clone();
        e.as_object_mut().unwrap().remove(field);
        let r = h.post("/api/events", &e).await;
        assert_eq!(r.status, 400, "missing {field}: {}", r.body);
        assert_eq!(r.error(), ("missing_field".into(), Some(field.into())));
    }
    for (field, bad) in [
        ("title", json!(42)),
        ("tags", json!("prod")),
        ("data", json!([1, 2])),
        ("externalId", json!({"a": 1})),
    ] {
        let mut e = good.clone();
        e[field] = bad;
        let r = h.post("/api/events", &e).await;
        assert_eq!(r.status, 400, "{field}: {}", r.body);
        assert_eq!(r.error(), ("invalid_type".into(), Some(field.into())));
    }
    let mut e = good.clone();
    e["timestamp"] = json!("yesterday-ish");
    let r = h.post("/api/events", &e).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.error(),
        ("invalid_timestamp".into(), Some("timestamp".into()))
    );

    let mut e = good.clone();
    e["title"] = json!("t".repeat(1025));
    let r = h.post("/api/events", &e).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.error(), ("too_large".into(), Some("title".into())));

    // Not JSON at all, JSON but not an object, wrong content type.
    let r = h
        .raw(
            h.c.post(h.s.url("/api/events"))
                .header("content-type", "application/json")
                .body("{\"title\": "),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error().0, "malformed_json");
    let r = h.post("/api/events", &json!([1, 2])).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error(), ("invalid_type".into(), Some("body".into())));
    let r = h.post("/api/events", &json!("just a string")).await;
    assert_eq!(r.status, 400);
    let r = h
        .raw(
            h.c.post(h.s.url("/api/events"))
                .header("content-type", "text/plain")
                .body(good.to_string()),
        )
        .await;
    assert_eq!(r.status, 415);
    r.error();
    let r = h
        .raw(h.c.post(h.s.url("/api/events")).body(good.to_string()))
        .await;
    assert_eq!(r.status, 415, "no content type");

    // A charset parameter and +json types are fine.
    let r = h
        .raw(
            h.c.post(h.s.url("/api/events"))
                .header("content-type", "application/json; charset=utf-8")
                .body(good.to_string()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // Unknown top-level fields are kept (in `extra`), not refused.
    let mut e = ev("extra", "github", "acme/api", &ts(1));
    e["severity"] = json!("high");
    let r = h.post("/api/events", &e).await;
    assert_eq!(r.status, 201);
    let id = r.body["id"].as_str().unwrap().to_string();
    let got = h.get(&format!("/api/events/{id}")).await;
    assert_eq!(got.body["extra"]["severity"], "high");
}

async fn body_and_data_limits(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    // data > 256 KB (default) → 413 naming `data`.
    let mut e = ev("big", "github", "acme/api", &ts(0));
    e["data"] = json!({"blob": "x".repeat(300 * 1024)});
    let r = h.post("/api/events", &e).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.error(), ("too_large".into(), Some("data".into())));

    // body > 1 MB → 413 before parsing.
    let mut e = ev("huge", "github", "acme/api", &ts(0));
    e["data"] = json!({"blob": "x".repeat(1100 * 1024)});
    let r = h.post("/api/events", &e).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.error(), ("too_large".into(), Some("body".into())));

    // The data limit is configurable.
    let Some(h) = H::start_with(b, |c| c.limits.max_data_bytes = 1000).await else {
        return;
    };
    let mut e = ev("small limit", "github", "acme/api", &ts(0));
    e["data"] = json!({"blob": "x".repeat(2000)});
    let r = h.post("/api/events", &e).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.error().1.as_deref(), Some("data"));
    e["data"] = json!({"blob": "x".repeat(500)});
    assert_eq!(h.post("/api/events", &e).await.status, 201);
}

// ---------------------------------------------------------------- dedup

async fn duplicates_under_concurrency(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    h.integration("default", "int-1").await;
    h.integration("default", "int-2").await;
    let mut e = ev("PR #7 merged", "github", "acme/api", &ts(0));
    e["externalId"] = json!("pr-7");
    e["integrationId"] = json!("int-1");
    let url = h.s.url("/api/events");
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let c = h.c.clone();
            let url = url.clone();
            let e = e.clone();
            tokio::spawn(async move { into_resp(c.post(url).json(&e).send().await.unwrap()).await })
        })
        .collect();
    let mut created = 0;
    let mut ids = HashSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        match r.status.as_u16() {
            201 => created += 1,
            409 => {
                assert_eq!(r.body["duplicate"], true);
                assert_eq!(r.error().0, "duplicate");
            }
            s => panic!("unexpected {s}: {}", r.body),
        }
        ids.insert(r.body["event_id"].as_str().unwrap().to_string());
        assert_eq!(r.body["event_id"], r.body["id"]);
    }
    assert_eq!(created, 1, "exactly one 201");
    assert_eq!(ids.len(), 1, "every answer names the same event");
    let list = h.get("/api/events").await;
    assert_eq!(list.arr().len(), 1, "never a second row");

    // Same externalId under another integration is another event.
    e["integrationId"] = json!("int-2");
    assert_eq!(h.post("/api/events", &e).await.status, 201);
}

async fn events_without_external_id_are_always_new(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    let e = ev("push", "git", "acme/api", &ts(0));
    for _ in 0..3 {
        assert_eq!(h.post("/api/events", &e).await.status, 201);
    }
    assert_eq!(h.get("/api/events").await.arr().len(), 3);
}

async fn batch_results(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    h.integration("default", "i").await;
    let mut existing = ev("existing", "github", "p", &ts(0));
    existing["externalId"] = json!("x-1");
    existing["integrationId"] = json!("i");
    assert_eq!(h.post("/api/events", &existing).await.status, 201);

    let mut fresh = ev("fresh", "github", "p", &ts(1));
    fresh["externalId"] = json!("x-2");
    fresh["integrationId"] = json!("i");
    let mut bad = ev("bad", "github", "p", &ts(2));
    bad["timestamp"] = json!("nope");
    let batch = json!([
        fresh,
        existing,
        bad,
        ev("no ext", "github", "p", &ts(3)),
        42
    ]);
    let r = h.post("/api/events/batch", &batch).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["created"], 2);
    assert_eq!(r.body["duplicates"], 1);
    assert_eq!(r.body["invalid"], 2);
    let res = r.body["results"].as_array().unwrap();
    let statuses: Vec<&str> = res.iter().map(|x| x["status"].as_str().unwrap()).collect();
    assert_eq!(
        statuses,
        ["created", "duplicate", "invalid", "created", "invalid"]
    );
    assert_eq!(res[2]["error"]["field"], "[2].timestamp");
    assert_eq!(res[4]["error"]["field"], "[4]");
    for (i, x) in res.iter().enumerate() {
        assert_eq!(x["index"], i);
    }
    assert_eq!(h.get("/api/events").await.arr().len(), 3);

    // Limits: not an array, more than 1000 items.
    let r = h.post("/api/events/batch", &json!({"events": []})).await;
    assert_eq!(r.status, 400);
    let many: Vec<Value> = (0..1001).map(|i| ev("e", "c", "p", &ts(i))).collect();
    let r = h.post("/api/events/batch", &json!(many)).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error().0, "too_many_items");
    let r = h.post("/api/events/batch", &json!([])).await;
    assert_eq!(r.body["created"], 0);
    // A batch may be larger than the 1 MB single-body limit.
    let big: Vec<Value> = (0..20)
        .map(|i| {
            let mut e = ev("big", "c", "p", &ts(i));
            e["data"] = json!({"blob": "x".repeat(70 * 1024)});
            e
        })
        .collect();
    let r = h.post("/api/events/batch", &json!(big)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["created"], 20);
    // 1000 items is fine.
    let r = h.post("/api/events/batch", &json!(many[..1000])).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["created"], 1000);
    assert_eq!(h.get("/api/events?limit=1").await.status, 200);
}

// ---------------------------------------------------------------- queries

async fn pagination_across_concurrent_inserts(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    let originals: Vec<Value> = (0..120)
        .map(|i| ev(&format!("e{i}"), "c", "p", &ts(10_000 + i)))
        .collect();
    // Several events share a timestamp: the id breaks ties.
    let mut same = ev("tie", "c", "p", &ts(10_050));
    same["externalId"] = json!("tie");
    let r = h.post("/api/events/batch", &json!(originals)).await;
    assert_eq!(r.body["created"], 120);
    assert_eq!(h.post("/api/events", &same).await.status, 201);

    // Legacy offset.
    let all = h.get("/api/events?limit=1000").await;
    assert_eq!(all.arr().len(), 121);
    let off = h.get("/api/events?limit=10&offset=10").await;
    assert_eq!(off.arr()[..], all.arr()[10..20]);

    // Writers add newer and older events while we page.
    let writer = {
        let c = h.c.clone();
        let url = h.s.url("/api/events");
        tokio::spawn(async move {
            for i in 0..60 {
                let t = if i % 2 == 0 {
                    ts(20_000 + i)
                } else {
                    ts(5_000 + i)
                };
                c.post(&url)
                    .json(&ev("late", "c", "p", &t))
                    .send()
                    .await
                    .unwrap();
            }
        })
    };
    let mut seen: Vec<String> = Vec::new();
    let mut next = Some("/api/events?limit=25&project=p".to_string());
    let mut pages = 0;
    while let Some(path) = next.take() {
        let r = h.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.body);
        seen.extend(
            r.arr()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_string()),
        );
        if let Some(link) = r.headers.get("link") {
            let link = link.to_str().unwrap();
            let cursor = r.headers["x-next-cursor"].to_str().unwrap();
            assert!(link.ends_with("; rel=\"next\""), "{link}");
            assert!(link.contains(&format!("cursor={cursor}")), "{link}");
            assert!(link.contains("project=p"), "filters kept: {link}");
            next = Some(link[1..link.find('>').unwrap()].to_string());
        } else {
            assert!(r.headers.get("x-next-cursor").is_none());
        }
        pages += 1;
        assert!(pages < 100);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    writer.await.unwrap();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no event twice");
    for e in all.arr() {
        assert!(
            seen.contains(&e["id"].as_str().unwrap().to_string()),
            "no gap"
        );
    }
    // Order: timestamp desc.
    let r = h.get("/api/events?limit=1000").await;
    let stamps: Vec<&str> = r
        .arr()
        .iter()
        .map(|e| e["timestamp"].as_str().unwrap())
        .collect();
    let mut sorted = stamps.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(stamps, sorted);
}

async fn filters(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    let now = chrono::Utc::now();
    let recent = (now - chrono::Duration::minutes(30)).to_rfc3339();
    let old = (now - chrono::Duration::days(3)).to_rfc3339();

    // An integration whose config.tags say "platform".
    h.s.store
        .create_integration(&Integration {
            id: "int-plat".into(),
            tenant_id: "default".into(),
            integration_type: "github".into(),
            name: "platform repos".into(),
            config: json!({"name": "platform", "tags": ["platform"]}),
            status: "active".into(),
            enabled: true,
            managed_by: None,
            last_sync: None,
            registered_at: now,
            updated_at: now,
        })
        .await
        .unwrap();

    let mut a = ev("Deploy api to prod", "k8s", "api", &recent);
    a["kind"] = json!("service.deployed");
    a["status"] = json!("success");
    a["environment"] = json!("prod");
    a["tags"] = json!(["prod", "backend"]);
    a["refs"] = json!([{"type": "commit", "value": "abc123"}, {"type": "image", "value": "ghcr.io/acme/api@sha256:1"}]);
    a["data"] = json!({"replicas": 3, "note": "rollout of kraken"});
    let mut b2 = ev("PR #42 merged", "github", "web", &old);
    b2["kind"] = json!("change.merged");
    b2["status"] = json!("success");
    b2["integrationId"] = json!("int-plat");
    b2["refs"] = json!([{"type": "commit", "value": "def456"}]);
    let mut c = ev("Pipeline failed", "github", "api", &recent);
    c["kind"] = json!("pipelinerun.finished");
    c["status"] = json!("failure");
    c["environment"] = json!("staging");
    c["tags"] = json!(["backend"]);
    for e in [&a, &b2, &c] {
        assert_eq!(h.post("/api/events", e).await.status, 201);
    }

    let titles = |r: Resp| -> Vec<String> {
        let mut t: Vec<String> = r
            .arr()
            .iter()
            .map(|e| e["title"].as_str().unwrap().to_string())
            .collect();
        t.sort();
        t
    };
    let q = |s: &str| format!("/api/events?{s}");
    assert_eq!(
        titles(h.get(&q("connector=k8s")).await),
        ["Deploy api to prod"]
    );
    assert_eq!(
        titles(h.get(&q("connector=k8s&connector=github")).await).len(),
        3
    );
    assert_eq!(
        titles(h.get(&q("project=api")).await),
        ["Deploy api to prod", "Pipeline failed"]
    );
    assert_eq!(
        titles(h.get(&q("kind=change.merged")).await),
        ["PR #42 merged"]
    );
    assert_eq!(
        titles(h.get(&q("status=failure")).await),
        ["Pipeline failed"]
    );
    assert_eq!(
        titles(h.get(&q("environment=prod")).await),
        ["Deploy api to prod"]
    );
    assert_eq!(
        titles(h.get(&q("integrationId=int-plat")).await),
        ["PR #42 merged"]
    );
    // tag: the event's own tags OR its integration's config.tags; repeated = OR.
    assert_eq!(titles(h.get(&q("tag=prod")).await), ["Deploy api to prod"]);
    assert_eq!(titles(h.get(&q("tag=platform")).await), ["PR #42 merged"]);
    assert_eq!(titles(h.get(&q("tag=prod&tag=platform")).await).len(), 2);
    assert_eq!(
        titles(h.get(&q("tag=backend&project=api&status=success")).await),
        ["Deploy api to prod"]
    );
    // ref
    assert_eq!(
        titles(h.get(&q("ref=commit:abc123")).await),
        ["Deploy api to prod"]
    );
    assert_eq!(
        titles(h.get(&q("ref=commit:def456&ref=commit:abc123")).await).len(),
        2
    );
    assert_eq!(
        titles(h.get(&q("ref=image:ghcr.io/acme/api@sha256:1")).await),
        ["Deploy api to prod"]
    );
    assert!(titles(h.get(&q("ref=commit:nope")).await).is_empty());
    // q: title and data
    assert_eq!(titles(h.get(&q("q=pipeline")).await), ["Pipeline failed"]);
    assert_eq!(titles(h.get(&q("q=kraken")).await), ["Deploy api to prod"]);
    // time
    assert_eq!(titles(h.get(&q("since=2h")).await).len(), 2);
    let start = (now - chrono::Duration::days(4)).to_rfc3339();
    let end = (now - chrono::Duration::days(2)).to_rfc3339();
    let r = h
        .raw(
            h.c.get(h.s.url("/api/events"))
                .query(&[("startDate", &start), ("endDate", &end)]),
        )
        .await;
    assert_eq!(titles(r), ["PR #42 merged"]);
    // limit
    assert_eq!(h.get(&q("limit=1")).await.arr().len(), 1);
    assert!(h
        .get(&q("limit=1"))
        .await
        .headers
        .get("x-next-cursor")
        .is_some());
}

async fn bad_query_parameters_name_the_parameter(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    for (qs, field) in [
        ("startDate=not-a-date", "startDate"),
        ("endDate=2024-13-45", "endDate"),
        ("limit=ten", "limit"),
        ("limit=-5", "limit"),
        ("cursor=%21%21%21", "cursor"),
        ("ref=commit", "ref"),
        ("since=yesterday", "since"),
        ("offset=x", "offset"),
        ("team=nobody", "team"),
        ("limit=1&limit=2", "limit"),
    ] {
        for path in ["/api/events", "/api/timeline", "/api/events/stream"] {
            // The stream has no pages: it ignores limit, cursor and offset.
            let paging = ["limit", "cursor", "offset"].contains(&field);
            if path.ends_with("stream") && paging {
                continue;
            }
            let r = h.get(&format!("{path}?{qs}")).await;
            assert_eq!(r.status, 400, "{path}?{qs}: {}", r.body);
            assert_eq!(r.error().1.as_deref(), Some(field), "{path}?{qs}");
        }
    }
    for (qs, field) in [
        ("groupBy=team", "groupBy"),
        ("interval=0", "interval"),
        ("stackBy=x", "stackBy"),
    ] {
        let r = h.get(&format!("/api/timeline?{qs}")).await;
        assert_eq!(r.status, 400, "{qs}");
        assert_eq!(r.error().1.as_deref(), Some(field));
    }
    let r = h.get("/api/timeline?team=nobody").await;
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("nobody"));
    // Unknown parameters are ignored (old clients).
    assert_eq!(h.get("/api/events?whatever=1").await.status, 200);
    // limit above the maximum is clamped, not refused.
    assert_eq!(h.get("/api/events?limit=5000").await.status, 200);
}

async fn timeline_totals_groups_buckets(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    let mut batch = Vec::new();
    for i in 0..30 {
        let (conn, proj) = if i % 3 == 0 {
            ("github", "web")
        } else {
            ("k8s", "api")
        };
        batch.push(ev(&format!("e{i}"), conn, proj, &ts(i * 600)));
    }
    assert_eq!(
        h.post("/api/events/batch", &json!(batch)).await.body["created"],
        30
    );

    let r = h.get("/api/timeline").await;
    assert_eq!(r.status, 200);
    let t = &r.body;
    assert_eq!(
        t["events"].as_array().unwrap().len(),
        30,
        "default limit 50"
    );
    assert_eq!(t["total"], 30);
    assert_eq!(t["groupBy"], "project");
    let groups: Vec<(String, i64)> = t["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].as_str().unwrap().into(),
                g["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        groups.contains(&("api".into(), 20)) && groups.contains(&("web".into(), 10)),
        "{groups:?}"
    );
    let buckets = t["buckets"].as_array().unwrap();
    let sum: i64 = buckets.iter().map(|b| b["total"].as_i64().unwrap()).sum();
    assert_eq!(sum, 30);
    assert!(
        (10..=101).contains(&buckets.len()),
        "auto interval: {} buckets",
        buckets.len()
    );
    let stacked: i64 = buckets
        .iter()
        .flat_map(|b| b["counts"].as_object().unwrap().values())
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert_eq!(stacked, 30);

    // Filtered total is the real count, not the page size.
    let r = h
        .get("/api/timeline?project=api&limit=5&groupBy=connector&interval=1h")
        .await;
    assert_eq!(r.body["total"], 20);
    assert_eq!(r.body["events"].as_array().unwrap().len(), 5);
    assert!(r.body["nextCursor"].is_string());
    assert_eq!(r.body["groupBy"], "connector");
    assert_eq!(r.body["groups"], json!([{"key": "k8s", "count": 20}]));
    assert_eq!(r.body["interval"], 3600);
    let next = r.body["nextCursor"].as_str().unwrap();
    let r2 = h
        .get(&format!("/api/timeline?project=api&limit=5&cursor={next}"))
        .await;
    assert_ne!(r2.body["events"][0]["id"], r.body["events"][0]["id"]);

    // Given range → buckets cover exactly it.
    let r = h
        .get(
            "/api/timeline?startDate=2024-01-01T00:00:00Z&endDate=2024-01-01T05:59:59Z&interval=1h",
        )
        .await;
    let buckets = r.body["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 6);
    assert_eq!(buckets[0]["start"], "2024-01-01T00:00:00Z");
    assert_eq!(buckets[0]["total"], 6);
    // Too many buckets → 400.
    let r = h
        .get("/api/timeline?startDate=2020-01-01T00:00:00Z&endDate=2024-01-01T00:00:00Z&interval=1")
        .await;
    assert_eq!(r.status, 400);
    // Empty result.
    let r = h.get("/api/timeline?project=none").await;
    assert_eq!(r.body["total"], 0);
    assert_eq!(r.body["events"], json!([]));
}

async fn projects_accumulate(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    let mut e1 = ev("a", "github", "acme/api", &ts(0));
    e1["tags"] = json!(["prod"]);
    let mut e2 = ev("b", "k8s", "acme/api", &ts(100));
    e2["tags"] = json!(["backend"]);
    let e3 = ev("c", "github", "acme/web", &ts(50));
    for e in [&e1, &e2, &e3] {
        assert_eq!(h.post("/api/events", e).await.status, 201);
    }
    let r = h.get("/api/projects").await;
    let api = r
        .arr()
        .iter()
        .find(|p| p["name"] == "acme/api")
        .unwrap_or_else(|| panic!("{}", r.body));
    assert_eq!(api["eventCount"], 2);
    assert_eq!(api["lastEventAt"], ts(100));
    let mut tags: Vec<&str> = api["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    tags.sort();
    assert_eq!(tags, ["backend", "prod"]);
    let conns = api["connectors"].as_array().unwrap();
    assert_eq!(conns.len(), 2);
    for key in ["id", "name", "connector", "tags", "createdAt"] {
        assert!(api.get(key).is_some(), "seed key {key}");
    }
    assert_eq!(r.arr().len(), 2);
}

async fn teams_crud_and_team_filter(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    let r = h
        .post(
            "/api/teams",
            &json!({"name": "payments", "tags": ["prod", "pay"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    for key in ["id", "name", "tags", "createdAt", "updatedAt", "tenantId"] {
        assert!(r.body.get(key).is_some(), "{key}");
    }
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = h
        .post("/api/teams", &json!({"name": "payments", "tags": []}))
        .await;
    assert_eq!(r.status, 409);
    r.error();
    let r = h.post("/api/teams", &json!({"tags": []})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error().1.as_deref(), Some("name"));
    let r = h
        .post("/api/teams", &json!({"name": "x", "tags": "prod"}))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error().1.as_deref(), Some("tags"));

    assert_eq!(h.get("/api/teams").await.arr().len(), 1);
    assert_eq!(
        h.get(&format!("/api/teams/{id}")).await.body["name"],
        "payments"
    );
    let r = h
        .put(&format!("/api/teams/{id}"), &json!({"tags": ["pay"]}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["tags"], json!(["pay"]));
    assert_eq!(r.body["name"], "payments");

    let mut e = ev("charge svc deployed", "k8s", "charge", &ts(0));
    e["tags"] = json!(["pay"]);
    h.post("/api/events", &e).await;
    h.post("/api/events", &ev("other", "k8s", "web", &ts(1)))
        .await;
    let r = h.get("/api/events?team=payments").await;
    assert_eq!(r.arr().len(), 1);
    assert_eq!(r.arr()[0]["title"], "charge svc deployed");
    let r = h.get(&format!("/api/timeline?team={id}")).await;
    assert_eq!(r.body["total"], 1, "team by id");
    // A team without tags selects nothing (not everything).
    h.post("/api/teams", &json!({"name": "empty", "tags": []}))
        .await;
    assert_eq!(h.get("/api/events?team=empty").await.arr().len(), 0);
    assert_eq!(h.get("/api/timeline?team=empty").await.body["total"], 0);

    assert_eq!(h.delete(&format!("/api/teams/{id}")).await.status, 204);
    assert_eq!(h.get(&format!("/api/teams/{id}")).await.status, 404);
    assert_eq!(h.delete(&format!("/api/teams/{id}")).await.status, 404);
    let r = h
        .put(&format!("/api/teams/{id}"), &json!({"name": "y"}))
        .await;
    assert_eq!(r.status, 404);
}

// ---------------------------------------------------------------- tenancy & auth

async fn tenant_isolation(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    let t1 = h.with(Some("t1"), None);
    let t2 = h.with(Some("t2"), None);
    let mut e = ev("same", "github", "shared", &ts(0));
    e["externalId"] = json!("ext-1");
    let r1 = t1.post("/api/events", &e).await;
    let r2 = t2.post("/api/events", &e).await;
    assert_eq!(
        (r1.status.as_u16(), r2.status.as_u16()),
        (201, 201),
        "same externalId, two tenants"
    );
    let id1 = r1.body["id"].as_str().unwrap().to_string();
    let id2 = r2.body["id"].as_str().unwrap().to_string();
    assert_ne!(id1, id2);
    assert_eq!(t1.post("/api/events", &e).await.status, 409);
    let r = t2
        .post(
            "/api/events/batch",
            &json!([e.clone(), ev("t2 only", "k8s", "t2proj", &ts(5))]),
        )
        .await;
    assert_eq!(r.body["duplicates"], 1);

    // list / get / timeline / projects
    let l1 = t1.get("/api/events").await;
    assert_eq!(l1.arr().len(), 1);
    assert_eq!(l1.arr()[0]["tenantId"], "t1");
    assert_eq!(t2.get("/api/events").await.arr().len(), 2);
    assert_eq!(
        h.get("/api/events").await.arr().len(),
        0,
        "default tenant sees nothing"
    );
    assert_eq!(t1.get(&format!("/api/events/{id2}")).await.status, 404);
    assert_eq!(t2.get(&format!("/api/events/{id2}")).await.status, 200);
    assert_eq!(t1.get("/api/timeline").await.body["total"], 1);
    assert_eq!(t2.get("/api/timeline?q=only").await.body["total"], 1);
    assert_eq!(t1.get("/api/timeline?q=only").await.body["total"], 0);
    let p1 = t1.get("/api/projects").await;
    assert_eq!(p1.arr().len(), 1);
    assert_eq!(t2.get("/api/projects").await.arr().len(), 2);

    // Integrations are per tenant too: t2 can't post under t1's.
    h.integration("t1", "int-t1").await;
    let mut via = ev("via t1's integration", "github", "shared", &ts(1));
    via["integrationId"] = json!("int-t1");
    let r = t2.post("/api/events", &via).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(
        r.error(),
        ("unknown_integration".into(), Some("integrationId".into()))
    );
    let r = t2.post("/api/events/batch", &json!([via.clone()])).await;
    assert_eq!(r.body["invalid"], 1, "{}", r.body);
    assert_eq!(t1.post("/api/events", &via).await.status, 201);
    assert_eq!(t2.post("/api/events", &via).await.status, 404);

    // teams: same name in both tenants, invisible to each other
    let a = t1
        .post("/api/teams", &json!({"name": "sre", "tags": ["x"]}))
        .await;
    assert_eq!(a.status, 201);
    assert_eq!(
        t2.post("/api/teams", &json!({"name": "sre", "tags": ["y"]}))
            .await
            .status,
        201
    );
    let team1 = a.body["id"].as_str().unwrap();
    assert_eq!(t2.get(&format!("/api/teams/{team1}")).await.status, 404);
    assert_eq!(t2.delete(&format!("/api/teams/{team1}")).await.status, 404);
    assert_eq!(t1.get("/api/teams").await.arr().len(), 1);
    assert_eq!(
        t2.get(&format!("/api/events?team={team1}")).await.status,
        400,
        "t1's team id unknown in t2"
    );

    // stream: t1's subscriber doesn't see t2's events
    let res = t1
        .rb(Method::GET, "/api/events/stream")
        .send()
        .await
        .unwrap();
    let mut sse = SseReader::new(res);
    sse.next_message().await.unwrap();
    t2.post("/api/events", &ev("t2 live", "c", "p", &ts(9)))
        .await;
    t1.post("/api/events", &ev("t1 live", "c", "p", &ts(9)))
        .await;
    let got = sse.next_event(Duration::from_secs(5)).await.expect("event");
    assert_eq!(got["title"], "t1 live");

    // invalid tenant header
    let bad = h.with(Some("a b/c"), None).get("/api/events").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.error().1.as_deref(), Some("x-tenant-id"));
}

async fn token_scopes_and_tenants(b: Backend) {
    let Some(h) = H::start_with(b, |c| c.auth.enabled = true).await else {
        return;
    };
    let (_, admin) = painchain_server::auth::create_token_in_store(
        h.s.store.as_ref(),
        "default",
        "root",
        Scope::Admin,
    )
    .await
    .unwrap();
    let as_admin = h.with(None, Some(&admin));

    // 401: none, wrong, malformed.
    for tok in [
        None,
        Some("pc_wrongwrongwrongwrongwrongwrongwr"),
        Some("garbage"),
    ] {
        let r = h.with(None, tok).get("/api/events").await;
        assert_eq!(r.status, 401, "{tok:?}");
        assert_eq!(r.error().0, "unauthorized");
    }
    let r = h
        .with(None, None)
        .post("/api/events", &ev("x", "c", "p", &ts(0)))
        .await;
    assert_eq!(r.status, 401);
    // Liveness/readiness stay open.
    assert_eq!(h.get("/health").await.status, 200);
    assert_eq!(h.get("/ready").await.status, 200);

    let mk = |scope: &str| json!({"name": format!("{scope}-tok"), "scope": scope});
    let read = as_admin.post("/api/tokens", &mk("read")).await;
    assert_eq!(read.status, 201, "{}", read.body);
    let read_tok = read.body["token"].as_str().unwrap().to_string();
    assert!(read_tok.starts_with("pc_") && read_tok.len() == 35);
    assert_eq!(read.body["scope"], "read");
    assert_eq!(read.body["tenantId"], "default");
    let ingest_tok = as_admin.post("/api/tokens", &mk("ingest")).await.body["token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = as_admin
        .post("/api/tokens", &json!({"name": "x", "scope": "root"}))
        .await;
    assert_eq!(r.error().1.as_deref(), Some("scope"));

    let as_read = h.with(None, Some(&read_tok));
    let as_ingest = h.with(None, Some(&ingest_tok));
    // read: GETs yes, writes 403
    assert_eq!(as_read.get("/api/events").await.status, 200);
    let r = as_read
        .post("/api/events", &ev("x", "c", "p", &ts(0)))
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.error().0, "forbidden");
    assert_eq!(
        as_read.post("/api/events/batch", &json!([])).await.status,
        403
    );
    assert_eq!(
        as_read
            .post("/api/teams", &json!({"name": "t"}))
            .await
            .status,
        403
    );
    // ingest: posts events and reads; no admin
    assert_eq!(
        as_ingest
            .post("/api/events", &ev("x", "c", "p", &ts(0)))
            .await
            .status,
        201
    );
    assert_eq!(as_ingest.get("/api/events").await.arr().len(), 1);
    assert_eq!(as_ingest.get("/api/tokens").await.status, 403);
    assert_eq!(
        as_ingest.post("/api/tokens", &mk("admin")).await.status,
        403
    );
    assert_eq!(
        as_ingest
            .post("/api/teams", &json!({"name": "t"}))
            .await
            .status,
        403
    );
    // admin: everything
    assert_eq!(
        as_admin
            .post("/api/teams", &json!({"name": "t"}))
            .await
            .status,
        201
    );
    let list = as_admin.get("/api/tokens").await;
    assert_eq!(list.arr().len(), 3);
    assert!(list
        .arr()
        .iter()
        .all(|t| t.get("token").is_none() && t["prefix"].is_string()));
    assert!(
        !list.body.to_string().contains(&read_tok),
        "secrets never listed"
    );

    // The token's tenant wins over x-tenant-id.
    let other = as_admin
        .post(
            "/api/tokens",
            &json!({"name": "t2-admin", "scope": "admin", "tenant": "t2"}),
        )
        .await;
    assert_eq!(other.status, 201);
    assert_eq!(other.body["tenantId"], "t2");
    let t2_tok = other.body["token"].as_str().unwrap().to_string();
    let t2_claims_default = h.with(Some("default"), Some(&t2_tok));
    assert_eq!(
        t2_claims_default
            .post("/api/events", &ev("t2 event", "c", "p", &ts(1)))
            .await
            .status,
        201
    );
    let seen_by_t2 = t2_claims_default.get("/api/events").await;
    assert_eq!(seen_by_t2.arr().len(), 1, "t2 sees only its own event");
    assert_eq!(seen_by_t2.arr()[0]["tenantId"], "t2");
    let default_reading_t2 = h.with(Some("t2"), Some(&read_tok)).get("/api/events").await;
    assert!(
        default_reading_t2
            .arr()
            .iter()
            .all(|e| e["tenantId"] == "default"),
        "a header can't switch a token's tenant"
    );
    // A non-operator admin can't mint tokens for other tenants.
    let r = h
        .with(None, Some(&t2_tok))
        .post(
            "/api/tokens",
            &json!({"name": "x", "scope": "read", "tenant": "t3"}),
        )
        .await;
    assert_eq!(r.status, 403);
    // t2's admin doesn't see default's tokens.
    assert_eq!(
        h.with(None, Some(&t2_tok))
            .get("/api/tokens")
            .await
            .arr()
            .len(),
        1
    );

    // Revocation takes effect at once on this server.
    let read_id = read.body["id"].as_str().unwrap();
    assert_eq!(
        h.with(None, Some(&t2_tok))
            .delete(&format!("/api/tokens/{read_id}"))
            .await
            .status,
        404
    );
    assert_eq!(
        as_admin
            .delete(&format!("/api/tokens/{read_id}"))
            .await
            .status,
        204
    );
    assert_eq!(as_read.get("/api/events").await.status, 401);
    assert_eq!(
        as_admin
            .delete(&format!("/api/tokens/{read_id}"))
            .await
            .status,
        404
    );

    // The stored hash is SHA-256 of the token; the secret itself is nowhere.
    let found =
        h.s.store
            .find_token(&painchain_server::auth::hash_token(&ingest_tok))
            .await
            .unwrap();
    assert!(found.is_some());
}

// ---------------------------------------------------------------- live stream

async fn live_stream_filters(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    let res = h
        .as_default()
        .rb(
            Method::GET,
            "/api/events/stream?project=wanted&status=failure",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut sse = SseReader::new(res);
    let (_, _, comment) = sse.next_message().await.unwrap();
    assert_eq!(comment, "subscribed");

    let mut other = ev("not for us", "c", "other", &ts(0));
    other["status"] = json!("failure");
    let mut wrong_status = ev("also not", "c", "wanted", &ts(0));
    wrong_status["status"] = json!("success");
    let mut wanted = ev("for us", "c", "wanted", &ts(0));
    wanted["status"] = json!("failure");
    h.post("/api/events", &other).await;
    h.post("/api/events", &wrong_status).await;
    // A batch feeds the stream too.
    let r = h.post("/api/events/batch", &json!([wanted])).await;
    let id = r.body["results"][0]["id"].clone();
    let got = sse
        .next_event(Duration::from_secs(5))
        .await
        .expect("an event");
    assert_eq!(got["title"], "for us");
    assert_eq!(got["id"], id);
    assert_eq!(got["tenantId"], "default");
    // Nothing else arrives.
    assert!(sse.next_event(Duration::from_millis(300)).await.is_none());

    // Tag filter via the integration's config.tags.
    let now = chrono::Utc::now();
    h.s.store
        .create_integration(&Integration {
            id: "int-t".into(),
            tenant_id: "default".into(),
            integration_type: "github".into(),
            name: "n".into(),
            config: json!({"tags": ["team-x"]}),
            status: "active".into(),
            enabled: true,
            managed_by: None,
            last_sync: None,
            registered_at: now,
            updated_at: now,
        })
        .await
        .unwrap();
    let res = h
        .as_default()
        .rb(Method::GET, "/api/events/stream?tag=team-x")
        .send()
        .await
        .unwrap();
    let mut sse = SseReader::new(res);
    sse.next_message().await.unwrap();
    h.post("/api/events", &ev("untagged", "c", "p", &ts(0)))
        .await;
    let mut via_integration = ev("via integration", "c", "p", &ts(0));
    via_integration["integrationId"] = json!("int-t");
    h.post("/api/events", &via_integration).await;
    let got = sse
        .next_event(Duration::from_secs(5))
        .await
        .expect("an event");
    assert_eq!(got["title"], "via integration");
}

/// Two replicas on one PostgreSQL database: a stream on B sees what is
/// posted to A (filters, integration tags and tenants as for local events),
/// and B's own events exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn live_stream_across_replicas() {
    let Some(a) = H::start(Backend::Postgres).await else {
        return;
    };
    let b = H {
        s: a.s.start_replica().await.expect("a replica"),
        c: reqwest::Client::new(),
        tenant: None,
        token: None,
    };
    let now = chrono::Utc::now();
    a.s.store
        .create_integration(&Integration {
            id: "int-r".into(),
            tenant_id: "t1".into(),
            integration_type: "github".into(),
            name: "n".into(),
            config: json!({"tags": ["team-x"]}),
            status: "active".into(),
            enabled: true,
            managed_by: None,
            last_sync: None,
            registered_at: now,
            updated_at: now,
        })
        .await
        .unwrap();
    let open = |tenant: &'static str, query: &'static str| {
        let rb = b
            .with(Some(tenant), None)
            .rb(Method::GET, &format!("/api/events/stream{query}"));
        async move {
            let mut sse = SseReader::new(rb.send().await.unwrap());
            let (_, _, comment) = sse.next_message().await.unwrap();
            assert_eq!(comment, "subscribed");
            sse
        }
    };
    let mut t1_tagged = open("t1", "?tag=team-x").await;
    let mut t2_all = open("t2", "").await;

    let on_a1 = a.with(Some("t1"), None);
    let on_a2 = a.with(Some("t2"), None);
    let mut other_tenant = ev("t2's", "c", "p", &ts(0));
    other_tenant["tags"] = json!(["team-x"]);
    assert_eq!(on_a2.post("/api/events", &other_tenant).await.status, 201);
    assert_eq!(
        on_a1
            .post("/api/events", &ev("untagged", "c", "p", &ts(0)))
            .await
            .status,
        201
    );
    let mut via_integration = ev("via integration", "c", "p", &ts(0));
    via_integration["integrationId"] = json!("int-r");
    let r = on_a1
        .post("/api/events/batch", &json!([via_integration]))
        .await;
    let id = r.body["results"][0]["id"].clone();

    let got = t1_tagged
        .next_event(Duration::from_secs(5))
        .await
        .expect("A's event on B's stream");
    assert_eq!(got["title"], "via integration");
    assert_eq!(got["id"], id);
    assert_eq!(got["tenantId"], "t1");
    let got = t2_all
        .next_event(Duration::from_secs(5))
        .await
        .expect("t2's event");
    assert_eq!(got["title"], "t2's");
    assert_eq!(got["tenantId"], "t2");

    // B's own event arrives once (published locally, not echoed).
    let mut own = ev("on b", "c", "p", &ts(0));
    own["integrationId"] = json!("int-r");
    let r = b.with(Some("t1"), None).post("/api/events", &own).await;
    assert_eq!(r.status, 201);
    let got = t1_tagged
        .next_event(Duration::from_secs(5))
        .await
        .expect("B's event");
    assert_eq!(got["title"], "on b");
    assert!(t1_tagged
        .next_event(Duration::from_millis(500))
        .await
        .is_none());
    assert!(t2_all
        .next_event(Duration::from_millis(100))
        .await
        .is_none());
    drop((t1_tagged, t2_all));
    let H { s, .. } = b;
    s.stop().await;
}

// ---------------------------------------------------------------- seed clients

/// The exact calls of ../shared/reference-api.md that this server covers.
async fn seed_client_compatibility(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    // Seed connectors post under integrations they fetched from the server.
    h.integration("default", "int-k8s").await;
    // POST /events, seed body (no extensions), no tenant header.
    let body = json!({
        "title": "Deployment api@v1.2.3",
        "connector": "kubernetes",
        "project": "prod-cluster",
        "timestamp": "2024-05-01T10:00:00.000Z",
        "integrationId": "int-k8s",
        "externalId": "deploy-123",
        "data": {"namespace": "default", "replicas": 3},
        "tags": ["prod"]
    });
    let r = h.post("/api/events", &body).await;
    assert_eq!(r.status, 201);
    let event_id = r.body["event_id"].as_str().expect("event_id").to_string();
    assert!(r.body["stored_at"].is_string());
    let r = h.post("/api/events", &body).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["event_id"], event_id.as_str());

    // GET /events with the seed's parameters → bare array, timestamp desc.
    h.post(
        "/api/events",
        &ev(
            "older",
            "kubernetes",
            "prod-cluster",
            "2024-04-01T00:00:00Z",
        ),
    )
    .await;
    let r = h
        .get("/api/events?connector=kubernetes&project=prod-cluster&startDate=2024-01-01T00:00:00Z&endDate=2024-12-31T00:00:00Z&limit=100&offset=0")
        .await;
    assert_eq!(r.status, 200);
    let arr = r.arr();
    assert_eq!(arr.len(), 2);
    assert_eq!(arr[0]["id"], event_id.as_str());
    for key in [
        "id",
        "title",
        "connector",
        "project",
        "timestamp",
        "data",
        "createdAt",
        "integrationId",
    ] {
        assert!(arr[0].get(key).is_some(), "event key {key}");
    }
    assert_eq!(arr[0]["timestamp"], "2024-05-01T10:00:00Z");
    assert_eq!(arr[0]["data"]["replicas"], 3);
    let r = h.get("/api/events?limit=1&offset=1").await;
    assert_eq!(r.arr()[0]["title"], "older");

    // GET /events/:id and a 404 JSON error.
    let r = h.get(&format!("/api/events/{event_id}")).await;
    assert_eq!(r.body["title"], "Deployment api@v1.2.3");
    let r = h.get("/api/events/does-not-exist").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error().0, "not_found");

    // GET /timeline → {events, total} with the seed's params.
    let r = h
        .get("/api/timeline?tag=prod&limit=50&startDate=2024-01-01T00:00:00Z")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["events"][0]["id"], event_id.as_str());
    let r = h
        .get("/api/timeline?connector=kubernetes&project=prod-cluster")
        .await;
    assert_eq!(r.body["total"], 2);

    // Teams.
    let r = h
        .post("/api/teams", &json!({"name": "platform", "tags": ["prod"]}))
        .await;
    assert_eq!(r.status, 201);
    let tid = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        h.post("/api/teams", &json!({"name": "platform", "tags": []}))
            .await
            .status,
        409
    );
    assert_eq!(h.get("/api/teams").await.arr().len(), 1);
    let r = h
        .put(
            &format!("/api/teams/{tid}"),
            &json!({"name": "platform-2", "tags": ["a"]}),
        )
        .await;
    assert_eq!(r.body["name"], "platform-2");
    assert_eq!(h.delete(&format!("/api/teams/{tid}")).await.status, 204);

    // Projects, filled from events.
    let r = h.get("/api/projects").await;
    let p = &r.arr()[0];
    for key in ["id", "name", "connector", "tags", "createdAt"] {
        assert!(p.get(key).is_some(), "project key {key}");
    }
    assert_eq!(p["name"], "prod-cluster");
    assert_eq!(p["connector"], "kubernetes");
}

// ---------------------------------------------------------------- service

async fn service_routes_ui_and_docs(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    let r = h.get("/health").await;
    assert_eq!(r.body, json!({"status": "ok"}));
    let r = h.get("/ready").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "ok");

    let r = h.get("/api/nope").await;
    assert_eq!(r.status, 404);
    r.error();
    let r = h.get("/api/events/x/y").await;
    assert_eq!(r.status, 404);
    r.error();
    let r = h.delete("/api/events").await;
    assert_eq!(r.status, 405);
    r.error();

    let spec = h.get("/api/openapi.json").await;
    assert_eq!(spec.status, 200);
    assert!(spec.body["paths"]["/api/events"]["post"].is_object());
    assert!(spec.body["paths"]["/api/timeline"]["get"].is_object());
    // The integrations API, connector calls included.
    let paths = &spec.body["paths"];
    for (path, methods) in [
        ("/api/integrations/types", &["get"][..]),
        ("/api/integrations/types/register", &["post"]),
        ("/api/integrations/types/{type}", &["get"]),
        ("/api/integrations/types/{type}/schema", &["get"]),
        ("/api/integrations/types/{type}/logo", &["get"]),
        ("/api/integrations/types/{type}/heartbeat", &["post"]),
        ("/api/integrations/types/{type}/tests/{testId}", &["post"]),
        ("/api/integrations", &["get", "post"]),
        ("/api/integrations/{id}", &["get", "put", "patch", "delete"]),
        ("/api/integrations/{id}/sync", &["post"]),
        ("/api/integrations/{id}/test", &["post"]),
        ("/api/integrations/{id}/status", &["get", "post"]),
        ("/api/integrations/{id}/cursor", &["get", "put"]),
    ] {
        for m in methods {
            let op = &paths[path][m];
            assert!(
                op.is_object(),
                "{m} {path} missing from the OpenAPI document"
            );
            assert!(op["responses"].is_object(), "{m} {path}: {op}");
        }
    }
    let ids: Vec<&str> = paths
        .as_object()
        .unwrap()
        .values()
        .flat_map(|p| p.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "operationIds are unique: {ids:?}");
    let schemas = &spec.body["components"]["schemas"];
    for name in [
        "IntegrationRow",
        "ConnectorTypeRow",
        "CreateBody",
        "InvalidConfigBody",
    ] {
        assert!(schemas[name].is_object(), "schema {name}");
    }
    let create = &paths["/api/integrations"]["post"];
    assert!(create["responses"]["201"].is_object(), "{create}");
    assert!(create["requestBody"].is_object(), "{create}");
    assert_eq!(
        paths["/api/integrations/types/{type}/logo"]["get"]["security"],
        json!([{}]),
        "logos need no token"
    );
    // The unknown-integration answer of POST /api/events is documented.
    assert!(paths["/api/events"]["post"]["responses"]["404"].is_object());
    let docs = h.c.get(h.s.url("/api/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs
        .text()
        .await
        .unwrap()
        .to_lowercase()
        .contains("swagger"));

    // The UI: index for "/" and for client routes, assets with types.
    for path in ["/", "/settings", "/timeline/deep/link"] {
        let res = h.c.get(h.s.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert_eq!(res.headers()["cache-control"], "no-cache");
    }
    let res =
        h.c.get(h.s.url("/assets/missing-abc123.js"))
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), 404);

    // A store that no longer answers: not ready (503), liveness still fine.
    h.s.store.close().await;
    let r = h.get("/ready").await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.error().0, "unavailable");
    assert_eq!(h.get("/health").await.status, 200);
    let r = h.post("/api/events", &ev("late", "c", "p", &ts(0))).await;
    assert!(r.status.is_server_error(), "{}", r.status);
    r.error();
}

async fn retention_deletes_old_events(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    let now = chrono::Utc::now();
    let old = (now - chrono::Duration::days(600)).to_rfc3339();
    let fresh = (now - chrono::Duration::days(10)).to_rfc3339();
    let mut batch: Vec<Value> = (0..25)
        .map(|i| ev(&format!("old{i}"), "c", "p", &old))
        .collect();
    batch.push(ev("fresh", "c", "p", &fresh));
    h.post("/api/events/batch", &json!(batch)).await;
    let cutoff = now - chrono::Duration::days(548);
    let n = painchain_server::retention::run_once(h.s.store.as_ref(), cutoff, 10, || false)
        .await
        .unwrap();
    assert_eq!(n, 25);
    let r = h.get("/api/events").await;
    assert_eq!(r.arr().len(), 1);
    assert_eq!(r.arr()[0]["title"], "fresh");
}

#[tokio::test]
async fn graceful_stop_closes_streams() {
    let Some(h) = H::start(Backend::Sqlite).await else {
        return;
    };
    let res = h
        .as_default()
        .rb(Method::GET, "/api/events/stream")
        .send()
        .await
        .unwrap();
    let mut sse = SseReader::new(res);
    sse.next_message().await.unwrap();
    let H { s, .. } = h;
    // stop() only returns once the SSE stream has ended and the store closed.
    tokio::time::timeout(Duration::from_secs(10), s.stop())
        .await
        .expect("shutdown completes despite an open stream");
    assert!(sse.next_message().await.is_none(), "stream ended");
}
