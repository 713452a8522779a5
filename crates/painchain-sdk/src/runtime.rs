//! The lifecycle every connector shares: register, follow the type's
//! integrations, run one task per integration, deliver, report status, stop
//! gracefully. The same code runs in a standalone process and in-process in
//! `painchain serve` (there it talks to the server over loopback HTTP, so
//! both behave identically).

mod status;
mod task;

use std::{
    collections::{HashMap, HashSet},
    future::Future,
    net::SocketAddr,
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use tokio::{sync::watch, task::JoinHandle, time::Instant};
use tracing::Instrument;

use crate::{
    client::{Client, ClientError, Control},
    connector::{Connector, IntegrationSpec},
    health::{self, HealthState},
    retry::Backoff,
};

pub use status::StatusState;

#[derive(Clone)]
pub struct RuntimeConfig {
    /// Base URL (`http://localhost:8000`, or the seed's `.../api`).
    pub server: String,
    /// An ingest or admin token (needed when the server has auth on).
    pub token: Option<String>,
    /// Serve `/health` here (standalone connectors).
    pub health_addr: Option<SocketAddr>,
    /// Give up registering (and exit non-zero) after this long.
    pub register_timeout: Duration,
    /// Full refetch of the integrations list, whatever else happens.
    pub refresh_every: Duration,
    /// How often to ask the server for sync/test requests and changes.
    pub control_every: Duration,
    /// Status heartbeat period (changes are sent sooner).
    pub status_every: Duration,
    /// How long a stopping integration may take to finish its current post
    /// and save its cursor before it is aborted.
    pub shutdown_grace: Duration,
    /// Retry delays for posts (first step and cap).
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Serve every tenant's integrations, not only the token's tenant
    /// (needs a token valid in every tenant).
    pub all_tenants: bool,
}

/// Never prints the token.
impl std::fmt::Debug for RuntimeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeConfig")
            .field("server", &self.server)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("health_addr", &self.health_addr)
            .field("register_timeout", &self.register_timeout)
            .field("refresh_every", &self.refresh_every)
            .field("control_every", &self.control_every)
            .field("all_tenants", &self.all_tenants)
            .finish_non_exhaustive()
    }
}

impl RuntimeConfig {
    pub fn new(server: impl Into<String>, token: Option<String>) -> Self {
        RuntimeConfig {
            server: server.into(),
            token,
            health_addr: None,
            register_timeout: Duration::from_secs(120),
            refresh_every: Duration::from_secs(30),
            control_every: Duration::from_secs(2),
            status_every: Duration::from_secs(15),
            shutdown_grace: Duration::from_secs(10),
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(60),
            all_tenants: false,
        }
    }
}

pub struct Runtime {
    connector: Arc<dyn Connector>,
    cfg: RuntimeConfig,
}

/// One running integration.
struct Running {
    fingerprint: String,
    stop: watch::Sender<bool>,
    wake: watch::Sender<u64>,
    status: Arc<StatusState>,
    spec: Arc<IntegrationSpec>,
    join: JoinHandle<()>,
}

impl Runtime {
    pub fn new(connector: Arc<dyn Connector>, cfg: RuntimeConfig) -> Self {
        Runtime { connector, cfg }
    }

    /// Runs until `shutdown` resolves (then stops every integration
    /// gracefully) or registration fails for `register_timeout` (error).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let meta = self.connector.metadata();
        let client = Client::new(&self.cfg.server, self.cfg.token.clone(), &meta.id)
            .with_backoff(self.cfg.backoff_base, self.cfg.backoff_max)
            .for_all_tenants(self.cfg.all_tenants);
        let health = Arc::new(HealthState {
            connector_type: meta.id.clone(),
            ..Default::default()
        });
        if let Some(addr) = self.cfg.health_addr {
            let bound = health::serve(addr, health.clone())
                .await
                .map_err(|e| anyhow::anyhow!("cannot serve /health on {addr}: {e}"))?;
            tracing::info!(%bound, "health endpoint listening");
        }
        tokio::pin!(shutdown);

        tokio::select! {
            r = self.register(&client) => r?,
            _ = &mut shutdown => return Ok(()),
        }
        health.registered.store(true, Ordering::Relaxed);
        tracing::info!(connector = %meta.id, server = %client.base_url(), "registered");

        let mut sup = Supervisor {
            connector: self.connector.clone(),
            client: client.clone(),
            cfg: self.cfg.clone(),
            running: HashMap::new(),
            specs: HashMap::new(),
            generation: None,
            tests_seen: HashSet::new(),
        };
        sup.reconcile().await;
        health
            .integrations
            .store(sup.running.len(), Ordering::Relaxed);

        let mut refresh = tokio::time::interval_at(
            Instant::now() + self.cfg.refresh_every,
            self.cfg.refresh_every,
        );
        let mut control = tokio::time::interval(self.cfg.control_every);
        let mut heartbeat = tokio::time::interval(self.cfg.status_every);
        for t in [&mut refresh, &mut control, &mut heartbeat] {
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        }
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = refresh.tick() => sup.reconcile().await,
                _ = control.tick() => {
                    sup.control().await;
                    sup.post_statuses(false).await;
                }
                _ = heartbeat.tick() => sup.post_statuses(true).await,
            }
            health
                .integrations
                .store(sup.running.len(), Ordering::Relaxed);
        }
        health.stopping.store(true, Ordering::Relaxed);
        tracing::info!("stopping: finishing current posts and saving cursors");
        sup.stop_all().await;
        Ok(())
    }

    /// Registers the type, retrying transient failures with backoff until
    /// `register_timeout`; a 4xx (bad schema, bad token) fails at once.
    async fn register(&self, client: &Client) -> anyhow::Result<()> {
        let meta = self.connector.metadata();
        let deadline = Instant::now() + self.cfg.register_timeout;
        let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(10));
        loop {
            let err = match client.register(&meta).await {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            if !err.is_transient() {
                anyhow::bail!(
                    "the server at {} refused to register connector type `{}`: {err}",
                    client.base_url(),
                    meta.id
                );
            }
            let delay = backoff.next_delay();
            if Instant::now() + delay > deadline {
                anyhow::bail!(
                    "could not register connector type `{}` with {} within {}s: {err}",
                    meta.id,
                    client.base_url(),
                    self.cfg.register_timeout.as_secs()
                );
            }
            tracing::warn!(error = %err, retry_in_ms = delay.as_millis() as u64, "registration failed; retrying");
            tokio::time::sleep(delay).await;
        }
    }
}

struct Supervisor {
    connector: Arc<dyn Connector>,
    client: Client,
    cfg: RuntimeConfig,
    running: HashMap<String, Running>,
    /// Every listed integration, disabled ones too (for connection tests).
    specs: HashMap<String, Arc<IntegrationSpec>>,
    generation: Option<String>,
    tests_seen: HashSet<String>,
}

impl Supervisor {
    /// Refetches the list and starts/stops/restarts tasks to match it. On
    /// failure the current tasks keep running: a flaky server must not stop
    /// collection.
    async fn reconcile(&mut self) {
        let list = match self.client.list_integrations().await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot fetch integrations; keeping current ones");
                return;
            }
        };
        self.specs = list
            .iter()
            .map(|s| (s.id.clone(), Arc::new(s.clone())))
            .collect();
        let wanted: HashMap<&str, &IntegrationSpec> = list
            .iter()
            .filter(|s| s.enabled)
            .map(|s| (s.id.as_str(), s))
            .collect();
        let gone: Vec<String> = self
            .running
            .keys()
            .filter(|id| !wanted.contains_key(id.as_str()))
            .cloned()
            .collect();
        for id in gone {
            if let Some(r) = self.running.remove(&id) {
                tracing::info!(integration = %id, "integration removed or disabled; stopping it");
                self.stop_later(r);
            }
        }
        for (id, spec) in wanted {
            let fp = spec.fingerprint();
            let previous = match self.running.get(id) {
                Some(r) if r.fingerprint == fp => continue,
                Some(_) => {
                    tracing::info!(integration = %id, "integration changed; restarting it");
                    self.running.remove(id).map(|r| self.stop_later(r))
                }
                None => {
                    tracing::info!(integration = %id, name = %spec.name, "starting integration");
                    None
                }
            };
            let r = self.start(Arc::new(spec.clone()), previous);
            self.running.insert(id.to_string(), r);
        }
    }

    fn start(&self, spec: Arc<IntegrationSpec>, previous: Option<JoinHandle<()>>) -> Running {
        let (stop_tx, stop_rx) = watch::channel(false);
        let (wake_tx, wake_rx) = watch::channel(0u64);
        let status = Arc::new(StatusState::default());
        let span =
            tracing::info_span!("integration", id = %spec.id, r#type = %spec.integration_type);
        let join = tokio::spawn(
            task::run(task::TaskCtx {
                connector: self.connector.clone(),
                client: self.client.clone(),
                spec: spec.clone(),
                status: status.clone(),
                stop: stop_rx,
                wake: wake_rx,
                previous,
                grace: self.cfg.shutdown_grace,
            })
            .instrument(span),
        );
        Running {
            fingerprint: spec.fingerprint(),
            stop: stop_tx,
            wake: wake_tx,
            status,
            spec,
            join,
        }
    }

    /// Signals stop and returns a handle that completes when the task has
    /// finished (or was aborted after the grace period), so a restarted
    /// task never overlaps its predecessor's cursor writes.
    fn stop_later(&self, r: Running) -> JoinHandle<()> {
        let _ = r.stop.send(true);
        let grace = self.cfg.shutdown_grace;
        let mut join = r.join;
        tokio::spawn(async move {
            if tokio::time::timeout(grace, &mut join).await.is_err() {
                join.abort();
            }
        })
    }

    async fn stop_all(&mut self) {
        let handles: Vec<_> = self
            .running
            .drain()
            .map(|(_, r)| r)
            .collect::<Vec<_>>()
            .into_iter()
            .map(|r| {
                let spec = r.spec.clone();
                let status = r.status.clone();
                (self.stop_later(r), spec, status)
            })
            .collect();
        for (h, spec, status) in handles {
            let _ = h.await;
            // Last word: counters as of shutdown.
            let _ = self.client.post_status(&spec, &status.report()).await;
        }
    }

    /// Asks the server for sync/test requests and whether the list changed.
    async fn control(&mut self) {
        let c: Control = match self.client.control().await {
            Ok(Some(c)) => c,
            Ok(None) => return,
            Err(e) => {
                tracing::debug!(error = %e, "control poll failed");
                return;
            }
        };
        // The first generation seen is reconciled too: an integration
        // created between the start-up listing and this poll would otherwise
        // wait for the next full refresh.
        if self.generation.as_deref() != Some(c.generation.as_str()) {
            self.generation = Some(c.generation.clone());
            self.reconcile().await;
        }
        for id in &c.sync {
            match self.running.get(id) {
                Some(r) => {
                    tracing::info!(integration = %id, "sync requested");
                    r.wake.send_modify(|n| *n += 1);
                }
                None => {
                    tracing::info!(integration = %id, "sync requested for an integration that is not running")
                }
            }
        }
        for t in c.tests {
            if !self.tests_seen.insert(t.id.clone()) {
                continue;
            }
            if self.tests_seen.len() > 1000 {
                self.tests_seen.clear();
                self.tests_seen.insert(t.id.clone());
            }
            if !self.specs.contains_key(&t.integration_id) {
                self.reconcile().await;
            }
            let spec = self.specs.get(&t.integration_id).cloned();
            let connector = self.connector.clone();
            let client = self.client.clone();
            tokio::spawn(async move {
                let result = match spec {
                    Some(spec) => match tokio::time::timeout(
                        Duration::from_secs(8),
                        connector.test_connection(&spec),
                    )
                    .await
                    {
                        Ok(r) => r,
                        Err(_) => Err("the connection test timed out after 8s".to_string()),
                    },
                    None => Err(format!(
                        "integration {} is unknown to this connector",
                        t.integration_id
                    )),
                };
                tracing::info!(integration = %t.integration_id, ok = result.is_ok(), "connection test done");
                if let Err(e) = client.answer_test(&t, &result).await {
                    tracing::warn!(error = %e, "cannot answer connection test");
                }
            });
        }
    }

    /// Sends changed statuses (or all, on the heartbeat).
    async fn post_statuses(&self, all: bool) {
        for r in self.running.values() {
            if !(all || r.status.take_dirty()) {
                continue;
            }
            let report = r.status.report();
            if let Err(e) = self.client.post_status(&r.spec, &report).await {
                if matches!(e, ClientError::Http { status: 404, .. }) {
                    tracing::debug!(integration = %r.spec.id, "status endpoint missing or integration gone");
                } else {
                    tracing::debug!(integration = %r.spec.id, error = %e, "cannot post status");
                }
                r.status.mark_dirty();
            }
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
