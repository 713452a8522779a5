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

fn filtered(d: Dialect, select: &str, tenant: &str, f: &EventFilter, strategy: Strategy) -> Sql {
    let tags = match strategy {
        Strategy::Walk => TagMode::Probe,
        Strategy::Drive => TagMode::Set,
    };
    let mut sql = Sql::new(d);
    sql.push(select)
        .push(from_events(d, strategy))
        .text(tenant)
        .filter_with(tenant, f, tags);
    sql
}

/// Cheap probes (each reads at most `DRIVE_LIMIT` index entries) whose
/// counts tell whether a selective condition should drive a list query.
/// All must come back under the limit for [`Strategy::Drive`].
pub(crate) fn list_probes(d: Dialect, tenant: &str, f: &EventFilter) -> Option<Vec<Sql>> {
    if !f.refs.is_empty() {
        // Refs name specific objects: always selective enough.
        return Some(Vec::new());
    }
    let mut probes = Vec::new();
    if !f.tags.is_empty() {
        let mut s = Sql::new(d);
        s.push("SELECT COUNT(*) FROM (SELECT 1 FROM event_tags t WHERE t.tenant_id = ")
            .text(tenant)
            .push(" AND t.tag IN ")
            .list(&f.tags)
            .push(" LIMIT ")
            .int(DRIVE_LIMIT)
            .push(") x");
        probes.push(s);
        // Events of tagged integrations: counted the same way.
        let mut s = Sql::new(d);
        s.push("SELECT COUNT(*) FROM (SELECT 1 FROM events e WHERE e.tenant_id = ")
            .text(tenant)
            .push(" AND COALESCE(e.integration_id, '') IN (SELECT it.integration_id FROM integration_tags it WHERE it.tenant_id = ")
            .text(tenant)
            .push(" AND it.tag IN ")
            .list(&f.tags)
            .push(") LIMIT ")
            .int(DRIVE_LIMIT)
            .push(") x");
        probes.push(s);
        return Some(probes);
    }
    let words = f.q.as_deref().map(fts::words).unwrap_or_default();
    if !words.is_empty() && d == Dialect::Sqlite {
        let mut s = Sql::new(d);
        s.push("SELECT COUNT(*) FROM (SELECT 1 FROM events_fts WHERE events_fts MATCH ")
            .text(&fts::fts5_query(&words))
            .push(" LIMIT ")
            .int(DRIVE_LIMIT)
            .push(") x");
        probes.push(s);
        return Some(probes);
    }
    None
}

pub(crate) fn list_sql(
    d: Dialect,
    tenant: &str,
    f: &EventFilter,
    page: &Page,
    strategy: Strategy,
) -> Sql {
    let mut sql = filtered(d, &format!("SELECT {EVENT_COLUMNS}"), tenant, f, strategy);
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
pub(crate) fn count_sql(d: Dialect, tenant: &str, f: &EventFilter) -> Vec<Sql> {
    let Some((spans, raws)) = rollup_plan(f, LEVELS.len() - 1) else {
        let strategy = if f.refs.is_empty() {
            Strategy::Walk
        } else {
            Strategy::Drive
        };
        // Counting visits every match: collect tagged events as a set.
        let mut sql = Sql::new(d);
        sql.push("SELECT COUNT(*)")
            .push(from_events(d, strategy))
            .text(tenant)
            .filter_with(tenant, f, TagMode::Set);
        return vec![sql];
    };
    let mut out = Vec::new();
    if !spans.is_empty() {
        let mut s = Sql::new(d);
        rollup::rollup_sql(
            &mut s,
            "SELECT CAST(COALESCE(SUM(r.n), 0) AS BIGINT)",
            tenant,
            f,
            &spans,
        );
        out.push(s);
    }
    for r in &raws {
        let mut s = Sql::new(d);
        rollup::raw_sql(&mut s, "SELECT COUNT(*)", tenant, f, r);
        out.push(s);
    }
    out
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
    tenant: &str,
    f: &EventFilter,
    bucket_nanos: i64,
    group_by: GroupBy,
) -> Vec<Sql> {
    let b = bucket_nanos;
    // Floor division that also holds for timestamps before 1970.
    let floor = |col: &str| format!("{col} - ((({col} % {b}) + {b}) % {b})");
    let raw_select = format!(
        "SELECT {} AS b, {} AS g, COUNT(*)",
        floor("e.ts"),
        group_column("e", group_by)
    );
    let plan = rollup::level_for_bucket(b).and_then(|lvl| rollup_plan(f, lvl));
    let Some((spans, raws)) = plan else {
        let mut sql = Sql::new(d);
        sql.push(&raw_select)
            .push(from_events(d, Strategy::Walk))
            .text(tenant)
            .filter_with(tenant, f, TagMode::Set)
            .push(" GROUP BY b, g");
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

pub(crate) fn merge_histogram(parts: Vec<(i64, String, i64)>) -> Vec<HistogramBucket> {
    let mut map: BTreeMap<(i64, String), i64> = BTreeMap::new();
    for (b, g, n) in parts {
        *map.entry((b, g)).or_default() += n;
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
pub(crate) fn group_counts_sql(
    d: Dialect,
    tenant: &str,
    f: &EventFilter,
    group_by: GroupBy,
) -> Vec<Sql> {
    let raw_select = format!("SELECT {} AS g, COUNT(*)", group_column("e", group_by));
    let Some((spans, raws)) = rollup_plan(f, LEVELS.len() - 1) else {
        let mut sql = Sql::new(d);
        sql.push(&raw_select)
            .push(from_events(d, Strategy::Walk))
            .text(tenant)
            .filter_with(tenant, f, TagMode::Set)
            .push(" GROUP BY g");
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
pub(crate) fn span_end_sql(
    d: Dialect,
    tenant: &str,
    f: &EventFilter,
    asc: bool,
    strategy: Strategy,
) -> Sql {
    let mut sql = filtered(d, "SELECT e.ts", tenant, f, strategy);
    sql.push(if asc {
        " ORDER BY e.ts ASC LIMIT 1"
    } else {
        " ORDER BY e.ts DESC LIMIT 1"
    });
    sql
}
