//! `painchain-bench`: measures a running server the way clients use it.
//!
//! - `ingest`: single-event `POST /api/events` from many concurrent clients;
//!   prints events/s and latency percentiles (every 201 is durable).
//! - `seed`: bulk-loads events through `/api/events/batch` (to reach 1M).
//! - `query`: repeats timeline/event queries and prints p50/p99 per query.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

#[derive(Parser)]
struct Cli {
    /// Server base URL.
    #[arg(long, default_value = "http://127.0.0.1:8000", global = true)]
    server: String,
    /// Bearer token, when the server has auth on.
    #[arg(long, env = "PAINCHAIN_TOKEN", global = true)]
    token: Option<String>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Ingest {
        #[arg(long, default_value_t = 50_000)]
        events: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Spread event timestamps over this many past days (0: all "now",
        /// as live connectors send them; 30: a backfill, the worst case for
        /// the time-ordered indexes).
        #[arg(long, default_value_t = 30)]
        spread_days: i64,
    },
    Seed {
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
    Query {
        #[arg(long, default_value_t = 200)]
        repeat: usize,
    },
    /// Chains and investigations of the newest failures and deployments
    /// (run `seed` first).
    Investigate {
        #[arg(long, default_value_t = 50)]
        repeat: usize,
    },
}

const CONNECTORS: &[&str] = &["github", "gitlab", "kubernetes", "git", "argocd"];
const KINDS: &[&str] = &[
    "change.merged",
    "branch.pushed",
    "pipelinerun.finished",
    "service.deployed",
    "pod.failed",
];
const STATUSES: &[&str] = &["success", "success", "success", "failure", "in_progress"];

/// A realistic event: ~600 bytes, a few tags and refs.
fn event(rng: &mut impl Rng, i: usize, run: u64, spread_days: i64) -> Value {
    let connector = CONNECTORS[rng.gen_range(0..CONNECTORS.len())];
    let project = format!("acme/service-{}", rng.gen_range(0..50));
    let sha: String = (0..40)
        .map(|_| char::from_digit(rng.gen_range(0..16), 16).unwrap())
        .collect();
    let ts =
        chrono::Utc::now() - chrono::Duration::seconds(rng.gen_range(0..=spread_days * 86_400));
    let service = project.trim_start_matches("acme/").to_string();
    let kind = KINDS[rng.gen_range(0..KINDS.len())];
    let mut refs = vec![
        json!({"type": "commit", "value": sha}),
        json!({"type": "version", "value": format!("v1.{}.{}", i % 100, i % 7)}),
    ];
    // Rollouts and failing pods of a service's Deployment: the chains
    // `painchain-bench investigate` follows.
    if kind == "service.deployed" || kind == "pod.failed" {
        refs.push(json!({"type": "k8s", "value": format!("prod/acme/Deployment/{service}")}));
    }
    json!({
        "title": format!("Deploy {project} #{i} to production"),
        "connector": connector,
        "project": project,
        "timestamp": ts.to_rfc3339(),
        "externalId": format!("bench-{run}-{i}"),
        "kind": kind,
        "service": service,
        "status": STATUSES[rng.gen_range(0..STATUSES.len())],
        "actor": format!("user{}", rng.gen_range(0..200)),
        "environment": if rng.gen_bool(0.5) { "production" } else { "staging" },
        "tags": [format!("team-{}", rng.gen_range(0..10)), "bench"],
        "refs": refs,
        "data": {
            "sha": sha,
            "branch": "main",
            "message": "Fix cache eviction under memory pressure",
            "url": format!("https://github.com/{project}/pull/{i}"),
            "duration_seconds": rng.gen_range(10..900),
        }
    })
}

fn client(token: &Option<String>) -> Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(t) = token {
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {t}")
                .parse()
                .context("token is not a valid header")?,
        );
    }
    Ok(reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(1024)
        .build()?)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(label: &str, mut lat: Vec<Duration>) {
    lat.sort();
    println!(
        "{label:<48} n={:<7} p50={:>8.2?} p99={:>8.2?} max={:>8.2?}",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or_default()
    );
}

async fn ingest(cli: &Cli, events: usize, concurrency: usize, spread_days: i64) -> Result<()> {
    let http = client(&cli.token)?;
    let url = format!("{}/api/events", cli.server);
    let run: u64 = rand::random();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let (http, url, next) = (http.clone(), url.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(w as u64);
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= events {
                    return Ok::<_, anyhow::Error>(lat);
                }
                let body = serde_json::to_vec(&event(&mut rng, i, run, spread_days))?;
                let t = Instant::now();
                let res = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?;
                if res.status() != reqwest::StatusCode::CREATED {
                    bail!("event {i}: {} {}", res.status(), res.text().await?);
                }
                lat.push(t.elapsed());
            }
        }));
    }
    let mut all = Vec::with_capacity(events);
    for t in tasks {
        all.extend(t.await??);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "ingest: {events} events, concurrency {concurrency}, spread {spread_days} d: {:.0} events/s ({secs:.2} s)",
        events as f64 / secs
    );
    report("POST /api/events (201, durable)", all);
    Ok(())
}

async fn seed(cli: &Cli, events: usize, batch: usize, concurrency: usize) -> Result<()> {
    let http = client(&cli.token)?;
    let url = format!("{}/api/events/batch", cli.server);
    let run: u64 = rand::random();
    let batches = events.div_ceil(batch);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let (http, url, next) = (http.clone(), url.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(1000 + w as u64);
            loop {
                let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if b >= batches {
                    return Ok::<_, anyhow::Error>(());
                }
                let items: Vec<Value> = (b * batch..((b + 1) * batch).min(events))
                    .map(|i| event(&mut rng, i, run, 30))
                    .collect();
                let res = http.post(&url).json(&items).send().await?;
                if !res.status().is_success() {
                    bail!("batch {b}: {} {}", res.status(), res.text().await?);
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "seed: {events} events in {secs:.1} s ({:.0} events/s)",
        events as f64 / secs
    );
    Ok(())
}

async fn query(cli: &Cli, repeat: usize) -> Result<()> {
    let http = client(&cli.token)?;
    let queries = [
        "/api/timeline",
        "/api/timeline?since=1h",
        "/api/timeline?since=24h&connector=github",
        "/api/timeline?since=7d&project=acme/service-7",
        "/api/timeline?kind=service.deployed&status=failure",
        "/api/timeline?tag=team-3",
        "/api/timeline?q=cache%20eviction&since=7d",
        "/api/timeline?groupBy=connector&since=30d",
        "/api/events?limit=100",
        "/api/events?ref=version:v1.42.0",
        "/api/projects",
    ];
    for q in queries {
        let url = format!("{}{q}", cli.server);
        let mut lat = Vec::with_capacity(repeat);
        for _ in 0..repeat {
            let t = Instant::now();
            let res = http.get(&url).send().await?;
            let status = res.status();
            res.bytes().await?;
            if !status.is_success() {
                bail!("{q}: {status}");
            }
            lat.push(t.elapsed());
        }
        report(q, lat);
    }
    Ok(())
}

/// Times `/api/events/:id/chain` and `/api/investigate` on real ids: the
/// newest failing pods and deployments of the seeded store.
async fn investigate(cli: &Cli, repeat: usize) -> Result<()> {
    let http = client(&cli.token)?;
    let ids = |kind: &'static str| {
        let http = http.clone();
        let url = format!("{}/api/events?kind={kind}&limit=20", cli.server);
        async move {
            let v: Vec<Value> = http.get(&url).send().await?.json().await?;
            anyhow::Ok(
                v.iter()
                    .filter_map(|e| e["id"].as_str().map(str::to_string))
                    .collect::<Vec<_>>(),
            )
        }
    };
    let failures = ids("pod.failed").await?;
    let deploys = ids("service.deployed").await?;
    if failures.is_empty() || deploys.is_empty() {
        bail!("no pod.failed/service.deployed events: run `painchain-bench seed` first");
    }
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "chain of a failure",
            failures
                .iter()
                .map(|id| format!("/api/events/{id}/chain"))
                .collect(),
        ),
        (
            "chain of a deploy",
            deploys
                .iter()
                .map(|id| format!("/api/events/{id}/chain"))
                .collect(),
        ),
        (
            "investigate ?event=failure",
            failures
                .iter()
                .map(|id| format!("/api/investigate?event={id}"))
                .collect(),
        ),
        (
            "investigate ?at=now&project",
            vec!["/api/investigate?project=acme/service-7&environment=production".to_string()],
        ),
    ];
    for (label, paths) in cases {
        let mut lat = Vec::with_capacity(repeat);
        for i in 0..repeat {
            let url = format!("{}{}", cli.server, paths[i % paths.len()]);
            let t = Instant::now();
            let res = http.get(&url).send().await?;
            let status = res.status();
            res.bytes().await?;
            if !status.is_success() {
                bail!("{url}: {status}");
            }
            lat.push(t.elapsed());
        }
        report(label, lat);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Ingest {
            events,
            concurrency,
            spread_days,
        } => ingest(&cli, events, concurrency, spread_days).await,
        Cmd::Seed {
            events,
            batch,
            concurrency,
        } => seed(&cli, events, batch, concurrency).await,
        Cmd::Query { repeat } => query(&cli, repeat).await,
        Cmd::Investigate { repeat } => investigate(&cli, repeat).await,
    }
}
