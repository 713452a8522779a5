//! The documented event kinds, aligned with the CDEvents vocabulary. `kind`
//! is free text; these are the ones connectors emit and the UI knows.

pub const CHANGE_OPENED: &str = "change.opened";
pub const CHANGE_MERGED: &str = "change.merged";
pub const CHANGE_CLOSED: &str = "change.closed";
pub const CHANGE_REOPENED: &str = "change.reopened";
pub const BRANCH_PUSHED: &str = "branch.pushed";
pub const BRANCH_CREATED: &str = "branch.created";
pub const BRANCH_DELETED: &str = "branch.deleted";
pub const TAG_CREATED: &str = "tag.created";
pub const TAG_DELETED: &str = "tag.deleted";
pub const RELEASE_PUBLISHED: &str = "release.published";
pub const PIPELINERUN_STARTED: &str = "pipelinerun.started";
pub const PIPELINERUN_FINISHED: &str = "pipelinerun.finished";
pub const ARTIFACT_PUBLISHED: &str = "artifact.published";
pub const SERVICE_DEPLOYED: &str = "service.deployed";
pub const DEPLOYMENT_SCALED: &str = "deployment.scaled";
pub const CONFIG_CHANGED: &str = "config.changed";
pub const POD_FAILED: &str = "pod.failed";
pub const INCIDENT_DETECTED: &str = "incident.detected";

pub const DOCUMENTED: &[&str] = &[
    CHANGE_OPENED,
    CHANGE_MERGED,
    CHANGE_CLOSED,
    CHANGE_REOPENED,
    BRANCH_PUSHED,
    BRANCH_CREATED,
    BRANCH_DELETED,
    TAG_CREATED,
    TAG_DELETED,
    RELEASE_PUBLISHED,
    PIPELINERUN_STARTED,
    PIPELINERUN_FINISHED,
    ARTIFACT_PUBLISHED,
    SERVICE_DEPLOYED,
    DEPLOYMENT_SCALED,
    CONFIG_CHANGED,
    POD_FAILED,
    INCIDENT_DETECTED,
];
