//! Group commit: every event insert goes through one writer task per store.
//! The task takes whatever requests are queued (up to `MAX_BATCH_EVENTS`),
//! writes them in ONE transaction and answers each caller after the commit.
//! Under load many inserts share one fsync; when idle a lone insert commits
//! immediately, so latency never waits for a batch to fill.

use async_trait::async_trait;
use painchain_core::NewEvent;
use tokio::sync::{mpsc, oneshot};

use crate::{InsertOutcome, Result, StoreError};

/// Upper bound of events per transaction: big enough to amortise the fsync,
/// small enough to keep a transaction (and the callers' wait) short.
pub(crate) const MAX_BATCH_EVENTS: usize = 512;
/// Queued requests before `insert_event` callers wait (backpressure).
const QUEUE: usize = 4096;

pub(crate) struct InsertJob {
    pub tenant: String,
    pub events: Vec<NewEvent>,
    reply: oneshot::Sender<Result<Vec<InsertOutcome>>>,
}

enum Msg {
    Insert(InsertJob),
    Shutdown(oneshot::Sender<()>),
}

/// What a backend provides: write these jobs atomically, outcomes per job.
#[async_trait]
pub(crate) trait BatchWriter: Send + 'static {
    async fn write(&mut self, jobs: &[InsertJob]) -> Result<Vec<Vec<InsertOutcome>>>;
}

/// The stores' handle on their writer task.
pub(crate) struct Writer {
    tx: mpsc::Sender<Msg>,
}

impl Writer {
    pub fn spawn<W: BatchWriter>(backend: W) -> Writer {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(backend, rx));
        Writer { tx }
    }

    pub async fn insert(&self, tenant: &str, events: Vec<NewEvent>) -> Result<Vec<InsertOutcome>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, rx) = oneshot::channel();
        let job = InsertJob {
            tenant: tenant.to_string(),
            events,
            reply,
        };
        self.tx
            .send(Msg::Insert(job))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Returns once every insert queued before it has been answered.
    pub async fn shutdown(&self) {
        let (done, rx) = oneshot::channel();
        if self.tx.send(Msg::Shutdown(done)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

async fn run<W: BatchWriter>(mut backend: W, mut rx: mpsc::Receiver<Msg>) {
    let mut shutdown: Option<oneshot::Sender<()>> = None;
    let mut carry: Option<InsertJob> = None;
    loop {
        let first = match carry.take() {
            Some(job) => job,
            None => match rx.recv().await {
                Some(Msg::Insert(job)) => job,
                Some(Msg::Shutdown(done)) => {
                    // Refuse new work, but still serve what is already queued.
                    rx.close();
                    shutdown = Some(done);
                    continue;
                }
                None => break,
            },
        };
        let mut size = first.events.len();
        let mut jobs = vec![first];
        while size < MAX_BATCH_EVENTS {
            match rx.try_recv() {
                Ok(Msg::Insert(job)) if size + job.events.len() > MAX_BATCH_EVENTS => {
                    carry = Some(job);
                    break;
                }
                Ok(Msg::Insert(job)) => {
                    size += job.events.len();
                    jobs.push(job);
                }
                Ok(Msg::Shutdown(done)) => {
                    rx.close();
                    shutdown = Some(done);
                }
                Err(_) => break,
            }
        }
        commit(&mut backend, jobs).await;
    }
    if let Some(done) = shutdown {
        let _ = done.send(());
    }
}

async fn commit<W: BatchWriter>(backend: &mut W, jobs: Vec<InsertJob>) {
    match backend.write(&jobs).await {
        Ok(outcomes) if outcomes.len() == jobs.len() => {
            for (job, out) in jobs.into_iter().zip(outcomes) {
                let _ = job.reply.send(Ok(out));
            }
        }
        Ok(_) => {
            for job in jobs {
                let _ = job.reply.send(Err(StoreError::Corrupt(
                    "writer returned the wrong number of outcomes".into(),
                )));
            }
        }
        Err(e) if jobs.len() == 1 => {
            let _ = jobs.into_iter().next().map(|j| j.reply.send(Err(e)));
        }
        Err(e) => {
            // One bad request must not fail the others it was grouped with:
            // retry each on its own so the error reaches only its sender.
            tracing::warn!(error = %e, jobs = jobs.len(), "group commit failed; retrying one by one");
            for job in jobs {
                let res = backend
                    .write(std::slice::from_ref(&job))
                    .await
                    .and_then(|mut o| {
                        o.pop()
                            .ok_or_else(|| StoreError::Corrupt("no outcome".into()))
                    });
                let _ = job.reply.send(res);
            }
        }
    }
}
