//! WAL checkpoints off the write path. By default SQLite checkpoints inside
//! the commit that crosses 1000 WAL pages, stalling the group-commit writer
//! (and every caller waiting on it) for the copy and its fsync. The writer
//! connection has automatic checkpoints off; this task runs passive
//! checkpoints on its own connection instead, concurrently with new commits.
//!
//! Passive checkpoints alone never let the WAL start over under sustained
//! writes (the writer always appends before the checkpoint catches up), so
//! the file grew without bound — gigabytes after a few minutes of load,
//! slowing every commit. Once it passes [`TRUNCATE_ABOVE`] the task runs a
//! TRUNCATE checkpoint, which holds new writers back briefly, copies the
//! rest and empties the file.

use std::{path::PathBuf, sync::Arc, time::Duration};

use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions, Connection};
use tokio::{sync::Notify, task::JoinHandle};

/// How often to checkpoint while writes are flowing.
const PERIOD: Duration = Duration::from_millis(200);

/// WAL size that triggers a truncating checkpoint.
pub(crate) const TRUNCATE_ABOVE: u64 = 64 * 1024 * 1024;

pub(crate) struct Checkpointer {
    stop: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Checkpointer {
    pub async fn start(
        opts: SqliteConnectOptions,
        wal: PathBuf,
        truncate_above: u64,
    ) -> crate::Result<Checkpointer> {
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
                let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
                if size > truncate_above {
                    tracing::debug!(size, "truncating the SQLite WAL");
                    match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)")
                        .fetch_one(&mut conn)
                        .await
                    {
                        Ok((0, _, _)) => {}
                        Ok(_) => {
                            tracing::warn!(size, "SQLite WAL truncation was blocked; retrying")
                        }
                        Err(e) => tracing::warn!(error = %e, "SQLite WAL truncation failed"),
                    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn wal_stays_bounded_under_sustained_writes() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let wal = dir.path().join("t.db-wal");
        let base = SqliteConnectOptions::new()
            .filename(&db)
            .busy_timeout(Duration::from_secs(10));
        let mut writer = base
            .clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("wal_autocheckpoint", "0")
            .connect()
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (v BLOB)")
            .execute(&mut writer)
            .await
            .unwrap();
        let limit = 1024 * 1024;
        let cp = Checkpointer::start(base, wal.clone(), limit).await.unwrap();
        let blob = vec![7u8; 4 * 1024];
        let (mut previous, mut shrinks) = (0, 0);
        let mut written = 0;
        // Back-to-back small transactions for well over a checkpoint period,
        // with no pause that would let a passive checkpoint restart the WAL.
        let start = std::time::Instant::now();
        while start.elapsed() < 4 * PERIOD {
            written += 1;
            sqlx::query("INSERT INTO t (v) VALUES (?)")
                .bind(&blob)
                .execute(&mut writer)
                .await
                .unwrap();
            let size = std::fs::metadata(&wal).unwrap().len();
            shrinks += usize::from(size < previous);
            previous = size;
        }
        assert!(
            shrinks >= 2,
            "the WAL was never emptied while writes went on"
        );
        tokio::time::sleep(2 * PERIOD).await;
        let size = std::fs::metadata(&wal).unwrap().len();
        assert!(size <= limit, "WAL left at {size} bytes (limit {limit})");
        cp.stop().await;
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM t")
            .fetch_one(&mut writer)
            .await
            .unwrap();
        assert_eq!(n, written, "nothing lost across truncations");
    }
}
