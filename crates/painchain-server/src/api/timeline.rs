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
/// At most this many buckets are ever built (counted before any is
/// allocated): a given `interval` that would make more is refused (400
/// naming `interval`); the automatic one widens instead.
pub const MAX_BUCKETS: i64 = 2000;

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
        ("interval" = Option<String>, Query, description = "bucket width: seconds (1 to 315360000), `5m`, `1h`, `1d` (at most `3650d`), or `auto` (default); more than 2000 buckets over the range is a 400")),
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
        // Events dated after now are in the filter: the range covers them.
        (Some(s), None, span) => (s, Utc::now().max(s).max(span.map_or(s, |(_, hi)| hi))),
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
    let (start_n, end_n) = (time::to_nanos(start), time::to_nanos(end));
    let plan = match requested_interval {
        Some(i) => BucketPlan::new(start_n, end_n, i).ok_or_else(|| {
            ApiError::invalid(
                "interval",
                format!("`interval` {i}s would make more than {MAX_BUCKETS} buckets over this range; use a wider one"),
            )
        })?,
        None => BucketPlan::auto(start_n, end_n, range_secs),
    };
    let rows = if total == 0 {
        Vec::new()
    } else {
        store
            .histogram(tenant, filter, plan.width_nanos, stack_by)
            .await?
    };

    // Every bucket from start to end, zeros included, so the UI can draw
    // the axis without gaps.
    let mut by_start: BTreeMap<i64, Bucket> = plan.starts().map(|b| (b, empty_bucket(b))).collect();
    for row in rows {
        // Rows outside the range (none expected) are dropped rather than
        // allowed to grow the answer.
        let Some(bucket) = by_start.get_mut(&row.start_nanos) else {
            continue;
        };
        *bucket.counts.entry(row.group).or_insert(0) += row.count;
        bucket.total += row.count;
    }
    let interval = plan.width_nanos / time::NANOS_PER_SEC;

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

/// The histogram's buckets over `[start, end]` (nanoseconds), all
/// arithmetic checked: bucket `i` starts at `i · width`, and the count
/// `last - first + 1` is known (and capped) before anything is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketPlan {
    pub width_nanos: i64,
    first: i64,
    last: i64,
}

impl BucketPlan {
    /// `None` when `interval_secs` is not positive, too wide to count in
    /// nanoseconds, or would make more than [`MAX_BUCKETS`] buckets.
    pub fn new(start_nanos: i64, end_nanos: i64, interval_secs: i64) -> Option<BucketPlan> {
        let width_nanos = interval_secs.checked_mul(time::NANOS_PER_SEC)?;
        if width_nanos <= 0 || start_nanos > end_nanos {
            return None;
        }
        // Bucket numbers, not starts: they cannot overflow.
        let first = start_nanos.div_euclid(width_nanos);
        let last = end_nanos.div_euclid(width_nanos);
        let count = last.checked_sub(first)?.checked_add(1)?;
        (count <= MAX_BUCKETS).then_some(BucketPlan {
            width_nanos,
            first,
            last,
        })
    }

    /// The automatic width; widened beyond the nice ones if a range ever
    /// needed more than [`MAX_BUCKETS`] of the widest.
    pub fn auto(start_nanos: i64, end_nanos: i64, range_secs: i64) -> BucketPlan {
        let (lo, hi) = (start_nanos.min(end_nanos), start_nanos.max(end_nanos));
        let nice = auto_interval(range_secs);
        BucketPlan::new(lo, hi, nice)
            .or_else(|| BucketPlan::new(lo, hi, range_secs / (MAX_BUCKETS - 2) + 1))
            // Unreachable (the range of i64 nanoseconds is ~585 years), but
            // never a panic: one bucket as wide as the range.
            .unwrap_or(BucketPlan {
                width_nanos: i64::MAX,
                first: lo.div_euclid(i64::MAX),
                last: lo.div_euclid(i64::MAX),
            })
    }

    /// How many buckets (at least one, at most [`MAX_BUCKETS`]).
    pub fn count(&self) -> i64 {
        self.last - self.first + 1
    }

    /// The start of each bucket, oldest first ([`time::bucket_start`]: a
    /// start before 1677 is clamped, exactly as the store reports it).
    pub fn starts(self) -> impl Iterator<Item = i64> {
        (self.first..=self.last).map(move |i| time::bucket_start(i, self.width_nanos))
    }
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

    #[test]
    fn bucket_plans_are_checked_and_capped() {
        let s = time::NANOS_PER_SEC;
        // The crash reports: huge intervals, a range at the end of i64.
        assert_eq!(BucketPlan::new(0, 3600 * s, i64::MAX), None);
        assert_eq!(BucketPlan::new(0, 3600 * s, 36_028_797_018_963_968), None);
        let end = i64::MAX;
        let start = end - 47 * 60 * s;
        let p = BucketPlan::new(start, end, 60).unwrap();
        assert_eq!(p.count(), 48);
        assert!(p.starts().all(|b| b <= end));
        assert_eq!(BucketPlan::new(i64::MIN, i64::MAX, 1), None);
        assert_eq!(BucketPlan::new(0, 3600 * s, 0), None);
        assert_eq!(BucketPlan::new(0, 3600 * s, -5), None);
        // Exactly the cap, and one more.
        assert!(BucketPlan::new(0, (MAX_BUCKETS - 1) * s, 1).is_some());
        assert!(BucketPlan::new(0, MAX_BUCKETS * s, 1).is_none());
        // Auto covers the whole i64 range without overflow.
        let p = BucketPlan::auto(i64::MIN, i64::MAX, i64::MAX / s);
        assert!(p.count() <= MAX_BUCKETS);
        let starts: Vec<i64> = p.starts().collect();
        assert_eq!(starts[0], i64::MIN);
        assert!(starts.windows(2).all(|w| w[0] < w[1]));
    }
}
