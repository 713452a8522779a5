//! The PainChain connector SDK.
//!
//! A connector implements [`Connector`]: its metadata (registered with the
//! server), a connection test, and a [`Source`] per integration. A source is
//! either **polling** ([`PollingSource`]: `poll(cursor) -> events + next
//! cursor`, e.g. a REST API) or **streaming** ([`StreamingSource`]: a
//! long-running watch that emits events with checkpoints, e.g. Kubernetes or a
//! git repository watcher). The runtime turns every polling source into a
//! streaming one ([`source::PollingAdapter`]), so it has exactly one code path:
//! run a stream, post what it emits, then save its checkpoint.
//!
//! [`Runtime`] does the rest of the lifecycle, identical in a standalone
//! process (`painchain connector <type>`) and in-process inside
//! `painchain serve`: register the type (with retry), fetch the type's
//! integrations and follow changes, one task per integration, posting with
//! retry/backoff honouring `Retry-After`, cursors advanced only after the
//! server accepted the events, status heartbeats, `/health`, graceful stop.

pub mod client;
pub mod config_file;
pub mod connector;
pub mod health;
pub mod outbound;
pub mod retry;
pub mod runtime;
pub mod source;

pub use client::{Client, ClientError};
pub use connector::{poll_interval, Connector, ConnectorMetadata, IntegrationSpec};
pub use outbound::OutboundPolicy;
pub use runtime::{Runtime, RuntimeConfig};
pub use source::{Batch, PollingSource, Source, SourceContext, Stopped, StreamingSource, Wake};

/// Re-exported so connectors need not depend on the core crate directly.
pub use painchain_core::{NewEvent, Ref};
