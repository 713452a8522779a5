//! Backend-independent planning of one group-commit transaction: assigning
//! ids, deduplicating within the batch, aggregating project updates and
//! mapping the database's answers back to per-request outcomes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::Utc;
use painchain_core::{new_id, NewEvent};

use crate::{
    codec::{from_nanos, nanos, to_json},
    writer::InsertJob,
    InsertOutcome,
};

/// One event to insert: the first occurrence of its dedup key in the batch.
pub(crate) struct Row<'a> {
    pub id: String,
    pub tenant: &'a str,
    pub ev: &'a NewEvent,
    pub ts: i64,
    pub data: String,
    pub tags: String,
    pub refs: String,
    pub extra: String,
}

impl Row<'_> {
    /// The dedup key when the event has an `externalId`; see [`DedupKey`].
    pub fn key(&self) -> Option<DedupKey<'_>> {
        key(self.tenant, self.ev)
    }

    /// Tags without duplicates (side-table primary keys must not collide).
    pub fn unique_tags(&self) -> BTreeSet<&str> {
        self.ev.tags.iter().map(String::as_str).collect()
    }

    /// Refs under every key they match by (`painchain_core::refs`), so a
    /// short sha finds the full one with an exact index lookup.
    pub fn unique_refs(&self) -> BTreeSet<(String, String)> {
        self.ev
            .refs
            .iter()
            .flat_map(painchain_core::refs::match_keys)
            .map(|r| (r.ref_type, r.value))
            .collect()
    }
}

/// `(tenant, integrationId or "", connector when there is no
/// integration else "", externalId)`: the columns of the `events_dedup_key`
/// unique index. Events of no integration are deduplicated per connector, so
/// `ci/build-1` and `jenkins/build-1` are two events, not a conflict.
pub(crate) type DedupKey<'a> = (&'a str, &'a str, &'a str, &'a str);

fn key<'a>(tenant: &'a str, ev: &'a NewEvent) -> Option<DedupKey<'a>> {
    ev.external_id
        .as_deref()
        .map(|ext| match ev.integration_id.as_deref() {
            Some(ig) => (tenant, ig, "", ext),
            None => (tenant, "", ev.connector.as_str(), ext),
        })
}

/// What the database did with a row.
#[derive(Debug, Clone)]
pub(crate) enum RowResult {
    Inserted {
        seq: i64,
    },
    /// The key already existed (committed by an earlier transaction).
    Existing {
        id: String,
    },
}

pub(crate) struct Plan<'a> {
    /// Rows sorted by dedup key, so concurrent transactions (several
    /// PostgreSQL replicas) lock keys in the same order and cannot deadlock.
    pub rows: Vec<Row<'a>>,
    /// For each job, for each of its events: the row it resolves to.
    slots: Vec<Vec<usize>>,
    /// Which slot owns its row (the first occurrence); others are duplicates.
    owners: Vec<(usize, usize)>,
    pub created_at: i64,
    /// Cursors to save with the events: `(tenant, integration) → cursor`,
    /// the last job's winning, in key order (a stable lock order).
    pub cursors: BTreeMap<(&'a str, &'a str), &'a serde_json::Value>,
}

impl<'a> Plan<'a> {
    pub fn new(jobs: &'a [InsertJob]) -> Plan<'a> {
        let created_at = nanos(Utc::now());
        let mut rows: Vec<Row<'a>> = Vec::new();
        let mut owners = Vec::new();
        let mut by_key: HashMap<DedupKey<'_>, usize> = HashMap::new();
        let mut slots = Vec::with_capacity(jobs.len());
        for (j, job) in jobs.iter().enumerate() {
            let mut job_slots = Vec::with_capacity(job.events.len());
            for (i, ev) in job.events.iter().enumerate() {
                if let Some(existing) = key(&job.tenant, ev).and_then(|k| by_key.get(&k)) {
                    job_slots.push(*existing);
                    continue;
                }
                let r = rows.len();
                if let Some(k) = key(&job.tenant, ev) {
                    by_key.insert(k, r);
                }
                rows.push(Row {
                    id: new_id(),
                    tenant: &job.tenant,
                    ev,
                    ts: nanos(ev.timestamp),
                    data: to_json(&ev.data),
                    tags: to_json(&ev.tags),
                    refs: to_json(&ev.refs),
                    extra: to_json(&ev.extra),
                });
                owners.push((j, i));
                job_slots.push(r);
            }
            slots.push(job_slots);
        }
        // Sort rows by key and remap slots to the new positions.
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by(|&a, &b| rows[a].key().cmp(&rows[b].key()));
        let mut new_pos = vec![0; rows.len()];
        for (pos, &old) in order.iter().enumerate() {
            new_pos[old] = pos;
        }
        let mut taken: Vec<Option<Row<'a>>> = rows.into_iter().map(Some).collect();
        let rows = order.iter().filter_map(|&old| taken[old].take()).collect();
        let mut sorted_owners = vec![(0, 0); owners.len()];
        for (old, owner) in owners.into_iter().enumerate() {
            sorted_owners[new_pos[old]] = owner;
        }
        for s in slots.iter_mut().flatten() {
            *s = new_pos[*s];
        }
        let cursors = jobs
            .iter()
            .filter_map(|j| {
                let (integration, cursor) = j.cursor.as_ref()?;
                Some(((j.tenant.as_str(), integration.as_str()), cursor))
            })
            .collect();
        Plan {
            rows,
            slots,
            owners: sorted_owners,
            created_at,
            cursors,
        }
    }

    /// Per-job outcomes in input order, given what happened to each row.
    pub fn outcomes(&self, results: &[RowResult]) -> Vec<Vec<InsertOutcome>> {
        let stored_at = from_nanos(self.created_at);
        self.slots
            .iter()
            .enumerate()
            .map(|(j, job_slots)| {
                job_slots
                    .iter()
                    .enumerate()
                    .map(|(i, &r)| match &results[r] {
                        RowResult::Inserted { .. } if self.owners[r] == (j, i) => {
                            InsertOutcome::Created {
                                id: self.rows[r].id.clone(),
                                stored_at,
                            }
                        }
                        RowResult::Inserted { .. } => InsertOutcome::Duplicate {
                            id: self.rows[r].id.clone(),
                        },
                        RowResult::Existing { id } => InsertOutcome::Duplicate { id: id.clone() },
                    })
                    .collect()
            })
            .collect()
    }
}

/// The change one transaction makes to a project row.
#[derive(Debug, Clone)]
pub(crate) struct ProjectDelta<'a> {
    pub tenant: &'a str,
    pub name: &'a str,
    /// Connector of the earliest event in the batch: becomes the project's
    /// `connector` when the project is new.
    pub connector: &'a str,
    pub connectors: Vec<String>,
    pub tags: Vec<String>,
    pub count: i64,
    pub last_ts: i64,
}

/// Aggregates inserted rows per `(tenant, project)`, sorted by that key (a
/// stable lock order for the upserts).
pub(crate) fn project_deltas<'a>(rows: &[Row<'a>], results: &[RowResult]) -> Vec<ProjectDelta<'a>> {
    let mut map: BTreeMap<(&'a str, &'a str), (ProjectDelta<'a>, i64)> = BTreeMap::new();
    for (row, res) in rows.iter().zip(results) {
        if !matches!(res, RowResult::Inserted { .. }) {
            continue;
        }
        let ev: &'a NewEvent = row.ev;
        let (d, first_ts) = map
            .entry((row.tenant, ev.project.as_str()))
            .or_insert_with(|| {
                (
                    ProjectDelta {
                        tenant: row.tenant,
                        name: &ev.project,
                        connector: &ev.connector,
                        connectors: Vec::new(),
                        tags: Vec::new(),
                        count: 0,
                        last_ts: row.ts,
                    },
                    row.ts,
                )
            });
        if row.ts < *first_ts {
            *first_ts = row.ts;
            d.connector = &ev.connector;
        }
        d.count += 1;
        d.last_ts = d.last_ts.max(row.ts);
        d.connectors.push(ev.connector.clone());
        d.tags.extend(ev.tags.iter().cloned());
    }
    map.into_values()
        .map(|(mut d, _)| {
            d.connectors.sort();
            d.connectors.dedup();
            d.tags.sort();
            d.tags.dedup();
            d
        })
        .collect()
}
