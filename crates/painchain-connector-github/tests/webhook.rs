//! Webhook deliveries over the real fixture bodies: valid, invalid and
//! missing signatures, ignored types, malformed bodies, config filters.

mod common;

use common::{read, webhook_event};
use painchain_connector_github::webhook::{
    parse_webhook, process_webhook, sign, verify_signature, WebhookError, WebhookOutcome,
};
use painchain_connector_github::GithubConfig;
use serde_json::json;

const SECRET: &str = "It's a Secret to Everybody";

fn config(extra: serde_json::Value) -> GithubConfig {
    let mut c = json!({
        "name": "gh", "tags": ["team-a"], "token": "t",
        "repositories": [
            {"owner": "github-slack", "repo": "app", "tags": ["slack"]},
            "Codertocat/*"
        ],
        "webhook": {"secret": SECRET}
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    GithubConfig::from_value(&c).unwrap()
}

fn deliver(
    cfg: &GithubConfig,
    rel: &str,
    signature: Option<&str>,
) -> Result<WebhookOutcome, WebhookError> {
    let body = read(&format!("webhooks/{rel}"));
    process_webhook(
        cfg,
        Some("int-1"),
        signature,
        Some(&webhook_event(rel)),
        Some("72d3162e-cc78-11e3-81ab-4c9367dc0958"),
        &body,
    )
}

#[test]
fn github_documented_signature_example() {
    // The example from GitHub's "Validating webhook deliveries" docs.
    let sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    assert_eq!(sign(SECRET.as_bytes(), b"Hello, World!"), sig);
    assert!(verify_signature(SECRET.as_bytes(), b"Hello, World!", Some(sig)).is_ok());
}

#[test]
fn valid_signature_over_a_fixture_body_is_accepted() {
    let cfg = config(json!({}));
    let body = read("webhooks/pull_request/closed.merged.json");
    let sig = sign(SECRET.as_bytes(), &body);
    let out = deliver(&cfg, "pull_request/closed.merged.json", Some(&sig)).unwrap();
    let WebhookOutcome::Events(evs) = out else {
        panic!("expected events")
    };
    assert_eq!(evs.len(), 1);
    let e = &evs[0];
    assert_eq!(
        e.external_id.as_deref(),
        Some("pr:github-slack/app#36:merged")
    );
    assert_eq!(e.integration_id.as_deref(), Some("int-1"));
    assert_eq!(e.tags, vec!["team-a", "slack"]);
    assert_eq!(e.data["deliveryId"], "72d3162e-cc78-11e3-81ab-4c9367dc0958");
}

#[test]
fn invalid_and_missing_signatures_are_401() {
    let cfg = config(json!({}));
    let rel = "push/branch.commits.json";
    let body = read(&format!("webhooks/{rel}"));

    let wrong_secret = sign(b"not the secret", &body);
    let e = deliver(&cfg, rel, Some(&wrong_secret)).unwrap_err();
    assert_eq!(e, WebhookError::SignatureMismatch);
    assert_eq!(e.http_status(), 401);

    // Signed, then tampered with.
    let mut tampered = body.clone();
    let at = tampered.iter().position(|b| *b == b'9').unwrap();
    tampered[at] = b'8';
    let sig = sign(SECRET.as_bytes(), &body);
    assert_eq!(
        verify_signature(SECRET.as_bytes(), &tampered, Some(&sig)),
        Err(WebhookError::SignatureMismatch)
    );

    let e = deliver(&cfg, rel, None).unwrap_err();
    assert_eq!(e, WebhookError::MissingSignature);
    assert_eq!(e.http_status(), 401);

    for bad in ["sha256=", "sha256=xyz", "md5=abc", "757107ea0eb2509fc211"] {
        let e = deliver(&cfg, rel, Some(bad)).unwrap_err();
        assert_eq!(e, WebhookError::MalformedSignature, "{bad}");
        assert_eq!(e.http_status(), 401);
    }

    // No secret configured: refuse rather than accept anything.
    let mut no_secret = cfg.clone();
    no_secret.webhook.secret = None;
    let sig = sign(SECRET.as_bytes(), &body);
    assert_eq!(
        deliver(&no_secret, rel, Some(&sig)).unwrap_err(),
        WebhookError::NoSecret
    );
}

#[test]
fn ignored_types_are_202_material() {
    let cfg = config(json!({}));
    for rel in [
        "check_run/completed.failure.json",
        "workflow_job/completed.failure.json",
        "status/success.json",
        "release/created.json",
    ] {
        let body = read(&format!("webhooks/{rel}"));
        let sig = sign(SECRET.as_bytes(), &body);
        assert!(
            matches!(
                deliver(&cfg, rel, Some(&sig)),
                Ok(WebhookOutcome::Ignored(_))
            ),
            "{rel}"
        );
    }
    let ping = br#"{"zen":"Design for failure.","hook_id":1}"#;
    let sig = sign(SECRET.as_bytes(), ping);
    let out = process_webhook(&cfg, None, Some(&sig), Some("ping"), None, ping).unwrap();
    assert!(matches!(out, WebhookOutcome::Ignored(r) if r.starts_with("ping")));
}

#[test]
fn malformed_bodies_are_400() {
    let cfg = config(json!({}));
    let body = b"{\"ref\": ";
    let sig = sign(SECRET.as_bytes(), body);
    let e = process_webhook(&cfg, None, Some(&sig), Some("push"), None, body).unwrap_err();
    assert!(matches!(e, WebhookError::MalformedJson(_)));
    assert_eq!(e.http_status(), 400);

    // Valid JSON without what a pull_request payload needs.
    let body = br#"{"action": "opened"}"#;
    let sig = sign(SECRET.as_bytes(), body);
    let e = process_webhook(&cfg, None, Some(&sig), Some("pull_request"), None, body).unwrap_err();
    assert!(matches!(e, WebhookError::InvalidPayload(_)));
    assert_eq!(e.http_status(), 400);

    let e = process_webhook(&cfg, None, Some(&sig), None, None, body).unwrap_err();
    assert_eq!(e, WebhookError::MissingEvent);
}

#[test]
fn config_filters_repositories_kinds_and_branches() {
    let rel = "push/branch.commits.json"; // github-slack/app, master
    let body = read(&format!("webhooks/{rel}"));
    let sig = sign(SECRET.as_bytes(), &body);

    let only_main = config(json!({"branches": ["main", "release/*"]}));
    assert!(matches!(
        deliver(&only_main, rel, Some(&sig)),
        Ok(WebhookOutcome::Ignored(_))
    ));
    let master = config(json!({"branches": ["mas*"]}));
    assert!(matches!(
        deliver(&master, rel, Some(&sig)),
        Ok(WebhookOutcome::Events(_))
    ));
    let runs_only = config(json!({"events": ["workflow_run"]}));
    assert!(matches!(
        deliver(&runs_only, rel, Some(&sig)),
        Ok(WebhookOutcome::Ignored(_))
    ));
    let disabled = config(json!({"webhook": {"secret": SECRET, "enabled": false}}));
    assert!(matches!(
        deliver(&disabled, rel, Some(&sig)),
        Ok(WebhookOutcome::Ignored(r)) if r.contains("disabled")
    ));
    let other_repo = config(json!({"repositories": ["acme/api"]}));
    assert!(matches!(
        deliver(&other_repo, rel, Some(&sig)),
        Ok(WebhookOutcome::Ignored(r)) if r.contains("github-slack/app")
    ));
}

#[test]
fn replayed_delivery_yields_the_same_event() {
    // Replays are stored once because the id comes from the content.
    let a = parse_webhook(
        "deployment_status",
        Some("d-1"),
        &read("webhooks/deployment_status/success.json"),
    )
    .unwrap();
    let b = parse_webhook(
        "deployment_status",
        Some("d-2"),
        &read("webhooks/deployment_status/success.json"),
    )
    .unwrap();
    let (WebhookOutcome::Events(a), WebhookOutcome::Events(b)) = (a, b) else {
        panic!()
    };
    assert_eq!(a[0].external_id, b[0].external_id);
}
