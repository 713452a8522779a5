//! The event read queries, planned once for both dialects: which SQL to run
//! for a filter (rollups or raw rows, which index drives), and how to merge
//! partial answers. The backends only execute and decode.

use std::collections::BTreeMap;

use painchain_core::{filter::Page, EventFilter, GroupBy};

use crate::{
    codec::EVENT_COLUMNS,
    fts,
    query::{Dialect, Sql, TagMode},
    rollup::{self, LEVELS},
    GroupCount, HistogramBucket,
};

/// Fewer candidate rows than this: fetch them all and sort, rather than
/// walking the timeline index and testing each row.
pub(crate) const DRIVE_LIMIT: i64 = 2000;

/// A filter ready to be planned: with the integrations its tags designate
/// already resolved (see [`tag_integrations_sql`]).
pub(crate) struct Target<'a> {
    pub tenant: &'a str,
    pub f: &'a EventFilter,
    pub tag_integrations: Vec<String>,
}

/// The integrations of the tenant whose config has one of the tags: their
/// events match the tag filter too. `None` when the filter has no tags.
pub(crate) fn tag_integrations_sql(d: Dialect, tenant: &str, f: &EventFilter) -> Option<Sql> {
    if f.tags.is_empty() {
        return None;
    }
    let mut s = Sql::new(d);
    s.push("SELECT DISTINCT it.integration_id FROM integration_tags it WHERE it.tenant_id = ")
        .text(tenant)
        .push(" AND it.tag IN ")
        .list(&f.tags);
    Some(s)
}

/// How a list query finds its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strategy {
    /// Walk `(tenant, ts, id)` (or a filter's own `(…, ts, id)` index)
    /// newest first, testing each row; stops after a page.
    Walk,
    /// Collect the few rows a selective condition (ref, rare tag, rare
    /// word) names, then sort them. On SQLite `NOT INDEXED` keeps the planner
    /// from walking the timeline index anyway.
    Drive,
}

fn from_events(d: Dialect, strategy: Strategy) -> &'static str {
    match (d, strategy) {
        (Dialect::Sqlite, Strategy::Drive) => " FROM events e NOT INDEXED WHERE e.tenant_id = ",
        _ => " FROM events e WHERE e.tenant_id = ",
    }
}

fn filtered(d: Dialect, select: &str, t: &Target<'_>, strategy: Strategy, tags: TagMode) -> Sql {
    // Driving needs a selective condition to drive from.
    let strategy = if has_driver(t.f) {
        strategy
    } else {
        Strategy::Walk
    };
    let mut sql = Sql::new(d);
    sql.push(select)
        .push(from_events(d, strategy))
        .text(t.tenant)
        .filter_with(t.tenant, t.f, tags, &t.tag_integrations);
    sql
}

/// Tags are probed per row when walking, collected when driving.
fn tag_mode(strategy: Strategy) -> TagMode {
    match strategy {
        Strategy::Walk => TagMode::Probe,
        Strategy::Drive => TagMode::Set,
    }
}

/// Cheap probes (each reads at most `DRIVE_LIMIT` index entries) whose
/// counts tell whether a selective condition should drive a list query.
/// All must come back under the limit for [`Strategy::Drive`].
pub(crate) fn list_probes(d: Dialect, t: &Target<'_>) -> Option<Vec<Sql>> {
    let f = t.f;
    if !f.refs.is_empty() {
        // Refs name specific objects: always selective enough.
        return Some(Vec::new());
    }
    let mut probes = Vec::new();
    if !f.tags.is_empty() {
        let mut s = Sql::new(d);
        s.push("SELECT COUNT(*) FROM (SELECT 1 FROM event_tags t WHERE t.tenant_id = ")
            .text(t.tenant)
            .push(" AND t.tag IN ")
            .list(&f.tags);
        if let Some(start) = f.start {
            s.push(" AND t.ts >= ").int(crate::codec::nanos(start));
        }
        if let Some(end) = f.end {
            s.push(" AND t.ts <= ").int(crate::codec::nanos(end));
        }
        s.push(" LIMIT ").int(DRIVE_LIMIT).push(") sub");
        probes.push(s);
        if !t.tag_integrations.is_empty() {
            let mut s = Sql::new(d);
            s.push("SELECT COUNT(*) FROM (SELECT 1 FROM events e WHERE e.tenant_id = ")
                .text(t.tenant)
                .push(" AND COALESCE(e.integration_id, '') IN ")
                .list(&t.tag_integrations)
                .push(" LIMIT ")
                .int(DRIVE_LIMIT)
                .push(") sub");
            probes.push(s);
        }
        return Some(probes);
    }
    let words = f.q.as_deref().map(fts::words).unwrap_or_default();
    if !words.is_empty() && d == Dialect::Sqlite {
        let mut s = Sql::new(d);
        s.push("SELECT COUNT(*) FROM (SELECT 1 FROM events_fts WHERE events_fts MATCH ")
            .text(&fts::fts5_query(&words))
            .push(" LIMIT ")
            .int(DRIVE_LIMIT)
            .push(") sub");
        probes.push(s);
        return Some(probes);
    }
    None
}

pub(crate) fn list_sql(d: Dialect, t: &Target<'_>, page: &Page, strategy: Strategy) -> Sql {
    let select = format!("SELECT {EVENT_COLUMNS}");
    let mut sql = filtered(d, &select, t, strategy, tag_mode(strategy));
    if let Some(c) = &page.cursor {
        sql.push(" AND (e.ts, e.id) < (")
            .int(c.timestamp_nanos)
            .push(", ")
            .text(&c.id)
            .push(")");
    }
    sql.push(" ORDER BY e.ts DESC, e.id DESC LIMIT ")
        .int(i64::from(page.limit) + 1);
    if let (None, Some(offset)) = (&page.cursor, page.offset) {
        sql.push(" OFFSET ").int(i64::from(offset));
    }
    sql
}

/// How a count-like query reads: from rollups when the filter allows.
fn rollup_plan(f: &EventFilter, max_lvl: usize) -> Option<(Vec<rollup::Span>, Vec<rollup::Raw>)> {
    if !rollup::eligible(f) {
        return None;
    }
    let (lo, hi) = rollup::range(f);
    Some(rollup::decompose(lo, hi, max_lvl))
}

/// Each query yields one row with one BIGINT; the count is their sum.
pub(crate) fn count_sql(d: Dialect, t: &Target<'_>) -> Vec<Sql> {
    let f = t.f;
    let Some((spans, raws)) = rollup_plan(f, LEVELS.len() - 1) else {
        let only_tags_and_time = EventFilter {
            tags: f.tags.clone(),
            start: f.start,
            end: f.end,
            ..EventFilter::default()
        } == *f;
        if !f.tags.is_empty() && only_tags_and_time && t.tag_integrations.is_empty() {
            // Answered by the tag index alone.
            let mut s = Sql::new(d);
            s.push(if f.tags.len() == 1 {
                "SELECT COUNT(*)"
            } else {
                "SELECT COUNT(DISTINCT t.event_seq)"
            })
            .push(" FROM event_tags t WHERE t.tenant_id = ")
            .text(t.tenant)
            .push(" AND t.tag IN ")
            .list(&f.tags);
            if let Some(start) = f.start {
                s.push(" AND t.ts >= ").int(crate::codec::nanos(start));
            }
            if let Some(end) = f.end {
                s.push(" AND t.ts <= ").int(crate::codec::nanos(end));
            }
            return vec![s];
        }
        // Counting visits every match: start from the selective side
        // (refs, tags) when there is one.
        return vec![filtered(
            d,
            "SELECT COUNT(*)",
            t,
            aggregate_strategy(f),
            TagMode::Set,
        )];
    };
    let mut out = Vec::new();
    if !spans.is_empty() {
        let mut s = Sql::new(d);
        rollup::rollup_sql(
            &mut s,
            "SELECT CAST(COALESCE(SUM(r.n), 0) AS BIGINT)",
            t.tenant,
            f,
            &spans,
        );
        out.push(s);
    }
    for r in &raws {
        let mut s = Sql::new(d);
        rollup::raw_sql(&mut s, "SELECT COUNT(*)", t.tenant, f, r);
        out.push(s);
    }
    out
}

/// Whether the filter has a condition that can drive a query (refs, tags,
/// words): a side index yielding the matching rows directly.
fn has_driver(f: &EventFilter) -> bool {
    !f.refs.is_empty()
        || !f.tags.is_empty()
        || f.q.as_deref().is_some_and(|q| !fts::words(q).is_empty())
}

/// Aggregates visit every match: drive from refs, tags or the full-text
/// index when present, rather than walking all of the tenant's events.
pub(crate) fn aggregate_strategy(f: &EventFilter) -> Strategy {
    if has_driver(f) {
        Strategy::Drive
    } else {
        Strategy::Walk
    }
}

fn group_column(alias: &str, g: GroupBy) -> String {
    match g {
        GroupBy::Project => format!("{alias}.project"),
        GroupBy::Connector => format!("{alias}.connector"),
    }
}

/// Each query yields rows `(bucket start, group, count)`; see
/// [`merge_histogram`].
pub(crate) fn histogram_sql(
    d: Dialect,
    t: &Target<'_>,
    bucket_nanos: i64,
    group_by: GroupBy,
) -> Vec<Sql> {
    let (tenant, f) = (t.tenant, t.f);
    let b = bucket_nanos;
    // The bucket's number (floor division, also for timestamps before 1970),
    // not its start: `ts - ts mod b` leaves BIGINT for a timestamp near the
    // ends of the range (PostgreSQL errors, SQLite turns it into a float).
    // A number never overflows; [`merge_histogram`] turns it into a start.
    let floor = |col: &str| format!("{col} / {b} - (CASE WHEN {col} % {b} < 0 THEN 1 ELSE 0 END)");
    let raw_select = format!(
        "SELECT {} AS b, {} AS g, COUNT(*)",
        floor("e.ts"),
        group_column("e", group_by)
    );
    let plan = rollup::level_for_bucket(b).and_then(|lvl| rollup_plan(f, lvl));
    let Some((spans, raws)) = plan else {
        let mut sql = filtered(d, &raw_select, t, aggregate_strategy(f), TagMode::Set);
        sql.push(" GROUP BY b, g");
        return vec![sql];
    };
    let mut out = Vec::new();
    if !spans.is_empty() {
        let mut s = Sql::new(d);
        let select = format!(
            "SELECT {} AS b, {} AS g, CAST(SUM(r.n) AS BIGINT)",
            floor("r.bucket"),
            group_column("r", group_by)
        );
        rollup::rollup_sql(&mut s, &select, tenant, f, &spans);
        s.push(" GROUP BY b, g");
        out.push(s);
    }
    for r in &raws {
        let mut s = Sql::new(d);
        rollup::raw_sql(&mut s, &raw_select, tenant, f, r);
        s.push(" GROUP BY b, g");
        out.push(s);
    }
    out
}

/// `parts` are `(bucket number, group, count)` rows of [`histogram_sql`].
pub(crate) fn merge_histogram(
    parts: Vec<(i64, String, i64)>,
    bucket_nanos: i64,
) -> Vec<HistogramBucket> {
    let mut map: BTreeMap<(i64, String), i64> = BTreeMap::new();
    for (idx, g, n) in parts {
        let start = painchain_core::time::bucket_start(idx, bucket_nanos);
        let slot = map.entry((start, g)).or_default();
        *slot = slot.saturating_add(n);
    }
    map.into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|((start_nanos, group), count)| HistogramBucket {
            start_nanos,
            group,
            count,
        })
        .collect()
}

/// Each query yields rows `(group, count)`; see [`merge_groups`].
pub(crate) fn group_counts_sql(d: Dialect, t: &Target<'_>, group_by: GroupBy) -> Vec<Sql> {
    let (tenant, f) = (t.tenant, t.f);
    let raw_select = format!("SELECT {} AS g, COUNT(*)", group_column("e", group_by));
    let Some((spans, raws)) = rollup_plan(f, LEVELS.len() - 1) else {
        let mut sql = filtered(d, &raw_select, t, aggregate_strategy(f), TagMode::Set);
        sql.push(" GROUP BY g");
        return vec![sql];
    };
    let mut out = Vec::new();
    if !spans.is_empty() {
        let mut s = Sql::new(d);
        let select = format!(
            "SELECT {} AS g, CAST(SUM(r.n) AS BIGINT)",
            group_column("r", group_by)
        );
        rollup::rollup_sql(&mut s, &select, tenant, f, &spans);
        s.push(" GROUP BY g");
        out.push(s);
    }
    for r in &raws {
        let mut s = Sql::new(d);
        rollup::raw_sql(&mut s, &raw_select, tenant, f, r);
        s.push(" GROUP BY g");
        out.push(s);
    }
    out
}

/// Biggest groups first, ties by name.
pub(crate) fn merge_groups(parts: Vec<(String, i64)>) -> Vec<GroupCount> {
    let mut map: BTreeMap<String, i64> = BTreeMap::new();
    for (g, n) in parts {
        *map.entry(g).or_default() += n;
    }
    let mut out: Vec<GroupCount> = map
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(group, count)| GroupCount { group, count })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.group.cmp(&b.group)));
    out
}

/// Oldest (`asc`) or newest matching timestamp: one index probe each.
pub(crate) fn span_end_sql(d: Dialect, t: &Target<'_>, asc: bool, strategy: Strategy) -> Sql {
    let mut sql = filtered(d, "SELECT e.ts", t, strategy, tag_mode(strategy));
    sql.push(if asc {
        " ORDER BY e.ts ASC LIMIT 1"
    } else {
        " ORDER BY e.ts DESC LIMIT 1"
    });
    sql
}
