//! The two kinds of sources and the context the runtime hands them.
//!
//! Both kinds share one lifecycle because the runtime only ever runs a
//! [`StreamingSource`]: a [`PollingSource`] is wrapped in a
//! [`PollingAdapter`], which is just a stream that polls, emits, and sleeps
//! until the next interval (or a sync-now request).

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use painchain_core::NewEvent;
use serde_json::Value;
use tokio::sync::watch;

use crate::{connector::IntegrationSpec, retry::jittered};

/// What a connector builds for one integration.
pub enum Source {
    Polling(Box<dyn PollingSource>),
    Streaming(Box<dyn StreamingSource>),
}

impl Source {
    pub fn polling(p: impl PollingSource) -> Source {
        Source::Polling(Box::new(p))
    }

    pub fn streaming(s: impl StreamingSource) -> Source {
        Source::Streaming(Box::new(s))
    }

    /// The one shape the runtime runs.
    pub fn into_streaming(self) -> Box<dyn StreamingSource> {
        match self {
            Source::Polling(p) => Box::new(PollingAdapter { inner: p }),
            Source::Streaming(s) => s,
        }
    }
}

/// One poll's result.
#[derive(Debug, Default)]
pub struct Batch {
    pub events: Vec<NewEvent>,
    /// Saved on the server once `events` were accepted; `None` keeps the
    /// current cursor.
    pub next_cursor: Option<Value>,
    /// More is ready right now (a paginated backlog): poll again at once
    /// instead of waiting for the interval.
    pub more: bool,
}

/// `poll(cursor) -> events + next cursor`, e.g. a REST API.
#[async_trait]
pub trait PollingSource: Send + 'static {
    async fn poll(&mut self, cursor: Option<Value>) -> anyhow::Result<Batch>;
}

/// A long-running watch. It reads its start point from
/// [`SourceContext::checkpoint`], calls [`SourceContext::emit`] with events and
/// the checkpoint they lead to, and returns when [`SourceContext::idle`] or
/// `emit` says the runtime is stopping. Returning an error makes the runtime
/// report it and restart the source (with backoff) from the last saved
/// checkpoint.
#[async_trait]
pub trait StreamingSource: Send + 'static {
    async fn run(self: Box<Self>, ctx: SourceContext) -> anyhow::Result<()>;
}

/// The runtime is stopping (shutdown, integration deleted, disabled or
/// changed): the source should return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the connector is stopping this integration")]
pub struct Stopped;

/// Why [`SourceContext::idle`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The (jittered) interval elapsed.
    Tick,
    /// Someone asked for a sync now (`POST /api/integrations/:id/sync`).
    SyncRequested,
    /// Return from `run`.
    Stop,
}

/// Progress a source reports, turned into status heartbeats by the runtime.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// A sync cycle started.
    Syncing,
    /// A sync cycle finished: the source is caught up.
    Synced,
    /// Something failed; the source keeps going (or is restarted).
    Error(String),
    /// A figure for the status's `details` (e.g. `rateLimit`), replacing
    /// the previous value under that key.
    Detail(String, Value),
}

/// Where events go: the runtime posts them (with retry) and then saves the
/// checkpoint. Implemented by the runtime; tests may supply their own.
#[async_trait]
pub trait Deliver: Send + Sync + 'static {
    /// Returns once the server accepted every event (or skipped the invalid
    /// ones) and the checkpoint, if any, is saved; `Err(Stopped)` if the
    /// runtime stopped before that (nothing is lost: the old checkpoint
    /// stands and the events are re-sent and deduplicated later).
    async fn deliver(
        &self,
        events: Vec<NewEvent>,
        checkpoint: Option<Value>,
    ) -> Result<(), Stopped>;
    fn report(&self, report: Report);
}

/// Everything a source needs from the runtime.
pub struct SourceContext {
    integration: Arc<IntegrationSpec>,
    checkpoint: Option<Value>,
    interval: Duration,
    delivery: Arc<dyn Deliver>,
    wake: watch::Receiver<u64>,
    stop: watch::Receiver<bool>,
    /// Cycles that ended in [`error`](Self::error) since the last
    /// [`synced`](Self::synced): [`idle`](Self::idle) backs off with them.
    failures: u32,
}

/// The longest a failing integration waits between attempts (unless its
/// own interval is longer, or someone asks for a sync).
pub const MAX_FAILURE_BACKOFF: Duration = Duration::from_secs(300);

impl SourceContext {
    pub fn new(
        integration: Arc<IntegrationSpec>,
        checkpoint: Option<Value>,
        interval: Duration,
        delivery: Arc<dyn Deliver>,
        wake: watch::Receiver<u64>,
        stop: watch::Receiver<bool>,
    ) -> Self {
        SourceContext {
            integration,
            checkpoint,
            interval,
            delivery,
            wake,
            stop,
            failures: 0,
        }
    }

    pub fn integration(&self) -> &IntegrationSpec {
        &self.integration
    }

    /// The last checkpoint the server stored for this integration.
    pub fn checkpoint(&self) -> Option<&Value> {
        self.checkpoint.as_ref()
    }

    /// `config.polling.interval`, or the connector's default.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    pub fn is_stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Posts `events` and then saves `checkpoint` (when `Some`). Returns once
    /// both are done, so after `Ok` the checkpoint is durable.
    pub async fn emit(
        &mut self,
        events: Vec<NewEvent>,
        checkpoint: Option<Value>,
    ) -> Result<(), Stopped> {
        if self.is_stopping() {
            return Err(Stopped);
        }
        self.delivery.deliver(events, checkpoint.clone()).await?;
        if checkpoint.is_some() {
            self.checkpoint = checkpoint;
        }
        Ok(())
    }

    pub fn syncing(&self) {
        self.delivery.report(Report::Syncing);
    }

    pub fn synced(&mut self) {
        self.failures = 0;
        self.delivery.report(Report::Synced);
    }

    /// Reports a failed cycle; until the next [`synced`](Self::synced),
    /// [`idle`](Self::idle) waits exponentially longer (a missing
    /// repository must not be retried, and logged, every few seconds forever).
    pub fn error(&mut self, message: impl Into<String>) {
        self.failures = self.failures.saturating_add(1);
        self.delivery.report(Report::Error(message.into()));
    }

    /// Reports that part of a cycle failed (one repository of several)
    /// while the rest was collected: shown like an error, but without the
    /// backoff of [`error`](Self::error), so the healthy part keeps its pace.
    pub fn partial_error(&mut self, message: impl Into<String>) {
        self.failures = 0;
        self.delivery.report(Report::Error(message.into()));
    }

    /// Shows `value` under `key` in the integration status's `details`.
    pub fn detail(&self, key: impl Into<String>, value: Value) {
        self.delivery.report(Report::Detail(key.into(), value));
    }

    /// Sleeps for the jittered interval — doubled for each failed cycle in a
    /// row, up to [`MAX_FAILURE_BACKOFF`] — or less when a sync is requested
    /// or the runtime stops.
    pub async fn idle(&mut self) -> Wake {
        self.idle_for(jittered(self.next_wait())).await
    }

    /// The wait before the next cycle, before jitter.
    pub fn next_wait(&self) -> Duration {
        failure_backoff(self.interval, self.failures)
    }

    /// Like [`idle`](Self::idle) with an explicit duration (e.g. a watch
    /// reconnect delay).
    pub async fn idle_for(&mut self, d: Duration) -> Wake {
        if self.is_stopping() {
            return Wake::Stop;
        }
        let first = tokio::select! {
            _ = tokio::time::sleep(d) => Some(Wake::Tick),
            _ = self.stop.wait_for(|s| *s) => Some(Wake::Stop),
            r = self.wake.changed() => r.ok().map(|_| Wake::SyncRequested),
        };
        match first {
            Some(w) => w,
            // No one can ask for syncs any more: just sleep.
            None => tokio::select! {
                _ = tokio::time::sleep(d) => Wake::Tick,
                _ = self.stop.wait_for(|s| *s) => Wake::Stop,
            },
        }
    }

    /// Resolves when the runtime stops this integration; for streaming
    /// sources to `select!` on while they wait on their own I/O.
    pub async fn stopped(&mut self) {
        let _ = self.stop.wait_for(|s| *s).await;
    }
}

/// `interval` after a success or a first failure, then doubled for each
/// further failure in a row (`interval × 2^(failures-1)`), capped at
/// [`MAX_FAILURE_BACKOFF`] (or `interval` when that is longer).
pub fn failure_backoff(interval: Duration, failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    let cap = MAX_FAILURE_BACKOFF.max(interval);
    interval.saturating_mul(2u32.pow(doublings)).min(cap)
}

/// Runs a [`PollingSource`] as a stream: poll, emit, then wait for the
/// interval, a sync request, or stop. Poll errors are reported and retried
/// at the next interval, never in a tight loop.
pub struct PollingAdapter {
    pub inner: Box<dyn PollingSource>,
}

#[async_trait]
impl StreamingSource for PollingAdapter {
    async fn run(mut self: Box<Self>, mut ctx: SourceContext) -> anyhow::Result<()> {
        let mut cursor = ctx.checkpoint().cloned();
        loop {
            if ctx.is_stopping() {
                return Ok(());
            }
            ctx.syncing();
            match self.inner.poll(cursor.clone()).await {
                Ok(batch) => {
                    let more = batch.more;
                    let next = batch.next_cursor;
                    if ctx.emit(batch.events, next.clone()).await.is_err() {
                        return Ok(());
                    }
                    if next.is_some() {
                        cursor = next;
                    }
                    if more {
                        continue;
                    }
                    ctx.synced();
                }
                Err(e) => ctx.error(format!("{e:#}")),
            }
            if ctx.idle().await == Wake::Stop {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        atomic::{AtomicU32, Ordering},
        Mutex,
    };

    use super::*;

    #[test]
    fn failures_double_the_wait_up_to_a_cap() {
        let i = Duration::from_secs(5);
        assert_eq!(failure_backoff(i, 0), i);
        assert_eq!(failure_backoff(i, 1), i);
        assert_eq!(failure_backoff(i, 2), Duration::from_secs(10));
        assert_eq!(failure_backoff(i, 4), Duration::from_secs(40));
        assert_eq!(failure_backoff(i, 10), MAX_FAILURE_BACKOFF);
        assert_eq!(failure_backoff(i, u32::MAX), MAX_FAILURE_BACKOFF);
        let long = Duration::from_secs(3600);
        assert_eq!(
            failure_backoff(long, 4),
            long,
            "never shorter than the interval"
        );
    }

    #[derive(Default)]
    struct Recorder(Mutex<Vec<Report>>);

    #[async_trait]
    impl Deliver for Recorder {
        async fn deliver(&self, _: Vec<NewEvent>, _: Option<Value>) -> Result<(), Stopped> {
            Ok(())
        }
        fn report(&self, report: Report) {
            self.0.lock().unwrap().push(report);
        }
    }

    /// Fails its first `fail` polls, then succeeds.
    struct Flaky {
        polls: Arc<AtomicU32>,
        fail: u32,
    }

    #[async_trait]
    impl PollingSource for Flaky {
        async fn poll(&mut self, _: Option<Value>) -> anyhow::Result<Batch> {
            let n = self.polls.fetch_add(1, Ordering::SeqCst);
            if n < self.fail {
                anyhow::bail!("/path/to/repo is not a readable git repository");
            }
            Ok(Batch::default())
        }
    }

    fn spec() -> Arc<IntegrationSpec> {
        Arc::new(
            serde_json::from_value(serde_json::json!({
                "id": "i1", "tenantId": "default", "type": "t", "name": "n", "config": {}
            }))
            .unwrap(),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_source_backs_off_and_recovers_its_pace() {
        let polls = Arc::new(AtomicU32::new(0));
        let rec = Arc::new(Recorder::default());
        let (_wake_tx, wake) = watch::channel(0);
        let (stop_tx, stop) = watch::channel(false);
        let ctx = SourceContext::new(
            spec(),
            None,
            Duration::from_secs(1),
            rec.clone(),
            wake,
            stop,
        );
        let source = Source::polling(Flaky {
            polls: polls.clone(),
            fail: 6,
        })
        .into_streaming();
        let task = tokio::spawn(source.run(ctx));

        // Six failures wait ~1+2+4+8+16 s, then 32 s before the seventh
        // poll succeeds: without backoff a 1 s interval would have polled ~60
        // times in the first minute.
        tokio::time::sleep(Duration::from_secs(60)).await;
        let failing = polls.load(Ordering::SeqCst);
        assert!(
            (4..=7).contains(&failing),
            "{failing} polls in the first minute"
        );

        // Once it succeeds, back to the 1 s interval.
        tokio::time::sleep(Duration::from_secs(40)).await;
        let before = polls.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(10)).await;
        let healthy = polls.load(Ordering::SeqCst) - before;
        assert!(
            (8..=12).contains(&healthy),
            "{healthy} polls in 10 s once healthy"
        );
        assert!(rec.0.lock().unwrap().contains(&Report::Synced));

        stop_tx.send(true).unwrap();
        task.await.unwrap().unwrap();
    }
}
