//! Conversions shared by both backends: JSON columns, timestamps, project ids.
//! Stored data is never trusted to be well-formed: every decode failure is a
//! `StoreError::Corrupt`, never a panic.

use chrono::{DateTime, Utc};
use painchain_core::{time, Ref};
use serde_json::{Map, Value};

use crate::{Result, StoreError};

pub(crate) fn nanos(t: DateTime<Utc>) -> i64 {
    time::to_nanos(t)
}

pub(crate) fn from_nanos(n: i64) -> DateTime<Utc> {
    time::from_nanos(n)
}

pub(crate) fn opt_from_nanos(n: Option<i64>) -> Option<DateTime<Utc>> {
    n.map(from_nanos)
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// Serialising a `serde_json` value cannot fail (string keys only).
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_string())
}

pub(crate) fn object(what: &str, v: Value) -> Result<Map<String, Value>> {
    match v {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        other => Err(corrupt(what, format!("expected an object, got {other}"))),
    }
}

pub(crate) fn strings(what: &str, v: Value) -> Result<Vec<String>> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::String(s) => Ok(s),
                other => Err(corrupt(what, format!("expected a string, got {other}"))),
            })
            .collect(),
        other => Err(corrupt(what, format!("expected an array, got {other}"))),
    }
}

pub(crate) fn refs(v: Value) -> Result<Vec<Ref>> {
    match v {
        Value::Null => Ok(Vec::new()),
        v => serde_json::from_value(v).map_err(|e| corrupt("refs", e)),
    }
}

/// A project's id is derived from the connector that first reported it and
/// its name, so it is stable across stores and restarts (FNV-1a, 64 bits).
pub(crate) fn project_id(connector: &str, name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in connector.bytes().chain([0u8]).chain(name.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("p_{h:016x}")
}

/// The columns of an event row, JSON columns already parsed, in the order
/// of [`EVENT_COLUMNS`].
pub(crate) struct EventParts {
    pub id: String,
    pub tenant_id: String,
    pub ts: i64,
    pub created_at: i64,
    pub title: String,
    pub connector: String,
    pub project: String,
    pub external_id: Option<String>,
    pub integration_id: Option<String>,
    pub data: Value,
    pub tags: Value,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub url: Option<String>,
    pub actor: Option<String>,
    pub environment: Option<String>,
    pub service: Option<String>,
    pub refs: Value,
    pub extra: Value,
}

/// Select list for [`EventParts`], events aliased `e`.
pub(crate) const EVENT_COLUMNS: &str = "e.id, e.tenant_id, e.ts, e.created_at, e.title, \
    e.connector, e.project, e.external_id, e.integration_id, e.data, e.tags, e.kind, \
    e.status, e.url, e.actor, e.environment, e.service, e.refs, e.extra";

impl EventParts {
    pub fn into_event(self) -> Result<painchain_core::Event> {
        Ok(painchain_core::Event {
            id: self.id,
            tenant_id: self.tenant_id,
            title: self.title,
            connector: self.connector,
            project: self.project,
            timestamp: from_nanos(self.ts),
            created_at: from_nanos(self.created_at),
            external_id: self.external_id,
            integration_id: self.integration_id,
            data: object("data", self.data)?,
            tags: strings("tags", self.tags)?,
            kind: self.kind,
            status: self.status,
            url: self.url,
            actor: self.actor,
            environment: self.environment,
            service: self.service,
            refs: refs(self.refs)?,
            extra: object("extra", self.extra)?,
        })
    }
}

pub(crate) fn scope(s: &str) -> Result<painchain_core::token::Scope> {
    painchain_core::token::Scope::parse(s).ok_or_else(|| corrupt("token scope", s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_ids_are_stable_and_distinct() {
        assert_eq!(project_id("github", "a/b"), project_id("github", "a/b"));
        assert_ne!(project_id("github", "a/b"), project_id("gitlab", "a/b"));
        assert_ne!(project_id("ab", "c"), project_id("a", "bc"));
    }

    #[test]
    fn bad_json_is_corrupt_not_panic() {
        assert!(strings("tags", serde_json::json!([1])).is_err());
        assert!(object("data", serde_json::json!([1])).is_err());
        assert!(refs(serde_json::json!([{"type": 1}])).is_err());
    }
}
