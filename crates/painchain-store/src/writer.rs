//! Group commit: every event insert goes through the store's writer task(s).
//! The task takes whatever requests are queued (up to `MAX_BATCH_EVENTS`),
//! writes them in ONE transaction and answers each caller after the commit.
//! Under load many inserts share one fsync; when idle a lone insert commits
//! immediately, so latency never waits for a batch to fill.
//!
//! A backend may also *defer* the fsync (SQLite): it commits without
//! syncing and hands the batch to a sync task, which makes everything
//! committed so far durable with one fsync and only then answers the
//! callers. The writer meanwhile builds and writes the next batch, so the
//! disk flush of one batch overlaps the work of the next.

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use painchain_core::NewEvent;
use tokio::{
    sync::{mpsc, oneshot, Mutex},
    task::JoinHandle,
};

use crate::{InsertOutcome, Result, StoreError};

/// Upper bound of events per transaction: big enough to amortise the fsync,
/// small enough to keep a transaction (and the callers' wait) short.
pub(crate) const MAX_BATCH_EVENTS: usize = 512;
/// Queued requests before `insert_event` callers wait (backpressure).
const QUEUE: usize = 4096;

pub(crate) struct InsertJob {
    pub tenant: String,
    pub events: Vec<NewEvent>,
    /// `(integration id, cursor)` to save in the same transaction.
    pub cursor: Option<(String, serde_json::Value)>,
    reply: oneshot::Sender<Result<Vec<InsertOutcome>>>,
}

/// Makes every transaction committed so far durable (blocking I/O).
pub(crate) type SyncFn = Arc<dyn Fn() -> std::io::Result<()> + Send + Sync>;

/// What a backend provides: write these jobs atomically, outcomes per job.
#[async_trait]
pub(crate) trait BatchWriter: Send + 'static {
    async fn write(&mut self, jobs: &[InsertJob]) -> Result<Vec<Vec<InsertOutcome>>>;

    /// `Some` when `write` commits without syncing: callers are answered
    /// only after this has run (see the module docs).
    fn deferred_sync(&self) -> Option<SyncFn> {
        None
    }
}

/// Answers waiting for the next sync.
type Pending = Vec<(
    oneshot::Sender<Result<Vec<InsertOutcome>>>,
    Result<Vec<InsertOutcome>>,
)>;

type Queue = Arc<Mutex<mpsc::Receiver<InsertJob>>>;

/// The stores' handle on their writer tasks.
pub(crate) struct Writer {
    /// `None` once shut down: new inserts are refused.
    tx: RwLock<Option<mpsc::Sender<InsertJob>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Writer {
    /// One writer task per backend, all fed from one queue. Several
    /// backends (PostgreSQL connections) let one batch's commit overlap the
    /// statements of the next.
    pub fn spawn<W: BatchWriter>(backends: Vec<W>) -> Writer {
        let (tx, rx) = mpsc::channel(QUEUE);
        let queue: Queue = Arc::new(Mutex::new(rx));
        let tasks = backends
            .into_iter()
            .map(|b| tokio::spawn(run(b, queue.clone())))
            .collect();
        Writer {
            tx: RwLock::new(Some(tx)),
            tasks: Mutex::new(tasks),
        }
    }

    /// Like [`Writer::spawn`], but the tasks run on a runtime of their own,
    /// on a thread of their own. A writer waits on its database between
    /// statements; on the shared runtime each wake-up queues behind every
    /// HTTP request in flight, which under load leaves the database idle for
    /// much of a batch. Only for backends whose I/O does not depend on the
    /// shared runtime's reactor (SQLite runs on its own worker thread).
    pub fn spawn_on_own_thread<W: BatchWriter>(
        name: &str,
        backends: Vec<W>,
    ) -> std::io::Result<Writer> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let queue: Queue = Arc::new(Mutex::new(rx));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (done_tx, done_rx) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                rt.block_on(async move {
                    let tasks: Vec<_> = backends
                        .into_iter()
                        .map(|b| tokio::spawn(run(b, queue.clone())))
                        .collect();
                    for t in tasks {
                        let _ = t.await;
                    }
                });
                let _ = done_tx.send(());
            })?;
        Ok(Writer {
            tx: RwLock::new(Some(tx)),
            tasks: Mutex::new(vec![tokio::spawn(async move {
                let _ = done_rx.await;
            })]),
        })
    }

    pub async fn insert(
        &self,
        tenant: &str,
        events: Vec<NewEvent>,
        cursor: Option<(String, serde_json::Value)>,
    ) -> Result<Vec<InsertOutcome>> {
        if events.is_empty() && cursor.is_none() {
            return Ok(Vec::new());
        }
        let tx = self
            .tx
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or(StoreError::Closed)?;
        let (reply, rx) = oneshot::channel();
        let job = InsertJob {
            tenant: tenant.to_string(),
            events,
            cursor,
            reply,
        };
        tx.send(job).await.map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Refuses new inserts and returns once every queued one is answered.
    pub async fn shutdown(&self) {
        // Dropping the last sender lets the tasks drain the queue and stop.
        drop(self.tx.write().unwrap_or_else(|p| p.into_inner()).take());
        let tasks = std::mem::take(&mut *self.tasks.lock().await);
        for t in tasks {
            let _ = t.await;
        }
    }
}

/// Takes the next batch off the queue: everything pending, up to
/// `MAX_BATCH_EVENTS` events. `None` when the queue is closed and empty.
async fn next_batch(queue: &Queue, carry: &mut Option<InsertJob>) -> Option<Vec<InsertJob>> {
    let mut rx = queue.lock().await;
    let first = match carry.take() {
        Some(job) => job,
        None => rx.recv().await?,
    };
    let mut size = first.events.len().max(1);
    let mut jobs = vec![first];
    while size < MAX_BATCH_EVENTS {
        match rx.try_recv() {
            Ok(job) if size + job.events.len().max(1) > MAX_BATCH_EVENTS => {
                *carry = Some(job);
                break;
            }
            Ok(job) => {
                size += job.events.len().max(1);
                jobs.push(job);
            }
            Err(_) => break,
        }
    }
    Some(jobs)
}

async fn run<W: BatchWriter>(mut backend: W, queue: Queue) {
    let (sync_tx, sync_task) = match backend.deferred_sync() {
        Some(sync) => {
            let (tx, rx) = mpsc::unbounded_channel();
            (Some(tx), Some(tokio::spawn(sync_loop(sync, rx))))
        }
        None => (None, None),
    };
    let mut carry = None;
    while let Some(jobs) = next_batch(&queue, &mut carry).await {
        let started = std::time::Instant::now();
        let n = jobs.len();
        let answers = commit(&mut backend, jobs).await;
        tracing::trace!(
            jobs = n,
            micros = started.elapsed().as_micros() as u64,
            "batch written"
        );
        match &sync_tx {
            Some(tx) => {
                if let Err(mpsc::error::SendError(answers)) = tx.send(answers) {
                    answer(answers);
                }
            }
            None => answer(answers),
        }
    }
    // Every answer goes out (after its sync) before the task ends.
    drop(sync_tx);
    if let Some(task) = sync_task {
        let _ = task.await;
    }
}

fn answer(answers: Pending) {
    for (reply, result) in answers {
        let _ = reply.send(result);
    }
}

/// Writes the jobs; returns each caller's answer (not sent yet).
async fn commit<W: BatchWriter>(backend: &mut W, jobs: Vec<InsertJob>) -> Pending {
    match backend.write(&jobs).await {
        Ok(outcomes) if outcomes.len() == jobs.len() => jobs
            .into_iter()
            .zip(outcomes)
            .map(|(job, out)| (job.reply, Ok(out)))
            .collect(),
        Ok(_) => jobs
            .into_iter()
            .map(|job| {
                let e = StoreError::Corrupt("writer returned the wrong number of outcomes".into());
                (job.reply, Err(e))
            })
            .collect(),
        Err(e) if jobs.len() == 1 => {
            let mut e = Some(e);
            jobs.into_iter()
                .filter_map(|job| Some((job.reply, Err(e.take()?))))
                .collect()
        }
        Err(e) => {
            // One bad request must not fail the others it was grouped with:
            // retry each on its own so the error reaches only its sender.
            tracing::warn!(error = %e, jobs = jobs.len(), "group commit failed; retrying one by one");
            let mut answers = Vec::with_capacity(jobs.len());
            for job in jobs {
                let res = backend
                    .write(std::slice::from_ref(&job))
                    .await
                    .and_then(|mut o| {
                        o.pop()
                            .ok_or_else(|| StoreError::Corrupt("no outcome".into()))
                    });
                answers.push((job.reply, res));
            }
            answers
        }
    }
}

/// Syncs, then answers every batch committed before the sync; batches that
/// arrive while a sync runs share the next one.
async fn sync_loop(sync: SyncFn, mut rx: mpsc::UnboundedReceiver<Pending>) {
    while let Some(first) = rx.recv().await {
        let mut answers = first;
        while let Ok(more) = rx.try_recv() {
            answers.extend(more);
        }
        let sync = sync.clone();
        let synced = tokio::task::spawn_blocking(move || sync())
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        match synced {
            Ok(()) => answer(answers),
            Err(e) => {
                tracing::error!(error = %e, "syncing committed events failed");
                for (reply, result) in answers {
                    // Committed but maybe not on disk: report the failure
                    // (a retry is safe, dedup answers it).
                    let res = result.and_then(|_| {
                        Err(StoreError::Database(sqlx::Error::Io(std::io::Error::new(
                            e.kind(),
                            e.to_string(),
                        ))))
                    });
                    let _ = reply.send(res);
                }
            }
        }
    }
}
