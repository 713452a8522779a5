//! One behavioural suite for every `Store` implementation. Each test is a
//! plain async fn over a [`Ctx`]; the `conformance!` macro instantiates it
//! once per backend (SQLite in a temp dir; PostgreSQL in a fresh database
//! when `PAINCHAIN_TEST_DATABASE_URL` is set).

use std::{collections::HashSet, sync::Arc, time::Duration};

use chrono::{DateTime, TimeZone, Utc};
use painchain_core::{
    filter::Page, integration::Integration, token::Scope, Cursor, Event, EventFilter, GroupBy,
    NewEvent, Ref,
};
use painchain_store::{
    testing::{PgTestDb, TempSqlite},
    ConnectorRequest, ConnectorType, DeclaredApply, DeclaredRow, InsertOutcome, IntegrationEdit,
    IntegrationStatus, NewToken, PgStore, RequestKind, SqliteStore, Store, StoreError,
};
use serde_json::json;

// ---------------------------------------------------------------- harness

enum Db {
    Sqlite(TempSqlite),
    Pg(Box<PgTestDb>),
}

pub struct Ctx {
    store: Arc<dyn Store>,
    db: Db,
}

impl Ctx {
    async fn sqlite() -> Ctx {
        let tmp = TempSqlite::new().unwrap();
        let store = SqliteStore::open(&tmp.path).await.unwrap();
        Ctx {
            store: Arc::new(store),
            db: Db::Sqlite(tmp),
        }
    }

    async fn postgres() -> Option<Ctx> {
        let db = PgTestDb::create().await?;
        let store = PgStore::connect(&db.url).await.unwrap();
        Some(Ctx {
            store: Arc::new(store),
            db: Db::Pg(Box::new(db)),
        })
    }

    /// Another store instance on the same database (a second process).
    async fn open_again(&self) -> Arc<dyn Store> {
        match &self.db {
            Db::Sqlite(t) => Arc::new(SqliteStore::open(&t.path).await.unwrap()),
            Db::Pg(db) => Arc::new(PgStore::connect(&db.url).await.unwrap()),
        }
    }
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let ctx = super::Ctx::sqlite().await;
                    super::$name(&ctx).await;
                    ctx.store.close().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(ctx) = super::Ctx::postgres().await else { return };
                    super::$name(&ctx).await;
                    ctx.store.close().await;
                }
            )*
        }
    };
}

conformance!(
    integration_edits_are_narrow_and_versioned,
    sync_times_only_move_forward,
    declared_integrations_upsert_and_prune,
    declared_integrations_two_instances_at_once,
    round_trip_keeps_every_field,
    missing_and_foreign_events_are_none,
    dedup_by_tenant_integration_and_external_id,
    concurrent_inserts_of_one_key_create_once,
    dedup_across_two_store_instances,
    null_integration_dedup_is_per_connector,
    extreme_stored_timestamps_aggregate_without_overflow,
    batch_outcomes_and_duplicates_inside_a_batch,
    batch_is_atomic,
    events_and_cursor_commit_together,
    events_and_cursor_fail_together,
    filters_match_the_in_memory_reference,
    free_text_search_never_errors,
    keyset_pagination_is_stable_under_inserts,
    offset_pagination,
    counts_histogram_groups_and_span,
    aggregates_agree_with_events_for_any_range,
    projects_accumulate_counts_and_tags,
    retention_deletes_oldest_first,
    purge_integration_events,
    teams_crud_and_conflict,
    tokens_lifecycle,
    connector_tokens_and_expiry,
    connector_types_upsert,
    integrations_crud_cursors_status,
    integration_lookup_across_tenants,
    connector_requests_are_claimed_once_and_answered,
    integration_tags_match_the_tag_filter,
    tenants_are_isolated,
    reopening_keeps_data,
    closed_store_refuses_writes,
    other_instances_are_notified_of_inserts,
);

// ---------------------------------------------------------------- helpers

const T: &str = "acme";
const OTHER: &str = "globex";

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
}

fn ev(title: &str, connector: &str, project: &str, ts: DateTime<Utc>) -> NewEvent {
    NewEvent::new(title, connector, project, ts)
}

fn keyed(ext: &str, ts: DateTime<Utc>) -> NewEvent {
    let mut e = ev(&format!("event {ext}"), "github", "acme/api", ts);
    e.external_id = Some(ext.to_string());
    e.integration_id = Some("int-1".to_string());
    e
}

async fn insert(s: &dyn Store, tenant: &str, e: NewEvent) -> String {
    match s.insert_event(tenant, e).await.unwrap() {
        InsertOutcome::Created { id, .. } => id,
        other => panic!("expected Created, got {other:?}"),
    }
}

async fn all_events(s: &dyn Store, tenant: &str, f: &EventFilter) -> Vec<Event> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = s
            .list_events(
                tenant,
                f,
                &Page {
                    limit: 1000,
                    cursor: cursor.take(),
                    offset: None,
                },
            )
            .await
            .unwrap();
        out.extend(page.events);
        match page.next {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

fn ids(events: &[Event]) -> Vec<String> {
    events.iter().map(|e| e.id.clone()).collect()
}

fn integration(tenant: &str, id: &str, ty: &str, tags: serde_json::Value) -> Integration {
    Integration {
        id: id.to_string(),
        tenant_id: tenant.to_string(),
        integration_type: ty.to_string(),
        name: format!("{ty} {id}"),
        config: json!({"name": id, "tags": tags, "token": "enc:abc"}),
        status: "active".to_string(),
        enabled: true,
        managed_by: None,
        last_sync: None,
        registered_at: at(0),
        updated_at: at(0),
    }
}

fn page(limit: u32) -> Page {
    Page {
        limit,
        cursor: None,
        offset: None,
    }
}

// ---------------------------------------------------------------- events

async fn round_trip_keeps_every_field(ctx: &Ctx) {
    let s = &*ctx.store;
    let ts = painchain_core::time::parse("2024-03-01T10:00:00.123456789+02:00").unwrap();
    let mut e = ev("Deploy api v1.2.3", "kubernetes", "acme/api", ts);
    e.external_id = Some("deploy-42".into());
    e.integration_id = Some("int-k8s".into());
    e.data = json!({"replicas": 3, "nested": {"a": [1, 2.5, null, "ü"]}, "ok": true})
        .as_object()
        .unwrap()
        .clone();
    e.tags = vec!["prod".into(), "backend".into()];
    e.kind = Some("service.deployed".into());
    e.status = Some("success".into());
    e.url = Some("https://example.com/d/42".into());
    e.actor = Some("alice".into());
    e.environment = Some("production".into());
    e.service = Some("api".into());
    e.refs = vec![Ref::new("commit", "abc123"), Ref::new("image", "sha256:ff")];
    e.extra = json!({"severity": "high", "n": 1})
        .as_object()
        .unwrap()
        .clone();

    let before = Utc::now();
    let out = s.insert_event(T, e.clone()).await.unwrap();
    let InsertOutcome::Created { id, stored_at } = out else {
        panic!("{out:?}")
    };
    assert!(stored_at >= before - chrono::Duration::seconds(1) && stored_at <= Utc::now());
    let got = s.get_event(T, &id).await.unwrap().expect("stored");
    let want = e.into_event(id.clone(), T.to_string(), got.created_at);
    assert_eq!(got, want);
    assert_eq!(
        painchain_core::time::format(got.timestamp),
        "2024-03-01T08:00:00.123456789Z"
    );
    assert_eq!(got.created_at, stored_at);

    // Minimal event: options stay None, collections empty.
    let id = insert(s, T, ev("x", "git", "p", at(1))).await;
    let got = s.get_event(T, &id).await.unwrap().unwrap();
    assert_eq!(got.external_id, None);
    assert!(
        got.data.is_empty() && got.tags.is_empty() && got.refs.is_empty() && got.extra.is_empty()
    );
    s.ping().await.unwrap();
    assert!(matches!(s.backend(), "sqlite" | "postgres"));
}

async fn missing_and_foreign_events_are_none(ctx: &Ctx) {
    let s = &*ctx.store;
    let id = insert(s, T, ev("x", "git", "p", at(1))).await;
    assert!(s.get_event(OTHER, &id).await.unwrap().is_none());
    assert!(s.get_event(T, "nope").await.unwrap().is_none());
    assert!(s.get_event(T, "' OR 1=1 --").await.unwrap().is_none());
}

async fn dedup_by_tenant_integration_and_external_id(ctx: &Ctx) {
    let s = &*ctx.store;
    let first = insert(s, T, keyed("pr-1", at(1))).await;
    let again = s.insert_event(T, keyed("pr-1", at(2))).await.unwrap();
    assert_eq!(again, InsertOutcome::Duplicate { id: first.clone() });

    // Another integration, no integration, another tenant: all distinct keys.
    let mut other_int = keyed("pr-1", at(1));
    other_int.integration_id = Some("int-2".into());
    insert(s, T, other_int).await;
    let mut no_int = keyed("pr-1", at(1));
    no_int.integration_id = None;
    let no_int_id = insert(s, T, no_int.clone()).await;
    assert_eq!(
        s.insert_event(T, no_int).await.unwrap(),
        InsertOutcome::Duplicate { id: no_int_id }
    );
    insert(s, OTHER, keyed("pr-1", at(1))).await;

    // Without externalId events always insert.
    let plain = ev("same", "git", "p", at(5));
    let a = insert(s, T, plain.clone()).await;
    let b = insert(s, T, plain).await;
    assert_ne!(a, b);
    assert_eq!(s.count_events(T, &EventFilter::default()).await.unwrap(), 5);
}

async fn null_integration_dedup_is_per_connector(ctx: &Ctx) {
    let s = &*ctx.store;
    let build = |connector: &str| {
        let mut e = ev("build 1", connector, "acme/api", at(1));
        e.external_id = Some("build-1".into());
        e
    };
    // Once lost: `ci/build-1` then `jenkins/build-1` was a 409.
    let ci = insert(s, T, build("ci")).await;
    let jenkins = insert(s, T, build("jenkins")).await;
    assert_ne!(ci, jenkins);
    assert_eq!(
        s.insert_event(T, build("ci")).await.unwrap(),
        InsertOutcome::Duplicate { id: ci.clone() }
    );
    // The same in one batch, and an integration's events stay one namespace
    // whatever their connector says.
    let mut a = build("gitlab");
    a.external_id = Some("build-2".into());
    let mut b = a.clone();
    b.connector = "drone".into();
    let mut c = a.clone();
    c.integration_id = Some("int-9".into());
    let mut d = c.clone();
    d.connector = "other".into();
    let outs = s
        .insert_events(T, vec![a, b, c, d, build("jenkins")])
        .await
        .unwrap();
    assert!(matches!(outs[0], InsertOutcome::Created { .. }), "{outs:?}");
    assert!(matches!(outs[1], InsertOutcome::Created { .. }), "{outs:?}");
    let InsertOutcome::Created { id: c_id, .. } = &outs[2] else {
        panic!("{outs:?}")
    };
    assert_eq!(outs[3], InsertOutcome::Duplicate { id: c_id.clone() });
    assert_eq!(outs[4], InsertOutcome::Duplicate { id: jenkins });
    assert_eq!(s.count_events(T, &EventFilter::default()).await.unwrap(), 5);
}

/// Events stored before timestamps were range-checked (clamped to the ends
/// of i64 nanoseconds: 1677-09-21 and 2262-04-11) must not break totals,
/// group counts, spans or histograms of any width.
async fn extreme_stored_timestamps_aggregate_without_overflow(ctx: &Ctx) {
    let s = &*ctx.store;
    let lo = painchain_core::time::from_nanos(i64::MIN);
    let hi = painchain_core::time::from_nanos(i64::MAX);
    insert(s, T, ev("first", "git", "p", lo)).await;
    insert(s, T, ev("last", "git", "p", hi)).await;
    insert(s, T, ev("now", "github", "p", at(0))).await;
    let all = EventFilter::default();
    assert_eq!(s.count_events(T, &all).await.unwrap(), 3);
    assert_eq!(s.time_span(T, &all).await.unwrap(), Some((lo, hi)));
    let groups = s.group_counts(T, &all, GroupBy::Connector).await.unwrap();
    assert_eq!(groups.iter().map(|g| g.count).sum::<i64>(), 3);
    let year = 365 * 86_400 * 1_000_000_000i64;
    for width in [
        1_000_000_000,
        3_600_000_000_000,
        year,
        10 * year,
        i64::MAX / 2,
    ] {
        let h = s
            .histogram(T, &all, width, GroupBy::Connector)
            .await
            .unwrap();
        assert_eq!(h.iter().map(|b| b.count).sum::<i64>(), 3, "width {width}");
        // The first bucket's start is clamped, never wrapped around.
        let starts: Vec<i64> = h.iter().map(|b| b.start_nanos).collect();
        assert!(starts.windows(2).all(|w| w[0] <= w[1]), "{starts:?}");
        assert!(starts[0] <= i64::MIN / 2 && *starts.last().unwrap() > 0);
    }
    // Ranges touching the ends (rollup spans and raw remainders).
    let f = EventFilter {
        start: Some(lo),
        end: Some(at(0)),
        ..Default::default()
    };
    assert_eq!(s.count_events(T, &f).await.unwrap(), 2);
    let f = EventFilter {
        start: Some(at(0)),
        end: Some(hi),
        ..Default::default()
    };
    assert_eq!(s.count_events(T, &f).await.unwrap(), 2);
    let h = s
        .histogram(T, &f, 86_400_000_000_000, GroupBy::Project)
        .await
        .unwrap();
    assert_eq!(h.iter().map(|b| b.count).sum::<i64>(), 2);
    // And they can be deleted again (rollups decremented without overflow).
    assert_eq!(s.delete_events_before(at(-1), 100).await.unwrap(), 1);
    assert_eq!(s.count_events(T, &all).await.unwrap(), 2);
}

async fn concurrent_inserts_of_one_key_create_once(ctx: &Ctx) {
    let mut tasks = Vec::new();
    for i in 0..32 {
        let s = ctx.store.clone();
        tasks.push(tokio::spawn(async move {
            s.insert_event(T, keyed("race", at(i))).await.unwrap()
        }));
    }
    let mut created = 0;
    let mut ids = HashSet::new();
    for t in tasks {
        let out = t.await.unwrap();
        created += matches!(out, InsertOutcome::Created { .. }) as usize;
        ids.insert(out.id().to_string());
    }
    assert_eq!(created, 1);
    assert_eq!(ids.len(), 1, "every duplicate names the stored event");
    assert_eq!(
        ctx.store
            .count_events(T, &EventFilter::default())
            .await
            .unwrap(),
        1
    );
}

async fn dedup_across_two_store_instances(ctx: &Ctx) {
    let a = ctx.store.clone();
    let b = ctx.open_again().await;
    let mut tasks = Vec::new();
    for key in 0..20 {
        for (n, s) in [a.clone(), b.clone(), a.clone(), b.clone()]
            .into_iter()
            .enumerate()
        {
            tasks.push(tokio::spawn(async move {
                let out = s
                    .insert_event(T, keyed(&format!("k{key}"), at(n as i64)))
                    .await
                    .unwrap();
                (key, out)
            }));
        }
    }
    let mut created = vec![0; 20];
    let mut ids: Vec<HashSet<String>> = vec![HashSet::new(); 20];
    for t in tasks {
        let (key, out) = t.await.unwrap();
        created[key] += matches!(out, InsertOutcome::Created { .. }) as usize;
        ids[key].insert(out.id().to_string());
    }
    assert!(created.iter().all(|&c| c == 1), "{created:?}");
    assert!(ids.iter().all(|s| s.len() == 1));
    assert_eq!(
        a.count_events(T, &EventFilter::default()).await.unwrap(),
        20
    );
    assert_eq!(
        b.count_events(T, &EventFilter::default()).await.unwrap(),
        20
    );
    b.close().await;
}

async fn batch_outcomes_and_duplicates_inside_a_batch(ctx: &Ctx) {
    let s = &*ctx.store;
    let existing = insert(s, T, keyed("old", at(0))).await;
    let outs = s
        .insert_events(
            T,
            vec![
                keyed("a", at(1)),
                keyed("a", at(2)),
                keyed("old", at(3)),
                ev("plain", "git", "p", at(4)),
                keyed("b", at(5)),
                keyed("old", at(6)),
            ],
        )
        .await
        .unwrap();
    assert_eq!(outs.len(), 6);
    let InsertOutcome::Created { id: a, .. } = &outs[0] else {
        panic!("{outs:?}")
    };
    assert_eq!(outs[1], InsertOutcome::Duplicate { id: a.clone() });
    assert_eq!(
        outs[2],
        InsertOutcome::Duplicate {
            id: existing.clone()
        }
    );
    assert!(matches!(outs[3], InsertOutcome::Created { .. }));
    assert!(matches!(outs[4], InsertOutcome::Created { .. }));
    assert_eq!(outs[5], InsertOutcome::Duplicate { id: existing });
    // The first occurrence wins: its timestamp is the stored one.
    assert_eq!(s.get_event(T, a).await.unwrap().unwrap().timestamp, at(1));
    assert_eq!(s.count_events(T, &EventFilter::default()).await.unwrap(), 4);
    assert!(s.insert_events(T, Vec::new()).await.unwrap().is_empty());

    // Concurrent batches and single inserts sharing keys still resolve.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let st = ctx.store.clone();
        tasks.push(tokio::spawn(async move {
            st.insert_events(T, (0..10).map(|k| keyed(&format!("c{k}"), at(i))).collect())
                .await
                .unwrap()
        }));
    }
    let mut created = 0;
    for t in tasks {
        created += t
            .await
            .unwrap()
            .iter()
            .filter(|o| matches!(o, InsertOutcome::Created { .. }))
            .count();
    }
    assert_eq!(created, 10);
}

async fn batch_is_atomic(ctx: &Ctx) {
    let s = &*ctx.store;
    // PostgreSQL refuses NUL in text; SQLite stores it. Either way a batch is
    // all or nothing.
    let mut bad = ev("nul \0 title", "git", "p", at(2));
    bad.external_id = Some("bad".into());
    let res = s
        .insert_events(T, vec![keyed("x1", at(1)), bad, keyed("x2", at(3))])
        .await;
    let n = s.count_events(T, &EventFilter::default()).await.unwrap();
    match res {
        Ok(outs) => {
            assert_eq!(outs.len(), 3);
            assert_eq!(n, 3);
        }
        Err(_) => assert_eq!(n, 0),
    }
    // The store still works after a failed batch.
    insert(s, T, keyed("after", at(4))).await;
}

async fn events_and_cursor_commit_together(ctx: &Ctx) {
    let s = &*ctx.store;
    let outs = s
        .insert_events_with_cursor(
            T,
            vec![keyed("a", at(1)), keyed("b", at(2))],
            "int-1",
            json!({"n": 1}),
        )
        .await
        .unwrap();
    assert!(outs
        .iter()
        .all(|o| matches!(o, InsertOutcome::Created { .. })));
    assert_eq!(
        s.get_cursor(T, "int-1").await.unwrap(),
        Some(json!({"n": 1}))
    );
    assert!(s.get_cursor(OTHER, "int-1").await.unwrap().is_none());

    // Duplicates still move the cursor: they are accepted.
    let outs = s
        .insert_events_with_cursor(
            T,
            vec![keyed("a", at(1)), keyed("c", at(3))],
            "int-1",
            json!({"n": 2}),
        )
        .await
        .unwrap();
    assert!(matches!(outs[0], InsertOutcome::Duplicate { .. }));
    assert!(matches!(outs[1], InsertOutcome::Created { .. }));
    assert_eq!(
        s.get_cursor(T, "int-1").await.unwrap(),
        Some(json!({"n": 2}))
    );

    // No events: just the cursor.
    let outs = s
        .insert_events_with_cursor(T, Vec::new(), "int-1", json!({"n": 3}))
        .await
        .unwrap();
    assert!(outs.is_empty());
    assert_eq!(
        s.get_cursor(T, "int-1").await.unwrap(),
        Some(json!({"n": 3}))
    );
    assert_eq!(s.count_events(T, &EventFilter::default()).await.unwrap(), 3);

    // Many integrations at once share group commits; each keeps its own.
    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = ctx.store.clone();
        tasks.push(tokio::spawn(async move {
            let mut e = keyed(&format!("k{i}"), at(10 + i));
            e.integration_id = Some(format!("int-g{i}"));
            store
                .insert_events_with_cursor(T, vec![e], &format!("int-g{i}"), json!({"i": i}))
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    for i in 0..24 {
        assert_eq!(
            s.get_cursor(T, &format!("int-g{i}")).await.unwrap(),
            Some(json!({"i": i}))
        );
    }
}

async fn events_and_cursor_fail_together(ctx: &Ctx) {
    let s = &*ctx.store;
    s.put_cursor(T, "int-1", &json!({"n": 0})).await.unwrap();
    // PostgreSQL's jsonb refuses `\u0000`; SQLite stores it. Either way the
    // events and the cursor land together or not at all.
    let res = s
        .insert_events_with_cursor(T, vec![keyed("a", at(1))], "int-1", json!({"n": "1\u{0}"}))
        .await;
    let n = s.count_events(T, &EventFilter::default()).await.unwrap();
    let cursor = s.get_cursor(T, "int-1").await.unwrap();
    match res {
        Ok(_) => {
            assert_eq!(n, 1);
            assert_eq!(cursor, Some(json!({"n": "1\u{0}"})));
        }
        Err(_) => {
            assert_eq!(n, 0, "events stored although their cursor failed");
            assert_eq!(cursor, Some(json!({"n": 0})));
        }
    }
    insert(s, T, keyed("after", at(4))).await;
}

/// A varied data set; returns the events as stored.
async fn seed(s: &dyn Store, tenant: &str) -> Vec<Event> {
    let connectors = ["github", "gitlab", "kubernetes"];
    let projects = ["acme/api", "acme/web", "infra"];
    let kinds = [Some("change.merged"), Some("service.deployed"), None];
    let statuses = [Some("success"), Some("failure"), None, Some("success")];
    let envs = [Some("production"), Some("staging"), None];
    let words = ["deploy", "rollback", "merge", "hotfix", "release"];
    let mut batch = Vec::new();
    for i in 0..60i64 {
        let u = i as usize;
        let mut e = ev(
            &format!("{} #{i} for {}", words[u % 5], projects[u % 3]),
            connectors[u % 3],
            projects[(u / 3) % 3],
            // Some equal timestamps, to exercise the id tie-break.
            at(i / 2),
        );
        e.kind = kinds[u % 3].map(String::from);
        e.status = statuses[u % 4].map(String::from);
        e.environment = envs[(u / 2) % 3].map(String::from);
        e.integration_id = match u % 3 {
            0 => Some("int-a".to_string()),
            1 => Some("int-b".to_string()),
            _ => None,
        };
        e.tags = match u % 4 {
            0 => vec!["prod".into()],
            1 => vec!["prod".into(), "backend".into()],
            2 => vec!["frontend".into()],
            _ => vec![],
        };
        e.refs = vec![Ref::new("commit", format!("c{}", u % 7))];
        if u.is_multiple_of(5) {
            e.refs.push(Ref::new("pr", format!("{}", u % 10)));
        }
        e.data = json!({"branch": format!("feature-{}", u % 4), "num": i})
            .as_object()
            .unwrap()
            .clone();
        batch.push(e);
    }
    let outs = s.insert_events(tenant, batch).await.unwrap();
    let mut out = Vec::new();
    for o in outs {
        out.push(s.get_event(tenant, o.id()).await.unwrap().unwrap());
    }
    out.sort_by(|a, b| (b.timestamp, &b.id).cmp(&(a.timestamp, &a.id)));
    out
}

fn sample_filters() -> Vec<EventFilter> {
    let d = EventFilter::default;
    vec![
        d(),
        EventFilter {
            connectors: vec!["github".into()],
            ..d()
        },
        EventFilter {
            connectors: vec!["github".into(), "gitlab".into()],
            ..d()
        },
        EventFilter {
            projects: vec!["infra".into()],
            ..d()
        },
        EventFilter {
            kinds: vec!["change.merged".into()],
            ..d()
        },
        EventFilter {
            statuses: vec!["failure".into()],
            ..d()
        },
        EventFilter {
            environments: vec!["staging".into(), "production".into()],
            ..d()
        },
        EventFilter {
            integration_ids: vec!["int-b".into()],
            ..d()
        },
        EventFilter {
            tags: vec!["backend".into()],
            ..d()
        },
        EventFilter {
            tags: vec!["frontend".into(), "backend".into()],
            ..d()
        },
        EventFilter {
            tags: vec!["team-a".into()],
            ..d()
        },
        EventFilter {
            refs: vec![Ref::new("commit", "c3")],
            ..d()
        },
        EventFilter {
            refs: vec![Ref::new("commit", "c3"), Ref::new("pr", "5")],
            ..d()
        },
        EventFilter {
            start: Some(at(5)),
            end: Some(at(10)),
            ..d()
        },
        EventFilter {
            start: Some(at(28)),
            ..d()
        },
        EventFilter {
            end: Some(at(0)),
            ..d()
        },
        EventFilter {
            q: Some("deploy".into()),
            ..d()
        },
        EventFilter {
            q: Some("ROLLBACK acme".into()),
            ..d()
        },
        EventFilter {
            q: Some("release feature".into()),
            ..d()
        },
        EventFilter {
            connectors: vec!["github".into()],
            tags: vec!["prod".into(), "team-a".into()],
            start: Some(at(3)),
            q: Some("merge".into()),
            ..d()
        },
        EventFilter {
            connectors: vec!["nope".into()],
            ..d()
        },
    ]
}

async fn filters_match_the_in_memory_reference(ctx: &Ctx) {
    let s = &*ctx.store;
    s.create_integration(&integration(T, "int-a", "github", json!(["team-a"])))
        .await
        .unwrap();
    let events = seed(s, T).await;
    let int_tags = |e: &Event| -> Vec<String> {
        if e.integration_id.as_deref() == Some("int-a") {
            vec!["team-a".to_string()]
        } else {
            vec![]
        }
    };
    for f in sample_filters() {
        let want: Vec<String> = events
            .iter()
            .filter(|e| f.matches(e, &int_tags(e)))
            .map(|e| e.id.clone())
            .collect();
        let got = all_events(s, T, &f).await;
        assert_eq!(ids(&got), want, "filter {f:?}");
        assert_eq!(
            s.count_events(T, &f).await.unwrap(),
            want.len() as i64,
            "{f:?}"
        );
    }
    // Sanity: the reference itself selects something for most filters.
    assert!(events.len() == 60);
}

async fn free_text_search_never_errors(ctx: &Ctx) {
    let s = &*ctx.store;
    let mut e = ev(
        "Hotfix: \"quoted\" (paren) O'Brien *star* -minus ünïcödé 日本語",
        "git",
        "p",
        at(1),
    );
    e.data = json!({"msg": "AND OR NOT NEAR col:val"})
        .as_object()
        .unwrap()
        .clone();
    insert(s, T, e).await;
    let nasty = [
        "",
        " ",
        "\"",
        "\"\"",
        "'",
        "''",
        "O'Brien",
        ":",
        "col:val",
        "(",
        ")",
        "(paren",
        "*",
        "star*",
        "-",
        "-minus",
        "AND",
        "OR",
        "NOT",
        "NEAR(a b)",
        "a OR",
        "^",
        "\\",
        "%",
        "_",
        "\0",
        "ünïcödé",
        "日本語",
        "🔥",
        "' OR 1=1 --",
        "\"; DROP TABLE events; --",
        "a & b | !c",
        "x:*",
        "<->",
        "{}",
        "[]",
        "$1",
        "?",
    ];
    for q in nasty {
        let f = EventFilter {
            q: Some(q.to_string()),
            ..Default::default()
        };
        s.list_events(T, &f, &page(10))
            .await
            .unwrap_or_else(|e| panic!("{q:?}: {e}"));
        s.count_events(T, &f)
            .await
            .unwrap_or_else(|e| panic!("{q:?}: {e}"));
    }
    // Random strings from a nasty alphabet.
    let alphabet: Vec<char> = "ab \"'():*-^&|!<>\\%_ü日\t".chars().collect();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..200 {
        let len = (seed % 12) as usize;
        let q: String = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                alphabet[(seed % alphabet.len() as u64) as usize]
            })
            .collect();
        let f = EventFilter {
            q: Some(q.clone()),
            ..Default::default()
        };
        s.count_events(T, &f)
            .await
            .unwrap_or_else(|e| panic!("{q:?}: {e}"));
    }
    for (q, n) in [
        ("hotfix", 1),
        ("HOT", 1),
        ("brien", 1),
        ("quot paren", 1),
        ("col", 1),
        ("val", 1),
        ("日本語", 1),
        ("missing", 0),
    ] {
        let f = EventFilter {
            q: Some(q.to_string()),
            ..Default::default()
        };
        assert_eq!(s.count_events(T, &f).await.unwrap(), n, "{q}");
    }
}

async fn keyset_pagination_is_stable_under_inserts(ctx: &Ctx) {
    let s = &*ctx.store;
    let batch: Vec<NewEvent> = (0..250).map(|i| ev("e", "git", "p", at(i / 3))).collect();
    s.insert_events(T, batch).await.unwrap();
    let before = all_events(s, T, &EventFilter::default()).await;
    assert_eq!(before.len(), 250);

    let mut seen = Vec::new();
    let mut cursor: Option<Cursor> = None;
    let mut round = 0;
    loop {
        let p = s
            .list_events(
                T,
                &EventFilter::default(),
                &Page {
                    limit: 40,
                    cursor: cursor.clone(),
                    offset: None,
                },
            )
            .await
            .unwrap();
        assert!(p.events.len() <= 40);
        seen.extend(p.events);
        // Concurrent writers: newer, older and same-second events.
        round += 1;
        s.insert_events(
            T,
            vec![
                ev("new", "git", "p", at(1000 + round)),
                ev("old", "git", "p", at(-round)),
                ev("mid", "git", "p", at(40)),
            ],
        )
        .await
        .unwrap();
        match p.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let seen_ids = ids(&seen);
    let unique: HashSet<&String> = seen_ids.iter().collect();
    assert_eq!(unique.len(), seen_ids.len(), "no duplicates");
    for e in &before {
        assert!(unique.contains(&e.id), "pre-existing event missing");
    }
    for w in seen.windows(2) {
        assert!(
            (w[0].timestamp, &w[0].id) > (w[1].timestamp, &w[1].id),
            "strictly descending"
        );
    }
}

async fn offset_pagination(ctx: &Ctx) {
    let s = &*ctx.store;
    s.insert_events(T, (0..30).map(|i| ev("e", "git", "p", at(i))).collect())
        .await
        .unwrap();
    let all = all_events(s, T, &EventFilter::default()).await;
    let p = s
        .list_events(
            T,
            &EventFilter::default(),
            &Page {
                limit: 5,
                cursor: None,
                offset: Some(10),
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(&p.events), ids(&all[10..15]));
    assert!(p.next.is_some());
    let p = s
        .list_events(
            T,
            &EventFilter::default(),
            &Page {
                limit: 5,
                cursor: None,
                offset: Some(28),
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(&p.events), ids(&all[28..]));
    assert!(p.next.is_none());
    let p = s
        .list_events(T, &EventFilter::default(), &page(30))
        .await
        .unwrap();
    assert_eq!(p.events.len(), 30);
    assert!(p.next.is_none(), "exactly limit rows left: no next page");
}

async fn counts_histogram_groups_and_span(ctx: &Ctx) {
    let s = &*ctx.store;
    let events = seed(s, T).await;
    let f = EventFilter::default();
    assert_eq!(s.count_events(T, &f).await.unwrap(), 60);

    let bucket = 10 * 1_000_000_000i64;
    for g in [GroupBy::Project, GroupBy::Connector] {
        let hist = s.histogram(T, &f, bucket, g).await.unwrap();
        let mut want = std::collections::BTreeMap::new();
        for e in &events {
            let ts = painchain_core::time::to_nanos(e.timestamp);
            let key = match g {
                GroupBy::Project => e.project.clone(),
                GroupBy::Connector => e.connector.clone(),
            };
            *want
                .entry((ts - ts.rem_euclid(bucket), key))
                .or_insert(0i64) += 1;
        }
        let got: std::collections::BTreeMap<(i64, String), i64> = hist
            .iter()
            .map(|b| ((b.start_nanos, b.group.clone()), b.count))
            .collect();
        assert_eq!(got, want);
        assert_eq!(hist.len(), got.len(), "one row per (bucket, group)");

        let groups = s.group_counts(T, &f, g).await.unwrap();
        assert_eq!(groups.iter().map(|g| g.count).sum::<i64>(), 60);
        assert!(groups.windows(2).all(|w| w[0].count >= w[1].count));
    }
    // Histogram honours filters; negative timestamps floor correctly.
    let gh = EventFilter {
        connectors: vec!["github".into()],
        ..Default::default()
    };
    let hist = s
        .histogram(T, &gh, bucket, GroupBy::Connector)
        .await
        .unwrap();
    assert!(hist.iter().all(|b| b.group == "github"));
    assert_eq!(hist.iter().map(|b| b.count).sum::<i64>(), 20);
    insert(
        s,
        OTHER,
        ev("old", "git", "p", Utc.timestamp_opt(-15, 0).unwrap()),
    )
    .await;
    let h = s
        .histogram(OTHER, &f, bucket, GroupBy::Project)
        .await
        .unwrap();
    assert_eq!(h[0].start_nanos, -20 * 1_000_000_000);

    let (lo, hi) = s.time_span(T, &f).await.unwrap().unwrap();
    assert_eq!((lo, hi), (at(0), at(29)));
    let (lo, hi) = s.time_span(T, &gh).await.unwrap().unwrap();
    assert!(lo >= at(0) && hi <= at(29));
    assert!(s.time_span("empty", &f).await.unwrap().is_none());
    assert_eq!(s.count_events("empty", &f).await.unwrap(), 0);
    assert!(s
        .histogram("empty", &f, bucket, GroupBy::Project)
        .await
        .unwrap()
        .is_empty());
}

/// Totals, group counts and histograms are served from pre-aggregated
/// buckets when the filter allows; they must agree with the events for any
/// range (nanosecond edges), any bucket width, and after deletions.
async fn aggregates_agree_with_events_for_any_range(ctx: &Ctx) {
    let s = &*ctx.store;
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    const S: i64 = 1_000_000_000;
    let base = 1_700_000_000 * S;
    let span = 3 * 86_400 * S;
    let batch: Vec<NewEvent> = (0..400)
        .map(|i| {
            let ts = base + (next() % span as u64) as i64;
            let mut e = ev(
                "e",
                ["github", "gitlab"][i % 2],
                ["a", "b", "c"][i % 3],
                painchain_core::time::from_nanos(ts),
            );
            // A few share an instant, a few sit exactly on bucket edges.
            if i % 40 == 0 {
                e.timestamp = painchain_core::time::from_nanos(base + 86_400 * S);
            }
            e
        })
        .collect();
    s.insert_events(T, batch).await.unwrap();

    let check = |events: Vec<Event>, seed: u64| async move {
        let mut r = seed;
        for round in 0..25 {
            r = r
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let a = base - S + ((r >> 11) % (span as u64 + 2 * S as u64)) as i64;
            r = r
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let b = a + ((r >> 11) % span as u64) as i64;
            let mut f = EventFilter {
                start: (round % 5 != 0).then(|| painchain_core::time::from_nanos(a)),
                end: (round % 7 != 0).then(|| painchain_core::time::from_nanos(b)),
                ..Default::default()
            };
            if round % 3 == 1 {
                f.projects = vec!["a".into(), "c".into()];
            }
            if round % 4 == 1 {
                f.connectors = vec!["gitlab".into()];
            }
            let want: Vec<&Event> = events.iter().filter(|e| f.matches(e, &[])).collect();
            assert_eq!(
                s.count_events(T, &f).await.unwrap(),
                want.len() as i64,
                "{f:?}"
            );
            let groups = s.group_counts(T, &f, GroupBy::Project).await.unwrap();
            let mut want_groups = std::collections::BTreeMap::new();
            for e in &want {
                *want_groups.entry(e.project.clone()).or_insert(0i64) += 1;
            }
            let got_groups: std::collections::BTreeMap<String, i64> =
                groups.into_iter().map(|g| (g.group, g.count)).collect();
            assert_eq!(got_groups, want_groups, "{f:?}");
            let bucket = [S, 7 * S, 60 * S, 300 * S, 3_600 * S, 86_400 * S, 3 * S / 2][round % 7];
            let hist = s
                .histogram(T, &f, bucket, GroupBy::Connector)
                .await
                .unwrap();
            let mut want_hist = std::collections::BTreeMap::new();
            for e in &want {
                let ts = painchain_core::time::to_nanos(e.timestamp);
                *want_hist
                    .entry((ts - ts.rem_euclid(bucket), e.connector.clone()))
                    .or_insert(0i64) += 1;
            }
            let got_hist: std::collections::BTreeMap<(i64, String), i64> = hist
                .into_iter()
                .map(|h| ((h.start_nanos, h.group), h.count))
                .collect();
            assert_eq!(got_hist, want_hist, "{f:?} bucket {bucket}");
        }
    };
    check(all_events(s, T, &EventFilter::default()).await, 1).await;
    // Deletions keep the aggregates exact.
    s.delete_events_before(painchain_core::time::from_nanos(base + 86_400 * S + 1), 150)
        .await
        .unwrap();
    check(all_events(s, T, &EventFilter::default()).await, 2).await;
    while s
        .delete_events_before(painchain_core::time::from_nanos(base + 2 * span), 1000)
        .await
        .unwrap()
        > 0
    {}
    check(Vec::new(), 3).await;
}

async fn projects_accumulate_counts_and_tags(ctx: &Ctx) {
    let s = &*ctx.store;
    let mut a = ev("a", "github", "acme/api", at(10));
    a.tags = vec!["backend".into()];
    insert(s, T, a).await;
    let mut b = ev("b", "kubernetes", "acme/api", at(20));
    b.tags = vec!["prod".into(), "backend".into()];
    let mut c = ev("c", "github", "acme/web", at(5));
    c.tags = vec!["frontend".into()];
    s.insert_events(T, vec![b, c, ev("d", "github", "acme/api", at(15))])
        .await
        .unwrap();
    // A duplicate does not count.
    insert(s, T, keyed("k", at(1))).await;
    s.insert_event(T, keyed("k", at(1))).await.unwrap();

    let projects = s.list_projects(T).await.unwrap();
    assert_eq!(projects.len(), 2);
    let api = projects.iter().find(|p| p.name == "acme/api").unwrap();
    assert_eq!(api.event_count, 4);
    assert_eq!(api.connector, "github");
    assert_eq!(api.connectors, vec!["github", "kubernetes"]);
    assert_eq!(api.tags, vec!["backend", "prod"]);
    assert_eq!(api.last_event_at, Some(at(20)));
    let web = projects.iter().find(|p| p.name == "acme/web").unwrap();
    assert_eq!(
        (web.event_count, web.tags.clone()),
        (1, vec!["frontend".to_string()])
    );
    assert_ne!(api.id, web.id);
    assert!(s.list_projects(OTHER).await.unwrap().is_empty());
}

async fn retention_deletes_oldest_first(ctx: &Ctx) {
    let s = &*ctx.store;
    for tenant in [T, OTHER] {
        let batch: Vec<NewEvent> = (0..20)
            .map(|i| {
                let mut e = ev("e", "git", if i % 2 == 0 { "even" } else { "odd" }, at(i));
                e.tags = vec!["t".into()];
                e.refs = vec![Ref::new("commit", format!("c{i}"))];
                e
            })
            .collect();
        s.insert_events(tenant, batch).await.unwrap();
    }
    // Cutoff at(10): 10 old events per tenant, 20 in all; batches of 7.
    let mut total = 0;
    let mut rounds = 0;
    loop {
        let n = s.delete_events_before(at(10), 7).await.unwrap();
        assert!(n <= 7);
        total += n;
        rounds += 1;
        if n == 0 {
            break;
        }
    }
    assert_eq!((total, rounds), (20, 4));
    for tenant in [T, OTHER] {
        let f = EventFilter::default();
        assert_eq!(s.count_events(tenant, &f).await.unwrap(), 10);
        let (lo, _) = s.time_span(tenant, &f).await.unwrap().unwrap();
        assert_eq!(lo, at(10));
        let tagged = EventFilter {
            tags: vec!["t".into()],
            ..Default::default()
        };
        assert_eq!(s.count_events(tenant, &tagged).await.unwrap(), 10);
        let gone = EventFilter {
            refs: vec![Ref::new("commit", "c3")],
            ..Default::default()
        };
        assert_eq!(s.count_events(tenant, &gone).await.unwrap(), 0);
        let projects = s.list_projects(tenant).await.unwrap();
        assert_eq!(projects.iter().map(|p| p.event_count).sum::<i64>(), 10);
        assert!(projects.iter().all(|p| p.event_count == 5));
    }
    // Everything goes: projects without events disappear.
    while s.delete_events_before(at(100), 1000).await.unwrap() > 0 {}
    assert!(s.list_projects(T).await.unwrap().is_empty());
    assert_eq!(s.delete_events_before(at(100), 0).await.unwrap(), 0);
}

async fn purge_integration_events(ctx: &Ctx) {
    let s = &*ctx.store;
    insert(s, T, keyed("a", at(1))).await;
    insert(s, T, keyed("b", at(2))).await;
    let mut other = keyed("c", at(3));
    other.integration_id = Some("int-2".into());
    insert(s, T, other).await;
    insert(s, T, ev("plain", "git", "acme/api", at(4))).await;
    insert(s, OTHER, keyed("a", at(1))).await;
    assert_eq!(s.delete_integration_events(T, "int-1").await.unwrap(), 2);
    assert_eq!(s.count_events(T, &EventFilter::default()).await.unwrap(), 2);
    assert_eq!(
        s.count_events(OTHER, &EventFilter::default())
            .await
            .unwrap(),
        1
    );
    assert_eq!(s.delete_integration_events(T, "").await.unwrap(), 0);
    let api = s.list_projects(T).await.unwrap();
    assert_eq!(api.iter().map(|p| p.event_count).sum::<i64>(), 2);
    // Purged keys can be inserted again.
    insert(s, T, keyed("a", at(1))).await;
}

// ---------------------------------------------------------------- teams & tokens

async fn teams_crud_and_conflict(ctx: &Ctx) {
    let s = &*ctx.store;
    let tags = vec!["prod".to_string(), "backend".to_string()];
    let team = s.create_team(T, "platform", &tags).await.unwrap();
    assert_eq!(
        (
            team.name.as_str(),
            team.tags.clone(),
            team.tenant_id.as_str()
        ),
        ("platform", tags.clone(), T)
    );
    assert!(matches!(
        s.create_team(T, "platform", &[]).await,
        Err(StoreError::Conflict(_))
    ));
    s.create_team(OTHER, "platform", &[]).await.unwrap();
    let web = s.create_team(T, "web", &[]).await.unwrap();

    assert_eq!(s.get_team(T, &team.id).await.unwrap().unwrap().tags, tags);
    assert!(s.get_team(OTHER, &team.id).await.unwrap().is_none());
    assert_eq!(
        s.get_team_by_name(T, "web").await.unwrap().unwrap().id,
        web.id
    );
    assert_eq!(
        s.list_teams(T)
            .await
            .unwrap()
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["platform", "web"]
    );
    // Byte order on both engines, whatever PostgreSQL's collation.
    let zeta = s.create_team(T, "Zeta", &[]).await.unwrap();
    let names: Vec<String> = s
        .list_teams(T)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["Zeta", "platform", "web"]);
    assert!(s.delete_team(T, &zeta.id).await.unwrap());

    let up = s
        .update_team(T, &web.id, Some("frontend"), Some(&["ui".to_string()]))
        .await
        .unwrap();
    assert_eq!(
        (up.name.as_str(), up.tags.clone()),
        ("frontend", vec!["ui".to_string()])
    );
    assert!(up.updated_at >= web.updated_at);
    let up = s.update_team(T, &web.id, None, None).await.unwrap();
    assert_eq!(up.name, "frontend");
    assert!(matches!(
        s.update_team(T, &web.id, Some("platform"), None).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.update_team(T, "nope", Some("x"), None).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.update_team(OTHER, &web.id, Some("x"), None).await,
        Err(StoreError::NotFound)
    ));

    assert!(!s.delete_team(OTHER, &web.id).await.unwrap());
    assert!(s.delete_team(T, &web.id).await.unwrap());
    assert!(!s.delete_team(T, &web.id).await.unwrap());
    assert!(s.get_team(T, &web.id).await.unwrap().is_none());
}

fn token(tenant: &str, name: &str, hash: &str, scope: Scope) -> NewToken {
    NewToken {
        id: painchain_core::new_id(),
        tenant_id: tenant.into(),
        name: name.into(),
        scope,
        prefix: "pc_abc123".into(),
        secret_hash: hash.into(),
        created_at: at(0),
        connector: None,
        expires_at: None,
    }
}

/// Connector tokens keep their type binding and expiry; an expired token is
/// still found (the server refuses it) but its use is not recorded.
async fn connector_tokens_and_expiry(ctx: &Ctx) {
    let s = &*ctx.store;
    let expires = Utc::now() + chrono::Duration::days(90);
    let c = s
        .create_token(&NewToken {
            connector: Some("github".into()),
            expires_at: Some(expires),
            ..token(T, "gh", "hash-c", Scope::Ingest)
        })
        .await
        .unwrap();
    assert_eq!(c.connector.as_deref(), Some("github"));
    let found = s.find_token("hash-c").await.unwrap().unwrap();
    assert_eq!(found.connector.as_deref(), Some("github"));
    assert_eq!(
        found.expires_at.map(|t| t.timestamp_millis()),
        Some(expires.timestamp_millis())
    );
    assert!(!found.expired_at(Utc::now()));
    let listed = s.list_tokens(Some(T)).await.unwrap();
    assert_eq!(listed[0].connector.as_deref(), Some("github"));

    let old = s
        .create_token(&NewToken {
            expires_at: Some(Utc::now() - chrono::Duration::seconds(1)),
            ..token("*", "old", "hash-d", Scope::Ingest)
        })
        .await
        .unwrap();
    let found = s.find_token("hash-d").await.unwrap().unwrap();
    assert!(found.expired_at(Utc::now()));
    assert_eq!(found.connector, None);
    assert_eq!(
        found.last_used_at, None,
        "an expired token's use is not recorded"
    );
    assert!(s.revoke_token(None, &old.id).await.unwrap());
    assert!(s.revoke_token(Some(T), &c.id).await.unwrap());
}

async fn tokens_lifecycle(ctx: &Ctx) {
    let s = &*ctx.store;
    let a = s
        .create_token(&token(T, "ci", "hash-a", Scope::Ingest))
        .await
        .unwrap();
    assert_eq!((a.scope, a.last_used_at), (Scope::Ingest, None));
    let b = s
        .create_token(&token(OTHER, "admin", "hash-b", Scope::Admin))
        .await
        .unwrap();
    assert!(matches!(
        s.create_token(&token(T, "dup", "hash-a", Scope::Read))
            .await,
        Err(StoreError::Conflict(_))
    ));

    let found = s.find_token("hash-a").await.unwrap().unwrap();
    assert_eq!(
        (found.id.as_str(), found.tenant_id.as_str()),
        (a.id.as_str(), T)
    );
    let used = found.last_used_at.expect("use recorded");
    assert!(Utc::now() - used < chrono::Duration::seconds(5));
    // Recorded in the database, and not rewritten on every call.
    let listed = s.list_tokens(Some(T)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].last_used_at.map(|t| t.timestamp_millis()),
        Some(used.timestamp_millis())
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    let again = s.find_token("hash-a").await.unwrap().unwrap();
    assert_eq!(
        again.last_used_at.map(|t| t.timestamp_millis()),
        Some(used.timestamp_millis())
    );
    assert!(s.find_token("nope").await.unwrap().is_none());

    assert_eq!(s.list_tokens(None).await.unwrap().len(), 2);
    assert_eq!(s.list_tokens(Some(OTHER)).await.unwrap()[0].id, b.id);
    assert!(
        !s.revoke_token(Some(T), &b.id).await.unwrap(),
        "other tenant's token"
    );
    assert!(s.revoke_token(Some(T), &a.id).await.unwrap());
    assert!(s.find_token("hash-a").await.unwrap().is_none());
    assert!(s.revoke_token(None, &b.id).await.unwrap());
    assert!(s.list_tokens(None).await.unwrap().is_empty());
}

// ---------------------------------------------------------------- integrations

async fn connector_types_upsert(ctx: &Ctx) {
    let s = &*ctx.store;
    let mut t = ConnectorType {
        id: "github".into(),
        display_name: "GitHub".into(),
        color: Some("#000".into()),
        logo: Some("data:image/png;base64,AAAA".into()),
        description: None,
        config_schema: json!({"fields": [{"key": "token", "type": "password"}]}),
        registered_at: at(1),
        last_heartbeat: None,
    };
    s.upsert_connector_type(&t).await.unwrap();
    assert_eq!(
        s.get_connector_type("github").await.unwrap(),
        Some(t.clone())
    );
    t.display_name = "GitHub.com".into();
    t.description = Some("PRs".into());
    s.upsert_connector_type(&t).await.unwrap();
    let mut k = t.clone();
    k.id = "kubernetes".into();
    s.upsert_connector_type(&k).await.unwrap();
    let all = s.list_connector_types().await.unwrap();
    assert_eq!(all, vec![t.clone(), k]);
    s.touch_connector_type("github", at(50)).await.unwrap();
    assert_eq!(
        s.get_connector_type("github")
            .await
            .unwrap()
            .unwrap()
            .last_heartbeat,
        Some(at(50))
    );
    assert!(s.get_connector_type("nope").await.unwrap().is_none());
    assert!(s.touch_connector_type("nope", at(1)).await.is_err());
}

async fn integration_lookup_across_tenants(ctx: &Ctx) {
    let s = &*ctx.store;
    let mine = integration(T, "i-mine", "github", json!(["a"]));
    let theirs = integration(OTHER, "i-theirs", "github", json!(["b"]));
    s.create_integration(&mine).await.unwrap();
    s.create_integration(&theirs).await.unwrap();
    assert_eq!(
        s.get_integration_any_tenant("i-mine").await.unwrap(),
        Some(mine.clone())
    );
    let found = s.get_integration_any_tenant("i-theirs").await.unwrap();
    assert_eq!(found.as_ref().map(|i| i.tenant_id.as_str()), Some(OTHER));
    assert_eq!(found, Some(theirs));
    assert!(s
        .get_integration_any_tenant("nope")
        .await
        .unwrap()
        .is_none());
    assert!(s.get_integration_any_tenant("").await.unwrap().is_none());
    assert!(s.delete_integration(T, "i-mine").await.unwrap());
    assert!(s
        .get_integration_any_tenant("i-mine")
        .await
        .unwrap()
        .is_none());
}

async fn integrations_crud_cursors_status(ctx: &Ctx) {
    let s = &*ctx.store;
    let mut gh = integration(T, "i-gh", "github", json!(["prod"]));
    s.create_integration(&gh).await.unwrap();
    assert!(matches!(
        s.create_integration(&gh).await,
        Err(StoreError::Conflict(_))
    ));
    s.create_integration(&integration(T, "i-k8s", "kubernetes", json!("[\"x\"]")))
        .await
        .unwrap();
    s.create_integration(&integration(OTHER, "i-o", "github", json!([])))
        .await
        .unwrap();

    assert_eq!(
        s.get_integration(T, "i-gh").await.unwrap(),
        Some(gh.clone())
    );
    assert!(s.get_integration(OTHER, "i-gh").await.unwrap().is_none());
    let names = |v: Vec<Integration>| v.into_iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(
        names(s.list_integrations(Some(T), None).await.unwrap()),
        ["i-gh", "i-k8s"]
    );
    assert_eq!(
        names(s.list_integrations(Some(T), Some("github")).await.unwrap()),
        ["i-gh"]
    );
    assert_eq!(
        names(s.list_integrations(None, Some("github")).await.unwrap()),
        ["i-gh", "i-o"]
    );
    assert_eq!(s.list_integrations(None, None).await.unwrap().len(), 3);

    gh.name = "renamed".into();
    gh.last_sync = Some(at(99));
    gh.enabled = false;
    gh.config = json!({"tags": ["staging"], "nested": {"k": 1}});
    gh.updated_at = at(100);
    s.update_integration(&gh).await.unwrap();
    assert_eq!(
        s.get_integration(T, "i-gh").await.unwrap(),
        Some(gh.clone())
    );
    let mut foreign = gh.clone();
    foreign.tenant_id = OTHER.into();
    assert!(matches!(
        s.update_integration(&foreign).await,
        Err(StoreError::NotFound)
    ));

    assert!(s.get_cursor(T, "i-gh").await.unwrap().is_none());
    s.put_cursor(T, "i-gh", &json!({"since": "2024-01-01", "page": 2}))
        .await
        .unwrap();
    s.put_cursor(T, "i-gh", &json!({"since": "2024-02-01"}))
        .await
        .unwrap();
    assert_eq!(
        s.get_cursor(T, "i-gh").await.unwrap(),
        Some(json!({"since": "2024-02-01"}))
    );
    assert!(s.get_cursor(OTHER, "i-gh").await.unwrap().is_none());

    let st = IntegrationStatus {
        state: "error".into(),
        last_sync_at: Some(at(7)),
        last_error: Some("rate limited".into()),
        events_collected: Some(12),
        details: json!({"remaining": 0}),
        reported_at: Some(at(8)),
    };
    s.put_integration_status(T, "i-gh", &IntegrationStatus::default())
        .await
        .unwrap();
    s.put_integration_status(T, "i-gh", &st).await.unwrap();
    assert_eq!(s.get_integration_status(T, "i-gh").await.unwrap(), Some(st));
    assert!(s
        .get_integration_status(OTHER, "i-gh")
        .await
        .unwrap()
        .is_none());

    assert!(!s.delete_integration(OTHER, "i-gh").await.unwrap());
    assert!(s.delete_integration(T, "i-gh").await.unwrap());
    assert!(s.get_integration(T, "i-gh").await.unwrap().is_none());
    assert!(s.get_cursor(T, "i-gh").await.unwrap().is_none());
    assert!(s.get_integration_status(T, "i-gh").await.unwrap().is_none());
    assert!(!s.delete_integration(T, "i-gh").await.unwrap());
}

async fn integration_tags_match_the_tag_filter(ctx: &Ctx) {
    let s = &*ctx.store;
    let mut i = integration(T, "int-1", "github", json!(["team-a", "prod"]));
    s.create_integration(&i).await.unwrap();
    // The seed's UI sends tags as a JSON-encoded string.
    s.create_integration(&integration(T, "int-s", "github", json!("[\"team-s\"]")))
        .await
        .unwrap();
    insert(s, T, keyed("a", at(1))).await;
    let mut other = keyed("b", at(2));
    other.integration_id = Some("int-s".into());
    insert(s, T, other).await;
    insert(s, T, ev("untagged", "git", "p", at(3))).await;
    let by_tag = |t: &str| EventFilter {
        tags: vec![t.to_string()],
        ..Default::default()
    };
    assert_eq!(s.count_events(T, &by_tag("team-a")).await.unwrap(), 1);
    assert_eq!(s.count_events(T, &by_tag("team-s")).await.unwrap(), 1);
    // Retagging the integration changes what matches.
    i.config = json!({"tags": ["team-b"]});
    s.update_integration(&i).await.unwrap();
    assert_eq!(s.count_events(T, &by_tag("team-a")).await.unwrap(), 0);
    assert_eq!(s.count_events(T, &by_tag("team-b")).await.unwrap(), 1);
    // Another tenant's integration with the same id does not tag our events.
    s.create_integration(&integration(OTHER, "int-x", "github", json!(["team-c"])))
        .await
        .unwrap();
    assert_eq!(s.count_events(T, &by_tag("team-c")).await.unwrap(), 0);
    s.delete_integration(T, "int-1").await.unwrap();
    assert_eq!(s.count_events(T, &by_tag("team-b")).await.unwrap(), 0);
}

// ---------------------------------------------------------------- isolation & lifecycle

async fn tenants_are_isolated(ctx: &Ctx) {
    let s = &*ctx.store;
    s.create_integration(&integration(T, "int-1", "github", json!(["shared"])))
        .await
        .unwrap();
    let mine = seed(s, T).await;
    let a = insert(s, T, keyed("same", at(100))).await;
    let b = insert(s, OTHER, keyed("same", at(100))).await;
    assert_ne!(a, b);
    let mut other = ev("theirs deploy", "github", "acme/api", at(5));
    other.tags = vec!["prod".into(), "shared".into()];
    other.refs = vec![Ref::new("commit", "c3")];
    insert(s, OTHER, other).await;

    for f in sample_filters() {
        let got = all_events(s, T, &f).await;
        assert!(got.iter().all(|e| e.tenant_id == T), "{f:?}");
        let theirs = all_events(s, OTHER, &f).await;
        assert!(theirs.iter().all(|e| e.tenant_id == OTHER), "{f:?}");
        assert!(theirs.len() <= 2);
        for g in [GroupBy::Project, GroupBy::Connector] {
            let n: i64 = s
                .group_counts(OTHER, &f, g)
                .await
                .unwrap()
                .iter()
                .map(|c| c.count)
                .sum();
            assert_eq!(n, theirs.len() as i64);
            let h: i64 = s
                .histogram(OTHER, &f, 1_000_000_000, g)
                .await
                .unwrap()
                .iter()
                .map(|c| c.count)
                .sum();
            assert_eq!(h, theirs.len() as i64);
        }
    }
    assert_eq!(
        s.count_events(T, &EventFilter::default()).await.unwrap(),
        mine.len() as i64 + 1
    );
    assert_eq!(
        s.count_events(OTHER, &EventFilter::default())
            .await
            .unwrap(),
        2
    );
    let p = s.list_projects(OTHER).await.unwrap();
    assert_eq!(p.iter().map(|p| p.event_count).sum::<i64>(), 2);
    assert!(s.get_event(OTHER, &mine[0].id).await.unwrap().is_none());
    assert!(s.list_teams(OTHER).await.unwrap().is_empty());
    assert!(s
        .list_integrations(Some(OTHER), None)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        s.delete_integration_events(OTHER, "int-1").await.unwrap(),
        1
    );
    assert_eq!(
        s.count_events(T, &EventFilter::default()).await.unwrap(),
        mine.len() as i64 + 1
    );
}

async fn reopening_keeps_data(ctx: &Ctx) {
    let id = insert(&*ctx.store, T, keyed("persist", at(1))).await;
    ctx.store.create_team(T, "team", &[]).await.unwrap();
    ctx.store.close().await;
    let s = ctx.open_again().await;
    assert_eq!(
        s.get_event(T, &id).await.unwrap().unwrap().title,
        "event persist"
    );
    assert_eq!(
        s.insert_event(T, keyed("persist", at(2))).await.unwrap(),
        InsertOutcome::Duplicate { id }
    );
    assert_eq!(s.list_teams(T).await.unwrap().len(), 1);
    assert_eq!(s.list_projects(T).await.unwrap()[0].event_count, 1);
    s.close().await;
}

async fn closed_store_refuses_writes(ctx: &Ctx) {
    let s = &*ctx.store;
    insert(s, T, keyed("a", at(1))).await;
    s.close().await;
    assert!(s.insert_event(T, keyed("b", at(1))).await.is_err());
    assert!(s.create_team(T, "x", &[]).await.is_err());
    // Closing twice is harmless.
    s.close().await;
}

/// PostgreSQL: an insert committed by one store reaches the `subscribe_remote`
/// stream of another store on the same database (tenant and ids), and is not
/// echoed to the store that made it. SQLite has no other writers: `None`.
async fn other_instances_are_notified_of_inserts(ctx: &Ctx) {
    use futures::StreamExt;
    use painchain_store::RemoteEvents;

    let a = ctx.store.clone();
    let Some(mut on_a) = a.subscribe_remote().await else {
        assert_eq!(a.backend(), "sqlite");
        return;
    };
    let b = ctx.open_again().await;
    let mut on_b = b.subscribe_remote().await.expect("postgres subscribes");
    async fn next(s: &mut futures::stream::BoxStream<'static, RemoteEvents>) -> RemoteEvents {
        tokio::time::timeout(Duration::from_secs(5), s.next())
            .await
            .expect("a notice within 5 s")
            .expect("stream open")
    }

    let id1 = insert(&*a, T, keyed("r1", at(1))).await;
    let got = next(&mut on_b).await;
    assert_eq!(
        got,
        RemoteEvents {
            tenant: T.into(),
            ids: vec![id1.clone()]
        }
    );
    assert_eq!(b.get_event(T, &id1).await.unwrap().unwrap().id, id1);

    // A batch: only the created events, per tenant; a duplicate is not news.
    let out = a
        .insert_events(
            OTHER,
            vec![keyed("r1", at(2)), keyed("r2", at(3)), keyed("r2", at(4))],
        )
        .await
        .unwrap();
    let created: Vec<String> = out
        .iter()
        .filter_map(|o| match o {
            InsertOutcome::Created { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(created.len(), 2);
    let got = next(&mut on_b).await;
    assert_eq!(
        got,
        RemoteEvents {
            tenant: OTHER.into(),
            ids: created
        }
    );
    assert!(matches!(
        a.insert_event(T, keyed("r1", at(1))).await.unwrap(),
        InsertOutcome::Duplicate { .. }
    ));

    // B's insert reaches A; A's own inserts above were not echoed to it
    // (notices arrive in commit order, so they would have come first).
    let id_b = insert(&*b, T, keyed("from-b", at(5))).await;
    let got = next(&mut on_a).await;
    assert_eq!(
        got,
        RemoteEvents {
            tenant: T.into(),
            ids: vec![id_b]
        }
    );
    // ...and B hears nothing of its own.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), on_b.next())
            .await
            .is_err(),
        "no echo of B's own insert"
    );
    drop((on_a, on_b));
    b.close().await;
}

async fn connector_requests_are_claimed_once_and_answered(ctx: &Ctx) {
    let s = &*ctx.store;
    let now = Utc::now();
    let req = |id: &str, tenant: &str, ty: &str, kind, age: i64| ConnectorRequest {
        id: id.into(),
        tenant_id: tenant.into(),
        integration_type: ty.into(),
        integration_id: format!("int-{id}"),
        kind,
        created_at: now - chrono::Duration::seconds(age),
        claimed_at: None,
        answer: None,
    };
    s.create_connector_request(&req("s1", T, "git", RequestKind::Sync, 0))
        .await
        .unwrap();
    s.create_connector_request(&req("t1", T, "git", RequestKind::Test, 0))
        .await
        .unwrap();
    s.create_connector_request(&req("t2", OTHER, "git", RequestKind::Test, 0))
        .await
        .unwrap();
    s.create_connector_request(&req("gh", T, "github", RequestKind::Sync, 0))
        .await
        .unwrap();
    s.create_connector_request(&req("old", T, "git", RequestKind::Sync, 120))
        .await
        .unwrap();
    let since = now - chrono::Duration::seconds(60);

    // One tenant's, of one type, not too old; each handed out once, even to
    // another store instance (another replica).
    let other = ctx.open_again().await;
    let mut got: Vec<String> = s
        .claim_connector_requests(Some(T), "git", since)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    got.sort();
    assert_eq!(got, ["s1", "t1"]);
    assert!(other
        .claim_connector_requests(Some(T), "git", since)
        .await
        .unwrap()
        .is_empty());
    // All tenants at once.
    let all = other
        .claim_connector_requests(None, "git", since)
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        (all[0].id.as_str(), all[0].tenant_id.as_str()),
        ("t2", OTHER)
    );
    assert_eq!(all[0].kind, RequestKind::Test);
    assert_eq!(all[0].integration_id, "int-t2");

    // Answers: tenant- and type-scoped, once, claimed tests only.
    assert!(!s
        .answer_connector_request(OTHER, "git", "t1", Ok(()))
        .await
        .unwrap());
    assert!(!s
        .answer_connector_request(T, "github", "t1", Ok(()))
        .await
        .unwrap());
    assert!(!s
        .answer_connector_request(T, "git", "s1", Ok(()))
        .await
        .unwrap());
    assert!(other
        .answer_connector_request(T, "git", "t1", Err("401 bad credentials".into()))
        .await
        .unwrap());
    assert!(!s
        .answer_connector_request(T, "git", "t1", Ok(()))
        .await
        .unwrap());
    let t1 = s.get_connector_request(T, "t1").await.unwrap().unwrap();
    assert_eq!(t1.answer, Some(Err("401 bad credentials".into())));
    assert!(t1.claimed_at.is_some());
    assert!(s
        .get_connector_request(OTHER, "t1")
        .await
        .unwrap()
        .is_none());
    assert!(other
        .answer_connector_request(OTHER, "git", "t2", Ok(()))
        .await
        .unwrap());
    assert_eq!(
        s.get_connector_request(OTHER, "t2")
            .await
            .unwrap()
            .unwrap()
            .answer,
        Some(Ok(()))
    );
    let gh = s.get_connector_request(T, "gh").await.unwrap().unwrap();
    assert_eq!((gh.claimed_at, gh.answer), (None, None));

    // Requests older than an hour are forgotten when new ones arrive.
    s.create_connector_request(&req("ancient", T, "git", RequestKind::Sync, 7200))
        .await
        .unwrap();
    s.create_connector_request(&req("new", T, "git", RequestKind::Sync, 0))
        .await
        .unwrap();
    assert!(s
        .get_connector_request(T, "ancient")
        .await
        .unwrap()
        .is_none());
    assert!(s.get_connector_request(T, "old").await.unwrap().is_some());
}

// ---------------------------------------------------------------- lost updates

async fn integration_edits_are_narrow_and_versioned(ctx: &Ctx) {
    let s = &*ctx.store;
    let i = integration("t1", "i1", "github", json!(["a"]));
    s.create_integration(&i).await.unwrap();
    // Two edits of different fields: neither undoes the other.
    let v0 = i.updated_at;
    let a = s
        .edit_integration(
            "t1",
            "i1",
            &IntegrationEdit {
                enabled: Some(false),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let b = s
        .edit_integration(
            "t1",
            "i1",
            &IntegrationEdit {
                name: Some("renamed".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    assert!(!b.enabled, "the toggle survived the rename");
    assert_eq!(b.name, "renamed");
    assert!(
        a.updated_at > v0 && b.updated_at > a.updated_at,
        "the version moves forward"
    );
    // A stale version is a conflict and changes nothing.
    let e = s
        .edit_integration(
            "t1",
            "i1",
            &IntegrationEdit {
                enabled: Some(true),
                ..Default::default()
            },
            Some(a.updated_at),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    let now = s.get_integration("t1", "i1").await.unwrap().unwrap();
    assert!(!now.enabled);
    // The current version applies; the config edit moves the tags.
    let c = s
        .edit_integration(
            "t1",
            "i1",
            &IntegrationEdit {
                config: Some(json!({"name": "i1", "tags": ["b"]})),
                ..Default::default()
            },
            Some(b.updated_at),
        )
        .await
        .unwrap();
    assert_eq!(c.config["tags"], json!(["b"]));
    // Concurrent edits with one version: exactly one wins.
    let v = c.updated_at;
    let ex = IntegrationEdit {
        name: Some("x".into()),
        ..Default::default()
    };
    let ey = IntegrationEdit {
        name: Some("y".into()),
        ..Default::default()
    };
    let (x, y) = tokio::join!(
        s.edit_integration("t1", "i1", &ex, Some(v)),
        s.edit_integration("t1", "i1", &ey, Some(v)),
    );
    assert_eq!(
        [x.is_ok(), y.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{x:?} {y:?}"
    );
    // Missing and foreign rows are NotFound, not Conflict.
    for (t, id) in [("t1", "nope"), ("t2", "i1")] {
        let e = s
            .edit_integration(
                t,
                id,
                &IntegrationEdit {
                    enabled: Some(true),
                    ..Default::default()
                },
                Some(v),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::NotFound), "{e:?}");
    }
}

async fn sync_times_only_move_forward(ctx: &Ctx) {
    let s = &*ctx.store;
    s.create_integration(&integration("t1", "i1", "github", json!([])))
        .await
        .unwrap();
    let (early, late) = (at(100), at(200));
    // Integration row: forward only, and the version stays.
    assert!(s.advance_integration_sync("t1", "i1", late).await.unwrap());
    assert!(s.advance_integration_sync("t1", "i1", early).await.unwrap());
    let i = s.get_integration("t1", "i1").await.unwrap().unwrap();
    assert_eq!(i.last_sync, Some(late));
    assert_eq!(i.updated_at, at(0), "a sync is no edit");
    assert!(!s.advance_integration_sync("t2", "i1", late).await.unwrap());
    // Status: the webhook's sync, then a connector's older report.
    s.record_integration_sync("t1", "i1", late).await.unwrap();
    let report = IntegrationStatus {
        state: "error".into(),
        last_sync_at: Some(early),
        last_error: Some("boom".into()),
        events_collected: Some(1),
        details: json!({"k": 1}),
        reported_at: Some(late),
    };
    s.put_integration_status("t1", "i1", &report).await.unwrap();
    let st = s.get_integration_status("t1", "i1").await.unwrap().unwrap();
    assert_eq!(st.last_sync_at, Some(late));
    assert_eq!(st.last_error.as_deref(), Some("boom"));
    // Another webhook sync keeps the connector's error and state.
    s.record_integration_sync("t1", "i1", at(300))
        .await
        .unwrap();
    let st = s.get_integration_status("t1", "i1").await.unwrap().unwrap();
    assert_eq!(
        (st.state.as_str(), st.last_error.as_deref()),
        ("error", Some("boom"))
    );
    assert_eq!(st.last_sync_at, Some(at(300)));
    assert_eq!(st.details, json!({"k": 1}));
    // A webhook on a row nobody reported on: `ok`.
    s.create_integration(&integration("t1", "i2", "github", json!([])))
        .await
        .unwrap();
    s.record_integration_sync("t1", "i2", late).await.unwrap();
    let st = s.get_integration_status("t1", "i2").await.unwrap().unwrap();
    assert_eq!((st.state.as_str(), st.last_sync_at), ("ok", Some(late)));
}

fn declared(tenant: &str, name: &str) -> DeclaredRow {
    DeclaredRow {
        tenant_id: tenant.into(),
        integration_type: "github".into(),
        name: name.into(),
        config: json!({"name": name, "tags": ["x"]}),
        enabled: true,
    }
}

async fn apply(
    s: &dyn Store,
    rows: &[DeclaredRow],
    generation: i64,
) -> painchain_store::DeclaredOutcome {
    let seal = |r: &DeclaredRow, _id: &str| r.config.clone();
    s.apply_declared(&DeclaredApply {
        managed_by: "config",
        prune: true,
        scope_tenant: None,
        scope_type: None,
        generation,
        rows,
        seal: &seal,
    })
    .await
    .unwrap()
}

async fn declared_integrations_upsert_and_prune(ctx: &Ctx) {
    let s = &*ctx.store;
    let v1 = [declared("t1", "a"), declared("t1", "b")];
    let first = apply(s, &v1, 1).await;
    assert_eq!(first.created.len(), 2);
    s.put_cursor("t1", &first.ids[0], &json!({"page": 7}))
        .await
        .unwrap();
    // Same config again: same rows, cursor kept.
    let again = apply(s, &v1, 1).await;
    assert_eq!(again.ids, first.ids);
    assert!(again.created.is_empty() && again.deleted.is_empty());
    assert_eq!(
        s.get_cursor("t1", &first.ids[0]).await.unwrap(),
        Some(json!({"page": 7}))
    );
    // Generation 2 drops `b` and adds `c`.
    let v2 = [declared("t1", "a"), declared("t1", "c")];
    let second = apply(s, &v2, 2).await;
    assert_eq!(second.ids[0], first.ids[0]);
    assert_eq!(second.deleted.len(), 1);
    assert_eq!(second.deleted[0].2, "b");
    // An old replica restarting with generation 1 changes nothing: it
    // neither deletes `c` nor rewrites `a` nor brings `b` back.
    let old = apply(s, &v1, 1).await;
    assert!(old.stale, "{old:?}");
    assert!(old.deleted.is_empty() && old.created.is_empty(), "{old:?}");
    let names: Vec<String> = s
        .list_integrations(Some("t1"), None)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert!(names.contains(&"c".to_string()), "{names:?}");
    assert!(!names.contains(&"b".to_string()), "{names:?}");
    assert_eq!(
        s.get_cursor("t1", &first.ids[0]).await.unwrap(),
        Some(json!({"page": 7}))
    );
    // Pruning is scoped.
    let scoped = s
        .apply_declared(&DeclaredApply {
            managed_by: "config",
            prune: true,
            scope_tenant: Some("t2"),
            scope_type: Some("github"),
            generation: 3,
            rows: &[],
            seal: &|r: &DeclaredRow, _: &str| r.config.clone(),
        })
        .await
        .unwrap();
    assert!(scoped.deleted.is_empty());
    assert!(s
        .get_integration("t1", &first.ids[0])
        .await
        .unwrap()
        .is_some());
}

/// Two processes applying the same config at once (two replicas starting
/// together): one row per name, the cursors kept.
async fn declared_integrations_two_instances_at_once(ctx: &Ctx) {
    let other = ctx.open_again().await;
    let s = ctx.store.clone();
    let rows: Vec<DeclaredRow> = (0..8).map(|k| declared("t1", &format!("n{k}"))).collect();
    let first = apply(&*s, &rows, 0).await;
    for id in &first.ids {
        s.put_cursor("t1", id, &json!({"at": id})).await.unwrap();
    }
    for _ in 0..5 {
        let (a, b) = tokio::join!(apply(&*s, &rows, 0), apply(&*other, &rows, 0));
        assert_eq!(a.ids, first.ids);
        assert_eq!(b.ids, first.ids);
        assert!(a.deleted.is_empty() && b.deleted.is_empty());
    }
    let list = s.list_integrations(Some("t1"), None).await.unwrap();
    assert_eq!(list.len(), 8, "one row per declared name");
    for id in &first.ids {
        assert_eq!(
            s.get_cursor("t1", id).await.unwrap(),
            Some(json!({"at": id}))
        );
    }
    // A fresh database where both create at once: still one row per name.
    let more: Vec<DeclaredRow> = (0..8).map(|k| declared("t9", &format!("m{k}"))).collect();
    let (a, b) = tokio::join!(apply(&*s, &more, 0), apply(&*other, &more, 0));
    assert_eq!(a.ids, b.ids);
    assert_eq!(
        s.list_integrations(Some("t9"), None).await.unwrap().len(),
        8
    );
    other.close().await;
}
