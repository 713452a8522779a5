//! Connectors in the binary: `painchain connector <type>` (standalone
//! process) and the in-process connectors of `painchain serve` (the free
//! tier's zero-setup default). Both run the same SDK runtime against the
//! HTTP API — in-process over loopback — so they behave identically.
//!
//! Also applies the config-as-code `integrations:` of `painchain.yaml`.

use std::{net::SocketAddr, path::Path, path::PathBuf, sync::Arc, time::Duration};

use anyhow::{Context, Result};
use clap::Parser;
use std::sync::atomic::Ordering;

use painchain_connector_git::LocalPathPolicy;
use painchain_core::token::ALL_TENANTS;
use painchain_sdk::{
    config_file::{self, FileKind},
    outbound::Allow,
    runtime::shutdown_signal,
    Client, Connector, OutboundPolicy, Runtime, RuntimeConfig,
};
use painchain_server::{
    api::integrations::{declared, types::TypeRegistration, Integrations},
    config::{Config, ConfigError, OutboundMode, Toggle},
};
use painchain_store::Store;
use tokio::{sync::watch, task::JoinHandle};

/// What the built-in connectors may reach: local repositories (git) and
/// outbound URLs (GitHub's `apiUrl`, ...). Clones share their switches.
#[derive(Debug, Clone, Default)]
pub struct Policies {
    pub git: Option<LocalPathPolicy>,
    pub outbound: OutboundPolicy,
}

impl Policies {
    /// From the server's configuration; both start in their multi-tenant
    /// (safe) position until [`Policies::set_multi_tenant`] says otherwise.
    pub fn from_config(config: &Config) -> Result<Self> {
        let roots = if config.git.roots.is_empty() {
            // The free tier's quick start adds the repository it runs in.
            vec![std::env::current_dir().context("the working directory (default git root)")?]
        } else {
            config.git.roots.clone()
        };
        let git = LocalPathPolicy::new(roots);
        let allow = Allow::parse_list(&config.outbound.allow.join(","))
            .map_err(|e| ConfigError::new("outbound.allow", e.to_string()))?;
        let p = Policies {
            git: Some(git),
            outbound: OutboundPolicy::restricted(allow),
        };
        p.set_multi_tenant(config, true);
        Ok(p)
    }

    /// Applies the tier: local paths off and outbound restricted when
    /// several tenants share the server, unless the operator said `on`/`open`.
    pub fn set_multi_tenant(&self, config: &Config, multi: bool) {
        if let Some(g) = &self.git {
            let on = match config.git.local_paths {
                Toggle::On => true,
                Toggle::Off => false,
                Toggle::Auto => !multi,
            };
            g.switch().store(on, Ordering::Relaxed);
        }
        let restricted = match config.outbound.policy {
            OutboundMode::Open => false,
            OutboundMode::Restricted => true,
            OutboundMode::Auto => multi,
        };
        self.outbound.switch().store(restricted, Ordering::Relaxed);
    }

    /// For `painchain connector <type>`: from the environment; a connector
    /// serving all tenants is a multi-tenant one.
    fn from_env(all_tenants: bool) -> Result<Self> {
        let env = |k: &str| std::env::var(k).ok();
        let config = Config::load(None, &env, &Default::default())?;
        let p = Self::from_config(&config)?;
        p.set_multi_tenant(&config, all_tenants);
        Ok(p)
    }
}

/// Every connector type this binary can run.
pub fn builtin(p: &Policies) -> Vec<Arc<dyn Connector>> {
    let git = match &p.git {
        Some(g) => painchain_connector_git::GitConnector::new(g.clone()),
        None => painchain_connector_git::GitConnector::default(),
    };
    vec![
        Arc::new(git),
        Arc::new(painchain_connector_github::GithubConnector::new(
            p.outbound.clone(),
        )),
    ]
}

fn type_ids() -> Vec<String> {
    builtin(&Policies::default())
        .iter()
        .map(|c| c.metadata().id)
        .collect()
}

/// Several tenants in use: PostgreSQL (the multi-tenant tier), or tokens or
/// integrations of more than one tenant in this store.
pub async fn multi_tenant(config: &Config, store: &dyn Store) -> Result<bool> {
    if config.multi_tenant_store() {
        return Ok(true);
    }
    let mut tenants = std::collections::HashSet::new();
    for t in store.list_tokens(None).await? {
        if t.tenant_id != ALL_TENANTS {
            tenants.insert(t.tenant_id);
        }
    }
    for i in store.list_integrations(None, None).await? {
        tenants.insert(i.tenant_id);
    }
    Ok(tenants.len() > 1)
}

/// How often the single-tenant check is repeated (a second tenant may
/// appear at any time).
const TENANCY_CHECK: Duration = Duration::from_secs(5);

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
    /// A connector token of this type (`painchain token create --connector
    /// <type>`); needed when the server has auth on. Other tokens see
    /// integration secrets masked.
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
        let types = type_ids();
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
    let policies = Policies::from_env(args.all_tenants)?;
    let Some(connector) = builtin(&policies)
        .into_iter()
        .find(|c| c.metadata().id == ty)
    else {
        let known = type_ids();
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

/// Earlier versions kept the in-process connectors' token in
/// `<data_dir>/connector.token` (an all-tenants token, never revoked):
/// revoke it and delete the file.
async fn forget_stale_token_file(config: &Config, store: &dyn Store) -> Result<()> {
    let path = config.data_dir.join("connector.token");
    let Ok(t) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let hash = painchain_server::auth::hash_token(t.trim());
    if let Some(found) = store.find_token(&hash).await? {
        store.revoke_token(None, &found.id).await?;
    }
    std::fs::remove_file(&path)
        .with_context(|| format!("cannot delete the stale {}", path.display()))?;
    tracing::info!(path = %path.display(), "revoked and deleted the old on-disk connector token");
    Ok(())
}

/// With auth on, each in-process connector gets an all-tenants connector
/// token of its type that exists only in this process's memory (the
/// server's token cache learns its hash through `config`): never written
/// to disk or to the store, gone when the process ends.
fn internal_tokens(config: &mut Config, types: &[String]) -> Vec<(String, Option<String>)> {
    types
        .iter()
        .map(|ty| {
            if !config.auth.enabled {
                return (ty.clone(), None);
            }
            let (t, secret) = painchain_server::auth::InternalToken::mint(ty);
            config.internal_tokens.push(t);
            (ty.clone(), Some(secret))
        })
        .collect()
}

fn log_policies(config: &Config, p: &Policies, multi: bool) {
    let git = p.git.as_ref();
    tracing::info!(
        multi_tenant = multi,
        git_local_paths = git.is_some_and(|g| g.enabled()),
        git_roots = ?git.map(|g| g.roots().to_vec()).unwrap_or_default(),
        outbound_restricted = p.outbound.is_restricted(),
        outbound_allow = ?config.outbound.allow,
        "in-process connector policies"
    );
}

/// Registers the built-in types, applies `integrations:` from the config
/// file, and starts the in-process connectors against `addr`.
pub async fn start(
    config: &mut Config,
    config_file: Option<&Path>,
    store: Arc<dyn Store>,
    addr: SocketAddr,
) -> Result<InProcess> {
    forget_stale_token_file(config, &*store).await?;
    let policies = Policies::from_config(config)?;
    let wanted = in_process_types();
    let connectors: Vec<Arc<dyn Connector>> = builtin(&policies)
        .into_iter()
        .filter(|c| wanted.as_ref().is_none_or(|w| w.contains(&c.metadata().id)))
        .collect();
    // The integrations the config file declares (applied below).
    let declared_file = match (&config.integrations, config_file) {
        (Some(_), Some(path)) => Some((path, load_declared(path, FileKind::Serve)?)),
        (Some(_), None) => anyhow::bail!("`integrations` needs a config file"),
        (None, _) => None,
    };
    // Register the built-in types directly, so declared integrations of
    // them are validated against their schema right now. A type not run
    // in-process is only added when missing and the file declares
    // integrations of it: otherwise its own (standalone or seed-era)
    // connector registers it, with the schema it wants.
    for c in builtin(&policies) {
        let reg: TypeRegistration = serde_json::from_value(serde_json::to_value(c.metadata())?)?;
        let in_process = connectors.iter().any(|x| x.metadata().id == reg.id);
        let declared_here = declared_file
            .as_ref()
            .is_some_and(|(_, d)| d.iter().any(|i| i.integration_type == reg.id));
        if !in_process && (!declared_here || store.get_connector_type(&reg.id).await?.is_some()) {
            continue;
        }
        painchain_server::api::integrations::types::upsert_type(&*store, &reg)
            .await
            .map_err(|e| anyhow::anyhow!("cannot register connector type `{}`: {e}", reg.id))?;
    }
    if let Some((path, file)) = declared_file {
        let declared: Vec<declared::DeclaredIntegration> = file
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
    // The tier decides what they may reach; checked now and then again,
    // since a second tenant may appear at any time.
    let multi = multi_tenant(config, &*store).await?;
    policies.set_multi_tenant(config, multi);
    log_policies(config, &policies, multi);
    {
        let (config, policies, store, mut rx) =
            (config.clone(), policies.clone(), store.clone(), rx.clone());
        tasks.push(tokio::spawn(async move {
            let mut last = multi;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(TENANCY_CHECK) => {}
                    _ = rx.wait_for(|s| *s) => return,
                }
                match multi_tenant(&config, &*store).await {
                    Ok(m) if m != last => {
                        policies.set_multi_tenant(&config, m);
                        log_policies(&config, &policies, m);
                        last = m;
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %format!("{e:#}"), "tenancy check failed"),
                }
            }
        }));
    }
    let types: Vec<String> = connectors.iter().map(|c| c.metadata().id).collect();
    let tokens = internal_tokens(config, &types);
    let url = loopback_url(addr);
    for (c, (_, token)) in connectors.into_iter().zip(tokens) {
        let ty = c.metadata().id;
        let mut cfg = RuntimeConfig::new(&url, token);
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
