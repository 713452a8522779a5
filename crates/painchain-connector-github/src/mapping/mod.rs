//! Pure mapping from a normalised GitHub input ([`GithubEvent`]) to
//! PainChain events. No I/O, no clock: the caller passes `now` (used only
//! when a payload carries no time at all), so the same input always gives
//! the same events — which is what makes webhook and polling agree.
//!
//! `externalId`s, identical whichever path an event came by:
//!
//! | input | externalId |
//! |---|---|
//! | PR opened / merged | `pr:owner/repo#42:opened`, `pr:owner/repo#42:merged` |
//! | PR closed unmerged / reopened | `pr:owner/repo#42:closed:<closed_at>`, `pr:owner/repo#42:reopened:<updated_at>` (can repeat, so the time is part of the id) |
//! | push to a branch | `push:owner/repo:<after sha>` |
//! | branch created / deleted | `branch:owner/repo:<name>:created` / `:deleted` |
//! | tag created / deleted | `tag:owner/repo:<name>:created` / `:deleted` |
//! | release published | `release:owner/repo:<id>:published` |
//! | workflow run state | `run:<id>:<attempt>:requested` / `:in_progress` / `:completed` |
//! | deployment | `deployment:<id>:created` |
//! | deployment status | `deployment_status:<id>` |
//!
//! Each state change of a run or deployment has its own id, so first-write-
//! wins deduplication can never freeze an early state.

mod deployment;
mod pull_request;
mod push;
mod release;
mod workflow_run;

use chrono::{DateTime, Utc};
use painchain_core::{NewEvent, Ref};
use serde_json::{Map, Value};

use crate::normalize::{self, Skip};
use crate::payload::GithubEvent;

pub use deployment::deployment_status;
pub use workflow_run::run_status;

/// The connector name on every event.
pub const CONNECTOR: &str = "github";

/// What the mapping needs besides the payload.
#[derive(Debug, Clone)]
pub struct MapContext {
    /// Tags of the integration and of the repository in its config.
    pub tags: Vec<String>,
    /// Stand-in timestamp for payloads that carry none.
    pub now: DateTime<Utc>,
}

impl MapContext {
    pub fn new(now: DateTime<Utc>) -> Self {
        MapContext {
            tags: Vec::new(),
            now,
        }
    }

    pub fn with_tags(mut self, tags: Vec<String>) -> Self {
        self.tags = tags;
        self
    }
}

/// The result of mapping one input.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Events(Vec<NewEvent>),
    /// Deliberately not collected; the reason is for logs and 202 bodies.
    Ignored(String),
}

impl Outcome {
    /// The events, or none when ignored.
    pub fn into_events(self) -> Vec<NewEvent> {
        match self {
            Outcome::Events(e) => e,
            Outcome::Ignored(_) => Vec::new(),
        }
    }
}

/// Maps one normalised input.
pub fn map_event(ev: &GithubEvent, ctx: &MapContext) -> Outcome {
    let Some(base) = Base::new(ev, ctx) else {
        return Outcome::Ignored("payload names no repository".into());
    };
    let mapped = match ev {
        GithubEvent::PullRequest(e) => pull_request::map(e, &base),
        GithubEvent::Push(e) => push::map_push(e, &base),
        GithubEvent::Create(e) => push::map_ref(e, true, &base),
        GithubEvent::Delete(e) => push::map_ref(e, false, &base),
        GithubEvent::Release(e) => release::map(e, &base),
        GithubEvent::WorkflowRun(e) => workflow_run::map(e, &base),
        GithubEvent::Deployment(e) => deployment::map_deployment(e, &base),
        GithubEvent::DeploymentStatus(e) => deployment::map_status(e, &base),
    };
    match mapped {
        Ok(ev) => Outcome::Events(vec![ev]),
        Err(why) => Outcome::Ignored(why),
    }
}

/// Normalises and maps a webhook body (`X-GitHub-Event` = `event_type`).
/// `Err` only for a payload of a collected type that lacks what it needs.
pub fn map_webhook(event_type: &str, body: &Value, ctx: &MapContext) -> Result<Outcome, String> {
    match normalize::webhook(event_type, body) {
        Ok(ev) => Ok(map_event(&ev, ctx)),
        Err(Skip::Ignored(why)) => Ok(Outcome::Ignored(why)),
        Err(Skip::Invalid(why)) => Err(why),
    }
}

/// Normalises and maps one repository events API item. Items that cannot be
/// read are ignored (with the reason): one odd item must not stop a poll.
pub fn map_repo_event(item: &Value, ctx: &MapContext) -> Outcome {
    match normalize::repo_event(item) {
        Ok(ev) => map_event(&ev, ctx),
        Err(Skip::Ignored(why) | Skip::Invalid(why)) => Outcome::Ignored(why),
    }
}

/// What every event of one repository shares.
pub(crate) struct Base<'a> {
    /// `owner/repo`
    pub project: String,
    /// `https://github.com/owner/repo`, when known.
    pub web: Option<String>,
    pub ctx: &'a MapContext,
}

impl<'a> Base<'a> {
    fn new(ev: &GithubEvent, ctx: &'a MapContext) -> Option<Self> {
        let repo = ev.repository()?;
        Some(Base {
            project: repo.full_name()?,
            web: repo.web_url(),
            ctx,
        })
    }

    /// The repository name without its owner (`api` for `acme/api`).
    pub fn repo_name(&self) -> &str {
        self.project
            .split_once('/')
            .map_or(&self.project, |(_, r)| r)
    }

    /// A web page under the repository (`tree/main`), when its URL is known.
    pub fn page(&self, path: &str) -> Option<String> {
        self.web.as_ref().map(|w| format!("{w}/{path}"))
    }

    pub fn event(
        &self,
        kind: &str,
        title: String,
        timestamp: Option<DateTime<Utc>>,
        external_id: String,
    ) -> NewEvent {
        let mut e = NewEvent::new(
            title,
            CONNECTOR,
            self.project.clone(),
            timestamp.unwrap_or(self.ctx.now),
        );
        e.kind = Some(kind.to_string());
        e.external_id = Some(external_id);
        e.tags = self.ctx.tags.clone();
        e.data
            .insert("repository".into(), Value::String(self.project.clone()));
        e
    }
}

/// Adds a ref unless it is empty or already there (the server dedups too,
/// but snapshots read better without repeats).
pub(crate) fn push_ref(e: &mut NewEvent, ref_type: &str, value: Option<&str>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        let r = Ref::new(ref_type, v);
        if !e.refs.contains(&r) {
            e.refs.push(r);
        }
    }
}

/// Inserts `key` into `data` only when there is a value: compact data.
pub(crate) fn put(data: &mut Map<String, Value>, key: &str, v: impl Into<Option<Value>>) {
    if let Some(v) = v.into().filter(|v| !v.is_null()) {
        data.insert(key.to_string(), v);
    }
}

pub(crate) fn s(v: Option<&str>) -> Option<Value> {
    v.filter(|s| !s.is_empty())
        .map(|s| Value::String(s.to_string()))
}

/// The first 7 characters of a sha, as GitHub shows it.
pub(crate) fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// `0000…` marks a ref that did not exist before / no longer exists.
pub(crate) fn is_null_sha(sha: Option<&str>) -> bool {
    sha.is_none_or(|s| !s.is_empty() && s.bytes().all(|b| b == b'0'))
}

/// A full 40-hex commit id (release `target_commitish` is usually a branch).
pub(crate) fn is_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The first line of a commit message or title, cut to `max` characters.
pub(crate) fn first_line(s: &str, max: usize) -> String {
    cut(s.lines().next().unwrap_or("").trim(), max)
}

/// Cuts at a character boundary, marking the cut with an ellipsis.
pub(crate) fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

pub(crate) fn ts_value(t: Option<DateTime<Utc>>) -> Option<Value> {
    t.map(|t| Value::String(painchain_core::time::format(t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(short("acac2f75d59f43ceab769fb203cfbbf6f3cf8b10"), "acac2f7");
        assert!(is_null_sha(Some(
            "0000000000000000000000000000000000000000"
        )));
        assert!(is_null_sha(None));
        assert!(!is_null_sha(Some("acac2f75")));
        assert_eq!(first_line("Fix it\n\nbecause", 80), "Fix it");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("héllo", 5), "héllo");
        assert!(is_sha("acac2f75d59f43ceab769fb203cfbbf6f3cf8b10"));
        assert!(!is_sha("main"));
    }
}
