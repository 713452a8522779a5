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
            && self.q.as_deref().is_none_or(|q| text_matches(q, e))
    }
}

/// Word-prefix search, as the stores' full-text indexes do it: every word of
/// `q` must start some word of the title or of a key or string in `data`.
fn text_matches(q: &str, e: &Event) -> bool {
    fn words(s: &str) -> impl Iterator<Item = String> + '_ {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
    }
    fn strings<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match v {
            serde_json::Value::String(s) => out.push(s),
            serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
            serde_json::Value::Object(m) => m.iter().for_each(|(k, v)| {
                out.push(k);
                strings(v, out)
            }),
            _ => {}
        }
    }
    let mut texts = vec![e.title.as_str()];
    e.data.iter().for_each(|(k, v)| {
        texts.push(k);
        strings(v, &mut texts)
    });
    let event_words: Vec<String> = texts.into_iter().flat_map(words).collect();
    words(q).all(|w| event_words.iter().any(|ew| ew.starts_with(&w)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewEvent;

    fn event(title: &str, data: serde_json::Value) -> Event {
        let mut n = NewEvent::new(title, "github", "acme/api", chrono::Utc::now());
        n.data = data.as_object().cloned().unwrap_or_default();
        n.into_event("id".into(), "default".into(), chrono::Utc::now())
    }

    #[test]
    fn q_matches_word_prefixes_in_title_and_data() {
        let e = event(
            "Fix cache eviction",
            serde_json::json!({"branch": "feature/login-v2", "n": 3}),
        );
        let f = |q: &str| EventFilter {
            q: Some(q.into()),
            ..Default::default()
        };
        assert!(f("cache evic").matches(&e, &[]));
        assert!(f("FEATURE/log").matches(&e, &[]));
        assert!(!f("ache").matches(&e, &[]), "infix is not a prefix");
        assert!(
            !f("cache missing").matches(&e, &[]),
            "every word must match"
        );
    }
}
