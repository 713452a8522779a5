//! The connector as the SDK runs it: [`GithubConnector`] registers the
//! type, validates configs, answers connection tests and builds one
//! [`GithubSource`] per integration.
//!
//! The source is a streaming one (not the SDK's plain polling adapter) so it
//! can report per-repository problems while still delivering the other
//! repositories' events, and sleep until a rate limit resets instead of
//! polling at the usual interval.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use painchain_sdk::{
    Connector, ConnectorMetadata, IntegrationSpec, Source, SourceContext, StreamingSource, Wake,
};
use serde_json::Value;

use crate::config::GithubConfig;
use crate::cursor::PollCursor;
use crate::poller::{PollOutcome, Poller};

pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// The `github` connector type. Its outbound policy decides where `apiUrl`
/// may point (default: open, the single-tenant free tier).
#[derive(Debug, Clone, Default)]
pub struct GithubConnector {
    outbound: painchain_sdk::OutboundPolicy,
}

impl GithubConnector {
    pub fn new(outbound: painchain_sdk::OutboundPolicy) -> Self {
        GithubConnector { outbound }
    }
}

fn config_of(config: &Value) -> Result<GithubConfig, String> {
    let c = GithubConfig::from_value(config).map_err(|e| e.to_string())?;
    if c.token.trim().is_empty() {
        return Err("token: a GitHub token is required".into());
    }
    Ok(c)
}

#[async_trait]
impl Connector for GithubConnector {
    fn metadata(&self) -> ConnectorMetadata {
        let m = crate::metadata::metadata();
        ConnectorMetadata {
            id: m.id,
            display_name: m.display_name,
            color: Some(m.color),
            logo: Some(m.logo),
            description: Some(m.description),
            config_schema: m.config_schema,
        }
    }

    fn default_interval(&self) -> Duration {
        DEFAULT_INTERVAL
    }

    fn validate(&self, config: &Value) -> Result<(), String> {
        config_of(config).map(|_| ())
    }

    async fn test_connection(&self, integration: &IntegrationSpec) -> Result<(), String> {
        let cfg = config_of(&integration.config)?;
        let report = crate::poller::test_connection_with(&cfg, self.outbound.clone())
            .await
            .map_err(|e| e.to_string())?;
        if report.ok {
            tracing::info!(integration = %integration.id, "{}", report.message);
            Ok(())
        } else {
            Err(report.message)
        }
    }

    fn source(&self, integration: &IntegrationSpec) -> anyhow::Result<Source> {
        let cfg = config_of(&integration.config).map_err(anyhow::Error::msg)?;
        Ok(Source::streaming(GithubSource::new(Poller::with_outbound(
            cfg,
            self.outbound.clone(),
        )?)))
    }
}

/// Polls one integration for as long as the runtime runs it.
pub struct GithubSource {
    poller: Poller,
}

impl GithubSource {
    pub fn new(poller: Poller) -> Self {
        GithubSource { poller }
    }
}

/// What the integration status says about a poll with problems, rate-limit
/// figures included (the SDK's status carries only a message).
fn status_message(out: &PollOutcome) -> Option<String> {
    let mut msg = out.problem()?;
    if let Some(rl) = &out.rate_limit {
        msg.push_str(&format!(
            " (rate limit: {} of {} left, resets {})",
            rl.remaining,
            rl.limit.map_or("?".into(), |l| l.to_string()),
            painchain_core::time::format(rl.reset)
        ));
    }
    Some(msg)
}

#[async_trait]
impl StreamingSource for GithubSource {
    async fn run(self: Box<Self>, mut ctx: SourceContext) -> anyhow::Result<()> {
        let mut cursor = ctx
            .checkpoint()
            .map(PollCursor::from_value)
            .unwrap_or_default();
        let polling = self.poller.config().polling.enabled;
        let mut wake = Wake::Tick;
        loop {
            // With polling off (webhook-only integrations) only an explicit
            // sync request polls.
            if polling || wake == Wake::SyncRequested {
                ctx.syncing();
                let mut pause = None;
                match self.poller.poll(&cursor).await {
                    Ok(out) => {
                        if let Some(rl) = &out.rate_limit {
                            ctx.detail("rateLimit", serde_json::to_value(rl).unwrap_or_default());
                        }
                        let status = status_message(&out);
                        let deferred = out.deferred_until;
                        if out.cursor != cursor || !out.events.is_empty() {
                            let n = out.events.len();
                            let next = out.cursor.to_value();
                            if ctx.emit(out.events, Some(next)).await.is_err() {
                                return Ok(());
                            }
                            if n > 0 {
                                tracing::info!(events = n, "GitHub changes reported");
                            }
                            cursor = out.cursor;
                        }
                        match status {
                            None => ctx.synced(),
                            Some(m) => ctx.partial_error(m),
                        }
                        // Rate limited: come back when it resets, not before.
                        pause = deferred.map(|until| {
                            (until - Utc::now())
                                .to_std()
                                .unwrap_or_default()
                                .max(ctx.interval())
                        });
                    }
                    Err(e) => ctx.error(e.to_string()),
                }
                if let Some(p) = pause {
                    wake = ctx.idle_for(p).await;
                    if wake == Wake::Stop {
                        return Ok(());
                    }
                    continue;
                }
            } else {
                ctx.synced();
            }
            wake = ctx.idle().await;
            if wake == Wake::Stop {
                return Ok(());
            }
        }
    }
}
