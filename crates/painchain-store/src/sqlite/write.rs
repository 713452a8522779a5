//! The SQLite write path: group-commit batches and deletions.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, LazyLock},
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::SqliteConnection;

use super::{immediate_tx, WriteConn};
use crate::{
    batch::{project_deltas, Plan, RowResult},
    codec::{nanos, project_id, to_json},
    rollup::{self, RollupKey},
    writer::{BatchWriter, InsertJob, SyncFn},
    InsertOutcome, Result, StoreError,
};

/// Rows travel to SQLite as ONE JSON parameter per table, `[[col, ...],
/// ...]`, unpacked by `json_each`: a statement per table and batch, whatever
/// the batch size. Every statement is a round trip to the connection's
/// worker thread; multi-row `VALUES` in a few fixed shapes took ~45 of them
/// for a batch of 64 events, and under load the waits between them, not
/// SQLite's work, set the pace.
fn json_rows(head: &str, cols: usize, tail: &str) -> String {
    let select: Vec<String> = (0..cols).map(|i| format!("value ->> {i}")).collect();
    // `WHERE true` lets SQLite parse an upsert after INSERT ... SELECT.
    format!(
        "{head} SELECT {} FROM json_each(?) WHERE true{tail}",
        select.join(", ")
    )
}

/// The insert statements, one per table.
struct Statements {
    events: String,
    rollups: String,
    /// The side rows of inserted events: full-text, tags, refs, projects and
    /// rollups, five statements sent as one (SQLite binds the parameters
    /// across them in order), so one round trip.
    side: String,
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
        let rollups = json_rows(
            "INSERT INTO event_rollups (tenant_id, lvl, bucket, project, connector, n)",
            6,
            " ON CONFLICT (tenant_id, lvl, bucket, project, connector) \
             DO UPDATE SET n = n + excluded.n",
        );
        let side = [
            json_rows("INSERT INTO events_fts (rowid, body)", 2, ""),
            json_rows(
                "INSERT OR IGNORE INTO event_tags (event_seq, tag, tenant_id, ts)",
                4,
                "",
            ),
            json_rows(
                "INSERT OR IGNORE INTO event_refs (event_seq, ref_type, value, tenant_id)",
                4,
                "",
            ),
            json_rows(
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
            rollups.clone(),
        ]
        .join(";\n");
        Statements {
            events: json_rows(
                "INSERT INTO events (id, tenant_id, ts, created_at, title, connector, project, \
                 external_id, integration_id, data, tags, kind, status, url, actor, environment, \
                 service, refs, extra)",
                19,
                " ON CONFLICT DO NOTHING",
            ),
            rollups,
            side,
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
        // for the other (rare) writes that share it. Each pair of statements
        // goes in one call: one round trip to the worker thread.
        sqlx::query("PRAGMA synchronous = NORMAL; BEGIN IMMEDIATE")
            .execute(&mut *conn)
            .await?;
        let mut results = write_plan(conn, sql, &plan).await;
        if results.is_ok() {
            if let Err(e) = sqlx::query("COMMIT; PRAGMA synchronous = FULL")
                .execute(&mut *conn)
                .await
            {
                results = Err(e.into());
            }
        }
        if results.is_err() {
            // Whatever failed, leave no transaction open and FULL restored.
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            sqlx::query("PRAGMA synchronous = FULL")
                .execute(&mut *conn)
                .await?;
        }
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

/// The plan's events and cursors, inside the caller's transaction.
async fn write_plan(
    c: &mut SqliteConnection,
    sql: &Statements,
    plan: &Plan<'_>,
) -> Result<Vec<RowResult>> {
    let results = if plan.rows.is_empty() {
        Vec::new()
    } else {
        insert_plan(c, sql, plan).await?
    };
    for ((tenant, integration), cursor) in &plan.cursors {
        super::admin::put_cursor(&mut *c, tenant, integration, cursor).await?;
    }
    Ok(results)
}

async fn insert_plan(
    c: &mut SqliteConnection,
    sql: &Statements,
    plan: &Plan<'_>,
) -> Result<Vec<RowResult>> {
    let rows = &plan.rows;
    let mut seqs: HashMap<String, i64> = HashMap::with_capacity(rows.len());
    let params: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let e = r.ev;
            json!([
                r.id,
                r.tenant,
                r.ts,
                plan.created_at,
                e.title,
                e.connector,
                e.project,
                e.external_id,
                e.integration_id,
                r.data,
                r.tags,
                e.kind,
                e.status,
                e.url,
                e.actor,
                e.environment,
                e.service,
                r.refs,
                r.extra
            ])
        })
        .collect();
    // The new rows' seqs come back as ONE row: `RETURNING` would send each
    // row through the worker thread's channel, a wake-up apiece. Within this
    // write transaction nobody else inserts, so they are the seqs above the
    // current maximum.
    let before: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM events")
        .fetch_one(&mut *c)
        .await?;
    sqlx::query(&sql.events)
        .bind(to_json(&params))
        .execute(&mut *c)
        .await?;
    let new_rows: String = sqlx::query_scalar(
        "SELECT json_group_array(json_array(id, seq)) FROM events WHERE seq > ?",
    )
    .bind(before)
    .fetch_one(&mut *c)
    .await?;
    let new_rows: Vec<(String, i64)> = serde_json::from_str(&new_rows)
        .map_err(|e| StoreError::Corrupt(format!("new event seqs: {e}")))?;
    seqs.extend(new_rows);

    let mut results = Vec::with_capacity(rows.len());
    for r in rows {
        match seqs.get(r.id.as_str()) {
            Some(&seq) => results.push(RowResult::Inserted { seq }),
            None => {
                // Not inserted: the dedup key exists (only keyed rows can conflict).
                let (tenant, integration, connector, external) = r.key().ok_or_else(|| {
                    StoreError::Corrupt("an event without externalId conflicted".into())
                })?;
                let id: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM events WHERE tenant_id = ? \
                     AND COALESCE(integration_id, '') = ? \
                     AND (CASE WHEN integration_id IS NULL THEN connector ELSE '' END) = ? \
                     AND external_id = ?",
                )
                .bind(tenant)
                .bind(integration)
                .bind(connector)
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
    let fts: Vec<serde_json::Value> = inserted
        .iter()
        .map(|(seq, r)| json!([seq, format!("{}\n{}", r.ev.title, r.data)]))
        .collect();
    let tags: Vec<serde_json::Value> = inserted
        .iter()
        .flat_map(|(seq, r)| {
            r.unique_tags()
                .into_iter()
                .map(move |t| json!([seq, t, r.tenant, r.ts]))
        })
        .collect();
    let refs: Vec<serde_json::Value> = inserted
        .iter()
        .flat_map(|(seq, r)| {
            r.unique_refs()
                .into_iter()
                .map(move |(t, v)| json!([seq, t, v, r.tenant]))
        })
        .collect();
    let projects: Vec<serde_json::Value> = project_deltas(rows, &results)
        .iter()
        .map(|d| {
            json!([
                d.tenant,
                d.name,
                project_id(d.connector, d.name),
                d.connector,
                to_json(&d.connectors),
                to_json(&d.tags),
                d.count,
                d.last_ts,
                plan.created_at
            ])
        })
        .collect();
    let rollups: Vec<serde_json::Value> = rollup::insert_deltas(rows, &results)
        .iter()
        .map(|((tenant, lvl, bucket, project, connector), n)| {
            json!([tenant, lvl, bucket, project, connector, n])
        })
        .collect();
    let mut q = sqlx::query(&sql.side);
    for rows in [fts, tags, refs, projects, rollups] {
        q = q.bind(to_json(&rows));
    }
    q.execute(&mut *c).await?;
    Ok(results)
}

/// Adds the deltas to `event_rollups`; drops rows that reach zero.
async fn apply_rollups(
    c: &mut SqliteConnection,
    sql: &Statements,
    deltas: &[(RollupKey<'_>, i64)],
) -> Result<()> {
    let rows: Vec<serde_json::Value> = deltas
        .iter()
        .map(|((tenant, lvl, bucket, project, connector), n)| {
            json!([tenant, lvl, bucket, project, connector, n])
        })
        .collect();
    sqlx::query(&sql.rollups)
        .bind(to_json(&rows))
        .execute(&mut *c)
        .await?;
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
