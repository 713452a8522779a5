//! What every handler can reach: the store, the configuration, the live
//! stream's channel, the token cache and the shutdown signal.

use std::{ops::Deref, sync::Arc};

use painchain_core::{Event, EventLimits};
use painchain_store::Store;
use tokio::sync::{broadcast, watch};

use crate::{api::integrations::KnownIntegrations, auth::TokenCache, config::Config};

/// Cheap to clone (one `Arc`); axum clones it per request.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    /// Validation limits derived from `config.limits`, computed once.
    pub limits: EventLimits,
    /// Every event stored by this process (and, on PostgreSQL, by the other
    /// replicas: `api::stream::spawn_remote`), for SSE subscribers. Sending never
    /// waits: a subscriber that lags more than the capacity skips events.
    pub events: broadcast::Sender<Arc<Event>>,
    pub tokens: TokenCache,
    /// Becomes `true` when the server starts shutting down, so long-lived
    /// responses (SSE) end and graceful shutdown can complete.
    pub shutdown: watch::Receiver<bool>,
    /// Integrations known to exist, for the events' `integrationId` check.
    pub known_integrations: KnownIntegrations,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: Config, shutdown: watch::Receiver<bool>) -> Self {
        let (events, _) = broadcast::channel(config.stream_buffer.max(16));
        AppState(Arc::new(Inner {
            store,
            limits: config.limits.event_limits(),
            tokens: TokenCache::with_internal(config.auth.token_cache_ttl, &config.internal_tokens),
            config: Arc::new(config),
            events,
            shutdown,
            known_integrations: KnownIntegrations::default(),
        }))
    }

    /// Hands a freshly stored event to live-stream subscribers.
    pub fn publish(&self, event: Event) {
        // `send` only fails when nobody listens, which is fine.
        let _ = self.events.send(Arc::new(event));
    }

    /// Whether anyone listens (so handlers can skip building the event).
    pub fn has_subscribers(&self) -> bool {
        self.events.receiver_count() > 0
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
