//! PainChain's HTTP server: an axum application over a [`Store`].
//!
//! - [`app`] builds the router (API, OpenAPI viewer, embedded UI).
//! - [`serve`] runs it on a listener until a shutdown future resolves, then
//!   drains in-flight requests, ends live streams and closes the store.
//!
//! The binary (`painchain serve`) assembles a [`config::Config`], opens the
//! store with [`store::open_store`] and calls [`serve`].

use std::{future::Future, io, sync::Arc, time::Duration};

use axum::{extract::DefaultBodyLimit, middleware, routing::any, Router};
use painchain_store::Store;
use tokio::{net::TcpListener, sync::watch};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub mod api;
pub mod auth;
pub mod config;
pub mod edge;
pub mod error;
pub mod extract;
pub mod listen;
pub mod load;
pub mod openapi;
pub mod query;
pub mod retention;
pub mod state;
pub mod store;
mod ui;

pub use config::Config;
pub use error::ApiError;
pub use state::AppState;

/// How long in-flight requests get after a shutdown signal before the
/// server stops regardless.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The whole HTTP application for a state.
pub fn app(state: AppState) -> Router {
    let max_body = state.config.limits.max_body_bytes;
    let load = load::Load::new(&state.config.limits);
    Router::new()
        .merge(api::router(&state))
        .merge(openapi::router())
        // Anything else under /api is a JSON 404, never the UI.
        .route("/api", any(api::not_found))
        .route("/api/{*rest}", any(api::not_found))
        .fallback(ui::serve)
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(axum::middleware::from_fn(edge::refuse_nul))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(edge::catch_panic())
        // Per-request logs at debug: info would cost too much at 10k req/s.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::DEBUG))
                .on_response(DefaultOnResponse::new().level(Level::DEBUG)),
        )
        // Outermost: a shed request costs no more than this check.
        .layer(middleware::from_fn(move |req, next| {
            load.clone().handle(req, next)
        }))
        .with_state(state)
}

/// Logs how the server is configured, warning loudly about open access.
pub fn log_startup(config: &Config, backend: &str) {
    tracing::info!(bind = %config.bind, store = backend, "PainChain starting");
    if config.auth.enabled {
        tracing::info!("auth enabled: every API call needs `Authorization: Bearer pc_...`");
    } else if config.bind.ip().is_loopback() {
        tracing::warn!(
            "auth DISABLED by configuration (auth.enabled: false); listening on loopback {} only",
            config.bind
        );
    } else {
        tracing::warn!(
            "!!! AUTH IS DISABLED and PainChain listens on {}, which is not a loopback address: \
             anyone who can reach this port can read and write every tenant's data. \
             Enable auth (auth.enabled: true) or bind to 127.0.0.1. !!!",
            config.bind
        );
    }
}

/// Serves until `shutdown` resolves; then stops accepting, ends live
/// streams, lets in-flight requests finish (up to [`SHUTDOWN_GRACE`]) and
/// closes the store. A half-sent request delays that by at most the header
/// or body read timeout.
pub async fn serve(
    listener: TcpListener,
    store: Arc<dyn Store>,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let (tx, rx) = watch::channel(false);
    // Held here until the end: dropping the sender would read as "closed".
    let tx = Arc::new(tx);
    let signal_tx = tx.clone();
    let state = AppState::new(store.clone(), config, rx.clone());
    let retention = retention::spawn(state.clone());
    // Before serving: a stream opened from now on sees other replicas' events.
    let remote = api::stream::spawn_remote(state.clone()).await;
    let limits = listen::ListenLimits {
        max_connections: state.config.limits.max_connections,
        header_read_timeout: state.config.limits.header_read_timeout,
    };
    let app = app(state);

    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = signal_tx.send(true);
    };
    tokio::spawn(signal);
    // Connect info (set by the accept loop): the integrations API tells
    // loopback callers apart (who may see secrets when auth is off).
    let server = listen::run(listener, app, limits, rx.clone());
    let mut down = rx;
    let deadline = async move {
        let _ = down.wait_for(|d| *d).await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    let result = tokio::select! {
        r = server => r,
        _ = deadline => {
            tracing::warn!("in-flight requests did not finish within {SHUTDOWN_GRACE:?}; stopping");
            Ok(())
        }
    };
    if let Some(r) = retention {
        r.abort();
    }
    // Ends on the shutdown signal; its listening connection must be back
    // in the pool before the store closes.
    if let Some(r) = remote {
        r.abort();
        let _ = r.await;
    }
    drop(tx);
    store.close().await;
    tracing::info!("store closed; bye");
    result
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C). The handlers are installed when
/// this is *called* (not when first polled), so a signal that arrives while
/// the server is still starting is not lost to the default action.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(term) => {},
                _ = wait(int) => {},
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(feature = "testing")]
pub mod testing;
