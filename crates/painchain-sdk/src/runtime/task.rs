//! One integration's task: read the saved cursor, run its source, deliver
//! what it emits (post, then save the checkpoint), restart it with backoff
//! when it fails. Failures stay inside this task: other integrations never
//! wait on it.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use painchain_core::NewEvent;
use serde_json::Value;
use tokio::{sync::watch, task::JoinHandle};

use super::{status::Transition, StatusState};
use crate::{
    client::Client,
    connector::{poll_interval, Connector, IntegrationSpec},
    retry::Backoff,
    source::{Deliver, Report, SourceContext, Stopped},
};

pub(super) struct TaskCtx {
    pub connector: Arc<dyn Connector>,
    pub client: Client,
    pub spec: Arc<IntegrationSpec>,
    pub status: Arc<StatusState>,
    pub stop: watch::Receiver<bool>,
    pub wake: watch::Receiver<u64>,
    /// The task this one replaces; awaited first so cursor writes never
    /// interleave.
    pub previous: Option<JoinHandle<()>>,
    pub grace: Duration,
}

/// Aborts the wrapped task when dropped (if this task is aborted after the
/// grace period, its source must not live on).
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Sleeps `d` unless stopped first; `false` when stopped.
async fn pause(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    let stopped = tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = stop.wait_for(|s| *s) => true,
    };
    !stopped && !*stop.borrow()
}

pub(super) async fn run(mut ctx: TaskCtx) {
    if let Some(prev) = ctx.previous.take() {
        let _ = tokio::time::timeout(ctx.grace * 2, prev).await;
    }
    let spec = ctx.spec.clone();
    let interval = poll_interval(&spec.config, ctx.connector.default_interval());
    let mut stop = ctx.stop.clone();

    if let Err(e) = ctx.connector.validate(&spec.config) {
        tracing::error!(error = %e, "invalid configuration; not collecting");
        ctx.status
            .apply(&Report::Error(format!("invalid configuration: {e}")));
        let _ = stop.wait_for(|s| *s).await;
        return;
    }

    // The saved cursor: retried (a restart must resume where it stopped,
    // never from scratch because the server blinked).
    let mut backoff = ctx.client.backoff();
    let mut checkpoint = loop {
        match ctx.client.get_cursor(&spec).await {
            Ok(c) => break c,
            Err(e) => {
                ctx.status
                    .apply(&Report::Error(format!("cannot read the saved cursor: {e}")));
                if !pause(&mut stop, backoff.next_delay()).await {
                    return;
                }
            }
        }
    };

    let delivery = Arc::new(Delivery {
        client: ctx.client.clone(),
        spec: spec.clone(),
        connector_type: ctx.connector.metadata().id,
        stop: ctx.stop.clone(),
        status: ctx.status.clone(),
        checkpoint: std::sync::Mutex::new(checkpoint.clone()),
    });
    let mut restart = Backoff::new(Duration::from_secs(1), interval.max(Duration::from_secs(5)));
    loop {
        let source = match ctx.connector.source(&spec) {
            Ok(s) => s.into_streaming(),
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "cannot start source");
                ctx.status.apply(&Report::Error(format!("{e:#}")));
                if !pause(&mut stop, restart.next_delay()).await {
                    return;
                }
                continue;
            }
        };
        let sctx = SourceContext::new(
            spec.clone(),
            checkpoint.clone(),
            interval,
            delivery.clone(),
            ctx.wake.clone(),
            ctx.stop.clone(),
        );
        // Spawned so a panicking source is caught like an error.
        let mut handle = AbortOnDrop(tokio::spawn(source.run(sctx)));
        let result = (&mut handle.0).await;
        if *stop.borrow() {
            return;
        }
        match result {
            Ok(Ok(())) => tracing::info!("source ended; restarting it"),
            Ok(Err(e)) => {
                tracing::warn!(error = %format!("{e:#}"), "source failed; restarting it");
                ctx.status.apply(&Report::Error(format!("{e:#}")));
            }
            Err(e) => {
                tracing::error!(error = %e, "source panicked; restarting it");
                ctx.status
                    .apply(&Report::Error(format!("source panicked: {e}")));
            }
        }
        checkpoint = delivery.checkpoint.lock().unwrap().clone();
        if !pause(&mut stop, restart.next_delay()).await {
            return;
        }
    }
}

/// Posts a source's events, then saves its checkpoint.
struct Delivery {
    client: Client,
    spec: Arc<IntegrationSpec>,
    connector_type: String,
    stop: watch::Receiver<bool>,
    status: Arc<StatusState>,
    /// The last checkpoint the server stored (a restarted source resumes
    /// from it).
    checkpoint: std::sync::Mutex<Option<Value>>,
}

impl Delivery {
    fn counted(&self, out: crate::client::PostOutcome) {
        self.status.count(out.created, out.duplicates, out.invalid);
        tracing::info!(
            created = out.created,
            duplicates = out.duplicates,
            skipped = out.invalid,
            "events delivered"
        );
    }
}

#[async_trait]
impl Deliver for Delivery {
    async fn deliver(
        &self,
        mut events: Vec<NewEvent>,
        checkpoint: Option<Value>,
    ) -> Result<(), Stopped> {
        let mut stop = self.stop.clone();
        for e in &mut events {
            // Sources may leave these out; the server needs them for dedup
            // and attribution.
            if e.integration_id.is_none() {
                e.integration_id = Some(self.spec.id.clone());
            }
            if e.connector.is_empty() {
                e.connector = self.connector_type.clone();
            }
        }
        let saved = match (&checkpoint, events.is_empty()) {
            (_, true) => false,
            (Some(cp), false) => {
                let (out, saved) = self
                    .client
                    .post_with_cursor(&self.spec, &events, cp, &mut stop)
                    .await?;
                self.counted(out);
                saved
            }
            (None, false) => {
                let out = self
                    .client
                    .post_events(&self.spec, &events, &mut stop)
                    .await?;
                self.counted(out);
                false
            }
        };
        let Some(cp) = checkpoint else {
            return Ok(());
        };
        if saved {
            *self.checkpoint.lock().unwrap() = Some(cp);
            return Ok(());
        }
        // Only now — every event accepted (201/409) or skipped — may the
        // cursor move.
        let mut backoff = self.client.backoff();
        loop {
            match self.client.put_cursor(&self.spec, &cp).await {
                Ok(()) => break,
                Err(e) if e.is_transient() => {
                    tracing::warn!(error = %e, "cannot save cursor; retrying");
                    if !pause(&mut stop, backoff.next_delay()).await {
                        return Err(Stopped);
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "server refused the cursor");
                    self.status
                        .apply(&Report::Error(format!("cannot save cursor: {e}")));
                    return Err(Stopped);
                }
            }
        }
        *self.checkpoint.lock().unwrap() = Some(cp);
        Ok(())
    }

    fn report(&self, report: Report) {
        match self.status.apply(&report) {
            Some(Transition::Failing(e)) => tracing::warn!(error = %e, "collection failing"),
            Some(Transition::Recovered) => tracing::info!("collection recovered"),
            None => {}
        }
    }
}
