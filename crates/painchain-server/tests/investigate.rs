//! Chains, deploy contents and investigation through HTTP, on both stores:
//! links by matching refs, errors naming their parameter, tenants kept apart.

#[macro_use]
mod common;

use common::{ts, H};
use painchain_server::testing::Backend;
use serde_json::{json, Value};

both_backends!(
    chain_links_by_matching_refs_and_stays_in_its_tenant,
    investigate_ranks_and_explains,
    deploy_contents_lists_the_shipped_commits_and_prs,
    bad_parameters_name_themselves,
);

const SHA: &str = "9f1c2ab7d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8";

fn event(ext: &str, title: &str, kind: &str, secs: i64, extra: Value) -> Value {
    let mut e = json!({
        "title": title, "connector": "ci", "project": "acme/api",
        "timestamp": ts(secs), "externalId": ext, "kind": kind,
    });
    for (k, v) in extra.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

/// A PR merged, CI on its commit (short sha), the image, the rollout, the
/// failing pods — and the incident.
fn story() -> Vec<Value> {
    vec![
        event(
            "pr",
            "Merge PR #42",
            "change.merged",
            0,
            json!({"refs": [
            {"type": "pull_request", "value": "acme/api#42"}, {"type": "commit", "value": SHA}]}),
        ),
        event(
            "ci",
            "CI on main",
            "pipelinerun.finished",
            60,
            json!({"status": "success", "refs": [
            {"type": "commit", "value": &SHA[..7]}]}),
        ),
        event(
            "img",
            "Published api:1.9.0",
            "artifact.published",
            120,
            json!({"refs": [
            {"type": "commit", "value": &SHA[..10]}, {"type": "image", "value": "ghcr.io/acme/api:1.9.0@sha256:abc"}]}),
        ),
        event(
            "rollout",
            "Deployment api: image 1.8.3 → 1.9.0",
            "service.deployed",
            600,
            json!({
            "service": "api", "environment": "production", "refs": [
            {"type": "image", "value": "ghcr.io/acme/api:1.9.0"}, {"type": "k8s", "value": "prod/shop/Deployment/api"}]}),
        ),
        event(
            "pods",
            "api pods CrashLoopBackOff",
            "pod.failed",
            700,
            json!({
            "service": "api", "environment": "production", "status": "failure", "refs": [
            {"type": "k8s", "value": "prod/shop/Deployment/api"}]}),
        ),
        event(
            "staging",
            "Deploy api to staging",
            "service.deployed",
            800,
            json!({
            "service": "api", "environment": "staging"}),
        ),
        event(
            "incident",
            "High error rate on api",
            "incident.detected",
            900,
            json!({
            "service": "api", "environment": "production"}),
        ),
    ]
}

async fn post_all(
    h: &common::H2<'_>,
    events: &[Value],
) -> std::collections::HashMap<String, String> {
    let mut ids = std::collections::HashMap::new();
    for e in events {
        let r = h.post("/api/events", e).await;
        assert_eq!(r.status, 201, "{}", r.body);
        ids.insert(
            e["externalId"].as_str().unwrap().to_string(),
            r.body["id"].as_str().unwrap().to_string(),
        );
    }
    ids
}

async fn chain_links_by_matching_refs_and_stays_in_its_tenant(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    let t1 = h.with(Some("t1"), None);
    let t2 = h.with(Some("t2"), None);
    let ids = post_all(&t1, &story()).await;
    // The same story in another tenant must never join t1's chain.
    let other = post_all(&t2, &story()).await;

    let r = t1
        .get(&format!("/api/events/{}/chain?depth=6", ids["pods"]))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["root"], ids["pods"].as_str());
    let nodes: Vec<&str> = r.body["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    for k in ["pr", "ci", "img", "rollout"] {
        assert!(
            nodes.contains(&ids[k].as_str()),
            "{k} missing from {}",
            r.body
        );
    }
    assert!(
        !nodes.contains(&ids["staging"].as_str()),
        "staging shares no ref"
    );
    for id in other.values() {
        assert!(!nodes.contains(&id.as_str()), "t2's event in t1's chain");
    }
    let edges = r.body["edges"].as_array().unwrap();
    let edge = |from: &str, to: &str| {
        edges
            .iter()
            .find(|e| e["from"] == ids[from].as_str() && e["to"] == ids[to].as_str())
            .unwrap_or_else(|| panic!("no edge {from} → {to} in {}", r.body))
    };
    // A short sha matches the full one; an image by tag matches tag@digest.
    assert_eq!(edge("pr", "ci")["via"]["type"], "commit");
    assert_eq!(edge("pr", "ci")["strength"], "ref");
    assert_eq!(edge("img", "rollout")["via"]["type"], "image");
    assert_eq!(edge("img", "rollout")["relation"], "deployed");
    assert_eq!(edge("rollout", "pods")["relation"], "failing");

    // The incident has no ref: its chain holds the rollout as inferred.
    let r = t1
        .get(&format!("/api/events/{}/chain", ids["incident"]))
        .await;
    let inferred: Vec<&Value> = r.body["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["strength"] == "inferred")
        .collect();
    assert!(
        inferred
            .iter()
            .any(|e| e["from"] == ids["rollout"].as_str()),
        "{}",
        r.body
    );
    assert!(
        !inferred
            .iter()
            .any(|e| e["from"] == ids["staging"].as_str()),
        "other environment"
    );

    // Another tenant's id is unknown here.
    assert_eq!(
        t2.get(&format!("/api/events/{}/chain", ids["pods"]))
            .await
            .status,
        404
    );
}

async fn investigate_ranks_and_explains(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    let t1 = h.with(Some("t1"), None);
    let ids = post_all(&t1, &story()).await;
    let r = t1
        .get(&format!("/api/investigate?event={}", ids["incident"]))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let top = &r.body["suspects"][0];
    assert_eq!(top["event"]["id"], ids["rollout"].as_str(), "{}", r.body);
    assert_eq!(top["rank"], 1);
    assert_eq!(r.body["convincing"], true);
    let codes: Vec<&str> = top["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    for c in [
        "time",
        "same_service",
        "same_environment",
        "reaches_failure",
    ] {
        assert!(codes.contains(&c), "{c} missing: {codes:?}");
    }
    let suspects: Vec<&str> = r.body["suspects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["event"]["id"].as_str().unwrap())
        .collect();
    assert!(
        !suspects.contains(&ids["staging"].as_str()),
        "staging is no suspect"
    );

    // The same by time and scope; another tenant sees nothing.
    let at = ts(900);
    let r = t1
        .get(&format!(
            "/api/investigate?at={at}&service=api&environment=production&window=1h"
        ))
        .await;
    assert_eq!(
        r.body["suspects"][0]["event"]["id"],
        ids["rollout"].as_str(),
        "{}",
        r.body
    );
    let r = h
        .with(Some("t2"), None)
        .get(&format!("/api/investigate?at={at}&service=api&window=1h"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["suspects"], json!([]));
    assert_eq!(r.body["convincing"], false);
}

async fn deploy_contents_lists_the_shipped_commits_and_prs(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    let t = h.with(Some("t1"), None);
    let (old, mid, new) = ("1111111aaaa", "2222222bbbb", "3333333cccc");
    let events = vec![
        event(
            "d1",
            "Deploy api 1.0",
            "service.deployed",
            0,
            json!({"service": "api", "environment": "production",
            "refs": [{"type": "commit", "value": old}]}),
        ),
        event(
            "push1",
            "2 commits pushed to main",
            "branch.pushed",
            100,
            json!({
            "data": {"before": old, "after": mid, "commits": [{"sha": mid, "message": "fix cache"}, {"sha": "aaaa000aaaa", "message": "bump lodash"}]},
            "refs": [{"type": "commit", "value": mid}, {"type": "commit", "value": "aaaa000aaaa"}]}),
        ),
        event(
            "pr",
            "Merge PR #7: bump lodash",
            "change.merged",
            90,
            json!({
            "refs": [{"type": "commit", "value": "aaaa000aaaa"}, {"type": "pull_request", "value": "acme/api#7"}]}),
        ),
        event(
            "push2",
            "1 commit pushed to main",
            "branch.pushed",
            200,
            json!({
            "data": {"before": mid, "after": new, "commits": [{"sha": new, "message": "tune pool"}]},
            "refs": [{"type": "commit", "value": new}]}),
        ),
        event(
            "d2",
            "Deploy api 1.1",
            "service.deployed",
            300,
            json!({"service": "api", "environment": "production",
            "refs": [{"type": "commit", "value": &new[..7]}]}),
        ),
        event(
            "d-stg",
            "Deploy api to staging",
            "service.deployed",
            250,
            json!({"service": "api", "environment": "staging",
            "refs": [{"type": "commit", "value": mid}]}),
        ),
    ];
    let ids = post_all(&t, &events).await;
    let r = t.get(&format!("/api/events/{}/contents", ids["d2"])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["previous"]["id"],
        ids["d1"].as_str(),
        "not the staging deploy"
    );
    assert_eq!(r.body["complete"], true, "{}", r.body);
    let shas: Vec<&str> = r.body["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sha"].as_str().unwrap())
        .collect();
    assert_eq!(shas, vec![new, mid, "aaaa000aaaa"], "{}", r.body);
    assert_eq!(r.body["changes"][0]["id"], ids["pr"].as_str());
    // Not a deployment.
    let r = t.get(&format!("/api/events/{}/contents", ids["pr"])).await;
    assert_eq!(
        (r.status.as_u16(), r.error().0.as_str()),
        (400, "not_a_deployment")
    );
}

async fn bad_parameters_name_themselves(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    let t = h.with(Some("t1"), None);
    let id = post_all(&t, &story()).await["pods"].clone();
    for (path, field) in [
        ("/api/investigate?at=yesterday".to_string(), "at"),
        ("/api/investigate?window=31d".to_string(), "window"),
        ("/api/investigate?window=soon".to_string(), "window"),
        (format!("/api/events/{id}/chain?depth=0"), "depth"),
        (format!("/api/events/{id}/chain?depth=7"), "depth"),
    ] {
        let r = t.get(&path).await;
        assert_eq!(r.status, 400, "{path}: {}", r.body);
        assert_eq!(r.error().1.as_deref(), Some(field), "{path}");
    }
    for path in [
        "/api/events/nope/chain",
        "/api/events/nope/contents",
        "/api/investigate?event=nope",
    ] {
        assert_eq!(t.get(path).await.status, 404, "{path}");
    }
}
