//! Event queries on PostgreSQL.

use chrono::{DateTime, Utc};
use painchain_core::{filter::Page, team::Project, Cursor, Event, EventFilter, GroupBy};
use serde_json::Value;
use sqlx::{postgres::PgRow, PgPool, Row as _};

use super::bind;
use crate::{
    codec::{from_nanos, nanos, opt_from_nanos, strings, EventParts, EVENT_COLUMNS},
    query::{Dialect, Sql},
    EventPage, GroupCount, HistogramBucket, Result,
};

fn decode_event(row: &PgRow) -> Result<Event> {
    EventParts {
        id: row.try_get(0)?,
        tenant_id: row.try_get(1)?,
        ts: row.try_get(2)?,
        created_at: row.try_get(3)?,
        title: row.try_get(4)?,
        connector: row.try_get(5)?,
        project: row.try_get(6)?,
        external_id: row.try_get(7)?,
        integration_id: row.try_get(8)?,
        data: row.try_get::<Value, _>(9)?,
        tags: row.try_get::<Value, _>(10)?,
        kind: row.try_get(11)?,
        status: row.try_get(12)?,
        url: row.try_get(13)?,
        actor: row.try_get(14)?,
        environment: row.try_get(15)?,
        service: row.try_get(16)?,
        refs: row.try_get::<Value, _>(17)?,
        extra: row.try_get::<Value, _>(18)?,
    }
    .into_event()
}

fn filtered(select: &str, tenant: &str, filter: &EventFilter) -> Sql {
    let mut sql = Sql::new(Dialect::Postgres);
    sql.push(select)
        .push(" FROM events e WHERE e.tenant_id = ")
        .text(tenant)
        .filter(tenant, filter);
    sql
}

pub(crate) async fn get_event(pool: &PgPool, tenant: &str, id: &str) -> Result<Option<Event>> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events e WHERE e.id = $1 AND e.tenant_id = $2");
    sqlx::query(&sql)
        .bind(id)
        .bind(tenant)
        .fetch_optional(pool)
        .await?
        .map(|r| decode_event(&r))
        .transpose()
}

pub(crate) async fn list_events(
    pool: &PgPool,
    tenant: &str,
    filter: &EventFilter,
    page: &Page,
) -> Result<EventPage> {
    if page.limit == 0 {
        return Ok(EventPage::default());
    }
    let mut sql = filtered(&format!("SELECT {EVENT_COLUMNS}"), tenant, filter);
    if let Some(c) = &page.cursor {
        sql.push(" AND (e.ts, e.id) < (")
            .int(c.timestamp_nanos)
            .push(", ")
            .text(&c.id)
            .push(")");
    }
    sql.push(" ORDER BY e.ts DESC, e.id DESC LIMIT ")
        .int(i64::from(page.limit) + 1);
    if let (None, Some(offset)) = (&page.cursor, page.offset) {
        sql.push(" OFFSET ").int(i64::from(offset));
    }
    let rows = bind(sqlx::query(&sql.text), &sql.args)
        .fetch_all(pool)
        .await?;
    let mut events = rows.iter().map(decode_event).collect::<Result<Vec<_>>>()?;
    let next = if events.len() > page.limit as usize {
        events.truncate(page.limit as usize);
        events.last().map(|e| Cursor {
            timestamp_nanos: nanos(e.timestamp),
            id: e.id.clone(),
        })
    } else {
        None
    };
    Ok(EventPage { events, next })
}

pub(crate) async fn count_events(pool: &PgPool, tenant: &str, filter: &EventFilter) -> Result<i64> {
    let sql = filtered("SELECT COUNT(*)", tenant, filter);
    let row = bind(sqlx::query(&sql.text), &sql.args)
        .fetch_one(pool)
        .await?;
    Ok(row.try_get(0)?)
}

fn group_column(g: GroupBy) -> &'static str {
    match g {
        GroupBy::Project => "e.project",
        GroupBy::Connector => "e.connector",
    }
}

pub(crate) async fn histogram(
    pool: &PgPool,
    tenant: &str,
    filter: &EventFilter,
    bucket_nanos: i64,
    group_by: GroupBy,
) -> Result<Vec<HistogramBucket>> {
    // The trait requires bucket_nanos > 0; a bad value must not divide by 0.
    let bucket_nanos = bucket_nanos.max(1);
    let col = group_column(group_by);
    let select = format!(
        "SELECT e.ts - (((e.ts % {bucket_nanos}) + {bucket_nanos}) % {bucket_nanos}) AS b, {col} AS g, COUNT(*)"
    );
    let mut sql = filtered(&select, tenant, filter);
    sql.push(" GROUP BY b, g ORDER BY b, g");
    let rows = bind(sqlx::query(&sql.text), &sql.args)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(HistogramBucket {
                start_nanos: r.try_get(0)?,
                group: r.try_get(1)?,
                count: r.try_get(2)?,
            })
        })
        .collect()
}

pub(crate) async fn group_counts(
    pool: &PgPool,
    tenant: &str,
    filter: &EventFilter,
    group_by: GroupBy,
) -> Result<Vec<GroupCount>> {
    let col = group_column(group_by);
    let mut sql = filtered(&format!("SELECT {col} AS g, COUNT(*) AS n"), tenant, filter);
    sql.push(" GROUP BY g ORDER BY n DESC, g");
    let rows = bind(sqlx::query(&sql.text), &sql.args)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(GroupCount {
                group: r.try_get(0)?,
                count: r.try_get(1)?,
            })
        })
        .collect()
}

pub(crate) async fn time_span(
    pool: &PgPool,
    tenant: &str,
    filter: &EventFilter,
) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>> {
    // Two index probes (oldest, newest) rather than one MIN/MAX aggregate.
    let mut ends = [0i64; 2];
    for (i, dir) in ["ASC", "DESC"].iter().enumerate() {
        let mut sql = filtered("SELECT e.ts", tenant, filter);
        sql.push(&format!(" ORDER BY e.ts {dir} LIMIT 1"));
        let row = bind(sqlx::query(&sql.text), &sql.args)
            .fetch_optional(pool)
            .await?;
        match row {
            Some(row) => ends[i] = row.try_get(0)?,
            None => return Ok(None),
        }
    }
    Ok(Some((from_nanos(ends[0]), from_nanos(ends[1]))))
}

pub(crate) async fn list_projects(pool: &PgPool, tenant: &str) -> Result<Vec<Project>> {
    let rows = sqlx::query(
        "SELECT id, name, connector, connectors, tags, event_count, last_event_ts, created_at \
         FROM projects WHERE tenant_id = $1 ORDER BY name COLLATE \"C\"",
    )
    .bind(tenant)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Project {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
                connector: r.try_get(2)?,
                connectors: strings("connectors", r.try_get::<Value, _>(3)?)?,
                tags: strings("tags", r.try_get::<Value, _>(4)?)?,
                event_count: r.try_get(5)?,
                last_event_at: opt_from_nanos(r.try_get(6)?),
                created_at: from_nanos(r.try_get(7)?),
            })
        })
        .collect()
}
