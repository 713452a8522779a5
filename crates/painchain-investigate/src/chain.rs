//! A change chain: the events linked to one event through the refs they
//! share, in both directions (its causes upstream, its effects downstream),
//! bounded in depth and size.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use painchain_core::filter::Page;
use painchain_core::{refs, Event, EventFilter, Ref};
use painchain_store::Store;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    relation::{linkage, relation, role, Linkage, Role},
    Result,
};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Chain {
    /// The id of the event the chain was built from.
    pub root: String,
    /// The root first, then the linked events oldest first.
    pub nodes: Vec<Event>,
    pub edges: Vec<Edge>,
}

/// `from` is upstream of `to` (earlier, its cause or input).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// What `to` is to `from`: `merged`, `pushed`, `built`, `published`,
    /// `deployed`, `rolled_out`, `configured`, `scaled`, `failing`,
    /// `incident`, `related`.
    pub relation: String,
    pub via: Via,
    pub strength: Strength,
}

/// Why an edge exists: the ref both events carry (as the downstream event
/// wrote it), or for inferred edges what they have in common.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Via {
    #[serde(rename = "type")]
    pub via_type: String,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Strength {
    /// Both events carry the same object (a sha, an image, a PR...).
    Ref,
    /// Same service and environment, close in time, nothing shared: a
    /// guess, shown as one.
    Inferred,
}

#[derive(Debug, Clone, Copy)]
pub struct ChainOptions {
    /// Hops from the root (1–6).
    pub depth: u32,
    /// Events in the chain at most, the root included.
    pub max_nodes: usize,
    /// How far apart in time linked events may be.
    pub span: Duration,
    /// Add `inferred` edges to the root from changes of the same service and
    /// environment this long before it.
    pub inferred_window: Option<Duration>,
}

impl Default for ChainOptions {
    fn default() -> Self {
        ChainOptions {
            depth: 3,
            max_nodes: 100,
            span: Duration::days(30),
            inferred_window: Some(Duration::hours(2)),
        }
    }
}

pub const MAX_DEPTH: u32 = 6;

/// Events fetched per lookup: refs name specific objects, so more than this
/// sharing one is a broad ref used like a label.
const PER_LOOKUP: u32 = 50;

/// The chain around `root`.
pub async fn chain(
    store: &dyn Store,
    tenant: &str,
    root: Event,
    opts: ChainOptions,
) -> Result<Chain> {
    let mut b = Builder {
        store,
        tenant,
        opts,
        nodes: vec![root.clone()],
        seen: HashSet::from([root.id.clone()]),
        edges: Vec::new(),
        edge_keys: HashSet::new(),
    };
    let mut frontier = vec![root.clone()];
    for _ in 0..opts.depth.clamp(1, MAX_DEPTH) {
        let mut next = Vec::new();
        for ev in &frontier {
            for linked in b.links_of(ev).await? {
                next.push(linked);
            }
            if b.full() {
                break;
            }
        }
        if next.is_empty() || b.full() {
            break;
        }
        frontier = next;
    }
    if let Some(w) = opts.inferred_window {
        b.infer(&root, w).await?;
    }
    let Builder {
        mut nodes, edges, ..
    } = b;
    nodes[1..].sort_by(|a, b| (a.timestamp, &a.id).cmp(&(b.timestamp, &b.id)));
    Ok(Chain {
        root: root.id,
        nodes,
        edges,
    })
}

struct Builder<'a> {
    store: &'a dyn Store,
    tenant: &'a str,
    opts: ChainOptions,
    nodes: Vec<Event>,
    seen: HashSet<String>,
    edges: Vec<Edge>,
    edge_keys: HashSet<(String, String)>,
}

impl Builder<'_> {
    fn full(&self) -> bool {
        self.nodes.len() >= self.opts.max_nodes
    }

    /// Links `ev` to the events sharing its refs; returns the new nodes.
    async fn links_of(&mut self, ev: &Event) -> Result<Vec<Event>> {
        let mut found = Vec::new();
        // One lookup for all identity refs, one per sequence ref.
        let identity: Vec<&Ref> = ev
            .refs
            .iter()
            .filter(|r| linkage(&r.ref_type) == Some(Linkage::Identity))
            .collect();
        if !identity.is_empty() {
            let others = self
                .lookup(
                    &identity,
                    ev.timestamp - self.opts.span,
                    ev.timestamp + self.opts.span,
                )
                .await?;
            for other in others {
                if let Some(via) = shared(ev, &other, Linkage::Identity) {
                    found.extend(self.link(ev, other, via));
                }
            }
        }
        for r in ev
            .refs
            .iter()
            .filter(|r| linkage(&r.ref_type) == Some(Linkage::Sequence))
        {
            for other in self.sequence_neighbours(ev, r).await? {
                found.extend(self.link(ev, other, r.clone()));
            }
        }
        Ok(found)
    }

    /// For a ref naming something that changes over time: the latest event
    /// before `ev` that changed it, and after `ev` what happened to it until
    /// the next change.
    async fn sequence_neighbours(&self, ev: &Event, r: &Ref) -> Result<Vec<Event>> {
        let mut out = Vec::new();
        let before = self
            .lookup(&[r], ev.timestamp - self.opts.span, ev.timestamp)
            .await?;
        if let Some(prev) = before.into_iter().find(|o| {
            o.id != ev.id
                && o.timestamp <= ev.timestamp
                && role(o.kind.as_deref()) == Role::Rollout
                && scoped(ev, o, r)
        }) {
            out.push(prev);
        }
        if role(ev.kind.as_deref()) == Role::Rollout {
            let mut after = self
                .lookup(&[r], ev.timestamp, ev.timestamp + self.opts.span)
                .await?;
            after.sort_by_key(|o| o.timestamp);
            for o in after {
                if o.id == ev.id || o.timestamp < ev.timestamp || !scoped(ev, &o, r) {
                    continue;
                }
                let next_change = role(o.kind.as_deref()) == Role::Rollout;
                out.push(o);
                if next_change {
                    break;
                }
            }
        }
        Ok(out)
    }

    async fn lookup(
        &self,
        refs: &[&Ref],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<Event>> {
        events_sharing(self.store, self.tenant, refs, start, end, PER_LOOKUP).await
    }

    /// Adds the edge between `a` and `b` (oriented by time); returns `b` if
    /// it is a new node.
    fn link(&mut self, a: &Event, b: Event, via: Ref) -> Option<Event> {
        if a.id == b.id {
            return None;
        }
        let (from, to) = if upstream_first(a, &b) {
            (a, &b)
        } else {
            (&b, a)
        };
        let key = (from.id.clone(), to.id.clone());
        if !self.edge_keys.contains(&key) && self.edge_keys.len() < self.opts.max_nodes * 4 {
            self.edges.push(Edge {
                from: from.id.clone(),
                to: to.id.clone(),
                relation: relation(from, to, &via).to_string(),
                via: Via {
                    via_type: via.ref_type,
                    value: via.value,
                },
                strength: Strength::Ref,
            });
            self.edge_keys.insert(key);
        }
        if self.seen.contains(&b.id) || self.full() {
            return None;
        }
        self.seen.insert(b.id.clone());
        self.nodes.push(b.clone());
        Some(b)
    }

    /// Changes of the root's service and environment shortly before it that
    /// no ref links to it.
    async fn infer(&mut self, root: &Event, window: Duration) -> Result<()> {
        let (Some(service), Some(env)) = (&root.service, &root.environment) else {
            return Ok(());
        };
        let filter = EventFilter {
            environments: vec![env.clone()],
            start: Some(root.timestamp - window),
            end: Some(root.timestamp),
            ..Default::default()
        };
        let page = Page {
            limit: 200,
            ..Default::default()
        };
        let candidates = self
            .store
            .list_events(self.tenant, &filter, &page)
            .await?
            .events;
        let linked: HashSet<&str> = self
            .edges
            .iter()
            .flat_map(|e| [e.from.as_str(), e.to.as_str()])
            .collect();
        let mut add = Vec::new();
        for c in candidates {
            if c.id == root.id
                || linked.contains(c.id.as_str())
                || c.service.as_deref() != Some(service)
                || crate::relation::change_risk(&c).is_none()
            {
                continue;
            }
            add.push(c);
        }
        let mut keys = self.edge_keys.clone();
        for c in add {
            if self.full() {
                break;
            }
            if keys.insert((c.id.clone(), root.id.clone())) {
                self.edges.push(Edge {
                    from: c.id.clone(),
                    to: root.id.clone(),
                    relation: "same_service".into(),
                    via: Via {
                        via_type: "service".into(),
                        value: format!("{service} in {env}"),
                    },
                    strength: Strength::Inferred,
                });
            }
            if self.seen.insert(c.id.clone()) {
                self.nodes.push(c);
            }
        }
        self.edge_keys = keys;
        Ok(())
    }
}

/// The events naming any of `refs` (under every key they match by) between
/// `start` and `end`, newest first, at most `limit`.
pub(crate) async fn events_sharing(
    store: &dyn Store,
    tenant: &str,
    refs: &[&Ref],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<Event>> {
    let mut keys: Vec<Ref> = Vec::new();
    for r in refs {
        for k in refs::match_keys(r) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    let filter = EventFilter {
        refs: keys,
        start: Some(start),
        end: Some(end),
        ..Default::default()
    };
    let page = Page {
        limit,
        ..Default::default()
    };
    Ok(store.list_events(tenant, &filter, &page).await?.events)
}

/// The ref of `b` that matches one of `a` with this linkage, if any (the
/// store's lookup by keys can return near misses: two shas with the same
/// prefix).
fn shared(a: &Event, b: &Event, how: Linkage) -> Option<Ref> {
    for ra in a.refs.iter().filter(|r| linkage(&r.ref_type) == Some(how)) {
        for rb in &b.refs {
            if refs::refs_match(ra, rb) && scoped(a, b, ra) {
                return Some(rb.clone());
            }
        }
    }
    None
}

/// Versions are only unique within one service (or project): `1.9.0` of
/// the api is not `1.9.0` of the web app.
fn scoped(a: &Event, b: &Event, r: &Ref) -> bool {
    if r.ref_type != "version" {
        return true;
    }
    match (&a.service, &b.service) {
        (Some(x), Some(y)) => x == y,
        _ => a.project == b.project,
    }
}

/// Whether `a` comes before `b` in a chain: by time, then by role (a build
/// before the rollout it fed when both have the same timestamp).
fn upstream_first(a: &Event, b: &Event) -> bool {
    (a.timestamp, role(a.kind.as_deref()), &a.id) <= (b.timestamp, role(b.kind.as_deref()), &b.id)
}
