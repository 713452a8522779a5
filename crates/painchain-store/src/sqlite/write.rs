//! The SQLite write path: group-commit batches and deletions.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, LazyLock},
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Row as _, SqliteConnection};

use super::{immediate_tx, WriteConn};
use crate::{
    batch::{project_deltas, Plan, RowResult},
    codec::{nanos, project_id, to_json},
    rollup::{self, RollupKey},
    writer::{BatchWriter, InsertJob, SyncFn},
    InsertOutcome, Result, StoreError,
};

/// Multi-row statements are built for these row counts only, so a handful of
/// statement shapes stay in the prepared-statement cache.
const CHUNKS: [usize; 5] = [128, 32, 8, 2, 1];

/// Splits `n` rows into `(start, len, shape index)` chunks.
fn chunks(n: usize) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (shape, &size) in CHUNKS.iter().enumerate() {
        while n - start >= size {
            out.push((start, size, shape));
            start += size;
        }
    }
    out
}

fn values_sql(head: &str, cols: usize, rows: usize, tail: &str) -> String {
    let tuple = format!("({})", vec!["?"; cols].join(","));
    format!(
        "{head} VALUES {}{tail}",
        vec![tuple.as_str(); rows].join(",")
    )
}

/// Pre-built multi-row INSERT statements, one per chunk shape.
struct Statements {
    events: Vec<String>,
    fts: Vec<String>,
    tags: Vec<String>,
    refs: Vec<String>,
    projects: Vec<String>,
    rollups: Vec<String>,
}

/// Merges two sorted JSON string arrays of a project row; a no-op (no JSON
/// work) when every new value is already present.
fn merge_list(col: &str) -> String {
    format!(
        "{col} = CASE WHEN NOT EXISTS (SELECT 1 FROM json_each(excluded.{col}) x \
         WHERE x.value NOT IN (SELECT value FROM json_each(projects.{col}))) THEN projects.{col} \
         ELSE (SELECT json_group_array(value) FROM (SELECT value FROM json_each(projects.{col}) \
         UNION SELECT value FROM json_each(excluded.{col}) ORDER BY value)) END"
    )
}

impl Statements {
    fn new() -> Self {
        let shape = |head: &str, cols, tail: &str| {
            CHUNKS
                .iter()
                .map(|&n| values_sql(head, cols, n, tail))
                .collect()
        };
        Statements {
            events: shape(
                "INSERT INTO events (id, tenant_id, ts, created_at, title, connector, project, \
                 external_id, integration_id, data, tags, kind, status, url, actor, environment, \
                 service, refs, extra)",
                19,
                " ON CONFLICT DO NOTHING RETURNING id, seq",
            ),
            fts: shape("INSERT INTO events_fts (rowid, body)", 2, ""),
            tags: shape(
                "INSERT OR IGNORE INTO event_tags (event_seq, tag, tenant_id, ts)",
                4,
                "",
            ),
            refs: shape(
                "INSERT OR IGNORE INTO event_refs (event_seq, ref_type, value, tenant_id)",
                4,
                "",
            ),
            projects: shape(
                "INSERT INTO projects (tenant_id, name, id, connector, connectors, tags, \
                 event_count, last_event_ts, created_at)",
                9,
                &format!(
                    " ON CONFLICT (tenant_id, name) DO UPDATE SET {}, {}, \
                     event_count = projects.event_count + excluded.event_count, \
                     last_event_ts = MAX(COALESCE(projects.last_event_ts, excluded.last_event_ts), \
                     excluded.last_event_ts)",
                    merge_list("connectors"),
                    merge_list("tags")
                ),
            ),
            rollups: shape(
                "INSERT INTO event_rollups (tenant_id, lvl, bucket, project, connector, n)",
                6,
                " ON CONFLICT (tenant_id, lvl, bucket, project, connector) \
                 DO UPDATE SET n = n + excluded.n",
            ),
        }
    }
}

/// `(seq, ts, tenant, project, connector)` of an event to delete.
type Victim = (i64, i64, String, String, String);

/// Built once per process.
static STATEMENTS: LazyLock<Statements> = LazyLock::new(Statements::new);

pub(crate) struct SqliteWriter {
    conn: WriteConn,
    /// The database's `-wal` file, which the deferred sync flushes.
    wal: PathBuf,
}

impl SqliteWriter {
    pub fn new(conn: WriteConn, db: &Path) -> Self {
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        SqliteWriter {
            conn,
            wal: wal.into(),
        }
    }
}

#[async_trait]
impl BatchWriter for SqliteWriter {
    async fn write(&mut self, jobs: &[InsertJob]) -> Result<Vec<Vec<InsertOutcome>>> {
        let mut guard = self.conn.lock().await;
        let conn = guard.as_mut().ok_or(StoreError::Closed)?;
        let plan = Plan::new(jobs);
        let sql = &*STATEMENTS;
        // Commit without fsync; the writer answers callers only after
        // `deferred_sync` flushed the WAL. The connection goes back to FULL
        // for the other (rare) writes that share it.
        sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(&mut *conn)
            .await?;
        let results = immediate_tx!(conn, |c| {
            let results = if plan.rows.is_empty() {
                Vec::new()
            } else {
                insert_plan(c, sql, &plan).await?
            };
            for ((tenant, integration), cursor) in &plan.cursors {
                super::admin::put_cursor(&mut *c, tenant, integration, cursor).await?;
            }
            Ok(results)
        });
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut *conn)
            .await?;
        Ok(plan.outcomes(&results?))
    }

    fn deferred_sync(&self) -> Option<SyncFn> {
        let wal = self.wal.clone();
        // A commit's frames are in the WAL file when COMMIT returns (written,
        // not yet flushed); fdatasync on any descriptor of the file makes
        // them, and everything before, durable.
        Some(Arc::new(move || std::fs::File::open(&wal)?.sync_data()))
    }
}

async fn insert_plan(
    c: &mut SqliteConnection,
    sql: &Statements,
    plan: &Plan<'_>,
) -> Result<Vec<RowResult>> {
    let rows = &plan.rows;
    let mut seqs: HashMap<String, i64> = HashMap::with_capacity(rows.len());
    for (start, len, shape) in chunks(rows.len()) {
        let mut q = sqlx::query(&sql.events[shape]);
        for r in &rows[start..start + len] {
            let e = r.ev;
            q = q
                .bind(r.id.as_str())
                .bind(r.tenant)
                .bind(r.ts)
                .bind(plan.created_at)
                .bind(e.title.as_str())
                .bind(e.connector.as_str())
                .bind(e.project.as_str())
                .bind(e.external_id.as_deref())
                .bind(e.integration_id.as_deref())
                .bind(r.data.as_str())
                .bind(r.tags.as_str())
                .bind(e.kind.as_deref())
                .bind(e.status.as_deref())
                .bind(e.url.as_deref())
                .bind(e.actor.as_deref())
                .bind(e.environment.as_deref())
                .bind(e.service.as_deref())
                .bind(r.refs.as_str())
                .bind(r.extra.as_str());
        }
        for row in q.fetch_all(&mut *c).await? {
            seqs.insert(row.try_get(0)?, row.try_get(1)?);
        }
    }

    let mut results = Vec::with_capacity(rows.len());
    for r in rows {
        match seqs.get(r.id.as_str()) {
            Some(&seq) => results.push(RowResult::Inserted { seq }),
            None => {
                // Not inserted: the dedup key exists (only keyed rows can conflict).
                let (tenant, integration, external) = r.key().ok_or_else(|| {
                    StoreError::Corrupt("an event without externalId conflicted".into())
                })?;
                let id: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM events WHERE tenant_id = ? \
                     AND COALESCE(integration_id, '') = ? AND external_id = ?",
                )
                .bind(tenant)
                .bind(integration)
                .bind(external)
                .fetch_optional(&mut *c)
                .await?;
                let id =
                    id.ok_or_else(|| StoreError::Conflict("duplicate event vanished".into()))?;
                results.push(RowResult::Existing { id });
            }
        }
    }

    // Side rows for the inserted events only.
    let inserted: Vec<(i64, &crate::batch::Row<'_>)> = rows
        .iter()
        .zip(&results)
        .filter_map(|(r, res)| match res {
            RowResult::Inserted { seq } => Some((*seq, r)),
            RowResult::Existing { .. } => None,
        })
        .collect();
    for (start, len, shape) in chunks(inserted.len()) {
        let mut q = sqlx::query(&sql.fts[shape]);
        for (seq, r) in &inserted[start..start + len] {
            q = q.bind(*seq).bind(format!("{}\n{}", r.ev.title, r.data));
        }
        q.execute(&mut *c).await?;
    }
    let tags: Vec<(i64, &str, &str, i64)> = inserted
        .iter()
        .flat_map(|(seq, r)| {
            r.unique_tags()
                .into_iter()
                .map(move |t| (*seq, t, r.tenant, r.ts))
        })
        .collect();
    for (start, len, shape) in chunks(tags.len()) {
        let mut q = sqlx::query(&sql.tags[shape]);
        for (seq, tag, tenant, ts) in &tags[start..start + len] {
            q = q.bind(*seq).bind(*tag).bind(*tenant).bind(*ts);
        }
        q.execute(&mut *c).await?;
    }
    let refs: Vec<(i64, &str, &str, &str)> = inserted
        .iter()
        .flat_map(|(seq, r)| {
            r.unique_refs()
                .into_iter()
                .map(move |(t, v)| (*seq, t, v, r.tenant))
        })
        .collect();
    for (start, len, shape) in chunks(refs.len()) {
        let mut q = sqlx::query(&sql.refs[shape]);
        for (seq, t, v, tenant) in &refs[start..start + len] {
            q = q.bind(*seq).bind(*t).bind(*v).bind(*tenant);
        }
        q.execute(&mut *c).await?;
    }

    let deltas = project_deltas(rows, &results);
    for (start, len, shape) in chunks(deltas.len()) {
        let mut q = sqlx::query(&sql.projects[shape]);
        for d in &deltas[start..start + len] {
            q = q
                .bind(d.tenant)
                .bind(d.name)
                .bind(project_id(d.connector, d.name))
                .bind(d.connector)
                .bind(to_json(&d.connectors))
                .bind(to_json(&d.tags))
                .bind(d.count)
                .bind(d.last_ts)
                .bind(plan.created_at);
        }
        q.execute(&mut *c).await?;
    }
    apply_rollups(c, sql, &rollup::insert_deltas(rows, &results)).await?;
    Ok(results)
}

/// Adds the deltas to `event_rollups`; drops rows that reach zero.
async fn apply_rollups(
    c: &mut SqliteConnection,
    sql: &Statements,
    deltas: &[(RollupKey<'_>, i64)],
) -> Result<()> {
    for (start, len, shape) in chunks(deltas.len()) {
        let mut q = sqlx::query(&sql.rollups[shape]);
        for ((tenant, lvl, bucket, project, connector), n) in &deltas[start..start + len] {
            q = q
                .bind(*tenant)
                .bind(*lvl)
                .bind(*bucket)
                .bind(*project)
                .bind(*connector)
                .bind(*n);
        }
        q.execute(&mut *c).await?;
    }
    if deltas.iter().any(|(_, n)| *n < 0) {
        for chunk in deltas.chunks(100) {
            let sql = format!(
                "DELETE FROM event_rollups WHERE n <= 0 AND (tenant_id, lvl, bucket, project, connector) IN (VALUES {})",
                vec!["(?, ?, ?, ?, ?)"; chunk.len()].join(", ")
            );
            let mut q = sqlx::query(&sql);
            for ((tenant, lvl, bucket, project, connector), _) in chunk {
                q = q
                    .bind(*tenant)
                    .bind(*lvl)
                    .bind(*bucket)
                    .bind(*project)
                    .bind(*connector);
            }
            q.execute(&mut *c).await?;
        }
    }
    Ok(())
}

/// Deletes the events with these seqs (all of one transaction) and their
/// side rows, and adjusts the projects they counted in.
async fn delete_seqs(
    c: &mut SqliteConnection,
    sql: &Statements,
    victims: &[Victim],
) -> Result<u64> {
    let mut per_project: HashMap<(&str, &str), i64> = HashMap::new();
    let mut rollups = std::collections::BTreeMap::new();
    for chunk in victims.chunks(500) {
        let list = vec!["?"; chunk.len()].join(",");
        for table in [
            format!("DELETE FROM event_tags WHERE event_seq IN ({list})"),
            format!("DELETE FROM event_refs WHERE event_seq IN ({list})"),
            format!("DELETE FROM events_fts WHERE rowid IN ({list})"),
            format!("DELETE FROM events WHERE seq IN ({list})"),
        ] {
            let mut q = sqlx::query(&table);
            for v in chunk {
                q = q.bind(v.0);
            }
            q.execute(&mut *c).await?;
        }
    }
    for (_, ts, tenant, project, connector) in victims {
        *per_project.entry((tenant, project)).or_default() += 1;
        rollup::add(&mut rollups, tenant, *ts, project, connector, -1);
    }
    let rollups: Vec<_> = rollups.into_iter().collect();
    apply_rollups(c, sql, &rollups).await?;
    for ((tenant, project), n) in per_project {
        // The newest remaining event comes from the (tenant, project, ts)
        // index; a project left without events disappears.
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(ts) FROM events WHERE tenant_id = ? AND project = ?")
                .bind(tenant)
                .bind(project)
                .fetch_one(&mut *c)
                .await?;
        if last.is_none() {
            sqlx::query("DELETE FROM projects WHERE tenant_id = ? AND name = ?")
                .bind(tenant)
                .bind(project)
                .execute(&mut *c)
                .await?;
        } else {
            sqlx::query(
                "UPDATE projects SET event_count = MAX(event_count - ?, 0), last_event_ts = ? \
                 WHERE tenant_id = ? AND name = ?",
            )
            .bind(n)
            .bind(last)
            .bind(tenant)
            .bind(project)
            .execute(&mut *c)
            .await?;
        }
    }
    Ok(victims.len() as u64)
}

pub(crate) async fn delete_before(
    conn: &mut SqliteConnection,
    cutoff: DateTime<Utc>,
    batch: u32,
) -> Result<u64> {
    if batch == 0 {
        return Ok(0);
    }
    let cutoff = nanos(cutoff);
    immediate_tx!(conn, |c| {
        // Per tenant through (tenant_id, ts): no extra index on ts alone.
        let tenants: Vec<String> = sqlx::query_scalar("SELECT DISTINCT tenant_id FROM projects")
            .fetch_all(&mut *c)
            .await?;
        let mut victims: Vec<Victim> = Vec::new();
        for t in tenants {
            let rows: Vec<Victim> = sqlx::query_as(
                "SELECT seq, ts, tenant_id, project, connector FROM events \
                 WHERE tenant_id = ? AND ts < ? ORDER BY ts LIMIT ?",
            )
            .bind(&t)
            .bind(cutoff)
            .bind(i64::from(batch))
            .fetch_all(&mut *c)
            .await?;
            victims.extend(rows);
        }
        victims.sort_by_key(|v| v.1);
        victims.truncate(batch as usize);
        delete_seqs(c, &STATEMENTS, &victims).await
    })
}

pub(crate) async fn delete_integration_events(
    conn: &mut SqliteConnection,
    tenant: &str,
    integration_id: &str,
) -> Result<u64> {
    immediate_tx!(conn, |c| {
        let victims: Vec<Victim> = sqlx::query_as(
            "SELECT seq, ts, tenant_id, project, connector FROM events \
             WHERE tenant_id = ? AND COALESCE(integration_id, '') = ? AND integration_id IS NOT NULL",
        )
        .bind(tenant)
        .bind(integration_id)
        .fetch_all(&mut *c)
        .await?;
        delete_seqs(c, &STATEMENTS, &victims).await
    })
}
