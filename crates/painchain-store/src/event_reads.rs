//! Event reads, executed and decoded the same way on both backends. What to
//! run comes from [`crate::read`] (which writes each dialect's SQL); the
//! functions here come from [`event_reads!`], expanded once per backend for
//! the same reason as [`crate::admin`]'s.

/// Event reads for one backend: `$db` is `sqlx::Sqlite` or
/// `sqlx::Postgres`, `$dialect` its [`crate::query::Dialect`]. They run on
/// the backend's read pool.
macro_rules! event_reads {
    ($db:ty, $dialect:expr) => {
        use chrono::{DateTime, Utc};
        use painchain_core::{filter::Page, team::Project, Cursor, Event, EventFilter, GroupBy};
        use serde_json::Value;
        use sqlx::{query::Query, Row as _};

        use $crate::{
            codec::{from_nanos, nanos, opt_from_nanos, strings, EventParts, EVENT_COLUMNS},
            query::{Arg, Dialect, Sql},
            read::{self, Strategy, Target},
            EventPage, GroupCount, HistogramBucket, Result,
        };

        const D: Dialect = $dialect;

        /// Binds a planned query's arguments in order.
        pub(crate) fn bind<'q>(
            mut q: Query<'q, $db, <$db as sqlx::Database>::Arguments<'q>>,
            args: &'q [Arg],
        ) -> Query<'q, $db, <$db as sqlx::Database>::Arguments<'q>> {
            for a in args {
                q = match a {
                    Arg::Text(s) => q.bind(s.as_str()),
                    Arg::Int(n) => q.bind(*n),
                };
            }
            q
        }

        fn decode_event(row: &<$db as sqlx::Database>::Row) -> Result<Event> {
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

        async fn fetch(
            pool: &sqlx::Pool<$db>,
            sql: &Sql,
        ) -> Result<Vec<<$db as sqlx::Database>::Row>> {
            Ok(bind(sqlx::query(&sql.text), &sql.args)
                .fetch_all(pool)
                .await?)
        }

        async fn scalar(pool: &sqlx::Pool<$db>, sql: &Sql) -> Result<i64> {
            let row = bind(sqlx::query(&sql.text), &sql.args)
                .fetch_one(pool)
                .await?;
            Ok(row.try_get::<Option<i64>, _>(0)?.unwrap_or(0))
        }

        /// The filter with the integrations its tags designate resolved.
        async fn target<'a>(
            pool: &sqlx::Pool<$db>,
            tenant: &'a str,
            f: &'a EventFilter,
        ) -> Result<Target<'a>> {
            let mut tag_integrations = Vec::new();
            if let Some(sql) = read::tag_integrations_sql(D, tenant, f) {
                for r in fetch(pool, &sql).await? {
                    tag_integrations.push(r.try_get(0)?);
                }
            }
            Ok(Target {
                tenant,
                f,
                tag_integrations,
            })
        }

        /// Runs the selectivity probes and picks the list strategy.
        async fn strategy(pool: &sqlx::Pool<$db>, t: &Target<'_>) -> Result<Strategy> {
            let Some(probes) = read::list_probes(D, t) else {
                return Ok(Strategy::Walk);
            };
            let mut total = 0;
            for p in &probes {
                total += scalar(pool, p).await?;
                if total >= read::DRIVE_LIMIT {
                    return Ok(Strategy::Walk);
                }
            }
            Ok(Strategy::Drive)
        }

        pub(crate) async fn get_event(
            pool: &sqlx::Pool<$db>,
            tenant: &str,
            id: &str,
        ) -> Result<Option<Event>> {
            let sql = format!(
                "SELECT {EVENT_COLUMNS} FROM events e WHERE e.id = $1 AND e.tenant_id = $2"
            );
            sqlx::query(&sql)
                .bind(id)
                .bind(tenant)
                .fetch_optional(pool)
                .await?
                .map(|r| decode_event(&r))
                .transpose()
        }

        pub(crate) async fn list_events(
            pool: &sqlx::Pool<$db>,
            tenant: &str,
            filter: &EventFilter,
            page: &Page,
        ) -> Result<EventPage> {
            if page.limit == 0 {
                return Ok(EventPage::default());
            }
            let t = target(pool, tenant, filter).await?;
            let strategy = strategy(pool, &t).await?;
            let sql = read::list_sql(D, &t, page, strategy);
            let rows = fetch(pool, &sql).await?;
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

        pub(crate) async fn count_events(
            pool: &sqlx::Pool<$db>,
            tenant: &str,
            filter: &EventFilter,
        ) -> Result<i64> {
            let mut total = 0;
            let t = target(pool, tenant, filter).await?;
            for sql in read::count_sql(D, &t) {
                total += scalar(pool, &sql).await?;
            }
            Ok(total)
        }

        pub(crate) async fn histogram(
            pool: &sqlx::Pool<$db>,
            tenant: &str,
            filter: &EventFilter,
            bucket_nanos: i64,
            group_by: GroupBy,
        ) -> Result<Vec<HistogramBucket>> {
            // The trait requires bucket_nanos > 0; a bad value must not divide by 0.
            let bucket_nanos = bucket_nanos.max(1);
            let mut parts = Vec::new();
            let t = target(pool, tenant, filter).await?;
            for sql in read::histogram_sql(D, &t, bucket_nanos, group_by) {
                for r in fetch(pool, &sql).await? {
                    parts.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?));
                }
            }
            Ok(read::merge_histogram(parts, bucket_nanos))
        }

        pub(crate) async fn group_counts(
            pool: &sqlx::Pool<$db>,
            tenant: &str,
            filter: &EventFilter,
            group_by: GroupBy,
        ) -> Result<Vec<GroupCount>> {
            let mut parts = Vec::new();
            let t = target(pool, tenant, filter).await?;
            for sql in read::group_counts_sql(D, &t, group_by) {
                for r in fetch(pool, &sql).await? {
                    parts.push((r.try_get(0)?, r.try_get(1)?));
                }
            }
            Ok(read::merge_groups(parts))
        }

        pub(crate) async fn time_span(
            pool: &sqlx::Pool<$db>,
            tenant: &str,
            filter: &EventFilter,
        ) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>> {
            let t = target(pool, tenant, filter).await?;
            let strategy = strategy(pool, &t).await?;
            let mut ends = [0i64; 2];
            for (i, asc) in [true, false].into_iter().enumerate() {
                let sql = read::span_end_sql(D, &t, asc, strategy);
                match bind(sqlx::query(&sql.text), &sql.args)
                    .fetch_optional(pool)
                    .await?
                {
                    Some(row) => ends[i] = row.try_get(0)?,
                    None => return Ok(None),
                }
            }
            Ok(Some((from_nanos(ends[0]), from_nanos(ends[1]))))
        }

        pub(crate) async fn list_projects(
            pool: &sqlx::Pool<$db>,
            tenant: &str,
        ) -> Result<Vec<Project>> {
            let rows = sqlx::query(
                "SELECT id, name, connector, connectors, tags, event_count, last_event_ts, \
                 created_at FROM projects WHERE tenant_id = $1",
            )
            .bind(tenant)
            .fetch_all(pool)
            .await?;
            let mut projects = rows
                .iter()
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
                .collect::<Result<Vec<_>>>()?;
            projects.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(projects)
        }
    };
}
pub(crate) use event_reads;
