//! Releases. Only `published` is recorded: GitHub sends `created`,
//! `published` and `released`/`prereleased` for the same release, and
//! `published` is the one that means "out".

use painchain_core::{kind, NewEvent};
use serde_json::Value;

use super::{cut, is_sha, push_ref, put, s, ts_value, Base};
use crate::payload::ReleaseEvent;

/// Release notes are cut to this many characters in `data.notes`.
const NOTES_EXCERPT: usize = 500;

pub(super) fn map(e: &ReleaseEvent, b: &Base) -> Result<NewEvent, String> {
    if e.action != "published" {
        return Err(format!(
            "release {}: only published is recorded (GitHub sends it alongside)",
            e.action
        ));
    }
    let r = &e.release;
    let tag = r.tag_name.as_deref().filter(|t| !t.is_empty());
    let name = r.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let label = match (name, tag) {
        (Some(n), Some(t)) if n != t => format!("{n} ({t})"),
        (Some(n), _) => n.to_string(),
        (None, Some(t)) => t.to_string(),
        (None, None) => format!("#{}", r.id),
    };
    let what = if r.prerelease {
        "Pre-release"
    } else {
        "Release"
    };
    let author = r
        .author
        .as_ref()
        .and_then(|u| u.handle())
        .or(e.sender.as_ref().and_then(|u| u.handle()));
    let mut title = format!("{what} {label} of {} published", b.repo_name());
    if let Some(a) = author {
        title = format!("{title} by {a}");
    }
    let mut ev = b.event(
        kind::RELEASE_PUBLISHED,
        title,
        r.published_at.or(r.created_at),
        format!("release:{}:{}:published", b.project, r.id),
    );
    ev.actor = author.map(String::from);
    ev.url = r.html_url.clone();
    ev.status = Some(
        if r.prerelease {
            "prerelease"
        } else {
            "published"
        }
        .into(),
    );
    push_ref(&mut ev, "version", tag);
    let commitish = r.target_commitish.as_deref();
    // target_commitish is usually a branch name; only a sha is a commit ref.
    push_ref(&mut ev, "commit", commitish.filter(|c| is_sha(c)));

    let d = &mut ev.data;
    put(d, "releaseId", Some(r.id.into()));
    put(d, "tag", s(tag));
    put(d, "name", s(name));
    put(d, "prerelease", Some(Value::Bool(r.prerelease)));
    put(d, "targetCommitish", s(commitish));
    put(d, "author", s(author));
    put(d, "createdAt", ts_value(r.created_at));
    let notes = r.body.as_deref().map(str::trim).unwrap_or("");
    put(d, "notes", s(Some(&cut(notes, NOTES_EXCERPT))));
    Ok(ev)
}
