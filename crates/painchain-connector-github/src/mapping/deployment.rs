//! Deployments and their statuses. Both are `service.deployed` events with
//! `environment` set; the status (`pending` for a new deployment, then each
//! status' state) tells how far it got. Every status has its own
//! `externalId`, so a deployment's progress is kept step by step.

use painchain_core::{kind, NewEvent};
use serde_json::{json, Value};

use super::{push_ref, put, s, short, ts_value, Base};
use crate::payload::{Deployment, DeploymentEvent, DeploymentStatusEvent};

/// The PainChain status of a deployment status' GitHub `state`.
pub fn deployment_status(state: &str) -> &'static str {
    match state {
        "success" => "success",
        "failure" | "error" => "failure",
        "in_progress" => "in_progress",
        "queued" => "queued",
        "pending" => "pending",
        "inactive" => "inactive",
        _ => "unknown",
    }
}

pub(super) fn map_deployment(e: &DeploymentEvent, b: &Base) -> Result<NewEvent, String> {
    if let Some(a) = e.action.as_deref().filter(|a| *a != "created") {
        return Err(format!("deployment {a}: only created is recorded"));
    }
    let d = &e.deployment;
    let env = environment(d, None);
    let what = d
        .ref_name
        .as_deref()
        .filter(|r| !r.is_empty())
        .map(|r| {
            if d.sha.as_deref() == Some(r) {
                short(r)
            } else {
                r
            }
        })
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    let creator = d
        .creator
        .as_ref()
        .or(e.sender.as_ref())
        .and_then(|u| u.handle());
    let mut title = format!("Deploy {}{what} to {env} requested", b.repo_name());
    if let Some(c) = creator {
        title = format!("{title} by {c}");
    }
    let mut ev = b.event(
        kind::SERVICE_DEPLOYED,
        title,
        d.created_at,
        format!("deployment:{}:created", d.id),
    );
    ev.status = Some("pending".into());
    ev.actor = creator.map(String::from);
    ev.url = b.page("deployments");
    common(&mut ev, d, &env, b);
    Ok(ev)
}

pub(super) fn map_status(e: &DeploymentStatusEvent, b: &Base) -> Result<NewEvent, String> {
    let st = &e.deployment_status;
    let d = &e.deployment;
    let env = environment(d, st.environment.as_deref());
    let state = st.state.as_deref().unwrap_or("unknown");
    let creator = st
        .creator
        .as_ref()
        .or(e.sender.as_ref())
        .and_then(|u| u.handle());
    let mut ev = b.event(
        kind::SERVICE_DEPLOYED,
        format!("Deploy {} to {env}: {state}", b.repo_name()),
        st.created_at.or(d.created_at),
        format!("deployment_status:{}", st.id),
    );
    ev.status = Some(deployment_status(state).into());
    ev.actor = creator.map(String::from);
    let link = |u: &Option<String>| u.clone().filter(|u| !u.is_empty());
    ev.url = link(&st.log_url)
        .or_else(|| link(&st.target_url))
        .or_else(|| link(&st.environment_url))
        .or_else(|| b.page("deployments"));
    common(&mut ev, d, &env, b);
    let data = &mut ev.data;
    put(data, "statusId", Some(json!(st.id)));
    put(data, "state", s(Some(state)));
    put(data, "statusDescription", s(st.description.as_deref()));
    put(data, "targetUrl", s(st.target_url.as_deref()));
    put(data, "environmentUrl", s(st.environment_url.as_deref()));
    put(data, "logUrl", s(st.log_url.as_deref()));
    Ok(ev)
}

/// The environment: the status' (set when it differs, e.g. after a
/// promotion), else the deployment's.
fn environment(d: &Deployment, status_env: Option<&str>) -> String {
    status_env
        .or(d.environment.as_deref())
        .filter(|e| !e.is_empty())
        .unwrap_or("unknown environment")
        .to_string()
}

fn common(ev: &mut NewEvent, d: &Deployment, env: &str, b: &Base) {
    ev.environment = Some(env.to_string());
    // Deployments are of the repository's code: the repo name is the best
    // service name GitHub gives us.
    ev.service = Some(b.repo_name().to_string());
    push_ref(ev, "commit", d.sha.as_deref());
    let data = &mut ev.data;
    put(data, "deploymentId", Some(json!(d.id)));
    put(data, "environment", s(Some(env)));
    put(data, "ref", s(d.ref_name.as_deref()));
    put(data, "sha", s(d.sha.as_deref()));
    put(data, "task", s(d.task.as_deref()));
    put(data, "description", s(d.description.as_deref()));
    put(
        data,
        "creator",
        s(d.creator.as_ref().and_then(|u| u.handle())),
    );
    put(
        data,
        "productionEnvironment",
        d.production_environment.map(Value::Bool),
    );
    put(
        data,
        "transientEnvironment",
        d.transient_environment.map(Value::Bool),
    );
    put(data, "deploymentCreatedAt", ts_value(d.created_at));
}
