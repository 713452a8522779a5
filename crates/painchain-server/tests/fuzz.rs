//! Bounded property tests (a fuzz run of a few seconds in CI) through the
//! real router on an SQLite store: arbitrary query strings on the list and
//! timeline endpoints, and arbitrary timeline parameters. Every answer must
//! be a 2xx, or a 4xx with the JSON error shape naming the problem — never
//! a 5xx, a panic, a dropped connection or a hang.

use std::{sync::OnceLock, time::Duration};

use painchain_server::testing::{Backend, TestServer};
use proptest::prelude::*;
use serde_json::{json, Value};

struct Fixture {
    rt: tokio::runtime::Runtime,
    server: TestServer,
    client: reqwest::Client,
}

/// One server for every case (starting one per case would dominate).
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (server, client) = rt.block_on(async {
            let server = TestServer::start(Backend::Sqlite).await.unwrap();
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap();
            // Some data, including events at both ends of the accepted range.
            let mut events = Vec::new();
            for (i, t) in [
                "1900-01-01T00:00:00Z",
                "2024-01-01T00:00:00Z",
                "2024-01-01T00:00:01.5Z",
                "2024-06-01T12:00:00+02:00",
                "2199-12-31T23:59:59.999999999Z",
            ]
            .iter()
            .enumerate()
            {
                let (connector, project) = (["git", "github"][i % 2], ["a", "b", "c"][i % 3]);
                events.push(json!({
                    "title": format!("e{i}"), "connector": connector,
                    "project": project, "timestamp": t,
                    "tags": ["prod"], "refs": [{"type": "commit", "value": format!("c{i}")}],
                }));
            }
            let r = client
                .post(server.url("/api/events/batch"))
                .json(&events)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success());
            let r = client
                .post(server.url("/api/teams"))
                .json(&json!({"name": "core", "tags": ["prod"]}))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success());
            (server, client)
        });
        Fixture { rt, server, client }
    })
}

/// GETs `path?query` and checks the answer's class and shape.
fn get_checked(path: &str, pairs: &[(String, String)]) -> Result<(), TestCaseError> {
    let f = fixture();
    let query = serde_html_form::to_string(pairs).unwrap();
    let url = f.server.url(&format!("{path}?{query}"));
    let (status, body) = f.rt.block_on(async {
        let r = f.client.get(&url).send().await.expect("no answer");
        let status = r.status();
        (status, r.text().await.unwrap_or_default())
    });
    prop_assert!(
        status.is_success() || status.is_client_error(),
        "{url} -> {status}: {body}"
    );
    let v: Value = serde_json::from_str(&body)
        .map_err(|e| TestCaseError::fail(format!("{url} -> not JSON ({e}): {body}")))?;
    if status.is_client_error() {
        prop_assert!(v["error"]["code"].is_string(), "{url}: {body}");
        prop_assert!(v["error"]["message"].is_string(), "{url}: {body}");
    }
    Ok(())
}

const KEYS: &[&str] = &[
    "connector",
    "project",
    "tag",
    "kind",
    "status",
    "environment",
    "integrationId",
    "team",
    "ref",
    "q",
    "startDate",
    "endDate",
    "since",
    "limit",
    "cursor",
    "offset",
    "groupBy",
    "stackBy",
    "interval",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,16}",
        "[0-9]{1,22}",
        "-?[0-9]{1,20}[smhdwy]?",
        (1i64..=4000, 1u32..=12, 1u32..=28)
            .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}T00:00:00Z")),
        (1i64..=4000).prop_map(|y| format!("{y:04}-01-01")),
        Just("auto".to_string()),
        Just("project".to_string()),
        Just("connector".to_string()),
        Just("commit:c1".to_string()),
        Just("core".to_string()),
        Just("9223372036854775807".to_string()),
        Just("36028797018963968".to_string()),
        Just("a\u{0}b".to_string()),
        "[A-Za-z0-9_-]{0,40}",
    ]
}

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        (
            prop_oneof![
                4 => prop::sample::select(KEYS).prop_map(str::to_string),
                1 => ".{0,8}",
            ],
            value(),
        ),
        0..6,
    )
}

fn date() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        (1i64..=9999, 1u32..=12, 1u32..=28, 0u32..24)
            .prop_map(|(y, m, d, h)| format!("{y:04}-{m:02}-{d:02}T{h:02}:00:00Z")),
        (1890i64..=2210).prop_map(|y| format!("{y}-04-11T23:47:16.854775807Z")),
        Just("2262-04-11T23:00:00Z".to_string()),
        Just("1677-09-21T00:12:44Z".to_string()),
        ".{0,12}",
    ])
}

fn interval() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| (1u64 << (n % 64)).to_string()),
        (
            0i64..1_000_000_000,
            prop::sample::select(&["s", "m", "h", "d", "w"][..])
        )
            .prop_map(|(n, u)| format!("{n}{u}")),
        Just("auto".to_string()),
        ".{0,8}",
    ])
}

fn since() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        (
            0i64..i64::MAX,
            prop::sample::select(&["s", "m", "h", "d", "w"][..])
        )
            .prop_map(|(n, u)| format!("{n}{u}")),
        (
            0i64..100_000,
            prop::sample::select(&["s", "m", "h", "d", "w"][..])
        )
            .prop_map(|(n, u)| format!("{n}{u}")),
        ".{0,8}",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_query_string_is_2xx_or_a_json_4xx(p in pairs()) {
        get_checked("/api/events", &p)?;
        get_checked("/api/timeline", &p)?;
    }

    #[test]
    fn any_timeline_parameters_are_2xx_or_a_json_4xx(
        start in date(), end in date(), interval in interval(), since in since(),
    ) {
        let mut p = Vec::new();
        for (k, v) in [("startDate", start), ("endDate", end), ("interval", interval), ("since", since)] {
            if let Some(v) = v {
                p.push((k.to_string(), v));
            }
        }
        get_checked("/api/timeline", &p)?;
    }
}
