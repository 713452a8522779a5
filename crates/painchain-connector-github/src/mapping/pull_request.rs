//! Pull requests: opened, merged, closed without merge, reopened.

use painchain_core::{kind, NewEvent};
use serde_json::{json, Value};

use super::{cut, push_ref, put, s, ts_value, Base};
use crate::payload::PullRequestEvent;

pub(super) fn map(e: &PullRequestEvent, b: &Base) -> Result<NewEvent, String> {
    let pr = &e.pull_request;
    let n = pr.number;
    let title = cut(pr.title.as_deref().unwrap_or("").trim(), 200);
    let base_branch = pr.base.as_ref().and_then(|r| r.ref_name.as_deref());
    let head_branch = pr.head.as_ref().and_then(|r| r.ref_name.as_deref());
    let head_sha = pr.head.as_ref().and_then(|r| r.sha.as_deref());
    let author = pr.user.as_ref().and_then(|u| u.handle());
    let sender = e.sender.as_ref().and_then(|u| u.handle());
    let id = format!("pr:{}#{n}", b.project);
    let suffix = if title.is_empty() {
        String::new()
    } else {
        format!(": {title}")
    };

    let (mut ev, status) = match e.action.as_str() {
        "opened" => {
            let by = author.or(sender);
            let t = match by {
                Some(by) => format!("PR #{n} opened by {by}{suffix}"),
                None => format!("PR #{n} opened{suffix}"),
            };
            let mut ev = b.event(
                kind::CHANGE_OPENED,
                t,
                pr.created_at,
                format!("{id}:opened"),
            );
            ev.actor = by.map(String::from);
            (ev, "open")
        }
        "closed" if pr.is_merged() => {
            let into = base_branch
                .map(|br| format!(" into {br}"))
                .unwrap_or_default();
            let t = format!("PR #{n} merged{into}{suffix}");
            let mut ev = b.event(
                kind::CHANGE_MERGED,
                t,
                pr.merged_at.or(pr.closed_at),
                format!("{id}:merged"),
            );
            // The merger: `merged_by`, else whoever sent the webhook. A pull
            // list item has neither, and its author is not the merger.
            ev.actor = pr
                .merged_by
                .as_ref()
                .and_then(|u| u.handle())
                .or(sender)
                .map(String::from);
            (ev, "merged")
        }
        "closed" => {
            let at = pr.closed_at.or(pr.updated_at);
            let t = format!("PR #{n} closed without merging{suffix}");
            let stamp = ts_suffix(at);
            let mut ev = b.event(kind::CHANGE_CLOSED, t, at, format!("{id}:closed{stamp}"));
            ev.actor = sender.map(String::from);
            (ev, "closed")
        }
        "reopened" => {
            let at = pr.updated_at;
            let t = format!("PR #{n} reopened{suffix}");
            let stamp = ts_suffix(at);
            let mut ev = b.event(
                kind::CHANGE_REOPENED,
                t,
                at,
                format!("{id}:reopened{stamp}"),
            );
            ev.actor = sender.map(String::from);
            (ev, "open")
        }
        other => {
            return Err(format!(
                "pull_request {other}: only opened, closed and reopened are recorded"
            ))
        }
    };

    ev.status = Some(status.into());
    ev.url = pr.html_url.clone();
    push_ref(&mut ev, "pull_request", Some(&format!("{}#{n}", b.project)));
    push_ref(&mut ev, "commit", head_sha);
    // Only the merge event carries the merge commit: for an open PR
    // merge_commit_sha is GitHub's throwaway test merge, and an opened
    // event (even one polled after the merge) is about the head.
    let merge_sha = (status == "merged")
        .then_some(pr.merge_commit_sha.as_deref())
        .flatten();
    push_ref(&mut ev, "commit", merge_sha);

    let d = &mut ev.data;
    put(d, "number", Some(json!(n)));
    put(d, "title", s(Some(&title)));
    put(d, "action", s(Some(&e.action)));
    put(d, "author", s(author));
    // `branch` is what the branches filter looks at: for a PR, its target.
    put(d, "branch", s(base_branch));
    put(d, "headBranch", s(head_branch));
    put(d, "headSha", s(head_sha));
    put(d, "mergeSha", s(merge_sha));
    put(
        d,
        "mergedBy",
        s(pr.merged_by.as_ref().and_then(|u| u.handle())),
    );
    put(d, "draft", pr.draft.map(Value::Bool));
    put(d, "createdAt", ts_value(pr.created_at));
    put(d, "commits", pr.commits.map(|v| json!(v)));
    put(d, "additions", pr.additions.map(|v| json!(v)));
    put(d, "deletions", pr.deletions.map(|v| json!(v)));
    put(d, "changedFiles", pr.changed_files.map(|v| json!(v)));
    Ok(ev)
}

/// `:<RFC 3339>` for ids of things that can happen more than once.
fn ts_suffix(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| format!(":{}", painchain_core::time::format(t)))
        .unwrap_or_default()
}
