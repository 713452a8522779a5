//! The internal shape every GitHub input is normalised to before mapping.
//!
//! These follow GitHub's *webhook* payloads (field names included), because
//! webhooks carry the richest form. REST objects (pull list items, workflow
//! runs, releases, deployments, repository events API items) are converted
//! into the same structs by [`crate::normalize`], so one mapping serves both
//! paths and produces identical `externalId`s.
//!
//! Every field is optional or defaulted: real payloads differ between
//! GitHub versions, Enterprise Server and the events API, and a missing
//! detail must never cost us the whole event.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A user or bot (`login`), or a push's `pusher` (`name`, no login).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

impl User {
    /// The handle people know: the login, else the git username, else the name.
    pub fn handle(&self) -> Option<&str> {
        self.login
            .as_deref()
            .or(self.username.as_deref())
            .or(self.name.as_deref())
            .filter(|s| !s.is_empty())
    }
}

/// The part of a repository the mapping needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Repository {
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    /// API URL (`https://api.github.com/repos/o/r`); used to derive
    /// `html_url` when a REST object omits it.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub default_branch: Option<String>,
    #[serde(default)]
    pub archived: bool,
    /// Epoch seconds in push payloads, RFC 3339 elsewhere.
    #[serde(default, deserialize_with = "ts::lenient")]
    pub pushed_at: Option<DateTime<Utc>>,
}

impl Repository {
    /// A repository known only by `owner/repo` (REST objects lack one).
    pub fn named(full_name: &str, web_base: &str) -> Repository {
        Repository {
            full_name: Some(full_name.to_string()),
            name: full_name.split('/').nth(1).map(String::from),
            html_url: Some(format!("{}/{}", web_base.trim_end_matches('/'), full_name)),
            ..Repository::default()
        }
    }

    /// `owner/repo`, from `full_name` or the API URL.
    pub fn full_name(&self) -> Option<String> {
        if let Some(n) = self.full_name.as_deref().filter(|n| n.contains('/')) {
            return Some(n.to_string());
        }
        let url = self.url.as_deref()?;
        let (_, rest) = url.split_once("/repos/")?;
        let mut parts = rest.split('/');
        match (parts.next(), parts.next()) {
            (Some(o), Some(r)) if !o.is_empty() && !r.is_empty() => Some(format!("{o}/{r}")),
            _ => None,
        }
    }

    /// The repository's web page, derived from the API URL when needed
    /// (`api.github.com/repos/o/r` → `github.com/o/r`, and Enterprise's
    /// `host/api/v3/repos/o/r` → `host/o/r`).
    pub fn web_url(&self) -> Option<String> {
        if let Some(u) = self.html_url.as_deref().filter(|u| !u.is_empty()) {
            return Some(u.trim_end_matches('/').to_string());
        }
        let full = self.full_name()?;
        let api = self.url.as_deref()?;
        let (base, _) = api.split_once("/repos/")?;
        Some(format!("{}/{}", web_base_from_api(base), full))
    }
}

/// `https://api.github.com` → `https://github.com`;
/// `https://ghe.example.com/api/v3` → `https://ghe.example.com`.
pub fn web_base_from_api(api_base: &str) -> String {
    let base = api_base.trim_end_matches('/');
    if let Some(rest) = base.strip_prefix("https://api.") {
        return format!("https://{rest}");
    }
    base.strip_suffix("/api/v3")
        .unwrap_or(base)
        .trim_end_matches('/')
        .to_string()
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BranchRef {
    #[serde(default, rename = "ref")]
    pub ref_name: Option<String>,
    #[serde(default)]
    pub sha: Option<String>,
    #[serde(default)]
    pub repo: Option<Repository>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    /// Absent in pull *list* items; `merged_at` tells there.
    #[serde(default)]
    pub merged: Option<bool>,
    #[serde(default)]
    pub draft: Option<bool>,
    #[serde(default, deserialize_with = "ts::lenient")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "ts::lenient")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "ts::lenient")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "ts::lenient")]
    pub merged_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub merge_commit_sha: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub merged_by: Option<User>,
    #[serde(default)]
    pub head: Option<BranchRef>,
    #[serde(default)]
    pub base: Option<BranchRef>,
    #[serde(default)]
    pub commits: Option<u64>,
    #[serde(default)]
    pub additions: Option<u64>,
    #[serde(default)]
    pub deletions: Option<u64>,
    #[serde(default)]
    pub changed_files: Option<u64>,
}

impl PullRequest {
    pub fn is_merged(&self) -> bool {
        self.merged.unwrap_or(false) || self.merged_at.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullRequestEvent {
    pub action: String,
    pub pull_request: PullRequest,
    #[serde(default)]
    pub repository: Option<Repository>,
    #[serde(default)]
    pub sender: Option<User>,
}

/// A commit inside a push (`id`) or from the REST API (`sha`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Commit {
    #[serde(default, alias = "sha")]
    pub id: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "ts::lenient")]
    pub timestamp: Option<DateTime<Utc>>,
    #[serde(default)]
    pub author: Option<User>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub distinct: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PushEvent {
    #[serde(rename = "ref")]
    pub ref_name: String,
    #[serde(default)]
    pub before: Option<String>,
    /// The events API calls it `head`.
    #[serde(default, alias = "head")]
    pub after: Option<String>,
    #[serde(default)]
    pub created: bool,
    #[serde(default)]
    pub deleted: bool,
    /// `None` when the source does not say (the events API).
    #[serde(default)]
    pub forced: Option<bool>,
    #[serde(default)]
    pub compare: Option<String>,
    #[serde(default)]
    pub commits: Vec<Commit>,
    #[serde(default)]
    pub head_commit: Option<Commit>,
    /// Number of commits when the source reports it separately from the
    /// (possibly truncated or omitted) commit list (events API `size`).
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub pusher: Option<User>,
    #[serde(default)]
    pub sender: Option<User>,
    #[serde(default)]
    pub repository: Option<Repository>,
    /// When the push happened; filled by normalisation (repository
    /// `pushed_at` for webhooks, the item's `created_at` for the events API).
    #[serde(default, skip_deserializing)]
    pub pushed_at: Option<DateTime<Utc>>,
}

/// `create` / `delete` webhooks, their events API twins, and tags listed by
/// the REST API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RefEvent {
    /// Null for the events API's repository creation.
    #[serde(rename = "ref", default, deserialize_with = "null_as_empty")]
    pub ref_name: String,
    /// `branch`, `tag` (or `repository` for the events API's repo creation).
    #[serde(default)]
    pub ref_type: Option<String>,
    #[serde(default)]
    pub sender: Option<User>,
    #[serde(default)]
    pub repository: Option<Repository>,
    /// The commit, when the source knows it (REST tag lists, never webhooks).
    #[serde(default, skip_deserializing)]
    pub sha: Option<String>,
    /// When it happened, when the source says (filled by normalisation).
    #[serde(default, skip_deserializing)]
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Release {
    pub id: u64,
    #[serde(default)]
    pub tag_name: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub prerelease: bool,
    #[serde(default, deserialize_with = "ts::lenient")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "ts::lenient")]
    pub published_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub target_commitish: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub author: Option<User>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseEvent {
    pub action: String,
    pub release: Release,
    #[serde(default)]
    pub repository: Option<Repository>,
    #[serde(default)]
    pub sender: Option<User>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PullRequestNumber {
    pub number: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRun {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub display_title: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub workflow_id: Option<u64>,
    #[serde(default)]
    pub run_number: Option<u64>,
    /// Missing in older payloads: the first attempt.
    #[serde(default)]
    pub run_attempt: Option<u64>,
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub head_branch: Option<String>,
    #[serde(default)]
    pub head_sha: Option<String>,
    #[serde(default, deserialize_with = "ts::lenient")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "ts::lenient")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "ts::lenient")]
    pub run_started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub actor: Option<User>,
    #[serde(default)]
    pub triggering_actor: Option<User>,
    #[serde(default)]
    pub head_commit: Option<Commit>,
    #[serde(default)]
    pub pull_requests: Vec<PullRequestNumber>,
    #[serde(default)]
    pub repository: Option<Repository>,
}

impl WorkflowRun {
    pub fn attempt(&self) -> u64 {
        self.run_attempt.unwrap_or(1).max(1)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRunEvent {
    /// `requested`, `in_progress` or `completed` (REST runs are given the
    /// action matching their status by normalisation).
    pub action: String,
    pub workflow_run: WorkflowRun,
    #[serde(default)]
    pub workflow: Option<Workflow>,
    #[serde(default)]
    pub repository: Option<Repository>,
    #[serde(default)]
    pub sender: Option<User>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub id: u64,
    #[serde(default)]
    pub sha: Option<String>,
    #[serde(default, rename = "ref")]
    pub ref_name: Option<String>,
    #[serde(default)]
    pub task: Option<String>,
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub creator: Option<User>,
    #[serde(default, deserialize_with = "ts::lenient")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub production_environment: Option<bool>,
    #[serde(default)]
    pub transient_environment: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentEvent {
    #[serde(default)]
    pub action: Option<String>,
    pub deployment: Deployment,
    #[serde(default)]
    pub repository: Option<Repository>,
    #[serde(default)]
    pub sender: Option<User>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeploymentStatus {
    pub id: u64,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub target_url: Option<String>,
    #[serde(default)]
    pub log_url: Option<String>,
    #[serde(default)]
    pub environment_url: Option<String>,
    #[serde(default)]
    pub creator: Option<User>,
    #[serde(default, deserialize_with = "ts::lenient")]
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentStatusEvent {
    #[serde(default)]
    pub action: Option<String>,
    pub deployment_status: DeploymentStatus,
    pub deployment: Deployment,
    #[serde(default)]
    pub repository: Option<Repository>,
    #[serde(default)]
    pub sender: Option<User>,
}

/// One normalised input, whatever path it came by.
#[derive(Debug, Clone, PartialEq)]
pub enum GithubEvent {
    PullRequest(PullRequestEvent),
    Push(PushEvent),
    Create(RefEvent),
    Delete(RefEvent),
    Release(ReleaseEvent),
    WorkflowRun(WorkflowRunEvent),
    Deployment(DeploymentEvent),
    DeploymentStatus(DeploymentStatusEvent),
}

impl GithubEvent {
    /// The repository the event belongs to, if the payload names it.
    pub fn repository(&self) -> Option<&Repository> {
        match self {
            GithubEvent::PullRequest(e) => e.repository.as_ref(),
            GithubEvent::Push(e) => e.repository.as_ref(),
            GithubEvent::Create(e) | GithubEvent::Delete(e) => e.repository.as_ref(),
            GithubEvent::Release(e) => e.repository.as_ref(),
            GithubEvent::WorkflowRun(e) => {
                e.repository.as_ref().or(e.workflow_run.repository.as_ref())
            }
            GithubEvent::Deployment(e) => e.repository.as_ref(),
            GithubEvent::DeploymentStatus(e) => e.repository.as_ref(),
        }
    }

    /// Sets the repository (REST objects and events API items lack one).
    pub fn set_repository(&mut self, repo: Repository) {
        let slot = match self {
            GithubEvent::PullRequest(e) => &mut e.repository,
            GithubEvent::Push(e) => &mut e.repository,
            GithubEvent::Create(e) | GithubEvent::Delete(e) => &mut e.repository,
            GithubEvent::Release(e) => &mut e.repository,
            GithubEvent::WorkflowRun(e) => &mut e.repository,
            GithubEvent::Deployment(e) => &mut e.repository,
            GithubEvent::DeploymentStatus(e) => &mut e.repository,
        };
        *slot = Some(repo);
    }
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// Deserialises from a JSON value, keeping serde's message for errors.
pub(crate) fn from_value<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, String> {
    T::deserialize(v).map_err(|e| e.to_string())
}

/// GitHub timestamps come as RFC 3339 strings, except in push payloads'
/// `repository` where some are epoch seconds. Anything unparseable is
/// treated as absent rather than failing the whole payload.
pub(crate) mod ts {
    use chrono::{DateTime, TimeZone, Utc};
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    pub fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Ok(match Option::<Value>::deserialize(d)? {
            Some(Value::String(s)) => painchain_core::time::parse(&s),
            Some(Value::Number(n)) => n.as_i64().and_then(|s| Utc.timestamp_opt(s, 0).single()),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn derives_web_urls_from_api_urls() {
        assert_eq!(
            web_base_from_api("https://api.github.com"),
            "https://github.com"
        );
        assert_eq!(
            web_base_from_api("https://ghe.example.com/api/v3/"),
            "https://ghe.example.com"
        );
        let r = Repository {
            url: Some("https://ghe.example.com/api/v3/repos/acme/api".into()),
            ..Repository::default()
        };
        assert_eq!(r.full_name().as_deref(), Some("acme/api"));
        assert_eq!(
            r.web_url().as_deref(),
            Some("https://ghe.example.com/acme/api")
        );
    }

    #[test]
    fn timestamps_accept_strings_and_epochs() {
        let r: Repository = from_value(&json!({"pushed_at": 1557933657})).unwrap();
        assert_eq!(
            r.pushed_at.map(painchain_core::time::format).as_deref(),
            Some("2019-05-15T15:20:57Z")
        );
        let r: Repository = from_value(&json!({"pushed_at": "2019-05-15T15:20:57Z"})).unwrap();
        assert!(r.pushed_at.is_some());
        let r: Repository = from_value(&json!({"pushed_at": "garbage"})).unwrap();
        assert!(r.pushed_at.is_none());
    }
}
