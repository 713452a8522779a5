//! Background deletion of events older than `retention` (default 18
//! months). Runs a minute after startup, then hourly, deleting in small
//! batches with pauses so ingest keeps the writer most of the time.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use painchain_store::{Store, StoreError};
use tokio::task::JoinHandle;

use crate::state::AppState;

pub const BATCH: u32 = 1000;
const FIRST_RUN: Duration = Duration::from_secs(60);
const EVERY: Duration = Duration::from_secs(3600);
const PAUSE: Duration = Duration::from_millis(100);

/// Deletes every event older than `cutoff`, `batch` at a time. Returns how
/// many went. Stops early when `stop()` says so.
pub async fn run_once(
    store: &dyn Store,
    cutoff: DateTime<Utc>,
    batch: u32,
    stop: impl Fn() -> bool,
) -> Result<u64, StoreError> {
    let mut total = 0;
    loop {
        if stop() {
            return Ok(total);
        }
        let n = store.delete_events_before(cutoff, batch).await?;
        total += n;
        if n < batch as u64 {
            return Ok(total);
        }
        tokio::time::sleep(PAUSE).await;
    }
}

pub fn spawn(state: AppState) -> Option<JoinHandle<()>> {
    let age = state.config.retention.0?;
    let age = chrono::Duration::from_std(age).ok()?;
    let store: Arc<dyn Store> = state.store.clone();
    let mut shutdown = state.shutdown.clone();
    Some(tokio::spawn(async move {
        let mut delay = FIRST_RUN;
        loop {
            tokio::select! {
                _ = shutdown.wait_for(|down| *down) => return,
                _ = tokio::time::sleep(delay) => {}
            }
            delay = EVERY;
            // A retention longer than the calendar reaches (`1000000y`)
            // keeps everything; `-` would panic the task.
            let Some(cutoff) = Utc::now().checked_sub_signed(age) else {
                continue;
            };
            let stop = || *shutdown.borrow();
            match run_once(store.as_ref(), cutoff, BATCH, stop).await {
                Ok(0) => tracing::debug!("retention: nothing to delete"),
                Ok(n) => tracing::info!(deleted = n, %cutoff, "retention: deleted old events"),
                Err(e) => tracing::warn!(error = %e, "retention: delete failed; will retry"),
            }
        }
    }))
}
