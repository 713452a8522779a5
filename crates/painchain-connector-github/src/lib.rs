//! The GitHub connector: pull requests, pushes, tags, releases, GitHub
//! Actions workflow runs and deployments, collected by polling the REST API
//! and by webhooks, from github.com or GitHub Enterprise Server.
//!
//! Layers, each usable on its own:
//! - [`payload`] + [`normalize`]: every input (webhook body, repository
//!   events API item, REST object) becomes one webhook-shaped
//!   [`payload::GithubEvent`];
//! - [`mapping`] (pure): `GithubEvent` → [`painchain_core::NewEvent`]s with
//!   stable `externalId`s, the same whichever path an event came by;
//! - [`webhook`] (pure): signature check and delivery parsing for the
//!   server's `POST /api/webhooks/github/:integrationId`;
//! - [`client`] + [`poller`] (I/O): incremental, conditional, rate-limit
//!   aware polling with a serialisable [`cursor::PollCursor`];
//! - [`config`] and [`mod@metadata`]: the integration config and what the
//!   connector type registers;
//! - [`source`]: [`GithubConnector`] for the SDK runtime.

pub mod client;
pub mod config;
pub mod cursor;
pub mod mapping;
pub mod metadata;
pub mod normalize;
pub mod payload;
pub mod poller;
pub mod source;
pub mod webhook;

pub use client::{ClientOptions, GithubClient, GithubError, RateLimitState};
pub use config::{EventCategory, GithubConfig, RepoSpec};
pub use cursor::PollCursor;
pub use mapping::{map_event, map_repo_event, map_webhook, MapContext, Outcome};
pub use metadata::{metadata, Metadata};
pub use poller::{test_connection, ConnectionReport, PollOutcome, Poller, RepoError};
pub use source::{GithubConnector, GithubSource};
pub use webhook::{parse_webhook, process_webhook, verify_signature, WebhookError, WebhookOutcome};
