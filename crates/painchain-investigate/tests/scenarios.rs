//! Realistic incidents with a known culprit among noise (unrelated deploys,
//! staging changes, docs PRs, earlier changes of the same service). GitHub
//! events come from the real payloads in the fixtures, mapped by the GitHub
//! connector's own code and moved to the scenario's time; Kubernetes and
//! other events are written by hand as their connectors would send them.
//!
//! Prints top-1 and top-3 accuracy; requires top-3 = 100 % and top-1 ≥ 80 %.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use painchain_connector_github::mapping::{map_webhook, MapContext, Outcome};
use painchain_core::{NewEvent, Ref};
use painchain_investigate::{investigate, Query};
use painchain_store::{testing::TempSqlite, SqliteStore, Store};
use serde_json::{json, Value};

const TENANT: &str = "default";

fn at() -> DateTime<Utc> {
    painchain_core::time::parse("2026-11-20T14:03:00Z").unwrap()
}

/// A hand-written event, `minutes` before the incident.
fn ev(ext: &str, kind: &str, minutes: i64, title: &str) -> NewEvent {
    NewEvent {
        title: title.into(),
        connector: "kubernetes".into(),
        project: "prod-eu/shop".into(),
        timestamp: at() - Duration::minutes(minutes),
        external_id: Some(ext.into()),
        integration_id: None,
        data: Default::default(),
        tags: vec![],
        kind: Some(kind.into()),
        status: None,
        url: None,
        actor: None,
        environment: None,
        service: None,
        refs: vec![],
        extra: Default::default(),
    }
}

trait Build {
    fn svc(self, s: &str) -> Self;
    fn env(self, e: &str) -> Self;
    fn r(self, t: &str, v: &str) -> Self;
    fn status(self, s: &str) -> Self;
    fn data(self, d: Value) -> Self;
    fn connector(self, c: &str) -> Self;
}

impl Build for NewEvent {
    fn svc(mut self, s: &str) -> Self {
        self.service = Some(s.into());
        self
    }
    fn env(mut self, e: &str) -> Self {
        self.environment = Some(e.into());
        self
    }
    fn r(mut self, t: &str, v: &str) -> Self {
        self.refs.push(Ref::new(t, v));
        self
    }
    fn status(mut self, s: &str) -> Self {
        self.status = Some(s.into());
        self
    }
    fn data(mut self, d: Value) -> Self {
        self.data = d.as_object().unwrap().clone();
        self
    }
    fn connector(mut self, c: &str) -> Self {
        self.connector = c.into();
        self
    }
}

/// The events a real GitHub webhook payload maps to, `minutes` before the
/// incident.
fn github(file: &str, event_type: &str, minutes: i64) -> Vec<NewEvent> {
    let path = format!(
        "{}/../painchain-connector-github/tests/fixtures/github/webhooks/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let body: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let ctx = MapContext::new(at());
    match map_webhook(event_type, &body, &ctx).unwrap() {
        Outcome::Events(evs) => evs
            .into_iter()
            .map(|mut e| {
                e.timestamp = at() - Duration::minutes(minutes);
                e
            })
            .collect(),
        Outcome::Ignored(why) => panic!("{file}: ignored: {why}"),
    }
}

fn one(mut v: Vec<NewEvent>) -> NewEvent {
    assert!(!v.is_empty());
    v.remove(0)
}

fn first_ref(e: &NewEvent, t: &str) -> String {
    e.refs
        .iter()
        .find(|r| r.ref_type == t)
        .unwrap_or_else(|| panic!("{} has no {t} ref: {:?}", e.title, e.refs))
        .value
        .clone()
}

struct Scenario {
    name: &'static str,
    events: Vec<NewEvent>,
    service: Option<&'static str>,
    environment: Option<&'static str>,
    /// The culprit's externalId; `None`: nothing convincing must be said.
    culprit: Option<&'static str>,
    /// Investigate from this incident event (its externalId) instead of a
    /// time and scope.
    from_event: Option<&'static str>,
}

fn k8s(name: &str) -> String {
    format!("prod-eu/shop/Deployment/{name}")
}

/// Unrelated changes most scenarios carry.
fn noise() -> Vec<NewEvent> {
    let mut v = vec![
        ev(
            "noise-web-deploy",
            "service.deployed",
            20,
            "Deployment web: image ghcr.io/acme/web:3.2.0",
        )
        .svc("web")
        .env("production")
        .r("image", "ghcr.io/acme/web:3.2.0")
        .r("k8s", &k8s("web")),
        ev(
            "noise-api-staging",
            "service.deployed",
            8,
            "Deployment api (staging): image ghcr.io/acme/api:2.0.0-rc1",
        )
        .svc("api")
        .env("staging")
        .r("image", "ghcr.io/acme/api:2.0.0-rc1"),
        ev(
            "noise-old-api-deploy",
            "service.deployed",
            110,
            "Deployment api: image ghcr.io/acme/api:1.8.2",
        )
        .svc("api")
        .env("production")
        .r("image", "ghcr.io/acme/api:1.8.2")
        .r("k8s", &k8s("api")),
    ];
    // A docs PR and an unrelated repository's push, from real payloads.
    v.extend(github("pull_request/opened.json", "pull_request", 15));
    v.extend(github("push/tag.created.json", "push", 35));
    v
}

fn scenarios() -> Vec<Scenario> {
    let mut out = Vec::new();

    // 1. A bad image rolled out: CI built the commit, published the image,
    // the rollout's pods crash.
    {
        let run = one(github(
            "workflow_run/completed.success.json",
            "workflow_run",
            30,
        ));
        let sha = first_ref(&run, "commit");
        let mut e = noise();
        e.push(run);
        e.push(
            ev(
                "img-1",
                "artifact.published",
                28,
                "Published ghcr.io/acme/api:1.9.0",
            )
            .connector("ci")
            .r("image", "ghcr.io/acme/api:1.9.0@sha256:9a1f")
            .r("commit", &sha),
        );
        e.push(
            ev("rollout-1", "service.deployed", 10, "Deployment api: image ghcr.io/acme/api:1.8.3 → 1.9.0")
                .svc("api")
                .env("production")
                .r("image", "ghcr.io/acme/api:1.9.0")
                .r("k8s", &k8s("api"))
                .data(json!({"images": [{"container": "api", "old": "ghcr.io/acme/api:1.8.3", "new": "ghcr.io/acme/api:1.9.0"}]})),
        );
        e.push(
            ev(
                "pods-1",
                "pod.failed",
                6,
                "api pods CrashLoopBackOff (3 restarts)",
            )
            .svc("api")
            .env("production")
            .status("failure")
            .r("k8s", &k8s("api"))
            .r("image", "ghcr.io/acme/api@sha256:9a1f"),
        );
        out.push(Scenario {
            name: "bad image rollout",
            events: e,
            service: Some("api"),
            environment: Some("production"),
            culprit: Some("rollout-1"),
            from_event: None,
        });
    }

    // 2. A ConfigMap change in the service's namespace.
    {
        let mut e = noise();
        e.push(
            ev(
                "cm-1",
                "config.changed",
                6,
                "ConfigMap api-config changed: DB_POOL_SIZE",
            )
            .svc("api")
            .env("production")
            .r("k8s", "prod-eu/shop/ConfigMap/api-config")
            .data(json!({"keys": ["DB_POOL_SIZE"]})),
        );
        e.push(
            ev(
                "cm-staging",
                "config.changed",
                4,
                "ConfigMap api-config changed (staging)",
            )
            .svc("api")
            .env("staging"),
        );
        e.push(
            ev(
                "web-deploy-3m",
                "service.deployed",
                3,
                "Deployment web: image ghcr.io/acme/web:3.2.1",
            )
            .svc("web")
            .env("production")
            .r("k8s", &k8s("web")),
        );
        out.push(Scenario {
            name: "ConfigMap change",
            events: e,
            service: Some("api"),
            environment: Some("production"),
            culprit: Some("cm-1"),
            from_event: None,
        });
    }

    // 3. Replicas scaled down.
    {
        let mut e = noise();
        e.push(
            ev(
                "scale-1",
                "deployment.scaled",
                12,
                "Deployment api scaled 6 → 1",
            )
            .svc("api")
            .env("production")
            .r("k8s", &k8s("api"))
            .data(json!({"replicas": {"old": 6, "new": 1}})),
        );
        e.extend(github("pull_request/closed.merged.json", "pull_request", 5));
        out.push(Scenario {
            name: "replicas scaled down",
            events: e,
            service: Some("api"),
            environment: Some("production"),
            culprit: Some("scale-1"),
            from_event: None,
        });
    }

    // 4. One production deploy among staging deploys of the same service.
    {
        let mut e = noise();
        for (i, m) in [2, 5, 9].iter().enumerate() {
            e.push(
                ev(
                    &format!("stg-{i}"),
                    "service.deployed",
                    *m,
                    "Deploy api to staging",
                )
                .svc("api")
                .env("staging")
                .connector("argocd"),
            );
        }
        e.push(
            ev(
                "prod-1",
                "service.deployed",
                25,
                "Deploy api 1.9.0 to production",
            )
            .svc("api")
            .env("production")
            .connector("argocd")
            .r("version", "v1.9.0"),
        );
        out.push(Scenario {
            name: "production deploy among staging deploys",
            events: e,
            service: Some("api"),
            environment: Some("production"),
            culprit: Some("prod-1"),
            from_event: None,
        });
    }

    // 5. A failed database migration job.
    {
        let mut e = noise();
        e.push(
            ev(
                "migrate-1",
                "pipelinerun.finished",
                7,
                "Job api-migrate: database migration 0042 failed",
            )
            .connector("kubernetes")
            .svc("api")
            .env("production")
            .status("failure")
            .r("k8s", "prod-eu/shop/Job/api-migrate-0042"),
        );
        e.push(one(github(
            "workflow_run/completed.success.pull_request.json",
            "workflow_run",
            3,
        )));
        out.push(Scenario {
            name: "failed migration job",
            events: e,
            service: Some("api"),
            environment: Some("production"),
            culprit: Some("migrate-1"),
            from_event: None,
        });
    }

    // 6. A dependency bump merged, built and deployed: the deploy carrying
    // the PR's merge commit is the suspect, its chain holds the PR.
    {
        let pr = one(github(
            "pull_request/closed.merged.json",
            "pull_request",
            55,
        ));
        let sha = first_ref(&pr, "commit");
        let mut e = noise();
        e.push(pr);
        e.push(
            ev("ci-6", "pipelinerun.finished", 45, "CI on main: success")
                .connector("github")
                .status("success")
                .r("commit", &sha),
        );
        e.push(
            ev(
                "deploy-6",
                "service.deployed",
                14,
                "Deploy api to production",
            )
            .svc("api")
            .env("production")
            .connector("argocd")
            .r("commit", &sha[..7]),
        );
        e.push(
            ev("pods-6", "pod.failed", 9, "api pods OOMKilled")
                .svc("api")
                .env("production")
                .status("failure"),
        );
        out.push(Scenario {
            name: "dependency bump merged and deployed",
            events: e,
            service: Some("api"),
            environment: Some("production"),
            culprit: Some("deploy-6"),
            from_event: None,
        });
    }

    // 7. Two deploys close together: the one whose chain reaches the
    // failing pods wins, although it is older.
    {
        let mut e = noise();
        e.push(
            ev(
                "checkout-api",
                "service.deployed",
                5,
                "Deployment checkout-api: image ghcr.io/acme/checkout-api:4.1.0",
            )
            .svc("checkout")
            .env("production")
            .r("k8s", &k8s("checkout-api")),
        );
        e.push(
            ev(
                "checkout-worker",
                "service.deployed",
                9,
                "Deployment checkout-worker: image ghcr.io/acme/checkout-worker:4.1.0",
            )
            .svc("checkout")
            .env("production")
            .r("k8s", &k8s("checkout-worker")),
        );
        e.push(
            ev(
                "worker-pods",
                "pod.failed",
                4,
                "checkout-worker pods CrashLoopBackOff",
            )
            .svc("checkout")
            .env("production")
            .status("failure")
            .r("k8s", &k8s("checkout-worker")),
        );
        out.push(Scenario {
            name: "two deploys close together",
            events: e,
            service: Some("checkout"),
            environment: Some("production"),
            culprit: Some("checkout-worker"),
            from_event: None,
        });
    }

    // 8. An incident with no change at all behind it.
    {
        let mut e = vec![
            ev("far-docs", "change.merged", 100, "docs: fix typo in README").connector("github"),
            ev("stg-only", "service.deployed", 10, "Deploy api to staging")
                .svc("api")
                .env("staging"),
            ev(
                "other-svc-old",
                "service.deployed",
                115,
                "Deploy search to production",
            )
            .svc("search")
            .env("production"),
        ];
        e.extend(github("push/tag.created.json", "push", 80));
        out.push(Scenario {
            name: "incident with no change",
            events: e,
            service: Some("api"),
            environment: Some("production"),
            culprit: None,
            from_event: None,
        });
    }

    // 9. Image matched by digest: the failing pods report only the digest,
    // CI published tag and digest, the rollout named the tag.
    {
        let mut e = noise();
        e.push(
            ev(
                "img-9",
                "artifact.published",
                40,
                "Published ghcr.io/acme/cart:2.4.1",
            )
            .connector("ci")
            .r("image", "ghcr.io/acme/cart:2.4.1@sha256:77be"),
        );
        e.push(
            ev(
                "rollout-9",
                "service.deployed",
                30,
                "Deployment cart: image ghcr.io/acme/cart:2.4.0 → 2.4.1",
            )
            .svc("cart")
            .env("production")
            .r("image", "ghcr.io/acme/cart:2.4.1"),
        );
        e.push(
            ev(
                "cart-flag",
                "featureflag.changed",
                50,
                "Flag cart.new-pricing enabled for 5 %",
            )
            .svc("cart")
            .env("production")
            .connector("flags"),
        );
        e.push(
            ev("pods-9", "pod.failed", 3, "cart pods ImagePullBackOff")
                .svc("cart")
                .env("production")
                .status("failure")
                .r("image", "ghcr.io/acme/cart@sha256:77be"),
        );
        out.push(Scenario {
            name: "image matched by digest",
            events: e,
            service: Some("cart"),
            environment: Some("production"),
            culprit: Some("rollout-9"),
            from_event: None,
        });
    }

    // 10. A feature flag flipped minutes before, a deploy of the same
    // service much earlier.
    {
        let mut e = noise();
        e.push(
            ev(
                "flag-10",
                "featureflag.changed",
                3,
                "Flag api.new-cache enabled for 100 %",
            )
            .svc("api")
            .env("production")
            .connector("flags"),
        );
        e.push(
            ev(
                "deploy-10",
                "service.deployed",
                70,
                "Deploy api 1.8.4 to production",
            )
            .svc("api")
            .env("production")
            .connector("argocd"),
        );
        out.push(Scenario {
            name: "feature flag flipped",
            events: e,
            service: Some("api"),
            environment: Some("production"),
            culprit: Some("flag-10"),
            from_event: None,
        });
    }

    // 11. Investigated from the incident event itself (no scope given): its
    // service, environment and refs lead to the rollout.
    {
        let mut e = noise();
        e.push(
            ev(
                "rollout-11",
                "service.deployed",
                18,
                "Deployment payments: image ghcr.io/acme/payments:7.0.0",
            )
            .svc("payments")
            .env("production")
            .r("k8s", &k8s("payments")),
        );
        e.push(
            ev(
                "payments-merge",
                "change.merged",
                40,
                "Merge: payments retry policy",
            )
            .connector("github"),
        );
        e.push(
            ev(
                "incident-11",
                "incident.detected",
                0,
                "High error rate on payments",
            )
            .connector("alertmanager")
            .svc("payments")
            .env("production")
            .r("k8s", &k8s("payments")),
        );
        out.push(Scenario {
            name: "from the incident event",
            events: e,
            service: None,
            environment: None,
            culprit: Some("rollout-11"),
            from_event: Some("incident-11"),
        });
    }

    // 12. A deploy whose CI run had failed (deployed anyway), among a
    // successful deploy of another service.
    {
        let mut e = noise();
        e.push(
            ev(
                "ci-12",
                "pipelinerun.finished",
                35,
                "CI on main: 3 tests failed",
            )
            .connector("github")
            .status("failure")
            .r("commit", "4e1d0c9ab2f1e6d7c8b9a0f1e2d3c4b5a6f7e8d9"),
        );
        e.push(
            ev(
                "deploy-12",
                "service.deployed",
                22,
                "Deploy orders to production",
            )
            .svc("orders")
            .env("production")
            .connector("argocd")
            .r("commit", "4e1d0c9"),
        );
        e.push(
            ev(
                "deploy-12-other",
                "service.deployed",
                12,
                "Deploy search to production",
            )
            .svc("search")
            .env("production")
            .connector("argocd"),
        );
        out.push(Scenario {
            name: "deployed despite a failed CI run",
            events: e,
            service: Some("orders"),
            environment: Some("production"),
            culprit: Some("deploy-12"),
            from_event: None,
        });
    }

    // 13. Secret rotated (kind config.changed on a Secret), and an older
    // deploy of the same service.
    {
        let mut e = noise();
        e.push(
            ev(
                "secret-13",
                "config.changed",
                16,
                "Secret api-db-credentials changed: password",
            )
            .svc("api")
            .env("production")
            .r("k8s", "prod-eu/shop/Secret/api-db-credentials")
            .data(json!({"keys": ["password"]})),
        );
        out.push(Scenario {
            name: "secret rotated",
            events: e,
            service: Some("api"),
            environment: Some("production"),
            culprit: Some("secret-13"),
            from_event: None,
        });
    }
    out
}

#[tokio::test]
async fn scenarios_find_their_culprit() {
    let all = scenarios();
    assert!(all.len() >= 12);
    let (mut top1, mut top3) = (0, 0);
    let mut failures = Vec::new();
    for sc in &all {
        let tmp = TempSqlite::new().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&tmp.path).await.unwrap());
        for e in &sc.events {
            store.insert_event(TENANT, e.clone()).await.unwrap();
        }
        let q = match sc.from_event {
            Some(ext) => {
                let page = store
                    .list_events(
                        TENANT,
                        &Default::default(),
                        &painchain_core::filter::Page {
                            limit: 500,
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap();
                let inc = page
                    .events
                    .into_iter()
                    .find(|e| e.external_id.as_deref() == Some(ext))
                    .unwrap();
                Query::for_event(inc, Duration::hours(2))
            }
            None => Query {
                at: at(),
                window: Duration::hours(2),
                service: sc.service.map(str::to_string),
                environment: sc.environment.map(str::to_string),
                projects: vec![],
                tags: vec![],
                event: None,
            },
        };
        let inv = investigate(store.as_ref(), TENANT, q).await.unwrap();
        let ids: Vec<Option<&str>> = inv
            .suspects
            .iter()
            .map(|s| s.event.external_id.as_deref())
            .collect();
        println!("\n## {} — {}", sc.name, inv.summary);
        for s in inv.suspects.iter().take(3) {
            println!("  {}. [{}] {}", s.rank, s.score, s.event.title);
            for r in &s.reasons {
                println!("       {:+} {}", r.weight, r.text);
            }
        }
        let (hit1, hit3) = match sc.culprit {
            Some(c) => (
                ids.first() == Some(&Some(c)),
                ids.iter().take(3).any(|i| *i == Some(c)),
            ),
            None => (!inv.convincing, !inv.convincing),
        };
        top1 += hit1 as usize;
        top3 += hit3 as usize;
        if !hit3 || !hit1 {
            failures.push(format!("{} (top-3 hit: {hit3}; got {ids:?})", sc.name));
        }
    }
    let n = all.len();
    println!(
        "\ntop-1 accuracy: {top1}/{n} = {:.0} %, top-3 accuracy: {top3}/{n} = {:.0} %",
        100.0 * top1 as f64 / n as f64,
        100.0 * top3 as f64 / n as f64
    );
    assert_eq!(top3, n, "top-3 must be 100 %: {failures:#?}");
    assert!(top1 * 10 >= n * 8, "top-1 must be ≥ 80 %: {failures:#?}");
}
