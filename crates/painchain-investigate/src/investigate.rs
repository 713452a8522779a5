//! From an incident (a time and a scope, or an incident event) to the
//! changes most likely to have caused it, best first.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use painchain_core::filter::Page;
use painchain_core::{refs, Event, EventFilter};
use painchain_store::Store;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    chain::{chain, Chain, ChainOptions},
    rank::{self, images, Facts, Reason, Scope, CONVINCING},
    relation::{failed, role, Role},
    Result,
};

/// What to investigate. The server resolves `team=` into tags and
/// `event=` into the event.
#[derive(Debug, Clone)]
pub struct Query {
    pub at: DateTime<Utc>,
    /// How far back to look for changes.
    pub window: Duration,
    pub service: Option<String>,
    pub environment: Option<String>,
    pub projects: Vec<String>,
    pub tags: Vec<String>,
    /// The incident or failure event investigated, if any.
    pub event: Option<Event>,
}

impl Query {
    /// A query for an incident event: its time, service and environment.
    pub fn for_event(e: Event, window: Duration) -> Query {
        Query {
            at: e.timestamp,
            window,
            service: e.service.clone(),
            environment: e.environment.clone(),
            projects: Vec::new(),
            tags: Vec::new(),
            event: Some(e),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Investigation {
    #[schema(value_type = String, format = DateTime)]
    pub at: String,
    /// The window looked at, e.g. `2h`.
    pub window: String,
    /// Changes scored.
    pub considered: usize,
    /// Whether the best suspect scores at least the documented threshold.
    pub convincing: bool,
    /// One sentence: the answer, or that there is no convincing one.
    pub summary: String,
    pub suspects: Vec<Suspect>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Suspect {
    pub event: Event,
    /// 1 = most likely.
    pub rank: usize,
    pub score: f64,
    pub reasons: Vec<Reason>,
    pub chain: Chain,
}

/// Events read from the window at most (newest first).
const MAX_WINDOW_EVENTS: u32 = 2000;
/// Candidates whose chains are followed (the best by their own merits).
const ENRICHED: usize = 25;
/// Suspects answered.
const ANSWERED: usize = 10;
/// Symptoms up to this long after the incident time still count (alerts
/// fire after pods start failing, and the other way round).
const AFTER: i64 = 30;

pub async fn investigate(store: &dyn Store, tenant: &str, q: Query) -> Result<Investigation> {
    let scope = Scope {
        at: q.at,
        service: q.service.clone(),
        environment: q.environment.clone(),
    };
    let filter = EventFilter {
        projects: q.projects.clone(),
        tags: q.tags.clone(),
        start: Some(q.at - q.window),
        end: Some(q.at + Duration::minutes(AFTER)),
        ..Default::default()
    };
    let page = Page {
        limit: MAX_WINDOW_EVENTS,
        ..Default::default()
    };
    let window = store.list_events(tenant, &filter, &page).await?.events;

    // What is failing: the incident itself and the symptoms in scope.
    let mut failing: Vec<&Event> = window
        .iter()
        .filter(|e| {
            matches!(role(e.kind.as_deref()), Role::Symptom | Role::Incident) && in_scope(&scope, e)
        })
        .collect();
    if let Some(e) = &q.event {
        if !failing.iter().any(|f| f.id == e.id) {
            failing.push(e);
        }
    }
    let failing_ids: HashSet<&str> = failing.iter().map(|e| e.id.as_str()).collect();

    // Every change in the window, first by its own merits.
    let mut scored: Vec<(f64, &Event)> = window
        .iter()
        .filter(|e| e.timestamp <= q.at && q.event.as_ref().is_none_or(|x| x.id != e.id))
        .filter_map(|e| rank::score(&scope, e, &Facts::default()).map(|(s, _)| (s, e)))
        .collect();
    let considered = scored.len();
    sort(&mut scored);

    // The best ones again, with what their chains tell.
    let mut suspects = Vec::new();
    for (_, c) in scored.into_iter().take(ENRICHED) {
        let ch = chain(
            store,
            tenant,
            c.clone(),
            ChainOptions {
                depth: 3,
                max_nodes: 40,
                inferred_window: None,
                ..Default::default()
            },
        )
        .await?;
        let facts = facts_of(c, &ch, &failing_ids, &failing, q.at);
        if let Some((score, reasons)) = rank::score(&scope, c, &facts) {
            suspects.push(Suspect {
                event: c.clone(),
                rank: 0,
                score,
                reasons,
                chain: ch,
            });
        }
    }
    suspects.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.event.timestamp.cmp(&a.event.timestamp))
            .then(a.event.id.cmp(&b.event.id))
    });
    suspects.truncate(ANSWERED);
    for (i, s) in suspects.iter_mut().enumerate() {
        s.rank = i + 1;
    }
    let convincing = suspects.first().is_some_and(|s| s.score >= CONVINCING);
    let summary = summary(&suspects, convincing, considered);
    Ok(Investigation {
        at: painchain_core::time::format(q.at),
        window: format_window(q.window),
        considered,
        convincing,
        summary,
        suspects,
    })
}

fn sort(v: &mut [(f64, &Event)]) {
    v.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.timestamp.cmp(&a.1.timestamp))
            .then(a.1.id.cmp(&b.1.id))
    });
}

/// Symptoms count when they are about the incident's service and
/// environment (or don't say).
fn in_scope(scope: &Scope, e: &Event) -> bool {
    let agrees = |want: &Option<String>, have: &Option<String>| match (want, have) {
        (Some(w), Some(h)) => w.eq_ignore_ascii_case(h),
        _ => true,
    };
    agrees(&scope.service, &e.service) && agrees(&scope.environment, &e.environment)
}

fn facts_of(
    c: &Event,
    ch: &Chain,
    failing_ids: &HashSet<&str>,
    failing: &[&Event],
    scope_at: DateTime<Utc>,
) -> Facts {
    let mut facts = Facts::default();
    // Reaching a failure: a failing event (the incident, or a symptom of
    // the incident's service) after the change, connected to it in the
    // chain without passing through another rollout (which would be the
    // cause instead).
    let reached = reachable_without_other_rollouts(ch, &c.id);
    if let Some(n) = ch.nodes.iter().find(|n| {
        reached.contains(n.id.as_str())
            && n.timestamp >= c.timestamp
            && (failing_ids.contains(n.id.as_str())
                || (matches!(role(n.kind.as_deref()), Role::Symptom | Role::Incident)
                    && failing
                        .iter()
                        .any(|f| f.service.is_some() && f.service == n.service)))
    }) {
        facts.reaches_failure = Some(n.title.clone());
    }
    if let Some(b) = ch
        .nodes
        .iter()
        .find(|n| n.id != c.id && role(n.kind.as_deref()) == Role::Build && failed(n))
    {
        facts.build_failed = Some(b.title.clone());
    }
    if role(c.kind.as_deref()) == Role::Rollout {
        let earlier: Vec<&Event> = ch
            .nodes
            .iter()
            .filter(|n| {
                n.id != c.id
                    && n.timestamp < c.timestamp
                    && role(n.kind.as_deref()) == Role::Rollout
                    && n.service == c.service
                    && n.environment == c.environment
            })
            .collect();
        // "First" only against a known earlier rollout: with no history in
        // the chain there is nothing to compare with.
        if let Some(prev) = earlier.iter().max_by_key(|n| n.timestamp) {
            if let Some(prev_img) = images(prev).next() {
                for img in images(c) {
                    if !earlier
                        .iter()
                        .any(|n| images(n).any(|r| refs::refs_match(r, img)))
                    {
                        facts.first_image = Some((img.value.clone(), prev_img.value.clone()));
                        break;
                    }
                }
            }
        }
        // A later rollout of the same object (a sequence link) before the
        // incident replaced this one.
        let later = ch
            .edges
            .iter()
            .filter(|e| e.from == c.id && matches!(e.via.via_type.as_str(), "k8s" | "workload"))
            .filter_map(|e| ch.nodes.iter().find(|n| n.id == e.to))
            .filter(|n| role(n.kind.as_deref()) == Role::Rollout && n.timestamp <= scope_at)
            .min_by_key(|n| n.timestamp);
        if let Some(n) = later {
            facts.superseded_by = Some((n.title.clone(), (scope_at - n.timestamp).num_minutes()));
        }
    }
    facts
}

/// The ids connected to `id` by edges in either direction, not going on
/// through rollouts other than `id` itself: a failing pod that runs the
/// image this deploy rolled out is connected through the image's build,
/// but the pods of the *next* rollout belong to that one.
fn reachable_without_other_rollouts<'a>(ch: &'a Chain, id: &str) -> HashSet<&'a str> {
    let is_rollout = |n: &str| {
        ch.nodes
            .iter()
            .find(|e| e.id == n)
            .is_some_and(|e| role(e.kind.as_deref()) == Role::Rollout)
    };
    let mut seen: HashSet<&str> = HashSet::new();
    let mut todo: Vec<&str> = vec![];
    for e in &ch.edges {
        if e.from == id {
            todo.push(e.to.as_str());
        } else if e.to == id {
            todo.push(e.from.as_str());
        }
    }
    while let Some(cur) = todo.pop() {
        if !seen.insert(cur) || is_rollout(cur) {
            continue;
        }
        for e in &ch.edges {
            if e.from == cur && e.to != id {
                todo.push(e.to.as_str());
            } else if e.to == cur && e.from != id {
                todo.push(e.from.as_str());
            }
        }
    }
    seen
}

fn summary(suspects: &[Suspect], convincing: bool, considered: usize) -> String {
    match suspects.first() {
        None => format!("No change found in the window ({considered} considered)."),
        Some(s) if convincing => format!(
            "Most likely: {} (score {}): {}.",
            s.event.title,
            s.score,
            s.reasons
                .iter()
                .filter(|r| r.weight > 0.0)
                .map(|r| r.text.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Some(s) => format!(
            "No convincing suspect: the closest change, {}, scores only {} (a convincing one scores {CONVINCING} or more).",
            s.event.title, s.score
        ),
    }
}

pub fn format_window(d: Duration) -> String {
    let m = d.num_minutes();
    if m % (24 * 60) == 0 {
        format!("{}d", m / (24 * 60))
    } else if m % 60 == 0 {
        format!("{}h", m / 60)
    } else {
        format!("{m}m")
    }
}
