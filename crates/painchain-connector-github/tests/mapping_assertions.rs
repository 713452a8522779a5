//! Explicit checks of the fields that matter most, beyond the snapshots:
//! merge sha ref, force-push flag, run conclusion → status, deployment
//! environment, and identical externalIds for the webhook and REST forms
//! of the same pull request, run, tag and release.

mod common;

use common::{ctx, json};
use painchain_connector_github::mapping::{map_event, map_repo_event, map_webhook, Outcome};
use painchain_connector_github::normalize;
use painchain_connector_github::payload::Repository;
use painchain_core::{kind, NewEvent, Ref};
use serde_json::{json, Value};

fn one(event: &str, body: &Value) -> NewEvent {
    match map_webhook(event, body, &ctx()).unwrap() {
        Outcome::Events(mut evs) => {
            assert_eq!(evs.len(), 1, "{event}: {evs:?}");
            evs.remove(0)
        }
        Outcome::Ignored(why) => panic!("{event} ignored: {why}"),
    }
}

fn webhook(rel: &str, event: &str) -> NewEvent {
    one(event, &json(&format!("webhooks/{rel}")))
}

fn ext(e: &NewEvent) -> &str {
    e.external_id.as_deref().unwrap()
}

#[test]
fn merged_pr_refs_its_merge_commit_and_base_branch() {
    let e = webhook("pull_request/closed.merged.json", "pull_request");
    assert_eq!(e.kind.as_deref(), Some(kind::CHANGE_MERGED));
    assert_eq!(e.status.as_deref(), Some("merged"));
    assert_eq!(ext(&e), "pr:github-slack/app#36:merged");
    assert_eq!(e.title, "PR #36 merged into master: Rearrange logic");
    assert!(e.refs.contains(&Ref::new(
        "commit",
        "acac2f75d59f43ceab769fb203cfbbf6f3cf8b10"
    )));
    assert!(e.refs.contains(&Ref::new(
        "commit",
        "10c57dc4caf9b76a5d43d0064a626e516edd8c3c"
    )));
    assert!(e
        .refs
        .contains(&Ref::new("pull_request", "github-slack/app#36")));
    assert_eq!(e.data["branch"], "master");
    assert_eq!(e.project, "github-slack/app");
    assert_eq!(e.timestamp.to_rfc3339(), "2017-10-20T16:55:30+00:00");
}

#[test]
fn closed_unmerged_pr_has_no_merge_commit() {
    let e = webhook("pull_request/closed.unmerged.json", "pull_request");
    assert_eq!(e.kind.as_deref(), Some(kind::CHANGE_CLOSED));
    assert_eq!(e.status.as_deref(), Some("closed"));
    // The payload has a merge_commit_sha (GitHub's test merge): not a ref.
    assert!(!e.refs.contains(&Ref::new(
        "commit",
        "c4295bd74fb0f4fda03689c3df3f2803b658fd85"
    )));
    assert!(e.title.starts_with("PR #2 closed without merging"));
}

#[test]
fn force_push_is_flagged() {
    let e = webhook("push/branch.force-push.json", "push");
    assert_eq!(e.kind.as_deref(), Some(kind::BRANCH_PUSHED));
    assert_eq!(e.data["forced"], true);
    assert_eq!(e.title, "Force-pushed 1 commit to EDM-1179 by noga-magen");

    let e = webhook("push/branch.commits.json", "push");
    assert_eq!(e.data["forced"], false);
    assert_eq!(e.data["commitCount"], 11);
    assert_eq!(e.title, "11 commits pushed to master by wilhelmklopp");
    assert_eq!(e.refs.len(), 11, "one commit ref per pushed commit");
    assert!(e.url.as_deref().unwrap().contains("/compare/"));
}

#[test]
fn tag_create_and_tag_push_are_one_event() {
    // GitHub sends both a `create` and a `push` for a new tag.
    let push = json("webhooks/push/tag.created.json");
    let mut create = json("webhooks/create/tag.json");
    create["ref"] = json!("v0.2.1");
    create["repository"] = push["repository"].clone();
    let a = one("push", &push);
    let b = one("create", &create);
    assert_eq!(ext(&a), "tag:gagbo/app-test-repo:v0.2.1:created");
    assert_eq!(ext(&a), ext(&b));
    assert!(a.refs.contains(&Ref::new("version", "v0.2.1")));
    assert!(a.refs.contains(&Ref::new(
        "commit",
        "f19c884ab35c8d243bf9d857d631a5d4f190079f"
    )));
}

#[test]
fn run_conclusion_becomes_status() {
    let body = json("webhooks/workflow_run/completed.success.json");
    let e = one("workflow_run", &body);
    assert_eq!(e.kind.as_deref(), Some(kind::PIPELINERUN_FINISHED));
    assert_eq!(e.status.as_deref(), Some("success"));
    assert_eq!(ext(&e), "run:289782451:1:completed");

    // No failed workflow_run exists in the public fixtures: derive one.
    let cases = [
        ("failure", "failure", "failed"),
        ("timed_out", "failure", "timed out"),
        ("cancelled", "cancelled", "was cancelled"),
        ("skipped", "skipped", "was skipped"),
    ];
    for (conclusion, status, verb) in cases {
        let mut b = body.clone();
        b["workflow_run"]["conclusion"] = json!(conclusion);
        b["workflow_run"]["name"] = json!("CI");
        b["workflow_run"]["run_number"] = json!(123);
        b["workflow_run"]["head_branch"] = json!("main");
        let e = one("workflow_run", &b);
        assert_eq!(e.status.as_deref(), Some(status), "{conclusion}");
        assert_eq!(e.data["conclusion"], conclusion);
        assert_eq!(e.title, format!("Workflow CI {verb} on main (run #123)"));
    }
}

#[test]
fn each_run_state_has_its_own_id() {
    let requested = one(
        "workflow_run",
        &json("webhooks/workflow_run/requested.json"),
    );
    let completed = one(
        "workflow_run",
        &json("webhooks/workflow_run/completed.success.json"),
    );
    assert_eq!(requested.kind.as_deref(), Some(kind::PIPELINERUN_STARTED));
    assert_eq!(requested.status.as_deref(), Some("queued"));
    assert_eq!(ext(&requested), "run:289782451:1:requested");
    assert_ne!(ext(&requested), ext(&completed));

    // A re-run is a new attempt, hence new ids.
    let mut rerun = json("webhooks/workflow_run/completed.success.json");
    rerun["workflow_run"]["run_attempt"] = json!(2);
    let e = one("workflow_run", &rerun);
    assert_eq!(ext(&e), "run:289782451:2:completed");
    assert!(e.title.contains("attempt 2"));
}

#[test]
fn run_duration_head_sha_and_trigger() {
    let mut b = json("webhooks/workflow_run/completed.success.json");
    b["workflow_run"]["run_started_at"] = json!("2020-10-05T16:33:24Z");
    let e = one("workflow_run", &b);
    assert_eq!(e.data["durationSeconds"], 25);
    assert_eq!(e.data["event"], "repository_dispatch");
    assert_eq!(e.data["branch"], "master");
    assert!(e.refs.contains(&Ref::new(
        "commit",
        "3484a3fb816e0859fd6e1cea078d76385ff50625"
    )));
}

#[test]
fn deployment_sets_environment() {
    let e = webhook("deployment/created.json", "deployment");
    assert_eq!(e.kind.as_deref(), Some(kind::SERVICE_DEPLOYED));
    assert_eq!(e.environment.as_deref(), Some("production"));
    assert_eq!(ext(&e), "deployment:145988746:created");
    assert!(e.refs.contains(&Ref::new(
        "commit",
        "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
    )));

    let e = webhook("deployment_status/success.json", "deployment_status");
    assert_eq!(e.environment.as_deref(), Some("production"));
    assert_eq!(e.status.as_deref(), Some("success"));
    assert_eq!(e.title, "Deploy Hello-World to production: success");
    assert_eq!(ext(&e), "deployment_status:209916254");

    // The status names no environment: the deployment's is used.
    let e = webhook("deployment_status/pending.json", "deployment_status");
    assert_eq!(e.environment.as_deref(), Some("github-slack-app"));
    assert_eq!(e.status.as_deref(), Some("pending"));

    // No failed deployment status exists in the fixtures: derive one.
    for state in ["failure", "error"] {
        let mut b = json("webhooks/deployment_status/success.json");
        b["deployment_status"]["state"] = json!(state);
        let e = one("deployment_status", &b);
        assert_eq!(e.status.as_deref(), Some("failure"));
        assert_eq!(
            e.title,
            format!("Deploy Hello-World to production: {state}")
        );
    }
}

#[test]
fn release_published_refs_version() {
    let e = webhook("release/published.json", "release");
    assert_eq!(e.kind.as_deref(), Some(kind::RELEASE_PUBLISHED));
    assert_eq!(ext(&e), "release:Codertocat/Hello-World:17372790:published");
    assert!(e.refs.contains(&Ref::new("version", "0.0.1")));
    assert_eq!(e.data["prerelease"], false);
}

/// The REST form of an object, as the poller gets it: the webhook's inner
/// object, without the envelope.
fn repo(full_name: &str) -> Repository {
    Repository::named(full_name, "https://github.com")
}

#[test]
fn pr_ids_match_between_webhook_and_rest() {
    // Webhook → the same PR as a pull list item.
    let body = json("webhooks/pull_request/closed.merged.json");
    let hook = one("pull_request", &body);
    let mut item = body["pull_request"].clone();
    // Pull list items carry no `merged`/`merged_by`: only merged_at.
    item.as_object_mut().unwrap().remove("merged");
    item.as_object_mut().unwrap().remove("merged_by");
    let rest: Vec<NewEvent> = normalize::pull_request_from_rest(&repo("github-slack/app"), &item)
        .unwrap()
        .iter()
        .flat_map(|g| map_event(g, &ctx()).into_events())
        .collect();
    let ids: Vec<&str> = rest.iter().map(ext).collect();
    assert_eq!(
        ids,
        vec![
            "pr:github-slack/app#36:opened",
            "pr:github-slack/app#36:merged"
        ]
    );
    assert_eq!(ext(&rest[1]), ext(&hook));
    assert_eq!(rest[1].timestamp, hook.timestamp);
    assert_eq!(rest[1].refs, hook.refs);

    // REST → the same PR delivered by webhook.
    let item = json("rest/pulls/list.json")[0].clone();
    let rest: Vec<String> = normalize::pull_request_from_rest(&repo("octocat/Hello-World"), &item)
        .unwrap()
        .iter()
        .flat_map(|g| map_event(g, &ctx()).into_events())
        .map(|e| e.external_id.unwrap())
        .collect();
    let mut pr = item.clone();
    pr["merged"] = json!(true);
    let hook = one(
        "pull_request",
        &json!({"action": "closed", "pull_request": pr, "repository": item["base"]["repo"]}),
    );
    assert!(rest.contains(&ext(&hook).to_string()), "{rest:?}");

    // The events API item of an opened PR.
    let item = json("rest/events/item.PullRequestEvent.json");
    let evs = map_repo_event(&item, &ctx()).into_events();
    let mut body = item["payload"].clone();
    body["repository"] = json!({"full_name": "wayofthepie/test-events"});
    assert_eq!(ext(&evs[0]), ext(&one("pull_request", &body)));
}

#[test]
fn run_ids_match_between_webhook_and_rest() {
    for rel in [
        "webhooks/workflow_run/completed.success.json",
        "webhooks/workflow_run/completed.success.pull_request.json",
        "webhooks/workflow_run/requested.json",
    ] {
        let body = json(rel);
        let hook = one("workflow_run", &body);
        let ge = normalize::workflow_run_from_rest(&repo("unused/fallback"), &body["workflow_run"])
            .unwrap();
        let rest = map_event(&ge, &ctx()).into_events();
        assert_eq!(ext(&rest[0]), ext(&hook), "{rel}");
        assert_eq!(rest[0].status, hook.status, "{rel}");
        assert_eq!(rest[0].project, hook.project, "{rel}");
    }
    // And a REST run served by the runs list.
    let list = json("rest/actions/runs.list.json");
    let run = &list["workflow_runs"][0];
    let ge = normalize::workflow_run_from_rest(&repo("x/y"), run).unwrap();
    let rest = map_event(&ge, &ctx()).into_events();
    let hook = one(
        "workflow_run",
        &json!({"action": "completed", "workflow_run": run, "repository": run["repository"]}),
    );
    assert_eq!(ext(&rest[0]), "run:677006583:1:completed");
    assert_eq!(ext(&rest[0]), ext(&hook));
}

#[test]
fn release_and_deployment_ids_match_between_webhook_and_rest() {
    let body = json("webhooks/release/published.json");
    let hook = one("release", &body);
    let ge = normalize::release_from_rest(&repo("Codertocat/Hello-World"), &body["release"])
        .unwrap()
        .unwrap();
    assert_eq!(ext(&map_event(&ge, &ctx()).into_events()[0]), ext(&hook));

    let body = json("webhooks/deployment/created.json");
    let hook = one("deployment", &body);
    let ge = normalize::deployment_from_rest(&repo("Codertocat/Hello-World"), &body["deployment"])
        .unwrap();
    let rest = map_event(&ge, &ctx()).into_events();
    assert_eq!(ext(&rest[0]), ext(&hook));
    assert_eq!(rest[0].environment, hook.environment);

    let body = json("webhooks/deployment_status/success.json");
    let hook = one("deployment_status", &body);
    let dep: painchain_connector_github::payload::Deployment =
        serde_json::from_value(body["deployment"].clone()).unwrap();
    let ge = normalize::deployment_status_from_rest(
        &repo("Codertocat/Hello-World"),
        &dep,
        &body["deployment_status"],
    )
    .unwrap();
    let rest = map_event(&ge, &ctx()).into_events();
    assert_eq!(ext(&rest[0]), ext(&hook));
    assert_eq!(rest[0].status, hook.status);
}

#[test]
fn events_api_push_matches_webhook_push() {
    // The events API's trimmed push (ref, head, before) and the webhook of
    // the same push agree on the id.
    let item = json("rest/events/item.PushEvent.json");
    let evs = map_repo_event(&item, &ctx()).into_events();
    let body = json!({
        "ref": "refs/heads/master",
        "before": "9b2afb3a8e03fb30cc09e5efb64823bde802cf59",
        "after": "eb1a60c03544dcea290f2d57bb66ae188ce25778",
        "created": false, "deleted": false, "forced": false,
        "commits": [], "repository": {"full_name": "orhanarifoglu/orhanarifoglu"}
    });
    assert_eq!(ext(&evs[0]), ext(&one("push", &body)));
    assert_eq!(
        ext(&evs[0]),
        "push:orhanarifoglu/orhanarifoglu:eb1a60c03544dcea290f2d57bb66ae188ce25778"
    );
}
