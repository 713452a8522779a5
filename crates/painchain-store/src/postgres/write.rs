//! The PostgreSQL write path. A group-commit batch costs a fixed number of
//! round trips whatever its size: one multi-row `INSERT ... SELECT FROM
//! UNNEST(...)` per table, plus one lookup for duplicates.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool, Row as _};

use super::{is_transient, notify};
use crate::{
    batch::{project_deltas, Plan, Row, RowResult},
    codec::{nanos, project_id, to_json},
    rollup::{self, RollupKey},
    writer::{BatchWriter, InsertJob},
    InsertOutcome, Result, StoreError,
};

/// Attempts for a batch that hit a deadlock or serialization failure.
const ATTEMPTS: usize = 5;

pub(crate) struct PgWriter {
    pool: PgPool,
    /// This store's origin id in the notices to other replicas.
    origin: String,
}

impl PgWriter {
    pub fn new(pool: PgPool, origin: String) -> Self {
        PgWriter { pool, origin }
    }
}

#[async_trait]
impl BatchWriter for PgWriter {
    async fn write(&mut self, jobs: &[InsertJob]) -> Result<Vec<Vec<InsertOutcome>>> {
        let plan = Plan::new(jobs);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut tx = self.pool.begin().await?;
            match write_plan(&mut tx, &plan, &self.origin).await {
                Ok(results) => {
                    tx.commit().await?;
                    return Ok(plan.outcomes(&results));
                }
                Err(e) if attempt < ATTEMPTS && is_transient(&e) => {
                    tracing::debug!(error = %e, attempt, "retrying event batch");
                    tx.rollback().await?;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// The events, then the cursors that ride with them, in one transaction.
async fn write_plan(c: &mut PgConnection, plan: &Plan<'_>, origin: &str) -> Result<Vec<RowResult>> {
    let results = if plan.rows.is_empty() {
        Vec::new()
    } else {
        insert_plan(&mut *c, plan, origin).await?
    };
    for ((tenant, integration), cursor) in &plan.cursors {
        super::admin::put_cursor(&mut *c, tenant, integration, cursor).await?;
    }
    Ok(results)
}

const INSERT_EVENTS: &str = "\
INSERT INTO events (id, tenant_id, ts, created_at, title, connector, project, external_id,
    integration_id, data, tags, kind, status, url, actor, environment, service, refs, extra)
SELECT u.id, u.tenant_id, u.ts, $19, u.title, u.connector, u.project, u.external_id,
    u.integration_id, u.data::jsonb, u.tags::jsonb, u.kind, u.status, u.url, u.actor,
    u.environment, u.service, u.refs::jsonb, u.extra::jsonb
FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], $6::text[],
    $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
    $14::text[], $15::text[], $16::text[], $17::text[], $18::text[])
    AS u(id, tenant_id, ts, title, connector, project, external_id, integration_id, data, tags,
         kind, status, url, actor, environment, service, refs, extra)
ON CONFLICT DO NOTHING
RETURNING id, seq";

/// Existing rows for the keys that did not insert; `i` is the key's index.
/// `external_id IS NOT NULL` is implied but spelled out for the planner.
const FIND_EXISTING: &str = "\
SELECT k.i, e.id FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[], $5::text[])
    AS k(t, ig, x, i, c)
JOIN events e ON e.tenant_id = k.t AND COALESCE(e.integration_id, '') = k.ig
    AND (CASE WHEN e.integration_id IS NULL THEN e.connector ELSE '' END) = k.c
    AND e.external_id = k.x AND e.external_id IS NOT NULL";

const UPSERT_PROJECTS: &str = "\
INSERT INTO projects AS p (tenant_id, name, id, connector, connectors, tags, event_count,
    last_event_ts, created_at)
SELECT u.t, u.n, u.pid, u.c, u.cs::jsonb, u.tg::jsonb, u.cnt, u.lts, $9
FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::int8[], $8::int8[]) AS u(t, n, pid, c, cs, tg, cnt, lts)
ON CONFLICT (tenant_id, name) DO UPDATE SET
    connectors = CASE WHEN p.connectors @> EXCLUDED.connectors THEN p.connectors
        ELSE (SELECT COALESCE(jsonb_agg(v ORDER BY v), '[]') FROM (SELECT DISTINCT v COLLATE \"C\" AS v
              FROM jsonb_array_elements_text(p.connectors || EXCLUDED.connectors) v) s) END,
    tags = CASE WHEN p.tags @> EXCLUDED.tags THEN p.tags
        ELSE (SELECT COALESCE(jsonb_agg(v ORDER BY v), '[]') FROM (SELECT DISTINCT v COLLATE \"C\" AS v
              FROM jsonb_array_elements_text(p.tags || EXCLUDED.tags) v) s) END,
    event_count = p.event_count + EXCLUDED.event_count,
    last_event_ts = GREATEST(p.last_event_ts, EXCLUDED.last_event_ts)";

/// One column of the batch as a text array (`None` = SQL NULL).
fn column<'b, 'a: 'b>(
    rows: &'b [Row<'a>],
    f: impl Fn(&'b Row<'a>) -> Option<&'b str>,
) -> Vec<Option<&'b str>> {
    rows.iter().map(f).collect()
}

async fn insert_plan(
    c: &mut PgConnection,
    plan: &Plan<'_>,
    origin: &str,
) -> Result<Vec<RowResult>> {
    let rows = &plan.rows;
    let inserted = sqlx::query(INSERT_EVENTS)
        .bind(rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.tenant).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.ts).collect::<Vec<_>>())
        .bind(column(rows, |r| Some(&r.ev.title)))
        .bind(column(rows, |r| Some(&r.ev.connector)))
        .bind(column(rows, |r| Some(&r.ev.project)))
        .bind(column(rows, |r| r.ev.external_id.as_deref()))
        .bind(column(rows, |r| r.ev.integration_id.as_deref()))
        .bind(column(rows, |r| Some(&r.data)))
        .bind(column(rows, |r| Some(&r.tags)))
        .bind(column(rows, |r| r.ev.kind.as_deref()))
        .bind(column(rows, |r| r.ev.status.as_deref()))
        .bind(column(rows, |r| r.ev.url.as_deref()))
        .bind(column(rows, |r| r.ev.actor.as_deref()))
        .bind(column(rows, |r| r.ev.environment.as_deref()))
        .bind(column(rows, |r| r.ev.service.as_deref()))
        .bind(column(rows, |r| Some(&r.refs)))
        .bind(column(rows, |r| Some(&r.extra)))
        .bind(plan.created_at)
        .fetch_all(&mut *c)
        .await?;
    let mut seqs = std::collections::HashMap::with_capacity(inserted.len());
    for row in &inserted {
        let id: String = row.try_get(0)?;
        let seq: i64 = row.try_get(1)?;
        seqs.insert(id, seq);
    }

    let mut results: Vec<Option<RowResult>> = rows
        .iter()
        .map(|r| seqs.get(&r.id).map(|&seq| RowResult::Inserted { seq }))
        .collect();
    let missing: Vec<usize> = (0..rows.len()).filter(|&i| results[i].is_none()).collect();
    if !missing.is_empty() {
        let mut keys = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for &i in &missing {
            let (t, ig, c, x) = rows[i].key().ok_or_else(|| {
                StoreError::Corrupt("an event without externalId conflicted".into())
            })?;
            keys.0.push(t);
            keys.1.push(ig);
            keys.2.push(x);
            keys.3.push(i as i64);
            keys.4.push(c);
        }
        let found = sqlx::query(FIND_EXISTING)
            .bind(keys.0)
            .bind(keys.1)
            .bind(keys.2)
            .bind(keys.3)
            .bind(keys.4)
            .fetch_all(&mut *c)
            .await?;
        for row in found {
            let i: i64 = row.try_get(0)?;
            let id: String = row.try_get(1)?;
            if let Some(slot) = results.get_mut(i as usize) {
                *slot = Some(RowResult::Existing { id });
            }
        }
    }
    let results: Vec<RowResult> = results
        .into_iter()
        .map(|r| r.ok_or_else(|| StoreError::Conflict("duplicate event vanished".into())))
        .collect::<Result<_>>()?;

    // Side rows of the inserted events.
    let (mut tag_seq, mut tag, mut tag_tenant, mut tag_ts) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut ref_seq, mut ref_type, mut ref_value, mut ref_tenant) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (r, res) in rows.iter().zip(&results) {
        let RowResult::Inserted { seq } = res else {
            continue;
        };
        for t in r.unique_tags() {
            tag_seq.push(*seq);
            tag.push(t);
            tag_tenant.push(r.tenant);
            tag_ts.push(r.ts);
        }
        for (t, v) in r.unique_refs() {
            ref_seq.push(*seq);
            ref_type.push(t);
            ref_value.push(v);
            ref_tenant.push(r.tenant);
        }
    }
    if !tag_seq.is_empty() {
        sqlx::query(
            "INSERT INTO event_tags (event_seq, tag, tenant_id, ts) \
             SELECT * FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::int8[]) \
             ON CONFLICT DO NOTHING",
        )
        .bind(tag_seq)
        .bind(tag)
        .bind(tag_tenant)
        .bind(tag_ts)
        .execute(&mut *c)
        .await?;
    }
    if !ref_seq.is_empty() {
        sqlx::query(
            "INSERT INTO event_refs (event_seq, ref_type, value, tenant_id) \
             SELECT * FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::text[]) \
             ON CONFLICT DO NOTHING",
        )
        .bind(ref_seq)
        .bind(ref_type)
        .bind(ref_value)
        .bind(ref_tenant)
        .execute(&mut *c)
        .await?;
    }

    let deltas = project_deltas(rows, &results);
    if !deltas.is_empty() {
        sqlx::query(UPSERT_PROJECTS)
            .bind(deltas.iter().map(|d| d.tenant).collect::<Vec<_>>())
            .bind(deltas.iter().map(|d| d.name).collect::<Vec<_>>())
            .bind(
                deltas
                    .iter()
                    .map(|d| project_id(d.connector, d.name))
                    .collect::<Vec<_>>(),
            )
            .bind(deltas.iter().map(|d| d.connector).collect::<Vec<_>>())
            .bind(
                deltas
                    .iter()
                    .map(|d| to_json(&d.connectors))
                    .collect::<Vec<_>>(),
            )
            .bind(deltas.iter().map(|d| to_json(&d.tags)).collect::<Vec<_>>())
            .bind(deltas.iter().map(|d| d.count).collect::<Vec<_>>())
            .bind(deltas.iter().map(|d| d.last_ts).collect::<Vec<_>>())
            .bind(plan.created_at)
            .execute(&mut *c)
            .await?;
    }
    apply_rollups(c, &rollup::insert_deltas(rows, &results)).await?;
    // Other replicas' live streams learn of the new events on commit.
    let inserted = rows
        .iter()
        .zip(&results)
        .filter(|(_, res)| matches!(res, RowResult::Inserted { .. }))
        .map(|(r, _)| (r.tenant, r.id.as_str()));
    notify::send(c, &notify::payloads(origin, inserted)).await?;
    Ok(results)
}

/// Adds the deltas to `event_rollups` (keys sorted: a stable lock order);
/// drops rows that reach zero.
async fn apply_rollups(c: &mut PgConnection, deltas: &[(RollupKey<'_>, i64)]) -> Result<()> {
    if deltas.is_empty() {
        return Ok(());
    }
    let col = |f: fn(&(RollupKey<'_>, i64)) -> i64| deltas.iter().map(f).collect::<Vec<_>>();
    let tenants: Vec<&str> = deltas.iter().map(|d| d.0 .0).collect();
    let projects: Vec<&str> = deltas.iter().map(|d| d.0 .3).collect();
    let connectors: Vec<&str> = deltas.iter().map(|d| d.0 .4).collect();
    sqlx::query(
        "INSERT INTO event_rollups (tenant_id, lvl, bucket, project, connector, n) \
         SELECT * FROM UNNEST($1::text[], $2::int8[], $3::int8[], $4::text[], $5::text[], $6::int8[]) \
         ON CONFLICT (tenant_id, lvl, bucket, project, connector) \
         DO UPDATE SET n = event_rollups.n + EXCLUDED.n",
    )
    .bind(&tenants)
    .bind(col(|d| d.0 .1))
    .bind(col(|d| d.0 .2))
    .bind(&projects)
    .bind(&connectors)
    .bind(col(|d| d.1))
    .execute(&mut *c)
    .await?;
    if deltas.iter().any(|d| d.1 < 0) {
        sqlx::query(
            "DELETE FROM event_rollups WHERE n <= 0 AND (tenant_id, lvl, bucket, project, connector) \
             IN (SELECT * FROM UNNEST($1::text[], $2::int8[], $3::int8[], $4::text[], $5::text[]))",
        )
        .bind(&tenants)
        .bind(col(|d| d.0 .1))
        .bind(col(|d| d.0 .2))
        .bind(&projects)
        .bind(&connectors)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// Deletes the given events and their side rows; fixes the projects.
async fn delete_seqs(c: &mut PgConnection, seqs: &[i64]) -> Result<u64> {
    if seqs.is_empty() {
        return Ok(0);
    }
    sqlx::query("DELETE FROM event_tags WHERE event_seq = ANY($1)")
        .bind(seqs)
        .execute(&mut *c)
        .await?;
    sqlx::query("DELETE FROM event_refs WHERE event_seq = ANY($1)")
        .bind(seqs)
        .execute(&mut *c)
        .await?;
    let gone = sqlx::query(
        "DELETE FROM events WHERE seq = ANY($1) RETURNING tenant_id, project, connector, ts",
    )
    .bind(seqs)
    .fetch_all(&mut *c)
    .await?;
    // Sorted, so concurrent transactions lock project rows in one order.
    let mut per_project: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut victims: Vec<(String, String, String, i64)> = Vec::with_capacity(gone.len());
    for row in &gone {
        victims.push((
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        ));
    }
    let mut rollups = BTreeMap::new();
    for (tenant, project, connector, ts) in &victims {
        *per_project
            .entry((tenant.clone(), project.clone()))
            .or_default() += 1;
        rollup::add(&mut rollups, tenant, *ts, project, connector, -1);
    }
    let rollups: Vec<_> = rollups.into_iter().collect();
    for ((tenant, project), n) in per_project {
        sqlx::query(
            "UPDATE projects SET event_count = GREATEST(event_count - $3, 0), \
             last_event_ts = (SELECT MAX(ts) FROM events WHERE tenant_id = $1 AND project = $2) \
             WHERE tenant_id = $1 AND name = $2",
        )
        .bind(&tenant)
        .bind(&project)
        .bind(n)
        .execute(&mut *c)
        .await?;
        sqlx::query(
            "DELETE FROM projects WHERE tenant_id = $1 AND name = $2 AND last_event_ts IS NULL",
        )
        .bind(&tenant)
        .bind(&project)
        .execute(&mut *c)
        .await?;
    }
    apply_rollups(c, &rollups).await?;
    Ok(gone.len() as u64)
}

pub(crate) async fn delete_before(pool: &PgPool, cutoff: DateTime<Utc>, batch: u32) -> Result<u64> {
    if batch == 0 {
        return Ok(0);
    }
    let mut tx = pool.begin().await?;
    // SKIP LOCKED: replicas running retention at once split the work.
    let seqs: Vec<i64> = sqlx::query_scalar(
        "SELECT seq FROM events WHERE ts < $1 ORDER BY ts LIMIT $2 FOR UPDATE SKIP LOCKED",
    )
    .bind(nanos(cutoff))
    .bind(i64::from(batch))
    .fetch_all(&mut *tx)
    .await?;
    let n = delete_seqs(&mut tx, &seqs).await?;
    tx.commit().await?;
    Ok(n)
}

pub(crate) async fn delete_integration_events(
    pool: &PgPool,
    tenant: &str,
    integration_id: &str,
) -> Result<u64> {
    let mut tx = pool.begin().await?;
    let seqs: Vec<i64> = sqlx::query_scalar(
        "SELECT seq FROM events WHERE tenant_id = $1 AND COALESCE(integration_id, '') = $2 \
         AND integration_id IS NOT NULL FOR UPDATE",
    )
    .bind(tenant)
    .bind(integration_id)
    .fetch_all(&mut *tx)
    .await?;
    let n = delete_seqs(&mut tx, &seqs).await?;
    tx.commit().await?;
    Ok(n)
}
