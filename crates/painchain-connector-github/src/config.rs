//! An integration's `config`, and the per-integration choices it implies:
//! which repositories, which branches, which kinds of events, which tags.
//! Shared by polling and webhooks so both filter identically.

use chrono::{DateTime, Duration, Utc};
use painchain_core::NewEvent;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::client::DEFAULT_API_URL;

/// How far back the first poll looks when `since` is not set.
pub const DEFAULT_SINCE: &str = "7d";

// Debug by hand: the token must never reach a log line.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GithubConfig {
    #[serde(default)]
    pub name: Option<String>,
    /// Tags of every event of this integration (array, or the seed UI's
    /// JSON-encoded array string).
    #[serde(default, deserialize_with = "lenient_tags")]
    pub tags: Vec<String>,
    /// A personal access token (classic or fine-grained) or an app token.
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub repositories: Vec<RepoSpec>,
    /// Only these branches (exact names or `*` globs); empty = all.
    #[serde(default)]
    pub branches: Vec<String>,
    /// Which kinds of events to collect; empty = all.
    #[serde(default)]
    pub events: Vec<EventCategory>,
    #[serde(default)]
    pub polling: Polling,
    #[serde(default)]
    pub webhook: WebhookConfig,
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// The initial backfill: a duration (`7d`, `12h`) or an RFC 3339 date.
    #[serde(default)]
    pub since: Option<String>,
}

impl std::fmt::Debug for GithubConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubConfig")
            .field("name", &self.name)
            .field("tags", &self.tags)
            .field("token", &"<redacted>")
            .field("repositories", &self.repositories)
            .field("branches", &self.branches)
            .field("events", &self.events)
            .field("polling", &self.polling)
            .field("webhook", &self.webhook)
            .field("api_url", &self.api_url)
            .field("since", &self.since)
            .finish()
    }
}

fn default_api_url() -> String {
    DEFAULT_API_URL.to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Polling {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Seconds between polls.
    #[serde(default = "default_interval", deserialize_with = "lenient_u64")]
    pub interval: u64,
}

impl Default for Polling {
    fn default() -> Self {
        Polling {
            enabled: true,
            interval: default_interval(),
        }
    }
}

fn yes() -> bool {
    true
}

fn default_interval() -> u64 {
    60
}

#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WebhookConfig {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub secret: Option<String>,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("enabled", &self.enabled)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// `owner/repo`, `owner/*`, or `{owner, repo, tags}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RepoSpec {
    Name(String),
    Detailed {
        owner: String,
        repo: String,
        #[serde(default, deserialize_with = "lenient_tags")]
        tags: Vec<String>,
    },
}

/// A parsed [`RepoSpec`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoTarget {
    pub owner: String,
    /// `None` for `owner/*`: every repository of the org or user.
    pub repo: Option<String>,
    pub tags: Vec<String>,
}

impl RepoTarget {
    pub fn full_name(&self) -> Option<String> {
        self.repo.as_ref().map(|r| format!("{}/{r}", self.owner))
    }

    /// Whether `owner/repo` is (one of) this target's repositories.
    /// GitHub names are case-insensitive.
    pub fn matches(&self, full_name: &str) -> bool {
        let Some((o, r)) = full_name.split_once('/') else {
            return false;
        };
        o.eq_ignore_ascii_case(&self.owner)
            && self
                .repo
                .as_deref()
                .is_none_or(|mine| mine.eq_ignore_ascii_case(r))
    }
}

impl RepoSpec {
    pub fn target(&self) -> Result<RepoTarget, String> {
        let (owner, repo, tags) = match self {
            RepoSpec::Name(s) => {
                let s = s.trim().trim_end_matches('/');
                let (o, r) = s
                    .split_once('/')
                    .ok_or_else(|| format!("repository {s:?} must be owner/repo or owner/*"))?;
                (o.trim(), r.trim(), Vec::new())
            }
            RepoSpec::Detailed { owner, repo, tags } => (owner.trim(), repo.trim(), tags.clone()),
        };
        let ok = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        if !ok(owner) || !(repo == "*" || ok(repo)) {
            return Err(format!(
                "repository {owner}/{repo} is not a valid owner/repo (or owner/*)"
            ));
        }
        Ok(RepoTarget {
            owner: owner.to_string(),
            repo: (repo != "*").then(|| repo.to_string()),
            tags,
        })
    }
}

/// The kinds of events one can choose in `events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventCategory {
    #[serde(alias = "pull_requests", alias = "pr", alias = "prs")]
    PullRequest,
    /// Pushes, and branches created or deleted.
    #[serde(alias = "pushes", alias = "branch", alias = "branches")]
    Push,
    #[serde(alias = "tags")]
    Tag,
    #[serde(alias = "releases")]
    Release,
    #[serde(alias = "workflow_runs", alias = "actions", alias = "runs")]
    WorkflowRun,
    /// Deployments and their statuses.
    #[serde(
        alias = "deployments",
        alias = "deployment_status",
        alias = "deployment_statuses"
    )]
    Deployment,
}

impl EventCategory {
    pub const ALL: [EventCategory; 6] = [
        EventCategory::PullRequest,
        EventCategory::Push,
        EventCategory::Tag,
        EventCategory::Release,
        EventCategory::WorkflowRun,
        EventCategory::Deployment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventCategory::PullRequest => "pull_request",
            EventCategory::Push => "push",
            EventCategory::Tag => "tag",
            EventCategory::Release => "release",
            EventCategory::WorkflowRun => "workflow_run",
            EventCategory::Deployment => "deployment",
        }
    }

    /// The category of a mapped event, from its kind.
    pub fn of(e: &NewEvent) -> Option<EventCategory> {
        let k = e.kind.as_deref()?;
        let prefix = k.split('.').next()?;
        Some(match prefix {
            "change" => EventCategory::PullRequest,
            "branch" => EventCategory::Push,
            "tag" => EventCategory::Tag,
            "release" => EventCategory::Release,
            "pipelinerun" => EventCategory::WorkflowRun,
            "service" => EventCategory::Deployment,
            _ => return None,
        })
    }
}

/// A config that does not make sense, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

impl ConfigError {
    fn new(field: &str, message: impl Into<String>) -> Self {
        ConfigError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl GithubConfig {
    /// Reads and checks an integration's `config`.
    pub fn from_value(v: &Value) -> Result<GithubConfig, ConfigError> {
        let c: GithubConfig = serde_json::from_value(v.clone())
            .map_err(|e| ConfigError::new("config", e.to_string()))?;
        c.validate()?;
        Ok(c)
    }

    /// Checks beyond the JSON Schema: parseable repositories and `since`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (i, r) in self.repositories.iter().enumerate() {
            r.target()
                .map_err(|m| ConfigError::new(&format!("repositories[{i}]"), m))?;
        }
        if let Some(s) = &self.since {
            if parse_since(s, Utc::now()).is_none() {
                return Err(ConfigError::new(
                    "since",
                    format!("{s:?} is neither a duration like 7d nor an RFC 3339 date"),
                ));
            }
        }
        Ok(())
    }

    /// The parsed repositories (invalid entries skipped; `validate` reports them).
    pub fn targets(&self) -> Vec<RepoTarget> {
        self.repositories
            .iter()
            .filter_map(|r| r.target().ok())
            .collect()
    }

    /// Whether events of `owner/repo` belong to this integration. An
    /// integration listing no repositories takes what its webhook sends.
    pub fn wants_repo(&self, full_name: &str) -> bool {
        let t = self.targets();
        t.is_empty() || t.iter().any(|t| t.matches(full_name))
    }

    /// The integration's tags plus those of the repository's entry.
    pub fn tags_for(&self, full_name: &str) -> Vec<String> {
        let mut tags = self.tags.clone();
        for t in self.targets().iter().filter(|t| t.matches(full_name)) {
            for tag in &t.tags {
                if !tags.contains(tag) {
                    tags.push(tag.clone());
                }
            }
        }
        tags
    }

    pub fn collects(&self, c: EventCategory) -> bool {
        self.events.is_empty() || self.events.contains(&c)
    }

    /// The `events` and `branches` filters. Events without a branch (tags,
    /// releases, deployments) pass the branch filter.
    pub fn wants(&self, e: &NewEvent) -> bool {
        if let Some(c) = EventCategory::of(e) {
            if !self.collects(c) {
                return false;
            }
        }
        match e.data.get("branch").and_then(Value::as_str) {
            Some(b) => self.wants_branch(b),
            None => true,
        }
    }

    pub fn wants_branch(&self, branch: &str) -> bool {
        self.branches.is_empty() || self.branches.iter().any(|p| glob(p.trim(), branch))
    }

    /// The oldest time the first poll looks back to.
    pub fn since_floor(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.since
            .as_deref()
            .and_then(|s| parse_since(s, now))
            .unwrap_or_else(|| now - Duration::days(7))
    }

    pub fn webhook_secret(&self) -> Option<&str> {
        self.webhook.secret.as_deref().filter(|s| !s.is_empty())
    }
}

/// `7d`/`12h`/... before `now`, or an absolute RFC 3339 date.
pub fn parse_since(s: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    painchain_core::time::parse_duration(s)
        .map(|d| now - d)
        .or_else(|| painchain_core::time::parse(s.trim()))
}

/// A `*` glob (matching any run of characters, `/` included).
pub fn glob(pattern: &str, s: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == s;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !s.starts_with(first) || s.len() < first.len() + last.len() || !s.ends_with(last) {
        return false;
    }
    let mut rest = &s[first.len()..s.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

fn lenient_tags<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(painchain_core::integration::config_tags(
        &serde_json::json!({ "tags": Value::deserialize(d)? }),
    ))
}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_f64()
            .filter(|f| f.is_finite() && *f > 0.0)
            .map(|f| f.ceil() as u64)
            .ok_or_else(|| serde::de::Error::custom("interval must be a positive number")),
        Value::String(s) => s
            .trim()
            .parse::<u64>()
            .map_err(|_| serde::de::Error::custom("interval must be a number of seconds")),
        Value::Null => Ok(default_interval()),
        _ => Err(serde::de::Error::custom(
            "interval must be a number of seconds",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let c = GithubConfig::from_value(&serde_json::json!({
            "name": "x", "tags": [], "token": "ghp_TOPSECRET1",
            "repositories": ["o/r"], "webhook": {"secret": "whsec_TOPSECRET2"}
        }))
        .unwrap();
        for s in [format!("{c:?}"), format!("{c:#?}")] {
            assert!(!s.contains("TOPSECRET"), "{s}");
            assert!(s.contains("<redacted>"), "{s}");
        }
        let o = crate::client::ClientOptions::new("https://api.github.com", "ghp_TOPSECRET3");
        assert!(!format!("{o:?}").contains("TOPSECRET"));
    }
    use serde_json::json;

    #[test]
    fn reads_every_repository_form() {
        let c = GithubConfig::from_value(&json!({
            "name": "acme", "tags": "[\"prod\"]", "token": "t",
            "repositories": ["acme/api", "acme/*", {"owner": "acme", "repo": "web", "tags": ["frontend"]}],
            "polling": {"interval": "30"},
            "events": ["pull_requests", "workflow_run"]
        }))
        .unwrap();
        let t = c.targets();
        assert_eq!(t[0].full_name().as_deref(), Some("acme/api"));
        assert_eq!(t[1].repo, None);
        assert_eq!(c.tags_for("acme/web"), vec!["prod", "frontend"]);
        assert_eq!(c.tags_for("acme/api"), vec!["prod"]);
        assert!(c.wants_repo("ACME/other"));
        assert!(!c.wants_repo("evil/api"));
        assert_eq!(c.polling.interval, 30);
        assert!(c.collects(EventCategory::PullRequest));
        assert!(!c.collects(EventCategory::Push));
        assert_eq!(c.api_url, DEFAULT_API_URL);
    }

    #[test]
    fn rejects_bad_repositories_and_since() {
        let e =
            GithubConfig::from_value(&json!({"token": "t", "repositories": ["nope"]})).unwrap_err();
        assert_eq!(e.field, "repositories[0]");
        let e = GithubConfig::from_value(&json!({"token": "t", "since": "last week"})).unwrap_err();
        assert_eq!(e.field, "since");
        assert!(GithubConfig::from_value(&json!({"events": ["issues"]})).is_err());
    }

    #[test]
    fn globs() {
        assert!(glob("main", "main"));
        assert!(!glob("main", "main2"));
        assert!(glob("release/*", "release/1.2"));
        assert!(glob("*-hotfix", "api-hotfix"));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXc"));
        assert!(glob("*", ""));
    }

    #[test]
    fn since_floor() {
        let now = painchain_core::time::parse("2024-05-10T00:00:00Z").unwrap();
        let c = GithubConfig::from_value(&json!({"token": "t"})).unwrap();
        assert_eq!(c.since_floor(now), now - Duration::days(7));
        let c = GithubConfig::from_value(&json!({"token": "t", "since": "2024-05-01T00:00:00Z"}))
            .unwrap();
        assert_eq!(c.since_floor(now).to_rfc3339(), "2024-05-01T00:00:00+00:00");
    }
}
