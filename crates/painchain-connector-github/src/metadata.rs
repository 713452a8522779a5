//! What the connector registers with the server (`POST
//! /api/integrations/types/register`): id, display name, colour, logo and
//! the JSON Schema of its config. The schema is written by hand so secrets
//! can be marked (`format: password`, `x-secret: true`) for the server to
//! encrypt and redact them.

use base64::Engine;
use serde::Serialize;
use serde_json::{json, Value};

use crate::config::EventCategory;

pub const ID: &str = "github";
pub const DISPLAY_NAME: &str = "GitHub";
pub const COLOR: &str = "#24292f";
pub const DESCRIPTION: &str = "Pull requests, pushes, tags, releases, GitHub Actions runs and \
     deployments from GitHub.com or GitHub Enterprise Server, by polling and by webhooks.";

/// The GitHub mark (Octicons `mark-github`, 16×16).
const LOGO_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="64" height="64"><path fill="#24292f" d="M8 0C3.58 0 0 3.58 0 8c0 3.54 2.29 6.53 5.47 7.59.4.07.55-.17.55-.38 0-.19-.01-.82-.01-1.49-2.01.37-2.53-.49-2.69-.94-.09-.23-.48-.94-.82-1.13-.28-.15-.68-.52-.01-.53.63-.01 1.08.58 1.23.82.72 1.21 1.87.87 2.33.66.07-.52.28-.87.51-1.07-1.78-.2-3.64-.89-3.64-3.95 0-.87.31-1.59.82-2.15-.08-.2-.36-1.02.08-2.12 0 0 .67-.21 2.2.82.64-.18 1.32-.27 2-.27.68 0 1.36.09 2 .27 1.53-1.04 2.2-.82 2.2-.82.44 1.1.16 1.92.08 2.12.51.56.82 1.27.82 2.15 0 3.07-1.87 3.75-3.65 3.95.29.25.54.73.54 1.48 0 1.07-.01 1.93-.01 2.2 0 .21.15.46.55.38A8.013 8.013 0 0016 8c0-4.42-3.58-8-8-8z"/></svg>"##;

/// The registration body, in the seed's `metadata.json` shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub id: String,
    pub display_name: String,
    pub color: String,
    /// `data:image/svg+xml;base64,...`
    pub logo: String,
    pub description: String,
    pub config_schema: Value,
}

pub fn metadata() -> Metadata {
    Metadata {
        id: ID.into(),
        display_name: DISPLAY_NAME.into(),
        color: COLOR.into(),
        logo: logo_data_uri(),
        description: DESCRIPTION.into(),
        config_schema: config_schema(),
    }
}

pub fn logo_data_uri() -> String {
    format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(LOGO_SVG)
    )
}

/// The JSON Schema (draft 07) of a GitHub integration's `config`.
pub fn config_schema() -> Value {
    let tags = json!({
        "type": ["array", "string"],
        "items": {"type": "string"},
        "description": "Tags added to every event (a JSON array; a JSON-encoded string is accepted too)."
    });
    let events: Vec<&str> = EventCategory::ALL.iter().map(|c| c.as_str()).collect();
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "GitHub integration",
        "type": "object",
        "required": ["name", "tags", "token", "repositories"],
        "properties": {
            "name": {
                "type": "string", "minLength": 1, "title": "Integration name",
                "description": "A friendly name for this integration."
            },
            "tags": tags,
            "token": {
                "type": "string", "minLength": 1, "title": "Token",
                "format": "password", "writeOnly": true, "x-secret": true,
                "description": "Fine-grained token with read access to Metadata, Contents, Pull requests, Actions and Deployments of the repositories (classic token: `repo`, plus `read:org` for owner/*)."
            },
            "repositories": {
                "type": "array", "minItems": 1, "title": "Repositories",
                "description": "owner/repo, owner/* (every repository of an organization or user), or {owner, repo, tags}.",
                "items": {
                    "oneOf": [
                        {"type": "string", "pattern": "^[A-Za-z0-9_.-]+/([A-Za-z0-9_.-]+|\\*)$"},
                        {
                            "type": "object",
                            "required": ["owner", "repo"],
                            "properties": {
                                "owner": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
                                "repo": {"type": "string", "pattern": "^([A-Za-z0-9_.-]+|\\*)$"},
                                "tags": {"type": "array", "items": {"type": "string"}}
                            },
                            "additionalProperties": false
                        }
                    ]
                }
            },
            "branches": {
                "type": "array", "items": {"type": "string", "minLength": 1}, "title": "Branches",
                "description": "Only pushes, pull requests and runs on these branches (names or globs like release/*). Empty: all."
            },
            "events": {
                "type": "array", "uniqueItems": true, "title": "Events",
                "items": {"type": "string", "enum": events},
                "description": "Which kinds of events to collect. Empty: all."
            },
            "polling": {
                "type": "object", "title": "Polling",
                "properties": {
                    "enabled": {"type": "boolean", "default": true},
                    "interval": {"type": "integer", "minimum": 10, "default": 60, "description": "Seconds between polls."}
                }
            },
            "webhook": {
                "type": "object", "title": "Webhook",
                "properties": {
                    "enabled": {"type": "boolean"},
                    "secret": {
                        "type": "string", "format": "password", "writeOnly": true, "x-secret": true,
                        "description": "The secret set on the GitHub webhook; deliveries are verified with X-Hub-Signature-256."
                    }
                }
            },
            "apiUrl": {
                "type": "string", "format": "uri", "default": crate::client::DEFAULT_API_URL,
                "title": "API URL",
                "description": "https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server."
            },
            "since": {
                "type": "string", "default": crate::config::DEFAULT_SINCE,
                "title": "Initial backfill",
                "description": "How far back the first poll looks: a duration (7d, 12h) or an RFC 3339 date."
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_shape() {
        let m = serde_json::to_value(metadata()).unwrap();
        assert_eq!(m["id"], "github");
        assert_eq!(m["displayName"], "GitHub");
        assert!(m["logo"]
            .as_str()
            .unwrap()
            .starts_with("data:image/svg+xml;base64,"));
        let props = &m["configSchema"]["properties"];
        assert_eq!(props["token"]["x-secret"], true);
        assert_eq!(props["token"]["format"], "password");
        assert_eq!(props["webhook"]["properties"]["secret"]["x-secret"], true);
        assert_eq!(props["events"]["items"]["enum"][0], "pull_request");
    }
}
