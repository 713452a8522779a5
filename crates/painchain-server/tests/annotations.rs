//! `GET /api/annotations`: the Grafana shape, the timeline's filters,
//! Grafana's epoch-millisecond range, bad parameters, tenants and scopes;
//! on SQLite and PostgreSQL.

#[macro_use]
mod common;

use common::*;
use painchain_core::token::Scope;
use painchain_server::testing::Backend;
use serde_json::{json, Value};

both_backends!(
    annotation_shape,
    annotation_filters,
    annotation_range_in_epoch_ms,
    annotation_bad_parameters,
    annotation_tenants_and_scopes,
);

/// Epoch milliseconds of `ts(secs)`.
fn ms(secs: i64) -> i64 {
    chrono::DateTime::parse_from_rfc3339(&ts(secs))
        .unwrap()
        .timestamp_millis()
}

fn titles(r: &Resp) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", r.body);
    let mut t: Vec<String> = r
        .arr()
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

/// Three events: a production deploy, a failed pipeline, a merge.
async fn seed(h: &H) {
    h.integration("default", "int-plat").await;
    let mut deploy = ev("Deploy api to prod", "k8s", "api", &ts(0));
    deploy["kind"] = json!("service.deployed");
    deploy["status"] = json!("success");
    deploy["environment"] = json!("prod");
    deploy["tags"] = json!(["prod", "backend"]);
    deploy["actor"] = json!("alice");
    deploy["url"] = json!("https://ci.example/deploys/1");
    deploy["refs"] = json!([{"type": "commit", "value": "abc123"}]);
    deploy["data"] = json!({"note": "rollout of kraken"});
    let mut failed = ev("Pipeline failed", "github", "api", &ts(3600));
    failed["kind"] = json!("pipelinerun.finished");
    failed["status"] = json!("failure");
    failed["environment"] = json!("staging");
    failed["tags"] = json!(["backend"]);
    let mut merged = ev("PR #42 merged", "github", "web", &ts(7200));
    merged["kind"] = json!("change.merged");
    merged["integrationId"] = json!("int-plat");
    merged["refs"] = json!([{"type": "commit", "value": "def456"}]);
    for e in [&deploy, &failed, &merged] {
        let r = h.post("/api/events", e).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
}

async fn annotation_shape(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    seed(&h).await;
    let r = h.get("/api/annotations?kind=service.deployed").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let [a] = r.arr().as_slice() else {
        panic!("one annotation: {}", r.body)
    };
    assert_eq!(a["time"], json!(ms(0)), "epoch ms: {a}");
    assert_eq!(a["timeEnd"], json!(ms(0)));
    assert_eq!(a["title"], "Deploy api to prod");
    assert_eq!(
        a["text"],
        "api · k8s · service.deployed · success · prod · by alice — https://ci.example/deploys/1"
    );
    let tags: Vec<&str> = a["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(
        tags,
        [
            "prod",
            "backend",
            "project:api",
            "connector:k8s",
            "kind:service.deployed",
            "status:success",
            "environment:prod"
        ]
    );
    assert_eq!(a["url"], "https://ci.example/deploys/1");
    // The id leads back to the event.
    let id = a["id"].as_str().unwrap();
    let e = h.get(&format!("/api/events/{id}")).await;
    assert_eq!(e.body["title"], "Deploy api to prod");

    // An event without optional fields: no empty parts, no `url`.
    let r = h.get("/api/annotations?project=web").await;
    let a = &r.arr()[0];
    assert_eq!(a["text"], "web · github · change.merged");
    assert!(a.get("url").is_none(), "{a}");
    assert_eq!(
        a["tags"],
        json!(["project:web", "connector:github", "kind:change.merged"])
    );
    // Documented in the OpenAPI document.
    let spec = h.get("/api/openapi.json").await;
    assert!(
        spec.body["paths"]["/api/annotations"]["get"].is_object(),
        "{}",
        spec.body["paths"]
    );
    // Newest first, like /api/events.
    let r = h.get("/api/annotations").await;
    let times: Vec<i64> = r
        .arr()
        .iter()
        .map(|a| a["time"].as_i64().unwrap())
        .collect();
    assert_eq!(times, [ms(7200), ms(3600), ms(0)]);
}

async fn annotation_filters(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    seed(&h).await;
    h.post(
        "/api/teams",
        &json!({"name": "platform", "tags": ["platform-only"]}),
    )
    .await;
    h.post("/api/teams", &json!({"name": "be", "tags": ["backend"]}))
        .await;
    h.post("/api/teams", &json!({"name": "empty", "tags": []}))
        .await;
    let q = |s: &str| format!("/api/annotations?{s}");
    let both = ["Deploy api to prod", "Pipeline failed"];
    for (qs, want) in [
        (
            "",
            vec!["Deploy api to prod", "PR #42 merged", "Pipeline failed"],
        ),
        ("connector=k8s", vec!["Deploy api to prod"]),
        (
            "connector=k8s&connector=github",
            vec!["Deploy api to prod", "PR #42 merged", "Pipeline failed"],
        ),
        ("project=api", both.to_vec()),
        ("kind=change.merged", vec!["PR #42 merged"]),
        ("status=failure", vec!["Pipeline failed"]),
        ("environment=prod", vec!["Deploy api to prod"]),
        ("environment=prod&environment=staging", both.to_vec()),
        ("integrationId=int-plat", vec!["PR #42 merged"]),
        ("tag=backend", both.to_vec()),
        ("tag=prod", vec!["Deploy api to prod"]),
        ("team=be", both.to_vec()),
        ("team=empty", vec![]),
        ("ref=commit:def456", vec!["PR #42 merged"]),
        ("q=kraken", vec!["Deploy api to prod"]),
        ("tag=backend&status=success", vec!["Deploy api to prod"]),
        ("connector=nope", vec![]),
    ] {
        assert_eq!(titles(&h.get(&q(qs)).await), want, "?{qs}");
    }
    // limit: the newest first, capped but not refused above the maximum.
    let r = h.get(&q("limit=2")).await;
    assert_eq!(titles(&r), ["PR #42 merged", "Pipeline failed"]);
    assert_eq!(h.get(&q("limit=5000")).await.arr().len(), 3);
    // RFC 3339 bounds work as on /api/events.
    let r = h
        .raw(
            h.c.get(h.s.url("/api/annotations"))
                .query(&[("startDate", ts(1800)), ("endDate", ts(5400))]),
        )
        .await;
    assert_eq!(titles(&r), ["Pipeline failed"]);
}

async fn annotation_range_in_epoch_ms(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    seed(&h).await;
    let range = |from: Option<i64>, to: Option<i64>| {
        let mut qs = Vec::new();
        if let Some(f) = from {
            qs.push(format!("from={f}"));
        }
        if let Some(t) = to {
            qs.push(format!("to={t}"));
        }
        format!("/api/annotations?{}", qs.join("&"))
    };
    // Grafana's ${__from}/${__to}: both ends inclusive.
    assert_eq!(
        titles(&h.get(&range(Some(ms(0)), Some(ms(3600)))).await),
        ["Deploy api to prod", "Pipeline failed"]
    );
    assert_eq!(
        titles(&h.get(&range(Some(ms(1)), Some(ms(3599)))).await),
        Vec::<String>::new()
    );
    assert_eq!(
        titles(&h.get(&range(Some(ms(3600)), None)).await),
        ["PR #42 merged", "Pipeline failed"]
    );
    assert_eq!(
        titles(&h.get(&range(None, Some(ms(0)))).await),
        ["Deploy api to prod"]
    );
    // With the other filters.
    assert_eq!(
        titles(
            &h.get(&format!(
                "{}&project=api&status=failure",
                range(Some(ms(0)), Some(ms(7200)))
            ))
            .await
        ),
        ["Pipeline failed"]
    );
    // `since` and `from` together: the narrower start wins. The events are
    // in 2024, so `since=1h` leaves none whatever `from` says.
    let r = h
        .get(&format!("{}&since=1h", range(Some(ms(0)), None)))
        .await;
    assert!(titles(&r).is_empty(), "{}", r.body);
    // Empty values are absent values (Grafana leaves unset variables empty).
    assert_eq!(h.get("/api/annotations?from=&to=").await.arr().len(), 3);
}

async fn annotation_bad_parameters(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    for (qs, field) in [
        ("from=yesterday", "from"),
        ("to=2024-01-01T00:00:00Z", "to"),
        ("from=1.5", "from"),
        ("from=1&from=2", "from"),
        // Beyond what the store's nanosecond timestamps hold.
        ("from=99999999999999999", "from"),
        ("to=-9999999999999", "to"),
        ("from=2000&to=1000", "from"),
        ("from=1&startDate=2024-01-01T00:00:00Z", "from"),
        ("to=1&endDate=2024-01-01T00:00:00Z", "to"),
        ("startDate=nope", "startDate"),
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("ref=commit", "ref"),
        ("since=yesterday", "since"),
        ("team=nobody", "team"),
    ] {
        let r = h.get(&format!("/api/annotations?{qs}")).await;
        assert_eq!(r.status, 400, "?{qs}: {}", r.body);
        assert_eq!(
            r.error(),
            ("invalid_parameter".into(), Some(field.into())),
            "?{qs}"
        );
    }
    // Unknown parameters are ignored (Grafana may add its own).
    assert_eq!(h.get("/api/annotations?panelId=4").await.status, 200);
}

async fn annotation_tenants_and_scopes(b: Backend) {
    let Some(h) = H::start_with(b, |c| c.auth.enabled = true).await else {
        return;
    };
    let token = |tenant: &'static str, scope: Scope| {
        let store = h.s.store.clone();
        async move {
            painchain_server::auth::create_token_in_store(store.as_ref(), tenant, "t", scope)
                .await
                .unwrap()
                .1
        }
    };
    let ingest_a = token("a", Scope::Ingest).await;
    let ingest_b = token("b", Scope::Ingest).await;
    let read_a = token("a", Scope::Read).await;
    for (tok, title) in [(&ingest_a, "in a"), (&ingest_b, "in b")] {
        let r = h
            .with(None, Some(tok))
            .post("/api/events", &ev(title, "ci", "p", &ts(0)))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    // 401 without a token; a read token sees its tenant only, whatever
    // x-tenant-id says.
    let r = h.with(None, None).get("/api/annotations").await;
    assert_eq!(r.status, 401);
    let r = h
        .with(Some("b"), Some(&read_a))
        .get("/api/annotations")
        .await;
    assert_eq!(titles(&r), ["in a"]);
    let r: Value = h
        .with(None, Some(&ingest_b))
        .get("/api/annotations")
        .await
        .body;
    assert_eq!(r[0]["title"], "in b");
    assert_eq!(r.as_array().unwrap().len(), 1);
}
