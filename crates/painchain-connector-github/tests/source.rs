//! The connector as the SDK runtime drives it: metadata, config validation,
//! connection test, and the source delivering events + checkpoint and
//! reporting per-repository problems, against the fake GitHub.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use common::fake::{expected_first_poll, mount_repo};
use painchain_connector_github::GithubConnector;
use painchain_core::NewEvent;
use painchain_sdk::source::{Deliver, Report};
use painchain_sdk::{Connector, IntegrationSpec, SourceContext, Stopped};
use serde_json::{json, Value};
use tokio::sync::watch;
use wiremock::MockServer;

const REPO: &str = "octo/app";

fn spec(server: &MockServer, repos: Value) -> IntegrationSpec {
    IntegrationSpec {
        id: "int-1".into(),
        integration_type: "github".into(),
        name: "gh".into(),
        config: json!({
            "name": "gh", "tags": ["team-a"], "token": "ghp_test",
            "repositories": repos, "apiUrl": server.uri(),
            "since": "2010-01-01T00:00:00Z"
        }),
        tenant_id: None,
        enabled: true,
    }
}

#[derive(Default)]
struct Recorder {
    delivered: Mutex<Vec<(Vec<NewEvent>, Option<Value>)>>,
    reports: Mutex<Vec<Report>>,
}

#[async_trait]
impl Deliver for Recorder {
    async fn deliver(
        &self,
        events: Vec<NewEvent>,
        checkpoint: Option<Value>,
    ) -> Result<(), Stopped> {
        self.delivered.lock().unwrap().push((events, checkpoint));
        Ok(())
    }

    fn report(&self, report: Report) {
        self.reports.lock().unwrap().push(report);
    }
}

/// Runs the integration's source until its first poll is reported, then
/// stops it. Returns what it delivered and reported.
async fn run_once(spec: &IntegrationSpec, checkpoint: Option<Value>) -> Arc<Recorder> {
    let source = GithubConnector::default()
        .source(spec)
        .unwrap()
        .into_streaming();
    let rec = Arc::new(Recorder::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let (_wake_tx, wake_rx) = watch::channel(0u64);
    let ctx = SourceContext::new(
        Arc::new(spec.clone()),
        checkpoint,
        Duration::from_secs(3600),
        rec.clone(),
        wake_rx,
        stop_rx,
    );
    let task = tokio::spawn(source.run(ctx));
    // Wait for the end of the first cycle (synced or an error).
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let done = rec
                .reports
                .lock()
                .unwrap()
                .iter()
                .any(|r| !matches!(r, Report::Syncing | Report::Detail(..)));
            if done {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("one poll cycle");
    stop_tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the source stops when asked")
        .unwrap()
        .unwrap();
    rec
}

#[tokio::test]
async fn source_delivers_events_with_checkpoint_and_reports_missing_repos() {
    let server = MockServer::start().await;
    mount_repo(&server, "", REPO, true).await;
    let spec = spec(&server, json!(["octo/missing", REPO]));

    let rec = run_once(&spec, None).await;
    let delivered = rec.delivered.lock().unwrap().clone();
    assert_eq!(delivered.len(), 1);
    let (events, checkpoint) = &delivered[0];
    let ids: std::collections::BTreeSet<String> = events
        .iter()
        .map(|e| e.external_id.clone().unwrap())
        .collect();
    // The source polls at the real time: the 2019 fixture deployment is
    // too old to have its statuses followed (its creation still counts,
    // `since` reaching back to 2010).
    let mut expected = expected_first_poll(REPO);
    expected.remove("deployment_status:209916254");
    assert_eq!(ids, expected);
    let checkpoint = checkpoint.clone().expect("a checkpoint with the events");
    assert!(checkpoint["repos"][REPO]["pulls"]["etag"].is_string());
    let reports = rec.reports.lock().unwrap().clone();
    assert!(
        matches!(reports.last(), Some(Report::Error(m)) if m.contains("repository octo/missing not found (404)")),
        "{reports:?}"
    );

    // Restarted from that checkpoint: every endpoint answers 304, nothing
    // is delivered and the status is healthy again (octo/missing dropped).
    let spec = self::spec(&server, json!([REPO]));
    let rec = run_once(&spec, Some(checkpoint)).await;
    assert!(rec.delivered.lock().unwrap().is_empty());
    assert_eq!(
        rec.reports.lock().unwrap().last(),
        Some(&Report::Synced),
        "{:?}",
        rec.reports.lock().unwrap()
    );
}

#[tokio::test]
async fn connector_metadata_validation_and_connection_test() {
    let m = GithubConnector::default().metadata();
    assert_eq!(m.id, "github");
    assert_eq!(m.display_name, "GitHub");
    assert!(m.logo.unwrap().starts_with("data:image/svg+xml;base64,"));
    assert_eq!(m.config_schema["properties"]["token"]["x-secret"], true);

    assert!(GithubConnector::default()
        .validate(&json!({"token": "t", "repositories": ["a/b"]}))
        .is_ok());
    let err = GithubConnector::default()
        .validate(&json!({"repositories": ["a/b"]}))
        .unwrap_err();
    assert!(err.contains("token"), "{err}");
    let err = GithubConnector::default()
        .validate(&json!({"token": "t", "repositories": ["not-a-repo"]}))
        .unwrap_err();
    assert!(err.contains("repositories[0]"), "{err}");

    // A rejected token, as the integration status will show it.
    let server = MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(wiremock::ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let err = GithubConnector::default()
        .test_connection(&spec(&server, json!([REPO])))
        .await
        .unwrap_err();
    assert_eq!(err, "GitHub rejected the token (401)");
}
