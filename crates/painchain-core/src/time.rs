//! Timestamps are stored as nanoseconds since the Unix epoch (UTC) in an i64:
//! sortable, exact to the precision clients send, and the same on every store.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

pub fn to_nanos(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

pub fn from_nanos(n: i64) -> DateTime<Utc> {
    Utc.timestamp_nanos(n)
}

/// RFC 3339 in UTC, with as many fractional digits as needed and no more.
pub fn format(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Parses RFC 3339 (any offset) into UTC. Also accepts a bare date-time
/// without offset as UTC, since some clients send `2024-01-01T00:00:00`.
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
        .filter(|t| t.timestamp_nanos_opt().is_some())
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|n| n.and_utc())
        })
        .filter(|t| t.timestamp_nanos_opt().is_some())
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
    fn durations() {
        assert_eq!(parse_duration("2h"), chrono::Duration::try_hours(2));
        assert_eq!(parse_duration("7d"), chrono::Duration::try_days(7));
        assert!(parse_duration("h").is_none());
        assert!(parse_duration("3y").is_none());
    }
}
