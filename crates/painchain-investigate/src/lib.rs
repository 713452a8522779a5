//! "What changed?" answered from the store: change chains and ranked
//! suspects for an incident.
//!
//! - [`chain()`]: from one event, the events it is linked to by the refs they
//!   share (commit → PR → CI run → image → rollout → failing pods), each edge
//!   saying why it exists; weaker links (same service and environment, close
//!   in time, nothing shared) only as `inferred`.
//! - [`investigate()`]: the changes before an incident (a time and a scope,
//!   or an incident event), scored by [`rank`] with reasons a person can
//!   check. The rules are documented in `docs/investigation.md`.
//! - [`deploy_contents()`]: what a deployment shipped since the previous one
//!   of the same service and environment.
//!
//! Everything works from `kind`, `status`, `service`, `environment` and
//! `refs` alone, so any connector's events take part.

pub mod chain;
pub mod contents;
pub mod investigate;
pub mod rank;
pub mod relation;

pub use chain::{chain, Chain, ChainOptions, Edge, Strength, Via};
pub use contents::{deploy_contents, DeployContents};
pub use investigate::{investigate, Investigation, Query, Suspect};

/// What can go wrong: only the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] painchain_store::StoreError),
}

pub type Result<T> = std::result::Result<T, Error>;
