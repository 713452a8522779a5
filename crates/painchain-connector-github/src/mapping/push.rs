//! Pushes, and the branch and tag creations/deletions they (or the
//! `create`/`delete` webhooks) announce.
//!
//! GitHub reports a new tag twice — a `create` webhook and a `push` to
//! `refs/tags/...` — and the same for branches. Both map to the same
//! `externalId`, so the pair is stored once.

use painchain_core::{kind, NewEvent};
use serde_json::{json, Value};

use super::{first_line, is_null_sha, push_ref, put, s, short, Base};
use crate::payload::{PushEvent, RefEvent};

/// At most this many commits are listed in `data` and as refs (webhooks
/// carry at most 20 anyway).
const MAX_COMMITS: usize = 20;

pub(super) fn map_push(p: &PushEvent, b: &Base) -> Result<NewEvent, String> {
    let pusher = p
        .pusher
        .as_ref()
        .and_then(|u| u.handle())
        .or(p.sender.as_ref().and_then(|u| u.handle()));
    let after = p.after.as_deref().filter(|s| !is_null_sha(Some(s)));
    let before = p.before.as_deref().filter(|s| !is_null_sha(Some(s)));
    // The events API omits `created`/`deleted`; the null shas say it.
    let created = p.created || (p.before.is_some() && before.is_none());
    let deleted = p.deleted || (p.after.is_some() && after.is_none());

    if let Some(tag) = p.ref_name.strip_prefix("refs/tags/") {
        return Ok(tag_event(p, tag, created, deleted, pusher, b));
    }
    let Some(branch) = p.ref_name.strip_prefix("refs/heads/") else {
        return Err(format!("push to {}: not a branch or tag", p.ref_name));
    };

    let mut ev = if deleted {
        let mut ev = b.event(
            kind::BRANCH_DELETED,
            by(format!("Branch {branch} deleted"), pusher),
            p.pushed_at,
            format!("branch:{}:{branch}:deleted", b.project),
        );
        push_ref(&mut ev, "commit", before);
        ev
    } else if created {
        let mut ev = b.event(
            kind::BRANCH_CREATED,
            by(format!("Branch {branch} created"), pusher),
            p.pushed_at,
            format!("branch:{}:{branch}:created", b.project),
        );
        ev.url = b.page(&format!("tree/{branch}"));
        push_ref(&mut ev, "commit", after);
        ev
    } else {
        let Some(after_sha) = after else {
            return Err(format!("push to {branch} without a resulting commit"));
        };
        let forced = p.forced.unwrap_or(false);
        let count = commit_count(p);
        let what = match count {
            Some(1) => "1 commit".to_string(),
            Some(n) if n > 0 => format!("{n} commits"),
            _ => String::new(),
        };
        let title = match (forced, what.is_empty()) {
            (true, false) => format!("Force-pushed {what} to {branch}"),
            (true, true) => format!("Force-pushed {branch} to {}", short(after_sha)),
            (false, false) => format!("{what} pushed to {branch}"),
            (false, true) => format!("{branch} moved to {}", short(after_sha)),
        };
        let mut ev = b.event(
            kind::BRANCH_PUSHED,
            by(title, pusher),
            p.pushed_at,
            format!("push:{}:{after_sha}", b.project),
        );
        put(&mut ev.data, "forced", p.forced.map(Value::Bool));
        put(&mut ev.data, "commitCount", count.map(|c| json!(c)));
        ev.url = p
            .compare
            .clone()
            .filter(|c| !c.is_empty())
            .or_else(|| match before {
                Some(bs) => b.page(&format!("compare/{}...{}", short(bs), short(after_sha))),
                None => b.page(&format!("commit/{after_sha}")),
            });
        ev
    };

    ev.actor = pusher.map(String::from);
    let commits = listed_commits(p);
    for c in &commits {
        push_ref(&mut ev, "commit", c.get("sha").and_then(Value::as_str));
    }
    if !deleted {
        push_ref(&mut ev, "commit", after);
    }
    let d = &mut ev.data;
    put(d, "branch", s(Some(branch)));
    put(d, "before", s(p.before.as_deref()));
    put(d, "after", s(p.after.as_deref()));
    put(d, "compare", s(p.compare.as_deref()));
    if !commits.is_empty() {
        d.insert("commits".into(), Value::Array(commits));
    }
    Ok(ev)
}

/// `create` / `delete` webhooks (and their events API items, and REST tags).
pub(super) fn map_ref(r: &RefEvent, created: bool, b: &Base) -> Result<NewEvent, String> {
    let name = r.ref_name.as_str();
    let who = r.sender.as_ref().and_then(|u| u.handle());
    let verb = if created { "created" } else { "deleted" };
    let mut ev = match r.ref_type.as_deref() {
        Some("tag") => {
            let k = if created {
                kind::TAG_CREATED
            } else {
                kind::TAG_DELETED
            };
            let mut ev = b.event(
                k,
                by(format!("Tag {name} {verb}"), who),
                r.at,
                format!("tag:{}:{name}:{verb}", b.project),
            );
            push_ref(&mut ev, "version", Some(name));
            push_ref(&mut ev, "commit", r.sha.as_deref());
            put(&mut ev.data, "tag", s(Some(name)));
            if created {
                ev.url = b.page(&format!("tree/{name}"));
            }
            ev
        }
        Some("branch") => {
            let k = if created {
                kind::BRANCH_CREATED
            } else {
                kind::BRANCH_DELETED
            };
            let mut ev = b.event(
                k,
                by(format!("Branch {name} {verb}"), who),
                r.at,
                format!("branch:{}:{name}:{verb}", b.project),
            );
            push_ref(&mut ev, "commit", r.sha.as_deref());
            put(&mut ev.data, "branch", s(Some(name)));
            if created {
                ev.url = b.page(&format!("tree/{name}"));
            }
            ev
        }
        other => {
            return Err(format!(
                "{} of a {}: only branches and tags are recorded",
                if created { "create" } else { "delete" },
                other.unwrap_or("ref")
            ))
        }
    };
    ev.actor = who.map(String::from);
    put(&mut ev.data, "sha", s(r.sha.as_deref()));
    Ok(ev)
}

fn tag_event(
    p: &PushEvent,
    tag: &str,
    created: bool,
    deleted: bool,
    pusher: Option<&str>,
    b: &Base,
) -> NewEvent {
    let after = p.after.as_deref().filter(|s| !is_null_sha(Some(s)));
    let (k, title, id) = if deleted {
        (
            kind::TAG_DELETED,
            format!("Tag {tag} deleted"),
            format!("tag:{}:{tag}:deleted", b.project),
        )
    } else if created {
        (
            kind::TAG_CREATED,
            format!("Tag {tag} created"),
            format!("tag:{}:{tag}:created", b.project),
        )
    } else {
        // A tag force-moved to another commit: a new fact, its own id.
        let sha = after.unwrap_or("");
        (
            kind::TAG_CREATED,
            format!("Tag {tag} moved to {}", short(sha)),
            format!("tag:{}:{tag}:moved:{sha}", b.project),
        )
    };
    let mut ev = b.event(k, by(title, pusher), p.pushed_at, id);
    ev.actor = pusher.map(String::from);
    push_ref(&mut ev, "version", Some(tag));
    if !deleted {
        push_ref(&mut ev, "commit", after);
        ev.url = b.page(&format!("tree/{tag}"));
    }
    put(&mut ev.data, "tag", s(Some(tag)));
    put(&mut ev.data, "sha", s(after));
    ev
}

fn by(title: String, who: Option<&str>) -> String {
    match who {
        Some(w) => format!("{title} by {w}"),
        None => title,
    }
}

/// The number of commits pushed, if known: the listed commits (webhooks)
/// or `size` (events API, whose list may be empty).
fn commit_count(p: &PushEvent) -> Option<u64> {
    match (p.size, p.commits.len()) {
        (Some(n), _) => Some(n),
        (None, 0) if p.head_commit.is_none() => None,
        (None, n) => Some(n as u64),
    }
}

/// The compact commit list: sha, first line of the message, author.
fn listed_commits(p: &PushEvent) -> Vec<Value> {
    p.commits
        .iter()
        .rev() // newest first, like every list people read
        .filter_map(|c| {
            let sha = c.id.as_deref()?;
            let mut o = serde_json::Map::new();
            o.insert("sha".into(), json!(sha));
            put(
                &mut o,
                "message",
                s(c.message.as_deref().map(|m| first_line(m, 120)).as_deref()),
            );
            put(
                &mut o,
                "author",
                s(c.author.as_ref().and_then(|a| a.handle())),
            );
            Some(Value::Object(o))
        })
        .take(MAX_COMMITS)
        .collect()
}
