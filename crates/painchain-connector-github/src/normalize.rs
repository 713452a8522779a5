//! Turns every input — a webhook payload, a repository events API item, a
//! REST object — into a [`GithubEvent`] in webhook shape, so the mapping
//! only knows one form. This is where the two paths are made to agree.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::payload::{
    from_value, Deployment, DeploymentEvent, DeploymentStatus, DeploymentStatusEvent, GithubEvent,
    PullRequest, PullRequestEvent, PushEvent, RefEvent, Release, ReleaseEvent, Repository, User,
    WorkflowRun, WorkflowRunEvent,
};

/// Why an input did not become a [`GithubEvent`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// A kind of input we deliberately do not collect; the reason says why.
    Ignored(String),
    /// A kind we collect, but the payload lacks what it needs.
    Invalid(String),
}

/// Webhook event types deliberately not collected, with the reason. Listed
/// so a 202 says *why* and the snapshot tests prove each was considered.
pub const IGNORED_WEBHOOKS: &[(&str, &str)] = &[
    ("ping", "ping: GitHub checking the webhook, nothing changed"),
    (
        "check_run",
        "check_run: per-check detail; Actions runs arrive as workflow_run",
    ),
    (
        "check_suite",
        "check_suite: duplicates workflow_run for Actions and carries no per-run state",
    ),
    (
        "workflow_job",
        "workflow_job: per-job detail; the run is recorded from workflow_run",
    ),
    (
        "status",
        "status: commit statuses are per-context detail, not a change",
    ),
];

/// Normalises a webhook body given its `X-GitHub-Event` header.
pub fn webhook(event_type: &str, body: &Value) -> Result<GithubEvent, Skip> {
    if let Some((_, why)) = IGNORED_WEBHOOKS.iter().find(|(t, _)| *t == event_type) {
        return Err(Skip::Ignored((*why).to_string()));
    }
    let invalid = |e: String| Skip::Invalid(format!("{event_type} payload: {e}"));
    let ev = match event_type {
        "pull_request" => GithubEvent::PullRequest(from_value(body).map_err(invalid)?),
        "push" => {
            let mut p: PushEvent = from_value(body).map_err(invalid)?;
            p.pushed_at = p.repository.as_ref().and_then(|r| r.pushed_at);
            GithubEvent::Push(p)
        }
        "create" | "delete" => {
            let mut r: RefEvent = from_value(body).map_err(invalid)?;
            // A create/delete payload's repository.pushed_at is the time of
            // the push that created or deleted the ref.
            r.at = r.repository.as_ref().and_then(|r| r.pushed_at);
            if event_type == "create" {
                GithubEvent::Create(r)
            } else {
                GithubEvent::Delete(r)
            }
        }
        "release" => GithubEvent::Release(from_value(body).map_err(invalid)?),
        "workflow_run" => GithubEvent::WorkflowRun(from_value(body).map_err(invalid)?),
        "deployment" => GithubEvent::Deployment(from_value(body).map_err(invalid)?),
        "deployment_status" => GithubEvent::DeploymentStatus(from_value(body).map_err(invalid)?),
        other => {
            return Err(Skip::Ignored(format!(
                "{other}: this event type is not collected"
            )))
        }
    };
    Ok(ev)
}

/// Normalises one item of `GET /repos/{owner}/{repo}/events` (the
/// repository events API). Its `payload` is the webhook payload without
/// `repository`/`sender` (and, for pushes, without most fields), so we add
/// them back from the item.
pub fn repo_event(item: &Value) -> Result<GithubEvent, Skip> {
    let kind = item.get("type").and_then(Value::as_str).unwrap_or("");
    let payload = item.get("payload").cloned().unwrap_or(Value::Null);
    let created_at = item
        .get("created_at")
        .and_then(Value::as_str)
        .and_then(painchain_core::time::parse);
    let actor: Option<User> = item.get("actor").and_then(|a| from_value(a).ok());
    let repo = item
        .get("repo")
        .and_then(|r| {
            let name = r.get("name")?.as_str()?;
            let api = r.get("url").and_then(Value::as_str);
            Some(Repository {
                full_name: Some(name.to_string()),
                name: name.split('/').nth(1).map(String::from),
                url: api.map(String::from),
                ..Repository::default()
            })
        })
        .ok_or_else(|| Skip::Invalid(format!("{kind} item names no repository")))?;

    let webhook_type = match kind {
        "PushEvent" => "push",
        "CreateEvent" => "create",
        "DeleteEvent" => "delete",
        "PullRequestEvent" => "pull_request",
        "ReleaseEvent" => "release",
        "WorkflowRunEvent" => "workflow_run",
        "DeploymentEvent" => "deployment",
        "DeploymentStatusEvent" => "deployment_status",
        other => {
            return Err(Skip::Ignored(format!(
                "{other}: this events API type is not collected"
            )))
        }
    };
    let mut ev = webhook(webhook_type, &payload)?;
    ev.set_repository(repo);
    match &mut ev {
        GithubEvent::Push(p) => {
            p.pushed_at = created_at;
            if p.sender.is_none() {
                p.sender = actor;
            }
        }
        GithubEvent::Create(r) | GithubEvent::Delete(r) => {
            r.at = created_at;
            if r.sender.is_none() {
                r.sender = actor;
            }
        }
        GithubEvent::PullRequest(e) => e.sender = e.sender.take().or(actor),
        GithubEvent::Release(e) => e.sender = e.sender.take().or(actor),
        GithubEvent::WorkflowRun(e) => e.sender = e.sender.take().or(actor),
        GithubEvent::Deployment(e) => e.sender = e.sender.take().or(actor),
        GithubEvent::DeploymentStatus(e) => e.sender = e.sender.take().or(actor),
    }
    Ok(ev)
}

/// A pull list item (`GET /repos/{o}/{r}/pulls`) as the webhook deliveries it
/// implies: `opened`, then `closed` (merged or not) if it is closed. A
/// reopen leaves no trace in the list; the events API reports it.
pub fn pull_request_from_rest(repo: &Repository, item: &Value) -> Result<Vec<GithubEvent>, Skip> {
    let pr: PullRequest = from_value(item).map_err(|e| Skip::Invalid(format!("pull: {e}")))?;
    let repo = pr
        .base
        .as_ref()
        .and_then(|b| b.repo.clone())
        .filter(|r| r.full_name().is_some())
        .unwrap_or_else(|| repo.clone());
    let mut out = Vec::new();
    let mk = |action: &str| {
        GithubEvent::PullRequest(PullRequestEvent {
            action: action.to_string(),
            pull_request: PullRequest {
                merged: Some(pr.merged_at.is_some()),
                ..pr.clone()
            },
            repository: Some(repo.clone()),
            sender: None,
        })
    };
    if pr.created_at.is_some() {
        out.push(mk("opened"));
    }
    if pr.merged_at.is_some() || pr.closed_at.is_some() {
        out.push(mk("closed"));
    }
    Ok(out)
}

/// The webhook action a workflow run's REST `status` corresponds to.
pub fn run_action_for_status(status: &str) -> &'static str {
    match status {
        "completed" => "completed",
        "in_progress" => "in_progress",
        // queued, requested, waiting, pending: not started yet.
        _ => "requested",
    }
}

/// A run from `GET /repos/{o}/{r}/actions/runs`, as the webhook delivery of
/// its current state.
pub fn workflow_run_from_rest(repo: &Repository, item: &Value) -> Result<GithubEvent, Skip> {
    let run: WorkflowRun =
        from_value(item).map_err(|e| Skip::Invalid(format!("workflow run: {e}")))?;
    let action = run_action_for_status(run.status.as_deref().unwrap_or("queued")).to_string();
    let repo = run
        .repository
        .clone()
        .filter(|r| r.full_name().is_some())
        .unwrap_or_else(|| repo.clone());
    Ok(GithubEvent::WorkflowRun(WorkflowRunEvent {
        action,
        workflow_run: run,
        workflow: None,
        repository: Some(repo),
        sender: None,
    }))
}

/// A release from `GET /repos/{o}/{r}/releases`; drafts are not published
/// and so yield nothing.
pub fn release_from_rest(repo: &Repository, item: &Value) -> Result<Option<GithubEvent>, Skip> {
    let rel: Release = from_value(item).map_err(|e| Skip::Invalid(format!("release: {e}")))?;
    if rel.draft || rel.published_at.is_none() {
        return Ok(None);
    }
    Ok(Some(GithubEvent::Release(ReleaseEvent {
        action: "published".into(),
        release: rel,
        repository: Some(repo.clone()),
        sender: None,
    })))
}

/// A deployment from `GET /repos/{o}/{r}/deployments`.
pub fn deployment_from_rest(repo: &Repository, item: &Value) -> Result<GithubEvent, Skip> {
    let d: Deployment = from_value(item).map_err(|e| Skip::Invalid(format!("deployment: {e}")))?;
    Ok(GithubEvent::Deployment(DeploymentEvent {
        action: Some("created".into()),
        deployment: d,
        repository: Some(repo.clone()),
        sender: None,
    }))
}

/// A status from `GET /repos/{o}/{r}/deployments/{id}/statuses`, joined with
/// its deployment as the webhook payload carries both.
pub fn deployment_status_from_rest(
    repo: &Repository,
    deployment: &Deployment,
    item: &Value,
) -> Result<GithubEvent, Skip> {
    let s: DeploymentStatus =
        from_value(item).map_err(|e| Skip::Invalid(format!("deployment status: {e}")))?;
    Ok(GithubEvent::DeploymentStatus(DeploymentStatusEvent {
        action: Some("created".into()),
        deployment_status: s,
        deployment: deployment.clone(),
        repository: Some(repo.clone()),
        sender: None,
    }))
}

/// A tag from `GET /repos/{o}/{r}/tags` (`{name, commit: {sha}}`) or from
/// `GET /repos/{o}/{r}/git/matching-refs/tags` (`{ref, object: {sha}}`),
/// as the `create` webhook of that tag. The REST API has no creation time;
/// `seen_at` (when we first saw it) stands in.
pub fn tag_from_rest(
    repo: &Repository,
    item: &Value,
    seen_at: DateTime<Utc>,
) -> Result<GithubEvent, Skip> {
    let name = item
        .get("name")
        .and_then(Value::as_str)
        .or_else(|| {
            item.get("ref")
                .and_then(Value::as_str)
                .map(|r| r.strip_prefix("refs/tags/").unwrap_or(r))
        })
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Skip::Invalid("tag without a name".into()))?;
    // `/tags` gives the commit; a git ref gives the commit for lightweight
    // tags and the tag object for annotated ones, which is no commit.
    let sha = item
        .pointer("/commit/sha")
        .or_else(|| {
            item.pointer("/object")
                .filter(|o| o.get("type").and_then(Value::as_str) == Some("commit"))
                .and_then(|o| o.get("sha"))
        })
        .and_then(Value::as_str)
        .map(String::from);
    Ok(GithubEvent::Create(RefEvent {
        ref_name: name.to_string(),
        ref_type: Some("tag".into()),
        sender: None,
        repository: Some(repo.clone()),
        sha,
        at: Some(seen_at),
    }))
}

/// Name of a tag as `tag_from_rest` reads it (used to track known tags).
pub fn tag_name(item: &Value) -> Option<String> {
    item.get("name")
        .and_then(Value::as_str)
        .or_else(|| {
            item.get("ref")
                .and_then(Value::as_str)
                .map(|r| r.strip_prefix("refs/tags/").unwrap_or(r))
        })
        .map(String::from)
}
