//! Store throughput and latency, as plain figures (no harness):
//!
//! - concurrent single-event inserts/s (each a durable, group-committed
//!   `insert_event`), like the HTTP ingest path;
//! - latency (p50/p99) of timeline queries once the store holds
//!   `PAINCHAIN_BENCH_EVENTS` events.
//!
//! `cargo bench -p painchain-store --bench store_ingest`. SQLite always;
//! PostgreSQL too when `PAINCHAIN_TEST_DATABASE_URL` is set. Knobs (env):
//! `PAINCHAIN_BENCH_EVENTS` (default 100000), `PAINCHAIN_BENCH_INSERTS`
//! (default 20000), `PAINCHAIN_BENCH_CONCURRENCY` (default 64),
//! `PAINCHAIN_BENCH_QUERIES` (repetitions per query, default 100).

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use chrono::Utc;
use painchain_core::{filter::Page, EventFilter, GroupBy, NewEvent, Ref};
use painchain_store::{
    testing::{PgTestDb, TempSqlite},
    PgStore, SqliteStore, Store,
};
use serde_json::json;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const CONNECTORS: [&str; 5] = ["github", "gitlab", "kubernetes", "argocd", "pagerduty"];
const KINDS: [&str; 6] = [
    "change.merged",
    "change.opened",
    "service.deployed",
    "pipelinerun.finished",
    "pod.failed",
    "incident.detected",
];
const WORDS: [&str; 8] = [
    "deploy", "rollback", "merge", "hotfix", "release", "scale", "restart", "config",
];

/// A deterministic, varied event: `i` picks every field. Timestamps spread
/// over the last 7 days.
fn event(i: usize, span_secs: i64) -> NewEvent {
    let now = Utc::now();
    let ts = now - chrono::Duration::milliseconds((i as i64 * 7919) % (span_secs * 1000));
    let mut e = NewEvent::new(
        format!("{} {} #{i}", WORDS[i % 8], WORDS[(i / 8) % 8]),
        CONNECTORS[i % 5],
        format!("acme/svc-{}", (i / 5) % 20),
        ts,
    );
    e.external_id = Some(format!("ext-{i}-{}", painchain_core::new_id()));
    e.integration_id = Some(format!("int-{}", i % 5));
    e.kind = Some(KINDS[i % 6].to_string());
    e.status = Some(["success", "failure"][i % 2].to_string());
    e.environment = Some(["production", "staging"][(i / 2) % 2].to_string());
    e.tags = vec![
        format!("team-{}", i % 10),
        ["prod", "staging"][i % 2].to_string(),
    ];
    e.refs = vec![Ref::new("commit", format!("{:040x}", i / 3))];
    e.data = json!({"branch": format!("feature/{}", i % 50), "author": format!("user{}", i % 30), "n": i})
        .as_object()
        .unwrap()
        .clone();
    e
}

async fn seed(store: &dyn Store, target: usize) {
    let have = store
        .count_events("bench", &EventFilter::default())
        .await
        .unwrap() as usize;
    let started = Instant::now();
    let mut i = have;
    while i < target {
        let n = (target - i).min(1000);
        let batch = (i..i + n).map(|k| event(k, 7 * 86400)).collect();
        store.insert_events("bench", batch).await.unwrap();
        i += n;
    }
    if target > have {
        let secs = started.elapsed().as_secs_f64();
        println!(
            "  seeded {} events in batches of 1000: {:.0} events/s",
            target - have,
            (target - have) as f64 / secs
        );
    }
}

async fn concurrent_inserts(store: Arc<dyn Store>, total: usize, concurrency: usize) {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let store = store.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return lat;
                }
                let t = Instant::now();
                store.insert_event("ingest", event(i, 3600)).await.unwrap();
                lat.push(t.elapsed());
            }
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort();
    println!(
        "  {total} concurrent single inserts ({concurrency} tasks): {:.0} inserts/s, latency p50 {:.1} ms, p99 {:.1} ms",
        total as f64 / secs,
        ms(lat[lat.len() / 2]),
        ms(lat[lat.len() * 99 / 100]),
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn measure<F, Fut>(name: &str, reps: usize, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    f().await; // warm up
    let mut lat = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        f().await;
        lat.push(t.elapsed());
    }
    lat.sort();
    println!(
        "  {name:<34} p50 {:>7.2} ms   p99 {:>7.2} ms",
        ms(lat[lat.len() / 2]),
        ms(lat[(lat.len() * 99 / 100).min(lat.len() - 1)]),
    );
}

async fn queries(store: &dyn Store, reps: usize) {
    let d = EventFilter::default;
    let now = Utc::now();
    let filters: Vec<(&str, EventFilter)> = vec![
        ("none", d()),
        (
            "connector",
            EventFilter {
                connectors: vec!["gitlab".into()],
                ..d()
            },
        ),
        (
            "project",
            EventFilter {
                projects: vec!["acme/svc-7".into()],
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
                tags: vec!["team-3".into()],
                ..d()
            },
        ),
        (
            "ref",
            EventFilter {
                refs: vec![Ref::new("commit", format!("{:040x}", 1234))],
                ..d()
            },
        ),
        (
            "q",
            EventFilter {
                q: Some("hotfix".into()),
                ..d()
            },
        ),
        (
            "q rare",
            EventFilter {
                q: Some("user7 feature/13".into()),
                ..d()
            },
        ),
        (
            "last hour",
            EventFilter {
                start: Some(now - chrono::Duration::hours(1)),
                ..d()
            },
        ),
        (
            "connector+project+day",
            EventFilter {
                connectors: vec!["github".into()],
                projects: vec!["acme/svc-3".into(), "acme/svc-8".into()],
                start: Some(now - chrono::Duration::days(1)),
                ..d()
            },
        ),
    ];
    for (name, f) in &filters {
        measure(&format!("list 50 [{name}]"), reps, || async {
            store
                .list_events(
                    "bench",
                    f,
                    &Page {
                        limit: 50,
                        cursor: None,
                        offset: None,
                    },
                )
                .await
                .unwrap();
        })
        .await;
    }
    let first = store
        .list_events(
            "bench",
            &d(),
            &Page {
                limit: 50,
                cursor: None,
                offset: None,
            },
        )
        .await
        .unwrap();
    measure("list 50 [page 2 by cursor]", reps, || async {
        store
            .list_events(
                "bench",
                &d(),
                &Page {
                    limit: 50,
                    cursor: first.next.clone(),
                    offset: None,
                },
            )
            .await
            .unwrap();
    })
    .await;
    for (name, f) in &filters {
        measure(&format!("count [{name}]"), reps, || async {
            store.count_events("bench", f).await.unwrap();
        })
        .await;
    }
    let hour = 3_600_000_000_000i64;
    for (name, f) in &filters[..3] {
        measure(
            &format!("histogram 1h x connector [{name}]"),
            reps,
            || async {
                store
                    .histogram("bench", f, hour, GroupBy::Connector)
                    .await
                    .unwrap();
            },
        )
        .await;
        measure(&format!("group counts project [{name}]"), reps, || async {
            store
                .group_counts("bench", f, GroupBy::Project)
                .await
                .unwrap();
        })
        .await;
        measure(&format!("time span [{name}]"), reps, || async {
            store.time_span("bench", f).await.unwrap();
        })
        .await;
    }
    measure("list projects", reps, || async {
        store.list_projects("bench").await.unwrap();
    })
    .await;
}

async fn run(name: &str, store: Arc<dyn Store>) {
    let events = env("PAINCHAIN_BENCH_EVENTS", 100_000);
    let inserts = env("PAINCHAIN_BENCH_INSERTS", 20_000);
    let concurrency = env("PAINCHAIN_BENCH_CONCURRENCY", 64);
    let reps = env("PAINCHAIN_BENCH_QUERIES", 100);
    println!("{name}:");
    concurrent_inserts(store.clone(), inserts, concurrency).await;
    seed(&*store, events).await;
    println!("  queries over {events} events (tenant `bench`):");
    queries(&*store, reps).await;
    store.close().await;
}

#[tokio::main]
async fn main() {
    let tmp = match std::env::var("PAINCHAIN_BENCH_SQLITE_PATH") {
        // Reuse a seeded file across runs (seeding 1M events takes a while).
        Ok(p) => (std::path::PathBuf::from(p), None),
        Err(_) => {
            let t = TempSqlite::new().unwrap();
            (t.path.clone(), Some(t))
        }
    };
    let store = SqliteStore::open(&tmp.0).await.unwrap();
    run("sqlite", Arc::new(store)).await;

    if let Ok(url) = std::env::var("PAINCHAIN_BENCH_PG_URL") {
        let store = PgStore::connect(&url).await.unwrap();
        run("postgres", Arc::new(store)).await;
    } else if let Some(db) = PgTestDb::create().await {
        let store = PgStore::connect(&db.url).await.unwrap();
        run("postgres", Arc::new(store)).await;
    }
}
