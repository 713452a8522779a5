//! A real server on `127.0.0.1:0` for tests (cargo feature `testing`), on
//! SQLite in a temporary directory or on a fresh PostgreSQL database.
//!
//! ```ignore
//! let Some(s) = TestServer::start(Backend::Sqlite).await else { return };
//! let res = reqwest::get(s.url("/health")).await?;
//! ```

use std::{net::SocketAddr, sync::Arc};

use painchain_store::{testing::PgTestDb, Store};
use tokio::{sync::oneshot, task::JoinHandle};

use crate::config::{Config, Retention};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestServer {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:<port>`
    pub base: String,
    /// The same store the server uses, for setting up fixtures directly.
    pub store: Arc<dyn Store>,
    pub backend: Backend,
    /// The PostgreSQL database, for [`start_replica`](Self::start_replica).
    database_url: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
    // Dropped last: the database goes away after the server stopped.
    _pg: Option<PgTestDb>,
}

impl TestServer {
    /// Auth off, retention off. `None` when the backend is PostgreSQL and
    /// `PAINCHAIN_TEST_DATABASE_URL` is unset (a notice is printed).
    pub async fn start(backend: Backend) -> Option<TestServer> {
        Self::start_with(backend, |_| {}).await
    }

    /// Like [`start`](Self::start), with the configuration adjusted first.
    pub async fn start_with(
        backend: Backend,
        configure: impl FnOnce(&mut Config),
    ) -> Option<TestServer> {
        Self::launch(backend, None, configure).await
    }

    /// Another server on this one's PostgreSQL database (a second replica);
    /// `None` on SQLite. Drop it before `self`, which owns the database.
    pub async fn start_replica(&self) -> Option<TestServer> {
        let url = self.database_url.clone()?;
        Self::launch(Backend::Postgres, Some(url), |_| {}).await
    }

    async fn launch(
        backend: Backend,
        shared_db: Option<String>,
        configure: impl FnOnce(&mut Config),
    ) -> Option<TestServer> {
        let mut config = Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            retention: Retention(None),
            ..Config::default()
        };
        config.auth.enabled = false;
        // A private data dir on both backends: the SQLite file and any other
        // state files (keys) must never land in the working directory.
        let dir = tempfile::tempdir().expect("temp dir");
        config.data_dir = dir.path().join("data");
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres if shared_db.is_some() => {
                config.database_url = shared_db.map(crate::config::Secret::new);
                None
            }
            Backend::Postgres => {
                let db = PgTestDb::create().await?;
                config.database_url = Some(crate::config::Secret::new(db.url.clone()));
                Some(db)
            }
        };
        configure(&mut config);
        let database_url = config.database_url.as_ref().map(|u| u.expose().to_string());
        let store = crate::store::open_store(&config).await.expect("open store");
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(crate::serve(listener, store.clone(), config, async {
            let _ = rx.await;
        }));
        Some(TestServer {
            addr,
            base: format!("http://{addr}"),
            store,
            backend,
            database_url,
            shutdown: Some(tx),
            task: Some(task),
            _dir: Some(dir),
            _pg: pg,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Graceful shutdown; returns once the server and store are closed.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server result");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
