//! Per-integration status as the runtime reports it
//! (`POST /api/integrations/:id/status`).

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Mutex,
};

use chrono::{DateTime, Utc};

use crate::{client::StatusReport, source::Report};

#[derive(Debug, Default)]
pub struct StatusState {
    inner: Mutex<Inner>,
    dirty: AtomicBool,
}

#[derive(Debug, Default)]
struct Inner {
    state: Option<&'static str>,
    last_sync_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    events_collected: u64,
    duplicates: u64,
    skipped: u64,
    /// Figures the source reported with `Report::Detail`.
    details: serde_json::Map<String, serde_json::Value>,
}

/// What a report changed that is worth a log line: a failing integration
/// logs when it starts failing (or fails differently) and when it
/// recovers, not on every retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    Failing(String),
    Recovered,
}

impl StatusState {
    pub fn apply(&self, r: &Report) -> Option<Transition> {
        let mut i = self.inner.lock().unwrap();
        let before = (i.state, i.last_error.clone(), i.last_sync_at.is_none());
        match r {
            Report::Syncing => {
                // Keep showing an error until a sync succeeds.
                if i.state != Some("error") {
                    i.state = Some("syncing");
                }
            }
            Report::Synced => {
                i.state = Some("ok");
                i.last_sync_at = Some(Utc::now());
                i.last_error = None;
            }
            Report::Error(e) => {
                i.state = Some("error");
                i.last_error = Some(e.clone());
            }
            Report::Detail(k, v) => {
                i.details.insert(k.clone(), v.clone());
            }
        }
        // The first state, the first completed sync, an error or a recovery
        // is worth telling at once; syncing <-> ok flips wait for the
        // heartbeat.
        let state_changed = before.0 != i.state
            && (before.0.is_none() || before.0 == Some("error") || i.state == Some("error"));
        let first_sync = before.2 && i.last_sync_at.is_some();
        if state_changed || first_sync || before.1 != i.last_error {
            self.dirty.store(true, Ordering::Relaxed);
        }
        match (&i.last_error, &before.1) {
            (Some(now), prev) if prev.as_ref() != Some(now) => {
                Some(Transition::Failing(now.clone()))
            }
            (None, Some(_)) => Some(Transition::Recovered),
            _ => None,
        }
    }

    pub fn count(&self, created: u64, duplicates: u64, skipped: u64) {
        let mut i = self.inner.lock().unwrap();
        i.events_collected += created;
        i.duplicates += duplicates;
        i.skipped += skipped;
        if created + skipped > 0 {
            self.dirty.store(true, Ordering::Relaxed);
        }
    }

    pub fn take_dirty(&self) -> bool {
        self.dirty.swap(false, Ordering::Relaxed)
    }

    pub fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::Relaxed);
    }

    pub fn report(&self) -> StatusReport {
        let i = self.inner.lock().unwrap();
        StatusReport {
            state: i.state.unwrap_or("syncing").to_string(),
            last_sync_at: i.last_sync_at.map(painchain_core::time::format),
            last_error: i.last_error.clone(),
            events_collected: i.events_collected as i64,
            details: {
                let mut d = i.details.clone();
                d.insert("duplicates".into(), i.duplicates.into());
                d.insert("skipped".into(), i.skipped.into());
                serde_json::Value::Object(d)
            },
        }
    }

    pub fn events_collected(&self) -> u64 {
        self.inner.lock().unwrap().events_collected
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn details_reported_by_the_source_reach_the_status() {
        let s = StatusState::default();
        s.apply(&Report::Detail(
            "rateLimit".into(),
            json!({"remaining": 10}),
        ));
        s.apply(&Report::Detail("rateLimit".into(), json!({"remaining": 9})));
        s.count(3, 1, 0);
        let details = s.report().details;
        assert_eq!(details["rateLimit"], json!({"remaining": 9}), "latest wins");
        assert_eq!(details["duplicates"], json!(1));
        assert_eq!(details["skipped"], json!(0));
    }

    #[test]
    fn a_repeating_error_is_one_transition_and_a_recovery_another() {
        let s = StatusState::default();
        assert_eq!(s.apply(&Report::Syncing), None);
        let err = || Report::Error("/path/to/repo is not a readable git repository".into());
        assert!(matches!(s.apply(&err()), Some(Transition::Failing(_))));
        for _ in 0..5 {
            assert_eq!(s.apply(&Report::Syncing), None);
            assert_eq!(
                s.apply(&err()),
                None,
                "same failure again: nothing new to log"
            );
        }
        assert!(matches!(
            s.apply(&Report::Error("another failure".into())),
            Some(Transition::Failing(m)) if m == "another failure"
        ));
        assert_eq!(s.apply(&Report::Synced), Some(Transition::Recovered));
        assert_eq!(s.apply(&Report::Synced), None);
    }
}
