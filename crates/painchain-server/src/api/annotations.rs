//! `GET /api/annotations`: events as Grafana annotations.
//!
//! The answer is a bare JSON array of `{time, timeEnd, title, text, tags}`
//! (times in epoch milliseconds), the shape Grafana's Infinity and JSON API
//! data sources map onto annotations without transformations. The filters
//! are the timeline's (`EventParams`), plus `from`/`to` in epoch
//! milliseconds because that is what Grafana's `${__from}`/`${__to}` expand to.

use axum::{extract::State, routing::get, Json, Router};
use chrono::{DateTime, Utc};
use painchain_core::Event;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    api::events::EventParamsDoc,
    auth::Read,
    error::{ApiError, ApiResult, ErrorBody},
    extract::ApiQuery,
    query::{EventParams, MAX_LIMIT},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/annotations", get(annotations))
}

/// One event as a Grafana annotation.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Annotation {
    /// The event's timestamp, epoch milliseconds.
    pub time: i64,
    /// Same as `time`: events are points in time.
    pub time_end: i64,
    pub title: String,
    /// One plain-text line: project, connector, kind, status, environment,
    /// actor, then the event's URL when it has one.
    pub text: String,
    /// The event's tags plus `project:…`, `connector:…` and, when set,
    /// `kind:…`, `status:…`, `environment:…` (Grafana filters annotations by tag).
    pub tags: Vec<String>,
    /// The event's id (`/api/events/{id}`).
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl From<Event> for Annotation {
    fn from(e: Event) -> Self {
        let time = e.timestamp.timestamp_millis();
        let mut parts = vec![e.project.clone(), e.connector.clone()];
        parts.extend(
            [&e.kind, &e.status, &e.environment]
                .into_iter()
                .flatten()
                .cloned(),
        );
        if let Some(actor) = &e.actor {
            parts.push(format!("by {actor}"));
        }
        let mut text = parts.join(" · ");
        if let Some(url) = &e.url {
            text.push_str(" — ");
            text.push_str(url);
        }
        let mut tags = e.tags;
        let mut add = |k: &str, v: &str| {
            let t = format!("{k}:{v}");
            if !tags.contains(&t) {
                tags.push(t);
            }
        };
        add("project", &e.project);
        add("connector", &e.connector);
        for (k, v) in [
            ("kind", &e.kind),
            ("status", &e.status),
            ("environment", &e.environment),
        ] {
            if let Some(v) = v {
                add(k, v);
            }
        }
        Annotation {
            time,
            time_end: time,
            title: e.title,
            text,
            tags,
            id: e.id,
            url: e.url,
        }
    }
}

/// Grafana's range. Strings, like `EventParams`, so a bad value is a 400
/// naming the parameter instead of a generic deserialization error.
#[derive(Debug, Default, Deserialize)]
pub struct Range {
    #[serde(default)]
    from: Vec<String>,
    #[serde(default)]
    to: Vec<String>,
}

fn epoch_ms(param: &str, v: &[String]) -> Result<Option<DateTime<Utc>>, ApiError> {
    let bad = |got: &str| {
        ApiError::invalid(
            param,
            format!(
                "`{param}` must be a time in epoch milliseconds such as 1704067200000, got {got:?}"
            ),
        )
    };
    match v {
        [] => Ok(None),
        [x] if x.trim().is_empty() => Ok(None),
        [x] => {
            let ms: i64 = x.trim().parse().map_err(|_| bad(x))?;
            // Events are stored in i64 nanoseconds: years 1677 to 2262.
            DateTime::from_timestamp_millis(ms)
                .filter(|t| t.timestamp_nanos_opt().is_some())
                .map(Some)
                .ok_or_else(|| bad(x))
        }
        _ => Err(ApiError::invalid(
            param,
            format!("`{param}` may be given only once"),
        )),
    }
}

/// Events matching the timeline's filters as Grafana annotations, newest
/// first; `limit` defaults to (and is capped at) 1000.
#[utoipa::path(
    get, path = "/api/annotations", tag = "events",
    params(EventParamsDoc,
        ("from" = Option<i64>, Query, description = "Start, epoch milliseconds (Grafana's `${__from}`); instead of `startDate`"),
        ("to" = Option<i64>, Query, description = "End, epoch milliseconds (Grafana's `${__to}`); instead of `endDate`")),
    responses((status = 200, body = Vec<Annotation>), (status = 400, body = ErrorBody))
)]
pub async fn annotations(
    State(state): State<AppState>,
    Read(caller): Read,
    ApiQuery(params): ApiQuery<EventParams>,
    ApiQuery(range): ApiQuery<Range>,
) -> ApiResult<Json<Vec<Annotation>>> {
    let from = epoch_ms("from", &range.from)?;
    let to = epoch_ms("to", &range.to)?;
    // Two names for one bound would leave the reader guessing which wins.
    for (given, other, name) in [
        (from.is_some(), &params.start_date, "from"),
        (to.is_some(), &params.end_date, "to"),
    ] {
        if given && !other.is_empty() {
            let alt = if name == "from" {
                "startDate"
            } else {
                "endDate"
            };
            return Err(ApiError::invalid(
                name,
                format!("give either `{name}` or `{alt}`, not both"),
            ));
        }
    }
    let mut parsed = params.filter(&state, caller.tenant()).await?;
    let page = params.page(MAX_LIMIT)?;
    let f = &mut parsed.filter;
    if let Some(from) = from {
        // With `since` too, the narrower (later) start wins, as in `filter`.
        f.start = Some(f.start.map_or(from, |s| s.max(from)));
    }
    if let Some(to) = to {
        f.end = Some(to);
    }
    if let (Some(s), Some(e)) = (f.start, f.end) {
        if s > e {
            let field = if from.is_some() { "from" } else { "to" };
            return Err(ApiError::invalid(field, "the start is after the end"));
        }
    }
    if parsed.matches_nothing {
        return Ok(Json(Vec::new()));
    }
    let result = state
        .store
        .list_events(caller.tenant(), &parsed.filter, &page)
        .await?;
    Ok(Json(
        result.events.into_iter().map(Annotation::from).collect(),
    ))
}
