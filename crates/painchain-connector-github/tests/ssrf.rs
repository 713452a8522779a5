//! Issue #10, item 8: under a restricted outbound policy (a server shared
//! by several tenants) an `apiUrl` pointing at an internal address is never
//! fetched — by address literal, by a name resolving to loopback (checked
//! at connection time, in the resolver) or through a redirect — and error
//! statuses never echo the body of an answer from a host other than GitHub.

use painchain_connector_github::GithubConnector;
use painchain_sdk::{outbound::Allow, Connector, IntegrationSpec, OutboundPolicy};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn spec(api_url: &str) -> IntegrationSpec {
    serde_json::from_value(json!({
        "id": "i1", "type": "github", "name": "gh",
        "config": {"name": "gh", "tags": [], "token": "ghp_test", "repositories": ["o/r"], "apiUrl": api_url}
    }))
    .unwrap()
}

async fn internal_service() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500).set_body_string("INTERNAL-ONLY-DATA"))
        .mount(&s)
        .await;
    s
}

#[tokio::test]
async fn restricted_policy_never_reaches_internal_addresses() {
    let internal = internal_service().await;
    let port = internal.address().port();
    let restricted = GithubConnector::new(OutboundPolicy::restricted(vec![]));
    for url in [
        internal.uri(),                               // http://127.0.0.1:port
        format!("https://127.0.0.1:{port}"),          // literal
        format!("https://localhost:{port}"),          // a name resolving to loopback
        "https://169.254.169.254/latest".to_string(), // cloud metadata
    ] {
        let err = restricted.test_connection(&spec(&url)).await.unwrap_err();
        assert!(
            err.contains("only https") || err.contains("internal addresses"),
            "{url}: {err}"
        );
        assert!(!err.contains("INTERNAL-ONLY-DATA"), "{err}");
    }
    assert!(
        internal.received_requests().await.unwrap().is_empty(),
        "nothing reached the internal service"
    );

    // The free tier's open policy still reaches a local fake (as before).
    let open = GithubConnector::default();
    let err = open
        .test_connection(&spec(&internal.uri()))
        .await
        .unwrap_err();
    assert!(err.contains("500"), "{err}");
    assert!(!internal.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn redirects_to_internal_addresses_are_refused() {
    let internal = internal_service().await;
    let front = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", format!("{}/x", internal.uri())),
        )
        .mount(&front)
        .await;
    // The operator allowlisted the front host (by name) only.
    let allow = Allow::parse_list("localhost").unwrap();
    let c = GithubConnector::new(OutboundPolicy::restricted(allow));
    let url = format!("http://localhost:{}", front.address().port());
    let err = c.test_connection(&spec(&url)).await.unwrap_err();
    assert!(!err.contains("INTERNAL-ONLY-DATA"), "{err}");
    assert!(!front.received_requests().await.unwrap().is_empty());
    assert!(
        internal.received_requests().await.unwrap().is_empty(),
        "the redirect was not followed"
    );
}

#[tokio::test]
async fn bodies_of_unexpected_hosts_are_not_echoed() {
    let internal = internal_service().await;
    let allow = Allow::parse_list("localhost").unwrap();
    let c = GithubConnector::new(OutboundPolicy::restricted(allow));
    let url = format!("http://localhost:{}", internal.address().port());
    let err = c.test_connection(&spec(&url)).await.unwrap_err();
    assert!(err.contains("500"), "{err}");
    assert!(!err.contains("INTERNAL-ONLY-DATA"), "{err}");
}
