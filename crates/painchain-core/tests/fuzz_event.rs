//! Property test (a bounded fuzz run, seconds in CI) of the event JSON
//! parser: any JSON at all — and objects shaped like events with any value
//! in any field — is either a valid event within every documented limit or
//! a `ValidationError` naming a field; never a panic.

use painchain_core::{nul_path, time, EventLimits, NewEvent};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Strings that reach the interesting branches: timestamps at and past the
/// accepted range, zone-less and date-only forms, URLs, NUL, long text.
fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,24}",
        Just("9999-12-31T23:59:59Z".to_string()),
        Just("0001-01-01T00:00:00Z".to_string()),
        Just("2262-04-11T23:47:16.854775807Z".to_string()),
        Just("1677-09-21T00:12:43.145224192Z".to_string()),
        Just("2199-12-31T23:59:59.999999999Z".to_string()),
        Just("1900-01-01T00:00:00Z".to_string()),
        Just("2024-01-01".to_string()),
        Just("2024-01-01T00:00:00".to_string()),
        Just("2024-02-30T00:00:00Z".to_string()),
        Just("+275760-09-13T00:00:00Z".to_string()),
        Just("https://example.com/x".to_string()),
        Just("javascript:alert(1)".to_string()),
        Just("a\u{0}b".to_string()),
        Just("x".repeat(3000)),
        (0i64..=4000, 0u32..60).prop_map(|(y, s)| format!("{y:04}-06-15T12:00:{s:02}Z")),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        tricky_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(tricky_string(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A mostly valid event with some fields replaced by anything.
fn event_like() -> impl Strategy<Value = Value> {
    let base = json!({
        "title": "t", "connector": "c", "project": "p",
        "timestamp": "2024-01-01T00:00:00Z",
        "refs": [{"type": "commit", "value": "abc"}], "tags": ["x"],
    });
    prop::collection::vec(
        (
            prop_oneof![
                prop::sample::select(painchain_core::event::KNOWN_FIELDS).prop_map(str::to_string),
                tricky_string()
            ],
            any_json(),
        ),
        0..5,
    )
    .prop_map(move |changes| {
        let mut v = base.clone();
        let o = v.as_object_mut().unwrap();
        for (k, val) in changes {
            o.insert(k, val);
        }
        v
    })
}

fn check(v: &Value) -> Result<(), TestCaseError> {
    let limits = EventLimits::default();
    match NewEvent::from_json(v, &limits) {
        Ok(e) => {
            prop_assert!(time::in_range(e.timestamp), "{:?}", e.timestamp);
            prop_assert!(!e.title.trim().is_empty());
            prop_assert!(e.title.len() <= limits.max_title_bytes);
            prop_assert!(e.tags.len() <= limits.max_tags && e.refs.len() <= limits.max_refs);
            if let Some(u) = &e.url {
                let u = u.to_ascii_lowercase();
                prop_assert!(u.starts_with("http://") || u.starts_with("https://"), "{u}");
            }
            let stored = serde_json::to_value(&e).unwrap();
            prop_assert_eq!(nul_path(&stored), None);
        }
        Err(err) => {
            prop_assert!(!err.field.is_empty() && !err.message.is_empty());
            prop_assert!(!err.code.is_empty());
        }
    }
    // Inside a batch too (field names get a prefix).
    let _ = NewEvent::from_json_at(v, &limits, "[7].");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_json_is_an_event_or_a_named_error(v in any_json()) {
        check(&v)?;
    }

    #[test]
    fn event_shaped_json_is_an_event_or_a_named_error(v in event_like()) {
        check(&v)?;
    }

    #[test]
    fn any_string_timestamp_parses_in_range_or_not_at_all(s in tricky_string()) {
        if let Some(t) = time::parse(&s) {
            prop_assert!(time::in_range(t));
        }
        if let Some(t) = time::parse_rfc3339(&s) {
            prop_assert!(time::in_range(t));
        }
        let _ = time::parse_duration(&s);
    }
}

#[test]
fn keys_with_nul_in_unknown_fields_are_named() {
    let mut m = Map::new();
    m.insert("title".into(), json!("t"));
    m.insert("connector".into(), json!("c"));
    m.insert("project".into(), json!("p"));
    m.insert("timestamp".into(), json!("2024-01-01T00:00:00Z"));
    m.insert("k\u{0}".into(), json!(1));
    let err = NewEvent::from_json(&Value::Object(m), &EventLimits::default()).unwrap_err();
    assert_eq!(err.field, "k\u{0}");
}
