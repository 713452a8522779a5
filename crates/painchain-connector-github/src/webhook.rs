//! Webhook deliveries: signature check and parsing, both pure. The server's
//! `POST /api/webhooks/github/:integrationId` calls [`process_webhook`] (or
//! the two steps) and answers with [`WebhookError::http_status`]: a bad or
//! missing signature → 401, a malformed body → 400, an ignored event → 202.
//!
//! Replays of one delivery (`X-GitHub-Delivery`) need no bookkeeping here:
//! events get content-derived `externalId`s, so the store keeps one copy.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::config::GithubConfig;
use crate::mapping::{map_event, MapContext, Outcome};
use crate::normalize::{self, Skip};

/// What a delivery turned into.
pub type WebhookOutcome = Outcome;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("missing X-Hub-Signature-256 header")]
    MissingSignature,
    #[error("malformed X-Hub-Signature-256 header (expected sha256=<64 hex digits>)")]
    MalformedSignature,
    #[error("X-Hub-Signature-256 does not match the body")]
    SignatureMismatch,
    /// The integration has no `webhook.secret`: we cannot authenticate
    /// deliveries, so we refuse them.
    #[error("this integration has no webhook.secret configured")]
    NoSecret,
    #[error("missing X-GitHub-Event header")]
    MissingEvent,
    #[error("malformed JSON body: {0}")]
    MalformedJson(String),
    /// Valid JSON, but not the shape its event type must have.
    #[error("invalid payload: {0}")]
    InvalidPayload(String),
}

impl WebhookError {
    /// The HTTP status the server should answer with.
    pub fn http_status(&self) -> u16 {
        match self {
            WebhookError::MissingSignature
            | WebhookError::MalformedSignature
            | WebhookError::SignatureMismatch
            | WebhookError::NoSecret => 401,
            WebhookError::MissingEvent
            | WebhookError::MalformedJson(_)
            | WebhookError::InvalidPayload(_) => 400,
        }
    }
}

/// Checks `X-Hub-Signature-256` (`sha256=<hex HMAC-SHA256 of the raw body>`)
/// in constant time.
pub fn verify_signature(
    secret: &[u8],
    body: &[u8],
    header: Option<&str>,
) -> Result<(), WebhookError> {
    let header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(WebhookError::MissingSignature)?;
    let hex_sig = header
        .strip_prefix("sha256=")
        .ok_or(WebhookError::MalformedSignature)?;
    let sig = hex::decode(hex_sig).map_err(|_| WebhookError::MalformedSignature)?;
    if sig.len() != 32 {
        return Err(WebhookError::MalformedSignature);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any size");
    mac.update(body);
    // verify_slice compares in constant time.
    mac.verify_slice(&sig)
        .map_err(|_| WebhookError::SignatureMismatch)
}

/// The header value GitHub would send for `body` signed with `secret`
/// (for tests and for tools that replay deliveries).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any size");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Parses a delivery (`X-GitHub-Event`, `X-GitHub-Delivery`, raw body) into
/// events, without config: no tags, no filters. See [`process_webhook`] for
/// the whole thing.
pub fn parse_webhook(
    event_header: &str,
    delivery_id: Option<&str>,
    body: &[u8],
) -> Result<WebhookOutcome, WebhookError> {
    parse_at(event_header, delivery_id, body, None, Utc::now())
}

/// Verifies, parses and filters one delivery for an integration: the
/// signature against `webhook.secret`, then events of repositories, kinds
/// and branches the config selects, tagged with its tags and
/// `integration_id` (so a webhook event and its polled twin collide on the
/// store's `(integrationId, externalId)` key).
pub fn process_webhook(
    config: &GithubConfig,
    integration_id: Option<&str>,
    signature: Option<&str>,
    event_header: Option<&str>,
    delivery_id: Option<&str>,
    body: &[u8],
) -> Result<WebhookOutcome, WebhookError> {
    let secret = config.webhook_secret().ok_or(WebhookError::NoSecret)?;
    verify_signature(secret.as_bytes(), body, signature)?;
    let event = event_header
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .ok_or(WebhookError::MissingEvent)?;
    if config.webhook.enabled == Some(false) {
        return Ok(Outcome::Ignored(
            "webhooks are disabled for this integration (webhook.enabled: false)".into(),
        ));
    }
    let mut out = parse_at(event, delivery_id, body, Some(config), Utc::now())?;
    if let (Outcome::Events(evs), Some(id)) = (&mut out, integration_id) {
        for e in evs {
            e.integration_id = Some(id.to_string());
        }
    }
    Ok(out)
}

fn parse_at(
    event: &str,
    delivery_id: Option<&str>,
    body: &[u8],
    config: Option<&GithubConfig>,
    now: DateTime<Utc>,
) -> Result<WebhookOutcome, WebhookError> {
    let json: Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::MalformedJson(e.to_string()))?;
    if !json.is_object() {
        return Err(WebhookError::MalformedJson("expected a JSON object".into()));
    }
    let ev = match normalize::webhook(event, &json) {
        Ok(ev) => ev,
        Err(Skip::Ignored(why)) => return Ok(Outcome::Ignored(why)),
        Err(Skip::Invalid(why)) => return Err(WebhookError::InvalidPayload(why)),
    };
    let project = ev.repository().and_then(|r| r.full_name());
    let mut ctx = MapContext::new(now);
    if let (Some(c), Some(p)) = (config, project.as_deref()) {
        if !c.wants_repo(p) {
            return Ok(Outcome::Ignored(format!(
                "{p} is not among this integration's repositories"
            )));
        }
        ctx.tags = c.tags_for(p);
    }
    let mut out = map_event(&ev, &ctx);
    if let Outcome::Events(evs) = &mut out {
        if let Some(c) = config {
            evs.retain(|e| c.wants(e));
            if evs.is_empty() {
                return Ok(Outcome::Ignored(
                    "filtered out by the integration's events/branches settings".into(),
                ));
            }
        }
        if let Some(d) = delivery_id.filter(|d| !d.is_empty()) {
            for e in evs.iter_mut() {
                e.data.insert("deliveryId".into(), Value::String(d.into()));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let body = br#"{"zen":"Keep it logically awesome."}"#;
        let good = sign(b"s3cret", body);
        assert!(verify_signature(b"s3cret", body, Some(&good)).is_ok());
        assert_eq!(
            verify_signature(b"other", body, Some(&good)),
            Err(WebhookError::SignatureMismatch)
        );
        assert_eq!(
            verify_signature(b"s3cret", body, None),
            Err(WebhookError::MissingSignature)
        );
        assert_eq!(
            verify_signature(b"s3cret", body, Some("sha1=abc")),
            Err(WebhookError::MalformedSignature)
        );
        assert_eq!(
            verify_signature(b"s3cret", body, Some("sha256=zz")),
            Err(WebhookError::MalformedSignature)
        );
        assert_eq!(
            verify_signature(b"s3cret", body, Some("sha256=abcd")),
            Err(WebhookError::MalformedSignature)
        );
    }

    #[test]
    fn ping_and_malformed() {
        assert!(matches!(
            parse_webhook("ping", Some("d1"), br#"{"zen":"x","hook_id":1}"#),
            Ok(Outcome::Ignored(_))
        ));
        assert!(matches!(
            parse_webhook("push", None, b"{not json"),
            Err(WebhookError::MalformedJson(_))
        ));
        assert_eq!(
            parse_webhook("push", None, b"{}")
                .unwrap_err()
                .http_status(),
            400
        );
    }
}
