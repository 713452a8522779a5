//! PainChain's domain: events and their refs, the filters that select them,
//! teams, integrations and tokens. Pure data and validation — no I/O — so every
//! other crate (store, server, SDK, connectors, CLI) can share it.

pub mod cursor;
pub mod event;
pub mod filter;
pub mod integration;
pub mod kind;
pub mod refs;
pub mod team;
pub mod time;
pub mod token;

pub use cursor::Cursor;
pub use event::{nul_path, Event, EventLimits, NewEvent, Ref, ValidationError};
pub use filter::{EventFilter, GroupBy};

/// The tenant used when a request names none (free tier, seed clients).
pub const DEFAULT_TENANT: &str = "default";

/// A new time-ordered id (UUIDv7), used for every row we create.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
