//! Tests of the real `painchain` binary: configuration errors, signals,
//! restarts, crash safety (`kill -9` under write load), two replicas on one
//! PostgreSQL database, and the command-line client.

use std::{
    collections::HashSet,
    io::{BufRead, BufReader},
    path::Path,
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use painchain_store::testing::PgTestDb;
use serde_json::{json, Value};

mod common;
use common::{Proc, BIN};

const SECRET_KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A running `painchain serve`.
/// `painchain serve --bind 127.0.0.1:0 <args>`, once it listens.
fn start(args: &[&str], envs: &[(&str, &str)]) -> Proc {
    let mut all = vec!["serve", "--bind", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let mut envs = envs.to_vec();
    if args.contains(&"--database-url") {
        // Replicas on one database need a shared key for the integrations
        // API (which the tests use to create one).
        envs.push(("PAINCHAIN_SECRET_KEY", SECRET_KEY));
    }
    let p = Proc::spawn("serve", &all, &envs);
    p.base();
    p
}

fn run(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("PAINCHAIN_DATABASE_URL")
        .env_remove("PAINCHAIN_TOKEN")
        .env_remove("PAINCHAIN_SERVER")
        .stdin(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run painchain")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

/// Registers a `load` connector type and creates an integration of it
/// (events naming an `integrationId` need one); its id.
async fn create_integration(c: &reqwest::Client, p: &Proc, token: Option<&str>) -> String {
    let post = |path: &str, body: Value| {
        let mut rb = c.post(p.url(path)).json(&body);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        rb.send()
    };
    let r = post(
        "/api/integrations/types/register",
        json!({"id": "load", "displayName": "Load", "configSchema": {"type": "object"}}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = post(
        "/api/integrations",
        json!({"type": "load", "name": "load", "config": {"name": "load", "tags": []}}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    v["id"].as_str().unwrap().to_string()
}

fn event(integration: &str, i: usize, ext: &str) -> Value {
    json!({
        "title": format!("event {i}"),
        "connector": "test",
        "project": "crash",
        "timestamp": "2024-06-01T00:00:00Z",
        "integrationId": integration,
        "externalId": ext,
        "data": {"i": i},
    })
}

/// Every event id visible through the API (following cursors).
async fn all_ids(c: &reqwest::Client, p: &Proc, token: Option<&str>) -> HashSet<String> {
    let mut ids = HashSet::new();
    let mut path = "/api/events?limit=1000".to_string();
    loop {
        let mut rb = c.get(p.url(&path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        let res = rb.send().await.unwrap();
        assert_eq!(res.status(), 200);
        let next = res
            .headers()
            .get("x-next-cursor")
            .map(|v| v.to_str().unwrap().to_string());
        let arr: Vec<Value> = res.json().await.unwrap();
        ids.extend(arr.iter().map(|e| e["id"].as_str().unwrap().to_string()));
        match next {
            Some(c) => path = format!("/api/events?limit=1000&cursor={c}"),
            None => return ids,
        }
    }
}

enum Db {
    Sqlite(tempfile::TempDir),
    Pg(Box<PgTestDb>),
}

impl Db {
    async fn new(pg: bool) -> Option<Db> {
        if pg {
            PgTestDb::create().await.map(|d| Db::Pg(Box::new(d)))
        } else {
            Some(Db::Sqlite(tempfile::tempdir().unwrap()))
        }
    }

    fn args(&self) -> Vec<String> {
        match self {
            Db::Sqlite(d) => vec![
                "--data-dir".into(),
                d.path().join("data").display().to_string(),
            ],
            Db::Pg(db) => vec!["--database-url".into(), db.url.clone()],
        }
    }
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

// ---------------------------------------------------------------- config

#[test]
fn bad_config_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("painchain.yaml");
    std::fs::write(&f, "bind: 127.0.0.1:0\nauth:\n  enabeld: false\n").unwrap();
    let out = run(&["serve", "--config", f.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("auth.enabeld"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");

    std::fs::write(&f, "limits:\n  max_data_bytes: lots\n").unwrap();
    let out = run(&["serve", "--config", f.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("limits.max_data_bytes"));

    let out = run(&["serve"], &[("PAINCHAIN_AUTH_ENABLED", "sometimes")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("PAINCHAIN_AUTH_ENABLED"));

    let out = run(&["serve", "--bind", "nowhere"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--bind"));

    let missing = dir.path().join("missing.yaml");
    let out = run(&["serve", "--config", missing.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));

    // The `integrations` key is reserved: accepted.
    std::fs::write(
        &f,
        format!(
            "bind: 127.0.0.1:0\ndata_dir: {}\nauth:\n  enabled: false\n",
            dir.path().join("d").display()
        ),
    )
    .unwrap();
    let p = start(&["--config", f.to_str().unwrap()], &[]);
    assert!(p.log().contains("auth DISABLED"), "{}", p.log());
    p.stop();
}

#[test]
fn connector_stub_exits_2() {
    let out = run(&["connector", "nosuchtype"], &[]);
    assert_eq!(out.status.code(), Some(2));
}

// ---------------------------------------------------------------- lifecycle

#[tokio::test]
async fn sigterm_exits_cleanly_and_restart_keeps_data_sqlite() {
    restart_keeps_data(false).await
}

#[tokio::test]
async fn sigterm_exits_cleanly_and_restart_keeps_data_postgres() {
    restart_keeps_data(true).await
}

async fn restart_keeps_data(pg: bool) {
    let Some(db) = Db::new(pg).await else { return };
    let args = db.args();
    let c = reqwest::Client::new();
    let p = start(&[strs(&args), vec!["--no-auth"]].concat(), &[]);
    let integration = create_integration(&c, &p, None).await;
    let mut ids = HashSet::new();
    for i in 0..20 {
        let r = c
            .post(p.url("/api/events"))
            .json(&event(&integration, i, &format!("r{i}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        ids.insert(v["id"].as_str().unwrap().to_string());
    }
    // An open live stream must not hold up shutdown.
    let stream = c.get(p.url("/api/events/stream")).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    let log = p.stop();
    assert!(log.contains("store closed"), "{log}");
    drop(stream);

    let p = start(&[strs(&args), vec!["--no-auth"]].concat(), &[]);
    assert_eq!(all_ids(&c, &p, None).await, ids);
    // Dedup survives the restart too.
    let r = c
        .post(p.url("/api/events"))
        .json(&event(&integration, 0, "r0"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    p.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_under_write_load_keeps_every_acknowledged_event_sqlite() {
    kill_9_under_load(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_under_write_load_keeps_every_acknowledged_event_postgres() {
    kill_9_under_load(true).await
}

async fn kill_9_under_load(pg: bool) {
    let Some(db) = Db::new(pg).await else { return };
    let args = db.args();
    let p = start(&[strs(&args), vec!["--no-auth"]].concat(), &[]);
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let integration = create_integration(&c, &p, None).await;
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let url = p.url("/api/events");
    let batch_url = p.url("/api/events/batch");
    let writers: Vec<_> = (0..16)
        .map(|w| {
            let c = c.clone();
            let url = url.clone();
            let batch_url = batch_url.clone();
            let acked = acked.clone();
            let integration = integration.clone();
            tokio::spawn(async move {
                // Bounded: stops by itself even if the kill never came.
                for i in 0..5_000 {
                    if w == 0 && i % 5 == 0 {
                        // Some batches too: all or nothing per batch.
                        let items: Vec<Value> = (0..10)
                            .map(|k| event(&integration, i, &format!("b{w}-{i}-{k}")))
                            .collect();
                        match c.post(&batch_url).json(&items).send().await {
                            Ok(r) if r.status() == 200 => {
                                let v: Value = r.json().await.unwrap_or_default();
                                if let Some(res) = v["results"].as_array() {
                                    let mut a = acked.lock().unwrap();
                                    for x in res {
                                        if x["status"] == "created" {
                                            a.push(x["id"].as_str().unwrap().to_string());
                                        }
                                    }
                                }
                            }
                            Ok(_) => {}
                            Err(_) => return,
                        }
                        continue;
                    }
                    match c
                        .post(&url)
                        .json(&event(&integration, i, &format!("w{w}-{i}")))
                        .send()
                        .await
                    {
                        Ok(r) if r.status() == 201 => {
                            // Only a complete 201 body counts as acknowledged.
                            if let Ok(v) = r.json::<Value>().await {
                                acked
                                    .lock()
                                    .unwrap()
                                    .push(v["id"].as_str().unwrap().to_string());
                            }
                        }
                        Ok(_) => {}
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    p.signal(libc::SIGKILL);
    let mut p = p;
    let status = p.wait(Duration::from_secs(10));
    assert!(!status.success());
    for w in writers {
        let _ = w.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 50,
        "the load ran: {} acknowledged",
        acked.len()
    );

    let p2 = start(&[strs(&args), vec!["--no-auth"]].concat(), &[]);
    let present = all_ids(&c, &p2, None).await;
    let missing: Vec<&String> = acked.iter().filter(|id| !present.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged events lost after kill -9",
        missing.len(),
        acked.len()
    );
    eprintln!(
        "kill -9 ({}): {} acknowledged, {} present after restart",
        if pg { "postgres" } else { "sqlite" },
        acked.len(),
        present.len()
    );
    p2.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_postgres_database() {
    let Some(db) = PgTestDb::create().await else {
        return;
    };
    let args = ["--database-url", db.url.as_str(), "--no-auth"];
    let a = start(&args, &[]);
    let b = start(&args, &[]);
    let c = reqwest::Client::new();
    let integration = create_integration(&c, &a, None).await;
    for (i, p) in [&a, &b].iter().enumerate() {
        let r = c
            .post(p.url("/api/events"))
            .json(&event(&integration, i, &format!("own-{i}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "both replicas accept writes");
    }
    // The same event posted to both at once: one 201 in total.
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let url = if i % 2 == 0 {
                a.url("/api/events")
            } else {
                b.url("/api/events")
            };
            let c = c.clone();
            let integration = integration.clone();
            tokio::spawn(async move {
                let r = c
                    .post(url)
                    .json(&event(&integration, 99, "shared"))
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let v: Value = r.json().await.unwrap();
                (status, v["event_id"].as_str().unwrap().to_string())
            })
        })
        .collect();
    let mut created = 0;
    let mut ids = HashSet::new();
    for t in tasks {
        let (status, id) = t.await.unwrap();
        assert!(status == 201 || status == 409, "{status}");
        created += (status == 201) as usize;
        ids.insert(id);
    }
    assert_eq!(created, 1);
    assert_eq!(ids.len(), 1);
    assert_eq!(all_ids(&c, &a, None).await, all_ids(&c, &b, None).await);
    assert_eq!(all_ids(&c, &a, None).await.len(), 3);
    a.stop();
    b.stop();
}

// ---------------------------------------------------------------- CLI

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_bootstrap_token_then_client_commands() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();

    // First admin token, straight into the store (no server, no token).
    let out = run(
        &[
            "token",
            "create",
            "--local",
            "--data-dir",
            data,
            "--name",
            "root",
            "--scope",
            "admin",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let admin = text(&out.stdout).trim().to_string();
    assert!(admin.starts_with("pc_") && admin.len() == 35, "{admin:?}");
    assert!(text(&out.stderr).contains("shown only once"));

    // Auth is on by default.
    let p = start(&["--data-dir", data], &[]);
    assert!(p.log().contains("auth enabled"));
    let c = reqwest::Client::new();
    assert_eq!(
        c.get(p.url("/api/events")).send().await.unwrap().status(),
        401
    );
    let server = p.base();
    let env = [
        ("PAINCHAIN_SERVER", server.as_str()),
        ("PAINCHAIN_TOKEN", admin.as_str()),
    ];

    // An ingest token through the API.
    let out = run(
        &["token", "create", "--name", "ci", "--scope", "ingest"],
        &env,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ingest = text(&out.stdout).trim().to_string();
    assert!(ingest.starts_with("pc_"));
    let integration = create_integration(&c, &p, Some(&admin)).await;
    let mut e = event(&integration, 1, "cli-1");
    e["kind"] = json!("service.deployed");
    e["status"] = json!("success");
    let r = c
        .post(p.url("/api/events"))
        .bearer_auth(&ingest)
        .json(&e)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // events list: table and JSON, with filters.
    let out = run(
        &[
            "events",
            "list",
            "--project",
            "crash",
            "--kind",
            "service.deployed",
        ],
        &env,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains("event 1") && table.contains("service.deployed"),
        "{table}"
    );
    let out = run(
        &[
            "events", "list", "--json", "--since", "1000d", "--limit", "5",
        ],
        &env,
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    let out = run(&["events", "list", "--json", "--connector", "nope"], &env);
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        json!([])
    );
    let out = run(&["events", "list", "--ref", "bad"], &env);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("ref"), "{}", text(&out.stderr));

    // projects
    let out = run(&["projects"], &env);
    assert!(text(&out.stdout).contains("crash"));
    let out = run(&["projects", "--json"], &env);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["eventCount"], 1);

    // token list / revoke
    let out = run(&["token", "list", "--json"], &env);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let tokens = v.as_array().unwrap();
    // (The server may hold internal tokens of its own, e.g. for in-process connectors.)
    let names: Vec<&str> = tokens.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"root") && names.contains(&"ci"), "{v:#}");
    assert!(!text(&out.stdout).contains(&ingest), "secrets never listed");
    let ci_id = tokens.iter().find(|t| t["name"] == "ci").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = run(&["token", "list"], &env);
    assert!(text(&out.stdout).contains("ci"));
    let out = run(&["token", "revoke", &ci_id], &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r = c
        .post(p.url("/api/events"))
        .bearer_auth(&ingest)
        .json(&e)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Without a token: a clear 401 message.
    let out = run(
        &["events", "list"],
        &[("PAINCHAIN_SERVER", server.as_str())],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("401"), "{}", text(&out.stderr));

    // events tail: follows the live stream.
    let mut tail = Command::new(BIN)
        .args(["events", "tail", "--json", "--project", "crash"])
        .envs(env)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = tail.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // Post until the tail (which needs a moment to subscribe) prints one.
    let mut got = None;
    for i in 0..50 {
        let e = event(&integration, 100 + i, &format!("tail-{i}"));
        c.post(p.url("/api/events"))
            .bearer_auth(&admin)
            .json(&e)
            .send()
            .await
            .unwrap();
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            got = Some(line);
            break;
        }
    }
    let _ = tail.kill();
    let _ = tail.wait();
    let line = got.expect("tail printed an event");
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["project"], "crash");

    p.stop();

    // --local list sees every tenant's tokens.
    let out = run(
        &["token", "list", "--local", "--data-dir", data, "--json"],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"root") && !names.contains(&"ci"),
        "ci was revoked: {names:?}"
    );
}

#[test]
fn no_auth_on_public_address_warns_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--bind", "0.0.0.0:0", "--no-auth", "--data-dir"])
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    // Keep draining stderr until the process exits (a closed pipe would
    // make its last log lines fail).
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("listening on") {
                let _ = tx.send(());
            }
            lines.push(line);
        }
        lines
    });
    rx.recv_timeout(Duration::from_secs(60)).expect("started");
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    let lines = reader.join().unwrap();
    let warned = lines.iter().any(|l| l.contains("AUTH IS DISABLED"));
    assert!(status.success(), "{status:?}\n{}", lines.join("\n"));
    assert!(warned, "{}", lines.join("\n"));
    assert!(
        Path::new(&data).join("painchain.db").exists(),
        "created on first start"
    );
}

/// Issue #10, item 9: `painchain token create --connector <type>` makes an
/// ingest token bound to the type; `--expires` sets its expiry.
#[test]
fn connector_tokens_and_expiry_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let create = |extra: &[&str]| {
        let mut args = vec![
            "token",
            "create",
            "--local",
            "--data-dir",
            data,
            "--name",
            "c",
            "--json",
        ];
        args.extend_from_slice(extra);
        run(&args, &[])
    };
    let out = create(&["--connector", "github", "--all-tenants", "--expires", "90d"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["connector"], "github");
    assert_eq!(v["scope"], "ingest");
    assert_eq!(v["tenantId"], "*");
    let expires = chrono::DateTime::parse_from_rfc3339(v["expiresAt"].as_str().unwrap()).unwrap();
    let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_days();
    assert!((89..=90).contains(&days), "{v}");

    let bad = create(&["--scope", "read", "--expires", "soon"]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("--expires"),
        "{}",
        text(&bad.stderr)
    );
    let bad = create(&["--scope", "admin", "--connector", "github"]);
    assert!(!bad.status.success());
}
