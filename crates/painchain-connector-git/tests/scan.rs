//! Scans of real repositories created with libgit2 in a temp dir.

use chrono::Utc;
use git2::{Repository, Signature, Time};
use painchain_connector_git::{
    config::{GitConfig, Mode},
    scan::{scan_repo, RefState},
};
use serde_json::json;

struct TestRepo {
    _dir: tempfile::TempDir,
    repo: Repository,
}

impl TestRepo {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        TestRepo { _dir: dir, repo }
    }

    fn path(&self) -> String {
        self.repo.workdir().unwrap().display().to_string()
    }

    /// Commits on `branch` (created from its current tip, or HEAD).
    fn commit(&self, branch: &str, msg: &str, secs_ago: i64) -> git2::Oid {
        let t = Utc::now().timestamp() - secs_ago;
        let sig = Signature::new("Ada", "ada@example.com", &Time::new(t, 0)).unwrap();
        let tree_id = {
            let mut idx = self.repo.index().unwrap();
            let file = self.repo.workdir().unwrap().join(format!("{msg}.txt"));
            std::fs::write(&file, msg).unwrap();
            idx.add_path(std::path::Path::new(&format!("{msg}.txt")))
                .unwrap();
            idx.write().unwrap();
            idx.write_tree().unwrap()
        };
        let tree = self.repo.find_tree(tree_id).unwrap();
        let refname = format!("refs/heads/{branch}");
        let parent = self
            .repo
            .find_reference(&refname)
            .ok()
            .and_then(|r| r.peel_to_commit().ok())
            .or_else(|| self.repo.head().ok().and_then(|h| h.peel_to_commit().ok()));
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        self.repo
            .commit(Some(&refname), &sig, &sig, msg, &tree, &parents)
            .unwrap()
    }

    fn tag(&self, name: &str, target: git2::Oid) {
        let obj = self.repo.find_object(target, None).unwrap();
        let sig = Signature::now("Rel", "rel@example.com").unwrap();
        self.repo.tag(name, &obj, &sig, "release", false).unwrap();
    }
}

/// Everything is allowed in these tests (temporary directories).
fn policy() -> painchain_connector_git::policy::LocalPathPolicy {
    painchain_connector_git::policy::LocalPathPolicy::new([std::env::temp_dir()])
}

fn cfg(path: &str, extra: serde_json::Value) -> GitConfig {
    let mut v = json!({"name": "t", "tags": [], "path": path});
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    GitConfig::from_json(&v).unwrap()
}

fn ids(events: &[painchain_core::NewEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| e.external_id.clone().unwrap())
        .collect()
}

#[test]
fn first_scan_backfills_each_commit_once_and_tags() {
    let r = TestRepo::new();
    r.commit("master", "old", 60 * 86400); // outside the 30 days
    let a = r.commit("master", "a", 300);
    r.commit("master", "b", 200);
    r.repo.set_head("refs/heads/master").unwrap();
    r.repo
        .branch("feature", &r.repo.find_commit(a).unwrap(), false)
        .unwrap();
    let f = r.commit("feature", "f", 100);
    r.tag("v1.0.0", f);

    let c = cfg(&r.path(), json!({}));
    let out = scan_repo(&policy(), &c.repos[0], &c, None, Utc::now()).unwrap();
    let ids = ids(&out.events);
    // master first (HEAD): a, b; then feature's own commit only; then tag.
    assert_eq!(ids.len(), 4, "{ids:?}");
    assert!(ids[0].starts_with("git:commit:master:"));
    assert!(ids[2].starts_with("git:commit:feature:"));
    assert!(ids[3].starts_with("git:tag:v1.0.0:"));
    let tag = &out.events[3];
    assert_eq!(tag.kind.as_deref(), Some("tag.created"));
    assert!(tag
        .refs
        .iter()
        .any(|x| x.ref_type == "version" && x.value == "v1.0.0"));
    assert!(tag
        .refs
        .iter()
        .any(|x| x.ref_type == "commit" && x.value == f.to_string()));
    assert_eq!(out.events[0].actor.as_deref(), Some("Ada"));
    assert_eq!(out.events[0].connector, "git");

    // A rescan from the saved state finds nothing new.
    let again = scan_repo(&policy(), &c.repos[0], &c, Some(&out.state), Utc::now()).unwrap();
    assert!(again.events.is_empty());
    assert_eq!(again.state, out.state);
}

#[test]
fn new_commits_become_one_batch_event_or_one_per_commit() {
    let r = TestRepo::new();
    r.commit("master", "a", 100);
    let batch = cfg(&r.path(), json!({}));
    let s0: RefState = scan_repo(&policy(), &batch.repos[0], &batch, None, Utc::now())
        .unwrap()
        .state;
    r.commit("master", "b", 50);
    let tip = r.commit("master", "c", 10);

    let out = scan_repo(&policy(), &batch.repos[0], &batch, Some(&s0), Utc::now()).unwrap();
    assert_eq!(out.events.len(), 1);
    let e = &out.events[0];
    assert_eq!(e.kind.as_deref(), Some("branch.pushed"));
    assert_eq!(e.data["commitCount"], json!(2));
    assert_eq!(e.data["after"], json!(tip.to_string()));
    assert!(e.title.starts_with("2 commits pushed to master"));
    // Same checkpoint, same answer: the externalId is stable.
    let again = scan_repo(&policy(), &batch.repos[0], &batch, Some(&s0), Utc::now()).unwrap();
    assert_eq!(ids(&again.events), ids(&out.events));

    let per_commit = cfg(&r.path(), json!({"mode": "commit"}));
    assert_eq!(per_commit.mode, Mode::Commit);
    let out = scan_repo(
        &policy(),
        &per_commit.repos[0],
        &per_commit,
        Some(&s0),
        Utc::now(),
    )
    .unwrap();
    assert_eq!(out.events.len(), 2);
    assert!(out.events[1].title.ends_with(": c"), "oldest first");
}

#[test]
fn branch_filter_and_deletions() {
    let r = TestRepo::new();
    let a = r.commit("master", "a", 100);
    r.repo.set_head("refs/heads/master").unwrap();
    r.repo
        .branch("wip", &r.repo.find_commit(a).unwrap(), false)
        .unwrap();
    r.commit("wip", "w", 50);
    let only_master = cfg(&r.path(), json!({"branches": "master"}));
    let out = scan_repo(
        &policy(),
        &only_master.repos[0],
        &only_master,
        None,
        Utc::now(),
    )
    .unwrap();
    assert!(ids(&out.events).iter().all(|i| !i.contains(":wip:")));

    let all = cfg(&r.path(), json!({}));
    let s = scan_repo(&policy(), &all.repos[0], &all, None, Utc::now())
        .unwrap()
        .state;
    r.repo
        .find_branch("wip", git2::BranchType::Local)
        .unwrap()
        .delete()
        .unwrap();
    let out = scan_repo(&policy(), &all.repos[0], &all, Some(&s), Utc::now()).unwrap();
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.events[0].kind.as_deref(), Some("branch.deleted"));
}

#[test]
fn a_missing_repository_is_a_clear_error() {
    let c = cfg("/nonexistent/repo", json!({}));
    let err = match scan_repo(&policy(), &c.repos[0], &c, None, Utc::now()) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("expected an error"),
    };
    assert!(err.contains("/nonexistent/repo"), "{err}");
}
