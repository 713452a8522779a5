//! WAL checkpoints off the write path. By default SQLite checkpoints inside
//! the commit that crosses 1000 WAL pages, stalling the group-commit writer
//! (and every caller waiting on it) for the copy and its fsync. The writer
//! connection has automatic checkpoints off; this task runs passive
//! checkpoints on its own connection instead, concurrently with new commits.

use std::{sync::Arc, time::Duration};

use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions, Connection};
use tokio::{sync::Notify, task::JoinHandle};

/// How often to checkpoint while writes are flowing.
const PERIOD: Duration = Duration::from_millis(200);

pub(crate) struct Checkpointer {
    stop: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Checkpointer {
    pub async fn start(opts: SqliteConnectOptions) -> crate::Result<Checkpointer> {
        let mut conn = opts.connect().await?;
        let stop = Arc::new(Notify::new());
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(PERIOD);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stopped.notified() => break,
                    _ = tick.tick() => {}
                }
                // PASSIVE never waits for readers or the writer; pages it
                // cannot copy now are copied next time.
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&mut conn)
                    .await
                {
                    tracing::warn!(error = %e, "SQLite WAL checkpoint failed");
                }
            }
            let _ = conn.close().await;
        });
        Ok(Checkpointer { stop, task })
    }

    pub async fn stop(self) {
        self.stop.notify_one();
        let _ = self.task.await;
    }
}
