//! The local git connector (`type: git`): watches repositories on disk and
//! reports `branch.pushed` (per batch of new commits per branch, or per
//! commit), `branch.created`/`branch.deleted` and `tag.created` events. No
//! tokens, so a new user sees real events at once.
//!
//! Built on the SDK's streaming source: the checkpoint is the map of refs
//! seen per repository; each scan diffs the refs against it, emits the
//! difference, and the runtime saves the new map only once the server has
//! accepted the events. Reads repositories with libgit2 (no `git` process).

pub mod config;
pub mod policy;
pub mod scan;

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use async_trait::async_trait;
use painchain_sdk::{
    Connector, ConnectorMetadata, IntegrationSpec, Source, SourceContext, StreamingSource, Wake,
};
use serde_json::{json, Value};

pub use config::GitConfig;
pub use policy::LocalPathPolicy;
use scan::RefState;

pub const TYPE: &str = "git";

/// Scanning refs is cheap, so local repositories are checked often.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// The connector, with the [`LocalPathPolicy`] deciding which
/// repositories it may read (default: [`LocalPathPolicy::from_env`]).
#[derive(Debug, Clone)]
pub struct GitConnector {
    policy: LocalPathPolicy,
}

impl GitConnector {
    pub fn new(policy: LocalPathPolicy) -> Self {
        GitConnector { policy }
    }
}

impl Default for GitConnector {
    fn default() -> Self {
        GitConnector::new(LocalPathPolicy::from_env())
    }
}

/// JSON Schema of the config (the server also accepts the seed's `fields`
/// form; this connector uses JSON Schema to exercise that path).
pub fn config_schema() -> Value {
    json!({
        "type": "object",
        "required": ["name", "tags", "path"],
        "properties": {
            "name": {"type": "string", "title": "Integration Name", "minLength": 1},
            "tags": {
                "title": "Tags",
                "description": "Tags for this integration's events, e.g. [\"backend\"]",
                "type": ["array", "string"],
                "items": {"type": "string"}
            },
            "path": {
                "type": "string",
                "title": "Repository path(s)",
                "description": "Directory of a local git repository; several may be separated by commas",
                "minLength": 1
            },
            "project": {"type": "string", "title": "Project", "description": "Defaults to the directory name"},
            "branches": {
                "title": "Branches",
                "description": "Branches to follow (names or prefix*), comma separated; empty = all",
                "type": ["array", "string"],
                "items": {"type": "string"}
            },
            "mode": {
                "type": "string", "title": "Events", "enum": ["batch", "commit"], "default": "batch",
                "description": "One event per batch of new commits per branch, or one per commit"
            },
            "since": {
                "type": "string", "title": "Backfill", "default": "30d", "pattern": "^[0-9]+[smhdw]$",
                "description": "How far back the first scan goes"
            },
            "includeTags": {"type": "boolean", "title": "Report tags", "default": true},
            "polling": {
                "type": "object",
                "title": "Polling",
                "properties": {
                    "interval": {"type": "number", "minimum": 1, "default": 5, "title": "Interval (seconds)"}
                }
            }
        }
    })
}

fn logo() -> String {
    // The git logo mark, as an SVG data URI (an `image/*` type, as the
    // server requires).
    let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path fill="#F05133" d="M31.4 14.6 17.4.6a2 2 0 0 0-2.8 0l-2.9 2.9 3.7 3.7a2.4 2.4 0 0 1 3 3l3.6 3.6a2.4 2.4 0 1 1-1.4 1.4l-3.4-3.4v8.8a2.4 2.4 0 1 1-2-.1v-8.9a2.4 2.4 0 0 1-1.3-3.1L10.3 4.9.6 14.6a2 2 0 0 0 0 2.8l14 14a2 2 0 0 0 2.8 0l14-14a2 2 0 0 0 0-2.8"/></svg>"##;
    use base64::Engine;
    format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    )
}

#[async_trait]
impl Connector for GitConnector {
    fn metadata(&self) -> ConnectorMetadata {
        ConnectorMetadata {
            id: TYPE.into(),
            display_name: "Git (local)".into(),
            color: Some("#f05133".into()),
            logo: Some(logo()),
            description: Some(
                "Commits, branches and tags of git repositories on this machine".into(),
            ),
            config_schema: config_schema(),
        }
    }

    fn default_interval(&self) -> Duration {
        DEFAULT_INTERVAL
    }

    fn validate(&self, config: &Value) -> Result<(), String> {
        let cfg = GitConfig::from_json(config)?;
        for r in &cfg.repos {
            self.policy.check(&r.path)?;
        }
        Ok(())
    }

    async fn test_connection(&self, integration: &IntegrationSpec) -> Result<(), String> {
        let cfg = GitConfig::from_json(&integration.config)?;
        let policy = self.policy.clone();
        tokio::task::spawn_blocking(move || {
            for r in &cfg.repos {
                let repo = policy.open(&r.path)?;
                let n = repo
                    .references_glob("refs/heads/*")
                    .map_err(|e| e.message().to_string())?
                    .count();
                if n == 0 {
                    return Err(format!("{} has no branches yet", r.path.display()));
                }
            }
            Ok(())
        })
        .await
        .map_err(|e| e.to_string())?
    }

    fn source(&self, integration: &IntegrationSpec) -> anyhow::Result<Source> {
        let cfg = GitConfig::from_json(&integration.config).map_err(anyhow::Error::msg)?;
        Ok(Source::streaming(GitSource {
            cfg: Arc::new(cfg),
            policy: self.policy.clone(),
        }))
    }
}

/// The checkpoint: `{"v": 1, "repos": {"<path>": {"<ref>": "<sha>"}}}`.
fn read_checkpoint(v: Option<&Value>) -> BTreeMap<String, RefState> {
    v.and_then(|v| v.get("repos"))
        .and_then(|r| serde_json::from_value(r.clone()).ok())
        .unwrap_or_default()
}

fn write_checkpoint(repos: &BTreeMap<String, RefState>) -> Value {
    json!({"v": 1, "repos": repos})
}

pub struct GitSource {
    cfg: Arc<GitConfig>,
    policy: LocalPathPolicy,
}

#[async_trait]
impl StreamingSource for GitSource {
    async fn run(self: Box<Self>, mut ctx: SourceContext) -> anyhow::Result<()> {
        let mut state = read_checkpoint(ctx.checkpoint());
        loop {
            ctx.syncing();
            let cfg = self.cfg.clone();
            let policy = self.policy.clone();
            let prev = state.clone();
            // libgit2 is blocking I/O.
            let (events, next, errors) = tokio::task::spawn_blocking(move || {
                let now = chrono::Utc::now();
                let mut events = Vec::new();
                let mut next = prev.clone();
                let mut errors = Vec::new();
                for repo in &cfg.repos {
                    let key = repo.path.display().to_string();
                    match scan::scan_repo(&policy, repo, &cfg, prev.get(&key), now) {
                        Ok(r) => {
                            events.extend(r.events);
                            next.insert(key, r.state);
                        }
                        // Keep that repository's old state: retried next scan.
                        Err(e) => errors.push(format!("{e:#}")),
                    }
                }
                (events, next, errors)
            })
            .await?;
            if next != state || !events.is_empty() {
                let n = events.len();
                if ctx
                    .emit(events, Some(write_checkpoint(&next)))
                    .await
                    .is_err()
                {
                    return Ok(());
                }
                if n > 0 {
                    tracing::info!(events = n, "git changes reported");
                }
                state = next;
            }
            if errors.is_empty() {
                ctx.synced();
            } else if errors.len() < self.cfg.repos.len() {
                ctx.partial_error(errors.join("; "));
            } else {
                ctx.error(errors.join("; "));
            }
            if ctx.idle().await == Wake::Stop {
                return Ok(());
            }
        }
    }
}
