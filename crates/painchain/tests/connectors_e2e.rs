//! End to end with real processes: `painchain serve` (in-process connectors
//! off) plus a standalone `painchain connector git`. Integrations come from
//! the serve YAML (`integrations:`), from the API, and from the connector's
//! own file; events flow from temporary git repositories; the connector is
//! killed (SIGKILL) and restarted mid-stream, and the server is stopped for
//! a while — afterwards every commit is there exactly once.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use git2::{Repository, Signature};
use serde_json::{json, Value};

mod common;
use common::{free_port, Proc, BIN};

struct Repo {
    repo: Repository,
    n: usize,
}

impl Repo {
    fn init(path: &Path) -> Repo {
        Repo {
            repo: Repository::init(path).unwrap(),
            n: 0,
        }
    }

    fn commit(&mut self) -> String {
        self.n += 1;
        let sig = Signature::now("Grace", "grace@example.com").unwrap();
        let name = format!("f{}.txt", self.n);
        std::fs::write(self.repo.workdir().unwrap().join(&name), self.n.to_string()).unwrap();
        let mut idx = self.repo.index().unwrap();
        idx.add_path(Path::new(&name)).unwrap();
        idx.write().unwrap();
        let tree = self.repo.find_tree(idx.write_tree().unwrap()).unwrap();
        let parent = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        self.repo
            .commit(
                Some("HEAD"),
                &sig,
                &sig,
                &format!("change {}", self.n),
                &tree,
                &parents,
            )
            .unwrap()
            .to_string()
    }

    fn tag(&self, name: &str) {
        let head = self.repo.head().unwrap().peel_to_commit().unwrap();
        let sig = Signature::now("Rel", "rel@example.com").unwrap();
        self.repo
            .tag(name, head.as_object(), &sig, "release", false)
            .unwrap();
    }
}

struct Api {
    base: String,
    c: reqwest::Client,
}

impl Api {
    /// Every request carries `authorization` (e.g. `Bearer pc_...`).
    fn authed(base: &str, authorization: &str) -> Api {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("authorization", authorization.parse().unwrap());
        Api {
            base: base.to_string(),
            c: reqwest::Client::builder()
                .default_headers(headers)
                .build()
                .unwrap(),
        }
    }

    async fn get(&self, path: &str) -> Option<Value> {
        let r = self
            .c
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .ok()?;
        r.json().await.ok()
    }

    async fn integrations(&self) -> Vec<Value> {
        self.get("/api/integrations?type=git")
            .await
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
    }

    async fn id_of(&self, name: &str) -> String {
        self.integrations()
            .await
            .iter()
            .find(|i| i["name"] == name)
            .unwrap_or_else(|| panic!("no integration {name}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn external_ids(&self, integration: &str) -> Vec<String> {
        self.get(&format!(
            "/api/events?integrationId={integration}&limit=1000"
        ))
        .await
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|e| e["externalId"].as_str().unwrap_or("").to_string())
        .collect()
    }

    /// Waits until the integration has exactly `n` events (fails after
    /// `secs`, or at once if there are more — a duplicate).
    async fn expect_events(&self, integration: &str, n: usize, secs: u64, procs: &[&Proc]) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let ids = self.external_ids(integration).await;
            let mut uniq = ids.clone();
            uniq.sort();
            uniq.dedup();
            assert_eq!(uniq.len(), ids.len(), "duplicate externalIds");
            assert!(ids.len() <= n, "{} events, expected {n}", ids.len());
            if ids.len() == n {
                return;
            }
            if Instant::now() > deadline {
                let logs: Vec<String> = procs.iter().map(|p| p.log()).collect();
                panic!(
                    "{} of {n} events after {secs}s\n{}",
                    ids.len(),
                    logs.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

fn serve(data: &Path, port: u16, config: &Path, envs: &[(&str, &str)]) -> Proc {
    Proc::spawn(
        "serve",
        &[
            "serve",
            "--no-auth",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
            data.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ],
        envs,
    )
}

fn connector(base: &str, config: &Path, health: u16) -> Proc {
    Proc::spawn(
        "connector",
        &[
            "connector",
            "git",
            "--server",
            base,
            "--config",
            config.to_str().unwrap(),
            "--health-addr",
            &format!("127.0.0.1:{health}"),
        ],
        &[],
    )
}

async fn wait_up(api: &Api, p: &Proc) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while api.get("/health").await.is_none() {
        assert!(
            Instant::now() < deadline,
            "server did not start\n{}",
            p.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_and_standalone_git_connector() {
    let dir = tempfile::tempdir().unwrap();
    let path = |p: &str| -> PathBuf { dir.path().join(p) };
    let mut yaml_repo = Repo::init(&path("yaml-repo"));
    let mut api_repo = Repo::init(&path("api-repo"));
    let mut file_repo = Repo::init(&path("file-repo"));
    for _ in 0..3 {
        yaml_repo.commit();
    }
    yaml_repo.tag("v1.0.0");
    api_repo.commit();
    file_repo.commit();
    file_repo.commit();

    // Declared in the server's config, with ${ENV} substitution.
    let serve_yaml = path("painchain.yaml");
    std::fs::write(
        &serve_yaml,
        "integrations:\n  - name: yaml-repo\n    connector: {type: git, project: demo}\n    config:\n      tags: [yaml]\n      path: ${YAML_REPO}\n      mode: ${GIT_MODE:-commit}\n      polling:\n        interval: 1\n",
    )
    .unwrap();
    // Declared in the connector's own file (the seed's single-integration form).
    let conn_yaml = path("git-connector.yaml");
    std::fs::write(
        &conn_yaml,
        format!(
            "connector:\n  type: git\n  project: from-file\nconfig:\n  name: file-repo\n  tags: [file]\n  path: {}\n  mode: commit\n  polling:\n    interval: 1\n",
            path("file-repo").display()
        ),
    )
    .unwrap();

    let data = path("data");
    let port = free_port();
    let envs = [("YAML_REPO", path("yaml-repo").to_str().unwrap().to_string())];
    let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = serve(&data, port, &serve_yaml, &envs);
    let base = format!("http://127.0.0.1:{port}");
    let api = Api {
        base: base.clone(),
        c: reqwest::Client::new(),
    };
    wait_up(&api, &server).await;
    let yaml_id = api.id_of("yaml-repo").await;
    let yaml_row = api
        .get(&format!("/api/integrations/{yaml_id}"))
        .await
        .unwrap();
    assert_eq!(yaml_row["managedBy"], "config");
    assert_eq!(yaml_row["config"]["mode"], "commit", "default substituted");

    let health = free_port();
    let conn = connector(&base, &conn_yaml, health);
    // Created through the API while the connector runs: picked up within
    // seconds.
    let r = api
        .c
        .post(format!("{base}/api/integrations"))
        .json(&json!({"type": "git", "name": "api-repo", "config": {
            "name": "api-repo", "tags": ["api"], "path": path("api-repo"), "mode": "commit",
            "polling": {"interval": 1}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let api_id = api.id_of("api-repo").await;

    api.expect_events(&yaml_id, 4, 30, &[&server, &conn]).await; // 3 commits + tag
    api.expect_events(&api_id, 1, 30, &[&server, &conn]).await;
    let file_id = api.id_of("file-repo").await;
    api.expect_events(&file_id, 2, 30, &[&server, &conn]).await;
    let types = api.get("/api/integrations/types").await.unwrap();
    assert!(types
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == "git" && t["live"] == true));
    let h: Value = reqwest::get(format!("http://127.0.0.1:{health}/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["integrations"], 3);
    // Status reports follow within a control tick (~2 s).
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let st = api
            .get(&format!("/api/integrations/{yaml_id}"))
            .await
            .unwrap();
        if st["connectorStatus"]["state"] == "ok" {
            assert!(
                st["connectorStatus"]["eventsCollected"].as_i64().unwrap() >= 1,
                "{st}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "{st}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Connection test through the live connector.
    let t: Value = api
        .c
        .post(format!("{base}/api/integrations/{api_id}/test"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(t["ok"], true, "{t}");

    // Commits keep coming while the connector is killed hard and restarted.
    let mut total = 4;
    let writer_dir = path("yaml-repo");
    let writer = std::thread::spawn(move || {
        let mut r = Repo {
            repo: Repository::open(&writer_dir).unwrap(),
            n: 100,
        };
        for _ in 0..20 {
            r.commit();
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    conn.signal(libc::SIGKILL);
    drop(conn);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let conn = connector(&base, &conn_yaml, free_port());
    writer.join().unwrap();
    total += 20;
    api.expect_events(&yaml_id, total, 40, &[&server, &conn])
        .await;

    // Server down for a while: commits made meanwhile arrive once it is back.
    server.stop();
    for _ in 0..5 {
        yaml_repo.commit();
    }
    total += 5;
    api_repo.commit();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let server = serve(&data, port, &serve_yaml, &envs);
    wait_up(&api, &server).await;
    api.expect_events(&yaml_id, total, 60, &[&server, &conn])
        .await;
    api.expect_events(&api_id, 2, 60, &[&server, &conn]).await;
    // The restart re-applied the YAML without creating a second row.
    assert_eq!(api.integrations().await.len(), 3);

    // Graceful stop of the connector, then of the server.
    conn.stop();
    server.stop();
}

#[tokio::test]
async fn config_errors_name_the_variable_line_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("p.yaml");
    std::fs::write(
        &cfg,
        "integrations:\n  - connector: {type: git}\n    config:\n      path: ${PAINCHAIN_E2E_UNSET_VAR}\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--no-auth", "--bind", "127.0.0.1:0", "--config"])
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path().join("d"))
        .env("PAINCHAIN_CONNECTORS", "none")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("PAINCHAIN_E2E_UNSET_VAR") && err.contains("line 4"),
        "{err}"
    );

    std::fs::write(
        &cfg,
        "integrations:\n  - connector: {type: git}\n    confg: {}\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--no-auth", "--bind", "127.0.0.1:0", "--config"])
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path().join("d"))
        .env("PAINCHAIN_CONNECTORS", "none")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("`confg`"), "{err}");

    // A declared config that fails the type's schema.
    std::fs::write(
        &cfg,
        "integrations:\n  - name: x\n    connector: {type: git}\n    config: {mode: sideways}\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--no-auth", "--bind", "127.0.0.1:0", "--config"])
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path().join("d"))
        .env("PAINCHAIN_CONNECTORS", "none")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("config.mode") || err.contains("path"), "{err}");
}

#[tokio::test]
async fn connector_gives_up_when_no_server_answers() {
    let out = tokio::task::spawn_blocking(|| {
        Command::new(BIN)
            .args([
                "connector",
                "git",
                "--server",
                "http://127.0.0.1:9",
                "--register-timeout",
                "2",
            ])
            .env_remove("PAINCHAIN_TOKEN")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("could not register connector type `git`"),
        "{err}"
    );
}

/// The free tier's in-process connectors serve every tenant: with auth on,
/// a git integration created in tenant `acme` is collected into `acme` (and
/// only there), and its sync/test requests reach the connector.
///
/// Issue #10, item 3: with two tenants, local repositories are off unless
/// the operator enables them (`PAINCHAIN_GIT_LOCAL_PATHS=on`), and then only
/// under the git roots.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_connectors_serve_every_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap();
    let mut repo = Repo::init(&dir.path().join("acme-repo"));
    repo.commit();
    repo.commit();
    let token = |tenant: &str| {
        let out = Command::new(BIN)
            .args([
                "token",
                "create",
                "--local",
                "--data-dir",
                data_s,
                "--name",
                "t",
            ])
            .args(["--scope", "admin", "--tenant", tenant])
            .env_remove("PAINCHAIN_DATABASE_URL")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!("Bearer {}", String::from_utf8_lossy(&out.stdout).trim())
    };
    let acme_token = token("acme");
    let other_token = token("default");
    let roots = dir.path().to_str().unwrap().to_string();
    let serve = |local_paths: &str| {
        let port = free_port();
        Proc::spawn(
            "serve",
            &[
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
                data_s,
                "--git-root",
                &roots,
            ],
            &[
                ("PAINCHAIN_CONNECTORS", "git"),
                ("PAINCHAIN_GIT_LOCAL_PATHS", local_paths),
            ],
        )
    };
    // Two tenants (acme, default): local paths are off by default.
    let server = serve("auto");
    let base = server.base();
    let acme = Api::authed(&base, &acme_token);
    let r = acme
        .c
        .post(format!("{base}/api/integrations"))
        .json(&json!({"type": "git", "name": "acme-repo", "config": {
            "name": "acme-repo", "tags": ["acme"], "path": dir.path().join("acme-repo"),
            "mode": "commit", "polling": {"interval": 1}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = acme.get(&format!("/api/integrations/{id}")).await.unwrap();
        let err = row["connectorStatus"]["lastError"].as_str().unwrap_or("");
        if err.contains("disabled") {
            break;
        }
        assert!(Instant::now() < deadline, "{row}\n{}", server.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(acme.external_ids(&id).await.is_empty(), "nothing read");
    server.stop();

    // The operator enables them explicitly: collected, in acme only.
    let server = serve("on");
    let base = server.base();
    let acme = Api::authed(&base, &acme_token);
    let other = Api::authed(&base, &other_token);
    acme.expect_events(&id, 2, 30, &[&server]).await;
    let in_other = other
        .get(&format!("/api/events?integrationId={id}"))
        .await
        .unwrap();
    assert_eq!(in_other.as_array().unwrap().len(), 0, "only in acme");

    // The connection test is answered by the in-process connector.
    let t: Value = acme
        .c
        .post(format!("{base}/api/integrations/{id}/test"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(t["ok"], true, "{t}\n{}", server.log());
    // A new commit arrives after a sync request.
    repo.commit();
    let r = acme
        .c
        .post(format!("{base}/api/integrations/{id}/sync"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    acme.expect_events(&id, 3, 30, &[&server]).await;
    server.stop();
}

#[test]
fn examples_parse() {
    use painchain_sdk::config_file::{parse, FileKind};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let env = |k: &str| (k == "GITHUB_TOKEN").then(|| "ghp_example".to_string());
    let serve = std::fs::read_to_string(root.join("painchain.yaml")).unwrap();
    painchain_server::Config::from_yaml(&serve).expect("server keys");
    let d = parse(&serve, "painchain.yaml", FileKind::Serve, &env).unwrap();
    assert_eq!(d[0].integration_type, "git");
    assert_eq!(d[0].config["path"], ".");
    for f in ["git-connector.yaml", "github-connector.yaml"] {
        let text = std::fs::read_to_string(root.join(f)).unwrap();
        let d = parse(&text, f, FileKind::Connector, &env).unwrap();
        assert_eq!(d.len(), 1, "{f}");
    }
}

/// Issue #10, item 9: the in-process connectors' credential lives in memory
/// only. A `<data_dir>/connector.token` left by an earlier version (an
/// all-tenants token, never revoked) is revoked and deleted at start, and
/// no new one is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_connector_token_file_is_revoked_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap();
    let token = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(["token"])
            .args(args)
            .args(["--local", "--data-dir", data_s])
            .env_remove("PAINCHAIN_DATABASE_URL")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let old = token(&[
        "create",
        "--name",
        "in-process connectors",
        "--scope",
        "ingest",
        "--all-tenants",
    ]);
    let file = data.join("connector.token");
    std::fs::write(&file, &old).unwrap();
    let port = free_port();
    let server = Proc::spawn(
        "serve",
        &[
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
            data_s,
        ],
        &[("PAINCHAIN_CONNECTORS", "git")],
    );
    let base = server.base();
    let api = Api::authed(&base, &format!("Bearer {old}"));
    let r = api
        .c
        .get(format!("{base}/api/integrations?allTenants=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the old token is revoked");
    assert!(!file.exists(), "and its file deleted");
    // The in-process connector still works (its token is in memory only).
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server.log().contains("registered connector=git") {
        assert!(Instant::now() < deadline, "{}", server.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!file.exists());
    let listed = token(&["list", "--json"]);
    assert_eq!(listed.trim(), "[]", "no token was stored: {listed}");
    server.stop();
}
