//! `GET /api/timeline`: a page of events plus the real total, counts per
//! group and a histogram, in one answer for the UI.

use std::collections::BTreeMap;

use axum::{extract::State, routing::get, Json, Router};
use chrono::Utc;
use painchain_core::{time, Event};
use painchain_store::GroupCount;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    api::events::EventParamsDoc,
    auth::Read,
    error::{ApiError, ApiResult, ErrorBody},
    extract::ApiQuery,
    query::{group_name, EventParams},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/timeline", get(timeline))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Timeline {
    pub events: Vec<Event>,
    /// Count of every event matching the filter (not just this page).
    pub total: i64,
    pub next_cursor: Option<String>,
    /// `project` or `connector`.
    pub group_by: &'static str,
    pub groups: Vec<Group>,
    /// `connector` or `project`: what each bucket's `counts` are keyed by.
    pub stack_by: &'static str,
    /// Bucket width in seconds.
    pub interval: i64,
    pub buckets: Vec<Bucket>,
}

#[derive(Serialize, ToSchema)]
pub struct Group {
    pub key: String,
    pub count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Bucket {
    /// RFC 3339 start of the bucket.
    pub start: String,
    pub counts: BTreeMap<String, i64>,
    pub total: i64,
}

/// Bucket widths the automatic interval picks from (seconds): each at most
/// 2.5× the previous, so ~40–100 buckets cover any range.
const NICE_INTERVALS: &[i64] = &[
    1,
    2,
    5,
    10,
    15,
    30,
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    2 * 3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86_400,
    2 * 86_400,
    4 * 86_400,
    7 * 86_400,
    14 * 86_400,
    30 * 86_400,
    60 * 86_400,
    91 * 86_400,
    182 * 86_400,
    365 * 86_400,
];
const TARGET_BUCKETS: i64 = 100;
/// A given interval that would produce more buckets than this is refused.
const MAX_BUCKETS: i64 = 5000;

/// The smallest nice width giving at most `TARGET_BUCKETS` buckets.
pub fn auto_interval(range_secs: i64) -> i64 {
    let range = range_secs.max(1);
    NICE_INTERVALS
        .iter()
        .copied()
        .find(|w| range / w < TARGET_BUCKETS)
        .unwrap_or(*NICE_INTERVALS.last().unwrap_or(&86_400))
}

/// Events, total, groups and histogram buckets for the filter.
#[utoipa::path(
    get, path = "/api/timeline", tag = "events",
    params(EventParamsDoc,
        ("groupBy" = Option<String>, Query, description = "`project` (default) or `connector`"),
        ("stackBy" = Option<String>, Query, description = "histogram stacks: `connector` (default) or `project`"),
        ("interval" = Option<String>, Query, description = "bucket width: seconds, `5m`, `1h`, or `auto` (default)")),
    responses((status = 200, body = Timeline), (status = 400, body = ErrorBody))
)]
pub async fn timeline(
    State(state): State<AppState>,
    Read(caller): Read,
    ApiQuery(params): ApiQuery<EventParams>,
) -> ApiResult<Json<Timeline>> {
    let tenant = caller.tenant();
    let parsed = params.filter(&state, tenant).await?;
    let page = params.page(50)?;
    let group_by = params.group_by()?;
    let stack_by = params.stack_by()?;
    let requested_interval = params.interval_secs()?;
    if parsed.matches_nothing {
        return Ok(Json(Timeline {
            events: Vec::new(),
            total: 0,
            next_cursor: None,
            group_by: group_name(group_by),
            groups: Vec::new(),
            stack_by: group_name(stack_by),
            interval: requested_interval.unwrap_or(3600),
            buckets: Vec::new(),
        }));
    }
    let filter = &parsed.filter;
    let store = &state.store;
    // Independent queries: run them together.
    let (page_res, total, groups, span) = tokio::try_join!(
        store.list_events(tenant, filter, &page),
        store.count_events(tenant, filter),
        store.group_counts(tenant, filter, group_by),
        store.time_span(tenant, filter),
    )?;

    // The histogram covers the filter's range; open ends fall back to the
    // data (and "now" for an open end when data stops earlier).
    let (start, end) = match (filter.start, filter.end, span) {
        (Some(s), Some(e), _) => (s, e),
        (Some(s), None, _) => (s, Utc::now().max(s)),
        (None, Some(e), Some((lo, _))) => (lo.min(e), e),
        (None, None, Some((lo, hi))) => (lo, hi),
        (None, _, None) => {
            let now = Utc::now();
            (
                filter.end.unwrap_or(now) - chrono::Duration::hours(24),
                filter.end.unwrap_or(now),
            )
        }
    };
    // A histogram of a few seconds of data helps nobody: when the start is
    // open, show at least the hour before the last event.
    let min_span = chrono::Duration::hours(1);
    let start = if filter.start.is_none() && end - start < min_span {
        end - min_span
    } else {
        start
    };
    let range_secs = (end - start).num_seconds().max(1);
    let interval = match requested_interval {
        Some(i) => {
            if range_secs / i > MAX_BUCKETS {
                return Err(ApiError::invalid(
                    "interval",
                    format!("`interval` {i}s would make more than {MAX_BUCKETS} buckets over this range"),
                ));
            }
            i
        }
        None => auto_interval(range_secs),
    };
    let bucket_nanos = interval * 1_000_000_000;
    let rows = if total == 0 {
        Vec::new()
    } else {
        store
            .histogram(tenant, filter, bucket_nanos, stack_by)
            .await?
    };

    // Every bucket from start to end, zeros included, so the UI can draw
    // the axis without gaps.
    let first = time::to_nanos(start).div_euclid(bucket_nanos) * bucket_nanos;
    let last = time::to_nanos(end).div_euclid(bucket_nanos) * bucket_nanos;
    let mut by_start: BTreeMap<i64, Bucket> = BTreeMap::new();
    let mut b = first;
    while b <= last {
        by_start.insert(b, empty_bucket(b));
        b += bucket_nanos;
    }
    for row in rows {
        let bucket = by_start
            .entry(row.start_nanos)
            .or_insert_with(|| empty_bucket(row.start_nanos));
        *bucket.counts.entry(row.group).or_insert(0) += row.count;
        bucket.total += row.count;
    }

    Ok(Json(Timeline {
        events: page_res.events,
        total,
        next_cursor: page_res.next.map(|c| c.encode()),
        group_by: group_name(group_by),
        groups: groups
            .into_iter()
            .map(|GroupCount { group, count }| Group { key: group, count })
            .collect(),
        stack_by: group_name(stack_by),
        interval,
        buckets: by_start.into_values().collect(),
    }))
}

fn empty_bucket(start_nanos: i64) -> Bucket {
    Bucket {
        start: time::format(time::from_nanos(start_nanos)),
        counts: BTreeMap::new(),
        total: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_interval_gives_40_to_100_buckets() {
        for range in [60, 3600, 86_400, 7 * 86_400, 30 * 86_400, 365 * 86_400] {
            let i = auto_interval(range);
            let n = range / i;
            assert!(
                (40..=100).contains(&n) || range < 100,
                "range {range}: {n} buckets of {i}s"
            );
        }
        assert_eq!(auto_interval(86_400), 900);
    }
}
