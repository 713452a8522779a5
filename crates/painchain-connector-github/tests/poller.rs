//! The poller against a fake GitHub API on loopback (wiremock) serving the
//! real REST fixtures: Link pagination, ETags and 304s, cursors, rate
//! limits, 401, 404 for one repository while another still yields events,
//! `owner/*` expansion, Enterprise base URLs and the connection test.

mod common;

use common::fake::{etagged, expected_first_poll, mount_repo, pulls_for, runs_for, Etagged};

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use common::json;
use painchain_connector_github::{GithubConfig, GithubError, PollCursor, PollOutcome, Poller};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const REPO: &str = "octo/app";

/// The clock of the polls: one day after the deployment fixture, so it is
/// still followed; `since` reaches back before every fixture.
fn now() -> DateTime<Utc> {
    painchain_core::time::parse("2019-05-16T00:00:00Z").unwrap()
}

fn config(server: &MockServer, extra: Value) -> GithubConfig {
    let mut c = json!({
        "name": "gh", "tags": ["team-a"], "token": "ghp_test",
        "repositories": [REPO],
        "apiUrl": server.uri(),
        "since": "2010-01-01T00:00:00Z"
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    GithubConfig::from_value(&c).unwrap()
}

fn ids(out: &PollOutcome) -> BTreeSet<String> {
    out.events
        .iter()
        .map(|e| e.external_id.clone().unwrap())
        .collect()
}

async fn requests_to(server: &MockServer, suffix: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path().ends_with(suffix))
        .collect()
}

#[tokio::test]
async fn first_poll_collects_everything_second_poll_is_all_304s() {
    let server = MockServer::start().await;
    mount_repo(&server, "", REPO, true).await;
    let poller = Poller::new(config(&server, json!({}))).unwrap();

    let first = poller.poll_at(&PollCursor::default(), now()).await.unwrap();
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(ids(&first), expected_first_poll(REPO));
    // Pagination: both pages of runs were fetched.
    assert_eq!(requests_to(&server, "/actions/runs").await.len(), 2);
    // Oldest first, tagged, with the repository as project.
    assert!(first
        .events
        .windows(2)
        .all(|w| w[0].timestamp <= w[1].timestamp));
    assert!(first.events.iter().all(|e| e.tags == vec!["team-a"]));
    assert!(first.events.iter().all(|e| e.project == REPO));
    // The tag list is the baseline: its tags are not news.
    assert!(!ids(&first).iter().any(|i| i.starts_with("tag:")));
    // The deployment reached `success`: no longer followed.
    assert!(first.cursor.repos[REPO].deployments.open.is_empty());

    server.reset().await;
    mount_repo(&server, "", REPO, true).await;
    let second = poller.poll_at(&first.cursor, now()).await.unwrap();
    assert!(second.events.is_empty(), "{:?}", ids(&second));
    assert!(second.errors.is_empty());
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 6, "one conditional request per endpoint");
    assert!(
        reqs.iter().all(|r| r.headers.contains_key("if-none-match")),
        "every request is conditional"
    );
    assert!(reqs
        .iter()
        .all(|r| r.headers.get("authorization").unwrap() == "Bearer ghp_test"));
}

#[tokio::test]
async fn cursor_advances_without_etags_and_later_changes_are_reported() {
    let server = MockServer::start().await;
    mount_repo(&server, "", REPO, false).await;
    let poller = Poller::new(config(&server, json!({}))).unwrap();
    let first = poller.poll_at(&PollCursor::default(), now()).await.unwrap();
    assert_eq!(ids(&first), expected_first_poll(REPO));

    // The cursor survives a JSON round trip (the SDK stores it as JSON).
    let stored = PollCursor::from_value(&first.cursor.to_value());
    assert_eq!(stored, first.cursor);

    // Same answers, no ETags: the cursor alone keeps the poll quiet.
    let second = poller.poll_at(&stored, now()).await.unwrap();
    assert!(second.events.is_empty(), "{:?}", ids(&second));

    // Then the in-progress run finishes and a tag appears.
    server.reset().await;
    mount_repo(&server, "", REPO, false).await;
    let mut runs = runs_for("rest/actions/runs.list.in_progress.json", REPO);
    runs["workflow_runs"][0]["status"] = json!("completed");
    runs["workflow_runs"][0]["conclusion"] = json!("failure");
    runs["workflow_runs"][0]["updated_at"] = json!("2021-03-25T09:40:00Z");
    let mut tags = json("rest/tags/list.json");
    tags.as_array_mut().unwrap().insert(
        0,
        json!({"name": "v2", "commit": {"sha": "f6a5c19a67797d64426203b8a7a05a0fd74e5037"}}),
    );
    let runs_mock = Mock::given(method("GET"))
        .and(path(format!("/repos/{REPO}/actions/runs")))
        .and(query_param_is_missing("page"))
        .respond_with(etagged(runs, None))
        .with_priority(1);
    server.register(runs_mock).await;
    server
        .register(
            Mock::given(method("GET"))
                .and(path(format!("/repos/{REPO}/tags")))
                .respond_with(etagged(tags, None))
                .with_priority(1),
        )
        .await;
    let third = poller.poll_at(&second.cursor, now()).await.unwrap();
    assert_eq!(
        ids(&third),
        BTreeSet::from([
            "run:686036126:1:completed".to_string(),
            format!("tag:{REPO}:v2:created"),
        ])
    );
    let run = third
        .events
        .iter()
        .find(|e| e.external_id.as_deref() == Some("run:686036126:1:completed"))
        .unwrap();
    assert_eq!(run.status.as_deref(), Some("failure"));
    assert_eq!(run.title, "Workflow Slow workflow failed on main (run #16)");
}

#[tokio::test]
async fn missing_repository_is_reported_and_others_continue() {
    let server = MockServer::start().await;
    mount_repo(&server, "", REPO, true).await;
    // Nothing mounted for octo/missing: wiremock answers 404.
    let poller = Poller::new(config(
        &server,
        json!({"repositories": ["octo/missing", REPO]}),
    ))
    .unwrap();
    let out = poller.poll_at(&PollCursor::default(), now()).await.unwrap();
    assert_eq!(ids(&out), expected_first_poll(REPO));
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].repo, "octo/missing");
    assert!(
        out.errors[0]
            .message
            .starts_with("repository octo/missing not found (404)"),
        "{}",
        out.errors[0].message
    );
    // One request told us; the rest of that repository was skipped.
    let missing = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path().starts_with("/repos/octo/missing"))
        .count();
    assert_eq!(missing, 1);
    assert!(out.problem().unwrap().contains("octo/missing"));
}

#[tokio::test]
async fn rejected_token_is_a_401_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials"})),
        )
        .mount(&server)
        .await;
    let cfg = config(&server, json!({}));
    let err = Poller::new(cfg.clone())
        .unwrap()
        .poll_at(&PollCursor::default(), now())
        .await
        .unwrap_err();
    assert_eq!(err, GithubError::Unauthorized);
    assert_eq!(err.to_string(), "GitHub rejected the token (401)");

    let err = painchain_connector_github::test_connection(&cfg)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "GitHub rejected the token (401)");
}

fn rate_headers(remaining: u64, reset: i64) -> Vec<(String, String)> {
    vec![
        ("x-ratelimit-limit".into(), "5000".into()),
        ("x-ratelimit-remaining".into(), remaining.to_string()),
        ("x-ratelimit-used".into(), (5000 - remaining).to_string()),
        ("x-ratelimit-reset".into(), reset.to_string()),
        ("x-ratelimit-resource".into(), "core".into()),
    ]
}

#[tokio::test]
async fn exhausted_rate_limit_defers_the_rest_of_the_poll() {
    let server = MockServer::start().await;
    mount_repo(&server, "", REPO, true).await;
    let reset = Utc::now().timestamp() + 3600;
    // The first answer spends the last request of the hour.
    server
        .register(
            Mock::given(method("GET"))
                .and(path(format!("/repos/{REPO}/pulls")))
                .respond_with(Etagged {
                    extra: rate_headers(0, reset),
                    ..etagged(pulls_for(REPO), None)
                })
                .with_priority(1),
        )
        .await;
    let poller = Poller::new(config(&server, json!({}))).unwrap();
    let started = Instant::now();
    let out = poller.poll_at(&PollCursor::default(), now()).await.unwrap();
    assert!(started.elapsed().as_secs() < 5, "deferred, not waited");
    // What was fetched is kept (and its cursor advanced)...
    assert!(ids(&out).contains(&format!("pr:{REPO}#1347:merged")));
    assert!(out.cursor.repos[REPO].pulls.at.is_some());
    // ...and nothing more was asked for.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert_eq!(out.deferred_until.map(|d| d.timestamp()), Some(reset));
    let rl = out.rate_limit.clone().unwrap();
    assert_eq!(rl.remaining, 0);
    assert_eq!(rl.limit, Some(5000));
    assert_eq!(rl.reset.timestamp(), reset);
    assert!(out.problem().unwrap().contains("rate limit"));
}

#[tokio::test]
async fn exhausted_rate_limit_with_a_near_reset_waits() {
    let server = MockServer::start().await;
    mount_repo(&server, "", REPO, true).await;
    let reset = Utc::now().timestamp() + 2;
    server
        .register(
            Mock::given(method("GET"))
                .and(path(format!("/repos/{REPO}/pulls")))
                .respond_with(Etagged {
                    extra: rate_headers(0, reset),
                    ..etagged(pulls_for(REPO), None)
                })
                .with_priority(1),
        )
        .await;
    let poller = Poller::new(config(&server, json!({}))).unwrap();
    let started = Instant::now();
    let out = poller.poll_at(&PollCursor::default(), now()).await.unwrap();
    assert!(
        started.elapsed().as_millis() >= 900,
        "waited for the reset: {:?}",
        started.elapsed()
    );
    assert!(out.deferred_until.is_none());
    assert_eq!(ids(&out), expected_first_poll(REPO));
}

/// Answers a secondary rate limit once, then delegates.
struct LimitedOnce {
    hits: Arc<AtomicUsize>,
    status: u16,
    retry_after: &'static str,
    then: Etagged,
}

impl Respond for LimitedOnce {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if self.hits.fetch_add(1, Ordering::SeqCst) == 0 {
            return ResponseTemplate::new(self.status)
                .insert_header("retry-after", self.retry_after)
                .set_body_json(json!({
                    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
                }));
        }
        self.then.respond(req)
    }
}

#[tokio::test]
async fn secondary_limit_backs_off_for_retry_after_then_retries() {
    for status in [403, 429] {
        let server = MockServer::start().await;
        mount_repo(&server, "", REPO, true).await;
        let hits = Arc::new(AtomicUsize::new(0));
        server
            .register(
                Mock::given(method("GET"))
                    .and(path(format!("/repos/{REPO}/pulls")))
                    .respond_with(LimitedOnce {
                        hits: hits.clone(),
                        status,
                        retry_after: "1",
                        then: etagged(pulls_for(REPO), None),
                    })
                    .with_priority(1),
            )
            .await;
        let poller = Poller::new(config(&server, json!({}))).unwrap();
        let started = Instant::now();
        let out = poller.poll_at(&PollCursor::default(), now()).await.unwrap();
        assert!(started.elapsed().as_millis() >= 900, "{status}: backed off");
        assert_eq!(hits.load(Ordering::SeqCst), 2, "{status}: retried once");
        assert!(out.errors.is_empty(), "{status}: {:?}", out.errors);
        assert_eq!(ids(&out), expected_first_poll(REPO));
    }
}

#[tokio::test]
async fn long_secondary_limit_defers() {
    let server = MockServer::start().await;
    mount_repo(&server, "", REPO, true).await;
    let hits = Arc::new(AtomicUsize::new(0));
    server
        .register(
            Mock::given(method("GET"))
                .and(path(format!("/repos/{REPO}/pulls")))
                .respond_with(LimitedOnce {
                    hits: hits.clone(),
                    status: 403,
                    retry_after: "600",
                    then: etagged(pulls_for(REPO), None),
                })
                .with_priority(1),
        )
        .await;
    let poller = Poller::new(config(&server, json!({}))).unwrap();
    let out = poller.poll_at(&PollCursor::default(), now()).await.unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 1, "no hammering");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    let until = out.deferred_until.expect("deferred");
    let secs = (until - Utc::now()).num_seconds();
    assert!((590..=600).contains(&secs), "{secs}");
    assert!(out.events.is_empty());
    assert!(out.rate_limit.unwrap().blocked_until.is_some());
}

#[tokio::test]
async fn owner_star_expands_to_the_repositories_of_a_user() {
    let server = MockServer::start().await;
    mount_repo(&server, "", REPO, true).await;
    // No organization `octo`: its user repositories are listed instead.
    let mut active = json("webhooks/push/branch.commits.json")["repository"].clone();
    active["full_name"] = json!(REPO);
    active["archived"] = json!(false);
    let mut archived = active.clone();
    archived["full_name"] = json!("octo/old");
    archived["archived"] = json!(true);
    Mock::given(method("GET"))
        .and(path("/users/octo/repos"))
        .respond_with(etagged(json!([active, archived]), Some("W/\"repos\"")))
        .mount(&server)
        .await;
    let poller = Poller::new(config(&server, json!({"repositories": ["octo/*"]}))).unwrap();
    let out = poller.poll_at(&PollCursor::default(), now()).await.unwrap();
    assert_eq!(out.repositories, vec![REPO.to_string()]);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(ids(&out), expected_first_poll(REPO));
    assert_eq!(out.cursor.owners["octo"].kind, "users");
    assert_eq!(requests_to(&server, "/orgs/octo/repos").await.len(), 1);
}

#[tokio::test]
async fn filters_and_enterprise_base_url() {
    let server = MockServer::start().await;
    mount_repo(&server, "/api/v3", REPO, true).await;
    let mut cfg = config(
        &server,
        json!({"branches": ["main"], "events": ["workflow_run", "deployment"]}),
    );
    cfg.api_url = format!("{}/api/v3", server.uri());
    let out = Poller::new(cfg)
        .unwrap()
        .poll_at(&PollCursor::default(), now())
        .await
        .unwrap();
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    // The run on second-branch is filtered out; PRs, pushes, releases and
    // tags are not collected at all (their endpoints are not even asked).
    assert_eq!(
        ids(&out),
        BTreeSet::from([
            "run:686036126:1:in_progress".to_string(),
            "deployment:145988746:created".to_string(),
            "deployment_status:209916254".to_string(),
        ])
    );
    assert!(requests_to(&server, "/pulls").await.is_empty());
    let dep = out
        .events
        .iter()
        .find(|e| e.external_id.as_deref() == Some("deployment:145988746:created"))
        .unwrap();
    assert_eq!(dep.environment.as_deref(), Some("production"));
    // Web links point at the Enterprise host, not at the API path.
    assert_eq!(
        dep.url.as_deref(),
        Some(format!("{}/{REPO}/deployments", server.uri()).as_str())
    );
}

#[tokio::test]
async fn test_connection_checks_token_and_each_repository() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(etagged(json!({"login": "octocat"}), None))
        .mount(&server)
        .await;
    let repo = json("webhooks/push/branch.commits.json")["repository"].clone();
    Mock::given(method("GET"))
        .and(path(format!("/repos/{REPO}")))
        .respond_with(etagged(repo, None))
        .mount(&server)
        .await;
    let cfg = config(&server, json!({"repositories": [REPO, "octo/missing"]}));
    let report = painchain_connector_github::test_connection(&cfg)
        .await
        .unwrap();
    assert!(!report.ok);
    assert_eq!(report.login.as_deref(), Some("octocat"));
    assert!(report.repositories[0].ok);
    assert!(!report.repositories[1].ok);
    assert!(
        report.message.contains("1 of 2 repositories accessible")
            && report.message.contains("octo/missing not found (404)"),
        "{}",
        report.message
    );

    let cfg = config(&server, json!({}));
    let report = painchain_connector_github::test_connection(&cfg)
        .await
        .unwrap();
    assert!(report.ok, "{}", report.message);
    assert_eq!(
        report.message,
        "Authenticated as octocat; all 1 repositories accessible"
    );
}

#[tokio::test]
async fn unreachable_github_stops_the_poll_at_once() {
    let server = MockServer::start().await;
    let mut cfg = config(&server, json!({"repositories": ["a/b", "c/d"]}));
    // Nothing listens on port 1: connections are refused.
    cfg.api_url = "http://127.0.0.1:1".into();
    let started = Instant::now();
    let out = Poller::new(cfg)
        .unwrap()
        .poll_at(&PollCursor::default(), now())
        .await
        .unwrap();
    assert!(started.elapsed().as_secs() < 10);
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert!(out.errors[0].message.starts_with("could not reach GitHub"));
    assert!(out.events.is_empty());
}
