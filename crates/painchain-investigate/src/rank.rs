//! How suspicious one change is for one incident: a sum of weighted,
//! worded reasons. Pure and deterministic; `docs/investigation.md` explains
//! every rule and weight.

use chrono::{DateTime, Utc};
use painchain_core::{Event, Ref};
use serde::Serialize;
use utoipa::ToSchema;

use crate::relation::change_risk;

/// One reason for (or against) a suspect, in words a person can check.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Reason {
    /// Stable, for scripts: `time`, `kind`, `same_service`, `other_service`,
    /// `same_environment`, `reaches_failure`, `failed`, `build_failed`,
    /// `first_rollout`, `superseded`, `scaled_down`, `config_keys`.
    pub code: String,
    pub text: String,
    pub weight: f64,
}

/// What the incident is about.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub at: DateTime<Utc>,
    pub service: Option<String>,
    pub environment: Option<String>,
}

/// What the investigation found out about a candidate beyond the event
/// itself (from its chain and its history).
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Its chain reaches something failing: the failing event's title.
    pub reaches_failure: Option<String>,
    /// A CI run of the same change failed (its title).
    pub build_failed: Option<String>,
    /// An image this change rolled out that the earlier rollouts of the
    /// same service and environment in its chain did not have: `(new,
    /// the one before)`.
    pub first_image: Option<(String, String)>,
    /// A later rollout of the same object replaced this change before the
    /// incident (its title and how many minutes before the incident).
    pub superseded_by: Option<(String, i64)>,
}

/// Below this, no suspect is convincing: the answer says so.
pub const CONVINCING: f64 = 40.0;

/// Minutes over which the time weight halves.
const HALF_LIFE_MIN: f64 = 30.0;

/// The score of `c` and its reasons; `None` when it can't be a suspect (not
/// a change, after the incident, or in another environment).
pub fn score(scope: &Scope, c: &Event, facts: &Facts) -> Option<(f64, Vec<Reason>)> {
    let (risk, what) = change_risk(c)?;
    if c.timestamp > scope.at {
        return None;
    }
    // A change to staging is not a suspect for a production incident.
    if let (Some(want), Some(env)) = (&scope.environment, &c.environment) {
        if !want.eq_ignore_ascii_case(env) {
            return None;
        }
    }
    let mut reasons = Vec::new();
    let mut add = |code: &str, text: String, weight: f64| {
        reasons.push(Reason {
            code: code.into(),
            text,
            weight: (weight * 10.0).round() / 10.0,
        })
    };

    let minutes = (scope.at - c.timestamp).num_seconds() as f64 / 60.0;
    let preposition = if what == "a deployment" { "to" } else { "in" };
    let where_ = c
        .environment
        .as_deref()
        .map(|e| format!(" {preposition} {e}"))
        .unwrap_or_default();
    add(
        "time",
        format!(
            "{}{where_} {} before the incident",
            capitalised(what),
            ago(minutes)
        ),
        30.0 * 0.5f64.powf(minutes / HALF_LIFE_MIN),
    );
    add(
        "kind",
        format!("{} is a risky kind of change", capitalised(what)),
        risk as f64,
    );

    match (&scope.service, &c.service) {
        (Some(want), Some(s)) if want.eq_ignore_ascii_case(s) => {
            add("same_service", format!("same service ({s})"), 20.0)
        }
        (Some(want), Some(s)) => add(
            "other_service",
            format!("another service ({s}, not {want})"),
            -15.0,
        ),
        _ => {}
    }
    if let (Some(_), Some(env)) = (&scope.environment, &c.environment) {
        add(
            "same_environment",
            format!("same environment ({env})"),
            10.0,
        );
    }
    if let Some(f) = &facts.reaches_failure {
        add(
            "reaches_failure",
            format!("its chain reaches the failure: {f}"),
            30.0,
        );
    }
    if crate::relation::failed(c) {
        add("failed", "it failed itself".into(), 15.0);
    }
    if let Some(b) = &facts.build_failed {
        add("build_failed", format!("its CI run failed: {b}"), 10.0);
    }
    if let Some((img, before)) = &facts.first_image {
        add(
            "first_rollout",
            format!("first rollout of image {img} (before: {before})"),
            8.0,
        );
    }
    if let Some((title, minutes)) = &facts.superseded_by {
        add(
            "superseded",
            format!(
                "replaced by a later rollout before the incident: {title}, {minutes} min before"
            ),
            -20.0,
        );
    }
    if let Some((from, to)) = replicas(c) {
        if to < from {
            add(
                "scaled_down",
                format!("scaled replicas {from} → {to}"),
                12.0,
            );
        }
    }
    if let Some(keys) = config_keys(c) {
        add("config_keys", format!("changed keys: {keys}"), 0.0);
    }
    let total = reasons.iter().map(|r| r.weight).sum::<f64>();
    Some(((total * 10.0).round() / 10.0, reasons))
}

/// Replica counts before and after, from `data.replicas` `{old, new}` (or
/// `{from, to}`).
pub fn replicas(e: &Event) -> Option<(i64, i64)> {
    let r = e.data.get("replicas")?;
    let get = |a: &str, b: &str| r.get(a).or_else(|| r.get(b)).and_then(|v| v.as_i64());
    Some((get("old", "from")?, get("new", "to")?))
}

/// The changed keys a config change lists in `data.keys` (or
/// `data.changedKeys`).
fn config_keys(e: &Event) -> Option<String> {
    let keys = e
        .data
        .get("keys")
        .or_else(|| e.data.get("changedKeys"))?
        .as_array()?;
    let names: Vec<&str> = keys.iter().filter_map(|k| k.as_str()).take(5).collect();
    (!names.is_empty()).then(|| names.join(", "))
}

/// The images an event names.
pub fn images(e: &Event) -> impl Iterator<Item = &Ref> {
    e.refs.iter().filter(|r| r.ref_type == "image")
}

fn ago(minutes: f64) -> String {
    if minutes < 1.5 {
        "1 min".into()
    } else if minutes < 120.0 {
        format!("{} min", minutes.round() as i64)
    } else if minutes < 48.0 * 60.0 {
        format!("{:.0} h", minutes / 60.0)
    } else {
        format!("{:.0} days", minutes / 1440.0)
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use serde_json::json;

    use super::*;

    fn ev(kind: &str, minutes_before: i64, at: DateTime<Utc>, extra: serde_json::Value) -> Event {
        let mut v = json!({
            "id": format!("{kind}-{minutes_before}"), "tenantId": "t", "title": kind,
            "connector": "ci", "project": "acme/api",
            "timestamp": painchain_core::time::format(at - Duration::minutes(minutes_before)),
            "createdAt": painchain_core::time::format(at),
            "externalId": null, "integrationId": null, "data": {}, "tags": [],
            "kind": kind, "status": null, "url": null, "actor": null,
            "environment": "production", "service": "api", "refs": []
        });
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        serde_json::from_value(v).unwrap()
    }

    fn scope(at: DateTime<Utc>) -> Scope {
        Scope {
            at,
            service: Some("api".into()),
            environment: Some("production".into()),
        }
    }

    #[test]
    fn a_recent_production_deploy_of_the_service_beats_an_older_merge() {
        let at = Utc::now();
        let deploy = score(
            &scope(at),
            &ev("service.deployed", 4, at, json!({})),
            &Facts::default(),
        )
        .unwrap();
        let merge = score(
            &scope(at),
            &ev("change.merged", 40, at, json!({})),
            &Facts::default(),
        )
        .unwrap();
        assert!(deploy.0 > merge.0, "{deploy:?} vs {merge:?}");
        let texts: Vec<&str> = deploy.1.iter().map(|r| r.text.as_str()).collect();
        assert!(
            texts.contains(&"A deployment to production 4 min before the incident"),
            "{texts:?}"
        );
        assert!(texts.contains(&"same service (api)"), "{texts:?}");
    }

    #[test]
    fn staging_changes_symptoms_and_later_events_are_not_suspects() {
        let at = Utc::now();
        let f = Facts::default();
        assert!(score(
            &scope(at),
            &ev("service.deployed", 3, at, json!({"environment": "staging"})),
            &f
        )
        .is_none());
        assert!(score(&scope(at), &ev("pod.failed", 3, at, json!({})), &f).is_none());
        assert!(score(&scope(at), &ev("incident.detected", 3, at, json!({})), &f).is_none());
        assert!(score(&scope(at), &ev("service.deployed", -3, at, json!({})), &f).is_none());
    }

    #[test]
    fn scaling_down_and_reaching_the_failure_are_said_in_words() {
        let at = Utc::now();
        let c = ev(
            "deployment.scaled",
            10,
            at,
            json!({"data": {"replicas": {"old": 6, "new": 1}}}),
        );
        let facts = Facts {
            reaches_failure: Some("Pod api-7d9 CrashLoopBackOff".into()),
            ..Default::default()
        };
        let (s, reasons) = score(&scope(at), &c, &facts).unwrap();
        let texts: Vec<&str> = reasons.iter().map(|r| r.text.as_str()).collect();
        assert!(texts.contains(&"scaled replicas 6 → 1"), "{texts:?}");
        assert!(texts.contains(&"its chain reaches the failure: Pod api-7d9 CrashLoopBackOff"));
        assert!(s >= CONVINCING);
    }
}
