//! Connectors in the binary: `painchain connector <type>` (standalone
//! process) and the in-process connectors of `painchain serve` (the free
//! tier's zero-setup default). Both run the same SDK runtime against the
//! HTTP API — in-process over loopback — so they behave identically.
//!
//! Also applies the config-as-code `integrations:` of `painchain.yaml`.

use std::{net::SocketAddr, path::Path, path::PathBuf, sync::Arc, time::Duration};

use anyhow::{Context, Result};
use clap::Parser;
use painchain_core::token::{Scope, ALL_TENANTS};
use painchain_sdk::{
    config_file::{self, FileKind},
    runtime::shutdown_signal,
    Client, Connector, Runtime, RuntimeConfig,
};
use painchain_server::{
    api::integrations::{declared, types::TypeRegistration, Integrations},
    config::{Config, ConfigError},
};
use painchain_store::Store;
use tokio::{sync::watch, task::JoinHandle};

/// Every connector type this binary can run.
pub fn builtin() -> Vec<Arc<dyn Connector>> {
    vec![
        Arc::new(painchain_connector_git::GitConnector),
        Arc::new(painchain_connector_github::GithubConnector),
    ]
}

fn find(ty: &str) -> Option<Arc<dyn Connector>> {
    builtin().into_iter().find(|c| c.metadata().id == ty)
}

/// Runs one connector type against a PainChain server (`painchain connector <type>`).
#[derive(Parser, Debug)]
#[command(name = "painchain connector <type>", no_binary_name = true)]
struct ConnectorArgs {
    /// YAML file declaring integrations (the seed's `connector:` + `config:`
    /// format, or an `integrations:` list); created or updated on start.
    #[arg(long, env = "PAINCHAIN_CONNECTOR_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Server base URL (`http://host:8000`; the seed's `.../api` works too).
    #[arg(
        long,
        env = "PAINCHAIN_SERVER",
        default_value = "http://localhost:8000",
        value_name = "URL"
    )]
    server: String,
    /// Ingest or admin token (`pc_...`); needed when the server has auth on.
    #[arg(
        long,
        env = "PAINCHAIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    token: Option<String>,
    /// Serve every tenant's integrations of the type, not only the token's
    /// tenant's (needs `painchain token create --local --all-tenants`).
    #[arg(long, env = "PAINCHAIN_ALL_TENANTS")]
    all_tenants: bool,
    /// Serve `GET /health` on this address (e.g. 0.0.0.0:8081).
    #[arg(long, env = "PAINCHAIN_HEALTH_ADDR", value_name = "ADDR")]
    health_addr: Option<SocketAddr>,
    /// Give up (exit 1) if the server can't be reached for this long.
    #[arg(long, default_value = "120", value_name = "SECONDS")]
    register_timeout: u64,
    /// Log filter, e.g. `info` or `debug`.
    #[arg(long, env = "PAINCHAIN_LOG", default_value = "info")]
    log_level: String,
    /// JSON logs.
    #[arg(long)]
    log_json: bool,
}

fn init_logging(level: &str, json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let b = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if json {
        b.json().try_init()
    } else {
        b.try_init()
    };
}

pub async fn run_standalone(ty: &str, args: Vec<String>) -> Result<std::process::ExitCode> {
    if ty.starts_with('-') {
        let types: Vec<String> = builtin().iter().map(|c| c.metadata().id).collect();
        println!(
            "Usage: painchain connector <TYPE> [--config FILE] [--server URL] [--token TOKEN] [--health-addr ADDR]\n\nTypes: {}\nMore: painchain connector <TYPE> --help",
            types.join(", ")
        );
        return Ok(std::process::ExitCode::from(
            if matches!(ty, "-h" | "--help") { 0 } else { 2 },
        ));
    }
    let args = match ConnectorArgs::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            // `--help` is not an error.
            let code = if e.use_stderr() { 2 } else { 0 };
            return Ok(std::process::ExitCode::from(code));
        }
    };
    init_logging(&args.log_level, args.log_json);
    let Some(connector) = find(ty) else {
        let known: Vec<String> = builtin().iter().map(|c| c.metadata().id).collect();
        return Err(ConfigError::new(
            "connector",
            format!(
                "unknown connector type `{ty}` (available: {})",
                known.join(", ")
            ),
        )
        .into());
    };
    let declared = match &args.config {
        Some(p) => load_declared(p, FileKind::Connector)?,
        None => Vec::new(),
    };
    if let Some(d) = declared.iter().find(|d| d.integration_type != ty) {
        return Err(ConfigError::new(
            "--config",
            format!(
                "integration `{}` is of type `{}`, but this is the `{ty}` connector",
                d.name, d.integration_type
            ),
        )
        .into());
    }
    let mut cfg = RuntimeConfig::new(&args.server, args.token.clone());
    cfg.health_addr = args.health_addr;
    cfg.all_tenants = args.all_tenants;
    cfg.register_timeout = Duration::from_secs(args.register_timeout);
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    if !declared.is_empty() {
        // Declared integrations need the type registered first (schema
        // validation): the runtime does that; apply once it is up.
        let client = Client::new(&args.server, args.token.clone(), ty);
        let meta = connector.metadata();
        let deadline = tokio::time::Instant::now() + cfg.register_timeout;
        let mut backoff =
            painchain_sdk::retry::Backoff::new(Duration::from_millis(250), Duration::from_secs(5));
        loop {
            match client.register(&meta).await {
                Ok(()) => break,
                Err(e) if e.is_transient() && tokio::time::Instant::now() < deadline => {
                    tracing::warn!(error = %e, "server not reachable yet; retrying");
                    tokio::time::sleep(backoff.next_delay()).await;
                }
                Err(e) => anyhow::bail!(
                    "could not register connector type `{ty}` with {}: {e}",
                    client.base_url()
                ),
            }
        }
        let ids = client
            .apply_declared_all(&declared)
            .await
            .context("cannot apply the declared integrations")?;
        for (d, id) in declared.iter().zip(ids) {
            tracing::info!(integration = %id, name = %d.name, "declared integration applied");
        }
    }
    let mut rx = stop_rx;
    Runtime::new(connector, cfg)
        .run(async move {
            let _ = rx.wait_for(|s| *s).await;
        })
        .await?;
    Ok(std::process::ExitCode::SUCCESS)
}

fn load_declared(path: &Path, kind: FileKind) -> Result<Vec<config_file::Declared>> {
    config_file::load(path, kind)
        .map_err(|e| ConfigError::new("integrations", e.to_string()).into())
}

/// In-process connectors of `painchain serve`, stopped before the server.
pub struct InProcess {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl InProcess {
    /// Waits for `signal`, then stops the connectors (they finish their
    /// current post and save cursors while the server still answers).
    pub async fn shutdown_after(self, signal: impl std::future::Future<Output = ()>) {
        signal.await;
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(15), t).await;
        }
    }
}

/// Which built-in connectors run in-process: `PAINCHAIN_CONNECTORS` =
/// `all` (default), `none`, or a comma-separated list of types.
fn in_process_types() -> Option<Vec<String>> {
    match std::env::var("PAINCHAIN_CONNECTORS")
        .ok()
        .as_deref()
        .map(str::trim)
    {
        None | Some("") | Some("all") => None,
        Some(list) => Some(
            list.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty() && s != "none")
                .collect(),
        ),
    }
}

/// The URL of our own listener over loopback.
fn loopback_url(addr: SocketAddr) -> String {
    let ip = if addr.ip().is_unspecified() {
        match addr {
            SocketAddr::V4(_) => "127.0.0.1".to_string(),
            SocketAddr::V6(_) => "[::1]".to_string(),
        }
    } else if addr.is_ipv6() {
        format!("[{}]", addr.ip())
    } else {
        addr.ip().to_string()
    };
    format!("http://{ip}:{}", addr.port())
}

/// With auth on, in-process connectors need a token: an ingest token valid
/// in every tenant (they serve them all), kept in
/// `<data_dir>/connector.token` (mode 0600) and re-created if it was revoked.
async fn internal_token(config: &Config, store: &dyn Store) -> Result<Option<String>> {
    if !config.auth.enabled {
        return Ok(None);
    }
    let path = config.data_dir.join("connector.token");
    if let Ok(t) = std::fs::read_to_string(&path) {
        let t = t.trim().to_string();
        let found = store
            .find_token(&painchain_server::auth::hash_token(&t))
            .await?;
        // Tokens of earlier versions served the default tenant only.
        if found.is_some_and(|f| f.tenant_id == ALL_TENANTS) {
            return Ok(Some(t));
        }
    }
    let (_, secret) = painchain_server::auth::create_token_in_store(
        store,
        ALL_TENANTS,
        "in-process connectors",
        Scope::Ingest,
    )
    .await?;
    std::fs::create_dir_all(&config.data_dir)?;
    let _ = std::fs::remove_file(&path);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    opts.open(&path)?.write_all(secret.as_bytes())?;
    Ok(Some(secret))
}

/// Registers the built-in types, applies `integrations:` from the config
/// file, and starts the in-process connectors against `addr`.
pub async fn start(
    config: &Config,
    config_file: Option<&Path>,
    store: Arc<dyn Store>,
    addr: SocketAddr,
) -> Result<InProcess> {
    let wanted = in_process_types();
    let connectors: Vec<Arc<dyn Connector>> = builtin()
        .into_iter()
        .filter(|c| wanted.as_ref().is_none_or(|w| w.contains(&c.metadata().id)))
        .collect();
    // Register the built-in types directly, so declared integrations of
    // them are validated against their schema right now. Types not run
    // in-process are only added when missing (re-registering marks a type
    // live, and its standalone connector may not be running).
    for c in builtin() {
        let reg: TypeRegistration = serde_json::from_value(serde_json::to_value(c.metadata())?)?;
        let in_process = connectors.iter().any(|x| x.metadata().id == reg.id);
        if !in_process && store.get_connector_type(&reg.id).await?.is_some() {
            continue;
        }
        painchain_server::api::integrations::types::upsert_type(&*store, &reg)
            .await
            .map_err(|e| anyhow::anyhow!("cannot register connector type `{}`: {e}", reg.id))?;
    }
    if config.integrations.is_some() {
        let path = config_file.context("`integrations` needs a config file")?;
        let declared: Vec<declared::DeclaredIntegration> = load_declared(path, FileKind::Serve)?
            .into_iter()
            .map(|d| declared::DeclaredIntegration {
                name: d.name,
                integration_type: d.integration_type,
                config: d.config,
                enabled: d.enabled,
                tenant: d.tenant,
            })
            .collect();
        let shared = Integrations::load(config);
        let sbox = shared
            .secrets
            .as_ref()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        declared::apply(
            &*store,
            sbox,
            &declared,
            config.config_generation,
            (None, None, true),
        )
        .await
        .map_err(|e| ConfigError::new(format!("integrations ({})", path.display()), e))?;
    }
    let (stop, rx) = watch::channel(false);
    let mut tasks = Vec::new();
    if connectors.is_empty() {
        return Ok(InProcess { stop, tasks });
    }
    let token = internal_token(config, &*store).await?;
    let url = loopback_url(addr);
    for c in connectors {
        let ty = c.metadata().id;
        let mut cfg = RuntimeConfig::new(&url, token.clone());
        cfg.register_timeout = Duration::from_secs(30);
        cfg.all_tenants = true;
        let mut rx = rx.clone();
        tracing::info!(r#type = %ty, "starting in-process connector");
        tasks.push(tokio::spawn(async move {
            let r = Runtime::new(c, cfg)
                .run(async move {
                    let _ = rx.wait_for(|s| *s).await;
                })
                .await;
            if let Err(e) = r {
                tracing::error!(r#type = %ty, error = %format!("{e:#}"), "in-process connector stopped");
            }
        }));
    }
    Ok(InProcess { stop, tasks })
}
