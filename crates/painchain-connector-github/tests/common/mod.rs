//! Helpers shared by the integration tests: fixture loading and a fixed clock.
#![allow(dead_code)]

pub mod fake;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use painchain_connector_github::mapping::MapContext;
use serde_json::Value;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github")
}

pub fn read(rel: &str) -> Vec<u8> {
    let p = fixtures().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn json(rel: &str) -> Value {
    serde_json::from_slice(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The fixed "now" of every mapping test (only used when a payload has no time).
pub fn now() -> DateTime<Utc> {
    painchain_core::time::parse("2024-06-01T12:00:00Z").unwrap()
}

pub fn ctx() -> MapContext {
    MapContext::new(now()).with_tags(vec!["team-a".into()])
}

/// `X-GitHub-Event` of a webhook fixture, from `webhooks/index.json`.
pub fn webhook_event(rel_in_webhooks: &str) -> String {
    let index = json("webhooks/index.json");
    index["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["file"] == rel_in_webhooks)
        .and_then(|d| d["headers"]["X-GitHub-Event"].as_str())
        .unwrap_or_else(|| panic!("{rel_in_webhooks} is not in webhooks/index.json"))
        .to_string()
}

/// Every `.json` file under `dir` (relative to the fixtures), sorted.
pub fn files_under(dir: &str) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(
                    p.strip_prefix(base)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    let base = fixtures().join(dir);
    let mut out = Vec::new();
    walk(&base, &base, &mut out);
    out.sort();
    out
}
