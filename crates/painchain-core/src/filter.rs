//! What a timeline/event query selects. Shared by the HTTP layer (which parses
//! query strings into it), the stores (which turn it into SQL) and the live
//! stream (which matches single events against it in memory).

use chrono::{DateTime, Utc};

use crate::{cursor::Cursor, event::Event, Ref};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    pub connectors: Vec<String>,
    pub projects: Vec<String>,
    /// OR-ed; an event matches when its own tags or its integration's
    /// `config.tags` contain any of them (the seed's semantics).
    pub tags: Vec<String>,
    pub kinds: Vec<String>,
    pub statuses: Vec<String>,
    pub environments: Vec<String>,
    pub integration_ids: Vec<String>,
    pub refs: Vec<Ref>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// Free-text search over title and data.
    pub q: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    #[default]
    Project,
    Connector,
}

impl GroupBy {
    pub fn parse(s: &str) -> Option<GroupBy> {
        match s {
            "project" => Some(GroupBy::Project),
            "connector" => Some(GroupBy::Connector),
            _ => None,
        }
    }
}

/// A page request: the filter plus where to start and how many.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub limit: u32,
    pub cursor: Option<Cursor>,
    pub offset: Option<u32>,
}

impl EventFilter {
    /// In-memory version of the store's WHERE clause, for the live stream.
    /// `integration_tags` are the tags of the event's integration, if any.
    pub fn matches(&self, e: &Event, integration_tags: &[String]) -> bool {
        fn any_eq(list: &[String], v: &str) -> bool {
            list.is_empty() || list.iter().any(|x| x == v)
        }
        fn opt_eq(list: &[String], v: Option<&str>) -> bool {
            list.is_empty() || v.is_some_and(|v| list.iter().any(|x| x == v))
        }
        any_eq(&self.connectors, &e.connector)
            && any_eq(&self.projects, &e.project)
            && opt_eq(&self.kinds, e.kind.as_deref())
            && opt_eq(&self.statuses, e.status.as_deref())
            && opt_eq(&self.environments, e.environment.as_deref())
            && opt_eq(&self.integration_ids, e.integration_id.as_deref())
            && (self.tags.is_empty()
                || self
                    .tags
                    .iter()
                    .any(|t| e.tags.contains(t) || integration_tags.contains(t)))
            && (self.refs.is_empty() || self.refs.iter().any(|r| e.refs.contains(r)))
            && self.start.is_none_or(|s| e.timestamp >= s)
            && self.end.is_none_or(|end| e.timestamp <= end)
            && self.q.as_deref().is_none_or(|q| {
                let q = q.to_lowercase();
                q.split_whitespace().all(|w| {
                    e.title.to_lowercase().contains(w)
                        || serde_json::Value::Object(e.data.clone())
                            .to_string()
                            .to_lowercase()
                            .contains(w)
                })
            })
    }
}
