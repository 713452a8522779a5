//! Timestamps are stored as nanoseconds since the Unix epoch (UTC) in an i64:
//! sortable, exact to the precision clients send, and the same on every store.
//!
//! An i64 of nanoseconds only reaches 1677-09-21…2262-04-11, and arithmetic
//! near those ends overflows (bucket starts, rollups, `now - since`). So every
//! timestamp the API takes — event timestamps and date query parameters — must
//! lie in [`MIN`, [`MAX`]] (1900-01-01T00:00:00Z to 2199-12-31T23:59:59.999999999Z),
//! leaving decades of headroom on both sides; anything else is refused, never
//! clamped.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

/// 1900-01-01T00:00:00Z in nanoseconds: the earliest accepted timestamp.
pub const MIN_NANOS: i64 = -2_208_988_800 * NANOS_PER_SEC;
/// 2199-12-31T23:59:59.999999999Z in nanoseconds: the latest accepted one.
pub const MAX_NANOS: i64 = 7_258_118_400 * NANOS_PER_SEC - 1;
pub const NANOS_PER_SEC: i64 = 1_000_000_000;
/// The accepted range as people read it (error messages, docs).
pub const RANGE_TEXT: &str = "1900-01-01T00:00:00Z to 2199-12-31T23:59:59.999999999Z";

/// Nanoseconds since the epoch. Values outside what an i64 holds saturate;
/// that cannot happen for timestamps that came through [`parse`] or
/// [`parse_rfc3339`] (they are within [`MIN_NANOS`]..=[`MAX_NANOS`]).
pub fn to_nanos(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// Whether `t` lies in the accepted range.
pub fn in_range(t: DateTime<Utc>) -> bool {
    t.timestamp_nanos_opt()
        .is_some_and(|n| (MIN_NANOS..=MAX_NANOS).contains(&n))
}

pub fn from_nanos(n: i64) -> DateTime<Utc> {
    Utc.timestamp_nanos(n)
}

/// The start of the bucket of width `width` (> 0) numbered `index` (bucket
/// `i` covers `[i·width, (i+1)·width)`). A start before what an i64 holds —
/// the first bucket of a timestamp near 1677 — is clamped to `i64::MIN`, so
/// the caller never overflows; later starts always fit.
pub fn bucket_start(index: i64, width: i64) -> i64 {
    index.checked_mul(width).unwrap_or(i64::MIN)
}

/// RFC 3339 in UTC, with as many fractional digits as needed and no more.
pub fn format(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Strict RFC 3339 (a date, a time and an offset: `Z` or `±hh:mm`) within
/// the accepted range, in UTC. What event timestamps must be.
pub fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| in_range(*t))
}

/// Parses RFC 3339 (any offset) into UTC. Also accepts a bare date-time
/// without offset, or a bare date, as UTC (`2024-01-01T00:00:00`,
/// `2024-01-01`): handy in query strings and config files. Whatever the
/// form, the result is within the accepted range ([`MIN_NANOS`]..=[`MAX_NANOS`]).
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    parse_rfc3339(s)
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        })
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|n| n.and_utc())
        })
        .filter(|t| in_range(*t))
}

/// Parses a relative duration such as `15m`, `2h`, `7d`, `30s`, `1w`.
pub fn parse_duration(s: &str) -> Option<chrono::Duration> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = num.parse().ok()?;
    match unit {
        "s" => chrono::Duration::try_seconds(n),
        "m" => chrono::Duration::try_minutes(n),
        "h" => chrono::Duration::try_hours(n),
        "d" => chrono::Duration::try_days(n),
        "w" => chrono::Duration::try_weeks(n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_nanosecond_precision_and_normalises_to_utc() {
        let t = parse("2024-03-01T10:00:00.123456789+02:00").unwrap();
        assert_eq!(format(t), "2024-03-01T08:00:00.123456789Z");
        assert_eq!(from_nanos(to_nanos(t)), t);
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse("yesterday").is_none());
        assert!(parse("2024-13-01T00:00:00Z").is_none());
    }

    #[test]
    fn refuses_out_of_range_in_every_form() {
        for s in [
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00Z",
            "2262-04-11T23:47:16Z",
            "1677-09-21T00:12:44Z",
            "2200-01-01T00:00:00Z",
            "1899-12-31T23:59:59.999999999Z",
            "2200-01-01T00:00:00",
            "2200-01-01",
            "1899-12-31",
        ] {
            assert_eq!(parse(s), None, "{s}");
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
        assert_eq!(to_nanos(parse("1900-01-01T00:00:00Z").unwrap()), MIN_NANOS);
        assert_eq!(
            to_nanos(parse("2199-12-31T23:59:59.999999999Z").unwrap()),
            MAX_NANOS
        );
        // An offset that moves a date across the edge counts after conversion.
        assert_eq!(parse("2199-12-31T23:30:00-01:00"), None);
    }

    #[test]
    fn rfc3339_needs_an_offset() {
        assert!(parse_rfc3339("2024-01-01T00:00:00").is_none());
        assert!(parse_rfc3339("2024-01-01").is_none());
        assert!(parse_rfc3339("2024-01-01T00:00:00+05:30").is_some());
        // The lenient form (query strings) still reads them as UTC.
        assert_eq!(parse("2024-01-01"), parse_rfc3339("2024-01-01T00:00:00Z"));
    }

    #[test]
    fn bucket_starts_never_overflow() {
        let w = 86_400 * NANOS_PER_SEC;
        assert_eq!(bucket_start(i64::MIN.div_euclid(w), w), i64::MIN);
        assert_eq!(bucket_start(3, w), 3 * w);
        assert_eq!(bucket_start(i64::MAX.div_euclid(w), w) % w, 0);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2h"), chrono::Duration::try_hours(2));
        assert_eq!(parse_duration("7d"), chrono::Duration::try_days(7));
        assert!(parse_duration("h").is_none());
        assert!(parse_duration("3y").is_none());
    }
}
