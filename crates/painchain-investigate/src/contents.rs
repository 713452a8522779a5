//! What a deployment shipped: the commits and pull/merge requests between
//! the previous deployment of the same service and environment and this
//! one, read from the stored push and merge events.

use std::collections::HashSet;

use chrono::Duration;
use painchain_core::filter::Page;
use painchain_core::{refs, Event, EventFilter, Ref};
use painchain_store::Store;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    chain::events_sharing,
    relation::{role, Role},
    Result,
};

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeployContents {
    /// The previous deployment of the same service and environment.
    pub previous: Option<Event>,
    /// The commit deployed, and the one deployed before.
    pub from_commit: Option<String>,
    pub to_commit: Option<String>,
    /// Newest first, as pushed.
    pub commits: Vec<Commit>,
    /// Merged pull/merge requests whose commits are among them.
    pub changes: Vec<Event>,
    /// Whether the walk reached the previous deployment's commit (false: the
    /// list may be incomplete, e.g. pushes older than the retention).
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Commit {
    pub sha: String,
    pub message: Option<String>,
    pub author: Option<String>,
}

/// Pushes followed back at most.
const MAX_PUSHES: usize = 50;

/// `None` when `deploy` is not a deployment.
pub async fn deploy_contents(
    store: &dyn Store,
    tenant: &str,
    deploy: &Event,
) -> Result<Option<DeployContents>> {
    if role(deploy.kind.as_deref()) != Role::Rollout {
        return Ok(None);
    }
    let previous = previous_deploy(store, tenant, deploy).await?;
    let to_commit = commit_of(deploy);
    let from_commit = previous.as_ref().and_then(commit_of);
    let mut out = DeployContents {
        previous,
        from_commit: from_commit.clone(),
        to_commit: to_commit.clone(),
        commits: Vec::new(),
        changes: Vec::new(),
        complete: false,
    };
    let Some(mut head) = to_commit else {
        return Ok(Some(out));
    };
    let stop = from_commit.map(|c| Ref::new("commit", c));
    let since = out
        .previous
        .as_ref()
        .map(|p| p.timestamp - Duration::days(7))
        .unwrap_or(deploy.timestamp - Duration::days(30));
    let mut seen = HashSet::new();
    'walk: for _ in 0..MAX_PUSHES {
        let head_ref = Ref::new("commit", head.clone());
        if stop
            .as_ref()
            .is_some_and(|s| refs::refs_match(s, &head_ref))
        {
            out.complete = true;
            break;
        }
        // The push whose new head is `head`.
        let pushes =
            events_sharing(store, tenant, &[&head_ref], since, deploy.timestamp, 20).await?;
        let Some(push) = pushes.into_iter().find(|p| {
            p.kind.as_deref() == Some("branch.pushed")
                && p.data
                    .get("after")
                    .and_then(|a| a.as_str())
                    .is_some_and(|a| refs::refs_match(&Ref::new("commit", a), &head_ref))
        }) else {
            break;
        };
        if !seen.insert(push.id.clone()) {
            break;
        }
        for c in push_commits(&push) {
            if stop
                .as_ref()
                .is_some_and(|s| refs::refs_match(s, &Ref::new("commit", c.sha.clone())))
            {
                out.complete = true;
                break 'walk;
            }
            out.commits.push(c);
        }
        match push.data.get("before").and_then(|b| b.as_str()) {
            Some(b) if !b.trim_start_matches('0').is_empty() => head = b.to_string(),
            _ => break,
        }
    }
    // Merged PRs/MRs naming any of those commits.
    let mut changes: Vec<Event> = Vec::new();
    for chunk in out.commits.chunks(50) {
        let keys: Vec<Ref> = chunk
            .iter()
            .flat_map(|c| refs::match_keys(&Ref::new("commit", c.sha.clone())))
            .collect();
        let filter = EventFilter {
            refs: keys,
            kinds: vec!["change.merged".into()],
            start: Some(since),
            end: Some(deploy.timestamp),
            ..Default::default()
        };
        let page = Page {
            limit: 100,
            ..Default::default()
        };
        for e in store.list_events(tenant, &filter, &page).await?.events {
            if !changes.iter().any(|c| c.id == e.id) {
                changes.push(e);
            }
        }
    }
    out.changes = changes;
    Ok(Some(out))
}

async fn previous_deploy(store: &dyn Store, tenant: &str, deploy: &Event) -> Result<Option<Event>> {
    let filter = EventFilter {
        kinds: deploy.kind.iter().cloned().collect(),
        environments: deploy.environment.iter().cloned().collect(),
        end: Some(deploy.timestamp),
        ..Default::default()
    };
    let page = Page {
        limit: 200,
        ..Default::default()
    };
    let events = store.list_events(tenant, &filter, &page).await?.events;
    Ok(events.into_iter().find(|e| {
        e.id != deploy.id
            && e.timestamp <= deploy.timestamp
            && e.service == deploy.service
            && e.project == deploy.project
            && !crate::relation::failed(e)
    }))
}

fn commit_of(e: &Event) -> Option<String> {
    e.refs
        .iter()
        .find(|r| r.ref_type == "commit")
        .map(|r| r.value.clone())
}

fn push_commits(push: &Event) -> Vec<Commit> {
    let Some(list) = push.data.get("commits").and_then(|c| c.as_array()) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|c| {
            Some(Commit {
                sha: c.get("sha").or_else(|| c.get("id"))?.as_str()?.to_string(),
                message: c
                    .get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string),
                author: c.get("author").and_then(|m| m.as_str()).map(str::to_string),
            })
        })
        .collect()
}
