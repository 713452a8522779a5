//! Every event query the planner in `read.rs` emits, for every common filter,
//! must be answerable through an index: checked with EXPLAIN on both engines
//! (SQLite without statistics, as on a fresh database; PostgreSQL with
//! sequential scans priced out, so a plan without an index path shows up).

use chrono::{Duration, Utc};
use painchain_core::{filter::Page, EventFilter, GroupBy, Ref};

use crate::{
    query::{Dialect, Sql},
    read::{self, Strategy, Target},
};

const TENANT: &str = "acme";

fn filters() -> Vec<(&'static str, EventFilter)> {
    let d = EventFilter::default;
    let now = Utc::now();
    vec![
        ("none", d()),
        (
            "connector",
            EventFilter {
                connectors: vec!["github".into()],
                ..d()
            },
        ),
        (
            "project",
            EventFilter {
                projects: vec!["a".into(), "b".into()],
                ..d()
            },
        ),
        (
            "kind",
            EventFilter {
                kinds: vec!["pod.failed".into()],
                ..d()
            },
        ),
        (
            "tag",
            EventFilter {
                tags: vec!["prod".into()],
                ..d()
            },
        ),
        (
            "ref",
            EventFilter {
                refs: vec![Ref::new("commit", "abc")],
                ..d()
            },
        ),
        (
            "q",
            EventFilter {
                q: Some("deploy api".into()),
                ..d()
            },
        ),
        (
            "range",
            EventFilter {
                start: Some(now - Duration::hours(1)),
                end: Some(now),
                ..d()
            },
        ),
        // The investigation's lookups (painchain-investigate): a chain hop
        // (refs under their match keys, in a time span), a service's
        // deployment history, changes of an environment before an incident.
        (
            "chain hop",
            EventFilter {
                refs: vec![
                    Ref::new("commit", "9f1c2ab"),
                    Ref::new("image", "ghcr.io/acme/api:1.9.0"),
                    Ref::new("image", "ghcr.io/acme/api@sha256:abc"),
                ],
                start: Some(now - Duration::days(30)),
                end: Some(now),
                ..d()
            },
        ),
        (
            "deploy history",
            EventFilter {
                kinds: vec!["service.deployed".into()],
                environments: vec!["production".into()],
                end: Some(now),
                ..d()
            },
        ),
        (
            "environment window",
            EventFilter {
                environments: vec!["production".into()],
                start: Some(now - Duration::hours(2)),
                end: Some(now),
                ..d()
            },
        ),
        (
            "mixed",
            EventFilter {
                connectors: vec!["github".into()],
                tags: vec!["prod".into()],
                start: Some(now - Duration::days(1)),
                ..d()
            },
        ),
    ]
}

/// Every query for every filter, both list strategies.
fn queries(d: Dialect, tag_integrations: Vec<String>) -> Vec<(String, Sql)> {
    let mut out = Vec::new();
    for (name, f) in filters() {
        let t = Target {
            tenant: TENANT,
            f: &f,
            tag_integrations: tag_integrations.clone(),
        };
        let page = Page {
            limit: 50,
            cursor: None,
            offset: None,
        };
        for s in [Strategy::Walk, Strategy::Drive] {
            out.push((
                format!("list {name} {s:?}"),
                read::list_sql(d, &t, &page, s),
            ));
            out.push((
                format!("span {name} {s:?}"),
                read::span_end_sql(d, &t, true, s),
            ));
        }
        for (i, q) in read::count_sql(d, &t).into_iter().enumerate() {
            out.push((format!("count {name} #{i}"), q));
        }
        for (i, q) in read::histogram_sql(d, &t, 3_600_000_000_000, GroupBy::Connector)
            .into_iter()
            .enumerate()
        {
            out.push((format!("histogram {name} #{i}"), q));
        }
        for (i, q) in read::group_counts_sql(d, &t, GroupBy::Project)
            .into_iter()
            .enumerate()
        {
            out.push((format!("groups {name} #{i}"), q));
        }
        for (i, q) in read::list_probes(d, &t)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            out.push((format!("probe {name} #{i}"), q));
        }
    }
    out
}

#[tokio::test]
async fn sqlite_queries_use_indexes() {
    let tmp = crate::testing::TempSqlite::new().unwrap();
    let store = crate::SqliteStore::open(&tmp.path).await.unwrap();
    let pool = store.read_pool();
    for (name, sql) in queries(Dialect::Sqlite, vec!["int-1".into()]) {
        let explain = format!("EXPLAIN QUERY PLAN {}", sql.text);
        let rows = crate::sqlite::bind(sqlx::query(&explain), &sql.args)
            .fetch_all(pool)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", sql.text));
        let plan: Vec<String> = rows
            .iter()
            .map(|r| sqlx::Row::get::<String, _>(r, 3))
            .collect();
        for line in &plan {
            let table = line
                .strip_prefix("SCAN ")
                .and_then(|rest| rest.split_whitespace().next());
            // A SCAN of a table (not of a subquery result or the FTS index)
            // would read every row.
            let full_scan = table.is_some_and(|t| {
                [
                    "e",
                    "e2",
                    "x",
                    "t",
                    "rf",
                    "it",
                    "events",
                    "event_tags",
                    "event_refs",
                    "event_rollups",
                ]
                .contains(&t)
            });
            assert!(
                !full_scan,
                "{name}: full scan\n{}\n{}",
                sql.text,
                plan.join("\n")
            );
        }
    }
    crate::Store::close(&store).await;
}

#[tokio::test]
async fn postgres_queries_use_indexes() {
    let Some(db) = crate::testing::PgTestDb::create().await else {
        return;
    };
    let store = crate::PgStore::connect(&db.url).await.unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .unwrap();
    for (name, sql) in queries(Dialect::Postgres, vec!["int-1".into()]) {
        let explain = format!("EXPLAIN {}", sql.text);
        let rows = crate::postgres::bind(sqlx::query(&explain), &sql.args)
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", sql.text));
        let plan: Vec<String> = rows
            .iter()
            .map(|r| sqlx::Row::get::<String, _>(r, 0))
            .collect();
        for line in &plan {
            assert!(
                !line.contains("Seq Scan"),
                "{name}: sequential scan\n{}\n{}",
                sql.text,
                plan.join("\n")
            );
        }
    }
    drop(conn);
    crate::Store::close(&store).await;
}
