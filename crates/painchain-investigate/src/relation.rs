//! What an event is in a chain (a change, a build, a symptom...) and how
//! two linked events relate, from their `kind` and the ref they share.

use painchain_core::{Event, Ref};

/// The part an event plays, from its kind (free text; the documented kinds
/// and common spellings of other tools are recognised).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Source changes: PRs, pushes, tags, releases.
    Source,
    /// CI: pipeline runs and jobs.
    Build,
    /// Images, packages.
    Artifact,
    /// What reached a running system: deploys, rollouts, config, scaling.
    Rollout,
    /// What went wrong in it: failing pods, warnings.
    Symptom,
    /// An incident or alert.
    Incident,
    Other,
}

pub fn role(kind: Option<&str>) -> Role {
    let Some(k) = kind else { return Role::Other };
    let k = k.to_ascii_lowercase();
    let head = k.split('.').next().unwrap_or("");
    match head {
        "change" | "branch" | "tag" | "release" | "repository" | "commit" | "push" => Role::Source,
        "pipelinerun" | "pipeline" | "taskrun" | "build" | "job" | "testcaserun"
        | "testsuiterun" => Role::Build,
        "artifact" | "image" => Role::Artifact,
        "service" | "deployment" | "config" | "environment" | "rollout" | "featureflag" => {
            Role::Rollout
        }
        "pod" | "warning" | "node" => Role::Symptom,
        "incident" | "alert" => Role::Incident,
        _ => Role::Other,
    }
}

/// How risky a change of this kind is for a running system (0–25), and how
/// to say what it was. Symptoms and incidents are not changes: `None`.
pub fn change_risk(e: &Event) -> Option<(u32, &'static str)> {
    let kind = e.kind.as_deref().unwrap_or("").to_ascii_lowercase();
    Some(match kind.as_str() {
        "service.deployed"
        | "service.upgraded"
        | "service.rolledback"
        | "deployment.created"
        | "rollout"
        | "environment.modified" => (25, "a deployment"),
        "config.changed" | "featureflag.changed" => (22, "a configuration change"),
        "deployment.scaled" => (18, "a scaling change"),
        "service.removed" | "service.published" => (15, "a service change"),
        _ => match role(e.kind.as_deref()) {
            Role::Build if is_job_like(e) => (15, "a state-changing job (migration)"),
            Role::Build => (6, "a CI run"),
            Role::Artifact => (8, "a published artifact"),
            Role::Source if kind == "change.merged" || kind == "branch.pushed" => {
                (8, "a code change")
            }
            Role::Source if kind.starts_with("release") || kind.starts_with("tag") => {
                (6, "a release")
            }
            Role::Source => (2, "a change under review"),
            Role::Rollout => (18, "a change to a running system"),
            Role::Symptom | Role::Incident => return None,
            Role::Other => (4, "a change"),
        },
    })
}

/// Jobs that change state when they run (a database migration), as opposed
/// to a build.
fn is_job_like(e: &Event) -> bool {
    let t = e.title.to_ascii_lowercase();
    ["migrat", "schema", "backfill"]
        .iter()
        .any(|w| t.contains(w))
}

/// Ref types that name one object whatever the time (a commit, an image, a
/// PR): every event sharing one is linked.
const IDENTITY: &[&str] = &[
    "commit",
    "pull_request",
    "merge_request",
    "image",
    "artifact",
    "pipeline",
    "pipeline_run",
    "run",
    "job",
    "deployment",
    "release",
    "issue",
    "incident",
    "alert",
];

/// Ref types that name something that changes over time (a Kubernetes
/// object, a versioned service): only consecutive events sharing one are
/// linked, so a failing pod reaches the latest rollout, not all of them.
const SEQUENCE: &[&str] = &["k8s", "workload", "version"];

/// How events sharing a ref of this type are linked, if at all. Broad refs
/// (a branch, a repository, a namespace) link nothing: they are shared by
/// everything in them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linkage {
    Identity,
    Sequence,
}

pub fn linkage(ref_type: &str) -> Option<Linkage> {
    if IDENTITY.contains(&ref_type) {
        Some(Linkage::Identity)
    } else if SEQUENCE.contains(&ref_type) {
        Some(Linkage::Sequence)
    } else {
        None
    }
}

/// The relation of `to` to `from` (`from` is the earlier, upstream one), in
/// a word the UI shows on the edge.
pub fn relation(from: &Event, to: &Event, via: &Ref) -> &'static str {
    let kind = to.kind.as_deref().unwrap_or("");
    match (role(from.kind.as_deref()), role(to.kind.as_deref())) {
        (_, Role::Incident) => "incident",
        (_, Role::Symptom) => "failing",
        (Role::Source, Role::Source) if kind == "change.merged" => "merged",
        (Role::Source, Role::Source) if kind == "branch.pushed" => "pushed",
        (Role::Source, Role::Source) => "followed_by",
        (_, Role::Build) => "built",
        (_, Role::Artifact) => "published",
        (_, Role::Rollout) if kind == "deployment.scaled" => "scaled",
        (_, Role::Rollout) if kind.starts_with("config") => "configured",
        (_, Role::Rollout) if via.ref_type == "k8s" || via.ref_type == "workload" => "rolled_out",
        (_, Role::Rollout) => "deployed",
        _ => "related",
    }
}

/// A failure outcome (`failure`, `failed`, `error`...).
pub fn failed(e: &Event) -> bool {
    matches!(
        e.status.as_deref().map(str::to_ascii_lowercase).as_deref(),
        Some("failure" | "failed" | "error" | "errored" | "timed_out" | "cancelled_failure")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_kinds_have_roles() {
        assert_eq!(role(Some("change.merged")), Role::Source);
        assert_eq!(role(Some("pipelinerun.finished")), Role::Build);
        assert_eq!(role(Some("artifact.published")), Role::Artifact);
        assert_eq!(role(Some("service.deployed")), Role::Rollout);
        assert_eq!(role(Some("deployment.scaled")), Role::Rollout);
        assert_eq!(role(Some("config.changed")), Role::Rollout);
        assert_eq!(role(Some("pod.failed")), Role::Symptom);
        assert_eq!(role(Some("incident.detected")), Role::Incident);
        assert_eq!(role(None), Role::Other);
    }

    #[test]
    fn only_identity_and_sequence_refs_link() {
        assert_eq!(linkage("commit"), Some(Linkage::Identity));
        assert_eq!(linkage("k8s"), Some(Linkage::Sequence));
        assert_eq!(linkage("branch"), None);
        assert_eq!(linkage("repository"), None);
    }
}
