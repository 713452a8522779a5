//! One scan of one repository: compare its refs with the state saved in the
//! checkpoint and turn the difference into events. Pure apart from reading
//! the repository, so re-running a scan from the same checkpoint yields the
//! same events with the same externalIds (the server deduplicates them).

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, TimeZone, Utc};
use git2::{Commit, Oid, Repository, Sort};
use painchain_core::{kind, NewEvent, Ref};
use serde_json::{json, Map, Value};

use crate::config::{GitConfig, Mode, RepoConfig};

/// Full ref name (`refs/heads/main`, `refs/tags/v1`) → object id (hex).
pub type RefState = BTreeMap<String, String>;

/// Commits walked per branch and scan at most (a huge first import or a
/// rewritten history must not produce an unbounded request).
const MAX_COMMITS: usize = 1000;
/// Commits listed inside one batch event.
const MAX_LISTED: usize = 50;

pub struct ScanResult {
    pub events: Vec<NewEvent>,
    pub state: RefState,
}

fn time_of(t: git2::Time) -> DateTime<Utc> {
    Utc.timestamp_opt(t.seconds(), 0)
        .single()
        .unwrap_or_else(Utc::now)
}

fn summary(c: &Commit) -> String {
    let s = c.summary().unwrap_or("").trim().to_string();
    truncate(s, 200)
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

fn author(c: &Commit) -> String {
    c.author().name().unwrap_or("unknown").to_string()
}

fn commit_json(c: &Commit) -> Value {
    json!({
        "sha": c.id().to_string(),
        "message": summary(c),
        "author": author(c),
        "authorEmail": c.author().email().unwrap_or(""),
        "timestamp": painchain_core::time::format(time_of(c.time())),
    })
}

fn base_event(repo: &RepoConfig, title: String, at: DateTime<Utc>, kind: &str) -> NewEvent {
    let mut e = NewEvent::new(title, "git", repo.project.clone(), at);
    e.kind = Some(kind.to_string());
    e.data.insert("repository".into(), json!(repo.project));
    e.data
        .insert("path".into(), json!(repo.path.display().to_string()));
    e
}

fn commit_event(repo: &RepoConfig, branch: &str, c: &Commit) -> NewEvent {
    let sha = c.id().to_string();
    let mut e = base_event(
        repo,
        format!("{branch}: {}", summary(c)),
        time_of(c.time()),
        kind::BRANCH_PUSHED,
    );
    e.external_id = Some(format!("git:commit:{branch}:{sha}"));
    e.actor = Some(author(c));
    e.refs = vec![Ref::new("commit", &sha), Ref::new("branch", branch)];
    let mut data = Map::new();
    data.insert("branch".into(), json!(branch));
    data.insert("sha".into(), json!(sha));
    data.insert("shortSha".into(), json!(&sha[..sha.len().min(8)]));
    data.insert("commitCount".into(), json!(1));
    data.insert("commits".into(), json!([commit_json(c)]));
    e.data.extend(data);
    e
}

fn batch_event(
    repo: &RepoConfig,
    branch: &str,
    before: Option<&str>,
    after: &Commit,
    commits: &[Commit],
    forced: bool,
) -> NewEvent {
    let n = commits.len();
    let title = if n == 1 {
        format!("1 commit pushed to {branch}: {}", summary(after))
    } else {
        format!("{n} commits pushed to {branch}: {}", summary(after))
    };
    let at = commits
        .iter()
        .map(|c| time_of(c.time()))
        .max()
        .unwrap_or_else(|| time_of(after.time()));
    let mut e = base_event(repo, title, at, kind::BRANCH_PUSHED);
    let after_sha = after.id().to_string();
    e.external_id = Some(format!(
        "git:push:{branch}:{}..{after_sha}",
        before.unwrap_or("")
    ));
    e.actor = Some(author(after));
    e.refs = commits
        .iter()
        .take(MAX_LISTED)
        .map(|c| Ref::new("commit", c.id().to_string()))
        .chain(std::iter::once(Ref::new("branch", branch)))
        .collect();
    e.data.insert("branch".into(), json!(branch));
    e.data.insert("before".into(), json!(before));
    e.data.insert("after".into(), json!(after_sha));
    e.data.insert("commitCount".into(), json!(n));
    e.data.insert("forced".into(), json!(forced));
    e.data.insert(
        "commits".into(),
        Value::Array(commits.iter().take(MAX_LISTED).map(commit_json).collect()),
    );
    e
}

/// The branches to follow, current branch (HEAD) first so a first import
/// attributes shared history to it rather than to a feature branch.
fn branches(repo: &Repository, cfg: &GitConfig) -> anyhow::Result<Vec<(String, Oid)>> {
    let head = repo
        .head()
        .ok()
        .and_then(|h| h.shorthand().map(String::from));
    let mut out = Vec::new();
    for r in repo.references_glob("refs/heads/*")? {
        let r = r?;
        let Some(name) = r.shorthand().map(String::from) else {
            continue;
        };
        if !cfg.follows_branch(&name) {
            continue;
        }
        if let Ok(c) = r.peel_to_commit() {
            out.push((name, c.id()));
        }
    }
    out.sort_by(|a, b| {
        (Some(&a.0) != head.as_ref(), &a.0).cmp(&(Some(&b.0) != head.as_ref(), &b.0))
    });
    Ok(out)
}

/// New commits on a branch: reachable from `tip`, not from any of `hide`,
/// newer than `since` when given; newest first, at most [`MAX_COMMITS`].
fn new_commits<'r>(
    repo: &'r Repository,
    tip: Oid,
    hide: &[Oid],
    since: Option<DateTime<Utc>>,
) -> anyhow::Result<Vec<Commit<'r>>> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
    walk.push(tip)?;
    for h in hide {
        // A hidden tip may be gone (force-push + gc): then walk without it.
        let _ = walk.hide(*h);
    }
    let mut out = Vec::new();
    for oid in walk {
        let c = repo.find_commit(oid?)?;
        if since.is_some_and(|s| time_of(c.time()) < s) {
            continue;
        }
        out.push(c);
        if out.len() >= MAX_COMMITS {
            tracing::warn!(%tip, "more than {MAX_COMMITS} new commits; keeping the newest");
            break;
        }
    }
    Ok(out)
}

/// Scans one repository against its previous state (`None`: first time,
/// backfill `cfg.since`). The repository is opened through the
/// [`LocalPathPolicy`](crate::policy::LocalPathPolicy), so only allowed
/// paths are ever read.
pub fn scan_repo(
    policy: &crate::policy::LocalPathPolicy,
    repo_cfg: &RepoConfig,
    cfg: &GitConfig,
    prev: Option<&RefState>,
    now: DateTime<Utc>,
) -> anyhow::Result<ScanResult> {
    let repo = policy.open(&repo_cfg.path).map_err(anyhow::Error::msg)?;
    let first = prev.is_none();
    let empty = RefState::new();
    let prev = prev.unwrap_or(&empty);
    let since = now - cfg.since;
    let mut state = RefState::new();
    let mut events = Vec::new();

    let parse = |s: &String| Oid::from_str(s).ok();
    let current = branches(&repo, cfg)?;
    // Tips we know, to hide when a branch appears: its commits shared with
    // known branches were already reported there.
    let mut known: Vec<Oid> = prev
        .iter()
        .filter(|(k, _)| k.starts_with("refs/heads/"))
        .filter_map(|(_, v)| parse(v))
        .collect();
    for (name, tip) in &current {
        let full = format!("refs/heads/{name}");
        let tip_s = tip.to_string();
        state.insert(full.clone(), tip_s.clone());
        let before = prev.get(&full);
        if before == Some(&tip_s) {
            continue;
        }
        match before.and_then(parse) {
            Some(old) => {
                let commits = new_commits(&repo, *tip, &[old], None)?;
                if commits.is_empty() {
                    continue; // moved backwards (reset): nothing new
                }
                let forced = !repo.graph_descendant_of(*tip, old).unwrap_or(false);
                let head = repo.find_commit(*tip)?;
                match cfg.mode {
                    Mode::Batch => events.push(batch_event(
                        repo_cfg,
                        name,
                        before.map(String::as_str),
                        &head,
                        &commits,
                        forced,
                    )),
                    Mode::Commit => events.extend(
                        commits
                            .iter()
                            .rev()
                            .map(|c| commit_event(repo_cfg, name, c)),
                    ),
                }
            }
            None => {
                // A branch we have not seen: on the first scan that is the
                // backfill, bounded by `since`, one event per commit (push
                // boundaries of the past are unknown).
                let commits = new_commits(&repo, *tip, &known, Some(since))?;
                if commits.is_empty() && !first {
                    let head = repo.find_commit(*tip)?;
                    let mut e = base_event(
                        repo_cfg,
                        format!("Branch {name} created"),
                        now,
                        kind::BRANCH_CREATED,
                    );
                    e.external_id = Some(format!("git:branch-created:{name}:{tip_s}"));
                    e.actor = Some(author(&head));
                    e.refs = vec![Ref::new("commit", &tip_s), Ref::new("branch", name)];
                    e.data.insert("branch".into(), json!(name));
                    e.data.insert("sha".into(), json!(tip_s));
                    events.push(e);
                } else if first || cfg.mode == Mode::Commit {
                    events.extend(
                        commits
                            .iter()
                            .rev()
                            .map(|c| commit_event(repo_cfg, name, c)),
                    );
                } else {
                    let head = repo.find_commit(*tip)?;
                    events.push(batch_event(repo_cfg, name, None, &head, &commits, false));
                }
            }
        }
        known.push(*tip);
    }
    // Deleted branches (still followed ones only).
    for (full, sha) in prev.range("refs/heads/".to_string()..) {
        let Some(name) = full.strip_prefix("refs/heads/") else {
            break;
        };
        if state.contains_key(full) || !cfg.follows_branch(name) {
            continue;
        }
        let mut e = base_event(
            repo_cfg,
            format!("Branch {name} deleted"),
            now,
            kind::BRANCH_DELETED,
        );
        e.external_id = Some(format!("git:branch-deleted:{name}:{sha}"));
        e.refs = vec![Ref::new("commit", sha), Ref::new("branch", name)];
        e.data.insert("branch".into(), json!(name));
        e.data.insert("sha".into(), json!(sha));
        events.push(e);
    }
    if cfg.tags {
        scan_tags(
            &repo,
            repo_cfg,
            prev,
            first.then_some(since),
            &mut state,
            &mut events,
        )?;
    }
    Ok(ScanResult { events, state })
}

fn scan_tags(
    repo: &Repository,
    repo_cfg: &RepoConfig,
    prev: &RefState,
    since: Option<DateTime<Utc>>,
    state: &mut RefState,
    events: &mut Vec<NewEvent>,
) -> anyhow::Result<()> {
    let mut seen = HashSet::new();
    for r in repo.references_glob("refs/tags/*")? {
        let r = r?;
        let (Some(full), Some(target)) = (r.name().map(String::from), r.target()) else {
            continue;
        };
        let Some(name) = r.shorthand().map(String::from) else {
            continue;
        };
        if !seen.insert(full.clone()) {
            continue;
        }
        let target_s = target.to_string();
        state.insert(full.clone(), target_s.clone());
        if prev.get(&full) == Some(&target_s) {
            continue;
        }
        let Ok(commit) = r.peel_to_commit() else {
            continue; // a tag of a tree or blob: not a release point
        };
        let annotated = repo.find_tag(target).ok();
        let (at, actor) = match annotated.as_ref().and_then(|t| t.tagger()) {
            Some(sig) => (
                time_of(sig.when()),
                sig.name().unwrap_or("unknown").to_string(),
            ),
            None => (time_of(commit.time()), author(&commit)),
        };
        if since.is_some_and(|s| at < s) {
            continue;
        }
        let sha = commit.id().to_string();
        let mut e = base_event(
            repo_cfg,
            format!("Tag {name} created"),
            at,
            kind::TAG_CREATED,
        );
        e.external_id = Some(format!("git:tag:{name}:{target_s}"));
        e.actor = Some(actor);
        e.refs = vec![Ref::new("commit", &sha), Ref::new("version", &name)];
        e.data.insert("tag".into(), json!(name));
        e.data.insert("sha".into(), json!(sha));
        e.data
            .insert("annotated".into(), json!(annotated.is_some()));
        if let Some(msg) = annotated.as_ref().and_then(|t| t.message()) {
            e.data.insert(
                "message".into(),
                json!(truncate(msg.trim().to_string(), 2000)),
            );
        }
        events.push(e);
    }
    Ok(())
}
