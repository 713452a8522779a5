//! The event: what a client sends (`NewEvent`), what we store and return
//! (`Event`), and the validation between the two.
//!
//! Validation works on a `serde_json::Value` rather than through serde's
//! derive so each problem is reported with the exact field it concerns.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// A typed link from an event to something other events also mention:
/// a commit sha, a pull request, an image digest, a version, a k8s object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct Ref {
    #[serde(rename = "type")]
    pub ref_type: String,
    pub value: String,
}

impl Ref {
    pub fn new(ref_type: impl Into<String>, value: impl Into<String>) -> Self {
        Ref {
            ref_type: ref_type.into(),
            value: value.into(),
        }
    }

    /// Parses the `type:value` form used in query strings (`ref=commit:abc`).
    pub fn parse_pair(s: &str) -> Option<Ref> {
        let (t, v) = s.split_once(':')?;
        (!t.is_empty() && !v.is_empty()).then(|| Ref::new(t, v))
    }
}

/// A validated event, ready to be stored. Built by [`NewEvent::from_json`] or
/// directly by connectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewEvent {
    pub title: String,
    pub connector: String,
    pub project: String,
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default)]
    pub refs: Vec<Ref>,
    /// Top-level fields we don't know, kept so nothing a client sent is lost.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    #[schema(value_type = Object)]
    pub extra: Map<String, Value>,
}

/// A stored event, as every read endpoint returns it. Keys are those the
/// seed's clients read (`id, title, connector, project, timestamp, data,
/// createdAt, integrationId`) plus ours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: String,
    pub tenant_id: String,
    pub title: String,
    pub connector: String,
    pub project: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "rfc3339")]
    pub timestamp: DateTime<Utc>,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    pub external_id: Option<String>,
    pub integration_id: Option<String>,
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
    pub tags: Vec<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub url: Option<String>,
    pub actor: Option<String>,
    pub environment: Option<String>,
    pub service: Option<String>,
    pub refs: Vec<Ref>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    #[schema(value_type = Object)]
    pub extra: Map<String, Value>,
}

mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::time::format(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        // Any RFC 3339 time is read back (events stored before the range
        // check existed may lie outside it); only new ones are checked.
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| serde::de::Error::custom("invalid timestamp"))
    }
}

/// Size limits applied when validating an incoming event.
#[derive(Debug, Clone, Copy)]
pub struct EventLimits {
    pub max_title_bytes: usize,
    pub max_data_bytes: usize,
    pub max_field_bytes: usize,
    pub max_tags: usize,
    pub max_refs: usize,
}

impl Default for EventLimits {
    fn default() -> Self {
        EventLimits {
            max_title_bytes: 1024,
            max_data_bytes: 256 * 1024,
            max_field_bytes: 2048,
            max_tags: 100,
            max_refs: 200,
        }
    }
}

/// Why an event was refused. `code` is machine-readable, `field` names the
/// offending JSON path, `message` is for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValidationError {
    pub code: &'static str,
    pub field: String,
    pub message: String,
}

impl ValidationError {
    pub fn new(code: &'static str, field: impl Into<String>, message: impl Into<String>) -> Self {
        ValidationError {
            code,
            field: field.into(),
            message: message.into(),
        }
    }

    /// Whether the right HTTP answer is 413 rather than 400.
    pub fn is_too_large(&self) -> bool {
        self.code == "too_large"
    }
}

/// The top-level fields of an event; anything else is kept in `extra`.
pub const KNOWN_FIELDS: &[&str] = &[
    "title",
    "connector",
    "project",
    "timestamp",
    "externalId",
    "integrationId",
    "data",
    "tags",
    "kind",
    "status",
    "url",
    "actor",
    "environment",
    "service",
    "refs",
];

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

struct Fields<'a> {
    obj: &'a Map<String, Value>,
    prefix: &'a str,
    limits: &'a EventLimits,
}

impl Fields<'_> {
    fn path(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    fn required_str(&self, key: &str, max: usize) -> Result<String, ValidationError> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Err(ValidationError::new(
                "missing_field",
                self.path(key),
                format!("`{}` is required", self.path(key)),
            )),
            Some(Value::String(s)) if s.trim().is_empty() => Err(ValidationError::new(
                "invalid_field",
                self.path(key),
                format!("`{}` must not be empty", self.path(key)),
            )),
            Some(v) => self.check_str(key, v, max),
        }
    }

    fn optional_str(&self, key: &str) -> Result<Option<String>, ValidationError> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => self
                .check_str(key, v, self.limits.max_field_bytes)
                .map(|s| Some(s).filter(|s| !s.is_empty())),
        }
    }

    /// An optional link: only `http://` and `https://` (the UI renders it as
    /// a link; `javascript:` or `data:` URLs must never get there).
    fn url(&self, key: &str) -> Result<Option<String>, ValidationError> {
        let Some(u) = self.optional_str(key)? else {
            return Ok(None);
        };
        let lower = u.trim_start().to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"));
        match rest {
            Some(host) if !host.is_empty() && !u.chars().any(char::is_whitespace) => Ok(Some(u)),
            _ => Err(ValidationError::new(
                "invalid_field",
                self.path(key),
                format!(
                    "`{}` must be an absolute http:// or https:// URL",
                    self.path(key)
                ),
            )),
        }
    }

    fn check_str(&self, key: &str, v: &Value, max: usize) -> Result<String, ValidationError> {
        let Value::String(s) = v else {
            return Err(ValidationError::new(
                "invalid_type",
                self.path(key),
                format!(
                    "`{}` must be a string, got {}",
                    self.path(key),
                    type_name(v)
                ),
            ));
        };
        if s.len() > max {
            return Err(ValidationError::new(
                "too_large",
                self.path(key),
                format!(
                    "`{}` is {} bytes; the limit is {} bytes",
                    self.path(key),
                    s.len(),
                    max
                ),
            ));
        }
        if s.contains('\0') {
            return Err(nul_error(self.path(key)));
        }
        Ok(s.clone())
    }
}

/// PostgreSQL cannot store NUL in text or JSON, so no store accepts it:
/// refusing it here keeps both backends alike and turns it into a 400.
fn nul_error(field: String) -> ValidationError {
    ValidationError::new(
        "invalid_field",
        field.clone(),
        format!("`{field}` must not contain NUL (\\u0000) characters"),
    )
}

/// The path of the first key or string under `obj` that contains NUL.
fn find_nul(obj: &Map<String, Value>, at: &str) -> Option<String> {
    obj.iter().find_map(|(k, v)| {
        let path = format!("{at}.{k}");
        if k.contains('\0') {
            Some(path)
        } else {
            walk_nul(v, path)
        }
    })
}

fn walk_nul(v: &Value, at: String) -> Option<String> {
    match v {
        Value::String(s) => s.contains('\0').then_some(at),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| walk_nul(v, format!("{at}[{i}]"))),
        Value::Object(m) => find_nul(m, &at),
        _ => None,
    }
}

/// The path (`title`, `data.x[1].y`, `[3].tags[0]`, `body` for a bare
/// string) of the first key or string anywhere in `v` that contains NUL
/// (`\u0000`), which PostgreSQL can store neither in text nor in JSON.
/// The server refuses such bodies at the edge with this path as `field`.
pub fn nul_path(v: &Value) -> Option<String> {
    let path = walk_nul(v, String::new())?;
    let path = path.trim_start_matches('.');
    Some(if path.is_empty() {
        "body".to_string()
    } else {
        path.to_string()
    })
}

impl NewEvent {
    /// Validates one event as sent to `POST /api/events`.
    pub fn from_json(value: &Value, limits: &EventLimits) -> Result<NewEvent, ValidationError> {
        Self::from_json_at(value, limits, "")
    }

    /// Like [`from_json`](Self::from_json), naming fields under `prefix`
    /// (e.g. `[3].` for the fourth item of a batch).
    pub fn from_json_at(
        value: &Value,
        limits: &EventLimits,
        prefix: &str,
    ) -> Result<NewEvent, ValidationError> {
        let Value::Object(obj) = value else {
            let at = if prefix.is_empty() {
                "body".to_string()
            } else {
                prefix.trim_end_matches('.').to_string()
            };
            return Err(ValidationError::new(
                "invalid_type",
                at.clone(),
                format!("`{at}` must be a JSON object, got {}", type_name(value)),
            ));
        };
        let f = Fields {
            obj,
            prefix,
            limits,
        };
        let title = f.required_str("title", limits.max_title_bytes)?;
        let connector = f.required_str("connector", limits.max_field_bytes)?;
        let project = f.required_str("project", limits.max_field_bytes)?;
        let ts_raw = f.required_str("timestamp", 64)?;
        // Strict RFC 3339 (an offset is required: a zone-less time would be
        // read in some unknown zone) within the range every store and the
        // timeline arithmetic can hold; never clamped.
        let timestamp = crate::time::parse_rfc3339(&ts_raw).ok_or_else(|| {
            let at = f.path("timestamp");
            let why = if chrono::DateTime::parse_from_rfc3339(&ts_raw).is_ok() {
                format!("`{at}` must lie between {}, got {ts_raw:?}", crate::time::RANGE_TEXT)
            } else {
                format!(
                    "`{at}` must be an RFC 3339 date-time with an offset, such as 2024-01-31T12:00:00Z, got {ts_raw:?}"
                )
            };
            ValidationError::new("invalid_timestamp", at, why)
        })?;
        let data = match obj.get("data") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => {
                let size = serde_json::to_vec(m).map(|v| v.len()).unwrap_or(usize::MAX);
                if size > limits.max_data_bytes {
                    return Err(ValidationError::new(
                        "too_large",
                        f.path("data"),
                        format!(
                            "`{}` is {size} bytes; the limit is {} bytes",
                            f.path("data"),
                            limits.max_data_bytes
                        ),
                    ));
                }
                if let Some(at) = find_nul(m, &f.path("data")) {
                    return Err(nul_error(at));
                }
                m.clone()
            }
            Some(v) => {
                return Err(ValidationError::new(
                    "invalid_type",
                    f.path("data"),
                    format!(
                        "`{}` must be a JSON object, got {}",
                        f.path("data"),
                        type_name(v)
                    ),
                ))
            }
        };
        let tags = match obj.get("tags") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                if items.len() > limits.max_tags {
                    return Err(ValidationError::new(
                        "too_large",
                        f.path("tags"),
                        format!(
                            "`{}` has more than {} tags",
                            f.path("tags"),
                            limits.max_tags
                        ),
                    ));
                }
                let mut tags = Vec::with_capacity(items.len());
                for (i, t) in items.iter().enumerate() {
                    let key = format!("tags[{i}]");
                    let s = f.check_str(&key, t, limits.max_field_bytes)?;
                    if !s.is_empty() && !tags.contains(&s) {
                        tags.push(s);
                    }
                }
                tags
            }
            Some(v) => {
                return Err(ValidationError::new(
                    "invalid_type",
                    f.path("tags"),
                    format!(
                        "`{}` must be an array of strings, got {}",
                        f.path("tags"),
                        type_name(v)
                    ),
                ))
            }
        };
        let refs = match obj.get("refs") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                if items.len() > limits.max_refs {
                    return Err(ValidationError::new(
                        "too_large",
                        f.path("refs"),
                        format!(
                            "`{}` has more than {} refs",
                            f.path("refs"),
                            limits.max_refs
                        ),
                    ));
                }
                let mut refs: Vec<Ref> = Vec::with_capacity(items.len());
                for (i, r) in items.iter().enumerate() {
                    let at = format!("{}refs[{i}]", prefix);
                    let Value::Object(m) = r else {
                        return Err(ValidationError::new(
                            "invalid_type",
                            at.clone(),
                            format!(
                                "`{at}` must be an object {{\"type\", \"value\"}}, got {}",
                                type_name(r)
                            ),
                        ));
                    };
                    let rf = Fields {
                        obj: m,
                        prefix: &format!("{at}."),
                        limits,
                    };
                    let r = Ref::new(
                        rf.required_str("type", 64)?,
                        rf.required_str("value", limits.max_field_bytes)?,
                    );
                    if !refs.contains(&r) {
                        refs.push(r);
                    }
                }
                refs
            }
            Some(v) => {
                return Err(ValidationError::new(
                    "invalid_type",
                    f.path("refs"),
                    format!(
                        "`{}` must be an array of {{type, value}} objects, got {}",
                        f.path("refs"),
                        type_name(v)
                    ),
                ))
            }
        };
        let extra: Map<String, Value> = obj
            .iter()
            .filter(|(k, _)| !KNOWN_FIELDS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if serde_json::to_vec(&extra)
            .map(|v| v.len())
            .unwrap_or(usize::MAX)
            > limits.max_data_bytes
        {
            return Err(ValidationError::new(
                "too_large",
                if prefix.is_empty() {
                    "body".into()
                } else {
                    prefix.trim_end_matches('.').to_string()
                },
                "unknown top-level fields are too large to keep",
            ));
        }
        if let Some(at) = find_nul(&extra, prefix.trim_end_matches('.')) {
            return Err(nul_error(at.trim_start_matches('.').to_string()));
        }
        Ok(NewEvent {
            title,
            connector,
            project,
            timestamp,
            external_id: f.optional_str("externalId")?,
            integration_id: f.optional_str("integrationId")?,
            data,
            tags,
            kind: f.optional_str("kind")?,
            status: f.optional_str("status")?,
            url: f.url("url")?,
            actor: f.optional_str("actor")?,
            environment: f.optional_str("environment")?,
            service: f.optional_str("service")?,
            refs,
            extra,
        })
    }

    /// A minimal event, handy for connectors and tests.
    pub fn new(
        title: impl Into<String>,
        connector: impl Into<String>,
        project: impl Into<String>,
        timestamp: DateTime<Utc>,
    ) -> Self {
        NewEvent {
            title: title.into(),
            connector: connector.into(),
            project: project.into(),
            timestamp,
            external_id: None,
            integration_id: None,
            data: Map::new(),
            tags: Vec::new(),
            kind: None,
            status: None,
            url: None,
            actor: None,
            environment: None,
            service: None,
            refs: Vec::new(),
            extra: Map::new(),
        }
    }

    /// Turns this into the stored form with the id and time the store chose.
    pub fn into_event(self, id: String, tenant_id: String, created_at: DateTime<Utc>) -> Event {
        Event {
            id,
            tenant_id,
            title: self.title,
            connector: self.connector,
            project: self.project,
            timestamp: self.timestamp,
            created_at,
            external_id: self.external_id,
            integration_id: self.integration_id,
            data: self.data,
            tags: self.tags,
            kind: self.kind,
            status: self.status,
            url: self.url,
            actor: self.actor,
            environment: self.environment,
            service: self.service,
            refs: self.refs,
            extra: self.extra,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seed_event() -> Value {
        json!({
            "title": "PR #1 merged",
            "connector": "github",
            "project": "acme/api",
            "timestamp": "2024-01-01T00:00:00Z",
            "externalId": "pr-1",
            "integrationId": "int-1",
            "data": {"number": 1},
            "tags": ["prod", "prod", "backend"]
        })
    }

    #[test]
    fn accepts_what_seed_connectors_send() {
        let e = NewEvent::from_json(&seed_event(), &EventLimits::default()).unwrap();
        assert_eq!(e.title, "PR #1 merged");
        assert_eq!(e.external_id.as_deref(), Some("pr-1"));
        assert_eq!(
            e.tags,
            vec!["prod", "backend"],
            "tags deduplicated, order kept"
        );
        assert!(e.extra.is_empty());
    }

    #[test]
    fn names_the_missing_field() {
        for field in ["title", "connector", "project", "timestamp"] {
            let mut v = seed_event();
            v.as_object_mut().unwrap().remove(field);
            let err = NewEvent::from_json(&v, &EventLimits::default()).unwrap_err();
            assert_eq!(err.code, "missing_field");
            assert_eq!(err.field, field);
            assert!(err.message.contains(field));
        }
    }

    #[test]
    fn names_mistyped_fields() {
        let cases = [
            ("title", json!(42), "title"),
            ("data", json!("x"), "data"),
            ("tags", json!("prod"), "tags"),
            ("tags", json!(["ok", 3]), "tags[1]"),
            ("refs", json!([{"type": "commit"}]), "refs[0].value"),
            ("timestamp", json!("last tuesday"), "timestamp"),
        ];
        for (key, bad, field) in cases {
            let mut v = seed_event();
            v[key] = bad;
            let err = NewEvent::from_json(&v, &EventLimits::default()).unwrap_err();
            assert_eq!(err.field, field, "{key}");
        }
    }

    #[test]
    fn size_limits_are_too_large_errors() {
        let mut v = seed_event();
        v["title"] = json!("x".repeat(1025));
        let err = NewEvent::from_json(&v, &EventLimits::default()).unwrap_err();
        assert!(err.is_too_large());
        assert_eq!(err.field, "title");

        let mut v = seed_event();
        v["data"] = json!({"blob": "y".repeat(300 * 1024)});
        let err = NewEvent::from_json(&v, &EventLimits::default()).unwrap_err();
        assert!(err.is_too_large());
        assert_eq!(err.field, "data");
    }

    #[test]
    fn keeps_unknown_fields_and_extensions() {
        let mut v = seed_event();
        v["severity"] = json!("high");
        v["kind"] = json!("change.merged");
        v["refs"] = json!([{"type": "commit", "value": "abc"}, {"type": "commit", "value": "abc"}]);
        let e = NewEvent::from_json(&v, &EventLimits::default()).unwrap();
        assert_eq!(e.extra.get("severity"), Some(&json!("high")));
        assert_eq!(e.kind.as_deref(), Some("change.merged"));
        assert_eq!(e.refs, vec![Ref::new("commit", "abc")]);
    }

    #[test]
    fn nul_characters_are_refused_with_their_path() {
        let cases = [
            ("title", json!("a\u{0}b"), "title"),
            ("data", json!({"x": [1, {"y": "\u{0}"}]}), "data.x[1].y"),
            ("data", json!({"k\u{0}": 1}), "data.k\u{0}"),
            (
                "refs",
                json!([{"type": "commit", "value": "a\u{0}"}]),
                "refs[0].value",
            ),
            ("custom", json!({"z": "\u{0}"}), "custom.z"),
        ];
        for (key, bad, field) in cases {
            let mut v = seed_event();
            v[key] = bad;
            let err = NewEvent::from_json(&v, &EventLimits::default()).unwrap_err();
            assert_eq!(
                (err.code, err.field.as_str()),
                ("invalid_field", field),
                "{key}"
            );
        }
    }

    #[test]
    fn timestamps_must_be_rfc3339_with_offset_and_in_range() {
        for bad in [
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00Z",
            "2262-04-11T23:47:16Z",
            "2024-01-01",
            "2024-01-01T00:00:00",
        ] {
            let mut v = seed_event();
            v["timestamp"] = json!(bad);
            let err = NewEvent::from_json(&v, &EventLimits::default()).unwrap_err();
            assert_eq!(
                (err.code, err.field.as_str()),
                ("invalid_timestamp", "timestamp"),
                "{bad}"
            );
        }
        let mut v = seed_event();
        v["timestamp"] = json!("9999-12-31T23:59:59Z");
        let err = NewEvent::from_json(&v, &EventLimits::default()).unwrap_err();
        assert!(err.message.contains("1900-01-01"), "{}", err.message);
        v["timestamp"] = json!("2199-12-31T23:59:59+00:00");
        assert!(NewEvent::from_json(&v, &EventLimits::default()).is_ok());
    }

    #[test]
    fn urls_must_be_http() {
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "ftp://x",
            "//evil",
            "https://",
            "https://a b",
        ] {
            let mut v = seed_event();
            v["url"] = json!(bad);
            let err = NewEvent::from_json(&v, &EventLimits::default()).unwrap_err();
            assert_eq!(err.field, "url", "{bad}");
        }
        for ok in ["https://github.com/a/b/pull/1", "HTTP://ci.local:8080/x"] {
            let mut v = seed_event();
            v["url"] = json!(ok);
            let e = NewEvent::from_json(&v, &EventLimits::default()).unwrap();
            assert_eq!(e.url.as_deref(), Some(ok));
        }
    }

    #[test]
    fn nul_paths() {
        assert_eq!(nul_path(&json!({"a": 1})), None);
        assert_eq!(nul_path(&json!("x\u{0}")).as_deref(), Some("body"));
        assert_eq!(
            nul_path(&json!([{"ok": 1}, {"tags": ["a", "\u{0}"]}])).as_deref(),
            Some("[1].tags[1]")
        );
        assert_eq!(
            nul_path(&json!({"config": {"x\u{0}": 1}})).as_deref(),
            Some("config.x\u{0}")
        );
    }

    #[test]
    fn batch_prefix_appears_in_field_names() {
        let err = NewEvent::from_json_at(&json!({}), &EventLimits::default(), "[3].").unwrap_err();
        assert_eq!(err.field, "[3].title");
        let err = NewEvent::from_json_at(&json!(5), &EventLimits::default(), "[3].").unwrap_err();
        assert_eq!(err.field, "[3]");
    }
}
