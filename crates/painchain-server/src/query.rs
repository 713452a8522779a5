//! Query-string parameters shared by `GET /api/events`, `/api/timeline` and
//! `/api/events/stream`, turned into an `EventFilter` and a `Page`.
//!
//! Every parameter arrives as a string (so deserialization itself cannot
//! fail on a bad value) and is then parsed here, so an error names the
//! parameter: `{"error": {"code": "invalid_parameter", "field": "limit"}}`.
//! Unknown parameters are ignored, as old clients may send extra ones.

use chrono::Utc;
use painchain_core::{filter::Page, time, Cursor, EventFilter, GroupBy, Ref};
use serde::Deserialize;

use crate::{error::ApiError, state::AppState};

pub const MAX_LIMIT: u32 = 1000;
const MAX_Q_LEN: usize = 512;
/// `since` reaches back at most this far (100 years): "all time" is the
/// absence of `since`, and `now - since` must stay a valid timestamp.
pub const MAX_SINCE_DAYS: i64 = 36_500;
/// The widest timeline `interval` (10 years, in seconds).
pub const MAX_INTERVAL_SECS: i64 = 3_650 * 86_400;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventParams {
    #[serde(default)]
    pub connector: Vec<String>,
    #[serde(default)]
    pub project: Vec<String>,
    #[serde(default)]
    pub tag: Vec<String>,
    #[serde(default)]
    pub kind: Vec<String>,
    #[serde(default)]
    pub status: Vec<String>,
    #[serde(default)]
    pub environment: Vec<String>,
    #[serde(default)]
    pub integration_id: Vec<String>,
    #[serde(default)]
    pub team: Vec<String>,
    #[serde(default, rename = "ref")]
    pub refs: Vec<String>,
    #[serde(default)]
    pub q: Vec<String>,
    #[serde(default)]
    pub start_date: Vec<String>,
    #[serde(default)]
    pub end_date: Vec<String>,
    #[serde(default)]
    pub since: Vec<String>,
    #[serde(default)]
    pub limit: Vec<String>,
    #[serde(default)]
    pub cursor: Vec<String>,
    #[serde(default)]
    pub offset: Vec<String>,
    // Timeline only.
    #[serde(default)]
    pub group_by: Vec<String>,
    #[serde(default)]
    pub stack_by: Vec<String>,
    #[serde(default)]
    pub interval: Vec<String>,
}

/// A parsed filter. `matches_nothing` is set when a team has no tags: the
/// filter must then select nothing, not everything.
#[derive(Debug, Clone, Default)]
pub struct ParsedFilter {
    pub filter: EventFilter,
    pub matches_nothing: bool,
}

fn non_empty(v: &[String]) -> Vec<String> {
    v.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A parameter that may appear once; repeating it is an error naming it
/// (rather than silently taking one of the values).
fn one<'a>(param: &str, v: &'a [String]) -> Result<Option<&'a str>, ApiError> {
    match v {
        [] => Ok(None),
        [x] => Ok(Some(x.trim()).filter(|s| !s.is_empty())),
        _ => Err(ApiError::invalid(
            param,
            format!("`{param}` may be given only once"),
        )),
    }
}

fn parse_time(param: &str, v: &str) -> Result<chrono::DateTime<Utc>, ApiError> {
    time::parse(v).ok_or_else(|| {
        ApiError::invalid(
            param,
            format!(
                "`{param}` must be an RFC 3339 date-time such as 2024-01-31T12:00:00Z (or a date), from {}, got {v:?}",
                time::RANGE_TEXT
            ),
        )
    })
}

/// `now - since`, for `since` from 1 s to [`MAX_SINCE_DAYS`]; every step
/// checked (chrono's `-` panics when the result is out of its range).
fn since_start(v: &str) -> Result<chrono::DateTime<Utc>, ApiError> {
    let invalid = || {
        ApiError::invalid(
            "since",
            format!("`since` must look like 15m, 2h or 7d, at most {MAX_SINCE_DAYS}d, got {v:?}"),
        )
    };
    let d = time::parse_duration(v).ok_or_else(invalid)?;
    let max = chrono::Duration::try_days(MAX_SINCE_DAYS).ok_or_else(invalid)?;
    if d <= chrono::Duration::zero() || d > max {
        return Err(invalid());
    }
    Utc::now()
        .checked_sub_signed(d)
        .filter(|t| time::in_range(*t))
        .ok_or_else(invalid)
}

impl EventParams {
    /// The filter, with `team=` expanded to the team's tags (looked up by
    /// name, then by id, in the caller's tenant).
    pub async fn filter(&self, state: &AppState, tenant: &str) -> Result<ParsedFilter, ApiError> {
        let mut f = EventFilter {
            connectors: non_empty(&self.connector),
            projects: non_empty(&self.project),
            tags: non_empty(&self.tag),
            kinds: non_empty(&self.kind),
            statuses: non_empty(&self.status),
            environments: non_empty(&self.environment),
            integration_ids: non_empty(&self.integration_id),
            ..Default::default()
        };
        for r in non_empty(&self.refs) {
            let parsed = Ref::parse_pair(&r).ok_or_else(|| {
                ApiError::invalid("ref", format!("`ref` must look like type:value, got {r:?}"))
            })?;
            f.refs.push(parsed);
        }
        if let Some(q) = one("q", &self.q)? {
            if q.len() > MAX_Q_LEN {
                return Err(ApiError::invalid(
                    "q",
                    format!("`q` is longer than {MAX_Q_LEN} bytes"),
                ));
            }
            f.q = Some(q.to_string());
        }
        if let Some(v) = one("startDate", &self.start_date)? {
            f.start = Some(parse_time("startDate", v)?);
        }
        if let Some(v) = one("endDate", &self.end_date)? {
            f.end = Some(parse_time("endDate", v)?);
        }
        if let Some(v) = one("since", &self.since)? {
            let start = since_start(v)?;
            // With both, the narrower (later) start wins.
            f.start = Some(f.start.map_or(start, |s| s.max(start)));
        }
        if let (Some(s), Some(e)) = (f.start, f.end) {
            if s > e {
                return Err(ApiError::invalid(
                    "startDate",
                    "`startDate` is after `endDate`",
                ));
            }
        }
        let mut matches_nothing = false;
        for name in non_empty(&self.team) {
            let team = match state.store.get_team_by_name(tenant, &name).await? {
                Some(t) => Some(t),
                None => state.store.get_team(tenant, &name).await?,
            };
            let Some(team) = team else {
                return Err(ApiError::invalid("team", format!("unknown team {name:?}")));
            };
            if team.tags.is_empty() && f.tags.is_empty() {
                matches_nothing = true;
            }
            for t in team.tags {
                if !f.tags.contains(&t) {
                    f.tags.push(t);
                }
            }
        }
        if !f.tags.is_empty() {
            matches_nothing = false;
        }
        Ok(ParsedFilter {
            filter: f,
            matches_nothing,
        })
    }

    /// `limit`, `cursor`, `offset`. Limits above the maximum are clamped
    /// (old clients ask for large pages); zero or non-numbers are errors.
    pub fn page(&self, default_limit: u32) -> Result<Page, ApiError> {
        let limit = match one("limit", &self.limit)? {
            None => default_limit,
            Some(v) => match v.parse::<u64>() {
                Ok(0) | Err(_) => {
                    return Err(ApiError::invalid(
                        "limit",
                        format!("`limit` must be a whole number from 1 to {MAX_LIMIT}, got {v:?}"),
                    ))
                }
                Ok(n) => n.min(MAX_LIMIT as u64) as u32,
            },
        };
        let cursor = match one("cursor", &self.cursor)? {
            None => None,
            Some(v) => Some(Cursor::decode(v).ok_or_else(|| {
                ApiError::invalid("cursor", "`cursor` is not a cursor this server issued")
            })?),
        };
        let offset = match one("offset", &self.offset)? {
            None => None,
            Some(v) => Some(v.parse::<u32>().map_err(|_| {
                ApiError::invalid(
                    "offset",
                    format!("`offset` must be a whole number, got {v:?}"),
                )
            })?),
        };
        Ok(Page {
            limit,
            // A cursor already says where to start.
            offset: if cursor.is_some() { None } else { offset },
            cursor,
        })
    }

    pub fn group_by(&self) -> Result<GroupBy, ApiError> {
        parse_group("groupBy", one("groupBy", &self.group_by)?, GroupBy::Project)
    }

    pub fn stack_by(&self) -> Result<GroupBy, ApiError> {
        parse_group(
            "stackBy",
            one("stackBy", &self.stack_by)?,
            GroupBy::Connector,
        )
    }

    /// `interval` in seconds: a number, or `5m` / `1h` / `1d`. `None` = auto.
    pub fn interval_secs(&self) -> Result<Option<i64>, ApiError> {
        let Some(v) = one("interval", &self.interval)? else {
            return Ok(None);
        };
        if v == "auto" {
            return Ok(None);
        }
        let secs = match v.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => time::parse_duration(v).map(|d| d.num_seconds()),
        };
        match secs {
            Some(n) if (1..=MAX_INTERVAL_SECS).contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::invalid(
                "interval",
                format!("`interval` must be seconds (1 to {MAX_INTERVAL_SECS}), `5m`, `1h`, `1d` or `auto`, got {v:?}"),
            )),
        }
    }
}

fn parse_group(param: &str, v: Option<&str>, default: GroupBy) -> Result<GroupBy, ApiError> {
    match v {
        None => Ok(default),
        Some(v) => GroupBy::parse(v).ok_or_else(|| {
            ApiError::invalid(
                param,
                format!("`{param}` must be `project` or `connector`, got {v:?}"),
            )
        }),
    }
}

pub fn group_name(g: GroupBy) -> &'static str {
    match g {
        GroupBy::Project => "project",
        GroupBy::Connector => "connector",
    }
}

/// The query string of the next page: the request's own parameters with
/// `cursor` replaced and `offset` dropped.
pub fn next_page_query(original: Option<&str>, cursor: &str) -> String {
    let pairs: Vec<(String, String)> =
        serde_html_form::from_str(original.unwrap_or("")).unwrap_or_default();
    let mut kept: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, _)| k != "cursor" && k != "offset")
        .collect();
    kept.push(("cursor".into(), cursor.to_string()));
    serde_html_form::to_string(&kept).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> EventParams {
        serde_html_form::from_str(q).unwrap()
    }

    #[test]
    fn repeated_params_collect() {
        let p = params("tag=a&tag=b&connector=github&limit=5");
        assert_eq!(p.tag, vec!["a", "b"]);
        assert_eq!(p.page(100).unwrap().limit, 5);
    }

    #[test]
    fn limits() {
        assert_eq!(params("").page(100).unwrap().limit, 100);
        assert_eq!(params("limit=5000").page(100).unwrap().limit, MAX_LIMIT);
        let e = params("limit=abc").page(100).unwrap_err();
        assert_eq!(e.body().error.field.as_deref(), Some("limit"));
        let e = params("limit=0").page(100).unwrap_err();
        assert_eq!(e.body().error.field.as_deref(), Some("limit"));
        let e = params("cursor=%%%").page(100).unwrap_err();
        assert_eq!(e.body().error.field.as_deref(), Some("cursor"));
    }

    #[test]
    fn intervals() {
        assert_eq!(params("interval=300").interval_secs().unwrap(), Some(300));
        assert_eq!(params("interval=1h").interval_secs().unwrap(), Some(3600));
        assert_eq!(params("").interval_secs().unwrap(), None);
        assert!(params("interval=0").interval_secs().is_err());
        for v in [
            "9223372036854775807",
            "36028797018963968",
            "-1",
            "3651d",
            "100000000w",
        ] {
            let e = params(&format!("interval={v}"))
                .interval_secs()
                .unwrap_err();
            assert_eq!(e.body().error.field.as_deref(), Some("interval"), "{v}");
        }
        assert_eq!(
            params("interval=3650d").interval_secs().unwrap(),
            Some(MAX_INTERVAL_SECS)
        );
    }

    #[test]
    fn since_is_bounded() {
        for v in ["100000000d", "9223372036854775807s", "36501d", "0s", "5y"] {
            let e = since_start(v).unwrap_err();
            assert_eq!(e.body().error.field.as_deref(), Some("since"), "{v}");
        }
        let t = since_start("36500d").unwrap();
        assert!(time::in_range(t));
        let t = since_start("15m").unwrap();
        assert!(Utc::now() - t >= chrono::Duration::minutes(15));
    }

    #[test]
    fn next_page_keeps_filters() {
        let q = next_page_query(Some("tag=a&tag=b&offset=5&cursor=old"), "NEW");
        assert_eq!(q, "tag=a&tag=b&cursor=NEW");
    }
}
