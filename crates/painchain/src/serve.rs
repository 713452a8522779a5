//! `painchain serve`, and opening the configured store for `--local` commands.

use std::{io::IsTerminal, sync::Arc};

use anyhow::{Context, Result};
use painchain_server::config::{Config, LogFormat, Overrides};
use painchain_store::Store;
use tracing_subscriber::EnvFilter;

use crate::cli::{LogFormatArg, ServeArgs, StoreArgs};

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// defaults → YAML → environment → flags. A `ConfigError` here ends the
/// process with exit code 2 (see `main`).
pub fn load_config(store: &StoreArgs, overrides: Overrides) -> Result<Config> {
    let overrides = Overrides {
        data_dir: store.data_dir.clone(),
        database_url: store.database_url.clone(),
        ..overrides
    };
    Ok(Config::load(store.config.as_deref(), &env, &overrides)?)
}

fn init_logging(config: &Config) {
    // RUST_LOG, when set, beats the configured level (debugging aid).
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.log.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // Logs go to stderr (stdout stays clean for piping); colours only on a terminal.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match config.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

pub async fn open_local_store(args: &StoreArgs) -> Result<Arc<dyn Store>> {
    let config = load_config(args, Overrides::default())?;
    painchain_server::store::open_store(&config)
        .await
        .context("cannot open the store")
}

pub async fn run(args: ServeArgs) -> Result<()> {
    let mut config = load_config(
        &args.store,
        Overrides {
            bind: args.bind.clone(),
            auth_disabled: args.no_auth,
            retention: args.retention.clone(),
            log_level: args.log_level.clone(),
            git_roots: args.git_roots.clone(),
            ..Default::default()
        },
    )?;
    // The flag beats PAINCHAIN_LOG_FORMAT and the YAML `log.format`.
    if let Some(f) = args.log_format {
        config.log.format = match f {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        };
    }
    init_logging(&config);
    // Before anything slow, so an early SIGTERM still shuts down cleanly.
    let shutdown = painchain_server::shutdown_signal();
    match &config.database_url {
        Some(_) => tracing::info!("opening PostgreSQL store"),
        None => tracing::info!(path = %config.sqlite_path().display(), "opening SQLite store"),
    }
    let store = painchain_server::store::open_store(&config)
        .await
        .context("cannot open the store")?;
    painchain_server::log_startup(&config, store.backend());
    let listener = match tokio::net::TcpListener::bind(config.bind).await {
        Ok(l) => l,
        Err(e) => {
            store.close().await;
            return Err(e).with_context(|| format!("cannot listen on {}", config.bind));
        }
    };
    let addr = listener.local_addr()?;
    tracing::info!("listening on http://{addr}");
    // In-process connectors and config-as-code integrations. Their
    // credentials live in memory only: the server learns them via `config`.
    let connectors = crate::connectors::start(
        &mut config,
        args.store.config.as_deref(),
        store.clone(),
        addr,
    )
    .await?;
    let shutdown = connectors.shutdown_after(shutdown);
    painchain_server::serve(listener, store, config, shutdown).await?;
    Ok(())
}
