//! `GET /api/events/stream`: Server-Sent Events of newly stored events that
//! match the same filters as `GET /api/events`.
//!
//! Fed by the in-process broadcast channel that ingest publishes to after
//! each commit. Ingest never waits for subscribers: one that falls more than
//! `stream_buffer` events behind skips them (it receives a `lagged` comment)
//! — the UI reloads the timeline when it sees one. On shutdown every stream
//! ends so graceful shutdown can finish.
//!
//! With several replicas (PostgreSQL) the events stored by the other
//! replicas come in through [`Store::subscribe_remote`] (notices sent on
//! commit): [`spawn_remote`] fetches each and publishes it on the same
//! channel, so a stream sees every replica's events.

use std::{collections::HashMap, convert::Infallible, sync::Arc, time::Duration};

use axum::{
    extract::State,
    response::sse::{Event as SseEvent, KeepAlive, Sse},
    routing::get,
    Router,
};
use futures::{stream, Stream, StreamExt};
use painchain_core::{Event, EventFilter};
use painchain_store::Store;
use tokio::sync::{broadcast, watch};

use crate::{
    api::events::EventParamsDoc, auth::Read, error::ApiResult, extract::ApiQuery,
    query::EventParams, state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/events/stream", get(stream_events))
}

struct Subscription {
    rx: broadcast::Receiver<Arc<Event>>,
    shutdown: watch::Receiver<bool>,
    tenant: Arc<str>,
    filter: EventFilter,
    matches_nothing: bool,
    store: Arc<dyn Store>,
    /// integrationId → its `config.tags`, for the `tag` filter.
    integration_tags: HashMap<String, Vec<String>>,
}

impl Subscription {
    async fn accepts(&mut self, e: &Event) -> bool {
        if *e.tenant_id != *self.tenant || self.matches_nothing {
            return false;
        }
        // Only the tag filter can need the integration's tags; look them up
        // when the event's own tags don't already decide it.
        let needs_integration =
            !self.filter.tags.is_empty() && !self.filter.tags.iter().any(|t| e.tags.contains(t));
        let tags: &[String] = match (&e.integration_id, needs_integration) {
            (Some(id), true) => {
                if !self.integration_tags.contains_key(id) {
                    let tags = match self.store.get_integration(&self.tenant, id).await {
                        Ok(Some(i)) => i.tags(),
                        _ => Vec::new(),
                    };
                    self.integration_tags.insert(id.clone(), tags);
                }
                &self.integration_tags[id]
            }
            _ => &[],
        };
        self.filter.matches(e, tags)
    }
}

/// Feeds the live stream with the events other processes commit to the
/// same database (PostgreSQL replicas). Listening has started when this
/// returns; `None` when the store has no other writers. The task ends with
/// the store's notices or on shutdown.
pub async fn spawn_remote(state: AppState) -> Option<tokio::task::JoinHandle<()>> {
    let mut notices = state.store.subscribe_remote().await?;
    let mut shutdown = state.shutdown.clone();
    Some(tokio::spawn(async move {
        loop {
            let notice = tokio::select! {
                _ = shutdown.wait_for(|down| *down) => return,
                n = notices.next() => match n {
                    Some(n) => n,
                    None => return,
                },
            };
            for id in &notice.ids {
                // Like local ingest: only build events when someone listens.
                if !state.has_subscribers() {
                    break;
                }
                match state.store.get_event(&notice.tenant, id).await {
                    Ok(Some(e)) => state.publish(e),
                    // Deleted (retention, purge) since: nothing to show.
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, %id, "cannot fetch another replica's event for the live stream")
                    }
                }
            }
        }
    }))
}

/// Live events as SSE: `event: event`, `id: <event id>`, `data: <Event JSON>`.
#[utoipa::path(
    get, path = "/api/events/stream", tag = "events",
    params(EventParamsDoc),
    responses((status = 200, description = "text/event-stream of Event objects", content_type = "text/event-stream"),
        (status = 400, body = crate::error::ErrorBody))
)]
pub async fn stream_events(
    State(state): State<AppState>,
    Read(caller): Read,
    ApiQuery(params): ApiQuery<EventParams>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let parsed = params.filter(&state, caller.tenant()).await?;
    let sub = Subscription {
        rx: state.events.subscribe(),
        shutdown: state.shutdown.clone(),
        tenant: caller.tenant.clone(),
        filter: parsed.filter,
        matches_nothing: parsed.matches_nothing,
        store: state.store.clone(),
        integration_tags: HashMap::new(),
    };
    // A first comment tells the client the subscription is live.
    let hello = stream::once(async { Ok(SseEvent::default().comment("subscribed")) });
    let events = stream::unfold(sub, |mut s| async move {
        loop {
            let received = tokio::select! {
                _ = s.shutdown.wait_for(|down| *down) => return None,
                r = s.rx.recv() => r,
            };
            match received {
                Ok(e) => {
                    if s.accepts(&e).await {
                        let data = serde_json::to_string(&*e).unwrap_or_default();
                        let ev = SseEvent::default()
                            .event("event")
                            .id(e.id.clone())
                            .data(data);
                        return Some((Ok(ev), s));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    let ev = SseEvent::default().comment(format!("lagged: skipped {n} events"));
                    return Some((Ok(ev), s));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(
        Sse::new(hello.chain(events))
            .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
    )
}
