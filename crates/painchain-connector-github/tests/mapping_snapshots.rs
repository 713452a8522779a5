//! Every GitHub fixture — each webhook payload and each REST response —
//! either maps to events (snapshotted with insta) or is asserted as
//! deliberately ignored, with the reason in the snapshot.

mod common;

use common::{ctx, files_under, json, now, webhook_event};
use painchain_connector_github::mapping::{map_event, map_repo_event, map_webhook, Outcome};
use painchain_connector_github::normalize::{self, Skip};
use painchain_connector_github::payload::{Deployment, Repository};
use painchain_core::{EventLimits, NewEvent};
use serde_json::{json, Value};

/// Webhook fixtures that must be ignored (everything else must map).
const IGNORED_WEBHOOKS: &[&str] = &[
    "check_run/completed.failure.json",
    "check_run/completed.success.json",
    "check_suite/completed.2.json",
    "check_suite/completed.json",
    "check_suite/requested.json",
    "pull_request/ready_for_review.json",
    "pull_request/synchronize.json",
    "release/created.json",
    "release/prereleased.json",
    "release/released.json",
    "status/success.2.json",
    "status/success.json",
    "workflow_job/completed.failure.json",
    "workflow_job/completed.success.json",
    "workflow_job/in_progress.json",
    "workflow_job/queued.json",
    "workflow_job/waiting.json",
];

/// Every event must be one the server accepts.
fn assert_valid(events: &[NewEvent], what: &str) {
    for e in events {
        let v = serde_json::to_value(e).unwrap();
        NewEvent::from_json(&v, &EventLimits::default())
            .unwrap_or_else(|err| panic!("{what}: invalid event {v}: {err}"));
        assert!(e.external_id.is_some(), "{what}: no externalId");
        assert!(e.kind.is_some(), "{what}: no kind");
        assert_eq!(e.connector, "github");
        assert_eq!(e.tags, vec!["team-a"], "{what}: tags");
    }
}

fn outcome_json(o: &Outcome) -> Value {
    match o {
        Outcome::Events(evs) => json!({ "events": evs }),
        Outcome::Ignored(why) => json!({ "ignored": why }),
    }
}

fn snapshot_name(rel: &str) -> String {
    rel.trim_end_matches(".json").replace('/', "__")
}

#[test]
fn every_webhook_fixture_maps_or_is_ignored() {
    let files: Vec<String> = files_under("webhooks")
        .into_iter()
        .filter(|f| f != "index.json")
        .collect();
    assert_eq!(files.len(), 42, "the fixture set has 42 webhook payloads");
    for rel in files {
        let event = webhook_event(&rel);
        let body = json(&format!("webhooks/{rel}"));
        let out = map_webhook(&event, &body, &ctx())
            .unwrap_or_else(|e| panic!("{rel}: rejected as invalid: {e}"));
        let expect_ignored = IGNORED_WEBHOOKS.contains(&rel.as_str());
        match &out {
            Outcome::Events(evs) => {
                assert!(
                    !expect_ignored,
                    "{rel}: expected to be ignored, got {evs:?}"
                );
                assert!(!evs.is_empty(), "{rel}: no events");
                assert_valid(evs, &rel);
            }
            Outcome::Ignored(why) => {
                assert!(expect_ignored, "{rel}: unexpectedly ignored: {why}")
            }
        }
        insta::assert_json_snapshot!(
            format!("webhook__{}", snapshot_name(&rel)),
            json!({ "event": event, "outcome": outcome_json(&out) })
        );
    }
}

/// The repository REST objects of `owner/repo` belong to (the poller knows
/// it from the URL it fetched).
fn repo(full_name: &str) -> Repository {
    Repository::named(full_name, "https://github.com")
}

fn events_of(ges: Vec<painchain_connector_github::payload::GithubEvent>) -> Vec<NewEvent> {
    ges.iter()
        .flat_map(|g| map_event(g, &ctx()).into_events())
        .collect()
}

fn items(v: &Value) -> Vec<Value> {
    v.as_array().cloned().expect("a JSON array")
}

#[test]
fn every_rest_fixture_maps_or_is_ignored() {
    let files = files_under("rest");
    assert_eq!(files.len(), 17, "the fixture set has 17 REST responses");
    for rel in files {
        let body = json(&format!("rest/{rel}"));
        let snap: Value = match rel.as_str() {
            "actions/runs.list.json" | "actions/runs.list.in_progress.json" => {
                let runs = body["workflow_runs"].as_array().unwrap();
                let ges = runs
                    .iter()
                    .map(|r| {
                        normalize::workflow_run_from_rest(&repo("unused/fallback"), r).unwrap()
                    })
                    .collect();
                let evs = events_of(ges);
                assert_eq!(evs.len(), runs.len(), "{rel}");
                assert_valid(&evs, &rel);
                json!({ "events": evs })
            }
            "pulls/list.json" => {
                let mut ges = Vec::new();
                for it in items(&body) {
                    ges.extend(
                        normalize::pull_request_from_rest(&repo("unused/fallback"), &it).unwrap(),
                    );
                }
                let evs = events_of(ges);
                assert!(!evs.is_empty());
                assert_valid(&evs, &rel);
                json!({ "events": evs })
            }
            "releases/list.json" => {
                let ges = items(&body)
                    .iter()
                    .filter_map(|r| {
                        normalize::release_from_rest(&repo("XAMPPRocky/octocrab"), r).unwrap()
                    })
                    .collect();
                let evs = events_of(ges);
                assert_eq!(evs.len(), 2);
                assert_valid(&evs, &rel);
                json!({ "events": evs })
            }
            "tags/list.json" => {
                let ges = items(&body)
                    .iter()
                    .map(|t| {
                        normalize::tag_from_rest(&repo("vitsafronovici/myrepo"), t, now()).unwrap()
                    })
                    .collect();
                let evs = events_of(ges);
                assert_eq!(evs.len(), 1);
                assert_valid(&evs, &rel);
                json!({ "events": evs })
            }
            "deployments/statuses.list.json" => {
                // The statuses of deployment 315601644; the poller knows the
                // deployment from the list it fetched first.
                let dep = Deployment {
                    id: 315601644,
                    environment: Some("new-ci-env".into()),
                    ..Deployment::default()
                };
                let ges = items(&body)
                    .iter()
                    .map(|s| {
                        normalize::deployment_status_from_rest(
                            &repo("hub4j-test-org/github-api-test"),
                            &dep,
                            s,
                        )
                        .unwrap()
                    })
                    .collect();
                let evs = events_of(ges);
                assert_eq!(evs.len(), 1);
                assert_valid(&evs, &rel);
                json!({ "events": evs })
            }
            "deployments/list.json" => {
                // A GraphQL answer, not REST: the REST normaliser refuses it
                // rather than inventing a deployment.
                assert!(body.pointer("/data/repository/deployments/nodes").is_some());
                let err = normalize::deployment_from_rest(&repo("Test-slack-github/test2"), &body)
                    .unwrap_err();
                assert!(matches!(err, Skip::Invalid(_)));
                json!({ "ignored": "GraphQL response, not the REST deployments list" })
            }
            "actions/jobs.list.json" => {
                json!({ "ignored": "workflow jobs: per-job detail, runs are collected instead" })
            }
            "commits/get.json" | "commits/list.json" => {
                json!({ "ignored": "commits are not changes on their own; pushes are" })
            }
            "events/list.json" => {
                let outs: Vec<Value> = items(&body)
                    .iter()
                    .map(|it| {
                        let o = map_repo_event(it, &ctx());
                        if let Outcome::Events(evs) = &o {
                            assert_valid(evs, &rel);
                        }
                        json!({ "type": it["type"], "outcome": outcome_json(&o) })
                    })
                    .collect();
                let mapped = outs
                    .iter()
                    .filter(|o| o["outcome"]["events"].is_array())
                    .count();
                assert!(
                    mapped >= 15,
                    "most push/create/delete/PR items map: {mapped}"
                );
                json!(outs)
            }
            r if r.starts_with("events/item.") => {
                let o = map_repo_event(&body, &ctx());
                match &o {
                    Outcome::Events(evs) => assert_valid(evs, &rel),
                    Outcome::Ignored(why) => panic!("{rel}: ignored: {why}"),
                }
                outcome_json(&o)
            }
            other => panic!("REST fixture {other} has no mapping test: add one"),
        };
        insta::assert_json_snapshot!(format!("rest__{}", snapshot_name(&rel)), snap);
    }
}
