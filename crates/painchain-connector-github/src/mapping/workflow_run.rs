//! GitHub Actions workflow runs: one event per state change (`requested`,
//! `in_progress`, `completed`), each with its own `externalId`, so that
//! the later state is never dropped as a duplicate of the earlier one.

use painchain_core::{kind, NewEvent};
use serde_json::json;

use super::{push_ref, put, s, ts_value, Base};
use crate::payload::WorkflowRunEvent;

/// The PainChain status of a finished run, from its GitHub conclusion.
/// Timeouts and startup failures are failures; the raw conclusion stays in
/// `data.conclusion`.
pub fn run_status(conclusion: Option<&str>) -> &'static str {
    match conclusion.unwrap_or("") {
        "success" => "success",
        "failure" | "timed_out" | "startup_failure" => "failure",
        "cancelled" => "cancelled",
        "skipped" => "skipped",
        "neutral" => "neutral",
        "action_required" => "action_required",
        "stale" => "stale",
        _ => "unknown",
    }
}

/// How a title says the run finished.
fn finished_verb(conclusion: Option<&str>) -> &'static str {
    match conclusion.unwrap_or("") {
        "success" => "succeeded",
        "failure" => "failed",
        "timed_out" => "timed out",
        "startup_failure" => "failed to start",
        "cancelled" => "was cancelled",
        "skipped" => "was skipped",
        "action_required" => "needs action",
        "neutral" => "finished (neutral)",
        "stale" => "went stale",
        _ => "finished",
    }
}

pub(super) fn map(e: &WorkflowRunEvent, b: &Base) -> Result<NewEvent, String> {
    let run = &e.workflow_run;
    let attempt = run.attempt();
    let workflow = workflow_name(e);
    let branch = run.head_branch.as_deref().filter(|s| !s.is_empty());
    let on = branch.map(|br| format!(" on {br}")).unwrap_or_default();
    let mut which = match run.run_number {
        Some(n) => format!("run #{n}"),
        None => format!("run {}", run.id),
    };
    if attempt > 1 {
        which = format!("{which}, attempt {attempt}");
    }
    let conclusion = run.conclusion.as_deref();

    let (k, status, verb, at) = match e.action.as_str() {
        "requested" => (
            kind::PIPELINERUN_STARTED,
            "queued",
            "queued",
            run.created_at,
        ),
        "in_progress" => (
            kind::PIPELINERUN_STARTED,
            "running",
            "started",
            run.run_started_at.or(run.updated_at).or(run.created_at),
        ),
        "completed" => (
            kind::PIPELINERUN_FINISHED,
            run_status(conclusion),
            finished_verb(conclusion),
            run.updated_at.or(run.run_started_at),
        ),
        other => {
            return Err(format!(
                "workflow_run {other}: only requested, in_progress and completed are recorded"
            ))
        }
    };
    let title = format!("Workflow {workflow} {verb}{on} ({which})");
    let mut ev = b.event(
        k,
        title,
        at,
        format!("run:{}:{attempt}:{}", run.id, e.action),
    );
    ev.status = Some(status.into());
    ev.url = run.html_url.clone();
    ev.actor = run
        .triggering_actor
        .as_ref()
        .or(run.actor.as_ref())
        .or(e.sender.as_ref())
        .and_then(|u| u.handle())
        .map(String::from);
    push_ref(&mut ev, "commit", run.head_sha.as_deref());
    for pr in &run.pull_requests {
        push_ref(
            &mut ev,
            "pull_request",
            Some(&format!("{}#{}", b.project, pr.number)),
        );
    }

    let started = run.run_started_at.or(run.created_at);
    let duration = match (e.action.as_str(), started, run.updated_at) {
        ("completed", Some(s), Some(u)) if u >= s => Some((u - s).num_seconds()),
        _ => None,
    };
    let d = &mut ev.data;
    put(d, "runId", Some(json!(run.id)));
    put(d, "runNumber", run.run_number.map(|n| json!(n)));
    put(d, "attempt", Some(json!(attempt)));
    put(d, "workflow", s(Some(&workflow)));
    put(d, "workflowId", run.workflow_id.map(|n| json!(n)));
    put(d, "path", s(run.path.as_deref()));
    put(d, "displayTitle", s(run.display_title.as_deref()));
    put(d, "event", s(run.event.as_deref()));
    put(d, "state", s(Some(&e.action)));
    put(d, "conclusion", s(conclusion));
    put(d, "branch", s(branch));
    put(d, "headSha", s(run.head_sha.as_deref()));
    put(d, "startedAt", ts_value(started));
    put(d, "durationSeconds", duration.map(|n| json!(n)));
    Ok(ev)
}

/// The workflow's name; some payloads leave the run's `name` empty, then
/// the workflow object or the workflow file name stands in.
fn workflow_name(e: &WorkflowRunEvent) -> String {
    let run = &e.workflow_run;
    let nonempty = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    nonempty(run.name.as_deref())
        .or_else(|| nonempty(e.workflow.as_ref().and_then(|w| w.name.as_deref())))
        .or_else(|| {
            let path = run
                .path
                .as_deref()
                .or(e.workflow.as_ref().and_then(|w| w.path.as_deref()))?;
            nonempty(path.rsplit('/').next())
        })
        .unwrap_or_else(|| format!("#{}", run.workflow_id.unwrap_or(run.id)))
}
