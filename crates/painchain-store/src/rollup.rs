//! Pre-aggregated event counts, so that totals, group counts and histograms
//! over millions of events read thousands of rows instead of millions.
//!
//! `event_rollups(tenant_id, lvl, bucket, project, connector, n)` holds how
//! many events of a (project, connector) fall in each time bucket, at four
//! granularities (second, minute, hour, day). It is maintained in the same
//! transaction as the inserts and deletes, so it is always exact.
//!
//! A query whose filter uses only projects, connectors and a time range is
//! answered from it: the range is cut into whole days, then whole hours at
//! the edges, then minutes, then seconds; the sub-second remainders at both
//! ends (if any) are counted from `events` directly.

use std::collections::BTreeMap;

use painchain_core::EventFilter;

use crate::{
    batch::{Row, RowResult},
    codec::nanos,
    fts,
    query::Sql,
};

const SEC: i64 = 1_000_000_000;

/// Bucket widths, finest first; each divides the next. A histogram reads the
/// coarsest level dividing its bucket width, so each of the timeline's
/// "nice" widths (1 s, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 3,
/// 6, 12 h, days) reads at most a handful of rows per bucket and group.
pub(crate) const LEVELS: [i64; 8] = [
    SEC,
    5 * SEC,
    60 * SEC,
    300 * SEC,
    900 * SEC,
    3_600 * SEC,
    6 * 3_600 * SEC,
    86_400 * SEC,
];

/// The start of `ts`'s bucket at `lvl`. Near `i64::MIN` (an event stored at
/// 1677-09-21) the start is not representable: it saturates to `i64::MIN`,
/// which stays below every aligned boundary, so such a row is only counted
/// by spans open at the start, and by raw ranges — exact either way.
pub(crate) fn bucket_of(ts: i64, lvl: usize) -> i64 {
    ts.saturating_sub(ts.rem_euclid(LEVELS[lvl]))
}

/// Key of one rollup row.
pub(crate) type RollupKey<'a> = (&'a str, i64, i64, &'a str, &'a str);

/// `+1` per inserted row and level, summed per key; sorted by key so that
/// concurrent transactions lock rollup rows in the same order.
pub(crate) fn insert_deltas<'a>(
    rows: &[Row<'a>],
    results: &[RowResult],
) -> Vec<(RollupKey<'a>, i64)> {
    let mut map: BTreeMap<RollupKey<'a>, i64> = BTreeMap::new();
    for (r, res) in rows.iter().zip(results) {
        if matches!(res, RowResult::Inserted { .. }) {
            add(&mut map, r.tenant, r.ts, &r.ev.project, &r.ev.connector, 1);
        }
    }
    map.into_iter().collect()
}

pub(crate) fn add<'a>(
    map: &mut BTreeMap<RollupKey<'a>, i64>,
    tenant: &'a str,
    ts: i64,
    project: &'a str,
    connector: &'a str,
    n: i64,
) {
    for lvl in 0..LEVELS.len() {
        *map.entry((tenant, lvl as i64, bucket_of(ts, lvl), project, connector))
            .or_default() += n;
    }
}

/// Whether the rollups can answer this filter.
pub(crate) fn eligible(f: &EventFilter) -> bool {
    f.tags.is_empty()
        && f.kinds.is_empty()
        && f.statuses.is_empty()
        && f.environments.is_empty()
        && f.integration_ids.is_empty()
        && f.refs.is_empty()
        && f.q.as_deref().is_none_or(|q| fts::words(q).is_empty())
}

/// A half-open range of buckets of one level: `[from, to)`, `None` = open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Span {
    pub lvl: usize,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// A half-open timestamp range `[from, to)` to count from `events`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Raw {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// Cuts `[lo, hi)` (None = unbounded) into rollup spans of levels up to
/// `max_lvl` and raw remainders.
pub(crate) fn decompose(lo: Option<i64>, hi: Option<i64>, max_lvl: usize) -> (Vec<Span>, Vec<Raw>) {
    let mut spans = Vec::new();
    let mut raws = Vec::new();
    cut(lo, hi, max_lvl as isize, &mut spans, &mut raws);
    (spans, raws)
}

fn cut(lo: Option<i64>, hi: Option<i64>, lvl: isize, spans: &mut Vec<Span>, raws: &mut Vec<Raw>) {
    if let (Some(l), Some(h)) = (lo, hi) {
        if l >= h {
            return;
        }
    }
    if lvl < 0 {
        raws.push(Raw { from: lo, to: hi });
        return;
    }
    let w = LEVELS[lvl as usize];
    // First and last bucket boundaries inside the range (None: unbounded;
    // a boundary that would overflow i64 means "no whole bucket").
    let a = match lo {
        None => None,
        Some(l) => match ceil_to(l, w) {
            Some(a) => Some(a),
            None => return cut(lo, hi, lvl - 1, spans, raws),
        },
    };
    let b = match hi {
        None => None,
        Some(h) => match h.checked_sub(h.rem_euclid(w)) {
            Some(b) => Some(b),
            None => return cut(lo, hi, lvl - 1, spans, raws),
        },
    };
    if let (Some(a), Some(b)) = (a, b) {
        if a >= b {
            return cut(lo, hi, lvl - 1, spans, raws);
        }
    }
    if let (Some(l), Some(a)) = (lo, a) {
        cut(Some(l), Some(a), lvl - 1, spans, raws);
    }
    spans.push(Span {
        lvl: lvl as usize,
        from: a,
        to: b,
    });
    if let (Some(b), Some(h)) = (b, hi) {
        cut(Some(b), Some(h), lvl - 1, spans, raws);
    }
}

fn ceil_to(x: i64, w: i64) -> Option<i64> {
    let r = x.rem_euclid(w);
    if r == 0 {
        Some(x)
    } else {
        x.checked_add(w - r)
    }
}

/// The filter's time range as half-open `[lo, hi)`.
pub(crate) fn range(f: &EventFilter) -> (Option<i64>, Option<i64>) {
    (
        f.start.map(nanos),
        f.end.map(nanos).and_then(|e| e.checked_add(1)),
    )
}

/// `SELECT <select> FROM (<the rollup rows of every span>) r`. One
/// `UNION ALL` branch per span, so each is a range scan of the primary key
/// (SQLite would not use the index for an OR of ranges); `spans` must not be
/// empty.
pub(crate) fn rollup_sql(
    sql: &mut Sql,
    select: &str,
    tenant: &str,
    f: &EventFilter,
    spans: &[Span],
) {
    sql.push(select).push(" FROM (");
    for (i, s) in spans.iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push("SELECT x.bucket, x.project, x.connector, x.n FROM event_rollups x WHERE x.tenant_id = ")
            .text(tenant)
            .push(" AND x.lvl = ")
            .int(s.lvl as i64);
        if let Some(from) = s.from {
            sql.push(" AND x.bucket >= ").int(from);
        }
        if let Some(to) = s.to {
            sql.push(" AND x.bucket < ").int(to);
        }
        if !f.projects.is_empty() {
            sql.push(" AND x.project IN ").list(&f.projects);
        }
        if !f.connectors.is_empty() {
            sql.push(" AND x.connector IN ").list(&f.connectors);
        }
    }
    sql.push(") r");
}

/// `SELECT <select> FROM events e WHERE tenant AND filter AND ts in raw`.
pub(crate) fn raw_sql(sql: &mut Sql, select: &str, tenant: &str, f: &EventFilter, raw: &Raw) {
    let mut f = f.clone();
    f.start = None;
    f.end = None;
    sql.push(select)
        .push(" FROM events e WHERE e.tenant_id = ")
        .text(tenant)
        .filter(tenant, &f, &[]);
    if let Some(from) = raw.from {
        sql.push(" AND e.ts >= ").int(from);
    }
    if let Some(to) = raw.to {
        sql.push(" AND e.ts < ").int(to);
    }
}

/// Largest level whose width divides `bucket_nanos`.
pub(crate) fn level_for_bucket(bucket_nanos: i64) -> Option<usize> {
    (0..LEVELS.len())
        .rev()
        .find(|&l| bucket_nanos % LEVELS[l] == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    /// Every timestamp in [lo, hi) is covered exactly once.
    fn check(lo: Option<i64>, hi: Option<i64>, max: usize) {
        let (spans, raws) = decompose(lo, hi, max);
        let probe = |t: i64| {
            let in_span = spans
                .iter()
                .filter(|s| {
                    let b = bucket_of(t, s.lvl);
                    s.from.is_none_or(|f| b >= f) && s.to.is_none_or(|to| b < to)
                })
                .count();
            let in_raw = raws
                .iter()
                .filter(|r| r.from.is_none_or(|f| t >= f) && r.to.is_none_or(|to| t < to))
                .count();
            in_span + in_raw
        };
        let base = 1_700_000_000 * S;
        for t in [
            base - 3 * 86_400 * S,
            base - 1,
            base,
            base + 1,
            base + 59 * S + 7,
            base + 3_600 * S,
            base + 86_400 * S + 123,
            base + 2 * 86_400 * S,
        ] {
            let inside = lo.is_none_or(|l| t >= l) && hi.is_none_or(|h| t < h);
            assert_eq!(
                probe(t),
                inside as usize,
                "t={t} lo={lo:?} hi={hi:?} {spans:?} {raws:?}"
            );
        }
        for s in &spans {
            assert!(s.lvl <= max);
        }
        // Raw remainders are shorter than the finest level, on both sides.
        assert!(raws.len() <= 2);
        for r in &raws {
            if let (Some(f), Some(t)) = (r.from, r.to) {
                assert!(t - f < LEVELS[0]);
            }
        }
    }

    #[test]
    fn decomposition_covers_each_instant_once() {
        let base = 1_700_000_000 * S;
        let cases = [
            (None, None),
            (Some(base), None),
            (None, Some(base + 1)),
            (Some(base + 1), Some(base + 86_400 * S + 124)),
            (Some(base - 86_400 * S - 5), Some(base + 2 * 86_400 * S)),
            (Some(base + 10), Some(base + 20)),
            (Some(base), Some(base)),
            (Some(i64::MAX - 5), None),
            (Some(i64::MIN), Some(i64::MIN + 5 * S)),
        ];
        for (lo, hi) in cases {
            for max in 0..LEVELS.len() {
                check(lo, hi, max);
            }
        }
    }

    #[test]
    fn levels_for_buckets() {
        assert_eq!(level_for_bucket(3_600 * S), Some(5));
        assert_eq!(level_for_bucket(2 * 3_600 * S), Some(5));
        assert_eq!(level_for_bucket(12 * 3_600 * S), Some(6));
        assert_eq!(level_for_bucket(600 * S), Some(3));
        assert_eq!(level_for_bucket(30 * S), Some(1));
        assert_eq!(level_for_bucket(7 * S), Some(0));
        assert_eq!(level_for_bucket(S / 2), None);
        assert_eq!(level_for_bucket(2 * 86_400 * S), Some(7));
        for w in LEVELS.windows(2) {
            assert_eq!(w[1] % w[0], 0);
        }
    }
}
